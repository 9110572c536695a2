"""The exact Blackjack-v1 model against the real env and Sutton & Barto's figure 5.2."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations.blackjack import blackjack_model

DECK = [1 / 13] * 9 + [4 / 13]  # card values 1 .. 10 of an infinite deck

RULES = [
    pytest.param({}, id="registered-sab"),
    pytest.param({"sab": False}, id="plain"),
    pytest.param({"sab": False, "natural": True}, id="natural"),
]

# Sutton & Barto (2018), figure 5.2, the optimal policy pi*: the smallest player sum that
# sticks, per dealer card A, 2, ..., 10.
STICK_FROM = {
    "usable": [19, 18, 18, 18, 18, 18, 18, 18, 19, 19],
    "no usable": [17, 13, 13, 12, 12, 12, 17, 17, 17, 17],
}


def basic_strategy(usable: bool, player_sum: int, dealer_card: int) -> int:
    """Figure 5.2's action: 0 stick, 1 hit."""
    threshold = STICK_FROM["usable" if usable else "no usable"][dealer_card - 1]
    return 0 if player_sum >= threshold else 1


@pytest.fixture(scope="module")
def solved():
    """The registered Blackjack-v1 (sab=True, as in the book) and its optimal policy."""
    mdp = rlf.from_env("Blackjack-v1")
    return mdp, rlf.solve(mdp, gamma=1.0)


def figure_states():
    return [
        (usable, player_sum, dealer_card)
        for usable in (True, False)
        for player_sum in range(12, 22)
        for dealer_card in range(1, 11)
    ]


def test_the_solved_policy_is_sutton_and_bartos_optimal_policy(solved):
    mdp, policy = solved
    got = [
        policy(mdp.encode(player_sum=p, dealer_card=d, usable_ace=int(u), natural=0))
        for u, p, d in figure_states()
    ]
    expected = [basic_strategy(u, p, d) for u, p, d in figure_states()]
    assert got == expected


@pytest.mark.parametrize("rules", [RULES[0]])
def test_check_model_against_the_real_env_passes(rules):
    env = rlf.IndexObservation(gym.make("Blackjack-v1", **rules))
    check = rlf.check_model(env, rlf.from_env(env), n_samples=30_000, seed=0)
    assert check.ok and check.compared_pairs >= 10


@pytest.mark.parametrize("player, dealer", [((10, 6), 10), ((1, 7), 6), ((1, 10), 1)])
def test_sticking_pays_as_often_as_the_model_says_in_the_real_env(player, dealer):
    env = rlf.IndexObservation(gym.make("Blackjack-v1"))
    mdp = rlf.from_env(env)
    env.reset(seed=0)
    base = env.unwrapped
    rewards = []
    for _ in range(20_000):
        # Deal this hand again, the dealer's hidden card from the env's own deck.
        base.player = list(player)
        base.dealer = [dealer, int(base.np_random.choice(range(1, 11), p=DECK))]
        state = env.observation(base._get_obs())
        rewards.append(env.step(0)[1])
    got = {value: np.mean(np.array(rewards) == value) for value in (-1.0, 0.0, 1.0)}
    outcomes = mdp.prob[state, 0] > 0
    expected = dict.fromkeys((-1.0, 0.0, 1.0), 0.0)
    for value, p in zip(mdp.reward[state, 0][outcomes], mdp.prob[state, 0][outcomes], strict=True):
        expected[float(value)] += p
    for value in expected:  # four standard errors of a frequency from 20 000 deals
        assert abs(got[value] - expected[value]) < 4 * np.sqrt(0.25 / 20_000)


@pytest.mark.parametrize("rules", [RULES[0], RULES[2]])
def test_the_optimal_value_is_what_the_policy_scores_in_the_real_env(rules):
    env = rlf.IndexObservation(gym.make("Blackjack-v1", **rules))
    mdp = rlf.from_env(env)
    policy = rlf.solve(mdp, gamma=1.0)
    score = rlf.evaluate(env, policy, episodes=10_000, seed=1)
    expected = float(mdp.initial @ policy.result.values)
    assert abs(score.mean_return - expected) < 4 * score.std_error


def test_a_natural_is_a_state_apart_under_the_registered_rules():
    mdp = rlf.from_env("Blackjack-v1")
    natural = mdp.encode(player_sum=21, dealer_card=5, usable_ace=1, natural=1)
    soft_21 = mdp.encode(player_sum=21, dealer_card=5, usable_ace=1, natural=0)
    got = mdp.expected_reward[natural, 0] > mdp.expected_reward[soft_21, 0]
    assert got  # sab: a natural wins where another 21 may draw


def test_the_plain_rules_have_the_observations_as_states():
    assert blackjack_model().n_states == 32 * 11 * 2


def test_the_start_distribution_is_the_deal():
    # P(player 21 with a usable ace and the dealer showing an ace) = P(natural) / 13.
    mdp = blackjack_model()
    got = mdp.initial[mdp.encode(player_sum=21, dealer_card=1, usable_ace=1)]
    expected = 2 * (1 / 13) * (4 / 13) / 13
    assert got == pytest.approx(expected, rel=1e-12)


def test_q_learning_runs_on_the_blackjack_model():
    result = rlf.q_learning(blackjack_model(), n_steps=2_000, gamma=1.0, seed=0)
    assert np.isfinite(result.q_values).all()
