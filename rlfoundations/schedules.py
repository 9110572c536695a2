"""Schedules: a learning rate, exploration rate or temperature that changes over a run.

A :class:`Schedule` checks its own fields when it is built (a known kind, finite numbers, a
positive length, a visit-count exponent in (0, 1]); :func:`check_schedule` then checks that
every value it takes lies in the interval its argument allows. The learner kernels read a
schedule as the float64 array :meth:`Schedule.as_array` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rlfoundations._kernels import learning as _kernels
from rlfoundations._validate import is_int, is_number
from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = ["KINDS", "Schedule", "check_schedule"]


def _finite(value) -> bool:
    """Whether a number is finite as a float (an int too large for a float is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


#: Schedule kinds and their codes in the kernels' array form.
KINDS = {
    "constant": _kernels.CONSTANT,
    "linear": _kernels.LINEAR,
    "exponential": _kernels.EXPONENTIAL,
    "visit_count": _kernels.VISIT_COUNT,
}


@dataclass(frozen=True)
class Schedule:
    """A learning rate, exploration rate or temperature that changes over a run.

    Build one with :meth:`constant`, :meth:`linear`, :meth:`exponential` or
    :meth:`visit_count`; ``t`` below is the number of steps taken before the current one.
    A schedule checks its fields when it is built (``InvalidValueError`` /
    ``InvalidTypeError``); each learner argument then checks the range of its values.

    Examples
    --------
    >>> from rlfoundations import Schedule
    >>> Schedule.linear(1.0, 0.1, steps=1000).value(500)
    0.55
    >>> Schedule.visit_count(omega=1.0).value(0, count=4)
    0.25
    """

    kind: Literal["constant", "linear", "exponential", "visit_count"]
    start: float = 1.0
    end: float = 1.0
    steps: float = 1.0
    omega: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise InvalidValueError(
                f"Schedule kind must be one of {sorted(KINDS)}, got {self.kind!r}"
            )
        for name in ("start", "end", "steps", "omega"):
            value = getattr(self, name)
            if not is_number(value):
                raise InvalidTypeError(f"Schedule {name} must be a number, got {value!r}")
            if not _finite(value):
                raise InvalidValueError(f"Schedule {name} must be finite, got {value!r}")
        if self.kind in ("linear", "exponential") and not self.steps > 0:
            raise InvalidValueError(f"Schedule steps must be > 0, got {self.steps!r}")
        if self.kind == "visit_count" and not 0.0 < self.omega <= 1.0:
            raise InvalidValueError(f"Schedule omega must be in (0, 1], got {self.omega!r}")

    @classmethod
    def constant(cls, value: float) -> Schedule:
        """Always ``value``."""
        return cls("constant", start=value, end=value)

    @classmethod
    def linear(cls, start: float, end: float, steps: int) -> Schedule:
        """From ``start`` to ``end`` in a straight line over ``steps`` steps, then ``end``."""
        return cls("linear", start=start, end=end, steps=steps)

    @classmethod
    def exponential(cls, start: float, end: float, steps: float) -> Schedule:
        """``end + (start - end) * exp(-t / steps)``: ``steps`` is the time constant."""
        return cls("exponential", start=start, end=end, steps=steps)

    @classmethod
    def visit_count(cls, omega: float = 1.0) -> Schedule:
        """Learning rate ``1 / n(s, a)^omega`` after the n-th visit of (s, a).

        With ``0.5 < omega <= 1`` the rates meet the Robbins-Monro conditions.
        """
        return cls("visit_count", omega=omega)

    def value(self, t: int, count: int = 1) -> float:
        """The value at step ``t`` >= 0 (or after ``count`` >= 1 visits, for ``visit_count``)."""
        if not is_int(t):
            raise InvalidTypeError(f"t must be an int >= 0, got {t!r}")
        if t < 0:
            raise InvalidValueError(f"t must be >= 0, got {t!r}")
        if not is_int(count):
            raise InvalidTypeError(f"count must be an int >= 1, got {count!r}")
        if count < 1:
            raise InvalidValueError(f"count must be >= 1 (visits so far), got {count!r}")
        return float(_kernels.schedule_value(self.as_array(), float(t), float(count)))

    def as_array(self) -> np.ndarray:
        """The kernel form: ``[kind, start, end, steps, omega]``."""
        fields = [KINDS[self.kind], self.start, self.end, self.steps, self.omega]
        return np.array(fields, dtype=np.float64)


def check_schedule(name: str, value: object, low: float, high: float, low_open: bool) -> Schedule:
    """A float or a Schedule, every value of which lies in the interval (low or [low, high]."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    if is_number(value):
        if not _finite(value):
            raise InvalidValueError(f"{name} must lie in {interval}, got {value!r}")
        value = Schedule.constant(float(value))  # type: ignore[arg-type]  # is_number checked it
    if not isinstance(value, Schedule):
        raise InvalidTypeError(
            f"{name} must be a number in {interval} or a Schedule, got {value!r}"
        )
    if value.kind == "visit_count":
        if name != "alpha":
            raise InvalidValueError(
                f"{name} cannot be a visit_count schedule (only alpha), got {value}"
            )
        return value
    ends = (value.start,) if value.kind == "constant" else (value.start, value.end)
    for end in ends:
        below_low = end <= low if low_open else end < low
        if below_low or end > high:
            raise InvalidValueError(f"{name} must lie in {interval}, got {value!r}")
    return value
