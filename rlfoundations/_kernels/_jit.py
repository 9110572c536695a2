"""The one place that fixes Numba's options for every kernel."""

from __future__ import annotations

import numba

__all__ = ["inline_kernel", "kernel", "parallel_kernel", "prange"]

prange = numba.prange

#: Every kernel: compiled once and cached on disk, nopython, no fastmath (kernels and their
#: reference twins must round alike), errors on NaN division left to the validated inputs.
kernel = numba.njit(cache=True, fastmath=False, nogil=True)

#: Kernels whose outer loop is over independent work (states, runs) and uses ``prange``.
parallel_kernel = numba.njit(cache=True, fastmath=False, nogil=True, parallel=True)

#: Small helpers of hot loops, inlined into their callers by Numba itself (not left to LLVM).
inline_kernel = numba.njit(cache=True, fastmath=False, nogil=True, inline="always")
