"""Argument checks shared by the public functions: one place, one wording.

Each check takes the argument's name, so that the error says which argument is wrong and with
what value: a ``TypeError`` for the wrong kind of thing, a ``ValueError`` for a bad value.
Booleans are never accepted as numbers (``True`` is an int to Python, not to a user).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "check_gamma",
    "check_int",
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
        raise TypeError(f"{name} must be an int {bound}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """``value`` as a finite float ``> 0``."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def check_gamma(gamma) -> float:
    """A discount factor in [0, 1]."""
    if not is_number(gamma):
        raise TypeError(f"gamma must be a number in [0, 1], got {gamma!r}")
    if not 0.0 <= float(gamma) <= 1.0:  # NaN fails too
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return float(gamma)


def check_seed(seed) -> int:
    """A seed of the learners' random stream, in [0, 2**64)."""
    if not is_int(seed):
        raise TypeError(f"seed must be an int in [0, 2**64), got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return int(seed)


def check_optional_seed(seed) -> int | None:
    """A seed for Gymnasium or NumPy (any int), or None."""
    if seed is not None and not is_int(seed):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)
