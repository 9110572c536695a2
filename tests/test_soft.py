"""Soft value iteration: its twin, the hard optimum as the temperature goes to 0, the
uniform policy as it grows, closed forms, bounds, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import reference
from strategies import examples, tabular_mdps


def exact_values(mdp: rlf.TabularMDP, gamma: float) -> np.ndarray:
    return np.array([float(v) for v in reference.exact.policy_iteration(mdp, gamma).values])


@examples(40)
@given(mdp=tabular_mdps(max_states=10, max_actions=4))
def test_soft_value_iteration_equals_reference(mdp):
    got = rlf.soft_value_iteration(mdp, 0.8, 0.5)
    expected = reference.soft_value_iteration(mdp, 0.8, 0.5)
    assert got.iterations == expected.iterations
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got.policy, expected.policy, rtol=1e-12, atol=1e-13)


@examples(30)
@given(mdp=tabular_mdps(max_states=8, max_actions=4))
def test_soft_values_lie_within_the_entropy_bound_above_the_hard_optimum(mdp):
    gamma, temperature = 0.9, 0.05
    hard = exact_values(mdp, gamma)
    got = rlf.soft_value_iteration(mdp, gamma, temperature, epsilon=1e-10).values
    bound = temperature * math.log(mdp.n_actions) / (1 - gamma)
    assert np.all(got >= hard - 1e-9)
    assert np.all(got <= hard + bound + 1e-9)


@pytest.mark.parametrize("temperature", [1.0, 1e-1, 1e-2, 1e-3, 1e-4])
def test_soft_values_tend_to_the_hard_optimum_as_the_temperature_goes_to_zero(temperature):
    mdp = rlf.from_env("FrozenLake-v1")
    hard = rlf.policy_iteration(mdp, gamma=0.9).values
    got = rlf.soft_value_iteration(mdp, 0.9, temperature, epsilon=1e-12).values
    assert np.max(np.abs(got - hard)) <= temperature * math.log(4) / (1 - 0.9) + 1e-10


def test_a_cold_softmax_policy_picks_the_hard_optimal_actions():
    mdp = rlf.from_env("CliffWalking-v1")
    hard = rlf.policy_iteration(mdp, gamma=0.9)
    got = rlf.soft_value_iteration(mdp, 0.9, 1e-3)
    states = np.arange(mdp.n_states)
    # Where the hard optimum is unique by a clear margin, the cold softmax agrees with it.
    q_sorted = np.sort(hard.q_values, axis=1)
    clear = q_sorted[:, -1] - q_sorted[:, -2] > 0.05
    assert np.all(got.policy[states[clear], hard.policy[clear]] > 0.99)


def test_one_state_closed_form():
    # One state, two actions paying 0 and 1, staying forever: V = (t log(1 + e^(1/t))) / (1-g).
    gamma, temperature = 0.5, 0.7
    mdp = rlf.TabularMDP(
        next_state=[[[0], [0]]],
        prob=[[[1.0], [1.0]]],
        reward=[[[0.0], [1.0]]],
        terminated=[[[False], [False]]],
        initial=[1.0],
    )
    expected = temperature * math.log(1 + math.exp(1 / temperature)) / (1 - gamma)
    got = rlf.soft_value_iteration(mdp, gamma, temperature, epsilon=1e-12)
    assert got.values[0] == pytest.approx(expected, abs=1e-12)
    expected_policy = 1 / (1 + math.exp(-1 / temperature))
    assert got.policy[0, 1] == pytest.approx(expected_policy, abs=1e-12)


@examples(30)
@given(mdp=tabular_mdps(max_states=8, max_actions=4))
def test_bounds_bracket_a_tightly_converged_soft_optimum(mdp):
    loose = rlf.soft_value_iteration(mdp, 0.9, 0.3, epsilon=1e-2)
    tight = rlf.soft_value_iteration(mdp, 0.9, 0.3, epsilon=1e-12).values
    assert np.all(loose.lower <= tight + 1e-12)
    assert np.all(tight <= loose.upper + 1e-12)


@examples(20)
@given(mdp=tabular_mdps(max_states=8, max_actions=4, terminal_rate=0.0))
def test_a_hot_policy_is_nearly_uniform_where_no_episode_ends(mdp):
    # Without termination every action buys the same entropy bonus, so only rewards
    # (of order 1) tell actions apart, against a temperature of 10^6.
    got = rlf.soft_value_iteration(mdp, 0.9, 1e6)
    np.testing.assert_allclose(got.policy, 1 / mdp.n_actions, atol=1e-4)


def test_max_iter_gives_an_unconverged_result_and_a_warning():
    mdp = rlf.from_env("FrozenLake-v1")
    with pytest.warns(rlf.ConvergenceWarning, match="within"):
        got = rlf.soft_value_iteration(mdp, 0.99, 0.1, max_iter=3)
    assert not got.converged


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"gamma": 1.0}, rlf.InvalidValueError, "gamma < 1", id="gamma-one"),
        pytest.param({"temperature": 0.0}, rlf.InvalidValueError, "temperature", id="zero"),
        pytest.param({"temperature": "hot"}, rlf.InvalidTypeError, "temperature", id="type"),
        pytest.param({"epsilon": -1.0}, rlf.InvalidValueError, "epsilon", id="epsilon"),
    ],
)
def test_soft_value_iteration_rejects_bad_arguments(kwargs, error, message):
    arguments = {"gamma": 0.9, "temperature": 1.0, **kwargs}
    with pytest.raises(error, match=message):
        rlf.soft_value_iteration(rlf.from_env("FrozenLake-v1"), **arguments)


def test_soft_value_iteration_gives_a_masked_action_probability_zero():
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    mdp = rlf.TabularMDP.from_dense(
        P, np.array([[10.0, 1.0], [0.0, 0.0]]), action_mask=np.array([[False, True], [True, True]])
    )
    got = rlf.soft_value_iteration(mdp, 0.5, 1.0)
    assert got.policy[0].tolist() == [0.0, 1.0]
    # One allowed action in state 0: the soft maximum is the hard one, V(0) = 1 / (1 - 1/2).
    assert got.values[0] == pytest.approx(2.0, abs=1e-8)
