"""Pictures: grid layouts, values and policies on the grid, learning curves, value-iteration GIFs.

Every picture is rendered with the Agg backend into tmp_path and read back; what is drawn is
checked against oracles written here from the envs' own documentation (action order,
``encode``/``decode``, maps), not against plot.py's tables.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("PIL")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from PIL import Image  # noqa: E402

import rlfoundations as rlf  # noqa: E402
from rlfoundations import plot  # noqa: E402
from rlfoundations.envs import RICK_ID  # noqa: E402

UP, DOWN, RIGHT, LEFT = (-1, 0), (1, 0), (0, 1), (0, -1)
# How each action should be drawn, from the envs' docs (Action Space sections).
DRAWN_AS = {
    "FrozenLake8x8-v1": (LEFT, DOWN, RIGHT, UP),
    "CliffWalking-v1": (UP, RIGHT, DOWN, LEFT),
    "Taxi-v3": (DOWN, UP, RIGHT, LEFT, "P", "D"),
    RICK_ID: (UP, DOWN, RIGHT, LEFT, "P", "G"),
}

ENVS = [
    pytest.param("FrozenLake8x8-v1", {}, id="frozen-lake-8x8"),
    pytest.param("CliffWalking-v1", {}, id="cliff-walking"),
    pytest.param("Taxi-v3", {"passenger": 0, "destination": 1}, id="taxi-passenger-waiting"),
    pytest.param("Taxi-v3", {"passenger": 4, "destination": 1}, id="taxi-passenger-aboard"),
    pytest.param(RICK_ID, {"signal": 1, "morty": 2}, id="rick-morty-waiting"),
    pytest.param(RICK_ID, {"signal": 1, "morty": 4}, id="rick-morty-aboard"),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@functools.cache
def solved(env_id: str):
    mdp = rlf.from_env(env_id)
    return mdp, rlf.value_iteration(mdp, gamma=0.99, extrapolate=False)


@functools.cache
def base_env(env_id: str):
    return rlf.make(env_id).unwrapped


def expected_state(env_id: str, row: int, col: int, fixed: dict) -> int:
    """The state drawn at (row, col), from the env's own encoding."""
    base = base_env(env_id)
    if env_id == "Taxi-v3":
        return base.encode(row, col, fixed["passenger"], fixed["destination"])
    if env_id == RICK_ID:
        return base.encode(row, col, fixed["signal"], fixed["morty"])
    n_cols = base.shape[1] if env_id == "CliffWalking-v1" else base.ncol
    return row * n_cols + col


def expected_terminal(env_id: str, shape) -> set:
    """Cells where the agent never acts: holes and goal; the cliff and its goal."""
    if env_id.startswith("FrozenLake"):
        desc = base_env(env_id).desc
        return {(r, c) for r, c in np.ndindex(shape) if desc[r, c] in (b"H", b"G")}
    if env_id == "CliffWalking-v1":
        return {(shape[0] - 1, c) for c in range(1, shape[1])}
    return set()


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


# -- layouts -------------------------------------------------------------------------------------
SLICES = [
    pytest.param("Taxi-v3", {"passenger": p, "destination": d}, id=f"taxi-p{p}-d{d}")
    for p in range(5)
    for d in range(4)
] + [
    pytest.param(RICK_ID, {"signal": s, "morty": m}, id=f"rick-s{s}-m{m}")
    for s in range(4)
    for m in range(5)
]


@pytest.mark.parametrize(("env_id", "fixed"), SLICES)
def test_layout_is_a_bijection_between_the_slice_and_the_cells(env_id, fixed):
    layout = plot.grid_layout(env_id, **fixed)
    base = base_env(env_id)
    on_slice = 0
    for state in range(base.observation_space.n):
        decoded = tuple(base.decode(state))
        if decoded[2:] == tuple(fixed.values()):
            on_slice += 1
            assert layout.cell(state) == decoded[:2]
            assert layout.cells[decoded[:2]] == state
        else:
            assert layout.cell(state) is None
    assert on_slice == layout.cells.size == 25


DETERMINISTIC = [
    pytest.param(gym.make("FrozenLake8x8-v1", is_slippery=False), {}, id="frozen-lake-8x8"),
    pytest.param(gym.make("CliffWalking-v1"), {}, id="cliff-walking"),
    pytest.param(rlf.make("Taxi-v3"), {"passenger": 2, "destination": 0}, id="taxi"),
    pytest.param(rlf.make(RICK_ID), {"signal": 3, "morty": 4}, id="rick"),
]


@pytest.mark.parametrize(("env", "fixed"), DETERMINISTIC)
def test_moves_and_walls_agree_with_the_env_dynamics(env, fixed):
    """An arrow points where the env moves; a move that stays put hits a wall or the edge."""
    layout = plot.grid_layout(env, **fixed)
    table = env.unwrapped.P
    walls = {frozenset(pair) for pair in layout.walls}
    rows, cols = layout.shape
    checked = 0
    for (row, col), state in np.ndenumerate(layout.cells):
        if (row, col) in layout.terminal:
            continue
        for action, mark in enumerate(layout.actions):
            if isinstance(mark, str):
                continue
            ((_, next_state, reward, _),) = table[state][action]
            target = (row + mark[0], col + mark[1])
            if reward == -100:  # CliffWalking: into the cliff, back to the start
                assert target in layout.hazards
                continue
            if next_state == state:
                blocked = not (0 <= target[0] < rows and 0 <= target[1] < cols)
                assert blocked or frozenset([(row, col), target]) in walls
            else:
                assert layout.cell(next_state) == target
                assert frozenset([(row, col), target]) not in walls
            checked += 1
    assert checked >= layout.cells.size  # every cell had moves to check


@pytest.mark.parametrize(
    "make_kwargs",
    [pytest.param({"is_slippery": True}, id="slippery"), pytest.param({}, id="not-slippery")],
)
def test_frozen_lake_layout_reads_the_env_map(make_kwargs):
    kwargs = {"is_slippery": False, **make_kwargs}
    env = gym.make("FrozenLake-v1", desc=["SFFH", "FHFG"], **kwargs)
    layout = plot.grid_layout(env)
    assert layout.shape == (2, 4)
    np.testing.assert_array_equal(layout.cells, [[0, 1, 2, 3], [4, 5, 6, 7]])
    assert sorted(layout.hazards) == [(0, 3), (1, 1)]
    assert sorted(layout.terminal) == [(0, 3), (1, 1), (1, 3)]
    assert sorted(layout.labels) == [(0, 0, "S"), (1, 3, "G")]


def test_cliff_walking_layout_marks_the_cliff_and_the_goal():
    layout = plot.grid_layout("CliffWalking-v1")
    assert layout.shape == (4, 12)
    np.testing.assert_array_equal(layout.cells[3, 1:11], np.arange(37, 47))
    assert sorted(layout.hazards) == [(3, c) for c in range(1, 11)]
    assert (3, 11) in layout.terminal and (3, 0) not in layout.terminal


def test_layout_of_a_model_is_made_from_its_name():
    got = plot.grid_layout(rlf.from_env("Taxi-v3"), passenger=1, destination=2)
    expected = plot.grid_layout("Taxi-v3", passenger=1, destination=2)
    np.testing.assert_array_equal(got.cells, expected.cells)


def test_layout_of_a_model_made_with_other_arguments_draws_that_map():
    mdp = rlf.from_env("FrozenLake-v1", map_name="8x8")
    got = plot.grid_layout(mdp).shape
    assert got == (8, 8)


def test_layout_of_a_model_whose_env_differs_from_its_make_kwargs_is_refused():
    mdp = dataclasses.replace(rlf.from_env("FrozenLake-v1", map_name="8x8"), make_kwargs=None)
    with pytest.raises(ValueError, match=r"'FrozenLake-v1' has 64 states.*pass that env"):
        plot.grid_layout(mdp)


class Corridor(gym.Env):
    """Six states on a 2x3 grid, no P table: an env grid_layout does not know."""

    observation_space = gym.spaces.Discrete(6)
    action_space = gym.spaces.Discrete(2)


@pytest.mark.parametrize(
    "env",
    [pytest.param(Corridor(), id="own-env"), pytest.param("Blackjack-v1", id="blackjack")],
)
def test_unknown_env_error_names_the_env_and_the_known_ones(env):
    name = "Corridor" if isinstance(env, Corridor) else "Blackjack-v1"
    with pytest.raises(ValueError, match=rf"{name}.*known: .*FrozenLake8x8-v1.*state_to_cell"):
        plot.grid_layout(env)


def test_own_mapping_places_states_where_it_says():
    layout = plot.grid_layout(
        Corridor(), state_to_cell=lambda s: None if s == 5 else (s // 3, 2 - s % 3)
    )
    np.testing.assert_array_equal(layout.cells, [[2, 1, 0], [-1, 4, 3]])
    assert layout.actions == ("0", "1")
    fig = plot.plot_values(layout, np.arange(6.0), np.array([1, 0, 1, 0, 1, 0]))
    letters = {t.get_text() for t in fig.axes[0].texts if t.get_gid() == "policy-action"}
    assert letters == {"0", "1"}


def test_own_mapping_that_puts_two_states_in_a_cell_is_refused():
    with pytest.raises(ValueError, match=r"states 0 and 3 in the same cell \(0, 0\)"):
        plot.grid_layout(Corridor(), state_to_cell=lambda s: (0, s % 3))


@pytest.mark.parametrize(
    ("env_id", "fixed", "error", "match"),
    [
        pytest.param("Taxi-v3", {"signal": 1}, TypeError, "passenger=, destination=", id="name"),
        pytest.param("Taxi-v3", {"passenger": 5}, ValueError, r"passenger .*\[0, 5\)", id="range"),
        pytest.param(RICK_ID, {"morty": -1}, ValueError, "morty must be in", id="negative"),
        pytest.param(RICK_ID, {"signal": 1.0}, TypeError, "signal must be an int", id="float"),
        pytest.param("FrozenLake-v1", {"morty": 0}, TypeError, "no slice", id="no-slice"),
    ],
)
def test_a_wrong_slice_is_refused_with_its_name(env_id, fixed, error, match):
    with pytest.raises(error, match=match):
        plot.grid_layout(env_id, **fixed)


@pytest.mark.parametrize(
    ("cells", "match"),
    [
        pytest.param([[0, 0]], r"state 0 sits in more than one cell", id="twice"),
        pytest.param([[0, 7]], r"cells\[0, 1\] = 7 is not a state", id="out-of-range"),
        pytest.param([[0.0, 1.0]], "2-D array of int states", id="floats"),
    ],
)
def test_grid_layout_checks_its_cells(cells, match):
    with pytest.raises(ValueError, match=match):
        plot.GridLayout(name="bad", cells=cells, n_states=2)


# -- plot_values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("env_id", "fixed"), ENVS)
def test_plot_values_writes_a_png_of_its_figure_size(env_id, fixed, tmp_path):
    _, result = solved(env_id)
    fig = plot.plot_values(env_id, result.values, result.policy, **fixed)
    path = tmp_path / "values.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 0
    width, height = fig.get_size_inches() * 60
    assert png_size(path) == (round(width), round(height))


def test_plot_values_honours_figsize(tmp_path):
    _, result = solved(RICK_ID)
    fig = plot.plot_values(RICK_ID, result.values, result.policy, figsize=(4, 3))
    fig.savefig(tmp_path / "rick.png", dpi=50)
    assert png_size(tmp_path / "rick.png") == (200, 150)


@pytest.mark.parametrize(("env_id", "fixed"), ENVS)
def test_heatmap_holds_the_values_of_the_slice(env_id, fixed):
    _, result = solved(env_id)
    fig = plot.plot_values(env_id, result.values, **fixed)
    (image,) = fig.axes[0].images
    shown = image.get_array()
    terminal = expected_terminal(env_id, shown.shape)
    for row, col in np.ndindex(shown.shape):
        if (row, col) in terminal:
            assert shown.mask[row, col]
        else:
            assert not np.ma.getmaskarray(shown)[row, col]
            assert shown[row, col] == result.values[expected_state(env_id, row, col, fixed)]


@pytest.mark.parametrize(("env_id", "fixed"), ENVS)
def test_arrows_and_letters_show_the_greedy_action_of_each_cell(env_id, fixed):
    _, result = solved(env_id)
    fig = plot.plot_values(env_id, result.values, result.policy, **fixed)
    ax = fig.axes[0]
    shape = ax.images[0].get_array().shape
    terminal = expected_terminal(env_id, shape)
    expected_arrows, expected_letters = {}, {}
    for row, col in np.ndindex(shape):
        if (row, col) in terminal:
            continue
        mark = DRAWN_AS[env_id][result.policy[expected_state(env_id, row, col, fixed)]]
        (expected_letters if isinstance(mark, str) else expected_arrows)[(row, col)] = mark

    (arrows,) = [c for c in ax.collections if c.get_gid() == "policy-arrows"]
    got_arrows = {
        (round(y), round(x)): (int(np.sign(v)), int(np.sign(u)))
        for x, y, u, v in zip(arrows.X, arrows.Y, arrows.U, arrows.V, strict=True)
    }
    assert arrows.N == len(expected_arrows)
    assert got_arrows == expected_arrows
    got_letters = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
        for t in ax.texts
        if t.get_gid() == "policy-action"
    }
    assert got_letters == expected_letters


def test_the_non_move_actions_shown_are_the_expected_ones():
    """Rick with Morty waiting at C picks him up there; aboard, fires the gun at B."""
    _, result = solved(RICK_ID)
    waiting = plot.plot_values(RICK_ID, result.values, result.policy, signal=1, morty=2)
    aboard = plot.plot_values(RICK_ID, result.values, result.policy, signal=1, morty=4)
    assert [t.get_text() for t in waiting.axes[0].texts if t.get_gid() == "policy-action"] == ["P"]
    assert waiting.axes[0].get_xlabel() == "P: Pickup"
    assert [t.get_text() for t in aboard.axes[0].texts if t.get_gid() == "policy-action"] == ["G"]


def test_plot_values_without_a_policy_draws_no_actions():
    _, result = solved("Taxi-v3")
    ax = plot.plot_values("Taxi-v3", result.values).axes[0]
    assert not [c for c in ax.collections if c.get_gid() == "policy-arrows"]
    assert not [t for t in ax.texts if t.get_gid() == "policy-action"]


def test_plot_values_draws_on_the_axes_given():
    _, result = solved("CliffWalking-v1")
    fig, (left, right) = plt.subplots(2, 1)
    got = plot.plot_values("CliffWalking-v1", result.values, result.policy, ax=right)
    assert got is fig
    assert len(right.images) == 1 and not left.images


@pytest.mark.parametrize(
    ("values", "policy", "error", "match"),
    [
        pytest.param(np.zeros(499), None, ValueError, r"shape \(500,\).*got shape \(499,\)",
                     id="short-values"),
        pytest.param(np.zeros((500, 6)), None, ValueError, r"q_values.max\(axis=1\)",
                     id="q-values"),
        pytest.param(np.zeros(500), np.zeros(499, dtype=int), ValueError,
                     r"policy must have shape \(500,\)", id="short-policy"),
        pytest.param(np.zeros(500), np.full(500, 6), ValueError, r"policy\[0\] = 6 is not",
                     id="unknown-action"),
        pytest.param(np.zeros(500), np.zeros(500), TypeError, "integer actions",
                     id="float-policy"),
        pytest.param(np.full(500, np.inf), None, ValueError, "finite", id="infinite-values"),
    ],
)  # fmt: skip
def test_plot_values_refuses_values_and_policies_that_do_not_fit(values, policy, error, match):
    with pytest.raises(error, match=match):
        plot.plot_values("Taxi-v3", values, policy)


# -- stochastic policies ------------------------------------------------------------------------
FROZEN_LAKE_MOVES = (LEFT, DOWN, RIGHT, UP)


def probability_arrows(ax) -> dict:
    """(row, col, (d_row, d_col)) -> arrow length, of the arrows drawn from cell centres."""
    (arrows,) = [c for c in ax.collections if c.get_gid() == "policy-probability-arrows"]
    assert arrows.pivot == "tail"
    return {
        (round(y), round(x), (int(np.sign(v)), int(np.sign(u)))): float(np.hypot(u, v))
        for x, y, u, v in zip(arrows.X, arrows.Y, arrows.U, arrows.V, strict=True)
    }


@functools.cache
def soft_frozen_lake():
    return rlf.soft_value_iteration(rlf.from_env("FrozenLake-v1"), 0.9, 0.1)


def test_a_stochastic_policy_is_drawn_as_arrows_as_long_as_their_probabilities():
    soft = soft_frozen_lake()
    fig = plot.plot_values("FrozenLake-v1", soft.values, soft.policy)
    desc = base_env("FrozenLake-v1").desc
    expected = {
        (row, col, move): 0.45 * soft.policy[4 * row + col, action]
        for row, col in np.ndindex(4, 4)
        if desc[row, col] not in (b"H", b"G")
        for action, move in enumerate(FROZEN_LAKE_MOVES)
        if soft.policy[4 * row + col, action] > 0
    }
    got = probability_arrows(fig.axes[0])
    assert got.keys() == expected.keys()
    np.testing.assert_allclose([got[key] for key in expected], list(expected.values()))
    assert "stochastic policy" in fig.axes[0].get_title()


def test_a_one_hot_stochastic_policy_points_where_the_greedy_policy_points():
    _, result = solved("CliffWalking-v1")
    one_hot = rlf.StochasticPolicy(np.eye(4)[result.policy])
    got = probability_arrows(plot.plot_values("CliffWalking-v1", result.values, one_hot).axes[0])
    terminal = expected_terminal("CliffWalking-v1", (4, 12))
    expected = {
        (row, col, DRAWN_AS["CliffWalking-v1"][result.policy[12 * row + col]]): 0.45
        for row, col in np.ndindex(4, 12)
        if (row, col) not in terminal
    }
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("as_object", [False, True], ids=["array", "StochasticPolicy"])
def test_plot_values_checks_the_rows_of_a_stochastic_policy_once(monkeypatch, as_object):
    from rlfoundations import _validate

    seen: list[str] = []
    check = _validate.check_distribution_rows
    monkeypatch.setattr(
        _validate, "check_distribution_rows", lambda a, name: seen.append(name) or check(a, name)
    )
    uniform = np.full((48, 4), 0.25)
    policy = rlf.StochasticPolicy(uniform) if as_object else uniform
    plt.close(plot.plot_values("CliffWalking-v1", np.zeros(48), policy))
    assert seen == (["probabilities"] if as_object else ["policy"])


def test_the_other_actions_of_a_stochastic_policy_are_labelled_with_their_probabilities():
    probabilities = np.zeros((500, 6))
    probabilities[:, 4], probabilities[:, 5], probabilities[:, 0] = 0.25, 0.15, 0.6
    fig = plot.plot_values("Taxi-v3", np.zeros(500), probabilities, passenger=0, destination=1)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "policy-action-probabilities"]
    assert labels == ["P 0.25 D 0.15"] * 25
    np.testing.assert_allclose(list(probability_arrows(ax).values()), 0.45 * 0.6)
    assert ax.get_xlabel().startswith("P: Pickup, D: Dropoff")


@pytest.mark.parametrize(
    ("policy", "match"),
    [
        pytest.param(np.full((500, 6), 0.2), r"policy\[0\] sums to 1.2", id="not-summing"),
        pytest.param(np.full((500, 5), 0.2), r"shape \(500, 6\)", id="too-few-actions"),
        pytest.param(np.full((16, 6), 1 / 6), r"shape \(500, 6\)", id="too-few-states"),
        pytest.param(np.full((500, 6), [[1.5, -0.5, 0, 0, 0, 0]]), r"-0.5 is not a probability",
                     id="negative"),
    ],
)  # fmt: skip
def test_plot_values_refuses_a_stochastic_policy_whose_rows_are_not_distributions(policy, match):
    with pytest.raises(ValueError, match=match):
        plot.plot_values("Taxi-v3", np.zeros(500), policy)


def test_a_layout_with_slice_arguments_is_refused():
    layout = plot.grid_layout(RICK_ID, signal=0, morty=1)
    with pytest.raises(TypeError, match="already has its slice"):
        plot.plot_values(layout, np.zeros(500), signal=1)


# -- learning curves -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cliff():
    return rlf.from_env("CliffWalking-v1")


@pytest.fixture(scope="module")
def cliff_sweep(cliff):
    return rlf.sweep(
        cliff, gamma=0.99, n_steps=3_000, seeds=range(3), alpha=[0.1, 0.5], eval_every=500
    )


def lines(fig, gid):
    return [line for ax in fig.axes for line in ax.lines if line.get_gid() == gid]


def test_learning_curves_write_a_png_of_their_figure_size(cliff_sweep, cliff, tmp_path):
    fig = plot.plot_learning_curves(cliff_sweep, cliff, figsize=(8, 3))
    fig.savefig(tmp_path / "curves.png", dpi=50)
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert png_size(tmp_path / "curves.png") == (400, 150)


def test_gap_line_of_each_group_is_the_mean_exact_gap_of_its_runs(cliff_sweep, cliff):
    fig = plot.plot_learning_curves(cliff_sweep, cliff)
    optimal = rlf.value_iteration(cliff, 0.99).mean_return(cliff.initial)
    gap_lines = lines(fig, "gap-mean")
    assert len(gap_lines) == 2
    for line, alpha in zip(gap_lines, (0.1, 0.5), strict=True):
        assert line.get_label() == f"alpha={alpha} (3 runs)"
        runs = [i for i, p in enumerate(cliff_sweep.params) if p["alpha"] == alpha]
        expected = np.mean([optimal - cliff_sweep.run(i).curve(cliff.initial) for i in runs], 0)
        np.testing.assert_array_equal(line.get_xdata(), cliff_sweep.curve_steps)
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12, atol=1e-12)


def test_band_spans_the_chosen_percentiles_of_the_runs(cliff_sweep, cliff):
    fig = plot.plot_learning_curves(cliff_sweep, cliff, band=(0, 100))
    (band, _) = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "gap-band"]
    runs = [i for i, p in enumerate(cliff_sweep.params) if p["alpha"] == 0.1]
    gaps = np.array([-cliff_sweep.run(i).curve(cliff.initial) for i in runs])
    gaps += rlf.value_iteration(cliff, 0.99).mean_return(cliff.initial)
    vertices = band.get_paths()[0].vertices
    for step, low, high in zip(cliff_sweep.curve_steps, gaps.min(0), gaps.max(0), strict=True):
        at_step = vertices[np.isclose(vertices[:, 0], step), 1]
        np.testing.assert_allclose([at_step.min(), at_step.max()], [low, high], atol=1e-9)


@pytest.mark.parametrize("smooth", [pytest.param(1, id="raw"), pytest.param(7, id="smoothed")])
def test_returns_line_is_the_trailing_mean_of_the_finished_episodes(cliff, smooth):
    result = rlf.q_learning(cliff, gamma=0.99, n_steps=2_000, seed=3, eval_every=1_000)
    fig = plot.plot_learning_curves(result, cliff, smooth=smooth)
    (line,) = lines(fig, "returns-mean")
    ends = np.cumsum(result.episode_lengths)
    for step, got in zip(line.get_xdata(), line.get_ydata(), strict=True):
        finished = [r for r, end in zip(result.episode_returns, ends, strict=True) if end <= step]
        if not finished:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(np.mean(finished[-smooth:]), rel=1e-9)


def test_given_optimal_value_is_the_reference_of_the_gap(cliff_sweep, cliff):
    fig = plot.plot_learning_curves(cliff_sweep, cliff, optimal=0.0)
    runs = [i for i, p in enumerate(cliff_sweep.params) if p["alpha"] == 0.1]
    expected = -np.mean([cliff_sweep.run(i).curve(cliff.initial) for i in runs], axis=0)
    np.testing.assert_allclose(lines(fig, "gap-mean")[0].get_ydata(), expected, atol=1e-12)


def machine() -> rlf.TabularMDP:
    """The two-state machine of average_reward_policy_iteration's example: optimal gain 9/13."""
    return rlf.TabularMDP.from_dense(
        P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]], R=[[1.0, 0.8], [-2.0, -2.0]]
    )


def test_learning_curves_of_an_average_reward_sweep_plot_the_gap_to_the_optimal_gain():
    mdp = machine()
    runs = rlf.sweep(
        mdp, "differential_q_learning", n_steps=2_000, seeds=range(2), eta=[0.1, 1.0],
        eval_every=500,
    )  # fmt: skip
    fig = plot.plot_learning_curves(runs, mdp)
    gap_lines = lines(fig, "gap-mean")
    assert [line.get_label() for line in gap_lines] == ["eta=0.1 (2 runs)", "eta=1 (2 runs)"]
    for line, eta in zip(gap_lines, (0.1, 1.0), strict=True):
        group = [i for i, p in enumerate(runs.params) if p["eta"] == eta]
        expected = np.mean([9 / 13 - runs.run(i).curve(mdp.initial) for i in group], axis=0)
        np.testing.assert_allclose(line.get_ydata(), expected, atol=1e-9)
    assert "average reward" in fig.get_suptitle() and "gamma" not in fig.get_suptitle()
    assert fig.axes[1].get_ylabel().startswith("optimal gain - gain(greedy policy)")
    plt.close(fig)


def test_learning_curves_of_one_average_reward_run_are_labelled_by_its_algorithm():
    mdp = machine()
    result = rlf.differential_sarsa(mdp, n_steps=1_000, seed=0, eval_every=500)
    fig = plot.plot_learning_curves(result, mdp)
    (line,) = lines(fig, "gap-mean")
    assert line.get_label() == "differential_sarsa (1 run)"
    expected = 9 / 13 - result.curve_values @ mdp.initial  # the optimum to 1e-10
    np.testing.assert_allclose(line.get_ydata(), expected, atol=1e-9)
    plt.close(fig)


def test_learning_curves_without_eval_every_are_refused(cliff):
    result = rlf.sweep(cliff, gamma=0.99, n_steps=500, seeds=range(2))
    with pytest.raises(ValueError, match=r"no learning curves.*eval_every"):
        plot.plot_learning_curves(result, cliff)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"smooth": 0}, ValueError, "smooth must be > 0", id="smooth"),
        pytest.param({"band": (90, 10)}, ValueError, "band must be", id="band"),
        pytest.param({"mdp": "CliffWalking-v1"}, TypeError, "TabularMDP", id="mdp-kind"),
    ],
)
def test_learning_curves_refuse_bad_arguments(cliff_sweep, cliff, kwargs, error, match):
    arguments = {"mdp": cliff, **kwargs}
    with pytest.raises(error, match=match):
        plot.plot_learning_curves(cliff_sweep, **arguments)


def test_learning_curves_refuse_a_model_of_another_size(cliff_sweep):
    with pytest.raises(ValueError, match="the runs have 48 states but mdp has 500"):
        plot.plot_learning_curves(cliff_sweep, rlf.from_env("Taxi-v3"))


# -- animation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env_id", "fixed", "stride"),
    [
        pytest.param("FrozenLake8x8-v1", {}, 50, id="frozen-lake-8x8-stride-50"),
        pytest.param("CliffWalking-v1", {}, 2, id="cliff-walking-stride-2"),
        pytest.param("Taxi-v3", {"passenger": 0, "destination": 3}, 1, id="taxi-every-sweep"),
        pytest.param(RICK_ID, {"signal": 2, "morty": 4}, 3, id="rick-stride-3"),
    ],
)
def test_gif_has_a_frame_per_recorded_sweep_after_the_stride(env_id, fixed, stride, tmp_path):
    recorded = solved(env_id)[1].iterations + 1  # the start, then one per sweep
    path = plot.animate_value_iteration(
        env_id, tmp_path / "vi.gif", stride=stride, tolerance=None, figsize=(10, 4), dpi=24,
        **fixed,
    )  # fmt: skip
    assert path == tmp_path / "vi.gif" and path.stat().st_size > 0
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(range(0, recorded, stride)) + ((recorded - 1) % stride != 0)
        assert gif.size == (240, 96)


@pytest.fixture
def drawn_frames(monkeypatch):
    """What each frame taken from the canvas shows: every image's array and colour range."""
    frames = []
    buffer_rgba = FigureCanvasAgg.buffer_rgba

    def recording_buffer_rgba(canvas):
        frames.append(
            [
                (np.ma.copy(image.get_array()), image.norm.vmin, image.norm.vmax)
                for ax in canvas.figure.axes
                for image in ax.images
            ]
        )
        return buffer_rgba(canvas)

    monkeypatch.setattr(FigureCanvasAgg, "buffer_rgba", recording_buffer_rgba)
    return frames


def test_frames_show_the_recorded_values_on_absolute_and_relative_scales(drawn_frames, tmp_path):
    mdp = rlf.from_env("CliffWalking-v1")
    history = rlf.value_iteration(mdp, 0.99, record=True, extrapolate=False).history
    plot.animate_value_iteration(mdp, tmp_path / "cliff.gif", stride=4, tolerance=None, dpi=30)
    sweeps = [0, 4, 8, 12, 15]
    assert len(drawn_frames) == len(sweeps)
    playable = np.ones((4, 12), dtype=bool)
    playable[3, 1:] = False  # the cliff and the goal: never acted in, drawn blank
    everything = history[sweeps].reshape(-1, 4, 12)[:, playable]
    for frame, sweep in zip(drawn_frames, sweeps, strict=True):
        (absolute, low, high), (relative, rel_low, rel_high) = frame
        values = history[sweep].reshape(4, 12)
        assert (np.ma.getmaskarray(absolute) == ~playable).all()
        np.testing.assert_array_equal(absolute[playable], values[playable])
        assert (low, high) == (everything.min(), everything.max())
        span = values[playable].max() - values[playable].min()
        expected = (values - values[playable].min()) / span if span else np.zeros((4, 12))
        np.testing.assert_allclose(relative[playable], expected[playable], atol=1e-12)
        assert (rel_low, rel_high) == (0.0, 1.0)


def test_sweeps_that_look_like_the_final_values_are_not_drawn(tmp_path):
    history = rlf.value_iteration(
        rlf.from_env("FrozenLake8x8-v1"), 0.99, record=True, extrapolate=False
    ).history
    final = history[-1]
    close = np.abs(history - final).max(axis=1) <= 0.3 * (final.max() - final.min())
    settled = int(np.argmax(close))
    assert settled < len(history) - 1
    path = plot.animate_value_iteration(
        "FrozenLake8x8-v1", tmp_path / "lake.gif", stride=1, tolerance=0.3, dpi=20
    )
    with Image.open(path) as gif:
        assert gif.n_frames == settled + 2  # sweeps 0..settled, then the final values


def test_default_stride_keeps_at_most_max_frames(tmp_path):
    path = plot.animate_value_iteration(
        "FrozenLake8x8-v1", tmp_path / "lake.gif", max_frames=7, tolerance=None, dpi=20
    )
    with Image.open(path) as gif:
        assert 2 <= gif.n_frames <= 7


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"scale": "log"}, "scale must be", id="scale"),
        pytest.param({"path": "vi.png"}, r"path must end in \.gif", id="suffix"),
        pytest.param({"stride": 0}, "stride must be > 0", id="stride"),
        pytest.param({"max_frames": 1}, "max_frames must be >= 2", id="max-frames"),
        pytest.param({"tolerance": -0.1}, "tolerance must be", id="tolerance"),
        pytest.param({"gamma": 1.5}, "gamma must be in", id="gamma"),
    ],
)
def test_animation_refuses_bad_arguments(kwargs, match, tmp_path):
    arguments = {"path": tmp_path / "vi.gif", **kwargs}
    with pytest.raises(ValueError, match=match):
        plot.animate_value_iteration("CliffWalking-v1", **arguments)


# -- optional dependency -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("missing", "draw"),
    [
        pytest.param(
            "matplotlib.pyplot",
            lambda tmp: plot.plot_values("CliffWalking-v1", np.zeros(48)),
            id="matplotlib",
        ),
        pytest.param(
            "PIL.Image",
            lambda tmp: plot.animate_value_iteration("CliffWalking-v1", tmp / "vi.gif"),
            id="pillow",
        ),
    ],
)
def test_a_missing_dependency_names_the_install_command(missing, draw, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match=r"pip install 'rlfoundations\[plot\]'"):
        draw(tmp_path)


def test_importing_rlfoundations_and_its_plot_module_does_not_import_matplotlib():
    code = (
        "import sys, rlfoundations, rlfoundations.plot; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- GIFs of any frames ----------------------------------------------------------------------
def test_save_gif_writes_every_distinct_frame(tmp_path):
    frames = [np.full((8, 12, 3), shade, dtype=np.uint8) for shade in (0, 90, 180, 255)]
    path = plot.save_gif(frames, tmp_path / "shades.gif", fps=10)
    with Image.open(path) as image:
        assert image.n_frames == 4
        assert image.size == (12, 8)
        image.seek(2)
        assert np.asarray(image.convert("RGB"))[0, 0].tolist() == [180, 180, 180]


@pytest.mark.parametrize(
    ("frames", "name", "message"),
    [
        pytest.param([], "a.gif", "at least one picture", id="empty"),
        pytest.param([np.zeros((4, 4), dtype=np.uint8)], "a.gif", r"frames\[0\]", id="grey"),
        pytest.param([np.zeros((4, 4, 3))], "a.gif", "uint8", id="floats"),
        pytest.param([np.zeros((4, 4, 3), dtype=np.uint8)], "a.png", "end in .gif", id="suffix"),
    ],
)
def test_save_gif_rejects_what_is_not_a_picture(tmp_path, frames, name, message):
    with pytest.raises(ValueError, match=message):
        plot.save_gif(frames, tmp_path / name)


# -- comparisons and explanations -----------------------------------------------------------------
@functools.cache
def cliff_comparison():
    mdp = rlf.from_env("CliffWalking-v1")
    runs = rlf.sweep(mdp, gamma=0.9, n_steps=2_000, seeds=range(6), alpha=[0.1, 0.5])
    return rlf.compare(runs, "alpha", mdp=mdp)


def test_comparison_plot_draws_each_groups_performance_profile():
    comparison = cliff_comparison()
    fig = plot.plot_comparison(comparison)
    lines = [line for line in fig.axes[2].get_lines() if line.get_gid() == "profile"]
    got = {line.get_label(): line.get_ydata() for line in lines}
    assert sorted(got) == sorted(comparison.groups)
    for group, ydata in got.items():
        np.testing.assert_array_equal(ydata, comparison.profiles[group])
    plt.close(fig)


def test_explanation_plot_marks_every_q_value():
    mdp = rlf.from_env("FrozenLake-v1")
    result = rlf.value_iteration(mdp, gamma=0.95)
    fig = plot.plot_explanation(rlf.explain(mdp, result, 14))
    marks = [c for c in fig.axes[0].collections if c.get_gid() == "q-value"]
    got = [segment[0][1] for mark in marks for segment in mark.get_segments()]
    np.testing.assert_allclose(got, result.q_values[14], atol=1e-12)
    plt.close(fig)


def test_plot_regret_draws_the_mean_regret_of_each_learner():
    from rlfoundations.plot import plot_regret

    mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    runs = rlf.exploration_sweep("rmax", mdp, 10, 30, seeds=[0, 1, 2], known_visits=3)
    fig = plot_regret({"R-max": runs})
    (line,) = [line for line in fig.axes[0].get_lines() if line.get_gid() == "regret"]
    got = line.get_ydata()
    expected = np.mean([run.regret for run in runs], axis=0)
    np.testing.assert_allclose(got, expected)
