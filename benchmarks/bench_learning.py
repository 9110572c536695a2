"""Learners on Taxi: the jitted Q-learning kernel against its twin and a plain Gymnasium loop.

Run: ``python benchmarks/bench_learning.py`` (``--quick`` for shorter runs). Prints one table
from one run, in environment steps per second (best of three repeats; the machine is shared,
so absolute figures drift with its load, printed before and after, and ratios hold better:
the 1- and 2-thread sweeps alternate, so both see the same load). Compilation is excluded (a
warm-up call fills the cache first).

Measured, all with gamma 0.99, alpha 0.1, epsilon-greedy 0.1:
1. ``rlf.q_learning`` on the Taxi model, one Numba thread (the kernel simulates the env);
2. its pure-Python reference twin, ``rlfoundations.reference.q_learning``;
3. the loop a user writes against ``gymnasium.make("Taxi-v4")`` with a NumPy Q table (the
   issue's ``Taxi-v3``, which Gymnasium 1.4 retired for v4 with the same dynamics; v3 where
   v4 does not exist);
4. ``rlf.sweep`` over 16 seeds on 1 thread and on 2 threads.
5. each learner of :data:`AGAINST_TWINS` (the newer learners), kernel against its twin on
   one thread, the two calls taking turns.
Targets: (1) >= 50 M steps/s, (1) >= 500x (3), (4) 2 threads >= 1.8x 1 thread.

A second table: the learners with regret guarantees (:mod:`rlfoundations.exploration`) on
RiverSwim (H = 20) and DeepSea 10 x 10 (H = 10), kernel against twin, the two taking turns.
Their steps cost more than a TD step: every episode plans (UCBVI, PSRL, R-max: a backward
pass over the empirical model, O(H S^2 A); PSRL draws S + 1 Gamma variates per pair first)
and evaluates the policy played exactly (O(H S A K)), so steps/s depend on S and H.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial

import gymnasium
import numba
from _common import gymnasium_loop

import rlfoundations as rlf
from rlfoundations import reference

REPEATS = 3

#: (learner, settings, kernel steps, twin steps) of the learners timed against their twins.
AGAINST_TWINS = [
    ("sarsa_lambda", {"lam": 0.9, "trace": "accumulating"}, 2_000_000, 5_000),
    ("watkins_q_lambda", {"lam": 0.9, "trace": "replacing"}, 2_000_000, 5_000),
    ("dyna_q", {"planning_steps": 10, "kappa": 1e-3}, 2_000_000, 5_000),
    ("n_step_sarsa", {"n": 4}, 2_000_000, 20_000),
    ("differential_q_learning", {"eta": 0.1}, 2_000_000, 20_000),
    ("differential_sarsa", {"eta": 0.1}, 2_000_000, 20_000),
]


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
    kernel_steps = 5_000_000 if quick else 20_000_000
    reference_steps = 20_000 if quick else 100_000
    gym_steps = 20_000 if quick else 100_000
    sweep_steps = 1_000_000 if quick else 4_000_000
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
    against_twins(taxi, quick)
    print()
    exploration_table(quick)


EXPLORERS = [
    ("ucbvi", {"bonus_scale": 0.05}),
    ("psrl", {}),
    ("ucb_q_learning", {"bonus": "hoeffding", "bonus_scale": 0.01}),
    ("ucb_q_learning", {"bonus": "bernstein", "bonus_scale": 0.01}),
    ("rmax", {"known_visits": 5}),
]


def exploration_table(quick: bool) -> None:
    """Steps/s of every exploration learner's kernel and twin, one thread, on both chains."""
    numba.set_num_threads(1)
    chains = [
        ("river_swim", rlf.problems.river_swim(small_reward=0.005, large_reward=1.0), 20),
        ("deep_sea", rlf.problems.deep_sea(10, deterministic=False), 10),
    ]
    kernel_episodes = 2_000 if quick else 20_000
    reference_episodes = 20 if quick else 100
    load_before = load_average()
    rows = []
    for chain, mdp, horizon in chains:
        for name, options in EXPLORERS:
            learner, twin = getattr(rlf, name), getattr(reference, name)
            learner(mdp, horizon, 2, seed=0, **options)  # compile
            # Every episode takes H steps: RiverSwim never ends, DeepSea ends after size = H.
            kernel_steps, twin_steps = kernel_episodes * horizon, reference_episodes * horizon
            kernel_rate, twin_rate = best_rates(
                [
                    lambda f=learner, m=mdp, h=horizon, o=options: f(
                        m, h, kernel_episodes, seed=0, **o
                    ),
                    lambda f=twin, m=mdp, h=horizon, o=options: f(
                        m, h, reference_episodes, seed=0, **o
                    ),
                ],
                [kernel_steps, twin_steps],
            )
            label = name + ("" if "bonus" not in options else f" ({options['bonus']})")
            rows.append((f"{chain}: {label}", kernel_rate, twin_rate))
    print("Exploration learners, steps per second (1 thread; planning and exact regret included)")
    print(f"load average (1, 5, 15 min): {load_before} before, {load_average()} after")
    print(f"{'learner':<40} {'kernel':>12} {'twin':>10} {'ratio':>8}")
    for label, kernel_rate, twin_rate in rows:
        ratio = kernel_rate / twin_rate
        print(f"{label:<40} {kernel_rate:>12,.0f} {twin_rate:>10,.0f} {ratio:>8,.0f}x")


def prediction_main(quick: bool) -> None:
    """The prediction learners on the 19-state random walk: kernel against twin, one thread."""
    walk = rlf.problems.random_walk(19)
    policy = [0] * walk.n_states
    kernel_steps = 2_000_000 if quick else 10_000_000
    twin_steps = 20_000 if quick else 100_000
    cases = [
        ("td_prediction n=4", "td_prediction", {"n": 4}),
        ("td_prediction lam=0.8 (true online)", "td_prediction", {"lam": 0.8}),
        ("monte_carlo_prediction first-visit", "monte_carlo_prediction", {}),
    ]
    numba.set_num_threads(1)
    load_before = load_average()
    rows = []
    for name, learner, options in cases:
        getattr(rlf, learner)(walk, policy, 1.0, 1_000, **options)
        kernel, twin = best_rates(
            [
                partial(getattr(rlf, learner), walk, policy, 1.0, kernel_steps, **options),
                partial(getattr(reference, learner), walk, policy, 1.0, twin_steps, **options),
            ],
            [kernel_steps, twin_steps],
        )
        rows.append((name, kernel, twin))
    blackjack = rlf.from_env("Blackjack-v1")
    rlf.monte_carlo_control(blackjack, 1.0, 1_000)
    kernel, twin = best_rates(
        [
            partial(rlf.monte_carlo_control, blackjack, 1.0, kernel_steps),
            partial(reference.monte_carlo_control, blackjack, 1.0, twin_steps),
        ],
        [kernel_steps, twin_steps],
    )
    rows.append(("monte_carlo_control ES (Blackjack)", kernel, twin))
    print()
    print("Random walk (19 states) / Blackjack, Monte Carlo and TD, steps per second, 1 thread")
    print(f"load average (1, 5, 15 min): {load_before} before, {load_average()} after")
    print(f"{'learner':<40} {'kernel':>14} {'twin':>12} {'ratio':>8}")
    for name, kernel, twin in rows:
        print(f"{name:<40} {kernel:>14,.0f} {twin:>12,.0f} {kernel / twin:>7,.0f}x")


def against_twins(taxi, quick: bool) -> None:
    """Steps per second of every learner of :data:`AGAINST_TWINS`, kernel and twin."""
    numba.set_num_threads(1)
    scale = 4 if quick else 1
    print()
    print(f"load average before the learners against their twins: {load_average()}")
    print(f"{'learner on Taxi, 1 thread':<40} {'kernel':>14} {'twin':>12} {'ratio':>10}")
    for name, settings, kernel_steps, twin_steps in AGAINST_TWINS:
        kernel_steps //= scale
        twin_steps //= scale

        # The average-reward learners take no gamma.
        settings = settings if name.startswith("differential_") else {"gamma": 0.99, **settings}

        def kernel(n=kernel_steps, name=name, settings=settings):
            return getattr(rlf, name)(taxi, n_steps=n, seed=0, **settings)

        def twin(n=twin_steps, name=name, settings=settings):
            return getattr(reference, name)(taxi, n_steps=n, seed=0, **settings)

        kernel(1_000)
        fast, slow = best_rates([kernel, twin], [kernel_steps, twin_steps])
        print(f"{name:<40} {fast:>14,.0f} {slow:>12,.0f} {fast / slow:>9,.0f}x")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
    prediction_main("--quick" in sys.argv)
