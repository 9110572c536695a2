"""Learners: kernels against their reference twins bit for bit, sweeps, convergence, bad input."""

from __future__ import annotations

import dataclasses

import gymnasium
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import batch, learning
from rlfoundations._kernels import learning as kernels
from rlfoundations.batch import ALGORITHMS, MASK_SUPPORT, Batch, kernel_model, run_spec
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.reference import learning as reference
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.schedules import Schedule
from strategies import discounts, examples, masked_mdps, tabular_mdps

TD_LEARNERS = ["q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q"]


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


@st.composite
def reinforce_arguments(draw) -> dict:
    return {
        "gamma": draw(discounts(max_gamma=1.0)),
        "n_steps": draw(st.integers(1, 300)),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "alpha": draw(unit_schedules(True)),
        "baseline_alpha": draw(unit_schedules(True)),
        "baseline": draw(st.booleans()),
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
@pytest.mark.parametrize("learner", TD_LEARNERS)
@examples(25)
@given(mdp=tabular_mdps(max_states=12, max_actions=4), arguments=learner_arguments())
def test_learner_matches_reference(learner, mdp, arguments):
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)


@examples(40)
@given(mdp=tabular_mdps(max_states=12, max_actions=4), arguments=reinforce_arguments())
def test_reinforce_matches_reference(mdp, arguments):
    got = rlf.reinforce(mdp, **arguments)
    expected = reference.reinforce(mdp, **arguments)
    assert_same_run(got, expected)
    assert got.baseline.tobytes() == expected.baseline.tobytes()


@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
def test_learning_curve_matches_reference(learner):
    mdp = rlf.from_env("FrozenLake-v1")
    arguments = {"gamma": 0.95, "n_steps": 2_000, "seed": 5, "eval_every": 450}
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)
    assert np.array_equal(got.curve_steps, [0, 450, 900, 1350, 1800, 2000])
    np.testing.assert_allclose(got.curve_values, expected.curve_values, atol=1e-10)


# -- action masks: learners never take a masked action ---------------------------------------
@pytest.mark.parametrize("learner", TD_LEARNERS)
@examples(15)
@given(mdp=masked_mdps(), arguments=learner_arguments())
def test_masked_learner_matches_reference(learner, mdp, arguments):
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)


@examples(20)
@given(mdp=masked_mdps(), arguments=reinforce_arguments())
def test_masked_reinforce_matches_reference(mdp, arguments):
    got = rlf.reinforce(mdp, **arguments)
    expected = reference.reinforce(mdp, **arguments)
    assert_same_run(got, expected)
    assert got.baseline.tobytes() == expected.baseline.tobytes()


GRID_ROWS, GRID_COLUMNS = 3, 4
GRID_MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left
GRID_START, GRID_GOAL = (2, 0), (0, 0)


def grid_state(row: int, column: int) -> int:
    return row * GRID_COLUMNS + column


def grid_mask() -> np.ndarray:
    """Up is masked in row 1, columns 0-2: from the start (2, 0) the goal (0, 0) is two steps
    up without the mask, eight (round by column 3) with it."""
    mask = np.ones((GRID_ROWS * GRID_COLUMNS, 4), dtype=bool)
    for column in range(3):
        mask[grid_state(1, column), 0] = False
    return mask


def masked_grid() -> rlf.TabularMDP:
    """The grid as a model: -1 a step, moves into the border stay put, the goal ends it."""
    n_states = GRID_ROWS * GRID_COLUMNS
    next_state = np.zeros((n_states, 4, 1), dtype=np.int64)
    terminated = np.zeros((n_states, 4, 1), dtype=bool)
    for row in range(GRID_ROWS):
        for column in range(GRID_COLUMNS):
            for a, (d_row, d_column) in enumerate(GRID_MOVES):
                to_row = min(max(row + d_row, 0), GRID_ROWS - 1)
                to_column = min(max(column + d_column, 0), GRID_COLUMNS - 1)
                next_state[grid_state(row, column), a, 0] = grid_state(to_row, to_column)
                terminated[grid_state(row, column), a, 0] = (to_row, to_column) == GRID_GOAL
    initial = np.zeros(n_states)
    initial[grid_state(*GRID_START)] = 1.0
    return rlf.TabularMDP(
        next_state=next_state,
        prob=np.ones((n_states, 4, 1)),
        reward=-np.ones((n_states, 4, 1)),
        terminated=terminated,
        initial=initial,
        action_mask=grid_mask(),
    )


def masked_grid_optimum(gamma: float, mask: np.ndarray) -> np.ndarray:
    """Optimal values by value iteration over the allowed actions, on dense arrays built from
    the grid's geometry (not from the model's arrays)."""
    n_states = GRID_ROWS * GRID_COLUMNS
    values = np.zeros(n_states)
    for _ in range(500):
        q = np.full((n_states, 4), -np.inf)
        for row in range(GRID_ROWS):
            for column in range(GRID_COLUMNS):
                s = grid_state(row, column)
                for a, (d_row, d_column) in enumerate(GRID_MOVES):
                    if not mask[s, a]:
                        continue
                    to = (
                        min(max(row + d_row, 0), GRID_ROWS - 1),
                        min(max(column + d_column, 0), GRID_COLUMNS - 1),
                    )
                    after = 0.0 if to == GRID_GOAL else values[grid_state(*to)]
                    q[s, a] = -1.0 + gamma * after
        values = q.max(axis=1)
    return values


def test_masked_grid_optimum_is_worse_than_the_unmasked_one():
    start = grid_state(*GRID_START)
    got = masked_grid_optimum(0.9, grid_mask())[start]
    unmasked = masked_grid_optimum(0.9, np.ones_like(grid_mask()))[start]
    assert np.isclose(unmasked, -1.9)  # up, up
    assert np.isclose(got, -(1 - 0.9**8) / (1 - 0.9))  # eight steps round by column 3


@pytest.mark.parametrize("learner", TD_LEARNERS)
def test_td_learner_converges_to_the_masked_optimum(learner):
    mdp = masked_grid()
    epsilon = rlf.Schedule.linear(0.5, 0.05, 20_000)
    result = getattr(rlf, learner)(
        mdp, gamma=0.9, n_steps=30_000, seed=4, alpha=0.5, epsilon=epsilon
    )
    got = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[grid_state(*GRID_START)]
    expected = masked_grid_optimum(0.9, grid_mask())[grid_state(*GRID_START)]
    assert np.isclose(got, expected, atol=1e-9)


@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
def test_greedy_policy_never_picks_a_masked_action(learner):
    mdp = masked_grid()
    result = getattr(rlf, learner)(mdp, gamma=0.9, n_steps=5_000, seed=1)
    assert grid_mask()[np.arange(mdp.n_states), result.policy].all()


@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
def test_masked_q_entries_are_minus_infinity(learner):
    mdp = masked_grid()
    result = getattr(rlf, learner)(mdp, gamma=0.9, n_steps=5_000, seed=1)
    got = result.q_values[~grid_mask()]
    assert np.all(got == -np.inf)
    assert np.isfinite(result.q_values[grid_mask()]).all()


def trapped_grid() -> rlf.TabularMDP:
    """The masked grid where every masked action would end the episode with reward +1000."""
    mdp = masked_grid()
    reward = mdp.reward.copy()
    terminated = mdp.terminated.copy()
    reward[~mdp.action_mask] = 1000.0
    terminated[~mdp.action_mask] = True
    return dataclasses.replace(mdp, reward=reward, terminated=terminated)


@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
@pytest.mark.parametrize("learner", TD_LEARNERS)
def test_no_masked_action_is_ever_taken(learner, exploration):
    mdp = trapped_grid()
    spec = run_spec(
        learner,
        [
            {
                "seed": 2,
                "gamma": 0.9,
                "alpha": rlf.Schedule.visit_count(0.8),
                "epsilon": 0.9,
                "temperature": 5.0,
            }
        ],
        exploration=exploration,
    )
    batch = Batch(mdp, spec, 20_000)
    batch.advance(20_000)
    visits = batch.state.visits[0]
    assert visits[~mdp.action_mask].sum() == 0
    reachable = mdp.action_mask.copy()
    reachable[grid_state(*GRID_GOAL)] = False  # the episode ends on arrival
    assert (visits[reachable] > 0).all()


def test_reinforce_never_takes_a_masked_action():
    result = rlf.reinforce(trapped_grid(), gamma=0.9, n_steps=20_000, seed=2, alpha=0.01)
    assert result.episode_returns.max() < 0  # a masked action would have paid +1000


@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
def test_live_env_learner_reads_the_action_mask_from_info(learner):
    env = trapped_grid().to_env()
    result = getattr(rlf, learner)(env, gamma=0.9, n_steps=3_000, seed=3)
    assert result.episode_returns.max() < 0  # a masked action would have paid +1000
    assert np.all(result.q_values[~grid_mask()] == -np.inf)


def test_all_true_mask_changes_nothing(taxi):
    everything = taxi.with_action_mask(np.ones((taxi.n_states, taxi.n_actions), dtype=bool))
    got = rlf.expected_sarsa(everything, gamma=0.9, n_steps=5_000, seed=8)
    expected = rlf.expected_sarsa(taxi, gamma=0.9, n_steps=5_000, seed=8)
    assert_same_run(got, expected)


def test_expected_sarsa_target_averages_over_allowed_actions_only():
    q = np.array([[1.0, 5.0, 2.0]])
    allowed = np.array([[True, False, True]])
    q[~allowed] = -np.inf
    got = kernels.expected_value(kernels.EPSILON_GREEDY, q, 0, 0.5, allowed)
    expected = 0.25 * 1.0 + (0.25 + 0.5) * 2.0  # epsilon / 2 each, the rest on the greedy 2
    assert got == expected


def test_every_learner_of_the_engine_honours_masks():
    assert set(ALGORITHMS) <= MASK_SUPPORT


def test_engine_refuses_a_masked_model_for_a_learner_without_mask_support():
    # The safety net for a learner added without mask support: refused, not silently wrong.
    with pytest.raises(InvalidValueError, match="'a_new_learner' does not honour action_mask"):
        kernel_model(masked_grid(), "a_new_learner")


def test_engine_refuses_a_masked_model_when_no_learner_is_named():
    with pytest.raises(InvalidValueError, match="does not honour action_mask"):
        kernel_model(masked_grid())


def test_reference_env_refuses_a_masked_model_unless_the_learner_honours_masks():
    with pytest.raises(InvalidValueError, match="does not honour action_mask"):
        reference.ModelEnv(masked_grid(), Xoshiro256(0))


def test_chunked_run_equals_unchunked_run(taxi):
    whole = rlf.sarsa(taxi, gamma=0.99, n_steps=50_000, seed=3)
    chunked = rlf.sarsa(taxi, gamma=0.99, n_steps=50_000, seed=3, eval_every=777)
    assert_same_run(chunked, whole)


def test_growing_episode_buffers_changes_nothing(taxi, monkeypatch):
    whole = rlf.q_learning(taxi, gamma=0.99, n_steps=30_000, seed=4)
    monkeypatch.setattr(batch, "INITIAL_EPISODE_CAPACITY", 1)
    grown = rlf.q_learning(taxi, gamma=0.99, n_steps=30_000, seed=4)
    assert_same_run(grown, whole)


def test_long_episodes_grow_reinforces_path_and_change_nothing(monkeypatch):
    # CliffWalking has no time limit: early episodes run for thousands of steps.
    cliff = rlf.from_env("CliffWalking-v1")
    whole = rlf.reinforce(cliff, gamma=0.99, n_steps=20_000, seed=1)
    monkeypatch.setattr(batch, "INITIAL_PATH_CAPACITY", 2)
    grown = rlf.reinforce(cliff, gamma=0.99, n_steps=20_000, seed=1)
    assert_same_run(grown, whole)
    assert whole.episode_lengths.max() > 2


def test_learning_curve_ends_at_the_value_of_the_final_policy(taxi):
    result = rlf.q_learning(taxi, gamma=0.99, n_steps=100_000, seed=0, eval_every=25_000)
    final = rlf.policy_evaluation(taxi, result.policy, 0.99).values
    np.testing.assert_allclose(result.curve_values[-1], final)
    assert result.curve(taxi.initial).shape == (5,)


def initial_cdfs() -> st.SearchStrategy:
    """Running sums of initial distributions: zero-mass states, tiny and large masses, or
    uniform over some or all states (whose edges fall on the guide's bucket bounds j / n)."""
    weights = st.one_of(
        st.lists(st.sampled_from([0.0, 0.0, 1e-300, 0.1, 0.3, 7.0]), max_size=40),
        st.lists(st.sampled_from([0.0, 1.0]), max_size=600),
        st.integers(0, 60).map(lambda n: [1.0] * n),
    ).flatmap(lambda w: st.permutations([*w, 1.0]))

    def running_sum(weights: list) -> np.ndarray:
        cdf = np.empty(len(weights))
        kernels.cumulative(np.array(weights) / sum(weights), cdf)
        return cdf

    return weights.map(running_sum)


@given(initial_cdfs(), st.floats(0.0, 1.0, exclude_max=True))
def test_initial_state_search_matches_running_sum_scan(cdf, uniform):
    n = len(cdf)
    guide = np.empty(n, dtype=np.int64)
    kernels.guide_table(cdf, guide)
    # Every edge of the sum and every bucket bound, and the floats just below them.
    points = [*cdf.tolist(), *(j / n for j in range(1, n))]
    below_points = np.nextafter(points, 0.0).tolist()
    for u in [uniform, *points, *below_points]:
        u = min(u, float(np.nextafter(1.0, 0.0)))
        # The twin's reset: the first s with u < cdf[s], else the last s that raised the sum.
        expected = next((s for s, edge in enumerate(cdf) if u < edge), None)
        if expected is None:
            expected = max([0, *(s for s in range(1, n) if cdf[s] > cdf[s - 1])])
        assert kernels.sample_initial(cdf, guide, u) == expected, u


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


@pytest.mark.parametrize("learner", TD_LEARNERS)
def test_terminated_transition_is_not_bootstrapped(learner):
    result = getattr(rlf, learner)(one_state(True), gamma=0.9, n_steps=2_000, seed=0, alpha=0.5)
    np.testing.assert_allclose(result.q_values, [[1.0]])
    assert result.n_episodes == 2_000


@pytest.mark.parametrize("learner", TD_LEARNERS)
def test_truncated_transition_is_bootstrapped(learner):
    mdp = one_state(False, max_episode_steps=1)
    result = getattr(rlf, learner)(mdp, gamma=0.9, n_steps=5_000, seed=0, alpha=0.5)
    np.testing.assert_allclose(result.q_values, [[10.0]], rtol=1e-6)
    assert result.n_episodes == 5_000


def test_q_learning_applies_the_textbook_rule_once():
    # Q <- (1 - alpha) Q + alpha (r + gamma max Q(s')): from Q = 0, one step gives alpha * r.
    result = rlf.q_learning(one_state(False), gamma=0.9, n_steps=1, seed=0, alpha=0.25)
    assert result.q_values[0, 0] == 0.25


# -- REINFORCE -------------------------------------------------------------------------------
def bandit(rewards: list[float]) -> rlf.TabularMDP:
    """One state; action a pays rewards[a] and ends the episode."""
    n = len(rewards)
    return rlf.TabularMDP(
        next_state=np.zeros((1, n, 1), dtype=int),
        prob=np.ones((1, n, 1)),
        reward=np.array(rewards, dtype=float).reshape(1, n, 1),
        terminated=np.ones((1, n, 1), dtype=bool),
        initial=[1.0],
    )


def test_reinforce_first_update_follows_the_softmax_gradient():
    # From theta = 0 both actions have pi = 1/2; a one-step episode with return r moves
    # theta[a] by alpha * r * (1 - 1/2) and the other by alpha * r * (0 - 1/2).
    result = rlf.reinforce(bandit([1.0, 2.0]), gamma=0.9, n_steps=1, seed=3, alpha=0.5)
    r = result.episode_returns[0]
    chosen = int(r) - 1
    expected = np.zeros(2)
    expected[chosen] = 0.5 * r * 0.5
    expected[1 - chosen] = -0.5 * r * 0.5
    np.testing.assert_array_equal(result.q_values[0], expected)
    np.testing.assert_array_equal(result.baseline, [0.1 * r])


def test_reinforce_prefers_the_better_arm_of_a_bandit():
    result = rlf.reinforce(bandit([0.0, 1.0, 0.5]), gamma=1.0, n_steps=5_000, seed=0)
    preferences = result.q_values[0]
    probabilities = np.exp(preferences - preferences.max())
    probabilities /= probabilities.sum()
    assert result.policy[0] == 1
    assert probabilities[1] > 0.95


def test_reinforce_baseline_learns_the_return():
    result = rlf.reinforce(bandit([2.0, 2.0]), gamma=1.0, n_steps=2_000, seed=0)
    np.testing.assert_allclose(result.baseline, [2.0])


def test_reinforce_truncated_episode_bootstraps_from_the_baseline():
    # One looping step of reward 1 per episode (time limit 1): G = 1 + gamma * b, so the
    # baseline settles at 1 / (1 - gamma) = 10; without the bootstrap it would stay at 1.
    mdp = one_state(False, max_episode_steps=1)
    result = rlf.reinforce(mdp, gamma=0.9, n_steps=3_000, seed=0, baseline_alpha=0.5)
    np.testing.assert_allclose(result.baseline, [10.0], rtol=1e-6)


def test_reinforce_without_baseline_keeps_it_at_zero():
    result = rlf.reinforce(bandit([1.0, 0.0]), gamma=1.0, n_steps=500, seed=0, baseline=False)
    np.testing.assert_array_equal(result.baseline, [0.0])
    assert result.policy[0] == 0


def test_reinforce_learns_the_shortest_path_on_frozen_lake():
    lake = rlf.from_env("FrozenLake-v1", is_slippery=False)
    optimal = rlf.value_iteration(lake, 0.95).values[0]
    result = rlf.sweep(lake, "reinforce", gamma=0.95, n_steps=50_000, seeds=range(5))
    for policy in result.policy:
        assert rlf.policy_evaluation(lake, policy, 0.95).values[0] == pytest.approx(optimal)


# -- progress and interrupts -----------------------------------------------------------------
def test_progress_is_reported_per_chunk_up_to_the_end(taxi, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 10_000)
    calls = []
    result = rlf.q_learning(
        taxi, gamma=0.99, n_steps=25_000, seed=0, progress=lambda *call: calls.append(call)
    )
    assert calls == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]
    assert_same_run(result, rlf.q_learning(taxi, gamma=0.99, n_steps=25_000, seed=0))


def test_progress_true_draws_a_bar_on_stderr(capsys):
    rlf.q_learning(one_state(True), gamma=0.9, n_steps=100, seed=0, progress=True)
    assert "100%" in capsys.readouterr().err


def test_interrupted_run_returns_what_it_learned_so_far(taxi, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 10_000)

    def interrupt_after_two_chunks(done, total):
        if done >= 20_000:
            raise KeyboardInterrupt

    got = rlf.sarsa(
        taxi,
        gamma=0.99,
        n_steps=50_000,
        seed=2,
        progress=interrupt_after_two_chunks,
        on_interrupt="return",
    )
    assert got.interrupted
    assert got.total_steps == 20_000
    expected = rlf.sarsa(taxi, gamma=0.99, n_steps=20_000, seed=2)
    assert got.q_values.tobytes() == expected.q_values.tobytes()


def test_interrupt_propagates_by_default(taxi, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 10_000)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rlf.q_learning(taxi, gamma=0.99, n_steps=50_000, seed=0, progress=interrupt)


# -- convergence -----------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", ["Taxi-v3", "rlfoundations/Rick-v0"])
def test_q_learning_solves_every_start_state_for_9_of_10_seeds(env_id):
    # Budget: 2 million steps per seed, alpha 0.5, epsilon from 1 to 0.05 over 500 000 steps.
    mdp = rlf.from_env(env_id)
    epsilon = Schedule.linear(1.0, 0.05, steps=500_000)
    result = rlf.sweep(
        mdp, gamma=0.99, n_steps=2_000_000, seeds=range(10), alpha=0.5, epsilon=epsilon
    )
    optimal = rlf.value_iteration(mdp, 0.99, epsilon=1e-10).values
    starts = mdp.initial > 0
    assert starts.sum() == 300
    solved = 0
    for policy in result.policy:
        values = rlf.policy_evaluation(mdp, policy, 0.99).values
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


@pytest.mark.parametrize(
    "learner", ["sarsa_lambda", "watkins_q_lambda", "n_step_sarsa", "prioritized_sweeping"]
)
def test_a_family_learner_steps_a_live_gymnasium_env_with_its_twin(learner):
    # Their twins live beside reference.learning, not in it (an AttributeError once).
    env = gymnasium.make("CliffWalking-v1")
    result = getattr(rlf, learner)(env, gamma=0.9, n_steps=300, seed=0)
    assert result.total_steps == 300 and result.q_values.shape == (48, 4)


def test_live_env_needs_discrete_spaces():
    env = gymnasium.make("CartPole-v1")
    with pytest.raises(TypeError, match=r"observation_space must be gymnasium\.spaces\.Discrete"):
        rlf.q_learning(env, gamma=0.9, n_steps=10, seed=0)


# -- schedules -------------------------------------------------------------------------------
# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"alpha": 0.0}, "alpha must lie in", id="alpha-zero"),
        pytest.param({"alpha": 1.5}, "alpha must lie in", id="alpha-above-one"),
        pytest.param({"alpha": Schedule.linear(0.5, 0.0, 10)}, "alpha must lie", id="alpha-to-0"),
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
    ],
)
def test_bad_argument_is_named(arguments, message):
    mdp = one_state(False)
    with pytest.raises(ValueError, match=message):
        rlf.q_learning(mdp, **{"gamma": 0.9, "n_steps": 10, "seed": 0, **arguments})


def test_non_integer_step_count_is_a_type_error():
    with pytest.raises(TypeError, match="n_steps must be an int"):
        rlf.q_learning(one_state(False), gamma=0.9, n_steps=10.0, seed=0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"alpha": 0.0}, "alpha must lie in", id="alpha-zero"),
        pytest.param({"alpha": Schedule.visit_count(1.0)}, "visit_count", id="alpha-visits"),
        pytest.param({"baseline_alpha": 1.5}, "baseline_alpha must lie", id="baseline-alpha"),
        pytest.param({"gamma": 2.0}, "gamma must be in", id="gamma"),
        pytest.param({"n_steps": 0}, "n_steps must be > 0", id="no-steps"),
    ],
)
def test_reinforce_bad_argument_is_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        rlf.reinforce(one_state(True), **{"gamma": 0.9, "n_steps": 10, "seed": 0, **arguments})


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        pytest.param({"on_interrupt": "ignore"}, ValueError, "on_interrupt", id="interrupt"),
        pytest.param({"progress": "yes"}, TypeError, "progress must be", id="progress"),
        pytest.param({"baseline": 1}, TypeError, "baseline must be a bool", id="baseline"),
    ],
)
def test_bad_run_options_are_named(arguments, error, message):
    learner = rlf.reinforce if "baseline" in arguments else rlf.q_learning
    with pytest.raises(error, match=message):
        learner(one_state(True), gamma=0.9, n_steps=10, seed=0, **arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"gamma": 5}, "gamma must be in", id="gamma"),
        pytest.param({"n_steps": -3}, "n_steps must be > 0", id="steps"),
        pytest.param({"alpha": 0.0}, "alpha must lie in", id="alpha"),
        pytest.param({"exploration": "foo"}, "exploration must be one of", id="exploration"),
        pytest.param({"seed": -1}, "seed must be in", id="seed"),
    ],
)
def test_live_env_arguments_are_checked_before_the_first_step(arguments, message):
    env = gymnasium.make("CliffWalking-v1")
    with pytest.raises(ValueError, match=message):
        rlf.q_learning(env, **{"gamma": 0.9, "n_steps": 10, "seed": 0, **arguments})


def test_live_env_runs_take_no_progress_options():
    env = gymnasium.make("CliffWalking-v1")
    with pytest.raises(ValueError, match="need a TabularMDP"):
        rlf.q_learning(env, gamma=0.9, n_steps=10, seed=0, on_interrupt="return")


def test_model_without_initial_mass_is_rejected():
    with pytest.raises(ValueError, match="initial sums to 0"):
        rlf.TabularMDP(
            next_state=[[[0]]],
            prob=[[[1.0]]],
            reward=[[[0.0]]],
            terminated=[[[False]]],
            initial=[0.0],
        )


# -- the kernels without the compiler --------------------------------------------------------------
_NO_JIT_SCRIPT = """
import hashlib, json, sys
import numpy as np
import rlfoundations as rlf

lake = rlf.from_env("FrozenLake-v1")
digests = {}
for name in sys.argv[1:]:
    result = getattr(rlf, name)(lake, gamma=0.9, n_steps=400, seed=11)
    sha = hashlib.sha256(result.q_values.tobytes() + result.episode_returns.tobytes())
    digests[name] = sha.hexdigest()
batch = rlf.sweep(lake, "sarsa", gamma=0.9, n_steps=400, seeds=range(2))
digests["sweep"] = hashlib.sha256(batch.q_values.tobytes()).hexdigest()
print(json.dumps(digests))
"""


def _learner_digests(disable_jit: bool) -> dict:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_DISABLE_JIT": "1" if disable_jit else "0"}
    names = [*TD_LEARNERS, "reinforce"]
    completed = subprocess.run(
        [sys.executable, "-W", "ignore::RuntimeWarning", "-c", _NO_JIT_SCRIPT, *names],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def test_learner_kernels_run_as_plain_python_and_agree_with_the_compiled_ones():
    got = _learner_digests(disable_jit=True)
    expected = _learner_digests(disable_jit=False)
    assert got == expected


# -- docstrings ----------------------------------------------------------------------------------
def _parameter_paragraphs(function) -> dict[str, str]:
    """Each parameter's paragraph of a numpydoc docstring, keyed by the parameter's line."""
    import inspect

    text = inspect.getdoc(function)
    block = text.split("Parameters\n----------\n", 1)[1].split("\n\nReturns", 1)[0]
    paragraphs: dict[str, str] = {}
    name = None
    for line in block.splitlines():
        if line and not line.startswith(" "):
            name = line
            paragraphs[name] = ""
        elif name is not None:
            paragraphs[name] += line + "\n"
    return paragraphs


@pytest.mark.parametrize("name", TD_LEARNERS[1:])
def test_shared_parameter_paragraphs_are_identical_across_td_learners(name):
    got = _parameter_paragraphs(getattr(rlf, name))
    expected = _parameter_paragraphs(rlf.q_learning)
    shared = set(expected)
    assert {key: got[key] for key in shared} == expected


@pytest.mark.parametrize(
    "parameter",
    [
        "mdp : TabularMDP or gymnasium.Env",
        "gamma : float",
        "seed : int",
        "eval_every : int, optional",
        "record_episodes : bool",
        "progress : callable or bool, optional",
        'on_interrupt : {"raise", "return"}',
    ],
)
def test_reinforce_shares_the_td_learners_paragraph_of(parameter):
    got = _parameter_paragraphs(rlf.reinforce)[parameter]
    expected = _parameter_paragraphs(rlf.q_learning)[parameter]
    assert got == expected


@pytest.mark.parametrize("name", [*TD_LEARNERS, "reinforce"])
def test_learner_docstring_is_written_in_the_source(name):
    import inspect

    source = inspect.getsource(getattr(learning, name))
    assert '    """' in source and "Parameters\n    ----------" in source


@pytest.mark.parametrize("name", [*TD_LEARNERS, "reinforce", "sweep", "Schedule"])
def test_learners_reference_page_lists_every_learner(name):
    from pathlib import Path

    page = Path(__file__).parent.parent / "docs" / "reference" / "learning.md"
    assert f"::: rlfoundations.{name}\n" in page.read_text()


# -- bad input of every kind: a user error, before any kernel runs ---------------------------------
@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"n_steps": 2**63}, InvalidValueError, id="steps-2-63"),
        pytest.param({"n_steps": 10**30}, InvalidValueError, id="steps-huge"),
        pytest.param({"n_steps": True}, InvalidTypeError, id="steps-bool"),
        pytest.param({"n_steps": 10.0}, InvalidTypeError, id="steps-float"),
        pytest.param({"gamma": float("nan")}, InvalidValueError, id="gamma-nan"),
        pytest.param({"gamma": 10**400}, InvalidValueError, id="gamma-huge"),
        pytest.param({"gamma": True}, InvalidTypeError, id="gamma-bool"),
        pytest.param({"seed": 2**64}, InvalidValueError, id="seed-huge"),
        pytest.param({"seed": False}, InvalidTypeError, id="seed-bool"),
        pytest.param({"seed": np.random.default_rng(0)}, InvalidTypeError, id="seed-generator"),
        pytest.param({"alpha": float("nan")}, InvalidValueError, id="alpha-nan"),
        pytest.param({"alpha": 10**400}, InvalidValueError, id="alpha-huge"),
        pytest.param({"alpha": True}, InvalidTypeError, id="alpha-bool"),
        pytest.param({"alpha": "0.1"}, InvalidTypeError, id="alpha-str"),
        pytest.param({"eval_every": True}, InvalidTypeError, id="eval-every-bool"),
        pytest.param({"record_episodes": 0}, InvalidTypeError, id="record-int"),
        pytest.param({"on_interrupt": ["return"]}, InvalidValueError, id="interrupt-list"),
        pytest.param({"progress": 1}, InvalidTypeError, id="progress-int"),
    ],
)
def test_bad_learner_argument_is_a_user_error(learner, arguments, error):
    settings = {"gamma": 0.9, "n_steps": 10, "seed": 0, **arguments}
    with pytest.raises(error):
        getattr(rlf, learner)(one_state(False), **settings)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"epsilon": float("nan")}, InvalidValueError, id="epsilon-nan"),
        pytest.param({"epsilon": True}, InvalidTypeError, id="epsilon-bool"),
        pytest.param({"exploration": ["softmax"]}, InvalidValueError, id="exploration-list"),
        pytest.param({"exploration": "softmax", "temperature": 1e400}, InvalidValueError, id="inf"),
        pytest.param({"planning_steps": 2**63}, InvalidValueError, id="planning-huge"),
        pytest.param({"planning_steps": True}, InvalidTypeError, id="planning-bool"),
    ],
)
def test_bad_td_setting_is_a_user_error(arguments, error):
    with pytest.raises(error):
        rlf.dyna_q(one_state(False), gamma=0.9, n_steps=10, seed=0, **arguments)


def test_time_limit_beyond_the_kernels_counters_is_refused():
    # The model itself refuses it now, before any learner sees it.
    with pytest.raises(InvalidValueError, match="max_episode_steps must be <= 2\\*\\*62"):
        one_state(False, max_episode_steps=2**70)


# -- Dyna-Q+ (kappa) -------------------------------------------------------------------------
@examples(30)
@given(
    mdp=tabular_mdps(max_states=12, max_actions=4),
    arguments=learner_arguments(),
    kappa=st.floats(1e-4, 2.0),
    planning_steps=st.integers(0, 6),
)
def test_dyna_q_plus_matches_reference(mdp, arguments, kappa, planning_steps):
    if getattr(arguments["alpha"], "kind", None) == "visit_count":
        arguments = {**arguments, "alpha": 0.5}  # refused with kappa > 0 (untried pairs)
    arguments = {**arguments, "kappa": kappa, "planning_steps": planning_steps}
    got = rlf.dyna_q(mdp, **arguments)
    expected = reference.dyna_q(mdp, **arguments)
    assert_same_run(got, expected)


@examples(25)
@given(
    mdp=masked_mdps(max_states=12, max_actions=4),
    arguments=learner_arguments(),
    kappa=st.floats(1e-4, 2.0),
    planning_steps=st.integers(0, 6),
)
def test_masked_dyna_q_plus_matches_reference(mdp, arguments, kappa, planning_steps):
    if getattr(arguments["alpha"], "kind", None) == "visit_count":
        arguments = {**arguments, "alpha": 0.5}  # refused with kappa > 0 (untried pairs)
    arguments = {**arguments, "kappa": kappa, "planning_steps": planning_steps}
    got = rlf.dyna_q(mdp, **arguments)
    expected = reference.dyna_q(mdp, **arguments)
    assert_same_run(got, expected)


@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
def test_masked_dyna_q_plus_never_plans_or_takes_a_masked_action(exploration):
    # Dyna-Q+ enters a new state's untried actions into its model, and its bonus keeps
    # them attractive: on the trapped grid a masked one entered would be replayed with a
    # growing bonus, and taken. Only allowed pairs are remembered; none is ever taken.
    mdp = trapped_grid()
    point = {"seed": 5, "gamma": 0.9, "alpha": 0.5, "epsilon": 0.2, "temperature": 1.0}
    spec = run_spec("dyna_q", [{**point, "kappa": 0.05}], exploration=exploration, planning_steps=5)
    runs = Batch(mdp, spec, 20_000)
    runs.advance(20_000)
    remembered = runs.state.model_next[0] >= 0
    assert not remembered[~mdp.action_mask].any()
    reachable = mdp.action_mask.copy()
    reachable[grid_state(*GRID_GOAL)] = False  # the episode ends on arrival
    assert remembered[reachable].all()
    assert runs.state.last_tried[0][~mdp.action_mask].sum() == 0
    assert runs.state.episode_returns[0][: runs.state.cursor[0, kernels.N_EPISODES]].max() < 0
    q_values = runs.q_table()[0]
    assert np.all(q_values[~mdp.action_mask] == -np.inf)
    got = rlf.policy_evaluation(mdp, np.argmax(q_values, axis=1), gamma=0.9).values
    expected = rlf.value_iteration(mdp, gamma=0.9).values
    start = grid_state(*GRID_START)
    assert got[start] == pytest.approx(expected[start], abs=1e-9)
    assert expected[start] == pytest.approx(masked_grid_optimum(0.9, grid_mask())[start])


def _shortcut_runs(kappa: float, seed: int) -> tuple[float, int]:
    """Dyna-Q(+) on the shortcut maze (Sutton and Barto, example 8.3): 3000 steps before the
    shortcut opens, 6000 after, in one run whose model is swapped in between. Returns the
    exact value of the final greedy policy on the new maze and the episodes finished after
    the change."""
    before = rlf.problems.shortcut_maze()
    after = rlf.problems.shortcut_maze(changed=True)
    point = {"seed": seed, "gamma": 0.95, "alpha": 1.0, "epsilon": 0.1, "kappa": kappa}
    runs = batch.Batch(before, batch.run_spec("dyna_q", [point], planning_steps=50), 9_000)
    runs.advance(3_000)
    episodes_before = int(runs.state.cursor[0, kernels.N_EPISODES])
    runs.model = batch.kernel_model(after)
    runs.advance(9_000)
    policy = np.argmax(runs.q_table()[0], axis=1)
    value = float(after.initial @ batch.greedy_values(after, policy, 0.95))
    return value, int(runs.state.cursor[0, kernels.N_EPISODES]) - episodes_before


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dyna_q_plus_adapts_to_the_shortcut_where_dyna_q_does_not(seed):
    # 6 of 6 seeds tried: Dyna-Q keeps the old 16-step path (value 0.95^15); Dyna-Q+ finishes
    # over 20% more episodes after the change (about 610 against 390-490).
    q_value, q_episodes = _shortcut_runs(0.0, seed)
    _, plus_episodes = _shortcut_runs(1e-3, seed)
    assert q_value == pytest.approx(0.95**15)
    assert plus_episodes > 1.2 * q_episodes


def test_dyna_q_with_kappa_zero_is_plain_dyna_q():
    mdp = rlf.from_env("FrozenLake-v1")
    arguments = {"gamma": 0.95, "n_steps": 3_000, "seed": 9, "planning_steps": 5}
    got = rlf.dyna_q(mdp, kappa=0.0, **arguments)
    assert_same_run(got, rlf.dyna_q(mdp, **arguments))


def test_kappa_with_a_visit_count_alpha_is_refused_with_the_reason():
    mdp = rlf.from_env("FrozenLake-v1")
    with pytest.raises(InvalidValueError, match="untried actions, which have no visits"):
        rlf.dyna_q(mdp, gamma=0.9, n_steps=10, seed=0, kappa=0.1, alpha=Schedule.visit_count(1))


def test_negative_kappa_is_refused_naming_it():
    mdp = rlf.from_env("FrozenLake-v1")
    with pytest.raises(InvalidValueError, match="kappa must be a number >= 0, got -1"):
        rlf.dyna_q(mdp, gamma=0.9, n_steps=10, seed=0, kappa=-1)
