"""Plain-Python drivers of the planning kernels: the decisions that are not arithmetic.

- how many sweeps each kernel call may take, so that the residual buffer grows with the
  sweeps actually taken (doubling), never with ``max_iter``: ``max_iter=10**10`` on a small
  model allocates what ran, not 75 GB;
- whether synchronous value iteration sweeps on one thread or on all Numba threads, decided
  by timing the solve's own first sweeps;
- the per-sweep history of a recorded value iteration.

Every call of a kernel here continues exactly where the previous one stopped (the kernels
take their values, and value iteration its pending Gauss-Seidel check, in and out), so a run
split into several calls gives the same result, bit for bit, as one call would. Called by
:mod:`rlfoundations.planning` with validated arguments and the model in block form.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np

from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels._jit import plain_python

__all__ = [
    "evaluate_policy_iterative",
    "modified_policy_iteration",
    "policy_iteration",
    "value_iteration",
]

#: Sweeps the first kernel call may take (the residual buffer's first size); it doubles.
FIRST_RESIDUALS = 1024
#: Models with at least this many (state, action, outcome) slots sweep on all Numba threads.
PARALLEL_MIN_SLOTS = 1 << 16
#: Sweeps that decide between a serial and a parallel value iteration (two parallel, one not).
PARALLEL_TRIAL_SWEEPS = 3


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
def parallel_pays(seconds: dict[bool, float]) -> bool:
    """Whether the trial's parallel sweep (``seconds[True]``) beat its serial one."""
    return seconds.get(True, math.inf) < seconds.get(False, math.inf)


@plain_python
def value_iteration(
    successor,
    continue_prob,
    reward,
    gamma,
    threshold,
    use_span,
    anchored,
    gauss_seidel,
    max_iter,
    values,
    history=None,
):
    """Run :func:`rlfoundations._kernels.planning.value_iteration` to its stopping rule or
    ``max_iter`` sweeps. With ``history`` (a list), one sweep per call, appending a copy of
    the values after each. Returns (sweeps done, converged, residuals)."""
    model = (successor, continue_prob, reward)
    check = False
    parallel = False

    def run(buffer, sweeps):
        nonlocal check
        settings = (gamma, threshold, use_span, anchored, gauss_seidel, parallel)
        if history is None:
            done, converged, check = kernels.value_iteration(
                *model, *settings, check, sweeps, values, buffer
            )
            return done, converged
        done, converged = 0, False
        while done < sweeps and not converged:
            _, converged, check = kernels.value_iteration(
                *model, *settings, check, 1, values, buffer[done:]
            )
            done += 1
            history.append(values.copy())
        return done, converged

    done, converged = 0, False
    residuals = np.empty(min(max_iter, max(FIRST_RESIDUALS, PARALLEL_TRIAL_SWEEPS)))
    time_threads = (
        not gauss_seidel and use_parallel(successor) and max_iter >= PARALLEL_TRIAL_SWEEPS
    )
    if history is None and not time_threads:
        # Most solves: one kernel call fills the first buffer (and no closure is called).
        done, converged, check = kernels.value_iteration(
            *model,
            gamma,
            threshold,
            use_span,
            anchored,
            gauss_seidel,
            False,
            False,
            residuals.shape[0],
            values,
            residuals,
        )
    elif time_threads:
        # A parallel sweep pays only while both cores are free: measure, on the solve's own
        # first sweeps (a parallel one warms the threads up first), and keep the faster.
        seconds: dict[bool, float] = {}
        for trial in (True, True, False):
            parallel = trial
            start = time.perf_counter()
            sweeps, converged = run(residuals[done:], 1)
            seconds[trial] = min(seconds.get(trial, math.inf), time.perf_counter() - start)
            done += sweeps
            if converged:
                break
        parallel = parallel_pays(seconds)
    if converged:
        return done, True, residuals[:done]
    return grown(run, max_iter, done, residuals)


@plain_python
def evaluate_policy_iterative(
    successor, continue_prob, reward, gamma, policy, threshold, max_iter, values
):
    """Run the iterative policy evaluation kernel; returns (sweeps, converged, residuals)."""

    def run(buffer, sweeps):
        return kernels.evaluate_policy_iterative(
            successor, continue_prob, reward, gamma, policy, threshold, sweeps, values, buffer
        )

    return grown(run, max_iter)


@plain_python
def modified_policy_iteration(
    successor,
    continue_prob,
    reward,
    gamma,
    threshold,
    use_span,
    anchored,
    n_evaluations,
    max_iter,
    values,
):
    """Run the modified policy iteration kernel; returns (iterations, converged, residuals)."""

    def run(buffer, sweeps):
        return kernels.modified_policy_iteration(
            successor,
            continue_prob,
            reward,
            gamma,
            threshold,
            use_span,
            anchored,
            n_evaluations,
            sweeps,
            values,
            buffer,
        )

    return grown(run, max_iter)


@plain_python
def policy_iteration(
    successor,
    continue_prob,
    reward,
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
    """Run the policy iteration kernel; returns (steps, converged, proper, residuals, exact,
    evaluated): whether the last evaluation was exact, and whether it met its tolerance
    within ``max_eval_iter`` sweeps."""
    proper = True
    # [evaluation tolerance, exact]: the kernel's state between calls. Undiscounted
    # policies are evaluated fully (a loose one could improve into a policy that never ends).
    state = np.array([math.inf if gamma < 1.0 else threshold, 1.0 if exact else 0.0, 1.0])

    def run(buffer, steps):
        nonlocal proper
        done, converged, proper = kernels.policy_iteration(
            successor,
            continue_prob,
            reward,
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
