"""Solvers on Gymnasium's toy-text envs, checked against answers derived independently here."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

import rlfoundations as rlf

SOLVERS = [
    pytest.param(lambda mdp, gamma: rlf.value_iteration(mdp, gamma), id="value-iteration"),
    pytest.param(
        lambda mdp, gamma: rlf.value_iteration(mdp, gamma, gauss_seidel=True), id="gauss-seidel"
    ),
    pytest.param(lambda mdp, gamma: rlf.policy_iteration(mdp, gamma), id="policy-iteration"),
    pytest.param(lambda mdp, gamma: rlf.modified_policy_iteration(mdp, gamma), id="modified-pi"),
]


@pytest.fixture(scope="module")
def taxi() -> rlf.TabularMDP:
    return rlf.from_env("Taxi-v3")


@pytest.mark.parametrize("solve", SOLVERS)
def test_taxi_policy_delivers_the_passenger_from_every_start_state(taxi, solve):
    policy = solve(taxi, 0.99).policy
    env = rlf.make("Taxi-v3")
    env.reset(seed=0)
    for start in np.flatnonzero(taxi.initial):
        env.reset()
        env.unwrapped.s = int(start)
        state, reward, terminated, truncated = int(start), 0.0, False, False
        while not (terminated or truncated):
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
        assert terminated and reward == 20, f"start state {start} was not delivered"


def test_taxi_gauss_seidel_needs_fewer_sweeps_than_jacobi(taxi):
    jacobi = rlf.value_iteration(taxi, 0.99, extrapolate=False)
    gauss_seidel = rlf.value_iteration(taxi, 0.99, gauss_seidel=True)
    assert gauss_seidel.iterations < jacobi.iterations
    np.testing.assert_allclose(gauss_seidel.values, jacobi.values, atol=1e-6)


def shortest_safe_path(shape=(4, 12)) -> int:
    """Moves from CliffWalking's start to its goal without touching the cliff (BFS)."""
    rows, cols = shape
    start, goal = (rows - 1, 0), (rows - 1, cols - 1)
    cliff = {(rows - 1, c) for c in range(1, cols - 1)}
    distance = {start: 0}
    queue = deque([start])
    while queue:
        row, col = queue.popleft()
        for d_row, d_col in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            cell = (row + d_row, col + d_col)
            if 0 <= cell[0] < rows and 0 <= cell[1] < cols and cell not in cliff | set(distance):
                distance[cell] = distance[row, col] + 1
                queue.append(cell)
    return distance[goal]


@pytest.mark.parametrize("solve", SOLVERS)
def test_cliff_walking_optimal_return_is_the_shortest_path(solve):
    mdp = rlf.from_env("CliffWalking-v1")
    result = solve(mdp, 1.0)
    start = int(np.flatnonzero(mdp.initial)[0])
    assert result.values[start] == -shortest_safe_path() == -13
    env = rlf.make("CliffWalking-v1")
    state, _ = env.reset(seed=0)
    total, terminated, steps = 0.0, False, 0
    while not terminated and steps < 100:
        state, reward, terminated, _, _ = env.step(int(result.policy[state]))
        total += reward
        steps += 1
    assert total == -13


def direct_policy_values(env_id: str, policy: np.ndarray, gamma: float, **kwargs) -> np.ndarray:
    """Solve V = r_pi + gamma P_pi V with NumPy, building P_pi from the env's own P table."""
    table = rlf.make(env_id, **kwargs).unwrapped.P
    n_states = len(table)
    transition = np.zeros((n_states, n_states))
    reward = np.zeros(n_states)
    for s in range(n_states):
        for p, next_state, r, terminated in table[s][int(policy[s])]:
            reward[s] += p * r
            if not terminated:
                transition[s, next_state] += p
    return np.linalg.solve(np.eye(n_states) - gamma * transition, reward)


@pytest.mark.parametrize("env_id", ["FrozenLake-v1", "FrozenLake8x8-v1"])
@pytest.mark.parametrize("solve", SOLVERS)
def test_frozen_lake_values_agree_with_a_direct_linear_solve(env_id, solve):
    gamma = 0.95
    result = solve(rlf.from_env(env_id), gamma)
    expected = direct_policy_values(env_id, result.policy, gamma)
    # The solver's values are within epsilon of the optimum, and so of its own policy's.
    np.testing.assert_allclose(result.values, expected, atol=1e-6)


def test_frozen_lake_optimal_policy_beats_every_single_action_change():
    gamma = 0.95
    result = rlf.policy_iteration(rlf.from_env("FrozenLake-v1"), gamma)
    best = direct_policy_values("FrozenLake-v1", result.policy, gamma)
    for s in range(16):
        for a in range(4):
            changed = result.policy.copy()
            changed[s] = a
            assert np.all(direct_policy_values("FrozenLake-v1", changed, gamma) <= best + 1e-12)


# -- the state variables of the toy-text models --------------------------------------------------
def test_taxi_factors_decode_as_taxis_own_decode():
    mdp = rlf.from_env("Taxi-v3")
    env = rlf.make("Taxi-v3").unwrapped
    got = [tuple(mdp.decode(s).values()) for s in range(mdp.n_states)]
    expected = [tuple(int(v) for v in env.decode(s)) for s in range(mdp.n_states)]
    assert got == expected


@pytest.mark.parametrize(
    "env_id, kwargs, shape",
    [
        pytest.param("FrozenLake-v1", {"map_name": "8x8"}, (8, 8), id="frozen-lake-8x8"),
        pytest.param("CliffWalking-v1", {}, (4, 12), id="cliff-walking"),
    ],
)
def test_grid_envs_have_row_and_col_factors(env_id, kwargs, shape):
    got = rlf.from_env(env_id, **kwargs).factors
    assert got == (("row", shape[0]), ("col", shape[1]))
