"""Peers: rlfoundations against other tabular MDP libraries, measured in one run.

Run: ``make bench-peers`` (installs the ``bench`` extra and bettermdptools, then runs this), or
``python benchmarks/bench_peers.py [--quick] [--no-busy] [--plot PATH]``. ``--quick`` is a
smoke run (small models, few repeats, short learning budgets). The 10^6-state table takes over
an hour under all four conditions; it can be run on its own, e.g. ``--sizes 1000000 --envs
--exact-only --no-busy`` (``--threads``, ``--long-repeats`` narrow it further); progress goes
to stderr. Every figure printed is
measured in this run; no verdict compares with a figure written down elsewhere. The machine
may be shared: the load average is printed at the start and the end, and the "busy" columns
show what one other job does to every library alike.

Methodology
-----------
Same model. Every peer's input is built from our ``TabularMDP`` (extracted once from
Gymnasium's ``P`` table), except bettermdptools' Planner, which reads Gymnasium's ``P`` itself
(random models get an equivalent ``P`` dict). Terminating outcomes lead to one extra absorbing,
zero-reward state in the dense and sparse forms, so that the peers solve the same episodic
problem (``TabularMDP.to_dense`` folds termination away, which changes Taxi's values); the
absorbing state is dropped before comparing. Building a peer's input is timed apart from
solving it.

Every method of every peer. QuantEcon's ``DiscreteDP.solve`` with value iteration, policy
iteration and modified policy iteration (its default ``k=20``), each on the product form and
on the sparse state-action form; pymdptoolbox's ValueIteration, PolicyIteration and
PolicyIterationModified; bettermdptools' value iteration (loop and vectorized) and policy
iteration; a NumPy value iteration on our padded arrays. Ours: ``value_iteration``,
``modified_policy_iteration`` and ``policy_iteration``, each called with its defaults. Each
of ours is compared with the fastest peer row of *any* method that reached the same accuracy.
Our ``value_iteration(..., gauss_seidel=True)`` has a row of its own, compared the same way
but not a default and not in the verdicts.

Same accuracy. Discount 0.99. The target is our value iteration's default ``epsilon``
(``TARGET``, read from its signature): its values within that of V*. Each peer gets the
tolerance parameter that guarantees the same bound under its own stopping rule
(``TOLERANCES``), and every answer's ``max|V - V*|`` is measured against a solve 1000x
tighter; a row counts for the comparison only if it met its own stopping rule (no max_iter
stop, no convergence warning) and its measured error is within the target. Iteration limits:
10 000 sweeps for value iteration and MPI, 1 000 improvement steps for policy iteration.

Same threads, same run, interleaved. Each model's table is timed under every condition:
1 and 2 threads (``--threads`` picks them) for every library alike (``numba.set_num_threads``
and threadpoolctl's limit on the BLAS and OpenMP pools, which QuantEcon's and pymdptoolbox's
dense products use), idle, and "busy": while one other process spins a tight loop on a core.
Within a condition the solvers of a model take turns (ours, peer, peer, ..., ours, peer, ...),
so a change of load hits all of them alike. Every time is a median over repeats with its
min-max spread around it (7 repeats; 3 for calls over a second, ``--long-repeats``;
``--quick``: 3, and 1 for calls over 0.1 s); calls under 50 ms (10 ms with ``--quick``) are
looped so that a sample lasts about that long. A row that missed the accuracy or its own
stopping rule is in no comparison and is timed once, under the first condition only (idle,
1 thread by default), and so is one whose first call took over ``OUT_OF_RACE`` (5) times the
fastest peer's and over a second: it cannot be the fastest peer, and no noise closes that
gap. Ratios are ratios of medians, with the range the samples' min and max allow.

Warm, call included. Imports done and every kernel compiled (a warm-up pass solves a small
model with every solver first, and each solver's first call on each model, which also gives
its answer, is not timed). A timed call is the public call a user makes, constructor included
(pymdptoolbox and QuantEcon validate their input there), on prebuilt inputs.

Agreement. ``max|V-V*|`` as above; the policy column says whether the greedy policy is the
tight solve's, or else whether it has the same exact value (tied actions) by
``rlf.policy_evaluation``.

Pitfalls shown, not hidden. QuantEcon's policy iteration on the sparse state-action form can
cycle between tied policies (its sparse solves break exact ties in the last bits): the row says
so when it stops at max_iter, with the period found by replaying its loop through its public
methods. A value vector for a timed sweep is always filled with real values: an untouched
``np.zeros`` maps a shared zero page and makes a sweep look several times faster than it is.

Scaling. Bellman optimality sweeps against the number of states (random models, 4 actions,
3 outcomes), on 1 and on 2 threads for every library: ours through ``value_iteration`` capped
at ``SCALING_SWEEPS`` sweeps (its own serial/parallel choice included), QuantEcon's
``bellman_operator`` (its fastest operator: sparse state-action form) and a NumPy sweep over
our padded arrays, as many calls; in ns per (state, action, outcome) backup, beside the bound
that the measured read bandwidth sets. Saved as a log-log plot (``--plot``).

Learning. Q-learning on Taxi with the same hyperparameters everywhere (``LEARNING``): steps per
second (1 thread) and steps until the greedy policy is optimal, i.e. its exact value equals the
optimum on every one of the 300 start states, checked every ``CHECK_EVERY`` steps with
``rlf.policy_evaluation``; a run that has not got there within its budget says so. Every
learner against a minimal hand-written loop of itself: ``bench_yardsticks.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import importlib.util
import inspect
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # bettermdptools' RL draws a progress bar otherwise

import gymnasium
import numba
import numpy as np
import scipy.sparse
from _common import (
    Timing,
    backups,
    busy_core,
    bytes_per_backup,
    gymnasium_loop,
    load_average,
    loops_for,
    median_time,
    random_mdp,
    read_bandwidth,
    round_robin,
    threads,
)

import rlfoundations as rlf

GAMMA = 0.99
VI_MAX_ITER = 10_000
PI_MAX_ITER = 1_000
#: QuantEcon's modified policy iteration: its default k, which its users leave as it is.
QUANTECON_MPI_K = 20
#: A peer whose first call is this many times slower than the fastest peer's is timed once.
OUT_OF_RACE = 5
#: Dense inputs larger than this are not built ("n/a: dense P would need ... GB").
DENSE_LIMIT_BYTES = 2 << 30
#: Each step of these policy iterations is a linear solve in S unknowns: sparse LU of a random
#: graph fills in (QuantEcon), or a dense O(S^3) solve of a dense S x S matrix (pymdptoolbox).
SPARSE_LU_MAX_STATES = 10_000
DENSE_SOLVE_MAX_STATES = 2_000
#: pymdptoolbox's ValueIteration bounds its iterations in its constructor by scanning every
#: column of every transition matrix: O(S^2 A) work.
MDPTOOLBOX_VI_MAX_STATES = 10_000
#: pymdptoolbox's PolicyIterationModified evaluates each policy by iterating to epsilon (up to
#: max_iter sweeps) in Python-level sparse products: minutes per call from a few thousand states.
MDPTOOLBOX_MPI_MAX_STATES = 3_000
CHECK_EVERY = 10_000
LEARNING = {"gamma": GAMMA, "alpha": 0.1, "epsilon": 0.1, "initial Q": 0.0}

#: The accuracy every solver is held to: our value iteration's default ``epsilon`` (its values
#: within it of V* on models whose episodes can end, its greedy policy epsilon-optimal). Ours
#: all run with their defaults; each peer gets the tolerance parameter that guarantees the
#: same bound, and its measured error is checked against it.
TARGET = inspect.signature(rlf.value_iteration).parameters["epsilon"].default

#: Per library: (its stopping rule, the tolerance parameter that bounds max|V - V*| by TARGET).
TOLERANCES = {
    "QuantEcon VI": (
        "epsilon: stops when max|Tv - v| < eps(1-b)/(2b), returns Tv: |Tv - v*| < eps/2",
        2 * TARGET,
    ),
    "QuantEcon MPI": (
        "epsilon: stops when span(Tv - v) < eps(1-b)/b, returns the midrange-shifted Tv: eps/2",
        2 * TARGET,
    ),
    "pymdptoolbox VI, MPI": (
        "epsilon: stops when span(V'-V) < eps(1-g)/g; the absorbing state makes span >= sup",
        TARGET,
    ),
    "bettermdptools VI, PI": (
        "theta: stops (its evaluation too) when max|V'-V| < theta, so |V'-V*| < theta g/(1-g)",
        TARGET * (1 - GAMMA) / GAMMA,
    ),
    "policy iteration (QuantEcon, pymdptoolbox)": ("exact evaluation: a linear solve", None),
}


@dataclass(frozen=True)
class Settings:
    """What a run measures: the full run, or the ``--quick`` smoke run."""

    repeats: int
    #: Calls that take longer than this are repeated ``long_repeats`` times instead.
    long_call_seconds: float
    long_repeats: int
    #: Calls shorter than this are looped so that one sample lasts about this long.
    sample_seconds: float
    env_ids: tuple[str, ...]
    random_sizes: tuple[int, ...]
    scaling_sizes: tuple[int, ...]
    #: Pure-Python Bellman loops (bettermdptools' Planner) are skipped above this many backups.
    python_loop_max_backups: int
    #: The NumPy baseline solves models up to this size (its sweep is in the scaling table).
    numpy_max_states: int
    seeds: tuple[int, ...]
    kernel_steps: int
    gym_rate_steps: int
    ours_budget: int
    python_budget: int
    episodes: int


FULL = Settings(
    repeats=7,
    long_call_seconds=1.0,
    long_repeats=3,
    sample_seconds=0.05,
    env_ids=("Taxi-v3", "FrozenLake8x8-v1", "rlfoundations/Rick-v0"),
    random_sizes=(10**4, 10**5, 10**6),
    scaling_sizes=(10**3, 3 * 10**3, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6),
    python_loop_max_backups=50_000,
    numpy_max_states=10**5,
    seeds=(0, 1, 2),
    kernel_steps=20_000_000,
    gym_rate_steps=200_000,
    ours_budget=5_000_000,
    python_budget=1_000_000,
    episodes=20_000,
)
QUICK = Settings(
    repeats=3,
    long_call_seconds=0.1,
    long_repeats=1,
    sample_seconds=0.01,
    env_ids=("Taxi-v3",),
    random_sizes=(300,),
    scaling_sizes=(10**3, 10**4),
    python_loop_max_backups=3_000,
    numpy_max_states=10**5,
    seeds=(0,),
    kernel_steps=1_000_000,
    gym_rate_steps=10_000,
    ours_budget=300_000,
    python_budget=30_000,
    episodes=300,
)


class NotApplicable(Exception):
    """A solver that cannot run a case; the message is printed in its row."""


# -- peers ---------------------------------------------------------------------------------------
def version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def import_peers() -> dict[str, object]:
    """The peer modules that import, by name; a string with the reason for those that do not."""
    peers: dict[str, object] = {}
    try:
        import quantecon

        peers["quantecon"] = quantecon
    except ImportError as error:
        peers["quantecon"] = f"n/a: {error} (pip install -e '.[bench]')"
    try:
        import mdptoolbox.mdp

        peers["pymdptoolbox"] = mdptoolbox.mdp
    except ImportError as error:
        peers["pymdptoolbox"] = f"n/a: {error} (pip install -e '.[bench]')"
    try:
        from bettermdptools.algorithms.planner import Planner
        from bettermdptools.algorithms.rl import RL

        peers["bettermdptools"] = (Planner, RL)
    except ImportError as error:
        peers["bettermdptools"] = (
            f"n/a: {error} (its 0.9.0 pins numpy<2 and gymnasium<1.4; `make bench-peers` "
            f"installs it with pip --no-deps)"
        )
    try:
        import mushroom_rl  # noqa: F401

        peers["mushroom-rl"] = (
            "n/a: installed, but not wired in: no release supports Gymnasium 1.x envs"
        )
    except ImportError:
        peers["mushroom-rl"] = (
            "n/a: not in the bench extra: mushroom-rl 1.10.2 pins numpy==1.24.4 and "
            "torch==2.5.1; 1.9.2 installs beside numpy 2 but pulls torch with CUDA (~6 GB) "
            "and wraps only the old gym API"
        )
    return peers


# -- models and the peers' forms of them --------------------------------------------------------
@dataclass
class Case:
    """A model to solve, with the forms the peers read (built once, lazily, and timed)."""

    name: str
    mdp: rlf.TabularMDP
    table: dict | None = None
    build_seconds: dict[str, float] = field(default_factory=dict)
    _forms: dict[str, object] = field(default_factory=dict)

    def form(self, name: str, build: Callable[[rlf.TabularMDP], object]):
        if name not in self._forms:
            start = time.perf_counter()
            self._forms[name] = build(self.mdp)
            self.build_seconds[name] = time.perf_counter() - start
        return self._forms[name]


def absorbing_outcomes(mdp: rlf.TabularMDP):
    """Next states with terminating outcomes sent to an extra absorbing state ``S``."""
    return np.where(mdp.terminated, mdp.n_states, mdp.next_state)


def check_dense(mdp: rlf.TabularMDP) -> None:
    size = (mdp.n_states + 1) ** 2 * mdp.n_actions * 8
    if size > DENSE_LIMIT_BYTES:
        raise NotApplicable(f"n/a: dense P would need {size / 1e9:,.1f} GB")


def dense_form(mdp: rlf.TabularMDP):
    """P (S+1, A, S+1) and R (S+1, A), the product form of QuantEcon."""
    check_dense(mdp)
    n = mdp.n_states + 1
    P = np.zeros((n, mdp.n_actions, n))
    R = np.zeros((n, mdp.n_actions))
    states = np.arange(mdp.n_states)[:, None]
    actions = np.arange(mdp.n_actions)[None, :]
    targets = absorbing_outcomes(mdp)
    for k in range(mdp.max_outcomes):
        np.add.at(P, (states, actions, targets[:, :, k]), mdp.prob[:, :, k])
    P[-1, :, -1] = 1.0
    R[:-1] = mdp.expected_reward
    return P, R


def state_action_form(mdp: rlf.TabularMDP):
    """R (L,), Q (L, S+1) CSR, s_indices, a_indices: QuantEcon's sparse state-action form."""
    n_states, n_actions, n_outcomes = mdp.next_state.shape
    pairs = (n_states + 1) * n_actions
    rows = np.repeat(np.arange(n_states * n_actions), n_outcomes)
    absorbing_rows = np.arange(n_states * n_actions, pairs)
    Q = scipy.sparse.csr_matrix(
        (
            np.concatenate([mdp.prob.reshape(-1), np.ones(n_actions)]),
            (
                np.concatenate([rows, absorbing_rows]),
                np.concatenate([absorbing_outcomes(mdp).reshape(-1), np.full(n_actions, n_states)]),
            ),
        ),
        shape=(pairs, n_states + 1),
    )
    R = np.concatenate([mdp.expected_reward.reshape(-1), np.zeros(n_actions)])
    s_indices = np.repeat(np.arange(n_states + 1), n_actions)
    a_indices = np.tile(np.arange(n_actions), n_states + 1)
    return R, Q, s_indices, a_indices


def mdptoolbox_dense_form(mdp: rlf.TabularMDP):
    """P (A, S+1, S+1) and R (S+1, A), as pymdptoolbox reads them."""
    P, R = dense_form(mdp)
    return np.ascontiguousarray(P.transpose(1, 0, 2)), R


def mdptoolbox_sparse_form(mdp: rlf.TabularMDP):
    """A tuple of A sparse (S+1, S+1) CSR matrices and R (S+1, A)."""
    R, Q, _, _ = state_action_form(mdp)
    n_actions = mdp.n_actions
    return (
        tuple(Q[a::n_actions].tocsr() for a in range(n_actions)),
        R.reshape(-1, n_actions),
    )


def gymnasium_table(mdp: rlf.TabularMDP) -> dict:
    """Gymnasium's ``P[s][a] = [(prob, next_state, reward, terminated), ...]`` of a model."""
    next_state, prob = mdp.next_state.tolist(), mdp.prob.tolist()
    reward, terminated = mdp.reward.tolist(), mdp.terminated.tolist()
    return {
        s: {
            a: [
                (prob[s][a][k], next_state[s][a][k], reward[s][a][k], terminated[s][a][k])
                for k in range(mdp.max_outcomes)
                if prob[s][a][k] > 0
            ]
            for a in range(mdp.n_actions)
        }
        for s in range(mdp.n_states)
    }


def env_case(env_id: str) -> Case:
    env = rlf.make(env_id)
    mdp = rlf.from_env(env)
    return Case(name=env_id, mdp=mdp, table=env.unwrapped.P)


# -- solvers -------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """A solver's answer, on the model's own states."""

    values: np.ndarray
    policy: np.ndarray
    iterations: int
    note: str = ""


@dataclass
class Solver:
    """``prepare(case)`` builds the inputs (untimed) and returns the timed call and a reader."""

    library: str
    method: str
    prepare: Callable[[Case], tuple[Callable[[], object], Callable[[object], Outcome]]]
    peer: bool = True


def numpy_value_iteration(successor, continue_prob, expected_reward, gamma, threshold):
    """Jacobi value iteration in NumPy on our padded arrays, with our span rule (anchored)."""
    values = np.zeros(expected_reward.shape[0])
    iterations = 0
    while iterations < VI_MAX_ITER:
        iterations += 1
        q_values = expected_reward + gamma * np.einsum(
            "sak,sak->sa", continue_prob, values[successor]
        )
        new_values = q_values.max(axis=1)
        change = new_values - values
        values = new_values
        if max(change.max(), 0.0) - min(change.min(), 0.0) < threshold:
            break
    return values, q_values.argmax(axis=1), iterations


#: Label of our value iteration with ``gauss_seidel=True``: a row of its own, not a default.
OURS_GAUSS_SEIDEL = "ours, gauss_seidel=True"


def ours(method: str, **options) -> Solver:
    """Our solver of ``method``, called with its defaults (epsilon, evaluation, n_evaluations)
    and ``options`` (a row labelled with them)."""
    solve = {
        "VI": rlf.value_iteration,
        "PI": rlf.policy_iteration,
        "MPI": rlf.modified_policy_iteration,
    }[method]

    def prepare(case: Case):
        mdp = case.mdp
        # The kernel form is derived once per model and cached: model building, not solving.
        mdp.successor, mdp.continue_prob, mdp.expected_reward, mdp.can_terminate  # noqa: B018
        call = lambda: solve(mdp, GAMMA, **options)  # noqa: E731
        return call, lambda r: Outcome(r.values, r.policy, r.iterations)

    label = "rlfoundations (ours)" if not options else OURS_GAUSS_SEIDEL
    return Solver(label, method, prepare, peer=False)


def numpy_padded(settings: Settings) -> Solver:
    def prepare(case: Case):
        mdp = case.mdp
        if mdp.n_states > settings.numpy_max_states:
            raise NotApplicable(
                f"n/a: baseline skipped above {settings.numpy_max_states:,} states "
                f"(its sweep is in the scaling table)"
            )
        if not mdp.can_terminate:
            raise NotApplicable("n/a: the span rule below assumes a terminating model")
        arrays = (mdp.successor, mdp.continue_prob, mdp.expected_reward)
        threshold = TARGET * (1 - GAMMA) / GAMMA
        call = lambda: numpy_value_iteration(*arrays, GAMMA, threshold)  # noqa: E731
        return call, lambda r: Outcome(r[0], r[1], r[2])

    return Solver("NumPy, our padded arrays", "VI", prepare)


def quantecon(module, form: str, method: str) -> Solver:
    def prepare(case: Case):
        S = case.mdp.n_states
        if form == "product":
            P, R = case.form("dense", dense_form)
            args = (R, P, GAMMA)
        else:
            if method == "PI" and S > SPARSE_LU_MAX_STATES:
                raise NotApplicable(
                    f"n/a: a sparse LU per step, which fills in on random graphs "
                    f"(> {SPARSE_LU_MAX_STATES:,} states)"
                )
            R, Q, s_indices, a_indices = case.form("state-action", state_action_form)
            args = (R, Q, GAMMA, s_indices, a_indices)
        if form == "product" and method == "PI" and S > DENSE_SOLVE_MAX_STATES:
            raise NotApplicable(
                f"n/a: a dense O(S^3) solve per step (> {DENSE_SOLVE_MAX_STATES:,} states)"
            )

        def call():
            ddp = module.markov.DiscreteDP(*args)
            if method == "VI":
                return ddp.solve("value_iteration", epsilon=2 * TARGET, max_iter=VI_MAX_ITER)
            if method == "MPI":
                return ddp.solve(
                    "modified_policy_iteration",
                    epsilon=2 * TARGET,
                    max_iter=VI_MAX_ITER,
                    k=QUANTECON_MPI_K,
                )
            return ddp.solve("policy_iteration", max_iter=PI_MAX_ITER)

        def read(result):
            note = ""
            if result.num_iter >= result.max_iter:
                note = f"stopped at max_iter={result.max_iter}"
                if method == "PI":
                    note += quantecon_cycle(module.markov.DiscreteDP(*args), result.max_iter)
            return Outcome(result.v[:S], result.sigma[:S], result.num_iter, note)

        return call, read

    label = "QuantEcon, sparse SA" if form == "state-action" else "QuantEcon, product"
    return Solver(label, method, prepare)


def quantecon_cycle(ddp, max_iter: int) -> str:
    """Replay QuantEcon's policy iteration through its public methods; describe any cycle."""
    sigma = ddp.compute_greedy(ddp.s_wise_max(ddp.R))
    seen = {sigma.tobytes(): (0, sigma.copy())}
    for iteration in range(1, max_iter + 1):
        new_sigma = ddp.compute_greedy(ddp.evaluate_policy(sigma))
        if np.array_equal(new_sigma, sigma):
            return ""
        key = new_sigma.tobytes()
        if key in seen:
            first, policy = seen[key]
            return (
                f"; cycles: the policy of step {first} recurs at step {iteration} "
                f"(period {iteration - first}, {int((policy != sigma).sum())} tied states flip)"
            )
        seen[key] = (iteration, new_sigma.copy())
        sigma = new_sigma
    return ""


def pymdptoolbox(module, method: str) -> Solver:
    def prepare(case: Case):
        S = case.mdp.n_states
        if method == "MPI" and S > MDPTOOLBOX_MPI_MAX_STATES:
            raise NotApplicable(
                f"n/a: evaluates every policy iteratively to epsilon in Python-level sparse "
                f"products (> {MDPTOOLBOX_MPI_MAX_STATES:,} states)"
            )
        if method == "PI":
            if S > DENSE_SOLVE_MAX_STATES:
                raise NotApplicable(
                    f"n/a: builds a dense S x S P_policy and solves it densely (> "
                    f"{DENSE_SOLVE_MAX_STATES:,} states)"
                )
            P, R = case.form("mdptoolbox dense", mdptoolbox_dense_form)
        elif (S + 1) ** 2 * case.mdp.n_actions * 8 <= DENSE_LIMIT_BYTES // 8:
            P, R = case.form("mdptoolbox dense", mdptoolbox_dense_form)
        elif S > MDPTOOLBOX_VI_MAX_STATES:
            raise NotApplicable(
                f"n/a: its constructor's iteration bound scans every column, O(S^2 A) "
                f"(> {MDPTOOLBOX_VI_MAX_STATES:,} states)"
            )
        else:
            P, R = case.form("mdptoolbox sparse", mdptoolbox_sparse_form)

        def call():
            if method == "VI":
                solver = module.ValueIteration(P, R, GAMMA, epsilon=TARGET, max_iter=VI_MAX_ITER)
            elif method == "MPI":
                # max_iter bounds both its improvement steps and each partial evaluation.
                solver = module.PolicyIterationModified(
                    P, R, GAMMA, epsilon=TARGET, max_iter=VI_MAX_ITER
                )
            else:
                solver = module.PolicyIteration(P, R, GAMMA, max_iter=PI_MAX_ITER)
            solver.run()
            return solver

        def read(solver):
            note = (
                f"stopped at max_iter={solver.max_iter}" if solver.iter >= solver.max_iter else ""
            )
            return Outcome(np.array(solver.V)[:S], np.array(solver.policy)[:S], solver.iter, note)

        return call, read

    return Solver("pymdptoolbox", method, prepare)


def bettermdptools(planner_class, variant: str, settings: Settings) -> Solver:
    method = "PI" if variant == "policy_iteration" else "VI"

    def prepare(case: Case):
        mdp = case.mdp
        if (
            variant != "value_iteration_vectorized"
            and backups(mdp) > settings.python_loop_max_backups
        ):
            raise NotApplicable(
                f"n/a: pure-Python loops over P "
                f"(> {settings.python_loop_max_backups:,} backups a sweep)"
            )
        track = VI_MAX_ITER * mdp.n_states * 8
        if variant == "value_iteration_vectorized" and track > DENSE_LIMIT_BYTES:
            raise NotApplicable(f"n/a: keeps every sweep's values (V_track): {track / 1e9:.0f} GB")
        table = case.table if case.table is not None else case.form("P dict", gymnasium_table)
        planner = planner_class(table)

        def call():
            if method == "PI":
                np.random.seed(0)  # noqa: NPY002 - its initial policy comes from NumPy's global RNG
                return planner.policy_iteration(
                    gamma=GAMMA,
                    n_iters=PI_MAX_ITER,
                    theta=TARGET * (1 - GAMMA) / GAMMA,
                    dtype=np.float64,
                    eval_n_iters=VI_MAX_ITER,
                )
            return getattr(planner, variant)(
                gamma=GAMMA,
                n_iters=VI_MAX_ITER,
                theta=TARGET * (1 - GAMMA) / GAMMA,
                dtype=np.float64,
            )

        def read(result):
            values, track, policy = result
            sweeps = int(np.flatnonzero(np.abs(track).sum(axis=1))[-1])  # rows it filled
            policy = np.array([policy[s] for s in range(mdp.n_states)])
            return Outcome(values[: mdp.n_states], policy, sweeps)

        return call, read

    label = {
        "value_iteration": "bettermdptools",
        "value_iteration_vectorized": "bettermdptools, vectorized",
        "policy_iteration": "bettermdptools",
    }[variant]
    return Solver(label, method, prepare)


def solvers(peers: dict[str, object], settings: Settings) -> list[Solver]:
    """Every solver of every library: value iteration, then modified policy iteration, then
    policy iteration, each method led by ours."""
    has = {name: not isinstance(module, str) for name, module in peers.items()}
    listed = [ours("VI"), ours("VI", gauss_seidel=True), numpy_padded(settings)]
    if has["quantecon"]:
        listed += [quantecon(peers["quantecon"], form, "VI") for form in QUANTECON_FORMS]
    if has["pymdptoolbox"]:
        listed.append(pymdptoolbox(peers["pymdptoolbox"], "VI"))
    if has["bettermdptools"]:
        planner = peers["bettermdptools"][0]
        listed += [bettermdptools(planner, variant, settings) for variant in BETTERMDPTOOLS_VI]
    listed.append(ours("MPI"))
    if has["quantecon"]:
        listed += [quantecon(peers["quantecon"], form, "MPI") for form in QUANTECON_FORMS]
    if has["pymdptoolbox"]:
        listed.append(pymdptoolbox(peers["pymdptoolbox"], "MPI"))
    listed.append(ours("PI"))
    if has["quantecon"]:
        listed += [quantecon(peers["quantecon"], form, "PI") for form in QUANTECON_FORMS]
    if has["pymdptoolbox"]:
        listed.append(pymdptoolbox(peers["pymdptoolbox"], "PI"))
    if has["bettermdptools"]:
        listed.append(bettermdptools(peers["bettermdptools"][0], "policy_iteration", settings))
    return listed


QUANTECON_FORMS = ("state-action", "product")
BETTERMDPTOOLS_VI = ("value_iteration", "value_iteration_vectorized")


# -- measuring -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """Threads every library may use (Numba and BLAS alike), and whether one other process
    spins on a core meanwhile."""

    threads: int
    busy: bool

    @property
    def label(self) -> str:
        return f"{'busy' if self.busy else 'idle'} {self.threads} thr"


@dataclass
class Row:
    """One solver on one case: its answer and times per condition, or why it did not run."""

    solver: Solver
    outcome: Outcome | None = None
    first_seconds: float = 0.0
    error: float = float("nan")
    missing: str = ""
    warned: list[str] = field(default_factory=list)
    timings: dict[Condition, Timing] = field(default_factory=dict)
    call: Callable[[], object] | None = None
    timed_once: str = ""

    @property
    def name(self) -> str:
        return f"{self.solver.library}/{self.solver.method}"

    @property
    def converged(self) -> bool:
        return self.outcome is not None and not (
            "max_iter" in self.outcome.note or any("iteration" in w.lower() for w in self.warned)
        )


def answer(solver: Solver, case: Case) -> Row:
    """Build the solver's input (untimed), call it once (compiles and warms it, and gives
    its answer). A peer that fails gives a row that says why instead of stopping the run."""
    try:
        call, read = solver.prepare(case)
    except NotApplicable as reason:
        return Row(solver, missing=str(reason))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            raw = call()
            seconds = time.perf_counter() - start
            outcome = read(raw)
        except Exception as error:
            return Row(solver, missing=f"n/a: {type(error).__name__}: {error}"[:90])
    # Only warnings about stopping matter here (not, e.g., SciPy's sparse-efficiency notes).
    warned = sorted(
        {
            str(w.message).splitlines()[0][:60]
            for w in caught
            if any(word in str(w.message).lower() for word in ("iter", "converg"))
        }
    )
    return Row(solver, outcome, seconds, warned=warned, call=call)


def time_rows(rows: list[Row], conditions: list[Condition], settings: Settings) -> None:
    """Every runnable row timed under every condition, the rows interleaved (ours, peer,
    ours, peer, ...): ``repeats`` samples each (``long_repeats`` for calls over
    ``long_call_seconds``), short calls looped.

    Two kinds of peer row keep the single time of their first call (idle, first condition's
    threads) instead: one that missed the target accuracy or its own stopping rule (it is in
    no comparison), and one whose first call took over ``OUT_OF_RACE`` times the fastest
    at-target peer's and over ``long_call_seconds`` (no noise closes such a gap, and
    repeating a 100 s call under four conditions would take most of the run)."""
    peers_at_target = [row for row in rows if row.solver.peer and at_target(row)]
    fastest = min((row.first_seconds for row in peers_at_target), default=float("inf"))
    plans = {condition: {} for condition in conditions}
    for row in rows:
        if row.call is None:
            continue
        out_of_race = row.solver.peer and row.first_seconds > max(
            OUT_OF_RACE * fastest, settings.long_call_seconds
        )
        if row.solver.peer and (out_of_race or not at_target(row)):
            row.timings[conditions[0]] = Timing((row.first_seconds,))
            row.timed_once = f"timed once ({conditions[0].label}): " + (
                f"over {OUT_OF_RACE}x the fastest peer" if out_of_race else "off target"
            )
            continue
        long = row.first_seconds >= settings.long_call_seconds
        entry = (
            row.call,
            loops_for(row.first_seconds, settings.sample_seconds),
            settings.long_repeats if long else settings.repeats,
        )
        for condition in conditions:
            plans[condition][row.name] = entry
    by_name = {row.name: row for row in rows}
    for condition, plan in plans.items():
        progress(f"timing {len(plan)} rows, {condition.label}")
        spinning = busy_core() if condition.busy else contextlib.nullcontext()
        with spinning, threads(condition.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, timing in round_robin(plan).items():
                by_name[name].timings[condition] = timing


def policy_agreement(case: Case, outcome: Outcome, reference: Outcome, cache: dict) -> str:
    """'same' if the policy is ours, else whether its exact value equals ours (tied actions)."""
    if np.array_equal(outcome.policy, reference.policy):
        return "same"
    if "reference" not in cache:
        cache["reference"] = rlf.policy_evaluation(case.mdp, reference.policy, GAMMA).values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = rlf.policy_evaluation(case.mdp, outcome.policy, GAMMA).values
    gap = float(np.abs(values - cache["reference"]).max())
    differing = int((outcome.policy != reference.policy).sum())
    if gap < 1e-8 * (1.0 + float(np.abs(cache["reference"]).max())):
        return f"same value ({differing} tied)"
    return f"worse by {gap:.1e}"


def milliseconds(seconds: float) -> str:
    ms = seconds * 1e3
    if ms < 1:
        return f"{ms:.3f}"
    if ms < 100:
        return f"{ms:.2f}"
    return f"{ms:,.0f}"


def line(widths: list[int], *cells: object) -> None:
    out = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=False)):
        text = str(cell)
        out.append(text.ljust(width) if i in (0, 1) or i >= 7 else text.rjust(width))
    print(" ".join(out).rstrip())


def timing_cell(timing: Timing | None) -> str:
    """'12.3 (-2/+5%)': the median in ms and the min-max spread around it."""
    if timing is None:
        return "-"
    if len(timing.samples) == 1:
        return f"{milliseconds(timing.median)} (1 run)"
    return f"{milliseconds(timing.median)} ({timing.relative_spread()})"


def reference_outcome(case: Case) -> Outcome:
    """V* to within TARGET / 1000 (our value iteration, tight; untimed)."""
    result = rlf.value_iteration(case.mdp, GAMMA, epsilon=TARGET / 1000, max_iter=100_000)
    return Outcome(result.values, result.policy, result.iterations)


def at_target(row: Row) -> bool:
    """Met its own stopping rule, and its values are within TARGET of V* (up to the
    reference's own error)."""
    return row.converged and row.error <= TARGET * 1.001


def solve_case(
    case: Case, listed: list[Solver], settings: Settings, conditions: list[Condition]
) -> dict[str, Row]:
    """Solve one case with every solver, time them, print its table; rows by 'library/method'."""
    mdp = case.mdp
    print(
        f"\n{case.name}: {mdp.n_states:,} states, {mdp.n_actions} actions, "
        f"{mdp.max_outcomes} outcome(s) max"
    )
    progress(f"{case.name}: the reference solve")
    reference = reference_outcome(case)
    rows = []
    with threads(conditions[0].threads):  # the first call's time is a first-condition time
        for solver in listed:
            progress(f"{case.name}: first call of {solver.library}/{solver.method}")
            rows.append(answer(solver, case))
    cache: dict = {}
    for row in rows:
        if row.outcome is not None:
            row.error = float(np.abs(row.outcome.values - reference.values).max())
    time_rows(rows, conditions, settings)
    widths = [27, 4, 6, 9, 16] + [19] * len(conditions)
    header = ["solver", "", "iters", "max|V-V*|", "policy"] + [f"ms {c.label}" for c in conditions]
    print(format_row(widths, header) + " note")
    for row in rows:
        solver = row.solver
        if row.outcome is None:
            cells = [solver.library, solver.method, "-", "-", "-"] + ["-"] * len(conditions)
            print(format_row(widths, cells) + " " + row.missing)
            continue
        notes = [row.outcome.note, *row.warned]
        if not at_target(row) and row.converged:
            notes.append(f"error above {TARGET:g}")
        notes.append(row.timed_once)
        cells = [
            solver.library,
            solver.method,
            row.outcome.iterations if row.outcome.iterations >= 0 else "-",
            f"{row.error:.1e}",
            policy_agreement(case, row.outcome, reference, cache),
        ] + [timing_cell(row.timings.get(c)) for c in conditions]
        print(format_row(widths, cells) + " " + "; ".join(n for n in notes if n))
    if case.build_seconds:
        built = ", ".join(f"{k} {milliseconds(v)} ms" for k, v in case.build_seconds.items())
        print(f"  inputs built from our model (once, not in the times above): {built}")
    return {row.name: row for row in rows}


def format_row(widths: list[int], cells: list[object]) -> str:
    return " ".join(
        str(cell).ljust(width) if i in (0, 1, 4) else str(cell).rjust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def fastest_peer(rows: dict[str, Row], condition: Condition) -> Row | None:
    """The quickest peer row, any method, that met its own stopping rule at the accuracy
    ours is held to, under ``condition``."""
    done = [
        row
        for row in rows.values()
        if row.solver.peer and at_target(row) and condition in row.timings
    ]
    return min(done, key=lambda row: row.timings[condition].median, default=None)


def ratio_text(numerator: Timing, denominator: Timing) -> str:
    """'3.2x (2.9-3.6)': the ratio of medians, and its range from the samples' min and max."""
    ratio = numerator.median / denominator.median
    low = numerator.spread[0] / denominator.spread[1]
    high = numerator.spread[1] / denominator.spread[0]
    return f"{ratio:,.2f}x ({low:,.2f}-{high:,.2f})"


# -- learning ------------------------------------------------------------------------------------
def learning_section(case: Case, peers: dict[str, object], settings: Settings) -> dict[str, float]:
    mdp = case.mdp
    env_id = "Taxi-v4" if "Taxi-v4" in gymnasium.registry else "Taxi-v3"
    optimum = rlf.policy_iteration(mdp, GAMMA).values
    starts = mdp.initial > 0
    seeds = settings.seeds
    alpha, epsilon = LEARNING["alpha"], LEARNING["epsilon"]

    def optimal_values(values: np.ndarray) -> bool:
        return bool(np.abs(values[starts] - optimum[starts]).max() < 1e-6)

    def optimal(policy: np.ndarray) -> bool:
        return optimal_values(rlf.policy_evaluation(mdp, policy, GAMMA).values)

    kernel_steps = settings.kernel_steps
    budget = {"ours": settings.ours_budget, "python": settings.python_budget}
    episodes = settings.episodes
    print(
        f"\nLearning: Q-learning on {env_id}, "
        + ", ".join(f"{k} {v}" for k, v in LEARNING.items())
        + f", epsilon-greedy; optimal = greedy policy's exact value equals the optimum on all "
        f"{int(starts.sum())} start states, checked every {CHECK_EVERY:,} steps; seeds "
        f"{list(seeds)}"
    )
    widths = [34, 14, 10, 26, 0]
    line(widths, "implementation", "steps/s", "x gym", "steps to optimal (median)", "per seed")
    results: dict[str, tuple[float | None, list, str]] = {}

    def learn(n_steps, seed, eval_every=None):
        return rlf.q_learning(
            mdp,
            gamma=GAMMA,
            n_steps=n_steps,
            seed=seed,
            alpha=alpha,
            epsilon=epsilon,
            eval_every=eval_every,
        )

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        learn(1_000, 0)
        rate = kernel_steps / median_time(lambda: learn(kernel_steps, 0), repeats=3)
        reached = []
        for seed in seeds:
            result = learn(budget["ours"], seed, eval_every=CHECK_EVERY)
            hits = [
                s
                for s, v in zip(result.curve_steps, result.curve_values, strict=True)
                if optimal_values(v)
            ]
            reached.append(int(hits[0]) if hits else None)
        results["rlf.q_learning (1 thread)"] = (rate, reached, f"{budget['ours']:,}")
    finally:
        numba.set_num_threads(previous)

    gym_steps = settings.gym_rate_steps
    rate = gym_steps / median_time(
        lambda: gymnasium_loop(env_id, gym_steps), repeats=3, min_seconds=0.0
    )
    reached = []
    for seed in seeds:
        found: list[int] = []

        def check(step, q, found=found):
            if optimal(np.argmax(q, axis=1)):
                found.append(step)
                return True
            return False

        gymnasium_loop(
            env_id,
            budget["python"],
            seed,
            alpha=alpha,
            gamma=GAMMA,
            epsilon=epsilon,
            check_every=CHECK_EVERY,
            on_check=check,
        )
        reached.append(found[0] if found else None)
    results[f"plain Gymnasium loop ({env_id})"] = (rate, reached, f"{budget['python']:,}")

    if isinstance(peers["bettermdptools"], str):
        results["bettermdptools RL.q_learning"] = (None, [], peers["bettermdptools"])
    else:
        results["bettermdptools RL.q_learning"] = bettermdptools_learning(
            peers["bettermdptools"][1], env_id, seeds, episodes, optimal
        )
    results["mushroom-rl QLearning"] = (None, [], peers["mushroom-rl"])

    gym_rate = results[f"plain Gymnasium loop ({env_id})"][0]
    for name, (rate, reached, budget_text) in results.items():
        if rate is None:
            line(widths, name, "-", "-", "-", budget_text)
            continue
        known = [r if r is not None else float("inf") for r in reached]
        median = statistics.median(known)
        text = f"{median:,.0f}" if np.isfinite(median) else f"not within {budget_text}"
        per_seed = ", ".join(f"{r:,}" if r is not None else ">budget" for r in reached)
        line(widths, name, f"{rate:,.0f}", f"{rate / gym_rate:,.1f}", text, per_seed)
    print(
        "  Greedy policies are argmax with the lowest index on ties everywhere; the behaviour\n"
        "  policies break ties at random (ours, bettermdptools: np.isclose maxima) or by lowest\n"
        "  index (the Gymnasium loop). bettermdptools counts episodes: its budget is "
        f"{episodes:,}\n  episodes, its Q table is float32, and its steps/s is over the whole run "
        "(with its\n  per-episode Q_track copy, which is part of the algorithm)."
    )
    return {name: value[0] for name, value in results.items() if value[0] is not None}


def bettermdptools_learning(rl_class, env_id: str, seeds, episodes: int, optimal):
    """Rate and steps to optimal of bettermdptools' RL.q_learning, from its own outputs: the
    greedy policy after every episode (``pi_track``) and steps counted by a callback (its
    documented hook; the algorithm is untouched)."""
    from bettermdptools.utils.callbacks import MyCallbacks

    class StepCounter(MyCallbacks):
        def __init__(self) -> None:
            super().__init__()
            self.steps = 0
            self.episode_ends: list[int] = []

        def on_env_step(self, caller) -> None:
            self.steps += 1

        def on_episode_end(self, caller) -> None:
            self.episode_ends.append(self.steps)

    rates, reached = [], []
    for seed in seeds:
        env = gymnasium.make(env_id)
        agent = rl_class(env)
        agent.callbacks = StepCounter()
        np.random.seed(seed)  # noqa: NPY002 - its exploration uses NumPy's global RNG
        start = time.perf_counter()
        result = agent.q_learning(
            gamma=GAMMA,
            init_alpha=LEARNING["alpha"],
            min_alpha=LEARNING["alpha"],
            init_epsilon=LEARNING["epsilon"],
            min_epsilon=LEARNING["epsilon"],
            n_episodes=episodes,
            seed=seed,
        )
        rates.append(agent.callbacks.steps / (time.perf_counter() - start))
        pi_track, ends = result[4], np.array(agent.callbacks.episode_ends)
        hit = None
        for checkpoint in range(CHECK_EVERY, int(ends[-1]) + 1, CHECK_EVERY):
            episode = int(np.searchsorted(ends, checkpoint))
            if optimal(np.asarray(pi_track[episode])):
                hit = int(ends[episode])
                break
        reached.append(hit)
        del result
        env.close()
    return statistics.median(rates), reached, f"{episodes:,} episodes"


# -- scaling -------------------------------------------------------------------------------------
#: Sweeps per timed call in the scaling table: a value_iteration call capped at this many
#: sweeps, against as many calls of the peer's operator.
SCALING_SWEEPS = 20


def our_sweeps(mdp: rlf.TabularMDP) -> Callable[[], object]:
    """``SCALING_SWEEPS`` sweeps of our value iteration through its public call (max_iter;
    the model's kernel arrays are built once, before), its not-converged warning silenced."""
    mdp.successor, mdp.continue_prob, mdp.expected_reward  # noqa: B018

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rlf.value_iteration(mdp, GAMMA, epsilon=1e-300, max_iter=SCALING_SWEEPS)

    return call


def numpy_sweeps(mdp: rlf.TabularMDP) -> Callable[[], object]:
    values = np.random.default_rng(2).normal(size=mdp.n_states)
    successor, weights, expected = mdp.successor, mdp.continue_prob, mdp.expected_reward

    def call():
        v = values
        for _ in range(SCALING_SWEEPS):
            v = (expected + GAMMA * np.einsum("sak,sak->sa", weights, v[successor])).max(1)

    return call


def quantecon_sweeps(module, mdp: rlf.TabularMDP) -> Callable[[], object]:
    """QuantEcon's bellman_operator on the sparse state-action form (its fastest operator),
    from real values (a zero vector is a shared zero page, and flatters a sweep)."""
    R, Q, s_indices, a_indices = state_action_form(mdp)
    ddp = module.markov.DiscreteDP(R, Q, GAMMA, s_indices, a_indices)
    values = np.random.default_rng(2).normal(size=mdp.n_states + 1)
    out = np.empty(mdp.n_states + 1)

    def call():
        v = values
        for _ in range(SCALING_SWEEPS):
            ddp.bellman_operator(v, Tv=out)
            v = out

    return call


def scaling_section(
    models: dict[int, rlf.TabularMDP],
    peers,
    settings: Settings,
    plot: Path | None,
    thread_counts: list[int],
) -> dict[tuple[int, int], float]:
    """ns per backup of one Bellman optimality sweep, ours and the peers' on the same threads,
    interleaved; returns {(states, threads): QuantEcon time / our time}."""
    bandwidth = {n: read_bandwidth(n) for n in thread_counts}
    print(
        f"\nScaling: Bellman optimality sweeps of random models (4 actions, 3 outcomes), ns per "
        f"(state, action, outcome) backup; ours = value_iteration(max_iter={SCALING_SWEEPS}) "
        f"(its own serial/parallel choice) over {SCALING_SWEEPS} sweeps, the others "
        f"{SCALING_SWEEPS} operator calls; each thread count for every library\n  measured read "
        "bandwidth: "
        + ", ".join(f"{bw / 1e9:.1f} GB/s on {n} thread(s)" for n, bw in bandwidth.items())
    )
    has_quantecon = not isinstance(peers["quantecon"], str)
    widths = [10] + [12, 12, 12, 10, 14] * len(thread_counts)
    header = ["states"]
    for n in thread_counts:
        header += [f"ours {n}t", f"QE {n}t", f"NumPy {n}t", f"bound {n}t", f"QE/ours {n}t"]
    print(" ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True)))
    series: dict[str, list[float | None]] = {
        f"{who} {n}": [] for n in thread_counts for who in ("ours", "quantecon", "numpy")
    }
    sizes = sorted(models)
    bound_ns: dict[int, float] = {}
    ratios: dict[tuple[int, int], float] = {}
    for size in sizes:
        mdp = models[size]
        per = 1e9 / (backups(mdp) * SCALING_SWEEPS)
        calls = {"ours": our_sweeps(mdp), "numpy": numpy_sweeps(mdp)}
        if has_quantecon:
            calls["quantecon"] = quantecon_sweeps(peers["quantecon"], mdp)
        cells = [f"{size:,}"]
        for n in thread_counts:
            with threads(n):
                for call in calls.values():
                    call()  # warm, and sized below
                plan = {}
                for name, call in calls.items():
                    start = time.perf_counter()
                    call()
                    plan[name] = (call, loops_for(time.perf_counter() - start), settings.repeats)
                timings = round_robin(plan)
            bound = bytes_per_backup(mdp) / bandwidth[n] * 1e9
            bound_ns[size] = bound
            for who in ("ours", "quantecon", "numpy"):
                timing = timings.get(who)
                series[f"{who} {n}"].append(None if timing is None else timing.median)
            qe = timings.get("quantecon")
            if qe is not None:
                ratios[size, n] = qe.median / timings["ours"].median
            cells += [
                f"{timings['ours'].median * per:.2f}",
                "-" if qe is None else f"{qe.median * per:.2f}",
                f"{timings['numpy'].median * per:.2f}",
                f"{bound:.2f}",
                "-" if qe is None else ratio_text(qe, timings["ours"]).split(" ")[0],
            ]
        print(" ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True)))
    print(
        f"  bound = bytes a sweep streams per backup ({bytes_per_backup(models[sizes[-1]]):.1f}: "
        f"next state int32, continuation probability float64, shares of R and V') over the "
        f"bandwidth on that many threads; medians of {settings.repeats}, interleaved"
    )
    if plot is not None:
        save_plot(plot, sizes, series, bound_ns, thread_counts)
    return ratios


def save_plot(path: Path, sizes, series, bound_ns, thread_counts) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        print(f"  plot not saved: {error} (pip install -e '.[bench]')")
        return
    labels = {"ours": "rlfoundations", "quantecon": "QuantEcon bellman_operator", "numpy": "NumPy"}
    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    for key, values in series.items():
        who, n = key.split()
        if all(value is not None for value in values):
            axes.loglog(
                sizes,
                [v * 1e3 / SCALING_SWEEPS for v in values],
                marker="o",
                linestyle="-" if n == "1" else "--",
                label=f"{labels[who]}, {n} thread(s)",
            )
    slots = [n * 4 * 3 for n in sizes]
    axes.loglog(
        sizes,
        [bound_ns[n] * s * 1e-6 for n, s in zip(sizes, slots, strict=True)],
        linestyle=":",
        color="grey",
        label=f"memory bound, {thread_counts[-1]} threads",
    )
    axes.set_xlabel("states (4 actions, 3 outcomes)")
    axes.set_ylabel("ms per Bellman sweep")
    axes.set_title("One Bellman optimality sweep, threads matched")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"  plot saved: {path}")


# -- extraction ----------------------------------------------------------------------------------
def extraction_section(taxi: Case, repeats: int) -> float:
    env = rlf.make("Taxi-v3")
    mdp = taxi.mdp
    from_env = median_time(lambda: rlf.from_env(env), repeats=repeats)
    from_id = median_time(lambda: rlf.from_env("Taxi-v3"), repeats=repeats)
    make = median_time(lambda: rlf.make("Taxi-v3").close(), repeats=repeats)
    builds = {
        "QuantEcon sparse SA form (R, Q csr, indices)": lambda: state_action_form(mdp),
        "QuantEcon product form P (S,A,S), R (S,A)": lambda: dense_form(mdp),
        "pymdptoolbox P (A,S,S), R (S,A)": lambda: mdptoolbox_dense_form(mdp),
    }
    print("\nModel building on Taxi (ms, median)")
    print(f"  rlf.from_env(env), the P table already built: {milliseconds(from_env)}")
    print(f"  rlf.from_env('Taxi-v3'), with gymnasium.make: {milliseconds(from_id)}")
    print(f"  gymnasium.make alone (Taxi builds its P table): {milliseconds(make)}")
    print("  bettermdptools' Planner reads env.unwrapped.P itself: nothing to build")
    for name, build in builds.items():
        print(f"  from our model, {name}: {milliseconds(median_time(build, repeats=repeats))}")
    return from_env


# -- header --------------------------------------------------------------------------------------
def machine() -> str:
    model = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    blas = "?"
    with contextlib.suppress(Exception):
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    return (
        f"{platform.platform()}, {model}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy BLAS {blas}, Numba {numba.get_num_threads()} threads"
    )


def versions(peers: dict[str, object]) -> str:
    names = [
        "numpy",
        "scipy",
        "numba",
        "gymnasium",
        "quantecon",
        "pymdptoolbox",
        "bettermdptools",
        "mushroom-rl",
        "matplotlib",
    ]
    found = [f"rlfoundations {rlf.__version__}"]
    found += [f"{name} {version(name) or 'not installed'}" for name in names]
    return ", ".join(found)


def comparisons(tables: dict[str, dict[str, Row]], conditions: list[Condition]) -> list[str]:
    """Print, per model and condition, each of our solvers against the fastest peer method at
    the same accuracy, and our PI against our MPI; return the verdict lines."""
    print(
        f"\nOurs (defaults) against the fastest peer method at max|V - V*| <= {TARGET:g}, same "
        "run, same threads\n(ratio = peer time / our time, > 1: we are faster; range from the "
        "samples' min and max)"
    )
    verdicts = []
    for name, rows in tables.items():
        for condition in conditions:
            best = fastest_peer(rows, condition)
            cells = []
            for method in ("VI", "MPI", "PI"):
                mine = rows.get(f"rlfoundations (ours)/{method}")
                if mine is None or condition not in mine.timings or best is None:
                    cells.append(f"{method} -")
                    continue
                text = ratio_text(best.timings[condition], mine.timings[condition])
                cells.append(f"{method} {text}")
                if not at_target(mine):
                    cells[-1] += " (ours NOT at the target accuracy)"
                ratio = best.timings[condition].median / mine.timings[condition].median
                verdicts.append(
                    f"{name}, {condition.label}: our {method} "
                    f"{'ahead of' if ratio > 1 else 'BEHIND'} {best.solver.library} "
                    f"{best.solver.method} ({ratio:,.2f}x)"
                )
            in_place = rows.get(f"{OURS_GAUSS_SEIDEL}/VI")
            if in_place and condition in in_place.timings and best is not None:
                # Not a default: printed beside them, not counted in the verdicts.
                text = ratio_text(best.timings[condition], in_place.timings[condition])
                cells.append(f"VI gauss_seidel=True {text}")
                if not at_target(in_place):
                    cells[-1] += " (NOT at the target accuracy)"
            fastest = "-" if best is None else f"{best.solver.library} {best.solver.method}"
            print(f"  {name}, {condition.label}: fastest peer {fastest}: " + "; ".join(cells))
            pi = rows.get("rlfoundations (ours)/PI")
            mpi = rows.get("rlfoundations (ours)/MPI")
            if pi and mpi and condition in pi.timings and condition in mpi.timings:
                slower = pi.timings[condition].median / mpi.timings[condition].median
                verdicts.append(
                    f"{name}, {condition.label}: our PI / our MPI time {slower:,.2f}x "
                    f"({'met' if slower <= 1.5 else 'MISSED'}: <= 1.5x)"
                )
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small models, few repeats")
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "docs" / "img" / "scaling.png",
        help="where to save the scaling plot (default docs/img/scaling.png)",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not save the plot")
    parser.add_argument("--no-busy", action="store_true", help="skip the busy-machine columns")
    parser.add_argument(
        "--sizes", type=int, nargs="*", help="random model sizes to solve (replaces the default)"
    )
    parser.add_argument("--envs", nargs="*", help="environment ids to solve (replaces the default)")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        choices=(1, 2),
        help="thread counts of the conditions (default: 1 and 2, as far as Numba has them)",
    )
    parser.add_argument(
        "--long-repeats",
        type=int,
        help=f"samples of a call over {FULL.long_call_seconds:g} s (default {FULL.long_repeats}; "
        f"--quick: over {QUICK.long_call_seconds:g} s, {QUICK.long_repeats})",
    )
    parser.add_argument(
        "--exact-only",
        action="store_true",
        help="only the exact-solving tables and their comparisons (no model building, "
        "scaling or learning)",
    )
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    if args.long_repeats is not None:
        if args.long_repeats < 1:
            parser.error(f"--long-repeats must be at least 1, got {args.long_repeats}")
        settings = dataclasses.replace(settings, long_repeats=args.long_repeats)
    if args.sizes is not None:
        settings = dataclasses.replace(settings, random_sizes=tuple(args.sizes))
    if args.envs is not None:
        settings = dataclasses.replace(settings, env_ids=tuple(args.envs))
    started = time.perf_counter()
    peers = import_peers()
    print(f"machine: {machine()}")
    print(f"versions: {versions(peers)}")
    print(f"load average at start: {load_average()}")
    for name, value in peers.items():
        if isinstance(value, str):
            print(f"  {name}: {value}")
    print(f"\ndiscount {GAMMA}; every solver held to max|V - V*| <= {TARGET:g}:")
    print("  ours: value_iteration, modified_policy_iteration, policy_iteration, defaults")
    for name, (rule, parameter) in TOLERANCES.items():
        shown = "" if parameter is None else f" -> parameter {parameter:.3g}"
        print(f"  {name}: {rule}{shown}")
    if importlib.util.find_spec("threadpoolctl") is None:
        print("  threadpoolctl missing: BLAS threads NOT matched (pip install -e '.[bench]')")
    wanted = args.threads or (1, 2)
    thread_counts = sorted({min(n, numba.config.NUMBA_NUM_THREADS) for n in wanted})
    if max(wanted) > numba.config.NUMBA_NUM_THREADS:
        print(f"  Numba has {numba.config.NUMBA_NUM_THREADS} thread(s): 2 threads not measured")
    conditions = [Condition(n, False) for n in thread_counts]
    if not args.no_busy:
        conditions += [Condition(n, True) for n in thread_counts]
    print(
        "  conditions: "
        + ", ".join(c.label for c in conditions)
        + " (threads: numba.set_num_threads and threadpoolctl's BLAS limit, for every library; "
        "busy: one other process spinning a tight loop)"
    )

    listed = solvers(peers, settings)
    with warnings.catch_warnings():  # compile every kernel and warm every import first
        warnings.simplefilter("ignore")
        warm = env_case("FrozenLake-v1")
        for solver in listed:
            with contextlib.suppress(Exception):
                call, _ = solver.prepare(warm)
                call()
        for n in thread_counts:  # the parallel sweeps
            with threads(n):
                rlf.value_iteration(random_mdp(6_000), GAMMA)
    cases = [env_case(name) for name in settings.env_ids]
    models = {n: random_mdp(n) for n in settings.random_sizes}
    cases += [Case(name=f"random {n:,}", mdp=mdp) for n, mdp in models.items()]

    print(
        "\nExact solving (ms: median per call, min-max spread over repeats, the solvers of a "
        "model interleaved;\ninputs prebuilt; max|V-V*| against a tight solve; policy: against "
        "its greedy policy)"
    )
    tables = {case.name: solve_case(case, listed, settings, conditions) for case in cases}
    verdicts = comparisons(tables, conditions)
    if args.exact_only:
        print("\nVerdicts (every ratio measured in this run)")
        for text in verdicts:
            print(f"  {text}")
        print_end(started)
        return

    taxi = next((case for case in cases if case.name == "Taxi-v3"), None) or env_case("Taxi-v3")
    extraction = extraction_section(taxi, settings.repeats)
    scaling_models = {n: models.get(n) or random_mdp(n) for n in settings.scaling_sizes}
    plot = None if args.no_plot else args.plot
    sweeps = scaling_section(scaling_models, peers, settings, plot, thread_counts)
    rates = learning_section(taxi, peers, settings)

    print("\nVerdicts (every ratio measured in this run)")
    for text in verdicts:
        print(f"  {text}")
    for (n, count), ratio in sweeps.items():
        print(
            f"  one sweep at {n:,} states, {count} thr: QuantEcon bellman_operator / ours = "
            f"{ratio:,.2f}x"
        )
    print(f"  Taxi extraction from P: {milliseconds(extraction)} ms")
    best_peer_rate = max(
        (rate for name, rate in rates.items() if not name.startswith("rlf")), default=None
    )
    ours_rate = rates["rlf.q_learning (1 thread)"]
    gym_name = next(name for name in rates if name.startswith("plain"))
    if best_peer_rate:
        print(
            f"  Q-learning steps/s: ours {ours_rate / best_peer_rate:,.0f}x the fastest peer "
            f"(plain Gymnasium loop {rates[gym_name]:,.0f} steps/s)"
        )
    print_end(started)


def print_end(started: float) -> None:
    print(
        f"\nload average at end: {load_average()}; run took {time.perf_counter() - started:,.0f} s"
    )


def progress(text: str) -> None:
    """A progress line on stderr (the tables go to stdout): long models take an hour."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
