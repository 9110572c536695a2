"""Exact-arithmetic oracle: policy evaluation and policy iteration in ``fractions.Fraction``.

Every probability and reward of the model is read as the exact rational its float stores
(``Fraction(0.1)`` is 3602879701896397/36028797018963968, not 1/10), ``gamma`` may be a
``Fraction``, and linear systems are solved by Gaussian elimination on rationals, so ties and
rounding are decided exactly: the third tier of truth above the float kernels and their float
twins. Values come back as ``Fraction`` objects (NumPy arrays of dtype object).

Simple and slow on purpose: dense elimination costs O(S^3) rational operations whose
numerators grow, so keep it to small models (tens to a few hundred states; ~10^3 states
takes minutes). Not for production use.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.planning import proper_policy
from rlfoundations.results import PlanningResult

__all__ = ["policy_evaluation", "policy_iteration"]


def _fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(float(value))


def _policy_rows(mdp: TabularMDP, policy) -> list:
    """The policy as rows of exact action probabilities, shape (S, A)."""
    array = np.asarray(policy)
    if array.ndim == 1:
        rows = [[Fraction(0)] * mdp.n_actions for _ in range(mdp.n_states)]
        for s in range(mdp.n_states):
            rows[s][int(array[s])] = Fraction(1)
        return rows
    return [[_fraction(array[s, a]) for a in range(mdp.n_actions)] for s in range(mdp.n_states)]


def _solve(matrix: list, rhs: list) -> list | None:
    """Gauss-Jordan elimination on Fractions; None if the matrix is singular."""
    n = len(rhs)
    for col in range(n):
        pivot = next((row for row in range(col, n) if matrix[row][col] != 0), None)
        if pivot is None:
            return None
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        for row in range(n):
            if row != col and matrix[row][col] != 0:
                factor = matrix[row][col] / matrix[col][col]
                for j in range(col, n):
                    matrix[row][j] -= factor * matrix[col][j]
                rhs[row] -= factor * rhs[col]
    return [rhs[i] / matrix[i][i] for i in range(n)]


def _q_value(mdp: TabularMDP, values: list, gamma: Fraction, s: int, a: int) -> Fraction:
    total = Fraction(0)
    for k in range(mdp.max_outcomes):
        prob = _fraction(mdp.prob[s, a, k])
        if prob == 0:
            continue
        total += prob * _fraction(mdp.reward[s, a, k])
        if not mdp.terminated[s, a, k]:
            total += gamma * prob * values[int(mdp.next_state[s, a, k])]
    return total


def _evaluate(mdp: TabularMDP, rows: list, gamma: Fraction) -> list | None:
    """Solve (I - gamma P_pi) V = R_pi exactly."""
    n = mdp.n_states
    matrix = [[Fraction(0)] * n for _ in range(n)]
    rhs = [Fraction(0)] * n
    for s in range(n):
        matrix[s][s] += 1
        for a in range(mdp.n_actions):
            weight = rows[s][a]
            if weight == 0:
                continue
            for k in range(mdp.max_outcomes):
                prob = _fraction(mdp.prob[s, a, k])
                if prob == 0:
                    continue
                rhs[s] += weight * prob * _fraction(mdp.reward[s, a, k])
                if not mdp.terminated[s, a, k]:
                    matrix[s][int(mdp.next_state[s, a, k])] -= gamma * weight * prob
    return _solve(matrix, rhs)


def _result(mdp, gamma, values, policy, iterations, method) -> PlanningResult:
    q_values = np.empty((mdp.n_states, mdp.n_actions), dtype=object)
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            q_values[s, a] = _q_value(mdp, values, gamma, s, a)
    exact_values = np.empty(mdp.n_states, dtype=object)
    exact_values[:] = values
    return PlanningResult(
        values=exact_values,
        q_values=q_values,
        policy=policy,
        iterations=iterations,
        converged=True,
        residuals=np.zeros(iterations),
        gamma=gamma,
        method=method,
    )


def policy_evaluation(
    mdp: TabularMDP, policy: npt.ArrayLike, gamma: float | Fraction
) -> PlanningResult:
    """The exact values of ``policy``.

    An (S,) array of actions or an (S, A) matrix of action probabilities (each probability read as
    the exact rational it stores).

    ``gamma`` is a float or a ``Fraction`` in [0, 1]; with 1 the policy must end the
    episode surely from every state, or the system is singular and this raises ValueError.

    Examples
    --------
    >>> from fractions import Fraction
    >>> import rlfoundations as rlf
    >>> from rlfoundations.reference import exact
    >>> mdp = rlf.TabularMDP(
    ...     next_state=[[[0]]], prob=[[[1.0]]], reward=[[[1.0]]],
    ...     terminated=[[[False]]], initial=[1.0],
    ... )
    >>> exact.policy_evaluation(mdp, [0], Fraction(2, 3)).values[0]
    Fraction(3, 1)
    """
    gamma = _fraction(gamma)
    values = _evaluate(mdp, _policy_rows(mdp, policy), gamma)
    if values is None:
        raise InvalidValueError(
            "the policy's linear system (I - gamma P_pi) V = R_pi is singular: with gamma=1 "
            "the policy does not end the episode from some state"
        )
    array = np.asarray(policy)
    kept = np.array(array, dtype=np.int64 if array.ndim == 1 else object)
    return _result(mdp, gamma, values, kept, 1, "exact policy_evaluation")


def policy_iteration(
    mdp: TabularMDP, gamma: float | Fraction, *, max_iter: int = 1_000
) -> PlanningResult:
    """Howard's policy iteration with exact evaluation and exact comparisons.

    Starts from the lowest-index myopic greedy policy (gamma < 1) or from the
    surely-terminating policy of :func:`rlfoundations.reference.planning.proper_policy`
    (gamma = 1). A state switches only to an action strictly better than its current one
    (the lowest-index best), so the loop ends, and ends on an optimal policy.
    """
    gamma = _fraction(gamma)
    n_states, n_actions = mdp.n_states, mdp.n_actions
    if gamma == 1:
        policy, handled = proper_policy(mdp)
        if not all(handled):
            raise InvalidValueError(
                "with gamma=1 some state cannot end the episode under any policy"
            )
    else:
        policy = []
        for s in range(n_states):
            rewards = [
                _q_value(mdp, [Fraction(0)] * n_states, Fraction(0), s, a) for a in range(n_actions)
            ]
            policy.append(max(range(n_actions), key=lambda a, r=rewards: (r[a], -a)))  # type: ignore[misc]
    for iteration in range(1, max_iter + 1):
        values = _evaluate(mdp, _policy_rows(mdp, policy), gamma)
        if values is None:
            raise ValueError("policy iteration reached a policy whose system is singular")
        changed = False
        for s in range(n_states):
            q_row = [_q_value(mdp, values, gamma, s, a) for a in range(n_actions)]
            best = max(range(n_actions), key=lambda a, q=q_row: (q[a], -a))  # type: ignore[misc]
            if q_row[best] > q_row[policy[s]]:
                policy[s] = best
                changed = True
        if not changed:
            return _result(
                mdp,
                gamma,
                values,
                np.array(policy, dtype=np.int64),
                iteration,
                "exact policy_iteration",
            )
    raise ValueError(f"exact policy iteration did not settle in max_iter={max_iter} steps")
