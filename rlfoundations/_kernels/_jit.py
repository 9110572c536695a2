"""The one place that fixes Numba's options for every kernel."""

from __future__ import annotations

import numba

__all__ = ["inline_kernel", "kernel", "loop_kernel", "parallel_kernel", "prange"]

prange = numba.prange

#: Every kernel: compiled once and cached on disk, nopython, no fastmath (kernels and their
#: reference twins must round alike), errors on NaN division left to the validated inputs.
kernel = numba.njit(cache=True, fastmath=False, nogil=True)

#: Kernels whose hot loop only reads and writes arrays their caller owns (the learners'):
#: compiled without Numba's reference counting. With it, every array handed to an inlined
#: helper is increfed and decrefed, atomically, and Numba's pruner leaves such pairs in
#: branching loops (numba/numba#2350): a learner step paid several atomic operations, which
#: made it 3x slower than the same code given arrays without a refcount (a prange body).
#: Such a kernel cannot allocate arrays: Numba refuses to compile one that tries. ``_nrt`` is
#: a private option (Numba's own helpers use it); were it dropped, njit would raise at import.
loop_kernel = numba.njit(cache=True, fastmath=False, nogil=True, _nrt=False)

#: Kernels whose outer loop is over independent work (states, runs) and uses ``prange``.
parallel_kernel = numba.njit(cache=True, fastmath=False, nogil=True, parallel=True)

#: Small helpers of hot loops, inlined into their callers by Numba itself (not left to LLVM).
inline_kernel = numba.njit(cache=True, fastmath=False, nogil=True, inline="always")
