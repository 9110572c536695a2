"""Regenerate the pictures in docs/img/: ``python docs/make_images.py`` (needs the extra plot).

- rick_values.png: Rick's optimal values and greedy policy on two slices of the state, Morty
  waiting at the Citadel and Morty aboard, the portal signal at Blips and Chitz.
- taxi_value_iteration.gif: the talk's animation, Taxi's value function sweep by sweep, on the
  absolute and the relative (per-sweep rescaled) colour scale.
- learning_curves.png: Q-learning on Rick, two learning rates, eight seeds each: smoothed
  episode returns and the exact gap to optimal of the greedy policy.
- rick_representations.png (tutorial, part 1): the talk's state [4, 4, 1, 4] as a picture, as
  a slice of the state graph, and as a vector.
- rewards_shaped_vs_sparse.png (tutorial, part 2): the share of start states from which
  Q-learning's greedy policy wins, under the shaped and the sparse reward, 16 seeds each.
- rick_value_iteration.gif (tutorial, part 4): the talk's animation on Rick, the signal at B and
  Morty aboard.
- parameter_hell.png (tutorial, part 7): learning curves of a sweep of seeds x learning rates x
  exploration rates on Rick.
- regret_chains.png (how-to, explore with guarantees): cumulative exact regret of epsilon-greedy
  Q-learning and the learners with guarantees on RiverSwim and DeepSea, five seeds each.
- problem_<name>.png (the problems gallery): each problem of ``rlfoundations.problems``
  solved under its usual discount, its optimal policy drawn on the grid (gridworlds), as a
  heatmap over its two factors (Jack's car rental), or with its values along its one factor.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import gymnasium as gym
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.ticker import PercentFormatter

import rlfoundations as rlf
from rlfoundations import plot

IMAGES = Path(__file__).resolve().parent / "img"
RICK = "rlfoundations/Rick-v0"


def rick_values(path: Path) -> None:
    mdp = rlf.from_env(RICK)
    result = rlf.value_iteration(mdp, gamma=0.99)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2), layout="constrained")
    for ax, morty in zip(axes, (2, 4), strict=True):
        plot.plot_values(mdp, result.values, result.policy, ax=ax, signal=1, morty=morty)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def taxi_value_iteration(path: Path) -> None:
    plot.animate_value_iteration("Taxi-v3", path, gamma=0.99, scale="both", fps=3)


def learning_curves(path: Path) -> None:
    mdp = rlf.from_env(RICK)
    sweep = rlf.sweep(
        mdp,
        gamma=0.99,
        n_steps=60_000,
        seeds=range(8),
        alpha=[0.1, 0.5],
        epsilon=0.1,
        eval_every=1_000,
    )
    fig = plot.plot_learning_curves(sweep, mdp, smooth=50)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def rick_representations(path: Path) -> None:
    env = gym.make(RICK, render_mode="rgb_array")
    env.reset(seed=0)
    rick = env.unwrapped
    talk_state = rick.encode(4, 4, 1, 4)
    rick.s = talk_state
    image = env.render()
    env.close()

    # One slice of the state graph: the 25 states with the signal at B and Morty aboard, placed
    # on the map, and the moves between them (crashes, self loops, left out).
    graph = rlf.to_graph(rlf.from_env(RICK))
    cells = {rick.encode(row, col, 1, 4): (row, col) for row in range(5) for col in range(5)}
    moves = nx.DiGraph()
    moves.add_nodes_from(cells)
    for source, target, data in graph.edges(data=True):
        if source in cells and target in cells and source != target:
            if any(action < 4 for action in data["actions"]):
                moves.add_edge(source, target)
    where = {state: (col, -row) for state, (row, col) in cells.items()}

    fig, axes = plt.subplots(
        1, 3, figsize=(11, 3.9), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    axes[0].imshow(image)
    axes[0].set_title("Visual: env.render()", fontsize=10)
    nx.draw_networkx(
        moves,
        where,
        ax=axes[1],
        node_color=["#e07a5f" if state == talk_state else "#81b29a" for state in moves.nodes],
        node_size=330,
        font_size=6,
        arrowsize=7,
        width=0.8,
        edge_color="0.4",
        connectionstyle="arc3,rad=0.12",
    )
    axes[1].set_title(
        "Graph: rlf.to_graph(mdp), one slice\n(signal at B, Morty aboard; moves only)", fontsize=10
    )
    text = axes[2].transAxes
    axes[2].text(0.0, 0.70, "Vector: env.unwrapped.decode(489)", fontsize=10, transform=text)
    axes[2].text(
        0.0,
        0.45,
        "(row, col, signal, morty)\n= (4, 4, 1, 4)",
        fontsize=13,
        family="monospace",
        transform=text,
    )
    axes[2].text(
        0.0,
        0.12,
        "Rick bottom right, the signal at B,\nMorty aboard; the observation is\nthe integer 489",
        fontsize=9,
        transform=text,
    )
    for ax in axes:
        ax.axis("off")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _win_rate(mdp: rlf.TabularMDP, policy: np.ndarray) -> float:
    """Share of the start states from which ``policy`` wins (Rick moves deterministically)."""
    state = np.flatnonzero(mdp.initial)
    playing = np.ones(state.size, dtype=bool)
    won = np.zeros(state.size, dtype=bool)
    for _ in range(mdp.max_episode_steps):
        action = policy[state]
        ends = playing & mdp.terminated[state, action, 0]
        won |= ends & (mdp.reward[state, action, 0] > 0)
        playing &= ~ends
        state = mdp.next_state[state, action, 0]
    return float(won.mean())


def rewards_shaped_vs_sparse(path: Path) -> None:
    budgets = np.arange(5_000, 100_001, 5_000)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    for scheme, color in (("shaped", "C0"), ("sparse", "C1")):
        mdp = rlf.from_env(RICK, reward_scheme=scheme)
        rates = []
        for n_steps in budgets:
            runs = rlf.sweep(mdp, gamma=0.99, n_steps=int(n_steps), seeds=range(16), alpha=0.5)
            rates.append([_win_rate(mdp, policy) for policy in runs.policy])
        low, median, high = np.percentile(rates, [10, 50, 90], axis=1)
        ax.plot(budgets, median, color=color, label=f"{scheme} reward: median of 16 seeds")
        ax.fill_between(budgets, low, high, color=color, alpha=0.2, lw=0)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("start states won by the greedy policy")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("Q-learning on Rick (alpha=0.5, epsilon=0.1, gamma=0.99)", fontsize=10)
    ax.legend(fontsize=8, title="band: 10th-90th percentile of seeds", title_fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def rick_value_iteration(path: Path) -> None:
    plot.animate_value_iteration(RICK, path, scale="both", signal=1, morty=4, fps=3)


def parameter_hell(path: Path) -> None:
    mdp = rlf.from_env(RICK)
    runs = rlf.sweep(
        mdp,
        gamma=0.99,
        n_steps=100_000,
        seeds=range(8),
        alpha=[0.1, 0.5, 1.0],
        epsilon=[0.05, 0.2],
        eval_every=5_000,
    )
    fig = plot.plot_learning_curves(runs, mdp, smooth=50)
    gap = fig.axes[1]
    gap.set_yscale("symlog", linthresh=0.01)  # gaps from 1000 down to 0
    gap.set_ylim(0, 1e6)  # room for the legend above the curves
    band = gap.get_legend().get_title().get_text()
    gap.legend(loc="upper right", ncols=2, fontsize=7, title=band, title_fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- the problems gallery ------------------------------------------------------------------------
#: Arrows of the gridworlds' moves: up, down, left, right, the diagonals, stay.
GRID_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1), "stay")


def _solve(name: str, mdp: rlf.TabularMDP):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rlf.NonTerminationWarning)
        return rlf.value_iteration(mdp, gamma=rlf.problems.CATALOG[name].gamma, epsilon=1e-6)


def _grid_picture(name: str, mdp: rlf.TabularMDP, result, path: Path) -> None:
    def cell(state):
        where = mdp.decode(state)
        return where["row"], where["col"]

    moves = name != "deep_sea"
    layout = plot.grid_layout(
        mdp,
        state_to_cell=cell,
        actions=GRID_MOVES[: mdp.n_actions] if moves else ("0", "1"),
    )
    values = result.values
    if name == "deep_sea":  # only the triangle below the diagonal is reachable from (0, 0)
        rows, cols = np.divmod(np.arange(mdp.n_states), mdp.factors[1][1])
        values = np.where(cols > rows, np.nan, values)
    fig = plot.plot_values(layout, values, result.policy, title=f"{name}: V* and policy")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _jacks_picture(name: str, mdp: rlf.TabularMDP, result, path: Path) -> None:
    size = mdp.factors[0][1]
    first, second = np.divmod(np.arange(mdp.n_states), size)
    moved = np.clip(result.policy - (mdp.n_actions // 2), -second, first).reshape(size, size)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2), layout="constrained")
    for ax, grid, label in (
        (axes[0], moved, "cars moved, first -> second"),
        (axes[1], result.values.reshape(size, size), "V*"),
    ):
        image = ax.imshow(grid, origin="lower", cmap="coolwarm" if grid is moved else "viridis")
        ax.set_xlabel("cars at the second location")
        ax.set_ylabel("cars at the first location")
        fig.colorbar(image, ax=ax, label=label)
    axes[0].set_title("Jack's car rental: the policy of figure 4.2", fontsize=10)
    axes[1].set_title("its values (gamma = 0.9)", fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _line_picture(name: str, mdp: rlf.TabularMDP, result, path: Path) -> None:
    states = np.arange(mdp.n_states)
    factor = mdp.factors[-1][0]
    # Absorbing end states (every outcome ends the episode where it is) are left out.
    stays_ended = mdp.terminated & (mdp.next_state == states[:, None, None])
    ends = (stays_ended | (mdp.prob == 0)).all(axis=(1, 2))
    values = np.where(ends, np.nan, result.values)
    policy = np.where(ends, np.nan, result.policy)
    if name == "gamblers_problem":
        # Stake 0 always ties with the best stake at gamma = 1 (it changes nothing): draw the
        # smallest positive optimal stake, as the book's figure 4.3 does.
        best = result.q_values[:, 1:] >= result.values[:, None] - 1e-9
        policy = np.where(ends, np.nan, 1 + np.argmax(best, axis=1))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 4.4), sharex=True, layout="constrained")
    top.plot(states, values, marker="." if mdp.n_states < 40 else None)
    top.set_ylabel("V*")
    top.set_title(f"{name} (gamma = {rlf.problems.CATALOG[name].gamma:g})", fontsize=10)
    bottom.step(states, policy, where="mid", color="C1")
    bottom.set_ylabel("optimal action")
    bottom.set_xlabel(factor)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def problem_picture(name: str, path: Path) -> None:
    mdp = rlf.problems.get_problem(name)()
    result = _solve(name, mdp)
    names = [factor for factor, _ in mdp.factors]
    if names == ["row", "col"]:
        _grid_picture(name, mdp, result, path)
    elif name == "jacks_car_rental":
        _jacks_picture(name, mdp, result, path)
    else:
        _line_picture(name, mdp, result, path)


def regret_chains(path: Path) -> None:
    seeds = range(5)
    river = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    sea = rlf.problems.deep_sea(10, deterministic=False)
    greedy = {"bonus": "none", "epsilon": 0.1}
    panels = [
        (
            "RiverSwim (6 states), H = 20",
            river,
            20,
            {
                "epsilon-greedy Q-learning": ("ucb_q_learning", greedy),
                "PSRL": ("psrl", {}),
                "UCBVI (c = 0.05)": ("ucbvi", {"bonus_scale": 0.05}),
                "R-max (m = 5)": ("rmax", {"known_visits": 5}),
                "UCB-Q Bernstein (c = 0.01)": (
                    "ucb_q_learning",
                    {"bonus": "bernstein", "bonus_scale": 0.01},
                ),
            },
        ),
        (
            "DeepSea (10 x 10, stochastic), H = 10",
            sea,
            10,
            {
                "epsilon-greedy Q-learning": ("ucb_q_learning", greedy),
                "PSRL": ("psrl", {}),
                "UCBVI (c = 0.01)": ("ucbvi", {"bonus_scale": 0.01}),
                "R-max (m = 5)": ("rmax", {"known_visits": 5}),
                "UCB-Q Hoeffding (c = 0.003)": (
                    "ucb_q_learning",
                    {"bonus": "hoeffding", "bonus_scale": 0.003},
                ),
            },
        ),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, (title, mdp, horizon, learners) in zip(axes, panels, strict=True):
        curves = {
            label: rlf.exploration_sweep(name, mdp, horizon, 2000, seeds=seeds, **options)
            for label, (name, options) in learners.items()
        }
        plot.plot_regret(curves, title=title, ax=ax)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(only: str | None = None) -> None:
    """Draw every picture, or with ``only="problems"`` (``python docs/make_images.py
    problems``) the problems gallery alone."""
    IMAGES.mkdir(exist_ok=True)
    pictures = [
        ("rick_values.png", rick_values),
        ("taxi_value_iteration.gif", taxi_value_iteration),
        ("learning_curves.png", learning_curves),
        ("rick_representations.png", rick_representations),
        ("rewards_shaped_vs_sparse.png", rewards_shaped_vs_sparse),
        ("rick_value_iteration.gif", rick_value_iteration),
        ("parameter_hell.png", parameter_hell),
        ("regret_chains.png", regret_chains),
    ]
    gallery = [
        (f"problem_{name}.png", lambda path, name=name: problem_picture(name, path))
        for name in rlf.problems.CATALOG
    ]
    for name, draw in gallery if only == "problems" else pictures + gallery:
        path = IMAGES / name
        draw(path)
        print(f"{path.relative_to(IMAGES.parent.parent)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else None)
