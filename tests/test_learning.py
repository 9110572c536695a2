"""Learners: kernels against their reference twins bit for bit, sweeps, convergence, bad input."""

from __future__ import annotations

import gymnasium
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import learning
from rlfoundations.learning import Schedule
from rlfoundations.reference import learning as reference
from strategies import discounts, tabular_mdps

LEARNERS = ["q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q"]


# -- hyperparameter strategies (kept beside their only users) -------------------------------------
def unit_schedules(low_open: bool) -> st.SearchStrategy:
    """Numbers or schedules whose every value lies in (0, 1] (low_open) or [0, 1]."""
    low = 0.01 if low_open else 0.0
    level = st.floats(low, 1.0)
    return st.one_of(
        level,
        st.builds(Schedule.linear, level, level, st.integers(1, 300)),
        st.builds(Schedule.exponential, level, level, st.floats(1.0, 300.0)),
    )


def alphas() -> st.SearchStrategy:
    return st.one_of(unit_schedules(True), st.builds(Schedule.visit_count, st.floats(0.5, 1.0)))


def temperatures() -> st.SearchStrategy:
    return st.one_of(
        st.floats(0.05, 10.0),
        st.builds(
            Schedule.exponential, st.floats(0.5, 5.0), st.floats(0.05, 0.5), st.floats(1, 99)
        ),
    )


@st.composite
def learner_arguments(draw) -> dict:
    exploration = draw(st.sampled_from(["epsilon_greedy", "softmax"]))
    return {
        "gamma": draw(discounts(max_gamma=1.0)),
        "n_steps": draw(st.integers(1, 300)),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "alpha": draw(alphas()),
        "epsilon": draw(unit_schedules(False)),
        "exploration": exploration,
        "temperature": draw(temperatures()),
    }


def assert_same_run(got: rlf.LearningResult, expected: rlf.LearningResult) -> None:
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert np.array_equal(got.policy, expected.policy)
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()
    assert np.array_equal(got.episode_lengths, expected.episode_lengths)
    assert got.total_steps == expected.total_steps


def greedy_path(mdp: rlf.TabularMDP, policy: np.ndarray, start: int, limit: int = 100) -> list:
    """States visited by a deterministic model's greedy policy until it ends or loops."""
    path = [start]
    s = start
    for _ in range(limit):
        a = policy[s]
        s = int(mdp.next_state[s, a, 0])
        path.append(s)
        if mdp.terminated[path[-2], a, 0]:
            break
    return path


@pytest.fixture(scope="module")
def taxi() -> rlf.TabularMDP:
    return rlf.from_env("Taxi-v3")


@pytest.fixture(scope="module")
def cliff() -> rlf.TabularMDP:
    return rlf.from_env("CliffWalking-v1")


# -- kernels == reference twins --------------------------------------------------------------
@pytest.mark.parametrize("learner", LEARNERS)
@settings(max_examples=25)
@given(mdp=tabular_mdps(max_states=12, max_actions=4), arguments=learner_arguments())
def test_learner_matches_reference(learner, mdp, arguments):
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)


@pytest.mark.parametrize("learner", LEARNERS)
def test_learning_curve_matches_reference(learner):
    mdp = rlf.from_env("FrozenLake-v1")
    arguments = {"gamma": 0.95, "n_steps": 2_000, "seed": 5, "eval_every": 450}
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)
    assert np.array_equal(got.curve_steps, [0, 450, 900, 1350, 1800, 2000])
    np.testing.assert_allclose(got.curve_values, expected.curve_values, atol=1e-10)


def test_chunked_run_equals_unchunked_run(taxi):
    whole = rlf.sarsa(taxi, gamma=0.99, n_steps=50_000, seed=3)
    chunked = rlf.sarsa(taxi, gamma=0.99, n_steps=50_000, seed=3, eval_every=777)
    assert_same_run(chunked, whole)


def test_growing_episode_buffers_changes_nothing(taxi, monkeypatch):
    whole = rlf.q_learning(taxi, gamma=0.99, n_steps=30_000, seed=4)
    monkeypatch.setattr(learning, "INITIAL_EPISODE_CAPACITY", 1)
    grown = rlf.q_learning(taxi, gamma=0.99, n_steps=30_000, seed=4)
    assert_same_run(grown, whole)


def test_learning_curve_ends_at_the_value_of_the_final_policy(taxi):
    result = rlf.q_learning(taxi, gamma=0.99, n_steps=100_000, seed=0, eval_every=25_000)
    final = rlf.policy_evaluation(taxi, result.policy, 0.99).values
    np.testing.assert_allclose(result.curve_values[-1], final)
    assert result.curve(taxi.initial).shape == (5,)


# -- the update rule -------------------------------------------------------------------------
def one_state(terminated: bool, max_episode_steps=None) -> rlf.TabularMDP:
    """One state, one action, reward 1; the step ends the episode or loops back."""
    return rlf.TabularMDP(
        next_state=[[[0]]],
        prob=[[[1.0]]],
        reward=[[[1.0]]],
        terminated=[[[terminated]]],
        initial=[1.0],
        max_episode_steps=max_episode_steps,
    )


@pytest.mark.parametrize("learner", LEARNERS)
def test_terminated_transition_is_not_bootstrapped(learner):
    result = getattr(rlf, learner)(one_state(True), gamma=0.9, n_steps=2_000, seed=0, alpha=0.5)
    np.testing.assert_allclose(result.q_values, [[1.0]])
    assert result.n_episodes == 2_000


@pytest.mark.parametrize("learner", LEARNERS)
def test_truncated_transition_is_bootstrapped(learner):
    mdp = one_state(False, max_episode_steps=1)
    result = getattr(rlf, learner)(mdp, gamma=0.9, n_steps=5_000, seed=0, alpha=0.5)
    np.testing.assert_allclose(result.q_values, [[10.0]], rtol=1e-6)
    assert result.n_episodes == 5_000


def test_q_learning_applies_the_textbook_rule_once():
    # Q <- (1 - alpha) Q + alpha (r + gamma max Q(s')): from Q = 0, one step gives alpha * r.
    result = rlf.q_learning(one_state(False), gamma=0.9, n_steps=1, seed=0, alpha=0.25)
    assert result.q_values[0, 0] == 0.25


# -- sweeps ----------------------------------------------------------------------------------
@pytest.mark.parametrize("learner", LEARNERS)
def test_sweep_runs_equal_single_runs(learner):
    mdp = rlf.from_env("FrozenLake-v1", is_slippery=True)
    grid = {"gamma": [0.9, 0.99], "alpha": [0.1, Schedule.visit_count(0.7)], "epsilon": 0.2}
    result = rlf.sweep(mdp, learner, n_steps=3_000, seeds=[0, 2**64 - 1], **grid)
    assert result.q_values.shape == (8, 16, 4)
    for run, params in enumerate(result.params):
        expected = getattr(rlf, learner)(mdp, n_steps=3_000, **params)
        assert_same_run(result.run(run), expected)


def test_sweep_does_not_depend_on_thread_count(taxi):
    arguments = {"gamma": 0.99, "n_steps": 20_000, "seeds": range(5), "alpha": [0.1, 0.5]}
    one = rlf.sweep(taxi, n_threads=1, **arguments)
    every = rlf.sweep(taxi, n_threads=numba.config.NUMBA_NUM_THREADS, **arguments)
    assert one.q_values.tobytes() == every.q_values.tobytes()
    assert np.array_equal(one.n_episodes, every.n_episodes)


def test_sweep_pads_episodes_after_each_runs_last(taxi):
    result = rlf.sweep(taxi, gamma=0.99, n_steps=5_000, seeds=range(3))
    for run in range(3):
        n = result.n_episodes[run]
        assert np.isnan(result.episode_returns[run, n:]).all()
        assert result.episode_lengths[run, :n].sum() <= 5_000


# -- convergence -----------------------------------------------------------------------------
def test_q_learning_solves_taxi_from_every_start_for_9_of_10_seeds(taxi):
    # Budget: 2 million steps per seed, alpha 0.5, epsilon from 1 to 0.05 over 500 000 steps.
    epsilon = Schedule.linear(1.0, 0.05, steps=500_000)
    result = rlf.sweep(
        taxi, gamma=0.99, n_steps=2_000_000, seeds=range(10), alpha=0.5, epsilon=epsilon
    )
    optimal = rlf.value_iteration(taxi, 0.99, epsilon=1e-10).values
    starts = taxi.initial > 0
    assert starts.sum() == 300
    solved = 0
    for policy in result.policy:
        values = rlf.policy_evaluation(taxi, policy, 0.99).values
        solved += bool(np.all(np.abs(values[starts] - optimal[starts]) < 1e-6))
    assert solved >= 9


def test_sarsa_learns_the_safe_path_on_cliff_walking(cliff):
    # Sutton and Barto, Example 6.6: epsilon = 0.1 constant; SARSA keeps away from the cliff.
    result = rlf.sweep(
        cliff, "sarsa", gamma=1.0, n_steps=100_000, seeds=range(5), alpha=0.2, epsilon=0.1
    )
    for policy in result.policy:
        path = greedy_path(cliff, policy, start=36)
        assert path[-1] == 47
        # Row 2 runs along the cliff (row 3); the safe path only crosses it at both ends.
        assert [s for s in path if s // 12 == 2] == [24, 35]


def test_q_learning_learns_the_cliff_edge_path_on_cliff_walking(cliff):
    result = rlf.sweep(cliff, gamma=1.0, n_steps=100_000, seeds=range(5), alpha=0.2, epsilon=0.1)
    for policy in result.policy:
        assert greedy_path(cliff, policy, start=36) == [36, *range(24, 36), 47]


# -- the slow path: a live env -----------------------------------------------------------------
def test_q_learning_steps_a_live_gymnasium_env():
    env = gymnasium.make("CliffWalking-v1")
    result = rlf.q_learning(env, gamma=1.0, n_steps=20_000, seed=0, alpha=0.5, epsilon=0.1)
    cliff = rlf.from_env("CliffWalking-v1")
    assert result.total_steps == 20_000
    assert greedy_path(cliff, result.policy, start=36) == [36, *range(24, 36), 47]


def test_live_env_needs_discrete_spaces():
    env = gymnasium.make("CartPole-v1")
    with pytest.raises(TypeError, match=r"observation_space must be gymnasium\.spaces\.Discrete"):
        rlf.q_learning(env, gamma=0.9, n_steps=10, seed=0)


# -- schedules -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule", "t", "count", "expected"),
    [
        pytest.param(Schedule.constant(0.3), 10, 1, 0.3, id="constant"),
        pytest.param(Schedule.linear(1.0, 0.0, 100), 25, 1, 0.75, id="linear"),
        pytest.param(Schedule.linear(1.0, 0.2, 100), 1000, 1, 0.2, id="linear-after-end"),
        pytest.param(Schedule.exponential(1.0, 0.0, 10), 10, 1, np.exp(-1.0), id="exponential"),
        pytest.param(Schedule.visit_count(0.5), 0, 16, 0.25, id="visit-count"),
    ],
)
def test_schedule_value(schedule, t, count, expected):
    assert schedule.value(t, count) == pytest.approx(expected)


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"alpha": 0.0}, "alpha must lie in", id="alpha-zero"),
        pytest.param({"alpha": 1.5}, "alpha must lie in", id="alpha-above-one"),
        pytest.param({"alpha": Schedule.linear(0.5, 0.0, 10)}, "alpha must lie", id="alpha-to-0"),
        pytest.param({"alpha": Schedule.visit_count(0.0)}, "omega", id="omega-zero"),
        pytest.param({"epsilon": -0.1}, "epsilon must lie in", id="epsilon-negative"),
        pytest.param({"epsilon": 1.1}, "epsilon must lie in", id="epsilon-above-one"),
        pytest.param({"gamma": 1.01}, "gamma must be in", id="gamma-above-one"),
        pytest.param({"gamma": -0.5}, "gamma must be in", id="gamma-negative"),
        pytest.param({"n_steps": 0}, "n_steps must be > 0", id="no-steps"),
        pytest.param({"n_steps": -5}, "n_steps must be > 0", id="negative-steps"),
        pytest.param({"seed": -1}, "seed must be in", id="negative-seed"),
        pytest.param({"exploration": "greedy"}, "exploration must be one of", id="exploration"),
        pytest.param(
            {"exploration": "softmax", "temperature": 0.0}, "temperature", id="temperature"
        ),
        pytest.param({"eval_every": 0}, "eval_every must be > 0", id="eval-every"),
        pytest.param({"epsilon": Schedule.linear(1.0, 0.1, 0)}, "steps", id="schedule-steps"),
    ],
)
def test_bad_argument_is_named(arguments, message):
    mdp = one_state(False)
    with pytest.raises(ValueError, match=message):
        rlf.q_learning(mdp, **{"gamma": 0.9, "n_steps": 10, "seed": 0, **arguments})


def test_non_integer_step_count_is_a_type_error():
    with pytest.raises(TypeError, match="n_steps must be an int"):
        rlf.q_learning(one_state(False), gamma=0.9, n_steps=10.0, seed=0)


def test_model_without_initial_mass_is_rejected():
    with pytest.raises(ValueError, match="initial sums to 0"):
        rlf.TabularMDP(
            next_state=[[[0]]],
            prob=[[[1.0]]],
            reward=[[[0.0]]],
            terminated=[[[False]]],
            initial=[0.0],
        )


def test_sweep_rejects_unknown_algorithm(cliff):
    with pytest.raises(ValueError, match="algorithm must be one of"):
        rlf.sweep(cliff, "td_lambda", gamma=0.9, n_steps=10, seeds=[0])
