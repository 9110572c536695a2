"""Sweeps: a grid of seeds x hyperparameters, run in parallel here or on any executor.

The grid's runs are split into chunks; each chunk is one batch
(:func:`rlfoundations.batch.run_batch`), a jitted ``prange`` loop over its runs. Here, one
chunk holds every run. Given an executor (a ``concurrent.futures.Executor``, or a Dask
client's ``client.get_executor()``), chunks are submitted to it, a failed chunk is
resubmitted, and the results are stacked in grid order:
run for run the same as the single-machine sweep, since each run draws from its own stream,
seeded by its seed alone.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import time
from collections.abc import Sequence
from typing import Any, Literal

import numba
import numpy as np

from rlfoundations._validate import check_int, check_mdp, is_number
from rlfoundations.batch import (
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
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import SweepResult
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


def sweep(
    mdp: TabularMDP,
    algorithm: str = "q_learning",
    *,
    gamma: float | Sequence[float] | None = None,
    n_steps: int,
    seeds: int | Sequence[int],
    alpha: Rate = 0.1,
    epsilon: Rate = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule | Sequence[float | Schedule] = 1.0,
    planning_steps: int | Sequence[int] = 10,
    baseline_alpha: Rate = 0.1,
    baseline: bool = True,
    lam: float | Sequence[float] = 0.9,
    trace: str | Sequence[str] = "accumulating",
    kappa: float | Sequence[float] = 0.0,
    n: int | Sequence[int] = 4,
    eta: float | Sequence[float] = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    n_threads: int | None = None,
    executor: concurrent.futures.Executor | Any | None = None,
    chunk_runs: int | None = None,
    retries: int = DEFAULT_RETRIES,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> SweepResult:
    """Run a grid of seeds x hyperparameters in parallel, one run per ``prange`` iteration.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    algorithm : {"q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q", \
"reinforce", "sarsa_lambda", "watkins_q_lambda", "n_step_sarsa", \
"differential_q_learning", "differential_sarsa"}
        The learner.
    gamma, alpha, epsilon, temperature, baseline_alpha
        As in :func:`rlfoundations.q_learning` and :func:`rlfoundations.reinforce`; each may
        be a list, which makes it an axis of the grid (``epsilon`` or ``temperature`` after
        ``exploration``; ``baseline_alpha`` for REINFORCE only). A list of values the
        algorithm does not use (``temperature`` with epsilon-greedy, ``epsilon`` with
        softmax or REINFORCE, ...) is refused: it would repeat identical runs. ``gamma`` is
        required, except by the average-reward learners, which refuse it.
    n_steps : int
        Steps of every run.
    seeds : int or sequence of int
        Seeds, the fastest-varying axis of the grid.
    planning_steps : int or sequence of int
        Dyna-Q's replays per real step; a list makes it an axis of the grid.
    lam, trace
        The trace learners' decay and trace kind (:func:`rlfoundations.sarsa_lambda`); a
        list of either makes it an axis of the grid.
    n : int or sequence of int
        n-step SARSA's number of steps (:func:`rlfoundations.n_step_sarsa`); a list makes it
        an axis.
    kappa : float or sequence of float
        Dyna-Q+'s exploration bonus (:func:`rlfoundations.dyna_q`); a list makes it an axis.
    eta : float or sequence of float
        The average-reward learners' ratio of the gain's step size to alpha
        (:func:`rlfoundations.differential_q_learning`); a list makes it an axis.
    exploration, baseline
        As in the learners, the same for every run (not axes).
    eval_every : int, optional
        Exact values of every run's greedy policy every this many steps
        (``result.curve_steps``, ``result.curve_values``): learning curves with the true gap
        to optimal (exact gains for the average-reward learners).
    record_episodes : bool
        As in the learners: True keeps every run's episode records, False only each run's
        last 100 episodes and running summaries (``result.n_episodes``,
        ``result.mean_return``, ``result.mean_length``), in memory independent of
        ``n_steps``.
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

    Returns
    -------
    SweepResult
        Stacked arrays, ``runs`` first; ``result.run(i)`` equals the same run made alone.

    Raises
    ------
    RuntimeError
        With an executor, a chunk failed ``retries + 1`` times.

    Notes
    -----
    Kernels: :func:`rlfoundations._kernels.learning.td_batch` and ``reinforce_batch``
    (:func:`rlfoundations._kernels.traces.traces_batch` for the trace learners,
    :func:`rlfoundations._kernels.differential.differential_batch` for the average-reward
    ones). Each run
    owns its random stream, seeded from its seed alone, so a run's result does not depend
    on the thread count, on the chunking, or on the machine it ran on.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.sweep(mdp, gamma=0.99, n_steps=5_000, seeds=range(4), alpha=[0.1, 0.5])
    >>> result.q_values.shape, result.params[5]
    ((8, 48, 4), {'gamma': 0.99, 'alpha': 0.5, 'epsilon': 0.1, 'seed': 1})
    """
    mdp = check_mdp(mdp)
    algorithm = check_algorithm(algorithm)
    n_steps = check_steps("n_steps", n_steps)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    progress, on_interrupt = check_progress(progress, on_interrupt)  # type: ignore[assignment]
    given = {
        "gamma": gamma,
        "alpha": alpha,
        "epsilon": epsilon,
        "temperature": temperature,
        "baseline_alpha": baseline_alpha,
        "planning_steps": planning_steps,
        "lam": lam,
        "trace": trace,
        "kappa": kappa,
        "n": n,
        "eta": eta,
    }
    used = _used_axes(algorithm, exploration)
    if algorithm in AVERAGE_REWARD and gamma is not None:
        raise InvalidValueError(
            f"{algorithm} learns for the average reward and takes no gamma, got gamma={gamma!r}; "
            f"drop gamma, or sweep a discounted learner"
        )
    if algorithm not in AVERAGE_REWARD and gamma is None:
        raise InvalidValueError(f"{algorithm} needs gamma, the discount factor")
    for name, value in given.items():
        if name not in used and _is_axis(value):
            setting = "" if algorithm == "reinforce" else f" with exploration={exploration!r}"
            raise InvalidValueError(
                f"{name}={value!r} is a sweep axis, but {algorithm}{setting} does not use "
                f"{name}: every value would give the same runs. Drop the axis"
                + ("" if name == "planning_steps" else ", or sweep a learner that uses it")
            )
    spec = run_spec(
        algorithm,
        _grid(seeds, {name: given[name] for name in used}),
        exploration=exploration,
        planning_steps=0,
        baseline=baseline,
        record_episodes=record_episodes,
    )
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
        return _distributed(executor, mdp, spec, n_steps, eval_every, chunk_runs, retries, progress)
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
        return run_batch(
            mdp, spec, n_steps, eval_every=eval_every, progress=progress, on_interrupt=on_interrupt
        )
    finally:
        numba.set_num_threads(previous)


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


def run_chunk(
    mdp: TabularMDP, spec, n_steps: int, eval_every: int | None, attempt: int
) -> SweepResult:
    """One task of a distributed sweep: :func:`run_batch` on a chunk of runs.

    ``attempt`` changes nothing in the result; it makes every resubmission a new task for
    executors that cache results by their arguments (Dask's pure tasks would otherwise
    hand back the failed one).
    """
    return run_batch(mdp, spec, n_steps, eval_every=eval_every)


def _distributed(executor, mdp, spec, n_steps, eval_every, chunk_runs, retries, progress):
    chunks = _chunks(spec.n_runs, chunk_runs, executor)

    def submit(index: int, attempt: int):
        return executor.submit(
            run_chunk, mdp, spec.subset(chunks[index]), n_steps, eval_every, attempt
        )

    pending = {submit(index, 0): (index, 0) for index in range(len(chunks))}
    results: list[SweepResult | None] = [None] * len(chunks)
    finished = 0
    try:
        while pending:
            future = _first_done(pending)
            index, attempt = pending.pop(future)
            try:
                results[index] = future.result()
            except Exception as error:  # a lost worker, a killed process: resubmit the chunk
                if attempt >= retries:
                    runs = chunks[index]
                    raise RuntimeError(
                        f"sweep chunk {index} (runs {runs.start}..{runs.stop - 1}) failed "
                        f"{attempt + 1} time(s); last error: {error!r}"
                    ) from error
                pending[submit(index, attempt + 1)] = (index, attempt + 1)
                continue
            finished += len(chunks[index])
            if progress is not None:
                progress(finished * n_steps, spec.n_runs * n_steps)
    finally:
        for future in pending:  # a failure or Ctrl-C: no orphan tasks left running
            future.cancel()
    return _stack(results, spec)  # type: ignore[arg-type]  # every chunk has finished here


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


def _stack(results: list[SweepResult], spec: RunSpec) -> SweepResult:
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
        seeds=np.array(spec.seeds, dtype=np.uint64),
        params=spec.params,
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
