"""Prediction learners: n-step TD, TD(lambda) and Monte Carlo, against exact values and the book."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import reference
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from tests import masked_models
from tests.strategies import discounts, examples, masked_mdps, prediction_policies, tabular_mdps

WALK_POLICY = [0] * 21


def signed_walk() -> rlf.TabularMDP:
    """Figure 7.2's 19-state random walk: -1 on the left end, +1 on the right, values -0.9..0.9."""
    walk = rlf.problems.random_walk(19)
    reward = walk.reward.copy()
    inner = np.arange(walk.n_states)[:, None, None] != 0
    reward[(walk.next_state == 0) & walk.terminated & inner] = -1.0
    return rlf.TabularMDP(
        walk.next_state,
        walk.prob,
        reward,
        walk.terminated,
        walk.initial,
        max_episode_steps=walk.max_episode_steps,
    )


def digest(result) -> str:
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(result.values, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_returns, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_lengths, dtype=np.int64).tobytes())
    return sha.hexdigest()


@st.composite
def prediction_cases(draw):
    mdp = draw(tabular_mdps(max_states=8, max_actions=3, max_outcomes=3))
    policy = draw(prediction_policies(mdp))
    method = draw(
        st.sampled_from(
            [
                {"n": 1},
                {"n": 3},
                {"n": 20},
                {"lam": 0.0},
                {"lam": 0.7},
                {"lam": 0.0, "lam_method": "offline"},
                {"lam": 0.7, "lam_method": "offline"},
                {"lam": 1.0, "lam_method": "offline"},
            ]
        )
    )
    return mdp, policy, method


@examples(30)
@given(case=prediction_cases(), gamma=discounts(0.99), seed=st.integers(0, 2**64 - 1))
def test_td_prediction_matches_its_twin_bit_for_bit(case, gamma, seed):
    mdp, policy, method = case
    got = rlf.td_prediction(mdp, policy, gamma, 300, alpha=0.3, seed=seed, **method)
    expected = reference.td_prediction(mdp, policy, gamma, 300, alpha=0.3, seed=seed, **method)
    assert got.values.tobytes() == expected.values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()


@pytest.mark.parametrize(
    "method",
    [{"n": 4}, {"lam": 0.8}, {"lam": 0.8, "lam_method": "offline"}],
    ids=["n_step", "true_online", "offline"],
)
def test_td_prediction_curve_matches_its_twin(method):
    walk = signed_walk()
    got = rlf.td_prediction(
        walk, WALK_POLICY, 1.0, 2_000, alpha=0.1, seed=3, eval_every=500, **method
    )
    expected = reference.td_prediction(
        walk, WALK_POLICY, 1.0, 2_000, alpha=0.1, seed=3, eval_every=500, **method
    )
    assert got.curve_steps.tolist() == expected.curve_steps.tolist() == [0, 500, 1000, 1500, 2000]
    np.testing.assert_allclose(got.curve_rms, expected.curve_rms, rtol=1e-12)


#: Digests of this branch's first implementation (a regression guard, not an outside answer).
GOLDEN = {
    "n_step": "b4f8250577c5ab1640806ae6ba1a978b85c9b9f3907492e7f82381fb1d306e97",
    "true_online": "fcd4ede512b20ee3f69d9e1fa6be81138f943d3b1a4e8fe97774cf2f6316f696",
    "offline": "f42c8fc5c066e271f40cbb32af918a8f4c3121227f5dd1b949370a2463573a2b",
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
@pytest.mark.parametrize("module", [rlf, reference], ids=["kernel", "twin"])
def test_td_prediction_keeps_its_golden_digest(name, module):
    method = {
        "n_step": {"n": 3},
        "true_online": {"lam": 0.9},
        "offline": {"lam": 0.9, "lam_method": "offline"},
    }[name]
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)
    got = module.td_prediction(mdp, policy, 0.95, 5_000, alpha=0.1, seed=7, **method)
    assert digest(got) == GOLDEN[name]


def test_initial_rms_error_is_the_rms_of_the_true_values():
    # V = 0 at the start: the error is sqrt(mean((k / 10)^2, k = -9..9)) = sqrt(0.3).
    got = rlf.td_prediction(signed_walk(), WALK_POLICY, 1.0, 10, eval_every=10).curve_rms[0]
    assert got == pytest.approx(np.sqrt(0.3), rel=1e-12)


@pytest.mark.parametrize(
    "method",
    [{"n": 2}, {"lam": 0.5}, {"lam": 0.5, "lam_method": "offline"}],
    ids=["n_step", "true_online", "offline"],
)
def test_td_prediction_converges_to_the_exact_values_of_a_stochastic_policy(method):
    mdp = rlf.from_env("FrozenLake-v1", is_slippery=True)
    policy = np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)
    policy[:, 2] += 0.2
    policy[:, 0] -= 0.2
    expected = rlf.policy_evaluation(mdp, policy, 0.9).values
    alpha = rlf.Schedule.linear(0.05, 0.002, 300_000)
    got = rlf.td_prediction(mdp, policy, 0.9, 400_000, alpha=alpha, seed=5, **method).values
    acting = rlf.acting_states(mdp)
    np.testing.assert_allclose(got[acting], expected[acting], atol=0.02)


def test_true_online_td_zero_is_td_zero():
    walk = signed_walk()
    got = rlf.td_prediction(walk, WALK_POLICY, 0.9, 3_000, lam=0.0, alpha=0.2, seed=1).values
    expected = rlf.td_prediction(walk, WALK_POLICY, 0.9, 3_000, n=1, alpha=0.2, seed=1).values
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


# -- The offline lambda-return algorithm (Sutton & Barto, section 12.1) ---------------------------
def three_step_chain() -> rlf.TabularMDP:
    """0 -> 1 -> 2 -> end, one action, rewards 1, 0, 2 (state 3 absorbs, never acts)."""
    next_state = np.array([1, 2, 3, 3]).reshape(4, 1, 1)
    reward = np.array([1.0, 0.0, 2.0, 0.0]).reshape(4, 1, 1)
    terminated = np.array([False, False, True, True]).reshape(4, 1, 1)
    return rlf.TabularMDP(next_state, np.ones((4, 1, 1)), reward, terminated, [1.0, 0, 0, 0])


def test_offline_lambda_return_of_two_hand_computed_episodes():
    # gamma = lambda = alpha = 1/2. Episode 1, V = 0: G_2 = 2, G_1 = 0 + 1/2 (1/2 0 + 1/2 2)
    # = 1/2, G_0 = 1 + 1/2 (1/2 0 + 1/2 1/2) = 9/8, so V = (9/16, 1/4, 1). Episode 2 with those
    # frozen: G_2 = 2, G_1 = 1/2 (1/2 1 + 1/2 2) = 3/4, G_0 = 1 + 1/2 (1/2 1/4 + 1/2 3/4) = 5/4
    # (= 1/2 (G_{0:1} + 1/2 G_{0:2}) + 1/4 G_{0:3} = 1/2 (9/8 + 5/8) + 3/8), so
    # V = (9/16 + 1/2 (5/4 - 9/16), 1/4 + 1/2 (3/4 - 1/4), 1 + 1/2 (2 - 1)) = (29/32, 1/2, 3/2).
    arguments = {"lam": 0.5, "lam_method": "offline", "alpha": 0.5}
    first = rlf.td_prediction(three_step_chain(), [0] * 4, 0.5, 3, **arguments)
    second = rlf.td_prediction(three_step_chain(), [0] * 4, 0.5, 6, **arguments)
    assert first.values.tolist() == [9 / 16, 1 / 4, 1.0, 0.0]
    assert second.values.tolist() == [29 / 32, 1 / 2, 3 / 2, 0.0]


def replayed_episodes(mdp, policy, n_steps: int, seed: int) -> list:
    """The episodes a td_prediction run of ``seed`` sees: the shared random stream drawn in the
    kernels' order (the initial state, the action, the outcome), which no learner's values
    change. Each is (S_0 .. S_T, R_1 .. R_T, ended); an episode cut by ``n_steps`` is left out
    (nothing learns from it)."""
    from rlfoundations.reference.learning import ModelEnv
    from rlfoundations.reference.prediction import _draw_action, _policy_rows
    from rlfoundations.reference.random import Xoshiro256

    rng = Xoshiro256(seed)
    env, rows = ModelEnv(mdp, rng), _policy_rows(mdp, policy)
    episodes, t = [], 0
    while t < n_steps:
        states, rewards = [env.reset()], []
        while t < n_steps:
            s_next, r, done, truncated = env.step(states[-1], _draw_action(rows[states[-1]], rng))
            t += 1
            states.append(s_next)
            rewards.append(r)
            if done or truncated:
                episodes.append((np.array(states), np.array(rewards), done))
                break
    return episodes


def n_step_return(values, states, rewards, ended, gamma, t, n):
    """G_{t:t+n}, written out: discounted rewards, then the bootstrap unless the episode ended."""
    end = min(t + n, len(rewards))
    discounts = gamma ** np.arange(end - t)
    bootstrap = 0.0 if (end == len(rewards) and ended) else values[states[end]]
    return float(discounts @ rewards[t:end]) + gamma ** (end - t) * bootstrap


def offline_by_the_definition(mdp, episodes, gamma, lam, alpha):
    """Equations 12.2-12.4 term by term: each G^lambda_t a weighted sum of n-step returns from
    the values frozen over the episode, then V(S_t) += alpha (G^lambda_t - V(S_t)), t = 0 ..."""
    values = np.zeros(mdp.n_states)
    for states, rewards, ended in episodes:
        frozen, length = values.copy(), len(rewards)
        targets = []
        for t in range(length):
            tail = length - t
            weights = np.array(
                [(1 - lam) * lam ** (n - 1) for n in range(1, tail)] + [lam ** (tail - 1)]
            )
            returns = [
                n_step_return(frozen, states, rewards, ended, gamma, t, n)
                for n in range(1, tail + 1)
            ]
            targets.append(float(weights @ np.array(returns)))
        for t in range(length):
            values[states[t]] += alpha * (targets[t] - values[states[t]])
    return values


def walk_with_time_limit() -> rlf.TabularMDP:
    """The 5-state random walk cut at 6 steps: revisits, and truncated episodes that bootstrap."""
    import dataclasses

    return dataclasses.replace(rlf.problems.random_walk(5), max_episode_steps=6)


OFFLINE_CASES = [
    pytest.param(signed_walk, WALK_POLICY, 1.0, id="signed-walk"),
    pytest.param(walk_with_time_limit, [0] * 7, 0.9, id="walk-time-limit"),
]


@pytest.mark.parametrize("lam", [0.0, 0.6, 0.95, 1.0])
@pytest.mark.parametrize(("model", "policy", "gamma"), OFFLINE_CASES)
def test_offline_lambda_return_follows_its_definition(model, policy, gamma, lam):
    mdp = model()
    episodes = replayed_episodes(mdp, policy, 400, seed=11)
    if mdp.max_episode_steps is not None:  # some episodes truncated: they bootstrap
        assert not all(ended for _, _, ended in episodes)
    got = rlf.td_prediction(
        mdp, policy, gamma, 400, lam=lam, lam_method="offline", alpha=0.3, seed=11
    )
    expected = offline_by_the_definition(mdp, episodes, gamma, lam, alpha=0.3)
    np.testing.assert_allclose(got.values, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("model", "policy", "gamma"), OFFLINE_CASES)
def test_offline_lambda_zero_is_one_step_td_with_the_values_frozen_over_the_episode(
    model, policy, gamma
):
    # Target R_{t+1} + gamma V(S_{t+1}) from the episode's frozen V (0 past an ending step),
    # applied at the episode's end for t = 0 .. T-1.
    mdp = model()
    values = np.zeros(mdp.n_states)
    for states, rewards, ended in replayed_episodes(mdp, policy, 400, seed=5):
        frozen = values.copy()
        next_values = frozen[states[1:]]
        if ended:
            next_values[-1] = 0.0
        for s, target in zip(states[:-1], rewards + gamma * next_values, strict=True):
            values[s] += 0.3 * (target - values[s])
    got = rlf.td_prediction(
        mdp, policy, gamma, 400, lam=0.0, lam_method="offline", alpha=0.3, seed=5
    )
    np.testing.assert_allclose(got.values, values, rtol=1e-12, atol=1e-12)


def test_offline_lambda_one_is_constant_alpha_every_visit_monte_carlo():
    # Equation 6.1 at every visit, at the episode's end, in time order: V(S_t) += alpha (G_t -
    # V(S_t)), G_t the episode's return from t (the signed walk's episodes all end).
    mdp = signed_walk()
    values = np.zeros(mdp.n_states)
    for states, rewards, ended in replayed_episodes(mdp, WALK_POLICY, 2_000, seed=8):
        assert ended
        returns = np.cumsum(rewards[::-1])[::-1]  # gamma = 1
        for s, g in zip(states[:-1], returns, strict=True):
            values[s] += 0.05 * (g - values[s])
    got = rlf.td_prediction(
        mdp, WALK_POLICY, 1.0, 2_000, lam=1.0, lam_method="offline", alpha=0.05, seed=8
    )
    np.testing.assert_allclose(got.values, values, rtol=1e-12, atol=1e-12)


def test_offline_lambda_one_equals_n_step_td_with_n_longer_than_any_episode():
    # Both update every visited state at the episode's end, in time order, towards its return.
    walk = signed_walk()
    got = rlf.td_prediction(walk, WALK_POLICY, 0.95, 5_000, lam=1.0, lam_method="offline", seed=2)
    expected = rlf.td_prediction(walk, WALK_POLICY, 0.95, 5_000, n=5_001, seed=2)
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-14)


def test_offline_lambda_return_learns_nothing_before_the_episode_ends():
    walk = signed_walk()
    lengths = rlf.td_prediction(walk, WALK_POLICY, 1.0, 5_000, n=1).episode_lengths
    got = rlf.td_prediction(
        walk, WALK_POLICY, 1.0, int(lengths[0]) - 1, lam=0.5, lam_method="offline"
    )
    assert not got.values.any()


def test_a_long_episode_grows_the_offline_path_as_the_unchunked_run():
    # A 301-state walk cut at 5_000 steps: its episodes outgrow the path's first capacity.
    import dataclasses

    from rlfoundations.batch import INITIAL_PATH_CAPACITY

    walk = dataclasses.replace(rlf.problems.random_walk(301), max_episode_steps=5_000)
    n_steps = 12_000
    got = rlf.td_prediction(
        walk, [0] * 303, 1.0, n_steps, lam=0.9, lam_method="offline", progress=lambda d, t: None
    )
    expected = reference.td_prediction(walk, [0] * 303, 1.0, n_steps, lam=0.9, lam_method="offline")
    assert got.episode_lengths.max() > INITIAL_PATH_CAPACITY
    assert got.values.tobytes() == expected.values.tobytes()


def _best(sweep, axis_size, n_alphas, n_seeds):
    """Index of the axis value with the lowest error (averaged over the curve and the seeds,
    minimised over alpha)."""
    error = sweep.curve_rms[:, 1:].mean(axis=1).reshape(n_alphas, axis_size, n_seeds)
    return int(np.argmin(error.mean(axis=2).min(axis=0)))


ALPHAS = [0.1, 0.2, 0.4, 0.6, 0.8]


@pytest.mark.parametrize("first_seed", [0, 1000], ids=["seeds-0", "seeds-1000"])
def test_random_walk_best_n_is_intermediate_as_in_figure_7_2(first_seed):
    # About the first 10 episodes (100 steps each on average) of 30 runs per (n, alpha).
    ns = [1, 2, 4, 8, 16, 64, 256]
    result = rlf.prediction_sweep(
        signed_walk(),
        WALK_POLICY,
        gamma=1.0,
        n_steps=1_000,
        seeds=range(first_seed, first_seed + 30),
        n=ns,
        alpha=ALPHAS,
        eval_every=50,
    )
    got = ns[_best(result, len(ns), len(ALPHAS), 30)]
    assert got in (2, 4, 8)


@pytest.mark.parametrize("first_seed", [0, 1000], ids=["seeds-0", "seeds-1000"])
def test_random_walk_best_lambda_is_intermediate_as_in_figure_12_8(first_seed):
    lams = [0.0, 0.4, 0.8, 0.9, 0.95, 1.0]
    result = rlf.prediction_sweep(
        signed_walk(),
        WALK_POLICY,
        gamma=1.0,
        n_steps=1_000,
        seeds=range(first_seed, first_seed + 30),
        lam=lams,
        alpha=ALPHAS,
        eval_every=50,
    )
    got = lams[_best(result, len(lams), len(ALPHAS), 30)]
    assert 0.0 < got < 1.0


OFFLINE_LAMS = [0.0, 0.4, 0.8, 0.9, 0.95, 1.0]
FIGURE_NS = [1, 2, 4, 8, 16, 64, 256]


def first_ten_episodes(first_seed: int, **axis):
    """About the first 10 episodes (100 steps each on average) of 30 runs per point."""
    return rlf.prediction_sweep(
        signed_walk(),
        WALK_POLICY,
        gamma=1.0,
        n_steps=1_000,
        seeds=range(first_seed, first_seed + 30),
        alpha=ALPHAS,
        eval_every=50,
        **axis,
    )


@pytest.mark.parametrize("first_seed", [0, 1000], ids=["seeds-0", "seeds-1000"])
def test_random_walk_best_offline_lambda_is_intermediate_as_in_figure_12_3(first_seed):
    result = first_ten_episodes(first_seed, lam=OFFLINE_LAMS, lam_method="offline")
    got = OFFLINE_LAMS[_best(result, len(OFFLINE_LAMS), len(ALPHAS), 30)]
    assert 0.0 < got < 1.0


@pytest.mark.parametrize("first_seed", [0, 1000], ids=["seeds-0", "seeds-1000"])
def test_offline_lambda_return_does_about_as_well_as_n_step_td_as_figures_12_3_and_7_2_show(
    first_seed,
):
    # Section 12.1 compares figure 12.3 with figure 7.2: the two families do about equally well
    # at their best; the lowest errors (over lambda or n, and alpha) agree within 10%.
    offline = first_ten_episodes(first_seed, lam=OFFLINE_LAMS, lam_method="offline")
    n_step = first_ten_episodes(first_seed, n=FIGURE_NS)
    best = [
        sweep.curve_rms[:, 1:].mean(axis=1).reshape(len(ALPHAS), -1, 30).mean(axis=2).min()
        for sweep in (offline, n_step)
    ]
    assert best[0] == pytest.approx(best[1], rel=0.1)


def test_sweep_runs_equal_the_same_runs_made_alone():
    walk = signed_walk()
    result = rlf.prediction_sweep(
        walk, WALK_POLICY, gamma=0.9, n_steps=2_000, seeds=[4, 5], n=[1, 3], alpha=0.3
    )
    for i, point in enumerate(result.params):
        expected = rlf.td_prediction(walk, WALK_POLICY, n_steps=2_000, **point)
        assert digest(result.run(i)) == digest(expected)


def test_chunked_run_equals_the_unchunked_run():
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.full((16, 4), 0.25)
    calls = []
    got = rlf.td_prediction(
        mdp, policy, 0.9, 30_000, n=3, seed=2, progress=lambda done, total: calls.append(done)
    )
    expected = rlf.td_prediction(mdp, policy, 0.9, 30_000, n=3, seed=2)
    assert calls[-1] == 30_000
    assert digest(got) == digest(expected)


def test_ctrl_c_returns_what_was_learned():
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.full((16, 4), 0.25)

    def interrupt(done, total):
        raise KeyboardInterrupt

    got = rlf.td_prediction(
        mdp, policy, 0.9, 10**8, lam=0.5, seed=2, progress=interrupt, on_interrupt="return"
    )
    expected = rlf.td_prediction(mdp, policy, 0.9, got.total_steps, lam=0.5, seed=2)
    assert got.interrupted and got.total_steps < 10**8
    assert digest(got) == digest(expected)


def test_without_records_the_last_100_episodes_are_kept():
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.full((16, 4), 0.25)
    got = rlf.td_prediction(mdp, policy, 0.9, 60_000, seed=3, record_episodes=False)
    expected = rlf.td_prediction(mdp, policy, 0.9, 60_000, seed=3)
    assert expected.n_episodes > 4096  # past the first buffer
    assert got.n_episodes == expected.n_episodes
    assert got.episode_lengths.tolist() == expected.episode_lengths[-100:].tolist()
    assert got.values.tobytes() == expected.values.tobytes()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param(
            {"policy": np.full((21, 1), 0.5)}, InvalidValueError, "policy\\[0\\] sums", id="row"
        ),
        pytest.param({"policy": [0] * 20}, InvalidValueError, "shape", id="shape"),
        pytest.param({"policy": np.full(21, "a")}, InvalidTypeError, "dtype", id="dtype"),
        pytest.param({"lam": 1.5}, InvalidValueError, "lam", id="lam"),
        pytest.param({"n": 0}, InvalidValueError, "n", id="n"),
        pytest.param(
            {"alpha": rlf.Schedule.visit_count(0.8)}, InvalidValueError, "visit_count", id="visits"
        ),
        pytest.param(
            {"lam": 0.5, "lam_method": "forward"}, InvalidValueError, "lam_method", id="method"
        ),
        pytest.param(
            {"lam_method": "offline"}, InvalidValueError, "needs a lam", id="method-without-lam"
        ),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, error, match):
    arguments = {"policy": WALK_POLICY, **kwargs}
    with pytest.raises(error, match=match):
        rlf.td_prediction(signed_walk(), gamma=1.0, n_steps=10, **arguments)


def test_an_n_axis_with_lambda_is_refused():
    with pytest.raises(InvalidValueError, match="does not use n"):
        rlf.prediction_sweep(
            signed_walk(), WALK_POLICY, gamma=1.0, n_steps=10, seeds=0, n=[1, 2], lam=0.5
        )


def test_prediction_sweep_matches_its_twin():
    walk = signed_walk()
    arguments = {"gamma": 0.9, "n_steps": 500, "seeds": [1, 2], "lam": [0.3, 0.9], "alpha": 0.2}
    got = rlf.prediction_sweep(walk, WALK_POLICY, **arguments)
    expected = reference.prediction_sweep(walk, WALK_POLICY, **arguments)
    assert got.params == expected.params
    assert got.values.tobytes() == expected.values.tobytes()


@pytest.mark.parametrize(
    "name",
    [
        "td_prediction",
        "monte_carlo_prediction",
        "monte_carlo_control",
        "prediction_sweep",
        "acting_states",
        "PredictionResult",
    ],
)
def test_learners_reference_page_lists_every_prediction_learner(name):
    from pathlib import Path

    page = Path(__file__).parent.parent / "docs" / "reference" / "learning.md"
    assert f"::: rlfoundations.{name}\n" in page.read_text()


# -- Monte Carlo prediction ------------------------------------------------------------------------
@st.composite
def monte_carlo_cases(draw):
    mdp = draw(tabular_mdps(max_states=8, max_actions=3, max_outcomes=3))
    policy = draw(prediction_policies(mdp))
    off_policy = draw(st.booleans())
    behaviour = np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions) if off_policy else None
    options = {
        "first_visit": draw(st.booleans()),
        "behaviour": behaviour,
        "importance": draw(st.sampled_from(["ordinary", "weighted"])),
    }
    return mdp, policy, options


@examples(30)
@given(case=monte_carlo_cases(), gamma=discounts(0.99), seed=st.integers(0, 2**64 - 1))
def test_monte_carlo_prediction_matches_its_twin_bit_for_bit(case, gamma, seed):
    mdp, policy, options = case
    got = rlf.monte_carlo_prediction(mdp, policy, gamma, 300, seed=seed, **options)
    expected = reference.monte_carlo_prediction(mdp, policy, gamma, 300, seed=seed, **options)
    assert got.values.tobytes() == expected.values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()


def test_monte_carlo_curve_and_sweep_match_their_twins():
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.full((16, 4), 0.25)
    arguments = {"gamma": 0.9, "n_steps": 3_000, "seeds": [1, 2], "eval_every": 1_000}
    got = rlf.prediction_sweep(
        mdp, policy, "monte_carlo_prediction", first_visit=False, **arguments
    )
    expected = reference.prediction_sweep(
        mdp, policy, "monte_carlo_prediction", first_visit=False, **arguments
    )
    assert got.values.tobytes() == expected.values.tobytes()
    np.testing.assert_allclose(got.curve_rms, expected.curve_rms, rtol=1e-12)


MC_GOLDEN = {
    "first-visit": "d2bdd897b5228ca6ca62ef121ff053208b75d6001e0be31f6a7255d4a68eb4ec",
    "every-visit-ordinary": "a0a2312a517d7b4d892bb7ea0374eb84d3d0ce3ade4e50e1cb2e0e4f187e9756",
}


@pytest.mark.parametrize("name", sorted(MC_GOLDEN))
@pytest.mark.parametrize("module", [rlf, reference], ids=["kernel", "twin"])
def test_monte_carlo_prediction_keeps_its_golden_digest(name, module):
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.zeros((16, 4))
    policy[:, 1] = policy[:, 2] = 0.5
    options = (
        {}
        if name == "first-visit"
        else {"first_visit": False, "importance": "ordinary", "behaviour": np.full((16, 4), 0.25)}
    )
    got = module.monte_carlo_prediction(mdp, policy, 0.95, 5_000, seed=7, **options)
    assert digest(got) == MC_GOLDEN[name]


@pytest.mark.parametrize("first_visit", [True, False], ids=["first-visit", "every-visit"])
def test_monte_carlo_prediction_converges_to_the_random_walk_values(first_visit):
    # Sutton & Barto, example 6.2: true values 1/6 .. 5/6.
    walk = rlf.problems.random_walk(5)
    got = rlf.monte_carlo_prediction(walk, [0] * 7, 1.0, 200_000, first_visit=first_visit, seed=4)
    np.testing.assert_allclose(got.values[1:6], np.arange(1, 6) / 6, atol=0.01)


@pytest.mark.parametrize("importance", ["ordinary", "weighted"])
def test_off_policy_monte_carlo_converges_to_the_exact_values(importance):
    mdp = rlf.from_env("FrozenLake-v1")
    policy = np.zeros((16, 4))
    policy[:, 1] = policy[:, 2] = 0.5
    expected = rlf.policy_evaluation(mdp, policy, 0.9).values
    got = rlf.monte_carlo_prediction(
        mdp, policy, 0.9, 2_000_000, behaviour=np.full((16, 4), 0.25), importance=importance
    ).values
    acting = rlf.acting_states(mdp)
    np.testing.assert_allclose(got[acting], expected[acting], atol=0.06)


def blackjack_from_13_2_ace():
    """Figure 5.3's start: player sum 13 with a usable ace, dealer showing 2."""
    import dataclasses

    mdp = rlf.from_env("Blackjack-v1")
    start = mdp.encode(player_sum=13, dealer_card=2, usable_ace=1, natural=0)
    initial = np.zeros(mdp.n_states)
    initial[start] = 1.0
    sums = np.array([mdp.decode(s)["player_sum"] for s in range(mdp.n_states)])
    stick_on_20 = np.where(sums >= 20, 0, 1)
    return dataclasses.replace(mdp, initial=initial), start, stick_on_20


def test_blackjack_target_value_is_the_books():
    # Sutton & Barto, example 5.4: -0.27726 (their estimate from 100 million episodes).
    mdp, start, policy = blackjack_from_13_2_ace()
    got = rlf.policy_evaluation(mdp, policy, 1.0).values[start]
    assert got == pytest.approx(-0.27726, abs=2e-4)


@pytest.mark.parametrize("first_seed", [0, 10_000], ids=["seeds-0", "seeds-10000"])
def test_weighted_importance_sampling_has_lower_error_than_ordinary_as_in_figure_5_3(first_seed):
    mdp, start, policy = blackjack_from_13_2_ace()
    expected_value = rlf.policy_evaluation(mdp, policy, 1.0).values[start]
    errors = {}
    for importance in ("ordinary", "weighted"):
        # 15 steps: about 8 episodes of the uniform behaviour policy per run.
        result = rlf.prediction_sweep(
            mdp,
            policy,
            "monte_carlo_prediction",
            gamma=1.0,
            n_steps=15,
            seeds=range(first_seed, first_seed + 300),
            behaviour=np.full((mdp.n_states, 2), 0.5),
            importance=importance,
        )
        errors[importance] = np.mean((result.values[:, start] - expected_value) ** 2)
    assert errors["weighted"] < 0.6 * errors["ordinary"]


def test_a_behaviour_that_misses_a_target_action_is_refused_by_state_and_action():
    walk = rlf.problems.random_walk(5)
    mdp = rlf.from_env("FrozenLake-v1")
    behaviour = np.full((16, 4), 0.25)
    behaviour[3] = [0.5, 0.5, 0.0, 0.0]
    with pytest.raises(InvalidValueError, match=r"behaviour\[3, 2\] = 0.*state=3, action=2"):
        rlf.monte_carlo_prediction(mdp, [2] * 16, 0.9, 10, behaviour=behaviour)
    with pytest.raises(InvalidValueError, match="importance"):
        rlf.monte_carlo_prediction(walk, [0] * 7, 1.0, 10, importance="exact")


def test_lam_method_with_monte_carlo_is_refused():
    with pytest.raises(InvalidValueError, match="lam_method"):
        rlf.prediction_sweep(
            signed_walk(),
            WALK_POLICY,
            "monte_carlo_prediction",
            gamma=1.0,
            n_steps=10,
            seeds=0,
            lam_method="offline",
        )


def test_offline_sweep_matches_its_twin_and_its_runs_made_alone():
    walk = signed_walk()
    arguments = {"gamma": 0.9, "n_steps": 500, "seeds": [1, 2], "lam": [0.3, 0.9], "alpha": 0.2}
    got = rlf.prediction_sweep(walk, WALK_POLICY, lam_method="offline", **arguments)
    expected = reference.prediction_sweep(walk, WALK_POLICY, lam_method="offline", **arguments)
    assert got.params == expected.params
    assert got.values.tobytes() == expected.values.tobytes()
    alone = rlf.td_prediction(walk, WALK_POLICY, n_steps=500, **got.params[3])
    assert digest(got.run(3)) == digest(alone)


def test_an_alpha_axis_with_monte_carlo_is_refused():
    with pytest.raises(InvalidValueError, match="does not use alpha"):
        rlf.prediction_sweep(
            signed_walk(),
            WALK_POLICY,
            "monte_carlo_prediction",
            gamma=1.0,
            n_steps=10,
            seeds=0,
            alpha=[0.1, 0.2],
        )


@pytest.mark.parametrize("lam_method", ["true_online", "offline"])
def test_prediction_sweep_does_not_depend_on_the_thread_count(lam_method):
    import numba

    arguments = {
        "gamma": 1.0,
        "n_steps": 2_000,
        "seeds": range(4),
        "lam": [0.5, 0.9],
        "lam_method": lam_method,
    }
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        got = rlf.prediction_sweep(signed_walk(), WALK_POLICY, **arguments)
    finally:
        numba.set_num_threads(threads)
    expected = rlf.prediction_sweep(signed_walk(), WALK_POLICY, **arguments)
    assert got.values.tobytes() == expected.values.tobytes()


# -- action masks ------------------------------------------------------------------------------
def allowed_policy(mdp: rlf.TabularMDP, weights: np.ndarray) -> np.ndarray:
    """``weights`` (S, A) >= 0 made a policy of the masked ``mdp``: masked actions get 0, a
    row left without weight goes to its first allowed action."""
    weights = np.where(mdp.action_mask, weights, 0.0)
    empty = weights.sum(axis=1) == 0
    weights[empty, np.argmax(mdp.action_mask[empty], axis=1)] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)


@st.composite
def masked_prediction_cases(draw):
    mdp = draw(masked_mdps(max_states=8, max_actions=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    policy = allowed_policy(mdp, rng.integers(0, 4, size=(mdp.n_states, mdp.n_actions)) * 1.0)
    if draw(st.booleans()):  # deterministic: the most likely allowed action
        policy = np.argmax(policy, axis=1)
    return mdp, policy


@examples(30)
@given(
    case=masked_prediction_cases(),
    method=st.sampled_from([{"n": 1}, {"n": 3}, {"lam": 0.7}]),
    gamma=discounts(0.99),
    seed=st.integers(0, 2**64 - 1),
)
def test_masked_td_prediction_matches_its_twin_bit_for_bit(case, method, gamma, seed):
    mdp, policy = case
    got = rlf.td_prediction(mdp, policy, gamma, 300, alpha=0.3, seed=seed, **method)
    expected = reference.td_prediction(mdp, policy, gamma, 300, alpha=0.3, seed=seed, **method)
    assert got.values.tobytes() == expected.values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()


@examples(30)
@given(
    case=masked_prediction_cases(),
    off_policy=st.booleans(),
    importance=st.sampled_from(["ordinary", "weighted"]),
    gamma=discounts(0.99),
    seed=st.integers(0, 2**64 - 1),
)
def test_masked_monte_carlo_prediction_matches_its_twin_bit_for_bit(
    case, off_policy, importance, gamma, seed
):
    mdp, policy = case
    behaviour = allowed_policy(mdp, np.ones(mdp.action_mask.shape)) if off_policy else None
    options = {"behaviour": behaviour, "importance": importance, "seed": seed}
    got = rlf.monte_carlo_prediction(mdp, policy, gamma, 300, **options)
    expected = reference.monte_carlo_prediction(mdp, policy, gamma, 300, **options)
    assert got.values.tobytes() == expected.values.tobytes()
    assert got.episode_lengths.tolist() == expected.episode_lengths.tolist()


def _td_lambda(mdp, policy):
    alpha = rlf.Schedule.linear(0.1, 0.002, 200_000)
    return rlf.td_prediction(mdp, policy, 0.9, 200_000, alpha=alpha, lam=0.5, seed=1)


def _monte_carlo(mdp, policy):
    return rlf.monte_carlo_prediction(mdp, policy, 0.9, 200_000, seed=1)


def _off_policy_monte_carlo(mdp, policy):
    # Ordinary importance sampling from a behaviour halfway to uniform over the allowed actions.
    behaviour = (policy + allowed_policy(mdp, np.ones(mdp.action_mask.shape))) / 2.0
    return rlf.monte_carlo_prediction(
        mdp, policy, 0.9, 400_000, behaviour=behaviour, importance="ordinary", seed=1
    )


@pytest.mark.parametrize("learner", [_td_lambda, _monte_carlo, _off_policy_monte_carlo])
def test_masked_prediction_takes_no_masked_action_and_converges_to_the_exact_values(learner):
    # A policy over the allowed actions of the trapped grid (the goal pays 1): one masked
    # step would pay +1000. The target: the exact values of the same policy on the masked
    # model, by the exact solver.
    mdp = masked_models.trapped_grid(initial="spread", goal_reward=1.0)
    policy = allowed_policy(mdp, np.ones((12, 4)))
    policy[:, 0] += 1.0 * mdp.action_mask[:, 0]  # lean up, towards the goal, where allowed
    policy /= policy.sum(axis=1, keepdims=True)
    result = learner(mdp, policy)
    assert result.episode_returns.max() == 1.0
    expected = rlf.policy_evaluation(mdp, policy, 0.9).values
    acting = rlf.acting_states(mdp)
    np.testing.assert_allclose(result.values[acting], expected[acting], atol=0.05)


@pytest.mark.parametrize("deterministic", [True, False])
@pytest.mark.parametrize("learner", [rlf.td_prediction, rlf.monte_carlo_prediction])
def test_a_policy_that_takes_a_masked_action_is_refused_naming_the_pair(learner, deterministic):
    mdp = masked_models.trapped_grid()
    policy = np.full((12, 4), 0.25)  # gives up in (1, 0) a positive probability
    if deterministic:
        policy = np.zeros(12, dtype=np.int64)  # up everywhere
    with pytest.raises(InvalidValueError, match=r"state=4, action=0"):
        learner(mdp, policy, 0.9, 100)


def test_a_behaviour_that_takes_a_masked_action_is_refused_naming_the_pair():
    mdp = masked_models.trapped_grid()
    policy = allowed_policy(mdp, np.ones((12, 4)))
    with pytest.raises(InvalidValueError, match=r"behaviour\[4, 0\].*state=4, action=0"):
        rlf.monte_carlo_prediction(mdp, policy, 0.9, 100, behaviour=np.full((12, 4), 0.25))
