"""n-step SARSA against its twin, SARSA (n = 1), a closed form, the exact optimum, and the
engine's features (sweeps, chunks, interrupts, records)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import batch, reference
from rlfoundations.errors import InvalidValueError
from rlfoundations.schedules import Schedule
from strategies import discounts, tabular_mdps


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


@settings(max_examples=40)
@given(mdp=tabular_mdps(max_states=10, max_actions=4), arguments=nstep_arguments())
def test_n_step_sarsa_matches_its_reference_twin(mdp, arguments):
    assert_same_run(rlf.n_step_sarsa(mdp, **arguments), reference.n_step_sarsa(mdp, **arguments))


@settings(max_examples=20)
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
