"""Linear programming: the discounted MDP as a linear program, and constrained MDPs.

The optimal values are the smallest ``V`` above every Bellman backup (Puterman, *Markov
Decision Processes*, 1994, section 6.9; Altman, *Constrained Markov Decision Processes*,
1999):

    primal:  minimise   sum_s w(s) V(s)
             subject to V(s) >= R(s, a) + gamma * sum_s' P(s' | s, a) V(s')   for all (s, a),

for any weights ``w > 0`` (uniform here). Its dual is over occupancy measures ``x(s, a) =
sum_t gamma^t P(S_t = s, A_t = a)`` from an initial distribution ``mu``:

    dual:    maximise   sum_{s,a} x(s, a) R(s, a)
             subject to sum_a x(s', a) - gamma * sum_{s,a} P(s' | s, a) x(s, a) = mu(s'),  x >= 0.

A constrained MDP adds ``sum x(s, a) c_i(s, a) <= budget_i`` for each cost ``c_i`` (the
expected discounted cost from ``mu``) to the dual; its optimum may need a randomised policy,
``pi(a | s) = x(s, a) / sum_a x(s, a)``, which no deterministic solver can return. Both
programs are solved by SciPy's HiGHS (the ``lp`` extra): an independent check on the
dynamic-programming solvers, to the LP solver's tolerances (about 1e-9 here), not exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rlfoundations._validate import check_distribution, check_gamma, check_mdp
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.planning import policy_evaluation
from rlfoundations.results import LinearProgrammingResult
from rlfoundations.stochastic import action_values

__all__ = ["linear_programming"]

#: HiGHS tolerances: far below the defaults (1e-7), so LP answers agree with the others.
HIGHS_OPTIONS = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


def _scipy():
    try:
        from scipy import optimize, sparse
    except ImportError:
        raise ImportError(
            "linear_programming needs SciPy (HiGHS); install it with "
            "pip install 'rlfoundations[lp]'"
        ) from None
    return optimize, sparse


def _flow_matrix(mdp: TabularMDP, gamma: float, sparse):
    """The (S, S * A) matrix of the dual's flow constraints; column ``s * A + a``."""
    n_states, n_actions, n_outcomes = mdp.next_state.shape
    columns = np.arange(n_states * n_actions)
    rows = [np.repeat(np.arange(n_states), n_actions)]
    data = [np.ones(n_states * n_actions)]
    continue_prob = mdp.continue_prob  # computed on each access
    for k in range(n_outcomes):
        rows.append(mdp.next_state[:, :, k].ravel())
        data.append(-gamma * continue_prob[:, :, k].ravel())
    return sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.tile(columns, n_outcomes + 1))),
        shape=(n_states, n_states * n_actions),
    )


def _check_distribution(mdp: TabularMDP, initial) -> np.ndarray:
    if initial is None:
        return np.array(mdp.initial)
    array = np.asarray(initial)
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"initial must hold probabilities, got dtype {array.dtype}")
    if array.shape != (mdp.n_states,):
        raise InvalidValueError(f"initial must have shape ({mdp.n_states},), got {array.shape}")
    return check_distribution(np.array(array, dtype=np.float64), "initial")


def _check_costs(mdp: TabularMDP, costs, budget) -> tuple[np.ndarray, np.ndarray]:
    if (costs is None) != (budget is None):
        raise InvalidValueError("costs and budget go together: pass both or neither")
    array = np.asarray(costs)
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"costs must hold numbers, got dtype {array.dtype}")
    shape = (mdp.n_states, mdp.n_actions)
    if array.shape == shape:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != shape:
        raise InvalidValueError(
            f"costs must have shape {shape} or (n_constraints, *{shape}), got {array.shape}"
        )
    if not np.isfinite(array).all():
        raise InvalidValueError("costs must be finite")
    given = np.asarray(budget)
    if given.dtype.kind not in "fiu":
        raise InvalidTypeError(f"budget must hold numbers, got {budget!r}")
    limits = np.atleast_1d(given.astype(np.float64))
    if limits.shape != (array.shape[0],) or not np.isfinite(limits).all():
        raise InvalidValueError(
            f"budget must be {array.shape[0]} finite number(s), one per cost, got {budget!r}"
        )
    return np.array(array, dtype=np.float64), limits


def linear_programming(
    mdp: TabularMDP,
    gamma: float,
    *,
    initial: npt.ArrayLike | None = None,
    costs: npt.ArrayLike | None = None,
    budget: float | npt.ArrayLike | None = None,
) -> LinearProgrammingResult:
    """Solve ``mdp`` as a linear program, optionally under expected-cost constraints.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    gamma : float
        Discount factor in [0, 1): at 1 an improper policy's occupancy is infinite.
    initial : array_like, shape (S,), optional
        The start distribution ``mu`` of the occupancy measure and of the constraints;
        ``mdp.initial`` by default.
    costs : array_like, shape (S, A) or (n_constraints, S, A), optional
        Expected cost of each (state, action), per constraint.
    budget : float or array_like, shape (n_constraints,), optional
        Largest allowed expected discounted cost from ``initial``, per constraint.

    Returns
    -------
    LinearProgrammingResult
        ``values``, ``occupancy`` (S, A), ``policy`` (int (S,) unconstrained; (S, A)
        probabilities constrained), ``objective``, ``cost_values``.

    Raises
    ------
    ImportError
        SciPy is missing (``pip install 'rlfoundations[lp]'``).
    InvalidValueError
        No policy meets the budget (the message gives the least achievable cost).

    Examples
    --------
    One state, two actions: 0 pays 1 and costs 1, 1 pays and costs nothing. With the
    discounted cost capped at 0.5 (of 2 for always choosing 0), the best policy mixes.

    >>> import rlfoundations as rlf
    >>> mdp = rlf.TabularMDP(
    ...     next_state=[[[0], [0]]], prob=[[[1.0], [1.0]]], reward=[[[1.0], [0.0]]],
    ...     terminated=[[[False], [False]]], initial=[1.0],
    ... )
    >>> result = rlf.linear_programming(mdp, 0.5, costs=[[1.0, 0.0]], budget=0.5)
    >>> result.policy.round(6).tolist(), round(result.objective, 6)
    ([[0.25, 0.75]], 0.5)
    """
    mdp = check_mdp(mdp)
    gamma = check_gamma(gamma)
    if gamma == 1.0:
        raise InvalidValueError(
            "linear_programming needs gamma < 1, got 1: the occupancy of a policy that may "
            "not end is infinite; use gamma < 1 or policy_iteration"
        )
    mu = _check_distribution(mdp, initial)
    constrained = costs is not None or budget is not None
    if constrained:
        costs, budget = _check_costs(mdp, costs, budget)
    optimize, sparse = _scipy()
    n_states, n_actions = mdp.n_states, mdp.n_actions
    flow = _flow_matrix(mdp, gamma, sparse)
    rewards = mdp.expected_reward.ravel()
    # A masked pair has no primal constraint and a dual (occupancy) variable fixed at 0.
    allowed = mdp.allowed.ravel()
    bounds = [(0, None) if ok else (0, 0) for ok in allowed] if not allowed.all() else (0, None)

    def solve_dual(objective, extra_rows=None, extra_limits=None):
        return optimize.linprog(
            objective,
            A_ub=extra_rows,
            b_ub=extra_limits,
            A_eq=flow,
            b_eq=mu,
            bounds=bounds,
            method="highs",
            options=HIGHS_OPTIONS,
        )

    if not constrained:
        # Primal with uniform weights for V* everywhere (the dual's transposed constraints).
        primal = optimize.linprog(
            np.full(n_states, 1.0 / n_states),
            A_ub=-flow.T.tocsr()[allowed],
            b_ub=-rewards[allowed],
            bounds=(None, None),
            method="highs",
            options=HIGHS_OPTIONS,
        )
        dual = solve_dual(-rewards)
        if primal.status != 0 or dual.status != 0:
            raise RuntimeError(f"HiGHS failed: {primal.message} / {dual.message}")
        values = primal.x
        occupancy = np.maximum(dual.x, 0.0).reshape(n_states, n_actions)
        policy = np.argmax(action_values(mdp, values, gamma), axis=1).astype(np.int64)
        return LinearProgrammingResult(
            values=values,
            occupancy=occupancy,
            policy=policy,
            objective=float(rewards @ dual.x),
            gamma=gamma,
        )

    cost_rows = costs.reshape(costs.shape[0], -1)  # type: ignore[union-attr]
    dual = solve_dual(-rewards, cost_rows, budget)
    if dual.status == 2:
        least = [float(solve_dual(row).fun) for row in cost_rows]
        raise InvalidValueError(
            f"no policy keeps the expected discounted costs within budget {budget.tolist()}: "  # type: ignore[union-attr]
            f"the least achievable cost of each constraint alone is {least}"
        )
    if dual.status != 0:
        raise RuntimeError(f"HiGHS failed: {dual.message}")
    occupancy = np.maximum(dual.x, 0.0).reshape(n_states, n_actions)
    totals = occupancy.sum(axis=1, keepdims=True)
    reached = totals[:, 0] > 0
    policy = mdp.allowed / mdp.allowed.sum(axis=1, keepdims=True)
    policy[reached] = occupancy[reached] / totals[reached]
    values = policy_evaluation(mdp, policy, gamma).values
    return LinearProgrammingResult(
        values=values,
        occupancy=occupancy,
        policy=policy,
        objective=float(rewards @ dual.x),
        gamma=gamma,
        cost_values=cost_rows @ dual.x,
        budget=budget,  # type: ignore[arg-type]
    )
