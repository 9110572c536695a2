"""Prediction learners: the values of a fixed policy, learned from its simulated episodes.

:func:`td_prediction` (n-step TD, true online TD(lambda) and the offline lambda-return
algorithm, Sutton and Barto sections 7.1, 12.6 and 12.1) and :func:`prediction_sweep`, a grid of
seeds x hyper-parameters run in parallel over ``prange``. The exact answer is known
(:func:`rlfoundations.policy_evaluation`), so the learning curve (``eval_every``) is the
estimate's RMS error against it. Runs advance in chunks for ``progress`` and Ctrl-C
(``on_interrupt="return"`` keeps what was learned); chunked runs equal unchunked runs bit for
bit.

Action masks: a masked model is taken when the policy (and a behaviour policy) gives every
masked action probability 0; one that gives a masked (state, action) a positive probability
is refused, naming it. Actions are drawn from the policies only, so none is ever masked.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from rlfoundations._kernels import prediction as _kernels
from rlfoundations._kernels.random import seed_state
from rlfoundations._validate import (
    check_bool,
    check_gamma,
    check_int,
    check_mdp,
    check_policy,
    check_seed,
    is_number,
)
from rlfoundations.batch import (
    CHUNK_STEPS,
    INITIAL_EPISODE_CAPACITY,
    INITIAL_PATH_CAPACITY,
    LAST_EPISODES,
    Progress,
    check_progress,
    check_steps,
    kernel_model,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import PredictionResult, PredictionSweepResult
from rlfoundations.schedules import Schedule, check_schedule

__all__ = ["acting_states", "monte_carlo_prediction", "prediction_sweep", "td_prediction"]


def check_prediction_policy(mdp: TabularMDP, policy, *, name: str = "policy") -> np.ndarray:
    """A policy as probabilities (S, A): a deterministic (S,) one or a stochastic (S, A) one.

    A stochastic one goes through the one check of action probabilities
    (:func:`rlfoundations._validate.check_policy` with ``stochastic=True``).
    """
    array = np.asarray(policy)
    if array.ndim == 1:
        actions = check_policy(mdp, array, name=name)
        probs = np.zeros((mdp.n_states, mdp.n_actions))
        probs[np.arange(mdp.n_states), actions] = 1.0
        return probs
    expected = (mdp.n_states, mdp.n_actions)
    if array.ndim == 2 and array.dtype.kind in "fiu" and array.shape != expected:
        raise InvalidValueError(
            f"{name} must have shape ({mdp.n_states},) or ({mdp.n_states}, {mdp.n_actions}), "
            f"got {array.shape}"
        )
    # A writable copy, as the deterministic branch's: the kernels take it (a read-only array
    # would be another Numba type, another compilation).
    return np.array(check_policy(mdp, array, name=name, stochastic=True))


def acting_states(mdp: TabularMDP) -> np.ndarray:
    """Whether an episode can be in each state when it acts (bool, shape (S,)).

    The states with initial probability and those reached from them by an outcome of positive
    probability that does not end the episode: where a prediction learner updates its
    values, and over which its RMS error is measured (the random walk's 19 inner states).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.acting_states(rlf.problems.random_walk(5)).tolist()
    [False, True, True, True, True, True, False]
    """
    mdp = check_mdp(mdp)
    reached = mdp.initial > 0.0
    frontier: list[int | np.integer] = list(np.flatnonzero(reached))
    live = (mdp.prob > 0.0) & ~mdp.terminated
    while frontier:
        s = frontier.pop()
        for s_next in np.unique(mdp.next_state[s][live[s]]):
            if not reached[s_next]:
                reached[s_next] = True
                frontier.append(int(s_next))
    return reached


def _exact_values(mdp: TabularMDP, probs: np.ndarray, gamma: float) -> np.ndarray:
    """The policy's exact values; NaN where, with gamma = 1, it never ends the episode."""
    from rlfoundations.planning import _evaluate_checked_matrix

    try:  # probs were checked once, by the learner's entry point
        return _evaluate_checked_matrix(mdp, probs, gamma).values
    except ValueError:
        return np.full(mdp.n_states, np.nan)


def _is_axis(value) -> bool:
    return isinstance(value, list | tuple | range | np.ndarray)


def _axis(name: str, value) -> list:
    if _is_axis(value):
        values = list(value)
        if not values:
            raise InvalidValueError(f"the sweep axis {name} must not be empty")
        return values
    return [value]


def _check_alpha(alpha) -> np.ndarray:
    schedule = check_schedule("alpha", alpha, 0.0, 1.0, True)
    if schedule.kind == "visit_count":
        raise InvalidValueError(
            f"td_prediction's alpha cannot be a visit_count schedule: {schedule}; use a "
            "constant, linear or exponential one"
        )
    return schedule.as_array()


def _check_point(point: dict, method: int) -> tuple:
    """(seed, gamma, alpha array, n, lam) of one run, checked."""
    seed = check_seed(point["seed"])
    gamma = check_gamma(point["gamma"])
    alpha = _check_alpha(point["alpha"])
    if method == _kernels.N_STEP:
        return seed, gamma, alpha, check_steps("n", point["n"]), 0.0
    # lam_method is a run option, the same for every point: checked by _method.
    lam = point["lam"]
    if not is_number(lam) or isinstance(lam, bool) or not 0.0 <= lam <= 1.0:
        raise InvalidValueError(f"lam must be a number in [0, 1] or None, got {lam!r}")
    return seed, gamma, alpha, 1, float(lam)


def _policy_sampler(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A policy's cumulative rows and its action where it is deterministic (-1 elsewhere).

    The rows are summed left to right, as the twin sums.
    """
    cdf = np.empty_like(probs)
    for s in range(probs.shape[0]):
        total = 0.0
        for a in range(probs.shape[1]):
            total += probs[s, a]
            cdf[s, a] = total
    deterministic = (probs == 1.0).sum(axis=1) == 1
    return cdf, np.where(deterministic, np.argmax(probs, axis=1), -1).astype(np.int64)


def _common_state(checked: list, n_steps: int) -> dict:
    """The fields every prediction run keeps: stream, cursor, scalars and episode records."""
    n_runs = len(checked)
    rng = np.zeros((n_runs, 4), dtype=np.uint64)
    for run, c in enumerate(checked):
        seed_state(np.uint64(c[0]), rng[run])
    capacity = min(n_steps + 1, INITIAL_EPISODE_CAPACITY)
    cursor = np.zeros((n_runs, _kernels.CURSOR_SIZE), dtype=np.int64)
    cursor[:, _kernels.STATE] = -1
    return {
        "rng": rng,
        "cursor": cursor,
        "scalars": np.zeros((n_runs, _kernels.SCALARS_SIZE)),
        "episode_returns": np.full((n_runs, capacity), np.nan),
        "episode_lengths": np.zeros((n_runs, capacity), dtype=np.int64),
    }


def _run(
    mdp: TabularMDP,
    probs: np.ndarray,
    method: int,
    points: list[dict],
    n_steps: int,
    **options,
) -> PredictionSweepResult:
    """Every TD run of ``points`` for ``n_steps`` steps (arguments checked but the points)."""
    checked = [_check_point(point, method) for point in points]
    n_runs, n_states = len(points), mdp.n_states
    policy_cdf, policy_action = _policy_sampler(probs)
    settings = _kernels.PredictionSettings(
        method,
        policy_cdf,
        policy_action,
        np.array([c[1] for c in checked]),
        np.array([c[2] for c in checked]).reshape(n_runs, 5),
        np.array([c[3] for c in checked], dtype=np.int64),
        np.array([c[4] for c in checked]),
    )
    if method == _kernels.N_STEP:
        # The last n + 1 steps, or the whole episode if shorter: never longer than n_steps + 1.
        path = min(int(settings.n.max()), n_steps) + 1
    elif method == _kernels.OFFLINE:
        # The whole episode: grown by _drive when an episode outgrows it.
        path = min(n_steps, mdp.max_episode_steps or n_steps, INITIAL_PATH_CAPACITY)
    else:
        path = 0
    state = _kernels.PredictionState(
        values=np.zeros((n_runs, n_states)),
        trace=np.zeros((n_runs, n_states if method == _kernels.TRUE_ONLINE else 0)),
        path_state=np.zeros((n_runs, path), dtype=np.int64),
        path_reward=np.zeros((n_runs, path)),
        **_common_state(checked, n_steps),
    )
    kernels = (_kernels.td_prediction, _kernels.td_prediction_batch)
    per_run = ("gamma", "alpha", "n", "lam")
    return _drive(
        mdp,
        probs,
        kernels,
        settings,
        state,
        per_run,
        checked,
        points,
        n_steps,
        algorithm="td_prediction",
        grows_path=method == _kernels.OFFLINE,
        **options,
    )


def _drive(
    mdp: TabularMDP,
    probs: np.ndarray | None,
    kernels: tuple,
    settings,
    state,
    per_run: tuple[str, ...],
    checked: list,
    points: list[dict],
    n_steps: int,
    *,
    algorithm: str,
    eval_every: int | None,
    record_episodes: bool,
    progress: Callable[[int, int], None] | None,
    on_interrupt: str,
    measure: Callable | None = None,
    wrap: Callable | None = None,
    grows_path: bool | None = None,
):
    """Advance the runs' ``state`` to ``n_steps`` in chunks, growing full buffers.

    The ``path_*`` buffers hold whole episodes, and grow, if ``grows_path`` (default: if the
    state has a ``path_action``, as Monte Carlo's has); else they are a fixed ring.

    Every ``eval_every`` steps it records the RMS error against the exact values of ``probs``
    (or what ``measure(state, run)`` returns); ``wrap(state, fields)`` makes the result
    (default a :class:`~rlfoundations.PredictionSweepResult`).
    """
    n_runs = len(points)
    model = kernel_model(mdp, algorithm)
    single, batch = kernels
    if grows_path is None:
        grows_path = hasattr(state, "path_action")
    folded = np.zeros(n_runs, dtype=np.int64)
    return_sums = np.zeros(n_runs)
    length_sums = np.zeros(n_runs, dtype=np.int64)
    kept_returns = [np.empty(0) for _ in range(n_runs)]
    kept_lengths = [np.empty(0, dtype=np.int64) for _ in range(n_runs)]

    def call(stop: int) -> None:
        if n_runs == 1:
            one = settings._replace(**{name: getattr(settings, name)[0] for name in per_run})
            single(model, one, stop, type(state)(*(x[0] for x in state)))
        else:
            batch(model, settings, stop, state)

    def advance(stop: int) -> None:
        nonlocal state
        call(stop)
        while (state.cursor[:, _kernels.STEP] < stop).any():
            path = state.path_state.shape[1] if grows_path else 0
            if grows_path and (state.cursor[:, _kernels.EPISODE_STEP] >= path).any():
                state = state._replace(
                    **{
                        name: _widen(getattr(state, name), 2 * path)
                        for name in state._fields
                        if name.startswith("path_")
                    }
                )
            width = state.episode_returns.shape[1]
            full = (state.cursor[:, _kernels.N_EPISODES] >= width).any()
            if full and record_episodes:
                new = min(2 * width, n_steps + 1)
                returns = np.full((n_runs, new), np.nan)
                lengths = np.zeros((n_runs, new), dtype=np.int64)
                returns[:, :width] = state.episode_returns
                lengths[:, :width] = state.episode_lengths
                state = state._replace(episode_returns=returns, episode_lengths=lengths)
            elif full:
                fold()
            call(stop)

    def fold() -> None:
        counts = state.cursor[:, _kernels.N_EPISODES].copy()
        for run, count in enumerate(counts):
            carried = np.concatenate(([return_sums[run]], state.episode_returns[run, :count]))
            return_sums[run] = np.add.accumulate(carried)[-1]
            length_sums[run] += int(state.episode_lengths[run, :count].sum())
            kept_returns[run] = np.concatenate(
                [kept_returns[run], state.episode_returns[run, :count]]
            )[-LAST_EPISODES:]
            kept_lengths[run] = np.concatenate(
                [kept_lengths[run], state.episode_lengths[run, :count]]
            )[-LAST_EPISODES:]
        folded[:] += counts
        state.cursor[:, _kernels.N_EPISODES] = 0
        state.episode_returns.fill(np.nan)

    exact: list[np.ndarray | None] = [None] * n_runs
    acting = acting_states(mdp)
    curve_steps: list[int] = []
    curve_rms: list[np.ndarray] = []

    def rms_error(state, run: int) -> float:
        values = exact[run]
        if values is None:
            assert probs is not None  # None only with a measure of its own
            values = exact[run] = _exact_values(mdp, probs, float(settings.gamma[run]))
        gap = state.values[run][acting] - values[acting]
        return float(np.sqrt(np.mean(gap * gap)))

    measure = rms_error if measure is None else measure

    def evaluate(step: int) -> None:
        curve_steps.append(step)
        curve_rms.append(np.stack([measure(state, run) for run in range(n_runs)]))

    stops = [n_steps] if eval_every is None else [*range(eval_every, n_steps, eval_every), n_steps]
    chunked = progress is not None or on_interrupt == "return"
    chunk = max(CHUNK_STEPS // n_runs, 1 << 12) if chunked else n_steps
    interrupted = False
    try:
        if eval_every is not None:
            evaluate(0)
        done = 0
        for stop in stops:
            while done < stop:
                target = min(stop, done + chunk)
                advance(target)
                done = target
                if progress is not None:
                    progress(done, n_steps)
            if eval_every is not None:
                evaluate(done)
    except KeyboardInterrupt:
        if on_interrupt != "return":
            raise
        interrupted = True
        advance(int(state.cursor[:, _kernels.STEP].max()))

    if record_episodes:
        n_episodes = state.cursor[:, _kernels.N_EPISODES].copy()
        width = int(n_episodes.max())
        returns = state.episode_returns[:, :width].copy()
        lengths = state.episode_lengths[:, :width].copy()
    else:
        fold()
        n_episodes = folded.copy()
        width = max(len(kept) for kept in kept_returns)
        returns = np.full((n_runs, width), np.nan)
        lengths = np.zeros((n_runs, width), dtype=np.int64)
        for run in range(n_runs):
            returns[run, : len(kept_returns[run])] = kept_returns[run]
            lengths[run, : len(kept_lengths[run])] = kept_lengths[run]
    fields = {
        "episode_returns": returns,
        "episode_lengths": lengths,
        "n_episodes": n_episodes,
        "total_steps": int(state.cursor[:, _kernels.STEP].min()),
        "algorithm": algorithm,
        "seeds": np.array([c[0] for c in checked], dtype=np.uint64),
        "params": tuple(dict(point) for point in points),
        "curve_steps": None if eval_every is None else np.array(curve_steps, dtype=np.int64),
        "interrupted": interrupted,
    }
    curve = None if eval_every is None else np.stack(curve_rms, axis=1)
    if wrap is not None:
        summaries = (
            {} if record_episodes else {"return_sums": return_sums, "length_sums": length_sums}
        )
        return wrap(state, fields, curve, summaries)
    return PredictionSweepResult(values=state.values.copy(), curve_rms=curve, **fields)


def _widen(array: np.ndarray, width: int) -> np.ndarray:
    wider = np.zeros((array.shape[0], width), dtype=array.dtype)
    wider[:, : array.shape[1]] = array
    return wider


#: How ``td_prediction`` learns with ``lam`` given.
LAM_METHODS = {"true_online": _kernels.TRUE_ONLINE, "offline": _kernels.OFFLINE}


def _method(lam, lam_method) -> int:
    if not isinstance(lam_method, str) or lam_method not in LAM_METHODS:
        raise InvalidValueError(
            f"lam_method must be one of {sorted(LAM_METHODS)}, got {lam_method!r}"
        )
    if lam is None:
        if lam_method != "true_online":
            raise InvalidValueError(
                f"lam_method={lam_method!r} needs a lam in [0, 1]; lam=None is n-step TD"
            )
        return _kernels.N_STEP
    return LAM_METHODS[lam_method]


def _check_common(mdp, n_steps, eval_every, record_episodes, progress, on_interrupt):
    mdp = check_mdp(mdp)
    n_steps = check_steps("n_steps", n_steps)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    if not isinstance(record_episodes, bool):
        raise InvalidTypeError(f"record_episodes must be a bool, got {record_episodes!r}")
    progress, on_interrupt = check_progress(progress, on_interrupt)
    return mdp, n_steps, eval_every, progress, on_interrupt


def td_prediction(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    gamma: float,
    n_steps: int,
    *,
    n: int = 1,
    lam: float | None = None,
    lam_method: Literal["true_online", "offline"] = "true_online",
    alpha: float | Schedule = 0.1,
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> PredictionResult:
    """Learn a policy's state values by n-step TD, true online TD(lambda) or offline lambda-return.

    With ``lam=None``, n-step TD (Sutton and Barto, section 7.1; ``n=1`` is TD(0)): once
    R_{tau+n} is seen,

        G = R_{tau+1} + gamma R_{tau+2} + ... + gamma^(n-1) R_{tau+n} + gamma^n V(S_{tau+n})
        V(S_tau) <- V(S_tau) + alpha (G - V(S_tau))

    and at an episode's end the last states are updated with their returns to the end (a
    truncated episode bootstraps from the state it stopped in). With ``lam`` in [0, 1], true
    online TD(lambda) (section 12.6) for one-hot features: with
    delta = R + gamma V(S') - V(S),

        z <- gamma lambda z + (1 - alpha gamma lambda z(S)) 1_S
        V <- V + alpha (delta + V(S) - V_old) z - alpha (V(S) - V_old) 1_S,  V_old <- V(S')

    With ``lam_method="offline"``, the offline lambda-return algorithm (section 12.1, equation
    12.4): nothing changes during an episode; at its end (step T), with V frozen as it was
    during the episode, the lambda-return of every step,

        G_{t:h} = R_{t+1} + ... + gamma^(h-t-1) R_h + gamma^(h-t) V(S_h)   (V(S_T) = 0 if S_T ends)
        G^lambda_t = (1 - lambda) sum_{n=1}^{T-t-1} lambda^(n-1) G_{t:t+n} + lambda^(T-t-1) G_{t:T}

    then, for t = 0, 1, ..., T-1 in turn, V(S_t) <- V(S_t) + alpha (G^lambda_t - V(S_t)), with
    the step size of the episode's last step. ``lam=0`` is thus one-step TD with its targets
    R_{t+1} + gamma V(S_{t+1}) taken from the frozen values, ``lam=1`` constant-alpha
    every-visit Monte Carlo; a truncated episode bootstraps from the state it stopped in.

    Parameters
    ----------
    mdp : TabularMDP
        The model, simulated inside the kernel.
    policy : array_like of int, shape (S,), or array_like of float, shape (S, A)
        The policy evaluated: an action per state, or the probabilities ``policy[s, a]``.
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps.
    n : int
        The n of n-step TD (``lam=None`` only).
    lam : float, optional
        Lambda in [0, 1]: TD(lambda) (``lam_method``) instead of n-step TD.
    lam_method : {"true_online", "offline"}
        With ``lam``: true online TD(lambda), or the offline lambda-return algorithm.
    alpha : float or Schedule
        Step size in (0, 1] (a constant, linear or exponential schedule).
    seed : int
        Seed of the random stream, in [0, 2**64).
    eval_every : int, optional
        Every this many steps (and at 0 and ``n_steps``), the RMS error of the estimate
        against the exact values (``result.curve_rms``), over :func:`acting_states`.
    record_episodes : bool
        True keeps every episode's return and length; False only the last 100 (memory
        independent of ``n_steps``).
    progress : callable or bool, optional
        ``progress(steps_done, n_steps)`` after each chunk of steps, or True for a bar.
    on_interrupt : {"raise", "return"}
        On Ctrl-C, raise, or return what was learned (``result.interrupted``).

    Returns
    -------
    PredictionResult
        ``values`` (S,), the episode records and the learning curve.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.prediction.td_prediction`; twin:
    :func:`rlfoundations.reference.td_prediction` (bit-identical values for the same seed).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> walk = rlf.problems.random_walk(5)
    >>> alpha = rlf.Schedule.linear(0.1, 0.005, 50_000)
    >>> result = rlf.td_prediction(walk, [0] * 7, 1.0, 50_000, n=2, alpha=alpha, seed=1)
    >>> exact = rlf.policy_evaluation(walk, [0] * 7, 1.0).values
    >>> bool(abs(result.values - exact).max() < 0.05)  # true values 1/6 .. 5/6
    True
    """
    mdp, n_steps, eval_every, progress, on_interrupt = _check_common(
        mdp, n_steps, eval_every, record_episodes, progress, on_interrupt
    )
    probs = check_prediction_policy(mdp, policy)
    method = _method(lam, lam_method)
    point: dict[str, object] = {"gamma": gamma, "alpha": alpha, "seed": seed}
    if lam is None:
        point["n"] = n
    else:
        point["lam"] = lam
    if method == _kernels.OFFLINE:
        point["lam_method"] = lam_method
    result = _run(
        mdp,
        probs,
        method,
        [point],
        n_steps,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
    return result.run(0)


def prediction_sweep(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    algorithm: Literal["td_prediction", "monte_carlo_prediction"] = "td_prediction",
    *,
    gamma: float | Sequence[float],
    n_steps: int,
    seeds: int | Sequence[int],
    n: int | Sequence[int] = 1,
    lam: float | Sequence[float] | None = None,
    lam_method: Literal["true_online", "offline"] = "true_online",
    alpha: float | Schedule | Sequence[float | Schedule] = 0.1,
    first_visit: bool = True,
    behaviour: npt.ArrayLike | None = None,
    importance: Literal["ordinary", "weighted"] = "weighted",
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> PredictionSweepResult:
    """Run a prediction learner over a grid of seeds x hyper-parameters, in parallel.

    Parameters
    ----------
    mdp, policy, n_steps, eval_every, record_episodes, progress, on_interrupt
        As in :func:`td_prediction`.
    algorithm : {"td_prediction", "monte_carlo_prediction"}
        The learner.
    gamma, alpha, n, lam
        As in :func:`td_prediction`; each may be a list, an axis of the grid. ``n`` is an
        axis of n-step TD (``lam=None``), ``lam`` of TD(lambda); a list of ``n``
        with ``lam`` given is refused (every value would give the same runs), and so are
        lists of ``n``, ``lam`` or ``alpha`` for Monte Carlo (only ``gamma`` is an axis).
    lam_method : {"true_online", "offline"}
        As in :func:`td_prediction`, the same for every run (sweep the other by a second call).
    first_visit, behaviour, importance
        As in :func:`monte_carlo_prediction` (the same for every run).
    seeds : int or sequence of int
        Seeds, the fastest-varying axis of the grid.

    Returns
    -------
    PredictionSweepResult
        Stacked arrays, runs first, in grid order; ``result.run(i)`` equals the same run
        made alone with :func:`td_prediction`.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> walk = rlf.problems.random_walk(5)
    >>> result = rlf.prediction_sweep(
    ...     walk, [0] * 7, gamma=1.0, n_steps=1_000, seeds=range(3), n=[1, 4], alpha=0.1
    ... )
    >>> result.values.shape, result.params[4]
    ((6, 7), {'gamma': 1.0, 'alpha': 0.1, 'n': 4, 'seed': 1})
    """
    mdp, n_steps, eval_every, progress, on_interrupt = _check_common(
        mdp, n_steps, eval_every, record_episodes, progress, on_interrupt
    )
    if algorithm not in ("td_prediction", "monte_carlo_prediction"):
        raise InvalidValueError(
            f"algorithm must be 'td_prediction' or 'monte_carlo_prediction', got {algorithm!r}"
        )
    if algorithm == "monte_carlo_prediction":
        if lam_method != "true_online":
            raise InvalidValueError(
                f"lam_method={lam_method!r} is an option of td_prediction, not of "
                "monte_carlo_prediction"
            )
        for name, value in (("n", n), ("lam", lam), ("alpha", alpha)):
            if _is_axis(value):
                raise InvalidValueError(
                    f"{name}={value!r} is a sweep axis, but monte_carlo_prediction does not "
                    f"use {name}: every value would give the same runs. Drop the axis"
                )
        n, lam, alpha = None, None, None  # type: ignore[assignment]
    else:  # prediction_sweep ignores the Monte Carlo options, and n with lam given
        first_visit, behaviour, importance = None, None, None  # type: ignore[assignment]
        if lam is not None and not _is_axis(n):
            n = None  # type: ignore[assignment]
    shared, points = sweep_runs(
        mdp,
        algorithm,
        policy,
        gamma=gamma,
        seeds=seeds,
        n=n,
        lam=lam,
        alpha=alpha,
        first_visit=first_visit,
        behaviour=behaviour,
        importance=importance,
        lam_method=None if algorithm == "monte_carlo_prediction" else lam_method,
    )
    return run_sweep(
        mdp,
        shared,
        points,
        n_steps,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def sweep_runs(
    mdp: TabularMDP,
    algorithm: str,
    policy,
    *,
    gamma,
    seeds,
    n=None,
    lam=None,
    alpha=None,
    first_visit=None,
    behaviour=None,
    importance=None,
    lam_method=None,
) -> tuple[dict, list[dict]]:
    """The checked settings shared by a prediction sweep's runs, and its grid points.

    Every argument is checked here, before any kernel runs; None is the learner's default.
    Axes: ``gamma``, then ``alpha`` and ``n`` (n-step TD) or ``lam`` (TD(lambda), true online
    or offline by ``lam_method``, one for every run), seeds fastest. An option the learner
    does not take is refused (Monte Carlo takes no ``n``, ``lam``, ``alpha`` or
    ``lam_method``; TD no ``first_visit``, ``behaviour`` or ``importance``; TD(lambda) no
    ``n``).
    """
    seed_axis = [seeds] if is_number(seeds) else _axis("seeds", seeds)

    def refuse(name: str, value, reason: str) -> None:
        if value is not None:
            raise InvalidValueError(
                f"{algorithm} does not take {name} ({name}={value!r}): {reason}. Drop it"
            )

    if algorithm == "monte_carlo_prediction":
        for name, value in (("n", n), ("lam", lam), ("alpha", alpha), ("lam_method", lam_method)):
            refuse(name, value, "it averages whole returns")
        target, behaviour, first_visit = _check_monte_carlo(
            mdp,
            policy,
            behaviour,
            "weighted" if importance is None else importance,
            True if first_visit is None else first_visit,
        )
        points = [
            {"gamma": g, "seed": seed}
            for g, seed in itertools.product(_axis("gamma", gamma), seed_axis)
        ]
        for point in points:
            check_seed(point["seed"]), check_gamma(point["gamma"])
        shared = {
            "algorithm": algorithm,
            "target": target,
            "behaviour": behaviour,
            "importance": "weighted" if importance is None else importance,
            "first_visit": first_visit,
        }
        return shared, points
    for name, value in (
        ("first_visit", first_visit),
        ("behaviour", behaviour),
        ("importance", importance),
    ):
        refuse(name, value, "it is an option of monte_carlo_prediction")
    probs = check_prediction_policy(mdp, policy)
    method = _method(lam, "true_online" if lam_method is None else lam_method)
    if lam is not None and n is not None:
        word = "a sweep axis" if _is_axis(n) else "given"
        raise InvalidValueError(
            f"n={n!r} is {word}, but TD(lambda) (lam given) does not use n: "
            "drop it, or sweep n-step TD (lam=None)"
        )
    axes = {"gamma": gamma, "alpha": 0.1 if alpha is None else alpha}
    if lam is None:
        axes["n"] = 1 if n is None else n
    else:
        axes["lam"] = lam
    names = list(axes)
    options = {"lam_method": lam_method} if method == _kernels.OFFLINE else {}
    points = [
        dict(zip([*names, "seed"], values, strict=True)) | options
        for values in itertools.product(*(_axis(k, axes[k]) for k in names), seed_axis)
    ]
    for point in points:
        _check_point(point, method)
    return {"algorithm": algorithm, "probs": probs, "method": method}, points


def run_sweep(
    mdp: TabularMDP, shared: dict, points: list[dict], n_steps: int, **options
) -> PredictionSweepResult:
    """The runs of ``points`` with the settings :func:`sweep_runs` checked, in parallel."""
    if shared["algorithm"] == "monte_carlo_prediction":
        return _run_monte_carlo(
            mdp,
            shared["target"],
            shared["behaviour"],
            shared["importance"],
            shared["first_visit"],
            points,
            n_steps,
            **options,
        )
    return _run(mdp, shared["probs"], shared["method"], points, n_steps, **options)


def stack(results: list[PredictionSweepResult]) -> PredictionSweepResult:
    """Chunks of one sweep's runs, in grid order, as one result (episode arrays padded)."""
    width = max(result.episode_returns.shape[1] for result in results)

    def padded(array, fill):
        out = np.full((array.shape[0], width), fill, dtype=array.dtype)
        out[:, : array.shape[1]] = array
        return out

    first = results[0]
    return PredictionSweepResult(
        values=np.concatenate([r.values for r in results]),
        episode_returns=np.concatenate([padded(r.episode_returns, np.nan) for r in results]),
        episode_lengths=np.concatenate([padded(r.episode_lengths, 0) for r in results]),
        n_episodes=np.concatenate([r.n_episodes for r in results]),
        total_steps=min(r.total_steps for r in results),
        algorithm=first.algorithm,
        seeds=np.concatenate([r.seeds for r in results]),
        params=tuple(p for r in results for p in r.params),
        curve_steps=first.curve_steps,
        curve_rms=None
        if first.curve_rms is None
        else np.concatenate([r.curve_rms for r in results]),
        interrupted=any(r.interrupted for r in results),
    )


IMPORTANCE = {"ordinary": _kernels.ORDINARY, "weighted": _kernels.WEIGHTED}


def _check_behaviour(mdp: TabularMDP, target: np.ndarray, behaviour) -> np.ndarray:
    """The behaviour policy's probabilities; it must cover the target (b > 0 where pi > 0)."""
    if behaviour is None:
        return target
    probs = check_prediction_policy(mdp, behaviour, name="behaviour")
    uncovered = (target > 0.0) & (probs == 0.0)
    if uncovered.any():
        s, a = (int(i) for i in np.argwhere(uncovered)[0])
        raise InvalidValueError(
            f"behaviour[{s}, {a}] = 0 where policy[{s}, {a}] = {target[s, a]!r} "
            f"(state={s}, action={a}): importance sampling needs a behaviour policy that "
            "takes every action the target policy takes"
        )
    return probs


def _run_monte_carlo(
    mdp: TabularMDP,
    target: np.ndarray,
    behaviour: np.ndarray,
    importance: str,
    first_visit: bool,
    points: list[dict],
    n_steps: int,
    **options,
) -> PredictionSweepResult:
    """Every Monte Carlo run of ``points`` (``seed``, ``gamma``) for ``n_steps`` steps."""
    checked = [(check_seed(point["seed"]), check_gamma(point["gamma"])) for point in points]
    n_runs, n_states = len(points), mdp.n_states
    behaviour_cdf, behaviour_action = _policy_sampler(behaviour)
    settings = _kernels.MonteCarloSettings(
        target,
        behaviour_cdf,
        behaviour_action,
        behaviour,
        IMPORTANCE[importance],
        first_visit,
        np.array([c[1] for c in checked]),
    )
    path = min(n_steps, mdp.max_episode_steps or n_steps, INITIAL_PATH_CAPACITY)
    state = _kernels.MonteCarloState(
        values=np.zeros((n_runs, n_states)),
        weights=np.zeros((n_runs, n_states)),
        first=np.full((n_runs, n_states), -1, dtype=np.int64),
        path_state=np.zeros((n_runs, path), dtype=np.int64),
        path_action=np.zeros((n_runs, path), dtype=np.int64),
        path_reward=np.zeros((n_runs, path)),
        **_common_state(checked, n_steps),
    )
    kernels = (_kernels.monte_carlo_prediction, _kernels.monte_carlo_prediction_batch)
    return _drive(
        mdp,
        target,
        kernels,
        settings,
        state,
        ("gamma",),
        checked,
        points,
        n_steps,
        algorithm="monte_carlo_prediction",
        **options,
    )


def _check_monte_carlo(
    mdp, policy, behaviour, importance, first_visit
) -> tuple[np.ndarray, np.ndarray, bool]:
    target = check_prediction_policy(mdp, policy)
    behaviour = _check_behaviour(mdp, target, behaviour)
    if not isinstance(importance, str) or importance not in IMPORTANCE:
        raise InvalidValueError(
            f"importance must be one of {sorted(IMPORTANCE)}, got {importance!r}"
        )
    return target, behaviour, check_bool("first_visit", first_visit)


def monte_carlo_prediction(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    gamma: float,
    n_steps: int,
    *,
    first_visit: bool = True,
    behaviour: npt.ArrayLike | None = None,
    importance: Literal["ordinary", "weighted"] = "weighted",
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> PredictionResult:
    """Learn a policy's state values from whole episodes: Monte Carlo prediction.

    Sutton and Barto, sections 5.1 (first-visit and every-visit) and 5.5-5.6 (off-policy, by
    importance sampling). At an episode's end, backwards from its last step:

        G <- gamma G + R_{t+1},   W <- W pi(A_t | S_t) / b(A_t | S_t)
        ordinary:  N(S_t) += 1,  V(S_t) += (W G - V(S_t)) / N(S_t)
        weighted:  C(S_t) += W,  V(S_t) += W / C(S_t) (G - V(S_t))

    at every visit of S_t, or only its first in the episode. Without ``behaviour`` the
    episodes follow ``policy`` (W = 1: both are sample averages of the returns). A truncated
    episode (the model's time limit) has no complete return: it is recorded, not learned from.

    Parameters
    ----------
    mdp : TabularMDP
        The model, simulated inside the kernel.
    policy : array_like of int, shape (S,), or array_like of float, shape (S, A)
        The target policy whose values are learned.
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps.
    first_visit : bool
        Learn from the first visit of a state in an episode only (True), or from every visit.
    behaviour : array_like, shape (S,) or (S, A), optional
        The policy that acts (off-policy); it must take every action ``policy`` takes.
    importance : {"weighted", "ordinary"}
        Weighted or ordinary importance sampling (off-policy).
    seed : int
        Seed of the random stream, in [0, 2**64).
    eval_every, record_episodes, progress, on_interrupt
        As in :func:`td_prediction`.

    Returns
    -------
    PredictionResult
        ``values`` (S,), the episode records and the learning curve.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.prediction.monte_carlo_prediction`; twin:
    :func:`rlfoundations.reference.monte_carlo_prediction`.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> walk = rlf.problems.random_walk(5)
    >>> result = rlf.monte_carlo_prediction(walk, [0] * 7, 1.0, 20_000, seed=1)
    >>> result.values[1:6].round(1).tolist()
    [0.2, 0.3, 0.5, 0.7, 0.8]
    """
    mdp, n_steps, eval_every, progress, on_interrupt = _check_common(
        mdp, n_steps, eval_every, record_episodes, progress, on_interrupt
    )
    target, behaviour, first_visit = _check_monte_carlo(
        mdp, policy, behaviour, importance, first_visit
    )
    result = _run_monte_carlo(
        mdp,
        target,
        behaviour,
        importance,
        first_visit,
        [{"gamma": gamma, "seed": seed}],
        n_steps,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
    return result.run(0)
