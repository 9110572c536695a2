"""The random stream every learner kernel draws from: xoshiro256** seeded by splitmix64.

The state is an explicit ``uint64`` array of 4 words that a run owns, so a run can stop,
hand its state back to Python and resume bit for bit. Inside a kernel the state is a tuple
of four uint64 (``load_state``), which the compiler keeps in registers: each draw takes it
and returns the draw with the advanced tuple, and the kernel writes the words back once, when
it stops (``store_state``), not at every draw. The same integer arithmetic, masked to 64
bits, lives in :mod:`rlfoundations.reference.random`; the two produce identical streams
(tests/test_random.py).

Draws:

- ``next_uint64``: one xoshiro256** output (Blackman and Vigna, 2018);
- ``uniform``: the top 53 bits as a float64 in [0, 1);
- ``below(n)``: an integer in [0, n) as ``((x >> 32) * n) >> 32`` (n < 2**32; the bias is
  below n / 2**32, invisible at tabular sizes), no floating point involved.
"""

from __future__ import annotations

import numpy as np

from rlfoundations._kernels._jit import inline_kernel, kernel

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
#: 2**-53: turns the top 53 bits of a draw into a float in [0, 1).
FLOAT_UNIT = 1.0 / 9007199254740992.0


@kernel
def rotate_left(x, k):
    """64-bit rotation of ``x`` by ``k`` bits (``k`` a uint64 in 1..63)."""
    return (x << k) | (x >> (np.uint64(64) - k))


@inline_kernel
def load_state(words):
    """The state array (uint64, shape (4,)) as a tuple of four uint64."""
    return (words[0], words[1], words[2], words[3])


@inline_kernel
def store_state(state, words):
    """Write a state tuple back into its array."""
    words[0] = state[0]
    words[1] = state[1]
    words[2] = state[2]
    words[3] = state[3]


@kernel
def next_uint64(state):
    """One xoshiro256** output and the state after it."""
    s0, s1, s2, s3 = state
    result = rotate_left(s1 * np.uint64(5), np.uint64(7)) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotate_left(s3, np.uint64(45))
    return result, (s0, s1, s2, s3)


@kernel
def uniform(state):
    """A float64 in [0, 1) from the top 53 bits of one draw, and the state after it."""
    x, state = next_uint64(state)
    return np.float64(x >> np.uint64(11)) * FLOAT_UNIT, state


@kernel
def below(state, n):
    """An int64 in [0, n), for 0 < n < 2**32, from the top 32 bits of one draw, and the
    state after it."""
    x, state = next_uint64(state)
    return np.int64(((x >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)), state


@kernel
def splitmix64(x):
    """(next counter, output) of splitmix64 from counter ``x`` (uint64)."""
    x = x + GOLDEN_GAMMA
    z = x
    z = (z ^ (z >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    return x, z ^ (z >> np.uint64(31))


@kernel
def seed_state(seed, state):
    """Fill ``state`` (uint64, shape (4,)) from a seed in [0, 2**64) with four splitmix64 outputs.

    splitmix64 never gives four zero words, the one state xoshiro256** must avoid.
    """
    x = np.uint64(seed)
    for i in range(4):
        x, state[i] = splitmix64(x)


@kernel
def fill_uniform(words, out):
    """Fill ``out`` (float64) with uniforms: for tests and benchmarks of the stream."""
    state = load_state(words)
    for i in range(out.shape[0]):
        out[i], state = uniform(state)
    store_state(state, words)


@kernel
def fill_below(words, n, out):
    """Fill ``out`` (int64) with draws of ``below(n)``."""
    state = load_state(words)
    for i in range(out.shape[0]):
        out[i], state = below(state, n)
    store_state(state, words)


@kernel
def fill_uint64(words, out):
    """Fill ``out`` (uint64) with raw xoshiro256** outputs."""
    state = load_state(words)
    for i in range(out.shape[0]):
        out[i], state = next_uint64(state)
    store_state(state, words)
