"""Exact solvers: jitted kernels against their pure-Python twins, and against the memory bus.

Run: ``python benchmarks/bench_planning.py`` (``--quick`` skips the 10^6-state model and the
cold-compile measurement). Prints one table from one run; every figure is a median over
repeats. The machine is shared: absolute times drift, ratios hold.

Measured:
1. one Bellman optimality sweep, jitted (1 thread and all threads) vs the reference twin, in
   ns per (state, action, outcome) backup; the reference runs on a 10^3-state model where the
   full size would take minutes (per-backup figures compare across sizes);
2. solving to convergence, synchronous (Jacobi) and Gauss-Seidel, with sweep counts;
3. the memory-bandwidth bound: bytes a sweep must stream per backup over the measured read
   bandwidth of both cores, beside the time of the random reads of V alone (one gather per
   backup, nothing else: what no layout of the model can remove);
4. the targets of the "scale" issue, against the peer figures quoted there (QuantEcon's
   ``DiscreteDP``, measured on this machine to a 1e-10 tolerance, warm): Taxi value iteration
   with the call overhead, Taxi policy iteration, the 10^6-state sweep on all threads, and the
   extraction of Taxi from its ``P`` table;
5. start-up, each in a fresh process (``--startup`` runs this section alone): the CPU time
   (user + sys, steadier than wall time on a shared machine) and wall time of
   ``python -c "import numba"``, of the Numba floor (a one-line cached ``@njit`` function,
   called once: Numba's own first-call set-up, paid by any Numba program), of ``import
   rlfoundations`` and of ``rlfoundations solve Taxi-v3`` warm (kernels cached) and cold
   (empty Numba cache); the ratios of the "start-up" row of issue 16 (warm solve / import
   numba <= 1.5x, cold solve / warm solve <= 4x), the warm solve against the floor, the
   kernels a warm solve loads (whether it starts Numba's threads or imports ``scipy.linalg``)
   and the cold compile of every planning kernel;
6. threads on an idle and a busy machine (``--threads`` runs this table only): value
   iteration to convergence with its default thread choice, against forcing serial and
   forcing parallel sweeps, idle and with one other process spinning on a core (the busy
   column); ratios to the better forced choice, from one interleaved run;
7. Gauss-Seidel against Jacobi to convergence (gamma 0.99, epsilon 1e-6), both on their
   defaults, on random models whose episodes never end and with 1 % terminating outcomes,
   idle and busy;
8. the ragged layout (``--ragged`` runs this table alone): one synchronous sweep on a skewed
   model (1 % of the pairs with 1 000 outcomes, the rest 2), on a uniform model of the same
   nonzeros, and on uniform models of K in {1, 4, 16, 32, 64} outcomes, in the block layout
   and in the ragged one (its three forms: blocks padded to their longest lane, at most two
   lanes overflowing, per pair), against QuantEcon's ``bellman_operator`` on the sparse
   state-action form; time per sweep, ratios, and layout bytes per nonzero, from one
   interleaved run; then modified policy iteration and policy iteration (defaults, gamma
   0.9) to convergence on three skewed models, the layout chosen (ragged) against the block
   layout forced, results checked bit for bit equal, medians of 5 interleaved repeats with
   their spread. One run (load 1.8-2.0, 2 cores shared): 1 % x 1 000 outcomes at 5 000 x 2,
   MPI 23.6 ms against 1 867 ms (79x), PI 131 ms against 2 196 ms (17x); 10 % x 20 at
   5 000 x 4, MPI 1.9x, PI 1.5x; 1 % x 1 000 at 1 000 x 2, MPI 20x, PI 2.8x (its exact final
   evaluation, a dense solve of one 1 000-state component, costs the same in both);
9. past the last-level cache (``--locality`` runs this table alone, ``--quick`` drops 10^7):
   one synchronous sweep on 1 thread at 10^6, 3x10^6 and 10^7 states (4 actions, 3
   outcomes), block arrays built directly (no model beside them, one size at a time), with
   uniformly random successors and with successors within +-64 of their state, beside a
   minimal Numba loop summing ``V[idx[i]]`` over the same successor indices (the
   random-access bound); ns per backup and per gather. One run (load 1.7): random
   9.3/15.4/17.3 ns per backup against gathers of 7.9/14.7/18.9 ns (1.18x/1.05x/0.91x);
   banded 1.86/1.74/3.07 ns (10^7 at 1.65x its 10^6 cost), gathers 1.2-1.3 ns.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from unittest import mock

import numba
import numpy as np
from _common import (
    Timing,
    backups,
    busy_core,
    bytes_per_backup,
    load_average,
    median_time,
    random_mdp,
    read_bandwidth,
    sweep_seconds,
)
from gymnasium.envs.toy_text.frozen_lake import generate_random_map

import rlfoundations as rlf
import rlfoundations.planning as solvers
from rlfoundations import reference
from rlfoundations._kernels import drivers, lanes, ragged
from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels.layout import kernel_model
from rlfoundations.reference import planning as reference_planning


@numba.njit(parallel=True, fastmath=False, cache=True)
def _gather_all(successor, values):
    """Sum of ``values[successor]`` over every slot, eight gathers at a time, chunked as a
    parallel sweep is: the random reads of V that a sweep cannot avoid, and nothing else."""
    flat = successor.reshape(-1)
    n_vectors = flat.size // lanes.LANES
    n_chunks = (n_vectors + 4095) // 4096
    totals = np.zeros(n_chunks * lanes.LANES)
    for chunk in numba.prange(n_chunks):
        total = lanes.splat(0.0)
        for i in range(chunk * 4096, min((chunk + 1) * 4096, n_vectors)):
            total = lanes.add(total, lanes.gather(values, flat, i * lanes.LANES))
        lanes.store(totals, chunk * lanes.LANES, total)
    return totals.sum()


def gather_seconds(mdp: rlf.TabularMDP) -> float:
    """Seconds to read ``V[next_state]`` once per (state, action, outcome), on all threads."""
    successor = kernel_model(mdp)[0]
    values = np.random.default_rng(2).normal(size=successor.shape[0] * lanes.LANES)
    return median_time(lambda: _gather_all(successor, values), repeats=9)


def reference_sweep_seconds(mdp: rlf.TabularMDP) -> float:
    values = list(np.random.default_rng(2).normal(size=mdp.n_states))

    def sweep():
        return [
            reference_planning.best_action(mdp, values, 0.99, s)[0] for s in range(mdp.n_states)
        ]

    return median_time(sweep, repeats=3, min_seconds=0.0)


COMPILE_ALL = """
import time
import warnings
start = time.perf_counter()
import rlfoundations as rlf
mdp = rlf.from_env("Taxi-v3")
for gauss_seidel in (False, True):
    rlf.value_iteration(mdp, 0.99, gauss_seidel=gauss_seidel)
rlf.value_iteration(mdp, 1.0)
rlf.policy_iteration(mdp, 0.99)
rlf.policy_iteration(mdp, 1.0)
rlf.policy_evaluation(mdp, rlf.value_iteration(mdp, 0.9).policy, 0.9, method="iterative")
rlf.modified_policy_iteration(mdp, 0.99)
print(time.perf_counter() - start)
"""


#: The Numba floor: a one-line cached kernel, called once.
FLOOR_SCRIPT = """
import numba

@numba.njit(cache=True)
def one_more(x):
    return x + 1

one_more(1)
"""


#: What a warm ``rlfoundations solve Taxi-v3`` loads: the kernels it calls (a kernel's callees
#: are linked into it and never loaded on their own), whether it started Numba's threading
#: layer and whether it imported ``scipy.linalg`` (Numba's BLAS probe).
LOADED_SCRIPT = """
import contextlib, io, sys
from numba.core.registry import CPUDispatcher
from rlfoundations import cli
with contextlib.redirect_stdout(io.StringIO()):
    cli.main(["solve", "Taxi-v3"])
loaded = sorted(
    f"{module.rsplit('.', 1)[-1]}.{name}"
    for module, namespace in list(sys.modules.items())
    if module.startswith("rlfoundations._kernels.")
    for name, value in vars(namespace).items()
    if isinstance(value, CPUDispatcher) and value.signatures
)
import numba.np.ufunc.parallel as parallel
print(len(loaded), " ".join(loaded))
print(parallel._is_initialized, "scipy.linalg" in sys.modules)
"""


def child_seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, user + sys, wall seconds) of one fresh process running ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall


def startup(quick: bool, repeats: int = 5) -> None:
    """The start-up figures, each a median over ``repeats`` fresh processes, interleaved."""
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ)
        # Byte code cached as an installed package has it (in a private directory), even
        # where the caller's environment turns byte-code writing off.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(scratch, "pycache")
        floor = os.path.join(scratch, "floor.py")
        with open(floor, "w") as file:
            file.write(FLOOR_SCRIPT)
        solve = [sys.executable, "-m", "rlfoundations", "solve", "Taxi-v3"]
        commands = {
            "import numba": [sys.executable, "-c", "import numba"],
            "Numba floor (1 cached njit)": [sys.executable, floor],
            "import rlfoundations": [sys.executable, "-c", "import rlfoundations"],
            "solve Taxi-v3, warm": solve,
        }
        for command in commands.values():  # fill the byte-code and kernel caches
            child_seconds(command, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(child_seconds(command, env))
        loaded = (
            subprocess.run(
                [sys.executable, "-c", LOADED_SCRIPT], env=env, check=True, capture_output=True
            )
            .stdout.decode()
            .splitlines()
        )
        if not quick:
            times["solve Taxi-v3, cold"] = []
            for repeat in range(2):
                cold_env = dict(env, NUMBA_CACHE_DIR=os.path.join(scratch, f"numba{repeat}"))
                times["solve Taxi-v3, cold"].append(child_seconds(solve, cold_env))
    print(f"\nStart-up, fresh processes (medians of {repeats}; load {load_average()})")
    row("process", "CPU s", "wall s", "CPU / numba", "CPU / floor")
    cpu = {name: statistics.median(c for c, _ in runs) for name, runs in times.items()}
    for name, runs in times.items():
        wall = statistics.median(w for _, w in runs)
        row(
            name,
            f"{cpu[name]:.2f}",
            f"{wall:.2f}",
            f"{cpu[name] / cpu['import numba']:.2f}x",
            f"{cpu[name] / cpu['Numba floor (1 cached njit)']:.2f}x",
        )
    warm = cpu["solve Taxi-v3, warm"]
    print(f"  warm solve / import numba: {warm / cpu['import numba']:.2f}x CPU (target <= 1.5x)")
    if "solve Taxi-v3, cold" in cpu:
        cold = cpu["solve Taxi-v3, cold"]
        print(f"  cold solve / warm solve: {cold / warm:.2f}x CPU (target <= 4x)")
    count, names = [*loaded[0].split(" ", 1), ""][:2]
    threads, scipy_linalg = loaded[1].split()
    print(f"  kernels a warm solve loads ({count}): {names}")
    print(f"  threading layer started: {threads}; scipy.linalg imported: {scipy_linalg}")


def fresh_process_seconds(script: str, cache_dir: str | None = None) -> float:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


#: Peer figures quoted by the "scale" issue (QuantEcon DiscreteDP, sparse, this machine).
PEER_TAXI_VALUE_ITERATION = 0.45e-3
PEER_TAXI_POLICY_ITERATION = 51e-3
PEER_SWEEP_NS_1E6 = 6.5

#: QuantEcon stops value iteration when ``max |Tv - v| < eps (1 - beta) / (2 beta)``. Our
#: synchronous rule is ``span(TV - V) < epsilon (1 - gamma) / gamma``, and in a model whose
#: episodes end (Taxi) the span counts the absorbing state's change 0, so it bounds the sup
#: norm: with epsilon = eps / 2 our stop implies theirs (values within eps / 2 of V*), and the
#: greedy policy is eps / 2-optimal instead of eps-optimal.
TAXI_EPSILON = 0.5e-10


@contextlib.contextmanager
def forced_threads(parallel: bool):
    """Value iteration's synchronous sweeps forced serial (False) or parallel (True)."""
    original = drivers.value_iteration
    drivers.value_iteration = functools.partial(original, parallel=parallel)
    try:
        yield
    finally:
        drivers.value_iteration = original


def solve_call(mdp, parallel: bool | None, gauss_seidel: bool = False, epsilon: float = 1e-6):
    """A call of ``rlf.value_iteration`` (gamma 0.99), its threads forced unless None."""

    def call():
        with forced_threads(parallel) if parallel is not None else contextlib.nullcontext():
            return rlf.value_iteration(mdp, 0.99, epsilon=epsilon, gauss_seidel=gauss_seidel)

    return call


def rotated(calls: dict[str, object], repeats: int) -> dict[str, Timing]:
    """:func:`_common.interleaved`, the order rotated each round: a call that follows a
    parallel one pays for its worker threads still spinning (libgomp spins a while after
    each parallel region), so no call may always come second."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        calls[name]()  # warm-up
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start = time.perf_counter()
            calls[name]()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def threads_table(sizes: list[int], repeats: int = 6) -> None:
    """Default thread choice vs forced serial and forced parallel, idle and busy."""
    threads = numba.get_num_threads()
    print(
        f"\nThreads: value iteration to convergence (garnet, no terminals, gamma 0.99, "
        f"epsilon 1e-6), {threads} Numba threads; median ms over {repeats} interleaved "
        f"repeats (3 at 1e3), order rotated; ratio = default / the better forced choice "
        f"(goal <= 1.1)"
    )
    row("model / machine", "sweeps", "forced 1 ms", f"forced {threads} ms", "default ms", "ratio")
    for n_states in sizes:
        mdp = rlf.problems.garnet(n_states, 4, 3, 0)
        sweeps = rlf.value_iteration(mdp, 0.99, epsilon=1e-6).iterations
        for machine in ("idle", "busy"):
            with busy_core() if machine == "busy" else contextlib.nullcontext():
                load = load_average()
                got = rotated(
                    {
                        "serial": solve_call(mdp, False),
                        "parallel": solve_call(mdp, True),
                        "default": solve_call(mdp, None),
                    },
                    repeats=repeats if n_states > 10**3 else 3,
                )
            serial, parallel, default = (got[k].median for k in ("serial", "parallel", "default"))
            row(
                f"{n_states:.0e} {machine} (load {load})",
                sweeps,
                f"{serial * 1e3:.2f}",
                f"{parallel * 1e3:.2f}",
                f"{default * 1e3:.2f} {got['default'].relative_spread()}",
                f"{default / min(serial, parallel):.2f}x",
            )


def gauss_seidel_table(sizes: list[int], repeats: int = 3) -> None:
    """Gauss-Seidel vs Jacobi (both default: Jacobi's threads decided) to convergence."""
    print(
        "\nGauss-Seidel vs Jacobi to convergence (garnet, FrozenLake 64x64, Taxi; gamma 0.99, "
        "epsilon 1e-6, defaults); "
        f"median ms over {repeats} interleaved repeats; ratio = Gauss-Seidel / Jacobi "
        "(goal <= 1)"
    )
    row("model / machine", "Jacobi sweeps", "GS sweeps", "Jacobi ms", "GS ms", "ratio")
    models = {
        f"{n_states:.0e} term {terminal_prob:g}": rlf.problems.garnet(
            n_states, 4, 3, 0, terminal_prob=terminal_prob
        )
        for terminal_prob in (0.0, 0.01)
        for n_states in sizes
    }
    models["FrozenLake 64x64"] = rlf.from_env("FrozenLake-v1", desc=generate_random_map(64, seed=0))
    models["Taxi"] = rlf.from_env("Taxi-v3")
    for name, mdp in models.items():
        jacobi_sweeps = rlf.value_iteration(mdp, 0.99, epsilon=1e-6).iterations
        gs_sweeps = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True).iterations
        for machine in ("idle", "busy"):
            with busy_core() if machine == "busy" else contextlib.nullcontext():
                load = load_average()
                got = rotated(
                    {
                        "jacobi": solve_call(mdp, None),
                        "gs": solve_call(mdp, None, gauss_seidel=True),
                    },
                    repeats=repeats,
                )
            jacobi, gs = got["jacobi"].median, got["gs"].median
            row(
                f"{name} {machine} (load {load})",
                jacobi_sweeps,
                gs_sweeps,
                f"{jacobi * 1e3:.2f}",
                f"{gs * 1e3:.2f}",
                f"{gs / jacobi:.2f}x",
            )


def skewed_mdp(n_states: int, n_actions: int, heavy: int, light: int, heavy_rate: float, seed=0):
    """Pairs with ``heavy`` outcomes at rate ``heavy_rate``, the others ``light``; uniform
    random next states and probabilities, normal rewards, 1 % terminating outcomes. With
    ``heavy_rate`` 0 a uniform model of ``light`` outcomes."""
    rng = np.random.default_rng(seed)
    n_outcomes = heavy if heavy_rate > 0 else light
    shape = (n_states, n_actions, n_outcomes)
    counts = np.where(rng.random(shape[:2]) < heavy_rate, heavy, light)
    used = np.arange(n_outcomes) < counts[:, :, None]
    weights = np.where(used, rng.random(shape) + 0.01, 0.0)
    return rlf.TabularMDP(
        next_state=rng.integers(0, n_states, size=shape),
        prob=weights / weights.sum(axis=2, keepdims=True),
        reward=rng.normal(size=shape),
        terminated=(rng.random(shape) < 0.01) & used,
        initial=np.full(n_states, 1.0 / n_states),
    )


def layout_bytes(model) -> int:
    return sum(array.nbytes for array in model)


def ragged_table(repeats: int = 7) -> None:
    """One sweep: block layout vs the ragged forms vs QuantEcon, skewed and uniform models."""
    try:
        import quantecon
        from bench_peers import state_action_form
    except ImportError as error:
        quantecon = None
        print(f"QuantEcon n/a: {error} (pip install -e '.[bench]')")
    n_states, n_actions = 5_000, 2
    heavy_rate = 0.01
    nonzeros = heavy_rate * 1000 + (1 - heavy_rate) * 2
    models = {
        "skewed 1% x 1000, rest 2": skewed_mdp(n_states, n_actions, 1000, 2, heavy_rate),
        f"uniform K={round(nonzeros)} (same nnz)": skewed_mdp(
            n_states, n_actions, 0, round(nonzeros), 0.0
        ),
    }
    for k in (1, 4, 16, 32, 64):
        models[f"uniform K={k}"] = skewed_mdp(20_000, 4, 0, k, 0.0)
    print(
        f"\nRagged layout: one synchronous sweep (gamma 0.99), 1 thread, median us over {repeats} "
        f"interleaved repeats; bytes = layout bytes per continuing nonzero; "
        f"x = QuantEcon bellman_operator (sparse state-action form) / ours"
    )
    row(
        "model",
        "nnz",
        "block us",
        "B/nnz",
        "ragged-0 us",
        "ragged-2 us",
        "ragged-8 us",
        "B/nnz (2)",
        "chosen",
        "QuantEcon us",
        "x (chosen)",
    )
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for name, mdp in models.items():
            nnz = int(((mdp.prob > 0) & ~mdp.terminated).sum())
            block = kernel_model(mdp)
            forms = {
                f"ragged-{lanes_}": ragged.build_ragged_model(
                    mdp.next_state, mdp.prob, mdp.terminated, block[2], lanes_
                )
                for lanes_ in (0, 2, 8)
            }
            padded_states = block[0].shape[0] * lanes.LANES
            values = np.random.default_rng(2).normal(size=padded_states)
            new_values = np.empty(padded_states)
            # Default arguments bind this model's buffers (not the loop's last ones).
            calls = {
                "block": lambda m=block, v=values, o=new_values: kernels.bellman_sweep(
                    *m, 0.99, True, False, v, o
                )
            }
            for form, model in forms.items():
                calls[form] = lambda m=model, v=values, o=new_values: ragged.bellman_sweep(
                    *m, 0.99, True, False, v, o
                )
            if quantecon is not None:
                R, Q, s_indices, a_indices = state_action_form(mdp)
                # Only the nonzeros, as a user of the sparse form would store a skewed model.
                Q.eliminate_zeros()
                ddp = quantecon.markov.DiscreteDP(R, Q, 0.99, s_indices, a_indices)
                qe_values = np.random.default_rng(2).normal(size=mdp.n_states + 1)
                qe_out = np.empty(mdp.n_states + 1)
                calls["quantecon"] = lambda d=ddp, v=qe_values, o=qe_out: d.bellman_operator(
                    v, Tv=o
                )
            timings = rotated(calls, repeats)
            chosen_model = kernel_model(mdp, ragged=True)
            chosen = "ragged-2" if isinstance(chosen_model, ragged.RaggedModel) else "block"
            us = {key: timing.median * 1e6 for key, timing in timings.items()}
            qe = us.get("quantecon")
            row(
                name,
                nnz,
                f"{us['block']:.1f}",
                f"{layout_bytes(block) / nnz:.1f}",
                f"{us['ragged-0']:.1f}",
                f"{us['ragged-2']:.1f}",
                f"{us['ragged-8']:.1f}",
                f"{layout_bytes(forms['ragged-2']) / nnz:.1f}",
                chosen,
                "-" if qe is None else f"{qe:.1f}",
                "-" if qe is None else f"{qe / us[chosen]:.2f}x",
            )
            del block, forms, calls, timings, chosen_model
    finally:
        numba.set_num_threads(previous)
    print(f"load average {load_average()}")


def block_layout_call(solve):
    """``solve`` on the block layout, whatever the model: the solvers' ``kernel_model(mdp,
    ragged=True)`` answered as ``kernel_model(mdp)``."""

    def call():
        with mock.patch.object(
            solvers, "_kernel_model", lambda mdp, ragged=False: kernel_model(mdp)
        ):
            return solve()

    return call


def ragged_solvers_table(repeats: int = 5) -> None:
    """MPI and PI to convergence on skewed models: the layout chosen (ragged) vs the block."""
    gamma = 0.9
    models = {
        "skewed 1% x 1000, rest 2": skewed_mdp(5_000, 2, 1000, 2, 0.01),
        "skewed 10% x 20, rest 2": skewed_mdp(5_000, 4, 20, 2, 0.1),
        "skewed 1% x 1000, 1 000 states": skewed_mdp(1_000, 2, 1000, 2, 0.01),
    }
    solves = {
        "mpi": lambda mdp: rlf.modified_policy_iteration(mdp, gamma),
        "pi": lambda mdp: rlf.policy_iteration(mdp, gamma),
    }
    print(
        f"\nRagged layout: solvers to convergence (gamma {gamma}, defaults), 1 thread, median "
        f"ms over {repeats} interleaved repeats (min-max around it); ratio = block / ragged; "
        f"PI on 1 000 states ends with an exact evaluation (auto)"
    )
    row("model", "solver", "steps", "ragged ms", "spread", "block ms", "spread", "ratio")
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for name, mdp in models.items():
            assert isinstance(kernel_model(mdp, ragged=True), ragged.RaggedModel), name
            for solver, solve in solves.items():
                calls = {
                    "ragged": functools.partial(solve, mdp),
                    "block": block_layout_call(functools.partial(solve, mdp)),
                }
                got, expected = calls["ragged"](), calls["block"]()
                assert got.iterations == expected.iterations
                assert got.values.tobytes() == expected.values.tobytes(), (name, solver)
                timings = rotated(calls, repeats)
                ms = {key: timing.median * 1e3 for key, timing in timings.items()}
                row(
                    name,
                    solver,
                    got.iterations,
                    f"{ms['ragged']:.1f}",
                    timings["ragged"].relative_spread(),
                    f"{ms['block']:.1f}",
                    timings["block"].relative_spread(),
                    f"{ms['block'] / ms['ragged']:.1f}x",
                )
    finally:
        numba.set_num_threads(previous)
    print(f"load average {load_average()}")


@numba.njit(cache=True)
def _gather_loop(flat, values):
    """The random-access yardstick: one read of ``values[flat[i]]`` per slot, summed, serial."""
    total = 0.0
    for i in range(flat.size):
        total += values[flat[i]]
    return total


def _synthetic_layout(n_states: int, band: int | None, n_actions=4, n_outcomes=3, seed=0):
    """Block arrays (as :func:`kernel_model` lays them out) of a model with uniform random
    successors (``band`` None) or successors within +-``band`` of their state, built directly
    (no TabularMDP beside them, so 10^7 states fit in ~1.8 GB)."""
    rng = np.random.default_rng(seed)
    n_blocks = -(-n_states // lanes.LANES)
    shape = (n_blocks, n_actions, n_outcomes, lanes.LANES)
    if band is None:
        successor = rng.integers(0, n_states, size=shape, dtype=np.int32)
    else:
        state = (
            np.arange(n_blocks, dtype=np.int64)[:, None, None, None] * lanes.LANES
            + np.arange(lanes.LANES)[None, None, None, :]
        )
        offset = rng.integers(-band, band + 1, size=shape, dtype=np.int32)
        successor = np.clip(state + offset, 0, n_states - 1).astype(np.int32)
        del offset, state
    continue_prob = rng.random(shape) * (0.99 / n_outcomes)
    reward = rng.normal(size=(n_blocks, n_actions, lanes.LANES))
    return successor, continue_prob, reward


def locality_table(sizes=(10**6, 3 * 10**6, 10**7), band: int = 64, repeats: int = 5) -> None:
    """ns per backup of one synchronous sweep (1 thread) past the last-level cache, beside the
    minimal gather loop's ns per gather on the same successor indices; one model at a time."""
    print(f"load average {load_average()}")
    print("Past the last-level cache: one sweep, 1 thread, 4 actions x 3 outcomes")
    print(f"  (banded: next state within +-{band}; gather = minimal loop summing V[idx[i]])")
    row("successors / states", "sweep ns", "gather ns", "sweep/gather", "vs 1e6")
    first: dict[str, float] = {}
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for n_states in sizes:
            for name, width in (("random", None), ("banded", band)):
                model = _synthetic_layout(n_states, width)
                slots = model[0].size
                padded_states = model[0].shape[0] * lanes.LANES
                values = np.random.default_rng(2).normal(size=padded_states)
                new_values = np.empty(padded_states)
                flat = model[0].reshape(-1)
                sweep = (
                    median_time(
                        lambda m=model, v=values, w=new_values: kernels.bellman_sweep(
                            *m, 0.99, True, None, v, w
                        ),
                        repeats=repeats,
                    )
                    / slots
                    * 1e9
                )
                gather = (
                    median_time(lambda f=flat, v=values: _gather_loop(f, v), repeats=repeats)
                    / slots
                    * 1e9
                )
                first.setdefault(name, sweep)
                row(
                    f"{name} {n_states:.0e}",
                    f"{sweep:.2f}",
                    f"{gather:.2f}",
                    f"{sweep / gather:.2f}x",
                    f"{sweep / first[name]:.2f}x",
                )
                del model, values, new_values, flat
    finally:
        numba.set_num_threads(previous)


def row(*cells: object) -> None:
    print("  ".join(f"{cell:>14}" if i else f"{cell:<32}" for i, cell in enumerate(cells)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 10^6 states and cold start")
    parser.add_argument(
        "--threads",
        action="store_true",
        help="only the thread-choice and Gauss-Seidel tables (idle and busy)",
    )
    parser.add_argument("--startup", action="store_true", help="only the start-up figures")
    parser.add_argument("--ragged", action="store_true", help="only the ragged-layout table")
    parser.add_argument(
        "--locality",
        action="store_true",
        help="only the past-the-cache table (random and banded successors, 1e6 to 1e7 states)",
    )
    args = parser.parse_args()
    if args.locality:
        locality_table(sizes=(10**6, 3 * 10**6) if args.quick else (10**6, 3 * 10**6, 10**7))
        return
    if args.startup:
        startup(args.quick)
        return
    if args.ragged:
        print(f"load average {load_average()}")
        ragged_table()
        ragged_solvers_table()
        return
    threads = numba.get_num_threads()
    print(f"rlfoundations {rlf.__version__}, numba {numba.__version__}, {threads} threads")
    print(f"load average {load_average()} (the machine may be shared: compare ratios)\n")
    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    if args.threads:
        threads_table(sizes)
        gauss_seidel_table(sizes[:3])
        return

    models = {
        "Taxi-v3": rlf.from_env("Taxi-v3"),
        "FrozenLake8x8-v1": rlf.from_env("FrozenLake8x8-v1"),
        "random 1e5": random_mdp(10**5),
    }
    if not args.quick:
        models["random 1e6"] = random_mdp(10**6)
    small = random_mdp(10**3)

    print("One Bellman sweep (ns per backup; ratio = reference / jitted, 1 thread)")
    row("model", "reference", "jitted 1 thr", f"jitted {threads} thr", "ratio 1 thr")
    for name, mdp in models.items():
        oracle = mdp if mdp.n_states <= 10**3 else small
        ref = reference_sweep_seconds(oracle) / backups(oracle) * 1e9
        one = sweep_seconds(mdp, parallel=False, threads=1) / backups(mdp) * 1e9
        many = sweep_seconds(mdp, parallel=True) / backups(mdp) * 1e9
        label = name if oracle is mdp else f"{name} (ref on 1e3)"
        row(label, f"{ref:.1f}", f"{one:.2f}", f"{many:.2f}", f"{ref / one:.0f}x")

    print("\nSolving to convergence (gamma 0.99, epsilon 1e-8; ratio = reference / jitted)")
    row("model / method", "sweeps", "jitted ms", "reference ms", "ratio")
    for name, mdp in list(models.items())[:2]:
        for gauss_seidel in (False, True):
            label = f"{name} {'gauss-seidel' if gauss_seidel else 'jacobi'}"
            result = rlf.value_iteration(mdp, 0.99, gauss_seidel=gauss_seidel)
            jit = median_time(
                lambda m=mdp, g=gauss_seidel: rlf.value_iteration(m, 0.99, gauss_seidel=g)
            )
            ref = median_time(
                lambda m=mdp, g=gauss_seidel: reference.value_iteration(m, 0.99, gauss_seidel=g),
                repeats=3,
                min_seconds=0.0,
            )
            row(
                label,
                result.iterations,
                f"{jit * 1e3:.3f}",
                f"{ref * 1e3:.1f}",
                f"{ref / jit:.0f}x",
            )
    for name, mdp in list(models.items())[2:]:
        for gauss_seidel in (False, True):
            label = f"{name} {'gauss-seidel' if gauss_seidel else 'jacobi'}"
            result = rlf.value_iteration(mdp, 0.99, gauss_seidel=gauss_seidel)
            jit = median_time(
                lambda m=mdp, g=gauss_seidel: rlf.value_iteration(m, 0.99, gauss_seidel=g),
                repeats=3,
                min_seconds=0.0,
            )
            row(label, result.iterations, f"{jit * 1e3:.1f}", "-", "-")
    taxi = models["Taxi-v3"]
    for label, solve, oracle in [
        ("Taxi-v3 policy it. (exact)", lambda: rlf.policy_iteration(taxi, 0.99), None),
        (
            "Taxi-v3 policy it. (iterative)",
            lambda: rlf.policy_iteration(taxi, 0.99, evaluation="iterative"),
            lambda: reference.policy_iteration(taxi, 0.99, evaluation="iterative"),
        ),
        (
            "Taxi-v3 modified policy it.",
            lambda: rlf.modified_policy_iteration(taxi, 0.99),
            lambda: reference.modified_policy_iteration(taxi, 0.99),
        ),
    ]:
        jit = median_time(solve)
        ref = None if oracle is None else median_time(oracle, repeats=1, min_seconds=0.0)
        row(
            label,
            solve().iterations,
            f"{jit * 1e3:.3f}",
            "-" if ref is None else f"{ref * 1e3:.1f}",
            "-" if ref is None else f"{ref / jit:.0f}x",
        )

    print("\nMemory bandwidth bound (sweep on all threads)")
    bandwidth = {n: read_bandwidth(n) for n in sorted({1, threads})}
    for n, value in bandwidth.items():
        print(f"  measured read bandwidth, {n} thread(s): {value / 1e9:.1f} GB/s")
    print("  (gathers ns: only the random reads of V[next state], one per backup, vectorised)")
    row("model", "bytes/backup", "bound ns", "gathers ns", "measured ns", "measured/bound")
    for name, mdp in models.items():
        if mdp.n_states < 10**5:
            continue
        bound = bytes_per_backup(mdp) / bandwidth[threads] * 1e9
        gathers = gather_seconds(mdp) / backups(mdp) * 1e9
        measured = sweep_seconds(mdp, parallel=True) / backups(mdp) * 1e9
        row(
            name,
            f"{bytes_per_backup(mdp):.1f}",
            f"{bound:.2f}",
            f"{gathers:.2f}",
            f"{measured:.2f}",
            f"{measured / bound:.1f}x",
        )

    print('\nTargets of the "scale" issue (ratio = peer / ours; goal in brackets)')
    row("target", "ours", "peer", "ratio", "goal")
    vi = median_time(lambda: rlf.value_iteration(taxi, 0.99, epsilon=TAXI_EPSILON))
    row(
        "Taxi value it. (eps 1e-10 QE)",
        f"{vi * 1e6:.1f} us",
        f"{PEER_TAXI_VALUE_ITERATION * 1e6:.0f} us",
        f"{PEER_TAXI_VALUE_ITERATION / vi:.1f}x",
        "(>= 10x)",
    )
    pi = median_time(lambda: rlf.policy_iteration(taxi, 0.99))
    row(
        "Taxi policy iteration",
        f"{pi * 1e3:.3f} ms",
        f"{PEER_TAXI_POLICY_ITERATION * 1e3:.0f} ms",
        f"{PEER_TAXI_POLICY_ITERATION / pi:.0f}x",
        "(>= 30x)",
    )
    if "random 1e6" in models:
        big = models["random 1e6"]
        sweep = sweep_seconds(big, parallel=True) / backups(big) * 1e9
        row(
            f"sweep 1e6, {threads} threads",
            f"{sweep:.2f} ns",
            f"{PEER_SWEEP_NS_1E6:.1f} ns",
            f"{PEER_SWEEP_NS_1E6 / sweep:.1f}x",
            "(>= 6x)",
        )
    taxi_env = rlf.make("Taxi-v3")
    extract = median_time(lambda: rlf.from_env(taxi_env))
    row("from_env(Taxi env)", f"{extract * 1e3:.2f} ms", "-", "-", "(~1 ms)")

    threads_table(sizes)
    gauss_seidel_table(sizes[:3])

    startup(args.quick, repeats=3 if args.quick else 5)
    if not args.quick:
        with tempfile.TemporaryDirectory() as cache:
            cold = fresh_process_seconds(COMPILE_ALL, cache_dir=cache)
        print(f"  cold compile of every planning kernel (empty cache): {cold:.1f} s wall")


if __name__ == "__main__":
    main()
