"""A small text progress bar for long runs: the CLI's, and ``progress=True``'s."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``bar(done, total)`` redraws one line: ``label [#####-----] 50% 1.0M/2.0M steps, rate``.

    Ends the line when ``done`` reaches ``total`` (or on :meth:`close`).

    Parameters
    ----------
    label : str
        Shown before the bar.
    stream : file, optional
        Where to draw (stderr by default).
    width : int
        Characters of the bar itself.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar("train", stream=out, width=10)
    >>> bar(500_000, 1_000_000)
    >>> out.getvalue().split(" steps")[0]
    '\\rtrain [#####-----]  50% 500k/1M'
    """

    def __init__(self, label: str = "", stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self.start = time.perf_counter()
        self.open = False

    def __call__(self, done: int, total: int) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        fraction = 0.0 if total <= 0 else min(done / total, 1.0)
        filled = round(fraction * self.width)
        elapsed = time.perf_counter() - self.start
        rate = f", {_count(done / elapsed)} steps/s" if elapsed > 0 and done else ""
        label = f"{self.label} " if self.label else ""
        stream.write(
            f"\r{label}[{'#' * filled}{'-' * (self.width - filled)}] {fraction:4.0%} "
            f"{_count(done)}/{_count(total)} steps{rate}"
        )
        stream.flush()
        self.open = True
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the bar's line (once)."""
        if self.open:
            stream = self.stream if self.stream is not None else sys.stderr
            stream.write("\n")
            stream.flush()
            self.open = False


def _count(n: float) -> str:
    """``1234567`` -> ``'1.23M'``: three significant digits with a k/M/G suffix."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}" if n / scale < 100 else f"{n / scale:.0f}{suffix}"
    return f"{n:.0f}"
