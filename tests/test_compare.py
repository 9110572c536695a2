"""compare: rliable's statistics against hand computations, and intervals that cover."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations.compare import (
    bootstrap_ci,
    iqm,
    performance_profile,
    probability_of_improvement,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from strategies import gap_samples

# rliable's own test table (tests/rliable/metrics_test.py): runs x tasks, one task at a time.
RLIABLE_X = np.array([[1, 2], [2, 2], [1, 1], [2, 1]])
RLIABLE_Y = np.array([[1, 1], [2, 2], [3, 3]])


def test_iqm_of_rliables_table_is_its_stated_value():
    assert iqm(RLIABLE_X) == 1.5
    assert iqm(RLIABLE_Y) == 2.0


def test_iqm_cuts_a_quarter_from_each_end():
    got = iqm([10.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -7.0])  # sorted: -7 1 2 3 4 5 6 10
    expected = (2.0 + 3.0 + 4.0 + 5.0) / 4
    assert got == expected


def test_iqm_along_an_axis_is_the_iqm_of_every_row():
    rows = np.array([[1.0, 2.0, 3.0, 100.0], [0.0, 0.0, 4.0, 4.0]])
    np.testing.assert_array_equal(iqm(rows, axis=1), [2.5, 2.0])


def test_probability_of_improvement_matches_rliables_stated_value():
    # rliable: P(X > Y) = 1/3 for its table, higher scores better; ours has lower gaps
    # better, so negated scores are gaps.
    got = [probability_of_improvement(-RLIABLE_X[:, t], -RLIABLE_Y[:, t]) for t in range(2)]
    assert np.mean(got) == pytest.approx(1 / 3)


def test_probability_of_improvement_by_hand():
    # x wins 0<1, 0<5, 2<5; ties none; loses 2>1: 3 of 4
    assert probability_of_improvement([0.0, 2.0], [1.0, 5.0]) == 0.75


def test_probability_of_improvement_counts_near_equal_gaps_as_ties():
    assert probability_of_improvement([0.0], [1e-12]) == 0.5


def test_performance_profile_is_the_fraction_at_or_below_each_threshold():
    got = performance_profile([0.0, 0.0, 1.0, 3.0], [0.0, 0.5, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(got, [0.5, 0.5, 0.75, 0.75, 1.0])


def test_bootstrap_ci_of_the_iqm_covers_the_true_mean_about_as_often_as_stated():
    # Normal scores: the population IQM is the mean, 0. A 90% interval from 40 runs should
    # cover it in about 90% of 200 seeded experiments (binomial sd 2%; percentile bootstrap
    # undercovers a little at this size).
    rng = np.random.default_rng(12345)
    covered = 0
    for trial in range(200):
        scores = rng.normal(0.0, 1.0, size=40)
        low, high = bootstrap_ci(scores, iqm, confidence=0.9, reps=1000, seed=trial)
        covered += low <= 0.0 <= high
    assert 0.82 <= covered / 200 <= 0.97


def test_bootstrap_ci_of_the_median_covers_an_exponential_median():
    rng = np.random.default_rng(7)
    covered = 0
    for trial in range(200):
        scores = rng.exponential(1.0, size=40)
        low, high = bootstrap_ci(scores, np.median, confidence=0.9, reps=1000, seed=trial)
        covered += low <= np.log(2.0) <= high
    assert 0.82 <= covered / 200 <= 0.98


def test_bootstrap_ci_with_strata_keeps_each_strata_size():
    # Two strata far apart, equal sizes: every resample keeps half of each, so the mean of a
    # resample never strays to an all-low or all-high sample.
    scores = np.array([0.0, 0.0, 0.0, 100.0, 100.0, 100.0])
    low, high = bootstrap_ci(scores, np.mean, strata=[0, 0, 0, 1, 1, 1], reps=500)
    assert (low, high) == (50.0, 50.0)


def test_bootstrap_ci_is_the_same_for_the_same_seed():
    scores = np.arange(10.0)
    assert bootstrap_ci(scores, iqm, seed=3) == bootstrap_ci(scores, iqm, seed=3)


# -- compare on sweeps ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cliff():
    return rlf.from_env("CliffWalking-v1")


@pytest.fixture(scope="module")
def runs(cliff):
    return {
        name: rlf.sweep(
            cliff,
            name,
            gamma=0.9,
            n_steps=4_000,
            seeds=range(10),
            alpha=[0.1, 0.5],
            eval_every=1_000,
        )
        for name in ("q_learning", "expected_sarsa")
    }


def test_compare_iqm_is_the_iqm_of_the_exact_final_gaps(runs, cliff):
    comparison = rlf.compare(runs, mdp=cliff)
    frame = runs["q_learning"].to_pandas(cliff)
    final = frame[frame["steps"] == 4_000]["gap"].to_numpy()
    assert comparison.iqm["q_learning"] == pytest.approx(iqm(final), abs=1e-9)


def test_compare_orders_groups_best_iqm_first(runs, cliff):
    comparison = rlf.compare(runs, mdp=cliff)
    first, second = comparison.groups
    assert comparison.iqm[first] <= comparison.iqm[second]


def test_compare_by_a_parameter_makes_a_group_per_value(runs, cliff):
    comparison = rlf.compare(runs["q_learning"], "alpha", mdp=cliff)
    assert sorted(comparison.groups) == ["alpha=0.1", "alpha=0.5"]
    assert comparison.n_seeds["alpha=0.1"] == 10


def test_compare_improvement_matrix_rows_and_columns_sum_to_one(runs, cliff):
    comparison = rlf.compare(runs, mdp=cliff)
    poi = comparison.probability_of_improvement
    assert poi[0, 1] + poi[1, 0] == pytest.approx(1.0)


def test_compare_auc_is_the_mean_gap_over_the_curve(runs, cliff):
    comparison = rlf.compare(runs, mdp=cliff, metric="auc")
    frame = runs["q_learning"].to_pandas(cliff)
    gaps = frame.pivot(index="run", columns="steps", values="gap").to_numpy()
    # equal steps between evaluations: the trapezoid mean is (first/2 + middle + last/2) / 4
    expected = (gaps[:, 0] / 2 + gaps[:, 1:-1].sum(axis=1) + gaps[:, -1] / 2) / 4
    np.testing.assert_allclose(np.sort(comparison.scores["q_learning"]), np.sort(expected))


def test_compare_refuses_auc_without_a_curve(cliff):
    result = rlf.sweep(cliff, gamma=0.9, n_steps=1_000, seeds=range(2))
    with pytest.raises(InvalidValueError, match="eval_every"):
        rlf.compare(result, mdp=cliff, metric="auc")


def test_compare_refuses_an_unknown_parameter(runs, cliff):
    with pytest.raises(InvalidValueError, match="'beta'"):
        rlf.compare(runs, "beta", mdp=cliff)


def test_compare_refuses_finished_sweeps_when_adaptive(runs, cliff):
    with pytest.raises(InvalidTypeError, match="sweep arguments"):
        rlf.compare(runs, mdp=cliff, adaptive=True, gamma=0.9, n_steps=1_000)


def test_compare_adaptive_stops_early_on_a_clear_difference(cliff):
    # Epsilon 1 is a random walk, which on the cliff keeps falling back to the start: after
    # 4000 steps every such run is far from optimal, every epsilon-0.1 run optimal.
    specs = {
        "long": {"algorithm": "q_learning", "alpha": 0.5},
        "random": {"algorithm": "q_learning", "alpha": 0.5, "epsilon": 1.0},
    }
    comparison = rlf.compare(
        specs, mdp=cliff, adaptive=True, gamma=0.9, n_steps=4_000, max_seeds=40,
        seeds_per_batch=8, reps=500,
    )  # fmt: skip
    assert comparison.decided
    assert comparison.n_seeds["long"] < 40


def test_compare_adaptive_says_undecided_for_identical_learners(cliff):
    specs = {
        "a": {"algorithm": "q_learning", "alpha": 0.5},
        "b": {"algorithm": "q_learning", "alpha": 0.5},
    }
    comparison = rlf.compare(
        specs, mdp=cliff, adaptive=True, gamma=0.9, n_steps=1_000, max_seeds=8,
        seeds_per_batch=4, reps=300,
    )  # fmt: skip
    assert comparison.decided is False
    assert comparison.n_seeds == {"a": 8, "b": 8}


def test_comparison_text_names_every_group(runs, cliff):
    text = str(rlf.compare(runs, mdp=cliff))
    assert "q_learning" in text
    assert "expected_sarsa" in text


# -- properties ----------------------------------------------------------------------------------
@given(gap_samples(), gap_samples())
def test_probability_of_improvement_of_x_over_y_and_y_over_x_sum_to_one(x, y):
    got = probability_of_improvement(x, y) + probability_of_improvement(y, x)
    assert got == pytest.approx(1.0)


@given(gap_samples())
def test_iqm_lies_between_the_quartiles_of_the_runs(gaps):
    low = np.quantile(gaps, 0.25, method="lower")
    high = np.quantile(gaps, 0.75, method="higher")
    assert low - 1e-9 <= iqm(gaps) <= high + 1e-9


@given(gap_samples())
def test_performance_profile_rises_from_the_best_run_to_one_at_the_worst(gaps):
    thresholds = np.sort(gaps)
    profile = performance_profile(gaps, thresholds)
    assert np.all(np.diff(profile) >= 0)
    assert profile[-1] == 1.0
