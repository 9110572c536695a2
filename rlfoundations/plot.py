"""Pictures: values and greedy policies on the grid, learning curves, value-iteration GIFs.

Needs the optional extra ``plot`` (matplotlib, and pillow for GIFs):
``pip install 'rlfoundations[plot]'``. matplotlib is imported when a picture is drawn, not
when this module is, and the backend is left alone: everything here works headless (Agg),
nothing calls ``plt.show()``.

A grid env's state is more than a cell: Taxi's also holds the passenger and the
destination, Rick's the signal and Morty. A :class:`GridLayout` places the states of one
*slice* (the other state variables held fixed) on the grid; :func:`grid_layout` builds it
for the toy-text grid envs and Rick, or from your own ``state -> (row, col)`` mapping.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium.envs.toy_text import CliffWalkingEnv, FrozenLakeEnv, TaxiEnv

from rlfoundations._validate import (
    check_action_probabilities,
    check_actions,
    check_gamma,
    check_int,
    check_mdp,
    check_positive,
    check_probability_shape,
    is_int,
    is_number,
)
from rlfoundations.envs.rick import ACTION_NAMES as RICK_ACTION_NAMES
from rlfoundations.envs.rick import LANDMARKS as RICK_LANDMARKS
from rlfoundations.envs.rick import RickEnv
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.extract import from_env, make
from rlfoundations.frames import optimal_value
from rlfoundations.mdp import TabularMDP
from rlfoundations.planning import value_iteration
from rlfoundations.policy import StochasticPolicy
from rlfoundations.results import LearningResult, RegretResult, SweepResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from rlfoundations.compare import Comparison
    from rlfoundations.explain import Explanation

__all__ = [
    "GridLayout",
    "animate_value_iteration",
    "grid_layout",
    "plot_comparison",
    "plot_explanation",
    "plot_learning_curves",
    "plot_regret",
    "plot_values",
    "save_gif",
]

INSTALL_HINT = "pip install 'rlfoundations[plot]'"

#: The envs :func:`grid_layout` knows, by id (any env of their classes works too).
KNOWN_ENVS = (
    "FrozenLake-v1",
    "FrozenLake8x8-v1",
    "CliffWalking-v1",
    "CliffWalkingSlippery-v1",
    "Taxi-v3",
    "rlfoundations/Rick-v0",
)

# Inches per grid cell, and the margins around a grid panel (title, ticks, colour bar).
_CELL_INCHES = 0.55
_PANEL_MARGIN = (1.7, 1.3)


def _require(module: str):
    """Import an optional dependency, or say how to install it."""
    try:
        return import_module(module)
    except ImportError as error:
        package = module.split(".")[0].replace("PIL", "pillow")
        raise ImportError(
            f"rlfoundations.plot needs {package}, an optional dependency; "
            f"install it with {INSTALL_HINT}"
        ) from error


# -- layouts -------------------------------------------------------------------------------------
Cell = tuple[int, int]


@dataclass(frozen=True, eq=False, repr=False)
class GridLayout:
    """Where the states of one slice of a grid env sit on its grid, and what else to draw.

    Build one with :func:`grid_layout`; construct it directly for a grid of your own.

    Parameters
    ----------
    name : str
        The env, for titles (``"Taxi-v4"``).
    cells : array_like of int, shape (rows, cols)
        The state shown in each cell, -1 where no state of the slice sits. No state may sit
        in two cells.
    n_states : int
        Number of states of the env: the length of a value function.
    actions : sequence of (d_row, d_col) or str
        How each action is drawn: a move as an arrow along ``(d_row, d_col)`` (rows grow
        downwards), any other action as a short label (``"P"`` for Pickup).
    action_names : sequence of str
        The name of each action, for the legend of the labels.
    walls : sequence of ((row, col), (row, col))
        Pairs of neighbouring cells with a wall between them.
    hazards : sequence of (row, col)
        Cells drawn dark: holes, the cliff.
    terminal : sequence of (row, col)
        Cells whose state the agent never acts in (entering it ends the episode, or it is
        never entered): no value or policy is drawn there.
    labels : sequence of (row, col, str)
        Names drawn in cell corners: start, goal, landmarks.
    slice_label : str
        The slice in words (``"signal at B, Morty aboard"``); empty when the state is the cell.

    Examples
    --------
    A 1x3 corridor whose states run right to left, with a goal on the left:

    >>> from rlfoundations.plot import GridLayout
    >>> corridor = GridLayout(
    ...     name="corridor", cells=[[2, 1, 0]], n_states=3,
    ...     actions=[(0, -1), (0, 1)], action_names=["Left", "Right"],
    ...     terminal=[(0, 0)], labels=[(0, 0, "G")],
    ... )
    >>> corridor.cell(2), corridor.grid([0.0, 1.0, 2.0]).tolist()
    ((0, 0), [[2.0, 1.0, 0.0]])
    """

    name: str
    cells: np.ndarray
    n_states: int
    actions: Sequence[tuple[int, int] | str] = ()
    action_names: Sequence[str] = ()
    walls: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()
    hazards: Sequence[tuple[int, int]] = ()
    terminal: Sequence[tuple[int, int]] = ()
    labels: Sequence[tuple[int, int, str]] = ()
    slice_label: str = ""

    def __post_init__(self) -> None:
        cells = np.array(self.cells)
        if cells.ndim != 2 or cells.dtype.kind not in "iu" or 0 in cells.shape:
            raise InvalidValueError(
                f"cells must be a non-empty 2-D array of int states, got shape {cells.shape} "
                f"and dtype {cells.dtype}"
            )
        if not is_int(self.n_states):
            raise InvalidTypeError(f"n_states must be an int, got {self.n_states!r}")
        bad = (cells < -1) | (cells >= self.n_states)
        if bad.any():
            cell = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidValueError(
                f"cells{list(cell)} = {cells[cell]} is not a state in [0, {self.n_states}) or -1"
            )
        states, counts = np.unique(cells[cells >= 0], return_counts=True)
        if (counts > 1).any():
            state = int(states[np.argmax(counts > 1)])
            where = [tuple(int(i) for i in c) for c in np.argwhere(cells == state)]
            raise InvalidValueError(f"state {state} sits in more than one cell: {where}")
        cells = cells.astype(np.int64)
        cells.flags.writeable = False
        rows, cols = cells.shape

        def check_cell(field: str, cell) -> Cell:
            row, col = (int(i) for i in cell)
            if not (0 <= row < rows and 0 <= col < cols):
                raise InvalidValueError(
                    f"{field} has cell {(row, col)} outside the {rows}x{cols} grid"
                )
            return row, col

        actions = tuple(
            mark if isinstance(mark, str) else tuple(int(d) for d in mark) for mark in self.actions
        )
        for index, mark in enumerate(actions):
            if not isinstance(mark, str) and (len(mark) != 2 or mark == (0, 0)):
                raise InvalidValueError(
                    f"actions[{index}] = {mark!r} must be a label or a move (d_row, d_col) "
                    f"other than (0, 0)"
                )
        names = tuple(str(name) for name in self.action_names)
        if names and len(names) != len(actions):
            raise InvalidValueError(
                f"action_names has {len(names)} names for {len(actions)} actions: {names}"
            )
        walls = tuple((check_cell("walls", a), check_cell("walls", b)) for a, b in self.walls)
        for a, b in walls:
            if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1:
                raise InvalidValueError(
                    f"walls has a pair of cells that are not neighbours: {a}, {b}"
                )
        fields = {
            "cells": cells,
            "n_states": int(self.n_states),
            "actions": actions,
            "action_names": names,
            "walls": walls,
            "hazards": tuple(check_cell("hazards", c) for c in self.hazards),
            "terminal": tuple(check_cell("terminal", c) for c in self.terminal),
            "labels": tuple(
                (*check_cell("labels", (r, c)), str(text)) for r, c, text in self.labels
            ),
        }
        for field, value in fields.items():
            object.__setattr__(self, field, value)

    @property
    def shape(self) -> Cell:
        """(rows, cols) of the grid."""
        return self.cells.shape

    def __repr__(self) -> str:
        where = f", slice={self.slice_label!r}" if self.slice_label else ""
        return (
            f"GridLayout(name={self.name!r}, shape={self.shape}, n_states={self.n_states}{where})"
        )

    def cell(self, state: int) -> Cell | None:
        """The (row, col) where ``state`` sits, or None if it is not on this slice."""
        found = np.argwhere(self.cells == int(state))
        return None if len(found) == 0 else (int(found[0, 0]), int(found[0, 1]))

    def grid(self, values: npt.ArrayLike) -> np.ndarray:
        """``values`` of every state (shape (n_states,)) as a (rows, cols) array of the slice.

        NaN where no state sits.
        """
        values = np.asarray(values, dtype=float)
        if values.shape != (self.n_states,):
            hint = (
                "; for Q-values pass q_values.max(axis=1)"
                if values.ndim == 2 and values.shape[0] == self.n_states
                else ""
            )
            raise InvalidValueError(
                f"values must have shape ({self.n_states},), one per state of {self.name}, "
                f"got shape {values.shape}{hint}"
            )
        on_grid = self.cells >= 0
        grid = np.full(self.shape, np.nan)
        grid[on_grid] = values[self.cells[on_grid]]
        return grid


def _walls_from_map(desc: np.ndarray) -> tuple:
    """Walls of a Taxi-style text map: a ``|`` between horizontal neighbours."""
    text = [bytes(row).decode() for row in np.asarray(desc, dtype="c")]
    rows, cols = len(text) - 2, (len(text[0]) - 1) // 2
    return tuple(
        ((row, col), (row, col + 1))
        for row in range(rows)
        for col in range(cols - 1)
        if text[1 + row][2 + 2 * col] == "|"
    )


def _check_fixed(name: str, fixed: dict, allowed: dict) -> dict:
    """The slice: ``fixed`` over ``allowed`` (name -> (size, default, meaning)), checked."""
    unknown = sorted(set(fixed) - set(allowed))
    if unknown:
        takes = (
            f"takes {', '.join(f'{key}=' for key in allowed)}"
            if allowed
            else "has no slice to choose (its state is the cell)"
        )
        raise InvalidTypeError(f"{name} {takes}; got {', '.join(f'{key}=' for key in unknown)}")
    chosen = {}
    for key, (size, default, meaning) in allowed.items():
        value = fixed.get(key, default)
        if not is_int(value):
            raise InvalidTypeError(
                f"{key} must be an int in [0, {size}) ({meaning}), got {value!r}"
            )
        if not 0 <= value < size:
            raise InvalidValueError(f"{key} must be in [0, {size}) ({meaning}), got {value!r}")
        chosen[key] = int(value)
    return chosen


_MOVES = {"up": (-1, 0), "down": (1, 0), "right": (0, 1), "left": (0, -1)}


def _frozen_lake(base: FrozenLakeEnv, name: str, fixed: dict) -> GridLayout:
    _check_fixed(name, fixed, {})
    desc = np.asarray(base.desc, dtype="c").astype(str)
    rows, cols = desc.shape
    hazards = [tuple(c) for c in np.argwhere(desc == "H")]
    goals = [tuple(c) for c in np.argwhere(desc == "G")]
    starts = [tuple(c) for c in np.argwhere(desc == "S")]
    return GridLayout(
        name=name,
        cells=np.arange(rows * cols).reshape(rows, cols),
        n_states=rows * cols,
        actions=(_MOVES["left"], _MOVES["down"], _MOVES["right"], _MOVES["up"]),
        action_names=("Left", "Down", "Right", "Up"),
        hazards=hazards,
        terminal=hazards + goals,
        labels=[(r, c, "S") for r, c in starts] + [(r, c, "G") for r, c in goals],
    )


def _cliff_walking(base: CliffWalkingEnv, name: str, fixed: dict) -> GridLayout:
    _check_fixed(name, fixed, {})
    rows, cols = (int(n) for n in base.shape)
    cliff = [(rows - 1, col) for col in range(1, cols - 1)]
    goal = (rows - 1, cols - 1)
    return GridLayout(
        name=name,
        cells=np.arange(rows * cols).reshape(rows, cols),
        n_states=rows * cols,
        actions=(_MOVES["up"], _MOVES["right"], _MOVES["down"], _MOVES["left"]),
        action_names=("Up", "Right", "Down", "Left"),
        hazards=cliff,
        terminal=[*cliff, goal],  # stepping into the cliff goes back to the start
        labels=[(rows - 1, 0, "S"), (*goal, "G")],
    )


_TAXI_LETTERS = "RGYB"


def _taxi(base: TaxiEnv, name: str, fixed: dict) -> GridLayout:
    chosen = _check_fixed(
        name,
        fixed,
        {
            "passenger": (5, 4, "0-3: waiting at R, G, Y, B; 4: in the taxi"),
            "destination": (4, 1, "0-3: R, G, Y, B"),
        },
    )
    passenger, destination = chosen["passenger"], chosen["destination"]
    rows, cols = 5, 5
    cells = np.array(
        [[base.encode(r, c, passenger, destination) for c in range(cols)] for r in range(rows)]
    )
    where = "in the taxi" if passenger == 4 else f"at {_TAXI_LETTERS[passenger]}"
    return GridLayout(
        name=name,
        cells=cells,
        n_states=int(base.observation_space.n),  # type: ignore[attr-defined]
        actions=(_MOVES["down"], _MOVES["up"], _MOVES["right"], _MOVES["left"], "P", "D"),
        action_names=("South", "North", "East", "West", "Pickup", "Dropoff"),
        walls=_walls_from_map(base.desc),
        labels=[(r, c, letter) for (r, c), letter in zip(base.locs, _TAXI_LETTERS, strict=True)],
        slice_label=f"passenger {where}, destination {_TAXI_LETTERS[destination]}",
    )


def _rick(base: RickEnv, name: str, fixed: dict) -> GridLayout:
    letters = "".join(letter for _, letter, _ in RICK_LANDMARKS)
    chosen = _check_fixed(
        name,
        fixed,
        {
            "signal": (4, 1, f"0-3: the landmarks {', '.join(letters)}"),
            "morty": (5, 4, f"0-3: waiting at {', '.join(letters)}; 4: aboard"),
        },
    )
    signal, morty = chosen["signal"], chosen["morty"]
    cells = np.array([[base.encode(r, c, signal, morty) for c in range(5)] for r in range(5)])
    where = "aboard" if morty == 4 else f"at {letters[morty]}"
    return GridLayout(
        name=name,
        cells=cells,
        n_states=int(base.observation_space.n),  # type: ignore[attr-defined]
        actions=(_MOVES["up"], _MOVES["down"], _MOVES["right"], _MOVES["left"], "P", "G"),
        action_names=RICK_ACTION_NAMES,
        walls=_walls_from_map(base.desc),
        labels=[(r, c, letter) for _, letter, (r, c) in RICK_LANDMARKS],
        slice_label=f"signal at {letters[signal]}, Morty {where}",
    )


_BUILDERS = (
    (FrozenLakeEnv, _frozen_lake),
    (CliffWalkingEnv, _cliff_walking),
    (TaxiEnv, _taxi),
    (RickEnv, _rick),
)


def _custom(name, n_states, n_actions, state_to_cell, actions) -> GridLayout:
    where: dict[Cell, int] = {}
    for state in range(n_states):
        cell = state_to_cell(state)
        if cell is None:
            continue
        if len(cell) != 2 or not all(is_int(i) for i in cell) or min(cell) < 0:
            raise InvalidValueError(
                f"state_to_cell({state}) must return (row, col), two ints >= 0, or None; "
                f"got {cell!r}"
            )
        cell = (int(cell[0]), int(cell[1]))
        if cell in where:
            raise InvalidValueError(
                f"state_to_cell puts states {where[cell]} and {state} in the same cell {cell}"
            )
        where[cell] = state
    if not where:
        raise InvalidValueError("state_to_cell returned None for every state: nothing to draw")
    rows = 1 + max(row for row, _ in where)
    cols = 1 + max(col for _, col in where)
    cells = np.full((rows, cols), -1, dtype=np.int64)
    for (row, col), state in where.items():
        cells[row, col] = state
    if actions is None:
        actions = tuple(str(a) for a in range(n_actions))
    return GridLayout(
        name=name,
        cells=cells,
        n_states=n_states,
        actions=actions,
        action_names=tuple(f"action {a}" for a in range(len(actions))),
    )


def grid_layout(
    env: str | gym.Env | TabularMDP,
    /,
    *,
    state_to_cell: Callable[[int], Cell | None] | None = None,
    actions: Sequence[Cell | str] | None = None,
    **fixed: int,
) -> GridLayout:
    """The grid of a grid env, with the states of one slice placed on it.

    Parameters
    ----------
    env : str, gymnasium.Env or TabularMDP
        An env id (``"Taxi-v3"``, ``"FrozenLake8x8-v1"``, ``"rlfoundations/Rick-v0"``, ...),
        an env (``gym.make("FrozenLake-v1", map_name="8x8", is_slippery=False)``: its own
        map is drawn), or a model from :func:`rlfoundations.from_env` (the env is made again
        from ``mdp.name`` and ``mdp.make_kwargs``, so its own map is drawn).
    state_to_cell : callable, optional
        For a grid env of your own: ``state -> (row, col)``, or None for a state not drawn.
        The grid spans the cells returned. Without it, ``env`` must be one of
        :data:`KNOWN_ENVS` or of their classes.
    actions : sequence of (d_row, d_col) or str, optional
        With ``state_to_cell``: how to draw each action (an arrow along a move, or a
        label); by default each action shows as its number.
    **fixed : int
        The other state variables, held fixed (the slice):

        - Taxi: ``passenger`` (0-3: waiting at R, G, Y, B; 4: in the taxi; default 4) and
          ``destination`` (0-3: R, G, Y, B; default 1, G);
        - Rick: ``signal`` (0-3: the landmarks G, B, C, F; default 1, B) and ``morty``
          (0-3: waiting at a landmark; 4: aboard; default 4);
        - FrozenLake and CliffWalking: none, their state is the cell.

    Returns
    -------
    GridLayout

    Raises
    ------
    ValueError
        The env has no known grid (the message lists the known ones), a slice value is
        out of range, or a model's state count differs from its env's.
    TypeError
        A slice variable the env does not have, or a value that is not an int.

    Examples
    --------
    >>> from rlfoundations.plot import grid_layout
    >>> layout = grid_layout("rlfoundations/Rick-v0", signal=1, morty=4)
    >>> layout.shape, layout.slice_label
    ((5, 5), 'signal at B, Morty aboard')
    >>> layout.cell(489)  # the talk's state [4, 4, 1, 4]
    (4, 4)
    >>> grid_layout("CliffWalking-v1").cells[3, :3].tolist()
    [36, 37, 38]
    """
    if isinstance(env, TabularMDP):
        name, n_states, n_actions, base = env.name, env.n_states, env.n_actions, None
    else:
        made = make(env) if isinstance(env, str) else env
        if not isinstance(made, gym.Env):
            raise InvalidTypeError(
                f"env must be an env id, a gymnasium.Env or a TabularMDP, got {type(env).__name__}"
            )
        base = made.unwrapped
        name = getattr(made.spec, "id", None) or type(base).__name__
        n_states = n_actions = None  # type: ignore[assignment]
        if isinstance(made.observation_space, gym.spaces.Discrete) and isinstance(
            made.action_space, gym.spaces.Discrete
        ):
            n_states, n_actions = int(made.observation_space.n), int(made.action_space.n)
        if made is not env:
            made.close()

    if state_to_cell is not None:
        if n_states is None:
            raise InvalidTypeError(
                f"{name} needs Discrete observation and action spaces to be drawn"
            )
        if fixed:
            raise InvalidTypeError(
                f"with state_to_cell the mapping chooses the slice; got "
                f"{', '.join(f'{key}=' for key in fixed)}"
            )
        return _custom(name or "model", n_states, n_actions, state_to_cell, actions)
    if actions is not None:
        raise InvalidTypeError("actions applies with state_to_cell; the known envs draw their own")

    if base is None:  # a model: make its env from the name
        if not name:
            raise InvalidValueError(
                "the model has no name to make its env from; pass the env or its id instead"
            )
        try:
            # The env as the model was made: its own map (desc=...), not the default one.
            made = make(name, **dict(env.make_kwargs or {}))  # type: ignore[union-attr]
        except ValueError as error:
            raise InvalidValueError(f"{error}; pass the env or state_to_cell instead") from error
        base = made.unwrapped
        made.close()
    for env_class, build in _BUILDERS:
        if isinstance(base, env_class):
            layout = build(base, name, fixed)  # type: ignore[arg-type]
            break
    else:
        raise InvalidValueError(
            f"no grid layout is known for {name!r} ({type(base).__name__}); known: "
            f"{', '.join(KNOWN_ENVS)} (and other envs of their classes). For a grid env of "
            f"your own, pass state_to_cell, a function state -> (row, col)"
        )
    if isinstance(env, TabularMDP) and layout.n_states != n_states:
        raise InvalidValueError(
            f"the model {name!r} has {n_states} states, but the env made from its name has "
            f"{layout.n_states}: it was made with other arguments; pass that env instead, "
            f"e.g. grid_layout(gym.make({name!r}, map_name='8x8'))"
        )
    return layout


def _as_layout(layout, fixed: dict) -> GridLayout:
    if isinstance(layout, GridLayout):
        if fixed:
            raise InvalidTypeError(
                f"{', '.join(f'{key}=' for key in fixed)} choose the slice of an env id; "
                f"this GridLayout already has its slice ({layout.slice_label or 'none'})"
            )
        return layout
    return grid_layout(layout, **fixed)


# -- drawing -------------------------------------------------------------------------------------
def _panel_size(layout: GridLayout) -> tuple[float, float]:
    rows, cols = layout.shape
    return (
        cols * _CELL_INCHES + _PANEL_MARGIN[0],
        rows * _CELL_INCHES + _PANEL_MARGIN[1],
    )


def _title(layout: GridLayout, what: str) -> str:
    where = f"\n{layout.slice_label}" if layout.slice_label else ""
    return f"{layout.name}: {what}{where}"


def _draw_grid(ax: Axes, layout: GridLayout, grid: np.ndarray, cmap, norm):
    """The heatmap of ``grid`` with hazards, walls and labels; returns the image."""
    import matplotlib as mpl
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    cmap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    image = ax.imshow(
        np.ma.masked_invalid(grid),
        cmap=cmap.with_extremes(bad="0.88"),
        norm=norm,
        interpolation="nearest",
    )
    for row, col in layout.hazards:
        ax.add_patch(
            Rectangle((col - 0.5, row - 0.5), 1, 1, facecolor="0.25", edgecolor="0.4", gid="hazard")
        )
    for (row_a, col_a), (row_b, col_b) in layout.walls:
        # A wall runs along the edge the two cells share.
        x, y = (col_a + col_b) / 2, (row_a + row_b) / 2
        dx, dy = (0.5, 0.0) if row_a != row_b else (0.0, 0.5)
        ax.plot(
            [x - dx, x + dx], [y - dy, y + dy], color="0.1", lw=4, solid_capstyle="butt", gid="wall"
        )
    outline = [patheffects.withStroke(linewidth=2.5, foreground="black")]
    for row, col, text in layout.labels:
        ax.text(
            col - 0.44,
            row - 0.44,
            text,
            ha="left",
            va="top",
            fontsize=8,
            color="white",
            fontweight="bold",
            path_effects=outline,
            gid="label",
        )
    rows, cols = layout.shape
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    ax.tick_params(length=0, labelsize=7)
    return image


def _colorbar(ax: Axes, image, label: str) -> None:
    """A colour bar as tall as the grid, a third of a cell wide, right of it."""
    cols = image.get_array().shape[1]
    bar = ax.inset_axes([1.04, 0.0, 0.35 / cols, 1.0])  # type: ignore[arg-type]
    ax.figure.colorbar(image, cax=bar, label=label)


def _without_terminal(layout: GridLayout, grid: np.ndarray) -> np.ndarray:
    """``grid`` with terminal cells blank.

    Their value (0 in a hole or at the goal, say) is not one the agent acts on, and would only
    stretch the colour scale.
    """
    shown = grid.copy()
    for row, col in layout.terminal:
        shown[row, col] = np.nan
    return shown


def _draw_policy(ax: Axes, layout: GridLayout, policy: np.ndarray) -> None:
    """An arrow per cell whose greedy action is a move, a circled label for the others."""
    skip = set(layout.terminal)
    x, y, u, v = [], [], [], []
    labelled = set()
    for (row, col), state in np.ndenumerate(layout.cells):
        if state < 0 or (row, col) in skip:
            continue
        mark = layout.actions[policy[state]]
        if isinstance(mark, str):
            labelled.add(int(policy[state]))
            ax.text(
                col,
                row,
                mark,
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "black", "lw": 0.8},
                gid="policy-action",
            )
        else:
            x.append(col)
            y.append(row)
            u.append(0.6 * mark[1])
            v.append(0.6 * mark[0])
    if x:
        # Data units (angles and lengths in xy): rows grow downwards, as in the image.
        ax.quiver(
            x,
            y,
            u,
            v,
            angles="xy",
            scale_units="xy",
            scale=1,
            pivot="middle",
            units="xy",
            width=0.07,
            headwidth=3.2,
            headlength=3,
            headaxislength=2.7,
            color="white",
            edgecolor="black",
            linewidth=0.6,
            gid="policy-arrows",
        )
    legend = [f"{layout.actions[a]}: {layout.action_names[a]}" for a in sorted(labelled)]
    if legend and layout.action_names:
        ax.set_xlabel(", ".join(legend), fontsize=8)


#: Length, in cells, of the arrow of an action taken with probability 1 in a stochastic policy.
_FULL_ARROW = 0.45


def _draw_probabilities(ax: Axes, layout: GridLayout, probabilities: np.ndarray) -> None:
    """Draw each cell's action probabilities.

    From each cell's centre, an arrow per move as long as its probability (a move taken for
    sure reaches 0.45 of a cell); the other actions as their labels with probabilities.
    """
    skip = set(layout.terminal)
    x, y, u, v = [], [], [], []
    labelled = set()
    for (row, col), state in np.ndenumerate(layout.cells):
        if state < 0 or (row, col) in skip:
            continue
        others = []
        for action, mark in enumerate(layout.actions):
            prob = float(probabilities[state, action])
            if prob <= 0.0:
                continue
            if isinstance(mark, str):
                labelled.add(action)
                others.append(f"{mark} {prob:.2f}")
            else:
                x.append(col)
                y.append(row)
                u.append(_FULL_ARROW * prob * mark[1])
                v.append(_FULL_ARROW * prob * mark[0])
        if others:
            ax.text(
                col,
                row + 0.3,
                " ".join(others),
                ha="center",
                va="center",
                fontsize=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "black", "lw": 0.5},
                gid="policy-action-probabilities",
            )
    if x:
        ax.quiver(
            x,
            y,
            u,
            v,
            angles="xy",
            scale_units="xy",
            scale=1,
            pivot="tail",
            units="xy",
            width=0.05,
            headwidth=3.2,
            headlength=3,
            headaxislength=2.7,
            color="white",
            edgecolor="black",
            linewidth=0.5,
            gid="policy-probability-arrows",
        )
    legend = [f"{layout.actions[a]}: {layout.action_names[a]}" for a in sorted(labelled)]
    if legend and layout.action_names:
        ax.set_xlabel(", ".join(legend) + "; arrows scaled by probability", fontsize=8)
    else:
        ax.set_xlabel("arrows scaled by probability", fontsize=8)


def _check_probabilities(layout: GridLayout, policy) -> np.ndarray:
    """A stochastic policy (an (S, A) array or a StochasticPolicy) checked against the grid."""
    if isinstance(policy, StochasticPolicy):  # its rows were checked when it was made
        check_probability_shape(
            policy.probabilities, "policy", layout.n_states, len(layout.actions)
        )
        return policy.probabilities
    return check_action_probabilities(policy, "policy", layout.n_states, len(layout.actions))


def plot_values(
    layout: GridLayout | str | gym.Env | TabularMDP,
    values: npt.ArrayLike,
    policy: npt.ArrayLike | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    figsize: tuple[float, float] | None = None,
    **fixed: int,
) -> Figure:
    """A value function as a heatmap on the grid, with the greedy policy drawn on top.

    Parameters
    ----------
    layout : GridLayout, str, gymnasium.Env or TabularMDP
        The grid: a layout from :func:`grid_layout`, or anything it accepts.
    values : array_like, shape (S,)
        A value per state (``result.values``); only the slice's states are drawn. Terminal
        cells (holes, the goal, the cliff: their value is not one the agent acts on) and
        NaN values are drawn blank, hazards dark.
    policy : array_like of int, shape (S,), or of float, shape (S, A), optional
        An action per state (``result.policy``): moves are drawn as arrows, other actions
        (Pickup, Dropoff, Portal gun) as circled letters, explained under the grid. A
        stochastic policy, an (S, A) matrix of action probabilities (the ``policy`` of
        :func:`soft_value_iteration` or of a constrained :func:`linear_programming`) or a
        :class:`StochasticPolicy`, is drawn as an arrow per move from the cell's centre,
        as long as its probability (0.45 of a cell for a sure move), and the other actions
        as their labels with their probabilities; rows that are not distributions are
        refused. No policy is drawn on terminal cells (holes, the goal, the cliff).
    ax : matplotlib Axes, optional
        Draw there; by default a new figure is made (with pyplot, so ``plt.show()`` shows it).
    title : str, optional
        Default: the env, and the slice.
    cmap, vmin, vmax
        Colour map and colour range (default: the slice's min and max).
    figsize : (float, float), optional
        Of a new figure; default from the grid's shape.
    **fixed : int
        The slice, when ``layout`` is not a GridLayout (see :func:`grid_layout`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; save it with ``fig.savefig(path)``, close it with
        ``plt.close(fig)``.

    Raises
    ------
    ValueError
        ``values`` or ``policy`` has not one entry per state, an action is unknown, a row of
        a stochastic policy is not a distribution, or a value is infinite.
    TypeError
        ``policy`` does not hold ints, or slice arguments come with a GridLayout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib.pyplot as plt
    >>> import rlfoundations as rlf
    >>> from rlfoundations import plot
    >>> result = rlf.value_iteration(rlf.from_env("rlfoundations/Rick-v0"), gamma=0.99)
    >>> fig = plot.plot_values("rlfoundations/Rick-v0", result.values, result.policy,
    ...                        signal=1, morty=2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fig.savefig(Path(folder) / "rick.png")
    >>> plt.close(fig)
    """
    layout = _as_layout(layout, fixed)
    grid = layout.grid(values)
    if np.isinf(grid).any():
        raise InvalidValueError("values must be finite (or NaN for cells to leave blank), got inf")
    grid = _without_terminal(layout, grid)
    stochastic = isinstance(policy, StochasticPolicy) or np.ndim(policy) == 2  # type: ignore[arg-type]  # ndim(None) = 0
    if policy is not None:
        policy = (
            _check_probabilities(layout, policy)
            if stochastic
            else check_actions("policy", policy, layout.n_states, len(layout.actions))
        )
    colors = _require("matplotlib.colors")
    if ax is None:
        plt = _require("matplotlib.pyplot")
        fig, ax = plt.subplots(figsize=figsize or _panel_size(layout), layout="constrained")
    else:
        fig = ax.figure
    shown = grid[~np.isnan(grid)]
    low = vmin if vmin is not None else (float(shown.min()) if shown.size else 0.0)
    high = vmax if vmax is not None else (float(shown.max()) if shown.size else 1.0)
    image = _draw_grid(ax, layout, grid, cmap, colors.Normalize(low, high))
    if policy is not None:
        (_draw_probabilities if stochastic else _draw_policy)(ax, layout, policy)
    what = "values and stochastic policy" if stochastic else "values and greedy policy"
    ax.set_title(title if title is not None else _title(layout, what), fontsize=9)
    _colorbar(ax, image, "V(s)")
    return fig


# -- learning curves -----------------------------------------------------------------------------
def _runs(results) -> tuple:
    """(returns, lengths, n_episodes, params, gammas, curve_values) of runs.

    Of a SweepResult or a LearningResult; a gamma is None for the average-reward learners,
    which have none.
    """
    if isinstance(results, SweepResult):
        gammas = [None if "gamma" not in p else float(p["gamma"]) for p in results.params]
        return (
            results.episode_returns,
            results.episode_lengths,
            results.n_episodes,
            list(results.params),
            gammas,
            results.curve_values,
        )
    if isinstance(results, LearningResult):
        gamma = None if results.gain is not None else float(results.gamma)
        return (
            results.episode_returns[None, :],
            results.episode_lengths[None, :],
            np.array([results.n_episodes]),
            [{"seed": results.seed} if gamma is None else {"gamma": gamma, "seed": results.seed}],
            [gamma],
            None if results.curve_values is None else results.curve_values[None],
        )
    raise InvalidTypeError(
        f"results must be a SweepResult (rlf.sweep) or a LearningResult, "
        f"got {type(results).__name__}"
    )


def _smoothed_returns(returns, lengths, n_episodes, window: int, steps) -> np.ndarray:
    """Each run's mean return over its last ``window`` finished episodes, at ``steps``.

    NaN before a run's first episode ends.
    """
    out = np.full((len(n_episodes), len(steps)), np.nan)
    for run, n in enumerate(n_episodes):
        if n == 0:
            continue
        ends = np.cumsum(lengths[run, :n])
        total = np.concatenate([[0.0], np.cumsum(returns[run, :n])])
        last = np.arange(1, n + 1)
        first = np.maximum(last - window, 0)
        means = (total[last] - total[first]) / (last - first)
        finished = np.searchsorted(ends, steps, side="right") - 1
        out[run, finished >= 0] = means[finished[finished >= 0]]
    return out


def _centre_and_band(samples: np.ndarray, band: tuple[float, float]):
    """Mean and percentile band over runs (axis 0), ignoring NaN; NaN where no run has data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns with no data yet
        return (
            np.nanmean(samples, axis=0),
            np.nanpercentile(samples, band[0], axis=0),
            np.nanpercentile(samples, band[1], axis=0),
        )


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def _group_labels(groups: list[dict], counts: list[int], algorithm: str) -> list[str]:
    varying = [key for key in groups[0] if len({repr(g[key]) for g in groups}) > 1]
    labels = []
    for group, count in zip(groups, counts, strict=True):
        name = ", ".join(f"{key}={_number(group[key])}" for key in varying) or algorithm
        labels.append(f"{name} ({count} run{'s' if count != 1 else ''})")
    return labels


def plot_learning_curves(
    results: SweepResult | LearningResult,
    mdp: TabularMDP,
    *,
    optimal: float | None = None,
    smooth: int = 50,
    band: tuple[float, float] = (10.0, 90.0),
    axes: Sequence[Axes] | None = None,
    figsize: tuple[float, float] = (11.0, 4.0),
) -> Figure:
    """Learning curves of a sweep: smoothed episode returns, and the exact gap to optimal.

    Runs are grouped by their hyperparameters (all but the seed): one line per group, the
    mean over its runs, with a band between two percentiles of the runs (10th and 90th by
    default; ``band=(0, 100)`` gives min-max).

    Parameters
    ----------
    results : SweepResult or LearningResult
        From :func:`rlfoundations.sweep` (or a learner) run with ``eval_every``.
    mdp : TabularMDP
        The model learned on: its initial distribution weighs the exact values.
    optimal : float, optional
        The optimal mean return from the start; default: value iteration's, at each
        group's gamma (for the average-reward learners, which have no gamma, the optimal
        gain, and the curves their greedy policies' exact gains).
    smooth : int
        Episodes in the trailing mean of the returns (1: raw returns).
    band : (float, float)
        Percentiles of the runs bounding the band.
    axes : two matplotlib Axes, optional
        Draw there; by default a new figure is made with pyplot.
    figsize : (float, float)
        Of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Left: each run's mean undiscounted return over its last ``smooth`` finished
        episodes (exploration included), placed at the step each episode ended. Right: the
        gap ``optimal - curve(mdp.initial)``: how far the greedy policy's exact discounted
        value from the start is from optimal, at ``results.curve_steps``.

    Raises
    ------
    ValueError
        No curves were recorded (run with ``eval_every``), the model's state count
        differs from the runs', or ``smooth`` / ``band`` is out of range.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib.pyplot as plt
    >>> import rlfoundations as rlf
    >>> from rlfoundations import plot
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> sweep = rlf.sweep(mdp, gamma=0.99, n_steps=4_000, seeds=range(4), alpha=[0.1, 0.5],
    ...                   eval_every=200)
    >>> fig = plot.plot_learning_curves(sweep, mdp, smooth=10)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fig.savefig(Path(folder) / "curves.png")
    >>> plt.close(fig)
    """
    returns, lengths, n_episodes, params, gammas, curve_values = _runs(results)
    mdp = check_mdp(mdp)
    if curve_values is None:
        raise InvalidValueError(
            "results has no learning curves (curve_values is None): the gap to optimal needs "
            "the exact values of the greedy policy; run the learner or sweep with eval_every, "
            "e.g. rlf.sweep(mdp, ..., eval_every=1_000)"
        )
    if curve_values.shape[-1] != mdp.n_states:
        raise InvalidValueError(
            f"the runs have {curve_values.shape[-1]} states but mdp has {mdp.n_states}: "
            f"pass the model the runs learned on"
        )
    smooth = check_int("smooth", smooth)
    low, high = (float(p) for p in band)
    if not 0.0 <= low <= high <= 100.0:
        raise InvalidValueError(
            f"band must be two percentiles 0 <= low <= high <= 100, got {band!r}"
        )
    if optimal is None:
        optimal_of = {
            g: optimal_value(mdp, None)
            if g is None
            else value_iteration(mdp, g).mean_return(mdp.initial)
            for g in set(gammas)
        }
    else:
        optimal_of = {g: float(optimal) for g in set(gammas)}
    average_reward = None in optimal_of

    groups: dict[str, list[int]] = {}
    group_params: list[dict] = []
    for run, run_params in enumerate(params):
        without_seed = {k: v for k, v in run_params.items() if k != "seed"}
        key = repr(without_seed)
        if key not in groups:
            groups[key] = []
            group_params.append(without_seed)
        groups[key].append(run)
    labels = _group_labels(group_params, [len(runs) for runs in groups.values()], results.algorithm)

    if axes is None:
        plt = _require("matplotlib.pyplot")
        fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    elif len(axes) != 2:
        raise InvalidValueError(f"axes must be two Axes (returns, gap), got {len(axes)}")
    returns_ax, gap_ax = axes
    fig = returns_ax.figure
    total_steps = results.total_steps
    steps = np.linspace(0, total_steps, min(total_steps, 400) + 1)[1:]
    curve_steps = np.asarray(results.curve_steps)
    smoothed = _smoothed_returns(returns, lengths, n_episodes, smooth, steps)
    initial = np.asarray(mdp.initial, dtype=float)
    for (runs, label), color in zip(
        zip(groups.values(), labels, strict=True), _colors(len(groups)), strict=True
    ):
        mean, lo, hi = _centre_and_band(smoothed[runs], (low, high))
        returns_ax.plot(steps, mean, color=color, label=label, gid="returns-mean")
        returns_ax.fill_between(steps, lo, hi, color=color, alpha=0.2, lw=0, gid="returns-band")
        gap = optimal_of[gammas[runs[0]]] - curve_values[runs] @ initial
        mean, lo, hi = _centre_and_band(gap, (low, high))
        gap_ax.plot(curve_steps, mean, color=color, label=label, gid="gap-mean")
        gap_ax.fill_between(curve_steps, lo, hi, color=color, alpha=0.2, lw=0, gid="gap-band")

    spread = (
        "band: min-max of runs"
        if (low, high) == (0.0, 100.0)
        else f"band: {low:g}th-{high:g}th percentile of runs"
    )
    returns_ax.set_xlabel("environment steps")
    returns_ax.set_ylabel(f"episode return (mean of the last {smooth})")
    returns_ax.set_title("episode returns while learning", fontsize=10)
    gap_ax.axhline(0.0, color="0.5", lw=0.8, ls="--")
    gap_ax.set_xlabel("environment steps")
    gap_ax.set_ylabel(
        "optimal gain - gain(greedy policy), from the start"
        if average_reward
        else "optimal - V(greedy policy), from the start"
    )
    gap_ax.set_title("exact gap to optimal of the greedy policy", fontsize=10)
    gap_ax.legend(fontsize=8, title=spread, title_fontsize=8)
    criterion = (
        "average reward"
        if average_reward
        else "gamma=" + ", ".join(f"{g:g}" for g in sorted(optimal_of))
    )
    fig.suptitle(f"{results.algorithm} on {mdp.name or 'the model'} ({criterion})")
    return fig  # type: ignore[return-value]


def _colors(n: int) -> list:
    import matplotlib as mpl

    cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(n)]


# -- animation -----------------------------------------------------------------------------------
def _settled(history: np.ndarray, tolerance: float | None) -> int:
    """The first Bellman sweep whose values are close to the final values.

    Within ``tolerance`` times the final values' range of the final values: later frames would look
    the same.
    """
    if tolerance is None:
        return len(history) - 1
    final = history[-1]
    distance = np.abs(history - final).max(axis=1)
    return int(np.argmax(distance <= tolerance * (final.max() - final.min())))


def _frame_indices(last: int, n_recorded: int, stride: int) -> list[int]:
    """Every ``stride``-th recorded value function up to ``last``, and always the final one."""
    indices = list(range(0, last + 1, stride))
    if indices[-1] != n_recorded - 1:
        indices.append(n_recorded - 1)
    return indices


def _relative(grid: np.ndarray) -> np.ndarray:
    """``grid`` rescaled to [0, 1] by its own min and max (all 0 when it is flat)."""
    low, high = np.nanmin(grid), np.nanmax(grid)
    return np.zeros_like(grid) if high == low else (grid - low) / (high - low)


def animate_value_iteration(
    env: str | gym.Env | TabularMDP,
    path: str | os.PathLike,
    *,
    gamma: float = 0.99,
    scale: Literal["absolute", "relative", "both"] = "both",
    layout: GridLayout | None = None,
    stride: int | None = None,
    max_frames: int = 60,
    tolerance: float | None = 0.005,
    fps: float = 4.0,
    dpi: int = 80,
    figsize: tuple[float, float] | None = None,
    cmap: str = "viridis",
    **fixed: int,
) -> Path:
    """The talk's animation: value iteration's value function on the grid, Bellman sweep by sweep.

    Parameters
    ----------
    env : str, gymnasium.Env or TabularMDP
        What to solve and draw (its grid from :func:`grid_layout`, or ``layout``).
    path : str or path-like
        The GIF to write (its folder must exist).
    gamma : float
        Discount factor of value iteration (plain value iteration: ``extrapolate=False``, the
        textbook's sweeps, which the frames show one by one).
    scale : {"absolute", "relative", "both"}
        ``"absolute"``: one colour scale over all frames, the values growing; ``"relative"``:
        each frame rescaled to its own min and max, which shows the wave of value
        propagating backwards from the rewards; ``"both"``: side by side (stacked for wide
        grids).
    layout : GridLayout, optional
        The grid, for a model or env :func:`grid_layout` does not know.
    stride : int, optional
        Draw every ``stride``-th Bellman sweep (and the final values); default: the smallest stride
        that keeps at most ``max_frames`` frames.
    max_frames : int
        Bound on the frames when ``stride`` is not given (at least 2).
    tolerance : float or None
        Sweeps after the values come within ``tolerance`` times the range of the final
        values (max - min) of the final values are not drawn, since they look the same;
        the final frame shows the final values. None draws every sweep.
    fps : float
        Frames per second (the last frame is held 2 s longer).
    dpi : int
        Pixels per inch of the frames.
    figsize : (float, float), optional
        Size of the frames in inches (times ``dpi``: in pixels); default from the grid's
        shape.
    cmap : str
        Colour map.
    **fixed : int
        The slice (see :func:`grid_layout`).

    Returns
    -------
    pathlib.Path
        ``path``. Frame ``i`` shows the values after ``i * stride`` sweeps (frame 0: the
        zero start), and the last frame the final values, each titled with its sweep.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from rlfoundations.plot import animate_value_iteration
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     gif = animate_value_iteration("CliffWalking-v1", Path(folder) / "cliff.gif")
    ...     Image.open(gif).n_frames  # 15 sweeps: the start and the value after each
    16
    """
    if scale not in ("absolute", "relative", "both"):
        raise InvalidValueError(f"scale must be 'absolute', 'relative' or 'both', got {scale!r}")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise InvalidValueError(f"path must end in .gif, got {str(path)!r}")
    max_frames = check_int("max_frames", max_frames)
    if max_frames < 2:
        raise InvalidValueError(
            f"max_frames must be >= 2 (the start and the end), got {max_frames}"
        )
    if stride is not None:
        stride = check_int("stride", stride)
    if tolerance is not None and (
        not is_number(tolerance) or not (math.isfinite(tolerance) and tolerance >= 0)
    ):
        raise InvalidValueError(f"tolerance must be a number >= 0 or None, got {tolerance!r}")
    dpi = check_int("dpi", dpi)
    fps = check_positive("fps", fps)
    gamma = check_gamma(gamma)
    layout = _as_layout(layout, fixed) if layout is not None else grid_layout(env, **fixed)  # type: ignore[arg-type]
    mdp = env if isinstance(env, TabularMDP) else from_env(env)
    if mdp.n_states != layout.n_states:
        raise InvalidValueError(
            f"layout has {layout.n_states} states but the model has {mdp.n_states}"
        )

    figure_module = _require("matplotlib.figure")
    agg = _require("matplotlib.backends.backend_agg")
    colors = _require("matplotlib.colors")
    _require("PIL.Image")

    # The talk's sweeps: plain value iteration, no shifts between rounds.
    result = value_iteration(mdp, gamma, record=True, extrapolate=False)
    n_recorded = result.history.shape[0]  # type: ignore[union-attr]
    last = _settled(result.history, tolerance)  # type: ignore[arg-type]
    if stride is None:
        stride = max(1, math.ceil(last / max_frames))
        while len(_frame_indices(last, n_recorded, stride)) > max_frames:
            stride += 1
    indices = _frame_indices(last, n_recorded, stride)
    frames = [_without_terminal(layout, layout.grid(result.history[i])) for i in indices]  # type: ignore[index]
    shown = np.concatenate([grid[~np.isnan(grid)] for grid in frames])
    panels = ["absolute", "relative"] if scale == "both" else [scale]
    rows, cols = layout.shape
    side_by_side = cols <= 2 * rows
    if figsize is None:
        width, height = cols * _CELL_INCHES + _PANEL_MARGIN[0], rows * _CELL_INCHES + 0.7
        figsize = (
            (width * len(panels), height + 0.6)
            if side_by_side
            else (width, height * len(panels) + 0.6)
        )

    # A Figure made without pyplot is not registered anywhere: nothing to close, no GUI.
    fig = figure_module.Figure(figsize=figsize, dpi=dpi, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.1, h_pad=0.1)
    canvas = agg.FigureCanvasAgg(fig)
    grid_of = {"absolute": lambda g: g, "relative": _relative}
    norms = {
        "absolute": colors.Normalize(float(shown.min()), float(shown.max())),
        "relative": colors.Normalize(0.0, 1.0),
    }
    bar_labels = {"absolute": "V(s)", "relative": "V(s), rescaled to this sweep's min-max"}
    panel_axes = fig.subplots(
        1 if side_by_side else len(panels), len(panels) if side_by_side else 1, squeeze=False
    ).ravel()
    images = []
    for ax, panel in zip(panel_axes, panels, strict=True):
        image = _draw_grid(ax, layout, grid_of[panel](frames[0]), cmap, norms[panel])
        ax.set_title(f"{panel} scale", fontsize=9)
        _colorbar(ax, image, bar_labels[panel])
        images.append((image, grid_of[panel]))
    where = f", {layout.slice_label}" if layout.slice_label else ""
    pictures = []
    for index, grid in zip(indices, frames, strict=True):
        for image, rescale in images:
            image.set_data(np.ma.masked_invalid(rescale(grid)))
        fig.suptitle(
            f"{layout.name}{where}\nvalue iteration, gamma={gamma:g}: "
            f"sweep {index} of {result.iterations}",
            fontsize=10,
        )
        if index == indices[0]:
            fig.draw_without_rendering()  # constrained layout settles in a second pass
        canvas.draw()
        # Later frames keep the first one's placement: the layout is most of the drawing time.
        fig.set_layout_engine("none")
        rgba = np.asarray(canvas.buffer_rgba())
        pictures.append(rgba[..., :3].copy())
    return save_gif(pictures, path, fps=fps)


def save_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, *, fps: float = 4.0) -> Path:
    """Write RGB frames as a looping GIF that holds its last frame for two seconds.

    Parameters
    ----------
    frames : sequence of ndarray, shape (height, width, 3), dtype uint8
        The pictures, e.g. ``env.render()`` of an env made with ``render_mode="rgb_array"``.
    path : str or os.PathLike
        The GIF to write; must end in ``.gif``.
    fps : float
        Frames per second.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import rlfoundations as rlf
    >>> from rlfoundations.plot import save_gif
    >>> env = rlf.make("rlfoundations/Rick-v0", render_mode="rgb_array")
    >>> _ = env.reset(seed=0)
    >>> frames = [env.render()]
    >>> for action in (0, 2, 4):
    ...     _ = env.step(action)
    ...     frames.append(env.render())
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_gif(frames, Path(folder) / "rick.gif").name
    'rick.gif'
    """
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise InvalidValueError(f"path must end in .gif, got {str(path)!r}")
    fps = check_positive("fps", fps)
    frames = [np.asarray(frame) for frame in frames]
    if not frames:
        raise InvalidValueError("frames must hold at least one picture")
    for index, frame in enumerate(frames):
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise InvalidValueError(
                f"frames[{index}] must be an RGB uint8 array of shape (height, width, 3), "
                f"got {frame.dtype} {frame.shape}"
            )
    image_module = _require("PIL.Image")
    pictures = [image_module.fromarray(frame) for frame in frames]
    frame_ms = 1000.0 / fps
    durations = [round(frame_ms)] * (len(pictures) - 1) + [round(frame_ms) + 2000]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    return path


# -- comparisons and explanations ----------------------------------------------------------------
def plot_comparison(
    comparison: Comparison,
    *,
    axes: Sequence[Axes] | None = None,
    figsize: tuple[float, float] = (12.0, 3.8),
) -> Figure:
    """Draw a :class:`rlfoundations.Comparison` as rliable does, in three panels.

    Left: every group's IQM and median with their bootstrap intervals. Middle: the
    probability that a group's run beats the next group's, with its interval. Right: the
    performance profiles, the fraction of runs whose gap is at most ``tau``.

    Parameters
    ----------
    comparison : Comparison
        From :func:`rlfoundations.compare`.
    axes : sequence of three Axes, optional
        Where to draw; a new figure by default.
    figsize : (float, float)
        Size of the new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> from rlfoundations.plot import plot_comparison
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> runs = rlf.sweep(mdp, gamma=0.9, n_steps=2_000, seeds=range(6), alpha=[0.1, 0.5])
    >>> fig = plot_comparison(rlf.compare(runs, "alpha", mdp=mdp))
    >>> len(fig.axes)
    3
    """
    if axes is None:
        plt = _require("matplotlib.pyplot")
        fig, axes = plt.subplots(1, 3, figsize=figsize, layout="constrained")
    elif len(axes) != 3:
        raise InvalidValueError(
            f"axes must be three Axes (estimates, improvement, profiles), got {len(axes)}"
        )
    estimate_ax, improve_ax, profile_ax = axes
    fig = estimate_ax.figure
    groups = list(comparison.groups)
    colors = _colors(len(groups))
    rows = np.arange(len(groups))
    for offset, (name, centre, interval) in zip(
        (-0.15, 0.15),
        (
            ("IQM", comparison.iqm, comparison.iqm_ci),
            ("median", comparison.median, comparison.median_ci),
        ),
        strict=True,
    ):
        values = np.array([centre[g] for g in groups])
        low = np.array([interval[g][0] for g in groups])
        high = np.array([interval[g][1] for g in groups])
        iqm_marker = name == "IQM"
        estimate_ax.errorbar(
            values, rows + offset, xerr=[values - low, high - values],
            fmt="o" if iqm_marker else "s", color="0.2" if iqm_marker else "0.55", capsize=3,
            label=name, gid=f"estimate-{name}",
        )  # fmt: skip
    estimate_ax.set_yticks(rows, groups)
    estimate_ax.invert_yaxis()
    what = "final gap" if comparison.metric == "final_gap" else "mean gap over the curve"
    estimate_ax.set_xlabel(f"{what} (lower is better)")
    estimate_ax.set_title(f"IQM and median, {comparison.confidence:.0%} intervals", fontsize=10)
    estimate_ax.legend(fontsize=8)

    pairs = len(groups) - 1
    if pairs:
        poi = np.array([comparison.probability_of_improvement[i, i + 1] for i in range(pairs)])
        low = np.array([comparison.improvement_ci[i, i + 1, 0] for i in range(pairs)])
        high = np.array([comparison.improvement_ci[i, i + 1, 1] for i in range(pairs)])
        improve_ax.barh(
            np.arange(pairs), poi, xerr=[poi - low, high - poi], color=colors[:pairs],
            capsize=3, gid="improvement",
        )  # fmt: skip
        improve_ax.set_yticks(
            np.arange(pairs), [f"{groups[i]}\nvs {groups[i + 1]}" for i in range(pairs)]
        )
        improve_ax.invert_yaxis()
    improve_ax.axvline(0.5, color="0.5", lw=0.8, ls="--")
    improve_ax.set_xlim(0.0, 1.0)
    improve_ax.set_xlabel("P(run of the first has the lower gap)")
    improve_ax.set_title("probability of improvement", fontsize=10)

    for group, color in zip(groups, colors, strict=True):
        profile_ax.step(
            comparison.thresholds, comparison.profiles[group], where="post", color=color,
            label=group, gid="profile",
        )  # fmt: skip
    profile_ax.set_xlabel("tau (gap)")
    profile_ax.set_ylabel("fraction of runs with gap <= tau")
    profile_ax.set_ylim(-0.02, 1.02)
    profile_ax.set_title("performance profiles", fontsize=10)
    profile_ax.legend(fontsize=8)
    return fig  # type: ignore[return-value]


def plot_explanation(
    explanation: Explanation,
    *,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 3.5),
) -> Figure:
    """Draw an :class:`rlfoundations.Explanation`: one bar per action.

    Each bar is stacked from its outcomes' contributions ``prob * (reward + gamma * V(next))``, with
    a tick at its Q-value and the chosen action outlined.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> from rlfoundations.plot import plot_explanation
    >>> mdp = rlf.from_env("FrozenLake-v1")
    >>> why = rlf.explain(mdp, rlf.value_iteration(mdp, gamma=0.95), 0)
    >>> fig = plot_explanation(why)
    >>> fig.axes[0].get_title()
    'why action 0 in state 0? (gamma 0.95)'
    """
    if ax is None:
        plt = _require("matplotlib.pyplot")
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    fig = ax.figure
    colors = _colors(max(len(b.outcomes) for b in explanation.actions))
    for backup in explanation.actions:
        positive = negative = 0.0
        for index, outcome in enumerate(backup.outcomes):
            base = positive if outcome.contribution >= 0 else negative
            ax.bar(
                backup.action, outcome.contribution, bottom=base, color=colors[index],
                alpha=0.8, edgecolor="white", gid="contribution",
            )  # fmt: skip
            if outcome.contribution >= 0:
                positive += outcome.contribution
            else:
                negative += outcome.contribution
        chosen = backup.action == explanation.chosen
        ax.hlines(
            backup.q_value, backup.action - 0.4, backup.action + 0.4, color="black",
            lw=2.5 if chosen else 1.2, gid="q-value",
        )  # fmt: skip
        ax.annotate(
            f"{backup.q_value:.3g}", (backup.action, backup.q_value), textcoords="offset points",
            xytext=(0, 4), ha="center", fontsize=8, fontweight="bold" if chosen else "normal",
        )  # fmt: skip
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xticks(
        [b.action for b in explanation.actions],
        [
            ("> " if b.action == explanation.chosen else "") + (b.name or f"action {b.action}")
            for b in explanation.actions
        ],
        fontsize=8,
    )
    ax.set_ylabel("Q(s, a): stacked outcome contributions")
    ax.set_title(
        f"why action {explanation.chosen} in state {explanation.state}? "
        f"(gamma {explanation.gamma:g})",
        fontsize=10,
    )
    return fig  # type: ignore[return-value]


def plot_regret(
    curves: dict[str, Sequence[RegretResult]],
    *,
    title: str | None = None,
    band: tuple[float, float] = (0.0, 100.0),
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.0, 4.0),
) -> Figure:
    """Cumulative exact regret against episodes: one line (mean over seeds) and band per learner.

    Parameters
    ----------
    curves : dict of str to sequence of RegretResult
        Label -> the runs of one learner (``rlf.exploration_sweep``), all of one length.
    title : str, optional
        The figure's title.
    band : (float, float)
        Percentiles of the runs shaded around the mean (min-max by default).
    ax : matplotlib Axes, optional
        Draw there instead of a new figure.
    figsize : (float, float)
        Size of a new figure, in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import rlfoundations as rlf
    >>> from rlfoundations.plot import plot_regret
    >>> mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    >>> runs = rlf.exploration_sweep("rmax", mdp, 20, 50, seeds=[0, 1], known_visits=5)
    >>> fig = plot_regret({"R-max": runs})
    """
    if not isinstance(curves, dict) or not curves:
        raise InvalidTypeError(
            f"curves must be a non-empty dict of label -> RegretResults, got {curves!r}"
        )
    for label, runs in curves.items():
        if not runs or not all(isinstance(run, RegretResult) for run in runs):
            raise InvalidTypeError(
                f"curves[{label!r}] must be a non-empty sequence of RegretResult"
            )
        if len({run.n_episodes for run in runs}) != 1:
            raise InvalidValueError(
                f"the runs of curves[{label!r}] have different numbers of episodes"
            )
    low, high = (float(p) for p in band)
    if not 0.0 <= low <= high <= 100.0:
        raise InvalidValueError(
            f"band must be two percentiles 0 <= low <= high <= 100, got {band!r}"
        )
    if ax is None:
        plt = _require("matplotlib.pyplot")
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    fig = ax.figure
    for (label, runs), color in zip(curves.items(), _colors(len(curves)), strict=True):
        regret = np.stack([run.regret for run in runs])
        episodes = np.arange(1, regret.shape[1] + 1)
        mean, lo, hi = _centre_and_band(regret, (low, high))
        ax.plot(episodes, mean, color=color, label=f"{label} ({len(runs)} seeds)", gid="regret")
        ax.fill_between(episodes, lo, hi, color=color, alpha=0.2, lw=0, gid="regret-band")
    ax.set_xlabel("episodes")
    ax.set_ylabel("cumulative regret (exact)")
    ax.legend(fontsize=8)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig  # type: ignore[return-value]  # ax.figure: a Figure
