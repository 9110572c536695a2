"""Sweeps on a Dask cluster: a LocalCluster of two worker processes on loopback."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import rlfoundations as rlf

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

#: Starting clusters of worker processes is slow: make test-slow and CI run these.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def taxi() -> rlf.TabularMDP:
    return rlf.from_env("Taxi-v3")


def local_cluster():
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def assert_same_sweep(got: rlf.SweepResult, expected: rlf.SweepResult) -> None:
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert np.array_equal(got.n_episodes, expected.n_episodes)
    np.testing.assert_array_equal(got.episode_returns, expected.episode_returns)
    assert got.params == expected.params


def test_dask_sweep_equals_the_local_sweep_run_for_run(taxi):
    arguments = {
        "gamma": 0.99,
        "n_steps": 20_000,
        "seeds": range(6),
        "alpha": [0.1, 0.5],
        "eval_every": 10_000,
    }
    expected = rlf.sweep(taxi, **arguments)
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        got = rlf.sweep(taxi, executor=client.get_executor(), chunk_runs=5, **arguments)
    assert_same_sweep(got, expected)
    np.testing.assert_array_equal(got.curve_values, expected.curve_values)


def test_a_worker_killed_mid_sweep_still_gives_the_full_identical_result(taxi):
    # With allowed-failures 0, Dask gives up on a task as soon as its worker dies, so the
    # sweep's own resubmission has to recover the chunk.
    arguments = {"gamma": 0.99, "n_steps": 3_000_000, "seeds": range(8)}
    expected = rlf.sweep(taxi, **arguments)
    killed = []
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        local_cluster() as cluster,
        distributed.Client(cluster) as client,
    ):

        def kill_a_busy_worker(done, total):
            if killed:
                return
            busy = [address for address, keys in client.processing().items() if keys]
            pids = client.run(os.getpid, workers=busy[:1])
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        got = rlf.sweep(
            taxi,
            executor=client.get_executor(),
            chunk_runs=1,
            progress=kill_a_busy_worker,
            **arguments,
        )
    assert killed
    assert not got.interrupted
    assert_same_sweep(got, expected)


def test_dask_runs_the_prediction_and_regret_learners_as_the_local_sweep():
    walk = rlf.problems.random_walk(5)
    river = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    prediction = {"policy": [0] * 7, "gamma": 1.0, "n_steps": 5_000, "seeds": range(5),
                  "n": [1, 3], "eval_every": 2_500}  # fmt: skip
    regret = {"horizon": 10, "n_episodes": 200, "seeds": range(5), "bonus_scale": [0.1, 1.0]}
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        executor = client.get_executor()
        got_prediction = rlf.sweep(walk, "td_prediction", executor=executor, chunk_runs=3,
                                   **prediction)  # fmt: skip
        got_regret = rlf.sweep(river, "ucbvi", executor=executor, chunk_runs=3, **regret)
    expected = rlf.sweep(walk, "td_prediction", **prediction)
    assert got_prediction.values.tobytes() == expected.values.tobytes()
    assert got_prediction.curve_rms.tobytes() == expected.curve_rms.tobytes()
    assert got_prediction.params == expected.params
    expected = rlf.sweep(river, "ucbvi", **regret)
    assert got_regret.regret.tobytes() == expected.regret.tobytes()
    assert got_regret.q_values.tobytes() == expected.q_values.tobytes()
    assert got_regret.params == expected.params
