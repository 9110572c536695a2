"""The other criteria: each kernel against its pure-Python twin, and LP against policy
iteration.

Run: ``python benchmarks/bench_criteria.py`` (``--quick`` for fewer repeats). Prints one table
from one run, medians over repeats, the load average before and after. The machine is shared:
absolute times drift, ratios hold.
"""

from __future__ import annotations

import argparse
import os

from _common import median_time, random_mdp

import rlfoundations as rlf
from rlfoundations import reference


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 3 if parser.parse_args().quick else 7
    print(f"load average before: {os.getloadavg()}")
    taxi = rlf.from_env("Taxi-v3")
    small = random_mdp(200, n_actions=4, n_outcomes=3, seed=1)
    rows = [
        (
            "backward_induction Taxi, T=200",
            lambda: rlf.backward_induction(taxi, 200),
            lambda: reference.backward_induction(taxi, 200),
        ),
        (
            "relative_value_iteration Taxi",
            lambda: rlf.relative_value_iteration(taxi),
            lambda: reference.relative_value_iteration(taxi),
        ),
        (
            "average_reward_policy_iteration, 200 states",
            lambda: rlf.average_reward_policy_iteration(small),
            lambda: reference.average_reward_policy_iteration(small),
        ),
        (
            "soft_value_iteration Taxi, gamma 0.9, T 1",
            lambda: rlf.soft_value_iteration(taxi, 0.9, 1.0),
            lambda: reference.soft_value_iteration(taxi, 0.9, 1.0),
        ),
        (
            "linear_programming Taxi (vs policy_iteration)",
            lambda: rlf.linear_programming(taxi, 0.9),
            lambda: rlf.policy_iteration(taxi, 0.9),
        ),
    ]
    print(f"{'solve':48} {'kernel ms':>10} {'twin ms':>10} {'ratio':>8}")
    for name, fast, slow in rows:
        fast_seconds = median_time(fast, repeats=repeats)
        slow_seconds = median_time(slow, repeats=1 if "LP" not in name else repeats)
        print(
            f"{name:48} {fast_seconds * 1e3:10.3g} {slow_seconds * 1e3:10.3g} "
            f"{slow_seconds / fast_seconds:8.3g}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
