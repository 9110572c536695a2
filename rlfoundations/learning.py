"""Learners: Q-learning, SARSA, Expected SARSA, Double Q-learning, Dyna-Q and REINFORCE.

Each public function validates its arguments, allocates the run's arrays, calls the
same-named Numba kernel in :mod:`rlfoundations._kernels.learning` (which simulates the
environment from the model's arrays), and wraps a :class:`LearningResult`. Their pure-Python
twins, with the same signatures and bit-identical results for the same seed, live in
:mod:`rlfoundations.reference`.

The update of every learner is Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a)), with

- Q-learning:        target = r + gamma * max_a' Q(s', a')
- SARSA:             target = r + gamma * Q(s', a'),  a' the next behaviour action
- Expected SARSA:    target = r + gamma * sum_a' pi(a' | s') Q(s', a')
- Double Q-learning: target = r + gamma * Q_B(s', argmax_a' Q_A(s', a')), tables A and B
  swapped by a coin flip each step (van Hasselt, 2010)
- Dyna-Q:            Q-learning, then ``planning_steps`` replays of remembered transitions
  (s, a) -> (r, s', terminated), the last seen for each pair (Sutton and Barto, section 8.2)

and no bootstrap (target = r) from a terminated transition. A transition cut by the time
limit (``mdp.max_episode_steps``) is a truncation, not a termination: it bootstraps, then
a new episode starts from ``mdp.initial``.

REINFORCE (the talk's policy gradient, tabular) learns a softmax policy table from whole
episodes, with a learned state-value baseline (Sutton and Barto, section 13.4).

Long runs go in chunks (the kernels stop at any step and resume bit for bit), so that
``progress`` can report and Ctrl-C can stop a run between chunks; with
``on_interrupt="return"`` the run then returns what it learned so far.

Given a ``gymnasium.Env`` instead of a model, the same learners step the env in Python (the
slow path, for Discrete envs without a ``P`` table).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import gymnasium
import numpy as np

from rlfoundations._kernels import learning as _kernels
from rlfoundations._kernels.random import seed_state
from rlfoundations._validate import check_gamma, check_int, check_seed, is_number
from rlfoundations.mdp import TabularMDP
from rlfoundations.progress import ProgressBar
from rlfoundations.results import LearningResult, SweepResult

__all__ = [
    "Schedule",
    "double_q_learning",
    "dyna_q",
    "expected_sarsa",
    "q_learning",
    "reinforce",
    "sarsa",
]

ALGORITHMS = {
    "q_learning": _kernels.Q_LEARNING,
    "sarsa": _kernels.SARSA,
    "expected_sarsa": _kernels.EXPECTED_SARSA,
    "double_q_learning": _kernels.DOUBLE_Q_LEARNING,
    "dyna_q": _kernels.DYNA_Q,
    "reinforce": _kernels.REINFORCE,
}
EXPLORATIONS = {"epsilon_greedy": _kernels.EPSILON_GREEDY, "softmax": _kernels.SOFTMAX}
#: Episode buffers start this long and grow (the run resumes bit for bit) when full.
INITIAL_EPISODE_CAPACITY = 1 << 12
#: REINFORCE's episode path starts this long (or the time limit) and grows when full.
INITIAL_PATH_CAPACITY = 1 << 12
#: Steps per kernel call (summed over a batch's runs) when progress or interrupts are wanted.
CHUNK_STEPS = 1 << 22
INTERRUPT_MODES = ("raise", "return")

#: ``progress`` argument: a callable ``progress(steps_done, n_steps)``, or True for a bar.
Progress = Callable[[int, int], None] | bool | None


# -- schedules -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A learning rate, exploration rate or temperature that changes over a run.

    Build one with :meth:`constant`, :meth:`linear`, :meth:`exponential` or
    :meth:`visit_count`; ``t`` below is the number of steps taken before the current one.

    Examples
    --------
    >>> from rlfoundations import Schedule
    >>> Schedule.linear(1.0, 0.1, steps=1000).value(500)
    0.55
    >>> Schedule.visit_count(omega=1.0).value(0, count=4)
    0.25
    """

    kind: Literal["constant", "linear", "exponential", "visit_count"]
    start: float = 1.0
    end: float = 1.0
    steps: float = 1.0
    omega: float = 1.0

    @classmethod
    def constant(cls, value: float) -> Schedule:
        """Always ``value``."""
        return cls("constant", start=value, end=value)

    @classmethod
    def linear(cls, start: float, end: float, steps: int) -> Schedule:
        """From ``start`` to ``end`` in a straight line over ``steps`` steps, then ``end``."""
        return cls("linear", start=start, end=end, steps=steps)

    @classmethod
    def exponential(cls, start: float, end: float, steps: float) -> Schedule:
        """``end + (start - end) * exp(-t / steps)``: ``steps`` is the time constant."""
        return cls("exponential", start=start, end=end, steps=steps)

    @classmethod
    def visit_count(cls, omega: float = 1.0) -> Schedule:
        """Learning rate ``1 / n(s, a)^omega`` after the n-th visit of (s, a).

        With ``0.5 < omega <= 1`` the rates meet the Robbins-Monro conditions.
        """
        return cls("visit_count", omega=omega)

    def value(self, t: int, count: int = 1) -> float:
        """The value at step ``t`` (or after ``count`` visits, for ``visit_count``)."""
        return float(_kernels.schedule_value(self.as_array(), float(t), float(count)))

    def as_array(self) -> np.ndarray:
        """The kernel form: ``[kind, start, end, steps, omega]``."""
        kind = _SCHEDULE_KINDS[self.kind]
        return np.array([kind, self.start, self.end, self.steps, self.omega], dtype=np.float64)


_SCHEDULE_KINDS = {
    "constant": _kernels.CONSTANT,
    "linear": _kernels.LINEAR,
    "exponential": _kernels.EXPONENTIAL,
    "visit_count": _kernels.VISIT_COUNT,
}


# -- validation ----------------------------------------------------------------------------------
def _check_mdp(mdp) -> TabularMDP:
    if isinstance(mdp, TabularMDP):
        return mdp
    raise TypeError(
        f"mdp must be a TabularMDP (see rlfoundations.from_env) or a gymnasium.Env, "
        f"got {type(mdp).__name__}"
    )


def _check_schedule(name: str, value, low: float, high: float, low_open: bool) -> Schedule:
    """A float or a Schedule, every value of which lies in the interval (low or [low, high]."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    if is_number(value):
        value = Schedule.constant(float(value))
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a number in {interval} or a Schedule, got {value!r}")
    if value.kind not in _SCHEDULE_KINDS:
        raise ValueError(f"{name}.kind must be one of {sorted(_SCHEDULE_KINDS)}, got {value!r}")
    if value.kind == "visit_count":
        if name != "alpha":
            raise ValueError(f"{name} cannot be a visit_count schedule (only alpha), got {value}")
        if not (math.isfinite(value.omega) and 0.0 < value.omega <= 1.0):
            raise ValueError(f"alpha.omega must be in (0, 1], got {value.omega!r}")
        return value
    ends = (value.start,) if value.kind == "constant" else (value.start, value.end)
    for end in ends:
        below_low = end <= low if low_open else end < low
        if not math.isfinite(end) or below_low or end > high:
            raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    if value.kind != "constant" and not (math.isfinite(value.steps) and value.steps > 0):
        raise ValueError(f"{name}.steps must be > 0, got {value.steps!r}")
    return value


def _check_exploration(exploration, epsilon, temperature) -> tuple[int, Schedule]:
    if exploration not in EXPLORATIONS:
        raise ValueError(f"exploration must be one of {sorted(EXPLORATIONS)}, got {exploration!r}")
    if exploration == "epsilon_greedy":
        return EXPLORATIONS[exploration], _check_schedule("epsilon", epsilon, 0.0, 1.0, False)
    return (
        EXPLORATIONS[exploration],
        _check_schedule("temperature", temperature, 0.0, math.inf, True),
    )


def _check_progress(progress, on_interrupt) -> tuple[Callable[[int, int], None] | None, str]:
    if on_interrupt not in INTERRUPT_MODES:
        raise ValueError(f"on_interrupt must be one of {INTERRUPT_MODES}, got {on_interrupt!r}")
    if progress is True:
        return ProgressBar(), on_interrupt
    if progress is None or progress is False:
        return None, on_interrupt
    if not callable(progress):
        raise TypeError(
            f"progress must be None, True or a callable progress(steps_done, n_steps), "
            f"got {progress!r}"
        )
    return progress, on_interrupt


@dataclass(frozen=True, eq=False)
class RunSpec:
    """The validated settings of a batch of runs of one learner, in kernel form.

    Built by :func:`run_spec` from one point of hyperparameters per run; the same spec gives
    the same runs wherever it is run (one process, threads, or another machine).
    """

    algorithm: str
    seeds: tuple[int, ...]
    gammas: np.ndarray
    alphas: np.ndarray
    #: Exploration schedules (TD learners) or baseline step sizes (REINFORCE), one row a run.
    levels: np.ndarray
    exploration: int
    planning_steps: int
    use_baseline: bool
    params: tuple[dict, ...]

    @property
    def n_runs(self) -> int:
        return len(self.seeds)

    def subset(self, runs: range) -> RunSpec:
        """The spec of runs ``runs`` only (a contiguous chunk, for distribution)."""
        return RunSpec(
            algorithm=self.algorithm,
            seeds=self.seeds[runs.start : runs.stop],
            gammas=self.gammas[runs.start : runs.stop],
            alphas=self.alphas[runs.start : runs.stop],
            levels=self.levels[runs.start : runs.stop],
            exploration=self.exploration,
            planning_steps=self.planning_steps,
            use_baseline=self.use_baseline,
            params=self.params[runs.start : runs.stop],
        )


def run_spec(
    algorithm: str,
    points: list[dict],
    *,
    exploration: str = "epsilon_greedy",
    planning_steps: int = 0,
    baseline: bool = True,
) -> RunSpec:
    """Validate one dict of hyperparameters per run into a :class:`RunSpec`.

    Each point has ``seed``, ``gamma`` and ``alpha``, and ``epsilon`` or ``temperature``
    (TD learners, after ``exploration``) or ``baseline_alpha`` (REINFORCE).
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    planning_steps = check_int("planning_steps", planning_steps, minimum=0)
    if not isinstance(baseline, bool | np.bool_):
        raise TypeError(f"baseline must be a bool, got {baseline!r}")
    policy_gradient = algorithm == "reinforce"
    mode = _kernels.SOFTMAX
    if not policy_gradient and exploration not in EXPLORATIONS:
        raise ValueError(f"exploration must be one of {sorted(EXPLORATIONS)}, got {exploration!r}")
    seeds, gammas, alphas, levels = [], [], [], []
    for point in points:
        seeds.append(check_seed(point["seed"]))
        gammas.append(check_gamma(point["gamma"]))
        alpha = _check_schedule("alpha", point["alpha"], 0.0, 1.0, True)
        if policy_gradient:
            if alpha.kind == "visit_count":
                raise ValueError(f"reinforce's alpha cannot be a visit_count schedule: {alpha}")
            level = _check_schedule("baseline_alpha", point["baseline_alpha"], 0.0, 1.0, True)
        else:
            mode, level = _check_exploration(
                exploration, point.get("epsilon"), point.get("temperature")
            )
        alphas.append(alpha.as_array())
        levels.append(level.as_array())
    return RunSpec(
        algorithm=algorithm,
        seeds=tuple(seeds),
        gammas=np.array(gammas, dtype=np.float64),
        alphas=np.array(alphas, dtype=np.float64).reshape(len(points), 5),
        levels=np.array(levels, dtype=np.float64).reshape(len(points), 5),
        exploration=mode,
        planning_steps=planning_steps,
        use_baseline=bool(baseline),
        params=tuple(dict(point) for point in points),
    )


# -- running -------------------------------------------------------------------------------------
def _kernel_model(mdp: TabularMDP) -> tuple:
    initial_cdf = np.empty(mdp.n_states)
    _kernels.cumulative(mdp.initial, initial_cdf)
    initial_guide = np.empty(mdp.n_states, dtype=np.int64)
    _kernels.guide_table(initial_cdf, initial_guide)
    return (
        mdp.next_state,
        mdp.prob,
        mdp.reward,
        mdp.terminated,
        initial_cdf,
        initial_guide,
        0 if mdp.max_episode_steps is None else mdp.max_episode_steps,
    )


class _Runs:
    """The arrays of a batch of runs, stacked on a leading axis, that kernels update in place.

    TD learners keep two tables (Double Q-learning's second), visit counts and Dyna-Q's
    remembered model; REINFORCE keeps its preferences (in ``q_values``), its baseline, and
    the path of the current episode.
    """

    def __init__(self, mdp: TabularMDP, spec: RunSpec, n_steps: int) -> None:
        n_runs, n_states, n_actions = spec.n_runs, mdp.n_states, mdp.n_actions
        shape = (n_runs, n_states, n_actions)
        self.policy_gradient = spec.algorithm == "reinforce"
        self.double = spec.algorithm == "double_q_learning"
        self.rng = np.zeros((n_runs, 4), dtype=np.uint64)
        for run, seed in enumerate(spec.seeds):
            seed_state(np.uint64(seed), self.rng[run])
        self.q_values = np.zeros(shape)
        if self.policy_gradient:
            # Long enough for most episodes; grow() doubles it for longer ones.
            path = min(n_steps, mdp.max_episode_steps or n_steps, INITIAL_PATH_CAPACITY)
            self.baseline = np.zeros((n_runs, n_states))
            self.weights = np.zeros((n_runs, n_actions))
            self.path_state = np.zeros((n_runs, path), dtype=np.int64)
            self.path_action = np.zeros((n_runs, path), dtype=np.int64)
            self.path_reward = np.zeros((n_runs, path))
            tables = "baseline weights path_state path_action path_reward"
        else:
            # Tables a learner never reads are empty placeholders of the same rank (the
            # kernels are typed by rank, not size): a sweep over a large model would
            # otherwise carry five unused copies of its Q table.
            dyna = spec.algorithm == "dyna_q"
            counted = dyna or bool((spec.alphas[:, 0] == _kernels.VISIT_COUNT).any())

            def table(used: bool, dtype=np.float64, fill=0) -> np.ndarray:
                return np.full(shape if used else (n_runs, 0, 0), fill, dtype=dtype)

            self.q_second = table(self.double)
            self.visits = table(counted, np.int64)
            self.model_next = table(dyna, np.int64, -1)
            self.model_reward = table(dyna)
            self.model_terminated = table(dyna, np.bool_, False)
            self.seen = np.zeros((n_runs, n_states * n_actions if dyna else 0), dtype=np.int64)
            tables = "q_second visits model_next model_reward model_terminated seen"
        capacity = min(n_steps + 1, INITIAL_EPISODE_CAPACITY)
        self.cursor = np.zeros((n_runs, _kernels.CURSOR_SIZE), dtype=np.int64)
        self.cursor[:, _kernels.STATE] = -1
        self.episode_return = np.zeros((n_runs, 1))
        self.episode_returns = np.full((n_runs, capacity), np.nan)
        self.episode_lengths = np.zeros((n_runs, capacity), dtype=np.int64)
        self.names = (
            f"rng q_values {tables} cursor episode_return episode_returns episode_lengths".split()
        )

    def arrays(self, run: int | None = None) -> tuple:
        """The run state in kernel argument order (one run's slices, or all runs)."""
        if run is None:
            return tuple(getattr(self, name) for name in self.names)
        return tuple(getattr(self, name)[run] for name in self.names)

    @property
    def steps(self) -> np.ndarray:
        return self.cursor[:, _kernels.STEP]

    def grow(self, n_steps: int) -> None:
        """Enlarge whichever buffers stopped the kernel short of its stop step."""
        capacity = self.episode_returns.shape[1]
        if (self.cursor[:, _kernels.N_EPISODES] >= capacity).any():
            steps = max(int(self.steps.min()), 1)
            pace = int(self.cursor[:, _kernels.N_EPISODES].max()) * n_steps // steps
            new = min(max(2 * capacity, pace + pace // 8 + 16), n_steps + 1)
            self.episode_returns = _widen(self.episode_returns, new, np.nan)
            self.episode_lengths = _widen(self.episode_lengths, new, 0)
        if self.policy_gradient:
            path = self.path_state.shape[1]
            if (self.cursor[:, _kernels.EPISODE_STEP] >= path).any():
                self.path_state = _widen(self.path_state, 2 * path, 0)
                self.path_action = _widen(self.path_action, 2 * path, 0)
                self.path_reward = _widen(self.path_reward, 2 * path, 0.0)

    def q_table(self) -> np.ndarray:
        """The learned table: Double Q-learning's estimate is the mean of its two."""
        if self.double:
            return (self.q_values + self.q_second) / 2.0
        return self.q_values


def _widen(array: np.ndarray, width: int, fill) -> np.ndarray:
    """``array`` (runs, n) copied into a (runs, width) array padded with ``fill``."""
    wider = np.full((array.shape[0], width), fill, dtype=array.dtype)
    wider[:, : array.shape[1]] = array
    return wider


def _greedy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact values of ``policy``; NaN where, with gamma = 1, it never ends the episode."""
    from rlfoundations.planning import policy_evaluation

    try:
        return policy_evaluation(mdp, policy, gamma).values
    except ValueError:
        # gamma = 1 and a policy that loops forever somewhere: its value is not a finite sum.
        return np.full(mdp.n_states, np.nan)


def _kernel_call(mdp: TabularMDP, spec: RunSpec, runs: _Runs) -> Callable[[int], None]:
    """A function ``advance(stop)`` that runs every run of the batch up to step ``stop``
    (or until a buffer is full): the same-named kernel for one run, the sweep kernel for
    several."""
    model = _kernel_model(mdp)
    single = spec.n_runs == 1
    if spec.algorithm == "reinforce":

        def advance(stop: int) -> None:
            if single:
                _kernels.reinforce(
                    *model,
                    spec.gammas[0],
                    spec.alphas[0],
                    spec.levels[0],
                    spec.use_baseline,
                    stop,
                    *runs.arrays(0),
                )
            else:
                _kernels.sweep_reinforce(
                    *model,
                    spec.gammas,
                    spec.alphas,
                    spec.levels,
                    spec.use_baseline,
                    stop,
                    *runs.arrays(),
                )

        return advance

    learner = getattr(_kernels, spec.algorithm)
    algorithm = ALGORITHMS[spec.algorithm]

    def advance(stop: int) -> None:
        if single:
            learner(
                spec.exploration,
                *model,
                spec.gammas[0],
                spec.alphas[0],
                spec.levels[0],
                spec.planning_steps,
                stop,
                *runs.arrays(0),
            )
        else:
            _kernels.sweep(
                algorithm,
                spec.exploration,
                *model,
                spec.gammas,
                spec.alphas,
                spec.levels,
                spec.planning_steps,
                stop,
                *runs.arrays(),
            )

    return advance


def run_batch(
    mdp: TabularMDP,
    spec: RunSpec,
    n_steps: int,
    *,
    eval_every: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> SweepResult:
    """Run every run of ``spec`` for ``n_steps`` steps, in parallel over runs.

    The engine under every learner and :func:`rlfoundations.sweep`: arguments are trusted
    (validated by :func:`run_spec` and the callers). With ``progress`` or
    ``on_interrupt="return"`` the runs advance in chunks of about ``CHUNK_STEPS`` steps in
    all, calling ``progress(steps_done, n_steps)`` after each; chunked runs equal unchunked
    runs bit for bit. ``eval_every`` adds the exact values of every run's greedy policy at
    steps 0, eval_every, 2 * eval_every, ..., n_steps.
    """
    runs = _Runs(mdp, spec, n_steps)
    advance = _kernel_call(mdp, spec, runs)
    stops = [n_steps] if eval_every is None else [*range(eval_every, n_steps, eval_every), n_steps]
    chunked = progress is not None or on_interrupt == "return"
    chunk = max(CHUNK_STEPS // spec.n_runs, 1 << 12) if chunked else n_steps
    curve_steps: list[int] = []
    curve_values: list[np.ndarray] = []

    def evaluate(step: int) -> None:
        q_table = runs.q_table()
        values = np.stack(
            [
                _greedy_values(mdp, np.argmax(q_table[r], axis=1), float(spec.gammas[r]))
                for r in range(spec.n_runs)
            ]
        )
        curve_steps.append(step)
        curve_values.append(values)

    interrupted = False
    try:
        if eval_every is not None:
            evaluate(0)
        done = 0
        for stop in stops:
            while done < stop:
                target = min(stop, done + chunk)
                advance(target)
                while (runs.steps < target).any():
                    runs.grow(n_steps)
                    advance(target)
                done = target
                if progress is not None:
                    progress(done, n_steps)
            if eval_every is not None:
                evaluate(done)
    except KeyboardInterrupt:
        if on_interrupt != "return":
            raise
        interrupted = True
        # A kernel call stopped short by a full buffer left some runs behind: catch them up,
        # so that every run has taken the steps the result reports.
        while (runs.steps < runs.steps.max()).any():
            runs.grow(n_steps)
            advance(int(runs.steps.max()))

    if eval_every is None:
        steps_evaluated = values_evaluated = None
    else:
        steps_evaluated = np.array(curve_steps, dtype=np.int64)
        values_evaluated = np.empty((spec.n_runs, len(curve_steps), mdp.n_states))
        for index, values in enumerate(curve_values):
            values_evaluated[:, index] = values
    q_values = runs.q_table().copy()
    n_episodes = runs.cursor[:, _kernels.N_EPISODES].copy()
    width = int(n_episodes.max())
    return SweepResult(
        q_values=q_values,
        policy=np.argmax(q_values, axis=2),
        episode_returns=runs.episode_returns[:, :width].copy(),
        episode_lengths=runs.episode_lengths[:, :width].copy(),
        n_episodes=n_episodes,
        total_steps=int(runs.steps.min()),
        algorithm=spec.algorithm,
        seeds=np.array(spec.seeds, dtype=np.uint64),
        params=spec.params,
        curve_steps=steps_evaluated,
        curve_values=values_evaluated,
        interrupted=interrupted,
        baseline=runs.baseline.copy() if runs.policy_gradient else None,
    )


def _learn(
    algorithm: str,
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha,
    eval_every=None,
    progress=None,
    on_interrupt="raise",
    **settings,
) -> LearningResult:
    """One run of ``algorithm``: on a model, the batch engine; on a live env, the twin.

    Every argument is checked first, whichever path runs."""
    live = isinstance(mdp, gymnasium.Env)
    if not live:
        mdp = _check_mdp(mdp)
    n_steps = check_int("n_steps", n_steps)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    progress, on_interrupt = _check_progress(progress, on_interrupt)
    point = {"gamma": gamma, "alpha": alpha, "seed": seed}
    if algorithm == "reinforce":
        point["baseline_alpha"] = settings["baseline_alpha"]
        options = {"baseline": settings["baseline"]}
    else:
        point["epsilon"] = settings["epsilon"]
        point["temperature"] = settings["temperature"]
        options = {
            "exploration": settings["exploration"],
            "planning_steps": settings.get("planning_steps", 0),
        }
    spec = run_spec(algorithm, [point], **options)
    if live:
        if eval_every is not None:
            raise ValueError("eval_every needs a TabularMDP: a live env has no exact values")
        if progress is not None or on_interrupt != "raise":
            raise ValueError("progress and on_interrupt need a TabularMDP, not a live env")
        from rlfoundations.reference import learning as _reference

        return getattr(_reference, algorithm)(
            mdp,
            gamma=float(spec.gammas[0]),
            n_steps=n_steps,
            seed=spec.seeds[0],
            alpha=alpha,
            **settings,
        )
    batch = run_batch(
        mdp, spec, n_steps, eval_every=eval_every, progress=progress, on_interrupt=on_interrupt
    )
    return batch.run(0)


# -- public learners -----------------------------------------------------------------------------
_COMMON_PARAMETERS = """
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel (episodes start from ``mdp.initial``, end on a
        terminated outcome or after ``mdp.max_episode_steps``); or a live env with Discrete
        spaces, stepped in Python (slow).
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps to take (> 0).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact values of the
        current greedy policy on the model: ``result.curve_steps``, ``result.curve_values``.
    progress : callable or bool, optional
        ``progress(steps_done, n_steps)``, called as the run advances in chunks (about
        4 million steps each); ``True`` draws a text bar on stderr.
    on_interrupt : {"raise", "return"}
        What Ctrl-C (``KeyboardInterrupt``) does: propagate, or end the run between chunks
        and return what it learned so far, with ``result.interrupted`` set."""

_RETURNS = """
    Returns
    -------
    LearningResult
        ``q_values``, greedy ``policy``, per-episode ``episode_returns`` and
        ``episode_lengths``, ``total_steps``, and the learning curve if asked."""


def _document(function, summary: str, kernel: str, example: str, extra: str = ""):
    function.__doc__ = (
        f"{summary}\n\n    Parameters\n    ----------{_COMMON_PARAMETERS}{extra}\n{_RETURNS}\n\n"
        f"    Notes\n    -----\n    Kernel: :func:`rlfoundations._kernels.learning.{kernel}`; "
        f"reference twin: ``rlfoundations.reference.{kernel}``.\n\n"
        f"    Examples\n    --------\n{example}"
    )
    return function


def q_learning(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: str = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    return _learn(
        "q_learning",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def sarsa(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: str = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    return _learn(
        "sarsa",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def expected_sarsa(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: str = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    return _learn(
        "expected_sarsa",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def double_q_learning(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: str = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    return _learn(
        "double_q_learning",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def dyna_q(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: str = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    planning_steps: int = 10,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    return _learn(
        "dyna_q",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        planning_steps=planning_steps,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def reinforce(
    mdp,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    baseline_alpha: float | Schedule = 0.1,
    baseline: bool = True,
    eval_every: int | None = None,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """REINFORCE: Monte Carlo policy gradient on a softmax policy table, with a baseline.

    The talk's policy gradient, tabular: the policy is ``pi(a | s) = softmax(theta[s])``;
    after each episode, every step t moves ``theta[s_t]`` along the gradient of
    ``log pi(a_t | s_t)`` scaled by ``alpha * gamma^t * (G_t - b(s_t))``, where ``G_t`` is
    the return from step t and ``b`` a learned state-value baseline (Sutton and Barto,
    section 13.4). For a softmax table that gradient is ``1[b = a_t] - pi(b | s_t)``.

    Parameters
    ----------
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel; or a live env with Discrete spaces, stepped
        in Python (slow).
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps to take (> 0). An episode still running at the end is not
        learned from (Monte Carlo needs its end).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Policy step size, in (0, 1]; a schedule is read at the step each episode ends.
    baseline_alpha : float or Schedule
        Step size of the baseline ``b(s) <- b(s) + baseline_alpha * (G_t - b(s))``.
    baseline : bool
        Subtract the baseline (``False``: plain REINFORCE, ``delta = G_t``). An episode
        cut by the time limit starts its returns from the baseline's value of its last
        state (a bootstrap, as the TD learners do); without a baseline, from 0.
    eval_every, progress, on_interrupt
        As in :func:`q_learning`.

    Returns
    -------
    LearningResult
        ``q_values`` holds the policy's preferences ``theta`` (greedy ``policy`` = their
        argmax, lowest index on ties), with the per-episode returns and lengths.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.learning.reinforce`; reference twin:
    ``rlfoundations.reference.reinforce``. The behaviour policy is the softmax policy
    itself: there is no epsilon.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.reinforce(mdp, gamma=0.95, n_steps=50_000, seed=0)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.95).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.95).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)  # greedy in theta: optimal from the start
    True
    """
    return _learn(
        "reinforce",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        baseline_alpha=baseline_alpha,
        baseline=baseline,
        eval_every=eval_every,
        progress=progress,
        on_interrupt=on_interrupt,
    )


_EXAMPLE = """    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.{name}(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
"""
_document(
    q_learning,
    "Q-learning: off-policy TD control, target ``r + gamma * max_a' Q(s', a')``.",
    "q_learning",
    _EXAMPLE.format(name="q_learning"),
)
_document(
    sarsa,
    "SARSA: on-policy TD control, target ``r + gamma * Q(s', a')`` with a' the next action.",
    "sarsa",
    _EXAMPLE.format(name="sarsa"),
)
_document(
    expected_sarsa,
    "Expected SARSA: target ``r + gamma * sum_a' pi(a' | s') Q(s', a')``.",
    "expected_sarsa",
    _EXAMPLE.format(name="expected_sarsa"),
)
_document(
    double_q_learning,
    "Double Q-learning: two tables, each evaluated at the other's argmax (no max bias).",
    "double_q_learning",
    _EXAMPLE.format(name="double_q_learning"),
)
_document(
    dyna_q,
    "Dyna-Q: Q-learning plus ``planning_steps`` replays of remembered transitions per step.",
    "dyna_q",
    _EXAMPLE.format(name="dyna_q"),
    extra="""
    planning_steps : int
        Replayed updates per real step (>= 0), each of a uniformly drawn remembered pair.""",
)
