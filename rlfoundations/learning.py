"""Learners: Q-learning, SARSA, Expected SARSA, Double Q-learning and Dyna-Q, plus sweeps.

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

Given a ``gymnasium.Env`` instead of a model, the same learners step the env in Python (the
slow path, for Discrete envs without a ``P`` table).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np

from rlfoundations._kernels import learning as _kernels
from rlfoundations._kernels.random import seed_state
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult, SweepResult

__all__ = [
    "Schedule",
    "double_q_learning",
    "dyna_q",
    "expected_sarsa",
    "q_learning",
    "sarsa",
    "sweep",
]

ALGORITHMS = {
    "q_learning": _kernels.Q_LEARNING,
    "sarsa": _kernels.SARSA,
    "expected_sarsa": _kernels.EXPECTED_SARSA,
    "double_q_learning": _kernels.DOUBLE_Q_LEARNING,
    "dyna_q": _kernels.DYNA_Q,
}
EXPLORATIONS = {"epsilon_greedy": _kernels.EPSILON_GREEDY, "softmax": _kernels.SOFTMAX}
#: Episode buffers start this long and grow (the run resumes bit for bit) when full.
INITIAL_EPISODE_CAPACITY = 1 << 12


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
def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _check_mdp(mdp):
    if isinstance(mdp, TabularMDP):
        if not float(np.sum(mdp.initial)) > 0.0:
            raise ValueError("mdp.initial has no mass: the learner has no state to start from")
        return mdp
    raise TypeError(
        f"mdp must be a TabularMDP (see rlfoundations.from_env) or a gymnasium.Env, "
        f"got {type(mdp).__name__}"
    )


def _check_gamma(gamma) -> float:
    if not _is_number(gamma):
        raise TypeError(f"gamma must be a number in [0, 1], got {gamma!r}")
    if not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return float(gamma)


def _check_count(name: str, value, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return int(value)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int in [0, 2**64), got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return int(seed)


def _check_schedule(name: str, value, low: float, high: float, low_open: bool) -> Schedule:
    """A float or a Schedule, every value of which lies in the interval (low or [low, high]."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    if _is_number(value):
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


# -- running -------------------------------------------------------------------------------------
def _kernel_model(mdp: TabularMDP) -> tuple:
    initial_cdf = np.empty(mdp.n_states)
    _kernels.cumulative(mdp.initial, initial_cdf)
    return (
        mdp.next_state,
        mdp.prob,
        mdp.reward,
        mdp.terminated,
        initial_cdf,
        0 if mdp.max_episode_steps is None else mdp.max_episode_steps,
    )


class _Runs:
    """The arrays of ``n_runs`` runs, stacked on a leading axis, that kernels update in place."""

    def __init__(self, mdp: TabularMDP, seeds: list[int], capacity: int) -> None:
        n_runs, shape = len(seeds), (len(seeds), mdp.n_states, mdp.n_actions)
        self.rng = np.zeros((n_runs, 4), dtype=np.uint64)
        for run, seed in enumerate(seeds):
            seed_state(np.uint64(seed), self.rng[run])
        self.q_values = np.zeros(shape)
        self.q_second = np.zeros(shape)
        self.visits = np.zeros(shape, dtype=np.int64)
        self.model_next = np.full(shape, -1, dtype=np.int64)
        self.model_reward = np.zeros(shape)
        self.model_terminated = np.zeros(shape, dtype=np.bool_)
        self.seen = np.zeros((n_runs, mdp.n_states * mdp.n_actions), dtype=np.int64)
        self.cursor = np.zeros((n_runs, _kernels.CURSOR_SIZE), dtype=np.int64)
        self.cursor[:, _kernels.STATE] = -1
        self.episode_return = np.zeros((n_runs, 1))
        self.episode_returns = np.full((n_runs, capacity), np.nan)
        self.episode_lengths = np.zeros((n_runs, capacity), dtype=np.int64)

    def arrays(self, run: int | None = None) -> tuple:
        """The run state in kernel argument order (one run's slices, or all runs)."""
        names = (
            "rng q_values q_second visits model_next model_reward model_terminated seen "
            "cursor episode_return episode_returns episode_lengths"
        ).split()
        if run is None:
            return tuple(getattr(self, name) for name in names)
        return tuple(getattr(self, name)[run] for name in names)

    def grow(self, n_steps: int) -> None:
        """Enlarge the episode buffers: twice as long, or enough at the pace so far."""
        capacity = self.episode_returns.shape[1]
        steps = max(int(self.cursor[:, _kernels.STEP].min()), 1)
        pace = int(self.cursor[:, _kernels.N_EPISODES].max()) * n_steps // steps
        new = min(max(2 * capacity, pace + pace // 8 + 16), n_steps + 1)
        returns = np.full((len(self.rng), new), np.nan)
        lengths = np.zeros((len(self.rng), new), dtype=np.int64)
        returns[:, :capacity] = self.episode_returns
        lengths[:, :capacity] = self.episode_lengths
        self.episode_returns, self.episode_lengths = returns, lengths

    def needs_more(self, stop: int) -> bool:
        return bool((self.cursor[:, _kernels.STEP] < stop).any())

    def q_table(self, algorithm: int) -> np.ndarray:
        if algorithm == _kernels.DOUBLE_Q_LEARNING:
            return (self.q_values + self.q_second) / 2.0
        return self.q_values


def _greedy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact values of ``policy``; NaN where, with gamma = 1, it never ends the episode."""
    from rlfoundations.planning import policy_evaluation

    try:
        return policy_evaluation(mdp, policy, gamma).values
    except ValueError:
        # gamma = 1 and a policy that loops forever somewhere: its value is not a finite sum.
        return np.full(mdp.n_states, np.nan)


def _learn(
    algorithm_name: str,
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha,
    epsilon,
    exploration,
    temperature,
    planning_steps=0,
    eval_every=None,
) -> LearningResult:
    if not isinstance(mdp, TabularMDP) and _is_gym_env(mdp):
        if eval_every is not None:
            raise ValueError("eval_every needs a TabularMDP: a live env has no exact values")
        from rlfoundations.reference import learning as _reference

        return getattr(_reference, algorithm_name)(
            mdp,
            gamma=gamma,
            n_steps=n_steps,
            seed=seed,
            alpha=alpha,
            epsilon=epsilon,
            exploration=exploration,
            temperature=temperature,
            **({"planning_steps": planning_steps} if algorithm_name == "dyna_q" else {}),
        )
    mdp = _check_mdp(mdp)
    gamma = _check_gamma(gamma)
    n_steps = _check_count("n_steps", n_steps)
    seed = _check_seed(seed)
    alpha_schedule = _check_schedule("alpha", alpha, 0.0, 1.0, True).as_array()
    explore_mode, explore_schedule = _check_exploration(exploration, epsilon, temperature)
    planning_steps = _check_count("planning_steps", planning_steps, allow_zero=True)
    if eval_every is not None:
        eval_every = _check_count("eval_every", eval_every)
    algorithm = ALGORITHMS[algorithm_name]
    learner = getattr(_kernels, algorithm_name)

    model = _kernel_model(mdp)
    runs = _Runs(mdp, [seed], min(n_steps + 1, INITIAL_EPISODE_CAPACITY))
    stops = [n_steps] if eval_every is None else [*range(eval_every, n_steps, eval_every), n_steps]
    curve_steps, curve_values = [], []

    def evaluate() -> None:
        policy = np.argmax(runs.q_table(algorithm)[0], axis=1)
        curve_steps.append(int(runs.cursor[0, _kernels.STEP]))
        curve_values.append(_greedy_values(mdp, policy, gamma))

    if eval_every is not None:
        evaluate()
    for stop in stops:
        while True:
            learner(
                explore_mode,
                *model,
                gamma,
                alpha_schedule,
                explore_schedule.as_array(),
                planning_steps,
                stop,
                *runs.arrays(0),
            )
            if not runs.needs_more(stop):
                break
            runs.grow(n_steps)
        if eval_every is not None:
            evaluate()

    q_values = runs.q_table(algorithm)[0]
    n_episodes = int(runs.cursor[0, _kernels.N_EPISODES])
    return LearningResult(
        q_values=q_values,
        policy=np.argmax(q_values, axis=1),
        episode_returns=runs.episode_returns[0, :n_episodes].copy(),
        episode_lengths=runs.episode_lengths[0, :n_episodes].copy(),
        total_steps=int(runs.cursor[0, _kernels.STEP]),
        algorithm=algorithm_name,
        gamma=gamma,
        seed=seed,
        curve_steps=None if eval_every is None else np.array(curve_steps),
        curve_values=None if eval_every is None else np.array(curve_values),
    )


def _is_gym_env(value) -> bool:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a dependency
        return False
    return isinstance(value, gymnasium.Env)


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
        current greedy policy on the model: ``result.curve_steps``, ``result.curve_values``."""

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


# -- sweeps --------------------------------------------------------------------------------------
def _grid_axis(value) -> list:
    if isinstance(value, list | tuple | np.ndarray):
        values = list(value)
        if not values:
            raise ValueError("a sweep axis must not be empty")
        return values
    return [value]


def sweep(
    mdp: TabularMDP,
    algorithm: str = "q_learning",
    *,
    gamma,
    n_steps: int,
    seeds,
    alpha=0.1,
    epsilon=0.1,
    exploration: str = "epsilon_greedy",
    temperature=1.0,
    planning_steps: int = 10,
    n_threads: int | None = None,
) -> SweepResult:
    """Run a grid of seeds x hyperparameters in parallel, one run per ``prange`` iteration.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    algorithm : {"q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q"}
        The learner.
    gamma, alpha, epsilon, temperature
        As in :func:`q_learning`; each may be a list, which makes it an axis of the grid.
    n_steps : int
        Steps of every run.
    seeds : int or sequence of int
        Seeds, the fastest-varying axis of the grid.
    exploration, planning_steps
        As in :func:`q_learning` and :func:`dyna_q`, the same for every run.
    n_threads : int, optional
        Numba threads to use (default: all); results do not depend on it.

    Returns
    -------
    SweepResult
        Stacked arrays, ``runs`` first; ``result.run(i)`` equals the same run made alone.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.learning.sweep`. Each run owns its random stream,
    seeded from its seed alone.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.sweep(mdp, gamma=0.99, n_steps=5_000, seeds=range(4), alpha=[0.1, 0.5])
    >>> result.q_values.shape, result.params[5]
    ((8, 48, 4), {'gamma': 0.99, 'alpha': 0.5, 'epsilon': 0.1, 'seed': 1})
    """
    mdp = _check_mdp(mdp)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    n_steps = _check_count("n_steps", n_steps)
    planning_steps = _check_count("planning_steps", planning_steps, allow_zero=True)
    seed_axis = [_check_seed(seed) for seed in ([seeds] if _is_number(seeds) else list(seeds))]
    if not seed_axis:
        raise ValueError("seeds must not be empty")
    level_name = "epsilon" if exploration == "epsilon_greedy" else "temperature"
    level_axis = _grid_axis(epsilon if level_name == "epsilon" else temperature)
    axes = {"gamma": _grid_axis(gamma), "alpha": _grid_axis(alpha), level_name: level_axis}
    params, gammas, alphas, levels = [], [], [], []
    if exploration not in EXPLORATIONS:
        raise ValueError(f"exploration must be one of {sorted(EXPLORATIONS)}, got {exploration!r}")
    for values in itertools.product(*axes.values(), seed_axis):
        point = dict(zip([*axes, "seed"], values, strict=True))
        gammas.append(_check_gamma(point["gamma"]))
        alphas.append(_check_schedule("alpha", point["alpha"], 0.0, 1.0, True).as_array())
        explore_mode, schedule = _check_exploration(
            exploration,
            point.get("epsilon", epsilon),
            point.get("temperature", temperature),
        )
        levels.append(schedule.as_array())
        params.append(point)
    if n_threads is not None:
        n_threads = _check_count("n_threads", n_threads)
        if n_threads > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(
                f"n_threads must be <= {numba.config.NUMBA_NUM_THREADS}, got {n_threads}"
            )
    seeds_run = [point["seed"] for point in params]
    runs = _Runs(mdp, seeds_run, min(n_steps + 1, INITIAL_EPISODE_CAPACITY))
    model = _kernel_model(mdp)
    previous = numba.get_num_threads()
    if n_threads is not None:
        numba.set_num_threads(n_threads)
    try:
        while True:
            _kernels.sweep(
                ALGORITHMS[algorithm],
                explore_mode,
                *model,
                np.array(gammas),
                np.array(alphas),
                np.array(levels),
                planning_steps,
                n_steps,
                *runs.arrays(),
            )
            if not runs.needs_more(n_steps):
                break
            runs.grow(n_steps)
    finally:
        numba.set_num_threads(previous)

    q_values = runs.q_table(ALGORITHMS[algorithm])
    n_episodes = runs.cursor[:, _kernels.N_EPISODES].copy()
    width = int(n_episodes.max())
    return SweepResult(
        q_values=q_values,
        policy=np.argmax(q_values, axis=2),
        episode_returns=runs.episode_returns[:, :width].copy(),
        episode_lengths=runs.episode_lengths[:, :width].copy(),
        n_episodes=n_episodes,
        total_steps=n_steps,
        algorithm=algorithm,
        seeds=np.array(seeds_run, dtype=np.uint64),
        params=tuple(params),
    )
