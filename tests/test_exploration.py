"""The learners with regret guarantees: twins, exact regret, convergence, the chains' lesson."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import exploration, reference
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from tests import masked_models
from tests.strategies import examples, masked_mdps, tabular_mdps

CASES = [
    pytest.param("ucbvi", {"bonus_scale": 0.1}, id="ucbvi"),
    pytest.param("psrl", {}, id="psrl"),
    pytest.param("psrl", {"transition_prior": 0.5, "reward_prior_mean": 1.0}, id="psrl-prior"),
    pytest.param("rmax", {"known_visits": 3}, id="rmax"),
    pytest.param("ucb_q_learning", {"bonus_scale": 0.05}, id="ucb-q-hoeffding"),
    pytest.param(
        "ucb_q_learning", {"bonus": "bernstein", "bonus_scale": 0.05}, id="ucb-q-bernstein"
    ),
    pytest.param("ucb_q_learning", {"bonus": "none", "epsilon": 0.2}, id="epsilon-greedy"),
]


def river_swim() -> rlf.TabularMDP:
    """Osband et al.'s rescaled RiverSwim: rewards 0.005 and 1."""
    return rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)


def digest(result) -> str:
    sha = hashlib.sha256()
    for array in (result.regret, result.q_values, result.episode_returns):
        sha.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return sha.hexdigest()[:16]


def assert_same(got, expected) -> None:
    np.testing.assert_array_equal(got.regret, expected.regret)
    np.testing.assert_array_equal(got.episode_regret, expected.episode_regret)
    np.testing.assert_array_equal(got.episode_returns, expected.episode_returns)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert got.optimal_value == expected.optimal_value


@pytest.mark.parametrize(("name", "options"), CASES)
def test_kernel_matches_reference_on_frozenlake(name, options):
    mdp = rlf.from_env("FrozenLake-v1")  # three outcomes per pair, holes that terminate
    got = getattr(rlf, name)(mdp, 12, 25, seed=7, **options)
    expected = getattr(reference, name)(mdp, 12, 25, seed=7, **options)
    assert_same(got, expected)


@examples(25)
@given(
    mdp=tabular_mdps(max_states=5, max_actions=3, max_outcomes=3),
    case=st.sampled_from([param.values for param in CASES]),
    horizon=st.integers(1, 6),
    seed=st.integers(0, 2**64 - 1),
)
def test_kernel_matches_reference_on_random_models(mdp, case, horizon, seed):
    name, options = case
    got = getattr(rlf, name)(mdp, horizon, 8, seed=seed, **options)
    expected = getattr(reference, name)(mdp, horizon, 8, seed=seed, **options)
    assert_same(got, expected)


#: Digests of this branch's first version (kernel and twin agreed bit for bit then).
GOLDEN = {
    "ucbvi": "c440e343d39c12a2",
    "psrl": "20d17c1bda45d819",
    "psrl-prior": "97f5a6714a416820",
    "rmax": "f6f886889784b843",
    "ucb-q-hoeffding": "6a86f84f7d16431a",
    "ucb-q-bernstein": "1f0d0a6a91e363c6",
    "epsilon-greedy": "b27a3723ebc1b1af",
}


@pytest.mark.parametrize(("name", "options"), CASES)
def test_results_match_their_golden_digests(request, name, options):
    case = request.node.callspec.id
    got = digest(getattr(rlf, name)(river_swim(), 10, 60, seed=11, **options))
    expected = GOLDEN[case]
    assert got == expected


def dense_regret(mdp: rlf.TabularMDP, horizon: int, policy: np.ndarray) -> float:
    """``initial . (V*_0 - V^pi_0)`` by matrix products on the dense model (an independent
    evaluation: no slots, no kernels)."""
    transition, reward = mdp.to_dense(absorbing=True)  # (S + 1, A, S + 1), (S + 1, A)
    states = np.arange(mdp.n_states + 1)
    value = np.zeros(mdp.n_states + 1)
    for t in range(horizon - 1, -1, -1):
        actions = np.append(policy[t], 0)  # the absorbing state S has one action worth 0
        value = reward[states, actions] + transition[states, actions] @ value
    optimal = rlf.backward_induction(mdp, horizon).values[0]
    return float(mdp.initial @ (optimal - value[:-1]))


@pytest.mark.parametrize(
    ("name", "options"),
    [
        pytest.param("ucbvi", {"bonus_scale": 0.1}, id="ucbvi"),
        pytest.param("psrl", {}, id="psrl"),
        pytest.param("rmax", {"known_visits": 3}, id="rmax"),
    ],
)
def test_regret_of_the_last_episode_is_the_dense_value_gap_of_its_plan(name, options):
    mdp = rlf.from_env("FrozenLake-v1")
    result = getattr(rlf, name)(mdp, 15, 40, seed=1, **options)
    got = result.episode_regret[-1]
    expected = dense_regret(mdp, 15, result.policy)
    assert got == pytest.approx(expected, abs=1e-12)


def test_regret_is_zero_when_there_is_nothing_to_choose():
    mdp = rlf.TabularMDP(
        next_state=[[[0, 1]], [[0, 1]]],
        prob=[[[0.5, 0.5]], [[0.2, 0.8]]],
        reward=[[[1.0, 0.0]], [[0.0, 1.0]]],
        terminated=[[[False, False]], [[False, True]]],
        initial=[1.0, 0.0],
    )
    got = rlf.psrl(mdp, 5, 30, seed=0).regret
    expected = np.zeros(30)
    np.testing.assert_array_equal(got, expected)


def test_cumulative_regret_is_the_running_sum_of_the_episodes_regret():
    result = rlf.ucbvi(river_swim(), 10, 50, seed=3, bonus_scale=0.1)
    got = result.regret
    expected = np.cumsum(result.episode_regret)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("name", "options", "tolerance"),
    [
        pytest.param("rmax", {"known_visits": 5}, 1e-3, id="rmax"),
        pytest.param("ucbvi", {"bonus_scale": 0.05}, 0.05, id="ucbvi"),
        pytest.param("psrl", {}, 0.05, id="psrl"),
    ],
)
def test_late_episodes_are_near_optimal_on_river_swim(name, options, tolerance):
    """After 600 episodes, the last 100 lose at most ``tolerance`` of V*(s0) on average
    (R-max: at most that in every episode), for every seed."""
    runs = rlf.exploration_sweep(name, river_swim(), 20, 600, seeds=[0, 1, 2], **options)
    for run in runs:
        late = run.episode_regret[-100:]
        got = late.max() if name == "rmax" else late.mean()
        assert got < tolerance * run.optimal_value


def second_half_ratio(runs) -> np.ndarray:
    """Regret of the second half of the episodes over that of the first, per run: about 1
    for a regret growing linearly, near 0 for one that flattens."""
    regret = np.stack([run.regret for run in runs])
    half = regret.shape[1] // 2
    return (regret[:, -1] - regret[:, half - 1]) / regret[:, half - 1]


CHAINS = {
    "river_swim": (river_swim, 20),
    "deep_sea": (lambda: rlf.problems.deep_sea(10, deterministic=False), 10),
}
EPSILON_GREEDY = ("ucb_q_learning", {"bonus": "none", "epsilon": 0.1})
GUARANTEED = {
    "river_swim": [
        ("psrl", {}),
        ("ucbvi", {"bonus_scale": 0.05}),
        ("rmax", {"known_visits": 5}),
    ],
    "deep_sea": [
        ("ucbvi", {"bonus_scale": 0.01}),
        ("rmax", {"known_visits": 5}),
        ("ucb_q_learning", {"bonus": "hoeffding", "bonus_scale": 0.003}),
        ("ucb_q_learning", {"bonus": "bernstein", "bonus_scale": 0.01}),
    ],
}


@pytest.mark.parametrize("chain", list(CHAINS))
def test_epsilon_greedy_regret_grows_linearly_on_the_chains(chain):
    make, horizon = CHAINS[chain]
    name, options = EPSILON_GREEDY
    runs = rlf.exploration_sweep(name, make(), horizon, 1000, seeds=[0, 1, 2], **options)
    got = second_half_ratio(runs)
    assert np.all(got > 0.9)


@pytest.mark.parametrize(
    ("chain", "name", "options"),
    [
        pytest.param(chain, name, options, id=f"{chain}-{name}-{i}")
        for chain, learners in GUARANTEED.items()
        for i, (name, options) in enumerate(learners)
    ],
)
def test_guaranteed_learners_regret_flattens_on_the_chains(chain, name, options):
    make, horizon = CHAINS[chain]
    runs = rlf.exploration_sweep(name, make(), horizon, 1000, seeds=[0, 1, 2], **options)
    got = second_half_ratio(runs)
    assert np.all(got < 0.5)


def test_chunked_run_with_progress_equals_one_call():
    calls = []
    got = rlf.psrl(river_swim(), 10, 150, seed=5, progress=lambda done, total: calls.append(done))
    expected = rlf.psrl(river_swim(), 10, 150, seed=5)
    assert_same(got, expected)
    assert calls == [64, 128, 150]


def test_ctrl_c_returns_the_episodes_finished():
    def interrupt(done, total):
        raise KeyboardInterrupt

    got = rlf.ucbvi(
        river_swim(), 10, 500, seed=2, bonus_scale=0.1, progress=interrupt, on_interrupt="return"
    )
    full = rlf.ucbvi(river_swim(), 10, 500, seed=2, bonus_scale=0.1)
    expected = full.regret[: exploration.CHUNK_EPISODES]
    assert got.interrupted
    np.testing.assert_array_equal(got.regret, expected)


def test_ctrl_c_is_raised_by_default():
    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rlf.rmax(river_swim(), 10, 200, seed=0, progress=interrupt)


@pytest.mark.parametrize(("name", "options"), CASES)
def test_sweep_over_seeds_equals_single_runs(name, options):
    runs = rlf.exploration_sweep(name, river_swim(), 10, 40, seeds=[0, 9, 2**63], **options)
    for run in runs:
        expected = getattr(rlf, name)(river_swim(), 10, 40, seed=run.seed, **options)
        assert_same(run, expected)


def test_unknown_bonus_is_refused_before_any_kernel_runs():
    with pytest.raises(InvalidValueError, match="bonus"):
        rlf.ucb_q_learning(river_swim(), 10, 5, bonus="ucb")


def test_epsilon_is_refused_by_the_planners():
    with pytest.raises(InvalidValueError, match="epsilon"):
        exploration._learn("ucbvi", river_swim(), 5, 5, [0], None, "raise", {"epsilon": 0.1})


def test_sweep_refuses_an_option_of_another_learner():
    with pytest.raises(InvalidValueError, match="known_visits"):
        rlf.exploration_sweep("psrl", river_swim(), 5, 5, seeds=[0], known_visits=3)


def test_horizon_must_be_a_positive_int():
    with pytest.raises(InvalidTypeError, match="horizon"):
        rlf.ucbvi(river_swim(), 2.5, 5)


def test_seeds_must_be_a_sequence():
    with pytest.raises(InvalidTypeError, match="seeds"):
        rlf.exploration_sweep("rmax", river_swim(), 5, 5, seeds=3)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"n_episodes": 10**30}, InvalidValueError, id="episodes-huge"),
        pytest.param({"n_episodes": True}, InvalidTypeError, id="episodes-bool"),
        pytest.param({"horizon": 0}, InvalidValueError, id="horizon-zero"),
        pytest.param({"seed": 2**64}, InvalidValueError, id="seed-huge"),
        pytest.param({"known_visits": 0}, InvalidValueError, id="known-visits-zero"),
    ],
)
def test_bad_arguments_are_user_errors(arguments, error):
    call = {"mdp": river_swim(), "horizon": 5, "n_episodes": 5, **arguments}
    with pytest.raises(error, match=next(iter(arguments))):
        rlf.rmax(**call)


# -- record_episodes=False: bounded memory ----------------------------------------------------
@pytest.mark.parametrize(("name", "options"), CASES)
def test_without_records_the_checkpoints_hold_the_full_curve_bit_for_bit(name, options):
    learner = getattr(rlf, name)
    got = learner(river_swim(), 5, 2_500, seed=3, record_episodes=False, **options)
    full = learner(river_swim(), 5, 2_500, seed=3, **options)
    assert not got.record_episodes and got.n_episodes == 2_500
    assert got.regret.tobytes() == full.regret[got.checkpoints - 1].tobytes()
    assert got.episode_regret.tobytes() == full.episode_regret[-100:].tobytes()
    assert got.episode_returns.tobytes() == full.episode_returns[-100:].tobytes()
    assert got.q_values.tobytes() == full.q_values.tobytes()
    assert got.return_sum == np.cumsum(full.episode_returns)[-1]


def test_checkpoints_are_evenly_spaced_and_end_at_the_last_episode():
    marks = exploration.checkpoints(2_500)
    assert marks.shape == (exploration.REGRET_CHECKPOINTS,)
    assert marks[0] == 3 and marks[-1] == 2_500
    assert set(np.diff(marks).tolist()) == {2, 3}  # 2.5 episodes apart, rounded up
    assert exploration.checkpoints(7).tolist() == [1, 2, 3, 4, 5, 6, 7]


def peak_bytes(n_episodes: int, record_episodes: bool) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        rlf.rmax(river_swim(), 5, n_episodes, seed=0, record_episodes=record_episodes)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_without_records_does_not_grow_with_n_episodes():
    peak_bytes(2_000, False)  # compiled and warm
    small, large = peak_bytes(10_000, False), peak_bytes(200_000, False)
    # With records, the 190,000 more episodes hold 2 * 190,000 * 8 bytes = 3 MB more; without,
    # the peak moves by tens of kB either way (Numba's dispatch, not the run's buffers).
    assert large - small < 250_000
    assert peak_bytes(200_000, True) - small > 3_000_000


def test_ctrl_c_without_records_keeps_the_regret_of_the_episodes_finished():
    calls = []

    def interrupt(done, total):
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    got = rlf.psrl(
        river_swim(), 5, 5_000, seed=1, record_episodes=False, progress=interrupt,
        on_interrupt="return",
    )  # fmt: skip
    full = rlf.psrl(river_swim(), 5, 5_000, seed=1)
    done = 3 * exploration.CHUNK_EPISODES
    assert got.interrupted and got.n_episodes == done
    assert got.checkpoints[-1] == done
    assert got.regret.tobytes() == full.regret[got.checkpoints - 1].tobytes()


def test_record_episodes_must_be_a_bool():
    with pytest.raises(InvalidTypeError, match="record_episodes"):
        rlf.ucbvi(river_swim(), 5, 5, record_episodes="no")


# -- action masks ------------------------------------------------------------------------------
def masked_dense_values(mdp: rlf.TabularMDP, horizon: int, policy=None, epsilon: float = 0.0):
    """V_0 on the dense model (to_dense: -inf at masked pairs) by matrix products: the optimum
    over the allowed actions, or the epsilon-greedy ``policy`` (H, S) exploring among them."""
    transition, reward = mdp.to_dense(absorbing=True)  # (S + 1, A, S + 1), (S + 1, A)
    allowed = np.isfinite(reward)
    value = np.zeros(mdp.n_states + 1)
    for t in range(horizon - 1, -1, -1):
        q = np.where(allowed, np.where(allowed, reward, 0.0) + transition @ value, -np.inf)
        if policy is None:
            value = q.max(axis=1)
            continue
        weights = epsilon * allowed / allowed.sum(axis=1, keepdims=True)
        weights[np.arange(mdp.n_states), policy[t]] += 1.0 - epsilon
        weights[mdp.n_states] = 0.0
        weights[mdp.n_states, 0] = 1.0  # the absorbing state
        value = (weights * np.where(allowed, q, 0.0)).sum(axis=1)
    return value[:-1]


@examples(25)
@given(
    mdp=masked_mdps(max_states=5, max_actions=3),
    case=st.sampled_from([param.values for param in CASES]),
    horizon=st.integers(1, 6),
    seed=st.integers(0, 2**64 - 1),
)
def test_kernel_matches_reference_on_masked_models(mdp, case, horizon, seed):
    name, options = case
    got = getattr(rlf, name)(mdp, horizon, 8, seed=seed, **options)
    expected = getattr(reference, name)(mdp, horizon, 8, seed=seed, **options)
    assert_same(got, expected)
    assert mdp.action_mask[np.arange(mdp.n_states), got.policy].all()


@pytest.mark.parametrize(("name", "options"), CASES)
def test_an_all_true_mask_changes_no_bit(request, name, options):
    everything = river_swim().with_action_mask(np.ones((6, 2), dtype=bool))
    got = digest(getattr(rlf, name)(everything, 10, 60, seed=11, **options))
    assert got == GOLDEN[request.node.callspec.id]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_masked_regret_is_measured_against_the_masked_optimum(name, options):
    # The trapped grid: a masked step would pay +1000 (the unmasked optimum takes it); the
    # regret is against the optimum over the allowed actions, by an independent dense pass.
    mdp = masked_models.trapped_grid(initial="spread")
    horizon = 10
    result = getattr(rlf, name)(mdp, horizon, 300, seed=2, **options)
    assert result.episode_returns.max() < 0  # no masked action was ever taken
    optimum = masked_dense_values(mdp, horizon)
    assert result.optimal_value == pytest.approx(float(mdp.initial @ optimum), abs=1e-12)
    unmasked = dataclasses.replace(mdp, action_mask=None)
    assert rlf.backward_induction(unmasked, horizon).values[0] @ mdp.initial > 900
    epsilon = options.get("epsilon", 0.0)
    played = masked_dense_values(mdp, horizon, result.policy, epsilon)
    if name != "ucb_q_learning":  # the planners' last plan is the policy they played
        assert result.episode_regret[-1] == pytest.approx(mdp.initial @ (optimum - played))
    assert (result.episode_regret >= -1e-9).all()
    assert mdp.action_mask[np.arange(mdp.n_states), result.policy].all()
    assert np.all(result.q_values[:, ~mdp.action_mask] == -np.inf)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        pytest.param("rmax", {"known_visits": 1}, id="rmax"),
        pytest.param("ucbvi", {"bonus_scale": 0.01}, id="ucbvi"),
        # A deterministic model: a small noise variance and Dirichlet prior suit it (4 of 4
        # seeds tried reach 0; the defaults are still exploring after 1000 episodes).
        pytest.param("psrl", {"reward_noise_variance": 0.01, "transition_prior": 0.1}, id="psrl"),
    ],
)
def test_planners_reach_zero_regret_on_the_masked_grid(name, options):
    # Deterministic, the goal pays 1: once every allowed pair is known, the plan is the
    # masked optimum. (The reward range told is the allowed pairs', [0, 1], not the trap's.)
    mdp = masked_models.trapped_grid(initial="spread", goal_reward=1.0)
    result = getattr(rlf, name)(mdp, 10, 400, seed=3, **options)
    np.testing.assert_allclose(result.episode_regret[-20:], 0.0, atol=1e-9)
