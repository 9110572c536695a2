"""Frozen result objects returned by the solvers (no Numba here: the reference twins use them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = [
    "ConvergenceWarning",
    "LearningResult",
    "NonTerminationWarning",
    "PlanningResult",
    "SweepResult",
]


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


@dataclass(frozen=True, repr=False)
class LearningResult:
    """What a learner (:func:`rlfoundations.q_learning`, ...) returns.

    Attributes
    ----------
    q_values : ndarray, shape (S, A)
        The learned action values (Double Q-learning: the mean of its two tables; REINFORCE:
        the softmax preferences).
    policy : ndarray of int, shape (S,)
        Greedy action of every state, lowest index on ties.
    episode_returns : ndarray, shape (n_episodes,)
        Undiscounted sum of rewards of every finished episode; with
        ``record_episodes=False``, of the last 100 only (fewer if fewer finished).
    episode_lengths : ndarray of int, shape (n_episodes,)
        Steps of every finished episode (an unfinished last episode is not listed); with
        ``record_episodes=False``, of the last 100 only.
    total_steps : int
        Environment steps taken.
    algorithm : str
        Which learner produced the result.
    gamma : float
        The discount factor learned for.
    seed : int
        The seed of the random stream.
    curve_steps : ndarray of int, shape (n_evaluations,), or None
        Steps at which the greedy policy was evaluated exactly (``eval_every``).
    curve_values : ndarray, shape (n_evaluations, S), or None
        The exact values ``V^pi(s)`` of the greedy policy at those steps (NaN rows where, with
        ``gamma = 1``, the policy never ends the episode).
    interrupted : bool
        Whether Ctrl-C ended the run early (``on_interrupt="return"``): ``total_steps`` is
        then below the steps asked for.
    baseline : ndarray, shape (S,), or None
        REINFORCE's learned baseline ``b(s)``, its estimate of the policy's state values.
    record_episodes : bool
        Whether ``episode_returns`` and ``episode_lengths`` hold every finished episode
        (True) or the last 100 (False, with the totals below).
    episode_count, return_sum, length_sum : int, float, int, or None
        With ``record_episodes=False``: the number of finished episodes and the sums of their
        returns and lengths (None when every episode is recorded: they follow from the
        records). Read them through :attr:`n_episodes`, :attr:`mean_return` and
        :attr:`mean_length`, which hold either way.
    """

    q_values: np.ndarray
    policy: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    total_steps: int
    algorithm: str
    gamma: float
    seed: int
    curve_steps: np.ndarray | None = None
    curve_values: np.ndarray | None = None
    interrupted: bool = False
    baseline: np.ndarray | None = None
    record_episodes: bool = True
    episode_count: int | None = None
    return_sum: float | None = None
    length_sum: int | None = None

    @property
    def n_episodes(self) -> int:
        """Number of finished episodes (recorded or not)."""
        if self.episode_count is not None:
            return int(self.episode_count)
        return int(self.episode_returns.shape[0])

    @property
    def mean_return(self) -> float:
        """Mean undiscounted return of all finished episodes (NaN if none finished)."""
        if self.n_episodes == 0:
            return math.nan
        if self.return_sum is not None:
            return float(self.return_sum) / self.n_episodes
        return _plain_sum(self.episode_returns) / self.n_episodes

    @property
    def mean_length(self) -> float:
        """Mean length of all finished episodes (NaN if none finished)."""
        if self.n_episodes == 0:
            return math.nan
        if self.length_sum is not None:
            return float(self.length_sum) / self.n_episodes
        return float(int(self.episode_lengths.sum())) / self.n_episodes

    def __repr__(self) -> str:
        n_states, n_actions = self.q_values.shape
        curve = "" if self.curve_steps is None else f", evaluations={len(self.curve_steps)}"
        stopped = ", interrupted=True" if self.interrupted else ""
        return (
            f"LearningResult(algorithm={self.algorithm!r}, gamma={self.gamma}, "
            f"n_states={n_states}, n_actions={n_actions}, total_steps={self.total_steps}, "
            f"n_episodes={self.n_episodes}{curve}{stopped})"
        )

    def curve(self, initial: np.ndarray) -> np.ndarray:
        """Expected return of the greedy policy at each evaluation, ``curve_values @ initial``."""
        if self.curve_values is None:
            raise ValueError("no learning curve was recorded; pass eval_every to the learner")
        return self.curve_values @ np.asarray(initial, dtype=float)


@dataclass(frozen=True, repr=False)
class SweepResult:
    """What :func:`rlfoundations.sweep` returns: many runs, stacked along the first axis.

    Attributes
    ----------
    q_values : ndarray, shape (runs, S, A)
    policy : ndarray of int, shape (runs, S)
    episode_returns : ndarray, shape (runs, max_episodes)
        NaN after each run's last finished episode.
    episode_lengths : ndarray of int, shape (runs, max_episodes)
        0 after each run's last finished episode.
    n_episodes : ndarray of int, shape (runs,)
    total_steps : int
        Steps of every run.
    algorithm : str
    seeds : ndarray of uint64, shape (runs,)
    params : tuple of dict
        The hyperparameters of every run (``gamma``, ``alpha``, ``epsilon`` or
        ``temperature`` or ``baseline_alpha``, ``seed``), in run order: the grid's product,
        seeds varying fastest.
    curve_steps : ndarray of int, shape (n_evaluations,), or None
        Steps at which every run's greedy policy was evaluated exactly (``eval_every``).
    curve_values : ndarray, shape (runs, n_evaluations, S), or None
        The exact values of each run's greedy policy at those steps.
    interrupted : bool
        Whether Ctrl-C ended the sweep early (``on_interrupt="return"``).
    baseline : ndarray, shape (runs, S), or None
        REINFORCE's learned baselines.
    record_episodes : bool
        False: the episode arrays hold each run's last 100 episodes (left-aligned, NaN / 0
        after), and ``return_sums`` / ``length_sums`` the totals over all of them.
    return_sums, length_sums : ndarray, shape (runs,), or None
        With ``record_episodes=False``, each run's sums of returns and lengths of all its
        finished episodes; see :attr:`mean_return`, :attr:`mean_length`.
    """

    q_values: np.ndarray
    policy: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    n_episodes: np.ndarray
    total_steps: int
    algorithm: str
    seeds: np.ndarray
    params: tuple
    curve_steps: np.ndarray | None = None
    curve_values: np.ndarray | None = None
    interrupted: bool = False
    baseline: np.ndarray | None = None
    record_episodes: bool = True
    return_sums: np.ndarray | None = None
    length_sums: np.ndarray | None = None

    @property
    def n_runs(self) -> int:
        return int(self.q_values.shape[0])

    @property
    def mean_return(self) -> np.ndarray:
        """Each run's mean undiscounted return over all its finished episodes (NaN if none)."""
        return np.array([self.run(index).mean_return for index in range(self.n_runs)])

    @property
    def mean_length(self) -> np.ndarray:
        """Each run's mean episode length over all its finished episodes (NaN if none)."""
        return np.array([self.run(index).mean_length for index in range(self.n_runs)])

    def __repr__(self) -> str:
        _, n_states, n_actions = self.q_values.shape
        curve = "" if self.curve_steps is None else f", evaluations={len(self.curve_steps)}"
        stopped = ", interrupted=True" if self.interrupted else ""
        return (
            f"SweepResult(algorithm={self.algorithm!r}, runs={self.n_runs}, "
            f"n_states={n_states}, n_actions={n_actions}, "
            f"total_steps={self.total_steps}{curve}{stopped})"
        )

    def run(self, index: int) -> LearningResult:
        """Run ``index`` as a :class:`LearningResult` (equal to the same run made alone)."""
        if isinstance(index, bool | np.bool_) or not isinstance(index, int | np.integer):
            raise InvalidTypeError(f"index must be an int, got {index!r}")
        if not -self.n_runs <= index < self.n_runs:
            raise InvalidValueError(f"index must be in [0, {self.n_runs}), got {index!r}")
        n = int(self.n_episodes[index])
        summaries = {}
        if not self.record_episodes:
            summaries = {
                "episode_count": n,
                "return_sum": float(self.return_sums[index]),
                "length_sum": int(self.length_sums[index]),
            }
            n = min(n, self.episode_returns.shape[1])
        return LearningResult(
            q_values=self.q_values[index],
            policy=self.policy[index],
            episode_returns=self.episode_returns[index, :n],
            episode_lengths=self.episode_lengths[index, :n],
            record_episodes=self.record_episodes,
            **summaries,
            total_steps=self.total_steps,
            algorithm=self.algorithm,
            gamma=float(self.params[index]["gamma"]),
            seed=int(self.seeds[index]),
            curve_steps=self.curve_steps,
            curve_values=None if self.curve_values is None else self.curve_values[index],
            interrupted=self.interrupted,
            baseline=None if self.baseline is None else self.baseline[index],
        )

    def curve(self, initial: np.ndarray) -> np.ndarray:
        """Expected return of every run's greedy policy at each evaluation, shape
        (runs, n_evaluations): ``curve_values @ initial``."""
        if self.curve_values is None:
            raise ValueError("no learning curve was recorded; pass eval_every to the sweep")
        return self.curve_values @ np.asarray(initial, dtype=float)


def _plain_sum(values: np.ndarray) -> float:
    """Left-to-right sum, the order in which summaries without records are added."""
    if values.shape[0] == 0:
        return 0.0
    return float(np.add.accumulate(np.concatenate(([0.0], values)))[-1])
