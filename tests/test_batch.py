"""The batch engine: episode records that grow by doubling, summaries in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import batch, reference
from rlfoundations._kernels import learning as kernels

LEARNERS = ["q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q", "reinforce"]


@pytest.fixture(scope="module")
def lake() -> rlf.TabularMDP:
    return rlf.from_env("FrozenLake-v1")  # slippery, short episodes: thousands of them


@pytest.fixture
def small_buffers(monkeypatch):
    """Episode buffers of 256: short runs fill (and grow or fold) them several times."""
    monkeypatch.setattr(batch, "INITIAL_EPISODE_CAPACITY", 256)


def plain_sum(values) -> float:
    total = 0.0
    for value in np.asarray(values).tolist():
        total += value
    return total


@pytest.mark.parametrize("learner", LEARNERS)
def test_summaries_keep_the_last_episodes_of_the_full_records(lake, learner, small_buffers):
    full = getattr(rlf, learner)(lake, gamma=0.95, n_steps=20_000, seed=3)
    summary = getattr(rlf, learner)(lake, gamma=0.95, n_steps=20_000, seed=3, record_episodes=False)
    assert full.n_episodes > 2 * batch.INITIAL_EPISODE_CAPACITY  # the buffer was folded
    got = (summary.episode_returns.tobytes(), summary.episode_lengths.tobytes())
    kept = batch.LAST_EPISODES
    expected = (full.episode_returns[-kept:].tobytes(), full.episode_lengths[-kept:].tobytes())
    assert got == expected


@pytest.mark.parametrize("learner", LEARNERS)
def test_summaries_equal_the_statistics_of_the_full_records(lake, learner, small_buffers):
    full = getattr(rlf, learner)(lake, gamma=0.95, n_steps=20_000, seed=4)
    summary = getattr(rlf, learner)(lake, gamma=0.95, n_steps=20_000, seed=4, record_episodes=False)
    got = (summary.n_episodes, summary.mean_return, summary.mean_length)
    expected = (
        full.episode_returns.shape[0],
        plain_sum(full.episode_returns) / full.episode_returns.shape[0],
        full.episode_lengths.sum() / full.episode_lengths.shape[0],
    )
    assert got == expected


def test_summaries_change_nothing_that_is_learned(lake):
    full = rlf.dyna_q(lake, gamma=0.95, n_steps=30_000, seed=5, planning_steps=2)
    summary = rlf.dyna_q(
        lake, gamma=0.95, n_steps=30_000, seed=5, planning_steps=2, record_episodes=False
    )
    assert summary.q_values.tobytes() == full.q_values.tobytes()


def test_summaries_of_a_run_shorter_than_the_kept_window_are_every_episode(lake):
    full = rlf.q_learning(lake, gamma=0.95, n_steps=200, seed=6)
    summary = rlf.q_learning(lake, gamma=0.95, n_steps=200, seed=6, record_episodes=False)
    assert full.n_episodes < batch.LAST_EPISODES
    assert summary.episode_returns.tobytes() == full.episode_returns.tobytes()


def test_kernel_summaries_equal_the_reference_twins(lake, small_buffers):
    got = rlf.sarsa(lake, gamma=0.95, n_steps=10_000, seed=7, record_episodes=False)
    expected = reference.sarsa(lake, gamma=0.95, n_steps=10_000, seed=7, record_episodes=False)
    assert (got.n_episodes, got.mean_return, got.mean_length) == (
        expected.n_episodes,
        expected.mean_return,
        expected.mean_length,
    )
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()


def test_sweep_summaries_equal_each_runs_own_summaries(lake, small_buffers):
    result = rlf.sweep(
        lake, gamma=0.95, n_steps=10_000, seeds=range(2), alpha=[0.1, 0.5], record_episodes=False
    )
    for index in range(result.n_runs):
        point = result.params[index]
        alone = rlf.q_learning(
            lake,
            gamma=0.95,
            n_steps=10_000,
            seed=point["seed"],
            alpha=point["alpha"],
            record_episodes=False,
        )
        got = result.run(index)
        assert (got.n_episodes, got.mean_return, got.episode_returns.tobytes()) == (
            alone.n_episodes,
            alone.mean_return,
            alone.episode_returns.tobytes(),
        )


def test_summary_buffers_do_not_grow_with_the_steps_asked_for(lake, small_buffers):
    spec = batch.run_spec("q_learning", [{"seed": 0, "gamma": 0.9, "alpha": 0.1, "epsilon": 0.1}])
    spec = batch.RunSpec(**{**spec.__dict__, "record_episodes": False})
    runs = batch.Batch(lake, spec, n_steps=10**15)
    runs.advance(20_000)
    assert runs.state.episode_returns.shape[1] == batch.INITIAL_EPISODE_CAPACITY
    assert runs.last_returns.shape[1] == batch.LAST_EPISODES


def test_episode_records_grow_by_doubling_not_by_the_steps_asked_for(lake, small_buffers):
    spec = batch.run_spec("q_learning", [{"seed": 0, "gamma": 0.9, "alpha": 0.1, "epsilon": 0.1}])
    runs = batch.Batch(lake, spec, n_steps=10**15)
    runs.advance(20_000)
    finished = int(runs.state.cursor[0, kernels.N_EPISODES])
    capacity = runs.state.episode_returns.shape[1]
    assert finished <= capacity <= 2 * max(finished, batch.INITIAL_EPISODE_CAPACITY)


def test_an_interrupted_huge_run_holds_memory_for_the_steps_it_took(lake, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 1 << 12)
    calls = []

    def interrupt(done, total):
        calls.append(done)
        if len(calls) == 4:
            raise KeyboardInterrupt

    result = rlf.q_learning(
        lake, gamma=0.9, n_steps=10**15, seed=0, progress=interrupt, on_interrupt="return"
    )
    assert result.interrupted and result.total_steps == 4 * (1 << 12)
    assert result.episode_returns.shape == (result.n_episodes,)


@pytest.mark.parametrize(
    ("alpha", "kept"),
    [
        pytest.param(0.1, False, id="constant"),
        pytest.param(rlf.Schedule.visit_count(0.8), True, id="visit_count"),
    ],
)
def test_dyna_q_keeps_visit_counts_only_for_a_visit_count_alpha(lake, alpha, kept):
    # The replays read a pair's visits only for a 1 / n^omega alpha; otherwise the table
    # would stay all zeros, S x A of them per run.
    point = {"seed": 0, "gamma": 0.9, "alpha": alpha, "epsilon": 0.1}
    runs = batch.Batch(lake, batch.run_spec("dyna_q", [point], planning_steps=5), n_steps=500)
    runs.advance(500)
    assert runs.state.visits.shape == ((1, 16, 4) if kept else (1, 0, 0))
    if kept:
        assert runs.state.visits.sum() == 500
