"""Monte Carlo control: exploring starts, on-policy and off-policy, against Blackjack's optimum."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import reference
from rlfoundations.errors import InvalidValueError
from tests import masked_models
from tests.strategies import discounts, examples, masked_mdps, tabular_mdps

METHODS = ["exploring_starts", "on_policy", "off_policy"]


def digest(result) -> str:
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(result.q_values, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_returns, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_lengths, dtype=np.int64).tobytes())
    return sha.hexdigest()


@examples(30)
@given(
    mdp=tabular_mdps(max_states=8, max_actions=3, max_outcomes=3, terminal_rate=0.3),
    method=st.sampled_from(METHODS),
    gamma=discounts(0.99),
    epsilon=st.sampled_from([0.0, 0.2, 1.0]),
    seed=st.integers(0, 2**64 - 1),
)
def test_monte_carlo_control_matches_its_twin_bit_for_bit(mdp, method, gamma, epsilon, seed):
    arguments = {"method": method, "epsilon": epsilon, "seed": seed}
    got = rlf.monte_carlo_control(mdp, gamma, 300, **arguments)
    expected = reference.monte_carlo_control(mdp, gamma, 300, **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()


@pytest.mark.parametrize("method", METHODS)
def test_monte_carlo_control_curve_matches_its_twin(method):
    mdp = rlf.from_env("FrozenLake-v1")
    got = rlf.monte_carlo_control(mdp, 0.9, 3_000, method=method, seed=1, eval_every=1_000)
    expected = reference.monte_carlo_control(
        mdp, 0.9, 3_000, method=method, seed=1, eval_every=1_000
    )
    assert got.curve_steps.tolist() == [0, 1000, 2000, 3000]
    np.testing.assert_allclose(got.curve_values, expected.curve_values, rtol=1e-12, atol=1e-15)


#: Digests of this branch's first implementation (a regression guard, not an outside answer).
GOLDEN = {
    "exploring_starts": "eb32f73c6fcaef6429895dc07e0b25ea75892f35057714d095fd10898be3a8d9",
    "on_policy": "c85499a09de55fa77a6a1d3c06f27a7b39ac239ae9d1d4e02f8a7c4ce5de8afe",
    "off_policy": "eebdec40481d2104e0f89b6b1219db6fc83a51628fcc646d6845842148442986",
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("module", [rlf, reference], ids=["kernel", "twin"])
def test_monte_carlo_control_keeps_its_golden_digest(method, module):
    mdp = rlf.from_env("FrozenLake-v1")
    got = module.monte_carlo_control(mdp, 0.95, 5_000, method=method, epsilon=0.2, seed=7)
    assert digest(got) == GOLDEN[method]


def basic_strategy_states(mdp) -> np.ndarray:
    """Figure 5.2's 200 states: player sums 12..21, dealer's card ace..10, usable ace or not."""
    return np.array(
        [
            mdp.encode(player_sum=p, dealer_card=d, usable_ace=u, natural=0)
            for p in range(12, 22)
            for d in range(1, 11)
            for u in (0, 1)
        ]
    )


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method", METHODS)
def test_monte_carlo_control_approaches_blackjacks_basic_strategy(method, seed):
    # The solved policy is figure 5.2's (tests/test_blackjack.py); 1M steps, ~650k episodes.
    mdp = rlf.from_env("Blackjack-v1")
    expected = rlf.value_iteration(mdp, 1.0, epsilon=1e-12).policy
    got = rlf.monte_carlo_control(mdp, 1.0, 1_000_000, method=method, seed=seed).policy
    states = basic_strategy_states(mdp)
    assert np.mean(got[states] == expected[states]) >= 0.93


def test_chunked_run_equals_the_unchunked_run():
    mdp = rlf.from_env("FrozenLake-v1")
    calls = []
    got = rlf.monte_carlo_control(
        mdp, 0.9, 30_000, method="on_policy", seed=2, progress=lambda d, n: calls.append(d)
    )
    expected = rlf.monte_carlo_control(mdp, 0.9, 30_000, method="on_policy", seed=2)
    assert calls[-1] == 30_000
    assert digest(got) == digest(expected)


def test_ctrl_c_returns_what_was_learned():
    mdp = rlf.from_env("Blackjack-v1")

    def interrupt(done, total):
        raise KeyboardInterrupt

    got = rlf.monte_carlo_control(
        mdp, 1.0, 10**8, seed=2, progress=interrupt, on_interrupt="return"
    )
    expected = rlf.monte_carlo_control(mdp, 1.0, got.total_steps, seed=2)
    assert got.interrupted and got.total_steps < 10**8
    assert digest(got) == digest(expected)


def test_without_records_the_summaries_match_the_records():
    mdp = rlf.from_env("Blackjack-v1")
    got = rlf.monte_carlo_control(mdp, 1.0, 20_000, seed=3, record_episodes=False)
    expected = rlf.monte_carlo_control(mdp, 1.0, 20_000, seed=3)
    assert expected.n_episodes > 4096
    assert got.n_episodes == expected.n_episodes
    assert got.mean_return == pytest.approx(expected.mean_return, rel=1e-12)
    assert got.episode_returns.tolist() == expected.episode_returns[-100:].tolist()


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        pytest.param({"method": "es"}, "method", id="method"),
        pytest.param({"epsilon": 1.5}, "epsilon", id="epsilon"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments, match):
    with pytest.raises(InvalidValueError, match=match):
        rlf.monte_carlo_control(rlf.from_env("FrozenLake-v1"), 0.9, 10, **arguments)


def test_sweep_runs_equal_their_twins_and_the_same_runs_made_alone():
    mdp = rlf.from_env("FrozenLake-v1")
    arguments = {"gamma": 0.9, "n_steps": 3_000, "seeds": [1, 2], "epsilon": [0.1, 0.3]}
    got = rlf.monte_carlo_control_sweep(mdp, method="on_policy", **arguments)
    expected = reference.monte_carlo_control_sweep(mdp, method="on_policy", **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    alone = rlf.monte_carlo_control(mdp, n_steps=3_000, method="on_policy", **got.params[3])
    assert digest(got.run(3)) == digest(alone)


def test_sweep_results_do_not_depend_on_the_thread_count():
    import numba

    mdp = rlf.from_env("Blackjack-v1")
    arguments = {"gamma": 1.0, "n_steps": 20_000, "seeds": range(4), "method": "on_policy"}
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        got = rlf.monte_carlo_control_sweep(mdp, **arguments)
    finally:
        numba.set_num_threads(threads)
    expected = rlf.monte_carlo_control_sweep(mdp, **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()


# -- action masks ------------------------------------------------------------------------------
@examples(30)
@given(
    mdp=masked_mdps(max_states=8, max_actions=3),
    method=st.sampled_from(METHODS),
    gamma=discounts(0.99),
    epsilon=st.sampled_from([0.0, 0.2, 1.0]),
    seed=st.integers(0, 2**64 - 1),
)
def test_masked_monte_carlo_control_matches_its_twin_bit_for_bit(mdp, method, gamma, epsilon, seed):
    arguments = {"method": method, "epsilon": epsilon, "seed": seed}
    got = rlf.monte_carlo_control(mdp, gamma, 300, **arguments)
    expected = reference.monte_carlo_control(mdp, gamma, 300, **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()
    assert np.all(got.q_values[~mdp.action_mask] == -np.inf)


@pytest.mark.parametrize("method", METHODS)
def test_an_all_true_mask_changes_no_bit(method):
    mdp = rlf.from_env("FrozenLake-v1")
    everything = mdp.with_action_mask(np.ones((16, 4), dtype=bool))
    got = rlf.monte_carlo_control(everything, 0.95, 5_000, method=method, epsilon=0.2, seed=7)
    assert digest(got) == GOLDEN[method]


@pytest.mark.parametrize("method", METHODS)
def test_monte_carlo_control_never_takes_a_masked_action_and_learns_the_masked_optimum(method):
    # Episodes start anywhere but the goal (which pays 1); up out of row 1 is masked (it
    # would pay +1000: the unmasked optimum there), so from (2, 0) the masked optimum goes
    # round by column 3 in 8 steps. (3 of 3 seeds tried learn the exact optimum.)
    mdp = masked_models.trapped_grid(initial="spread", max_episode_steps=30, goal_reward=1.0)
    result = rlf.monte_carlo_control(mdp, 0.9, 200_000, method=method, epsilon=0.2, seed=1)
    assert result.episode_returns.max() == 1.0  # one masked step would have paid +1000
    assert np.all(result.q_values[~mdp.action_mask] == -np.inf)
    exact = rlf.value_iteration(mdp, gamma=0.9)
    expected = [
        masked_models.optimal_value(row, column, 0.9, goal_reward=1.0)
        for row in range(masked_models.ROWS)
        for column in range(masked_models.COLUMNS)
    ]
    np.testing.assert_allclose(exact.values, expected, atol=1e-9)
    got = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values
    np.testing.assert_allclose(got, exact.values, atol=1e-9)
    assert len(masked_models.greedy_steps(mdp, result.policy)) == 8


def test_exploring_starts_start_only_from_allowed_pairs():
    # One state, three actions, the middle one masked; every episode is one step long, so
    # its first (exploring) action is the only one: it is never the masked one.
    mdp = rlf.TabularMDP(
        np.zeros((1, 3, 1), dtype=np.int64),
        np.ones((1, 3, 1)),
        np.array([[[1.0], [100.0], [2.0]]]),
        np.ones((1, 3, 1), dtype=bool),
        np.ones(1),
        action_mask=[[True, False, True]],
    )
    result = rlf.monte_carlo_control(mdp, 1.0, 2_000, seed=5)
    assert set(result.episode_returns.tolist()) == {1.0, 2.0}
    assert result.q_values.tolist() == [[1.0, -np.inf, 2.0]]


def test_masked_sweep_runs_equal_single_runs():
    mdp = masked_models.trapped_grid(initial="spread", max_episode_steps=30, goal_reward=1.0)
    arguments = {"gamma": 0.9, "n_steps": 3_000, "seeds": [1, 2], "epsilon": [0.1, 0.3]}
    got = rlf.monte_carlo_control_sweep(mdp, method="on_policy", **arguments)
    expected = reference.monte_carlo_control_sweep(mdp, method="on_policy", **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()
