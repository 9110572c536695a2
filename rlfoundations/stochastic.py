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

from rlfoundations._kernels.layout import masked_rewards
from rlfoundations._validate import check_policy
from rlfoundations.mdp import TabularMDP

__all__ = ["check_policy_matrix", "induced_mdp", "is_policy_matrix"]


def is_policy_matrix(policy: npt.ArrayLike) -> bool:
    """Whether ``policy`` is two-dimensional (a stochastic policy), not an (S,) action list."""
    return np.ndim(policy) == 2


def check_policy_matrix(mdp: TabularMDP, policy: npt.ArrayLike, name: str = "policy") -> np.ndarray:
    """``policy`` as a read-only float (S, A) matrix whose rows are distributions.

    :func:`rlfoundations._validate.check_policy` with ``stochastic=True`` (kept for callers of
    this name).
    """
    return check_policy(mdp, policy, name=name, stochastic=True)


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
    continue_prob = mdp.continue_prob  # computed on each access
    for k in range(mdp.max_outcomes):
        future += continue_prob[:, :, k] * values[mdp.next_state[:, :, k]]
    return masked_rewards(mdp.expected_reward, mdp.action_mask) + gamma * future
