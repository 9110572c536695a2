"""The n-step learners (n-step SARSA, tree backup, Q(sigma)) against their twins, the one-step
learners they reduce to, one another at the ends of sigma, closed forms, the exact optimum,
Sutton and Barto's cliff-walking contrast, and the engine's features (sweeps, chunks,
interrupts, records, masks)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import batch, reference
from rlfoundations._kernels import nstep as nstep_kernels
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.schedules import Schedule
from strategies import discounts, examples, masked_mdps, tabular_mdps


@st.composite
def nstep_arguments(draw) -> dict:
    level = st.floats(0.0, 1.0)
    return {
        "gamma": draw(discounts(max_gamma=1.0)),
        "n_steps": draw(st.integers(1, 300)),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "alpha": draw(
            st.one_of(
                st.floats(0.01, 1.0),
                st.builds(
                    Schedule.linear, st.floats(0.01, 1.0), st.floats(0.01, 1.0), st.integers(1, 300)
                ),
            )
        ),
        "epsilon": draw(level),
        "exploration": draw(st.sampled_from(["epsilon_greedy", "softmax"])),
        "temperature": draw(st.floats(0.05, 10.0)),
        "n": draw(st.integers(1, 8)),
    }


def assert_same_run(got, expected) -> None:
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()
    assert np.array_equal(got.episode_lengths, expected.episode_lengths)
    assert got.total_steps == expected.total_steps


@pytest.fixture(scope="module")
def lake() -> rlf.TabularMDP:
    return rlf.from_env("FrozenLake-v1")


@examples(40)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=nstep_arguments())
def test_n_step_sarsa_matches_its_reference_twin(mdp, arguments):
    assert_same_run(rlf.n_step_sarsa(mdp, **arguments), reference.n_step_sarsa(mdp, **arguments))


@examples(20)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=nstep_arguments())
def test_n_step_sarsa_with_one_step_is_sarsa_bit_for_bit(mdp, arguments):
    del arguments["n"]
    assert_same_run(rlf.n_step_sarsa(mdp, n=1, **arguments), rlf.sarsa(mdp, **arguments))


@pytest.mark.parametrize("n", [1, 3, 10])
def test_first_episode_on_a_chain_credits_the_last_n_states(n):
    # One pass 0 -> ... -> 5 -> end paying 1 at the end: state k's return is gamma^(5 - k)
    # if the end is within n steps of it, else it bootstraps from Q = 0.
    size, gamma, alpha = 6, 0.9, 0.5
    next_state = np.minimum(np.arange(size) + 1, size - 1).reshape(size, 1, 1)
    reward = np.zeros((size, 1, 1))
    reward[-1] = 1.0
    terminated = np.zeros((size, 1, 1), dtype=bool)
    terminated[-1] = True
    chain = rlf.TabularMDP(next_state, np.ones((size, 1, 1)), reward, terminated, np.eye(size)[0])
    got = rlf.n_step_sarsa(chain, gamma=gamma, n_steps=size, seed=0, alpha=alpha, n=n)
    distance = size - 1 - np.arange(size)
    expected = np.where(distance < n, alpha * gamma**distance, 0.0)
    np.testing.assert_allclose(got.q_values[:, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_n_step_sarsa_nears_the_optimal_value_on_slippery_frozenlake(seed, lake):
    # GLIE-like schedules; 8 of 8 seeds tried came within 0.002 of V*(0) ~ 0.18.
    result = rlf.n_step_sarsa(
        lake,
        gamma=0.95,
        n_steps=600_000,
        seed=seed,
        alpha=Schedule.linear(0.1, 0.005, 600_000),
        epsilon=Schedule.linear(1.0, 0.02, 400_000),
        n=2,
    )
    got = rlf.policy_evaluation(lake, result.policy, gamma=0.95).values[0]
    expected = rlf.value_iteration(lake, gamma=0.95).values[0]
    assert got == pytest.approx(expected, abs=0.01)


def test_sweep_runs_equal_the_same_runs_made_alone(lake):
    arguments = {"gamma": 0.9, "n_steps": 3_000}
    got = rlf.sweep(lake, "n_step_sarsa", seeds=range(2), n=[1, 2, 8], **arguments)
    for run, point in enumerate(got.params):
        alone = rlf.n_step_sarsa(lake, **{**arguments, **point})
        assert got.run(run).q_values.tobytes() == alone.q_values.tobytes()


def test_chunked_and_interrupted_runs_equal_shorter_runs(lake, monkeypatch):
    expected = rlf.n_step_sarsa(lake, gamma=0.9, n_steps=30_000, seed=3, n=5)
    monkeypatch.setattr(batch, "CHUNK_STEPS", 7_000)
    got = rlf.n_step_sarsa(lake, gamma=0.9, n_steps=30_000, seed=3, n=5, progress=lambda d, n: 0)
    assert_same_run(got, expected)

    def interrupt(done, total):
        if done >= 14_000:
            raise KeyboardInterrupt

    cut = rlf.n_step_sarsa(
        lake, gamma=0.9, n_steps=30_000, seed=3, n=5, progress=interrupt, on_interrupt="return"
    )
    assert cut.interrupted and cut.total_steps == 14_000
    shorter = rlf.n_step_sarsa(lake, gamma=0.9, n_steps=14_000, seed=3, n=5)
    assert cut.q_values.tobytes() == shorter.q_values.tobytes()


def test_summaries_without_records_agree_with_the_full_records(lake):
    arguments = {"gamma": 0.9, "n_steps": 60_000, "seed": 4, "n": 3}
    full = rlf.n_step_sarsa(lake, **arguments)
    got = rlf.n_step_sarsa(lake, record_episodes=False, **arguments)
    assert got.n_episodes == full.n_episodes > 4096
    assert np.array_equal(got.episode_returns, full.episode_returns[-100:])


def test_learning_curve_matches_the_twin(lake):
    arguments = {"gamma": 0.95, "n_steps": 2_000, "seed": 5, "eval_every": 450, "n": 3}
    got = rlf.n_step_sarsa(lake, **arguments)
    expected = reference.n_step_sarsa(lake, **arguments)
    assert_same_run(got, expected)
    np.testing.assert_allclose(got.curve_values, expected.curve_values, atol=1e-10)


@pytest.mark.parametrize(
    ("settings_", "match"),
    [({"n": 0}, "n must be"), ({"alpha": Schedule.visit_count(0.8)}, "visit_count")],
)
def test_bad_n_step_settings_are_refused_naming_the_argument(settings_, match, lake):
    with pytest.raises(InvalidValueError, match=match):
        rlf.n_step_sarsa(lake, gamma=0.9, n_steps=10, seed=0, **settings_)


def test_learners_reference_page_lists_n_step_sarsa():
    page = Path(__file__).parent.parent / "docs" / "reference" / "learning.md"
    assert "::: rlfoundations.n_step_sarsa\n" in page.read_text()


def test_n_step_sarsa_output_is_bit_identical_to_the_golden_digest(lake):
    # Computed when the learner landed (kernel and twin agreeing).
    arguments = {"gamma": 0.95, "n_steps": 3_000, "seed": 7, "n": 4}
    result = rlf.n_step_sarsa(lake, **arguments)
    sha = hashlib.sha256()
    for array in (result.q_values, result.episode_returns):
        sha.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_lengths, dtype=np.int64).tobytes())
    assert sha.hexdigest() == GOLDEN


GOLDEN = "d704dbc870c8226df19393313c3a5ce9d11d16ea9d74eecc8533d7dac9bb0bd7"


# -- tree backup and Q(sigma) ------------------------------------------------------------------
#: Each n-step learner with the strategy of its own settings.
OWN_SETTINGS = {
    "n_step_sarsa": st.just({}),
    "n_step_tree_backup": st.builds(dict, target_policy=st.sampled_from(["greedy", "behaviour"])),
    "q_sigma": st.builds(dict, sigma=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))),
}
LEARNERS = list(OWN_SETTINGS)


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


@pytest.mark.parametrize("learner", LEARNERS)
@examples(30)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=nstep_arguments(), data=st.data())
def test_n_step_learner_matches_its_reference_twin(learner, mdp, arguments, data):
    arguments.update(data.draw(OWN_SETTINGS[learner]))
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)


@pytest.mark.parametrize("learner", LEARNERS)
@examples(30)
@given(mdp=masked_mdps(max_states=10, max_actions=4), arguments=nstep_arguments(), data=st.data())
def test_n_step_learner_matches_its_twin_on_masked_models(learner, mdp, arguments, data):
    arguments.update(data.draw(OWN_SETTINGS[learner]))
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)
    assert np.all(got.q_values[~mdp.action_mask] == -np.inf)
    assert np.isfinite(got.q_values[mdp.action_mask]).all()


@pytest.mark.parametrize(
    ("target_policy", "one_step"),
    [
        pytest.param("greedy", "q_learning", id="greedy-is-q-learning"),
        pytest.param("behaviour", "expected_sarsa", id="behaviour-is-expected-sarsa"),
    ],
)
@examples(30)
@given(
    mdp=st.one_of(tabular_mdps(max_states=10, max_actions=4), masked_mdps(10, 4)),
    arguments=nstep_arguments(),
)
def test_one_step_tree_backup_is_the_one_step_learner_bit_for_bit(
    target_policy, one_step, mdp, arguments
):
    del arguments["n"]
    got = rlf.n_step_tree_backup(mdp, n=1, target_policy=target_policy, **arguments)
    assert_same_run(got, getattr(rlf, one_step)(mdp, **arguments))


@pytest.mark.parametrize(
    ("sigma", "learner", "own"),
    [
        pytest.param(1.0, "n_step_sarsa", {}, id="sigma-1-is-n-step-sarsa"),
        pytest.param(
            0.0, "n_step_tree_backup", {"target_policy": "behaviour"}, id="sigma-0-is-tree-backup"
        ),
    ],
)
@examples(30)
@given(
    mdp=st.one_of(tabular_mdps(max_states=10, max_actions=4), masked_mdps(10, 4)),
    arguments=nstep_arguments(),
)
def test_q_sigma_at_the_ends_of_sigma_is_sarsa_or_tree_backup_bit_for_bit(
    sigma, learner, own, mdp, arguments
):
    got = rlf.q_sigma(mdp, sigma=sigma, **arguments)
    assert_same_run(got, getattr(rlf, learner)(mdp, **arguments, **own))


def two_action_chain(size: int) -> rlf.TabularMDP:
    """States 0 .. size-1 in a row, both actions move right, the last pays 1 and ends."""
    next_state = np.minimum(np.arange(size) + 1, size - 1)[:, None, None].repeat(2, axis=1)
    reward = np.zeros((size, 2, 1))
    reward[-1] = 1.0
    terminated = np.zeros((size, 2, 1), dtype=bool)
    terminated[-1] = True
    return rlf.TabularMDP(next_state, np.ones((size, 2, 1)), reward, terminated, np.eye(size)[0])


@pytest.mark.parametrize("target_policy", ["greedy", "behaviour"])
@pytest.mark.parametrize("n", [1, 3, 10])
def test_first_tree_backup_episode_halves_the_credit_at_every_tied_node(n, target_policy):
    # Sutton and Barto (7.16) by hand: on the first pass every Q row is (0, 0), so pi gives
    # the action taken 1/2 (greedy: two tied maxima; epsilon-greedy: epsilon/2 + (1 - eps)/2)
    # and the other action's term adds 1/2 * 0. State k, at distance d = 5 - k from the end,
    # gets alpha * (gamma / 2)^d if d < n, else nothing: updates before the end see R = 0.
    size, gamma, alpha = 6, 0.9, 0.5
    got = rlf.n_step_tree_backup(
        two_action_chain(size), gamma=gamma, n_steps=size, seed=0, alpha=alpha, n=n,
        epsilon=0.3, target_policy=target_policy,
    )  # fmt: skip
    distance = size - 1 - np.arange(size)
    expected = np.where(distance < n, alpha * (gamma / 2) ** distance, 0.0)
    np.testing.assert_allclose(got.q_values.sum(axis=1), expected, rtol=1e-12)
    assert (np.count_nonzero(got.q_values, axis=1) == (distance < n)).all()


def test_tree_backup_return_follows_the_greedy_action_and_expects_the_others():
    # Two steps, n = 2, a greedy target, and a table set by hand: one update, computed from
    # the definition (7.16) with the numbers below, no code of the library involved.
    # s0 --a--> s1 (reward 1) --b--> s2 (reward 2), s2 non-terminal; Q(s1) = (5, 3),
    # Q(s2) = (4, 7). The greedy pi at s1 takes action 0 with probability 1:
    # A_1 = 0: G = 1 + gamma (0 + 1 * (2 + gamma * 7));  A_1 = 1: G = 1 + gamma * 5.
    gamma, alpha = 0.5, 0.25
    q = np.zeros((3, 2))
    q[1] = (5.0, 3.0)
    q[2] = (4.0, 7.0)
    allowed = np.zeros((0, 0), dtype=np.bool_)
    for taken, expected_return in [(0, 1 + gamma * (2 + gamma * 7)), (1, 1 + gamma * 5)]:
        table = q.copy()
        states = np.array([0, 1, 2])
        actions = np.array([0, taken, 0])
        rewards = np.array([0.0, 1.0, 2.0])
        nstep_kernels.sigma_update(
            table, states, actions, rewards, 0, 2, 2, gamma, alpha, True, 0.0,
            nstep_kernels.GREEDY, 0, 0.1, allowed,
        )  # fmt: skip
        assert table[0, 0] == pytest.approx(alpha * expected_return, rel=1e-15)


def test_q_sigma_return_mixes_the_sampled_and_the_expected_value():
    # De Asis et al. (2018), one step of Q(sigma) on-policy: G = R + gamma [sigma Q(S', A')
    # + (1 - sigma) sum_a pi(a | S') Q(S', a)], epsilon-greedy pi with epsilon = 0.2 over
    # Q(S') = (1, 3, 2): pi = (0.2/3, 0.2/3 + 0.8, 0.2/3), A' = 2 sampled.
    gamma, alpha, sigma, epsilon = 0.9, 1.0, 0.25, 0.2
    table = np.zeros((2, 3))
    table[1] = (1.0, 3.0, 2.0)
    expected_next = epsilon / 3 * (1.0 + 2.0) + (epsilon / 3 + 1 - epsilon) * 3.0
    expected = 0.5 + gamma * (sigma * 2.0 + (1 - sigma) * expected_next)
    nstep_kernels.sigma_update(
        table, np.array([0, 1]), np.array([0, 2]), np.array([0.0, 0.5]), 0, 1, 1, gamma,
        alpha, True, sigma, nstep_kernels.BEHAVIOUR, 0, epsilon, np.zeros((0, 0), dtype=np.bool_),
    )  # fmt: skip
    assert table[0, 0] == pytest.approx(expected, rel=1e-14)


def test_tree_backup_converges_to_the_optimal_q_table(lake):
    # Off-policy control without importance sampling: with a greedy target the table itself
    # tends to Q* (value iteration's), here under a uniformly random behaviour. Slippery
    # FrozenLake is noisy: 4 seeds tried came within 0.016 .. 0.028 (Q-learning: 0.011 ..
    # 0.027 with the same schedule).
    gamma, n_steps = 0.9, 4_000_000
    result = rlf.n_step_tree_backup(
        lake, gamma=gamma, n_steps=n_steps, seed=0, n=3, epsilon=1.0,
        alpha=Schedule.linear(0.05, 0.0002, n_steps),
    )  # fmt: skip
    optimal = rlf.value_iteration(lake, gamma=gamma, epsilon=1e-12)
    expected = optimal_q(lake, optimal.values, gamma)
    reachable = np.abs(expected).sum(axis=1) > 0
    np.testing.assert_allclose(result.q_values[reachable], expected[reachable], atol=0.05)
    got = rlf.policy_evaluation(lake, result.policy, gamma=gamma).values[0]
    assert got == pytest.approx(optimal.values[0], abs=1e-3)


def optimal_q(mdp: rlf.TabularMDP, values: np.ndarray, gamma: float) -> np.ndarray:
    """Q*(s, a) = sum_k p (r + gamma [not terminated] V*(s')), from the optimal values."""
    future = np.where(mdp.terminated, 0.0, values[mdp.next_state])
    return (mdp.prob * (mdp.reward + gamma * future)).sum(axis=2)


@pytest.mark.parametrize("seed", [0, 1])
def test_q_sigma_nears_the_optimal_value_on_slippery_frozenlake(seed, lake):
    result = rlf.q_sigma(
        lake, gamma=0.95, n_steps=600_000, seed=seed, n=2, sigma=0.5,
        alpha=Schedule.linear(0.1, 0.005, 600_000), epsilon=Schedule.linear(1.0, 0.02, 400_000),
    )  # fmt: skip
    got = rlf.policy_evaluation(lake, result.policy, gamma=0.95).values[0]
    expected = rlf.value_iteration(lake, gamma=0.95).values[0]
    assert got == pytest.approx(expected, abs=0.01)


@pytest.fixture(scope="module")
def cliff() -> rlf.TabularMDP:
    return rlf.from_env("CliffWalking-v1")


def test_greedy_tree_backup_learns_the_cliff_edge_path(cliff):
    # Sutton and Barto, Example 6.6 with n-step methods: off-policy control (tree backup to a
    # greedy target) learns the optimal path along the cliff, as Q-learning does. 10 of 10
    # seeds tried did (with n = 3, 8 of 10 in these steps: its greedy path was still off).
    result = rlf.sweep(
        cliff, "n_step_tree_backup", gamma=1.0, n_steps=300_000, seeds=range(5), alpha=0.2,
        epsilon=0.1, n=2,
    )  # fmt: skip
    for policy in result.policy:
        assert greedy_path(cliff, policy, start=36) == [36, *range(24, 36), 47]


def test_on_policy_q_sigma_learns_the_safe_path(cliff):
    # ... while on-policy Q(sigma) (SARSA at sigma = 1) learns the values of the exploring
    # policy and keeps away from the cliff: row 2 is only crossed at both ends. 10 of 10
    # seeds tried did.
    result = rlf.sweep(
        cliff, "q_sigma", gamma=1.0, n_steps=300_000, seeds=range(5), alpha=0.2, epsilon=0.1,
        n=3, sigma=0.5,
    )  # fmt: skip
    for policy in result.policy:
        path = greedy_path(cliff, policy, start=36)
        assert path[-1] == 47
        assert [s for s in path if s // 12 == 2] == [24, 35]


@pytest.mark.parametrize("learner", LEARNERS)
def test_n_step_learners_never_take_a_masked_action(learner):
    # Every masked pair of a chain pays +1000 and ends the episode: one would show in the
    # returns; the greedy policy keeps to allowed actions too.
    size = 5
    next_state = np.minimum(np.arange(size) + 1, size - 1)[:, None, None].repeat(3, axis=1)
    reward = -np.ones((size, 3, 1))
    terminated = np.zeros((size, 3, 1), dtype=bool)
    terminated[-1] = True
    mask = np.ones((size, 3), dtype=bool)
    mask[:, 1] = False
    mask[2, 2] = False
    reward[~mask] = 1000.0
    terminated[~mask] = True
    mdp = rlf.TabularMDP(
        next_state, np.ones((size, 3, 1)), reward, terminated, np.eye(size)[0], action_mask=mask
    )
    result = getattr(rlf, learner)(mdp, gamma=0.9, n_steps=20_000, seed=2, epsilon=0.9)
    assert result.episode_returns.max() < 0
    assert mask[np.arange(size), result.policy].all()
    assert np.all(result.q_values[~mask] == -np.inf)


@pytest.mark.parametrize(
    ("learner", "own", "axis"),
    [
        pytest.param("n_step_tree_backup", {}, {"target_policy": ["greedy", "behaviour"]}, id="tb"),
        pytest.param("q_sigma", {}, {"sigma": [0.0, 0.5, 1.0]}, id="q-sigma"),
    ],
)
def test_sweep_of_new_learners_equals_the_same_runs_made_alone(learner, own, axis, lake):
    arguments = {"gamma": 0.9, "n_steps": 3_000}
    got = rlf.sweep(lake, learner, seeds=range(2), n=[1, 3], **axis, **arguments)
    assert got.n_runs == 2 * 2 * len(next(iter(axis.values())))
    for run, point in enumerate(got.params):
        alone = getattr(rlf, learner)(lake, **{**arguments, **point})
        assert got.run(run).q_values.tobytes() == alone.q_values.tobytes()


def test_sweep_refuses_an_axis_the_learner_does_not_use(lake):
    with pytest.raises(InvalidValueError, match="does not use sigma"):
        rlf.sweep(lake, "n_step_tree_backup", gamma=0.9, n_steps=10, seeds=0, sigma=[0.1, 0.2])


@pytest.mark.parametrize("learner", ["n_step_tree_backup", "q_sigma"])
def test_new_learners_chunked_and_interrupted_equal_shorter_runs(learner, lake, monkeypatch):
    run = getattr(rlf, learner)
    expected = run(lake, gamma=0.9, n_steps=30_000, seed=3, n=5)
    monkeypatch.setattr(batch, "CHUNK_STEPS", 7_000)
    got = run(lake, gamma=0.9, n_steps=30_000, seed=3, n=5, progress=lambda d, n: 0)
    assert_same_run(got, expected)

    def interrupt(done, total):
        if done >= 14_000:
            raise KeyboardInterrupt

    cut = run(
        lake, gamma=0.9, n_steps=30_000, seed=3, n=5, progress=interrupt, on_interrupt="return"
    )
    assert cut.interrupted and cut.total_steps == 14_000
    shorter = run(lake, gamma=0.9, n_steps=14_000, seed=3, n=5)
    assert cut.q_values.tobytes() == shorter.q_values.tobytes()


@pytest.mark.parametrize("learner", ["n_step_tree_backup", "q_sigma"])
def test_new_learners_summaries_without_records_agree_with_the_full_records(learner, lake):
    # More episodes than the 4096 one buffer holds: the summaries fold at least once.
    arguments = {"gamma": 0.9, "n_steps": 100_000, "seed": 4, "n": 3}
    full = getattr(rlf, learner)(lake, **arguments)
    got = getattr(rlf, learner)(lake, record_episodes=False, **arguments)
    assert got.n_episodes == full.n_episodes > 4096
    assert np.array_equal(got.episode_returns, full.episode_returns[-100:])
    assert got.q_values.tobytes() == full.q_values.tobytes()


@pytest.mark.parametrize("learner", ["n_step_tree_backup", "q_sigma"])
def test_new_learners_learning_curve_matches_the_twin(learner, lake):
    arguments = {"gamma": 0.95, "n_steps": 2_000, "seed": 5, "eval_every": 450, "n": 3}
    got = getattr(rlf, learner)(lake, **arguments)
    expected = getattr(reference, learner)(lake, **arguments)
    assert_same_run(got, expected)
    np.testing.assert_allclose(got.curve_values, expected.curve_values, atol=1e-10)


@pytest.mark.parametrize("learner", LEARNERS)
def test_n_step_learner_on_a_live_env_is_its_twin(learner):
    import gymnasium

    env = gymnasium.make("FrozenLake-v1", is_slippery=False)
    got = getattr(rlf, learner)(env, gamma=0.9, n_steps=500, seed=0, n=2)
    assert got.total_steps == 500 and np.isfinite(got.q_values).all()


@pytest.mark.parametrize(
    ("learner", "settings_", "match"),
    [
        ("q_sigma", {"sigma": 1.5}, "sigma must be in"),
        ("q_sigma", {"sigma": "half"}, "sigma must be a number"),
        ("n_step_tree_backup", {"target_policy": "optimal"}, "target_policy must be"),
        ("n_step_tree_backup", {"n": 0}, "n must be"),
        ("q_sigma", {"alpha": Schedule.visit_count(0.8)}, "visit_count"),
    ],
)
def test_bad_tree_backup_and_q_sigma_settings_are_refused(learner, settings_, match, lake):
    with pytest.raises((InvalidValueError, InvalidTypeError), match=match):
        getattr(rlf, learner)(lake, gamma=0.9, n_steps=10, seed=0, **settings_)


def test_learners_reference_page_lists_tree_backup_and_q_sigma():
    page = (Path(__file__).parent.parent / "docs" / "reference" / "learning.md").read_text()
    assert "::: rlfoundations.n_step_tree_backup\n" in page
    assert "::: rlfoundations.q_sigma\n" in page
