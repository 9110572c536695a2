"""The vector lanes: both gather paths, and the plain-NumPy operations under NUMBA_DISABLE_JIT."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from llvmlite import ir

from rlfoundations._kernels import lanes

# Solves a few models with every planning solver; run here (jitted, cached) and in
# subprocesses (without JIT, or with the other gather path), whose arrays must be the same.
SOLVE_SCRIPT = """
import sys
import warnings

import numpy as np

import rlfoundations as rlf


def random_mdp(seed, n_states, terminal_rate):
    rng = np.random.default_rng(seed)
    shape = (n_states, 3, 3)
    weights = rng.integers(0, 4, size=shape).astype(float)
    weights[:, :, 0] += 1.0
    return rlf.TabularMDP(
        next_state=rng.integers(0, n_states, size=shape),
        prob=weights / weights.sum(axis=2, keepdims=True),
        reward=rng.integers(-4, 5, size=shape) / 2.0,
        terminated=rng.random(shape) < terminal_rate,
        initial=np.full(n_states, 1.0 / n_states),
    )


def skewed_mdp(seed, n_states):
    # A few pairs with 20 outcomes, the rest 2: the ragged layout (rlfoundations._kernels.ragged).
    rng = np.random.default_rng(seed)
    shape = (n_states, 3, 20)
    counts = np.where(rng.random(shape[:2]) < 0.05, 20, 2)
    weights = np.where(np.arange(20) < counts[:, :, None], rng.integers(1, 4, size=shape), 0)
    return rlf.TabularMDP(
        next_state=rng.integers(0, n_states, size=shape),
        prob=weights / weights.sum(axis=2, keepdims=True),
        reward=rng.integers(-4, 5, size=shape) / 2.0,
        terminated=rng.random(shape) < 0.1,
        initial=np.full(n_states, 1.0 / n_states),
    )


def results():
    warnings.simplefilter("ignore")
    models = {
        "episodic": random_mdp(0, 37, 0.2),
        "continuing": random_mdp(1, 13, 0.0),
        "skewed": skewed_mdp(2, 45),
        "lake": rlf.from_env("FrozenLake-v1"),
    }
    out = {}
    for name, mdp in models.items():
        policy = np.arange(mdp.n_states) % mdp.n_actions
        runs = {
            "vi": rlf.value_iteration(mdp, 0.9),
            "vi-gs": rlf.value_iteration(mdp, 0.9, gauss_seidel=True),
            "vi-record": rlf.value_iteration(mdp, 0.5, record=True, max_iter=20),
            "pi": rlf.policy_iteration(mdp, 0.9),
            "pi-iterative": rlf.policy_iteration(mdp, 0.9, evaluation="iterative"),
            "mpi": rlf.modified_policy_iteration(mdp, 0.9, n_evaluations=3),
            "pe-exact": rlf.policy_evaluation(mdp, policy, 0.9, method="exact"),
            "pe-iterative": rlf.policy_evaluation(mdp, policy, 0.9, method="iterative"),
        }
        for run, result in runs.items():
            for field in ("values", "q_values", "policy", "residuals"):
                out[f"{name}/{run}/{field}"] = getattr(result, field)
            out[f"{name}/{run}/iterations"] = np.array(result.iterations)
    return out


if __name__ == "__main__":
    np.savez(sys.argv[1], **results())
"""


def solve_in_subprocess(tmp_path: Path, env: dict, prelude: str = "") -> dict:
    script = tmp_path / "solve.py"
    script.write_text(prelude + SOLVE_SCRIPT)
    out = tmp_path / "results.npz"
    subprocess.run(
        [sys.executable, str(script), str(out)],
        env={**os.environ, **env},
        check=True,
        timeout=600,
    )
    with np.load(out) as data:
        return dict(data)


def solve_here() -> dict:
    namespace: dict = {"__name__": "solve"}
    exec(SOLVE_SCRIPT, namespace)
    return namespace["results"]()


def assert_bits_equal(got: np.ndarray, expected: np.ndarray, name: str = "") -> None:
    """Same dtype, shape and bytes (-0.0 is not 0.0; NaN payloads count)."""
    got, expected = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(got, expected, err_msg=name, strict=True)
    assert got.tobytes() == expected.tobytes(), name


def assert_same_arrays(got: dict, expected: dict) -> None:
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert_bits_equal(got[key], expected[key], key)


def test_the_gather_path_is_chosen_by_what_llvmlite_offers():
    expected = "source_etype" in inspect.signature(ir.IRBuilder.gep).parameters
    assert lanes.TYPED_VECTOR_GEP is expected


# Slow (each subprocess compiles every solver afresh): make test-slow and CI run it; run it
# with -m "" when changing the lanes or the gather paths.
@pytest.mark.slow
@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="compares compiled code paths")
def test_the_byte_offset_gather_gives_the_same_results_to_the_bit(tmp_path):
    # A fresh cache: the kernels compile with the fallback, and check that they did.
    prelude = (
        "import rlfoundations._kernels.lanes as lanes\n"
        "lanes.TYPED_VECTOR_GEP = False\n"
        "import atexit\n"
        "from rlfoundations._kernels import planning as kernels\n"
        "def check():\n"
        "    ir = ''.join(kernels.serial_sweep.inspect_llvm().values())\n"
        "    assert 'inttoptr' in ir, 'the fallback gather was not compiled'\n"
        "atexit.register(check)\n"
    )
    got = solve_in_subprocess(tmp_path, {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}, prelude)
    assert_same_arrays(got, solve_here())


def test_planning_kernels_without_jit_give_the_jitted_results_to_the_bit(tmp_path):
    prelude = (
        "from rlfoundations._kernels import lanes, planning\n"
        "assert lanes.gather is lanes.numpy_gather, 'the kernels would need Numba'\n"
        "assert not hasattr(planning.value_iteration_blocks, 'signatures'), 'compiled'\n"
    )
    got = solve_in_subprocess(tmp_path, {"NUMBA_DISABLE_JIT": "1"}, prelude)
    assert_same_arrays(got, solve_here())


def test_numpy_lane_operations_are_chosen_when_jit_is_disabled(tmp_path):
    code = (
        "from rlfoundations._kernels import lanes\n"
        "assert lanes.gather is lanes.numpy_gather and lanes.smallest is lanes.numpy_smallest\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "NUMBA_DISABLE_JIT": "1"},
        check=True,
        timeout=120,
    )


@numba.njit
def _compiled_lane_operations(values, index, x, y, out):
    a = lanes.load(x, 0)
    b = lanes.load(y, 0)
    lanes.store(out, 0, lanes.add(a, b))
    lanes.store(out, 8, lanes.sub(a, b))
    lanes.store(out, 16, lanes.mul(a, b))
    lanes.store(out, 24, lanes.where_greater(a, b, a, lanes.splat(-1.5)))
    lanes.store(out, 32, lanes.gather(values, index, 0))
    return lanes.smallest(a), lanes.largest(a)


def _numpy_lane_operations(values, index, x, y, out):
    a = lanes.numpy_load(x, 0)
    b = lanes.numpy_load(y, 0)
    lanes.numpy_store(out, 0, lanes.numpy_add(a, b))
    lanes.numpy_store(out, 8, lanes.numpy_sub(a, b))
    lanes.numpy_store(out, 16, lanes.numpy_mul(a, b))
    lanes.numpy_store(out, 24, lanes.numpy_where_greater(a, b, a, lanes.numpy_splat(-1.5)))
    lanes.numpy_store(out, 32, lanes.numpy_gather(values, index, 0))
    return lanes.numpy_smallest(a), lanes.numpy_largest(a)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="compares the intrinsics with NumPy")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_lane_operations_equal_the_intrinsics_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=8) * 10.0 ** rng.integers(-300, 300, size=8)
    y = rng.normal(size=8)
    x[seed] = [np.nan, -0.0, np.inf][seed]
    y[(seed + 3) % 8] = [np.nan, 0.0, -np.inf][seed]
    values = rng.normal(size=40)
    index = rng.integers(0, 40, size=8).astype(np.int32)
    got_out, expected_out = np.empty(40), np.empty(40)
    got = _compiled_lane_operations(values, index, x, y, got_out)
    expected = _numpy_lane_operations(values, index, x, y, expected_out)
    assert_bits_equal(got_out, expected_out)
    assert_bits_equal(np.array(got), np.array(expected))
