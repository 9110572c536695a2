"""Exact solvers: kernels against their reference twins, stopping rules, gamma = 1, bad input."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from fractions import Fraction

import numba
import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import generate_random_map
from hypothesis import assume, given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import planning, reference
from rlfoundations._kernels import drivers
from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels.drivers import PARALLEL_MIN_SLOTS
from rlfoundations._kernels.layout import kernel_model
from rlfoundations._kernels.planning import GAUSS_SEIDEL_CHECK_EVERY, GAUSS_SEIDEL_PROBE
from rlfoundations.reference import exact
from rlfoundations.reference import planning as reference_planning
from strategies import discounts, examples, masked_mdps, tabular_mdps

SOLVERS = ["value_iteration", "policy_iteration", "modified_policy_iteration"]


def line_mdp(reward_stay: float = 0.0, reward_exit: float = -1.0) -> rlf.TabularMDP:
    """One state, two actions: 0 stays (reward_stay), 1 ends the episode (reward_exit)."""
    return rlf.TabularMDP(
        next_state=[[[0], [0]]],
        prob=[[[1.0], [1.0]]],
        reward=[[[reward_stay], [reward_exit]]],
        terminated=[[[False], [True]]],
        initial=[1.0],
    )


def random_policy(mdp: rlf.TabularMDP, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, mdp.n_actions, mdp.n_states)


def span(x: np.ndarray) -> float:
    return float(x.max() - x.min())


# -- kernels == reference twins --------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize("solver", SOLVERS)
@examples(40)
@given(mdp=tabular_mdps(), gamma=discounts())
def test_solver_matches_reference(solver, mdp, gamma):
    got = getattr(rlf, solver)(mdp, gamma, max_iter=300)
    expected = getattr(reference, solver)(mdp, gamma, max_iter=300)
    np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.q_values, expected.q_values, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert (got.iterations, got.converged) == (expected.iterations, expected.converged)
    np.testing.assert_allclose(got.residuals, expected.residuals, rtol=0, atol=1e-9)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts(), record=st.booleans())
def test_gauss_seidel_matches_reference(mdp, gamma, record):
    got = rlf.value_iteration(mdp, gamma, gauss_seidel=True, record=record, max_iter=300)
    expected = reference.value_iteration(mdp, gamma, gauss_seidel=True, record=record, max_iter=300)
    np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert got.iterations == expected.iterations
    if record:
        np.testing.assert_allclose(got.history, expected.history, rtol=0, atol=1e-9)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::rlfoundations.NonTerminationWarning")
@examples(40)
@given(mdp=tabular_mdps(), gamma=discounts(), gauss_seidel=st.booleans())
def test_value_iteration_equals_reference_to_the_bit(mdp, gamma, gauss_seidel):
    # Eight states per vector instruction, each lane doing the reference's arithmetic.
    got = rlf.value_iteration(mdp, gamma, gauss_seidel=gauss_seidel, max_iter=100)
    expected = reference.value_iteration(mdp, gamma, gauss_seidel=gauss_seidel, max_iter=100)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.residuals, expected.residuals)
    np.testing.assert_array_equal(got.policy, expected.policy)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::rlfoundations.NonTerminationWarning")
@pytest.mark.parametrize("solver", SOLVERS)
@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts())
def test_certificates_equal_reference_to_the_bit(solver, mdp, gamma):
    got = getattr(rlf, solver)(mdp, gamma, max_iter=100)
    expected = getattr(reference, solver)(mdp, gamma, max_iter=100)
    if solver == "policy_iteration":
        # Exact solves differ in the last bits (blocks vs one dense solve): same formula.
        np.testing.assert_allclose(got.lower, expected.lower, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got.upper, expected.upper, rtol=1e-9, atol=1e-9)
        return
    np.testing.assert_array_equal(got.lower, expected.lower)
    np.testing.assert_array_equal(got.upper, expected.upper)
    np.testing.assert_array_equal(got.suboptimality, expected.suboptimality)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts(0.99), seed=st.integers(0, 1000))
def test_iterative_evaluation_and_modified_policy_iteration_equal_reference_to_the_bit(
    mdp, gamma, seed
):
    policy = random_policy(mdp, seed)
    got = rlf.policy_evaluation(mdp, policy, gamma, method="iterative", max_iter=100)
    expected = reference.policy_evaluation(mdp, policy, gamma, method="iterative", max_iter=100)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.lower, expected.lower)
    np.testing.assert_array_equal(got.upper, expected.upper)
    got = rlf.modified_policy_iteration(mdp, gamma, max_iter=100)
    expected = reference.modified_policy_iteration(mdp, gamma, max_iter=100)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.policy, expected.policy)


@pytest.mark.parametrize("method", ["exact", "iterative"])
@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts(0.99), seed=st.integers(0, 1000))
def test_policy_evaluation_matches_reference(method, mdp, gamma, seed):
    policy = random_policy(mdp, seed)
    got = rlf.policy_evaluation(mdp, policy, gamma, method=method)
    expected = reference.policy_evaluation(mdp, policy, gamma, method=method)
    np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.q_values, expected.q_values, rtol=0, atol=1e-9)


@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts(0.99), seed=st.integers(0, 1000))
def test_exact_and_iterative_evaluation_agree(mdp, gamma, seed):
    policy = random_policy(mdp, seed)
    exact = rlf.policy_evaluation(mdp, policy, gamma, method="exact")
    iterative = rlf.policy_evaluation(mdp, policy, gamma, method="iterative", epsilon=1e-9)
    np.testing.assert_allclose(iterative.values, exact.values, rtol=0, atol=1e-8)


# -- exact evaluation, component by component ---------------------------------------------
def ring_of_rings(n_rings: int, ring_size: int, stay: float) -> rlf.TabularMDP:
    """Rings of ``ring_size`` states, each state staying with probability ``stay``, moving
    round its ring otherwise; the last state of ring i steps into ring i + 1 half the time,
    and the last ring ends the episode from its last state: components of every size."""
    n_states = n_rings * ring_size
    next_state = np.zeros((n_states, 1, 3), dtype=int)
    prob = np.zeros((n_states, 1, 3))
    terminated = np.zeros((n_states, 1, 3), dtype=bool)
    for s in range(n_states):
        ring, place = divmod(s, ring_size)
        around = ring * ring_size + (place + 1) % ring_size
        next_state[s, 0] = [s, around, s]
        prob[s, 0] = [stay, 1.0 - stay, 0.0]
        if place == ring_size - 1:
            prob[s, 0] = [stay, (1.0 - stay) / 2, (1.0 - stay) / 2]
            next_state[s, 0, 2] = min(s + 1, n_states - 1)
            terminated[s, 0, 2] = ring == n_rings - 1
    return rlf.TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=np.arange(n_states * 3, dtype=float).reshape(n_states, 1, 3) % 5 - 2.0,
        terminated=terminated,
        initial=np.full(n_states, 1.0 / n_states),
    )


@examples(40)
@given(mdp=tabular_mdps(max_outcomes=2), seed=st.integers(0, 1000))
def test_chain_components_are_the_strongly_connected_components_in_reverse_topological_order(
    mdp, seed
):
    nx = pytest.importorskip("networkx")
    policy = random_policy(mdp, seed)
    chain = kernels.policy_model(*kernel_model(mdp), policy)
    order, start, component = kernels.chain_components(chain[0], chain[1], mdp.n_states)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(mdp.n_states))
    for s, a in enumerate(policy):
        for k in range(mdp.max_outcomes):
            if mdp.continue_prob[s, a, k] > 0:
                graph.add_edge(s, int(mdp.next_state[s, a, k]))
    got = {frozenset(order[start[c] : start[c + 1]].tolist()) for c in range(len(start) - 1)}
    expected = {frozenset(c) for c in nx.strongly_connected_components(graph)}
    assert got == expected
    for c in range(len(start) - 1):
        assert np.all(component[order[start[c] : start[c + 1]]] == c)
    # Reverse topological: an edge never leads to a component that comes later.
    for s, t in graph.edges:
        assert component[t] <= component[s]


@examples(40)
@given(mdp=tabular_mdps(terminal_rate=0.5))
def test_exact_evaluation_matches_the_dense_solve_for_proper_policies_at_gamma_one(mdp):
    policy, handled = reference_planning.proper_policy(mdp)
    assume(all(handled))
    got = rlf.policy_evaluation(mdp, policy, 1.0, method="exact")
    expected = reference.policy_evaluation(mdp, policy, 1.0, method="exact")
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("gamma", [0.0, 0.9, 1.0])
@pytest.mark.parametrize(
    ("n_rings", "ring_size", "stay"),
    [
        pytest.param(1, 1, 0.5, id="one-state"),
        pytest.param(6, 1, 0.25, id="singletons-with-self-loops"),
        pytest.param(4, 5, 0.0, id="deterministic-rings"),
        pytest.param(3, 7, 0.5, id="stochastic-rings"),
        pytest.param(1, 30, 0.1, id="one-big-component"),
    ],
)
def test_exact_evaluation_matches_the_dense_solve_on_rings(n_rings, ring_size, stay, gamma):
    mdp = ring_of_rings(n_rings, ring_size, stay)
    policy = np.zeros(mdp.n_states, dtype=int)
    got = rlf.policy_evaluation(mdp, policy, gamma, method="exact")
    expected = reference.policy_evaluation(mdp, policy, gamma, method="exact")
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-9)


def test_exact_evaluation_reports_a_chain_that_never_ends_at_gamma_one():
    chain = kernels.policy_model(*kernel_model(line_mdp()), np.zeros(1, dtype=np.int64))
    assert not kernels.evaluate_chain(*chain, 1.0, np.zeros(1))


# -- stopping rules and optimality -----------------------------------------------------------
@pytest.mark.parametrize("gauss_seidel", [False, True], ids=["jacobi", "gauss-seidel"])
@examples(40)
@given(mdp=tabular_mdps(), gamma=discounts(0.99))
def test_value_iteration_policy_is_epsilon_optimal(gauss_seidel, mdp, gamma):
    epsilon = 1e-6
    result = rlf.value_iteration(mdp, gamma, epsilon=epsilon, gauss_seidel=gauss_seidel)
    optimal = rlf.policy_iteration(mdp, gamma)
    greedy_value = rlf.policy_evaluation(mdp, result.policy, gamma).values
    assert np.all(optimal.values - greedy_value <= epsilon)


@pytest.mark.parametrize("gamma", [0.99, 0.999])
@examples(15, deadline=None)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_gauss_seidel_certificates_hold_near_gamma_one(gamma, mdp):
    # The oracle: exact rational policy iteration (reference/exact.py), no floats, no sweeps.
    # (A periodic chain at 0.999 needs ~22 000 sweeps, in place or not: max_iter allows it.)
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-6, gauss_seidel=True, max_iter=10**5)
    exact_gamma = Fraction(gamma).limit_denominator(10**6)
    optimal = exact.policy_iteration(mdp, exact_gamma).values
    own = exact.policy_evaluation(mdp, got.policy, exact_gamma).values
    assert got.converged
    assert np.all(got.lower <= optimal.astype(float))
    assert np.all(optimal.astype(float) <= got.upper)
    # Theorem 6.6.6's epsilon, plus the bounds' widening for rounding (2**-40 of |V| ~ 2000).
    assert float(max(optimal - own)) <= got.suboptimality <= 1e-6 + 1e-8


def test_gauss_seidel_stops_on_the_span_rule_on_a_model_whose_episodes_never_end():
    # Random successors, no terminal outcome: the span rule (Puterman 6.6.6) stops Jacobi
    # long before the sup norm falls; in-place sweeps alone leave an error close to a
    # constant that shrinks like gamma per sweep, about log(1e-8) / log(0.99) ~ 1800 sweeps
    # (975 with this model's faster in-place contraction; 88 with checks and shifts). Here
    # in-place sweeps contract the span more slowly than synchronous ones: the probe round
    # finds it, and the run costs Jacobi's sweeps plus that round at most.
    mdp = rlf.problems.garnet(2000, 4, 3, 0)
    jacobi = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, extrapolate=False)
    gauss_seidel = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    assert gauss_seidel.converged
    assert gauss_seidel.iterations <= jacobi.iterations + GAUSS_SEIDEL_PROBE + 1
    optimal = rlf.policy_iteration(mdp, 0.99, evaluation="exact").values
    assert np.all(gauss_seidel.lower <= optimal) and np.all(optimal <= gauss_seidel.upper)
    np.testing.assert_allclose(gauss_seidel.values, optimal, rtol=0, atol=1e-6)


def slow_chain(n_states: int) -> rlf.TabularMDP:
    """A chain whose episodes never end: each state moves one down with probability 0.95 or
    stays; state 0 pays 1. In-place sweeps (5x Jacobi's count here without the probe)
    spread a constant error along it that the span rule would ignore."""
    states = np.arange(n_states)
    return rlf.TabularMDP(
        next_state=np.stack([np.maximum(states - 1, 0), states], axis=1).reshape(n_states, 1, 2),
        prob=np.tile([0.95, 0.05], (n_states, 1)).reshape(n_states, 1, 2),
        reward=np.where(states == 0, 1.0, 0.0)[:, None, None] * np.ones((1, 1, 2)),
        terminated=np.zeros((n_states, 1, 2), dtype=bool),
        initial=np.full(n_states, 1.0 / n_states),
    )


@pytest.mark.parametrize(
    "mdp", [rlf.problems.garnet(300, 4, 3, 1), slow_chain(300)], ids=["garnet", "chain"]
)
def test_gauss_seidel_where_episodes_never_end_keeps_synchronous_sweeps_if_they_contract_faster(
    mdp,
):
    # Two synchronous sweeps measure their contraction and every round of in-place sweeps is
    # held to it; on these models a round loses (the garnet's after a probe that won), and
    # the run goes on like Jacobi's, to the bit of its twin, within a round of its sweeps.
    got = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    expected = reference.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.residuals, expected.residuals)
    jacobi = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, extrapolate=False)
    assert got.converged
    assert got.iterations <= jacobi.iterations + GAUSS_SEIDEL_CHECK_EVERY + 1
    np.testing.assert_allclose(got.values, jacobi.values, rtol=0, atol=2e-6)


def test_gauss_seidel_beats_jacobi_on_frozen_lake_64x64():
    # FrozenLake 64x64 ends episodes in its holes: no check's change is close to a constant
    # (the mean change stays below 17 % of its extremes' midpoint), so no check shifts the
    # values: 759 sweeps against Jacobi's 942. (The first check's shift, when every check
    # shifted, moved every value up by 0.4 and the next check did worse: 1040 sweeps kept,
    # 772 restored.)
    mdp = rlf.from_env("FrozenLake-v1", desc=generate_random_map(64, seed=0))
    jacobi = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, extrapolate=False)
    got = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    assert got.converged
    assert got.iterations < jacobi.iterations
    np.testing.assert_allclose(got.values, jacobi.values, rtol=0, atol=2e-6)


def test_gauss_seidel_restores_the_values_a_failed_shift_moved_on_frozen_lake_8x8():
    # FrozenLake 8x8's third check is the first whose change is close to a constant; its
    # shift overshoots and the next check does worse, which restores the values saved before
    # the shift and ends the shifts (413 sweeps against Jacobi's 516). Subtracting the shift
    # instead leaves the sweeps since then moved by it (CliffWalking at gamma 0.999 when its
    # first check shifted: 442 sweeps against 29 restored).
    mdp = rlf.from_env("FrozenLake-v1", map_name="8x8")
    got = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    expected = reference.value_iteration(mdp, 0.99, epsilon=1e-6, gauss_seidel=True)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.residuals, expected.residuals)
    jacobi = rlf.value_iteration(mdp, 0.99, epsilon=1e-6, extrapolate=False)
    assert got.converged
    assert got.iterations < jacobi.iterations
    np.testing.assert_allclose(got.values, jacobi.values, rtol=0, atol=2e-6)


def rarely_ending_garnet(n_states: int = 2000) -> rlf.TabularMDP:
    """A GARNET model with 1 % ending outcomes: Jacobi's error stays close to a constant that
    shrinks by about gamma a sweep (2 272 sweeps at gamma 0.99 without shifts)."""
    return rlf.problems.garnet(n_states, 4, 3, 0, terminal_prob=0.01)


def one_state_model() -> rlf.TabularMDP:
    """One state that pays 1 and ends the episode with probability 1/2: the error shrinks by
    gamma / 2 a sweep, far faster than gamma (a shift by gamma / (1 - gamma) overshoots)."""
    return rlf.TabularMDP(
        next_state=np.zeros((1, 1, 2), dtype=np.int64),
        prob=[[[0.5, 0.5]]],
        reward=np.ones((1, 1, 2)),
        terminated=[[[False, True]]],
        initial=[1.0],
    )


def jacobi_round_models():
    """Models on which Jacobi's rounds shift (the GARNETs, the one state: its first shift
    is exact), shift and then restore (FrozenLake 4x4 and 8x8, the windy gridworld: the round
    after the first shift does no better), never shift (CliffWalking: no round's change is
    close to a constant) or have none (episodes never end)."""
    return [
        pytest.param(rarely_ending_garnet, 0.99, id="garnet-shifts"),
        pytest.param(
            lambda: rlf.problems.garnet(100, 4, 3, 0, terminal_prob=0.3), 0.999, id="garnet-0.3"
        ),
        pytest.param(one_state_model, 0.999, id="one-state"),
        pytest.param(rlf.problems.windy_gridworld, 0.99, id="windy-gridworld-restores"),
        pytest.param(lambda: rlf.from_env("FrozenLake-v1"), 0.99, id="frozen-lake-restores"),
        pytest.param(
            lambda: rlf.from_env("FrozenLake-v1", map_name="8x8"), 0.99, id="frozen-lake-8x8"
        ),
        pytest.param(lambda: rlf.from_env("CliffWalking-v1"), 0.999, id="cliff-walking"),
        pytest.param(lambda: rlf.problems.garnet(300, 4, 3, 1), 0.99, id="never-ends"),
    ]


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recorded"])
@pytest.mark.parametrize(("build", "gamma"), jacobi_round_models())
def test_jacobi_rounds_match_the_twin_bit_for_bit(build, gamma, record):
    mdp = build()
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-6, record=record)
    expected = reference.value_iteration(mdp, gamma, epsilon=1e-6, record=record)
    assert (got.iterations, got.converged) == (expected.iterations, True)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.residuals, expected.residuals)
    np.testing.assert_array_equal(got.lower, expected.lower)
    np.testing.assert_array_equal(got.upper, expected.upper)
    if record:
        np.testing.assert_array_equal(got.history, expected.history)


@pytest.mark.parametrize(("build", "gamma"), jacobi_round_models())
def test_jacobi_rounds_cost_at_most_one_round_and_keep_the_certificates(build, gamma):
    # Every sweep is synchronous and checked, so the certificates hold whatever the shifts
    # did; the oracle is exact policy iteration, an independent method. A restored shift
    # costs its round (FrozenLake: 583 sweeps against 571, 674 against 662).
    mdp = build()
    plain = rlf.value_iteration(mdp, gamma, epsilon=1e-6, extrapolate=False)
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-6)
    assert got.converged
    assert got.iterations <= plain.iterations + kernels.JACOBI_SHIFT_EVERY
    optimal = rlf.policy_iteration(mdp, gamma, evaluation="exact").values
    assert np.all(got.lower <= optimal) and np.all(optimal <= got.upper)
    np.testing.assert_allclose(got.values, optimal, rtol=0, atol=1e-6)
    own = rlf.policy_evaluation(mdp, got.policy, gamma, method="exact").values
    assert float(np.max(optimal - own)) <= got.suboptimality <= 1e-6 * (1 + 1e-9)


@pytest.mark.parametrize(
    ("build", "plain_sweeps", "at_most"),
    [
        pytest.param(rarely_ending_garnet, 2272, 130, id="garnet-1%"),
        pytest.param(
            lambda: rlf.problems.garnet(100, 4, 3, 0, terminal_prob=0.3), 812, 200, id="garnet-30%"
        ),
        pytest.param(one_state_model, 34, 13, id="one-state"),
    ],
)
def test_jacobi_shifts_cut_the_sweeps_where_the_change_is_close_to_a_constant(
    build, plain_sweeps, at_most
):
    # The first round's change is close to a constant (its mean at least 0.7 of its
    # midpoint); its last two sweeps measure how fast it shrinks, and the shift removes it:
    # on the one state, exactly (V* = 1 / (1 - gamma / 2)), then a sweep certifies it.
    mdp = build()
    plain = rlf.value_iteration(mdp, 0.99, extrapolate=False)
    got = rlf.value_iteration(mdp, 0.99)
    assert plain.iterations == plain_sweeps
    assert got.iterations <= at_most
    np.testing.assert_allclose(got.values, plain.values, rtol=0, atol=2e-8)


@pytest.mark.parametrize("gamma", [1.0, 0.99], ids=["undiscounted", "never-ends"])
def test_jacobi_without_rounds_is_plain_value_iteration(gamma):
    # Where episodes never end the span ignores a constant, and with gamma = 1 the rule is
    # the sup norm: no rounds, the same bits either way; against a NumPy value iteration
    # written here, with the same rule.
    mdp = rlf.problems.garnet(60, 3, 2, 4) if gamma < 1 else rlf.problems.gamblers_problem()
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-6)
    plain = rlf.value_iteration(mdp, gamma, epsilon=1e-6, extrapolate=False)
    np.testing.assert_array_equal(got.values, plain.values)
    np.testing.assert_array_equal(got.residuals, plain.residuals)
    successor, prob = mdp.next_state, np.where(mdp.terminated, 0.0, mdp.prob)
    expected_reward = (mdp.prob * mdp.reward).sum(axis=2)
    values = np.zeros(mdp.n_states)
    threshold = planning._threshold(1e-6, gamma, 1.0)
    sweeps = 0
    while True:
        q = expected_reward + gamma * (prob * values[successor]).sum(axis=2)
        new = np.max(q if mdp.action_mask is None else np.where(mdp.action_mask, q, -np.inf), 1)
        change, values, sweeps = new - values, new, sweeps + 1
        if (span(change) if gamma < 1 else float(np.abs(change).max())) < threshold:
            break
    assert got.iterations == sweeps
    if gamma < 1:  # the midpoint of MacQueen's bounds
        values = values + gamma / (1 - gamma) * 0.5 * (change.min() + change.max())
    np.testing.assert_allclose(got.values, values, rtol=0, atol=1e-9)


#: Gauss-Seidel's sweeps over Jacobi's allowed where episodes end: a run stops at a synchronous
#: check after its in-place sweeps, one sweep more where the in-place sweeps gain nothing
#: (CliffWalking: 16 against 15).
EPISODIC_ALLOWANCE = 1


def episodic_models():
    """The episodic models on which Gauss-Seidel once lost to Jacobi, in sweeps (epsilon
    1e-8, gamma 0.9 / 0.99 / 0.999): CliffWalking 29 against 15, FrozenLake 4x4 1144
    against 571 at gamma 0.99, the shortcut maze 1261 / 146 / 702 against 22, the windy
    gridworld 30 against 16."""
    models = {
        "cliff-walking": lambda: rlf.from_env("CliffWalking-v1"),
        "frozen-lake": lambda: rlf.from_env("FrozenLake-v1"),
        "shortcut-maze": rlf.problems.shortcut_maze,
        "windy-gridworld": rlf.problems.windy_gridworld,
    }
    return [
        pytest.param(build, gamma, id=f"{name}-{gamma}")
        for name, build in models.items()
        for gamma in (0.9, 0.99, 0.999)
    ]


@pytest.mark.parametrize(("build", "gamma"), episodic_models())
def test_gauss_seidel_is_no_slower_than_jacobi_where_episodes_end(build, gamma):
    # Sweep counts, not timings: an in-place sweep costs what a serial Jacobi sweep does.
    # CliffWalking's first check moves a few states (a front still crossing the grid: the
    # mean change is 17 % of the midpoint), so no check shifts; FrozenLake 4x4's shifts
    # overshoot at gamma 0.99 (each round contracts by about gamma ** 13), and the check
    # after the first falls behind gamma ** 26, which ends them (550 sweeps against 571).
    mdp = build()
    got = rlf.value_iteration(mdp, gamma, gauss_seidel=True)
    expected = reference.value_iteration(mdp, gamma, gauss_seidel=True)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.residuals, expected.residuals)
    np.testing.assert_array_equal(got.lower, expected.lower)
    np.testing.assert_array_equal(got.upper, expected.upper)
    assert got.iterations == expected.iterations
    assert got.suboptimality == expected.suboptimality
    jacobi = rlf.value_iteration(mdp, gamma, extrapolate=False)
    assert got.converged
    assert got.iterations <= jacobi.iterations + EPISODIC_ALLOWANCE
    np.testing.assert_allclose(got.values, jacobi.values, rtol=0, atol=1e-6)


def test_gauss_seidel_shifts_stop_when_a_check_does_no_better():
    # gamma = 0.5 on a chain: in-place sweeps converge fast, the first check fails the rule
    # with a tiny span, the shifts hold or end; either way the result matches the twin.
    mdp = rlf.problems.garnet(50, 2, 2, 3, terminal_prob=0.2)
    for gamma in (0.5, 0.9, 0.999):
        got = rlf.value_iteration(mdp, gamma, epsilon=1e-12, gauss_seidel=True)
        expected = reference.value_iteration(mdp, gamma, epsilon=1e-12, gauss_seidel=True)
        assert got.converged
        np.testing.assert_array_equal(got.values, expected.values)
        np.testing.assert_array_equal(got.residuals, expected.residuals)


def countdown_mdp(n_states: int) -> rlf.TabularMDP:
    """State s moves to s - 1 with reward 1; state 0 ends the episode with reward 1."""
    return rlf.TabularMDP(
        next_state=np.maximum(np.arange(n_states) - 1, 0).reshape(n_states, 1, 1),
        prob=np.ones((n_states, 1, 1)),
        reward=np.ones((n_states, 1, 1)),
        terminated=(np.arange(n_states) == 0).reshape(n_states, 1, 1),
        initial=np.eye(n_states)[-1],
    )


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
def test_a_gauss_seidel_sweep_updates_blocks_of_eight_from_the_values_before_them():
    # From zeros, one in-place sweep: states 0..7 (one block) all see zeros and get 1;
    # state 8 sees state 7's new 1 and gets 1 + gamma; states 9..15 see their own block's
    # old zeros and get 1; state 16 (third block) sees state 15's new 1. A scalar
    # in-place sweep would give 1 + gamma + ... + gamma**s instead.
    gamma = 0.5
    got = rlf.value_iteration(countdown_mdp(17), gamma, gauss_seidel=True, max_iter=1)
    expected = np.ones(17)
    expected[[8, 16]] = 1.0 + gamma
    np.testing.assert_array_equal(got.values, expected)
    np.testing.assert_array_equal(got.residuals, [1.5])


@pytest.mark.parametrize(
    "models",
    [
        pytest.param(masked_mdps(max_states=20), id="masked"),
        pytest.param(tabular_mdps(max_states=20, terminal_rate=0.3), id="terminating"),
        pytest.param(tabular_mdps(max_states=20, terminal_rate=0.0), id="never-terminating"),
    ],
)
@examples(15, deadline=None)
@given(data=st.data())
def test_gauss_seidel_policy_and_bounds_are_certified_by_exact_policy_iteration(models, data):
    # Up to three blocks of eight; the oracle: rational policy iteration (reference/exact.py).
    mdp = data.draw(models)
    gamma = 0.95
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-6, gauss_seidel=True, max_iter=10**5)
    exact_gamma = Fraction(gamma).limit_denominator(10**6)
    # The exact solver knows no masks: masked pairs become copies of allowed ones (same V*).
    unmasked = mdp if mdp.action_mask is None else with_masked_pairs_copied(mdp)
    optimal = exact.policy_iteration(unmasked, exact_gamma).values.astype(float)
    own = exact.policy_evaluation(unmasked, got.policy, exact_gamma).values.astype(float)
    assert got.converged
    assert np.all(got.lower <= optimal) and np.all(optimal <= got.upper)
    assert float(np.max(optimal - own)) <= got.suboptimality <= 1e-6 + 1e-8


@examples(40)
@given(mdp=tabular_mdps(), gamma=discounts(0.99))
def test_policy_iteration_is_at_least_as_good_as_value_iteration(mdp, gamma):
    epsilon = 1e-6
    by_policy = rlf.policy_iteration(mdp, gamma)
    by_value = rlf.value_iteration(mdp, gamma, epsilon=epsilon)
    assert by_policy.converged
    value_of_vi_policy = rlf.policy_evaluation(mdp, by_value.policy, gamma).values
    assert np.all(by_policy.values >= value_of_vi_policy - epsilon)
    # Policy iteration's values satisfy the Bellman optimality equation.
    np.testing.assert_allclose(by_policy.q_values.max(axis=1), by_policy.values, atol=1e-8)


@examples(30)
@given(mdp=tabular_mdps(), gamma=discounts(0.99), n_evaluations=st.integers(0, 20))
def test_modified_policy_iteration_reaches_the_optimum(mdp, gamma, n_evaluations):
    result = rlf.modified_policy_iteration(mdp, gamma, n_evaluations=n_evaluations, epsilon=1e-6)
    optimal = rlf.policy_iteration(mdp, gamma)
    greedy_value = rlf.policy_evaluation(mdp, result.policy, gamma).values
    assert np.all(optimal.values - greedy_value <= 1e-6)


def never_ending(rewards: list[list[float]], next_states: list[list[int]]) -> rlf.TabularMDP:
    """A deterministic model without termination: action a in s pays and moves as given."""
    shape = (len(rewards), len(rewards[0]), 1)
    return rlf.TabularMDP(
        next_state=np.array(next_states).reshape(shape),
        prob=np.ones(shape),
        reward=np.array(rewards, dtype=float).reshape(shape),
        terminated=np.zeros(shape, dtype=bool),
        initial=np.eye(shape[0])[0],
    )


SOLVERS_WITH_SPAN_STOPS = [
    pytest.param(lambda m, g: rlf.value_iteration(m, g, epsilon=1e-6), id="vi"),
    pytest.param(lambda m, g: rlf.modified_policy_iteration(m, g, epsilon=1e-6), id="mpi"),
    pytest.param(lambda m, g: reference.value_iteration(m, g, epsilon=1e-6), id="reference-vi"),
    pytest.param(
        lambda m, g: reference.modified_policy_iteration(m, g, epsilon=1e-6), id="reference-mpi"
    ),
]


@pytest.mark.parametrize("solve", SOLVERS_WITH_SPAN_STOPS)
@pytest.mark.parametrize(
    ("mdp", "expected"),
    [
        # One state paying 1 forever: the first sweep's span is 0, its values 1, V* = 10.
        pytest.param(never_ending([[1.0]], [[0]]), [10.0], id="one-state"),
        # 0 pays 1 and moves to 1; 1 pays 0 or 3 and moves back: 4 every two steps.
        pytest.param(
            never_ending([[1.0, 1.0], [0.0, 3.0]], [[1, 1], [0, 0]]),
            np.array([1.0 + 0.9 * 3.0, 3.0 + 0.9 * 1.0]) / (1.0 - 0.9**2),
            id="two-state-loop",
        ),
    ],
)
def test_values_of_a_model_that_never_ends_are_within_epsilon(solve, mdp, expected):
    result = solve(mdp, 0.9)
    assert result.converged
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=0.5e-6)


def test_gamma_zero_takes_one_sweep_of_immediate_rewards():
    mdp = line_mdp(reward_stay=2.0, reward_exit=1.0)
    result = rlf.value_iteration(mdp, 0.0)
    assert result.iterations == 1
    np.testing.assert_array_equal(result.values, [2.0])


def test_ties_break_towards_lowest_action():
    twin_actions = rlf.TabularMDP(
        next_state=np.zeros((1, 3, 1), dtype=int),
        prob=np.ones((1, 3, 1)),
        reward=np.array([[[1.0], [3.0], [3.0]]]),
        terminated=np.ones((1, 3, 1), dtype=bool),
        initial=[1.0],
    )
    for solve in (
        rlf.value_iteration,
        rlf.policy_iteration,
        rlf.modified_policy_iteration,
        reference.value_iteration,
        reference.policy_iteration,
    ):
        assert solve(twin_actions, 0.9).policy[0] == 1


def test_record_keeps_every_sweep():
    mdp = rlf.from_env("FrozenLake-v1")
    result = rlf.value_iteration(mdp, 0.9, record=True)
    assert result.history.shape == (result.iterations + 1, mdp.n_states)
    np.testing.assert_array_equal(result.history[0], np.zeros(mdp.n_states))
    np.testing.assert_array_equal(result.history[-1], result.values)
    plain = rlf.value_iteration(mdp, 0.9)
    np.testing.assert_array_equal(plain.values, result.values)
    assert plain.history is None


def test_max_iter_gives_unconverged_result_and_warning():
    mdp = rlf.from_env("FrozenLake-v1", is_slippery=True)
    with pytest.warns(rlf.ConvergenceWarning, match="max_iter=3"):
        result = rlf.value_iteration(mdp, 0.99, max_iter=3)
    assert not result.converged
    assert result.iterations == 3
    assert result.residuals.shape == (3,)


class Alternating(drivers.ThreadChoice):
    """A thread choice that changes every chunk, chunks of 1, 2, 3, ... sweeps: the values
    cross between serial and parallel sweeps mid-solve, after odd and even chunks."""

    def __init__(self, busy: bool = False) -> None:
        super().__init__(busy)
        self.calls = 0

    def next_chunk(self) -> tuple[bool, int]:
        self.calls += 1
        return self.calls % 2 == 0, self.calls


def thread_test_mdp(terminal: float = 0.1) -> rlf.TabularMDP:
    """A model just large enough for the thread choice (the driver's size floor)."""
    rng = np.random.default_rng(0)
    n_states = PARALLEL_MIN_SLOTS // 4 + 1
    shape = (n_states, 2, 2)
    return rlf.TabularMDP(
        next_state=rng.integers(0, n_states, shape),
        prob=np.full(shape, 0.5),
        reward=rng.normal(size=shape),
        terminated=rng.random(shape) < terminal,
        initial=np.full(n_states, 1.0 / n_states),
    )


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recorded"])
@pytest.mark.parametrize("terminal", [0.1, 0.0], ids=["anchored", "never-ends"])
def test_thread_count_does_not_change_the_result(monkeypatch, record, terminal):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one Numba thread: there is no parallel sweep to compare")
    mdp = thread_test_mdp(terminal)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = rlf.value_iteration(mdp, 0.95, record=record)
    finally:
        numba.set_num_threads(threads)
    auto = rlf.value_iteration(mdp, 0.95, record=record)
    # Serial and parallel chunks in turn, the choice changing mid-solve.
    monkeypatch.setattr(drivers, "ThreadChoice", Alternating)
    mixed = rlf.value_iteration(mdp, 0.95, record=record)
    for got in (auto, mixed):
        np.testing.assert_array_equal(got.values, one.values)
        np.testing.assert_array_equal(got.policy, one.policy)
        np.testing.assert_array_equal(got.residuals, one.residuals)
        np.testing.assert_array_equal(got.lower, one.lower)
        if record:
            np.testing.assert_array_equal(got.history, one.history)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize("gauss_seidel", [False, True], ids=["jacobi", "gauss-seidel"])
def test_forced_thread_counts_give_the_reference_bits(gauss_seidel):
    mdp = rlf.problems.garnet(500, 3, 2, 1)
    expected = reference.value_iteration(mdp, 0.95, gauss_seidel=gauss_seidel, max_iter=40)
    for parallel in (False, True, None):
        values = np.zeros(mdp.n_states)
        done, _, residuals = drivers.value_iteration(
            kernel_model(mdp),
            0.95,
            planning._threshold(1e-8, 0.95, 1.0),
            True,
            mdp.can_terminate,
            gauss_seidel,
            40,
            values,
            parallel=parallel,
        )
        assert done == expected.iterations
        np.testing.assert_array_equal(residuals, expected.residuals)
        np.testing.assert_array_equal(values, expected.values)


ONE_THREAD_SCRIPT = """
import sys
import numpy as np
import rlfoundations as rlf
from rlfoundations import planning
from rlfoundations._kernels import drivers
from rlfoundations._kernels.layout import kernel_model

mdp = rlf.problems.garnet(6000, 4, 3, 0)  # 72 000 slots: large enough for the thread choice
solved = {"auto": rlf.value_iteration(mdp, 0.95).values}
for parallel in (False, True):
    values = np.zeros(mdp.n_states)
    drivers.value_iteration(
        kernel_model(mdp), 0.95, planning._threshold(1e-8, 0.95, 1.0), True, False, False,
        10_000, values, parallel=parallel,
    )
    solved[str(parallel)] = values
np.savez(sys.argv[1], **solved)
"""


def test_one_numba_thread_gives_the_same_bits(tmp_path):
    script = tmp_path / "one_thread.py"
    script.write_text(ONE_THREAD_SCRIPT)
    out = tmp_path / "one_thread.npz"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(script), str(out)], env=env, check=True)
    expected = rlf.value_iteration(rlf.problems.garnet(6000, 4, 3, 0), 0.95).values
    with np.load(out) as got:
        for name in ("auto", "False", "True"):
            np.testing.assert_array_equal(got[name], expected, err_msg=name)


def run_until_trial(choice: drivers.ThreadChoice, per_sweep: float) -> float:
    """Record chunks of the current choice at ``per_sweep`` seconds a sweep until the thread
    choice asks for a trial of the other; returns the seconds run."""
    ran = 0.0
    while True:
        parallel, sweeps = choice.next_chunk()
        if parallel != choice.parallel:
            assert sweeps == 1
            return ran
        choice.record(parallel, sweeps, sweeps * per_sweep)
        ran += sweeps * per_sweep


def test_thread_choice_moves_to_the_faster_choice_and_backs_off():
    choice = drivers.ThreadChoice()
    assert choice.next_chunk() == (False, 1)
    choice.record(False, 1, 1e-3)
    ran = run_until_trial(choice, 1e-3)  # serial, then the first parallel trial
    assert ran + 1e-3 == pytest.approx(drivers.FIRST_TRIAL_SECONDS, abs=1e-3)
    choice.record(True, 1, 0.5e-3)  # it wins: the solve goes parallel
    assert choice.parallel
    # The serial sweep is tried again after 16 x its last cost of parallel sweeps.
    ran = run_until_trial(choice, 0.5e-3)
    assert ran == pytest.approx(drivers.RETRIAL_PATIENCE * 1e-3, abs=0.5e-3)
    choice.record(False, 1, 2e-3)  # it loses: parallel stays, the next trial waits twice as long
    assert choice.parallel
    ran = run_until_trial(choice, 0.5e-3)
    assert ran == pytest.approx(2 * drivers.RETRIAL_PATIENCE * 2e-3, abs=0.5e-3)
    choice.record(False, 1, 2e-3)
    # Another job starts: a parallel chunk slower than the serial sweep's last cost makes
    # the next call a serial trial at once, which wins.
    choice.record(True, 1, 10e-3)
    assert choice.next_chunk() == (False, 1)
    choice.record(False, 1, 2e-3)
    assert not choice.parallel


def test_thread_choice_on_busy_cores_waits_longer_for_its_first_trial():
    choice = drivers.ThreadChoice(busy=True)
    choice.record(False, 1, 1e-3)
    ran = run_until_trial(choice, 1e-3)
    assert ran + 1e-3 == pytest.approx(drivers.BUSY_FIRST_TRIAL_SECONDS, abs=1e-3)
    assert isinstance(drivers.cores_busy(), bool)


# -- gamma = 1 --------------------------------------------------------------------------------
def test_undiscounted_zero_reward_loop_is_reported_not_looped_forever():
    mdp = line_mdp(reward_stay=0.0, reward_exit=-1.0)
    with pytest.warns(rlf.NonTerminationWarning, match="first state 0"):
        result = rlf.value_iteration(mdp, 1.0)
    assert result.converged
    np.testing.assert_array_equal(result.non_terminating, [True])


def test_undiscounted_positive_loop_stops_at_max_iter():
    mdp = line_mdp(reward_stay=1.0, reward_exit=0.0)
    with pytest.warns(rlf.NonTerminationWarning), pytest.warns(rlf.ConvergenceWarning):
        result = rlf.value_iteration(mdp, 1.0, max_iter=50)
    assert not result.converged
    assert result.values[0] == 50.0


def test_undiscounted_terminating_model_reports_no_stuck_states():
    result = rlf.value_iteration(line_mdp(reward_stay=-1.0, reward_exit=-1.0), 1.0)
    np.testing.assert_array_equal(result.non_terminating, [False])
    assert rlf.value_iteration(line_mdp(), 0.9).non_terminating is None


def test_policy_evaluation_rejects_a_policy_that_never_ends_at_gamma_one():
    with pytest.raises(ValueError, match=r"never ends the episode from state 0 \(policy\[0\] = 0"):
        rlf.policy_evaluation(line_mdp(), [0], 1.0)


def test_policy_iteration_keeps_a_proper_policy_on_ties():
    # Staying pays 0 and exiting -1: staying is no strict improvement over the exit.
    result = rlf.policy_iteration(line_mdp(), 1.0)
    assert result.converged
    np.testing.assert_array_equal(result.policy, [1])


def test_policy_iteration_rejects_states_that_cannot_end_at_gamma_one():
    trapped = rlf.TabularMDP(
        next_state=[[[1]], [[1]]],
        prob=[[[1.0]], [[1.0]]],
        reward=[[[0.0]], [[-1.0]]],
        terminated=[[[False]], [[False]]],
        initial=[1.0, 0.0],
    )
    with pytest.raises(ValueError, match="state 0 cannot end the episode under any policy"):
        rlf.policy_iteration(trapped, 1.0)


def test_policy_iteration_reports_an_improper_policy_it_reaches():
    # Staying pays +1 forever, which beats exiting at -1: the improvement is improper.
    with pytest.warns(rlf.NonTerminationWarning):
        result = rlf.policy_iteration(line_mdp(reward_stay=1.0), 1.0)
    assert not result.converged
    np.testing.assert_array_equal(result.non_terminating, [True])


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"gamma": 1.5}, ValueError, r"gamma must be in \[0, 1\], got 1.5", id="gamma"),
        pytest.param({"gamma": -0.1}, ValueError, "gamma must be in", id="negative-gamma"),
        pytest.param({"gamma": "0.9"}, TypeError, "gamma must be a number", id="gamma-type"),
        pytest.param(
            {"gamma": 0.9, "epsilon": 0.0}, ValueError, "epsilon must be > 0, got 0.0", id="epsilon"
        ),
        pytest.param(
            {"gamma": 0.9, "max_iter": 0}, ValueError, "max_iter must be > 0, got 0", id="max-iter"
        ),
        pytest.param(
            {"gamma": 0.9, "max_iter": 2.5},
            TypeError,
            "max_iter must be an int",
            id="max-iter-type",
        ),
        pytest.param(
            {"gamma": 0.9, "gauss_seidel": True, "extrapolate": False},
            rlf.InvalidValueError,
            "extrapolate=False does not apply to gauss_seidel=True",
            id="extrapolate-gauss-seidel",
        ),
        pytest.param(
            {"gamma": 0.9, "extrapolate": 1},
            TypeError,
            "extrapolate must be a bool",
            id="extrapolate-type",
        ),
        pytest.param(
            {"gamma": 0.9, "initial_values": [0.0, 1.0]},
            ValueError,
            r"initial_values must have shape \(1,\)",
            id="initial-values",
        ),
    ],
)
def test_value_iteration_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        rlf.value_iteration(line_mdp(), **kwargs)


def test_solvers_reject_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="mdp must be a TabularMDP"):
        rlf.policy_iteration({"P": []}, 0.9)


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        pytest.param(
            [2],
            ValueError,
            r"policy\[0\] = 2 is not an action in \[0, 2\) \(state=0\)",
            id="action-out-of-range",
        ),
        pytest.param([0, 1], ValueError, r"policy must have shape \(1,\)", id="shape"),
        pytest.param([0.0], TypeError, "policy must hold integer actions", id="float-actions"),
    ],
)
def test_policy_evaluation_rejects_bad_policies(policy, error, message):
    with pytest.raises(error, match=message):
        rlf.policy_evaluation(line_mdp(), policy, 0.9)


def test_unknown_method_names_are_rejected():
    with pytest.raises(ValueError, match="method must be"):
        rlf.policy_evaluation(line_mdp(), [0], 0.9, method="lu")
    with pytest.raises(ValueError, match="evaluation must be"):
        rlf.policy_iteration(line_mdp(), 0.9, evaluation="lu")
    with pytest.raises(ValueError, match="n_evaluations must be >= 0"):
        rlf.modified_policy_iteration(line_mdp(), 0.9, n_evaluations=-1)


def test_policy_errors_are_the_callers_mistakes():
    with pytest.raises(rlf.InvalidValueError, match="policy"):
        rlf.policy_evaluation(line_mdp(), [5], 0.9)
    with pytest.raises(rlf.InvalidTypeError, match="initial_policy must hold integer actions"):
        rlf.policy_iteration(line_mdp(), 0.9, initial_policy=[0.5])


# -- residual buffers grow with the sweeps taken ----------------------------------------------
HUGE_MAX_ITER_RUNS = [
    pytest.param(lambda mdp: rlf.value_iteration(mdp, 0.9, max_iter=10**10), id="vi"),
    pytest.param(
        lambda mdp: rlf.value_iteration(mdp, 0.9, max_iter=10**10, gauss_seidel=True),
        id="gauss-seidel",
    ),
    pytest.param(lambda mdp: rlf.policy_iteration(mdp, 0.9, max_iter=10**10), id="pi"),
    pytest.param(lambda mdp: rlf.modified_policy_iteration(mdp, 0.9, max_iter=10**10), id="mpi"),
    pytest.param(
        lambda mdp: rlf.policy_evaluation(
            mdp, np.zeros(mdp.n_states, dtype=int), 0.9, method="iterative", max_iter=10**10
        ),
        id="evaluation",
    ),
]


@pytest.mark.parametrize("solve", HUGE_MAX_ITER_RUNS)
def test_huge_max_iter_allocates_only_the_sweeps_taken(solve):
    import tracemalloc

    mdp = rlf.from_env("FrozenLake-v1")
    solve(mdp)  # compiled and warm: the measured call allocates only its buffers
    tracemalloc.start()
    try:
        result = solve(mdp)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.converged
    assert result.residuals.shape == (result.iterations,)
    assert peak < 1 << 20  # a 10**10 buffer would be 80 GB


SPLIT_RUNS = [
    pytest.param(lambda mdp: rlf.value_iteration(mdp, 0.999), id="vi"),
    pytest.param(lambda mdp: rlf.value_iteration(mdp, 0.999, gauss_seidel=True), id="gs"),
    pytest.param(lambda mdp: rlf.value_iteration(mdp, 0.99, record=True), id="record"),
    pytest.param(
        lambda mdp: rlf.policy_iteration(mdp, 0.999, evaluation="iterative"), id="pi-iterative"
    ),
    pytest.param(lambda mdp: rlf.modified_policy_iteration(mdp, 0.999), id="mpi"),
    pytest.param(
        lambda mdp: rlf.policy_evaluation(
            mdp, np.arange(mdp.n_states) % mdp.n_actions, 0.999, method="iterative"
        ),
        id="evaluation",
    ),
    pytest.param(lambda mdp: rlf.value_iteration(mdp, 0.999, max_iter=37), id="unconverged"),
]


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize("solve", SPLIT_RUNS)
def test_a_run_split_into_many_kernel_calls_equals_one_call_to_the_bit(monkeypatch, solve):
    mdp = rlf.from_env("FrozenLake-v1")
    monkeypatch.setattr(drivers, "FIRST_RESIDUALS", 10**6)
    expected = solve(mdp)
    monkeypatch.setattr(drivers, "FIRST_RESIDUALS", 1)  # 1, 2, 4, ... sweeps per call
    got = solve(mdp)
    for field in ("values", "q_values", "policy", "residuals"):
        assert getattr(got, field).tobytes() == getattr(expected, field).tobytes(), field
    assert (got.iterations, got.converged) == (expected.iterations, expected.converged)
    if expected.history is not None:
        assert got.history.tobytes() == expected.history.tobytes()


# -- action masks (issue 12): solvers never choose a masked action -------------------------------
def tempting_masked_mdp() -> rlf.TabularMDP:
    """State 0: action 0 (masked) pays 10 and stays, action 1 pays 1 and stays; state 1 pays 0
    and moves to 0. With gamma = 1/2: V(0) = 1 / (1 - 1/2) = 2, V(1) = 0 + 2 / 2 = 1 (20 and
    10 if the mask were ignored)."""
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    R = np.array([[10.0, 1.0], [0.0, 0.0]])
    return rlf.TabularMDP.from_dense(P, R, action_mask=np.array([[False, True], [True, True]]))


MASKED_SOLVERS = [
    pytest.param(rlf.value_iteration, {}, id="value_iteration"),
    pytest.param(rlf.value_iteration, {"gauss_seidel": True}, id="gauss_seidel"),
    pytest.param(rlf.policy_iteration, {}, id="policy_iteration"),
    pytest.param(rlf.policy_iteration, {"evaluation": "iterative"}, id="pi_iterative"),
    pytest.param(rlf.modified_policy_iteration, {}, id="modified_policy_iteration"),
]


@pytest.mark.parametrize(("solver", "options"), MASKED_SOLVERS)
def test_a_masked_action_is_never_chosen_however_tempting(solver, options):
    got = solver(tempting_masked_mdp(), 0.5, **options)
    np.testing.assert_allclose(got.values, [2.0, 1.0], atol=1e-8)
    assert got.policy.tolist() == [1, 0]


def test_a_masked_action_has_minus_infinite_q_value():
    got = rlf.value_iteration(tempting_masked_mdp(), 0.5)
    assert got.q_values[0, 0] == -np.inf
    assert np.isfinite(got.q_values[1]).all()


def with_masked_pairs_copied(mdp: rlf.TabularMDP) -> rlf.TabularMDP:
    """The unmasked model in which every masked pair is a copy of its state's first allowed
    action: duplicating an allowed action cannot change V*, so both models share it."""
    first = np.argmax(mdp.action_mask, axis=1)[:, None]
    take = np.where(mdp.action_mask, np.arange(mdp.n_actions), first)
    rows = np.arange(mdp.n_states)[:, None]
    return rlf.TabularMDP(
        next_state=mdp.next_state[rows, take],
        prob=mdp.prob[rows, take],
        reward=mdp.reward[rows, take],
        terminated=mdp.terminated[rows, take],
        initial=mdp.initial,
    )


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize(("solver", "options"), MASKED_SOLVERS)
@examples(25)
@given(mdp=masked_mdps(), gamma=discounts(0.95))
def test_masked_models_solve_to_the_values_of_the_model_with_masked_pairs_copied(
    solver, options, mdp, gamma
):
    got = solver(mdp, gamma, **options)
    expected = rlf.policy_iteration(with_masked_pairs_copied(mdp), gamma)
    assert mdp.action_mask[np.arange(mdp.n_states), got.policy].all()
    np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::rlfoundations.NonTerminationWarning")
@pytest.mark.parametrize(
    ("solver", "options"),
    [
        pytest.param("value_iteration", {}, id="value_iteration"),
        pytest.param("value_iteration", {"gauss_seidel": True}, id="gauss_seidel"),
        pytest.param("modified_policy_iteration", {}, id="modified_policy_iteration"),
    ],
)
@examples(25)
@given(mdp=masked_mdps(), gamma=discounts())
def test_masked_models_equal_reference_to_the_bit(solver, options, mdp, gamma):
    got = getattr(rlf, solver)(mdp, gamma, max_iter=100, **options)
    expected = getattr(reference, solver)(mdp, gamma, max_iter=100, **options)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.policy, expected.policy)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@examples(25)
@given(mdp=masked_mdps(), gamma=discounts(0.95))
def test_masked_policy_iteration_matches_reference(mdp, gamma):
    got = rlf.policy_iteration(mdp, gamma)
    expected = reference.policy_iteration(mdp, gamma)
    np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.policy, expected.policy)


def test_quantecon_infeasible_pairs_solve_as_quantecon_solves_them():
    quantecon = pytest.importorskip("quantecon", reason="pip install 'rlfoundations[test-envs]'")
    rng = np.random.default_rng(7)
    n_states, n_actions = 12, 4
    Q = rng.random((n_states, n_actions, n_states))
    Q /= Q.sum(axis=2, keepdims=True)
    R = rng.integers(-3, 4, (n_states, n_actions)).astype(float)
    R[rng.random((n_states, n_actions)) < 0.4] = -np.inf
    R[np.arange(n_states), rng.integers(0, n_actions, n_states)] = 1.0  # one feasible each
    peer = quantecon.markov.DiscreteDP(R, Q, 0.9).solve(method="policy_iteration")
    mdp = rlf.from_quantecon(quantecon.markov.DiscreteDP(R, Q, 0.9))
    for got in (rlf.value_iteration(mdp, 0.9, epsilon=1e-10), rlf.policy_iteration(mdp, 0.9)):
        np.testing.assert_allclose(got.values, peer.v, rtol=0, atol=1e-8)
        assert got.policy.tolist() == peer.sigma.tolist()


def test_mdptoolbox_minus_infinity_rewards_are_never_chosen():
    # mdptoolbox's small() with action 1 of state 1 infeasible (R = -inf): state 1 must take
    # action 0, and the values follow from Bellman's equation solved by hand.
    P = np.array([[[0.5, 0.5], [0.8, 0.2]], [[0.0, 1.0], [0.1, 0.9]]])
    R = np.array([[5.0, 10.0], [-1.0, -np.inf]])
    got = rlf.policy_iteration(rlf.from_mdptoolbox(P, R), gamma=0.9)
    # Only action 0 in state 1: V1 = -1 + 0.9 (0.8 V0 + 0.2 V1); state 0 picks its best.
    v0_wait = np.linalg.solve([[1 - 0.45, -0.45], [-0.72, 1 - 0.18]], [5.0, -1.0])
    v0_switch = np.linalg.solve([[1.0, -0.9], [-0.72, 1 - 0.18]], [10.0, -1.0])
    expected = max(v0_wait, v0_switch, key=lambda v: v[0])
    assert got.policy[1] == 0
    np.testing.assert_allclose(got.values, expected, atol=1e-9)


def test_policy_evaluation_refuses_a_policy_choosing_a_masked_action():
    with pytest.raises(rlf.InvalidValueError, match=r"state=0, action=0"):
        rlf.policy_evaluation(tempting_masked_mdp(), [0, 0], 0.5)


def test_policy_evaluation_refuses_probability_on_a_masked_action():
    with pytest.raises(rlf.InvalidValueError, match=r"state=0, action=0"):
        rlf.policy_evaluation(tempting_masked_mdp(), [[0.5, 0.5], [0.5, 0.5]], 0.5)


def test_policy_iteration_refuses_an_initial_policy_choosing_a_masked_action():
    with pytest.raises(rlf.InvalidValueError, match=r"initial_policy\[0\]"):
        rlf.policy_iteration(tempting_masked_mdp(), 0.5, initial_policy=[0, 0])


def test_undiscounted_policy_iteration_starts_from_an_allowed_proper_policy():
    # State 0: action 0 (masked) ends the episode, action 1 loops once then ends.
    mdp = rlf.TabularMDP(
        next_state=[[[0], [1]], [[0], [0]]],
        prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
        reward=[[[5.0], [-1.0]], [[-1.0], [-1.0]]],
        terminated=[[[True], [False]], [[True], [True]]],
        initial=[1.0, 0.0],
        action_mask=[[False, True], [True, True]],
    )
    got = rlf.policy_iteration(mdp, 1.0)
    assert got.policy.tolist() == [1, 0]
    assert got.values.tolist() == [-2.0, -1.0]


def test_an_unmasked_model_keeps_its_layout_arrays_to_the_bit():
    mdp = rlf.from_env("FrozenLake-v1")
    masked = mdp.with_action_mask(np.ones((mdp.n_states, mdp.n_actions), dtype=bool))
    for got, expected in zip(kernel_model(masked), kernel_model(mdp), strict=True):
        np.testing.assert_array_equal(got, expected)


# -- policy iteration with evaluation to the accuracy the improvement needs (issue 16) ----------
@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::rlfoundations.NonTerminationWarning")
@examples(40)
@given(mdp=st.one_of(tabular_mdps(), masked_mdps()), gamma=discounts())
def test_iterative_policy_iteration_equals_reference_to_the_bit(mdp, gamma):
    # Inexact evaluations (tolerance from the last gap, span rule, MacQueen's midpoint), the
    # tightening and the stop: the twin does the same operations in the same order.
    got = rlf.policy_iteration(mdp, gamma, evaluation="iterative", max_iter=50)
    expected = reference.policy_iteration(mdp, gamma, evaluation="iterative", max_iter=50)
    for field in ("values", "q_values", "policy", "residuals", "lower", "upper"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field), field)
    assert (got.iterations, got.converged) == (expected.iterations, expected.converged)


@pytest.mark.parametrize("evaluation", ["auto", "iterative", "exact"])
@examples(25)
@given(
    mdp=tabular_mdps(max_states=8, max_actions=3),
    gamma=st.sampled_from([0.5, 0.9, 0.99, 0.999]),
)
def test_policy_iteration_returns_an_exactly_optimal_policy(evaluation, mdp, gamma):
    # Oracle: reference/exact.py, Howard's algorithm in Fractions (ties decided exactly).
    # The policy returned must be worth V* (a near-tie within tie_tolerance aside), and
    # "auto" on a small model must report its exact values. Iterative evaluation gets
    # epsilon = 1e-6: on a periodic chain the rounding of values near 1e3 keeps the change's
    # span near ulp / (1 - gamma), which 1e-10 at gamma = 0.999 asks below (and says so);
    # and at 0.999 a self-loop needs over 10 000 sweeps (0.999**n * 1e3 < 1e-9).
    epsilon = 1e-6 if evaluation == "iterative" else 1e-10
    assume(evaluation != "iterative" or gamma <= 0.99)
    optimal = exact.policy_iteration(mdp, Fraction(gamma)).values
    got = rlf.policy_iteration(mdp, gamma, evaluation=evaluation, epsilon=epsilon)
    own = exact.policy_evaluation(mdp, got.policy, Fraction(gamma)).values
    assert got.converged
    assert float(max(optimal - own)) <= got.suboptimality
    if evaluation != "iterative":
        assert float(max(optimal - own)) <= 1e-9 * (1.0 + float(max(abs(optimal))))
        np.testing.assert_allclose(got.values, own.astype(float), rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got.values, own.astype(float), rtol=0, atol=epsilon)


def test_policy_iteration_on_frozen_lake_ends_with_exact_values():
    # Warm-started inexact evaluations, then exact ones: Howard's exact algorithm's policy,
    # the exact values of that policy (bit for bit), value iteration's documented return.
    mdp = rlf.from_env("FrozenLake-v1")
    got = rlf.policy_iteration(mdp, 0.99)
    howard = rlf.policy_iteration(mdp, 0.99, evaluation="exact")
    assert got.converged
    np.testing.assert_array_equal(got.policy, howard.policy)
    exact_values = rlf.policy_evaluation(mdp, got.policy, 0.99, method="exact").values
    np.testing.assert_array_equal(got.values, exact_values)
    assert round(got.mean_return(mdp.initial), 4) == 0.542


def test_policy_iteration_reports_a_last_evaluation_that_cannot_reach_epsilon():
    # line_mdp(1, 0): staying pays 1 forever, V* = 1 / (1 - gamma) = 1e4 with gamma = 0.9999.
    # The episode can end, so the change's span counts the end state's 0: it shrinks only by
    # gamma per sweep, 10 000 sweeps by 0.9999**10000 = 1/e, and the last evaluation stops at
    # its sweep limit short of epsilon: not converged, and said so.
    mdp = line_mdp(reward_stay=1.0, reward_exit=0.0)
    with pytest.warns(rlf.ConvergenceWarning, match="last policy evaluation"):
        got = rlf.policy_iteration(mdp, 0.9999, evaluation="iterative")
    assert not got.converged
    assert got.policy.tolist() == [0]
    assert got.lower[0] <= 1e4 <= got.upper[0]
    with pytest.warns(rlf.ConvergenceWarning):
        expected = reference.policy_iteration(mdp, 0.9999, evaluation="iterative")
    assert not expected.converged
    np.testing.assert_array_equal(got.values, expected.values)


# -- memory: the layout is the solvers' one copy --------------------------------------------------
MODEL_ARRAYS = ("next_state", "prob", "reward", "terminated", "initial", "action_mask")


@pytest.mark.parametrize(
    "solve",
    [
        pytest.param(rlf.value_iteration, id="value_iteration"),
        pytest.param(rlf.policy_iteration, id="policy_iteration"),
        pytest.param(rlf.modified_policy_iteration, id="modified_policy_iteration"),
    ],
)
@pytest.mark.parametrize(
    "gamma", [pytest.param(0.9, id="discounted"), pytest.param(1.0, id="undiscounted")]
)
def test_solvers_cache_no_derived_array_on_the_model(solve, gamma):
    # A derived (S, A, K) or (S, A) array cached on the model beside the kernels' layout
    # (an int32 next_state, the expected rewards) would stay as long as the model does.
    mdp = dataclasses.replace(rlf.from_env("CliffWalking-v1"))
    solve(mdp, gamma)
    assert derived_arrays_cached_on(mdp) == []


def derived_arrays_cached_on(mdp: rlf.TabularMDP) -> list[str]:
    """The arrays a model holds beyond its own (a solver's cache that would outlive it)."""
    return [
        name
        for name, value in vars(mdp).items()
        if isinstance(value, np.ndarray) and name not in MODEL_ARRAYS
    ]


@pytest.mark.parametrize(
    "solve",
    [
        pytest.param(lambda mdp: rlf.soft_value_iteration(mdp, 0.9, 0.5), id="soft"),
        pytest.param(lambda mdp: rlf.relative_value_iteration(mdp), id="relative"),
        pytest.param(lambda mdp: rlf.average_reward_policy_iteration(mdp), id="average_pi"),
        pytest.param(lambda mdp: rlf.backward_induction(mdp, 5), id="horizon"),
        pytest.param(lambda mdp: rlf.ucbvi(mdp, 5, 3), id="ucbvi"),
        pytest.param(lambda mdp: rlf.psrl(mdp, 5, 3), id="psrl"),
    ],
)
def test_other_criteria_cache_no_derived_array_on_the_model(solve):
    # mdp.successor and mdp.continue_prob were cached properties: read by these solvers,
    # they stayed on the model (12 bytes a slot) after the solve.
    mdp = rlf.problems.garnet(40, 3, 2, 0)
    solve(mdp)
    assert derived_arrays_cached_on(mdp) == []
