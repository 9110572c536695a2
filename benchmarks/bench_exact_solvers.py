"""Exact solvers side by side: our policy iteration, modified policy iteration at several k and
value iteration, against QuantEcon's policy iteration, modified policy iteration (k=20) and
value iteration, in one interleaved run.

Run: ``python benchmarks/bench_exact_solvers.py [--quick] [--full]`` (QuantEcon from the
``bench`` extra: ``make bench-peers`` installs it; without it only our rows run).
``--quick``: Taxi and FrozenLake 64x64 only; ``--full`` adds random 10^6 states.

Everything on 1 thread (``numba.set_num_threads(1)``; QuantEcon's sparse products are single
threaded). Gamma 0.99, each solver with its defaults except the k of the MPI rows; QuantEcon's
``epsilon`` is twice ours (its value-iteration rule is half as tight, see bench_peers.py).
QuantEcon runs on its sparse state-action form (terminating outcomes to an absorbing state),
built once and not timed; its policy iteration only up to 5 000 states (a sparse LU per step).
Within a model the solvers take turns, round after round, so a change of load hits all alike;
each figure is the median over the rounds with the min-max spread, and the ratio column is
the row's median over our policy iteration's. The load average is printed at the start and
the end: the machine is shared and absolute times drift with it; ratios from one run hold
better, and they are what the targets of issue 16 are about.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numba
import numpy as np
from _common import random_mdp

import rlfoundations as rlf

GAMMA = 0.99
MPI_KS = (5, 10, 20, 30, 40)
QUANTECON_PI_MAX_STATES = 5_000


def frozen_lake(size: int) -> rlf.TabularMDP:
    import gymnasium as gym
    from gymnasium.envs.toy_text.frozen_lake import generate_random_map

    env = gym.make("FrozenLake-v1", desc=generate_random_map(size, seed=0))
    return rlf.from_env(env)


def state_action_form(mdp: rlf.TabularMDP):
    """QuantEcon's sparse state-action form, terminating outcomes to an absorbing state."""
    import scipy.sparse

    n_states, n_actions, n_outcomes = mdp.next_state.shape
    pairs = (n_states + 1) * n_actions
    targets = np.where(mdp.terminated, n_states, mdp.next_state)
    rows = np.repeat(np.arange(n_states * n_actions), n_outcomes)
    matrix = scipy.sparse.csr_matrix(
        (
            np.concatenate([mdp.prob.reshape(-1), np.ones(n_actions)]),
            (
                np.concatenate([rows, np.arange(n_states * n_actions, pairs)]),
                np.concatenate([targets.reshape(-1), np.full(n_actions, n_states)]),
            ),
        ),
        shape=(pairs, n_states + 1),
    )
    rewards = np.concatenate([mdp.expected_reward.reshape(-1), np.zeros(n_actions)])
    return (
        rewards,
        matrix,
        GAMMA,
        np.repeat(np.arange(n_states + 1), n_actions),
        np.tile(np.arange(n_actions), n_states + 1),
    )


def solvers(mdp: rlf.TabularMDP) -> dict:
    rows = {
        "ours PI": lambda: rlf.policy_iteration(mdp, GAMMA),
        "ours MPI (default)": lambda: rlf.modified_policy_iteration(mdp, GAMMA),
    }
    for k in MPI_KS:
        rows[f"ours MPI k={k}"] = lambda k=k: rlf.modified_policy_iteration(
            mdp, GAMMA, n_evaluations=k
        )
    rows["ours VI"] = lambda: rlf.value_iteration(mdp, GAMMA)
    try:
        import quantecon
    except ImportError:
        return rows
    form = state_action_form(mdp)
    epsilon = 2 * 1e-8

    def ddp():
        return quantecon.markov.DiscreteDP(*form)

    rows["QuantEcon MPI k=20"] = lambda: ddp().solve(
        "modified_policy_iteration", epsilon=epsilon, max_iter=10_000, k=20
    )
    rows["QuantEcon VI"] = lambda: ddp().solve("value_iteration", epsilon=epsilon, max_iter=10_000)
    if mdp.n_states <= QUANTECON_PI_MAX_STATES:
        rows["QuantEcon PI"] = lambda: ddp().solve("policy_iteration", max_iter=1_000)
    return rows


def load() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Taxi and FrozenLake 64x64 only")
    parser.add_argument("--full", action="store_true", help="add random 10^6 states")
    args = parser.parse_args()
    numba.set_num_threads(1)
    models = {
        "Taxi-v3": lambda: rlf.from_env("Taxi-v3"),
        "FrozenLake 64x64": lambda: frozen_lake(64),
    }
    if not args.quick:
        models["random 1e4"] = lambda: random_mdp(10**4)
        models["random 1e5"] = lambda: random_mdp(10**5)
    if args.full:
        models["random 1e6"] = lambda: random_mdp(10**6)
    print(f"load average at start: {load()} (1 thread; gamma {GAMMA})")
    for name, build in models.items():
        mdp = build()
        rows = solvers(mdp)
        iterations, once = {}, {}
        for label, solve in rows.items():  # warm-up, the iteration counts, the loop sizes
            result = solve()
            iterations[label] = getattr(result, "iterations", getattr(result, "num_iter", "-"))
            start = time.perf_counter()
            solve()
            once[label] = time.perf_counter() - start
        slowest = max(once.values())
        rounds = 15 if slowest < 0.05 else 5 if slowest < 2.0 else 3
        # Calls under 50 ms are looped so that a sample lasts about that long.
        loops = {label: max(1, int(0.05 / max(t, 1e-6))) for label, t in once.items()}
        samples: dict[str, list[float]] = {label: [] for label in rows}
        for _ in range(rounds):
            for label, solve in rows.items():
                start = time.perf_counter()
                for _ in range(loops[label]):
                    solve()
                samples[label].append((time.perf_counter() - start) / loops[label])
        base = statistics.median(samples["ours PI"])
        print(f"\n{name} ({mdp.n_states} states; {rounds} rounds; load {load()})")
        print(f"  {'solver':22s} {'median ms':>10s} {'min-max ms':>19s} {'iters':>6s} {'/ PI':>6s}")
        for label, times in samples.items():
            median = statistics.median(times)
            spread = f"{min(times) * 1e3:.2f}-{max(times) * 1e3:.2f}"
            print(
                f"  {label:22s} {median * 1e3:10.2f} {spread:>19s} "
                f"{iterations[label]!s:>6s} {median / base:6.2f}"
            )
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
