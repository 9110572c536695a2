"""Peers: rlfoundations against other tabular MDP libraries, measured in one run.

Run: ``make bench-peers`` (installs the ``bench`` extra and bettermdptools, then runs this), or
``python benchmarks/bench_peers.py [--quick] [--plot PATH]``. ``--quick`` is a smoke run (small
models, few repeats, short learning budgets). Every figure printed is measured in this run:
medians over repeats, ratios to our jitted kernels. The machine is shared: absolute times drift,
ratios roughly hold.

Methodology
-----------
Same model. Every peer's input is built from our ``TabularMDP`` (extracted once from
Gymnasium's ``P`` table), except bettermdptools' Planner, which reads Gymnasium's ``P`` itself
(random models get an equivalent ``P`` dict). Terminating outcomes lead to one extra absorbing,
zero-reward state in the dense and sparse forms, so that the peers solve the same episodic
problem (``TabularMDP.to_dense`` folds termination away, which changes Taxi's values); the
absorbing state is dropped before comparing. Building a peer's input is timed apart from
solving it.

Same problem. Discount 0.99 (the usual choice for Taxi; with 1.0 QuantEcon refuses to run and
value iteration on FrozenLake has no contraction to stop on). Every library gets its own
tolerance parameter 1e-10 (as in the issue's reference measurements); each maps to a bound on
the sup-norm error of the values it returns (see ``TOLERANCES``), and ours runs with the
tightest of those bounds, so it is at least as accurate as every peer. Iteration limits:
10 000 sweeps for value iteration, 1 000 improvement steps for policy iteration, for all.

Warm, call included. Imports done and every kernel compiled (a warm-up pass solves a small
model with every solver first). A timed call is the public call a user makes, constructor
included (pymdptoolbox and QuantEcon validate their input there), on prebuilt inputs. Calls
under a second (0.2 s with --quick) are repeated (median of 7, 3 with --quick); longer ones
are timed once.

Agreement. ``max |dV|`` is the largest difference from our value iteration's values; the
policy column says whether the peer's greedy policy is ours, or else whether it has the same
exact value (tied actions) by ``rlf.policy_evaluation``.

Pitfalls shown, not hidden. QuantEcon's policy iteration on the sparse state-action form can
cycle between tied policies (its sparse solves break exact ties in the last bits): the row says
so when it stops at max_iter, with the period found by replaying its loop through its public
methods. A value vector for a timed sweep is always filled with real values: an untouched
``np.zeros`` maps a shared zero page and makes a sweep look several times faster than it is.

Scaling. One Bellman optimality sweep against the number of states (random models, 4 actions,
3 outcomes): ours on 1 thread and on all threads, QuantEcon's ``bellman_operator`` (the fastest
peer operator; sparse state-action form) and a NumPy sweep over our padded arrays; in ns per
(state, action, outcome) backup, beside the bound that the measured read bandwidth sets. Saved as
a log-log plot (``--plot``).

Learning. Q-learning on Taxi with the same hyperparameters everywhere (``LEARNING``): steps per
second (1 thread) and steps until the greedy policy is optimal, i.e. its exact value equals the
optimum on every one of the 300 start states, checked every ``CHECK_EVERY`` steps with
``rlf.policy_evaluation``; a run that has not got there within its budget says so.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import statistics
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
    backups,
    bytes_per_backup,
    gymnasium_loop,
    median_time,
    random_mdp,
    read_bandwidth,
    sweep_seconds,
)

import rlfoundations as rlf

GAMMA = 0.99
TOLERANCE = 1e-10
VI_MAX_ITER = 10_000
PI_MAX_ITER = 1_000
#: Dense inputs larger than this are not built ("n/a: dense P would need ... GB").
DENSE_LIMIT_BYTES = 2 << 30
#: Each step of these policy iterations is a linear solve in S unknowns: sparse LU of a random
#: graph fills in (QuantEcon), or a dense O(S^3) solve of a dense S x S matrix (pymdptoolbox).
SPARSE_LU_MAX_STATES = 10_000
DENSE_SOLVE_MAX_STATES = 2_000
#: pymdptoolbox's ValueIteration bounds its iterations in its constructor by scanning every
#: column of every transition matrix: O(S^2 A) work.
MDPTOOLBOX_VI_MAX_STATES = 10_000
CHECK_EVERY = 10_000
LEARNING = {"gamma": GAMMA, "alpha": 0.1, "epsilon": 0.1, "initial Q": 0.0}

#: How each library's tolerance parameter ``tol`` (1e-10 for all) bounds ``max |V - V*|``.
TOLERANCES = {
    "QuantEcon VI": (
        "epsilon: stops when max|Tv - v| < eps(1-b)/(2b), returns Tv",
        TOLERANCE / 2,
    ),
    "pymdptoolbox VI": (
        "epsilon: stops when span(V'-V) < eps(1-g)/g; the absorbing state makes span >= sup",
        TOLERANCE,
    ),
    "bettermdptools VI": (
        "theta: stops when max|V'-V| < theta, so |V'-V*| < theta g/(1-g)",
        TOLERANCE * GAMMA / (1 - GAMMA),
    ),
    "policy iteration": (
        "exact evaluation (QuantEcon, pymdptoolbox, ours up to 2000 states); iterative to "
        "1e-10 otherwise (ours), to theta=1e-10 (bettermdptools: 99 x 1e-10)",
        TOLERANCE * GAMMA / (1 - GAMMA),
    ),
}
#: Ours: the tightest bound any peer's value iteration gets (ours guarantees max|V-V*| < eps
#: on models whose episodes can end: the span then bounds the sup norm).
OUR_EPSILON = min(bound for name, (_, bound) in TOLERANCES.items() if name.endswith("VI"))


@dataclass(frozen=True)
class Settings:
    """What a run measures: the full run, or the ``--quick`` smoke run."""

    repeats: int
    #: Calls that take longer than this are timed once.
    long_call_seconds: float
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
    long_call_seconds=0.2,
    env_ids=("Taxi-v3", "FrozenLake8x8-v1"),
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


def ours(method: str) -> Solver:
    def prepare(case: Case):
        mdp = case.mdp
        # The kernel form is derived once per model and cached: model building, not solving.
        mdp.successor, mdp.continue_prob, mdp.expected_reward, mdp.can_terminate  # noqa: B018
        if method == "VI":
            call = lambda: rlf.value_iteration(mdp, GAMMA, epsilon=OUR_EPSILON)  # noqa: E731
        else:
            call = lambda: rlf.policy_iteration(mdp, GAMMA)  # noqa: E731
        return call, lambda r: Outcome(r.values, r.policy, r.iterations)

    return Solver("rlfoundations (ours)", method, prepare, peer=False)


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
        threshold = OUR_EPSILON * (1 - GAMMA) / GAMMA
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
                return ddp.solve("value_iteration", epsilon=TOLERANCE, max_iter=VI_MAX_ITER)
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
                solver = module.ValueIteration(P, R, GAMMA, epsilon=TOLERANCE, max_iter=VI_MAX_ITER)
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
                    theta=TOLERANCE,
                    dtype=np.float64,
                    eval_n_iters=VI_MAX_ITER,
                )
            return getattr(planner, variant)(
                gamma=GAMMA, n_iters=VI_MAX_ITER, theta=TOLERANCE, dtype=np.float64
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
    """Every solver, value iteration first, each method led by ours."""
    has = {name: not isinstance(module, str) for name, module in peers.items()}
    listed = [ours("VI"), numpy_padded(settings)]
    if has["quantecon"]:
        listed += [quantecon(peers["quantecon"], form, "VI") for form in QUANTECON_FORMS]
    if has["pymdptoolbox"]:
        listed.append(pymdptoolbox(peers["pymdptoolbox"], "VI"))
    if has["bettermdptools"]:
        planner = peers["bettermdptools"][0]
        listed += [bettermdptools(planner, variant, settings) for variant in BETTERMDPTOOLS_VI]
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
@dataclass
class Row:
    """One solver on one case: its median time and answer, or why it did not run."""

    solver: Solver
    seconds: float | None = None
    outcome: Outcome | None = None
    repeats: int = 0
    missing: str = ""
    warned: list[str] = field(default_factory=list)


def run(solver: Solver, case: Case, settings: Settings) -> Row:
    """Build the solver's input (untimed), then time its call: the median of ``repeats``
    calls (short ones looped), or a single call when one takes over ``long_call_seconds``.
    A peer that fails gives a row that says why instead of stopping the run."""
    try:
        call, read = solver.prepare(case)
    except NotApplicable as reason:
        return Row(solver, missing=str(reason))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            raw = call()
            seconds, done = time.perf_counter() - start, 1
            repeats = settings.repeats
            if seconds < 0.05:
                seconds, done = median_time(call, repeats=repeats), repeats
            elif seconds < settings.long_call_seconds:
                seconds, done = statistics.median(timed(call) for _ in range(repeats)), repeats
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
    return Row(solver, seconds, outcome, done, warned=warned)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


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


SOLVE_WIDTHS = [27, 3, 9, 6, 8, 8, 22, 0]


def solve_case(case: Case, listed: list[Solver], settings: Settings) -> dict[str, Row]:
    """Print the exact-solving table of one case; return its rows by 'library/method'."""
    mdp = case.mdp
    print(
        f"\n{case.name}: {mdp.n_states:,} states, {mdp.n_actions} actions, "
        f"{mdp.max_outcomes} outcome(s) max"
    )
    line(SOLVE_WIDTHS, "solver", "", "ms", "iters", "x ours", "max|dV|", "policy", "note")
    rows: dict[str, Row] = {}
    ours_rows: dict[str, Row] = {}
    cache: dict = {}
    for solver in listed:
        row = run(solver, case, settings)
        rows[f"{solver.library}/{solver.method}"] = row
        if not solver.peer:
            ours_rows[solver.method] = row
        reference = ours_rows.get("VI")
        if row.outcome is None:
            line(SOLVE_WIDTHS, solver.library, solver.method, "-", "-", "-", "-", "-", row.missing)
            continue
        base = ours_rows.get(solver.method)
        ratio = (
            "1"
            if not solver.peer
            else (f"{row.seconds / base.seconds:,.1f}" if base and base.seconds else "-")
        )
        dv = float(np.abs(row.outcome.values - reference.outcome.values).max())
        agreement = policy_agreement(case, row.outcome, reference.outcome, cache)
        notes = [row.outcome.note, *row.warned]
        if row.repeats == 1:
            notes.append("timed once")
        line(
            SOLVE_WIDTHS,
            solver.library,
            solver.method,
            milliseconds(row.seconds),
            row.outcome.iterations if row.outcome.iterations >= 0 else "-",
            ratio,
            f"{dv:.1e}",
            agreement,
            "; ".join(n for n in notes if n),
        )
    if case.build_seconds:
        built = ", ".join(f"{k} {milliseconds(v)} ms" for k, v in case.build_seconds.items())
        print(f"  inputs built from our model (once, not in the times above): {built}")
    return rows


def fastest_peer(rows: dict[str, Row], method: str) -> Row | None:
    """The quickest peer row of ``method`` that met its own stopping rule."""
    done = [
        row
        for row in rows.values()
        if row.solver.peer
        and row.solver.method == method
        and row.seconds is not None
        and "max_iter" not in row.outcome.note
        and not any("iteration" in w.lower() for w in row.warned)
    ]
    return min(done, key=lambda row: row.seconds, default=None)


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
def numpy_sweep_seconds(mdp: rlf.TabularMDP, repeats: int) -> float:
    values = np.random.default_rng(2).normal(size=mdp.n_states)
    successor, weights, expected = mdp.successor, mdp.continue_prob, mdp.expected_reward

    def sweep():
        return (expected + GAMMA * np.einsum("sak,sak->sa", weights, values[successor])).max(1)

    return median_time(sweep, repeats=repeats)


def quantecon_sweep_seconds(module, mdp: rlf.TabularMDP, repeats: int) -> float:
    ddp = module.markov.DiscreteDP(*state_action_form(mdp)[:2], GAMMA, *state_action_form(mdp)[2:])
    values = np.random.default_rng(2).normal(size=mdp.n_states + 1)
    out = np.empty(mdp.n_states + 1)
    return median_time(lambda: ddp.bellman_operator(values, Tv=out), repeats=repeats)


def scaling_section(
    models: dict[int, rlf.TabularMDP], peers, settings: Settings, plot: Path | None
):
    threads = numba.get_num_threads()
    repeats = settings.repeats
    bandwidth = {n: read_bandwidth(n) for n in sorted({1, threads})}
    print(
        "\nScaling: one Bellman optimality sweep of random models (4 actions, 3 outcomes), "
        "ns per backup\n  measured read bandwidth: "
        + ", ".join(f"{bw / 1e9:.1f} GB/s on {n} thread(s)" for n, bw in bandwidth.items())
    )
    has_quantecon = not isinstance(peers["quantecon"], str)
    widths = [10, 12, 12, 12, 12, 14, 12]
    line(
        widths,
        "states",
        "ours 1 thr",
        f"ours {threads} thr",
        "QuantEcon",
        "NumPy",
        f"bound {threads} thr",
        "QE / ours",
    )
    series: dict[str, list[float]] = {"ours 1": [], "ours all": [], "quantecon": [], "numpy": []}
    sizes = sorted(models)
    bound_ns = {}
    for n in sizes:
        mdp = models[n]
        per = 1e9 / backups(mdp)
        one = sweep_seconds(mdp, parallel=False, threads=1, repeats=repeats)
        many = sweep_seconds(mdp, parallel=True, repeats=repeats)
        peer = quantecon_sweep_seconds(peers["quantecon"], mdp, repeats) if has_quantecon else None
        plain = numpy_sweep_seconds(mdp, repeats)
        bound_ns[n] = bytes_per_backup(mdp) / bandwidth[threads] * 1e9
        for key, value in zip(series, (one, many, peer, plain), strict=True):
            series[key].append(value)
        line(
            widths,
            f"{n:,}",
            f"{one * per:.2f}",
            f"{many * per:.2f}",
            "-" if peer is None else f"{peer * per:.2f}",
            f"{plain * per:.2f}",
            f"{bound_ns[n]:.2f}",
            "-" if peer is None else f"{peer / many:.1f}x",
        )
    print(
        f"  bound = bytes a sweep streams per backup ({bytes_per_backup(models[sizes[-1]]):.1f}: "
        f"next state int32, continuation probability float64, shares of R and V') over the "
        f"all-thread bandwidth"
    )
    if plot is not None:
        save_plot(plot, sizes, series, bound_ns, threads)
    fastest_peer_sweep = [
        min(v for v in (peer, plain) if v is not None)
        for peer, plain in zip(series["quantecon"], series["numpy"], strict=True)
    ]
    return dict(zip(sizes, zip(series["ours all"], fastest_peer_sweep, strict=True), strict=True))


def save_plot(path: Path, sizes, series, bound_ns, threads: int) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        print(f"  plot not saved: {error} (pip install -e '.[bench]')")
        return
    labels = {
        "ours 1": "rlfoundations, 1 thread",
        "ours all": f"rlfoundations, {threads} threads",
        "quantecon": "QuantEcon bellman_operator (sparse SA)",
        "numpy": "NumPy on our padded arrays",
    }
    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    for key, label in labels.items():
        if all(value is not None for value in series[key]):
            axes.loglog(sizes, [v * 1e3 for v in series[key]], marker="o", label=label)
    slots = [n * 4 * 3 for n in sizes]
    axes.loglog(
        sizes,
        [bound_ns[n] * s * 1e-6 for n, s in zip(sizes, slots, strict=True)],
        linestyle="--",
        color="grey",
        label=f"memory bound, {threads} threads",
    )
    axes.set_xlabel("states (4 actions, 3 outcomes)")
    axes.set_ylabel("ms per Bellman sweep")
    axes.set_title("One Bellman optimality sweep")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
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
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    started = time.perf_counter()
    peers = import_peers()
    print(f"machine: {machine()}")
    print(f"versions: {versions(peers)}")
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, value in peers.items():
        if isinstance(value, str):
            print(f"  {name}: {value}")
    print(f"\ndiscount {GAMMA}; tolerance parameter {TOLERANCE:g} for every library:")
    for name, (rule, bound) in TOLERANCES.items():
        print(f"  {name}: {rule} -> max|V - V*| < {bound:.2g}")
    print(f"  ours: value_iteration(epsilon={OUR_EPSILON:.2g}) -> max|V - V*| < {OUR_EPSILON:.2g}")

    listed = solvers(peers, settings)
    with warnings.catch_warnings():  # compile every kernel and warm every import first
        warnings.simplefilter("ignore")
        warm = env_case("FrozenLake-v1")
        for solver in listed:
            with contextlib.suppress(Exception):
                call, _ = solver.prepare(warm)
                call()
        rlf.value_iteration(random_mdp(6_000), GAMMA)  # the parallel sweep
    cases = [env_case(name) for name in settings.env_ids]
    models = {n: random_mdp(n) for n in settings.random_sizes}
    cases += [Case(name=f"random {n:,}", mdp=mdp) for n, mdp in models.items()]

    print(
        "\nExact solving (ms: median per call, inputs prebuilt; x ours: time / our time for the "
        "same method;\nmax|dV|: against our value iteration; policy: against ours)"
    )
    tables = {case.name: solve_case(case, listed, settings) for case in cases}

    print("\nFastest peer that met its own stopping rule, per model and method")
    ratios: dict[tuple[str, str], float] = {}
    for name, rows in tables.items():
        for method in ("VI", "PI"):
            mine = rows.get(f"rlfoundations (ours)/{method}")
            best = fastest_peer(rows, method)
            if mine is None or mine.seconds is None or best is None:
                continue
            ratios[name, method] = best.seconds / mine.seconds
            print(
                f"  {name} {method}: ours {milliseconds(mine.seconds)} ms, "
                f"{best.solver.library} {milliseconds(best.seconds)} ms: "
                f"peer / ours = {ratios[name, method]:,.1f}x"
            )

    extraction = extraction_section(cases[0], settings.repeats)
    scaling_models = {n: models.get(n) or random_mdp(n) for n in settings.scaling_sizes}
    plot = None if args.no_plot else args.plot
    sweeps = scaling_section(scaling_models, peers, settings, plot)
    rates = learning_section(cases[0], peers, settings)

    largest = max(sweeps)
    ours_sweep, peer_sweep = sweeps[largest]
    gym_name = next(name for name in rates if name.startswith("plain"))
    print("\nIssue targets (ratios from this run)")
    targets = [
        ("Taxi value iteration >= 10x the fastest peer", ratios.get(("Taxi-v3", "VI")), 10.0),
        ("Taxi policy iteration >= 30x the fastest peer", ratios.get(("Taxi-v3", "PI")), 30.0),
        (
            f"sweep at {largest:,} states >= 6x the fastest peer operator, all threads",
            None if peer_sweep is None else peer_sweep / ours_sweep,
            6.0,
        ),
    ]
    for text, ratio, goal in targets:
        verdict = "n/a" if ratio is None else ("met" if ratio >= goal else "missed")
        shown = "-" if ratio is None else f"{ratio:,.1f}x"
        print(f"  {text}: {shown} ({verdict})")
    print(f"  Taxi extraction from P in about 1 ms: {milliseconds(extraction)} ms")
    best_peer_rate = max(
        (rate for name, rate in rates.items() if not name.startswith("rlf")), default=None
    )
    ours_rate = rates["rlf.q_learning (1 thread)"]
    if best_peer_rate:
        print(
            f"  Q-learning steps/s: ours {ours_rate / best_peer_rate:,.0f}x the fastest peer "
            f"(plain Gymnasium loop {rates[gym_name]:,.0f} steps/s)"
        )
    print(
        f"\nload average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"run took {time.perf_counter() - started:,.0f} s"
    )


if __name__ == "__main__":
    main()
