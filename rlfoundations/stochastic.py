"""Stochastic policies: (S, A) matrices of action probabilities.

Checked once, and the one-action model a stochastic policy induces.

A policy ``pi[s, a]`` turns the model into a Markov reward process: in state ``s`` every
outcome ``k`` of every action ``a`` happens with probability ``pi[s, a] * prob[s, a, k]``.
:func:`induced_mdp` writes that process as a one-action :class:`TabularMDP` with ``A * K``
outcome slots, so the exact (and iterative) evaluation of deterministic policies evaluates
stochastic ones too, unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import PROB_TOLERANCE, TabularMDP

__all__ = ["check_policy_matrix", "induced_mdp", "is_policy_matrix"]


def is_policy_matrix(policy: npt.ArrayLike) -> bool:
    """Whether ``policy`` is two-dimensional (a stochastic policy), not an (S,) action list."""
    return np.ndim(policy) == 2


def check_policy_matrix(mdp: TabularMDP, policy: npt.ArrayLike, name: str = "policy") -> np.ndarray:
    """``policy`` as a read-only float (S, A) matrix whose rows are distributions.

    Raises ``InvalidTypeError`` for a non-numeric dtype and ``InvalidValueError`` for the
    wrong shape, a negative or non-finite entry, or a row not summing to 1 within
    ``PROB_TOLERANCE``, naming the first offending state (and action).
    """
    array = np.asarray(policy)
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"{name} must hold probabilities, got dtype {array.dtype}")
    expected = (mdp.n_states, mdp.n_actions)
    if array.shape != expected:
        raise InvalidValueError(f"{name} must have shape {expected}, got {array.shape}")
    array = np.array(array, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        s, a = (int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
        raise InvalidValueError(
            f"{name}[{s}, {a}] = {array[s, a]} is not a probability (state={s}, action={a})"
        )
    totals = array.sum(axis=1)
    bad = np.abs(totals - 1.0) > PROB_TOLERANCE
    if bad.any():
        s = int(np.argmax(bad))
        raise InvalidValueError(
            f"{name}[{s}] sums to {float(totals[s])!r} (state={s}); the action "
            "probabilities of every state must sum to 1"
        )
    array.setflags(write=False)
    return array


def induced_mdp(mdp: TabularMDP, policy: np.ndarray) -> TabularMDP:
    """The one-action model of ``mdp`` run under the checked (S, A) ``policy``.

    Slot ``a * K + k`` of state ``s`` is outcome ``k`` of action ``a``, with probability
    ``policy[s, a] * prob[s, a, k]``.
    """
    n_states, n_actions, n_outcomes = mdp.next_state.shape
    slots = n_actions * n_outcomes
    return TabularMDP(
        next_state=mdp.next_state.reshape(n_states, 1, slots),
        prob=(policy[:, :, None] * mdp.prob).reshape(n_states, 1, slots),
        reward=mdp.reward.reshape(n_states, 1, slots),
        terminated=mdp.terminated.reshape(n_states, 1, slots),
        initial=mdp.initial,
        max_episode_steps=mdp.max_episode_steps,
        name=mdp.name,
    )


def action_values(mdp: TabularMDP, values: np.ndarray, gamma: float) -> np.ndarray:
    """``Q(s, a) = R(s, a) + gamma * sum_k continue_prob * V[next_state]``.

    Outcome by outcome in slot order.
    """
    future = np.zeros((mdp.n_states, mdp.n_actions))
    for k in range(mdp.max_outcomes):
        future += mdp.continue_prob[:, :, k] * values[mdp.next_state[:, :, k]]
    return mdp.expected_reward + gamma * future
