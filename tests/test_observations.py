"""IndexObservation: finite structured observations as one index, and models that carry it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf


def lake_as_row_and_col() -> gym.Env:
    """FrozenLake with (row, col) tuple observations, columns reversed: a Tuple space."""
    space = gym.spaces.Tuple((gym.spaces.Discrete(4), gym.spaces.Discrete(4)))
    return gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1"), lambda obs: (int(obs) // 4, 3 - int(obs) % 4), space
    )


SPACES = [
    pytest.param(gym.spaces.Tuple((gym.spaces.Discrete(3), gym.spaces.Discrete(4))), id="tuple"),
    pytest.param(gym.spaces.MultiDiscrete([3, 4]), id="multidiscrete"),
    pytest.param(
        gym.spaces.Dict({"row": gym.spaces.Discrete(3), "col": gym.spaces.Discrete(4)}), id="dict"
    ),
    pytest.param(gym.spaces.Discrete(12, start=-5), id="discrete-start"),
]


class SpaceEnv(gym.Env):
    action_space = gym.spaces.Discrete(1)

    def __init__(self, space):
        self.observation_space = space


@pytest.mark.parametrize("space", SPACES)
def test_every_observation_gets_one_index_and_decodes_back(space):
    env = rlf.IndexObservation(SpaceEnv(space))
    space.seed(0)
    samples = [space.sample() for _ in range(50)]
    got = [env.decode(env.encode(obs)) for obs in samples]
    for obs, back in zip(samples, got, strict=True):
        assert env.encode(back) == env.encode(obs)
    assert env.observation_space == gym.spaces.Discrete(12)


def test_the_index_is_the_first_element_most_significant():
    env = rlf.IndexObservation(SpaceEnv(gym.spaces.MultiDiscrete([3, 4])))
    got = [env.encode(np.array([row, col])) for row in range(3) for col in range(4)]
    assert got == list(range(12))


def test_a_box_space_is_refused_with_a_hint():
    with pytest.raises(rlf.InvalidTypeError, match="DiscretizeObservation"):
        rlf.IndexObservation(SpaceEnv(gym.spaces.Box(0, 1, shape=(2,))))


def test_a_model_through_index_observation_carries_its_factors():
    env = rlf.IndexObservation(lake_as_row_and_col(), names=("row", "col_from_right"))
    mdp = rlf.from_env(env)
    assert mdp.factors == (("row", 4), ("col_from_right", 4))
    # The goal, FrozenLake's state 15 (row 3, col 3), is column 0 from the right.
    got = mdp.decode(int(np.flatnonzero(mdp.reward.max(axis=(1, 2)) > 0).max()))
    assert got == {"row": 3, "col_from_right": 1}  # next to the goal: its reward is entering


def test_a_tuple_observation_left_outside_is_indexed_as_index_observation_does():
    got = rlf.from_env(lake_as_row_and_col()).next_state
    expected = rlf.from_env(rlf.IndexObservation(lake_as_row_and_col())).next_state
    np.testing.assert_array_equal(got, expected)


def test_a_model_through_index_observation_passes_check_model():
    env = rlf.IndexObservation(lake_as_row_and_col())
    assert rlf.check_model(env, rlf.from_env(env), n_samples=3_000, seed=0).ok


def test_index_observation_of_discrete_with_a_start_shifts_it_to_zero():
    env = gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1"), lambda obs: int(obs) + 10, gym.spaces.Discrete(16, start=10)
    )
    got = rlf.from_env(rlf.IndexObservation(env)).next_state
    expected = rlf.from_env("FrozenLake-v1").next_state
    np.testing.assert_array_equal(got, expected)


def test_a_discrete_space_with_a_start_is_shifted_to_zero_without_index_observation():
    env = gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1"), lambda obs: int(obs) + 10, gym.spaces.Discrete(16, start=10)
    )
    got = rlf.from_env(env).next_state
    expected = rlf.from_env("FrozenLake-v1").next_state
    np.testing.assert_array_equal(got, expected)
