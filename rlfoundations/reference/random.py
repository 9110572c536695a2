"""Pure-Python twin of :mod:`rlfoundations._kernels.random`: xoshiro256** seeded by splitmix64.

Python integers are unbounded, so every product and shift is masked to 64 bits; otherwise the
arithmetic is the kernel's, word for word, and the streams are identical.
"""

from __future__ import annotations

__all__ = ["Xoshiro256"]

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
MIX_1 = 0xBF58476D1CE4E5B9
MIX_2 = 0x94D049BB133111EB
FLOAT_UNIT = 1.0 / 9007199254740992.0


def rotate_left(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK64


def splitmix64(x: int) -> tuple[int, int]:
    """(next counter, output) of splitmix64 from counter ``x``."""
    x = (x + GOLDEN_GAMMA) & MASK64
    z = x
    z = ((z ^ (z >> 30)) * MIX_1) & MASK64
    z = ((z ^ (z >> 27)) * MIX_2) & MASK64
    return x, z ^ (z >> 31)


class Xoshiro256:
    """xoshiro256** with its four state words as Python ints.

    Parameters
    ----------
    seed : int
        In [0, 2**64); expanded into the state by four splitmix64 outputs.

    Examples
    --------
    >>> rng = Xoshiro256(42)
    >>> 0.0 <= rng.uniform() < 1.0
    True
    >>> 0 <= rng.below(6) < 6
    True
    """

    def __init__(self, seed: int) -> None:
        x = seed & MASK64
        words = []
        for _ in range(4):
            x, word = splitmix64(x)
            words.append(word)
        self.state = words

    def next_uint64(self) -> int:
        """The next 64-bit word of the stream (xoshiro256**), as a Python int."""
        s0, s1, s2, s3 = self.state
        result = (rotate_left((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate_left(s3, 45)
        self.state = [s0, s1, s2, s3]
        return result

    def uniform(self) -> float:
        """A float in [0, 1) from the top 53 bits of one draw."""
        return float(self.next_uint64() >> 11) * FLOAT_UNIT

    def below(self, n: int) -> int:
        """An int in [0, n), for 0 < n < 2**32, from the top 32 bits of one draw."""
        return ((self.next_uint64() >> 32) * n) >> 32
