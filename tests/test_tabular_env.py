"""TabularEnv / TabularMDP.to_env: a model back into Gymnasium, and back out again."""

from __future__ import annotations

from collections import Counter

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import TimeLimit
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import problems
from rlfoundations.envs.tabular import TabularEnv
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from tests.strategies import examples, problem_instances, tabular_mdps


def outcomes(mdp, state, action):
    """(next_state, reward, terminated) -> total probability, zero-probability slots left out."""
    merged = Counter()
    for k in range(mdp.max_outcomes):
        if mdp.prob[state, action, k] > 0:
            key = (
                int(mdp.next_state[state, action, k]),
                float(mdp.reward[state, action, k]),
                bool(mdp.terminated[state, action, k]),
            )
            merged[key] += float(mdp.prob[state, action, k])
    return merged


def same_dynamics(got, expected):
    return all(
        outcomes(got, s, a).keys() == outcomes(expected, s, a).keys()
        and all(
            np.isclose(p, outcomes(expected, s, a)[key]) for key, p in outcomes(got, s, a).items()
        )
        for s in range(expected.n_states)
        for a in range(expected.n_actions)
    )


def masked(mdp, mask):
    """The model with an ``action_mask`` attribute, as models with masks carry it."""
    object.__setattr__(mdp, "action_mask", np.asarray(mask, dtype=bool))
    return mdp


# check_env cannot test other render modes of an env made without gymnasium.make.
NO_SPEC = pytest.mark.filterwarnings("ignore:.*alternative render modes")


@NO_SPEC
@pytest.mark.parametrize(
    "problem",
    [
        pytest.param(problems.forest, id="forest"),
        pytest.param(problems.gamblers_problem, id="gambler"),
        pytest.param(problems.windy_gridworld, id="windy"),
        pytest.param(problems.maximization_bias, id="max bias"),
    ],
)
def test_to_env_passes_gymnasiums_env_checker(problem):
    env = problem().to_env()
    check_env(env.unwrapped)


@NO_SPEC
def test_to_env_with_ansi_rendering_passes_gymnasiums_env_checker():
    check_env(problems.dyna_maze().to_env(render_mode="ansi").unwrapped)


def test_registered_problem_env_passes_gymnasiums_env_checker():
    check_env(gym.make(problems.env_id("river_swim"), render_mode="ansi").unwrapped)


@examples(25)
@given(tabular_mdps(max_states=12, max_actions=3, max_outcomes=3))
def test_to_env_round_trips_through_from_env_to_the_same_dynamics(mdp):
    got = rlf.from_env(mdp.to_env())
    assert same_dynamics(got, mdp)
    np.testing.assert_array_equal(got.initial, mdp.initial)


@NO_SPEC
@examples(30)
@given(problem_instances())
def test_every_problem_instance_env_passes_the_checker_and_reads_back_the_same(instance):
    name, params = instance
    mdp = problems.get_problem(name)(**params)
    env = mdp.to_env()
    check_env(env.unwrapped)
    got = rlf.from_env(env)
    for field in ("next_state", "prob", "reward", "terminated", "initial"):
        np.testing.assert_array_equal(getattr(got, field), getattr(mdp, field))


def test_to_env_round_trips_a_canonical_model_to_the_same_arrays():
    expected = problems.six_arms()
    got = rlf.from_env(expected.to_env())
    for field in ("next_state", "prob", "reward", "terminated"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))
    assert got.max_episode_steps == expected.max_episode_steps == 1000


# Small parameters where the default instance is slow to build (Jack's 441 states: ~9 s).
SMALL = {"jacks_car_rental": {"max_cars": 4, "max_move": 2}}


@pytest.mark.parametrize("name", list(problems.CATALOG))
def test_a_registered_problem_env_reads_back_the_problems_time_limit(name):
    params = SMALL.get(name, {})
    got = rlf.from_env(gym.make(problems.env_id(name), **params)).max_episode_steps
    expected = problems.CATALOG[name].max_episode_steps
    assert got == expected == problems.get_problem(name)(**params).max_episode_steps


def test_a_model_without_a_time_limit_reads_back_without_one():
    got = rlf.from_env(problems.random_walk().to_env())
    assert got.max_episode_steps is None


def test_make_of_a_model_is_its_env():
    mdp = problems.river_swim()
    env = rlf.make(mdp)
    got = rlf.from_env(env)
    assert isinstance(env, TimeLimit) and env.unwrapped.mdp is mdp
    assert same_dynamics(got, mdp) and got.max_episode_steps == mdp.max_episode_steps


def test_make_of_a_model_passes_the_render_mode():
    env = rlf.make(problems.dyna_maze(), render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "state 18 (row=2, col=0)\n"


def test_make_of_a_model_refuses_make_arguments_the_model_already_holds():
    with pytest.raises(InvalidTypeError, match="is_slippery"):
        rlf.make(problems.forest(), is_slippery=True)


def test_to_env_wraps_a_time_limit_when_the_model_has_one():
    env = problems.forest().to_env()
    assert isinstance(env, TimeLimit) and env._max_episode_steps == 1000


def test_to_env_has_no_time_limit_when_the_model_has_none():
    assert isinstance(problems.random_walk().to_env(), TabularEnv)


def test_env_p_table_lists_the_models_outcomes():
    mdp = problems.river_swim()
    got = mdp.to_env().unwrapped.P[3][1]
    assert got == [(0.05, 2, 0.0, False), (0.6, 3, 0.0, False), (0.35, 4, 0.0, False)]


def test_env_samples_the_model_frequencies():
    mdp = problems.chain()
    check = rlf.check_model(mdp.to_env(), mdp, 20_000, seed=2)
    assert check.ok and check.compared_pairs > 0


def test_env_same_seed_same_trajectory():
    def trajectory(seed):
        env = problems.gamblers_problem().to_env()
        state, _ = env.reset(seed=seed)
        visited = [state]
        for _ in range(20):
            state, reward, terminated, _, _ = env.step(1)
            visited.append((state, reward))
            if terminated:
                break
        return visited

    assert trajectory(3) == trajectory(3)


def test_env_reports_the_sampled_outcomes_probability():
    env = problems.river_swim().to_env()
    env.reset(seed=0)
    env.unwrapped.s = 3
    *_, info = env.step(1)
    assert info["prob"] in (0.05, 0.6, 0.35)


def test_env_puts_the_action_mask_in_info_when_the_model_masks():
    mdp = masked(problems.puterman_two_state(), [[True, True], [True, False]])
    env = mdp.to_env()
    _, info = env.reset(seed=0)
    *_, info_after = env.step(1)
    assert info["action_mask"].tolist() == [1, 1] and info_after["action_mask"].tolist() == [1, 0]


def test_env_action_mask_is_int8_as_gymnasium_expects():
    mdp = masked(problems.puterman_two_state(), [[True, True], [True, False]])
    _, info = mdp.to_env().reset(seed=0)
    assert info["action_mask"].dtype == np.int8


def test_env_leaves_the_action_mask_out_when_every_action_is_allowed():
    mdp = masked(problems.forest(), np.ones((3, 2), bool))
    _, info = mdp.to_env().reset(seed=0)
    assert "action_mask" not in info


def test_env_render_ansi_names_the_state_factors():
    env = problems.dyna_maze().to_env(render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "state 18 (row=2, col=0)\n"


def test_env_refuses_an_unknown_render_mode():
    with pytest.raises(InvalidValueError, match="render_mode"):
        problems.forest().to_env(render_mode="human")


def test_env_refuses_an_action_outside_the_space():
    env = problems.forest().to_env()
    env.reset(seed=0)
    with pytest.raises(InvalidValueError, match="action"):
        env.step(2)


def test_env_refuses_something_that_is_not_a_model():
    with pytest.raises(InvalidTypeError, match="mdp"):
        TabularEnv("forest")
