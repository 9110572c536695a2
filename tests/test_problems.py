"""The problem library against answers from outside: the book's stated results, closed forms,
pymdptoolbox's documented values, and small numpy solvers written here, apart from the
library's own."""

from __future__ import annotations

import inspect
import math
import warnings
from collections import deque

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import problems
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.results import NonTerminationWarning


# -- independent solvers: dense numpy arrays, linear solves, no library solver ---------------------
def dense(mdp):
    """(P, R): P[s, a, s'] the probability of continuing to s', R[s, a] the expected reward."""
    P = np.zeros((mdp.n_states, mdp.n_actions, mdp.n_states))
    R = np.zeros((mdp.n_states, mdp.n_actions))
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for k in range(mdp.max_outcomes):
                p = mdp.prob[s, a, k]
                R[s, a] += p * mdp.reward[s, a, k]
                if not mdp.terminated[s, a, k]:
                    P[s, a, mdp.next_state[s, a, k]] += p
    return P, R


def policy_values(P, R, policy, gamma):
    idx = np.arange(len(policy))
    return np.linalg.solve(np.eye(len(policy)) - gamma * P[idx, policy], R[idx, policy])


def howard(P, R, gamma, allowed=None):
    """Policy iteration by exact linear solves (Howard's), over the allowed actions."""
    n_states, n_actions, _ = P.shape
    allowed = np.ones((n_states, n_actions), bool) if allowed is None else allowed
    policy = np.argmax(allowed, axis=1)
    while True:
        values = policy_values(P, R, policy, gamma)
        q = np.where(allowed, R + gamma * P @ values, -np.inf)
        better = q.max(axis=1) > q[np.arange(n_states), policy] + 1e-9
        if not better.any():
            return values, policy, q
        policy = np.where(better, q.argmax(axis=1), policy)


def shortest_path(n_rows, n_cols, walls, start, goal):
    """Breadth-first search over the four moves."""
    distance = {start: 0}
    queue = deque([start])
    while queue:
        row, col = queue.popleft()
        for d_row, d_col in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            cell = (row + d_row, col + d_col)
            if 0 <= cell[0] < n_rows and 0 <= cell[1] < n_cols and cell not in walls:
                if cell not in distance:
                    distance[cell] = distance[row, col] + 1
                    queue.append(cell)
    return distance[goal]


def greedy_episode_length(mdp, policy, max_steps=1000):
    """Steps of the greedy episode from the start of a deterministic model."""
    state, steps = int(np.argmax(mdp.initial)), 0
    while steps < max_steps:
        action = policy[state]
        steps += 1
        if mdp.terminated[state, action, 0]:
            return steps
        state = mdp.next_state[state, action, 0]
    return steps


def solve(mdp, gamma, **kwargs):
    """Value iteration, with any NonTerminationWarning an error: the greedy policy must end."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", NonTerminationWarning)
        return rlf.value_iteration(mdp, gamma, **kwargs)


# -- the gambler's problem ----------------------------------------------------------------------
def bold_play_values(p, goal):
    """Winning probability of bold play: f(s) = p f(2s) below goal/2, p + q f(2s - goal)
    above, f(0) = 0, f(goal) = 1, solved as one linear system."""
    A = np.eye(goal + 1)
    b = np.zeros(goal + 1)
    b[goal] = 1.0
    for s in range(1, goal):
        if 2 * s <= goal:
            A[s, 2 * s] -= p
        else:
            A[s, 2 * s - goal] -= 1 - p
            b[s] = p
    return np.linalg.solve(A, b)


def test_gamblers_values_are_bold_plays_winning_probability_for_p_below_half():
    got = solve(problems.gamblers_problem(0.4), 1.0, epsilon=1e-13).values
    expected = bold_play_values(0.4, 100)
    np.testing.assert_allclose(got[1:100], expected[1:100], atol=1e-9)


def test_gamblers_bold_stake_is_optimal_for_p_below_half():
    result = solve(problems.gamblers_problem(0.25), 1.0, epsilon=1e-13)
    capital = np.arange(1, 100)
    bold = np.minimum(capital, 100 - capital)
    got = result.q_values[capital, bold]
    np.testing.assert_allclose(got, result.values[capital], atol=1e-9)


def test_gamblers_values_follow_the_ruin_formula_for_p_above_half():
    p = 0.6
    got = solve(problems.gamblers_problem(p), 1.0, epsilon=1e-13).values
    ratio = (1 - p) / p
    capital = np.arange(101)
    expected = (1 - ratio**capital) / (1 - ratio**100)
    np.testing.assert_allclose(got[1:100], expected[1:100], atol=1e-9)


def test_gamblers_timid_stake_is_optimal_for_p_above_half():
    result = solve(problems.gamblers_problem(0.6), 1.0, epsilon=1e-13)
    got = result.q_values[1:100, 1]
    np.testing.assert_allclose(got, result.values[1:100], atol=1e-9)


@pytest.mark.parametrize("p_heads", [0.25, 0.4, 0.6])
def test_gamblers_greedy_policy_ends_the_game_from_all_99_states(p_heads):
    # Stake 0 is allowed and ties with the optimal stakes; the tie goes toward termination.
    result = solve(problems.gamblers_problem(p_heads), 1.0, epsilon=1e-13)
    assert not result.non_terminating.any()
    assert (result.policy[1:100] > 0).all()


def test_gamblers_greedy_policy_achieves_the_bold_play_values():
    mdp = problems.gamblers_problem(0.4)
    policy = solve(mdp, 1.0, epsilon=1e-13).policy
    P, R = dense(mdp)
    inner = np.arange(1, 100)
    # The policy's own values by an independent dense solve over the non-terminal states.
    A = np.eye(99) - P[inner, policy[inner]][:, inner]
    got = np.linalg.solve(A, R[inner, policy[inner]])
    np.testing.assert_allclose(got, bold_play_values(0.4, 100)[1:100], atol=1e-9)


def test_gamblers_stake_above_the_allowed_acts_as_the_largest_allowed():
    mdp = problems.gamblers_problem(0.4)
    np.testing.assert_array_equal(mdp.next_state[10, 50], mdp.next_state[10, 10])


# -- Jack's car rental --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jacks_policy():
    """The optimal policy as cars actually moved, indexed [cars_first, cars_second]."""
    mdp = problems.jacks_car_rental()
    result = rlf.value_iteration(mdp, gamma=0.9, epsilon=1e-6)
    first, second = np.divmod(np.arange(441), 21)
    moved = np.clip(result.policy - 5, -second, first)
    return moved.reshape(21, 21), result.values.reshape(21, 21)


def test_jacks_policy_uses_the_moves_of_figure_4_2(jacks_policy):
    got = sorted(set(jacks_policy[0].ravel().tolist()))
    assert got == list(range(-4, 6))


def test_jacks_policy_corners_are_those_of_figure_4_2(jacks_policy):
    moved, _ = jacks_policy
    got = (moved[20, 0], moved[0, 20], moved[10, 10], moved[0, 0])
    assert got == (5, -4, 0, 0)


def test_jacks_policy_moves_more_cars_the_more_the_first_location_has(jacks_policy):
    moved, _ = jacks_policy
    assert (np.diff(moved, axis=0) >= 0).all() and (np.diff(moved, axis=1) <= 0).all()


def test_jacks_values_are_those_of_an_independent_solver():
    mdp = problems.jacks_car_rental(max_cars=6, max_move=2)
    P, R = dense(mdp)
    expected, _, _ = howard(P, R, 0.9)
    got = rlf.value_iteration(mdp, gamma=0.9, epsilon=1e-10).values
    np.testing.assert_allclose(got, expected, atol=1e-7)


def test_jacks_free_shuttle_makes_the_first_car_moved_free():
    plain = problems.jacks_car_rental(max_cars=6)
    shuttle = problems.jacks_car_rental(max_cars=6, free_shuttle=True)
    state = plain.encode(cars_first=3, cars_second=3)
    got = shuttle.expected_reward[state, 5 + 2] - plain.expected_reward[state, 5 + 2]
    assert got == pytest.approx(2.0)


def test_jacks_parking_cost_is_paid_per_location_above_the_limit():
    plain = problems.jacks_car_rental(max_cars=14)
    parking = problems.jacks_car_rental(max_cars=14, parking_cost=4.0)
    state = plain.encode(cars_first=12, cars_second=12)
    got = plain.expected_reward[state, 5] - parking.expected_reward[state, 5]
    assert got == pytest.approx(8.0)


# -- random walk, windy gridworld, mazes, maximization bias ---------------------------------------
@pytest.mark.parametrize("n_states", [pytest.param(5, id="5"), pytest.param(19, id="19")])
def test_random_walk_true_values_are_k_over_n_plus_one(n_states):
    mdp = problems.random_walk(n_states)
    got = rlf.policy_evaluation(mdp, np.zeros(n_states + 2, int), gamma=1.0).values[1:-1]
    expected = np.arange(1, n_states + 1) / (n_states + 1)
    np.testing.assert_allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, 15, id="four moves"),
        pytest.param({"king_moves": True}, 7, id="king's moves"),
        pytest.param({"king_moves": True, "stay_action": True}, 7, id="nine moves"),
    ],
)
def test_windy_gridworld_optimal_episode_length_is_the_books(kwargs, expected):
    mdp = problems.windy_gridworld(**kwargs)
    result = rlf.value_iteration(mdp, gamma=1.0)
    got = greedy_episode_length(mdp, result.policy)
    assert (got, -result.values[mdp.encode(row=3, col=0)]) == (expected, expected)


def test_stochastic_wind_moves_one_cell_around_the_mean_with_equal_probability():
    mdp = problems.windy_gridworld(stochastic_wind=True)
    state = mdp.encode(row=3, col=6)  # wind 2
    right = 3
    got = sorted(
        (mdp.decode(int(t))["row"], round(float(p), 12))
        for t, p in zip(mdp.next_state[state, right], mdp.prob[state, right], strict=True)
    )
    assert got == [(0, round(1 / 3, 12)), (1, round(1 / 3, 12)), (2, round(1 / 3, 12))]


@pytest.mark.parametrize(
    ("maze", "expected"),
    [
        pytest.param(problems.dyna_maze, 14, id="dyna maze"),
        pytest.param(lambda: problems.blocking_maze(False), 10, id="blocking before"),
        pytest.param(lambda: problems.blocking_maze(True), 16, id="blocking after"),
        pytest.param(lambda: problems.shortcut_maze(False), 16, id="shortcut before"),
        pytest.param(lambda: problems.shortcut_maze(True), 10, id="shortcut after"),
    ],
)
def test_mazes_optimal_episode_is_the_shortest_path(maze, expected):
    mdp = maze()
    got = greedy_episode_length(mdp, rlf.value_iteration(mdp, gamma=0.95).policy)
    assert got == expected


@pytest.mark.parametrize(
    ("maze", "walls", "start"),
    [
        pytest.param(problems.dyna_maze, problems.textbook.DYNA_MAZE_WALLS, (2, 0), id="dyna"),
        pytest.param(
            lambda: problems.blocking_maze(True),
            {(3, c) for c in range(1, 9)},
            (5, 3),
            id="blocking",
        ),
    ],
)
def test_mazes_shortest_paths_agree_with_a_breadth_first_search(maze, walls, start):
    mdp = maze()
    got = greedy_episode_length(mdp, rlf.value_iteration(mdp, gamma=0.95).policy)
    assert got == shortest_path(6, 9, walls, start, (0, 8))


def test_maximization_bias_left_is_worth_the_mean_and_right_zero():
    result = rlf.value_iteration(problems.maximization_bias(), gamma=1.0)
    got = (result.q_values[0, 0], result.q_values[0, 1], result.policy[0])
    assert got == (pytest.approx(-0.1), pytest.approx(0.0), 1)


def test_maximization_bias_reward_law_has_the_normal_mean_and_variance():
    mdp = problems.maximization_bias(mean=-0.1, std=1.0)
    prob, reward = mdp.prob[1, 3], mdp.reward[1, 3]
    got = (prob @ reward, prob @ (reward + 0.1) ** 2, prob @ (reward + 0.1) ** 4)
    assert got == (pytest.approx(-0.1), pytest.approx(1.0), pytest.approx(3.0))


# -- forest: pymdptoolbox's arrays and documented results ----------------------------------------
# mdptoolbox.example.forest's docstring: P and R of forest() (S=3, r1=4, r2=2, p=0.1).
FOREST_P = np.array(
    [[[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]], [[1, 0, 0], [1, 0, 0], [1, 0, 0]]]
)
FOREST_R = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 2.0]])


def test_forest_arrays_are_pymdptoolbox_documented_arrays():
    P, R = problems.forest().to_dense()
    np.testing.assert_allclose(P.transpose(1, 0, 2), FOREST_P)
    np.testing.assert_allclose(R, FOREST_R)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="default"),
        pytest.param({"S": 10, "r1": 7, "r2": 3, "p": 0.2}, id="S=10"),
    ],
)
def test_forest_arrays_equal_pymdptoolbox(params):
    example = pytest.importorskip("mdptoolbox.example")
    expected_P, expected_R = example.forest(**params)
    P, R = problems.forest(**params).to_dense()
    np.testing.assert_allclose(P.transpose(1, 0, 2), expected_P)
    np.testing.assert_allclose(R, expected_R)


def test_forest_values_are_pymdptoolbox_policy_iteration_documented_values():
    # mdptoolbox.mdp.PolicyIteration's docstring, discount 0.9.
    result = rlf.value_iteration(problems.forest(), gamma=0.9, epsilon=1e-12)
    np.testing.assert_allclose(result.values, [26.244, 29.484, 33.484], atol=1e-9)
    assert result.policy.tolist() == [0, 0, 0]


def test_forest_four_sweeps_give_pymdptoolbox_value_iteration_documented_values():
    # mdptoolbox.mdp.ValueIteration's docstring, discount 0.96: 4 iterations from zero.
    P, R = dense(problems.forest())
    values = np.zeros(3)
    for _ in range(4):
        values = (R + 0.96 * P @ values).max(axis=1)
    np.testing.assert_allclose(values, [5.93215488, 9.38815488, 13.38815488], atol=1e-8)


# -- inventory, machine replacement, queue admission, Puterman's example --------------------------
def is_s_S(order, capacity):
    """An (s, S) policy: order up to S below s, nothing from s on."""
    stock = np.arange(capacity + 1)
    below = np.flatnonzero(order > 0)
    if below.size == 0:
        return True
    s = below.max() + 1
    up_to = stock[:s] + order[:s]
    return (order[s:] == 0).all() and (up_to == up_to[0]).all() and up_to[0] >= s


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="default"),
        pytest.param({"capacity": 15, "demand": 4.0, "fixed_cost": 10.0}, id="larger K"),
        pytest.param({"capacity": 3, "demand": (0.25, 0.5, 0.25)}, id="Puterman's demand"),
    ],
)
def test_inventory_optimal_policy_is_an_s_S_policy(params):
    mdp = problems.inventory(**params)
    order = rlf.value_iteration(mdp, gamma=0.95).policy
    assert is_s_S(order, mdp.n_states - 1), order


def test_inventory_finite_horizon_values_are_backward_inductions():
    horizon, capacity = 5, 6
    stationary = problems.inventory(capacity=capacity)
    P, R = dense(stationary)
    allowed = np.arange(capacity + 1)[None, :] <= capacity - np.arange(capacity + 1)[:, None]
    values = np.zeros(capacity + 1)
    expected = []
    for _ in range(horizon):
        values = np.where(allowed, R + P @ values, -np.inf).max(axis=1)
        expected.append(values)
    expected = np.concatenate(expected[::-1])
    got = rlf.value_iteration(problems.inventory(capacity=capacity, horizon=horizon), 1.0).values
    np.testing.assert_allclose(got, expected, atol=1e-9)
    # The library's own finite-horizon solver, on the stationary model, agrees too.
    got = rlf.backward_induction(stationary, horizon).values[:horizon].ravel()
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_inventory_finite_horizon_policy_is_s_S_in_every_period():
    mdp = problems.inventory(capacity=8, horizon=4)
    orders = rlf.value_iteration(mdp, gamma=1.0).policy.reshape(4, 9)
    assert all(is_s_S(order, 8) for order in orders), orders


def test_machine_replacement_optimal_policy_is_a_control_limit():
    mdp = problems.machine_replacement(n_conditions=12, replacement_cost=15.0)
    P, R = dense(mdp)
    _, expected, _ = howard(P, R, 0.9)
    got = rlf.value_iteration(mdp, gamma=0.9).policy
    limit = int(np.argmax(got))
    assert got.tolist() == expected.tolist() == [0] * limit + [1] * (12 - limit)


def relative_value_iteration(P, R, allowed, n_iter=20_000):
    """Average-reward optimality: (gain, policy) by relative value iteration."""
    h = np.zeros(P.shape[0])
    for _ in range(n_iter):
        q = np.where(allowed, R + P @ h, -np.inf)
        new = q.max(axis=1)
        gain, h = new[0], new - new[0]
    return gain, q.argmax(axis=1)


def naor_threshold(arrival, service, reward, cost):
    """floor(v), v solving (v (1 - rho) - rho (1 - rho^v)) / (1 - rho)^2 = R mu / C."""
    rho = arrival / service
    target = reward * service / cost
    lo, hi = 0.0, 1e3
    for _ in range(200):
        v = (lo + hi) / 2
        if (v * (1 - rho) - rho * (1 - rho**v)) / (1 - rho) ** 2 < target:
            lo = v
        else:
            hi = v
    return math.floor(lo)


@pytest.mark.parametrize(
    "rates",
    [
        pytest.param((1.0, 1.25, 10.0, 1.0), id="rho=0.8"),
        pytest.param((1.0, 2.0, 5.0, 1.0), id="rho=0.5"),
        pytest.param((1.5, 1.0, 8.0, 2.0), id="rho=1.5"),
    ],
)
def test_queue_admission_average_optimal_threshold_is_naors(rates):
    mdp = problems.queue_admission(30, *rates)
    P, R = dense(mdp)
    allowed = np.ones((31, 2), bool)
    allowed[30, 1] = False
    gain, policy = relative_value_iteration(P, R, allowed)
    got = int(np.argmin(policy))  # first queue length that is rejected
    assert policy[got:].sum() == 0 and got == naor_threshold(*rates)
    # The library's own relative value iteration agrees with the one written here.
    library = rlf.relative_value_iteration(mdp)
    assert library.gain == pytest.approx(gain, abs=1e-8)
    assert int(np.argmin(library.policy)) == got and library.policy[got:].sum() == 0


def test_queue_admission_discounted_near_one_has_the_average_optimal_threshold():
    mdp = problems.queue_admission()
    policy = rlf.value_iteration(mdp, gamma=0.9999, epsilon=1e-6).policy
    assert int(np.argmin(policy)) == naor_threshold(1.0, 1.25, 10.0, 1.0)


def test_puterman_two_state_values_are_puterman_and_quantecons():
    result = rlf.value_iteration(problems.puterman_two_state(), gamma=0.95, epsilon=1e-12)
    np.testing.assert_allclose(result.values, [-60 / 7, -20.0], atol=1e-9)
    assert result.policy.tolist() == [0, 0]


# -- exploration benchmarks -----------------------------------------------------------------------
def river_swim_table():
    """Strehl & Littman (2008), figure 1: P[s, a, s'] and R[s, a] of the 6-state RiverSwim."""
    P = np.zeros((6, 2, 6))
    R = np.zeros((6, 2))
    for s in range(6):
        P[s, 0, max(s - 1, 0)] = 1.0
    P[0, 1, [0, 1]] = 0.4, 0.6
    for s in range(1, 5):
        P[s, 1, [s - 1, s, s + 1]] = 0.05, 0.6, 0.35
    P[5, 1, [4, 5]] = 0.4, 0.6
    R[0, 0] = 5.0
    R[5, 1] = 0.6 * 10_000.0
    return P, R


def test_river_swim_is_the_papers_model():
    P, R = dense(problems.river_swim())
    expected_P, expected_R = river_swim_table()
    np.testing.assert_allclose(P, expected_P)
    np.testing.assert_allclose(R, expected_R)


@pytest.mark.parametrize(
    ("problem", "gamma"),
    [
        pytest.param(problems.river_swim, 0.95, id="river swim"),
        pytest.param(lambda: problems.river_swim(12, 0.005, 1.0), 0.99, id="river swim 12"),
        pytest.param(problems.six_arms, 0.95, id="six arms"),
        pytest.param(problems.chain, 0.99, id="chain"),
        pytest.param(lambda: problems.garnet(60, 3, 4, seed=3), 0.9, id="garnet"),
    ],
)
def test_exploration_optimal_values_match_an_independent_solver(problem, gamma):
    mdp = problem()
    expected, _, _ = howard(*dense(mdp), gamma)
    got = rlf.value_iteration(mdp, gamma, epsilon=1e-10).values
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-6)


def test_river_swim_optimal_policy_swims_upstream_everywhere():
    _, policy, _ = howard(*river_swim_table(), 0.95)
    assert policy.tolist() == [1] * 6


def test_six_arms_rooms_pay_the_papers_rewards_for_staying():
    mdp = problems.six_arms()
    got = [mdp.expected_reward[room, room - 1 if room > 1 else 0] for room in range(1, 7)]
    assert got == [50, 133, 300, 800, 1660, 6000]


def test_six_arms_arms_reach_their_rooms_with_the_papers_probabilities():
    P, _ = dense(problems.six_arms())
    got = [P[0, arm, arm + 1] for arm in range(6)]
    assert got == [1.0, 0.15, 0.1, 0.05, 0.03, 0.01]


def test_chain_back_action_slips_forward_with_probability_slip():
    P, R = dense(problems.chain())
    assert (P[2, 1, 0], P[2, 1, 3], R[4, 0]) == (0.8, 0.2, pytest.approx(0.8 * 10 + 0.2 * 2))


def test_deep_sea_going_right_all_the_way_returns_one_minus_the_move_cost():
    result = rlf.value_iteration(problems.deep_sea(12), gamma=1.0)
    assert result.values[0] == pytest.approx(0.99)


def test_deep_sea_stochastic_always_right_returns_bsuites_optimal_return():
    size = 8
    mdp = problems.deep_sea(size, deterministic=False, mapping_seed=4)
    mapping = np.random.RandomState(4).binomial(1, 0.5, [size, size]).ravel()
    got = rlf.policy_evaluation(mdp, mapping, gamma=1.0).values[0]
    assert got == pytest.approx((1 - 1 / size) ** (size - 1) - 0.01)


def test_deep_sea_any_left_move_forfeits_the_treasure():
    mdp = problems.deep_sea(6, randomize_actions=False)
    policy = np.ones(36, int)
    policy[mdp.encode(row=2, col=2)] = 0
    got = rlf.policy_evaluation(mdp, policy, gamma=1.0).values[0]
    assert got < 0


def test_garnet_next_states_are_distinct():
    mdp = problems.garnet(30, 2, branching=5, seed=7)
    got = np.sort(mdp.next_state, axis=2)
    assert (np.diff(got, axis=2) > 0).all()


def test_garnet_same_seed_same_model():
    first, second = problems.garnet(seed=11), problems.garnet(seed=11)
    assert np.array_equal(first.next_state, second.next_state)
    assert np.array_equal(first.reward, second.reward)


def test_garnet_refuses_more_branches_than_states():
    with pytest.raises(InvalidValueError, match="branching"):
        problems.garnet(3, 2, branching=4)


# -- every problem: factors, docstring, registered env ------------------------------------------
NAMES = list(problems.CATALOG)
# Jack's full model has 2 million outcomes: its env round trip runs on a smaller instance.
SMALL = {"jacks_car_rental": {"max_cars": 4, "max_move": 2}}


@pytest.mark.parametrize("name", NAMES)
def test_every_problem_has_named_factors(name):
    mdp = problems.get_problem(name)(**SMALL.get(name, {}))
    assert mdp.factors is not None and math.prod(size for _, size in mdp.factors) == mdp.n_states


@pytest.mark.parametrize("name", NAMES)
def test_every_problem_docstring_has_gymnasium_sections(name):
    doc = inspect.getdoc(problems.get_problem(name))
    sections = [
        "Description",
        "States",
        "Actions",
        "Rewards",
        "Episode End",
        "criterion",
        "References",
        "Examples",
    ]
    assert [s for s in sections if s not in doc] == []


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_has_a_default(name):
    signature = inspect.signature(problems.get_problem(name))
    assert all(p.default is not p.empty for p in signature.parameters.values())


@pytest.mark.parametrize("name", NAMES)
def test_registered_env_round_trips_to_the_same_model(name):
    params = SMALL.get(name, {})
    expected = problems.get_problem(name)(**params)
    got = rlf.from_env(gym.make(problems.env_id(name), **params))
    for field in ("next_state", "prob", "reward", "terminated", "initial"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field), err_msg=field)
    assert got.max_episode_steps == expected.max_episode_steps


@pytest.mark.parametrize("name", NAMES)
def test_registered_env_dynamics_pass_check_model(name):
    params = SMALL.get(name, {})
    mdp = problems.get_problem(name)(**params)
    check = rlf.check_model(gym.make(problems.env_id(name), **params), mdp, 3_000, seed=0)
    assert check.mismatches == []


def test_registered_env_frequencies_match_the_model():
    mdp = problems.river_swim()
    check = rlf.check_model(problems.env_id("river_swim"), mdp, 20_000, seed=1)
    assert check.ok and check.compared_pairs > 0


def test_env_ids_are_the_camel_case_function_names():
    got = [problems.env_id(name) for name in ("jacks_car_rental", "gamblers_problem", "forest")]
    assert got == [
        "rlfoundations/JacksCarRental-v0",
        "rlfoundations/GamblersProblem-v0",
        "rlfoundations/Forest-v0",
    ]


# -- arguments ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        pytest.param(lambda: problems.gamblers_problem(1.5), InvalidValueError, "p_heads", id="p"),
        pytest.param(lambda: problems.forest(S=1), InvalidValueError, "S", id="S"),
        pytest.param(lambda: problems.forest(p="x"), InvalidTypeError, "p", id="p type"),
        pytest.param(lambda: problems.random_walk(4), InvalidValueError, "n_states", id="even"),
        pytest.param(
            lambda: problems.inventory(demand=(0.5, 0.6)), InvalidValueError, "demand", id="law"
        ),
        pytest.param(
            lambda: problems.jacks_car_rental(request_means=(3,)),
            InvalidTypeError,
            "request_means",
            id="means",
        ),
        pytest.param(lambda: problems.deep_sea(size=True), InvalidTypeError, "size", id="bool"),
        pytest.param(
            lambda: problems.get_problem("forrest"), InvalidValueError, "forest", id="name"
        ),
    ],
)
def test_bad_arguments_raise_errors_naming_them(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


# -- command line ---------------------------------------------------------------------------------
def test_cli_problems_lists_every_problem_on_one_line(capsys):
    from rlfoundations.cli import main

    assert main(["problems"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == NAMES


def test_cli_solves_a_problem_by_name_with_params(capsys):
    from rlfoundations.cli import main

    assert main(["solve", "forest", "--param", "S=10", "--gamma", "0.9"]) == 0
    assert "n_states=10" in capsys.readouterr().out


def test_cli_param_values_are_python_literals():
    from rlfoundations.problems._cli import parse_params

    got = parse_params(["S=10", "p=0.2", "king_moves=True", "demand=(0.25, 0.5, 0.25)"])
    assert got == {"S": 10, "p": 0.2, "king_moves": True, "demand": (0.25, 0.5, 0.25)}


def test_cli_unknown_param_is_one_line_error(capsys):
    from rlfoundations.cli import main

    assert main(["solve", "forest", "--param", "X=1"]) == 2
    assert "forest has no parameter 'X'" in capsys.readouterr().err


def test_cli_param_on_an_env_id_is_refused(capsys):
    from rlfoundations.cli import main

    assert main(["solve", "Taxi-v3", "--param", "X=1"]) == 2
    assert "only applies to a problem" in capsys.readouterr().err
