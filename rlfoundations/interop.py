"""Models from other MDP libraries: pymdptoolbox's arrays and QuantEcon's ``DiscreteDP``.

Both libraries solve discounted problems that never end, so the models built here have no
terminating outcome; their infeasible (state, action) pairs (mdptoolbox's ``-inf`` rewards,
QuantEcon's ``-inf`` rewards or missing state-action pairs) become ``action_mask``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP

__all__ = ["from_mdptoolbox", "from_quantecon"]


def _dense(array, name: str) -> np.ndarray:
    """A scipy sparse matrix (or anything array-like) as a float64 ndarray."""
    if hasattr(array, "toarray"):
        array = array.toarray()
    array = np.asarray(array)
    if array.dtype == object:
        raise InvalidTypeError(f"{name} must be numeric, got an object array")
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"{name} must be numeric, got dtype {array.dtype}")
    return array.astype(np.float64)


def _masked_as_self_loops(P: np.ndarray, R: np.ndarray, allowed: np.ndarray):
    """Masked pairs as self-loops with reward 0, whatever the peer stored there.

    Their rows need not be distributions, and their outcomes are never meant to be used.
    """
    n_states = P.shape[0]
    if allowed.all():
        return P, R
    P = P.copy()
    R = R.copy()
    states, actions = np.nonzero(~allowed)
    P[states, actions, :] = 0.0
    P[states, actions, states] = 1.0
    R[states, actions] = 0.0
    if not (allowed.any(axis=1)).all():
        state = int(np.argmax(~allowed.any(axis=1)))
        raise InvalidValueError(f"state {state} has no feasible action (of {n_states} states)")
    return P, R


def from_mdptoolbox(
    P: Any, R: Any, *, initial: npt.ArrayLike | None = None, name: str | None = None
) -> TabularMDP:
    """Build a model from pymdptoolbox's ``(P, R)``.

    Parameters
    ----------
    P : array_like, shape (A, S, S), or a sequence of A (S, S) matrices (dense or scipy sparse)
        ``P[a][s, s']``: mdptoolbox's layout, action first (``TabularMDP.from_dense`` reads
        (S, A, S); the two cannot be told apart when S == A, hence this function).
    R : array_like, shape (S,), (S, A) or (A, S, S)
        Reward of the state, of (s, a), or of each transition ``R[a][s, s']``, as mdptoolbox
        accepts. ``-inf`` marks an infeasible pair: it is masked in ``action_mask``.
    initial : array_like, shape (S,), optional
        Initial-state distribution; uniform when omitted (mdptoolbox has none).
    name : str, optional
        Shown in ``repr``.

    Returns
    -------
    TabularMDP
        The same MDP with no terminating outcome: solve it with mdptoolbox's discount, e.g.
        ``rlf.value_iteration(mdp, gamma=0.9)`` for ``ValueIteration(P, R, 0.9)``.

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> P = np.array([[[0.5, 0.5], [0.8, 0.2]], [[0.0, 1.0], [0.1, 0.9]]])
    >>> R = np.array([[5.0, 10.0], [-1.0, 2.0]])  # mdptoolbox.example.small()
    >>> result = rlf.value_iteration(rlf.from_mdptoolbox(P, R), gamma=0.9, epsilon=1e-10)
    >>> result.values.round(3).tolist(), result.policy.tolist()
    ([42.442, 36.047], [1, 0])
    """
    if isinstance(P, np.ndarray) and P.ndim == 3:
        transitions = _dense(P, "P")
    else:
        try:
            transitions = np.stack([_dense(block, f"P[{a}]") for a, block in enumerate(P)])
        except (TypeError, ValueError) as error:
            raise InvalidValueError(f"P must be (A, S, S) or A matrices (S, S): {error}") from None
    if transitions.ndim != 3 or transitions.shape[1] != transitions.shape[2]:
        raise InvalidValueError(f"P must have shape (A, S, S), got {transitions.shape}")
    n_actions, n_states, _ = transitions.shape
    if hasattr(R, "toarray") or (
        isinstance(R, list | tuple)
        and len(R) == n_actions
        and (hasattr(R[0], "toarray") or np.ndim(R[0]) == 2)
    ):
        R = np.stack([_dense(block, f"R[{a}]") for a, block in enumerate(R)])
    rewards = _dense(R, "R")
    if rewards.shape == (n_states,):
        rewards = np.repeat(rewards[:, None], n_actions, axis=1)
    elif rewards.shape == (n_actions, n_states, n_states):
        # Expected reward of (s, a), as mdptoolbox computes it; -inf anywhere marks the pair.
        infeasible = np.isneginf(rewards).any(axis=2).T
        finite = np.where(np.isneginf(rewards), 0.0, rewards)
        rewards = np.einsum("ast,ast->sa", transitions, finite)
        rewards[infeasible] = -np.inf
    elif rewards.shape != (n_states, n_actions):
        raise InvalidValueError(
            f"R must have shape ({n_states},), ({n_states}, {n_actions}) or "
            f"({n_actions}, {n_states}, {n_states}), got {rewards.shape}"
        )
    dense = np.ascontiguousarray(transitions.transpose(1, 0, 2))
    if np.isnan(rewards).any() or np.isposinf(rewards).any():
        s, a = (int(i) for i in np.argwhere(~np.isfinite(rewards) & ~np.isneginf(rewards))[0])
        raise InvalidValueError(f"R at (state={s}, action={a}) is {rewards[s, a]}")
    allowed = ~np.isneginf(rewards)
    dense, rewards = _masked_as_self_loops(dense, np.where(allowed, rewards, 0.0), allowed)
    return TabularMDP.from_dense(
        dense,
        rewards,
        initial=initial,
        name=name or "mdptoolbox model",
        action_mask=None if allowed.all() else allowed,
    )


def from_quantecon(
    ddp: Any, *, initial: npt.ArrayLike | None = None, name: str | None = None
) -> TabularMDP:
    """Build a model from a QuantEcon ``DiscreteDP``, in product or state-action-pair form.

    Parameters
    ----------
    ddp : quantecon.markov.DiscreteDP
        Product form: ``R`` (n, m) and ``Q`` (n, m, n). State-action-pair form: ``R`` (L,),
        ``Q`` (L, n) (dense or scipy sparse) with ``s_indices`` and ``a_indices``. Pairs with
        ``R = -inf`` (product form) or not listed (pair form) are masked in ``action_mask``.
    initial : array_like, shape (n,), optional
        Initial-state distribution; uniform when omitted.
    name : str, optional
        Shown in ``repr``.

    Returns
    -------
    TabularMDP
        The same MDP with no terminating outcome; solve it with ``gamma=ddp.beta``.

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> from types import SimpleNamespace
    >>> ddp = SimpleNamespace(  # the attributes a DiscreteDP has, in product form
    ...     R=np.array([[5.0, 10.0], [-1.0, 2.0]]),
    ...     Q=np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.8, 0.2], [0.1, 0.9]]]),
    ...     beta=0.9, _sa_pair=False)
    >>> rlf.from_quantecon(ddp).n_states
    2
    """
    for attribute in ("R", "Q", "beta"):
        if not hasattr(ddp, attribute):
            raise InvalidTypeError(
                f"ddp must be a quantecon.markov.DiscreteDP (no attribute {attribute!r}), "
                f"got {type(ddp).__name__}"
            )
    if getattr(ddp, "_sa_pair", False):
        s_indices = np.asarray(ddp.s_indices, dtype=np.int64)
        a_indices = np.asarray(ddp.a_indices, dtype=np.int64)
        Q = _dense(ddp.Q, "ddp.Q")
        R = _dense(ddp.R, "ddp.R")
        n_states = Q.shape[1]
        n_actions = int(a_indices.max()) + 1
        dense = np.zeros((n_states, n_actions, n_states))
        rewards = np.full((n_states, n_actions), -np.inf)
        dense[s_indices, a_indices] = Q
        rewards[s_indices, a_indices] = R
    else:
        dense = _dense(ddp.Q, "ddp.Q")
        rewards = _dense(ddp.R, "ddp.R")
        if dense.ndim != 3 or rewards.shape != dense.shape[:2]:
            raise InvalidValueError(
                f"ddp.Q must be (n, m, n) and ddp.R (n, m), got {dense.shape} and {rewards.shape}"
            )
    allowed = ~np.isneginf(rewards)
    dense, rewards = _masked_as_self_loops(dense, np.where(allowed, rewards, 0.0), allowed)
    return TabularMDP.from_dense(
        dense,
        rewards,
        initial=initial,
        name=name or "QuantEcon DiscreteDP",
        action_mask=None if allowed.all() else allowed,
    )
