"""Learners: the jitted kernels against their reference twins and plain Gymnasium loops.

Run: ``python benchmarks/bench_learning.py`` (``--quick``: under a minute). Prints two tables
from one run, in environment steps per second; compilation is excluded (a warm-up call fills
the cache first). The machine is shared, so absolute figures drift with its load (printed
before and after each table); ratios of calls that take turns hold better.

1. The headline, Q-learning on Taxi (gamma 0.99, alpha 0.1, epsilon-greedy 0.1), best of
   three repeats: ``rlf.q_learning`` on one Numba thread (the kernel simulates the env); its
   pure-Python twin ``rlfoundations.reference.q_learning``; the loop a user writes against
   ``gymnasium.make("Taxi-v4")`` with a NumPy Q table (the issue's ``Taxi-v3``, which
   Gymnasium 1.4 retired for v4 with the same dynamics; v3 where v4 does not exist); and
   ``rlf.sweep`` over 16 seeds on 1 thread and on 2 threads.
   Targets: kernel >= 50 M steps/s and >= 500x the gym loop; 2 threads >= 1.8x 1 thread.
2. Every learner of :data:`LEARNERS`, one thread: the kernel, its twin (a short run: the twin
   is slow) and the same algorithm as a plain Gymnasium loop (:mod:`_plain`), the three
   calls interleaved (kernel, twin, plain, kernel, ...), the median of the repeats with its
   min-max spread, and the ratios kernel / twin and kernel / plain. Control learners run on
   Taxi (``gymnasium.make``), Monte Carlo control on Blackjack (``gymnasium.make``; the plain
   loop indexes a NumPy table by the observation tuple), prediction on the 19-state random
   walk and the learners with regret guarantees on RiverSwim (H = 20), both through the
   model's own ``to_env()`` (Gymnasium has neither env). The regret learners' figures are
   steps/s too (episodes/s = steps/s / H); their kernels and twins also evaluate each policy
   played exactly for the regret curve (O(H S A K) per episode), which the plain loops skip.

Adding a learner is one :class:`Learner` entry (and, for the plain column, one function in
``_plain.py``; ``plain=None`` prints "-").
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import _plain
import gymnasium
import numba
from _common import Timing, gymnasium_loop, interleaved

import rlfoundations as rlf
from rlfoundations import reference

REPEATS = 3


def best_rates(runs: list, n_steps: list[int], repeats: int = REPEATS) -> list[float]:
    """Steps per second of the fastest of ``repeats`` calls of each ``runs[i]()``, the calls
    taking turns (run 0, run 1, ..., run 0, ...) so that a change of load hits all alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return [n / seconds for n, seconds in zip(n_steps, best, strict=True)]


def best_rate(run, n_steps: int) -> float:
    return best_rates([run], [n_steps])[0]


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    quick = parser.parse_args().quick
    taxi = rlf.from_env("Taxi-v3")
    env_id = "Taxi-v4" if "Taxi-v4" in gymnasium.registry else "Taxi-v3"
    kernel_steps = 2_000_000 if quick else 20_000_000
    reference_steps = 5_000 if quick else 100_000
    gym_steps = 5_000 if quick else 100_000
    sweep_steps = 250_000 if quick else 4_000_000
    threads = numba.config.NUMBA_NUM_THREADS

    def learn(n):
        return rlf.q_learning(taxi, gamma=0.99, n_steps=n, seed=0)

    def sweep(n, n_threads):
        return rlf.sweep(taxi, gamma=0.99, n_steps=n, seeds=range(16), n_threads=n_threads)

    learn(1_000)
    sweep(1_000, 1)
    load_before = load_average()
    numba.set_num_threads(1)
    rows = [
        ("q_learning kernel, 1 thread", best_rate(lambda: learn(kernel_steps), kernel_steps)),
        (
            "reference twin (pure Python)",
            best_rate(
                lambda: reference.q_learning(taxi, gamma=0.99, n_steps=reference_steps, seed=0),
                reference_steps,
            ),
        ),
        (
            f"plain loop on gymnasium.make({env_id!r})",
            best_rate(lambda: gymnasium_loop(env_id, gym_steps), gym_steps),
        ),
    ]
    numba.set_num_threads(threads)
    one, every = best_rates(
        [lambda: sweep(sweep_steps, 1), lambda: sweep(sweep_steps, threads)],
        [16 * sweep_steps, 16 * sweep_steps],
    )
    rows += [("sweep of 16 seeds, 1 thread", one), (f"sweep of 16 seeds, {threads} threads", every)]
    rates = dict(rows)
    gym_rate = rows[2][1]
    print(f"Taxi, Q-learning, steps per second ({numba.config.NUMBA_NUM_THREADS} cores available)")
    print(f"load average (1, 5, 15 min): {load_before} before, {load_average()} after")
    print(f"{'implementation':<40} {'steps/s':>14} {'x gym loop':>12}")
    for name, rate in rows:
        print(f"{name:<40} {rate:>14,.0f} {rate / gym_rate:>12,.1f}")
    kernel_rate = rates["q_learning kernel, 1 thread"]
    speedup = rows[4][1] / rows[3][1]
    print()
    print(f"kernel vs reference twin: {kernel_rate / rows[1][1]:,.0f}x")
    print(f"kernel: {kernel_rate / 50e6:.2f} of the 50 M steps/s target")
    print(f"kernel vs gym loop: {kernel_rate / gym_rate:,.0f}x (target 500x)")
    print(f"sweep, {threads} threads vs 1: {speedup:.2f}x (target 1.8x)")
    print()
    every_learner(quick)


@dataclass(frozen=True)
class Learner:
    """One row of the every-learner table.

    ``name`` is the function in ``rlfoundations`` and ``rlfoundations.reference``; ``plain``
    the same algorithm in :mod:`_plain` (None: no plain loop yet). ``kind`` says how it is
    called and on what: ``"control"`` (Taxi), ``"blackjack"`` (Monte Carlo control),
    ``"prediction"`` (the random walk), ``"average"`` (Taxi, no discount: the differential
    learners) or ``"regret"`` (RiverSwim, H = 20). ``twin_cost`` and
    ``plain_cost`` divide the twin's and the plain loop's steps where a step costs more
    (planning; a trace over the whole table), so that the calls last about as long.
    """

    label: str
    name: str
    kind: str
    options: dict = field(default_factory=dict)
    plain: Callable | None = None
    twin_cost: int = 1
    plain_cost: int = 1


LEARNERS = [
    Learner("q_learning", "q_learning", "control", plain=_plain.q_learning),
    Learner("sarsa", "sarsa", "control", plain=_plain.sarsa),
    Learner("expected_sarsa", "expected_sarsa", "control", plain=_plain.expected_sarsa),
    Learner("double_q_learning", "double_q_learning", "control", plain=_plain.double_q_learning),
    Learner(
        "dyna_q (10 planning steps)",
        "dyna_q",
        "control",
        {"planning_steps": 10},
        _plain.dyna_q,
        twin_cost=10,
        plain_cost=10,
    ),
    Learner("reinforce", "reinforce", "control", plain=_plain.reinforce),
    *(
        Learner(
            f"{name} ({trace})",
            name,
            "control",
            {"lam": 0.9, "trace": trace},
            getattr(_plain, name),
            twin_cost=10,
        )
        for name in ("sarsa_lambda", "watkins_q_lambda")
        for trace in ("accumulating", "replacing", "dutch")
    ),
    Learner("n_step_sarsa (n=4)", "n_step_sarsa", "control", {"n": 4}, _plain.n_step_sarsa),
    Learner(
        "n_step_tree_backup (n=4)",
        "n_step_tree_backup",
        "control",
        {"n": 4},
        _plain.n_step_tree_backup,
    ),
    Learner("q_sigma (n=4, sigma=0.5)", "q_sigma", "control", {"n": 4, "sigma": 0.5}, None),
    Learner(
        "prioritized_sweeping (10 planning steps)",
        "prioritized_sweeping",
        "control",
        {"planning_steps": 10},
        None,
        twin_cost=200,  # the twin scans its whole queue for every pop
    ),
    Learner(
        "differential_q_learning",
        "differential_q_learning",
        "average",
        {"eta": 0.1},
        _plain.differential_q_learning,
    ),
    Learner(
        "differential_sarsa",
        "differential_sarsa",
        "average",
        {"eta": 0.1},
        _plain.differential_sarsa,
    ),
    *(
        Learner(
            f"monte_carlo_control ({method})",
            "monte_carlo_control",
            "blackjack",
            {"method": method},
            _plain.monte_carlo_control,
        )
        for method in ("exploring_starts", "on_policy", "off_policy")
    ),
    Learner("td_prediction (n=4)", "td_prediction", "prediction", {"n": 4}, _plain.td_prediction),
    Learner(
        "td_prediction (true online, lam=0.8)",
        "td_prediction",
        "prediction",
        {"lam": 0.8},
        _plain.td_prediction,
    ),
    Learner(
        "td_prediction (offline, lam=0.8)",
        "td_prediction",
        "prediction",
        {"lam": 0.8, "lam_method": "offline"},
        _plain.td_prediction,
    ),
    Learner(
        "monte_carlo_prediction",
        "monte_carlo_prediction",
        "prediction",
        plain=_plain.monte_carlo_prediction,
    ),
    Learner("ucbvi", "ucbvi", "regret", {"bonus_scale": 0.05}, _plain.ucbvi),
    Learner("psrl", "psrl", "regret", plain=_plain.psrl),
    Learner(
        "ucb_q_learning (hoeffding)",
        "ucb_q_learning",
        "regret",
        {"bonus": "hoeffding", "bonus_scale": 0.01},
        _plain.ucb_q_learning,
    ),
    Learner(
        "ucb_q_learning (bernstein)",
        "ucb_q_learning",
        "regret",
        {"bonus": "bernstein", "bonus_scale": 0.01},
    ),
    Learner("rmax", "rmax", "regret", {"known_visits": 5}, _plain.rmax),
]

HORIZON = 20


def _problems() -> dict:
    """Per kind: the model, a factory of the env the plain loop steps, the call's fixed part."""
    taxi_id = "Taxi-v4" if "Taxi-v4" in gymnasium.registry else "Taxi-v3"
    walk = rlf.problems.random_walk(19)
    river = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    walk_policy = [0] * walk.n_states
    return {
        "control": (rlf.from_env(taxi_id), lambda: gymnasium.make(taxi_id), {"gamma": 0.99}),
        "average": (rlf.from_env(taxi_id), lambda: gymnasium.make(taxi_id), {}),
        "blackjack": (
            rlf.from_env("Blackjack-v1"),
            lambda: gymnasium.make("Blackjack-v1"),
            {"gamma": 1.0},
        ),
        "prediction": (walk, walk.to_env, {"gamma": 1.0, "policy": walk_policy}),
        "regret": (river, river.to_env, {"horizon": HORIZON}),
    }


def _library_call(module, learner: Learner, mdp, fixed: dict, n_steps: int):
    function = getattr(module, learner.name)
    if learner.kind == "regret":
        return lambda: function(mdp, HORIZON, n_steps // HORIZON, seed=0, **learner.options)
    if learner.kind == "prediction":
        return lambda: function(
            mdp, fixed["policy"], fixed["gamma"], n_steps, seed=0, **learner.options
        )
    if learner.kind == "average":  # the differential learners take no gamma
        return lambda: function(mdp, n_steps=n_steps, seed=0, **learner.options)
    return lambda: function(mdp, gamma=fixed["gamma"], n_steps=n_steps, seed=0, **learner.options)


def _plain_call(learner: Learner, make_env, fixed: dict, n_steps: int):
    if learner.plain is None:
        return None
    env = make_env()
    options = {**fixed, **learner.options}
    if learner.kind == "regret" and "r_max" in learner.plain.__code__.co_varnames:
        options["r_max"] = 1.0  # RiverSwim's largest reward
    return lambda: learner.plain(env, n_steps, 0, **options)


def every_learner(quick: bool) -> None:
    """Steps/s of every learner of :data:`LEARNERS`: kernel, twin and plain loop interleaved."""
    kernel_steps = 100_000 if quick else 2_000_000
    slow_steps = 1_000 if quick else 20_000
    repeats = 3 if quick else 5
    numba.set_num_threads(1)
    problems = _problems()
    load_before = load_average()
    rows = []
    for learner in LEARNERS:
        mdp, make_env, fixed = problems[learner.kind]
        twin_steps = max(slow_steps // learner.twin_cost, HORIZON)
        plain_steps = max(slow_steps // learner.plain_cost, HORIZON)
        calls = {
            "kernel": _library_call(rlf, learner, mdp, fixed, kernel_steps),
            "twin": _library_call(reference, learner, mdp, fixed, twin_steps),
        }
        plain = _plain_call(learner, make_env, fixed, plain_steps)
        if plain is not None:
            calls["plain"] = plain
        _library_call(rlf, learner, mdp, fixed, 1_000)()  # compile (or load the cache)
        timings = interleaved(calls, repeats, min_seconds=0.02)
        steps = {"kernel": kernel_steps, "twin": twin_steps, "plain": plain_steps}
        rows.append((learner.label, {k: (steps[k], t) for k, t in timings.items()}))
    print(
        "Every learner, environment steps per second, 1 thread: median of "
        f"{repeats} interleaved repeats (min-max spread)"
    )
    print(f"load average (1, 5, 15 min): {load_before} before, {load_average()} after")
    header = f"{'learner':<40} {'kernel':>21} {'twin':>18} {'plain gym':>18}"
    print(f"{header} {'x twin':>8} {'x plain':>8}")
    for label, timings in rows:
        rates = {k: n / t.median for k, (n, t) in timings.items()}
        cells = [_cell(*timings[k]) if k in timings else "-" for k in ("kernel", "twin", "plain")]
        over_twin = f"{rates['kernel'] / rates['twin']:,.0f}x"
        over_plain = f"{rates['kernel'] / rates['plain']:,.0f}x" if "plain" in rates else "-"
        print(
            f"{label:<40} {cells[0]:>21} {cells[1]:>18} {cells[2]:>18} "
            f"{over_twin:>8} {over_plain:>8}"
        )
    print("(the machine is shared: figures move with its load; the ratios, from calls that")
    print(" took turns, move less)")


def _cell(n_steps: int, timing: Timing) -> str:
    """Steps/s at the median, and the spread of the repeats around it."""
    return f"{n_steps / timing.median:,.0f} {timing.relative_spread()}"


if __name__ == "__main__":
    main()
