"""Trace learners: Sarsa(lambda) and Watkins's Q(lambda) against their twins, closed forms,
the exact optimum, and the engine's features (sweeps, chunks, interrupts, curves, records)."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import batch, reference
from rlfoundations.errors import InvalidValueError
from rlfoundations.schedules import Schedule
from tests import masked_models
from tests.strategies import discounts, examples, masked_mdps, tabular_mdps

LEARNERS = ["sarsa_lambda", "watkins_q_lambda"]
TRACES = ["accumulating", "replacing", "dutch"]


def unit_schedules(low: float) -> st.SearchStrategy:
    level = st.floats(low, 1.0)
    return st.one_of(
        level,
        st.builds(Schedule.linear, level, level, st.integers(1, 300)),
        st.builds(Schedule.exponential, level, level, st.floats(1.0, 300.0)),
    )


@st.composite
def trace_arguments(draw) -> dict:
    return {
        "gamma": draw(discounts(max_gamma=1.0)),
        "n_steps": draw(st.integers(1, 300)),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "alpha": draw(unit_schedules(0.01)),
        "epsilon": draw(unit_schedules(0.0)),
        "exploration": draw(st.sampled_from(["epsilon_greedy", "softmax"])),
        "temperature": draw(st.floats(0.05, 10.0)),
        "lam": draw(st.floats(0.0, 1.0)),
        "trace": draw(st.sampled_from(TRACES)),
    }


def assert_same_run(got, expected) -> None:
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()
    assert np.array_equal(got.episode_lengths, expected.episode_lengths)
    assert got.total_steps == expected.total_steps


def chain(n: int, gamma_reward: float = 1.0) -> rlf.TabularMDP:
    """States 0..n-1 in a row, one action moving right; leaving n-1 pays 1 and terminates."""
    next_state = np.minimum(np.arange(n) + 1, n - 1).reshape(n, 1, 1)
    reward = np.zeros((n, 1, 1))
    reward[n - 1] = gamma_reward
    terminated = np.zeros((n, 1, 1), dtype=bool)
    terminated[n - 1] = True
    initial = np.zeros(n)
    initial[0] = 1.0
    return rlf.TabularMDP(next_state, np.ones((n, 1, 1)), reward, terminated, initial)


@pytest.fixture(scope="module")
def lake() -> rlf.TabularMDP:
    return rlf.from_env("FrozenLake-v1")


@pytest.fixture(scope="module")
def cliff() -> rlf.TabularMDP:
    return rlf.from_env("CliffWalking-v1")


# -- kernels == reference twins --------------------------------------------------------------
@pytest.mark.parametrize("learner", LEARNERS)
@examples(40)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=trace_arguments())
def test_trace_learner_matches_its_reference_twin(learner, mdp, arguments):
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)


@pytest.mark.parametrize("learner", LEARNERS)
def test_trace_learning_curve_matches_its_reference_twin(learner, lake):
    arguments = {"gamma": 0.95, "n_steps": 2_000, "seed": 5, "eval_every": 450, "lam": 0.7}
    got = getattr(rlf, learner)(lake, **arguments)
    expected = getattr(reference, learner)(lake, **arguments)
    assert_same_run(got, expected)
    assert np.array_equal(got.curve_steps, [0, 450, 900, 1350, 1800, 2000])
    # The values are computed by two different exact solvers (the kernel's, the twin's).
    np.testing.assert_allclose(got.curve_values, expected.curve_values, atol=1e-10)


# -- outside answers -------------------------------------------------------------------------
@pytest.mark.parametrize("trace", TRACES)
@examples(20)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=trace_arguments())
def test_sarsa_lambda_with_lambda_zero_is_sarsa_bit_for_bit(trace, mdp, arguments):
    arguments = {**arguments, "lam": 0.0, "trace": trace}
    got = rlf.sarsa_lambda(mdp, **arguments)
    del arguments["lam"], arguments["trace"]
    expected = rlf.sarsa(mdp, **arguments)
    assert_same_run(got, expected)


@pytest.mark.parametrize("learner", LEARNERS)
@pytest.mark.parametrize("trace", TRACES)
def test_first_episode_on_a_chain_credits_every_state_by_gamma_lambda_powers(learner, trace):
    # One pass 0 -> 1 -> ... -> 5 -> end; only the last TD error is non-zero (it is 1), and
    # the trace of state k, visited once, is then (gamma * lam)^(5 - k): Q(k) = alpha times it.
    gamma, lam, alpha, n = 0.9, 0.8, 0.5, 6
    got = getattr(rlf, learner)(
        chain(n), gamma=gamma, n_steps=n, seed=0, alpha=alpha, lam=lam, trace=trace
    )
    expected = alpha * (gamma * lam) ** (n - 1 - np.arange(n))
    np.testing.assert_allclose(got.q_values[:, 0], expected, rtol=1e-12)
    assert got.n_episodes == 1


def test_accumulating_and_replacing_traces_differ_on_a_revisited_pair():
    # A single state looping on itself (reward 1, time limit 5): its trace accumulates
    # 1 + gamma lam + ... under "accumulating", stays at 1 under "replacing".
    loop = rlf.TabularMDP(
        np.zeros((1, 1, 1), dtype=np.int64),
        np.ones((1, 1, 1)),
        np.ones((1, 1, 1)),
        np.zeros((1, 1, 1), dtype=bool),
        np.ones(1),
        max_episode_steps=5,
    )
    arguments = {"gamma": 0.9, "n_steps": 2, "seed": 0, "alpha": 0.5, "lam": 0.8}
    q = {t: rlf.sarsa_lambda(loop, trace=t, **arguments).q_values[0, 0] for t in TRACES}
    # Step 1: delta = 1, Q = 0.5. Step 2: delta = 1 + 0.9 * 0.5 - 0.5 = 0.95, and the trace
    # is 0.72 + 1, 1, or (1 - 0.5) * 0.72 + 1.
    assert q["accumulating"] == pytest.approx(0.5 + 0.5 * 0.95 * 1.72)
    assert q["replacing"] == pytest.approx(0.5 + 0.5 * 0.95 * 1.0)
    assert q["dutch"] == pytest.approx(0.5 + 0.5 * 0.95 * 1.36)


@pytest.mark.parametrize("learner", LEARNERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trace_learner_nears_the_optimal_value_on_slippery_frozenlake(learner, seed, lake):
    # GLIE-like schedules; 8 of 8 seeds tried came within 0.017 of V*(0) ~ 0.18.
    gamma = 0.95
    result = getattr(rlf, learner)(
        lake,
        gamma=gamma,
        n_steps=300_000,
        seed=seed,
        alpha=Schedule.linear(0.2, 0.01, 300_000),
        epsilon=Schedule.linear(1.0, 0.05, 200_000),
        lam=0.5,
    )
    got = rlf.policy_evaluation(lake, result.policy, gamma=gamma).values[0]
    expected = rlf.value_iteration(lake, gamma=gamma).values[0]
    assert got == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_watkins_q_lambda_walks_the_cliff_edge_and_sarsa_lambda_the_safe_path(seed, cliff):
    # Sutton and Barto, example 6.6, with traces: the off-policy learner's greedy policy is
    # the optimal 13-step path; the on-policy one, learning epsilon-greedy values, keeps off
    # the edge (6 of 6 seeds tried: the 17-step path, 3 rows up).
    arguments = {"gamma": 0.99, "n_steps": 60_000, "seed": seed, "alpha": 0.1, "lam": 0.5}
    watkins = rlf.watkins_q_lambda(cliff, **arguments)
    sarsa = rlf.sarsa_lambda(cliff, **arguments)
    optimal = rlf.value_iteration(cliff, gamma=0.99).values[36]
    got = rlf.policy_evaluation(cliff, watkins.policy, gamma=0.99).values[36]
    assert got == pytest.approx(optimal, abs=1e-9)
    safe = rlf.policy_evaluation(cliff, sarsa.policy, gamma=0.99).values[36]
    assert safe < optimal - 1.0


# -- the engine's features -----------------------------------------------------------------
@pytest.mark.parametrize("learner", LEARNERS)
def test_sweep_runs_equal_the_same_runs_made_alone(learner, lake):
    arguments = {"gamma": 0.9, "n_steps": 3_000}
    got = rlf.sweep(lake, learner, seeds=range(2), lam=[0.0, 0.9], trace=TRACES, **arguments)
    assert got.q_values.shape[0] == 2 * 2 * 3
    for run, point in enumerate(got.params):
        alone = getattr(rlf, learner)(lake, **{**arguments, **point})
        assert got.run(run).q_values.tobytes() == alone.q_values.tobytes()


@pytest.mark.slow
def test_process_pool_sweep_of_a_trace_learner_equals_the_local_sweep(lake, process_pool):
    arguments = {"gamma": 0.9, "n_steps": 2_000, "seeds": range(4), "lam": [0.3, 0.9]}
    expected = rlf.sweep(lake, "watkins_q_lambda", **arguments)
    got = rlf.sweep(lake, "watkins_q_lambda", executor=process_pool, chunk_runs=3, **arguments)
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert got.params == expected.params


@pytest.mark.parametrize("learner", LEARNERS)
def test_chunked_run_equals_the_unchunked_run(learner, lake, monkeypatch):
    expected = getattr(rlf, learner)(lake, gamma=0.9, n_steps=30_000, seed=3)
    monkeypatch.setattr(batch, "CHUNK_STEPS", 7_000)
    calls = []
    got = getattr(rlf, learner)(
        lake, gamma=0.9, n_steps=30_000, seed=3, progress=lambda d, n: calls.append(d)
    )
    assert calls == [7_000, 14_000, 21_000, 28_000, 30_000]
    assert_same_run(got, expected)


def test_interrupted_trace_run_returns_what_it_learned_so_far(lake, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 5_000)

    def interrupt_after_two_chunks(done, total):
        if done >= 10_000:
            raise KeyboardInterrupt

    got = rlf.sarsa_lambda(
        lake,
        gamma=0.9,
        n_steps=50_000,
        seed=2,
        progress=interrupt_after_two_chunks,
        on_interrupt="return",
    )
    assert got.interrupted
    assert got.total_steps == 10_000
    expected = rlf.sarsa_lambda(lake, gamma=0.9, n_steps=10_000, seed=2)
    assert got.q_values.tobytes() == expected.q_values.tobytes()


def test_summaries_without_records_agree_with_the_full_records(lake):
    arguments = {"gamma": 0.9, "n_steps": 60_000, "seed": 4, "trace": "dutch"}
    full = rlf.watkins_q_lambda(lake, **arguments)
    got = rlf.watkins_q_lambda(lake, record_episodes=False, **arguments)
    assert got.n_episodes == full.n_episodes > 4096  # past the first buffer's fold
    assert np.array_equal(got.episode_returns, full.episode_returns[-100:])
    assert got.mean_length == pytest.approx(full.episode_lengths.mean())
    assert got.q_values.tobytes() == full.q_values.tobytes()


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings_", "match"),
    [
        ({"lam": 1.5}, "lam must be in"),
        ({"lam": "high"}, "lam must be a number"),
        ({"trace": "sticky"}, "trace must be"),
        ({"alpha": Schedule.visit_count(0.8)}, "visit_count"),
    ],
)
@pytest.mark.parametrize("learner", LEARNERS)
def test_bad_trace_settings_are_refused_naming_the_argument(learner, settings_, match, lake):
    with pytest.raises((InvalidValueError, TypeError), match=match):
        getattr(rlf, learner)(lake, gamma=0.9, n_steps=10, seed=0, **settings_)


def test_a_lam_axis_is_refused_for_a_learner_without_traces(lake):
    with pytest.raises(InvalidValueError, match="does not use lam"):
        rlf.sweep(lake, "q_learning", gamma=0.9, n_steps=10, seeds=[0], lam=[0.1, 0.2])


# -- golden digests --------------------------------------------------------------------------
def digest(result) -> str:
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(result.q_values, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_returns, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_lengths, dtype=np.int64).tobytes())
    return sha.hexdigest()


#: Digests of 3 000 steps on slippery FrozenLake (gamma 0.95), computed when the learners
#: landed (their twins agreeing): any change of arithmetic or draw order changes them.
GOLDEN = {
    ("sarsa_lambda", "accumulating"): (
        "d9c8c3ee125fa4db37c92771f262b64d9de656cddc38663ca793a1e6205dbd95"
    ),
    ("sarsa_lambda", "replacing"): (
        "13b72b565deee139e94e95cda51e353c42d40df696f5f5cb032b6a570fb1e344"
    ),
    ("sarsa_lambda", "dutch"): ("9cef92addcf10617432e1f5ae063bd729bf3e8c0dc727d4fb2a27808b4758ce0"),
    ("watkins_q_lambda", "accumulating"): (
        "1fcb62ea55d77ac5062317f61e5a83fa01ec389671b9679fd3dfcc2f40103744"
    ),
    ("watkins_q_lambda", "replacing"): (
        "ec6e7330782c9fdbcf4cacdd6489f9d5eff29b1980d6e00eaa3271bd5d225bed"
    ),
    ("watkins_q_lambda", "dutch"): (
        "fd6e91e532263ff44bf0b61924eb540a71fbcc0581f87f684a39a5f28cad4e6d"
    ),
}


@pytest.mark.parametrize(("learner", "trace"), list(GOLDEN))
def test_trace_learner_output_is_bit_identical_to_the_golden_digest(learner, trace, lake):
    arguments = {"gamma": 0.95, "n_steps": 3_000, "seed": 7, "lam": 0.8, "trace": trace}
    got = digest(getattr(rlf, learner)(lake, **arguments))
    assert digest(getattr(reference, learner)(lake, **arguments)) == got
    assert got == GOLDEN[learner, trace]


# -- docs ------------------------------------------------------------------------------------
def _parameter_paragraphs(function) -> dict[str, str]:
    lines = function.__doc__.split("Parameters\n    ----------\n")[1].split("\n    Returns")[0]
    paragraphs: dict[str, str] = {}
    name = None
    for line in lines.splitlines():
        if line.startswith("    ") and not line.startswith("        "):
            name = line.strip()
            paragraphs[name] = ""
        elif name is not None:
            paragraphs[name] += line + "\n"
    return paragraphs


@pytest.mark.parametrize("learner", LEARNERS)
def test_trace_learners_share_the_td_learners_paragraphs_but_alpha(learner):
    got = _parameter_paragraphs(getattr(rlf, learner))
    expected = _parameter_paragraphs(rlf.q_learning)
    del expected["alpha : float or Schedule"]
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize("learner", LEARNERS)
def test_learners_reference_page_lists_the_trace_learner(learner):
    from pathlib import Path

    page = Path(__file__).parent.parent / "docs" / "reference" / "learning.md"
    assert f"::: rlfoundations.{learner}\n" in page.read_text()


# -- action masks ------------------------------------------------------------------------------
@pytest.mark.parametrize("learner", LEARNERS)
@examples(25)
@given(mdp=masked_mdps(max_states=10, max_actions=4), arguments=trace_arguments())
def test_masked_trace_learner_matches_its_reference_twin(learner, mdp, arguments):
    got = getattr(rlf, learner)(mdp, **arguments)
    expected = getattr(reference, learner)(mdp, **arguments)
    assert_same_run(got, expected)
    assert np.all(got.q_values[~mdp.action_mask] == -np.inf)


def test_an_all_true_mask_changes_no_bit(lake):
    everything = lake.with_action_mask(np.ones((16, 4), dtype=bool))
    arguments = {"gamma": 0.95, "n_steps": 3_000, "seed": 4, "lam": 0.7, "trace": "dutch"}
    for learner in LEARNERS:
        got = getattr(rlf, learner)(everything, **arguments)
        assert_same_run(got, getattr(rlf, learner)(lake, **arguments))


@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
@pytest.mark.parametrize("trace", TRACES)
@pytest.mark.parametrize("learner", LEARNERS)
def test_trace_learner_never_takes_a_masked_action_and_learns_the_masked_optimum(
    learner, trace, exploration
):
    # Up out of row 1 is masked (it would pay +1000, the unmasked optimum), so the masked
    # optimum from the start (2, 0) goes round by column 3 in eight steps.
    mdp = masked_models.trapped_grid()
    unmasked = rlf.value_iteration(dataclasses.replace(mdp, action_mask=None), gamma=0.9)
    assert unmasked.policy[masked_models.cell(1, 0)] == masked_models.UP  # what the mask forbids
    result = getattr(rlf, learner)(
        mdp,
        gamma=0.9,
        n_steps=30_000,
        seed=3,
        alpha=0.5,
        epsilon=Schedule.linear(0.5, 0.05, 20_000),
        exploration=exploration,
        temperature=Schedule.exponential(2.0, 0.05, 5_000),
        lam=0.5,
        trace=trace,
    )
    assert result.episode_returns.max() < 0  # one masked step would have paid +1000
    exact = rlf.value_iteration(mdp, gamma=0.9)
    start = masked_models.cell(*masked_models.START)
    assert exact.values[start] == pytest.approx(masked_models.optimal_value(2, 0, 0.9))
    got = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values
    np.testing.assert_allclose(got[start], exact.values[start], atol=1e-9)
    assert len(masked_models.greedy_steps(mdp, result.policy)) == 8
    assert mdp.action_mask[np.arange(mdp.n_states), result.policy].all()


@pytest.mark.parametrize("learner", LEARNERS)
def test_masked_trace_sweep_runs_equal_single_runs(learner):
    mdp = masked_models.trapped_grid(initial="spread")
    result = rlf.sweep(mdp, learner, gamma=0.9, n_steps=2_000, seeds=[0, 1], lam=[0.0, 0.9])
    for run, params in enumerate(result.params):
        expected = getattr(rlf, learner)(mdp, n_steps=2_000, **params)
        assert result.run(run).q_values.tobytes() == expected.q_values.tobytes()
    assert result.episode_returns[~np.isnan(result.episode_returns)].max() < 0


@pytest.mark.parametrize("learner", LEARNERS)
def test_live_env_trace_learner_reads_the_mask_from_info(learner):
    env = masked_models.trapped_grid().to_env()
    result = getattr(rlf, learner)(env, gamma=0.9, n_steps=3_000, seed=3)
    assert result.episode_returns.max() < 0
    assert np.all(result.q_values[~masked_models.corridor_mask()] == -np.inf)
