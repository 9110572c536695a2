"""The exact-arithmetic oracle: closed forms in Fractions, agreement with the float solvers,
ties decided exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations.reference import exact
from strategies import examples, tabular_mdps


def chain(reward: float = 1.0) -> rlf.TabularMDP:
    """Two states: 0 -> 1 -> 0 ..., paying ``reward`` on leaving 0 and nothing on leaving 1."""
    return rlf.TabularMDP(
        next_state=[[[1]], [[0]]],
        prob=[[[1.0]], [[1.0]]],
        reward=[[[reward]], [[0.0]]],
        terminated=[[[False]], [[False]]],
        initial=[1.0, 0.0],
    )


def test_exact_evaluation_gives_the_geometric_series_as_a_fraction():
    # V(0) = 1 + g^2 + g^4 + ... = 1 / (1 - g^2); V(1) = g V(0).
    gamma = Fraction(1, 3)
    got = exact.policy_evaluation(chain(), [0, 0], gamma).values
    assert got.tolist() == [Fraction(9, 8), Fraction(3, 8)]


def test_exact_values_are_fractions_of_the_floats_stored():
    got = exact.policy_evaluation(chain(0.1), [0, 0], Fraction(1, 2)).values[0]
    assert got == Fraction(0.1) * Fraction(4, 3)
    assert got != Fraction(2, 15)


@examples(30)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_exact_policy_iteration_agrees_with_the_float_solvers(mdp):
    gamma = 0.9
    expected = exact.policy_iteration(mdp, gamma)
    got = rlf.policy_iteration(mdp, gamma)
    np.testing.assert_allclose(got.values, expected.values.astype(float), atol=1e-9)


@examples(30)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_the_exact_optimal_policy_satisfies_the_bellman_equation_exactly(mdp):
    result = exact.policy_iteration(mdp, Fraction(9, 10))
    best = result.q_values.max(axis=1)
    assert all(result.values[s] == best[s] for s in range(mdp.n_states))


def test_an_exact_tie_keeps_the_first_action():
    # Both actions are worth exactly 1/(1 - gamma): no rounding can make one look better.
    mdp = rlf.TabularMDP(
        next_state=[[[0], [0]]],
        prob=[[[1.0], [1.0]]],
        reward=[[[1.0], [1.0]]],
        terminated=[[[False], [False]]],
        initial=[1.0],
    )
    got = exact.policy_iteration(mdp, Fraction(1, 2))
    assert got.policy.tolist() == [0]
    assert got.values[0] == 2


def test_exact_evaluation_refuses_a_chain_that_never_ends_at_gamma_one():
    with pytest.raises(ValueError, match="singular"):
        exact.policy_evaluation(chain(), [0, 0], 1)


# -- Proper policies at gamma = 1 (issue 13, item 4) and certificates (item 7) -----------------
def gamblers_problem(goal: int = 100, p_heads: float = 0.4) -> rlf.TabularMDP:
    """Sutton & Barto's Example 4.3 ported verbatim: stakes 0..min(s, goal - s), stake 0
    allowed (it changes nothing); stakes above the limit behave as stake 0."""
    n, stakes = goal + 1, goal // 2 + 1
    next_state = np.zeros((n, stakes, 2), dtype=int)
    prob = np.zeros((n, stakes, 2))
    reward = np.zeros((n, stakes, 2))
    terminated = np.zeros((n, stakes, 2), dtype=bool)
    for s in range(n):
        for a in range(stakes):
            if s in (0, goal):
                next_state[s, a], prob[s, a], terminated[s, a] = s, (1.0, 0.0), True
                continue
            stake = a if a <= min(s, goal - s) else 0
            next_state[s, a] = s + stake, s - stake
            prob[s, a] = p_heads, 1 - p_heads
            reward[s, a, 0] = 1.0 if s + stake == goal else 0.0
            terminated[s, a] = (s + stake == goal), (s - stake == 0)
    return rlf.TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=np.full(n, 1.0 / n),
    )


def test_policy_iteration_returns_a_proper_policy_on_the_gamblers_problem():
    got = rlf.policy_iteration(gamblers_problem(), gamma=1.0)
    assert not got.non_terminating.any()
    assert got.values[50] == pytest.approx(0.4, abs=1e-9)


@pytest.mark.filterwarnings("error::rlfoundations.NonTerminationWarning")
@pytest.mark.parametrize("solver", ["value_iteration", "modified_policy_iteration"])
def test_undiscounted_solvers_return_a_proper_policy_on_the_gamblers_problem(solver):
    got = getattr(rlf, solver)(gamblers_problem(), gamma=1.0)
    assert not got.non_terminating.any()


@pytest.mark.parametrize("solver", ["value_iteration", "modified_policy_iteration"])
def test_the_proper_policy_of_the_gamblers_problem_achieves_the_values_found(solver):
    # The tie-break changes the policy, not the values: the policy's own exact values are the
    # optimal ones (Sutton & Barto, Figure 4.3: 0.4 at a stake of 50).
    mdp = gamblers_problem()
    got = getattr(rlf, solver)(mdp, gamma=1.0)
    expected = rlf.policy_evaluation(mdp, got.policy, gamma=1.0).values
    np.testing.assert_allclose(got.values, expected, atol=1e-7)
    assert got.values[50] == pytest.approx(0.4, abs=1e-7)


SOLVERS = [
    pytest.param(rlf.value_iteration, {}, id="value_iteration"),
    pytest.param(rlf.value_iteration, {"gauss_seidel": True}, id="gauss_seidel"),
    pytest.param(rlf.policy_iteration, {}, id="policy_iteration"),
    pytest.param(rlf.policy_iteration, {"evaluation": "iterative"}, id="pi_iterative"),
    pytest.param(rlf.modified_policy_iteration, {}, id="modified_policy_iteration"),
]


@pytest.mark.parametrize(("solver", "options"), SOLVERS)
@examples(20)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_discounted_results_carry_bounds_that_bracket_the_exact_values(solver, options, mdp):
    gamma = 0.9
    if solver is rlf.policy_iteration:
        got = solver(mdp, gamma, **options)
    else:
        got = solver(mdp, gamma, epsilon=1e-3, **options)
    expected = exact.policy_iteration(mdp, Fraction(9, 10)).values.astype(float)
    assert np.all(got.lower <= expected)
    assert np.all(expected <= got.upper)


# Stopped after 3 sweeps, far from converged: the bound must hold at any exit.
@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize(("solver", "options"), SOLVERS)
@examples(20)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_the_suboptimality_bound_holds_for_the_returned_policy(solver, options, mdp):
    gamma = 0.9
    if solver is rlf.policy_iteration:
        got = solver(mdp, gamma, **options)
    else:
        got = solver(mdp, gamma, epsilon=1e-2, max_iter=3, **options)
    optimal = exact.policy_iteration(mdp, Fraction(9, 10)).values
    own = exact.policy_evaluation(mdp, got.policy, Fraction(9, 10)).values
    assert float(max(optimal - own)) <= got.suboptimality


@examples(20)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_iterative_evaluation_bounds_bracket_the_exact_values_of_the_policy(mdp):
    policy = np.zeros(mdp.n_states, dtype=int)
    got = rlf.policy_evaluation(mdp, policy, 0.9, method="iterative", epsilon=1e-2)
    expected = exact.policy_evaluation(mdp, policy, Fraction(9, 10)).values.astype(float)
    assert np.all(got.lower <= expected)
    assert np.all(expected <= got.upper)


def test_exact_evaluation_bounds_are_the_values():
    got = rlf.policy_evaluation(chain(), [0, 0], 0.5, method="exact")
    assert got.lower.tolist() == got.values.tolist() == got.upper.tolist()


def test_the_bound_tightens_to_the_stopping_rule_of_value_iteration():
    # Theorem 6.6.6: the span stop at epsilon (1 - gamma) / gamma leaves a gap below epsilon.
    got = rlf.value_iteration(rlf.from_env("FrozenLake-v1"), 0.99, epsilon=1e-6)
    assert got.suboptimality < 1e-6
    assert np.max(got.upper - got.lower) < 1e-6


def test_undiscounted_value_iteration_proves_no_bounds():
    got = rlf.value_iteration(rlf.from_env("CliffWalking-v1"), 1.0)
    assert np.isnan(got.lower).all() and np.isnan(got.upper).all()
    assert np.isnan(got.suboptimality)


def test_undiscounted_policy_iteration_bounds_the_optimum_from_below_by_its_exact_values():
    got = rlf.policy_iteration(rlf.from_env("CliffWalking-v1"), 1.0)
    assert got.lower.tolist() == got.values.tolist()
    assert np.isnan(got.upper).all()
