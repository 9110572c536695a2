"""A library of problems with known answers.

Sutton & Barto's examples, operations research models and exploration benchmarks, each a function
returning a :class:`~rlfoundations.TabularMDP` with named state factors, and each registered as a
Gymnasium env ``rlfoundations/<Name>-v0`` whose dynamics are that model.

Examples
--------
>>> import rlfoundations as rlf
>>> mdp = rlf.problems.forest()
>>> rlf.value_iteration(mdp, gamma=0.9).policy.tolist()
[0, 0, 0]
>>> rlf.problems.env_id("forest")
'rlfoundations/Forest-v0'
"""

from __future__ import annotations

from collections.abc import Callable

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems._catalog import CATALOG, env_id
from rlfoundations.problems.exploration import chain, deep_sea, river_swim, six_arms
from rlfoundations.problems.garnet import garnet
from rlfoundations.problems.operations import (
    forest,
    inventory,
    machine_replacement,
    puterman_two_state,
    queue_admission,
)
from rlfoundations.problems.textbook import (
    blocking_maze,
    dyna_maze,
    gamblers_problem,
    jacks_car_rental,
    maximization_bias,
    random_walk,
    shortcut_maze,
    windy_gridworld,
)

__all__ = [
    "CATALOG",
    "blocking_maze",
    "chain",
    "deep_sea",
    "dyna_maze",
    "env_id",
    "forest",
    "gamblers_problem",
    "garnet",
    "get_problem",
    "inventory",
    "jacks_car_rental",
    "machine_replacement",
    "maximization_bias",
    "puterman_two_state",
    "queue_admission",
    "random_walk",
    "river_swim",
    "shortcut_maze",
    "six_arms",
    "windy_gridworld",
]


def get_problem(name: str) -> Callable[..., TabularMDP]:
    """The problem function called ``name`` (see ``CATALOG``).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.problems.get_problem("river_swim")().n_states
    6
    """
    if not isinstance(name, str) or name not in CATALOG:
        import difflib

        close = difflib.get_close_matches(str(name), list(CATALOG), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InvalidValueError(
            f"unknown problem {name!r}{hint} (rlfoundations problems lists them)"
        )
    return globals()[name]
