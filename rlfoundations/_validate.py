"""Argument checks shared by the public functions: one place, one wording.

Each check takes the argument's name, so that the error says which argument is wrong and with
what value: a ``TypeError`` for the wrong kind of thing, a ``ValueError`` for a bad value
(their subclasses in :mod:`rlfoundations.errors`, which tell the caller's mistakes apart from
the library's bugs).
Booleans are never accepted as numbers (``True`` is an int to Python, not to a user).
"""

from __future__ import annotations

import math

import numpy as np

from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = [
    "check_bool",
    "check_gamma",
    "check_int",
    "check_mdp",
    "check_optional_seed",
    "check_positive",
    "check_seed",
    "is_int",
    "is_number",
]


def is_int(value) -> bool:
    """A Python or NumPy integer, not a bool."""
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def is_number(value) -> bool:
    """A Python or NumPy integer or float, not a bool."""
    return is_int(value) or isinstance(value, float | np.floating)


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (0 or 1)."""
    bound = "> 0" if minimum == 1 else f">= {minimum}"
    if not is_int(value):
        raise InvalidTypeError(f"{name} must be an int {bound}, got {value!r}")
    if value < minimum:
        raise InvalidValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """``value`` as a finite float ``> 0``."""
    if not is_number(value):
        raise InvalidTypeError(f"{name} must be a number > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise InvalidValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def check_gamma(gamma) -> float:
    """A discount factor in [0, 1]."""
    if not is_number(gamma):
        raise InvalidTypeError(f"gamma must be a number in [0, 1], got {gamma!r}")
    if not 0.0 <= gamma <= 1.0:  # NaN fails too; a huge int compares without a float
        raise InvalidValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return float(gamma)


def check_seed(seed) -> int:
    """A seed of the learners' random stream, in [0, 2**64)."""
    if not is_int(seed):
        raise InvalidTypeError(f"seed must be an int in [0, 2**64), got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise InvalidValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return int(seed)


def check_optional_seed(seed) -> int | None:
    """A seed for Gymnasium or NumPy (any int), or None."""
    if seed is not None and not is_int(seed):
        raise InvalidTypeError(f"seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)


def check_bool(name: str, value) -> bool:
    """``value`` as a bool (Python or NumPy), nothing else."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidTypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_mdp(mdp, *, name: str = "mdp", live_env: bool = False):
    """``mdp`` if it is a :class:`~rlfoundations.TabularMDP` (or, with ``live_env``, a
    ``gymnasium.Env``), else the one wording of that error."""
    from rlfoundations.mdp import TabularMDP

    if isinstance(mdp, TabularMDP):
        return mdp
    if live_env:
        import gymnasium

        if isinstance(mdp, gymnasium.Env):
            return mdp
    accepted = "a TabularMDP (see rlfoundations.from_env)" + (
        " or a gymnasium.Env" if live_env else ""
    )
    raise InvalidTypeError(f"{name} must be {accepted}, got {type(mdp).__name__}")
