"""Numba's BLAS probe, deferred from the first kernel call to where Numba needs its answer.

The first call of any Numba function, even one loaded from the cache, imports Numba's
implementation registries, among them ``numba.np.arraymath``, which at import asks whether
SciPy's BLAS is there (``_HAVE_BLAS = _check_blas()``) by importing ``scipy.linalg``: about
0.2 s of CPU, a fifth of a warm ``rlfoundations solve Taxi-v3``, where SciPy is installed,
for a flag that only ``np.convolve`` and ``np.correlate`` compiled in nopython code read.
No kernel of this package calls either.

:func:`defer` imports ``numba.np.arraymath`` (which the first kernel call would import
anyway) with the probe answering "not yet", then puts the probe back and leaves in
``_HAVE_BLAS`` an object whose truth is the probe's answer, asked the first time Numba reads
it. So Numba sees the same answer, only later, and a process that never compiles a
convolution never imports SciPy for it; NumPy's ``dot`` and ``linalg`` in nopython code ask
``ensure_blas`` themselves, unchanged. These are private names of Numba (whose supported
versions are bounded); where one is missing, nothing is changed.
"""

from __future__ import annotations

import sys

__all__ = ["DeferredProbe", "defer"]


class DeferredProbe:
    """True if ``probe()`` returns, False if it raises ImportError; asked on first use."""

    def __init__(self, probe) -> None:
        self._probe = probe
        self._answer: bool | None = None

    def __bool__(self) -> bool:
        if self._answer is None:
            try:
                self._probe()
            except ImportError:
                self._answer = False
            else:
                self._answer = True
        return self._answer

    def __repr__(self) -> str:
        answer = "not asked yet" if self._answer is None else self._answer
        return f"DeferredProbe({answer})"


def defer() -> bool:
    """Import ``numba.np.arraymath`` with its BLAS probe deferred; whether it was deferred
    (False: arraymath was imported already, or Numba's private names have changed)."""
    if "numba.np.arraymath" in sys.modules:
        return False
    from numba.np import linalg

    probe = getattr(linalg, "ensure_blas", None)
    if probe is None:
        return False

    def not_yet() -> None:
        raise ImportError("BLAS probe deferred")

    linalg.ensure_blas = not_yet
    try:
        from numba.np import arraymath
    finally:
        linalg.ensure_blas = probe
    if getattr(arraymath, "ensure_blas", None) is not_yet:
        arraymath.ensure_blas = probe
    if getattr(arraymath, "_HAVE_BLAS", None) is not False:
        return False
    arraymath._HAVE_BLAS = DeferredProbe(probe)
    return True
