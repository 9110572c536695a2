"""Results as DataFrames and Datasets: shapes and values against the arrays they came from."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations.errors import InvalidValueError

pd = pytest.importorskip("pandas")
xr = pytest.importorskip("xarray")


@pytest.fixture(scope="module")
def cliff():
    return rlf.from_env("CliffWalking-v1")


@pytest.fixture(scope="module")
def swept(cliff):
    return rlf.sweep(
        cliff, gamma=0.9, n_steps=3_000, seeds=[3, 5, 7], alpha=[0.1, 0.5], eval_every=1_000
    )


@pytest.fixture(scope="module")
def taxi():
    mdp = rlf.from_env("Taxi-v3")
    return mdp.with_factors((("row", 5), ("col", 5), ("passenger", 5), ("destination", 4)))


def test_sweep_frame_has_one_row_per_run_and_checkpoint(swept, cliff):
    got = swept.to_pandas(cliff).shape[0]
    expected = swept.n_runs * len(swept.curve_steps)
    assert got == expected


def test_sweep_frame_columns_carry_every_run_parameter(swept, cliff):
    frame = swept.to_pandas(cliff)
    got = frame[frame["steps"] == 0][["alpha", "seed"]].to_records(index=False).tolist()
    expected = [(p["alpha"], p["seed"]) for p in swept.params]
    assert got == expected


def test_sweep_frame_value_is_the_curve_weighted_by_the_initial_distribution(swept, cliff):
    frame = swept.to_pandas(cliff)
    got = frame["value"].to_numpy().reshape(swept.n_runs, -1)
    expected = swept.curve(cliff.initial)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_sweep_frame_gap_is_the_optimal_value_minus_the_value(swept, cliff):
    frame = swept.to_pandas(cliff)
    optimal = cliff.initial @ rlf.policy_iteration(cliff, 0.9).values
    np.testing.assert_allclose(frame["gap"], optimal - frame["value"], atol=1e-8)


def test_sweep_frame_counts_the_episodes_finished_by_each_checkpoint(swept, cliff):
    frame = swept.to_pandas(cliff)
    run = 4
    ends = np.cumsum(swept.episode_lengths[run, : swept.n_episodes[run]])
    got = frame[frame["run"] == run]["episodes"].tolist()
    expected = [int((ends <= step).sum()) for step in swept.curve_steps]
    assert got == expected


def test_sweep_frame_without_a_model_has_no_value_column(swept):
    assert "value" not in swept.to_pandas().columns


def test_sweep_frame_without_a_curve_has_the_final_policy_value(cliff):
    result = rlf.sweep(cliff, gamma=0.9, n_steps=2_000, seeds=[0, 1])
    frame = result.to_pandas(cliff)
    expected = [
        cliff.initial @ rlf.policy_evaluation(cliff, result.policy[run], 0.9).values
        for run in range(2)
    ]
    np.testing.assert_allclose(frame["value"], expected, atol=1e-9)


def test_sweep_frame_refuses_a_model_of_another_size(swept):
    with pytest.raises(InvalidValueError, match="16 states"):
        swept.to_pandas(rlf.from_env("FrozenLake-v1"))


def test_sweep_dataset_dims_are_the_parameters_seed_and_checkpoint(swept, cliff):
    got = dict(swept.to_xarray(cliff)["gap"].sizes)
    expected = {"gamma": 1, "alpha": 2, "epsilon": 1, "seed": 3, "checkpoint": 4}
    assert got == expected


def test_sweep_dataset_state_values_are_the_curve_values(swept, cliff):
    data = swept.to_xarray(cliff)
    got = data["state_value"].sel(alpha=0.5, seed=5).squeeze().to_numpy()
    expected = swept.curve_values[4]  # alpha 0.5 is the second block of 3 seeds
    np.testing.assert_array_equal(got, expected)


def test_sweep_dataset_gap_matches_the_frame(swept, cliff):
    data = swept.to_xarray(cliff)
    frame = swept.to_pandas(cliff)
    got = data["gap"].sel(alpha=0.1, seed=7).squeeze().to_numpy()
    expected = frame[frame["run"] == 2]["gap"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_episodes_frame_matches_the_result_arrays(cliff):
    result = rlf.q_learning(cliff, gamma=0.99, n_steps=3_000, seed=1)
    frame = result.episodes()
    np.testing.assert_array_equal(frame["return"], result.episode_returns)
    np.testing.assert_array_equal(frame["end_step"], np.cumsum(result.episode_lengths))


def test_planning_frame_decodes_taxi_factors(taxi):
    frame = rlf.value_iteration(taxi, 0.99).to_pandas(taxi)
    state = 328  # Taxi's own docs: encode(3, 1, 2, 0) == 328
    got = frame.loc[state, ["row", "col", "passenger", "destination"]].tolist()
    expected = [3, 1, 2, 0]
    assert got == expected


def test_planning_frame_q_columns_are_the_q_values(taxi):
    result = rlf.value_iteration(taxi, 0.99)
    frame = result.to_pandas(taxi)
    got = frame[[f"q_{a}" for a in range(6)]].to_numpy()
    np.testing.assert_array_equal(got, result.q_values)


def test_planning_frame_action_gap_is_best_minus_second_best():
    mdp = rlf.TabularMDP.from_dense([[[1.0], [1.0], [1.0]]], [[1.0, 3.0, 2.5]])
    frame = rlf.value_iteration(mdp, 0.5).to_pandas(mdp)
    assert frame.loc[0, "action_gap"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("module", "convert"),
    [
        pytest.param("pandas", lambda result: result.to_pandas(), id="to_pandas"),
        pytest.param("xarray", lambda result: result.to_xarray(), id="to_xarray"),
        pytest.param("pandas", lambda result: result.run(0).episodes(), id="episodes"),
    ],
)
def test_conversion_without_its_library_names_the_install_command(
    monkeypatch, swept, module, convert
):
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'rlfoundations\[data\]'"):
        convert(swept)


def test_planning_result_html_lists_the_first_states(taxi):
    got = rlf.value_iteration(taxi, 0.99)._repr_html_()
    assert "<table>" in got
    assert "Q(s, 5)" in got


def test_sweep_result_html_lists_the_swept_values(swept):
    assert "0.1, 0.5" in swept._repr_html_()


def test_model_check_html_says_whether_the_model_passed():
    check = rlf.check_model("FrozenLake-v1", rlf.from_env("FrozenLake-v1"), n_samples=2_000, seed=0)
    got = check._repr_html_()
    assert "<th>ok</th><td>True</td>" in got
