"""Peak memory of a learner against the steps it is asked for: records grow, summaries do not.

Run: ``python benchmarks/bench_memory.py`` (``--quick`` for fewer points). Each point is a
fresh subprocess (so one point's peak does not hide the next one's) that runs
``rlf.q_learning`` on FrozenLake-v1 (slippery: short episodes, many of them) for ``n_steps``
with ``record_episodes`` True or False, and prints its peak resident set size
(``resource.getrusage``'s ``ru_maxrss``) minus the peak after importing the package and
compiling the kernel on a short run. With records the growth is the episode arrays (16 bytes
an episode, doubled when full); with summaries it stays flat: a fixed buffer of 4096 episodes
is folded into running totals whenever it fills. Not a test: the figures depend on the
allocator and the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

POINT = """
import resource, sys
import rlfoundations as rlf
mdp = rlf.from_env("FrozenLake-v1")
rlf.q_learning(mdp, gamma=0.99, n_steps=10_000, seed=0, record_episodes={record})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = rlf.q_learning(mdp, gamma=0.99, n_steps={n_steps}, seed=0, record_episodes={record})
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, result.n_episodes)
"""


def peak_growth_kib(n_steps: int, record: bool) -> tuple[int, int]:
    """Growth of the peak RSS (KiB) during one run, and its episode count, in a subprocess."""
    code = POINT.format(n_steps=n_steps, record=record)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(output[0]), int(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter points")
    quick = parser.parse_args().quick
    sizes = [10**5, 10**6] if quick else [10**5, 10**6, 10**7, 10**8]
    print(
        f"{'n_steps':>12} {'episodes':>11} {'records: +peak MiB':>19} {'summaries: +peak MiB':>21}"
    )
    for n_steps in sizes:
        recorded, episodes = peak_growth_kib(n_steps, True)
        summarised, _ = peak_growth_kib(n_steps, False)
        print(f"{n_steps:>12,} {episodes:>11,} {recorded / 1024:>19.1f} {summarised / 1024:>21.1f}")


if __name__ == "__main__":
    main()
