"""Finite horizon: backward induction against QuantEcon's and pymdptoolbox's own examples,
its twin, the infinite-horizon limit, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import reference
from strategies import examples, masked_mdps, tabular_mdps

# Puterman (2005), sections 3.2 and 4.6.1, single-product stochastic inventory control: stock
# s in {0..3}, order a with s + a <= 3. Transcribed from QuantEcon.py's
# quantecon/markov/tests/test_ddp.py (TestFiniteHorizon), as (state, action) pairs. Orders
# that would overflow the warehouse copy the state's order 0: a duplicate action changes no
# maximum, and ties go to the lower index, so values and policies are those of the original.
INVENTORY_PAIRS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (3, 0)]
INVENTORY_REWARD = [0.0, -1.0, -2.0, -5.0, 5.0, 0.0, -3.0, 6.0, -1.0, 5.0]
INVENTORY_NEXT = [
    [1.0, 0.0, 0.0, 0.0],
    [0.75, 0.25, 0.0, 0.0],
    [0.25, 0.5, 0.25, 0.0],
    [0.0, 0.25, 0.5, 0.25],
    [0.75, 0.25, 0.0, 0.0],
    [0.25, 0.5, 0.25, 0.0],
    [0.0, 0.25, 0.5, 0.25],
    [0.25, 0.5, 0.25, 0.0],
    [0.0, 0.25, 0.5, 0.25],
    [0.0, 0.25, 0.5, 0.25],
]
# QuantEcon's expected values for T = 3, v_T = 0 (the same test).
QUANTECON_VALUES = [
    [67 / 16, 129 / 16, 194 / 16, 227 / 16],
    [2, 25 / 4, 10, 21 / 2],
    [0, 5, 6, 5],
    [0, 0, 0, 0],
]
QUANTECON_POLICY = [[3, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]

# pymdptoolbox's FiniteHorizon docstring: example.forest() (3 states, 2 actions), discount
# 0.9, N = 3. Its V is (S, N + 1) and its policy (S, N): ours transposed.
FOREST_VALUES = [[2.6973, 0.81, 0.0, 0.0], [5.9373, 3.24, 1.0, 0.0], [9.9373, 7.24, 4.0, 0.0]]
FOREST_POLICY = [[0, 0, 0], [0, 0, 1], [0, 0, 0]]


def inventory_dense() -> tuple[np.ndarray, np.ndarray]:
    P = np.zeros((4, 4, 4))
    R = np.zeros((4, 4))
    for (s, a), reward, row in zip(INVENTORY_PAIRS, INVENTORY_REWARD, INVENTORY_NEXT, strict=True):
        P[s, a], R[s, a] = row, reward
    for s in range(4):
        for a in range(4 - s, 4):
            P[s, a], R[s, a] = P[s, 0], R[s, 0]
    return P, R


def inventory_mdp() -> rlf.TabularMDP:
    return rlf.TabularMDP.from_dense(*inventory_dense())


def forest_mdp() -> rlf.TabularMDP:
    """pymdptoolbox's example.forest() with its defaults (S=3, r1=4, r2=2, p=0.1)."""
    P = np.array(
        [
            [[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]],
            [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
        ]
    )
    R = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 2.0]])
    return rlf.TabularMDP.from_dense(P.transpose(1, 0, 2), R)


def test_backward_induction_matches_quantecon_on_putermans_inventory_problem():
    got = rlf.backward_induction(inventory_mdp(), 3)
    np.testing.assert_allclose(got.values, QUANTECON_VALUES, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got.policy, QUANTECON_POLICY)


def test_backward_induction_matches_pymdptoolbox_on_its_forest_example():
    got = rlf.backward_induction(forest_mdp(), 3, gamma=0.9)
    np.testing.assert_allclose(got.values.T, FOREST_VALUES, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got.policy.T, FOREST_POLICY)


def test_backward_induction_matches_quantecon_itself_with_salvage_values():
    markov = pytest.importorskip("quantecon.markov")
    P, R = inventory_dense()
    terminal = np.array([0.0, 1.0, 1.5, 1.75])
    expected_values, expected_policy = markov.backward_induction(
        markov.DiscreteDP(R, P, 0.95), 6, v_term=terminal
    )
    got = rlf.backward_induction(inventory_mdp(), 6, gamma=0.95, terminal_values=terminal)
    np.testing.assert_allclose(got.values, expected_values, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got.policy, expected_policy)


def test_backward_induction_matches_pymdptoolbox_itself_on_a_longer_forest():
    example = pytest.importorskip("mdptoolbox.example")
    toolbox = pytest.importorskip("mdptoolbox.mdp")
    P, R = example.forest(S=5, r1=3, r2=5, p=0.2)
    solver = toolbox.FiniteHorizon(P, R, 0.8, 7)
    solver.run()
    got = rlf.backward_induction(rlf.TabularMDP.from_dense(P.transpose(1, 0, 2), R), 7, gamma=0.8)
    np.testing.assert_allclose(got.values.T, solver.V, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got.policy.T, solver.policy)


@examples(40)
@given(
    mdp=tabular_mdps(max_states=12), horizon=st.integers(1, 6), gamma=st.sampled_from([0.5, 1.0])
)
def test_backward_induction_equals_reference_to_the_bit(mdp, horizon, gamma):
    terminal = np.arange(mdp.n_states, dtype=float) / 4.0
    got = rlf.backward_induction(mdp, horizon, gamma=gamma, terminal_values=terminal)
    expected = reference.backward_induction(mdp, horizon, gamma=gamma, terminal_values=terminal)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.policy, expected.policy)


@examples(30)
@given(mdp=masked_mdps(max_states=12), horizon=st.integers(1, 6), gamma=st.sampled_from([0.5, 1.0]))
def test_masked_backward_induction_equals_reference_to_the_bit(mdp, horizon, gamma):
    # The regret learners' twins measure regret against this twin's masked optimum.
    got = rlf.backward_induction(mdp, horizon, gamma=gamma)
    expected = reference.backward_induction(mdp, horizon, gamma=gamma)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert mdp.action_mask[np.arange(mdp.n_states), got.policy].all()


@examples(20)
@given(mdp=tabular_mdps(max_states=10))
def test_a_long_discounted_horizon_approaches_the_infinite_horizon_optimum(mdp):
    gamma = 0.5
    got = rlf.backward_induction(mdp, 60, gamma=gamma).values[0]
    expected = np.array(
        [float(v) for v in reference.exact.policy_iteration(mdp, gamma).values], dtype=float
    )
    # |V_0 - V*| <= gamma^T * max|R| / (1 - gamma), rewards in [-2, 2].
    np.testing.assert_allclose(got, expected, rtol=0, atol=gamma**60 * 4 + 1e-12)


def test_one_step_horizon_is_the_myopic_policy():
    mdp = inventory_mdp()
    got = rlf.backward_induction(mdp, 1)
    np.testing.assert_array_equal(got.policy[0], np.argmax(mdp.expected_reward, axis=1))
    np.testing.assert_array_equal(got.values[0], mdp.expected_reward.max(axis=1))


def test_horizon_can_be_the_models_time_limit():
    mdp = rlf.from_env("FrozenLake-v1")
    got = rlf.backward_induction(mdp, "max_episode_steps")
    assert got.horizon == mdp.max_episode_steps == 100
    assert got.values.shape == (101, mdp.n_states)


def test_a_short_time_limit_lowers_frozen_lakes_success_probability():
    mdp = rlf.from_env("FrozenLake-v1")
    short = rlf.backward_induction(mdp, 10).mean_return(mdp.initial)
    limit = rlf.backward_induction(mdp, "max_episode_steps").mean_return(mdp.initial)
    unlimited = rlf.policy_iteration(mdp, gamma=1.0).mean_return(mdp.initial)
    assert short < limit <= unlimited + 1e-12


def test_time_limit_horizon_needs_a_time_limit():
    mdp = inventory_mdp()
    with pytest.raises(rlf.InvalidValueError, match="max_episode_steps is None"):
        rlf.backward_induction(mdp, "max_episode_steps")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"horizon": 0}, rlf.InvalidValueError, "horizon", id="zero-horizon"),
        pytest.param({"horizon": 2.5}, rlf.InvalidTypeError, "horizon", id="float-horizon"),
        pytest.param({"horizon": "forever"}, rlf.InvalidValueError, "forever", id="name"),
        pytest.param({"horizon": 2, "gamma": 1.5}, rlf.InvalidValueError, "gamma", id="gamma"),
        pytest.param(
            {"horizon": 2, "terminal_values": [0.0]}, rlf.InvalidValueError, "shape", id="shape"
        ),
        pytest.param(
            {"horizon": 2, "terminal_values": [0.0, np.nan, 0.0, 0.0]},
            rlf.InvalidValueError,
            r"terminal_values\[1\]",
            id="nan",
        ),
    ],
)
def test_backward_induction_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        rlf.backward_induction(inventory_mdp(), **kwargs)


def test_taxis_time_limit_is_long_enough_for_its_undiscounted_optimum():
    # Every optimal Taxi episode takes under 200 steps, so the finite-horizon values at
    # time 0 equal the episodic optimum (undiscounted policy iteration) exactly.
    mdp = rlf.from_env("Taxi-v3")
    got = rlf.backward_induction(mdp, "max_episode_steps")
    expected = rlf.policy_iteration(mdp, gamma=1.0).values
    assert got.horizon == 200
    np.testing.assert_allclose(got.values[0], expected, rtol=0, atol=1e-9)


def test_backward_induction_never_chooses_a_masked_action():
    # State 0: action 0 (masked) pays 10, action 1 pays 1, both stay; state 1 pays 0 and
    # moves to 0. Three stages undiscounted: V_0 = (1 + 1 + 1, 0 + 1 + 1) = (3, 2).
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    mdp = rlf.TabularMDP.from_dense(
        P, np.array([[10.0, 1.0], [0.0, 0.0]]), action_mask=np.array([[False, True], [True, True]])
    )
    got = rlf.backward_induction(mdp, 3)
    assert got.values[0].tolist() == [3.0, 2.0]
    assert (got.policy[:, 0] == 1).all()
