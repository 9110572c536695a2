"""solve and evaluate: optimal policies that win in the real env, scored honestly."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations.envs import RICK_ID

START_STATES = np.flatnonzero(rlf.envs.RickEnv().initial_state_distrib)


@pytest.fixture(scope="module")
def rick_policy() -> rlf.GreedyPolicy:
    return rlf.solve(RICK_ID)


@pytest.fixture(scope="module")
def sparse_policy() -> rlf.GreedyPolicy:
    return rlf.solve(RICK_ID, reward_scheme="sparse")


def play_from(env: gym.Env, state: int, policy) -> tuple[float, bool, bool]:
    """Return, last reward > 0 and terminated of one episode started in ``state``."""
    env.reset(seed=0)
    env.unwrapped.s = int(state)
    obs, total = int(state), 0.0
    terminated = truncated = False
    while not (terminated or truncated):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += reward
    return total, reward > 0, terminated


def wins_from_every_start(env: gym.Env, policy) -> list[int]:
    """The start states from which ``policy`` does not win."""
    losses = []
    for state in START_STATES:
        _, positive, terminated = play_from(env, state, policy)
        if not (positive and terminated):
            losses.append(int(state))
    return losses


def test_there_are_300_start_states():
    assert len(START_STATES) == 300


def test_solved_rick_wins_from_every_start_state(rick_policy):
    assert wins_from_every_start(gym.make(RICK_ID), rick_policy) == []


def test_solved_rick_return_matches_the_planned_value(rick_policy):
    env = gym.make(RICK_ID)
    state = int(START_STATES[0])
    total, _, _ = play_from(env, state, rick_policy)
    # Undiscounted return of a deterministic optimal run: +20 and one -1 per step before it.
    steps = 21 - total
    expected = sum(-(0.99**t) for t in range(int(steps) - 1)) + 20 * 0.99 ** (steps - 1)
    assert rick_policy.result.values[state] == pytest.approx(expected)


def test_sparse_scheme_changes_rewards_not_the_win_rate(rick_policy, sparse_policy):
    assert not np.array_equal(rick_policy.mdp.reward, sparse_policy.mdp.reward)
    env = gym.make(RICK_ID, reward_scheme="sparse")
    assert wins_from_every_start(env, sparse_policy) == []
    assert rlf.evaluate(env, sparse_policy, episodes=50).win_rate == 1.0
    # A win pays +1 and nothing else pays anything: every episode returns exactly 1.
    assert rlf.evaluate(env, sparse_policy, episodes=50).mean_return == 1.0


def test_drunk_rick_extracts_solves_and_still_wins():
    mdp = rlf.from_env(RICK_ID, drunk=0.1)
    assert mdp.max_outcomes == 3
    policy = rlf.solve(mdp)
    score = rlf.evaluate(RICK_ID, policy, episodes=100, seed=0, drunk=0.1)
    assert score.win_rate == 1.0
    assert score.mean_return < rlf.evaluate(RICK_ID, rlf.solve(RICK_ID), episodes=100).mean_return


def suicidal_states(policy: rlf.GreedyPolicy) -> list[int]:
    """States where the policy fires the portal gun where it kills."""
    rick = rlf.envs.RickEnv()
    return [s for s in range(500) if policy(s) == 5 and not rick.action_mask(s)[5]]


def test_very_drunk_rick_prefers_death_under_shaped_rewards_but_not_sparse():
    # Shaped: -10 once beats a long wobbly trip of -1 steps and -10 crashes.
    assert len(suicidal_states(rlf.solve(RICK_ID, drunk=0.3))) > 0
    sparse = rlf.solve(RICK_ID, drunk=0.3, reward_scheme="sparse")
    assert suicidal_states(sparse) == []
    score = rlf.evaluate(RICK_ID, sparse, episodes=100, drunk=0.3, reward_scheme="sparse")
    assert score.win_rate == 1.0


def test_greedy_policy_takes_the_talks_state_up_to_the_signal(rick_policy):
    assert rick_policy(489) == 0  # [4, 4, 1, 4]: the signal is straight up, at B


def test_greedy_policy_holds_the_planning_result_and_the_model(rick_policy):
    assert rick_policy.mdp.n_states == 500
    np.testing.assert_array_equal(rick_policy.actions, rick_policy.result.policy)
    assert rick_policy.result.gamma == 0.99
    assert "GreedyPolicy(n_states=500" in repr(rick_policy)


@pytest.mark.parametrize(
    ("obs", "error"),
    [
        pytest.param(500, ValueError, id="too-large"),
        pytest.param(-1, ValueError, id="negative"),
        pytest.param(1.0, TypeError, id="float"),
        pytest.param(True, TypeError, id="bool"),
        pytest.param(np.array([1, 2]), TypeError, id="array"),
    ],
)
def test_greedy_policy_rejects_observations_that_are_not_states(rick_policy, obs, error):
    with pytest.raises(error, match="obs"):
        rick_policy(obs)


def test_greedy_policy_accepts_numpy_integers(rick_policy):
    assert rick_policy(np.int64(489)) == rick_policy(np.array(489)) == 0


def test_solve_and_evaluate_taxi():
    policy = rlf.solve("Taxi-v3")
    score = rlf.evaluate("Taxi-v3", policy, episodes=50, seed=0)
    assert score.win_rate == 1.0
    assert score.mean_return > 0
    assert score.truncated.sum() == 0


def test_evaluate_accepts_a_made_env_and_any_callable(rick_policy):
    env = rlf.make(RICK_ID)
    score = rlf.evaluate(env, lambda obs: rick_policy(obs), episodes=10, seed=3)
    assert score.win_rate == 1.0


def test_evaluate_replays_the_same_episodes_for_the_same_seed():
    env = gym.make(RICK_ID, drunk=0.3)
    policy = rlf.solve(RICK_ID, drunk=0.3)
    first = rlf.evaluate(env, policy, episodes=20, seed=5)
    second = rlf.evaluate(env, policy, episodes=20, seed=5)
    np.testing.assert_array_equal(first.returns, second.returns)


def test_evaluation_statistics():
    got = rlf.evaluate(RICK_ID, lambda obs: 5, episodes=30, seed=0)  # fire at once
    # The portal gun at a start state always kills: -10 in one step.
    np.testing.assert_array_equal(got.returns, -10.0)
    assert (got.episodes, got.mean_return, got.std_error, got.win_rate) == (30, -10.0, 0.0, 0.0)
    assert got.mean_length == 1.0
    assert "EvaluationResult(episodes=30" in repr(got)


def test_std_error_is_the_sample_std_over_root_n(rick_policy):
    got = rlf.evaluate(RICK_ID, rick_policy, episodes=40, seed=1)
    expected = np.std(got.returns, ddof=1) / np.sqrt(40)
    assert got.std_error == pytest.approx(expected)


def test_a_policy_that_never_ends_is_truncated_and_never_wins():
    got = rlf.evaluate(RICK_ID, lambda obs: 0, episodes=3)  # walk up forever
    assert got.truncated.all()
    assert got.win_rate == 0.0
    np.testing.assert_array_equal(got.lengths, 200)


def test_max_steps_cuts_episodes_of_envs_without_a_time_limit():
    env = rlf.envs.RickEnv()  # not made: no TimeLimit
    got = rlf.evaluate(env, lambda obs: 0, episodes=2, max_steps=7)
    np.testing.assert_array_equal(got.lengths, 7)
    assert got.truncated.all()
    unlimited = rlf.evaluate(env, lambda obs: 0, episodes=1)
    assert unlimited.lengths[0] == 1_000


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"episodes": 0}, ValueError, "episodes", id="no-episodes"),
        pytest.param({"episodes": 2.5}, TypeError, "episodes", id="float-episodes"),
        pytest.param({"seed": "0"}, TypeError, "seed", id="str-seed"),
        pytest.param({"max_steps": 0}, ValueError, "max_steps", id="no-steps"),
        pytest.param({"policy": "greedy"}, TypeError, "policy", id="not-callable"),
    ],
)
def test_evaluate_rejects_bad_arguments(kwargs, error, match):
    arguments = {"policy": lambda obs: 0, **kwargs}
    with pytest.raises(error, match=match):
        rlf.evaluate(RICK_ID, **arguments)


def test_evaluate_rejects_make_kwargs_with_an_env():
    with pytest.raises(TypeError, match="make_kwargs"):
        rlf.evaluate(gym.make(RICK_ID), lambda obs: 0, drunk=0.1)


def test_evaluate_rejects_what_is_not_an_env():
    with pytest.raises(TypeError, match="env"):
        rlf.evaluate(42, lambda obs: 0)


def test_solve_rejects_make_kwargs_with_a_model(rick_policy):
    with pytest.raises(TypeError, match="make_kwargs"):
        rlf.solve(rick_policy.mdp, drunk=0.1)


def test_solve_rejects_a_bad_gamma():
    with pytest.raises(ValueError, match="gamma"):
        rlf.solve(RICK_ID, gamma=1.5)


def test_solve_rejects_envs_without_a_model():
    with pytest.raises(TypeError, match="Discrete"):
        rlf.solve("CartPole-v1")


# -- evaluate accepts what the library returns ---------------------------------------------------
def test_evaluate_accepts_an_action_array(rick_policy):
    got = rlf.evaluate(RICK_ID, rick_policy.actions, episodes=10, seed=3)
    expected = rlf.evaluate(RICK_ID, rick_policy, episodes=10, seed=3)
    np.testing.assert_array_equal(got.returns, expected.returns)


def test_evaluate_accepts_a_planning_result(rick_policy):
    got = rlf.evaluate(RICK_ID, rick_policy.result, episodes=10, seed=3)
    assert got.win_rate == 1.0


def test_evaluate_accepts_a_learning_result():
    mdp = rlf.from_env("CliffWalking-v1")
    learned = rlf.q_learning(mdp, gamma=0.99, n_steps=20_000, seed=0)
    got = rlf.evaluate("CliffWalking-v1", learned, episodes=2, seed=0)
    expected = rlf.evaluate("CliffWalking-v1", lambda obs: int(learned.policy[obs]), 2, 0)
    np.testing.assert_array_equal(got.returns, expected.returns)


def test_evaluate_of_one_hot_probabilities_equals_the_deterministic_policy(rick_policy):
    one_hot = np.eye(6)[rick_policy.actions]
    got = rlf.evaluate(RICK_ID, one_hot, episodes=10, seed=3)
    expected = rlf.evaluate(RICK_ID, rick_policy, episodes=10, seed=3)
    np.testing.assert_array_equal(got.returns, expected.returns)


def test_evaluate_samples_a_stochastic_policy_at_its_probabilities():
    # Deterministic FrozenLake from the start state 0: "left" (0) stays put, "down" (1)
    # moves to state 4. One step per episode, drawn with probability 0.25 of "down".
    probs = np.zeros((16, 4))
    probs[:, 0], probs[:, 1] = 0.75, 0.25
    env = gym.make("FrozenLake-v1", is_slippery=False)
    moved = []
    for seed in range(400):
        rlf.evaluate(env, probs, episodes=1, seed=seed, max_steps=1)
        moved.append(int(env.unwrapped.s) == 4)
    # binomial(400, 0.25): sd 8.7; 4 sd either side
    assert 65 <= sum(moved) <= 135


def test_evaluate_replays_a_stochastic_policy_for_the_same_seed():
    uniform = np.full((500, 6), 1 / 6)
    first = rlf.evaluate(RICK_ID, uniform, episodes=5, seed=1)
    second = rlf.evaluate(RICK_ID, uniform, episodes=5, seed=1)
    np.testing.assert_array_equal(first.returns, second.returns)


@pytest.mark.parametrize(
    ("policy", "error", "match"),
    [
        pytest.param(np.zeros(3, dtype=int), rlf.InvalidValueError, "500", id="wrong-states"),
        pytest.param(np.full((500, 6), 0.2), rlf.InvalidValueError, "sum to", id="not-summing"),
        pytest.param(np.zeros(500), rlf.InvalidTypeError, "ints", id="float-actions"),
        pytest.param(np.full((500, 6), -1.0), rlf.InvalidValueError, "probability", id="negative"),
    ],
)
def test_evaluate_rejects_bad_policy_arrays(policy, error, match):
    with pytest.raises(error, match=match):
        rlf.evaluate(RICK_ID, policy, episodes=1)


# -- solve(env) on an env without P: compiled, and played live -----------------------------------
MINIGRID_IDS = ["MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-5x5-v0"]


@pytest.fixture(scope="module")
def minigrid_solved():
    """Each MiniGrid env (reset with seed 0, the goal worth 1), its policy and the fewest
    steps to the goal by the BFS of tests/test_compile_env.py, not by MiniGrid's step."""
    pytest.importorskip("minigrid", reason="pip install 'rlfoundations[test-envs]'")
    from tests.test_compile_env import binary_goal, shortest_path_length

    solved = {}
    for env_id in MINIGRID_IDS:
        env = binary_goal(gym.make(env_id))
        env.reset(seed=0)
        solved[env_id] = (env, rlf.solve(env), shortest_path_length(env.unwrapped))
    return solved


@pytest.mark.parametrize("env_id", MINIGRID_IDS)
def test_solve_of_a_minigrid_env_reaches_the_goal_in_the_fewest_steps_in_that_env(
    minigrid_solved, env_id
):
    env, policy, expected = minigrid_solved[env_id]
    score = rlf.evaluate(env, policy, episodes=1, seed=0)
    assert score.win_rate == 1.0 and score.mean_length == expected


@pytest.mark.parametrize("env_id", MINIGRID_IDS)
def test_evaluate_of_a_minigrid_id_scores_the_solved_policy_with_minigrids_own_reward(
    minigrid_solved, env_id
):
    _, policy, steps = minigrid_solved[env_id]
    got = rlf.evaluate(env_id, policy, episodes=1, seed=0).mean_return
    max_steps = policy.mdp.max_episode_steps
    expected = 1 - 0.9 * steps / max_steps  # MiniGrid's goal reward after `steps` steps
    assert got == pytest.approx(expected)


def test_solve_of_a_minigrid_env_returns_a_compiled_policy_of_its_model(minigrid_solved):
    env, policy, _ = minigrid_solved["MiniGrid-Empty-8x8-v0"]
    assert isinstance(policy, rlf.CompiledPolicy) and policy.env is env
    assert policy.mdp.max_episode_steps == env.unwrapped.max_steps == 256


def test_a_compiled_policy_refuses_an_env_in_a_state_its_model_never_reached(minigrid_solved):
    _, policy, _ = minigrid_solved["MiniGrid-DoorKey-5x5-v0"]
    other = gym.make("MiniGrid-DoorKey-5x5-v0")
    seed = next(s for s in range(1, 50) if _doorkey_layout(other, s) != _doorkey_layout(other, 0))
    with pytest.raises(rlf.InvalidValueError, match="never reached"):
        rlf.evaluate(other, policy, episodes=1, seed=seed)


def _doorkey_layout(env, seed):
    env.reset(seed=seed)
    return env.unwrapped.grid.encode().tobytes()


def test_solve_refuses_a_minigrid_id_saying_to_reset_an_env_with_a_seed():
    pytest.importorskip("minigrid", reason="pip install 'rlfoundations[test-envs]'")
    with pytest.raises(rlf.InvalidValueError, match=r"env.reset\(seed=0\); rlf.solve\(env\)"):
        rlf.solve("MiniGrid-Empty-5x5-v0")


def test_solve_refuses_minigrids_step_count_reward_naming_the_ways_around_it():
    pytest.importorskip("minigrid", reason="pip install 'rlfoundations[test-envs]'")
    env = gym.make("MiniGrid-Empty-5x5-v0")
    env.reset(seed=0)
    with pytest.raises(rlf.InvalidValueError, match="step_count") as refused:
        rlf.solve(env)
    assert "TransformReward" in str(refused.value) and "time_in_state=True" in str(refused.value)


def test_solve_compiles_a_toy_text_env_by_its_state_key_and_plays_it():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    env.reset(seed=0)
    policy = rlf.solve(env, state_key=lambda env: int(env.unwrapped.s))
    score = rlf.evaluate(env, policy, episodes=3, seed=0)
    expected = 6  # the 4x4 lake's start to goal, 3 down and 3 right, around the holes
    assert score.win_rate == 1.0 and score.mean_length == expected


def test_solve_refuses_a_state_key_with_an_id():
    with pytest.raises(rlf.InvalidTypeError, match="state_key"):
        rlf.solve("FrozenLake-v1", state_key=lambda env: 0)


def test_solve_with_time_in_state_is_optimal_for_minigrids_own_reward():
    pytest.importorskip("minigrid", reason="pip install 'rlfoundations[test-envs]'")
    from tests.test_compile_env import shortest_path_length

    env = gym.make("MiniGrid-Empty-5x5-v0", max_steps=12)  # few steps: few (state, time)
    env.reset(seed=0)
    policy = rlf.solve(env, gamma=1.0, time_in_state=True)
    got = rlf.evaluate(env, policy, episodes=1, seed=0).mean_return
    expected = 1 - 0.9 * shortest_path_length(env.unwrapped) / 12  # MiniGrid's goal reward
    assert got == pytest.approx(expected) and policy.result.values[0] == pytest.approx(expected)


def test_solve_refuses_a_bad_gamma_before_compiling_an_env():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    env.reset(seed=0)
    calls = []

    def key(env):
        calls.append(1)
        return int(env.unwrapped.s)

    with pytest.raises(rlf.InvalidValueError, match="gamma"):
        rlf.solve(env, gamma=1.5, state_key=key)
    assert calls == []


# -- StochasticPolicy: an (S, A) matrix callable as policy(obs) ---------------------------------
def test_a_stochastic_policy_draws_each_action_at_its_probability():
    probabilities = np.array([[0.2, 0.5, 0.3, 0.0], [0.0, 0.0, 0.0, 1.0]])
    policy = rlf.StochasticPolicy(probabilities, seed=0)
    draws = np.array([policy(0) for _ in range(20_000)])
    got = np.bincount(draws, minlength=4) / draws.size
    # binomial(20000, p): sd <= 0.0036; 4 sd either side, and never an action of probability 0
    np.testing.assert_allclose(got, probabilities[0], atol=0.015)
    assert got[3] == 0.0
    assert {policy(1) for _ in range(100)} == {3}


def test_a_stochastic_policy_with_the_same_seed_draws_the_same_actions():
    uniform = np.full((5, 3), 1 / 3)
    first, second = rlf.StochasticPolicy(uniform, seed=7), rlf.StochasticPolicy(uniform, seed=7)
    got = [first(s % 5) for s in range(50)]
    expected = [second(s % 5) for s in range(50)]
    assert got == expected
    first.reseed()
    assert [first(s % 5) for s in range(50)] == expected


def test_a_one_hot_stochastic_policy_plays_the_episodes_of_its_deterministic_policy(rick_policy):
    one_hot = rlf.StochasticPolicy(np.eye(6)[rick_policy.actions], seed=0)
    assert one_hot.most_likely().tolist() == rick_policy.actions.tolist()
    got = rlf.evaluate(RICK_ID, one_hot, episodes=10, seed=3)
    expected = rlf.evaluate(RICK_ID, rick_policy, episodes=10, seed=3)
    np.testing.assert_array_equal(got.returns, expected.returns)


def test_evaluate_draws_a_stochastic_policy_with_its_own_seed_as_it_draws_the_matrix():
    policy = rlf.StochasticPolicy(np.full((500, 6), 1 / 6), seed=99)
    got = rlf.evaluate(RICK_ID, policy, episodes=5, seed=1)
    expected = rlf.evaluate(RICK_ID, policy.probabilities, episodes=5, seed=1)
    np.testing.assert_array_equal(got.returns, expected.returns)


def test_evaluate_plays_a_soft_results_policy_of_action_probabilities():
    soft = rlf.soft_value_iteration(rlf.from_env("FrozenLake-v1"), 0.9, 0.1)
    got = rlf.evaluate("FrozenLake-v1", soft, episodes=20, seed=2)
    expected = rlf.evaluate("FrozenLake-v1", soft.policy, episodes=20, seed=2)
    np.testing.assert_array_equal(got.returns, expected.returns)


@pytest.mark.parametrize(
    ("probabilities", "error", "match"),
    [
        pytest.param([[0.5, 0.4]], rlf.InvalidValueError, r"probabilities\[0\] sums to 0.9",
                     id="not-summing"),
        pytest.param([[1.5, -0.5]], rlf.InvalidValueError, r"\[0, 1\] = -0.5 is not a prob",
                     id="negative"),
        pytest.param([[np.nan, 1.0]], rlf.InvalidValueError, "is not a probability", id="nan"),
        pytest.param([0.5, 0.5], rlf.InvalidValueError, r"got shape \(2,\)", id="one-d"),
        pytest.param([["a", "b"]], rlf.InvalidTypeError, "must hold probabilities", id="text"),
    ],
)  # fmt: skip
def test_a_stochastic_policy_refuses_rows_that_are_not_distributions(probabilities, error, match):
    with pytest.raises(error, match=match):
        rlf.StochasticPolicy(np.array(probabilities))


@pytest.mark.parametrize(
    ("obs", "error"), [(2, rlf.InvalidValueError), (-1, rlf.InvalidValueError),
                       (0.5, rlf.InvalidTypeError)]
)  # fmt: skip
def test_a_stochastic_policy_refuses_observations_that_are_not_states(obs, error):
    with pytest.raises(error, match="obs must be"):
        rlf.StochasticPolicy(np.full((2, 2), 0.5))(obs)
