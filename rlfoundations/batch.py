"""The batch engine: many independent runs of one learner, advanced together in the kernels.

A *batch* is a set of runs of one learner on one model, each with its own seed and
hyper-parameters: a single learner call is a batch of one, :func:`rlfoundations.sweep` a
batch of the whole grid (or, with an executor, one batch per task). :func:`run_spec`
validates one dict of hyper-parameters per run into a :class:`RunSpec`; :func:`run_batch`
allocates the runs' arrays (:class:`Batch`), calls the kernels in chunks of steps (for
progress and Ctrl-C; chunked runs equal unchunked runs bit for bit), and wraps a
:class:`~rlfoundations.SweepResult`.

Episode records: with ``record_episodes=True`` every finished episode's return and length is
kept, in buffers that double when full (never sized from ``n_steps``: a run interrupted
early holds memory for the episodes it finished); with ``False`` the same fixed-size buffer
is folded into running summaries whenever it fills (the count of episodes, the sums of their
returns and lengths, and the last :data:`LAST_EPISODES` returns and lengths), so memory does
not depend on ``n_steps``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlfoundations._kernels import differential as _differential
from rlfoundations._kernels import learning as _kernels
from rlfoundations._kernels import nstep as _nstep
from rlfoundations._kernels import prioritized as _prioritized
from rlfoundations._kernels import traces as _traces
from rlfoundations._kernels.random import seed_state
from rlfoundations._validate import (
    check_bool,
    check_choice,
    check_fraction,
    check_gamma,
    check_int,
    check_seed,
    is_number,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.progress import ProgressBar
from rlfoundations.results import SweepResult
from rlfoundations.schedules import check_schedule

__all__ = [
    "ALGORITHMS",
    "AVERAGE_REWARD",
    "EXPLORATIONS",
    "FAMILIES",
    "LAST_EPISODES",
    "MASK_SUPPORT",
    "Batch",
    "Progress",
    "RunSpec",
    "check_mask_support",
    "check_progress",
    "check_steps",
    "greedy_gains",
    "greedy_values",
    "run_batch",
    "run_spec",
]

ALGORITHMS = {
    "q_learning": _kernels.Q_LEARNING,
    "sarsa": _kernels.SARSA,
    "expected_sarsa": _kernels.EXPECTED_SARSA,
    "double_q_learning": _kernels.DOUBLE_Q_LEARNING,
    "dyna_q": _kernels.DYNA_Q,
    "reinforce": _kernels.REINFORCE,
    "sarsa_lambda": _traces.SARSA_LAMBDA,
    "watkins_q_lambda": _traces.WATKINS_Q_LAMBDA,
    "n_step_sarsa": _nstep.N_STEP_SARSA,
    "n_step_tree_backup": _nstep.TREE_BACKUP,
    "q_sigma": _nstep.Q_SIGMA,
    "prioritized_sweeping": _prioritized.PRIORITIZED_SWEEPING,
    "differential_q_learning": _differential.DIFFERENTIAL_Q_LEARNING,
    "differential_sarsa": _differential.DIFFERENTIAL_SARSA,
}
#: The average-reward learners: no gamma, a learned ``gain``, curves of exact gains.
AVERAGE_REWARD = frozenset(("differential_q_learning", "differential_sarsa"))
EXPLORATIONS = {"epsilon_greedy": _kernels.EPSILON_GREEDY, "softmax": _kernels.SOFTMAX}
#: Eligibility traces of the trace learners (Sutton and Barto, chapter 12).
TRACES = {
    "accumulating": _traces.ACCUMULATING,
    "replacing": _traces.REPLACING,
    "dutch": _traces.DUTCH,
}
#: Target policies of n-step tree backup.
TARGET_POLICIES = {"greedy": _nstep.GREEDY, "behaviour": _nstep.BEHAVIOUR}

#: The learners whose kernels (and twins) honour ``mdp.action_mask``: they never take a masked
#: action. :func:`kernel_model` refuses a masked model for any other, so that a learner added
#: without mask support cannot silently ignore a mask: add its name here once it honours one.
MASK_SUPPORT = frozenset(
    (
        "q_learning",
        "sarsa",
        "expected_sarsa",
        "double_q_learning",
        "dyna_q",
        "reinforce",
        "sarsa_lambda",
        "watkins_q_lambda",
        "monte_carlo_control",
        "td_prediction",
        "monte_carlo_prediction",
        "ucbvi",
        "psrl",
        "ucb_q_learning",
        "rmax",
        "n_step_sarsa",
        "n_step_tree_backup",
        "q_sigma",
        "prioritized_sweeping",
        "differential_q_learning",
        "differential_sarsa",
    )
)
#: Episode buffers start this long and double (the run resumes bit for bit) when full; with
#: ``record_episodes=False`` they stay this long and are folded into summaries when full.
INITIAL_EPISODE_CAPACITY = 1 << 12
#: With ``record_episodes=False``, the returns and lengths of this many last episodes are kept.
LAST_EPISODES = 100
#: REINFORCE's episode path starts this long (or the time limit) and grows when full.
INITIAL_PATH_CAPACITY = 1 << 12
#: Steps per kernel call (summed over a batch's runs) when progress or interrupts are wanted.
CHUNK_STEPS = 1 << 22
INTERRUPT_MODES = ("raise", "return")
#: Largest step count (and planning steps, time limit) the kernels' int64 counters take.
MAX_STEPS = 2**62

#: ``progress`` argument: a callable ``progress(steps_done, n_steps)``, or True for a bar.
Progress = Callable[[int, int], None] | bool | None


def check_progress(
    progress: Callable[[int, int], None] | bool | None, on_interrupt: str
) -> tuple[Callable[[int, int], None] | None, str]:
    """``progress`` as a callable or None, and ``on_interrupt`` checked."""
    if not isinstance(on_interrupt, str) or on_interrupt not in INTERRUPT_MODES:
        raise InvalidValueError(
            f"on_interrupt must be one of {INTERRUPT_MODES}, got {on_interrupt!r}"
        )
    if progress is True:
        return ProgressBar(), on_interrupt
    if progress is None or progress is False:
        return None, on_interrupt
    if not callable(progress):
        raise InvalidTypeError(
            f"progress must be None, True or a callable progress(steps_done, n_steps), "
            f"got {progress!r}"
        )
    return progress, on_interrupt


def check_steps(name: str, value: object, *, minimum: int = 1) -> int:
    """A count of steps, ``minimum`` to :data:`MAX_STEPS` (the kernels count in int64)."""
    value = check_int(name, value, minimum=minimum)
    if value > MAX_STEPS:
        raise InvalidValueError(f"{name} must be <= 2**62, got {value!r}")
    return value


def check_exploration(exploration) -> int:
    """The kernel code of an exploration name."""
    if not isinstance(exploration, str) or exploration not in EXPLORATIONS:
        raise InvalidValueError(
            f"exploration must be one of {sorted(EXPLORATIONS)}, got {exploration!r}"
        )
    return EXPLORATIONS[exploration]


def check_algorithm(algorithm) -> str:
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise InvalidValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    return algorithm


@dataclass(frozen=True, eq=False)
class RunSpec:
    """The validated settings of a batch of runs of one learner, in kernel form.

    Built by :func:`run_spec` from one point of hyperparameters per run; the same spec gives
    the same runs wherever it is run (one process, threads, or another machine).
    """

    algorithm: str
    seeds: tuple[int, ...]
    gammas: np.ndarray
    alphas: np.ndarray
    #: Exploration schedules (TD learners) or baseline step sizes (REINFORCE), one row a run.
    levels: np.ndarray
    exploration: int
    #: Dyna-Q's replays per step, one a run (0 for the other learners).
    planning_steps: np.ndarray
    use_baseline: bool
    params: tuple[dict, ...]
    record_episodes: bool = True
    #: A family's own per-run settings (one entry a run in each array), e.g. traces' ``lam``.
    options: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        """Number of runs in the batch."""
        return len(self.seeds)

    def subset(self, runs: range) -> RunSpec:
        """The spec of runs ``runs`` only (a contiguous chunk, for distribution)."""
        return RunSpec(
            algorithm=self.algorithm,
            seeds=self.seeds[runs.start : runs.stop],
            gammas=self.gammas[runs.start : runs.stop],
            alphas=self.alphas[runs.start : runs.stop],
            levels=self.levels[runs.start : runs.stop],
            exploration=self.exploration,
            planning_steps=self.planning_steps[runs.start : runs.stop],
            use_baseline=self.use_baseline,
            params=self.params[runs.start : runs.stop],
            record_episodes=self.record_episodes,
            options={name: value[runs.start : runs.stop] for name, value in self.options.items()},
        )


def run_spec(
    algorithm: str,
    points: list[dict],
    *,
    exploration: str = "epsilon_greedy",
    planning_steps: int = 0,
    baseline: bool = True,
    record_episodes: bool = True,
) -> RunSpec:
    """Validate one dict of hyperparameters per run into a :class:`RunSpec`.

    Each point has ``seed``, ``gamma`` and ``alpha``, and ``epsilon`` or ``temperature``
    (TD learners, after ``exploration``) or ``baseline_alpha`` (REINFORCE); a point's
    ``planning_steps`` (Dyna-Q) overrides the ``planning_steps`` given for all. The
    average-reward learners' points have no ``gamma`` (their ``gammas`` are NaN).
    """
    algorithm = check_algorithm(algorithm)
    planning_steps = check_steps("planning_steps", planning_steps, minimum=0)
    baseline = check_bool("baseline", baseline)
    record_episodes = check_bool("record_episodes", record_episodes)
    policy_gradient = algorithm == "reinforce"
    mode = EXPLORATIONS["softmax"] if policy_gradient else check_exploration(exploration)
    level_name = "epsilon" if mode == EXPLORATIONS["epsilon_greedy"] else "temperature"
    seeds, gammas, alphas, levels, replays = [], [], [], [], []
    options: dict[str, list] = {}
    for point in points:
        seeds.append(check_seed(point["seed"]))
        if "planning_steps" in point:
            replays.append(check_steps("planning_steps", point["planning_steps"], minimum=0))
        else:
            replays.append(planning_steps)
        if algorithm in AVERAGE_REWARD:
            if point.get("gamma") is not None:
                raise InvalidValueError(
                    f"{algorithm} learns for the average reward and takes no gamma, got "
                    f"gamma={point['gamma']!r}; drop gamma, or use a discounted learner such as "
                    f"{algorithm.removeprefix('differential_')}"
                )
            gammas.append(np.nan)
        else:
            gammas.append(check_gamma(point.get("gamma")))
        alpha = check_schedule("alpha", point["alpha"], 0.0, 1.0, True)
        if policy_gradient:
            if alpha.kind == "visit_count":
                raise InvalidValueError(
                    f"reinforce's alpha cannot be a visit_count schedule: {alpha}"
                )
            level = check_schedule("baseline_alpha", point["baseline_alpha"], 0.0, 1.0, True)
        elif level_name == "epsilon":
            level = check_schedule("epsilon", point.get("epsilon"), 0.0, 1.0, False)
        else:
            level = check_schedule("temperature", point.get("temperature"), 0.0, np.inf, True)
        alphas.append(alpha.as_array())
        levels.append(level.as_array())
        if algorithm == "dyna_q":
            kappa = point.get("kappa", 0.0)
            if not is_number(kappa) or not 0.0 <= float(kappa) < np.inf:
                raise InvalidValueError(f"kappa must be a number >= 0, got {kappa!r}")
            if float(kappa) > 0.0 and alpha.kind == "visit_count":
                raise InvalidValueError(
                    f"dyna_q with kappa > 0 cannot take a visit_count alpha: Dyna-Q+ replays "
                    f"untried actions, which have no visits; use a constant, linear or "
                    f"exponential alpha, got {alpha}"
                )
            options.setdefault("kappa", []).append(float(kappa))
        if algorithm in FAMILY_OF:
            # The point as the run will see it: with the planning steps given for all.
            resolved = {**point, "planning_steps": replays[-1]}
            for name, value in FAMILIES[FAMILY_OF[algorithm]].check_point(
                algorithm, resolved, alpha
            ):
                options.setdefault(name, []).append(value)
    return RunSpec(
        algorithm=algorithm,
        seeds=tuple(seeds),
        gammas=np.array(gammas, dtype=np.float64),
        alphas=np.array(alphas, dtype=np.float64).reshape(len(points), 5),
        levels=np.array(levels, dtype=np.float64).reshape(len(points), 5),
        exploration=mode,
        planning_steps=np.array(replays, dtype=np.int64),
        use_baseline=baseline,
        params=tuple(dict(point) for point in points),
        record_episodes=record_episodes,
        options={name: np.array(values) for name, values in options.items()},
    )


@dataclass(frozen=True)
class Family:
    """A family of learners beyond the TD loop and REINFORCE: its kernels and bundles.

    ``kernels`` holds one single-run kernel per algorithm name and ``batch_kernel(code,
    model, settings, stop_step, state)``; ``check_point(algorithm, point, alpha)`` yields the
    family's validated per-run settings (kept in :attr:`RunSpec.options`); ``bundles(spec,
    shape, rng, q_values, cursor, episode_return, episode_returns, episode_lengths)`` returns
    the settings and state bundles of a batch.
    """

    algorithms: tuple[str, ...]
    kernels: object
    batch_kernel: Callable
    check_point: Callable
    bundles: Callable


def _trace_point(algorithm: str, point: dict, alpha):
    if alpha.kind == "visit_count":
        raise InvalidValueError(
            f"{algorithm}'s alpha cannot be a visit_count schedule: one step updates every "
            f"traced pair, which has no single visit count; use a constant, linear or "
            f"exponential schedule, got {alpha}"
        )
    yield "lam", check_fraction("lam", point.get("lam", 0.9))
    trace = check_choice("trace", point.get("trace", "accumulating"), tuple(TRACES))
    yield "trace", TRACES[trace]


def _trace_bundles(spec, shape, rng, q_values, cursor, episode_return, returns, lengths):
    settings = _traces.TraceSettings(
        spec.exploration,
        spec.gammas,
        spec.alphas,
        spec.levels,
        spec.options["lam"].astype(np.float64),
        spec.options["trace"].astype(np.int64),
    )
    active = np.zeros((shape[0], shape[1] * shape[2]), dtype=np.int64)
    state = _traces.TraceState(
        rng, q_values, np.zeros(shape), active, cursor, episode_return, returns, lengths
    )
    return settings, state


def _differential_point(algorithm: str, point: dict, alpha):
    if alpha.kind == "visit_count":
        raise InvalidValueError(
            f"{algorithm}'s alpha cannot be a visit_count schedule: the gain's step size is "
            f"eta * alpha, and the gain has no visit count; use a constant, linear or "
            f"exponential schedule, got {alpha}"
        )
    eta = point.get("eta", 1.0)
    if not is_number(eta) or not 0.0 < float(eta) < np.inf:
        raise InvalidValueError(f"eta must be a number > 0, got {eta!r}")
    yield "eta", float(eta)


def _differential_bundles(spec, shape, rng, q_values, cursor, episode_return, returns, lengths):
    settings = _differential.DifferentialSettings(
        spec.exploration, spec.alphas, spec.levels, spec.options["eta"].astype(np.float64)
    )
    state = _differential.DifferentialState(
        rng, q_values, np.zeros((shape[0], 1)), cursor, episode_return, returns, lengths
    )
    return settings, state


def _nstep_point(algorithm: str, point: dict, alpha):
    if alpha.kind == "visit_count":
        raise InvalidValueError(
            f"{algorithm}'s alpha cannot be a visit_count schedule: use a constant, linear or "
            f"exponential schedule, got {alpha}"
        )
    yield "n", check_steps("n", point.get("n", 4))
    # sigma: 1 samples every step (n-step SARSA), 0 takes every expectation (tree backup).
    sigma = {"n_step_sarsa": 1.0, "n_step_tree_backup": 0.0}.get(algorithm)
    if sigma is None:
        sigma = check_fraction("sigma", point.get("sigma", 0.5))
    yield "sigma", sigma
    # Q(sigma) learns on-policy: its target is the behaviour policy.
    target = "behaviour"
    if algorithm == "n_step_tree_backup":
        target = check_choice(
            "target_policy", point.get("target_policy", "greedy"), tuple(TARGET_POLICIES)
        )
    yield "target", TARGET_POLICIES[target]


def _nstep_bundles(spec, shape, rng, q_values, cursor, episode_return, returns, lengths):
    n = spec.options["n"].astype(np.int64)
    ring = (shape[0], int(n.max()) + 1)
    settings = _nstep.NStepSettings(
        spec.exploration,
        spec.gammas,
        spec.alphas,
        spec.levels,
        n,
        spec.options["sigma"].astype(np.float64),
        spec.options["target"].astype(np.int64),
    )
    state = _nstep.NStepState(
        rng,
        q_values,
        np.zeros(ring, dtype=np.int64),
        np.zeros(ring, dtype=np.int64),
        np.zeros(ring),
        cursor,
        episode_return,
        returns,
        lengths,
    )
    return settings, state


def _prioritized_point(algorithm: str, point: dict, alpha):
    if point["planning_steps"] < 1:
        raise InvalidValueError(
            f"{algorithm} needs planning_steps >= 1: it changes Q only in its planning "
            f"updates (Sutton and Barto's box, section 8.4), got {point['planning_steps']!r}"
        )
    theta = point.get("theta", 1e-4)
    if not is_number(theta) or not 0.0 <= float(theta) < np.inf:
        raise InvalidValueError(f"theta must be a number >= 0, got {theta!r}")
    yield "theta", float(theta)


def _prioritized_bundles(spec, shape, rng, q_values, cursor, episode_return, returns, lengths):
    n_runs, n_states, n_actions = shape
    n_pairs = n_states * n_actions
    settings = _prioritized.PrioritizedSettings(
        spec.exploration,
        spec.gammas,
        spec.alphas,
        spec.levels,
        spec.planning_steps,
        spec.options["theta"].astype(np.float64),
    )
    # Visit counts only for a 1 / n^omega alpha; an empty table of the same rank otherwise.
    counted = bool((spec.alphas[:, 0] == _kernels.VISIT_COUNT).any())
    # One slot longer than the TD learners' cursor: the count of planning updates.
    wider = np.zeros((n_runs, _prioritized.PRIORITIZED_CURSOR_SIZE), dtype=np.int64)
    wider[:, : cursor.shape[1]] = cursor
    state = _prioritized.PrioritizedState(
        rng,
        q_values,
        np.zeros(shape if counted else (n_runs, 0, 0), dtype=np.int64),
        np.full(shape, -1, dtype=np.int64),
        np.zeros(shape),
        np.zeros(shape, dtype=np.bool_),
        np.full((n_runs, n_states), -1, dtype=np.int64),
        np.full((n_runs, n_pairs), -1, dtype=np.int64),
        np.full((n_runs, n_pairs), -1, dtype=np.int64),
        np.zeros((n_runs, n_pairs), dtype=np.int64),
        np.zeros((n_runs, n_pairs)),
        np.full((n_runs, n_pairs), -1, dtype=np.int64),
        wider,
        episode_return,
        returns,
        lengths,
    )
    return settings, state


#: The families, by name; :data:`FAMILY_OF` maps each of their algorithms to its family.
FAMILIES = {
    "traces": Family(
        ("sarsa_lambda", "watkins_q_lambda"),
        _traces,
        _traces.traces_batch,
        _trace_point,
        _trace_bundles,
    ),
    "nstep": Family(
        ("n_step_sarsa", "n_step_tree_backup", "q_sigma"),
        _nstep,
        _nstep.nstep_batch,
        _nstep_point,
        _nstep_bundles,
    ),
    "prioritized": Family(
        ("prioritized_sweeping",),
        _prioritized,
        _prioritized.prioritized_batch,
        _prioritized_point,
        _prioritized_bundles,
    ),
    "differential": Family(
        ("differential_q_learning", "differential_sarsa"),
        _differential,
        _differential.differential_batch,
        _differential_point,
        _differential_bundles,
    ),
}
FAMILY_OF = {name: family for family, entry in FAMILIES.items() for name in entry.algorithms}


def is_masked(mdp: TabularMDP) -> bool:
    """Whether ``mdp.action_mask`` forbids some action somewhere."""
    return mdp.action_mask is not None and not bool(mdp.action_mask.all())


def check_mask_support(mdp: TabularMDP, algorithm: str | None) -> None:
    """Refuse a masked ``mdp`` for a learner not in :data:`MASK_SUPPORT`."""
    if not is_masked(mdp) or algorithm in MASK_SUPPORT:
        return
    who = "this learner" if algorithm is None else repr(algorithm)
    n_masked = int((~mdp.action_mask).sum())  # type: ignore[operator]  # masked: mask set
    raise InvalidValueError(
        f"{who} does not honour action_mask yet: mdp masks {n_masked} (state, action) pairs "
        f"and the learner would take them. Learners that honour a mask: {sorted(MASK_SUPPORT)}"
    )


def mask_arrays(mdp: TabularMDP) -> dict[str, np.ndarray]:
    """The mask fields of the kernels' model bundles, when ``mdp.action_mask`` masks some pair.

    ``allowed`` (S, A), ``allowed_actions[s, :n_allowed[s]]`` the allowed actions of s in
    increasing order, ``n_allowed`` (S,); an empty dict without a mask (the bundles' defaults,
    empty arrays, then select the kernels' unmasked path).
    """
    if not is_masked(mdp):
        return {}
    allowed = mdp.action_mask
    assert allowed is not None  # is_masked: the mask is set
    n_allowed = allowed.sum(axis=1).astype(np.int64)
    allowed_actions = np.zeros(allowed.shape, dtype=np.int64)
    for s in range(mdp.n_states):
        actions = np.flatnonzero(allowed[s])
        allowed_actions[s, : actions.shape[0]] = actions
    return {"allowed": allowed, "allowed_actions": allowed_actions, "n_allowed": n_allowed}


def kernel_model(mdp: TabularMDP, algorithm: str | None = None) -> _kernels.Model:
    """The model bundle the kernels simulate.

    The arrays, the initial state's sampler, and the allowed actions when ``mdp.action_mask``
    masks some (empty arrays when it does not).

    A masked model is refused unless ``algorithm`` is in :data:`MASK_SUPPORT`.
    """
    if mdp.max_episode_steps is not None and mdp.max_episode_steps > MAX_STEPS:
        raise InvalidValueError(
            f"mdp.max_episode_steps must be <= 2**62 for a learner, got {mdp.max_episode_steps!r}"
        )
    check_mask_support(mdp, algorithm)
    masks = mask_arrays(mdp)
    initial_cdf = np.empty(mdp.n_states)
    _kernels.cumulative(mdp.initial, initial_cdf)
    initial_guide = np.empty(mdp.n_states, dtype=np.int64)
    _kernels.guide_table(initial_cdf, initial_guide)
    return _kernels.Model(
        mdp.next_state,
        mdp.prob,
        mdp.reward,
        mdp.terminated,
        initial_cdf,
        initial_guide,
        0 if mdp.max_episode_steps is None else mdp.max_episode_steps,
        **masks,
    )


class Batch:
    """The arrays of a batch of runs, stacked on a leading axis, that kernels update in place.

    TD learners keep two tables (Double Q-learning's second), visit counts and Dyna-Q's
    remembered model; REINFORCE keeps its preferences, its baseline, and the path of the
    current episode. :meth:`advance` runs every run up to a step.
    """

    #: A TDState or a ReinforceState: the named bundle of arrays the kernels update.
    state: Any
    settings: Any

    def __init__(self, mdp: TabularMDP, spec: RunSpec, n_steps: int) -> None:
        n_runs, n_states, n_actions = spec.n_runs, mdp.n_states, mdp.n_actions
        shape = (n_runs, n_states, n_actions)
        self.spec = spec
        self.n_steps = n_steps
        self.model = kernel_model(mdp, spec.algorithm)
        self.policy_gradient = spec.algorithm == "reinforce"
        self.double = spec.algorithm == "double_q_learning"
        rng = np.zeros((n_runs, 4), dtype=np.uint64)
        for run, seed in enumerate(spec.seeds):
            seed_state(np.uint64(seed), rng[run])
        q_values = np.zeros(shape)
        # Masked pairs hold -inf: every max, argmax and softmax over a row then ranges over
        # the allowed actions only, and the greedy policy never picks a masked one.
        masked = None if not is_masked(mdp) else ~mdp.action_mask  # type: ignore[operator]  # is_masked: set
        if masked is not None:
            q_values[:, masked] = -np.inf
        capacity = min(n_steps + 1, INITIAL_EPISODE_CAPACITY)
        cursor = np.zeros((n_runs, _kernels.CURSOR_SIZE), dtype=np.int64)
        cursor[:, _kernels.STATE] = -1
        episode_return = np.zeros((n_runs, 1))
        episode_returns = np.full((n_runs, capacity), np.nan)
        episode_lengths = np.zeros((n_runs, capacity), dtype=np.int64)
        # With record_episodes=False, what the folded buffers summarise.
        self.folded = np.zeros(n_runs, dtype=np.int64)
        self.return_sums = np.zeros(n_runs)
        self.length_sums = np.zeros(n_runs, dtype=np.int64)
        self.last_returns = np.full((n_runs, 0), np.nan)
        self.last_lengths = np.zeros((n_runs, 0), dtype=np.int64)
        self.family = FAMILIES[FAMILY_OF[spec.algorithm]] if spec.algorithm in FAMILY_OF else None
        if self.family is not None:
            self.settings, self.state = self.family.bundles(
                spec, shape, rng, q_values, cursor, episode_return, episode_returns, episode_lengths
            )
            return
        if self.policy_gradient:
            # Long enough for most episodes; make_room() doubles it for longer ones.
            path = min(n_steps, mdp.max_episode_steps or n_steps, INITIAL_PATH_CAPACITY)
            self.settings = _kernels.ReinforceSettings(
                spec.gammas, spec.alphas, spec.levels, spec.use_baseline
            )
            self.state = _kernels.ReinforceState(
                rng,
                q_values,
                np.zeros((n_runs, n_states)),
                np.zeros((n_runs, n_actions)),
                np.zeros((n_runs, path), dtype=np.int64),
                np.zeros((n_runs, path), dtype=np.int64),
                np.zeros((n_runs, path)),
                cursor,
                episode_return,
                episode_returns,
                episode_lengths,
            )
            return
        # Tables a learner never reads are empty placeholders of the same rank (the kernels
        # are typed by rank, not size): a sweep over a large model would otherwise carry
        # five unused copies of its Q table. Visit counts only for a 1 / n^omega alpha: the
        # replays of Dyna-Q read them for nothing else (Dyna-Q+ refuses that alpha).
        dyna = spec.algorithm == "dyna_q"
        counted = bool((spec.alphas[:, 0] == _kernels.VISIT_COUNT).any())

        def table(used: bool, dtype=np.float64, fill=0) -> np.ndarray:
            return np.full(shape if used else (n_runs, 0, 0), fill, dtype=dtype)

        second = table(self.double)
        if self.double and masked is not None:
            second[:, masked] = -np.inf
        self.algorithm = ALGORITHMS[spec.algorithm]
        self.settings = _kernels.TDSettings(
            spec.exploration,
            spec.gammas,
            spec.alphas,
            spec.levels,
            spec.planning_steps,
            spec.options["kappa"] if "kappa" in spec.options else np.zeros(n_runs),
        )
        bonus = dyna and "kappa" in spec.options and bool((spec.options["kappa"] > 0).any())
        self.state = _kernels.TDState(
            rng,
            q_values,
            second,
            table(counted, np.int64),
            table(dyna, np.int64, -1),
            table(dyna),
            table(dyna, np.bool_, False),
            np.zeros((n_runs, n_states * n_actions if dyna else 0), dtype=np.int64),
            cursor,
            episode_return,
            episode_returns,
            episode_lengths,
            table(bonus, np.int64),
        )

    @property
    def steps(self) -> np.ndarray:
        """Steps taken so far by each run."""
        return self.state.cursor[:, _kernels.STEP]

    def advance(self, stop: int) -> None:
        """Run every run up to step ``stop``, making room in full buffers as needed."""
        self._call(stop)
        while (self.steps < stop).any():
            self.make_room()
            self._call(stop)

    def _call(self, stop: int) -> None:
        """One kernel call: the single-run kernel for a batch of one, else the batch kernel."""
        if self.spec.n_runs == 1:
            settings = type(self.settings)(
                *(value[0] if isinstance(value, np.ndarray) else value for value in self.settings)
            )
            state = type(self.state)(*(array[0] for array in self.state))
            if self.family is not None:
                getattr(self.family.kernels, self.spec.algorithm)(self.model, settings, stop, state)
            elif self.policy_gradient:
                _kernels.reinforce(self.model, settings, stop, state)
            else:
                getattr(_kernels, self.spec.algorithm)(self.model, settings, stop, state)
        elif self.family is not None:
            code = ALGORITHMS[self.spec.algorithm]
            self.family.batch_kernel(code, self.model, self.settings, stop, self.state)
        elif self.policy_gradient:
            _kernels.reinforce_batch(self.model, self.settings, stop, self.state)
        else:
            _kernels.td_batch(self.algorithm, self.model, self.settings, stop, self.state)

    def make_room(self) -> None:
        """Enlarge (or, without records, fold) whichever buffers stopped a kernel short."""
        cursor = self.state.cursor
        capacity = self.state.episode_returns.shape[1]
        if (cursor[:, _kernels.N_EPISODES] >= capacity).any():
            if self.spec.record_episodes:
                new = min(2 * capacity, self.n_steps + 1)
                self.state = self.state._replace(
                    episode_returns=_widen(self.state.episode_returns, new, np.nan),
                    episode_lengths=_widen(self.state.episode_lengths, new, 0),
                )
            else:
                self.fold()
        if self.policy_gradient:
            path = self.state.path_state.shape[1]
            if (cursor[:, _kernels.EPISODE_STEP] >= path).any():
                self.state = self.state._replace(
                    path_state=_widen(self.state.path_state, 2 * path, 0),
                    path_action=_widen(self.state.path_action, 2 * path, 0),
                    path_reward=_widen(self.state.path_reward, 2 * path, 0.0),
                )

    def fold(self) -> None:
        """Summarise the episodes in the buffers and empty them (``record_episodes=False``)."""
        cursor = self.state.cursor
        counts = cursor[:, _kernels.N_EPISODES].copy()
        width = min(LAST_EPISODES, int((self.folded + counts).max()))
        last_returns = np.full((self.spec.n_runs, width), np.nan)
        last_lengths = np.zeros((self.spec.n_runs, width), dtype=np.int64)
        for run, count in enumerate(counts):
            returns = self.state.episode_returns[run, :count]
            lengths = self.state.episode_lengths[run, :count]
            # Left to right (add.accumulate is sequential), as a plain loop over the records.
            carried = np.concatenate(([self.return_sums[run]], returns))
            self.return_sums[run] = np.add.accumulate(carried)[-1]
            self.length_sums[run] += int(lengths.sum())
            kept = min(LAST_EPISODES, int(self.folded[run]))
            joined_returns = np.concatenate([self.last_returns[run, :kept], returns])
            joined_lengths = np.concatenate([self.last_lengths[run, :kept], lengths])
            keep = min(width, joined_returns.shape[0])
            last_returns[run, :keep] = joined_returns[joined_returns.shape[0] - keep :]
            last_lengths[run, :keep] = joined_lengths[joined_lengths.shape[0] - keep :]
        self.folded += counts
        self.last_returns, self.last_lengths = last_returns, last_lengths
        cursor[:, _kernels.N_EPISODES] = 0
        self.state.episode_returns.fill(np.nan)

    def q_table(self) -> np.ndarray:
        """The learned table: Double Q-learning's estimate is the mean of its two."""
        if self.double:
            return (self.state.q_values + self.state.q_second) / 2.0
        if self.policy_gradient:
            return self.state.preferences
        return self.state.q_values

    def episode_records(self) -> dict:
        """The episode fields of a :class:`~rlfoundations.SweepResult`."""
        if self.spec.record_episodes:
            n_episodes = self.state.cursor[:, _kernels.N_EPISODES].copy()
            width = int(n_episodes.max())
            return {
                "episode_returns": self.state.episode_returns[:, :width].copy(),
                "episode_lengths": self.state.episode_lengths[:, :width].copy(),
                "n_episodes": n_episodes,
            }
        self.fold()
        return {
            "episode_returns": self.last_returns.copy(),
            "episode_lengths": self.last_lengths.copy(),
            "n_episodes": self.folded.copy(),
            "return_sums": self.return_sums.copy(),
            "length_sums": self.length_sums.copy(),
            "record_episodes": False,
        }


def _widen(array: np.ndarray, width: int, fill) -> np.ndarray:
    """``array`` (runs, n) copied into a (runs, width) array padded with ``fill``."""
    wider = np.full((array.shape[0], width), fill, dtype=array.dtype)
    wider[:, : array.shape[1]] = array
    return wider


def greedy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact values of ``policy``; NaN where, with gamma = 1, it never ends the episode."""
    from rlfoundations.planning import policy_evaluation

    try:
        return policy_evaluation(mdp, policy, gamma).values
    except ValueError:
        # gamma = 1 and a policy that loops forever somewhere: its value is not a finite sum.
        return np.full(mdp.n_states, np.nan)


def greedy_gains(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """Exact gain (average reward per step) of ``policy`` from every state."""
    from rlfoundations.average import _policy_gains

    return _policy_gains(mdp, policy.astype(np.int64))


def run_batch(
    mdp: TabularMDP,
    spec: RunSpec,
    n_steps: int,
    *,
    eval_every: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> SweepResult:
    """Run every run of ``spec`` for ``n_steps`` steps, in parallel over runs.

    The engine under every learner and :func:`rlfoundations.sweep`: arguments are trusted
    (validated by :func:`run_spec` and the callers). With ``progress`` or
    ``on_interrupt="return"`` the runs advance in chunks of about ``CHUNK_STEPS`` steps in
    all, calling ``progress(steps_done, n_steps)`` after each; chunked runs equal unchunked
    runs bit for bit. ``eval_every`` adds the exact values of every run's greedy policy at
    steps 0, eval_every, 2 * eval_every, ..., n_steps (its exact gains for the average-reward
    learners).
    """
    batch = Batch(mdp, spec, n_steps)
    stops = [n_steps] if eval_every is None else [*range(eval_every, n_steps, eval_every), n_steps]
    chunked = progress is not None or on_interrupt == "return"
    chunk = max(CHUNK_STEPS // spec.n_runs, 1 << 12) if chunked else n_steps
    curve_steps: list[int] = []
    curve_values: list[np.ndarray] = []

    average_reward = spec.algorithm in AVERAGE_REWARD

    def evaluate(step: int) -> None:
        q_table = batch.q_table()
        values = np.stack(
            [
                greedy_gains(mdp, np.argmax(q_table[r], axis=1))
                if average_reward
                else greedy_values(mdp, np.argmax(q_table[r], axis=1), float(spec.gammas[r]))
                for r in range(spec.n_runs)
            ]
        )
        curve_steps.append(step)
        curve_values.append(values)

    interrupted = False
    try:
        if eval_every is not None:
            evaluate(0)
        done = 0
        for stop in stops:
            while done < stop:
                target = min(stop, done + chunk)
                batch.advance(target)
                done = target
                if progress is not None:
                    progress(done, n_steps)
            if eval_every is not None:
                evaluate(done)
    except KeyboardInterrupt:
        if on_interrupt != "return":
            raise
        interrupted = True
        # A kernel call stopped short by a full buffer left some runs behind: catch them up,
        # so that every run has taken the steps the result reports.
        batch.advance(int(batch.steps.max()))

    if eval_every is None:
        steps_evaluated = values_evaluated = None
    else:
        steps_evaluated = np.array(curve_steps, dtype=np.int64)
        values_evaluated = np.empty((spec.n_runs, len(curve_steps), mdp.n_states))
        for index, values in enumerate(curve_values):
            values_evaluated[:, index] = values
    q_values = batch.q_table().copy()
    return SweepResult(
        q_values=q_values,
        policy=np.argmax(q_values, axis=2),
        **batch.episode_records(),
        total_steps=int(batch.steps.min()),
        algorithm=spec.algorithm,
        seeds=np.array(spec.seeds, dtype=np.uint64),
        params=spec.params,
        curve_steps=steps_evaluated,
        curve_values=values_evaluated,
        interrupted=interrupted,
        baseline=batch.state.baseline.copy() if batch.policy_gradient else None,
        gain=batch.state.gain[:, 0].copy() if average_reward else None,
    )
