"""Sweeps: grids of runs equal to single runs, on any thread count, chunking or executor."""

from __future__ import annotations

import concurrent.futures

import numba
import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import batch
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.schedules import Schedule

TD_LEARNERS = ["q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q"]


def assert_same_sweep(got: rlf.SweepResult, expected: rlf.SweepResult) -> None:
    assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert np.array_equal(got.n_episodes, expected.n_episodes)
    assert np.array_equal(got.episode_lengths, expected.episode_lengths)
    np.testing.assert_array_equal(got.episode_returns, expected.episode_returns)
    assert got.params == expected.params


@pytest.fixture(scope="module")
def taxi() -> rlf.TabularMDP:
    return rlf.from_env("Taxi-v3")


@pytest.fixture(scope="module")
def lake() -> rlf.TabularMDP:
    return rlf.from_env("FrozenLake-v1", is_slippery=True)


# -- equal to single runs ----------------------------------------------------------------------
@pytest.mark.parametrize("learner", TD_LEARNERS)
def test_sweep_runs_equal_single_runs(learner, lake):
    grid = {"gamma": [0.9, 0.99], "alpha": [0.1, Schedule.visit_count(0.7)], "epsilon": 0.2}
    result = rlf.sweep(lake, learner, n_steps=3_000, seeds=[0, 2**64 - 1], **grid)
    assert result.q_values.shape == (8, 16, 4)
    for run, params in enumerate(result.params):
        expected = getattr(rlf, learner)(lake, n_steps=3_000, **params)
        got = result.run(run)
        assert got.q_values.tobytes() == expected.q_values.tobytes()
        assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()


@pytest.mark.parametrize("learner", [*TD_LEARNERS, "reinforce"])
def test_masked_sweep_runs_equal_single_runs_and_never_pick_a_masked_action(learner, lake):
    mask = np.ones((16, 4), dtype=bool)
    mask[[0, 1, 4, 14], [1, 2, 1, 2]] = False  # the moves towards the goal out of a few states
    masked = lake.with_action_mask(mask)
    result = rlf.sweep(masked, learner, gamma=0.95, n_steps=3_000, seeds=[0, 1, 2], alpha=0.2)
    assert mask[np.arange(16), result.policy].all()
    for run, params in enumerate(result.params):
        expected = getattr(rlf, learner)(masked, n_steps=3_000, **params)
        got = result.run(run)
        assert got.q_values.tobytes() == expected.q_values.tobytes()
        assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()


def test_reinforce_sweep_runs_equal_single_runs(lake):
    grid = {"gamma": 0.95, "alpha": [0.1, 0.5], "baseline_alpha": [0.05, 0.2]}
    result = rlf.sweep(lake, "reinforce", n_steps=3_000, seeds=[7, 8], **grid)
    assert result.n_runs == 8
    for run, params in enumerate(result.params):
        expected = rlf.reinforce(lake, n_steps=3_000, **params)
        got = result.run(run)
        assert got.q_values.tobytes() == expected.q_values.tobytes()
        assert got.baseline.tobytes() == expected.baseline.tobytes()


def test_softmax_sweep_varies_the_temperature(lake):
    result = rlf.sweep(
        lake, gamma=0.9, n_steps=1_000, seeds=0, exploration="softmax", temperature=[0.5, 2.0]
    )
    assert [params["temperature"] for params in result.params] == [0.5, 2.0]
    expected = rlf.q_learning(
        lake, gamma=0.9, n_steps=1_000, seed=0, exploration="softmax", temperature=2.0
    )
    assert result.run(1).q_values.tobytes() == expected.q_values.tobytes()


def test_sweep_does_not_depend_on_thread_count(taxi):
    arguments = {"gamma": 0.99, "n_steps": 20_000, "seeds": range(5), "alpha": [0.1, 0.5]}
    one = rlf.sweep(taxi, n_threads=1, **arguments)
    every = rlf.sweep(taxi, n_threads=numba.config.NUMBA_NUM_THREADS, **arguments)
    assert_same_sweep(one, every)


def test_sweep_pads_episodes_after_each_runs_last(taxi):
    result = rlf.sweep(taxi, gamma=0.99, n_steps=5_000, seeds=range(3))
    for run in range(3):
        n = result.n_episodes[run]
        assert np.isnan(result.episode_returns[run, n:]).all()
        assert result.episode_lengths[run, :n].sum() <= 5_000


# -- learning curves ---------------------------------------------------------------------------
def test_sweep_curves_equal_single_run_curves(lake):
    result = rlf.sweep(lake, gamma=0.9, n_steps=4_000, seeds=[1, 2], eval_every=1_500)
    assert np.array_equal(result.curve_steps, [0, 1_500, 3_000, 4_000])
    assert result.curve_values.shape == (2, 4, 16)
    assert result.curve(lake.initial).shape == (2, 4)
    for run, seed in enumerate([1, 2]):
        expected = rlf.q_learning(lake, gamma=0.9, n_steps=4_000, seed=seed, eval_every=1_500)
        np.testing.assert_array_equal(result.run(run).curve_values, expected.curve_values)


def test_sweep_without_eval_every_has_no_curve(lake):
    result = rlf.sweep(lake, gamma=0.9, n_steps=100, seeds=[0])
    with pytest.raises(ValueError, match="eval_every"):
        result.curve(lake.initial)


# -- progress and interrupts -----------------------------------------------------------------
def test_interrupted_sweep_equals_a_shorter_sweep(taxi, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 4 * 8_192)

    def interrupt(done, total):
        if done >= 16_384:
            raise KeyboardInterrupt

    arguments = {"gamma": 0.99, "seeds": range(4)}
    got = rlf.sweep(taxi, n_steps=50_000, progress=interrupt, on_interrupt="return", **arguments)
    assert got.interrupted
    assert got.total_steps == 16_384
    assert_same_sweep(got, rlf.sweep(taxi, n_steps=16_384, **arguments))


# -- executors -----------------------------------------------------------------------------
def test_a_thread_pool_is_refused_with_the_reason(lake):
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        with pytest.raises(TypeError, match="ThreadPoolExecutor adds nothing"):
            rlf.sweep(lake, gamma=0.9, n_steps=10, seeds=[0], executor=executor)


@pytest.mark.slow
def test_process_pool_sweep_equals_the_local_sweep(lake, walk, river, process_pool):
    arguments = {"gamma": 0.9, "n_steps": 5_000, "seeds": range(6), "eval_every": 2_500}
    expected = rlf.sweep(lake, **arguments)
    # One pool (spawning is slow, conftest.py) for a TD, a prediction and a regret learner.
    prediction = {"policy": WALK_POLICY, "gamma": 1.0, "n_steps": 2_000, "seeds": range(4)}
    regret = {"horizon": 5, "n_episodes": 80, "seeds": range(4)}
    got = rlf.sweep(lake, executor=process_pool, **arguments)
    got_prediction = rlf.sweep(walk, "td_prediction", executor=process_pool, **prediction)
    got_regret = rlf.sweep(river, "psrl", executor=process_pool, **regret)
    assert_same_sweep(got, expected)
    np.testing.assert_array_equal(got.curve_values, expected.curve_values)
    assert_same_prediction(got_prediction, rlf.sweep(walk, "td_prediction", **prediction))
    assert_same_regret(got_regret, rlf.sweep(river, "psrl", **regret))


class FlakyExecutor:
    """Runs tasks inline; the first ``failures`` submissions of each chunk fail."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: dict = {}

    def submit(self, fn, *args, **kwargs):
        future = concurrent.futures.Future()
        seeds = args[1].seeds
        self.attempts[seeds] = self.attempts.get(seeds, 0) + 1
        assert args[-1] == self.attempts[seeds] - 1  # the attempt number makes a new task
        if self.attempts[seeds] <= self.failures:
            future.set_exception(OSError("worker lost"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_failed_chunks_are_retried_and_the_result_is_complete(lake):
    arguments = {"gamma": 0.9, "n_steps": 2_000, "seeds": range(4)}
    executor = FlakyExecutor(failures=2)
    got = rlf.sweep(lake, executor=executor, chunk_runs=2, **arguments)
    assert_same_sweep(got, rlf.sweep(lake, **arguments))
    assert set(executor.attempts.values()) == {3}


def test_a_chunk_that_keeps_failing_fails_the_sweep(lake):
    with pytest.raises(RuntimeError, match=r"chunk 0 \(runs 0\.\.1\) failed 2 time\(s\)"):
        rlf.sweep(
            lake,
            gamma=0.9,
            n_steps=100,
            seeds=range(4),
            executor=FlakyExecutor(failures=5),
            chunk_runs=2,
            retries=1,
        )


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        pytest.param({"algorithm": "td_lambda"}, ValueError, "algorithm must be", id="algorithm"),
        pytest.param({"seeds": []}, ValueError, "seeds must not be empty", id="no-seeds"),
        pytest.param({"alpha": []}, ValueError, "alpha must not be empty", id="empty-axis"),
        pytest.param({"alpha": [0.1, 2.0]}, ValueError, "alpha must lie in", id="bad-alpha"),
        pytest.param({"seeds": [-1]}, ValueError, "seed must be in", id="bad-seed"),
        pytest.param({"n_threads": 0}, ValueError, "n_threads must be > 0", id="threads"),
        pytest.param({"chunk_runs": 2}, ValueError, "chunk_runs applies", id="chunk-runs"),
        pytest.param(
            {"executor": FlakyExecutor(0), "n_threads": 1}, ValueError, "n_threads", id="both"
        ),
        pytest.param(
            {"executor": FlakyExecutor(0), "retries": -1}, ValueError, "retries", id="retries"
        ),
        pytest.param(
            {"executor": FlakyExecutor(0), "on_interrupt": "return"},
            ValueError,
            "on_interrupt='return' applies to local sweeps",
            id="interrupt-with-executor",
        ),
    ],
)
def test_bad_sweep_arguments_are_named(lake, arguments, error, message):
    arguments = {"algorithm": "q_learning", "gamma": 0.9, "seeds": [0], **arguments}
    with pytest.raises(error, match=message):
        rlf.sweep(lake, arguments.pop("algorithm"), n_steps=10, **arguments)


# -- no silent axes --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("algorithm", "arguments", "axis"),
    [
        pytest.param("q_learning", {"temperature": [0.1, 1.0]}, "temperature", id="temp-eps"),
        pytest.param(
            "sarsa", {"exploration": "softmax", "epsilon": [0.1, 0.2]}, "epsilon", id="eps-softmax"
        ),
        pytest.param("reinforce", {"epsilon": [0.1, 0.2]}, "epsilon", id="eps-reinforce"),
        pytest.param("reinforce", {"temperature": (0.5, 2.0)}, "temperature", id="temp-reinforce"),
        pytest.param("q_learning", {"baseline_alpha": [0.1, 0.2]}, "baseline_alpha", id="beta-td"),
        pytest.param("q_learning", {"planning_steps": [1, 5]}, "planning_steps", id="planning-q"),
        pytest.param("reinforce", {"planning_steps": range(3)}, "planning_steps", id="planning-pg"),
    ],
)
def test_sweep_axis_the_algorithm_does_not_use_is_an_error_naming_it(
    lake, algorithm, arguments, axis
):
    with pytest.raises(InvalidValueError, match=f"^{axis}=.* does not use {axis}"):
        rlf.sweep(lake, algorithm, gamma=0.9, n_steps=10, seeds=range(2), **arguments)


def test_planning_steps_is_an_axis_of_a_dyna_q_sweep(lake):
    result = rlf.sweep(lake, "dyna_q", gamma=0.9, n_steps=500, seeds=[3], planning_steps=[0, 4])
    for run, params in enumerate(result.params):
        expected = rlf.dyna_q(lake, n_steps=500, **params)
        got = result.run(run)
        assert got.q_values.tobytes() == expected.q_values.tobytes()
    assert [params["planning_steps"] for params in result.params] == [0, 4]


def test_unused_scalar_settings_stay_accepted_for_every_algorithm(lake):
    got = rlf.sweep(
        lake, "reinforce", gamma=0.9, n_steps=100, seeds=[0], epsilon=0.2, planning_steps=3
    )
    expected = rlf.sweep(lake, "reinforce", gamma=0.9, n_steps=100, seeds=[0])
    assert got.q_values.tobytes() == expected.q_values.tobytes()


def test_softmax_temperature_axis_makes_one_run_per_value(lake):
    result = rlf.sweep(
        lake,
        "q_learning",
        gamma=0.9,
        n_steps=100,
        seeds=[0],
        exploration="softmax",
        temperature=[0.1, 1.0],
    )
    got = [point["temperature"] for point in result.params]
    expected = [0.1, 1.0]
    assert got == expected


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"n_steps": 2**63}, InvalidValueError, id="steps-2-63"),
        pytest.param({"n_steps": True}, InvalidTypeError, id="steps-bool"),
        pytest.param({"gamma": [0.9, float("nan")]}, InvalidValueError, id="gamma-nan"),
        pytest.param({"gamma": 10**400}, InvalidValueError, id="gamma-huge"),
        pytest.param({"alpha": [0.1, 10**400]}, InvalidValueError, id="alpha-huge"),
        pytest.param({"seeds": [0, 2**64]}, InvalidValueError, id="seed-huge"),
        pytest.param({"seeds": [True]}, InvalidTypeError, id="seed-bool"),
        pytest.param({"seeds": []}, InvalidValueError, id="no-seeds"),
        pytest.param({"record_episodes": 1}, InvalidTypeError, id="record-int"),
        pytest.param({"exploration": ["softmax"]}, InvalidValueError, id="exploration-list"),
        pytest.param({"planning_steps": 2**63}, InvalidValueError, id="planning-huge"),
    ],
)
def test_bad_sweep_argument_is_a_user_error_before_any_run(lake, arguments, error):
    settings = {"gamma": 0.9, "n_steps": 10, "seeds": range(2), **arguments}
    with pytest.raises(error):
        rlf.sweep(lake, "dyna_q", **settings)


def test_unknown_algorithm_is_a_user_error(lake):
    with pytest.raises(InvalidValueError, match="algorithm must be one of"):
        rlf.sweep(lake, ["q_learning"], gamma=0.9, n_steps=10, seeds=range(2))


def test_chunked_sweep_without_records_equals_the_local_sweep(lake, monkeypatch):
    monkeypatch.setattr(batch, "INITIAL_EPISODE_CAPACITY", 64)
    arguments = {"gamma": 0.9, "n_steps": 5_000, "seeds": range(3), "record_episodes": False}
    got = rlf.sweep(lake, executor=FlakyExecutor(failures=0), chunk_runs=2, **arguments)
    expected = rlf.sweep(lake, **arguments)
    assert got.n_episodes.tolist() == expected.n_episodes.tolist()
    assert got.mean_return.tobytes() == expected.mean_return.tobytes()
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()


def test_an_executor_without_submit_is_a_user_error(lake):
    with pytest.raises(InvalidTypeError, match="executor must have a submit"):
        rlf.sweep(lake, gamma=0.9, n_steps=10, seeds=range(2), executor=True)


@pytest.mark.parametrize(
    ("index", "error"),
    [
        pytest.param(2, InvalidValueError, id="past-the-end"),
        pytest.param(-3, InvalidValueError, id="before-the-start"),
        pytest.param(True, InvalidTypeError, id="bool"),
        pytest.param(1.0, InvalidTypeError, id="float"),
    ],
)
def test_run_index_outside_the_sweep_is_a_user_error(lake, index, error):
    result = rlf.sweep(lake, gamma=0.9, n_steps=10, seeds=range(2))
    with pytest.raises(error):
        result.run(index)


# -- every learner: prediction, Monte Carlo control, regret learners -------------------------------
WALK_POLICY = [0] * 7


@pytest.fixture(scope="module")
def walk() -> rlf.TabularMDP:
    return rlf.problems.random_walk(5)


@pytest.fixture(scope="module")
def river() -> rlf.TabularMDP:
    return rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)


def assert_same_prediction(got, expected) -> None:
    assert got.values.tobytes() == expected.values.tobytes()
    assert np.array_equal(got.n_episodes, expected.n_episodes)
    assert got.episode_returns.tobytes() == expected.episode_returns.tobytes()
    assert got.episode_lengths.tobytes() == expected.episode_lengths.tobytes()
    if expected.curve_rms is not None:
        assert got.curve_rms.tobytes() == expected.curve_rms.tobytes()


def assert_same_regret(got, expected) -> None:
    for name in ("regret", "episode_regret", "episode_returns", "q_values", "policy"):
        assert getattr(got, name).tobytes() == getattr(expected, name).tobytes(), name


@pytest.mark.parametrize(
    "grid",
    [
        pytest.param({"alpha": [0.1, Schedule.linear(0.3, 0.01, 2_000)], "n": [1, 3]}, id="n-step"),
        pytest.param({"alpha": 0.2, "lam": [0.0, 0.8]}, id="true-online"),
    ],
)
def test_td_prediction_sweep_runs_equal_single_runs(walk, grid):
    result = rlf.sweep(
        walk, "td_prediction", policy=WALK_POLICY, gamma=1.0, n_steps=2_000, seeds=[0, 7],
        eval_every=500, **grid,
    )  # fmt: skip
    assert isinstance(result, rlf.PredictionSweepResult)
    assert result.n_runs == 8 if "n" in grid else 4
    for run, params in enumerate(result.params):
        options = {key: value for key, value in params.items() if key != "gamma"}
        seed = options.pop("seed")
        expected = rlf.td_prediction(
            walk, WALK_POLICY, params["gamma"], 2_000, seed=seed, eval_every=500, **options
        )
        assert_same_prediction(result.run(run), expected)


def test_td_prediction_sweep_learns_the_random_walks_closed_form_values(walk):
    # Sutton and Barto's example 6.2: under the random policy V(s) = s / 6 for s = 1 .. 5.
    alpha = Schedule.linear(0.1, 0.002, 30_000)
    result = rlf.sweep(
        walk, "td_prediction", policy=WALK_POLICY, gamma=1.0, n_steps=30_000, seeds=range(3),
        alpha=alpha, n=[1, 2], eval_every=10_000,
    )  # fmt: skip
    expected = np.arange(1, 6) / 6
    assert np.abs(result.values[:, 1:6] - expected).max() < 0.05
    assert (result.curve_rms[:, -1] < result.curve_rms[:, 0] / 5).all()


def test_monte_carlo_prediction_sweep_runs_equal_single_runs(walk):
    behaviour = np.array([[1.0]] * 7)
    options = {"first_visit": False, "importance": "ordinary", "behaviour": behaviour}
    result = rlf.sweep(
        walk, "monte_carlo_prediction", policy=WALK_POLICY, gamma=[0.9, 1.0], n_steps=1_500,
        seeds=[1, 2], **options,
    )  # fmt: skip
    for run, params in enumerate(result.params):
        expected = rlf.monte_carlo_prediction(
            walk, WALK_POLICY, params["gamma"], 1_500, seed=params["seed"], **options
        )
        assert_same_prediction(result.run(run), expected)


def test_monte_carlo_control_sweep_runs_equal_single_runs_and_the_old_sweep(lake):
    arguments = {"gamma": 0.95, "n_steps": 3_000, "seeds": [0, 5], "epsilon": [0.1, 0.3]}
    result = rlf.sweep(lake, "monte_carlo_control", method="on_policy", **arguments)
    assert_same_sweep(result, rlf.monte_carlo_control_sweep(lake, method="on_policy", **arguments))
    for run, params in enumerate(result.params):
        expected = rlf.monte_carlo_control(lake, n_steps=3_000, method="on_policy", **params)
        assert result.run(run).q_values.tobytes() == expected.q_values.tobytes()


REGRET_GRIDS = [
    pytest.param("ucbvi", {"bonus_scale": [0.1, 1.0]}, id="ucbvi"),
    pytest.param("psrl", {"transition_prior": [0.5, 1.0]}, id="psrl"),
    pytest.param("ucb_q_learning", {"bonus": ["hoeffding", "none"], "epsilon": 0.1}, id="ucb-q"),
    pytest.param("rmax", {"known_visits": [2, 5]}, id="rmax"),
]


@pytest.mark.parametrize(("name", "grid"), REGRET_GRIDS)
def test_regret_sweep_runs_equal_single_runs(river, name, grid):
    result = rlf.sweep(river, name, horizon=8, n_episodes=60, seeds=[3, 4], **grid)
    assert result.regret.shape == (4, 60)
    for run, params in enumerate(result.params):
        expected = getattr(rlf, name)(river, 8, 60, **params)
        assert_same_regret(result.run(run), expected)
        assert result.run(run).params == params


def test_regret_sweep_without_records_equals_single_runs_without_records(river):
    result = rlf.sweep(
        river, "ucbvi", horizon=5, n_episodes=1_500, seeds=[0, 1], record_episodes=False
    )
    for run in range(2):
        expected = rlf.ucbvi(river, 5, 1_500, seed=run, record_episodes=False)
        assert_same_regret(result.run(run), expected)
        assert result.run(run).checkpoints.tobytes() == expected.checkpoints.tobytes()


def test_regret_sweep_progress_counts_the_episodes_of_every_run(river):
    calls = []
    rlf.sweep(
        river, "rmax", horizon=5, n_episodes=100, seeds=[0, 1], known_visits=[2, 3],
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert calls[-1] == (400, 400)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_interrupted_regret_sweep_keeps_the_groups_finished(river):
    def interrupt(done, total):
        if done > 200:  # in the second group (known_visits=3)
            raise KeyboardInterrupt

    arguments = {"horizon": 5, "n_episodes": 100, "seeds": [0, 1], "known_visits": [2, 3]}
    got = rlf.sweep(river, "rmax", progress=interrupt, on_interrupt="return", **arguments)
    assert got.n_runs == 2
    expected = rlf.sweep(river, "rmax", **{**arguments, "known_visits": [2]})
    assert got.regret.tobytes() == expected.regret.tobytes()


# Every kind of learner through an executor, chunked, with one failure per chunk retried.
EXECUTOR_SWEEPS = [
    pytest.param(
        "td_prediction",
        {"policy": WALK_POLICY, "gamma": 1.0, "n_steps": 2_000, "n": [1, 2], "eval_every": 1_000},
        id="td-prediction",
    ),
    pytest.param(
        "td_prediction",
        {
            "policy": WALK_POLICY,
            "gamma": 1.0,
            "n_steps": 2_000,
            "lam": 0.5,
            "record_episodes": False,
        },
        id="td-lambda-no-records",
    ),
    pytest.param(
        "monte_carlo_prediction",
        {"policy": WALK_POLICY, "gamma": [0.9, 1.0], "n_steps": 2_000, "first_visit": False},
        id="mc-prediction",
    ),
    pytest.param(
        "monte_carlo_control",
        {"gamma": 1.0, "n_steps": 2_000, "epsilon": [0.1, 0.2], "method": "off_policy"},
        id="mc-control",
    ),
    pytest.param("ucbvi", {"horizon": 5, "n_episodes": 50, "bonus_scale": [0.1, 1.0]}, id="ucbvi"),
    pytest.param(
        "psrl", {"horizon": 5, "n_episodes": 1_200, "record_episodes": False}, id="psrl-no-records"
    ),
]


@pytest.mark.parametrize(("name", "arguments"), EXECUTOR_SWEEPS)
def test_every_learner_on_an_executor_equals_the_local_sweep(walk, river, name, arguments):
    mdp = river if "horizon" in arguments else walk
    arguments = {"seeds": range(3), **arguments}
    expected = rlf.sweep(mdp, name, **arguments)
    executor = FlakyExecutor(failures=1)
    got = rlf.sweep(mdp, name, executor=executor, chunk_runs=2, **arguments)
    assert set(executor.attempts.values()) == {2}
    assert type(got) is type(expected)
    assert got.params == expected.params
    assert got.seeds.tobytes() == expected.seeds.tobytes()
    if name in ("td_prediction", "monte_carlo_prediction"):
        assert_same_prediction(got, expected)
    elif name == "monte_carlo_control":
        assert_same_sweep(got, expected)
    else:
        assert_same_regret(got, expected)
        assert got.run(-1).regret.tobytes() == expected.run(-1).regret.tobytes()


@pytest.mark.parametrize(
    ("name", "arguments", "error", "message"),
    [
        pytest.param(
            "ucbvi", {"gamma": 0.9}, InvalidValueError, "ucbvi does not take gamma", id="gamma"
        ),
        pytest.param(
            "ucbvi", {"eval_every": 5}, InvalidValueError, "does not take eval_every", id="eval"
        ),
        pytest.param(
            "ucbvi", {"epsilon": 0.1}, InvalidValueError, "does not take epsilon", id="eps-ucbvi"
        ),
        pytest.param(
            "rmax",
            {"bonus_scale": 0.1},
            InvalidTypeError,
            r"options are \['known_visits'\]",
            id="option-of-another",
        ),
        pytest.param(
            "ucbvi", {"bonus_scale": []}, InvalidValueError, "must not be empty", id="empty-axis"
        ),
        pytest.param(
            "ucbvi", {"bonus_scale": [0.1, -1.0]}, InvalidValueError, "bonus_scale", id="bad-axis"
        ),
        pytest.param(
            "psrl", {"n_episodes": None}, InvalidTypeError, "n_episodes", id="no-episodes"
        ),
        pytest.param("td_prediction", {"policy": None}, InvalidTypeError, "policy", id="no-policy"),
        pytest.param(
            "td_prediction", {"lam": 0.5, "n": 2}, InvalidValueError, "does not use n", id="n-lam"
        ),
        pytest.param(
            "td_prediction",
            {"first_visit": False},
            InvalidTypeError,
            "first_visit",
            id="mc-option-for-td",
        ),
        pytest.param(
            "td_prediction",
            {"planning_steps": 3},
            InvalidValueError,
            "td_prediction does not take planning_steps",
            id="td-only-setting",
        ),
        pytest.param(
            "monte_carlo_prediction",
            {"alpha": 0.1},
            InvalidValueError,
            "does not take alpha",
            id="alpha-for-mc",
        ),
        pytest.param(
            "monte_carlo_control", {"lam": 0.5}, InvalidValueError, "does not take lam", id="lam"
        ),
        pytest.param(
            "monte_carlo_control",
            {"method": "greedy"},
            InvalidValueError,
            "method must be",
            id="method",
        ),
        pytest.param(
            "q_learning",
            {"horizon": 5},
            InvalidValueError,
            "q_learning does not take horizon",
            id="horizon-for-td",
        ),
        pytest.param(
            "q_learning",
            {"method": "on_policy"},
            InvalidTypeError,
            "'method' for q_learning",
            id="option-for-td",
        ),
    ],
)
def test_a_keyword_the_learner_does_not_take_is_refused_naming_it(
    walk, river, name, arguments, error, message
):
    if name in exploration_names():
        call = {"horizon": 5, "n_episodes": 10, **arguments}
        mdp = river
    else:
        call = {"gamma": 1.0, "n_steps": 10, **arguments}
        if name in ("td_prediction", "monte_carlo_prediction"):
            call = {"policy": WALK_POLICY, **call}
        mdp = walk
    call = {key: value for key, value in call.items() if value is not None}
    with pytest.raises(error, match=message):
        rlf.sweep(mdp, name, seeds=[0, 1], executor=FlakyExecutor(failures=9), **call)


def exploration_names() -> tuple[str, ...]:
    return ("ucbvi", "psrl", "ucb_q_learning", "rmax")


def test_the_unknown_algorithm_message_lists_every_learner(lake):
    with pytest.raises(InvalidValueError, match="algorithm must be one of") as raised:
        rlf.sweep(lake, "td_lambda", gamma=0.9, n_steps=10, seeds=[0])
    for name in ("td_prediction", "monte_carlo_control", "ucbvi", "q_learning"):
        assert repr(name) in str(raised.value)
