"""Linear programming: LP equals policy iteration and the exact oracle; the dual is an
occupancy measure; constrained MDPs against a closed form; missing SciPy; bad input."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import reference
from strategies import examples, tabular_mdps

pytest.importorskip("scipy")


def two_actions() -> rlf.TabularMDP:
    """One state: action 0 pays 1 (and costs 1 in the constrained tests), action 1 pays 0."""
    return rlf.TabularMDP(
        next_state=[[[0], [0]]],
        prob=[[[1.0], [1.0]]],
        reward=[[[1.0], [0.0]]],
        terminated=[[[False], [False]]],
        initial=[1.0],
    )


@examples(30)
@given(mdp=tabular_mdps(max_states=10, max_actions=4))
def test_linear_programming_values_equal_the_exact_optimum(mdp):
    gamma = 0.9
    got = rlf.linear_programming(mdp, gamma)
    expected = reference.exact.policy_iteration(mdp, gamma).values.astype(float)
    np.testing.assert_allclose(got.values, expected, rtol=0, atol=1e-8)


@examples(30)
@given(mdp=tabular_mdps(max_states=10, max_actions=4))
def test_linear_programming_policy_is_as_good_as_policy_iterations(mdp):
    gamma = 0.9
    got = rlf.linear_programming(mdp, gamma)
    expected = rlf.policy_iteration(mdp, gamma)
    achieved = rlf.policy_evaluation(mdp, got.policy, gamma).values
    np.testing.assert_allclose(achieved, expected.values, rtol=0, atol=1e-7)
    assert got.objective == pytest.approx(expected.mean_return(mdp.initial), abs=1e-8)


@examples(30)
@given(mdp=tabular_mdps(max_states=10, max_actions=4))
def test_the_dual_is_a_discounted_occupancy_measure(mdp):
    gamma = 0.8
    occupancy = rlf.linear_programming(mdp, gamma).occupancy
    inflow = np.zeros(mdp.n_states)
    for k in range(mdp.max_outcomes):
        np.add.at(
            inflow,
            mdp.next_state[:, :, k].ravel(),
            (mdp.continue_prob[:, :, k] * occupancy).ravel(),
        )
    np.testing.assert_allclose(
        occupancy.sum(axis=1) - gamma * inflow, mdp.initial, rtol=0, atol=1e-8
    )
    assert occupancy.min() >= 0.0


def test_a_budget_is_met_by_the_best_randomised_policy():
    # x0 + x1 = 1 / (1 - gamma) = 2 and x0 <= 0.5: x0 = 0.5, pi(0) = 0.25, objective 0.5,
    # while every deterministic policy within budget (always action 1) earns 0.
    got = rlf.linear_programming(two_actions(), 0.5, costs=[[1.0, 0.0]], budget=0.5)
    np.testing.assert_allclose(got.policy, [[0.25, 0.75]], atol=1e-9)
    assert got.objective == pytest.approx(0.5, abs=1e-9)
    np.testing.assert_allclose(got.cost_values, [0.5], atol=1e-9)
    np.testing.assert_allclose(got.values, [0.5], atol=1e-9)


def test_a_loose_budget_gives_the_unconstrained_optimum():
    mdp = rlf.from_env("FrozenLake-v1")
    costs = np.ones((mdp.n_states, mdp.n_actions))
    got = rlf.linear_programming(mdp, 0.9, costs=costs, budget=1e6)
    expected = rlf.policy_iteration(mdp, 0.9).mean_return(mdp.initial)
    assert got.objective == pytest.approx(expected, abs=1e-8)


def test_several_budgets_bind_together():
    # Action 0 costs (1, 0), action 1 costs (0, 1), action 2 pays nothing and costs nothing.
    mdp = rlf.TabularMDP(
        next_state=[[[0], [0], [0]]],
        prob=[[[1.0], [1.0], [1.0]]],
        reward=[[[2.0], [1.0], [0.0]]],
        terminated=np.zeros((1, 3, 1), dtype=bool),
        initial=[1.0],
    )
    costs = [[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]]
    got = rlf.linear_programming(mdp, 0.5, costs=costs, budget=[0.5, 1.0])
    np.testing.assert_allclose(got.occupancy, [[0.5, 1.0, 0.5]], atol=1e-9)
    assert got.objective == pytest.approx(2.0, abs=1e-9)


def test_an_impossible_budget_is_refused_with_the_least_cost():
    with pytest.raises(rlf.InvalidValueError, match=r"least achievable cost .* \[2\.0\]"):
        rlf.linear_programming(two_actions(), 0.5, costs=[[1.0, 1.0]], budget=0.5)


def test_missing_scipy_names_the_install_command(monkeypatch):
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(ImportError, match=r"pip install 'rlfoundations\[lp\]'"):
        rlf.linear_programming(two_actions(), 0.5)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"gamma": 1.0}, rlf.InvalidValueError, "gamma < 1", id="gamma-one"),
        pytest.param({"costs": [[1.0, 0.0]]}, rlf.InvalidValueError, "together", id="no-budget"),
        pytest.param(
            {"costs": [[1.0]], "budget": 1.0}, rlf.InvalidValueError, "shape", id="cost-shape"
        ),
        pytest.param(
            {"costs": [[1.0, 0.0]], "budget": [1.0, 2.0]}, rlf.InvalidValueError, "budget", id="b"
        ),
        pytest.param({"initial": [0.5]}, rlf.InvalidValueError, "initial", id="initial"),
    ],
)
def test_linear_programming_rejects_bad_arguments(kwargs, error, message):
    arguments = {"gamma": 0.5, **kwargs}
    with pytest.raises(error, match=message):
        rlf.linear_programming(two_actions(), **arguments)


def test_linear_programming_gives_a_masked_pair_no_occupancy():
    pytest.importorskip("scipy", reason="pip install 'rlfoundations[lp]'")
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    mdp = rlf.TabularMDP.from_dense(
        P, np.array([[10.0, 1.0], [0.0, 0.0]]), action_mask=np.array([[False, True], [True, True]])
    )
    got = rlf.linear_programming(mdp, 0.5)
    np.testing.assert_allclose(got.values, [2.0, 1.0], atol=1e-8)
    assert got.occupancy[0, 0] == 0.0
    assert got.policy.tolist() == [1, 0]
