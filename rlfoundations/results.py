"""Frozen result objects returned by the solvers (no Numba here: the reference twins use them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ConvergenceWarning", "NonTerminationWarning", "PlanningResult"]


class ConvergenceWarning(UserWarning):
    """A solver stopped at ``max_iter`` before meeting its stopping rule."""


class NonTerminationWarning(UserWarning):
    """With ``gamma = 1``, the greedy policy never ends the episode from some states."""


@dataclass(frozen=True, repr=False)
class PlanningResult:
    """What an exact solver returns.

    Attributes
    ----------
    values : ndarray, shape (S,)
        State values ``V(s)``.
    q_values : ndarray, shape (S, A)
        Action values ``Q(s, a) = R(s, a) + gamma * sum_k continue_prob * V(next_state)``,
        computed from ``values``.
    policy : ndarray of int, shape (S,)
        Greedy action of every state, ties broken towards the lowest action index
        (policy iteration keeps its current action unless another is strictly better).
    iterations : int
        Sweeps (value iteration), improvement steps (policy iteration) or evaluation sweeps.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    residuals : ndarray, shape (iterations,)
        The sup-norm change ``max_s |V_new(s) - V_old(s)|`` of every iteration.
    gamma : float
        The discount factor solved for.
    method : str
        Which algorithm produced the result.
    history : ndarray, shape (iterations + 1, S), or None
        The value function before every iteration and after the last (``record=True`` only).
    non_terminating : ndarray of bool, shape (S,), or None
        With ``gamma = 1``: the states from which ``policy`` does not end the episode with
        probability 1 (an infinite-horizon sum, so their values mean little). None otherwise.
    """

    values: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    gamma: float
    method: str
    history: np.ndarray | None = None
    non_terminating: np.ndarray | None = field(default=None)

    def __repr__(self) -> str:
        return (
            f"PlanningResult(method={self.method!r}, gamma={self.gamma}, "
            f"n_states={self.values.shape[0]}, iterations={self.iterations}, "
            f"converged={self.converged})"
        )

    def mean_return(self, initial: np.ndarray) -> float:
        """Expected return from the initial distribution, ``sum_s initial[s] * V(s)``."""
        return float(np.dot(initial, self.values))
