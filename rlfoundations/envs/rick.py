"""Videogame Rick: the game of the talk "RL for developers", as a toy-text Gymnasium env."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.toy_text.utils import categorical_sample

from rlfoundations._validate import is_int, is_number
from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = ["ACTION_NAMES", "LANDMARKS", "MAP", "REWARD_SCHEMES", "RickEnv"]

MAP = [
    "+---------+",
    "| :G: | :B|",
    "| : : | : |",
    "| : | : : |",
    "| | : :F: |",
    "|C: : | : |",
    "+---------+",
]

#: The four landmarks where Morty waits and the portal signal shows: (name, letter, (row, col)).
LANDMARKS = (
    ("Garage", "G", (0, 1)),
    ("Blips and Chitz", "B", (0, 4)),
    ("Citadel", "C", (4, 0)),
    ("Froopyland", "F", (3, 3)),
)

ACTION_NAMES = ("Up", "Down", "Right", "Left", "Pickup", "Portal gun")

#: Reward of each event under each scheme: (win, death, crash, step).
REWARD_SCHEMES = {
    "shaped": {"win": 20.0, "death": -10.0, "crash": -10.0, "step": -1.0},
    "sparse": {"win": 1.0, "death": -1.0, "crash": 0.0, "step": 0.0},
}

N_ROWS = N_COLS = 5
N_SIGNALS = 4
N_MORTY = 5  # a landmark 0..3, or 4: with Rick
WITH_RICK = 4
UP, DOWN, RIGHT, LEFT, PICKUP, PORTAL_GUN = range(6)

# (row, col) step of each move, and the two lateral moves a drunk Rick may slip into.
_MOVES = {UP: (-1, 0), DOWN: (1, 0), RIGHT: (0, 1), LEFT: (0, -1)}
_LATERAL = {UP: (LEFT, RIGHT), DOWN: (RIGHT, LEFT), RIGHT: (UP, DOWN), LEFT: (DOWN, UP)}

# Tile art for render_mode="rgb_array" (RGB).
_TILE = 48
_WALL = 6
_COLORS: dict[str, Any] = {
    "floor": (214, 226, 207),
    "floor_alt": (200, 214, 193),
    "frame": (40, 44, 52),
    "landmark": ((224, 122, 95), (129, 178, 154), (61, 90, 128), (242, 204, 143)),
    "signal": (57, 255, 20),
    "portal_core": (20, 120, 40),
    "morty": (250, 215, 60),
    "morty_shirt": (230, 180, 20),
    "rick": (150, 210, 240),
    "rick_coat": (245, 245, 245),
}


class RickEnv(gym.Env):
    """
    Videogame Rick: drive Rick to Morty, pick him up and fire the portal gun at the signal.

    ## Description
    The game of the talk "RL for developers" (Guillem Duran Ballester, PiterPy 2017), a
    Taxi-like grid world. Rick starts at a random cell of a 5x5 grid. Walls, drawn `|`, make
    him crash. Morty waits at one of four landmarks; the portal signal shows at another. Rick
    must reach Morty, pick him up, reach the signal and fire the portal gun. Firing anywhere
    else, or without Morty, and everybody dies.

    Map (landmarks: G Garage, B Blips and Chitz, C Citadel, F Froopyland):

        +---------+
        | :G: | :B|
        | : : | : |
        | : | : : |
        | | : :F: |
        |C: : | : |
        +---------+

    A `|` inside the map is a wall between two cells; `:` is open. Rows and columns count
    from the top left, from 0.

    ## Action Space
    `Discrete(6)`, in the talk's order:

    - 0: Move up
    - 1: Move down
    - 2: Move right
    - 3: Move left
    - 4: Pick up Morty
    - 5: Fire the portal gun

    ## Observation Space
    `Discrete(500)`. A state is the vector `(row, col, signal, morty)`: Rick's cell, the
    landmark of the portal signal (0..3, in the order G, B, C, F) and where Morty is (a
    landmark 0..3, or 4: with Rick). The observation is the integer
    `((row * 5 + col) * 4 + signal) * 5 + morty`; `env.unwrapped.encode(row, col, signal,
    morty)` and `env.unwrapped.decode(state)` convert. The talk's example vector
    `[4, 4, 1, 4]` is Rick in the bottom right corner, the signal at B and Morty aboard.

    Of the 500 states, 400 can be reached in play: Morty is never dropped, so the 100 states
    where Morty waits on the signal's landmark never occur.

    ## Starting State
    Uniform over 300 states: Rick on any of the 25 cells, Morty at one landmark and the
    signal at a different one. `initial_state_distrib` holds this distribution.

    ## Rewards
    With `reward_scheme="shaped"` (the default, the talk's shaped reward):

    - +20: win (portal gun at the signal with Morty aboard).
    - -10: an illegal action: a crash (a move into a wall or off the grid, an invalid
      pickup) or the deadly portal shot.
    - -1: every other step.

    With `reward_scheme="sparse"` (the talk's +1 win / -1 loss / 0 otherwise): +1 win,
    -1 for the deadly portal shot, 0 for everything else, crashes included (they still
    cost a step, which a discount factor below 1 penalises).

    ## Rules
    - A move into a wall or off the grid is a crash: Rick stays put, the episode goes on.
    - A pickup is legal on Morty's landmark while Morty waits there; otherwise (elsewhere,
      or with Morty already aboard) it is a crash: nothing changes, the episode goes on.
    - The portal gun with Morty aboard on the signal's landmark wins; anywhere else, or
      without Morty, everybody dies. Both end the episode, the state left unchanged.
    - With `drunk=p > 0`, a move goes as intended with probability `1 - p` and slips to
      each lateral direction (90 degrees left or right of the intended one) with
      probability `p / 2`. The move actually made is then judged as above (a slip into a
      wall is a crash). Pickup and portal gun stay deterministic. Outcomes that coincide
      are merged in `P`.

    ## Episode End
    - Termination: the portal gun is fired (a win or everybody dies).
    - Truncation (the `TimeLimit` wrapper added by `gymnasium.make`): 200 steps.

    ## Information
    `step()` and `reset()` return a dict with:

    - "prob": the probability of the transition that happened (1 for `reset`).
    - "action_mask": an int8 array of 6 entries, 1 for the legal actions of the new state:
      the moves that do not crash (when sober), a pickup that picks Morty up, and the portal
      gun only where it wins. Sample with `env.action_space.sample(info["action_mask"])`.

    ## Rendering
    - "ansi": the map as text. `R` is Rick alone, `&` is Rick with Morty aboard (Rick &
      Morty), `M` is Morty waiting, `S` is the portal signal; the other landmarks show
      their letter. A status line names Morty's and the signal's landmarks and the last
      action.
    - "rgb_array": a 240x240x3 uint8 image of simple tile art drawn with NumPy: coloured
      landmark pads, dark walls, a green portal ring for the signal, a yellow Morty and a
      blue-haired, white-coated Rick (with a yellow Morty badge when Morty is aboard).

    ## Arguments

    ```python
    import gymnasium as gym
    import rlfoundations  # registers the env
    gym.make("rlfoundations/Rick-v0", reward_scheme="shaped", drunk=0.0, render_mode=None)
    ```

    - `reward_scheme="shaped"`: `"shaped"` or `"sparse"`, see Rewards.
    - `drunk=0.0`: the probability in [0, 1] that a move slips sideways.
    - `render_mode=None`: `"ansi"` or `"rgb_array"`.

    ## Version History
    - v0: first version, in rlfoundations 0.1.0.
    """

    # Gymnasium declares ``metadata`` an instance attribute; here it is the class's, as in its envs.
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}  # type: ignore[misc]

    def __init__(
        self,
        render_mode: str | None = None,
        reward_scheme: str = "shaped",
        drunk: float = 0.0,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InvalidValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        if not isinstance(reward_scheme, str):
            raise InvalidTypeError(
                f"reward_scheme must be a str, got {type(reward_scheme).__name__}"
            )
        if reward_scheme not in REWARD_SCHEMES:
            raise InvalidValueError(
                f"reward_scheme must be one of {sorted(REWARD_SCHEMES)}, got {reward_scheme!r}"
            )
        if not is_number(drunk):
            raise InvalidTypeError(
                f"drunk must be a probability (a float in [0, 1]), got {drunk!r}"
            )
        if not 0.0 <= float(drunk) <= 1.0:  # NaN fails too
            raise InvalidValueError(f"drunk must be in [0, 1], got {drunk!r}")

        self.desc: np.ndarray = np.asarray(MAP, dtype="c")
        self.landmarks: tuple[tuple[int, int], ...] = tuple(cell for _, _, cell in LANDMARKS)
        self.reward_scheme = reward_scheme
        self.rewards: dict[str, float] = REWARD_SCHEMES[reward_scheme]
        self.drunk: float = float(drunk)

        n_states = N_ROWS * N_COLS * N_SIGNALS * N_MORTY
        n_actions = len(ACTION_NAMES)
        self.initial_state_distrib: np.ndarray = np.zeros(n_states)
        # P[state][action] = [(probability, next_state, reward, terminated), ...]
        self.P: dict[int, dict[int, list[tuple[float, int, float, bool]]]] = {}
        for row in range(N_ROWS):
            for col in range(N_COLS):
                for signal in range(N_SIGNALS):
                    for morty in range(N_MORTY):
                        state = self.encode(row, col, signal, morty)
                        if morty != WITH_RICK and morty != signal:
                            self.initial_state_distrib[state] = 1.0
                        self.P[state] = {
                            action: self._transitions(row, col, signal, morty, action)
                            for action in range(n_actions)
                        }
        self.initial_state_distrib /= self.initial_state_distrib.sum()

        self.action_space = spaces.Discrete(n_actions)
        self.observation_space = spaces.Discrete(n_states)
        self.render_mode = render_mode
        self.s: int = 0
        self.lastaction: int | None = None

    # -- state coding ----------------------------------------------------------------------------
    def encode(self, row: int, col: int, signal: int, morty: int) -> int:
        """The observation of the state vector ``(row, col, signal, morty)``."""
        for name, value, size in (
            ("row", row, N_ROWS),
            ("col", col, N_COLS),
            ("signal", signal, N_SIGNALS),
            ("morty", morty, N_MORTY),
        ):
            if not is_int(value):
                raise InvalidTypeError(f"{name} must be an int in [0, {size}), got {value!r}")
            if not 0 <= value < size:
                raise InvalidValueError(f"{name} must be in [0, {size}), got {value!r}")
        return int(((row * N_COLS + col) * N_SIGNALS + signal) * N_MORTY + morty)

    def decode(self, state: int) -> tuple[int, int, int, int]:
        """The state vector ``(row, col, signal, morty)`` of an observation."""
        if not is_int(state):
            raise InvalidTypeError(f"state must be an int in [0, 500), got {state!r}")
        state = int(state)
        if not 0 <= state < N_ROWS * N_COLS * N_SIGNALS * N_MORTY:
            raise InvalidValueError(f"state must be in [0, 500), got {state!r}")
        state, morty = divmod(state, N_MORTY)
        state, signal = divmod(state, N_SIGNALS)
        row, col = divmod(state, N_COLS)
        return row, col, signal, morty

    # -- rules -----------------------------------------------------------------------------------
    def _blocked(self, row: int, col: int, move: int) -> bool:
        """Whether ``move`` from (row, col) hits a wall or leaves the grid."""
        d_row, d_col = _MOVES[move]
        new_row, new_col = row + d_row, col + d_col
        if not (0 <= new_row < N_ROWS and 0 <= new_col < N_COLS):
            return True
        if d_col:  # walls stand between horizontal neighbours, at the map's odd columns
            return self.desc[1 + row, 2 + 2 * min(col, new_col)] == b"|"
        return False

    def _move(self, row: int, col: int, signal: int, morty: int, move: int):
        """(next_state, reward, terminated) of the move actually made."""
        if self._blocked(row, col, move):
            return self.encode(row, col, signal, morty), self.rewards["crash"], False
        d_row, d_col = _MOVES[move]
        return self.encode(row + d_row, col + d_col, signal, morty), self.rewards["step"], False

    def _transitions(self, row: int, col: int, signal: int, morty: int, action: int):
        """The ``P[state][action]`` list: (probability, next_state, reward, terminated)."""
        state = self.encode(row, col, signal, morty)
        if action == PICKUP:
            if morty != WITH_RICK and (row, col) == self.landmarks[morty]:
                next_state = self.encode(row, col, signal, WITH_RICK)
                return [(1.0, next_state, self.rewards["step"], False)]
            return [(1.0, state, self.rewards["crash"], False)]
        if action == PORTAL_GUN:
            if morty == WITH_RICK and (row, col) == self.landmarks[signal]:
                return [(1.0, state, self.rewards["win"], True)]
            return [(1.0, state, self.rewards["death"], True)]
        outcomes: dict[tuple[int, float, bool], float] = {}
        slip = self.drunk / 2.0
        for move, prob in (
            (action, 1.0 - self.drunk),
            (_LATERAL[action][0], slip),
            (_LATERAL[action][1], slip),
        ):
            if prob > 0.0:
                key = self._move(row, col, signal, morty, move)
                outcomes[key] = outcomes.get(key, 0.0) + prob
        return [(prob, *key) for key, prob in outcomes.items()]

    def action_mask(self, state: int) -> np.ndarray:
        """1 for the actions that are legal in ``state``: no crash, no death."""
        row, col, signal, morty = self.decode(state)
        mask = np.zeros(len(ACTION_NAMES), dtype=np.int8)
        for move in _MOVES:
            mask[move] = not self._blocked(row, col, move)
        mask[PICKUP] = morty != WITH_RICK and (row, col) == self.landmarks[morty]
        mask[PORTAL_GUN] = morty == WITH_RICK and (row, col) == self.landmarks[signal]
        return mask

    # -- Gymnasium API ---------------------------------------------------------------------------
    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Take ``action``; ``truncated`` is always False (time limits are TimeLimit's job)."""
        if not self.action_space.contains(action):
            raise InvalidValueError(f"action must be an int in [0, 6), got {action!r}")
        transitions = self.P[self.s][int(action)]
        index = categorical_sample([t[0] for t in transitions], self.np_random)
        prob, state, reward, terminated = transitions[index]
        self.s = state
        self.lastaction = int(action)
        info = {"prob": float(prob), "action_mask": self.action_mask(state)}
        # truncated is False: the time limit is the TimeLimit wrapper's job.
        return int(state), float(reward), bool(terminated), False, info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start an episode from the initial-state distribution; ``info`` has the action mask."""
        super().reset(seed=seed)
        self.s = int(categorical_sample(self.initial_state_distrib, self.np_random))
        self.lastaction = None
        return int(self.s), {"prob": 1.0, "action_mask": self.action_mask(self.s)}

    def render(self) -> str | np.ndarray | None:
        """Draw the current state as ``render_mode`` says (ansi text or an RGB array)."""
        if self.render_mode is None:
            spec_id = self.spec.id if self.spec is not None else "rlfoundations/Rick-v0"
            gym.logger.warn(
                "You are calling render method without specifying any render mode. "
                f'Make the env with one, e.g. gym.make("{spec_id}", render_mode="ansi")'
            )
            return None
        if self.render_mode == "ansi":
            return self._render_text()
        return self._render_rgb()

    # -- rendering -------------------------------------------------------------------------------
    def _render_text(self) -> str:
        row, col, signal, morty = self.decode(self.s)
        grid = [[c.decode() for c in line] for line in self.desc.tolist()]

        def put(cell: tuple[int, int], letter: str) -> None:
            grid[1 + cell[0]][1 + 2 * cell[1]] = letter

        put(self.landmarks[signal], "S")
        if morty != WITH_RICK:
            put(self.landmarks[morty], "M")
        put((row, col), "&" if morty == WITH_RICK else "R")
        where = "aboard" if morty == WITH_RICK else f"at {LANDMARKS[morty][1]}"
        status = f"Morty {where}, signal at {LANDMARKS[signal][1]}"
        if self.lastaction is not None:
            status += f"  ({ACTION_NAMES[self.lastaction]})"
        return "\n".join("".join(line) for line in grid) + "\n" + status + "\n"

    def _render_rgb(self) -> np.ndarray:
        row, col, signal, morty = self.decode(self.s)
        size = N_ROWS * _TILE
        image = np.empty((size, size, 3), dtype=np.uint8)
        for r in range(N_ROWS):
            for c in range(N_COLS):
                shade = "floor" if (r + c) % 2 == 0 else "floor_alt"
                image[_tile(r, c)] = _COLORS[shade]
        for index, cell in enumerate(self.landmarks):
            pad = _tile(*cell, inset=3)
            image[pad] = _COLORS["landmark"][index]
        # Walls: the map's `|` between cells, and the frame.
        for r in range(N_ROWS):
            for c in range(N_COLS - 1):
                if self.desc[1 + r, 2 + 2 * c] == b"|":
                    x = (c + 1) * _TILE
                    wall = (
                        slice(r * _TILE, (r + 1) * _TILE),
                        slice(x - _WALL // 2, x + _WALL // 2),
                    )
                    image[wall] = _COLORS["frame"]
        for border in (slice(0, _WALL // 2), slice(size - _WALL // 2, size)):
            image[border, :] = _COLORS["frame"]
            image[:, border] = _COLORS["frame"]

        _disc(image, self.landmarks[signal], radius=0.42, color=_COLORS["signal"])
        _disc(image, self.landmarks[signal], radius=0.30, color=_COLORS["portal_core"])
        if morty != WITH_RICK:
            _figure(image, self.landmarks[morty], _COLORS["morty"], _COLORS["morty_shirt"])
        _figure(image, (row, col), _COLORS["rick"], _COLORS["rick_coat"])
        if morty == WITH_RICK:
            _disc(image, (row, col), radius=0.12, color=_COLORS["morty"], offset=(0.15, 0.0))
        return image


def _tile(row: int, col: int, inset: int = 0) -> tuple[slice, slice]:
    """Pixel slices of a cell, ``inset`` pixels in from its edges."""
    return (
        slice(row * _TILE + inset, (row + 1) * _TILE - inset),
        slice(col * _TILE + inset, (col + 1) * _TILE - inset),
    )


def _disc(image, cell, radius, color, offset=(0.0, 0.0)) -> None:
    """Paint a disc of ``radius`` (in tiles) centred on ``cell`` shifted by ``offset`` tiles."""
    rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    centre_row = (cell[0] + 0.5 + offset[0]) * _TILE
    centre_col = (cell[1] + 0.5 + offset[1]) * _TILE
    inside = (rows - centre_row) ** 2 + (cols - centre_col) ** 2 <= (radius * _TILE) ** 2
    image[inside] = color


def _figure(image, cell, head, body) -> None:
    """A small person: a body block under a round head."""
    top, left = cell[0] * _TILE, cell[1] * _TILE
    quarter = _TILE // 4
    image[top + _TILE // 2 : top + _TILE - 6, left + quarter + 2 : left + _TILE - quarter - 2] = (
        body
    )
    _disc(image, cell, radius=0.2, color=head, offset=(-0.15, 0.0))
