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

The second table is the memory of a model built from arrays and solved, in bytes per (s, a,
k) slot, at 10^6 and 10^7 states x 4 actions x 3 outcomes (``--quick``: 10^5 and 10^6). Each
(size, solver) is a fresh subprocess that imports the package, warms the solver on a small
model, then builds a random model's arrays with NumPy as a user would (int64 next states,
float64 probabilities and rewards, bool terminations: 25.7 bytes a slot with ``initial``),
builds the ``TabularMDP`` (the peak while building counts the user's arrays and the model's
copies; with ``copy=False`` the model adopts the user's arrays, and the peak is theirs and the
checks' temporaries), drops the user's arrays, and solves. Figures come from ``/proc/self/status``
(``VmRSS`` now, ``VmHWM`` the peak, reset through ``/proc/self/clear_refs`` before each
phase) minus the resident size before the arrays were made: Linux only. "resident" is what
stays after the solve with the model and the result held; "arrays" is what the live arrays
hold of it (``nbytes`` of the model's arrays and any it cached, the kernels' block layout,
and the result's arrays: Q-values and four per-state arrays, 5.3 bytes a slot at 4 x 3), so
"resident" minus "arrays" is what the allocator keeps. At 10^6 states that is 2-6 bytes a
slot, and constant in MB, not per slot: the user's (S, A, 1) normalising temporary (32 MB) moves
glibc's mmap threshold up to 32 MB, so the arrays below it (``terminated``, ``initial``,
policy iteration's per-policy chain) come from the heap, whose freed space is not returned
while a later array sits above it (``MALLOC_MMAP_THRESHOLD_=131072`` makes it go). At 10^7
states every array is above the threshold and the difference is a fraction of a byte.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

from _common import load_average

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


#: The subprocesses' memory readers (Linux): resident size and peak now, and a peak reset.
PROC_STATUS = """
def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))

def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
"""

MODEL_POINT = """
import sys, warnings
import numpy as np
import rlfoundations as rlf
""" + PROC_STATUS + """
def user_arrays(n_states, n_actions=4, n_outcomes=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n_states, n_actions, n_outcomes)
    next_state = rng.integers(0, n_states, size=shape)
    prob = rng.random(shape)
    prob /= prob.sum(axis=2, keepdims=True)
    reward = rng.normal(size=shape)
    terminated = rng.random(shape) < 0.01
    initial = np.full(n_states, 1.0 / n_states)
    return dict(next_state=next_state, prob=prob, reward=reward, terminated=terminated,
                initial=initial)

def solve(mdp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "{solver}" == "value_iteration":
            return rlf.value_iteration(mdp, gamma=0.9, epsilon=1e-2)
        return rlf.policy_iteration(mdp, gamma=0.9, epsilon=1e-2, max_iter=3)

solve(rlf.TabularMDP(**user_arrays(100)))
base = status("VmRSS")
arrays = user_arrays({n_states})
user = status("VmRSS") - base
reset_peak()
mdp = rlf.TabularMDP(**arrays, copy={copy})
building = status("VmHWM") - base
del arrays
model = status("VmRSS") - base
reset_peak()
result = solve(mdp)
solving, resident = status("VmHWM") - base, status("VmRSS") - base
from rlfoundations._kernels.layout import kernel_model
held = [value for value in vars(mdp).values() if isinstance(value, np.ndarray)]
held += [value for value in vars(result).values() if isinstance(value, np.ndarray)]
held_bytes = sum(array.nbytes for array in held + list(kernel_model(mdp)))
print(user, building, model, solving, resident, held_bytes)
"""

LOAD_POINT = """
import os, sys, tempfile
import rlfoundations as rlf
""" + PROC_STATUS + """
rlf.load(rlf.save(os.path.join({directory!r}, "small"), rlf.problems.garnet(100, 4, 3, 0)))
base = status("VmRSS")
mdp = rlf.problems.garnet({n_states}, 4, 3, 0, terminal_prob=0.01)
path = rlf.save(os.path.join({directory!r}, "model"), mdp)
del mdp
after_save = status("VmRSS") - base
reset_peak()
loaded = rlf.load(path)
print(after_save, status("VmHWM") - base, status("VmRSS") - base)
"""

#: Solvers measured by the model table.
SOLVERS = ("value_iteration", "policy_iteration")


def model_bytes_per_slot(n_states: int, solver: str, copy: bool) -> tuple[float, ...]:
    """(user arrays, building peak, model, solving peak, resident, arrays held) in bytes
    per slot, the model built with ``TabularMDP(..., copy=copy)``."""
    code = MODEL_POINT.format(n_states=n_states, solver=solver, copy=copy)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    slots = n_states * 4 * 3
    return tuple(int(figure) / slots for figure in output)


def load_bytes_per_slot(n_states: int) -> tuple[float, ...]:
    """(left after saving, loading peak, loaded) in bytes per slot: ``rlf.load`` of a saved
    random model of ``n_states`` x 4 x 3, in a subprocess (the file in a temporary directory)."""
    with tempfile.TemporaryDirectory() as directory:
        code = LOAD_POINT.format(n_states=n_states, directory=directory)
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    slots = n_states * 4 * 3
    return tuple(int(figure) / slots for figure in output)


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
    print()
    load = load_average()
    print(f"a model built from arrays and solved, bytes per (s, a, k) slot (load average {load})")
    print(
        f"{'states x 4 x 3':>15} {'solver':>17} {'copy':>5} {'user':>6} {'building':>9} "
        f"{'model':>6} "
        f"{'solving':>8} {'resident':>9} {'arrays':>7} {'slots in 24 GB':>15}"
    )
    for n_states in [10**5, 10**6] if quick else [10**6, 10**7]:
        for solver in SOLVERS:
            for copy in (True, False):
                figures = model_bytes_per_slot(n_states, solver, copy)
                user, building, model, solving, resident, arrays = figures
                fits = 24e9 / max(building, solving)
                print(
                    f"{n_states:>15.0e} {solver:>17} {copy!s:>5} {user:>6.1f} {building:>9.1f} "
                    f"{model:>6.1f} {solving:>8.1f} {resident:>9.1f} {arrays:>7.1f} "
                    f"{fits:>15.2g}"
                )
    print()
    print("a saved model loaded with rlf.load, bytes per (s, a, k) slot")
    print(f"{'states x 4 x 3':>15} {'after save':>11} {'loading (peak)':>15} {'loaded':>7}")
    for n_states in [10**5, 10**6] if quick else [10**6, 10**7]:
        after_save, loading, loaded = load_bytes_per_slot(n_states)
        print(f"{n_states:>15.0e} {after_save:>11.1f} {loading:>15.1f} {loaded:>7.1f}")


if __name__ == "__main__":
    main()
