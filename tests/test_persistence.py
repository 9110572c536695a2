"""save and load: bit-for-bit round trips, metadata, atomic writes, clear errors on bad files."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import persistence

Q_TABLE = np.random.default_rng(0).normal(size=(20, 4))
#: FrozenLake's costs of docs/criteria.md: moving right or down costs 1 per step.
RIGHT_OR_DOWN_COSTS = np.zeros((16, 4))
RIGHT_OR_DOWN_COSTS[:, [1, 2]] = 1.0


@pytest.fixture(scope="module")
def frozen_lake() -> rlf.TabularMDP:
    return rlf.from_env("FrozenLake-v1")


@pytest.fixture(scope="module")
def policy(frozen_lake) -> rlf.GreedyPolicy:
    return rlf.solve(frozen_lake, gamma=0.9)


#: One of every kind save accepts, built from a model (lazily: the learners compile).
SAVED = {
    "planning-recorded": lambda mdp: rlf.value_iteration(mdp, 0.9, record=True),
    "planning-undiscounted": lambda mdp: rlf.policy_iteration(mdp, 1.0),
    "learning-with-curve": lambda mdp: rlf.q_learning(
        mdp, gamma=0.9, n_steps=2_000, seed=3, eval_every=500
    ),
    "learning-without-curve": lambda mdp: rlf.sarsa(mdp, gamma=0.9, n_steps=500, seed=4),
    "greedy-policy": lambda mdp: rlf.solve(mdp, gamma=0.9),
    "sweep": lambda mdp: rlf.sweep(
        mdp, gamma=0.9, n_steps=500, seeds=range(2), alpha=[0.1, 0.5], eval_every=250
    ),
    "evaluation": lambda mdp: rlf.evaluate(
        "FrozenLake-v1", rlf.solve(mdp, gamma=0.9), episodes=5, seed=0
    ),
    "model": lambda mdp: mdp,
    "soft": lambda mdp: rlf.soft_value_iteration(mdp, 0.9, 0.1),
    "linear-programming-constrained": lambda mdp: rlf.linear_programming(
        mdp, 0.9, costs=RIGHT_OR_DOWN_COSTS, budget=1.0
    ),
    "finite-horizon": lambda mdp: rlf.backward_induction(mdp, 5),
    "average-reward": lambda mdp: rlf.relative_value_iteration(rlf.problems.puterman_two_state()),
    "stochastic-policy": lambda mdp: rlf.StochasticPolicy(np.full((16, 4), 0.25), seed=5),
    "q-table": lambda mdp: Q_TABLE,
    "q-table-float32": lambda mdp: Q_TABLE.astype(np.float32),
    "policy-int64": lambda mdp: np.array([0, 3, 1, 2], dtype=np.int64),
    "policy-uint8": lambda mdp: np.array([0, 3, 1, 2], dtype=np.uint8),
    "mask": lambda mdp: np.array([True, False, True]),
    "nan-inf-negative-zero": lambda mdp: np.array([np.nan, -0.0, np.inf, -np.inf]),
    "big-endian": lambda mdp: Q_TABLE.astype(">f8"),
    "fortran-order": lambda mdp: np.asfortranarray(Q_TABLE),
    "zero-d": lambda mdp: np.array(1.5),
    "empty": lambda mdp: np.zeros((0, 4)),
}


def assert_identical(got, expected) -> None:
    """Same kind; arrays of the same dtype, shape and bytes; scalars equal and of one type."""
    assert type(got) is type(expected)
    if isinstance(expected, np.ndarray):
        assert (got.dtype, got.shape) == (expected.dtype, expected.shape)
        assert got.tobytes() == expected.tobytes()
    elif dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            if not field.init:  # derived from the others (a StochasticPolicy's generator)
                continue
            assert_identical(getattr(got, field.name), getattr(expected, field.name))
    elif isinstance(expected, float) and expected != expected:
        # NaN (an undiscounted result's suboptimality) is never == itself.
        assert isinstance(got, float) and got != got
    else:
        assert got == expected


# -- round trips -----------------------------------------------------------------------------------
#: Saved kinds whose solver needs an extra (the lp extra's SciPy), skipped without it.
NEEDS_SCIPY = {kind for kind in SAVED if kind.startswith("linear-programming")}


@pytest.mark.parametrize("kind", [pytest.param(kind, id=kind) for kind in SAVED])
def test_load_gives_back_what_save_wrote_bit_for_bit(kind, frozen_lake, tmp_path):
    if kind in NEEDS_SCIPY:
        pytest.importorskip("scipy", reason="linear_programming needs rlfoundations[lp]")
    expected = SAVED[kind](frozen_lake)
    got = rlf.load(rlf.save(tmp_path / "saved", expected))
    assert_identical(got, expected)


def test_a_loaded_policy_plays_the_same_episodes(policy, tmp_path):
    loaded = rlf.load(rlf.save(tmp_path / "policy", policy))
    got = rlf.evaluate("FrozenLake-v1", loaded, episodes=30, seed=0)
    expected = rlf.evaluate("FrozenLake-v1", policy, episodes=30, seed=0)
    np.testing.assert_array_equal(got.returns, expected.returns)
    assert [loaded(state) for state in range(16)] == [policy(state) for state in range(16)]


def test_a_loaded_stochastic_policy_draws_the_same_actions(tmp_path):
    soft = rlf.soft_value_iteration(rlf.from_env("FrozenLake-v1"), 0.9, 0.1)
    policy = rlf.StochasticPolicy(soft.policy, seed=11)
    loaded = rlf.load(
        rlf.save(tmp_path / "soft-policy", rlf.StochasticPolicy(soft.policy, seed=11))
    )
    assert loaded.seed == 11
    np.testing.assert_array_equal(loaded.probabilities, soft.policy)
    assert [loaded(s % 16) for s in range(200)] == [policy(s % 16) for s in range(200)]


def test_a_constrained_linear_programs_randomised_policy_round_trips(frozen_lake, tmp_path):
    pytest.importorskip("scipy", reason="linear_programming needs rlfoundations[lp]")
    result = rlf.linear_programming(frozen_lake, 0.9, costs=RIGHT_OR_DOWN_COSTS, budget=1.0)
    loaded = rlf.load(rlf.save(tmp_path / "lp", result, env_id="FrozenLake-v1"))
    # The budget binds, so some state randomises: the (S, A) policy comes back, not an argmax.
    assert ((result.policy > 1e-9).sum(axis=1) > 1).any()
    np.testing.assert_array_equal(loaded.policy, result.policy)
    np.testing.assert_array_equal(loaded.occupancy, result.occupancy)


def test_a_finite_horizon_result_keeps_its_policy_per_step(frozen_lake, tmp_path):
    result = rlf.backward_induction(frozen_lake, 5)
    loaded = rlf.load(rlf.save(tmp_path / "horizon", result))
    assert loaded.policy.shape == (5, 16)
    np.testing.assert_array_equal(loaded.policy, result.policy)
    assert loaded.horizon == 5


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(lambda mdp: rlf.soft_value_iteration(mdp, 0.9, 0.1),
                     {"gamma": 0.9, "algorithm": "soft_value_iteration", "seed": None}, id="soft"),
        pytest.param(lambda mdp: rlf.backward_induction(mdp, 3, gamma=0.95),
                     {"gamma": 0.95, "algorithm": "backward_induction", "seed": None},
                     id="finite-horizon"),
        pytest.param(lambda mdp: rlf.StochasticPolicy(np.full((16, 4), 0.25), seed=3),
                     {"gamma": None, "algorithm": None, "seed": 3}, id="stochastic-policy"),
    ],
)  # fmt: skip
def test_metadata_records_what_a_result_or_policy_knows(build, expected, frozen_lake, tmp_path):
    metadata = rlf.load_metadata(rlf.save(tmp_path / "saved", build(frozen_lake)))
    got = {key: metadata[key] for key in expected}
    assert got == expected


def test_a_loaded_model_solves_to_the_same_values(policy, tmp_path):
    model = rlf.load(rlf.save(tmp_path / "model", policy.mdp))
    got = rlf.value_iteration(model, 0.9).values
    np.testing.assert_array_equal(got, policy.result.values)


# -- metadata --------------------------------------------------------------------------------------
def test_metadata_records_what_a_learning_result_knows(frozen_lake, tmp_path):
    result = rlf.q_learning(frozen_lake, gamma=0.95, n_steps=300, seed=11)
    path = rlf.save(tmp_path / "learned", result, env_id="FrozenLake-v1")
    got = rlf.load_metadata(path)
    expected = {
        "format": "rlfoundations",
        "format_version": persistence.FORMAT_VERSION,
        "library_version": rlf.__version__,
        "kind": "LearningResult",
        "env_id": "FrozenLake-v1",
        "gamma": 0.95,
        "algorithm": "q_learning",
        "seed": 11,
        "metadata": {},
    }
    assert {key: got[key] for key in expected} == expected
    assert datetime.fromisoformat(got["created"]).utcoffset().total_seconds() == 0


def test_a_greedy_policy_takes_its_env_id_gamma_and_method_from_itself(policy, tmp_path):
    got = rlf.load_metadata(rlf.save(tmp_path / "policy", policy))
    expected = {"env_id": "FrozenLake-v1", "gamma": 0.9, "algorithm": "value_iteration"}
    assert {key: got[key] for key in expected} == expected
    assert got["seed"] is None


def test_a_bare_array_takes_its_description_from_the_caller(tmp_path):
    path = rlf.save(
        tmp_path / "q", Q_TABLE, env_id="Taxi-v3", gamma=0.99, algorithm="sarsa", seed=7
    )
    got = rlf.load_metadata(path)
    expected = {"kind": "ndarray", "env_id": "Taxi-v3", "gamma": 0.99, "algorithm": "sarsa"}
    assert {key: got[key] for key in expected} | {"seed": got["seed"]} == expected | {"seed": 7}


@pytest.mark.parametrize(
    "array",
    [
        pytest.param(np.array(1.5), id="zero-d"),
        pytest.param(np.asfortranarray(Q_TABLE), id="fortran-order"),
        pytest.param(Q_TABLE.astype(">f4"), id="big-endian"),
    ],
)
def test_the_metadata_records_the_arrays_own_dtype_and_shape(array, tmp_path):
    got = rlf.load_metadata(rlf.save(tmp_path / "q", array))["arrays"]["array"]
    assert (got["dtype"], got["shape"]) == (array.dtype.str, list(array.shape))


def test_extra_metadata_is_stored_as_json(tmp_path):
    extra = {"run": "baseline", "alphas": [0.1, 0.5], "grid": {"epsilon": 0.1}, "note": None}
    got = rlf.load_metadata(rlf.save(tmp_path / "q", Q_TABLE, **extra))["metadata"]
    assert got == extra


def test_the_metadata_lists_every_array_with_its_checksum(policy, tmp_path):
    got = rlf.load_metadata(rlf.save(tmp_path / "policy", policy))["arrays"]
    assert {"actions", "result.values", "result.q_values", "mdp.prob", "mdp.next_state"} <= set(got)
    assert got["mdp.prob"]["shape"] == list(policy.mdp.prob.shape)
    assert len(got["actions"]["sha256"]) == 64


def test_the_file_is_a_plain_npz_that_numpy_reads_without_pickle(policy, tmp_path):
    path = rlf.save(tmp_path / "policy", policy)
    with np.load(path, allow_pickle=False) as archive:
        got = archive["result.values"]
        metadata = json.loads(str(archive[persistence.METADATA_KEY]))
    np.testing.assert_array_equal(got, policy.result.values)
    assert metadata["env_id"] == "FrozenLake-v1"


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        pytest.param({"run": object()}, "'run'", id="object"),
        pytest.param({"seeds": {1, 2}}, "'seeds'", id="set"),
        pytest.param({"count": np.int64(3)}, "'count'", id="numpy-int"),
        pytest.param({"raw": b"bytes"}, "'raw'", id="bytes"),
        pytest.param({"gamma": "0.9"}, "gamma", id="str-gamma"),
        pytest.param({"seed": 1.5}, "seed", id="float-seed"),
        pytest.param({"algorithm": 3}, "algorithm", id="int-algorithm"),
        pytest.param({"env_id": 3}, "env_id", id="int-env-id"),
    ],
)
def test_save_rejects_metadata_of_the_wrong_type(metadata, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        rlf.save(tmp_path / "q", Q_TABLE, **metadata)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        pytest.param({"gamma": 0.5}, "gamma=0.5 disagrees .* 0.9", id="gamma"),
        pytest.param({"algorithm": "sarsa"}, "algorithm='sarsa' disagrees", id="algorithm"),
        pytest.param({"env_id": "Taxi-v3"}, "env_id='Taxi-v3' disagrees .*FrozenLake", id="env"),
    ],
)
def test_save_rejects_a_description_that_contradicts_the_object(policy, metadata, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        rlf.save(tmp_path / "policy", policy, **metadata)


def test_save_rejects_a_seed_that_contradicts_a_learning_result(frozen_lake, tmp_path):
    result = rlf.sarsa(frozen_lake, gamma=0.9, n_steps=100, seed=4)
    with pytest.raises(ValueError, match="seed=5 disagrees"):
        rlf.save(tmp_path / "learned", result, seed=5)


def test_an_env_alias_agrees_with_the_id_it_stands_for(tmp_path):
    model = rlf.TabularMDP.from_dense(np.ones((1, 1, 1)), np.zeros((1, 1)), name="Taxi-v4")
    path = rlf.save(tmp_path / "model", model, env_id="Taxi-v3")
    assert rlf.load(path, env_id="Taxi-v3").name == "Taxi-v4"


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        pytest.param([[0.0, 1.0]], "obj must be .* got list", id="list"),
        pytest.param(np.ma.masked_array([1.0, 2.0]), "got MaskedArray", id="masked-array"),
        pytest.param(np.array(["up", "down"]), "dtype <U4", id="str-array"),
        pytest.param(np.array([None], dtype=object), "dtype object", id="object-array"),
    ],
)
def test_save_rejects_what_it_cannot_save(obj, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        rlf.save(tmp_path / "saved", obj)


def test_save_rejects_a_path_that_is_not_a_path(tmp_path):
    with pytest.raises(TypeError, match=re.escape("path must be a str or os.PathLike, got int")):
        rlf.save(3, Q_TABLE)


# -- paths and atomic writes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("q", "q.npz", id="no-suffix"),
        pytest.param("q.npz", "q.npz", id="npz"),
        pytest.param("q.v2", "q.v2.npz", id="other-suffix-kept"),
        pytest.param("q.npz.bak", "q.npz.bak.npz", id="npz-inside-the-name"),
    ],
)
def test_save_appends_npz_to_a_path_without_it(name, expected, tmp_path):
    got = rlf.save(tmp_path / name, Q_TABLE)
    assert got == tmp_path / expected
    assert [path.name for path in tmp_path.iterdir()] == [expected]


@pytest.mark.parametrize("as_text", [pytest.param(True, id="str"), pytest.param(False, id="path")])
def test_load_appends_npz_as_save_does(as_text, tmp_path):
    rlf.save(tmp_path / "q", Q_TABLE)
    path = tmp_path / "q"
    assert_identical(rlf.load(str(path) if as_text else path), Q_TABLE)


def test_save_replaces_an_existing_file(tmp_path):
    rlf.save(tmp_path / "q", Q_TABLE, env_id="first")
    rlf.save(tmp_path / "q", Q_TABLE + 1, env_id="second")
    assert_identical(rlf.load(tmp_path / "q", env_id="second"), Q_TABLE + 1)


def test_a_failed_save_removes_its_temporary_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = rlf.save(tmp_path / "q", Q_TABLE)

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        rlf.save(target, Q_TABLE + 1)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == [target]
    assert_identical(rlf.load(target), Q_TABLE)


def test_save_into_a_missing_directory_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        rlf.save(tmp_path / "missing" / "q", Q_TABLE)


# The child replaces numpy's array writer: it writes the big Q table into the archive, says so
# on stdout and waits to be killed, so the kill lands in the middle of np.savez, every time.
KILLED_SAVE = """
import sys
import time

import numpy as np
import numpy.lib.format

import rlfoundations as rlf

write_array = numpy.lib.format.write_array


def write_then_wait(stream, array, *args, **kwargs):
    write_array(stream, array, *args, **kwargs)
    if array.shape == (250_000, 4):
        print("writing", flush=True)
        time.sleep(600)


numpy.lib.format.write_array = write_then_wait
rlf.save(sys.argv[1], np.ones((250_000, 4)), env_id="second")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and select on pipes are POSIX")
def test_a_killed_save_leaves_the_old_file_intact(tmp_path):
    target = rlf.save(tmp_path / "q", Q_TABLE, env_id="first")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([child.stdout], [], [], 300)
        assert ready, "the saving process did not reach its write within 300 s"
        line = child.stdout.readline()
        assert line == "writing\n", f"the save was not interrupted: {child.communicate()[1]}"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert_identical(rlf.load(target, env_id="first"), Q_TABLE)
    assert [path.name for path in tmp_path.glob("*.npz")] == ["q.npz"]
    (partial,) = [path for path in tmp_path.iterdir() if path != target]
    assert partial.name.startswith(".q.npz.") and partial.suffix == ".tmp"
    # The next save there removes what the killed one left, and leaves only its own file.
    stale = partial.read_bytes()
    rlf.save(target, Q_TABLE + 2, env_id="third")
    assert [path.name for path in tmp_path.iterdir()] == ["q.npz"]
    assert_identical(rlf.load(target, env_id="third"), Q_TABLE + 2)
    # The half-written archive, were it renamed to a .npz, is refused too.
    (tmp_path / "partial.npz").write_bytes(stale)
    with pytest.raises(ValueError, match=re.escape("not a valid .npz")):
        rlf.load(tmp_path / "partial.npz")


# -- refusing other envs and bad files -------------------------------------------------------------
def test_load_rejects_a_file_saved_for_another_env(policy, tmp_path):
    path = rlf.save(tmp_path / "policy", policy)
    with pytest.raises(ValueError, match="saved for env 'FrozenLake-v1', not env_id='Taxi-v3'"):
        rlf.load(path, env_id="Taxi-v3")


def test_load_cannot_check_the_env_of_a_file_saved_without_one(tmp_path):
    path = rlf.save(tmp_path / "q", Q_TABLE)
    with pytest.raises(ValueError, match="saved without an env id"):
        rlf.load(path, env_id="Taxi-v3")


def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        rlf.load(tmp_path / "missing.npz")


def archive_bytes(members: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return buffer.getvalue()


def edited(good: bytes, *, members=None, header=None, drop=(), rehash=False) -> bytes:
    """The archive ``good`` with members and metadata fields replaced, or members dropped;
    ``rehash``: with the metadata's digest recomputed, as a forger would."""
    with np.load(io.BytesIO(good), allow_pickle=False) as archive:
        contents = {name: archive[name] for name in archive.files if name not in drop}
    metadata = json.loads(str(contents[persistence.METADATA_KEY])) | (header or {})
    if rehash:
        metadata[persistence.DIGEST_KEY] = persistence._header_digest(metadata)
    contents[persistence.METADATA_KEY] = np.array(json.dumps(metadata))
    return archive_bytes(contents | (members or {}))


def flip_a_byte_of_the_array(good: bytes) -> bytes:
    damaged = bytearray(good)
    offset = damaged.find(Q_TABLE.tobytes())
    assert offset > 0
    damaged[offset + Q_TABLE.nbytes // 2] ^= 0xFF
    return bytes(damaged)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


DAMAGED_FILES = [
    pytest.param(lambda good: np.random.default_rng(1).bytes(4096), "not a valid", id="random"),
    pytest.param(lambda good: b"", "not a valid", id="empty"),
    pytest.param(lambda good: b"q_values,0.5\n", "not a valid", id="text"),
    pytest.param(lambda good: good[: len(good) // 2], "not a valid", id="truncated-half"),
    pytest.param(lambda good: good[:-1], "not a valid", id="last-byte-cut"),
    pytest.param(flip_a_byte_of_the_array, "not a valid", id="flipped-byte-in-array"),
    pytest.param(lambda good: npy_bytes(Q_TABLE), "single .npy array", id="npy-not-npz"),
    pytest.param(
        lambda good: archive_bytes({"q_values": Q_TABLE}),
        "not written by rlfoundations.save",
        id="npz-without-metadata",
    ),
    pytest.param(
        lambda good: edited(good, members={"array": Q_TABLE + 1}),
        "'array' fails its SHA-256 check",
        id="array-edited",
    ),
    pytest.param(
        lambda good: edited(good, members={"array": Q_TABLE.T}),
        "'array' has shape",
        id="array-reshaped",
    ),
    pytest.param(
        lambda good: edited(good, drop=["array"]),
        r"arrays \['array'\] are missing",
        id="array-missing",
    ),
    pytest.param(
        lambda good: edited(good, members={"extra": Q_TABLE}),
        r"arrays \['extra'\] are not in its metadata",
        id="array-added",
    ),
    pytest.param(
        lambda good: edited(good, header={"format_version": 99}),
        "format version 99 is not supported",
        id="unknown-format-version",
    ),
    pytest.param(
        lambda good: edited(good, header={"format": "other"}),
        "does not say format 'rlfoundations'",
        id="other-format",
    ),
    pytest.param(
        lambda good: edited(good, header={"object": {"kind": "Popen", "fields": {}}}, rehash=True),
        "does not describe",
        id="unknown-kind",
    ),
    pytest.param(
        lambda good: edited(good, header={"env_id": "Taxi-v3"}),
        "its metadata fails its SHA-256 check",
        id="env-id-edited",
    ),
    pytest.param(
        lambda good: edited(good, header={"metadata": {"gap": 0.0}}),
        "its metadata fails its SHA-256 check",
        id="user-metadata-edited",
    ),
    pytest.param(
        lambda good: edited(good, header={"format_version": 1}),
        "format version 1 is not supported",
        id="older-format-version",
    ),
    pytest.param(
        lambda good: b"\x80\x04\x95" + bytes(64),
        "not a valid .npz file",
        id="pickle",
    ),
    pytest.param(
        lambda good: archive_bytes({persistence.METADATA_KEY: np.array("{not json")}),
        "not valid JSON",
        id="metadata-not-json",
    ),
    pytest.param(
        lambda good: archive_bytes({persistence.METADATA_KEY: np.zeros(3)}),
        "is not a string",
        id="metadata-not-text",
    ),
]


@pytest.mark.parametrize(("damage", "match"), DAMAGED_FILES)
def test_load_refuses_a_damaged_file_with_one_clear_error(damage, match, tmp_path):
    good = rlf.save(tmp_path / "good", Q_TABLE).read_bytes()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(damage(good))
    with pytest.raises(rlf.InvalidValueError, match=match) as error:
        rlf.load(bad)
    assert str(bad) in str(error.value)
    assert "allow_pickle" not in str(error.value)


# -- paths that are not files --------------------------------------------------------------------
def test_load_of_a_directory_names_it(tmp_path):
    (tmp_path / "runs.npz").mkdir()
    with pytest.raises(rlf.InvalidValueError, match="is a directory"):
        rlf.load(tmp_path / "runs")


def test_load_reads_a_file_named_without_npz_as_it_is(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("q_values,0.5\n")
    with pytest.raises(rlf.InvalidValueError, match=r"notes\.txt'.*not a valid \.npz") as error:
        rlf.load(text)
    assert "allow_pickle" not in str(error.value)


@pytest.mark.parametrize("path", ["", "   ", "runs/"], ids=["empty", "blank", "trailing-slash"])
def test_save_refuses_a_path_that_names_no_file(path, tmp_path):
    with pytest.raises(rlf.InvalidValueError, match="path"):
        rlf.save(path, Q_TABLE)


def test_a_save_in_progress_elsewhere_keeps_its_temporary_file(tmp_path):
    # This process is alive: its temporary file may be another thread's save in progress.
    in_progress = tmp_path / f".q.npz.{os.getpid()}.{'0' * 16}.tmp"
    in_progress.write_bytes(b"partial")
    rlf.save(tmp_path / "q", Q_TABLE)
    assert in_progress.exists()


def test_a_save_removes_only_the_stale_temporary_files_of_its_own_target(tmp_path):
    dead_pid = 2**22 + 12345  # above Linux's pid_max: no such process
    stale = tmp_path / f".q.npz.{dead_pid}.{'a' * 16}.tmp"
    other = tmp_path / f".other.npz.{dead_pid}.{'b' * 16}.tmp"
    stale.write_bytes(b"partial")
    other.write_bytes(b"partial")
    rlf.save(tmp_path / "q", Q_TABLE)
    assert not stale.exists()
    assert other.exists()


def test_a_saved_model_keeps_its_make_kwargs_factors_mask_and_states(tmp_path):
    mdp = rlf.from_env("FrozenLake-v1", desc=["SF", "HG"], is_slippery=False)
    mdp = dataclasses.replace(
        mdp,
        action_mask=np.ones((4, 4), dtype=bool),
        states=tuple((row, col) for row in range(2) for col in range(2)),
    )
    path = rlf.save(tmp_path / "lake", mdp)
    got = rlf.load(path)
    assert dict(got.make_kwargs) == dict(mdp.make_kwargs)
    assert got.factors == mdp.factors and got.states == mdp.states
    np.testing.assert_array_equal(got.action_mask, mdp.action_mask)


def test_loading_a_model_adopts_the_arrays_it_reads(tmp_path):
    import tracemalloc

    mdp = rlf.problems.garnet(20_000, 4, 3, 0, terminal_prob=0.01)
    fields = ("next_state", "prob", "reward", "terminated", "initial")
    size = sum(getattr(mdp, name).nbytes for name in fields)
    path = rlf.save(tmp_path / "model", mdp)
    tracemalloc.start()
    try:
        loaded = rlf.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The arrays as read, then the model's checks a chunk at a time: a copy would be 2x.
    assert peak < 1.5 * size
    for name in fields:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(mdp, name))
        assert not getattr(loaded, name).flags.writeable


def test_a_model_field_named_copy_in_a_file_does_not_stop_it_loading():
    # save never writes the constructor's copy flag; a file that has one still loads.
    mdp = rlf.problems.garnet(10, 2, 2, 0)
    arrays: dict = {}
    layout = persistence._encode(mdp, "mdp", arrays)
    layout["fields"]["copy"] = {"value": True}
    loaded = persistence._decode(layout, {name: array.copy() for name, array in arrays.items()})
    np.testing.assert_array_equal(loaded.prob, mdp.prob)
    assert not loaded.prob.flags.writeable
