"""from_transitions: models from logged data converge to the model that generated it."""

from __future__ import annotations

import numpy as np
import pytest

import rlfoundations as rlf


def logged(mdp: rlf.TabularMDP, n: int, seed: int) -> dict:
    """``n`` transitions of uniformly random (state, action) pairs, drawn from ``mdp``."""
    rng = np.random.default_rng(seed)
    state = rng.integers(mdp.n_states, size=n)
    action = rng.integers(mdp.n_actions, size=n)
    cumulative = np.cumsum(mdp.prob[state, action], axis=1)
    slot = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    slot = np.minimum(slot, mdp.max_outcomes - 1)
    return {
        "state": state,
        "action": action,
        "reward": mdp.reward[state, action, slot],
        "next_state": mdp.next_state[state, action, slot],
        "terminated": mdp.terminated[state, action, slot],
    }


def dense_transitions(mdp: rlf.TabularMDP) -> np.ndarray:
    return mdp.to_dense()[0]


@pytest.fixture(scope="module")
def lake():
    return rlf.from_env("FrozenLake-v1", is_slippery=True)


@pytest.mark.parametrize("n", [20_000, 320_000])
def test_the_estimate_converges_to_the_true_model(lake, n):
    data = logged(lake, n, seed=0)
    estimate = rlf.from_transitions(
        data["state"], data["action"], data["reward"], data["next_state"], data["terminated"]
    )
    got = np.abs(dense_transitions(estimate.mdp) - dense_transitions(lake)).max()
    # Five standard errors of a frequency from n / 64 draws a pair: 1 / sqrt(n) shrinking.
    assert got < 5 * np.sqrt(0.25 / (n / (lake.n_states * lake.n_actions)))


def test_the_estimate_solves_to_the_true_optimal_policy_with_enough_data(lake):
    estimate = rlf.from_transitions(logged(lake, 320_000, seed=1))
    got = rlf.value_iteration(estimate.mdp, 0.99).values
    expected = rlf.value_iteration(lake, 0.99).values
    np.testing.assert_allclose(got, expected, atol=0.03)


def test_unvisited_pairs_are_reported():
    estimate = rlf.from_transitions(
        states=[0, 1],
        actions=[0, 0],
        rewards=[0.0, 1.0],
        next_states=[1, 1],
        terminated=[False, True],
        n_actions=2,
    )
    got = estimate.visited.tolist()
    assert got == [[True, False], [True, False]]


def test_a_dataframe_is_read_by_its_column_names(lake):
    pandas = pytest.importorskip("pandas", reason="pip install 'rlfoundations[test-envs]'")
    data = logged(lake, 2_000, seed=2)
    got = rlf.from_transitions(pandas.DataFrame(data)).counts
    expected = rlf.from_transitions(
        **{f"{k}s" if k != "terminated" else k: v for k, v in data.items()}
    ).counts
    np.testing.assert_array_equal(got, expected)


def test_a_state_out_of_range_is_an_error():
    with pytest.raises(rlf.InvalidValueError, match="out of range"):
        rlf.from_transitions([0, 5], [0, 0], [0.0, 0.0], [1, 1], [False, False], n_states=3)
