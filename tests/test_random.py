"""The random stream: kernels against the pure-Python generator, word for word."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rlfoundations._kernels import random as kernels
from rlfoundations.reference.random import Xoshiro256

seeds = st.integers(0, 2**64 - 1)


def kernel_state(seed: int) -> np.ndarray:
    state = np.zeros(4, dtype=np.uint64)
    kernels.seed_state(np.uint64(seed), state)
    return state


def test_splitmix64_first_output_matches_published_value():
    _, got = kernels.splitmix64(np.uint64(0))
    assert int(got) == 0xE220A8397B1DCDAF


def test_xoshiro256_first_output_from_state_1_2_3_4():
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    got = np.empty(1, dtype=np.uint64)
    kernels.fill_uint64(state, got)
    # rotl(2 * 5, 7) * 9
    assert int(got[0]) == 11520


@given(seeds)
def test_seeded_state_matches_reference(seed):
    assert [int(word) for word in kernel_state(seed)] == Xoshiro256(seed).state


@given(seeds)
def test_uint64_stream_matches_reference(seed):
    got = np.empty(50, dtype=np.uint64)
    kernels.fill_uint64(kernel_state(seed), got)
    expected = Xoshiro256(seed)
    assert [int(x) for x in got] == [expected.next_uint64() for _ in range(50)]


@given(seeds)
def test_uniform_stream_matches_reference(seed):
    got = np.empty(50)
    kernels.fill_uniform(kernel_state(seed), got)
    expected = Xoshiro256(seed)
    assert got.tolist() == [expected.uniform() for _ in range(50)]


@given(seeds, st.integers(1, 2**32 - 1))
def test_below_stream_matches_reference(seed, n):
    got = np.empty(50, dtype=np.int64)
    kernels.fill_below(kernel_state(seed), n, got)
    expected = Xoshiro256(seed)
    assert got.tolist() == [expected.below(n) for _ in range(50)]


def test_uniform_lies_in_unit_interval_with_mean_one_half():
    got = np.empty(100_000)
    kernels.fill_uniform(kernel_state(1), got)
    assert got.min() >= 0.0 and got.max() < 1.0
    assert abs(got.mean() - 0.5) < 0.005


def test_below_hits_every_value_about_equally():
    got = np.empty(60_000, dtype=np.int64)
    kernels.fill_below(kernel_state(2), 6, got)
    counts = np.bincount(got, minlength=6)
    assert counts.shape == (6,)
    assert np.all(np.abs(counts - 10_000) < 500)


def test_state_carries_over_between_calls():
    state = kernel_state(3)
    first, second = np.empty(10), np.empty(10)
    kernels.fill_uniform(state, first)
    kernels.fill_uniform(state, second)
    expected = np.empty(20)
    kernels.fill_uniform(kernel_state(3), expected)
    assert np.array_equal(np.concatenate([first, second]), expected)
