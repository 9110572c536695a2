"""from_env, make, estimate_model, check_model on Gymnasium's toy-text envs and custom envs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf


class CoinEnv(gym.Env):
    """A discrete env with no ``P`` table: state 0 or 1, action 0 flips a fair coin."""

    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = 0
        return self.state, {}

    def step(self, action):
        if action == 1:
            return self.state, 1.0, True, False, {}
        self.state = int(self.np_random.integers(2))
        return self.state, 0.0, False, False, {}


def next_state_probs(mdp: rlf.TabularMDP, s: int, a: int) -> dict:
    """{next state: probability} over the used slots of (s, a)."""
    return {
        int(mdp.next_state[s, a, k]): mdp.prob[s, a, k]
        for k in range(mdp.max_outcomes)
        if mdp.prob[s, a, k] > 0
    }


class BoxEnv(CoinEnv):
    observation_space = gym.spaces.Box(0.0, 1.0, shape=(2,))


@pytest.mark.parametrize(
    ("env_id", "kwargs", "shape"),
    [
        pytest.param("Taxi-v3", {}, (500, 6, 1), id="taxi"),
        pytest.param("Taxi-v3", {"is_rainy": True}, (500, 6, 3), id="taxi-rainy"),
        pytest.param("FrozenLake-v1", {}, (16, 4, 3), id="frozenlake-slippery"),
        pytest.param("FrozenLake-v1", {"is_slippery": False}, (16, 4, 1), id="frozenlake"),
        pytest.param("FrozenLake8x8-v1", {}, (64, 4, 3), id="frozenlake8x8"),
        pytest.param("CliffWalking-v1", {}, (48, 4, 1), id="cliffwalking"),
        pytest.param("CliffWalking-v1", {"is_slippery": True}, (48, 4, 3), id="cliff-slippery"),
    ],
)
def test_from_env_matches_the_p_table(env_id, kwargs, shape):
    mdp = rlf.from_env(env_id, **kwargs)
    table = rlf.make(env_id, **kwargs).unwrapped.P
    assert (mdp.n_states, mdp.n_actions) == shape[:2]
    assert mdp.max_outcomes <= shape[2]
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            expected: dict = {}
            for p, t, r, done in table[s][a]:
                key = (int(t), float(r), bool(done))
                expected[key] = expected.get(key, 0.0) + p
            got = {
                (
                    int(mdp.next_state[s, a, k]),
                    float(mdp.reward[s, a, k]),
                    bool(mdp.terminated[s, a, k]),
                ): mdp.prob[s, a, k]
                for k in range(mdp.max_outcomes)
                if mdp.prob[s, a, k] > 0
            }
            assert got.keys() == expected.keys(), (s, a)
            for key, p in expected.items():
                assert got[key] == pytest.approx(p, abs=1e-12)


def test_duplicate_outcomes_are_merged():
    # FrozenLake's corner: slipping left or up from state 0 both stay in place.
    mdp = rlf.from_env("FrozenLake-v1", is_slippery=True)
    left = next_state_probs(mdp, 0, 0)
    assert left == {0: pytest.approx(2 / 3), 4: pytest.approx(1 / 3)}


class TableEnv(gym.Env):
    """Two states, two actions, described only by the toy-text ``P`` table it is given."""

    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, table):
        self.P = table
        self.initial_state_distrib = np.array([1.0, 0.0])


def two_state_table() -> dict:
    return {s: {a: [(1.0, 1 - s, -1.0, False)] for a in range(2)} for s in range(2)}


def test_outcomes_keep_their_order_of_first_appearance_with_duplicates_summed_in_order():
    table = two_state_table()
    table[0][1] = [
        (0.0, 0, 5.0, True),  # zero probability: dropped
        (0.1, 1, 0.0, False),
        (0.2, 0, 1.0, True),
        (0.3, 1, 0.0, False),  # a duplicate of the first kept outcome
        (0.4, 1, 0.0, True),  # same next state, but terminating: its own slot
    ]
    mdp = rlf.from_env(TableEnv(table))
    assert mdp.max_outcomes == 3
    np.testing.assert_array_equal(mdp.next_state[0, 1], [1, 0, 1])
    np.testing.assert_array_equal(mdp.prob[0, 1], [0.1 + 0.3, 0.2, 0.4])
    np.testing.assert_array_equal(mdp.reward[0, 1], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(mdp.terminated[0, 1], [False, True, True])
    np.testing.assert_array_equal(mdp.prob[1, 0], [1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(lambda table: table.pop(1), "P has no entry for state 1", id="state"),
        pytest.param(
            lambda table: table[1].pop(0), r"P\[1\] has no entry for action 0", id="action"
        ),
        pytest.param(
            lambda table: table[0][1].append((1.0, 0, 0.0)),
            r"P\[0\]\[1\] entries must be \(prob, next_state, reward, terminated\)",
            id="entry",
        ),
        pytest.param(
            lambda table: table[1][1].__setitem__(0, (0.0, 0, 0.0, False)),
            r"P\[1\]\[1\] has no outcome with positive probability",
            id="empty",
        ),
    ],
)
def test_malformed_p_tables_are_reported_by_state_and_action(edit, message):
    table = two_state_table()
    edit(table)
    with pytest.raises(ValueError, match=message):
        rlf.from_env(TableEnv(table))


def test_taxi_start_states_and_time_limit():
    mdp = rlf.from_env("Taxi-v3")
    env = rlf.make("Taxi-v3").unwrapped
    starts = np.flatnonzero(mdp.initial)
    assert starts.size == 300
    for s in starts:
        _, _, passenger, destination = env.decode(int(s))
        assert passenger < 4 and passenger != destination
    np.testing.assert_allclose(mdp.initial[starts], 1 / 300)
    assert mdp.max_episode_steps == 200
    assert mdp.name == "Taxi-v4"


def test_taxi_v3_is_an_alias_for_taxi_v4():
    assert rlf.make("Taxi-v3").spec.id == "Taxi-v4"
    np.testing.assert_array_equal(rlf.from_env("Taxi-v3").prob, rlf.from_env("Taxi-v4").prob)


@pytest.mark.filterwarnings("ignore:.*out of date")
def test_an_old_id_that_gymnasium_still_registers_is_not_aliased(monkeypatch):
    # Gymnasium before 1.4 registers Taxi-v3 itself: then that env is the one made.
    monkeypatch.setitem(gym.registry, "Taxi-v3", gym.spec("FrozenLake-v1"))
    assert rlf.make("Taxi-v3").spec.id == "FrozenLake-v1"


def test_from_env_accepts_wrapped_envs():
    env = gym.wrappers.RecordEpisodeStatistics(rlf.make("FrozenLake-v1"))
    mdp = rlf.from_env(env)
    assert mdp.n_states == 16
    assert mdp.max_episode_steps == 100


def test_unknown_env_id_suggests_close_matches():
    with pytest.raises(ValueError, match=r"unknown env id 'Taxi-v9'; did you mean 'Taxi-v4'"):
        rlf.from_env("Taxi-v9")


def test_non_discrete_space_is_named_with_a_wrapper_hint():
    with pytest.raises(TypeError, match=r"observation_space is Box\(.*DiscretizeObservation"):
        rlf.from_env(BoxEnv())


def test_env_without_p_table_points_to_estimate_model():
    with pytest.raises(ValueError, match=r"no toy-text transition table `P`.*estimate_model"):
        rlf.from_env(CoinEnv())


def test_make_kwargs_with_an_env_object_are_rejected():
    with pytest.raises(TypeError, match="make_kwargs are only accepted with an env id"):
        rlf.from_env(CoinEnv(), is_slippery=True)


def test_estimate_model_recovers_a_coin():
    estimate = rlf.estimate_model(CoinEnv(), n_samples=4_000, seed=1)
    mdp = estimate.mdp
    assert estimate.visited.all()
    np.testing.assert_array_equal(mdp.initial, [1.0, 0.0])
    flips = next_state_probs(mdp, 0, 0)
    assert flips[0] == pytest.approx(0.5, abs=0.05)
    assert mdp.terminated[0, 1, 0] and mdp.reward[0, 1, 0] == 1.0
    assert "estimate" in mdp.name


def test_estimate_model_is_reproducible_and_marks_unvisited_pairs():
    first = rlf.estimate_model("FrozenLake-v1", n_samples=300, seed=3)
    second = rlf.estimate_model("FrozenLake-v1", n_samples=300, seed=3)
    np.testing.assert_array_equal(first.counts, second.counts)
    np.testing.assert_array_equal(first.mdp.prob, second.mdp.prob)
    unvisited = np.argwhere(~first.visited)
    assert unvisited.size > 0
    s, a = unvisited[0]
    assert first.mdp.terminated[s, a, 0] and first.mdp.next_state[s, a, 0] == s


def test_estimate_of_a_deterministic_env_equals_the_exact_model_where_visited():
    exact = rlf.from_env("FrozenLake-v1", is_slippery=False)
    estimate = rlf.estimate_model("FrozenLake-v1", n_samples=3_000, seed=0, is_slippery=False)
    for s, a in np.argwhere(estimate.visited):
        assert estimate.mdp.next_state[s, a, 0] == exact.next_state[s, a, 0]
        assert estimate.mdp.prob[s, a, 0] == 1.0


def test_check_model_accepts_an_exact_model():
    check = rlf.check_model("FrozenLake-v1", rlf.from_env("FrozenLake-v1"), n_samples=5_000)
    assert check.ok, check
    assert check.max_frequency_error < 0.1


def test_check_model_catches_taxis_fickle_passenger():
    env = rlf.make("Taxi-v3", fickle_passenger=True)
    check = rlf.check_model(env, rlf.from_env("Taxi-v3"), n_samples=30_000, seed=0)
    assert not check.ok
    mismatch = check.mismatches[0]
    taxi = env.unwrapped
    # The passenger is aboard and its destination changed: the model's P keeps it fixed.
    assert taxi.decode(mismatch.state)[3] != taxi.decode(mismatch.next_state)[3]


def test_check_model_says_how_many_pairs_it_compared():
    # A drunk model has the right support for sober Rick; only frequencies can expose it.
    rick = "rlfoundations/Rick-v0"
    drunk = rlf.from_env(rick, drunk=0.2)
    few = rlf.check_model(rick, drunk, n_samples=2_000, seed=0)
    assert few.ok and few.compared_pairs == 0 < few.visited_pairs
    many = rlf.check_model(rick, drunk, n_samples=20_000, seed=0, min_count=20)
    assert many.compared_pairs > 0
    assert not many.ok
    assert many.max_frequency_error > 0.1


def test_check_model_rejects_a_model_of_another_env():
    with pytest.raises(ValueError, match="the env has 16 states and 4 actions, the model 500"):
        rlf.check_model("FrozenLake-v1", rlf.from_env("Taxi-v3"), n_samples=10)


@pytest.mark.parametrize("n_samples", [0, -5])
def test_sampling_needs_a_positive_sample_count(n_samples):
    with pytest.raises(ValueError, match=f"n_samples must be > 0, got {n_samples}"):
        rlf.estimate_model(CoinEnv(), n_samples=n_samples)


# -- the wrapper chain ---------------------------------------------------------------------------
def flipped_lake() -> gym.Env:
    """FrozenLake with its observations renamed 15 - o (the issue's reproduction)."""
    return gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1", is_slippery=False), lambda obs: 15 - obs, gym.spaces.Discrete(16)
    )


def test_a_relabelled_frozenlake_solves_to_a_policy_that_always_wins_in_the_wrapped_env():
    env = flipped_lake()
    policy = rlf.solve(env, gamma=0.99)
    got = rlf.evaluate(env, policy, episodes=20, seed=0).win_rate
    expected = 1.0  # the deterministic lake: the optimal policy always reaches the goal
    assert got == expected


def test_a_relabelled_model_is_the_original_with_its_states_renamed():
    plain, flipped = rlf.from_env("FrozenLake-v1", is_slippery=False), rlf.from_env(flipped_lake())
    got = rlf.value_iteration(flipped, 0.9).values[::-1]
    expected = rlf.value_iteration(plain, 0.9).values
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_a_relabelled_model_passes_check_model_against_the_wrapped_env():
    env = flipped_lake()
    assert rlf.check_model(env, rlf.from_env(env), n_samples=3_000, seed=0).ok


def test_an_observation_wrapper_that_is_not_one_to_one_is_refused_by_name():
    halved = gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1"), lambda obs: obs // 2, gym.spaces.Discrete(16)
    )
    with pytest.raises(rlf.InvalidValueError, match=r"TransformObservation.*not one-to-one"):
        rlf.from_env(halved)


def test_a_reward_wrapper_is_applied_to_every_outcome():
    env = gym.wrappers.TransformReward(gym.make("FrozenLake-v1"), lambda r: 10 * r - 1)
    got = rlf.from_env(env).reward
    expected = 10 * rlf.from_env("FrozenLake-v1").reward - 1
    np.testing.assert_array_equal(got, expected)


def test_a_reward_wrapped_model_passes_check_model_against_the_wrapped_env():
    env = gym.wrappers.TransformReward(rlf.make("Taxi-v3"), lambda r: r / 20)
    assert rlf.check_model(env, rlf.from_env(env), n_samples=2_000, seed=0).ok


def test_an_action_wrapper_over_discrete_actions_is_applied():
    # Action a of the wrapped env is action 3 - a of FrozenLake (left <-> up, down <-> right).
    env = gym.wrappers.TransformAction(
        gym.make("FrozenLake-v1"), lambda a: 3 - int(a), gym.spaces.Discrete(4)
    )
    got = rlf.from_env(env).next_state
    expected = rlf.from_env("FrozenLake-v1").next_state[:, ::-1]
    np.testing.assert_array_equal(got, expected)


class StepCounting(gym.Wrapper):
    """A wrapper of one's own that changes the reward with time: not readable from P."""

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward - 0.01, terminated, truncated, info


@pytest.mark.parametrize(
    "wrap, name",
    [
        pytest.param(StepCounting, "StepCounting", id="own-wrapper"),
        pytest.param(gym.wrappers.Autoreset, "Autoreset", id="autoreset"),
        pytest.param(
            lambda env: gym.wrappers.StickyAction(env, repeat_action_probability=0.25),
            "StickyAction",
            id="sticky",
        ),
        pytest.param(gym.wrappers.NormalizeReward, "NormalizeReward", id="normalize-reward"),
    ],
)
def test_a_wrapper_that_changes_the_dynamics_is_refused_naming_it_and_estimate_model(wrap, name):
    with pytest.raises(rlf.InvalidValueError, match=f"through {name}.*estimate_model"):
        rlf.from_env(wrap(gym.make("FrozenLake-v1")))


def test_pass_through_wrappers_are_looked_through():
    env = gym.wrappers.RecordEpisodeStatistics(gym.make("FrozenLake-v1"))
    got = rlf.from_env(env).next_state
    expected = rlf.from_env("FrozenLake-v1").next_state
    np.testing.assert_array_equal(got, expected)


def test_a_time_limit_added_by_hand_on_a_raw_env_is_kept():
    from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv

    got = rlf.from_env(gym.wrappers.TimeLimit(FrozenLakeEnv(), max_episode_steps=37))
    assert got.max_episode_steps == 37


def test_an_unwrapped_env_has_no_time_limit():
    assert rlf.from_env(gym.make("FrozenLake-v1").unwrapped).max_episode_steps is None


# -- known gaps, make kwargs, rounding ------------------------------------------------------------
def test_taxi_with_a_fickle_passenger_is_refused_saying_why():
    with pytest.raises(rlf.InvalidValueError, match=r"fickle_passenger=True.*not in P"):
        rlf.from_env("Taxi-v3", fickle_passenger=True)


def test_every_known_gap_has_a_reason():
    assert all(reason for _, _, reason in rlf.extract.KNOWN_GAPS)


SMALL_LAKE = ["SFFH", "FHFF", "FFFH", "HFFG"]


def test_the_model_keeps_its_make_kwargs():
    got = rlf.from_env("FrozenLake-v1", desc=SMALL_LAKE, is_slippery=False).make_kwargs
    assert got["desc"] == SMALL_LAKE and got["is_slippery"] is False


def test_the_grid_of_a_model_made_with_its_own_map_shows_that_maps_holes():
    pytest.importorskip("matplotlib")
    from rlfoundations.plot import grid_layout

    mdp = rlf.from_env("FrozenLake-v1", desc=SMALL_LAKE, is_slippery=False)
    got = sorted(grid_layout(mdp).hazards)
    expected = [(0, 3), (1, 1), (2, 3), (3, 0)]
    assert got == expected


class ComplementEnv(CoinEnv):
    """A P table whose probabilities are complements, one a rounding error below zero."""

    def __init__(self):
        leftover = 1 - 0.9 - 0.1  # -2.8e-17 in float64
        self.P = {
            s: {
                a: [(0.9, 0, 0.0, False), (0.1, 1, 0.0, False), (leftover, 1, 1.0, True)]
                for a in range(2)
            }
            for s in range(2)
        }
        self.initial_state_distrib = np.array([1.0, 0.0])


def test_probabilities_a_rounding_error_below_zero_are_clipped_to_zero():
    mdp = rlf.from_env(ComplementEnv())
    assert (mdp.prob >= 0).all()


def test_a_probability_clearly_below_zero_is_still_an_error():
    with pytest.raises(ValueError, match="not a probability"):
        rlf.TabularMDP.from_dense([[[1.1, -0.1]], [[0.0, 1.0]]], [[0.0], [0.0]])


@pytest.mark.parametrize(
    ("argument", "value", "error"),
    [
        pytest.param("min_count", 0, rlf.InvalidValueError, id="min_count-zero"),
        pytest.param("min_count", 2.5, rlf.InvalidTypeError, id="min_count-float"),
        pytest.param("min_count", True, rlf.InvalidTypeError, id="min_count-bool"),
        pytest.param("tolerance", 1.5, rlf.InvalidValueError, id="tolerance-above-one"),
        pytest.param("tolerance", float("nan"), rlf.InvalidValueError, id="tolerance-nan"),
        pytest.param("tolerance", "0.1", rlf.InvalidTypeError, id="tolerance-str"),
    ],
)
def test_check_model_refuses_a_bad_min_count_or_tolerance(argument, value, error):
    mdp = rlf.from_env("FrozenLake-v1")
    with pytest.raises(error, match=argument):
        rlf.check_model("FrozenLake-v1", mdp, n_samples=10, seed=0, **{argument: value})


def test_check_model_refuses_a_dict_for_the_model():
    with pytest.raises(rlf.InvalidTypeError, match="mdp must be a TabularMDP"):
        rlf.check_model("FrozenLake-v1", {"n_states": 16}, n_samples=10, seed=0)
