"""The problems by name: module, registered env id, time limit and a one-line summary.

Kept free of the problems' code, so that registering the envs (on ``import rlfoundations``)
builds no model.
"""

from __future__ import annotations

from typing import NamedTuple

from rlfoundations.errors import InvalidValueError

__all__ = ["CATALOG", "Entry", "env_id"]


class Entry(NamedTuple):
    module: str
    max_episode_steps: int | None
    summary: str
    #: The discount it is usually solved with (1.0: undiscounted; queue_admission's average
    #: reward is approached by 0.999).
    gamma: float = 0.95


#: Every problem of :mod:`rlfoundations.problems`, in the order the gallery shows them.
CATALOG: dict[str, Entry] = {
    "gamblers_problem": Entry(
        "textbook",
        1000,
        "Sutton & Barto ex. 4.3: stake capital on coin flips to reach 100",
        gamma=1.0,
    ),
    "jacks_car_rental": Entry(
        "textbook",
        1000,
        "Sutton & Barto ex. 4.2: move cars overnight between two rental sites",
        gamma=0.9,
    ),
    "random_walk": Entry(
        "textbook",
        None,
        "Sutton & Barto ex. 6.2: a one-action random walk, true values k/(n+1)",
        gamma=1.0,
    ),
    "windy_gridworld": Entry(
        "textbook", 1000, "Sutton & Barto ex. 6.5: a 7x10 grid with an upward crosswind", gamma=1.0
    ),
    "dyna_maze": Entry("textbook", 1000, "Sutton & Barto ex. 8.1: the 6x9 maze of Dyna-Q"),
    "blocking_maze": Entry(
        "textbook", 1000, "Sutton & Barto ex. 8.2: the short way is blocked after a while"
    ),
    "shortcut_maze": Entry(
        "textbook", 1000, "Sutton & Barto ex. 8.3: a shortcut opens after a while"
    ),
    "maximization_bias": Entry(
        "textbook",
        None,
        "Sutton & Barto fig. 6.5: the MDP where Q-learning overestimates",
        gamma=1.0,
    ),
    "forest": Entry(
        "operations", 1000, "pymdptoolbox's forest: wait or cut, at the risk of a fire", gamma=0.9
    ),
    "inventory": Entry(
        "operations", 1000, "Order stock against random demand: (s, S) policies are optimal"
    ),
    "machine_replacement": Entry(
        "operations", 1000, "Keep a deteriorating machine or replace it: a control limit", gamma=0.9
    ),
    "queue_admission": Entry(
        "operations",
        1000,
        "Admit or reject arrivals to a queue (average reward): Naor's threshold",
        gamma=0.999,
    ),
    "puterman_two_state": Entry(
        "operations",
        1000,
        "Puterman's two-state example (sec. 3.1), as in QuantEcon's tests",
        gamma=0.95,
    ),
    "river_swim": Entry(
        "exploration", 1000, "Strehl & Littman 2008: swim upstream for a large reward"
    ),
    "six_arms": Entry("exploration", 1000, "Strehl & Littman 2008: six arms, rare rich rooms"),
    "chain": Entry(
        "exploration", 1000, "Strens 2000: a slippery chain with a far reward", gamma=0.99
    ),
    "deep_sea": Entry(
        "exploration",
        None,
        "Osband et al.: an N x N deep-exploration grid (bsuite's DeepSea)",
        gamma=1.0,
    ),
    "garnet": Entry(
        "garnet",
        1000,
        "Archibald et al. 1995: random GARNET models (the benchmarks' models)",
        gamma=0.9,
    ),
}


def env_id(name: str) -> str:
    """The registered env id of problem ``name``: ``rlfoundations/<CamelCase>-v0``."""
    if not isinstance(name, str) or name not in CATALOG:
        raise InvalidValueError(f"name must be a problem of CATALOG, got {name!r}")
    return "rlfoundations/" + "".join(part.capitalize() for part in name.split("_")) + "-v0"
