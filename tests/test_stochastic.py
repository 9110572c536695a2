"""Stochastic policies: policy_evaluation of (S, A) matrices against Sutton and Barto's
figures and the exact-arithmetic oracle; the matrix check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import reference
from rlfoundations.stochastic import check_policy_matrix
from strategies import discounts, examples, tabular_mdps

MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left


def gridworld(size, step, terminal=(), jumps=None) -> rlf.TabularMDP:
    """A grid whose moves off the edge stay put. ``step(r, c, nr, nc, off)`` is the reward;
    entering a ``terminal`` cell ends the episode; ``jumps`` maps a cell to (target, reward)
    for every action."""
    n = size * size
    next_state = np.zeros((n, 4, 1), dtype=int)
    reward = np.zeros((n, 4, 1))
    terminated = np.zeros((n, 4, 1), dtype=bool)
    for r in range(size):
        for c in range(size):
            s = r * size + c
            for a, (dr, dc) in enumerate(MOVES):
                if s in terminal:
                    next_state[s, a, 0], terminated[s, a, 0] = s, True
                    continue
                if jumps and s in jumps:
                    next_state[s, a, 0], reward[s, a, 0] = jumps[s]
                    continue
                nr, nc = r + dr, c + dc
                off = not (0 <= nr < size and 0 <= nc < size)
                if off:
                    nr, nc = r, c
                next_state[s, a, 0] = nr * size + nc
                reward[s, a, 0] = step(off)
                terminated[s, a, 0] = (nr * size + nc) in terminal
    return rlf.TabularMDP(
        next_state=next_state,
        prob=np.ones((n, 4, 1)),
        reward=reward,
        terminated=terminated,
        initial=np.full(n, 1.0 / n),
    )


def uniform(mdp: rlf.TabularMDP) -> np.ndarray:
    return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)


def test_random_policy_values_match_sutton_and_barto_figure_4_1():
    # Sutton & Barto (2018), Figure 4.1: the 4x4 gridworld, -1 per step, corners terminal,
    # the equiprobable random policy, undiscounted: v_pi in the figure's last panel.
    mdp = gridworld(4, lambda off: -1.0, terminal={0, 15})
    expected = [0, -14, -20, -22, -14, -18, -20, -20, -20, -20, -18, -14, -22, -20, -14, 0]
    got = rlf.policy_evaluation(mdp, uniform(mdp), gamma=1.0)
    np.testing.assert_allclose(got.values, expected, rtol=0, atol=1e-9)


def test_random_policy_values_match_sutton_and_barto_figure_3_2():
    # Sutton & Barto (2018), Figure 3.2: 5x5 grid, -1 off the edge, A (0, 1) -> A' (4, 1)
    # paying 10, B (0, 3) -> B' (2, 3) paying 5, gamma = 0.9, equiprobable random policy;
    # the figure prints v_pi to one decimal.
    mdp = gridworld(5, lambda off: -1.0 if off else 0.0, jumps={1: (21, 10.0), 3: (13, 5.0)})
    expected = [
        [3.3, 8.8, 4.4, 5.3, 1.5],
        [1.5, 3.0, 2.3, 1.9, 0.5],
        [0.1, 0.7, 0.7, 0.4, -0.4],
        [-1.0, -0.4, -0.4, -0.6, -1.2],
        [-1.9, -1.3, -1.2, -1.4, -2.0],
    ]
    got = rlf.policy_evaluation(mdp, uniform(mdp), gamma=0.9)
    np.testing.assert_array_equal(np.round(got.values, 1).reshape(5, 5), expected)


@pytest.mark.parametrize("method", ["exact", "iterative"])
@examples(25)
@given(mdp=tabular_mdps(max_states=8, max_actions=3), seed=st.integers(0, 2**16))
def test_stochastic_evaluation_matches_the_exact_oracle(method, mdp, seed):
    gamma = 0.8
    policy = np.random.default_rng(seed).dirichlet(np.ones(mdp.n_actions), mdp.n_states)
    got = rlf.policy_evaluation(mdp, policy, gamma, method=method, epsilon=1e-12)
    expected = reference.exact.policy_evaluation(mdp, policy, gamma)
    np.testing.assert_allclose(got.values, expected.values.astype(float), atol=1e-10)
    np.testing.assert_allclose(got.q_values, expected.q_values.astype(float), atol=1e-10)


@examples(25)
@given(mdp=tabular_mdps(max_states=10), gamma=discounts(), seed=st.integers(0, 2**16))
def test_a_one_hot_matrix_evaluates_like_the_deterministic_policy(mdp, gamma, seed):
    actions = np.random.default_rng(seed).integers(0, mdp.n_actions, mdp.n_states)
    one_hot = np.eye(mdp.n_actions)[actions]
    got = rlf.policy_evaluation(mdp, one_hot, gamma)
    expected = rlf.policy_evaluation(mdp, actions, gamma)
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.q_values, expected.q_values, rtol=1e-12, atol=1e-12)


def test_the_result_keeps_the_matrix_as_its_policy():
    mdp = gridworld(4, lambda off: -1.0, terminal={0, 15})
    got = rlf.policy_evaluation(mdp, uniform(mdp), gamma=1.0)
    np.testing.assert_array_equal(got.policy, uniform(mdp))


def test_an_improper_stochastic_policy_is_refused_at_gamma_one():
    mdp = gridworld(4, lambda off: -1.0, terminal={0, 15})
    policy = np.zeros((16, 4))
    policy[:, 0] = 1.0  # always up: the top row never ends (state 0 aside)
    policy[5] = [0.5, 0.5, 0.0, 0.0]
    with pytest.raises(rlf.InvalidValueError, match="stochastic policy does not surely end"):
        rlf.policy_evaluation(mdp, policy, gamma=1.0)


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        pytest.param(
            [[0.5, 0.6], [0.5, 0.5]],
            rlf.InvalidValueError,
            r"policy\[0\] sums to 1.1",
            id="row-sum",
        ),
        pytest.param(
            [[1.5, -0.5], [0.5, 0.5]],
            rlf.InvalidValueError,
            r"policy\[0, 1\] = -0.5",
            id="negative",
        ),
        pytest.param(
            [[np.nan, 1.0], [0.5, 0.5]], rlf.InvalidValueError, r"policy\[0, 0\]", id="nan"
        ),
        pytest.param([[0.5, 0.5]], rlf.InvalidValueError, "shape", id="shape"),
        pytest.param([["a", "b"], ["c", "d"]], rlf.InvalidTypeError, "probabilities", id="dtype"),
    ],
)
def test_policy_matrices_are_checked(policy, error, message):
    mdp = rlf.TabularMDP.from_dense(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)))
    with pytest.raises(error, match=message):
        check_policy_matrix(mdp, policy)
    with pytest.raises(error, match=message):
        rlf.policy_evaluation(mdp, policy, gamma=0.5)
