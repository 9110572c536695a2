"""Pure-Python twins of the exact solvers: plain loops that read like the textbook.

Same names and signatures as :mod:`rlfoundations.planning`; no NumPy vectorisation, no
Numba. Slow by design: they are the oracles the kernels are tested against. Every backup is

    Q(s, a) = R(s, a) + gamma * sum_{k: not terminated} P_k * V(s'_k)
    R(s, a) = sum_k P_k * r_k

summed outcome by outcome in slot order; ties between actions go to the lowest index.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import ConvergenceWarning, NonTerminationWarning, PlanningResult

__all__ = [
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "value_iteration",
]

DEFAULT_MAX_ITER = 10_000
EXACT_EVALUATION_MAX_STATES = 2_000
#: As in the kernels: Gauss-Seidel's synchronous check comes after at most this many sweeps.
GAUSS_SEIDEL_CHECK_EVERY = 12
#: As in the kernels: where episodes never end, the in-place sweeps of the probe round.
GAUSS_SEIDEL_PROBE = 4
#: As in the kernels: Jacobi's rounds, where episodes end, are this many sweeps.
JACOBI_SHIFT_EVERY = GAUSS_SEIDEL_CHECK_EVERY
#: As in the kernels: where episodes end, the shifts start at the first check whose mean
#: change is at least this fraction of the midpoint of its extremes.
GAUSS_SEIDEL_MEAN_CHANGE = 0.7
#: As in the kernels (their vector width): Gauss-Seidel sweeps update states in blocks of
#: this many, each block from the values before it.
GAUSS_SEIDEL_BLOCK = 8
#: As in rlfoundations.planning: modified policy iteration's default partial evaluations.
DEFAULT_EVALUATIONS = 30
#: As in rlfoundations.planning: policy iteration's inexact evaluations, per unit of gap.
EVALUATION_GAP_RATIO = 10.0


#: As in rlfoundations.planning: the bounds' relative widening for the backup's rounding.
CERTIFICATE_ROUNDING = 2.0**-40


def allowed(mdp: TabularMDP, s: int, a: int) -> bool:
    """Whether ``mdp.action_mask`` allows action ``a`` in state ``s``."""
    return mdp.action_mask is None or bool(mdp.action_mask[s, a])


def expected_reward(mdp: TabularMDP, s: int, a: int) -> float:
    """R(s, a) = sum_k P(k | s, a) * r_k; -inf for an action the mask forbids."""
    if not allowed(mdp, s, a):
        return -math.inf
    total = 0.0
    for k in range(mdp.max_outcomes):
        total += float(mdp.prob[s, a, k]) * float(mdp.reward[s, a, k])
    return total


def action_value(mdp: TabularMDP, values: list, gamma: float, s: int, a: int) -> float:
    """Q(s, a) = R(s, a) + gamma * sum over continuing outcomes of P_k * V(s'_k)."""
    future = 0.0
    for k in range(mdp.max_outcomes):
        if not mdp.terminated[s, a, k]:
            future += float(mdp.prob[s, a, k]) * values[int(mdp.next_state[s, a, k])]
    return expected_reward(mdp, s, a) + gamma * future


def best_action(mdp: TabularMDP, values: list, gamma: float, s: int) -> tuple[float, int, list]:
    """max_a Q(s, a), its lowest-index argmax, and the row Q(s, .)."""
    q_row = [action_value(mdp, values, gamma, s, a) for a in range(mdp.n_actions)]
    best = 0
    for a in range(1, mdp.n_actions):
        if q_row[a] > q_row[best]:
            best = a
    return q_row[best], best, q_row


def stopping_threshold(epsilon: float, gamma: float, factor: float) -> float:
    """The threshold epsilon (1 - gamma) / (factor gamma); epsilon itself when gamma = 1."""
    if gamma == 0.0:
        return math.inf
    if gamma == 1.0:
        return epsilon
    return epsilon * (1.0 - gamma) / (factor * gamma)


def non_terminating_states(mdp: TabularMDP, policy: list) -> list:
    """States from which ``policy`` ends the episode with probability < 1."""

    def outcomes(s):
        a = policy[s]
        for k in range(mdp.max_outcomes):
            if mdp.prob[s, a, k] > 0.0:
                yield int(mdp.next_state[s, a, k]), bool(mdp.terminated[s, a, k])

    can_end = [any(done for _, done in outcomes(s)) for s in range(mdp.n_states)]
    changed = True
    while changed:
        changed = False
        for s in range(mdp.n_states):
            if not can_end[s] and any(not done and can_end[t] for t, done in outcomes(s)):
                can_end[s] = changed = True
    stuck = [not end for end in can_end]
    changed = True
    while changed:
        changed = False
        for s in range(mdp.n_states):
            if not stuck[s] and any(not done and stuck[t] for t, done in outcomes(s)):
                stuck[s] = changed = True
    return stuck


def reward_scale(mdp: TabularMDP) -> float:
    """The largest |reward| of a possible outcome of an allowed action."""
    largest = 0.0
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for k in range(mdp.max_outcomes):
                if mdp.prob[s, a, k] > 0.0 and allowed(mdp, s, a):
                    largest = max(largest, abs(float(mdp.reward[s, a, k])))
    return largest


def macqueen_bounds(backup: list, values: list, gamma: float, anchor: list, terms: float) -> tuple:
    """Bounds on V from one backup (Puterman, Theorem 6.6.3).

    With c = gamma / (1 - gamma) and d = backup - values,
    backup + c min(d) <= V <= backup + c max(d), for backup = T values (V = V*) or
    T_pi values (V = V^pi); ``anchor`` [0.0] adds the end state's change. Widened by
    CERTIFICATE_ROUNDING of their size plus ``terms`` (the size of what a backup sums).
    Returns (lower, upper) lists.
    """
    scale = gamma / (1.0 - gamma)
    changes = [new - old for new, old in zip(backup, values, strict=True)] + anchor
    low, high = min(changes), max(changes)
    spread = scale * (abs(low) + abs(high)) + terms
    lower, upper = [], []
    for value in backup:
        margin = CERTIFICATE_ROUNDING * (abs(value) + spread)
        lower.append(value + scale * low - margin)
        upper.append(value + scale * high + margin)
    return lower, upper


def certificates(mdp, gamma, values, q_values, policy, evaluated=None) -> tuple:
    """(lower, upper, suboptimality).

    Bounds on V* (a solver) or on V^pi (``evaluated`` is "exact" or "iterative"), and
    max_s V*(s) - V^pi(s) <= suboptimality.
    """
    n = mdp.n_states
    anchor = [0.0] if can_terminate(mdp) else []
    own = [q_values[s][policy[s]] for s in range(n)]
    terms = reward_scale(mdp) + gamma * max(abs(value) for value in values)
    best = [max(row) for row in q_values]
    if evaluated == "exact":
        lower, upper = list(values), list(values)
        policy_lower = lower
    elif gamma == 1.0:
        return [math.nan] * n, [math.nan] * n, math.nan
    elif evaluated == "iterative":
        lower, upper = macqueen_bounds(own, values, gamma, anchor, terms)
        policy_lower = lower
    else:
        lower, upper = macqueen_bounds(best, values, gamma, anchor, terms)
        policy_lower = macqueen_bounds(own, values, gamma, anchor, terms)[0]
    if gamma == 1.0:
        return lower, upper, math.nan
    optimal_upper = (
        upper if evaluated is None else macqueen_bounds(best, values, gamma, anchor, terms)[1]
    )
    return (
        lower,
        upper,
        max(high - low for high, low in zip(optimal_upper, policy_lower, strict=True)),
    )


def prefer_termination(mdp, q_values, policy, tolerance) -> None:
    """With gamma = 1, switch the states the greedy policy never ends from.

    Round by round, they take their lowest action within ``tolerance * (1 + |max|)`` of the
    best whose outcomes can terminate or reach a state that ends surely (a backward search
    from termination).
    """
    handled = [not stuck for stuck in non_terminating_states(mdp, policy)]
    changed = True
    while changed:
        changed = False
        previous = list(handled)
        for s in range(mdp.n_states):
            if handled[s]:
                continue
            best = max(q_values[s])
            floor = best - tolerance * (1.0 + abs(best))
            for a in range(mdp.n_actions):
                if q_values[s][a] >= floor and any(
                    mdp.prob[s, a, k] > 0.0
                    and (mdp.terminated[s, a, k] or previous[int(mdp.next_state[s, a, k])])
                    for k in range(mdp.max_outcomes)
                ):
                    policy[s] = a
                    handled[s] = changed = True
                    break


def _result(
    mdp, gamma, method, values, iterations, converged, residuals, history=None, tolerance=0.0
):
    q_values, policy = [], []
    for s in range(mdp.n_states):
        _, action, q_row = best_action(mdp, values, gamma, s)
        q_values.append(q_row)
        policy.append(action)
    non_terminating = None
    if gamma == 1.0:
        prefer_termination(mdp, q_values, policy, tolerance)
        non_terminating = np.array(non_terminating_states(mdp, policy), dtype=bool)
        if non_terminating.any():
            warnings.warn(
                "the greedy policy never ends the episode from some states",
                NonTerminationWarning,
                stacklevel=3,
            )
    finite = all(math.isfinite(value) for value in values)
    if not converged or not finite:
        warnings.warn(f"{method} stopped at max_iter", ConvergenceWarning, stacklevel=3)
    lower, upper, suboptimality = certificates(mdp, gamma, values, q_values, policy)
    return PlanningResult(
        values=np.array(values, dtype=np.float64),
        q_values=np.array(q_values, dtype=np.float64).reshape(mdp.n_states, mdp.n_actions),
        policy=np.array(policy, dtype=np.int64),
        iterations=iterations,
        converged=converged and finite,
        residuals=np.array(residuals, dtype=np.float64),
        gamma=float(gamma),
        method=method,
        history=None if history is None else np.array(history, dtype=np.float64),
        non_terminating=non_terminating,
        lower=np.array(lower, dtype=np.float64),
        upper=np.array(upper, dtype=np.float64),
        suboptimality=float(suboptimality),
    )


def can_terminate(mdp: TabularMDP) -> bool:
    """Whether some outcome with positive probability ends the episode."""
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for k in range(mdp.max_outcomes):
                if mdp.terminated[s, a, k] and mdp.prob[s, a, k] > 0.0:
                    return True
    return False


def macqueen_midpoint(values: list, changes: list, gamma: float) -> list:
    """MacQueen's bounds (Puterman, Theorem 6.6.3), and the middle of the two.

    After V' = T V, V' + gamma / (1 - gamma) * min(V' - V) <= V* <= V' + gamma / (1 - gamma) *
    max(V' - V); the middle of the two is within half their gap of V*.
    """
    shift = gamma / (1.0 - gamma) * (0.5 * (min(changes) + max(changes)))
    if shift == 0.0:
        return values
    return [value + shift for value in values]


def shifted(values: list, changes: list, gamma: float) -> list:
    """Every value plus gamma / (1 - gamma) * (min + max) / 2 of ``changes`` (MacQueen)."""
    shift = gamma / (1.0 - gamma) * (0.5 * (min(changes) + max(changes)))
    return [value + shift for value in values]


def power(base: float, exponent: int) -> float:
    """``base ** exponent`` (``exponent >= 1``) by repeated multiplication, as the kernels."""
    result = base
    for _ in range(exponent - 1):
        result = result * base
    return result


class JacobiRounds:
    """What a value iteration whose episodes end carries from sweep to sweep.

    Its sweeps in this round, the mean change of the round's next-to-last sweep, the
    statistic the round after a shift must beat (infinite when the last round did not
    shift), and the values before that shift.
    """

    def __init__(self) -> None:
        self.sweeps, self.mean, self.target = 0, 0.0, math.inf
        self.saved: list[float] = []


def jacobi_round(
    rounds: JacobiRounds, values: list, free_changes: list, statistic: float, gamma: float
) -> tuple[list, bool]:
    """After a failed synchronous sweep, the end of a round of ``JACOBI_SHIFT_EVERY``, if it is one.

    A round after a shift that does not beat its target restores the values before the shift
    and ends the shifts; a round whose change is close to a constant shifts the values by
    ``rate / (1 - rate)`` times its change's midpoint, ``rate`` the ratio of its last two
    sweeps' mean changes if positive, at most gamma (see the kernel). Returns (values,
    whether the shifts go on).
    """
    rounds.sweeps += 1
    if rounds.sweeps < JACOBI_SHIFT_EVERY - 1:
        return values, True
    total = 0.0
    largest = 0.0
    for change, value in zip(free_changes, values, strict=True):
        total += change
        largest = max(largest, abs(value))
    mean = total / len(values)
    if rounds.sweeps < JACOBI_SHIFT_EVERY:
        rounds.mean = mean
        return values, True
    rounds.sweeps = 0
    if rounds.target != math.inf:
        if not statistic < rounds.target:
            return rounds.saved, False
        rounds.target = math.inf
    middle = 0.5 * (min(free_changes) + max(free_changes))
    if middle == 0.0 or not GAUSS_SEIDEL_MEAN_CHANGE <= mean / middle or rounds.mean == 0.0:
        return values, True
    rate = min(mean / rounds.mean, gamma)
    shift = rate / (1.0 - rate) * middle
    if 0.0 < rate and largest + abs(shift) < math.inf:
        rounds.saved = values
        rounds.target = statistic * power(rate, JACOBI_SHIFT_EVERY)
        return [value + shift for value in values], True
    return values, True


def value_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
    gauss_seidel: bool = False,
    record: bool = False,
    initial_values: Iterable[float] | None = None,
    extrapolate: bool = True,
) -> PlanningResult:
    """V(s) <- max_a Q(s, a) for every state, until the change is small (see planning.py)."""
    max_iter = DEFAULT_MAX_ITER if max_iter is None else max_iter
    gamma = float(gamma)
    values = [0.0] * mdp.n_states if initial_values is None else [float(v) for v in initial_values]
    threshold = stopping_threshold(epsilon, gamma, 1.0)
    use_span = gamma < 1.0
    # Ending an episode moves to an absorbing state of value 0: its change, 0, counts too.
    anchor = [0.0] if can_terminate(mdp) else []
    history = [list(values)] if record else None
    residuals = []
    converged = False
    # Gauss-Seidel: in-place sweeps, checked by a synchronous sweep every few of them.
    check, since_check, shifting, last_statistic, saved = False, 0, True, math.inf, values
    # Where episodes end: the statistic a check must beat for the shifts to go on (infinite
    # until the first shift).
    target = math.inf
    # Where episodes never end: two synchronous sweeps measure their contraction, and the
    # first round of in-place sweeps (a short probe, then full ones) that does no better
    # than as many of them ends the in-place sweeps (see the kernel).
    probing = gauss_seidel and use_span and not anchor
    stage, rate = "first", 0.0
    # Jacobi where episodes end: every few synchronous sweeps end a round, which may shift
    # the values, restore them or end the shifts (see jacobi_round).
    rounds = JacobiRounds() if not gauss_seidel and extrapolate and use_span and anchor else None
    for _ in range(max_iter):
        in_place = gauss_seidel and not check
        if probing and stage in ("first", "second", "synchronous"):
            in_place = False
        if in_place:
            # Block Gauss-Seidel: a block of states backs up from the values before it,
            # later blocks see its new values.
            largest = 0.0
            for first in range(0, mdp.n_states, GAUSS_SEIDEL_BLOCK):
                block = range(first, min(first + GAUSS_SEIDEL_BLOCK, mdp.n_states))
                new_values = [best_action(mdp, values, gamma, s)[0] for s in block]
                for s, new_value in zip(block, new_values, strict=True):
                    largest = max(largest, abs(new_value - values[s]))
                    values[s] = new_value
            residuals.append(largest)
            since_check += 1
            every = (
                GAUSS_SEIDEL_PROBE if probing and stage == "probing" else GAUSS_SEIDEL_CHECK_EVERY
            )
            check = largest < threshold or (use_span and since_check >= every)
        else:
            new_values = [best_action(mdp, values, gamma, s)[0] for s in range(mdp.n_states)]
            free_changes = [new - old for new, old in zip(new_values, values, strict=True)]
            changes = free_changes + anchor
            values = new_values
            residuals.append(max(max(changes), -min(changes)))
            statistic = max(changes) - min(changes) if use_span else residuals[-1]
            converged = statistic < threshold
            if converged and use_span and not anchor:
                values = macqueen_midpoint(values, changes, gamma)
            # A failed check in a Gauss-Seidel run resumes in-place sweeps, except in the
            # stages of a probing run that sweep synchronously.
            resume = gauss_seidel and not converged
            if resume and probing:
                if stage == "first":
                    stage, rate, resume = "second", statistic, False
                elif stage == "second":
                    stage, rate = "probing", statistic / rate
                elif stage in ("probing", "in place"):
                    # Each round against as many synchronous sweeps at their rate.
                    resume = power(rate, since_check + 1) > statistic / last_statistic
                    stage = "in place" if resume else "synchronous"
                elif stage == "synchronous":
                    resume = False
            if rounds is not None and shifting and not converged:
                values, shifting = jacobi_round(rounds, values, free_changes, statistic, gamma)
            if resume:
                round_sweeps = since_check + 1
                check, since_check = False, 0
                # A failed check moves the values to MacQueen's midpoint (end state not
                # counted), until a check does no better than the one before: that one
                # restores the values the last move moved, whose statistic stays the last.
                # Where episodes end, the checks before the first shift have none to judge.
                waiting = bool(anchor) and target == math.inf
                if use_span and shifting and not waiting and not statistic < last_statistic:
                    shifting, values = False, saved
                else:
                    shift = use_span and shifting
                    if shift and anchor:
                        # Where episodes end, the shifts start at the first check whose mean
                        # change is close to its midpoint, and end (values kept) at a check
                        # no better than that one's times gamma ** (2 * sweeps since).
                        if waiting:
                            middle = 0.5 * (min(free_changes) + max(free_changes))
                            total = 0.0
                            for change in free_changes:
                                total += change
                            mean = total / mdp.n_states
                            shift = middle != 0.0 and GAUSS_SEIDEL_MEAN_CHANGE <= mean / middle
                            if shift:
                                target = statistic
                        else:
                            target = target * power(gamma, 2 * round_sweeps)
                            shift = shifting = statistic < target
                    if shift:
                        saved = values
                        values = shifted(values, free_changes, gamma)
                    last_statistic = statistic
        if record:
            history.append(list(values))  # type: ignore[union-attr]
        if converged:
            break
    method = "value_iteration (gauss-seidel)" if gauss_seidel else "value_iteration"
    return _result(
        mdp, gamma, method, values, len(residuals), converged, residuals, history, epsilon
    )


def _solve_linear(matrix: list, rhs: list) -> list | None:
    """Gaussian elimination with partial pivoting; None if the matrix is singular."""
    n = len(rhs)
    for col in range(n):
        pivot = col
        for row in range(col + 1, n):
            if abs(matrix[row][col]) > abs(matrix[pivot][col]):
                pivot = row
        if abs(matrix[pivot][col]) < 1e-12:
            return None
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        for row in range(col + 1, n):
            factor = matrix[row][col] / matrix[col][col]
            if factor != 0.0:
                for j in range(col, n):
                    matrix[row][j] -= factor * matrix[col][j]
                rhs[row] -= factor * rhs[col]
    solution = [0.0] * n
    for row in range(n - 1, -1, -1):
        total = rhs[row]
        for j in range(row + 1, n):
            total -= matrix[row][j] * solution[j]
        solution[row] = total / matrix[row][row]
    return solution


def _evaluate_exact(mdp: TabularMDP, policy: list, gamma: float) -> list | None:
    """Solve V = R_pi + gamma P_pi V, i.e. (I - gamma P_pi) V = R_pi."""
    n = mdp.n_states
    matrix = [[0.0] * n for _ in range(n)]
    rhs = [0.0] * n
    for s in range(n):
        a = policy[s]
        matrix[s][s] += 1.0
        for k in range(mdp.max_outcomes):
            if not mdp.terminated[s, a, k]:
                matrix[s][int(mdp.next_state[s, a, k])] -= gamma * float(mdp.prob[s, a, k])
        rhs[s] = expected_reward(mdp, s, a)
    return _solve_linear(matrix, rhs)


def _evaluate_iterative(mdp, policy, gamma, threshold, max_iter, values):
    """V(s) <- Q(s, pi(s)) for every state until the change is below threshold."""
    residuals = []
    for _ in range(max_iter):
        new_values = [action_value(mdp, values, gamma, s, policy[s]) for s in range(mdp.n_states)]
        residuals.append(max(abs(new - old) for new, old in zip(new_values, values, strict=True)))
        values = new_values
        if residuals[-1] < threshold:
            return values, residuals, True
    return values, residuals, False


def _evaluate_bounded(mdp, policy, gamma, threshold, anchor, max_iter, values):
    """V(s) <- Q(s, pi(s)) until the change is below threshold; returns (values, converged).

    The change is measured by its span with gamma < 1 (the end state's change ``anchor``
    included), else its sup norm; after a span stop where episodes never end, the values
    move to the middle of MacQueen's bounds on the policy's values.
    """
    for _ in range(max_iter):
        new_values = [action_value(mdp, values, gamma, s, policy[s]) for s in range(mdp.n_states)]
        changes = [new - old for new, old in zip(new_values, values, strict=True)] + anchor
        values = new_values
        if gamma < 1.0:
            statistic = max(changes) - min(changes)
        else:
            statistic = max(max(changes), -min(changes))
        if statistic < threshold:
            if gamma < 1.0 and not anchor:
                values = macqueen_midpoint(values, changes, gamma)
            return values, True
    return values, False


def policy_evaluation(
    mdp: TabularMDP,
    policy: Iterable[int],
    gamma: float,
    *,
    method: str = "auto",
    epsilon: float = 1e-10,
    max_iter: int | None = None,
    initial_values: Iterable[float] | None = None,
) -> PlanningResult:
    """V_pi, by a direct linear solve or by iterating V <- T_pi V."""
    policy = [int(a) for a in policy]
    gamma = float(gamma)
    max_iter = DEFAULT_MAX_ITER if max_iter is None else max_iter
    if method == "auto":
        method = "exact" if mdp.n_states <= EXACT_EVALUATION_MAX_STATES else "iterative"
    if any(not allowed(mdp, s, policy[s]) for s in range(mdp.n_states)):
        raise InvalidValueError("the policy chooses an action mdp.action_mask forbids")
    if gamma == 1.0 and any(non_terminating_states(mdp, policy)):
        raise InvalidValueError("with gamma=1 the policy never ends the episode from some state")
    if method == "exact":
        values = _evaluate_exact(mdp, policy, gamma)
        if values is None:
            raise ValueError("the policy's linear system is singular")
        residuals, converged = [0.0], True
    else:
        start = (
            [0.0] * mdp.n_states if initial_values is None else [float(v) for v in initial_values]
        )
        values, residuals, converged = _evaluate_iterative(
            mdp, policy, gamma, stopping_threshold(epsilon, gamma, 1.0), max_iter, start
        )
        if not converged:
            warnings.warn("policy_evaluation stopped at max_iter", ConvergenceWarning, stacklevel=2)
    q_values = [
        [action_value(mdp, values, gamma, s, a) for a in range(mdp.n_actions)]
        for s in range(mdp.n_states)
    ]
    lower, upper, suboptimality = certificates(mdp, gamma, values, q_values, policy, method)
    return PlanningResult(
        values=np.array(values, dtype=np.float64),
        q_values=np.array(q_values, dtype=np.float64).reshape(mdp.n_states, mdp.n_actions),
        policy=np.array(policy, dtype=np.int64),
        iterations=len(residuals),
        converged=converged,
        residuals=np.array(residuals, dtype=np.float64),
        gamma=gamma,
        method=f"policy_evaluation ({method})",
        lower=np.array(lower, dtype=np.float64),
        upper=np.array(upper, dtype=np.float64),
        suboptimality=float(suboptimality),
    )


def proper_policy(mdp: TabularMDP) -> tuple[list, list]:
    """Round by round, give a state the lowest allowed action that can end or reach a handled one.

    A handled state is one handled in an earlier round. Returns (policy, handled).
    """
    policy = [0] * mdp.n_states
    handled = [False] * mdp.n_states
    changed = True
    while changed:
        changed = False
        previous = list(handled)
        for s in range(mdp.n_states):
            if handled[s]:
                continue
            for a in range(mdp.n_actions):
                if allowed(mdp, s, a) and any(
                    mdp.prob[s, a, k] > 0.0
                    and (mdp.terminated[s, a, k] or previous[int(mdp.next_state[s, a, k])])
                    for k in range(mdp.max_outcomes)
                ):
                    policy[s] = a
                    handled[s] = changed = True
                    break
    return policy, handled


def policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    evaluation: str = "auto",
    epsilon: float = 1e-10,
    max_iter: int = 1_000,
    tie_tolerance: float = 1e-10,
    initial_policy: Iterable[int] | None = None,
) -> PlanningResult:
    """Evaluate the policy, switch each state to a strictly better action, repeat.

    Inexact evaluation (unless ``evaluation="exact"``, or ``"auto"`` with gamma = 1 on a
    small model): each policy is swept from the previous one's values until MacQueen's
    bounds pin its values to within ``EVALUATION_GAP_RATIO`` of the last improvement's gap;
    a policy no state leaves is then evaluated exactly (``"auto"``, small models) or to
    ``epsilon``, and the run stops at the first such policy no state leaves.
    """
    gamma = float(gamma)
    small = mdp.n_states <= EXACT_EVALUATION_MAX_STATES
    exact = evaluation == "exact" or (evaluation == "auto" and small and gamma == 1.0)
    exact_final = evaluation == "auto" and small and not exact
    threshold = stopping_threshold(epsilon, gamma, 1.0)
    gap_scale = math.inf if gamma == 0.0 else EVALUATION_GAP_RATIO * (1.0 - gamma) / gamma
    tolerance = math.inf if gamma < 1.0 else threshold
    anchor = [0.0] if can_terminate(mdp) else []
    if initial_policy is not None:
        policy = [int(a) for a in initial_policy]
    elif gamma == 1.0:
        policy, handled = proper_policy(mdp)
        if not all(handled):
            raise InvalidValueError(
                "with gamma=1 some state cannot end the episode under any policy"
            )
    else:
        # Myopic start: the action with the best expected immediate reward.
        policy = [best_action(mdp, [0.0] * mdp.n_states, 0.0, s)[1] for s in range(mdp.n_states)]
    values = [0.0] * mdp.n_states
    q_values = [[0.0] * mdp.n_actions for _ in range(mdp.n_states)]
    residuals = []
    converged, proper, evaluated = False, True, True
    for _ in range(max_iter):
        if gamma == 1.0 and any(non_terminating_states(mdp, policy)):
            proper = False
            break
        tolerance = max(threshold, tolerance)
        if exact:
            new_values = _evaluate_exact(mdp, policy, gamma)
            if new_values is None:
                proper = False
                break
            evaluated = True
        else:
            new_values, evaluated = _evaluate_bounded(
                mdp, policy, gamma, tolerance, anchor, DEFAULT_MAX_ITER, values
            )
        residuals.append(max(abs(new - old) for new, old in zip(new_values, values, strict=True)))
        values = new_values
        changed = 0
        gap = 0.0
        for s in range(mdp.n_states):
            best_value, best, q_values[s] = best_action(mdp, values, gamma, s)
            advantage = best_value - q_values[s][policy[s]]
            gap = max(gap, advantage)
            if advantage > tie_tolerance * (1.0 + abs(best_value)):
                policy[s] = best
                changed += 1
        if changed > 0:
            tolerance = min(tolerance, gap_scale * gap)
        elif exact or (tolerance <= threshold and not exact_final):
            converged = True
            break
        elif exact_final:
            exact = True  # confirm with the exact values, and keep them to the end
        else:
            tolerance = threshold
    non_terminating = None
    if gamma == 1.0:
        non_terminating = np.array(non_terminating_states(mdp, policy), dtype=bool)
        if not proper:
            warnings.warn(
                "a policy reached by policy iteration never ends the episode",
                NonTerminationWarning,
                stacklevel=2,
            )
    if not converged and proper:
        warnings.warn("policy_iteration stopped at max_iter", ConvergenceWarning, stacklevel=2)
    elif converged and not evaluated:
        warnings.warn(
            "policy_iteration's last evaluation stopped short of epsilon",
            ConvergenceWarning,
            stacklevel=2,
        )
    lower, upper, suboptimality = certificates(mdp, gamma, values, q_values, policy)
    if gamma == 1.0 and exact and proper:
        lower = list(values)  # a proper policy's exact values: V^pi <= V*
    return PlanningResult(
        values=np.array(values, dtype=np.float64),
        q_values=np.array(q_values, dtype=np.float64).reshape(mdp.n_states, mdp.n_actions),
        policy=np.array(policy, dtype=np.int64),
        iterations=len(residuals) if converged or not proper else max_iter,
        converged=converged and evaluated,
        residuals=np.array(residuals, dtype=np.float64),
        gamma=gamma,
        method="policy_iteration",
        non_terminating=non_terminating,
        lower=np.array(lower, dtype=np.float64),
        upper=np.array(upper, dtype=np.float64),
        suboptimality=float(suboptimality),
    )


def modified_policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    n_evaluations: int = DEFAULT_EVALUATIONS,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
    initial_values: Iterable[float] | None = None,
) -> PlanningResult:
    """One optimality sweep (fixing the greedy policy), then n_evaluations sweeps of it."""
    gamma = float(gamma)
    max_iter = DEFAULT_MAX_ITER if max_iter is None else max_iter
    values = [0.0] * mdp.n_states if initial_values is None else [float(v) for v in initial_values]
    threshold = stopping_threshold(epsilon, gamma, 1.0)
    anchor = [0.0] if can_terminate(mdp) else []
    residuals = []
    converged = False
    for _ in range(max_iter):
        backups = [best_action(mdp, values, gamma, s) for s in range(mdp.n_states)]
        changes = [backup[0] - old for backup, old in zip(backups, values, strict=True)]
        changes += anchor
        values = [backup[0] for backup in backups]
        policy = [backup[1] for backup in backups]
        residuals.append(max(max(changes), -min(changes)))
        statistic = max(changes) - min(changes) if gamma < 1.0 else residuals[-1]
        if statistic < threshold:
            converged = True
            if gamma < 1.0 and not anchor:
                values = macqueen_midpoint(values, changes, gamma)
            break
        for _ in range(n_evaluations):
            values = [action_value(mdp, values, gamma, s, policy[s]) for s in range(mdp.n_states)]
    return _result(
        mdp,
        gamma,
        "modified_policy_iteration",
        values,
        len(residuals),
        converged,
        residuals,
        tolerance=epsilon,
    )
