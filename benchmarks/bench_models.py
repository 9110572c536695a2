"""The model compiler's cost: from_simulator on grids of 10^4 to 10^6 reachable states.

A slippery square grid walk (4 actions, each moving as meant with probability 0.8 and to
either side with 0.1; the far corner ends the episode). The table splits the total time into
the simulator's own calls (the same calls, timed alone), the search and merging around them,
and the array packing and validation at the end. One run, best of ``--repeats``; quote
ratios, with the load average printed before and after.

    python benchmarks/bench_models.py [--largest 1000000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import rlfoundations as rlf
from rlfoundations.mdp import TabularMDP

MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))


def grid_walk(side: int):
    goal = (side - 1, side - 1)

    def transitions(state, action):
        row, col = state
        outcomes = []
        for move, p in ((action, 0.8), ((action + 1) % 4, 0.1), ((action + 3) % 4, 0.1)):
            d_row, d_col = MOVES[move]
            nxt = (min(max(row + d_row, 0), side - 1), min(max(col + d_col, 0), side - 1))
            outcomes.append((p, nxt, -1.0, nxt == goal))
        return outcomes

    return transitions


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(side: int, repeats: int) -> None:
    """One row: compile a side x side grid walk, and time its parts."""
    transitions = grid_walk(side)
    states = [(r, c) for r in range(side) for c in range(side)]

    def calls_alone():
        for state in states:
            for action in range(4):
                transitions(state, action)

    compiled = {}

    def compile_model():
        compiled["mdp"] = rlf.from_simulator(transitions, initial=(0, 0), n_actions=4)

    total = best(compile_model, repeats)
    simulator = best(calls_alone, repeats)
    mdp = compiled["mdp"]

    def pack():
        TabularMDP(
            next_state=mdp.next_state,
            prob=mdp.prob,
            reward=mdp.reward,
            terminated=mdp.terminated,
            initial=mdp.initial,
        )

    packing = best(pack, repeats)
    search = total - simulator - packing
    print(
        f"{mdp.n_states:>9} {total:>8.2f} {simulator:>12.2f} {search:>9.2f} "
        f"{packing:>7.2f} {1e6 * total / mdp.n_states:>9.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{'states':>9} {'total s':>8} {'simulator s':>12} {'search s':>9} {'pack s':>7} "
        f"{'us/state':>9}"
    )
    n = 10_000
    while n <= args.largest:
        measure(math.isqrt(n), args.repeats)
        n *= 10
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
