"""Frozen result objects returned by the solvers (no Numba here: the reference twins use them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rlfoundations.errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from rlfoundations.mdp import TabularMDP

__all__ = [
    "AverageRewardResult",
    "ConvergenceWarning",
    "FiniteHorizonResult",
    "LearningResult",
    "LinearProgrammingResult",
    "NonTerminationWarning",
    "PlanningResult",
    "PredictionResult",
    "PredictionSweepResult",
    "RegretResult",
    "RegretSweepResult",
    "SoftResult",
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
        Bellman sweeps (value iteration), improvement steps (policy iteration) or evaluation sweeps.
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
    lower, upper : ndarray, shape (S,), or None
        Certified bounds ``lower <= V* <= upper`` per state (``V^pi`` of the policy given, for
        :func:`~rlfoundations.policy_evaluation`): MacQueen's bounds from the last Bellman
        backup (Puterman, Theorem 6.6.3), NaN where no bound is proved (``gamma = 1``, see
        the module docstring of :mod:`rlfoundations.planning`). None from solvers that do not
        compute them.
    suboptimality : float or None
        A guaranteed bound ``max_s (V*(s) - V^pi(s)) <= suboptimality`` for ``policy``
        (Puterman, Theorems 6.6.3 and 6.6.6); NaN where no bound is proved.
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
    lower: np.ndarray | None = field(default=None)
    upper: np.ndarray | None = field(default=None)
    suboptimality: float | None = field(default=None)

    def __repr__(self) -> str:
        return (
            f"PlanningResult(method={self.method!r}, gamma={self.gamma}, "
            f"n_states={self.values.shape[0]}, iterations={self.iterations}, "
            f"converged={self.converged})"
        )

    def mean_return(self, initial: np.ndarray) -> float:
        """Expected return from the initial distribution, ``sum_s initial[s] * V(s)``."""
        return float(np.dot(initial, self.values))

    def to_pandas(self, mdp: TabularMDP | None = None) -> pd.DataFrame:
        """One row per state, as a pandas DataFrame.

        The decoded factors (with ``mdp`` whose ``factors`` are set), ``value``, ``action``,
        ``q_0 .. q_{A-1}``, ``action_gap`` (best minus second-best Q-value) and
        ``non_terminating`` where known. Needs the extra ``data``.

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> mdp = rlf.from_env("FrozenLake-v1")
        >>> frame = rlf.value_iteration(mdp, gamma=0.9).to_pandas(mdp)
        >>> frame.shape, list(frame.columns[:4])  # FrozenLake's states are (row, col)
        ((16, 9), ['row', 'col', 'value', 'action'])
        """
        from rlfoundations.frames import planning_frame

        return planning_frame(self, mdp)

    def _repr_html_(self) -> str:
        from rlfoundations.frames import planning_html

        return planning_html(self)


@dataclass(frozen=True, repr=False)
class LearningResult:
    """What a learner (:func:`rlfoundations.q_learning`, ...) returns.

    Attributes
    ----------
    q_values : ndarray, shape (S, A)
        The learned action values (Double Q-learning: the mean of its two tables; REINFORCE:
        the softmax preferences); ``-inf`` at the pairs ``mdp.action_mask`` forbids.
    policy : ndarray of int, shape (S,)
        Greedy action of every state, lowest index on ties; never a masked action.
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
        The discount factor learned for; NaN for the average-reward learners
        (:func:`rlfoundations.differential_q_learning`, ...), which have none.
    seed : int
        The seed of the random stream.
    curve_steps : ndarray of int, shape (n_evaluations,), or None
        Steps at which the greedy policy was evaluated exactly (``eval_every``).
    curve_values : ndarray, shape (n_evaluations, S), or None
        The exact values ``V^pi(s)`` of the greedy policy at those steps (NaN rows where, with
        ``gamma = 1``, the policy never ends the episode); for the average-reward learners,
        the exact gain ``g^pi(s)`` (long-run reward per step) of the greedy policy from each
        state.
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
    gain : float or None
        The average-reward learners' learned estimate of the average reward per step
        (Sutton and Barto's R-bar); None for the others.
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
    gain: float | None = None

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
        criterion = f"gamma={self.gamma}" if self.gain is None else f"gain={self.gain:.6g}"
        return (
            f"LearningResult(algorithm={self.algorithm!r}, {criterion}, "
            f"n_states={n_states}, n_actions={n_actions}, total_steps={self.total_steps}, "
            f"n_episodes={self.n_episodes}{curve}{stopped})"
        )

    def curve(self, initial: np.ndarray) -> np.ndarray:
        """Expected return of the greedy policy at each evaluation, ``curve_values @ initial``."""
        if self.curve_values is None:
            raise InvalidValueError(
                "no learning curve was recorded; pass eval_every to the learner"
            )
        return self.curve_values @ np.asarray(initial, dtype=float)

    def episodes(self) -> pd.DataFrame:
        """The finished episodes as a DataFrame.

        Columns ``episode``, ``return``, ``length`` and ``end_step`` (the run's step count when it
        ended). Needs the extra ``data``.

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> mdp = rlf.from_env("CliffWalking-v1")
        >>> result = rlf.q_learning(mdp, gamma=0.99, n_steps=2_000, seed=0)
        >>> list(result.episodes().columns)
        ['episode', 'return', 'length', 'end_step']
        """
        from rlfoundations.frames import episodes_frame

        return episodes_frame(self)


@dataclass(frozen=True, repr=False)
class SweepResult:
    """What :func:`rlfoundations.sweep` returns: many runs, stacked along the first axis.

    Attributes
    ----------
    q_values : ndarray, shape (runs, S, A)
        ``-inf`` at masked pairs, as in :class:`LearningResult`.
    policy : ndarray of int, shape (runs, S)
        Greedy actions, never masked ones.
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
    gain : ndarray, shape (runs,), or None
        The average-reward learners' learned average reward per step, one a run.
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
    gain: np.ndarray | None = None

    @property
    def n_runs(self) -> int:
        """The number of runs (the first axis of ``q_values``)."""
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
        summaries: dict[str, Any] = {}
        if not self.record_episodes:
            assert self.return_sums is not None and self.length_sums is not None
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
            gamma=float(self.params[index].get("gamma", math.nan)),
            seed=int(self.seeds[index]),
            curve_steps=self.curve_steps,
            curve_values=None if self.curve_values is None else self.curve_values[index],
            interrupted=self.interrupted,
            baseline=None if self.baseline is None else self.baseline[index],
            gain=None if self.gain is None else float(self.gain[index]),
        )

    def curve(self, initial: np.ndarray) -> np.ndarray:
        """Expected return of every run's greedy policy at each evaluation.

        Shape (runs, n_evaluations): ``curve_values @ initial``.
        """
        if self.curve_values is None:
            raise InvalidValueError("no learning curve was recorded; pass eval_every to the sweep")
        return self.curve_values @ np.asarray(initial, dtype=float)

    def to_pandas(self, mdp: TabularMDP | None = None) -> pd.DataFrame:
        """One row per run and checkpoint, as a pandas DataFrame.

        Checkpoints are each ``eval_every`` evaluation, or the end of the runs without a curve.
        Columns: ``algorithm``, ``run``, every swept parameter, ``seed``, ``steps``, ``episodes``
        finished by then, ``mean_return`` of the episodes finished since the previous checkpoint,
        and, given the model ``mdp``, ``value`` (the exact expected return ``initial @ V^pi`` of the
        greedy policy) and ``gap`` (the optimal one minus it). Needs the extra ``data``.

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> mdp = rlf.from_env("CliffWalking-v1")
        >>> result = rlf.sweep(mdp, gamma=0.99, n_steps=2_000, seeds=range(3), eval_every=1_000)
        >>> frame = result.to_pandas(mdp)
        >>> frame.shape, list(frame.columns[-4:])
        ((9, 11), ['episodes', 'mean_return', 'value', 'gap'])
        """
        from rlfoundations.frames import sweep_frame

        return sweep_frame(self, mdp)

    def to_xarray(self, mdp: TabularMDP | None = None) -> xr.Dataset:
        """An ``xarray.Dataset`` of the runs.

        Dims (swept parameters..., ``seed``, ``checkpoint`` [, ``state``, ``action``]):
        ``n_episodes``, ``policy``, ``q_values``, the exact ``state_value`` of the greedy policy at
        every checkpoint and, given ``mdp``, ``value`` and ``gap``. Needs the extra ``data``.

        Examples
        --------
        >>> import rlfoundations as rlf
        >>> mdp = rlf.from_env("CliffWalking-v1")
        >>> result = rlf.sweep(
        ...     mdp, gamma=0.99, n_steps=2_000, seeds=range(3), alpha=[0.1, 0.5], eval_every=500
        ... )
        >>> dict(result.to_xarray(mdp)["gap"].sizes)
        {'gamma': 1, 'alpha': 2, 'epsilon': 1, 'seed': 3, 'checkpoint': 5}
        """
        from rlfoundations.frames import sweep_dataset

        return sweep_dataset(self, mdp)

    def _repr_html_(self) -> str:
        from rlfoundations.frames import sweep_html

        return sweep_html(self)


def _plain_sum(values: np.ndarray) -> float:
    """Left-to-right sum, the order in which summaries without records are added."""
    if values.shape[0] == 0:
        return 0.0
    return float(np.add.accumulate(np.concatenate(([0.0], values)))[-1])


def _shape(array) -> str:
    return "x".join(str(n) for n in np.shape(array))


@dataclass(frozen=True, repr=False)
class FiniteHorizonResult:
    """What :func:`rlfoundations.backward_induction` returns: exact, stage by stage.

    Attributes
    ----------
    values : ndarray, shape (horizon + 1, S)
        ``values[t, s]``: the optimal expected (discounted) reward from state ``s`` at time
        ``t``, with ``horizon - t`` steps to go; ``values[horizon]`` is ``terminal_values``.
    q_values : ndarray, shape (horizon, S, A)
        ``q_values[t, s, a] = R(s, a) + gamma * sum_k continue_prob * values[t + 1, next_state]``.
    policy : ndarray of int, shape (horizon, S)
        ``policy[t, s]``: an optimal action at time ``t`` (lowest index on ties).
    horizon : int
        Number of decisions.
    gamma : float
        The discount factor of every step.
    method : str
        ``"backward_induction"``.

    The values are exact: ``horizon`` sweeps of the finite-horizon Bellman equation, nothing
    left to converge, so the result carries no bounds (lower = upper = values).
    """

    values: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    horizon: int
    gamma: float
    method: str = "backward_induction"

    def __repr__(self) -> str:
        return (
            f"FiniteHorizonResult(horizon={self.horizon}, gamma={self.gamma}, "
            f"values={_shape(self.values)}, policy={_shape(self.policy)})"
        )

    def mean_return(self, initial: np.ndarray) -> float:
        """Optimal expected return from time 0, ``sum_s initial[s] * values[0, s]``."""
        return float(np.dot(initial, self.values[0]))


@dataclass(frozen=True, repr=False)
class AverageRewardResult:
    """The result of the average-reward solvers.

    What :func:`rlfoundations.relative_value_iteration` and
    :func:`rlfoundations.average_reward_policy_iteration` return.

    Attributes
    ----------
    gain : float
        The optimal long-run reward per step (from every state when one gain fits all;
        otherwise its mean under ``mdp.initial``, see ``gains``).
    gain_lower, gain_upper : float
        Bounds with ``gain_lower <= g*(s) <= gain_upper`` for every state; the ``policy``
        earns at least ``gain_lower`` from every state. Relative value iteration: the span
        bounds of its last sweep (Puterman, Theorem 8.5.5); policy iteration: the smallest
        and largest of the exact ``gains``.
    values : ndarray, shape (S,)
        A bias (relative value) vector ``h`` solving ``h(s) + g = max_a [R(s, a) + sum_s'
        P(s' | s, a) h(s')]``, normalised to ``h(reference_state) = 0``.
    q_values : ndarray, shape (S, A)
        ``R(s, a) + sum_s' P(s' | s, a) h(s')``.
    policy : ndarray of int, shape (S,)
        A gain-optimal policy (lowest index on ties).
    iterations : int
        Bellman sweeps (relative value iteration) or improvement steps (policy iteration).
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    residuals : ndarray, shape (iterations,)
        The span ``max(T h - h) - min(T h - h)`` of every sweep (policy iteration: the
        sup-norm change of the bias between evaluations).
    structure : str
        What the model check found: ``"communicating"``, ``"weakly communicating"`` or
        ``"multichain"`` (see :func:`rlfoundations.model_structure`).
    method : str
        Which algorithm produced the result.
    gains : ndarray, shape (S,)
        The optimal gain of every state: all equal to ``gain`` unless multichain policy
        iteration found a model whose states have different optimal gains; ``gain`` is then
        their mean under ``mdp.initial`` and ``gain_lower`` / ``gain_upper`` their extremes.
    """

    gain: float
    gain_lower: float
    gain_upper: float
    values: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    structure: str
    method: str
    gains: np.ndarray | None = None

    def __repr__(self) -> str:
        return (
            f"AverageRewardResult(method={self.method!r}, gain={self.gain:.10g}, "
            f"gain_interval=[{self.gain_lower:.10g}, {self.gain_upper:.10g}], "
            f"n_states={self.values.shape[0]}, iterations={self.iterations}, "
            f"converged={self.converged})"
        )


@dataclass(frozen=True, repr=False)
class SoftResult:
    """What :func:`rlfoundations.soft_value_iteration` returns.

    Attributes
    ----------
    values : ndarray, shape (S,)
        Soft values ``V(s) = temperature * log sum_a exp(Q(s, a) / temperature)``.
    q_values : ndarray, shape (S, A)
        ``Q(s, a) = R(s, a) + gamma * sum_k continue_prob * V(next_state)``.
    policy : ndarray, shape (S, A)
        The softmax policy ``exp((Q(s, a) - V(s)) / temperature)``; rows sum to 1.
    lower, upper : ndarray, shape (S,)
        Bounds with ``lower <= V_soft* <= upper`` per state, from the last sweep's change
        (a gamma-contraction in the sup norm: ``|V - V*| <= gamma / (1 - gamma) * |V - V_prev|``).
    iterations, converged, residuals, gamma, method
        As in :class:`PlanningResult`.
    temperature : float
        The entropy weight.
    """

    values: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    gamma: float
    temperature: float
    method: str = "soft_value_iteration"

    def __repr__(self) -> str:
        return (
            f"SoftResult(gamma={self.gamma}, temperature={self.temperature}, "
            f"n_states={self.values.shape[0]}, iterations={self.iterations}, "
            f"converged={self.converged})"
        )

    def mean_return(self, initial: np.ndarray) -> float:
        """Expected soft return from the initial distribution."""
        return float(np.dot(initial, self.values))


@dataclass(frozen=True, repr=False)
class LinearProgrammingResult:
    """What :func:`rlfoundations.linear_programming` returns.

    Attributes
    ----------
    values : ndarray, shape (S,)
        Unconstrained: ``V*`` from the primal LP. Constrained: the values of ``policy``.
    occupancy : ndarray, shape (S, A)
        The dual solution: ``x(s, a) = sum_t gamma^t P(S_t = s, A_t = a)`` of ``policy``
        started from ``initial``.
    policy : ndarray
        Unconstrained: int, shape (S,), greedy in ``values`` (lowest index on ties).
        Constrained: shape (S, A), ``x(s, a) / sum_a x(s, a)``, possibly randomised (uniform
        in states ``initial`` never reaches: they do not affect the objective).
    objective : float
        Expected discounted reward from ``initial``, ``sum x(s, a) R(s, a)``.
    cost_values : ndarray, shape (n_constraints,), or None
        Expected discounted cost of each constraint, ``sum x(s, a) c_i(s, a)``.
    budget : ndarray, shape (n_constraints,), or None
    gamma : float
    method : str
    """

    values: np.ndarray
    occupancy: np.ndarray
    policy: np.ndarray
    objective: float
    gamma: float
    cost_values: np.ndarray | None = None
    budget: np.ndarray | None = None
    method: str = "linear_programming (highs)"

    def __repr__(self) -> str:
        constrained = "" if self.budget is None else f", constraints={len(self.budget)}"
        return (
            f"LinearProgrammingResult(gamma={self.gamma}, n_states={self.values.shape[0]}, "
            f"objective={self.objective:.10g}{constrained})"
        )


@dataclass(frozen=True, repr=False)
class PredictionResult:
    """What a prediction learner (:func:`rlfoundations.td_prediction`) returns.

    Attributes
    ----------
    values : ndarray, shape (S,)
        The learned state values of the policy.
    episode_returns : ndarray, shape (n_episodes,)
        Undiscounted sum of rewards of every finished episode (with
        ``record_episodes=False``, of the last 100 only).
    episode_lengths : ndarray of int, shape (n_episodes,)
        Steps of every finished episode (the last 100 only, with ``record_episodes=False``).
    n_episodes : int
        Finished episodes, recorded or not.
    total_steps : int
        Environment steps taken.
    algorithm : str
        Which learner produced the result.
    gamma : float
        The discount factor.
    seed : int
        The seed of the random stream.
    params : dict
        The run's hyper-parameters (``gamma``, ``alpha``, ``n`` or ``lam``, ``seed``).
    curve_steps : ndarray of int, shape (n_evaluations,), or None
        Steps at which the estimate was compared with the exact values (``eval_every``).
    curve_rms : ndarray, shape (n_evaluations,), or None
        The root-mean-square error of the estimate against the exact
        :func:`rlfoundations.policy_evaluation` at those steps, over the states an episode can
        act in.
    interrupted : bool
        Whether Ctrl-C ended the run early (``on_interrupt="return"``).
    """

    values: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    n_episodes: int
    total_steps: int
    algorithm: str
    gamma: float
    seed: int
    params: dict
    curve_steps: np.ndarray | None = None
    curve_rms: np.ndarray | None = None
    interrupted: bool = False

    def __repr__(self) -> str:
        return (
            f"PredictionResult(algorithm={self.algorithm!r}, values=<{self.values.shape[0]} "
            f"states>, total_steps={self.total_steps}, n_episodes={self.n_episodes})"
        )


@dataclass(frozen=True, repr=False)
class PredictionSweepResult:
    """Many prediction runs (:func:`rlfoundations.prediction_sweep`), stacked on a first axis.

    Attributes
    ----------
    values : ndarray, shape (runs, S)
    episode_returns : ndarray, shape (runs, max_episodes)
        NaN after each run's last recorded episode.
    episode_lengths : ndarray of int, shape (runs, max_episodes)
    n_episodes : ndarray of int, shape (runs,)
    total_steps : int
    algorithm : str
    seeds : ndarray of uint64, shape (runs,)
    params : tuple of dict
        Every run's hyper-parameters, in grid order, seeds varying fastest.
    curve_steps : ndarray of int, shape (n_evaluations,), or None
    curve_rms : ndarray, shape (runs, n_evaluations), or None
    interrupted : bool
    """

    values: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    n_episodes: np.ndarray
    total_steps: int
    algorithm: str
    seeds: np.ndarray
    params: tuple
    curve_steps: np.ndarray | None = None
    curve_rms: np.ndarray | None = None
    interrupted: bool = False

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return self.values.shape[0]

    def run(self, i: int) -> PredictionResult:
        """Run ``i`` as the :class:`PredictionResult` the single learner returns."""
        count = int(self.n_episodes[i])
        shown = min(count, self.episode_returns.shape[1])
        return PredictionResult(
            values=self.values[i].copy(),
            episode_returns=self.episode_returns[i, :shown].copy(),
            episode_lengths=self.episode_lengths[i, :shown].copy(),
            n_episodes=count,
            total_steps=self.total_steps,
            algorithm=self.algorithm,
            gamma=float(self.params[i]["gamma"]),
            seed=int(self.seeds[i]),
            params=dict(self.params[i]),
            curve_steps=None if self.curve_steps is None else self.curve_steps.copy(),
            curve_rms=None if self.curve_rms is None else self.curve_rms[i].copy(),
            interrupted=self.interrupted,
        )

    def __repr__(self) -> str:
        return (
            f"PredictionSweepResult(algorithm={self.algorithm!r}, runs={self.n_runs}, "
            f"total_steps={self.total_steps})"
        )


@dataclass(frozen=True, repr=False)
class RegretResult:
    """What a learner with a regret guarantee (:func:`rlfoundations.ucbvi`, ...) returns.

    Attributes
    ----------
    regret : ndarray, shape (n_episodes,) or (n_checkpoints,)
        Cumulative exact regret after each episode: the sum over episodes so far of
        ``sum_s initial(s) * (V*_0(s) - V^pi_k_0(s))``, with ``V*`` from backward induction
        and ``V^pi_k`` the exact finite-horizon value of the policy played in episode k.
        With ``record_episodes=False``, only after the episodes ``checkpoints`` (the same
        numbers, bit for bit, as the full curve at those episodes).
    episode_regret : ndarray, shape (n_episodes,)
        The regret of each episode alone (``np.diff`` of ``regret``, exactly); the last 100
        episodes only with ``record_episodes=False``.
    episode_returns : ndarray, shape (n_episodes,)
        Undiscounted sum of the rewards received in each episode (sampled); the last 100
        only with ``record_episodes=False``.
    q_values : ndarray, shape (horizon, S, A)
        The learned table (UCB Q-learning) or the one planned for the last episode.
    policy : ndarray of int, shape (horizon, S)
        The non-stationary greedy policy of ``q_values``, lowest index on ties.
    optimal_value : float
        ``sum_s initial(s) * V*_0(s)``, the best expected return of an episode.
    algorithm : str
    horizon : int
    seed : int
    interrupted : bool
        Whether Ctrl-C ended the run early (``on_interrupt="return"``): the arrays then hold
        the episodes finished, fewer than asked for.
    checkpoints : ndarray of int, shape (n_checkpoints,), or None
        With ``record_episodes=False``, the episode counts (1-based) after which ``regret``
        was kept: at most 1000, evenly spaced, the last the episodes played. None when every
        episode is recorded.
    return_sum : float or None
        With ``record_episodes=False``, the sum of every episode's return (summed in order).
    params : dict or None
        The run's options, as a sweep gives them (``seed`` and the swept options).
    """

    regret: np.ndarray
    episode_regret: np.ndarray
    episode_returns: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    optimal_value: float
    algorithm: str
    horizon: int
    seed: int
    interrupted: bool = False
    checkpoints: np.ndarray | None = None
    return_sum: float | None = None
    params: dict | None = None

    @property
    def record_episodes(self) -> bool:
        """Whether every episode's regret and return was kept."""
        return self.checkpoints is None

    @property
    def n_episodes(self) -> int:
        """Number of episodes played."""
        if self.checkpoints is not None:
            return int(self.checkpoints[-1]) if self.checkpoints.shape[0] else 0
        return int(self.regret.shape[0])

    @property
    def mean_return(self) -> float:
        """The mean return over every episode played (NaN before the first)."""
        if self.n_episodes == 0:
            return math.nan
        if self.return_sum is not None:
            return self.return_sum / self.n_episodes
        return float(np.mean(self.episode_returns))

    def __repr__(self) -> str:
        total = float(self.regret[-1]) if self.n_episodes else 0.0
        return (
            f"RegretResult(algorithm={self.algorithm!r}, horizon={self.horizon}, "
            f"n_episodes={self.n_episodes}, regret={total:.6g}, seed={self.seed})"
        )


@dataclass(frozen=True, repr=False)
class RegretSweepResult:
    """Runs of a learner with a regret guarantee (``rlf.sweep(mdp, "ucbvi", ...)``), stacked.

    Attributes
    ----------
    regret : ndarray, shape (runs, n_episodes) or (runs, n_checkpoints)
        Every run's cumulative exact regret (:class:`RegretResult`), after every episode or,
        with ``record_episodes=False``, after the episodes ``checkpoints``.
    episode_regret, episode_returns : ndarray, shape (runs, n_episodes) or (runs, 100)
        Each episode's regret and return (the last 100, ``record_episodes=False``).
    q_values : ndarray, shape (runs, horizon, S, A)
    policy : ndarray of int, shape (runs, horizon, S)
    optimal_value : float
        ``sum_s initial(s) * V*_0(s)``.
    algorithm : str
    horizon : int
    seeds : ndarray of uint64, shape (runs,)
    params : tuple of dict
        Every run's options, in grid order, seeds varying fastest.
    checkpoints : ndarray of int, or None
        As in :class:`RegretResult`, the same for every run.
    return_sums : ndarray, shape (runs,), or None
        With ``record_episodes=False``, every run's sum of returns.
    interrupted : bool
    """

    regret: np.ndarray
    episode_regret: np.ndarray
    episode_returns: np.ndarray
    q_values: np.ndarray
    policy: np.ndarray
    optimal_value: float
    algorithm: str
    horizon: int
    seeds: np.ndarray
    params: tuple
    checkpoints: np.ndarray | None = None
    return_sums: np.ndarray | None = None
    interrupted: bool = False

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return int(self.regret.shape[0])

    def run(self, index: int) -> RegretResult:
        """Run ``index`` as the :class:`RegretResult` the single learner returns."""
        if isinstance(index, bool | np.bool_) or not isinstance(index, int | np.integer):
            raise InvalidTypeError(f"index must be an int, got {index!r}")
        if not -self.n_runs <= index < self.n_runs:
            raise InvalidValueError(f"index must be in [0, {self.n_runs}), got {index!r}")
        return RegretResult(
            regret=self.regret[index].copy(),
            episode_regret=self.episode_regret[index].copy(),
            episode_returns=self.episode_returns[index].copy(),
            q_values=self.q_values[index].copy(),
            policy=self.policy[index].copy(),
            optimal_value=self.optimal_value,
            algorithm=self.algorithm,
            horizon=self.horizon,
            seed=int(self.seeds[index]),
            interrupted=self.interrupted,
            checkpoints=None if self.checkpoints is None else self.checkpoints.copy(),
            return_sum=None if self.return_sums is None else float(self.return_sums[index]),
            params=dict(self.params[index]),
        )

    def __repr__(self) -> str:
        stopped = ", interrupted=True" if self.interrupted else ""
        return (
            f"RegretSweepResult(algorithm={self.algorithm!r}, runs={self.n_runs}, "
            f"horizon={self.horizon}{stopped})"
        )
