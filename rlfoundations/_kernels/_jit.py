"""The one place that fixes Numba's options for every kernel.

Every function in ``rlfoundations/_kernels`` carries one of the decorators below (the layout
test checks it): a compiled kernel (``kernel``, ``loop_kernel``, ``parallel_kernel``,
``inline_kernel``), a Numba intrinsic of the vector lanes (``lane_intrinsic``), or
``plain_python`` for a helper that is deliberately not compiled.

Compiled kernels are cached on disk where :mod:`._cache` says: a directory keyed on a digest
of every ``_kernels`` source and the package version, so that changing any kernel module
invalidates every cached kernel. When no cache directory is writable, kernels compile in
memory on each run (with one warning). Numba's probe for SciPy's BLAS, which would import
SciPy at the first kernel call, is deferred to where Numba reads its answer (:mod:`._blas`).
"""

from __future__ import annotations

import numba
from numba.extending import intrinsic

from rlfoundations._kernels import _blas, _cache

__all__ = [
    "inline_kernel",
    "kernel",
    "lane_intrinsic",
    "loop_kernel",
    "parallel_kernel",
    "plain_python",
    "prange",
]

prange = numba.prange

_CACHE = _cache.install()
_blas.defer()

#: Every kernel: compiled once and cached on disk, nopython, no fastmath (kernels and their
#: reference twins must round alike), errors on NaN division left to the validated inputs.
kernel = numba.njit(cache=_CACHE, fastmath=False, nogil=True)

#: Kernels whose hot loop only reads and writes arrays their caller owns (the learners'):
#: compiled without Numba's reference counting. With it, every array handed to an inlined
#: helper is increfed and decrefed, atomically, and Numba's pruner leaves such pairs in
#: branching loops (numba/numba#2350): a learner step paid several atomic operations, which
#: made it 3x slower than the same code given arrays without a refcount (a prange body).
#: Such a kernel cannot allocate arrays: Numba refuses to compile one that tries. ``_nrt`` is
#: a private option (Numba's own helpers use it); were it dropped, njit would raise at import.
loop_kernel = numba.njit(cache=_CACHE, fastmath=False, nogil=True, _nrt=False)

#: Kernels whose outer loop is over independent work (states, runs) and uses ``prange``.
parallel_kernel = numba.njit(cache=_CACHE, fastmath=False, nogil=True, parallel=True)

#: Small helpers of hot loops, inlined into their callers by Numba itself (not left to LLVM).
inline_kernel = numba.njit(cache=_CACHE, fastmath=False, nogil=True, inline="always")

#: The vector operations of :mod:`.lanes`: LLVM code generated at the call site.
lane_intrinsic = intrinsic


def plain_python(function):
    """Mark ``function`` as a helper that is plain Python on purpose (not a kernel)."""
    function.__plain_python__ = True
    return function
