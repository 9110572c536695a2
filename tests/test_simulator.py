"""from_simulator against closed forms: the gambler's problem (Sutton & Barto, example 4.3)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf

GOAL = 100


def gambler(p_heads: float):
    """The gambler's rules: action a stakes a + 1 (capped by the capital and by what the goal
    needs); heads doubles the stake, reaching the goal pays 1 and ends, ruin ends."""

    def flip(capital: int, action: int):
        stake = min(action + 1, capital, GOAL - capital)
        win, lose = capital + stake, capital - stake
        return [
            (p_heads, win, float(win == GOAL), win == GOAL),
            (1 - p_heads, lose, 0.0, lose == 0),
        ]

    return flip


def solved_values(p_heads: float) -> dict[int, float]:
    mdp = rlf.from_simulator(gambler(p_heads), initial=list(range(1, GOAL)), n_actions=GOAL // 2)
    values = rlf.value_iteration(mdp, gamma=1.0, epsilon=1e-12).values
    return {capital: float(values[i]) for i, capital in enumerate(mdp.states)}


def bold_play_values(p_heads: float) -> np.ndarray:
    """The value of bold play (stake min(s, GOAL - s)), from its linear equations solved
    directly: V(s) = p V(s + stake) + (1 - p) V(s - stake), V(0) = 0, V(GOAL) = 1."""
    A = np.eye(GOAL + 1)
    b = np.zeros(GOAL + 1)
    b[GOAL] = 1.0
    for s in range(1, GOAL):
        stake = min(s, GOAL - s)
        A[s, s + stake] -= p_heads
        A[s, s - stake] -= 1 - p_heads
    return np.linalg.solve(A, b)


@pytest.fixture(scope="module")
def unfair():
    return solved_values(0.4)


@pytest.mark.parametrize(
    "capital, expected",
    [
        pytest.param(50, 0.4, id="50"),
        pytest.param(25, 0.4**2, id="25"),
        pytest.param(75, 0.4 + 0.6 * 0.4, id="75"),
    ],
)
def test_unfair_coin_values_at_dyadic_capitals_are_bold_plays_closed_form(
    unfair, capital, expected
):
    assert unfair[capital] == pytest.approx(expected, abs=1e-9)


def test_bold_play_is_optimal_for_an_unfair_coin(unfair):
    got = np.array([unfair[s] for s in range(1, GOAL)])
    expected = bold_play_values(0.4)[1:GOAL]
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_a_favourable_coin_has_the_gamblers_ruin_values():
    p, q = 0.6, 0.4
    got = solved_values(p)
    expected = {s: (1 - (q / p) ** s) / (1 - (q / p) ** GOAL) for s in range(1, GOAL)}
    for s in range(1, GOAL):
        assert got[s] == pytest.approx(expected[s], abs=1e-9)


def test_states_found_only_as_episodes_end_are_never_asked_about():
    asked = []

    def flip(capital, action):
        asked.append(capital)
        return gambler(0.4)(capital, action)

    mdp = rlf.from_simulator(flip, initial=50, n_actions=GOAL // 2)
    assert 0 in mdp.states and GOAL in mdp.states and not {0, GOAL} & set(asked)


def test_repeated_outcomes_are_merged():
    def coin(state, action):
        return [(0.25, "tails", 0.0, True)] * 2 + [(0.5, "heads", 1.0, True)]

    mdp = rlf.from_simulator(coin, initial="start", n_actions=1)
    got = sorted(mdp.prob[0, 0].tolist())
    assert got == [0.5, 0.5]


def test_outcomes_that_do_not_sum_to_one_are_an_error_naming_the_state_and_action():
    def leaky(state, action):
        return [(0.5, state, 0.0, False)]

    with pytest.raises(rlf.InvalidValueError, match=r"transitions\('s', 0\) sum to 0.5"):
        rlf.from_simulator(leaky, initial="s", n_actions=2)


def test_an_endless_state_space_stops_at_max_states():
    def counter(n, action):
        return [(1.0, n + 1, 0.0, False)]

    with pytest.raises(rlf.InvalidValueError, match="more than max_states = 1000"):
        rlf.from_simulator(counter, initial=0, n_actions=1, max_states=1_000)


def test_states_map_indices_back_to_simulator_states():
    mdp = rlf.from_simulator(gambler(0.4), initial=[10, 20], n_actions=2)
    got = mdp.states[:2]
    assert got == (10, 20) and mdp.initial[:2].tolist() == [0.5, 0.5]


# -- compile_env with the time in the state ------------------------------------------------------
def lake_with_limit(max_episode_steps: int):
    """The deterministic 4x4 FrozenLake, reset, its goal 6 moves from the start (3 down, 3
    right, around the holes) and 1 for reaching it."""
    env = gym.make("FrozenLake-v1", is_slippery=False, max_episode_steps=max_episode_steps)
    env.reset(seed=0)
    return env


def position(env) -> int:
    return int(env.unwrapped.s)


@pytest.mark.parametrize(
    "limit, expected",
    [
        pytest.param(6, 0.9**5, id="reachable in the last step"),
        pytest.param(5, 0.0, id="out of reach"),
    ],
)
def test_time_in_state_values_the_start_by_what_the_time_limit_leaves_reachable(limit, expected):
    mdp = rlf.compile_env(lake_with_limit(limit), state_key=position, time_in_state=True)
    got = rlf.value_iteration(mdp, gamma=0.9, epsilon=1e-12).values[0]
    assert got == pytest.approx(expected, abs=1e-9)


def test_time_in_state_pairs_each_state_with_the_steps_since_reset():
    mdp = rlf.compile_env(lake_with_limit(6), state_key=position, time_in_state=True)
    got = {time for _, time in mdp.states}
    assert mdp.states[0] == (0, 0) and got == set(range(7))


def test_time_in_state_without_a_time_limit_is_refused():
    env = gym.make("FrozenLake-v1", is_slippery=False).unwrapped
    env.reset(seed=0)
    with pytest.raises(rlf.InvalidValueError, match="TimeLimit"):
        rlf.compile_env(env, state_key=position, time_in_state=True)


def test_a_state_key_that_is_not_callable_is_refused_naming_it():
    with pytest.raises(rlf.InvalidTypeError, match="state_key must be callable"):
        rlf.compile_env(lake_with_limit(6), state_key="s")


class Countdown(gym.Env):
    """Truncates by itself after ``max_steps`` steps, but does not say how many it took."""

    observation_space = gym.spaces.Discrete(1)
    action_space = gym.spaces.Discrete(1)
    max_steps = 5

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 0.0, False, False, {}


def test_time_in_state_refuses_an_env_whose_steps_since_reset_cannot_be_read():
    env = Countdown()
    env.reset(seed=0)
    with pytest.raises(rlf.InvalidValueError, match="steps since reset"):
        rlf.compile_env(env, state_key=lambda env: 0, time_in_state=True)
