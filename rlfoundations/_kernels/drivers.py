"""Plain-Python drivers of the planning kernels: the decisions that are not arithmetic.

- how many sweeps each kernel call may take, so that the residual buffer grows with the
  sweeps actually taken (doubling), never with ``max_iter``: ``max_iter=10**10`` on a small
  model allocates what ran, not 75 GB;
- whether synchronous value iteration sweeps on one thread or on all Numba threads, decided
  continuously by timing the solve's own sweeps (:class:`ThreadChoice`);
- the per-sweep history of a recorded value iteration.

Every call of a kernel here continues exactly where the previous one stopped (the kernels
take their values, and value iteration its progress, in and out), so a run
split into several calls gives the same result, bit for bit, as one call would. Called by
:mod:`rlfoundations.planning` with validated arguments and the model in either layout of
:func:`rlfoundations._kernels.layout.kernel_model` (each driver calls its layout's kernel).
"""

from __future__ import annotations

import math
import os
import time

import numba
import numpy as np

from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels import ragged
from rlfoundations._kernels._jit import plain_python

__all__ = [
    "evaluate_policy_iterative",
    "modified_policy_iteration",
    "policy_iteration",
    "value_iteration",
]

#: Sweeps the first kernel call may take (the residual buffer's first size); it doubles.
FIRST_RESIDUALS = 1024
#: Models with at least this many (state, action, outcome) slots sweep on all Numba threads
#: when that measures faster.
PARALLEL_MIN_SLOTS = 1 << 16
#: Seconds of sweeps per kernel call while the thread count is being decided (each call is
#: timed: shorter calls react sooner to a change of load, longer ones cost fewer calls).
CHUNK_SECONDS = 0.01
#: Most sweeps per timed kernel call.
MAX_CHUNK_SWEEPS = 64
#: Serial seconds before the first sweep on all threads is tried.
FIRST_TRIAL_SECONDS = 0.01
#: The same when, as the solve starts, every core already has a runnable thread: then a
#: parallel sweep waits for the scheduler (tens of milliseconds where a sweep takes less),
#: so it is tried only once a solve has run long enough to repay a trial that loses.
BUSY_FIRST_TRIAL_SECONDS = 0.25
#: The choice not taken is tried again (one sweep) once the one taken has run this many times
#: as long as the other's last sweep took; the factor doubles each time the trial loses, so
#: trials cost about 1 / 16 of the solve at most, and a change of load is seen within a
#: bounded fraction of it.
RETRIAL_PATIENCE = 16
MAX_RETRIAL_PATIENCE = 1 << 12
#: A chunk whose sweeps are this much slower than the other choice's last sweep triggers a
#: trial of the other choice at once (a job started beside the solve).
SWITCH_RATIO = 1.25


@plain_python
def grown(run, max_iter: int, done: int = 0, residuals: np.ndarray | None = None):
    """Call ``run(buffer, sweeps) -> (sweeps done, stop)`` until it stops or ``max_iter``
    sweeps are done, doubling the residual buffer between calls.

    ``run`` writes the residual of each sweep to ``buffer`` (a view of the buffer's unused
    tail). Returns (sweeps done, stopped, residuals of the sweeps done).
    """
    if residuals is None:
        residuals = np.empty(min(max_iter, FIRST_RESIDUALS))
    while done < max_iter:
        if residuals.shape[0] == done:
            more = min(max(residuals.shape[0], FIRST_RESIDUALS), max_iter - done)
            residuals = np.concatenate([residuals[:done], np.empty(more)])
        sweeps, stop = run(residuals[done:], residuals.shape[0] - done)
        done += sweeps
        if stop:
            return done, True, residuals[:done]
    return done, False, residuals[:done]


@plain_python
def use_parallel(successor) -> bool:
    """Whether a model is large enough for parallel sweeps to be worth a trial."""
    # The size first: asking Numba for its thread count costs half a microsecond.
    return successor.size >= PARALLEL_MIN_SLOTS and numba.get_num_threads() > 1


@plain_python
def cores_busy() -> bool:
    """Whether every core this process may use already runs another runnable thread.

    Read from the kernel's instantaneous count of runnable threads (``/proc/loadavg``, this
    thread included), a few microseconds; False where that count is not available.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as file:
            runnable = int(file.read().split()[3].split("/")[0])
        cores = len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):
        return False
    return runnable - 1 >= cores


class ThreadChoice:
    """Serial or parallel synchronous sweeps, decided as a solve runs, from its own sweeps.

    Sweeps run in timed chunks (:data:`CHUNK_SECONDS`). The solve starts serial; after
    :data:`FIRST_TRIAL_SECONDS` (:data:`BUSY_FIRST_TRIAL_SECONDS` if ``busy``: the cores
    were all taken as it started, :func:`cores_busy`) one parallel sweep is tried. From then
    on the choice taken
    is the one whose last measured sweep was faster, and the other is tried again (one
    sweep) once the choice taken has run :data:`RETRIAL_PATIENCE` times as long as that
    trial costs, the factor doubling after each trial that loses (exponential backoff). A
    chunk :data:`SWITCH_RATIO` times slower than the other choice's last sweep (another job
    started) tries the other choice at once. Only time is decided here: every sweep computes
    the same numbers on one thread or many.
    """

    def __init__(self, busy: bool = False) -> None:
        self.parallel = False
        self.cost: dict[bool, float | None] = {False: None, True: None}
        self.spent = 0.0
        self.patience = RETRIAL_PATIENCE
        self.first_trial = BUSY_FIRST_TRIAL_SECONDS if busy else FIRST_TRIAL_SECONDS

    def next_chunk(self) -> tuple[bool, int]:
        """(parallel, sweeps) of the next kernel call."""
        cost = self.cost[self.parallel]
        if cost is None:
            return self.parallel, 1
        other = self.cost[not self.parallel]
        wait = self.first_trial if other is None else self.patience * other
        if self.spent >= wait:
            return not self.parallel, 1
        sweeps = min(MAX_CHUNK_SWEEPS, max(1, int(CHUNK_SECONDS / max(cost, 1e-9))))
        # Reach the next trial on time, not a whole chunk late.
        sweeps = min(sweeps, max(1, math.ceil((wait - self.spent) / max(cost, 1e-9))))
        return self.parallel, sweeps

    def record(self, parallel: bool, sweeps: int, seconds: float) -> None:
        """Account for a kernel call of ``sweeps`` sweeps that took ``seconds``."""
        per_sweep = seconds / max(sweeps, 1)
        self.cost[parallel] = per_sweep
        other = self.cost[not parallel]
        if parallel == self.parallel:
            self.spent += seconds
            if other is not None and per_sweep > SWITCH_RATIO * other:
                self.spent = math.inf
        elif other is None or per_sweep < other:
            self.parallel = parallel
            self.spent = 0.0
            self.patience = RETRIAL_PATIENCE
        else:
            self.spent = 0.0
            self.patience = min(2 * self.patience, MAX_RETRIAL_PATIENCE)


@plain_python
def value_iteration(
    model,
    gamma,
    threshold,
    use_span,
    anchored,
    gauss_seidel,
    max_iter,
    values,
    history=None,
    parallel=None,
    extrapolate=True,
):
    """Run the value iteration kernel of ``model``'s layout to its stopping rule or
    ``max_iter`` sweeps: :func:`rlfoundations._kernels.planning.value_iteration_blocks` (or
    :func:`~rlfoundations._kernels.planning.gauss_seidel_blocks`) on the block layout
    (``kernel_model(mdp)``), :func:`rlfoundations._kernels.ragged.value_iteration_blocks` on
    a :class:`~.ragged.RaggedModel` (synchronous sweeps only). With ``history`` (a list),
    one sweep per call, appending a copy of the values after each. ``parallel`` forces the
    synchronous sweeps onto all threads (True) or one (False); None decides
    (:class:`ThreadChoice`, for large models, without ``history``). ``extrapolate``: a
    Jacobi run where episodes end (``use_span`` and ``anchored``) shifts its values in
    rounds (:func:`~rlfoundations._kernels.planning.jacobi_round`).
    Returns (sweeps done, converged, residuals)."""
    if gauss_seidel and isinstance(model, ragged.RaggedModel):
        raise ValueError("Gauss-Seidel sweeps read the block layout, not a ragged one")
    settings = (gamma, threshold, use_span, anchored)
    # The progress carried from call to call, with room for the values a shift moved (padded
    # to whole blocks); none, and the shifts off, for a Jacobi run that does not shift.
    shifts = gauss_seidel or (extrapolate and use_span and anchored)
    progress = kernels.value_iteration_progress(padded_states(model) if shifts else 0)
    # Gauss-Seidel runs decide too: their in-place sweeps are serial, their synchronous ones
    # (checks, and every sweep of a run that keeps them) take the threads chosen.
    decide = parallel is None and history is None and use_parallel(model[1])
    if decide:
        return _value_iteration_timed(model, settings, gauss_seidel, progress, max_iter, values)
    # None, not False: the kernel's serial specialisation, which holds no parallel code.
    forced = True if parallel else None

    def run(buffer, sweeps):
        if history is None:
            return _value_iteration_call(
                model, settings, gauss_seidel, forced, progress, sweeps, values, buffer
            )
        done, converged = 0, False
        while done < sweeps and not converged:
            _, converged = _value_iteration_call(
                model, settings, gauss_seidel, forced, progress, 1, values, buffer[done:]
            )
            done += 1
            history.append(values.copy())
        return done, converged

    return grown(run, max_iter)


@plain_python
def padded_states(model) -> int:
    """The states of ``model``'s layout, padded to whole blocks."""
    reward = model.reward if isinstance(model, ragged.RaggedModel) else model[2]
    return reward.shape[0] * reward.shape[-1]


@plain_python
def padded_values(model, values):
    """A copy of ``values`` padded to the whole blocks of ``model``'s layout with copies of
    the last state's value (as the layout's padding lanes copy the last state)."""
    current = np.empty(padded_states(model))
    current[: values.shape[0]] = values
    current[values.shape[0] :] = values[-1]
    return current


@plain_python
def _value_iteration_blocks(
    model, settings, gauss_seidel, parallel, progress, sweeps, current, following, values, buffer
):
    """One call of the value iteration kernel of ``model``'s layout on padded buffers:
    Gauss-Seidel if ``gauss_seidel``, else Jacobi. Returns (sweeps done, converged, whether
    the values are now in ``following``)."""
    if isinstance(model, ragged.RaggedModel):
        return ragged.value_iteration_blocks(
            *model, *settings, parallel, progress, sweeps, current, following, values, buffer
        )
    solve = kernels.gauss_seidel_blocks if gauss_seidel else kernels.value_iteration_blocks
    return solve(*model, *settings, parallel, progress, sweeps, current, following, values, buffer)


@plain_python
def _value_iteration_call(
    model, settings, gauss_seidel, parallel, progress, sweeps, values, buffer
):
    """One call of the value iteration kernel of ``model``'s layout from ``values`` (updated
    in place) on a padded copy; returns (sweeps done, converged)."""
    current = padded_values(model, values)
    done, converged, _ = _value_iteration_blocks(
        model,
        settings,
        gauss_seidel,
        parallel,
        progress,
        sweeps,
        current,
        np.empty_like(current),
        values,
        buffer,
    )
    return done, converged


@plain_python
def _value_iteration_timed(model, settings, gauss_seidel, progress, max_iter, values):
    """Value iteration in timed kernel calls on one padded pair of value buffers, each call
    on the threads :class:`ThreadChoice` picks."""
    current = padded_values(model, values)
    following = np.empty_like(current)
    choice = ThreadChoice(cores_busy())

    def run(buffer, sweeps):
        nonlocal current, following
        done = 0
        while done < sweeps:
            parallel, chunk = choice.next_chunk()
            chunk = min(chunk, sweeps - done)
            start = time.perf_counter()
            taken, converged, swapped = _value_iteration_blocks(
                model,
                settings,
                gauss_seidel,
                parallel,
                progress,
                chunk,
                current,
                following,
                values,
                buffer[done:],
            )
            choice.record(parallel, taken, time.perf_counter() - start)
            done += taken
            if swapped:
                current, following = following, current
            if converged:
                return done, True
        return done, False

    return grown(run, max_iter)


@plain_python
def layout_kernels(model):
    """The kernel module that reads ``model``: :mod:`.ragged` for a
    :class:`~.ragged.RaggedModel`, :mod:`.planning` for the block layout."""
    return ragged if isinstance(model, ragged.RaggedModel) else kernels


@plain_python
def evaluate_policy_iterative(model, gamma, policy, threshold, max_iter, values):
    """Run the iterative policy evaluation kernel of ``model``'s layout; returns (sweeps,
    converged, residuals)."""
    evaluate = layout_kernels(model).evaluate_policy_iterative

    def run(buffer, sweeps):
        return evaluate(*model, gamma, policy, threshold, sweeps, values, buffer)

    return grown(run, max_iter)


@plain_python
def modified_policy_iteration(
    model, gamma, threshold, use_span, anchored, n_evaluations, max_iter, values
):
    """Run the modified policy iteration kernel of ``model``'s layout; returns (iterations,
    converged, residuals)."""
    solve = layout_kernels(model).modified_policy_iteration

    def run(buffer, sweeps):
        return solve(
            *model, gamma, threshold, use_span, anchored, n_evaluations, sweeps, values, buffer
        )

    return grown(run, max_iter)


@plain_python
def policy_iteration(
    model,
    prob,
    terminated,
    full_successor,
    gamma,
    exact,
    exact_final,
    threshold,
    use_span,
    anchored,
    gap_scale,
    tie_tolerance,
    max_iter,
    max_eval_iter,
    policy,
    values,
    q_values,
):
    """Run the policy iteration kernel of ``model``'s layout; returns (steps, converged,
    proper, residuals, exact, evaluated): whether the last evaluation was exact, and whether
    it met its tolerance within ``max_eval_iter`` sweeps."""
    proper = True
    # [evaluation tolerance, exact]: the kernel's state between calls. Undiscounted
    # policies are evaluated fully (a loose one could improve into a policy that never ends).
    state = np.array([math.inf if gamma < 1.0 else threshold, 1.0 if exact else 0.0, 1.0])
    solve = layout_kernels(model).policy_iteration

    def run(buffer, steps):
        nonlocal proper
        done, converged, proper = solve(
            *model,
            prob,
            terminated,
            full_successor,
            gamma,
            exact_final,
            threshold,
            use_span,
            anchored,
            gap_scale,
            tie_tolerance,
            steps,
            max_eval_iter,
            policy,
            values,
            q_values,
            buffer,
            state,
        )
        return done, converged or not proper

    done, stopped, residuals = grown(run, max_iter)
    return done, stopped and proper, proper, residuals, bool(state[1]), bool(state[2])
