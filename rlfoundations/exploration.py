"""Learners with regret guarantees, episodic with horizon H: UCBVI, PSRL, UCB Q-learning, R-max.

Each takes ``(mdp, horizon, n_episodes, *, seed, ...)``, plays ``n_episodes`` episodes of
``horizon`` steps on the model and returns a :class:`~rlfoundations.results.RegretResult`
whose ``regret`` is the cumulative **exact** regret: every episode's policy (non-stationary,
horizon H) is evaluated on the model by one backward pass and compared with
``rlf.backward_induction(mdp, horizon)``, nothing sampled. The kernels are in
:mod:`rlfoundations._kernels.exploration`, their twins in
:mod:`rlfoundations.reference.exploration`.

The TD batch engine of :mod:`rlfoundations.batch` counts steps and learns a stationary table;
these learners plan once per episode over a horizon, so they have their own small episodic
engine here: chunked by episodes for ``progress`` and Ctrl-C (``on_interrupt="return"``),
seeded by the shared stream. :func:`run_group` runs seeds in parallel with ``prange``; it
is what :func:`exploration_sweep` and ``rlf.sweep(mdp, "ucbvi", horizon=..., n_episodes=...)``
(a grid over seeds and options, on an executor too) both call.

Action masks: on a masked model, optimistic planning (and PSRL's sampled model) gives a
masked pair ``-inf``, UCB Q-learning's table starts at ``-inf`` there, epsilon-greedy
explores among the allowed actions, the reward range the learners are told is that of the
allowed pairs, and the regret is measured against ``backward_induction`` of the masked model
(the optimum over the allowed actions).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from rlfoundations._kernels import exploration as _kernels
from rlfoundations._kernels.learning import cumulative, guide_table
from rlfoundations._kernels.random import seed_state
from rlfoundations._validate import (
    check_bool,
    check_choice,
    check_fraction,
    check_int,
    check_mdp,
    check_positive,
    check_seed,
)
from rlfoundations.batch import (
    LAST_EPISODES,
    check_mask_support,
    check_progress,
    is_masked,
    mask_arrays,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.horizon import backward_induction
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import RegretResult, RegretSweepResult

__all__ = ["exploration_sweep", "psrl", "rmax", "ucb_q_learning", "ucbvi"]

#: Episodes per kernel call when progress or interrupts are wanted.
CHUNK_EPISODES = 64
#: Episodes held at once by a run without records (``record_episodes=False``).
BUFFER_EPISODES = 1024
#: At most this many points of the regret curve are kept without records.
REGRET_CHECKPOINTS = 1000

ALGORITHMS = {
    "ucbvi": _kernels.UCBVI,
    "psrl": _kernels.PSRL,
    "ucb_q_learning": _kernels.UCB_Q_LEARNING,
    "rmax": _kernels.RMAX,
}
BONUSES = {
    "none": _kernels.NO_BONUS,
    "hoeffding": _kernels.HOEFFDING,
    "bernstein": _kernels.BERNSTEIN,
}


def reward_range(mdp: TabularMDP) -> tuple[float, float]:
    """The smallest and largest reward of an outcome with positive probability.

    Only the outcomes of allowed pairs count: a masked action's rewards are not part of the
    problem the learners are given.
    """
    possible = mdp.prob > 0.0
    if is_masked(mdp):
        possible &= mdp.action_mask[:, :, None]  # type: ignore[index]  # is_masked: set
    rewards = mdp.reward[possible]
    return float(rewards.min()), float(rewards.max())


def log_term(algorithm: str, mdp: TabularMDP, horizon: int, n_episodes: int, delta: float):
    """The bonuses' log factor.

    UCBVI's ``L = log(5 S A T / delta)`` (Azar et al.), UCB Q-learning's
    ``iota = log(S A T / delta)`` (Jin et al.), ``T = H K``.
    """
    total = mdp.n_states * mdp.n_actions * horizon * n_episodes
    if algorithm == "ucbvi":
        return math.log(5.0 * total / delta)
    return math.log(total / delta)


#: Largest ``horizon`` and ``n_episodes``: the table keeps H * S * A numbers, the curves one
#: per episode; beyond these a run would not fit in memory (or finish).
MAX_HORIZON = 10**6
MAX_EPISODES = 10**9


def _check_bounded(name: str, value, bound: int) -> int:
    value = check_int(name, value)
    if value > bound:
        raise InvalidValueError(f"{name} must be <= {bound}, got {value!r}")
    return value


def _model(mdp: TabularMDP, horizon: int):
    cdf = np.empty(mdp.n_states)
    cumulative(np.ascontiguousarray(mdp.initial, dtype=np.float64), cdf)
    guide = np.empty(mdp.n_states, dtype=np.int64)
    guide_table(cdf, guide)
    optimal = backward_induction(mdp, horizon).values[0]
    return _kernels.ExplorationModel(
        np.ascontiguousarray(mdp.next_state, dtype=np.int64),
        np.ascontiguousarray(mdp.prob, dtype=np.float64),
        np.ascontiguousarray(mdp.reward, dtype=np.float64),
        np.ascontiguousarray(mdp.terminated, dtype=np.bool_),
        np.ascontiguousarray(mdp.continue_prob, dtype=np.float64),
        np.ascontiguousarray(mdp.expected_reward, dtype=np.float64),
        np.ascontiguousarray(mdp.initial, dtype=np.float64),
        cdf,
        guide,
        np.ascontiguousarray(optimal, dtype=np.float64),
        **mask_arrays(mdp),
    )


def _state(mdp: TabularMDP, horizon: int, width: int, seeds: Sequence[int], q_init):
    """The runs' state, with room for ``width`` episodes' regret and return."""
    runs, n_states, n_actions = len(seeds), mdp.n_states, mdp.n_actions
    rng = np.empty((runs, 4), dtype=np.uint64)
    for run, seed in enumerate(seeds):
        seed_state(np.uint64(seed), rng[run])
    stage = (runs, horizon, n_states, n_actions)
    q_values = np.empty(stage)
    q_values[:] = np.asarray(q_init)[None, :, None, None]
    if is_masked(mdp):
        # Masked pairs hold -inf: UCB Q-learning's greedy choices and maxima skip them.
        q_values[:, :, ~mdp.action_mask] = -np.inf  # type: ignore[operator]  # is_masked: set
    return _kernels.ExplorationState(
        rng,
        np.zeros((runs, n_states, n_actions), dtype=np.int64),
        np.zeros((runs, n_states, n_actions, n_states + 1), dtype=np.int64),
        np.zeros((runs, n_states, n_actions)),
        q_values,
        np.zeros(stage, dtype=np.int64),
        np.zeros(stage),
        np.zeros(stage),
        np.zeros(stage),
        np.zeros((runs, 1), dtype=np.int64),
        np.zeros((runs, width)),
        np.zeros((runs, width)),
    )


def _run_state(state, run: int):
    return _kernels.ExplorationState(*(field[run] for field in state))


def _settings(mdp: TabularMDP, algorithm: str, horizon: int, n_episodes: int, options: dict):
    """Validate the options of ``algorithm``.

    Returns the kernel's settings bundle and the initial value of every stage of the table.
    """
    low, high = reward_range(mdp)
    delta = check_fraction("delta", options.get("delta", 0.05))
    if not 0.0 < delta < 1.0:
        raise InvalidValueError(f"delta must be in (0, 1), got {delta!r}")
    bonus = check_choice("bonus", options.get("bonus", "hoeffding"), tuple(BONUSES))
    epsilon = check_fraction("epsilon", options.get("epsilon", 0.0))
    if algorithm != "ucb_q_learning" and epsilon != 0.0:
        raise InvalidValueError(f"epsilon is an option of ucb_q_learning only, got {epsilon!r}")
    known = _check_bounded("known_visits", options.get("known_visits", 10), 2**62)
    settings = _kernels.ExplorationSettings(
        ALGORITHMS[algorithm],
        BONUSES[bonus],
        check_positive("bonus_scale", options.get("bonus_scale", 1.0)),
        log_term(algorithm, mdp, horizon, n_episodes, delta),
        low,
        high,
        known,
        check_positive("transition_prior", options.get("transition_prior", 1.0)),
        float(options.get("reward_prior_mean", 0.0)),
        check_positive("reward_prior_variance", options.get("reward_prior_variance", 1.0)),
        check_positive("reward_noise_variance", options.get("reward_noise_variance", 1.0)),
        epsilon,
    )
    optimistic = algorithm != "ucb_q_learning" or bonus != "none"
    q_init = [(horizon - t) * high if optimistic else 0.0 for t in range(horizon)]
    return settings, q_init


def checkpoints(n_episodes: int) -> np.ndarray:
    """The episode counts after which a run without records keeps its cumulative regret.

    At most :data:`REGRET_CHECKPOINTS`, evenly spaced (``ceil(i K / C)``, i = 1 .. C), the
    last ``K`` itself: every episode when ``K <= C``.
    """
    count = min(n_episodes, REGRET_CHECKPOINTS)
    index = np.arange(1, count + 1, dtype=np.int64)
    return (index * n_episodes + count - 1) // count


class _Summaries:
    """Running sums of runs without records: bounded memory, whatever ``n_episodes``.

    :meth:`fold` empties the kernel's episode buffer into them: the cumulative regret at the
    episodes of :func:`checkpoints` (summed in episode order, as ``np.cumsum`` of the full
    curve sums, so the numbers are the same bit for bit), the sum of returns, and the last
    :data:`~rlfoundations.batch.LAST_EPISODES` episodes' regret and return.
    """

    def __init__(self, runs: int, n_episodes: int) -> None:
        self.marks = checkpoints(n_episodes)
        self.played = 0
        self.total_regret = np.zeros(runs)
        self.return_sums = np.zeros(runs)
        self.regret = np.zeros((runs, self.marks.shape[0]))
        self.kept = 0
        self.last_regret = np.zeros((runs, 0))
        self.last_returns = np.zeros((runs, 0))

    def fold(self, state) -> None:
        count = int(state.cursor[0, 0])
        if count == 0:
            return
        regret = state.regret[:, :count]
        returns = state.returns[:, :count]
        curve = np.cumsum(np.concatenate([self.total_regret[:, None], regret], axis=1), axis=1)
        sums = np.cumsum(np.concatenate([self.return_sums[:, None], returns], axis=1), axis=1)
        self.total_regret = curve[:, -1].copy()
        self.return_sums = sums[:, -1].copy()
        new = self.marks[(self.marks > self.played) & (self.marks <= self.played + count)]
        self.regret[:, self.kept : self.kept + new.shape[0]] = curve[:, new - self.played]
        self.kept += new.shape[0]
        self.last_regret = np.concatenate([self.last_regret, regret], axis=1)[:, -LAST_EPISODES:]
        self.last_returns = np.concatenate([self.last_returns, returns], axis=1)[:, -LAST_EPISODES:]
        self.played += count
        state.cursor[:, 0] = 0

    def fields(self) -> dict:
        marks, regret = self.marks[: self.kept], self.regret[:, : self.kept]
        if self.played and (not self.kept or marks[-1] != self.played):  # interrupted
            marks = np.append(marks, self.played)
            regret = np.concatenate([regret, self.total_regret[:, None]], axis=1)
        return {
            "regret": regret,
            "episode_regret": self.last_regret,
            "episode_returns": self.last_returns,
            "checkpoints": marks,
            "return_sums": self.return_sums,
        }


def _results(algorithm, model, state, horizon, seeds, params, interrupted, summaries):
    """The runs of ``state`` as a :class:`RegretSweepResult`."""
    if summaries is None:
        done = int(state.cursor[0, 0])
        episode_regret = state.regret[:, :done].copy()
        fields = {
            "regret": np.cumsum(episode_regret, axis=1),
            "episode_regret": episode_regret,
            "episode_returns": state.returns[:, :done].copy(),
        }
    else:
        fields = summaries.fields()
    q_values = state.q_values.copy()
    optimal = 0.0
    for s in range(model.initial.shape[0]):
        optimal += model.initial[s] * model.optimal_values[s]
    return RegretSweepResult(
        q_values=q_values,
        policy=np.argmax(q_values, axis=3),  # lowest index on ties
        optimal_value=optimal,
        algorithm=algorithm,
        horizon=horizon,
        seeds=np.array(seeds, dtype=np.uint64),
        params=tuple(params),
        interrupted=interrupted,
        **fields,
    )


def check_run_options(algorithm: str, mdp: TabularMDP, horizon, n_episodes, options: dict):
    """Validate a run's model, horizon, episodes and options, before any kernel runs."""
    mdp = check_mdp(mdp)
    check_mask_support(mdp, algorithm)
    horizon = _check_bounded("horizon", horizon, MAX_HORIZON)
    n_episodes = _check_bounded("n_episodes", n_episodes, MAX_EPISODES)
    _settings(mdp, algorithm, horizon, n_episodes, options)
    return mdp, horizon, n_episodes


def run_group(
    algorithm: str,
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    points: Sequence[dict],
    *,
    record_episodes: bool = True,
    progress: Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretSweepResult:
    """Every run of ``points`` (``seed`` and the same options), in parallel (``prange``).

    Arguments checked (:func:`check_run_options`, :func:`~rlfoundations.batch.check_progress`)
    but the points' seeds; ``progress(episodes_done, n_episodes)`` after every chunk.
    """
    seeds = [check_seed(point["seed"]) for point in points]
    options = {name: value for name, value in points[0].items() if name != "seed"}
    settings, q_init = _settings(mdp, algorithm, horizon, n_episodes, options)
    model = _model(mdp, horizon)
    width = n_episodes if record_episodes else min(n_episodes, BUFFER_EPISODES)
    state = _state(mdp, horizon, width, seeds, q_init)
    summaries = None if record_episodes else _Summaries(len(seeds), n_episodes)
    chunked = progress is not None or on_interrupt == "return"
    step = min(CHUNK_EPISODES if chunked else n_episodes, width)
    interrupted = False
    done = 0
    try:
        while done < n_episodes:
            count = min(n_episodes - done, step)
            # Without records the buffer restarts at 0 after every fold: the kernel's cursor
            # only places an episode's regret in it (the bonuses count visits, not episodes).
            stop = count if summaries is not None else done + count
            if len(seeds) == 1:
                _kernels.explore(model, settings, stop, _run_state(state, 0))
            else:
                _kernels.explore_batch(model, settings, stop, state)
            if summaries is not None:
                summaries.fold(state)
            done += count
            if progress is not None:
                progress(done, n_episodes)
    except KeyboardInterrupt:
        if on_interrupt != "return":
            raise
        interrupted = True
        if summaries is not None:
            summaries.fold(state)
    return _results(algorithm, model, state, horizon, seeds, points, interrupted, summaries)


def _learn(algorithm, mdp, horizon, n_episodes, seeds, progress, on_interrupt, options):
    """Validate, allocate, run the kernel in chunks of episodes, wrap one result per seed."""
    record_episodes = check_bool("record_episodes", options.pop("record_episodes", True))
    mdp, horizon, n_episodes = check_run_options(algorithm, mdp, horizon, n_episodes, options)
    seeds = [check_seed(seed) for seed in seeds]
    progress, on_interrupt = check_progress(progress, on_interrupt)
    result = run_group(
        algorithm,
        mdp,
        horizon,
        n_episodes,
        [{**options, "seed": seed} for seed in seeds],
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
    return [result.run(run) for run in range(result.n_runs)]


def ucbvi(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    bonus_scale: float = 1.0,
    delta: float = 0.05,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """UCBVI (Azar, Osband and Munos, 2017): optimistic backward induction on the empirical model.

    Before each episode, for t = H-1 down to 0 and every (s, a) seen ``n`` times::

        Q_t(s, a) = min((H - t) r_max, r_hat(s, a) + sum_s' P_hat(s' | s, a) V_{t+1}(s') + b)
        b = bonus_scale * (r_max - r_min) * H * sqrt(L / n),  L = log(5 S A H K / delta)

    and ``Q_t(s, a) = (H - t) r_max`` for pairs never tried; the episode plays the greedy
    non-stationary policy (lowest index on ties).

    Parameters
    ----------
    mdp : TabularMDP
        The model simulated; the learner is told only its reward range ``[r_min, r_max]``.
    horizon : int
        Steps per episode, H (an outcome that terminates ends the episode early).
    n_episodes : int
        Episodes played, K.
    seed : int
        Seed of the shared random stream.
    bonus_scale : float
        Multiplies the Hoeffding bonus; Azar et al.'s UCBVI-CH theorem uses 7, which explores
        for far longer before it exploits.
    delta : float
        Confidence level in (0, 1) of the log factor.
    record_episodes : bool
        True keeps every episode's regret and return; False keeps the cumulative regret
        at no more than 1000 evenly spaced episodes (``result.checkpoints``, the last
        ``n_episodes``), the last 100 episodes and the sum of returns: memory independent
        of ``n_episodes``.
    progress : bool or callable, optional
        True for a progress bar, or a callable ``progress(episodes_done, n_episodes)``.
    on_interrupt : {"raise", "return"}
        On Ctrl-C, re-raise, or return what was learned over the episodes finished.

    Returns
    -------
    RegretResult
        ``regret`` (cumulative, exact), ``episode_returns``, the last planned ``q_values``
        (H, S, A) and ``policy`` (H, S).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> result = rlf.ucbvi(mdp, horizon=20, n_episodes=200, seed=0, bonus_scale=0.1)
    >>> result.regret.shape
    (200,)
    >>> bool(result.episode_regret[-20:].mean() < result.episode_regret[:20].mean())
    True
    """
    options = {"bonus_scale": bonus_scale, "delta": delta, "record_episodes": record_episodes}
    return _learn("ucbvi", mdp, horizon, n_episodes, [seed], progress, on_interrupt, options)[0]


def psrl(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    transition_prior: float = 1.0,
    reward_prior_mean: float = 0.0,
    reward_prior_variance: float = 1.0,
    reward_noise_variance: float = 1.0,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """Posterior sampling for RL (Osband, Russo and Van Roy, 2013).

    Before each episode, draw a model from the posterior and play its optimal non-stationary
    policy (backward induction, lowest index on ties). The priors, stated:

    - transitions: ``P(. | s, a) ~ Dirichlet(transition_prior + n(s, a, .))`` over the S next
      states and the terminal outcome, ``n`` the counts seen;
    - rewards: the mean reward of (s, a) has a ``Normal(reward_prior_mean,
      reward_prior_variance)`` prior and rewards are treated as Normal around it with variance
      ``reward_noise_variance``: the posterior is Normal with precision ``1 / prior_variance
      + n / noise_variance``.

    Parameters
    ----------
    mdp : TabularMDP
        The model simulated.
    horizon : int
        Steps per episode, H.
    n_episodes : int
        Episodes played, K.
    seed : int
        Seed of the shared random stream.
    transition_prior : float
        The Dirichlet's pseudo-count of every next state, > 0.
    reward_prior_mean, reward_prior_variance, reward_noise_variance : float
        The Normal prior on mean rewards and the observation variance it assumes.
    record_episodes : bool
        True keeps every episode's regret and return; False keeps the cumulative regret
        at no more than 1000 evenly spaced episodes (``result.checkpoints``, the last
        ``n_episodes``), the last 100 episodes and the sum of returns: memory independent
        of ``n_episodes``.
    progress : bool or callable, optional
        True for a progress bar, or a callable ``progress(episodes_done, n_episodes)``.
    on_interrupt : {"raise", "return"}
        On Ctrl-C, re-raise, or return what was learned over the episodes finished.

    Returns
    -------
    RegretResult
        ``regret`` (cumulative, exact), ``episode_returns``, the ``q_values`` (H, S, A) of the
        last sampled model and their greedy ``policy`` (H, S).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> result = rlf.psrl(mdp, horizon=20, n_episodes=200, seed=0)
    >>> bool(result.episode_regret[-20:].mean() < result.episode_regret[:20].mean())
    True
    """
    options = {
        "transition_prior": transition_prior,
        "reward_prior_mean": _check_number("reward_prior_mean", reward_prior_mean),
        "reward_prior_variance": reward_prior_variance,
        "reward_noise_variance": reward_noise_variance,
        "record_episodes": record_episodes,
    }
    return _learn("psrl", mdp, horizon, n_episodes, [seed], progress, on_interrupt, options)[0]


def ucb_q_learning(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    bonus: str = "hoeffding",
    bonus_scale: float = 1.0,
    delta: float = 0.05,
    epsilon: float = 0.0,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """Q-learning with UCB bonuses (Jin, Allen-Zhu, Bubeck and Jordan, 2018).

    One table per stage, optimistic at the start (``Q_t = (H - t) r_max``); after the t-th
    visit of (s, a) at stage h, with ``alpha_t = (H + 1) / (H + t)``::

        Q_h(s, a) <- (1 - alpha_t) Q_h(s, a) + alpha_t (r + V_{h+1}(s') + b_t)
        V_{h+1}(s') = min((H - h - 1) r_max, max_a Q_{h+1}(s', a))   (0 after the end)

    with ``b_t = c sqrt(H^3 iota / t)`` (``bonus="hoeffding"``, algorithm 1) or the
    Bernstein bonus of algorithm 2, ``b_t = (beta_t - (1 - alpha_t) beta_{t-1}) / (2
    alpha_t)``, ``beta_t = c min(sqrt(H / t (W_t + H) iota) + sqrt(H^7 S A) iota / t,
    sqrt(H^3 iota / t))``, ``W_t`` the empirical variance of the ``V_{h+1}(s')`` seen;
    ``iota = log(S A H K / delta)``, ``c = bonus_scale`` and everything in units of the
    reward range ``r_max - r_min``. ``bonus="none"`` with ``epsilon > 0`` is the
    epsilon-greedy baseline (tables start at 0).

    Parameters
    ----------
    mdp : TabularMDP
        The model simulated.
    horizon : int
        Steps per episode, H.
    n_episodes : int
        Episodes played, K.
    seed : int
        Seed of the shared random stream.
    bonus : {"hoeffding", "bernstein", "none"}
        The exploration bonus.
    bonus_scale : float
        The constant ``c`` of the bonus.
    delta : float
        Confidence level in (0, 1) of ``iota``.
    epsilon : float
        Probability of a uniformly random action at each step (0: greedy in the bonus).
    record_episodes : bool
        True keeps every episode's regret and return; False keeps the cumulative regret
        at no more than 1000 evenly spaced episodes (``result.checkpoints``, the last
        ``n_episodes``), the last 100 episodes and the sum of returns: memory independent
        of ``n_episodes``.
    progress : bool or callable, optional
        True for a progress bar, or a callable ``progress(episodes_done, n_episodes)``.
    on_interrupt : {"raise", "return"}
        On Ctrl-C, re-raise, or return what was learned over the episodes finished.

    Returns
    -------
    RegretResult
        ``regret`` of the (epsilon-greedy) policy played, exact; the learned ``q_values``
        (H, S, A) and greedy ``policy`` (H, S).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> result = rlf.ucb_q_learning(mdp, horizon=20, n_episodes=300, seed=0, bonus_scale=0.05)
    >>> result.q_values.shape
    (20, 6, 2)
    """
    options = {
        "bonus": bonus,
        "bonus_scale": bonus_scale,
        "delta": delta,
        "epsilon": epsilon,
        "record_episodes": record_episodes,
    }
    return _learn(
        "ucb_q_learning", mdp, horizon, n_episodes, [seed], progress, on_interrupt, options
    )[0]


def rmax(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    known_visits: int = 10,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """R-max (Brafman and Tennenholtz, 2002), episodic: optimism for pairs not yet known.

    A pair is known once tried ``known_visits`` times (the paper's m); before each episode,
    backward induction on the empirical model of the known pairs, every unknown pair valued
    as if it paid ``r_max`` for the rest of the episode, ``Q_t(s, a) = (H - t) r_max``.

    Parameters
    ----------
    mdp : TabularMDP
        The model simulated.
    horizon : int
        Steps per episode, H.
    n_episodes : int
        Episodes played, K.
    seed : int
        Seed of the shared random stream.
    known_visits : int
        Visits after which a pair's empirical model is trusted, m >= 1.
    record_episodes : bool
        True keeps every episode's regret and return; False keeps the cumulative regret
        at no more than 1000 evenly spaced episodes (``result.checkpoints``, the last
        ``n_episodes``), the last 100 episodes and the sum of returns: memory independent
        of ``n_episodes``.
    progress : bool or callable, optional
        True for a progress bar, or a callable ``progress(episodes_done, n_episodes)``.
    on_interrupt : {"raise", "return"}
        On Ctrl-C, re-raise, or return what was learned over the episodes finished.

    Returns
    -------
    RegretResult
        ``regret`` (cumulative, exact), ``episode_returns``, the last planned ``q_values``
        and ``policy``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> result = rlf.rmax(mdp, horizon=20, n_episodes=200, seed=0, known_visits=5)
    >>> bool(result.episode_regret[-20:].mean() < result.episode_regret[:20].mean())
    True
    """
    options = {"known_visits": known_visits, "record_episodes": record_episodes}
    return _learn("rmax", mdp, horizon, n_episodes, [seed], progress, on_interrupt, options)[0]


def exploration_sweep(
    algorithm: str,
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seeds: Sequence[int],
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
    **options: float | str,
) -> list[RegretResult]:
    """Run one of these learners once per seed, the runs in parallel (``prange``).

    Each result equals the single run of the same seed, bit for bit. ``rlf.sweep`` runs
    the same engine over a grid (lists of options become axes) and on executors.

    Parameters
    ----------
    algorithm : {"ucbvi", "psrl", "ucb_q_learning", "rmax"}
        The learner.
    mdp, horizon, n_episodes
        As for the learner.
    seeds : sequence of int
        One run per seed.
    record_episodes, progress, on_interrupt
        As for the learner (progress counts the episodes of every run together).
    **options
        The learner's keyword options (``bonus_scale=0.1``, ``bonus="bernstein"``, ...).

    Returns
    -------
    list of RegretResult
        One per seed, in order.

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> runs = rlf.exploration_sweep("psrl", mdp, 20, 100, seeds=[0, 1, 2])
    >>> np.stack([run.regret for run in runs]).shape
    (3, 100)
    """
    algorithm = check_choice("algorithm", algorithm, tuple(ALGORITHMS))
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise InvalidTypeError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    allowed = _OPTIONS[algorithm]
    for name in options:
        if name not in allowed:
            raise InvalidValueError(
                f"{name!r} is not an option of {algorithm}; its options are {sorted(allowed)}"
            )
    if "reward_prior_mean" in options:
        options["reward_prior_mean"] = _check_number(
            "reward_prior_mean", options["reward_prior_mean"]
        )
    options["record_episodes"] = record_episodes
    return _learn(algorithm, mdp, horizon, n_episodes, list(seeds), progress, on_interrupt, options)


#: Every learner's options, in the order of its signature (the order of a sweep's axes).
_OPTIONS = {
    "ucbvi": ("bonus_scale", "delta"),
    "psrl": (
        "transition_prior",
        "reward_prior_mean",
        "reward_prior_variance",
        "reward_noise_variance",
    ),
    "ucb_q_learning": ("bonus", "bonus_scale", "delta", "epsilon"),
    "rmax": ("known_visits",),
}


def _is_axis(value) -> bool:
    return isinstance(value, list | tuple | range | np.ndarray)


def sweep_points(
    algorithm: str, mdp: TabularMDP, horizon, n_episodes, seeds, options: dict
) -> list[dict]:
    """A sweep's grid points: the options (a list is an axis) x seeds (fastest), checked.

    An option ``algorithm`` does not take is refused; every point's options are validated
    here, before any kernel runs.
    """
    allowed = _OPTIONS[algorithm]
    for name in options:
        if name not in allowed:
            raise InvalidValueError(
                f"{algorithm} does not take {name} ({name}={options[name]!r}); its options "
                f"are {list(allowed)}"
            )
    names = [name for name in allowed if name in options]
    axes = []
    for name in [*names, "seeds"]:
        value = seeds if name == "seeds" else options[name]
        if _is_axis(value):
            value = list(value)
            if not value:
                raise InvalidValueError(f"the sweep axis {name} must not be empty")
            axes.append(value)
        else:
            axes.append([value])
    points = [
        dict(zip([*names, "seed"], values, strict=True)) for values in itertools.product(*axes)
    ]
    mdp = check_mdp(mdp)
    check_mask_support(mdp, algorithm)
    checked = set()
    for point in points:
        check_seed(point["seed"])
        group = _group_key(point)
        if group not in checked:
            options = _options(point)
            if "reward_prior_mean" in options:
                _check_number("reward_prior_mean", options["reward_prior_mean"])
            check_run_options(algorithm, mdp, horizon, n_episodes, options)
            checked.add(group)
    return points


def _options(point: dict) -> dict:
    return {name: value for name, value in point.items() if name != "seed"}


def _group_key(point: dict) -> tuple:
    return tuple((name, repr(value)) for name, value in _options(point).items())


def run_sweep(
    algorithm: str,
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    points: list[dict],
    *,
    record_episodes: bool = True,
    progress: Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretSweepResult:
    """The runs of ``points`` (:func:`sweep_points`): each run of equal options together.

    The kernel's settings are shared by a batch, so the grid runs as one :func:`run_group`
    per consecutive run of equal options, stacked in order. ``progress(done, total)``
    counts episodes over every run. After Ctrl-C with ``on_interrupt="return"``, the result
    holds the groups finished (or, when Ctrl-C came in the first, its runs cut short).
    """
    groups: list[list[dict]] = []
    for point in points:
        if groups and _group_key(groups[-1][0]) == _group_key(point):
            groups[-1].append(point)
        else:
            groups.append([point])
    total = len(points) * n_episodes
    results: list[RegretSweepResult] = []
    finished = 0
    for group in groups:

        def report(done: int, _: int, runs: int = len(group), before: int = finished) -> None:
            progress(before + runs * done, total)  # type: ignore[misc]

        result = run_group(
            algorithm,
            mdp,
            horizon,
            n_episodes,
            group,
            record_episodes=record_episodes,
            progress=None if progress is None else report,
            on_interrupt=on_interrupt,
        )
        if result.interrupted:
            # Groups cut short have fewer episodes than the finished ones: keep those whole.
            return stack(results or [result])
        results.append(result)
        finished += len(group) * n_episodes
    return stack(results)


def stack(results: list[RegretSweepResult]) -> RegretSweepResult:
    """Results of the same sweep's runs, in order, as one."""
    first = results[0]

    def joined(name: str):
        arrays = [getattr(result, name) for result in results]
        return None if arrays[0] is None else np.concatenate(arrays)

    return RegretSweepResult(
        regret=joined("regret"),
        episode_regret=joined("episode_regret"),
        episode_returns=joined("episode_returns"),
        q_values=joined("q_values"),
        policy=joined("policy"),
        optimal_value=first.optimal_value,
        algorithm=first.algorithm,
        horizon=first.horizon,
        seeds=joined("seeds"),
        params=tuple(p for result in results for p in result.params),
        checkpoints=first.checkpoints,
        return_sums=joined("return_sums"),
        interrupted=any(result.interrupted for result in results),
    )


def _check_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidTypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidValueError(f"{name} must be finite, got {value!r}")
    return float(value)
