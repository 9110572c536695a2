"""Helpers shared by the benchmark scripts: timing, random models, sweeps, memory bandwidth.

Nothing here is imported by the library. The scripts run as ``python benchmarks/<name>.py``,
which puts this folder on ``sys.path``, so they import it as ``_common``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gymnasium
import numba
import numpy as np

import rlfoundations as rlf
from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels.layout import kernel_model
from rlfoundations.problems import garnet


def median_time(fn: Callable[[], object], repeats: int = 7, min_seconds: float = 0.05) -> float:
    """Median seconds per call; short calls are looped so each sample lasts ``min_seconds``."""
    fn()
    start = time.perf_counter()
    fn()
    single = time.perf_counter() - start
    loops = max(1, int(min_seconds / max(single, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def random_mdp(n_states: int, n_actions: int = 4, n_outcomes: int = 3, seed: int = 0):
    """A GARNET model (``rlfoundations.problems.garnet``): distinct uniform next states,
    uniform-cut probabilities, normal rewards, 1% terminating outcomes."""
    return garnet(
        n_states, n_actions, n_outcomes, seed, terminal_prob=0.01, name=f"random {n_states:.0e}"
    )


@numba.njit(parallel=True, fastmath=True, cache=True)
def _read_all(array):
    total = 0.0
    for i in numba.prange(array.size):
        total += array[i]
    return total


def read_bandwidth(threads: int) -> float:
    """Bytes per second summing a 512 MiB float64 array (filled with real values: an
    untouched np.zeros maps a shared zero page and reads far faster than memory)."""
    array = np.random.default_rng(1).random(1 << 26)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        seconds = median_time(lambda: _read_all(array), repeats=9)
    finally:
        numba.set_num_threads(previous)
    return array.nbytes / seconds


def sweep_seconds(
    mdp: rlf.TabularMDP, parallel: bool, threads: int | None = None, repeats: int = 9
) -> float:
    """Median seconds of one synchronous sweep as value iteration runs it (with the change's
    min and max), from real values, on value buffers padded to whole blocks of states."""
    model = kernel_model(mdp)
    padded_states = model[0].shape[0] * model[0].shape[-1]
    values = np.random.default_rng(2).normal(size=padded_states)
    new_values = np.empty(padded_states)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads or previous)
    try:
        return median_time(
            lambda: kernels.bellman_sweep(*model, 0.99, True, parallel, values, new_values),
            repeats=repeats,
        )
    finally:
        numba.set_num_threads(previous)


def backups(mdp: rlf.TabularMDP) -> int:
    return mdp.n_states * mdp.n_actions * mdp.max_outcomes


def bytes_per_backup(mdp: rlf.TabularMDP) -> float:
    """What a sweep streams from memory per backup: next state (int32) and continuation
    probability (float64) per outcome, expected reward per (s, a), the new value per state.
    Reads of V (gathers of V[next state], and V[s] for the change) are not counted: V is 8 MB
    at 10^6 states and stays in L3."""
    successor, continue_prob, reward = kernel_model(mdp)
    per_slot = successor.itemsize + continue_prob.itemsize
    per_pair = reward.itemsize / mdp.max_outcomes
    per_state = 8 / (mdp.n_actions * mdp.max_outcomes)
    return per_slot + per_pair + per_state


def gymnasium_loop(
    env_id: str,
    n_steps: int,
    seed: int = 0,
    *,
    alpha: float = 0.1,
    gamma: float = 0.99,
    epsilon: float = 0.1,
    check_every: int | None = None,
    on_check: Callable[[int, np.ndarray], bool] | None = None,
) -> np.ndarray:
    """The talk's Q-learning loop, corrected, on the current Gymnasium API; returns Q.

    With ``check_every``, ``on_check(steps_done, q)`` is called every that many steps and
    the loop stops early when it returns True.
    """
    env = gymnasium.make(env_id)
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    state, _ = env.reset(seed=seed)
    for step in range(1, n_steps + 1):
        if rng.random() < epsilon:
            action = int(rng.integers(env.action_space.n))
        else:
            action = int(np.argmax(q[state]))
        next_state, reward, terminated, truncated, _ = env.step(action)
        future = 0.0 if terminated else gamma * np.max(q[next_state])
        q[state, action] += alpha * (reward + future - q[state, action])
        if terminated or truncated:
            state, _ = env.reset()
        else:
            state = next_state
        if check_every and step % check_every == 0 and on_check(step, q):
            break
    env.close()
    return q


# -- honest timing: spreads, interleaving, load, a busy core ------------------------------------
def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as printed in every table header."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


@dataclass(frozen=True)
class Timing:
    """Seconds per call over repeats: the median and the spread (min, quartiles, max)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        """(min, max) over the repeats."""
        return min(self.samples), max(self.samples)

    @property
    def iqr(self) -> tuple[float, float]:
        """First and third quartiles (the min and max below 4 repeats)."""
        if len(self.samples) < 4:
            return self.spread
        low, _, high = statistics.quantiles(self.samples, n=4, method="inclusive")
        return low, high

    def relative_spread(self) -> str:
        """The min-max range around the median in percent, e.g. '-2/+5%'."""
        low, high = self.spread
        median = self.median
        return f"-{(median - low) / median:.0%}/+{(high - median) / median:.0%}"


def round_robin(plan: dict[str, tuple[Callable[[], object], int, int]]) -> dict[str, Timing]:
    """Time each ``name: (call, loops, repeats)``, taking turns (a, b, c, a, b, c, ...) so a
    change of load hits all alike; a call with fewer repeats drops out of the later rounds.
    One sample is ``loops`` calls, divided by ``loops``."""
    samples: dict[str, list[float]] = {name: [] for name in plan}
    for round_ in range(max((repeats for _, _, repeats in plan.values()), default=0)):
        for name, (call, loops, repeats) in plan.items():
            if round_ >= repeats:
                continue
            start = time.perf_counter()
            for _ in range(loops):
                call()
            samples[name].append((time.perf_counter() - start) / loops)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def loops_for(seconds: float, min_seconds: float = 0.05) -> int:
    """Calls per sample so that one sample lasts about ``min_seconds``."""
    return max(1, int(min_seconds / max(seconds, 1e-9)))


def interleaved(
    calls: dict[str, Callable[[], object]], repeats: int, min_seconds: float = 0.05
) -> dict[str, Timing]:
    """Time every call ``repeats`` times, interleaved (:func:`round_robin`). Each call is run
    once first (warm-up) and once to size it: calls shorter than ``min_seconds`` are looped
    so one sample lasts about that long. No best-of, no single timing."""
    plan = {}
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        call()
        plan[name] = (call, loops_for(time.perf_counter() - start, min_seconds), repeats)
    return round_robin(plan)


def _spin(started, parent: int) -> None:  # pragma: no cover - runs in the child process
    """Spin until the parent is gone: a benchmark killed by a signal runs no ``finally``, and
    a spinner it left would make every later measurement on the machine a busy one."""
    started.set()
    while os.getppid() == parent:
        for _ in range(1 << 22):
            pass


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """One other process spinning a tight loop on a core for the duration (the "busy"
    column: what a user sees on a laptop with one other job running). Returns once the
    child spins (a spawned child imports the main script's modules first)."""
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    spinner = context.Process(target=_spin, args=(started, os.getpid()), daemon=True)
    spinner.start()
    if not started.wait(timeout=60):
        spinner.terminate()
        raise RuntimeError("the busy-core process did not start within 60 s")
    try:
        yield
    finally:
        spinner.terminate()
        spinner.join()


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Numba and every BLAS/OpenMP pool (threadpoolctl) limited to ``n`` threads."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            limits = contextlib.nullcontext()
        else:
            limits = threadpool_limits(limits=n)
        with limits:
            yield
    finally:
        numba.set_num_threads(previous)
