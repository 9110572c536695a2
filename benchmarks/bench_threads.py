"""Value iteration's thread choice against forcing 1 thread and forcing 2, idle and busy.

``rlf.value_iteration`` decides as it runs whether its synchronous sweeps use one thread or all
of Numba's (``rlfoundations._kernels.drivers.ThreadChoice``). Issue 16's target: never more than
1.1x slower than the better of forced 1 thread and forced 2 threads, idle or with one other
process spinning a core (``busy``). For GARNET models (4 actions, 3 outcomes, 1% terminating
outcomes; gamma 0.99, epsilon 1e-6) of each size, this times, interleaved, medians over
repeats with their min-max spread:

- ``default``: the public call, its own choice;
- ``1 thread``: the same call under ``numba.set_num_threads(1)``;
- ``forced 2``: every sweep on 2 threads (the choice replaced by "parallel, 64 sweeps a call").

The three compute the same numbers (every sweep is thread-count independent); only time differs.

Run: ``python benchmarks/bench_threads.py [--quick] [--no-busy] [--sizes N ...] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator

from _common import busy_core, interleaved, load_average, random_mdp, threads

import rlfoundations as rlf
from rlfoundations._kernels import drivers


@contextlib.contextmanager
def forced_parallel() -> Iterator[None]:
    """Every synchronous sweep of value iteration on all Numba threads, whatever the size."""
    saved = drivers.PARALLEL_MIN_SLOTS, drivers.ThreadChoice.next_chunk
    drivers.PARALLEL_MIN_SLOTS = 0
    drivers.ThreadChoice.next_chunk = lambda self: (True, drivers.MAX_CHUNK_SWEEPS)  # type: ignore[method-assign]
    try:
        yield
    finally:
        drivers.PARALLEL_MIN_SLOTS, drivers.ThreadChoice.next_chunk = saved  # type: ignore[method-assign]


def calls(mdp: rlf.TabularMDP) -> dict[str, Callable[[], object]]:
    """The three ways of running the same solve."""

    def solve() -> object:
        return rlf.value_iteration(mdp, 0.99, epsilon=1e-6)

    def one_thread() -> object:
        with threads(1):
            return solve()

    def two_threads() -> object:
        with threads(2), forced_parallel():
            return solve()

    return {"default": solve, "1 thread": one_thread, "forced 2": two_threads}


def table(sizes: list[int], repeats: int, busy: bool) -> None:
    """One line per size: the three medians, default over the better forced one, 1 over 2."""
    condition = "busy (one other process spinning a core)" if busy else "idle"
    print(f"\n{condition}; load average {load_average()}")
    print(
        f"{'states':>10} {'default ms (spread)':>19} {'1 thread ms':>12} {'forced 2 ms':>12}"
        f" {'default/best':>13} {'1/2 threads':>12}"
    )
    with busy_core() if busy else contextlib.nullcontext():
        for n_states in sizes:
            timing = interleaved(calls(random_mdp(n_states)), repeats)
            default, one, two = (timing[name] for name in ("default", "1 thread", "forced 2"))
            best = min(one.median, two.median)
            print(
                f"{n_states:>10} {default.median * 1e3:>8.2f} {default.relative_spread():>10}"
                f" {one.median * 1e3:>12.2f} {two.median * 1e3:>12.2f}"
                f" {default.median / best:>12.2f}x {one.median / two.median:>11.2f}x"
            )


def main() -> None:
    """Parse the options and print the idle table, then the busy one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^3 and 10^4 states, 3 repeats")
    parser.add_argument("--no-busy", action="store_true", help="skip the busy table")
    parser.add_argument("--sizes", type=int, nargs="+", help="numbers of states")
    parser.add_argument("--repeats", type=int, help="repeats of each call (default 7; 3 quick)")
    args = parser.parse_args()
    sizes = args.sizes or ([10**3, 10**4] if args.quick else [10**3, 10**4, 10**5, 10**6])
    repeats = args.repeats or (3 if args.quick else 7)
    table(sizes, repeats, busy=False)
    if not args.no_busy:
        table(sizes, repeats, busy=True)


if __name__ == "__main__":
    main()
