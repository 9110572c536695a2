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

from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = [
    "MAX_COUNT",
    "check_actions",
    "check_bool",
    "check_choice",
    "check_count",
    "check_fraction",
    "check_gamma",
    "check_int",
    "check_mdp",
    "check_optional_seed",
    "check_policy",
    "check_policy_mask",
    "check_positive",
    "check_seed",
    "check_values",
    "is_int",
    "is_number",
]


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
    probabilities (finite, >= 0, rows summing to 1 within ``PROB_TOLERANCE``), returned as a
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


def check_distribution_rows(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (a numeric (S, A) matrix) as float64 rows that are distributions.

    The one check of action probabilities: every entry finite and >= 0 and every row summing
    to 1 within :data:`rlfoundations.mdp.PROB_TOLERANCE`, else ``InvalidValueError`` naming
    the first offending state (and action). Callers check the dtype and the shape first.
    """
    from rlfoundations.mdp import PROB_TOLERANCE

    array = np.array(array, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise InvalidValueError(
            f"{name}[{s}, {a}] = {array[s, a]} is not a probability (state={s}, action={a})"
        )
    totals = array.sum(axis=1)
    off = np.flatnonzero(np.abs(totals - 1.0) > PROB_TOLERANCE)
    if off.size:
        s = int(off[0])
        raise InvalidValueError(
            f"{name}[{s}] sums to {float(totals[s])!r} (state={s}); the action "
            "probabilities of every state must sum to 1"
        )
    return array


def _check_policy_matrix(mdp, array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"{name} must hold probabilities, got dtype {array.dtype}")
    expected = (mdp.n_states, mdp.n_actions)
    if array.shape != expected:
        raise InvalidValueError(f"{name} must have shape {expected}, got {array.shape}")
    array = check_distribution_rows(array, name)
    check_policy_mask(mdp, array, name)
    array.setflags(write=False)
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
