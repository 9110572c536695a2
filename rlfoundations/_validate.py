"""Argument checks shared by the public functions: one place, one wording.

Each check takes the argument's name, so that the error says which argument is wrong and with
what value: a ``TypeError`` for the wrong kind of thing, a ``ValueError`` for a bad value
(their subclasses in :mod:`rlfoundations.errors`, which tell the caller's mistakes apart from
the library's bugs).
Booleans are never accepted as numbers (``True`` is an int to Python, not to a user).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = [
    "MAX_COUNT",
    "PROB_TOLERANCE",
    "check_action_probabilities",
    "check_actions",
    "check_bool",
    "check_choice",
    "check_count",
    "check_distribution",
    "check_distribution_rows",
    "check_fraction",
    "check_gamma",
    "check_int",
    "check_mdp",
    "check_optional_seed",
    "check_policy",
    "check_policy_mask",
    "check_positive",
    "check_probability_shape",
    "check_seed",
    "check_values",
    "is_int",
    "is_number",
    "off_one",
]

#: How far from 1 a sum of probabilities may be: rounding, not a mistake. The one tolerance
#: of every "sums to 1" check (action probabilities, outcome probabilities, initial
#: distributions); public as :data:`rlfoundations.mdp.PROB_TOLERANCE`.
PROB_TOLERANCE = 1e-8


def off_one(totals: npt.ArrayLike) -> np.ndarray:
    """Where sums of probabilities ``totals`` miss 1 by more than :data:`PROB_TOLERANCE`.

    The one "sums to 1" rule; a bool, or a bool array of the shape of ``totals``.
    """
    return np.abs(np.asarray(totals, dtype=np.float64) - 1.0) > PROB_TOLERANCE


def is_int(value) -> bool:
    """A Python or NumPy integer, not a bool."""
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def is_number(value) -> bool:
    """A Python or NumPy integer or float, not a bool."""
    return is_int(value) or isinstance(value, float | np.floating)


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (0 or 1)."""
    bound = "> 0" if minimum == 1 else f">= {minimum}"
    if not is_int(value):
        raise InvalidTypeError(f"{name} must be an int {bound}, got {value!r}")
    if value < minimum:
        raise InvalidValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


#: The largest count (of steps, samples, states, repetitions) any function accepts, as the
#: learners do: kernels count in int64, and a count past this could never finish anyway.
MAX_COUNT = 2**62


def check_count(name: str, value, *, minimum: int = 1, maximum: int = MAX_COUNT) -> int:
    """``value`` as an int in ``[minimum, maximum]``.

    :func:`check_int` with an upper bound, for counts that size an allocation or a loop.
    """
    count = check_int(name, value, minimum=minimum)
    if count > maximum:
        shown = "2**62" if maximum == MAX_COUNT else str(maximum)
        raise InvalidValueError(f"{name} must be <= {shown}, got {value!r}")
    return count


def check_positive(name: str, value) -> float:
    """``value`` as a finite float ``> 0``."""
    if not is_number(value):
        raise InvalidTypeError(f"{name} must be a number > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise InvalidValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def check_gamma(gamma) -> float:
    """A discount factor in [0, 1]."""
    if not is_number(gamma):
        raise InvalidTypeError(f"gamma must be a number in [0, 1], got {gamma!r}")
    if not 0.0 <= gamma <= 1.0:  # NaN fails too; a huge int compares without a float
        raise InvalidValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return float(gamma)


def check_seed(seed) -> int:
    """A seed of the learners' random stream, in [0, 2**64)."""
    if not is_int(seed):
        raise InvalidTypeError(f"seed must be an int in [0, 2**64), got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise InvalidValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return int(seed)


def check_optional_seed(seed) -> int | None:
    """A seed for Gymnasium or NumPy (any int), or None."""
    if seed is not None and not is_int(seed):
        raise InvalidTypeError(f"seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)


def check_bool(name: str, value) -> bool:
    """``value`` as a bool (Python or NumPy), nothing else."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidTypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_mdp(mdp, *, name: str = "mdp", live_env: bool = False):
    """``mdp`` if it is a :class:`~rlfoundations.TabularMDP`, else the one wording of that error.

    With ``live_env``, a ``gymnasium.Env`` is accepted too.
    """
    from rlfoundations.mdp import TabularMDP

    if isinstance(mdp, TabularMDP):
        return mdp
    if live_env:
        import gymnasium

        if isinstance(mdp, gymnasium.Env):
            return mdp
    accepted = "a TabularMDP (see rlfoundations.from_env)" + (
        " or a gymnasium.Env" if live_env else ""
    )
    raise InvalidTypeError(f"{name} must be {accepted}, got {type(mdp).__name__}")


def check_fraction(name: str, value) -> float:
    """``value`` as a float in [0, 1] (a probability, a frequency error)."""
    if not is_number(value):
        raise InvalidTypeError(f"{name} must be a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:  # NaN fails too
        raise InvalidValueError(f"{name} must be in [0, 1], got {value!r}")
    return float(value)


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(choice) for choice in choices[:-1]) + f" or {choices[-1]!r}"
        raise InvalidValueError(f"{name} must be {listed}, got {value!r}")
    return value


def check_policy(mdp, policy, *, name: str = "policy", stochastic: bool = False) -> np.ndarray:
    """A policy of ``mdp``, checked once for every function that takes one.

    Deterministic (the default): one action in ``[0, n_actions)`` per state, returned as a new
    int64 array of shape (S,). With ``stochastic=True``: an (S, A) matrix of action
    probabilities (finite, >= 0, rows summing to 1 within :data:`PROB_TOLERANCE`), returned as a
    new read-only float64 array. Either way, an action ``mdp.action_mask`` forbids (chosen, or
    given a positive probability) is refused, naming the (state, action).

    The one policy check of the library: every function that takes a policy of a
    :class:`~rlfoundations.TabularMDP` calls it (with ``name`` the argument's name).

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> from rlfoundations._validate import check_policy
    >>> mdp = rlf.TabularMDP.from_dense(np.ones((1, 2, 1)), np.zeros((1, 2)))
    >>> check_policy(mdp, [1])
    array([1])
    >>> check_policy(mdp, [[0.5, 0.5]], stochastic=True)
    array([[0.5, 0.5]])
    """
    if stochastic:
        return _check_policy_matrix(mdp, np.asarray(policy), name)
    array = check_actions(name, policy, mdp.n_states, mdp.n_actions)
    mask = getattr(mdp, "action_mask", None)
    if mask is not None:
        forbidden = ~mask[np.arange(mdp.n_states), array]
        if forbidden.any():
            s = int(np.argmax(forbidden))
            raise InvalidValueError(
                f"{name}[{s}] = {array[s]} is an action mdp.action_mask forbids "
                f"(state={s}, action={array[s]})"
            )
    return array


def check_actions(name: str, policy, n_states: int, n_actions: int) -> np.ndarray:
    """One action in ``[0, n_actions)`` for each of ``n_states`` states, as a new int64 array.

    :func:`check_policy` without a model (a plot's grid layout, say).
    """
    array = np.asarray(policy)
    if array.dtype.kind not in "iu":
        raise InvalidTypeError(f"{name} must hold integer actions, got dtype {array.dtype}")
    if array.shape != (n_states,):
        raise InvalidValueError(f"{name} must have shape ({n_states},), got {array.shape}")
    bad = (array < 0) | (array >= n_actions)
    if bad.any():
        s = int(np.argmax(bad))
        raise InvalidValueError(
            f"{name}[{s}] = {array[s]} is not an action in [0, {n_actions}) (state={s})"
        )
    return np.array(array, dtype=np.int64)


def check_distribution(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (a numeric vector) as a float64 distribution: an initial distribution, a law.

    Every entry finite and >= 0 and the sum 1 within :data:`PROB_TOLERANCE`, else
    ``InvalidValueError`` naming the first offending entry or the sum. Callers check the
    dtype and the shape first. Not a copy when ``array`` is float64 already (a model's
    ``initial`` is checked in place).
    """
    array = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidValueError(f"{name}[{i}] = {array[i]} is not a probability")
    total = float(array.sum())
    if off_one(total):
        raise InvalidValueError(f"{name} sums to {total!r}; it must be a distribution summing to 1")
    return array


def check_distribution_rows(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (a numeric (S, A) matrix) as float64 rows that are distributions.

    The one check of action probabilities: every entry finite and >= 0 and every row summing
    to 1 within :data:`PROB_TOLERANCE`, else ``InvalidValueError`` naming the first
    offending state (and action). Callers check the dtype and the shape first (through
    :func:`check_action_probabilities`, which every public caller goes through).
    """
    array = np.array(array, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise InvalidValueError(
            f"{name}[{s}, {a}] = {array[s, a]} is not a probability (state={s}, action={a})"
        )
    totals = array.sum(axis=1)
    off = np.flatnonzero(off_one(totals))
    if off.size:
        s = int(off[0])
        raise InvalidValueError(
            f"{name}[{s}] sums to {float(totals[s])!r} (state={s}); the action "
            "probabilities of every state must sum to 1"
        )
    return array


def check_probability_shape(
    array: np.ndarray, name: str, n_states: int | None = None, n_actions: int | None = None
) -> None:
    """Refuse ``array`` unless it is a numeric (S, A) matrix, ``(n_states, n_actions)`` where given.

    The dtype and shape half of :func:`check_action_probabilities`.
    """
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"{name} must hold probabilities, got dtype {array.dtype}")
    if array.ndim != 2 or 0 in array.shape:
        raise InvalidValueError(
            f"{name} must be an (n_states, n_actions) matrix of action probabilities, "
            f"got shape {array.shape}"
        )
    for axis, size, what in ((0, n_states, "n_states"), (1, n_actions, "n_actions")):
        if size is not None and array.shape[axis] != size:
            raise InvalidValueError(
                f"{name} must have shape ({n_states}, {n_actions}) ({what} = {size}), "
                f"got {array.shape}"
            )


def check_action_probabilities(
    policy: npt.ArrayLike,
    name: str = "policy",
    n_states: int | None = None,
    n_actions: int | None = None,
) -> np.ndarray:
    """``policy`` as a new read-only float64 (S, A) matrix whose rows are distributions.

    Raises ``InvalidTypeError`` for a non-numeric dtype and ``InvalidValueError`` for another
    shape (than ``(n_states, n_actions)`` where given), a negative or non-finite entry, or a
    row not summing to 1 within :data:`PROB_TOLERANCE`, naming the first offending state.
    The one check of an (S, A) policy; :func:`check_policy` adds a model's action mask.

    Examples
    --------
    >>> from rlfoundations._validate import check_action_probabilities
    >>> check_action_probabilities([[0.5, 0.5], [0.0, 1.0]])
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    array = np.asarray(policy)
    check_probability_shape(array, name, n_states, n_actions)
    array = check_distribution_rows(array, name)
    array.setflags(write=False)
    return array


def _check_policy_matrix(mdp, array: np.ndarray, name: str) -> np.ndarray:
    array = check_action_probabilities(array, name, mdp.n_states, mdp.n_actions)
    check_policy_mask(mdp, array, name)
    return array


def check_policy_mask(mdp, probs: np.ndarray, name: str = "policy") -> None:
    """Refuse action probabilities ``probs`` (S, A) giving a masked action probability > 0.

    An action ``mdp.action_mask`` forbids must have probability 0; the error names the
    (state, action). The mask check of :func:`check_policy` (``stochastic=True``), for
    callers that check the rest of a probability matrix themselves.
    """
    mask = getattr(mdp, "action_mask", None)
    if mask is not None:
        forbidden = (probs > 0) & ~mask
        if forbidden.any():
            s, a = (int(i) for i in np.argwhere(forbidden)[0])
            raise InvalidValueError(
                f"{name}[{s}, {a}] = {probs[s, a]} gives a positive probability to an action "
                f"mdp.action_mask forbids (state={s}, action={a})"
            )


def check_values(mdp, values, *, name: str = "initial_values") -> np.ndarray:
    """A finite value per state of ``mdp``, as a new float64 array of shape (S,).

    Zeros when ``values`` is None.
    """
    if values is None:
        return np.zeros(mdp.n_states)
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"{name} must be an array of numbers of shape ({mdp.n_states},), got {values!r}"
        ) from None
    if array.shape != (mdp.n_states,):
        raise InvalidValueError(f"{name} must have shape ({mdp.n_states},), got {array.shape}")
    if not np.isfinite(array).all():
        s = int(np.argmin(np.isfinite(array)))
        raise InvalidValueError(f"{name}[{s}] = {array[s]} is not finite")
    return array
