"""RickEnv: the talk's game, rule by rule, and as a well-behaved Gymnasium env."""

from __future__ import annotations

import importlib
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rlfoundations as rlf
from rlfoundations.envs import RICK_ID, RickEnv
from rlfoundations.envs.rick import LANDMARKS

UP, DOWN, RIGHT, LEFT, PICKUP, PORTAL_GUN = range(6)
G, B, C, F = range(4)  # landmark indices
WITH_RICK = 4


def place(env: gym.Env, row: int, col: int, signal: int, morty: int) -> int:
    """Reset ``env`` and put the game in state (row, col, signal, morty)."""
    env.reset(seed=0)
    env.unwrapped.s = env.unwrapped.encode(row, col, signal, morty)
    return env.unwrapped.s


@pytest.fixture
def env():
    env = gym.make(RICK_ID)
    yield env
    env.close()


# -- as a Gymnasium env ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="shaped"),
        pytest.param({"reward_scheme": "sparse"}, id="sparse"),
        pytest.param({"drunk": 0.3}, id="drunk"),
        pytest.param({"render_mode": "ansi"}, id="ansi"),
        pytest.param({"render_mode": "rgb_array"}, id="rgb_array"),
    ],
)
def test_env_passes_gymnasium_check_env_without_warnings(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Made through gymnasium.make, so that check_env can try the other render modes.
        check_env(gym.make(RICK_ID, **kwargs).unwrapped)


def test_make_after_import_gives_a_time_limited_rick():
    env = gym.make("rlfoundations/Rick-v0")
    assert isinstance(env.unwrapped, RickEnv)
    assert env.spec.max_episode_steps == 200


def test_make_with_module_prefix_imports_and_registers():
    env = gym.make("rlfoundations:rlfoundations/Rick-v0")
    assert isinstance(env.unwrapped, RickEnv)


def test_registration_is_idempotent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(rlf.envs)
    assert gym.spec(RICK_ID).entry_point == "rlfoundations.envs.rick:RickEnv"


def test_spaces_are_500_states_and_6_actions(env):
    assert env.observation_space == gym.spaces.Discrete(500)
    assert env.action_space == gym.spaces.Discrete(6)


def test_same_seed_gives_the_same_episode(env):
    def episode(seed):
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        trace = [obs]
        for _ in range(30):
            obs, reward, terminated, _, _ = env.step(env.action_space.sample())
            trace.append((obs, reward))
            if terminated:
                break
        return trace

    assert episode(7) == episode(7)


# -- state coding ----------------------------------------------------------------------------------
def test_encode_decode_round_trip_over_all_states():
    rick = RickEnv()
    decoded = [rick.decode(state) for state in range(500)]
    assert [rick.encode(*vector) for vector in decoded] == list(range(500))
    assert len(set(decoded)) == 500


def test_talk_vector_is_rick_bottom_right_signal_at_landmark_1_morty_aboard():
    rick = RickEnv()
    state = rick.encode(4, 4, 1, 4)
    assert rick.decode(state) == (4, 4, 1, 4)
    assert rick.observation_space.contains(state)
    rick.reset(seed=0)
    rick.s = state
    mask = rick.action_mask(state)
    assert mask.tolist() == [1, 0, 0, 1, 0, 0]  # up or left; no wall beside, nothing to fire at


@pytest.mark.parametrize(
    "vector", [(5, 0, 0, 0), (0, -1, 0, 0), (0, 0, 4, 0), (0, 0, 0, 5)], ids=str
)
def test_encode_rejects_out_of_range_components(vector):
    with pytest.raises(ValueError, match="must be in"):
        RickEnv().encode(*vector)


def test_decode_rejects_out_of_range_states():
    with pytest.raises(ValueError, match="state must be in"):
        RickEnv().decode(500)


# -- starting state --------------------------------------------------------------------------------
def test_start_is_uniform_over_300_states_with_morty_and_signal_apart():
    rick = RickEnv()
    starts = np.flatnonzero(rick.initial_state_distrib)
    assert len(starts) == 300
    np.testing.assert_allclose(rick.initial_state_distrib[starts], 1 / 300)
    for state in starts:
        _, _, signal, morty = rick.decode(state)
        assert morty != WITH_RICK
        assert morty != signal


def test_reset_returns_a_start_state_with_an_action_mask(env):
    rick = env.unwrapped
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        assert rick.initial_state_distrib[obs] > 0
        assert info["prob"] == 1.0
        np.testing.assert_array_equal(info["action_mask"], rick.action_mask(obs))


# -- rules, one scripted step each -----------------------------------------------------------------
def test_move_to_an_open_cell_costs_one_step(env):
    place(env, 2, 2, G, B)
    obs, reward, terminated, truncated, info = env.step(RIGHT)
    assert env.unwrapped.decode(obs) == (2, 3, G, B)
    assert (reward, terminated, truncated, info["prob"]) == (-1.0, False, False, 1.0)


@pytest.mark.parametrize(
    ("cell", "action"),
    [
        pytest.param((0, 2), RIGHT, id="wall-right"),
        pytest.param((0, 3), LEFT, id="wall-left"),
        pytest.param((3, 0), RIGHT, id="wall-beside-column-0"),
        pytest.param((0, 0), UP, id="off-grid-up"),
        pytest.param((4, 2), DOWN, id="off-grid-down"),
        pytest.param((2, 0), LEFT, id="off-grid-left"),
        pytest.param((1, 4), RIGHT, id="off-grid-right"),
    ],
)
def test_move_into_a_wall_or_off_grid_crashes_in_place(env, cell, action):
    state = place(env, *cell, G, B)
    obs, reward, terminated, _, info = env.step(action)
    assert (obs, reward, terminated) == (state, -10.0, False)
    assert info["action_mask"][action] == 0


def test_pickup_on_mortys_landmark_takes_him_aboard(env):
    place(env, *LANDMARKS[C][2], G, C)
    obs, reward, terminated, _, _ = env.step(PICKUP)
    assert env.unwrapped.decode(obs) == (4, 0, G, WITH_RICK)
    assert (reward, terminated) == (-1.0, False)


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param((2, 2, G, C), id="away-from-morty"),
        pytest.param((*LANDMARKS[F][2], G, C), id="on-another-landmark"),
        pytest.param((*LANDMARKS[C][2], G, WITH_RICK), id="morty-already-aboard"),
    ],
)
def test_invalid_pickup_crashes_in_place(env, vector):
    state = place(env, *vector)
    obs, reward, terminated, _, _ = env.step(PICKUP)
    assert (obs, reward, terminated) == (state, -10.0, False)


def test_portal_gun_at_the_signal_with_morty_aboard_wins(env):
    state = place(env, *LANDMARKS[F][2], F, WITH_RICK)
    obs, reward, terminated, truncated, _ = env.step(PORTAL_GUN)
    assert (obs, reward, terminated, truncated) == (state, 20.0, True, False)


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param((*LANDMARKS[F][2], F, G), id="at-signal-without-morty"),
        pytest.param((*LANDMARKS[B][2], F, WITH_RICK), id="morty-aboard-wrong-landmark"),
        pytest.param((2, 2, F, WITH_RICK), id="morty-aboard-nowhere"),
    ],
)
def test_portal_gun_anywhere_else_kills_everybody(env, vector):
    state = place(env, *vector)
    obs, reward, terminated, _, _ = env.step(PORTAL_GUN)
    assert (obs, reward, terminated) == (state, -10.0, True)


def test_scripted_episode_from_start_to_win(env):
    place(env, 0, 0, B, G)  # Morty at G (0, 1), the signal at B (0, 4)
    # The wall between columns 2 and 3 in rows 0 and 1 forces a detour through row 2.
    script = [RIGHT, PICKUP, RIGHT, DOWN, DOWN, RIGHT, UP, UP, RIGHT, PORTAL_GUN]
    rewards = []
    for action in script:
        obs, reward, terminated, _, _ = env.step(action)
        rewards.append(reward)
    assert env.unwrapped.decode(obs) == (0, 4, B, WITH_RICK)
    assert terminated
    assert rewards == [-1.0] * 9 + [20.0]


def test_scripted_episode_that_hits_the_wall_and_fires_too_early(env):
    place(env, 1, 0, B, G)
    script = [UP, RIGHT, PICKUP, DOWN, RIGHT, RIGHT, UP, PORTAL_GUN]
    rewards = []
    for action in script:
        obs, reward, terminated, _, _ = env.step(action)
        rewards.append(reward)
    assert env.unwrapped.decode(obs) == (0, 2, B, WITH_RICK)
    assert terminated
    assert rewards == [-1.0, -1.0, -1.0, -1.0, -1.0, -10.0, -1.0, -10.0]


def test_time_limit_truncates_after_200_steps(env):
    place(env, 0, 0, B, G)
    for step in range(1, 201):
        _, _, terminated, truncated, _ = env.step(UP)  # crash forever
        assert not terminated
        assert truncated == (step == 200)


@pytest.mark.parametrize(
    ("vector", "action", "expected"),
    [
        pytest.param((*LANDMARKS[F][2], F, WITH_RICK), PORTAL_GUN, (1.0, True), id="win"),
        pytest.param((2, 2, F, WITH_RICK), PORTAL_GUN, (-1.0, True), id="death"),
        pytest.param((0, 0, F, G), UP, (0.0, False), id="crash"),
        pytest.param((2, 2, F, G), PICKUP, (0.0, False), id="invalid-pickup"),
        pytest.param((2, 2, F, G), DOWN, (0.0, False), id="step"),
    ],
)
def test_sparse_scheme_pays_one_for_a_win_minus_one_for_death_else_zero(vector, action, expected):
    env = gym.make(RICK_ID, reward_scheme="sparse")
    place(env, *vector)
    _, reward, terminated, _, _ = env.step(action)
    assert (reward, terminated) == expected


def test_action_mask_marks_exactly_the_actions_that_neither_crash_nor_kill():
    rick = RickEnv()
    for state in range(500):
        mask = rick.action_mask(state)
        for action in range(6):
            ((_, _, reward, terminated),) = rick.P[state][action]
            legal = reward == -1.0 or (terminated and reward > 0)
            assert mask[action] == legal, (rick.decode(state), action)


# -- drunk Rick ------------------------------------------------------------------------------------
def test_drunk_rick_slips_sideways_with_half_the_probability_each():
    rick = RickEnv(drunk=0.2)
    state = rick.encode(2, 3, G, B)
    outcomes = {rick.decode(next_state): prob for prob, next_state, _, _ in rick.P[state][UP]}
    assert outcomes == pytest.approx({(1, 3, G, B): 0.8, (2, 2, G, B): 0.1, (2, 4, G, B): 0.1})


def test_drunk_slip_into_a_wall_is_a_crash():
    rick = RickEnv(drunk=0.5)
    state = rick.encode(1, 2, G, B)  # a wall to the right of (1, 2)
    outcomes = {(next_state, reward): prob for prob, next_state, reward, _ in rick.P[state][UP]}
    assert outcomes == pytest.approx(
        {
            (rick.encode(0, 2, G, B), -1.0): 0.5,
            (rick.encode(1, 1, G, B), -1.0): 0.25,
            (state, -10.0): 0.25,
        }
    )


def test_fully_drunk_rick_never_moves_as_intended():
    rick = RickEnv(drunk=1.0)
    state = rick.encode(3, 2, G, B)
    targets = {rick.decode(next_state)[:2] for _, next_state, _, _ in rick.P[state][DOWN]}
    assert targets == {(3, 1), (3, 3)}


@pytest.mark.parametrize("drunk", [0.0, 0.1, 1.0])
def test_every_transition_list_is_a_distribution(drunk):
    rick = RickEnv(drunk=drunk)
    for state in range(500):
        for action in range(6):
            probs = [prob for prob, *_ in rick.P[state][action]]
            assert all(prob > 0 for prob in probs)
            assert sum(probs) == pytest.approx(1.0)


# -- the extracted model ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="shaped"),
        pytest.param({"reward_scheme": "sparse"}, id="sparse"),
        pytest.param({"drunk": 0.2}, id="drunk"),
    ],
)
def test_extracted_model_agrees_with_env_step(kwargs):
    mdp = rlf.from_env(RICK_ID, **kwargs)
    assert (mdp.n_states, mdp.n_actions, mdp.max_episode_steps) == (500, 6, 200)
    check = rlf.check_model(gym.make(RICK_ID, **kwargs), mdp, n_samples=5_000, seed=0)
    assert check.ok, check.mismatches


# -- rendering -------------------------------------------------------------------------------------
def test_ansi_render_shows_walls_rick_morty_and_signal():
    env = gym.make(RICK_ID, render_mode="ansi")
    place(env, 2, 2, F, G)
    text = env.render()
    lines = text.splitlines()
    assert lines[0] == "+---------+"
    assert lines[1] == "| :M: | :B|"
    assert lines[3] == "| : |R: : |"
    assert lines[4] == "| | : :S: |"
    assert lines[5] == "|C: : | : |"
    assert lines[7] == "Morty at G, signal at F"


def test_ansi_render_shows_rick_and_morty_together_and_the_last_action():
    env = gym.make(RICK_ID, render_mode="ansi")
    place(env, 4, 4, B, WITH_RICK)
    env.step(UP)
    lines = env.render().splitlines()
    assert lines[4] == "| | : :F:&|"
    assert "M" not in "".join(lines[:7])
    assert lines[7] == "Morty aboard, signal at B  (Up)"


def test_rgb_array_render_is_a_uint8_image_that_changes_with_the_state():
    env = gym.make(RICK_ID, render_mode="rgb_array")
    place(env, 2, 2, F, G)
    first = env.render()
    env.step(DOWN)
    second = env.render()
    assert first.shape == (240, 240, 3)
    assert first.dtype == np.uint8
    assert not np.array_equal(first, second)


def test_render_without_a_mode_warns_and_returns_none(env):
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.unwrapped.render() is None


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"reward_scheme": "dense"}, ValueError, "reward_scheme", id="scheme"),
        pytest.param({"reward_scheme": 1}, TypeError, "reward_scheme", id="scheme-type"),
        pytest.param({"drunk": -0.1}, ValueError, "drunk", id="drunk-negative"),
        pytest.param({"drunk": 1.5}, ValueError, "drunk", id="drunk-above-one"),
        pytest.param({"drunk": float("nan")}, ValueError, "drunk", id="drunk-nan"),
        pytest.param({"drunk": True}, TypeError, "drunk", id="drunk-bool"),
        pytest.param({"drunk": "0.1"}, TypeError, "drunk", id="drunk-str"),
        pytest.param({"render_mode": "human"}, ValueError, "render_mode", id="render-mode"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        RickEnv(**kwargs)


@pytest.mark.parametrize("action", [6, -1, 1.5], ids=str)
def test_step_rejects_actions_outside_the_space(env, action):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.unwrapped.step(action)
