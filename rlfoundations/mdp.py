"""TabularMDP: a finite MDP as padded outcome arrays, validated once at construction."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import KW_ONLY, InitVar, dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rlfoundations._validate import PROB_TOLERANCE, check_count, check_distribution, is_int, off_one
from rlfoundations.errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    import gymnasium as gym

__all__ = ["PROB_TOLERANCE", "TabularMDP", "check_unmasked"]

# PROB_TOLERANCE (imported above, public here): the largest allowed deviation of
# ``sum_k prob[s, a, k]``, of ``sum(initial)`` and of every other sum of probabilities from 1,
# defined once in rlfoundations._validate.


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.setflags(write=False)
    return view


def _dense_numbers(name: str, value) -> np.ndarray:
    """``value`` as a float64 array, refusing text, objects and complex numbers."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise InvalidValueError(f"{name} must be a rectangular array, got {error}") from None
    if array.dtype.kind not in "biuf":
        raise InvalidTypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    return array.astype(np.float64)


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    """Index of the first True entry of ``mask``, as a tuple of Python ints."""
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))


#: Entries per chunk of the construction checks: their temporaries stay this small (a few
#: MB) beside a model of any size, instead of one (S, A, K) bool array per comparison.
_CHECK_ENTRIES = 1 << 20


def _state_chunks(array: np.ndarray):
    """(first state, ``array[first:last]``) over chunks of about ``_CHECK_ENTRIES`` entries."""
    if array.ndim == 0 or array.shape[0] == 0:
        yield 0, array
        return
    per_state = max(1, array[0].size)
    step = max(1, _CHECK_ENTRIES // per_state)
    for first in range(0, array.shape[0], step):
        yield first, array[first : first + step]


def _first_bad(array: np.ndarray, is_bad) -> tuple[int, ...] | None:
    """Index of the first entry of ``array`` (C order) where ``is_bad`` is True, or None.

    ``is_bad`` maps a chunk of states to a bool array of its shape; checked chunk by chunk.
    """
    for first, chunk in _state_chunks(array):
        bad = is_bad(chunk)
        if bad.any():
            index = _first_index(bad)
            return (first + index[0], *index[1:])
    return None


def _check_factors(factors, n_states: int) -> tuple[tuple[str, int], ...]:
    """``factors`` as a tuple of (name, size) pairs whose sizes multiply to ``n_states``."""
    try:
        pairs = tuple((name, size) for name, size in factors)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"factors must be a sequence of (name, size) pairs, got {factors!r}"
        ) from None
    if not pairs:
        raise InvalidValueError("factors must name at least one factor")
    for name, size in pairs:
        if not isinstance(name, str) or not name:
            raise InvalidTypeError(f"factor names must be non-empty str, got {name!r}")
        if not is_int(size) or size <= 0:
            raise InvalidValueError(f"factor {name!r} must have an int size > 0, got {size!r}")
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise InvalidValueError(f"factor names must be distinct, got {names}")
    if math.prod(int(size) for _, size in pairs) != n_states:
        raise InvalidValueError(
            f"the factor sizes {[int(s) for _, s in pairs]} multiply to "
            f"{math.prod(int(s) for _, s in pairs)}, not n_states = {n_states}"
        )
    return tuple((name, int(size)) for name, size in pairs)


def _clip_tiny_negatives(array: np.ndarray) -> np.ndarray:
    """``array`` with entries in ``[-PROB_TOLERANCE, 0)`` set to 0 (read-only, as given).

    A probability computed as a complement (``1 - 0.9 - 0.1``) can come out a rounding error
    below zero; sums are tolerated within ``PROB_TOLERANCE``, so such entries are too.
    """
    tiny = (array < 0) & (array >= -PROB_TOLERANCE)
    if not tiny.any():
        return array
    clipped = np.where(tiny, 0.0, array)
    clipped.setflags(write=False)
    return clipped


class _FrozenKwargs(dict):
    """A read-only dict of make keyword arguments that pickles.

    A mappingproxy does not pickle, and models travel to process pools.
    """

    def _read_only(self, *args, **kwargs):
        raise InvalidTypeError("make_kwargs is read-only; build a new model with other kwargs")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __reduce__(self):
        return (_FrozenKwargs, (dict(self),))


def _check_action_mask(mask, shape: tuple[int, int]) -> np.ndarray:
    array = np.asarray(mask)
    if array.dtype.kind != "b":
        raise InvalidTypeError(
            f"action_mask must be a bool array of shape {shape} (True: allowed), "
            f"got dtype {array.dtype}"
        )
    if array.shape != shape:
        raise InvalidValueError(f"action_mask must have shape {shape}, got {array.shape}")
    none_allowed = ~array.any(axis=1)
    if none_allowed.any():
        state = int(np.argmax(none_allowed))
        raise InvalidValueError(
            f"action_mask allows no action in state {state} "
            f"({int(none_allowed.sum())} such states): every state needs one allowed action; "
            f"make a dead end an absorbing state with one allowed action instead"
        )
    array = np.array(array, dtype=np.bool_, order="C", copy=True)
    array.setflags(write=False)
    return array


def check_unmasked(mdp: TabularMDP, who: str) -> TabularMDP:
    """``mdp`` if every action is allowed everywhere.

    Else the error that ``who`` cannot honour ``mdp.action_mask`` yet.

    The exact solvers and the learners honour masks (the learners' own refusal, for one that
    does not yet, is :func:`rlfoundations.batch.check_mask_support`); a function that does
    not would choose masked actions and report values of a different problem, so it refuses
    a masked model through this one check.

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> from rlfoundations.mdp import check_unmasked
    >>> mdp = rlf.TabularMDP.from_dense(np.ones((1, 2, 1)), np.zeros((1, 2)))
    >>> check_unmasked(mdp, "td_prediction") is mdp
    True
    >>> masked = mdp.with_action_mask([[True, False]])
    >>> check_unmasked(masked, "td_prediction")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rlfoundations.errors.InvalidValueError: td_prediction cannot honour action_mask yet ...
    """
    if mdp.action_mask is None or mdp.action_mask.all():
        return mdp
    n_masked = int((~mdp.action_mask).sum())
    state, action = _first_index(~mdp.action_mask)
    raise InvalidValueError(
        f"{who} cannot honour action_mask yet ({n_masked} masked (state, action) pairs, "
        f"the first (state={state}, action={action})): it would choose masked actions and "
        f"solve a different problem. Solve the dense model with a library that honours "
        f"infeasible pairs (P, R = mdp.to_dense() gives R = -inf there, as mdptoolbox and "
        f"QuantEcon expect), or rebuild the model without the masked actions"
    )


def _as_array(name: str, value, kinds: str, dtype) -> np.ndarray:
    """Convert ``value`` to a read-only C-contiguous array of ``dtype`` without silent coercion.

    ``kinds`` lists the NumPy dtype kinds accepted ('b' bool, 'i'/'u' integers, 'f' floats).
    """
    array = np.asarray(value)
    if array.dtype.kind not in kinds:
        raise InvalidTypeError(
            f"{name} must have a dtype of kind {kinds!r} (got dtype {array.dtype}); "
            f"convert it explicitly, e.g. np.asarray({name}, dtype={np.dtype(dtype).name})"
        )
    # A private copy, made once into the final dtype: freezing it must not freeze (or
    # alias) the caller's array. The caller freezes it once its checks are done.
    return np.array(array, dtype=dtype, order="C", copy=True)


def _adopted(name: str, value, dtype) -> np.ndarray:
    """``value`` itself, for a model built with ``copy=False``.

    Else the error that says why it cannot be used as it is; nothing is changed.
    """
    want = "bool_" if np.dtype(dtype).kind == "b" else np.dtype(dtype).name
    if type(value) is not np.ndarray:
        raise InvalidTypeError(
            f"{name} must be a NumPy array (not a subclass) to be adopted with copy=False, got "
            f"{type(value).__name__}: pass np.asarray({name}, dtype=np.{want}) or copy=True"
        )
    if value.dtype != dtype:
        raise InvalidTypeError(
            f"{name} has dtype {value.dtype}, and copy=False adopts {np.dtype(dtype).name} "
            f"arrays only: pass {name}.astype(np.{want}) or copy=True"
        )
    if not value.flags.c_contiguous:
        raise InvalidValueError(
            f"{name} is not C-contiguous, and copy=False adopts C-contiguous arrays only: "
            f"pass np.ascontiguousarray({name}) or copy=True"
        )
    owner = _owner(value)
    if owner is not None and not _read_only_buffer(owner):
        raise InvalidValueError(
            f"{name} views a writable {type(owner).__name__} that the model cannot make "
            f"read-only (its memory could change under the model): pass copy=True"
        )
    return value


def adoptable(fields: Mapping[str, Any]) -> bool:
    """Whether ``TabularMDP(**fields, copy=False)`` can keep the arrays of ``fields`` as given.

    So they must pass every check of ``copy=False`` and be writable (as a file's arrays are
    when just loaded). A caller adopts only arrays that are its own: nothing here can tell
    whether anyone else still holds them.
    """
    try:
        arrays = {
            name: _adopted(name, fields.get(name), dtype)
            for name, (_, dtype) in _ARRAY_FIELDS.items()
        }
    except (InvalidTypeError, InvalidValueError):
        return False
    return all(array.flags.writeable for array in arrays.values()) and _shared(arrays) is None


def _shared(arrays: Mapping[str, np.ndarray]) -> tuple[str, str] | None:
    """The first two of ``arrays`` (by name) that may share memory, or None."""
    names = list(arrays)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if np.may_share_memory(arrays[first], arrays[second]):
                return first, second
    return None


def _read_only_buffer(owner) -> bool:
    try:
        return memoryview(owner).readonly
    except TypeError:  # not a buffer: nothing says it cannot change
        return False


def _base_chain(array: np.ndarray):
    """``array``, then every object whose memory it views, down to the owner."""
    link: Any = array
    while link is not None:
        yield link
        viewing = hasattr(link, "__array_interface__") and hasattr(link, "base")
        link = link.base if viewing else None


def _owner(array: np.ndarray):
    """The foreign object at the end of ``array``'s chain of bases, or None.

    A bytearray, an mmap, ...: None if a NumPy array owns the memory.
    """
    *_, last = _base_chain(array)
    return None if isinstance(last, np.ndarray) else last


def _tiny_negatives(chunk: np.ndarray) -> np.ndarray:
    """Where ``chunk`` of probabilities is negative within ``PROB_TOLERANCE`` of 0."""
    return (chunk < 0) & (chunk >= -PROB_TOLERANCE)


def _clipped(chunk: np.ndarray) -> np.ndarray:
    """``chunk`` of probabilities as the model stores them.

    The negative entries within ``PROB_TOLERANCE`` of 0 read as 0 (a copy only where there
    are any).
    """
    tiny = _tiny_negatives(chunk)
    return np.where(tiny, 0.0, chunk) if tiny.any() else chunk


def _unchanged(chunk: np.ndarray) -> np.ndarray:
    return chunk


def _clip_in_place(array: np.ndarray) -> None:
    """Set the negative entries of ``array`` within ``PROB_TOLERANCE`` of 0 to 0, in place."""
    for _, chunk in _state_chunks(array):
        chunk[_tiny_negatives(chunk)] = 0.0


def _needs_clipping(array: np.ndarray) -> bool:
    return any(bool(_tiny_negatives(chunk).any()) for _, chunk in _state_chunks(array))


def _freeze(array: np.ndarray) -> None:
    """Make ``array`` and every array it is a view of read-only."""
    for link in _base_chain(array):
        if isinstance(link, np.ndarray):
            link.setflags(write=False)


#: The model's arrays: the dtype kinds each accepts and the dtype it is stored in.
_ARRAY_FIELDS = {
    "next_state": ("iu", np.int64),
    "prob": ("fiu", np.float64),
    "reward": ("fiu", np.float64),
    "terminated": ("b", np.bool_),
    "initial": ("fiu", np.float64),
}


@dataclass(frozen=True, eq=False, repr=False)
class TabularMDP:
    """A finite Markov decision process stored as padded outcome arrays.

    Each (state, action) pair has ``K = max_outcomes`` outcome slots. Slot ``k`` says: with
    probability ``prob[s, a, k]`` the env moves to ``next_state[s, a, k]``, pays
    ``reward[s, a, k]`` and, if ``terminated[s, a, k]``, the episode ends (nothing is
    bootstrapped from the next state). Unused slots have probability 0.

    The arrays are checked once, here; every solver and learner trusts them afterwards.
    Arrays are stored read-only.

    Parameters
    ----------
    next_state : array_like of int, shape (S, A, K)
        Next state of each outcome, in ``[0, S)``.
    prob : array_like of float, shape (S, A, K)
        Probability of each outcome: ``>= 0`` and summing to 1 over ``k`` for every (s, a)
        (within ``PROB_TOLERANCE``).
    reward : array_like of float, shape (S, A, K)
        Finite reward of each outcome.
    terminated : array_like of bool, shape (S, A, K)
        Whether the outcome ends the episode.
    initial : array_like of float, shape (S,)
        Initial-state distribution.
    max_episode_steps : int or None
        The env's time limit: a truncation, not a termination. Exact solvers ignore it (they
        solve the infinite-horizon problem); learners use it to cut simulated episodes.
    name : str or None
        Where the model came from (an env id, say); shown in ``repr``.
    factors : sequence of (str, int) pairs, optional
        The state as named factors: ``(("row", 5), ("col", 5), ...)``. The state index is
        their mixed-radix encoding, the first factor most significant (NumPy's C order, as
        Taxi's ``encode``), so the sizes must multiply to ``n_states``. See :meth:`decode`
        and :meth:`encode`.
    action_mask : array_like of bool, shape (S, A), optional
        ``action_mask[s, a]`` is False where action ``a`` is not allowed in state ``s`` (a
        peer library's infeasible pair: mdptoolbox's ``-inf`` reward, QuantEcon's missing
        state-action pair). Every state must allow at least one action. The outcome arrays
        of a masked pair must still be valid (a self-loop with reward 0 will do); they are
        never meant to be used. Every solver and learner honours the mask; a function that
        cannot, refuses a model with a masked pair (see :func:`check_unmasked`).
    make_kwargs : mapping of str, optional
        The keyword arguments the env was made with (``desc=...``, ``is_slippery=...``),
        kept so that the env can be made again as it was (plots draw its real map). Stored
        as a read-only mapping.
    states : sequence of hashable, optional
        What each state index stands for, e.g. the simulator states of
        :func:`rlfoundations.from_simulator`: ``states[i]`` is state ``i``.
    copy : bool, default True
        True: the model keeps its own copies of ``next_state``, ``prob``, ``reward``,
        ``terminated`` and ``initial`` (your arrays stay yours). False: it adopts the arrays
        you pass, without a copy, so that a model too large to hold twice can be built; each
        must then be a NumPy array of the stored dtype (int64, float64, float64, bool,
        float64), C-contiguous, sharing no memory with the others, or a ``TypeError`` /
        ``ValueError`` says which and why, before anything is changed. Once every check
        passes, the arrays become the model's: they (and any arrays they are views of) are
        made read-only, and negative probabilities within ``PROB_TOLERANCE`` of 0 are set to 0
        in place. An array viewing a writable buffer that is not a NumPy array (a bytearray,
        a writable mmap) is refused. What the model cannot guard: views of the arrays made
        before, a file behind a memory map changed by another process, and setting the
        writeable flag back. Write nothing to the arrays' memory afterwards: solvers keep a
        kernel layout per model, and its answers would silently disagree with the arrays.
        Freezing a view freezes the whole array it views.

    Raises
    ------
    TypeError
        An array has the wrong kind of dtype (floats where ints are meant, ...).
    ValueError
        Shapes disagree, or a value breaks a rule; the message names the field and the first
        offending (state, action). With ``copy=False``, also an array that cannot be adopted
        (not C-contiguous, sharing memory with another, viewing a writable foreign buffer,
        read-only where it must be clipped); a wrong dtype is a ``TypeError``.

    Examples
    --------
    A two-state chain: action 0 stays (reward 0), action 1 moves on and ends the episode
    from state 1 (reward 1).

    >>> import numpy as np
    >>> from rlfoundations import TabularMDP
    >>> mdp = TabularMDP(
    ...     next_state=[[[0], [1]], [[1], [1]]],
    ...     prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
    ...     reward=[[[0.0], [0.0]], [[0.0], [1.0]]],
    ...     terminated=[[[False], [False]], [[False], [True]]],
    ...     initial=[1.0, 0.0],
    ... )
    >>> mdp
    TabularMDP(n_states=2, n_actions=2, max_outcomes=1, max_episode_steps=None)

    A large model's arrays, adopted rather than copied (``copy=False``):

    >>> prob = np.ones((2, 2, 1))
    >>> big = TabularMDP(
    ...     next_state=np.array([[[0], [1]], [[1], [1]]], dtype=np.int64),
    ...     prob=prob,
    ...     reward=np.zeros((2, 2, 1)),
    ...     terminated=np.zeros((2, 2, 1), dtype=bool),
    ...     initial=np.array([1.0, 0.0]),
    ...     copy=False,
    ... )
    >>> big.prob is prob, prob.flags.writeable
    (True, False)
    """

    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    initial: np.ndarray
    max_episode_steps: int | None = None
    name: str | None = None
    factors: tuple[tuple[str, int], ...] | None = None
    action_mask: np.ndarray | None = None
    make_kwargs: Mapping | None = None
    states: tuple | None = None
    _: KW_ONLY
    copy: InitVar[bool] = True

    def __post_init__(self, copy: bool) -> None:
        if not isinstance(copy, bool):
            raise InvalidTypeError(f"copy must be True or False, got {copy!r}")
        if not copy:
            self._adopt()
            return
        fields = {
            name: _as_array(name, getattr(self, name), kinds, dtype)
            for name, (kinds, dtype) in _ARRAY_FIELDS.items()
        }
        # The copies are private: clip them in place (a second copy would double the peak).
        for name in ("prob", "initial"):
            _clip_in_place(fields[name])
        for name, array in fields.items():
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        self._validate()

    def _adopt(self) -> None:
        """``copy=False``: keep the arrays as given.

        They are checked before anything of them is changed, then clipped in place and made
        read-only (with every array they are views of).
        """
        fields = {
            name: _adopted(name, getattr(self, name), dtype)
            for name, (_, dtype) in _ARRAY_FIELDS.items()
        }
        shared = _shared(fields)
        if shared is not None:
            first, second = shared
            raise InvalidValueError(
                f"{first} and {second} share memory, and copy=False needs an array of its "
                f"own for each: pass copy=True"
            )
        for name, array in fields.items():
            object.__setattr__(self, name, array)
        self._validate(adopting=True)
        clip = [name for name in ("prob", "initial") if _needs_clipping(fields[name])]
        for name in clip:
            if not fields[name].flags.writeable:
                raise InvalidValueError(
                    f"{name} has negative entries within PROB_TOLERANCE of 0, which the model "
                    f"sets to 0 in place with copy=False, but {name} is read-only: pass "
                    f"copy=True"
                )
        for name in clip:
            _clip_in_place(fields[name])
        for array in fields.values():
            _freeze(array)

    def _validate(self, adopting: bool = False) -> None:
        # An adopting model (copy=False) clips its arrays only once they pass: read them as
        # clipped here. A copying model's are clipped already.
        read = _clipped if adopting else _unchanged
        shape = self.next_state.shape
        if len(shape) != 3:
            raise InvalidValueError(
                f"next_state must have shape (n_states, n_actions, max_outcomes), got {shape}"
            )
        n_states, n_actions, n_outcomes = shape
        if n_states == 0 or n_actions == 0 or n_outcomes == 0:
            raise InvalidValueError(f"next_state must have no empty axis, got shape {shape}")
        for name in ("prob", "reward", "terminated"):
            if getattr(self, name).shape != shape:
                raise InvalidValueError(
                    f"{name} has shape {getattr(self, name).shape}, "
                    f"but next_state has shape {shape}"
                )
        if self.initial.shape != (n_states,):
            raise InvalidValueError(
                f"initial must have shape ({n_states},), got {self.initial.shape}"
            )

        found = _first_bad(self.next_state, lambda chunk: (chunk < 0) | (chunk >= n_states))
        if found is not None:
            s, a, k = found
            raise InvalidValueError(
                f"next_state[{s}, {a}, {k}] = {self.next_state[s, a, k]} is out of range "
                f"[0, {n_states}) at (state={s}, action={a})"
            )
        found = _first_bad(self.prob, lambda chunk: ~np.isfinite(chunk) | (read(chunk) < 0))
        if found is not None:
            s, a, k = found
            raise InvalidValueError(
                f"prob[{s}, {a}, {k}] = {self.prob[s, a, k]} is not a probability "
                f"at (state={s}, action={a})"
            )
        found = _first_bad(self.prob, lambda chunk: off_one(read(chunk).sum(axis=2))[:, :, None])
        if found is not None:
            s, a, _ = found
            raise InvalidValueError(
                f"prob sums to {float(read(self.prob[s, a]).sum())!r} at (state={s}, "
                f"action={a}); "
                f"the outcome probabilities of every (state, action) must sum to 1"
            )
        found = _first_bad(self.reward, lambda chunk: ~np.isfinite(chunk))
        if found is not None:
            s, a, k = found
            raise InvalidValueError(
                f"reward[{s}, {a}, {k}] = {self.reward[s, a, k]} is not finite "
                f"at (state={s}, action={a})"
            )
        check_distribution(read(self.initial), "initial")
        steps = self.max_episode_steps
        if steps is not None:
            message = f"max_episode_steps must be a positive int or None, got {steps!r}"
            if not is_int(steps):
                raise InvalidTypeError(message)
            if steps <= 0:
                raise InvalidValueError(message)
            steps = check_count("max_episode_steps", steps)
            object.__setattr__(self, "max_episode_steps", steps)
        if self.factors is not None:
            object.__setattr__(self, "factors", _check_factors(self.factors, n_states))
        if self.action_mask is not None:
            mask = _check_action_mask(self.action_mask, (n_states, n_actions))
            object.__setattr__(self, "action_mask", mask)
        if self.make_kwargs is not None:
            if not isinstance(self.make_kwargs, Mapping) or not all(
                isinstance(key, str) for key in self.make_kwargs
            ):
                raise InvalidTypeError(
                    f"make_kwargs must be a mapping of str keyword names, got {self.make_kwargs!r}"
                )
            object.__setattr__(self, "make_kwargs", _FrozenKwargs(self.make_kwargs))
        if self.states is not None:
            labels = tuple(self.states)
            if len(labels) != n_states:
                raise InvalidValueError(
                    f"states must label every state: {n_states} expected, got {len(labels)}"
                )
            object.__setattr__(self, "states", labels)

    # -- shape ---------------------------------------------------------------------------------
    @property
    def allowed(self) -> np.ndarray:
        """(S, A) bool: the actions allowed in each state (all True without ``action_mask``)."""
        if self.action_mask is not None:
            return self.action_mask
        return _read_only(np.ones((self.n_states, self.n_actions), dtype=bool))

    def with_action_mask(self, action_mask: npt.ArrayLike | None) -> TabularMDP:
        """The same model where only the actions ``action_mask[s, a]`` is True for are allowed.

        The new model shares this one's (read-only) arrays: only the mask is copied.
        """
        return self._derive(action_mask=action_mask)

    def _derive(self, **changes) -> TabularMDP:
        """A model like this one but for the dataclass fields ``changes``, sharing its arrays.

        Its five outcome arrays are read-only, of the stored dtypes and its own (or adopted
        under the ``copy=False`` contract), so the new model adopts them instead of copying
        them (a copy would double the memory of a large model); an outcome array given in
        ``changes`` is copied first, as the constructor copies it. Every check runs again.
        """
        for name, (kinds, dtype) in _ARRAY_FIELDS.items():
            # A writable one (its flag turned back on by hand) is not shared: copied.
            if name in changes or getattr(self, name).flags.writeable:
                given = changes.get(name, getattr(self, name))
                changes[name] = _as_array(name, given, kinds, dtype)
        return dataclasses.replace(self, copy=False, **changes)

    def __setstate__(self, state: dict) -> None:
        # Unpickled (or deep-copied) arrays come back writable: read-only again, as built.
        for value in state.values():
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value.setflags(write=False)
        self.__dict__.update(state)

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.next_state.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return self.next_state.shape[1]

    @property
    def max_outcomes(self) -> int:
        """Number of outcome slots K per (state, action)."""
        return self.next_state.shape[2]

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return (
            f"TabularMDP(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"max_outcomes={self.max_outcomes}, max_episode_steps={self.max_episode_steps}{name})"
        )

    # -- named factors -------------------------------------------------------------------------
    def decode(self, state: int) -> dict[str, int]:
        """The named factor values of state index ``state`` (needs ``factors``).

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> mdp = rlf.TabularMDP.from_dense([[[1.0, 0.0]], [[0.0, 1.0]]], [[0.0], [0.0]])
        >>> mdp = mdp.with_factors((("row", 1), ("col", 2)))
        >>> mdp.decode(1)
        {'row': 0, 'col': 1}
        >>> mdp.encode(row=0, col=1)
        1
        """
        names, sizes = self._factor_schema()
        if not is_int(state):
            raise InvalidTypeError(f"state must be an int, got {state!r}")
        if not 0 <= state < self.n_states:
            raise InvalidValueError(f"state must be in [0, {self.n_states}), got {state!r}")
        values = np.unravel_index(int(state), sizes)
        return {name: int(value) for name, value in zip(names, values, strict=True)}

    def encode(self, **values: int) -> int:
        """The state index of the named factor values (every factor given; needs ``factors``)."""
        names, sizes = self._factor_schema()
        if set(values) != set(names):
            raise InvalidValueError(
                f"encode needs exactly the factors {list(names)}, got {sorted(values)}"
            )
        for name, size in zip(names, sizes, strict=True):
            value = values[name]
            if not is_int(value):
                raise InvalidTypeError(f"{name} must be an int, got {value!r}")
            if not 0 <= value < size:
                raise InvalidValueError(f"{name} must be in [0, {size}), got {value!r}")
        return int(np.ravel_multi_index(tuple(int(values[n]) for n in names), sizes))

    def with_factors(self, factors: tuple[tuple[str, int], ...] | None) -> TabularMDP:
        """The same model with the state schema ``factors`` (see the class docstring).

        The new model shares this one's (read-only) arrays.
        """
        return self._derive(factors=factors)

    def _factor_schema(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        if self.factors is None:
            raise InvalidValueError("this model has no factors; build it with factors=...")
        names = tuple(name for name, _ in self.factors)
        sizes = tuple(size for _, size in self.factors)
        return names, sizes

    # -- derived arrays the kernels read ---------------------------------------------------------
    @property
    def expected_reward(self) -> np.ndarray:
        """Expected immediate reward ``R(s, a) = sum_k prob * reward``, shape (S, A).

        Summed outcome by outcome, in slot order, as the reference twins do. Computed on
        each access (a new read-only array; keep it if you index it repeatedly): the solvers
        keep their own copy, in the kernels' layout, and a cached one beside it would hold
        another 8 bytes a (state, action) pair for as long as the model lives.
        """
        expected = np.zeros((self.n_states, self.n_actions))
        for k in range(self.max_outcomes):
            expected += self.prob[:, :, k] * self.reward[:, :, k]
        expected.setflags(write=False)
        return expected

    @property
    def continue_prob(self) -> np.ndarray:
        """Probability of each outcome that continues the episode, shape (S, A, K).

        ``prob`` where the outcome does not terminate, 0 where it does: a backup then reads
        ``R(s, a) + gamma * sum_k continue_prob * V[next_state]`` with no branch. Computed on
        each access (a new read-only array; keep it if you index it repeatedly), like
        :attr:`expected_reward`: a cached one would hold 8 more bytes a slot for as long as
        the model lives.
        """
        weights = np.where(self.terminated, 0.0, self.prob)
        weights.setflags(write=False)
        return weights

    @cached_property
    def can_terminate(self) -> bool:
        """Whether some outcome with positive probability ends the episode."""
        # Chunk by chunk: two (S, A, K) bool temporaries would add 2 bytes a slot to a
        # solve's peak.
        return any(
            bool((chunk & (self.prob[first : first + len(chunk)] > 0)).any())
            for first, chunk in _state_chunks(self.terminated)
        )

    @property
    def successor(self) -> np.ndarray:
        """``next_state`` as int32 (half the bytes per backup), shape (S, A, K).

        Computed on each access, like :attr:`continue_prob` (``next_state`` itself for a
        model of more than 2**31 - 1 states).
        """
        if self.n_states > np.iinfo(np.int32).max:
            return self.next_state
        successor = self.next_state.astype(np.int32)
        successor.setflags(write=False)
        return successor

    # -- back into Gymnasium ---------------------------------------------------------------------
    def to_env(self, render_mode: str | None = None) -> gym.Env:
        """A Gymnasium env that samples this model.

        It passes ``gymnasium.utils.env_checker.check_env``, exposes ``P`` in the toy-text
        form (so :func:`rlfoundations.from_env` reads this model back), and puts the allowed
        actions in ``info["action_mask"]`` when the model masks some. With
        ``max_episode_steps`` set, the env is wrapped in ``gymnasium.wrappers.TimeLimit``.

        Parameters
        ----------
        render_mode : {None, "ansi"}
            ``"ansi"``: ``render()`` returns the state (and its named factors) as text.

        Returns
        -------
        gymnasium.Env
            A :class:`rlfoundations.envs.tabular.TabularEnv`, in a ``TimeLimit`` when the
            model has a time limit.

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> env = rlf.problems.random_walk().to_env()
        >>> state, info = env.reset(seed=0)
        >>> env.unwrapped.P[state][0]
        [(0.5, 2, 0.0, False), (0.5, 4, 0.0, False)]
        """
        from gymnasium.wrappers import TimeLimit

        from rlfoundations.envs.tabular import TabularEnv

        env = TabularEnv(self, render_mode=render_mode)
        if self.max_episode_steps is not None:
            return TimeLimit(env, max_episode_steps=self.max_episode_steps)
        return env

    # -- conversion ----------------------------------------------------------------------------
    def to_dense(self, *, absorbing: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Return the dense transition tensor and expected rewards.

        Parameters
        ----------
        absorbing : bool
            Add one absorbing, zero-reward state (index ``S``) that every terminating
            outcome leads to, so that a library without a notion of termination solves the
            same episodic problem: its values of states ``0 .. S-1`` are then ours.

        Returns
        -------
        P : ndarray, shape (S, A, S), or (S + 1, A, S + 1) with ``absorbing``
            ``P[s, a, s']``, the probability of moving to ``s'``; every ``P[s, a]`` sums to 1,
            as other MDP libraries expect.
        R : ndarray, shape (S, A), or (S + 1, A) with ``absorbing``
            Expected immediate reward; ``-inf`` at the pairs ``action_mask`` forbids, as
            mdptoolbox and QuantEcon mark infeasible pairs (``from_dense`` reads them back as
            masked).

        Notes
        -----
        Without ``absorbing``, terminating outcomes go to their ``next_state`` and the dense
        model forgets that the episode ended there: its values differ from this model's
        wherever that next state is not itself absorbing with zero reward (Taxi's drop-off
        leads to an ordinary state, so Taxi's values differ). ``from_dense(P, R,
        terminal=...)`` goes back, with ``terminal`` marking the absorbing state.

        Examples
        --------
        >>> import numpy as np
        >>> from rlfoundations import TabularMDP
        >>> mdp = TabularMDP.from_dense(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.ones((2, 1)))
        >>> P, R = mdp.to_dense()
        >>> P.shape, R.shape
        ((2, 1, 2), (2, 1))
        >>> P, R = mdp.to_dense(absorbing=True)
        >>> P.shape, P[2, 0, 2], R[2, 0]
        ((3, 1, 3), np.float64(1.0), np.float64(0.0))
        """
        n_states = self.n_states + (1 if absorbing else 0)
        dense = np.zeros((n_states, self.n_actions, n_states))
        states = np.arange(self.n_states)[:, None]
        actions = np.arange(self.n_actions)[None, :]
        for k in range(self.max_outcomes):
            target = self.next_state[:, :, k]
            if absorbing:
                target = np.where(self.terminated[:, :, k], self.n_states, target)
            np.add.at(dense, (states, actions, target), self.prob[:, :, k])
        rewards = np.zeros((n_states, self.n_actions))
        rewards[: self.n_states] = self.expected_reward
        if self.action_mask is not None:
            rewards[: self.n_states][~self.action_mask] = -np.inf
        if absorbing:
            dense[self.n_states, :, self.n_states] = 1.0
        return dense, rewards

    @classmethod
    def from_dense(
        cls,
        P: npt.ArrayLike,
        R: npt.ArrayLike,
        *,
        terminal: npt.ArrayLike | None = None,
        initial: npt.ArrayLike | None = None,
        max_episode_steps: int | None = None,
        name: str | None = None,
        action_mask: npt.ArrayLike | None = None,
    ) -> TabularMDP:
        """Build a model from a dense transition tensor and rewards.

        Parameters
        ----------
        P : array_like, shape (S, A, S)
            Transition probabilities ``P[s, a, s']``.
        R : array_like, shape (S, A) or (S, A, S)
            Expected reward of (s, a), or reward of each transition (s, a, s'). A pair whose
            reward is ``-inf`` (every entry of it, with the (S, A, S) form) is infeasible; it
            is masked in ``action_mask`` and its reward set to 0.
        terminal : array_like of bool, shape (S,), optional
            States whose entry ends the episode: a transition into one is ``terminated``.
        initial : array_like, shape (S,), optional
            Initial-state distribution; uniform when omitted.
        max_episode_steps, name, action_mask
            As in :class:`TabularMDP`.

        Returns
        -------
        TabularMDP
            One outcome slot per reachable next state (``K`` = the largest number of
            reachable next states of any (s, a)).

        Notes
        -----
        ``P`` is read as (state, action, next state). pymdptoolbox's arrays are (action,
        state, next state): when S != A the shape check refuses them, but when S == A (its
        own ``small()`` example has 2 states and 2 actions) a transposed array is a valid
        (S, A, S) tensor of another MDP, and nothing here can tell. Build models from
        mdptoolbox arrays with :meth:`from_mdptoolbox`, and from QuantEcon's ``DiscreteDP``
        with :meth:`from_quantecon`.

        Examples
        --------
        >>> import numpy as np
        >>> from rlfoundations import TabularMDP
        >>> P = np.array([[[0.9, 0.1], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
        >>> R = np.array([[0.0, 1.0], [0.0, 0.0]])
        >>> TabularMDP.from_dense(P, R).max_outcomes
        2
        """
        P = _dense_numbers("P", P)
        R = _dense_numbers("R", R)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise InvalidValueError(f"P must have shape (S, A, S), got {P.shape}")
        n_states, n_actions, _ = P.shape
        if n_states == 0:
            raise InvalidValueError(f"P must have at least one state, got shape {P.shape}")
        if n_actions == 0:
            raise InvalidValueError(f"P must have at least one action, got shape {P.shape}")
        if R.shape not in ((n_states, n_actions), P.shape):
            raise InvalidValueError(
                f"R must have shape {(n_states, n_actions)} or {P.shape}, got {R.shape}"
            )
        P = _clip_tiny_negatives(P)
        bad = ~np.isfinite(P) | (P < 0)
        if bad.any():
            s, a, t = _first_index(bad)
            raise InvalidValueError(f"P[{s}, {a}, {t}] = {P[s, a, t]} is not a probability")
        infeasible = np.isneginf(R) if R.ndim == 2 else np.isneginf(R).all(axis=2)
        if R.ndim == 3 and (np.isneginf(R).any(axis=2) & ~infeasible).any():
            s, a = _first_index(np.isneginf(R).any(axis=2) & ~infeasible)  # type: ignore[arg-type]
            raise InvalidValueError(
                f"R[{s}, {a}] is -inf for some next states only; mark an infeasible pair "
                f"with -inf for every next state"
            )
        if infeasible.any():
            R = np.where(np.isneginf(R), 0.0, R)
            if action_mask is not None:
                raise InvalidValueError(
                    "give infeasible pairs by -inf rewards or action_mask, not both"
                )
            action_mask = ~infeasible
        support = P > 0
        n_outcomes = max(int(support.sum(axis=2).max()), 1)
        # Stable argsort puts the reachable next states first, in increasing order.
        order = np.argsort(~support, axis=2, kind="stable")[:, :, :n_outcomes]
        next_state = order.astype(np.int64)
        prob = np.take_along_axis(P, order, axis=2)
        used = np.take_along_axis(support, order, axis=2)
        # Unused slots point at state 0 with probability 0, the padding convention.
        next_state = np.where(used, next_state, 0)
        prob = np.where(used, prob, 0.0)
        if R.ndim == 2:
            reward = np.repeat(R[:, :, None], n_outcomes, axis=2)
        else:
            reward = np.take_along_axis(R, order, axis=2)
        reward = np.where(used, reward, 0.0)
        if terminal is None:
            terminated = np.zeros_like(used)
        else:
            given = np.asarray(terminal)
            if given.dtype.kind != "b" and not (
                given.dtype.kind in "iu" and np.isin(given, (0, 1)).all()
            ):
                raise InvalidTypeError(
                    f"terminal must be booleans (or 0/1), got dtype {given.dtype}"
                )
            terminal = given.astype(bool)
            if terminal.shape != (n_states,):
                raise InvalidValueError(
                    f"terminal must have shape ({n_states},), got {terminal.shape}"
                )
            terminated = terminal[next_state] & used
        if initial is None:
            initial = np.full(n_states, 1.0 / n_states)
        return cls(
            next_state=next_state,
            prob=prob,
            reward=reward,
            terminated=terminated,
            initial=initial,  # type: ignore[arg-type]
            max_episode_steps=max_episode_steps,
            name=name,
            action_mask=action_mask,  # type: ignore[arg-type]
        )

    @classmethod
    def from_mdptoolbox(
        cls, P: Any, R: Any, *, initial: npt.ArrayLike | None = None, name: str | None = None
    ) -> TabularMDP:
        """Build a model from pymdptoolbox's ``(P, R)``.

        See :func:`rlfoundations.interop.from_mdptoolbox`.

        Examples
        --------
        >>> import numpy as np
        >>> from rlfoundations import TabularMDP
        >>> P = np.array([[[0.5, 0.5], [0.8, 0.2]], [[0.0, 1.0], [0.1, 0.9]]])  # (A, S, S)
        >>> R = np.array([[5.0, 10.0], [-1.0, 2.0]])  # (S, A)
        >>> mdp = TabularMDP.from_mdptoolbox(P, R)
        >>> mdp.to_dense()[0][1, 0].tolist()  # state 1, action 0: mdptoolbox's P[0][1]
        [0.8, 0.2]
        """
        from rlfoundations.interop import from_mdptoolbox

        return from_mdptoolbox(P, R, initial=initial, name=name)

    @classmethod
    def from_quantecon(
        cls, ddp: Any, *, initial: npt.ArrayLike | None = None, name: str | None = None
    ) -> TabularMDP:
        """Build a model from a QuantEcon ``DiscreteDP``.

        See :func:`rlfoundations.interop.from_quantecon`.
        """
        from rlfoundations.interop import from_quantecon

        return from_quantecon(ddp, initial=initial, name=name)
