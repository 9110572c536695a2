"""Progress of long runs: the CLI's text bar, ``progress=True``'s bar, and durations in words.

:class:`ProgressBar` draws in one of three ways, chosen when it first draws:

- on a terminal, one line redrawn in place (by carriage returns);
- on anything else (a log file, a pipe, CI), a plain line every few seconds and one at the
  end: never a carriage-return redraw that turns a log into one enormous line;
- with ``tqdm`` installed and no stream given, a ``tqdm.auto`` bar (a widget in a notebook)
  when stderr is a terminal or the code runs in a notebook.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["ProgressBar", "format_duration"]

#: Seconds between two lines when the stream is not a terminal.
LOG_INTERVAL = 5.0


def format_duration(seconds: float) -> str:
    """A duration as a person reads it: ``340 ms``, ``9.2 s``, ``2 min 05 s``, ``1 h 02 min``.

    Examples
    --------
    >>> [format_duration(t) for t in (0.000_42, 0.3404, 9.18, 125.2, 3725)]
    ['420 µs', '340 ms', '9.2 s', '2 min 05 s', '1 h 02 min']
    """
    if not seconds >= 0:  # NaN too
        return "?"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        milliseconds = float(f"{seconds * 1e3:.3g}")
        if milliseconds < 1000:
            return f"{milliseconds:g} ms"
        seconds = 1.0
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60:02d} min"


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        return type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"
    except Exception:  # IPython imported, but no shell running
        return False


def _tqdm_class():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class ProgressBar:
    """``bar(done, total)`` shows ``label [#####-----] 50% 1.0M/2.0M steps, rate, elapsed``.

    Ends its line when ``done`` reaches ``total`` (or on :meth:`close`). Accepted wherever a
    ``progress(steps_done, n_steps)`` callable is.

    Parameters
    ----------
    label : str
        Shown before the bar.
    stream : file, optional
        Where to draw (stderr by default). A terminal gets one line redrawn in place; anything
        else gets a plain line every ``interval`` seconds and a last one at the end.
    width : int
        Characters of the bar itself.
    interval : float
        Seconds between two lines on a stream that is not a terminal.
    use_tqdm : bool, optional
        Draw with ``tqdm.auto`` instead (a widget in a notebook). By default tqdm is used when
        it is installed, no ``stream`` was given, and stderr is a terminal or the code runs in
        a notebook.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()  # not a terminal: whole lines, no carriage returns
    >>> bar = ProgressBar("train", stream=out, width=10)
    >>> bar(500_000, 1_000_000)
    >>> bar(1_000_000, 1_000_000)
    >>> [line.split(" steps")[0] for line in out.getvalue().splitlines()]
    ['train [#####-----]  50% 500k/1M', 'train [##########] 100% 1M/1M']
    """

    def __init__(
        self,
        label: str = "",
        stream: TextIO | None = None,
        width: int = 30,
        *,
        interval: float = LOG_INTERVAL,
        use_tqdm: bool | None = None,
    ) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self.interval = interval
        self.use_tqdm = use_tqdm
        self.start = time.perf_counter()
        self.open = False
        self._mode: str | None = None  # "terminal", "log" or "tqdm", fixed on the first draw
        self._tqdm: Any = None
        self._last_line = -float("inf")
        self._pending: str | None = None

    def _choose_mode(self, stream) -> str:
        tqdm = _tqdm_class() if self.use_tqdm is not False else None
        if self.use_tqdm and tqdm is None:
            raise ImportError(
                "use_tqdm=True needs tqdm: pip install tqdm (or pass use_tqdm=None to fall "
                "back to the text bar)"
            )
        wants_tqdm = self.use_tqdm or (
            self.use_tqdm is None
            and self.stream is None
            and (_is_terminal(sys.stderr) or _in_notebook())
        )
        if tqdm is not None and wants_tqdm:
            return "tqdm"
        return "terminal" if _is_terminal(stream) else "log"

    def __call__(self, done: int, total: int) -> None:
        """Draw the bar for ``done`` of ``total`` units of work."""
        stream = self.stream if self.stream is not None else sys.stderr
        if self._mode is None:
            self._mode = self._choose_mode(stream)
        if self._mode == "tqdm":
            self._draw_tqdm(done, total)
        else:
            self._draw_text(stream, done, total)
        if done >= total:
            self.close()

    def _draw_tqdm(self, done: int, total: int) -> None:
        if self._tqdm is None:
            tqdm = _tqdm_class()
            self._tqdm = tqdm(total=total, desc=self.label or None, unit="step", unit_scale=True)
        self._tqdm.update(done - self._tqdm.n)
        self.open = True

    def _draw_text(self, stream, done: int, total: int) -> None:
        fraction = 0.0 if total <= 0 else min(done / total, 1.0)
        filled = round(fraction * self.width)
        now = time.perf_counter()
        elapsed = now - self.start
        rate = f", {_count(done / elapsed)} steps/s" if elapsed > 0 and done else ""
        label = f"{self.label} " if self.label else ""
        line = (
            f"{label}[{'#' * filled}{'-' * (self.width - filled)}] {fraction:4.0%} "
            f"{_count(done)}/{_count(total)} steps{rate}, {format_duration(elapsed)}"
        )
        if self._mode == "terminal":
            stream.write(f"\r{line}\x1b[K")
            stream.flush()
            self.open = True
        elif done >= total or now - self._last_line >= self.interval:
            stream.write(line + "\n")
            stream.flush()
            self._last_line = now
            self._pending = None
        else:
            self._pending = line

    def close(self) -> None:
        """End the bar's line (once); on a log, write the last state if it was not written."""
        stream = self.stream if self.stream is not None else sys.stderr
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
        elif self.open:
            stream.write("\n")
            stream.flush()
        elif self._pending is not None:
            stream.write(self._pending + "\n")
            stream.flush()
        self._pending = None
        self.open = False


def _count(n: float) -> str:
    """``1234567`` -> ``'1.23M'``: three significant digits with a k/M/G suffix."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}" if n / scale < 100 else f"{n / scale:.0f}{suffix}"
    return f"{n:.0f}"
