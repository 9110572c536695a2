"""Sweeps: a grid of seeds x hyperparameters, run in parallel here or on any executor.

Every learner runs here. :data:`ENGINES` names, for the learners outside the TD batch engine
(prediction, Monte Carlo control, the regret learners), the :class:`Engine` that checks a
grid, runs a chunk of it and stacks chunk results: the engines of their own modules'
``*_sweep`` functions, so there is one engine per learner, whichever sweep calls it.

The grid's runs are split into chunks; each chunk is one batch
(:func:`rlfoundations.batch.run_batch`, or the learner's engine), a jitted ``prange`` loop
over its runs. Here, one chunk holds every run. Given an executor (a
``concurrent.futures.Executor``, or a Dask client's ``client.get_executor()``), chunks are
submitted to it, a failed chunk is resubmitted, and the results are stacked in grid order:
run for run the same as the single-machine sweep, since each run draws from its own stream,
seeded by its seed alone.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, overload

import numba
import numpy as np
import numpy.typing as npt

from rlfoundations import exploration as regret_learners
from rlfoundations import monte_carlo, prediction
from rlfoundations._validate import check_bool, check_int, check_mdp, is_number
from rlfoundations.batch import (
    ALGORITHMS,
    AVERAGE_REWARD,
    EXPLORATIONS,
    Progress,
    RunSpec,
    check_algorithm,
    check_exploration,
    check_progress,
    check_steps,
    run_batch,
    run_spec,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError, UserError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import PredictionSweepResult, RegretSweepResult, SweepResult
from rlfoundations.schedules import Schedule

__all__ = ["sweep"]

#: Attempts per chunk before the sweep fails (the first try and two resubmissions).
DEFAULT_RETRIES = 2


def _is_axis(value) -> bool:
    """Whether a sweep argument is a list of values (an axis of the grid)."""
    return isinstance(value, list | tuple | range | np.ndarray)


def _used_axes(algorithm: str, exploration) -> tuple[str, ...]:
    """The hyper-parameters ``algorithm`` reads, in grid order (which may be axes)."""
    if algorithm == "reinforce":
        return ("gamma", "alpha", "baseline_alpha")
    level = (
        "temperature" if check_exploration(exploration) == EXPLORATIONS["softmax"] else "epsilon"
    )
    if algorithm == "dyna_q":
        return ("gamma", "alpha", level, "planning_steps", "kappa")
    if algorithm in ("sarsa_lambda", "watkins_q_lambda"):
        return ("gamma", "alpha", level, "lam", "trace")
    if algorithm == "n_step_sarsa":
        return ("gamma", "alpha", level, "n")
    if algorithm == "n_step_tree_backup":
        return ("gamma", "alpha", level, "n", "target_policy")
    if algorithm == "q_sigma":
        return ("gamma", "alpha", level, "n", "sigma")
    if algorithm == "prioritized_sweeping":
        return ("gamma", "alpha", level, "planning_steps", "theta")
    if algorithm in AVERAGE_REWARD:
        return ("alpha", level, "eta")
    return ("gamma", "alpha", level)


def _grid_axis(name: str, value) -> list:
    if _is_axis(value):
        values = list(value)
        if not values:
            raise InvalidValueError(f"the sweep axis {name} must not be empty")
        return values
    return [value]


def _grid(seeds, axes: dict) -> list[dict]:
    """Every point of the grid, as dicts in run order: the product of ``axes``, seeds fastest."""
    seed_axis = [seeds] if is_number(seeds) else _grid_axis("seeds", seeds)
    names = list(axes)
    return [
        dict(zip([*names, "seed"], values, strict=True))
        for values in itertools.product(*(_grid_axis(n, axes[n]) for n in names), seed_axis)
    ]


#: A rate (alpha, epsilon, a baseline step): a number or a Schedule, or a list of them (an axis).
Rate = float | Schedule | Sequence[float | Schedule]

#: The TD batch engine's parameters and what None stands for (the learners' defaults).
TD_DEFAULTS = {
    "alpha": 0.1,
    "epsilon": 0.1,
    "exploration": "epsilon_greedy",
    "temperature": 1.0,
    "planning_steps": 10,
    "baseline_alpha": 0.1,
    "baseline": True,
    "lam": 0.9,
    "trace": "accumulating",
    "kappa": 0.0,
    "n": 4,
    "sigma": 0.5,
    "target_policy": "greedy",
    "theta": 1e-4,
    "eta": 1.0,
}


class Engine(NamedTuple):
    """How ``sweep`` runs one kind of learner: its parameters, and its three steps.

    ``prepare(mdp, algorithm, seeds, values, options, record_episodes)`` checks every
    argument and grid point (``values`` the sweep's named keyword arguments, ``options``
    its ``**options``) and returns the runs, picklable, with ``n_runs``, ``seeds`` and
    ``subset(range)``; ``run(mdp, runs, budget, eval_every, progress, on_interrupt)`` runs
    them (``budget`` the ``n_steps`` or ``n_episodes``); ``stack(results)`` joins the
    results of chunks of runs, in order.
    """

    budget: str  # "n_steps" or "n_episodes"
    takes: frozenset[str]  # the sweep's keyword arguments it reads (besides the common ones)
    options: tuple[str, ...]  # learner options it accepts through **options
    prepare: Callable
    run: Callable
    stack: Callable


@dataclass(frozen=True, eq=False)
class Runs:
    """Checked runs of a learner outside the TD batch engine: what one chunk's task needs."""

    algorithm: str
    points: tuple[dict, ...]
    shared: dict  # the checked settings every run shares (policy, method, ...)
    record_episodes: bool
    horizon: int = 0

    @property
    def n_runs(self) -> int:
        return len(self.points)

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(int(point["seed"]) for point in self.points)

    def subset(self, runs: range) -> Runs:
        return replace(self, points=self.points[runs.start : runs.stop])


def _td_prepare(mdp, algorithm, seeds, values, options, record_episodes) -> RunSpec:
    given: dict[str, Any] = {
        name: TD_DEFAULTS[name] if values[name] is None else values[name] for name in TD_DEFAULTS
    }
    given["gamma"] = values["gamma"]
    exploration = given.pop("exploration")
    baseline = given.pop("baseline")
    used = _used_axes(algorithm, exploration)
    for name, value in given.items():
        if name not in used and _is_axis(value):
            setting = "" if algorithm == "reinforce" else f" with exploration={exploration!r}"
            raise InvalidValueError(
                f"{name}={value!r} is a sweep axis, but {algorithm}{setting} does not use "
                f"{name}: every value would give the same runs. Drop the axis"
                + ("" if name == "planning_steps" else ", or sweep a learner that uses it")
            )
    return run_spec(
        algorithm,
        _grid(seeds, {name: given[name] for name in used}),
        exploration=exploration,
        planning_steps=0,
        baseline=baseline,
        record_episodes=record_episodes,
    )


def _td_run(mdp, spec, n_steps, eval_every, progress=None, on_interrupt="raise"):
    return run_batch(
        mdp, spec, n_steps, eval_every=eval_every, progress=progress, on_interrupt=on_interrupt
    )


def _prediction_prepare(mdp, algorithm, seeds, values, options, record_episodes) -> Runs:
    shared, points = prediction.sweep_runs(
        mdp,
        algorithm,
        values["policy"],
        gamma=values["gamma"],
        seeds=seeds,
        n=values["n"],
        lam=values["lam"],
        alpha=values["alpha"],
        **options,
    )
    return Runs(algorithm, tuple(points), shared, record_episodes)


def _prediction_run(mdp, runs, n_steps, eval_every, progress=None, on_interrupt="raise"):
    return prediction.run_sweep(
        mdp,
        runs.shared,
        list(runs.points),
        n_steps,
        eval_every=eval_every,
        record_episodes=runs.record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def _control_prepare(mdp, algorithm, seeds, values, options, record_episodes) -> Runs:
    method = monte_carlo.check_method(options.get("method", "exploring_starts"))
    epsilon = 0.1 if values["epsilon"] is None else values["epsilon"]
    points = monte_carlo.sweep_points(method, values["gamma"], epsilon, seeds)
    return Runs(algorithm, tuple(points), {"method": method}, record_episodes)


def _control_run(mdp, runs, n_steps, eval_every, progress=None, on_interrupt="raise"):
    return monte_carlo.run_sweep(
        mdp,
        runs.shared["method"],
        list(runs.points),
        n_steps,
        eval_every=eval_every,
        record_episodes=runs.record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def _regret_prepare(mdp, algorithm, seeds, values, options, record_episodes) -> Runs:
    if values["epsilon"] is not None:
        options = {**options, "epsilon": values["epsilon"]}
    points = regret_learners.sweep_points(
        algorithm, mdp, values["horizon"], values["n_episodes"], seeds, options
    )
    return Runs(algorithm, tuple(points), {}, record_episodes, horizon=int(values["horizon"]))


def _regret_run(mdp, runs, n_episodes, eval_every, progress=None, on_interrupt="raise"):
    return regret_learners.run_sweep(
        runs.algorithm,
        mdp,
        runs.horizon,
        n_episodes,
        list(runs.points),
        record_episodes=runs.record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


_STEPS = frozenset({"gamma", "n_steps", "eval_every"})
_TD = Engine(
    "n_steps", _STEPS | set(TD_DEFAULTS), (), _td_prepare, _td_run, lambda results: _stack(results)
)


def _regret_engine(algorithm: str) -> Engine:
    options = tuple(name for name in regret_learners._OPTIONS[algorithm] if name != "epsilon")
    takes = {"horizon", "n_episodes"} | ({"epsilon"} if algorithm == "ucb_q_learning" else set())
    return Engine(
        "n_episodes", frozenset(takes), options, _regret_prepare, _regret_run, regret_learners.stack
    )


#: The learners outside the TD batch engine (:data:`rlfoundations.batch.FAMILIES`), by name.
ENGINES = {
    "td_prediction": Engine(
        "n_steps",
        _STEPS | {"policy", "alpha", "n", "lam"},
        ("lam_method",),
        _prediction_prepare,
        _prediction_run,
        prediction.stack,
    ),
    "monte_carlo_prediction": Engine(
        "n_steps",
        _STEPS | {"policy"},
        ("first_visit", "behaviour", "importance"),
        _prediction_prepare,
        _prediction_run,
        prediction.stack,
    ),
    "monte_carlo_control": Engine(
        "n_steps",
        _STEPS | {"epsilon"},
        ("method",),
        _control_prepare,
        _control_run,
        lambda results: _stack(results),
    ),
    **{name: _regret_engine(name) for name in regret_learners.ALGORITHMS},
}


def _engine(algorithm) -> tuple[Engine, str]:
    if isinstance(algorithm, str) and algorithm in ENGINES:
        return ENGINES[algorithm], algorithm
    try:
        return _TD, check_algorithm(algorithm)
    except UserError:
        names = sorted([*ALGORITHMS, *ENGINES])
        raise InvalidValueError(f"algorithm must be one of {names}, got {algorithm!r}") from None


# The result's type follows the learner named (positionally, as the examples do).
@overload
def sweep(
    mdp: TabularMDP,
    algorithm: Literal["td_prediction", "monte_carlo_prediction"],
    /,
    *,
    seeds: int | Sequence[int],
    **arguments: Any,
) -> PredictionSweepResult: ...


@overload
def sweep(
    mdp: TabularMDP,
    algorithm: Literal["ucbvi", "psrl", "ucb_q_learning", "rmax"],
    /,
    *,
    seeds: int | Sequence[int],
    **arguments: Any,
) -> RegretSweepResult: ...


@overload
def sweep(
    mdp: TabularMDP,
    algorithm: str = ...,
    *,
    seeds: int | Sequence[int],
    **arguments: Any,
) -> SweepResult: ...


def sweep(  # type: ignore[misc]  # the overloads' **arguments could name "mdp" or "algorithm"
    mdp: TabularMDP,
    algorithm: str = "q_learning",
    *,
    seeds: int | Sequence[int],
    gamma: float | Sequence[float] | None = None,
    n_steps: int | None = None,
    policy: npt.ArrayLike | None = None,
    horizon: int | None = None,
    n_episodes: int | None = None,
    alpha: Rate | None = None,
    epsilon: Rate | None = None,
    exploration: Literal["epsilon_greedy", "softmax"] | None = None,
    temperature: float | Schedule | Sequence[float | Schedule] | None = None,
    planning_steps: int | Sequence[int] | None = None,
    baseline_alpha: Rate | None = None,
    baseline: bool | None = None,
    lam: float | Sequence[float] | None = None,
    trace: str | Sequence[str] | None = None,
    kappa: float | Sequence[float] | None = None,
    n: int | Sequence[int] | None = None,
    sigma: float | Sequence[float] | None = None,
    target_policy: str | Sequence[str] | None = None,
    theta: float | Sequence[float] | None = None,
    eta: float | Sequence[float] | None = None,
    eval_every: int | None = None,
    record_episodes: bool = True,
    n_threads: int | None = None,
    executor: concurrent.futures.Executor | Any | None = None,
    chunk_runs: int | None = None,
    retries: int = DEFAULT_RETRIES,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
    **options: Any,
) -> SweepResult | PredictionSweepResult | RegretSweepResult:
    """Run a grid of seeds x hyperparameters in parallel, one run per ``prange`` iteration.

    Every learner runs here: the TD family (:data:`rlfoundations.batch.FAMILIES`), the
    prediction learners, Monte Carlo control and the learners with regret guarantees. A
    keyword the learner does not take is refused, naming it; None means the learner's own
    default.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    algorithm : {"q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q", \
"reinforce", "sarsa_lambda", "watkins_q_lambda", "n_step_sarsa", "n_step_tree_backup", \
"q_sigma", "prioritized_sweeping", "differential_q_learning", "differential_sarsa", \
"td_prediction", "monte_carlo_prediction", "monte_carlo_control", "ucbvi", "psrl", \
"ucb_q_learning", "rmax"}
        The learner.
    seeds : int or sequence of int
        Seeds, the fastest-varying axis of the grid.
    gamma : float or sequence of float
        The discount factor (every learner but the regret ones, which need ``horizon``,
        and the average-reward ones, which refuse it).
    n_steps : int
        Steps of every run (every learner but the regret ones, which count episodes).
    policy : array_like, shape (S,) or (S, A)
        The policy evaluated by ``"td_prediction"`` and ``"monte_carlo_prediction"``.
    horizon, n_episodes : int
        The regret learners' episode length and episodes (:func:`rlfoundations.ucbvi`).
    alpha, epsilon, temperature, baseline_alpha
        As in :func:`rlfoundations.q_learning`, :func:`rlfoundations.reinforce`,
        :func:`rlfoundations.td_prediction` (``alpha``), :func:`rlfoundations.monte_carlo_control`
        and :func:`rlfoundations.ucb_q_learning` (``epsilon``); each may be a list, which
        makes it an axis of the grid (``epsilon`` or ``temperature`` after ``exploration``;
        ``baseline_alpha`` for REINFORCE only). A list of values a TD learner does not use
        (``temperature`` with epsilon-greedy, ``epsilon`` with softmax or REINFORCE, ...) is
        refused: it would repeat identical runs.
    planning_steps : int or sequence of int
        Dyna-Q's replays (prioritized sweeping's most planning updates) per real step; a
        list makes it an axis of the grid.
    lam, trace
        The trace learners' decay and trace kind (:func:`rlfoundations.sarsa_lambda`), or
        true online TD(lambda)'s ``lam`` (:func:`rlfoundations.td_prediction`); a list of
        either makes it an axis of the grid.
    n : int or sequence of int
        The n-step learners' number of steps (:func:`rlfoundations.n_step_sarsa`,
        :func:`rlfoundations.n_step_tree_backup`, :func:`rlfoundations.q_sigma`) or n-step
        TD's (:func:`rlfoundations.td_prediction`); a list makes it an axis.
    sigma : float or sequence of float
        Q(sigma)'s degree of sampling (:func:`rlfoundations.q_sigma`); a list makes it an
        axis.
    target_policy : str or sequence of str
        Tree backup's target policy, ``"greedy"`` or ``"behaviour"``
        (:func:`rlfoundations.n_step_tree_backup`); a list makes it an axis.
    kappa : float or sequence of float
        Dyna-Q+'s exploration bonus (:func:`rlfoundations.dyna_q`); a list makes it an axis.
    eta : float or sequence of float
        The average-reward learners' ratio of the gain's step size to alpha
        (:func:`rlfoundations.differential_q_learning`); a list makes it an axis.
    theta : float or sequence of float
        Prioritized sweeping's priority threshold (:func:`rlfoundations.prioritized_sweeping`);
        a list makes it an axis.
    exploration, baseline
        As in the learners, the same for every run (not axes).
    eval_every : int, optional
        Every this many steps, the exact values of every run's greedy policy
        (``result.curve_values``; exact gains for the average-reward learners), or, for the
        prediction learners, the RMS error against the exact values (``result.curve_rms``).
        The regret learners refuse it: their exact regret is computed every episode.
    record_episodes : bool
        As in the learners: True keeps every run's episode records, False only summaries in
        memory independent of ``n_steps`` (or ``n_episodes``).
    n_threads : int, optional
        Numba threads to use here (default: all); results do not depend on it.
    executor : concurrent.futures.Executor-like, optional
        Anything with ``submit(fn, *args)`` returning futures with ``result()``: a
        ``ProcessPoolExecutor``, or ``dask.distributed.Client(...).get_executor()`` to run
        the grid over a cluster. Each chunk of runs is one task, itself parallel over its
        runs; a ``ThreadPoolExecutor`` is refused (it adds no parallelism, and Numba's
        default threading layer cannot be entered from several threads at once).
    chunk_runs : int, optional
        Runs per task with an executor (default: the grid split in about four chunks per
        worker, or 8 runs).
    retries : int
        With an executor, how many times a failed chunk (a lost worker, say) is resubmitted
        before the sweep raises; a partial result is never returned as complete.
    progress, on_interrupt
        As in the learners. With an executor, progress counts finished runs, and Ctrl-C
        cancels the unfinished chunks and raises (``on_interrupt="return"`` is refused).
    **options
        The learner's options that are not axes: ``method`` (Monte Carlo control);
        ``first_visit``, ``behaviour``, ``importance`` (Monte Carlo prediction); the regret
        learners' options (``bonus_scale``, ``delta``, ``bonus``, ``known_visits``,
        ``transition_prior``, ...), each of which may be a list, an axis of the grid.

    Returns
    -------
    SweepResult, PredictionSweepResult or RegretSweepResult
        Stacked arrays, ``runs`` first; ``result.run(i)`` equals the same run made alone.
        A :class:`~rlfoundations.PredictionSweepResult` for the prediction learners, a
        ``RegretSweepResult`` (``regret`` (runs, n_episodes)) for the regret learners.

    Raises
    ------
    RuntimeError
        With an executor, a chunk failed ``retries + 1`` times.

    Notes
    -----
    Kernels: :func:`rlfoundations._kernels.learning.td_batch` and ``reinforce_batch``
    (:func:`rlfoundations._kernels.traces.traces_batch` for the trace learners,
    :func:`rlfoundations._kernels.nstep.nstep_batch` for the n-step learners,
    :func:`rlfoundations._kernels.prioritized.prioritized_batch` for prioritized sweeping,
    :func:`rlfoundations._kernels.differential.differential_batch` for the average-reward ones),
    and the ``*_batch`` kernels of :mod:`rlfoundations._kernels.prediction`, ``monte_carlo``
    and ``exploration``: the same engines as :func:`rlfoundations.prediction_sweep`,
    :func:`rlfoundations.monte_carlo_control_sweep` and
    :func:`rlfoundations.exploration_sweep`. Each run owns its random stream, seeded from
    its seed alone, so a run's result does not depend on the thread count, on the
    chunking, or on the machine it ran on.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.sweep(mdp, gamma=0.99, n_steps=5_000, seeds=range(4), alpha=[0.1, 0.5])
    >>> result.q_values.shape, result.params[5]
    ((8, 48, 4), {'gamma': 0.99, 'alpha': 0.5, 'epsilon': 0.1, 'seed': 1})
    >>> chain = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> regret = rlf.sweep(
    ...     chain, "ucbvi", horizon=20, n_episodes=100, seeds=range(3), bonus_scale=[0.1, 1.0]
    ... )
    >>> regret.regret.shape, regret.params[4]
    ((6, 100), {'bonus_scale': 1.0, 'seed': 1})
    """
    mdp = check_mdp(mdp)
    engine, algorithm = _engine(algorithm)
    values = {
        "gamma": gamma,
        "n_steps": n_steps,
        "policy": policy,
        "horizon": horizon,
        "n_episodes": n_episodes,
        "alpha": alpha,
        "epsilon": epsilon,
        "exploration": exploration,
        "temperature": temperature,
        "planning_steps": planning_steps,
        "baseline_alpha": baseline_alpha,
        "baseline": baseline,
        "lam": lam,
        "trace": trace,
        "kappa": kappa,
        "n": n,
        "sigma": sigma,
        "target_policy": target_policy,
        "theta": theta,
        "eta": eta,
        "eval_every": eval_every,
    }
    if algorithm in AVERAGE_REWARD and gamma is not None:
        raise InvalidValueError(
            f"{algorithm} learns for the average reward and takes no gamma, got gamma={gamma!r}; "
            f"drop gamma, or sweep a discounted learner"
        )
    for name, value in values.items():
        if value is not None and name not in engine.takes:
            raise InvalidValueError(
                f"{algorithm} does not take {name} ({name}={_short(value)}); it takes "
                f"{sorted(engine.takes | set(engine.options))}"
            )
    for name in options:
        if name not in engine.options:
            raise InvalidTypeError(
                f"sweep() got an unexpected keyword argument {name!r} for {algorithm}"
                + (f"; its options are {list(engine.options)}" if engine.options else "")
            )
    required = ["gamma", "n_steps"] if engine.budget == "n_steps" else ["horizon", "n_episodes"]
    if algorithm in AVERAGE_REWARD:
        required.remove("gamma")
    if "policy" in engine.takes:
        required.append("policy")
    for name in required:
        if values[name] is None:
            raise InvalidTypeError(
                f"sweep(mdp, {algorithm!r}, ...) is missing the keyword argument {name}"
            )
    if engine.budget == "n_steps":
        budget = check_steps("n_steps", n_steps)
    else:
        budget = check_int("n_episodes", n_episodes)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    record_episodes = check_bool("record_episodes", record_episodes)
    progress, on_interrupt = check_progress(progress, on_interrupt)  # type: ignore[assignment]
    runs = engine.prepare(mdp, algorithm, seeds, values, options, record_episodes)
    if executor is not None:
        if n_threads is not None:
            raise InvalidValueError("n_threads applies to local sweeps; set threads on the workers")
        if on_interrupt != "raise":
            raise InvalidValueError(
                "on_interrupt='return' applies to local sweeps: with an executor, Ctrl-C "
                "cancels the chunks not yet finished and raises"
            )
        if not callable(getattr(executor, "submit", None)):
            raise InvalidTypeError(
                f"executor must have a submit(fn, *args) method returning futures (a "
                f"concurrent.futures.Executor or a Dask client's get_executor()), got {executor!r}"
            )
        if isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise InvalidTypeError(
                "a ThreadPoolExecutor adds nothing to a sweep, whose chunks already run on all "
                "Numba threads, and Numba's default threading layer cannot be entered from "
                "several threads at once; use a ProcessPoolExecutor or a Dask client's "
                "get_executor()"
            )
        retries = check_int("retries", retries, minimum=0)
        if chunk_runs is not None:
            chunk_runs = check_int("chunk_runs", chunk_runs)
        return _distributed(
            executor, mdp, engine, runs, budget, eval_every, chunk_runs, retries, progress
        )
    if chunk_runs is not None:
        raise InvalidValueError("chunk_runs applies to sweeps with an executor")
    previous = numba.get_num_threads()
    if n_threads is not None:
        n_threads = check_int("n_threads", n_threads)
        if n_threads > numba.config.NUMBA_NUM_THREADS:
            raise InvalidValueError(
                f"n_threads must be <= {numba.config.NUMBA_NUM_THREADS}, got {n_threads}"
            )
        numba.set_num_threads(n_threads)
    try:
        return engine.run(mdp, runs, budget, eval_every, progress, on_interrupt)
    finally:
        numba.set_num_threads(previous)


def _short(value) -> str:
    """A value for an error message: an array by its shape, not its numbers."""
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"<array of shape {value.shape}>"
    return repr(value)


def _chunks(n_runs: int, chunk_runs: int | None, executor) -> list[range]:
    if chunk_runs is None:
        workers = _worker_count(executor)
        chunk_runs = max(1, math.ceil(n_runs / (4 * workers))) if workers else 8
    return [range(start, min(start + chunk_runs, n_runs)) for start in range(0, n_runs, chunk_runs)]


def _worker_count(executor) -> int | None:
    """Workers behind an executor, where it says (a process pool, a Dask client)."""
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int):
        return workers
    client = getattr(executor, "_client", None)
    info = getattr(client, "scheduler_info", None)
    if callable(info):
        try:
            return max(1, len(info(n_workers=-1).get("workers", {})))
        except Exception:  # a client that cannot answer: fall back to the default
            return None
    return None


def run_chunk(mdp: TabularMDP, runs, budget: int, eval_every: int | None, attempt: int):
    """One task of a distributed sweep: a chunk of runs, run by the engine of their learner.

    ``runs`` is a :class:`~rlfoundations.batch.RunSpec` (the TD family) or a :class:`Runs`;
    ``budget`` their ``n_steps`` (or ``n_episodes``). ``attempt`` changes nothing in the
    result; it makes every resubmission a new task for executors that cache results by their
    arguments (Dask's pure tasks would otherwise hand back the failed one).
    """
    engine = _TD if isinstance(runs, RunSpec) else ENGINES[runs.algorithm]
    return engine.run(mdp, runs, budget, eval_every)


def _distributed(executor, mdp, engine, runs, budget, eval_every, chunk_runs, retries, progress):
    chunks = _chunks(runs.n_runs, chunk_runs, executor)

    def submit(index: int, attempt: int):
        return executor.submit(
            run_chunk, mdp, runs.subset(chunks[index]), budget, eval_every, attempt
        )

    pending = {submit(index, 0): (index, 0) for index in range(len(chunks))}
    results: list = [None] * len(chunks)
    finished = 0
    try:
        while pending:
            future = _first_done(pending)
            index, attempt = pending.pop(future)
            try:
                results[index] = future.result()
            except Exception as error:  # a lost worker, a killed process: resubmit the chunk
                if attempt >= retries:
                    chunk = chunks[index]
                    raise RuntimeError(
                        f"sweep chunk {index} (runs {chunk.start}..{chunk.stop - 1}) failed "
                        f"{attempt + 1} time(s); last error: {error!r}"
                    ) from error
                pending[submit(index, attempt + 1)] = (index, attempt + 1)
                continue
            finished += len(chunks[index])
            if progress is not None:
                progress(finished * budget, runs.n_runs * budget)
    finally:
        for future in pending:  # a failure or Ctrl-C: no orphan tasks left running
            future.cancel()
    return engine.stack(results)  # every chunk has finished here


def _first_done(pending: dict):
    """A finished (or failed) future of ``pending``, the lowest chunk index first."""
    futures = list(pending)
    if all(isinstance(future, concurrent.futures.Future) for future in futures):
        concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
    else:
        # Futures of other executors need only done(): poll them.
        while not any(future.done() for future in futures):
            time.sleep(0.01)
    return min((future for future in futures if future.done()), key=lambda f: pending[f][0])


def _stack(results: list[SweepResult]) -> SweepResult:
    """Chunk results, in grid order, as one SweepResult (episode arrays padded)."""
    width = max(result.episode_returns.shape[1] for result in results)

    def padded(array, fill):
        out = np.full((array.shape[0], width), fill, dtype=array.dtype)
        out[:, : array.shape[1]] = array
        return out

    first = results[0]
    return SweepResult(
        q_values=np.concatenate([r.q_values for r in results]),
        policy=np.concatenate([r.policy for r in results]),
        episode_returns=np.concatenate([padded(r.episode_returns, np.nan) for r in results]),
        episode_lengths=np.concatenate([padded(r.episode_lengths, 0) for r in results]),
        n_episodes=np.concatenate([r.n_episodes for r in results]),
        total_steps=first.total_steps,
        algorithm=first.algorithm,
        seeds=np.concatenate([r.seeds for r in results]),
        params=tuple(p for r in results for p in r.params),
        curve_steps=first.curve_steps,
        curve_values=(
            None
            if first.curve_values is None
            else np.concatenate([r.curve_values for r in results])
        ),
        baseline=None if first.baseline is None else np.concatenate([r.baseline for r in results]),
        record_episodes=first.record_episodes,
        return_sums=None
        if first.return_sums is None
        else np.concatenate([r.return_sums for r in results]),
        length_sums=None
        if first.length_sums is None
        else np.concatenate([r.length_sums for r in results]),
        gain=None if first.gain is None else np.concatenate([r.gain for r in results]),
    )
