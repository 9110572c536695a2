"""save and load: results, policies and Q tables as ``.npz`` files with metadata, atomically.

A saved file is an ordinary, uncompressed ``.npz`` archive (``numpy.load`` opens it, with
``allow_pickle=False``). It holds

- one member per array of the object, under its field name (``values``, ``q_values``, ...),
  dotted for nested objects (``result.values``, ``mdp.prob``), or ``array`` for a bare array;
- ``__metadata__``: a 0-d string array holding a JSON object with ``format``
  (``"rlfoundations"``), ``format_version``, ``library_version``, ``created`` (ISO 8601, UTC),
  ``kind``, ``env_id``, ``gamma``, ``algorithm``, ``seed`` (None where unknown), ``metadata``
  (the user's extra keys), ``object`` (how to rebuild the object from its arrays and scalar
  fields), ``arrays`` (dtype, shape and SHA-256 of the bytes of every array) and ``sha256``:
  the SHA-256 of all the other metadata (canonical JSON), so of the arrays' digests too.

The file is written to a temporary file in the target's directory, flushed to disk, then
renamed onto the target: a reader sees the old file or the new one, never half of one. Both
digests are checked on load, so a truncated, damaged or edited file (an array, or the env id
in the metadata) is an error, not a wrong policy. The digests detect damage and edits, not a
forger: anyone can recompute them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import json
import os
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rlfoundations._validate import is_int, is_number
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.extract import ENV_ID_ALIASES
from rlfoundations.mdp import TabularMDP, adoptable
from rlfoundations.policy import EvaluationResult, GreedyPolicy, StochasticPolicy
from rlfoundations.results import (
    AverageRewardResult,
    FiniteHorizonResult,
    LearningResult,
    LinearProgrammingResult,
    PlanningResult,
    SoftResult,
    SweepResult,
)

__all__ = ["FORMAT_VERSION", "load", "load_metadata", "save"]

#: Version of the file layout; ``load`` reads this version only. Version 2 added the
#: metadata's own SHA-256; version 1 files (unreleased 0.1.0 only) are refused, since their
#: metadata cannot be checked and accepting them would let an edit pass as an old file.
FORMAT_VERSION = 2
#: The value of the ``format`` metadata field, telling our files from other ``.npz`` files.
FORMAT = "rlfoundations"
#: Archive member holding the JSON metadata.
METADATA_KEY = "__metadata__"
#: Archive member holding a bare array.
ARRAY_KEY = "array"

#: The classes a file can hold, by the name stored in it: nothing else is ever instantiated.
_KINDS = {
    kind.__name__: kind
    for kind in (
        AverageRewardResult,
        EvaluationResult,
        FiniteHorizonResult,
        GreedyPolicy,
        LearningResult,
        LinearProgrammingResult,
        PlanningResult,
        SoftResult,
        StochasticPolicy,
        SweepResult,
        TabularMDP,
    )
}
#: How an .npz (a zip archive) and an .npy file begin.
_ZIP_MAGIC = b"PK"
_NPY_MAGIC = b"\x93NUMPY"
#: Key of the metadata's own digest.
DIGEST_KEY = "sha256"
#: Temporary files of a save: ``.<name>.<pid>.<random>.tmp`` beside the target.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{16}\.tmp$")
#: dtype kinds of savable arrays: bool, integers, floats, complex (never object: no pickle).
_ARRAY_DTYPE_KINDS = "biufc"
#: What a file says about its object besides the arrays; ``save`` fills each from the object
#: when it carries the value, else from the caller.
_DESCRIPTION_KEYS = ("env_id", "gamma", "algorithm", "seed")


# -- paths -----------------------------------------------------------------------------------------
def _npz_path(path) -> Path:
    """``path`` as a Path ending in ``.npz`` (the suffix appended, not substituted)."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidTypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}"
        )
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise InvalidValueError(f"path must name a file, got {path!r}")
    if text.endswith(("/", os.sep)):
        raise InvalidValueError(f"path {text!r} names a directory, not a file")
    path = Path(text)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def _source_path(path) -> Path:
    """The file to read: ``path`` itself when it is a file, else with ``.npz`` appended."""
    target = _npz_path(path)
    given = Path(os.fspath(path))
    if given != target and given.is_file():
        return given
    if target.is_dir():
        raise InvalidValueError(f"cannot load {str(target)!r}: it is a directory, not a file")
    return target


def _same_env(first: str, second: str) -> bool:
    return ENV_ID_ALIASES.get(first, first) == ENV_ID_ALIASES.get(second, second)


# -- describing an object --------------------------------------------------------------------------
def _field_name(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _encode(value, name: str, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON description of ``value``; its arrays go into ``arrays``, keyed by dotted name."""
    if type(value) is np.ndarray:
        if value.dtype.kind not in _ARRAY_DTYPE_KINDS:
            raise InvalidTypeError(
                f"cannot save array {name!r} of dtype {value.dtype}: "
                f"only bool and numeric arrays are saved"
            )
        arrays[name] = value
        return {"array": name}
    if type(value) in _KINDS.values():
        fields = {
            field.name: _encode(getattr(value, field.name), _field_name(name, field.name), arrays)
            for field in dataclasses.fields(value)
            if field.init
        }
        return {"kind": type(value).__name__, "fields": fields}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    # Containers (a sweep's params, a model's make kwargs): every item encoded the same way.
    if isinstance(value, tuple | list):
        items = [_encode(item, f"{name}[{i}]", arrays) for i, item in enumerate(value)]
        return {type(value).__name__: items}
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {
            "dict": {key: _encode(item, f"{name}[{key!r}]", arrays) for key, item in value.items()}
        }
    raise InvalidTypeError(f"cannot save field {name!r} of type {type(value).__name__}")


def _decode(layout: dict, arrays: dict[str, np.ndarray]):
    """The inverse of :func:`_encode`."""
    if "array" in layout:
        return arrays[layout["array"]]
    if "kind" in layout:
        fields = {name: _decode(field, arrays) for name, field in layout["fields"].items()}
        kind = _KINDS[layout["kind"]]
        if kind is TabularMDP and adoptable(fields):
            fields.pop("copy", None)  # save never writes it: how to build is ours to choose
            # The arrays just read are the load's own: adopted, a model's load peaks at its
            # size, not twice it.
            return TabularMDP(**fields, copy=False)
        return kind(**fields)
    if "tuple" in layout:
        return tuple(_decode(item, arrays) for item in layout["tuple"])
    if "list" in layout:
        return [_decode(item, arrays) for item in layout["list"]]
    if "dict" in layout or "mapping" in layout:
        items = layout["dict"] if "dict" in layout else layout["mapping"]
        return {key: _decode(item, arrays) for key, item in items.items()}
    return layout["value"]


def _carried(obj) -> dict:
    """The description keys the object knows itself."""
    if isinstance(obj, GreedyPolicy):
        return {"env_id": obj.mdp.name, **_carried(obj.result)}
    if isinstance(obj, TabularMDP):
        return {"env_id": obj.name}
    if isinstance(obj, PlanningResult | SoftResult | LinearProgrammingResult | FiniteHorizonResult):
        return {"gamma": float(obj.gamma), "algorithm": obj.method}
    if isinstance(obj, AverageRewardResult):
        return {"algorithm": obj.method}
    if isinstance(obj, StochasticPolicy):
        return {"seed": obj.seed}
    if isinstance(obj, LearningResult):
        return {"gamma": float(obj.gamma), "algorithm": obj.algorithm, "seed": int(obj.seed)}
    if isinstance(obj, SweepResult):
        return {"algorithm": obj.algorithm}
    return {}


def _check_description(key: str, value):
    """``value`` of description key ``key`` as a plain JSON value, or an error naming it."""
    if value is None:
        return None
    if key in ("env_id", "algorithm"):
        if not isinstance(value, str):
            raise InvalidTypeError(
                f"{key} must be a str or None, got {type(value).__name__} {value!r}"
            )
        return value
    if key == "seed":
        if not is_int(value):
            raise InvalidTypeError(
                f"seed must be an int or None, got {type(value).__name__} {value!r}"
            )
        return int(value)
    if not is_number(value):
        raise InvalidTypeError(
            f"gamma must be a number or None, got {type(value).__name__} {value!r}"
        )
    return float(value)


def _describe(obj, given: dict) -> dict:
    """env_id, gamma, algorithm and seed: the object's own, or else the caller's."""
    carried = _carried(obj)
    description = {}
    for key in _DESCRIPTION_KEYS:
        value = _check_description(key, given.get(key))
        own = carried.get(key)
        if value is not None and own is not None:
            agree = _same_env(value, own) if key == "env_id" else value == own
            if not agree:
                raise InvalidValueError(
                    f"{key}={value!r} disagrees with the {type(obj).__name__}'s own {key} {own!r}"
                )
        description[key] = own if own is not None else value
    return description


def _check_metadata(metadata: dict) -> dict:
    for key, value in metadata.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as error:
            raise InvalidTypeError(
                f"metadata {key!r} must be JSON-serialisable (str, int, float, bool, None, "
                f"lists and str-keyed dicts of them), got {type(value).__name__} {value!r}"
            ) from error
    return metadata


def _fingerprint(array: np.ndarray) -> dict:
    """dtype, shape and the SHA-256 of the bytes in C order (the same for any memory layout)."""
    # Shape from the array itself: np.ascontiguousarray turns a 0-d array into shape (1,).
    in_c_order = np.ascontiguousarray(array).reshape(-1)
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "sha256": hashlib.sha256(in_c_order.view(np.uint8)).hexdigest(),  # type: ignore[arg-type]
    }


def _header_digest(header: dict) -> str:
    """SHA-256 of the metadata without its own digest, as canonical JSON."""
    rest = {key: value for key, value in header.items() if key != DIGEST_KEY}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def library_version() -> str:
    """The installed distribution's version (what pip installed, not a string in the source)."""
    try:
        return importlib.metadata.version("rlfoundations")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree never installed
        return "unknown"


# -- writing ---------------------------------------------------------------------------------------
def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX only: Windows cannot open a directory)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving there now
    if os.name != "posix":
        return True  # no cheap check: keep the file rather than break a save in progress
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # alive under another user (or not a pid at all: keep it)
    return True


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files that killed saves to ``target`` left behind.

    A temporary file names the process that wrote it; one whose process no longer runs is
    left over from a save that was killed (SIGKILL, power loss) and is removed. Files of
    running processes, saves in progress, are left alone.
    """
    try:
        candidates = list(target.parent.glob(f".{glob_escape(target.name)}.*.tmp"))
    except OSError:
        return
    for candidate in candidates:
        match = _TEMPORARY.match(candidate.name)
        if match is None or match["name"] != target.name:
            continue
        if not _process_alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                candidate.unlink()


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _write_atomic(target: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` to ``target`` via a temporary file and a rename."""
    _remove_stale_temporaries(target)
    # Same directory, so os.replace is a rename within one filesystem (atomic). os.open with
    # O_EXCL, not mkstemp: the file gets the umask's permissions, as a plain open would give.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        try:
            stream = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            raise
        # A file object, not a name: np.savez then neither appends a suffix nor opens files.
        with stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def save(
    path: str | os.PathLike[str],
    obj: PlanningResult | LearningResult | GreedyPolicy | TabularMDP | np.ndarray,
    *,
    env_id: str | None = None,
    **metadata: Any,
) -> Path:
    """Save a result, a policy or an array to an ``.npz`` file, atomically, with metadata.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write. ``.npz`` is appended when ``path`` does not end in it
        (``"policy"`` and ``"policy.v2"`` become ``policy.npz`` and ``policy.v2.npz``). An
        existing file is replaced; the directory must exist.
    obj : result, policy, TabularMDP or ndarray
        What to save: a :class:`PlanningResult`, :class:`LearningResult`,
        :class:`SweepResult`, :class:`SoftResult`, :class:`LinearProgrammingResult`,
        :class:`FiniteHorizonResult`, :class:`AverageRewardResult` or
        :class:`EvaluationResult` (every array, the (S, A) and (T, S) policies too); a
        :class:`GreedyPolicy`, saved whole: its actions, its :class:`PlanningResult` and its
        model's arrays, so the loaded policy can be evaluated, re-solved or inspected like the
        original; a :class:`StochasticPolicy` (its probabilities and seed: the loaded one
        draws the same actions); a :class:`TabularMDP`; or a bare array (a policy, values or
        a Q table), of a bool or numeric dtype. Save a stochastic policy as a
        :class:`StochasticPolicy`, not a bare (S, A) array, which ``play --policy`` reads as
        a Q table.
    env_id : str, optional
        The env the object belongs to. A :class:`GreedyPolicy` or :class:`TabularMDP` carries
        its own (the model's ``name``); a different ``env_id`` is then an error (``Taxi-v3``
        and ``Taxi-v4`` count as the same env).
    **metadata
        Extra JSON-serialisable values stored with the file (read them back with
        :func:`load_metadata`). ``gamma``, ``algorithm`` and ``seed`` describe an object that
        does not carry them (a bare array); for one that does, they must agree with it.
        JSON has no tuples: they come back as lists.

    Returns
    -------
    Path
        The file written, with its ``.npz`` suffix.

    Raises
    ------
    TypeError
        ``obj`` is of another kind, an array has a non-numeric dtype, or a metadata value is
        not JSON-serialisable (the message names its key).
    ValueError
        ``env_id``, ``gamma``, ``algorithm`` or ``seed`` disagrees with the object's own.

    Notes
    -----
    The data are written to a hidden temporary file beside ``path``, flushed with
    ``os.fsync``, then renamed onto ``path`` with ``os.replace``: an interrupted save leaves
    the old file intact (and at worst a ``.<name>.<random>.tmp`` file, which :func:`load`
    never reads). The temporary file is removed on any exception.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> q_values = np.array([[0.0, 1.0], [2.0, 0.5]])
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = rlf.save(f"{directory}/q", q_values, env_id="FrozenLake-v1", gamma=0.9)
    ...     print(path.name, rlf.load_metadata(path)["gamma"])
    ...     print(rlf.load(path, env_id="FrozenLake-v1"))
    q.npz 0.9
    [[0.  1. ]
     [2.  0.5]]
    """
    target = _npz_path(path)
    if type(obj) not in _KINDS.values() and type(obj) is not np.ndarray:
        raise InvalidTypeError(
            f"obj must be one of {', '.join(sorted(_KINDS))} or a numpy array, "
            f"got {type(obj).__name__}"
        )
    given = {key: metadata.pop(key, None) for key in ("gamma", "algorithm", "seed")}
    description = _describe(obj, {"env_id": env_id, **given})
    arrays: dict[str, np.ndarray] = {}
    layout = _encode(obj, ARRAY_KEY if type(obj) is np.ndarray else "", arrays)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": library_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "kind": layout.get("kind", "ndarray"),
        **description,
        "metadata": _check_metadata(metadata),
        "object": layout,
        "arrays": {name: _fingerprint(array) for name, array in arrays.items()},
    }
    header[DIGEST_KEY] = _header_digest(header)
    _write_atomic(target, {METADATA_KEY: np.array(json.dumps(header)), **arrays})
    return target


# -- reading ---------------------------------------------------------------------------------------
def _unreadable(path: Path, reason: str) -> InvalidValueError:
    return InvalidValueError(f"cannot load {str(path)!r}: {reason}")


def _read_archive(path: Path) -> dict[str, np.ndarray]:
    """Every member of the ``.npz`` at ``path``, without pickle."""
    with open(path, "rb") as stream:  # a missing file raises FileNotFoundError here
        start = stream.read(len(_NPY_MAGIC))
        if start.startswith(_NPY_MAGIC):
            raise _unreadable(path, "it holds a single .npy array, not an .npz archive")
        if not start.startswith(_ZIP_MAGIC):
            # Not numpy's own message: for such a file it suggests allow_pickle=True, which
            # would run whatever a pickle holds.
            raise _unreadable(
                path,
                f"not a valid .npz file (it starts with {start!r}, not with a zip "
                f"archive's {_ZIP_MAGIC!r})",
            )
        stream.seek(0)
        try:
            with np.load(stream, allow_pickle=False) as archive:
                members = {name: archive[name] for name in archive.files}
        except MemoryError:
            raise
        # Fuzzing (truncations, flipped bytes) made numpy and zipfile raise BadZipFile,
        # ValueError, EOFError, OSError, NotImplementedError, RuntimeError and TokenError: a
        # damaged archive can fail in any of many ways, all of them this one error.
        except Exception as error:
            reason = str(error)
            if "pickle" in reason:
                reason = (
                    "it holds object arrays, which only pickle can read; save never writes them"
                )
            raise _unreadable(path, f"not a valid .npz file ({reason})") from error
    return members


def _read_header(path: Path, members: dict[str, np.ndarray]) -> dict:
    text = members.pop(METADATA_KEY, None)
    if text is None:
        raise _unreadable(
            path,
            f"it has no {METADATA_KEY!r} member, so it was not written by rlfoundations.save "
            f"(its arrays: {sorted(members)}); open it with numpy.load",
        )
    if text.ndim != 0 or text.dtype.kind != "U":
        raise _unreadable(path, f"{METADATA_KEY!r} is not a string but {text.dtype} {text.shape}")
    try:
        header = json.loads(str(text))
    except json.JSONDecodeError as error:
        raise _unreadable(path, f"its metadata is not valid JSON ({error})") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _unreadable(path, f"its metadata does not say format {FORMAT!r}")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise _unreadable(
            path,
            f"format version {version!r} is not supported: rlfoundations "
            f"{library_version()} reads version {FORMAT_VERSION} only",
        )
    if header.get(DIGEST_KEY) != _header_digest(header):
        raise _unreadable(
            path,
            "its metadata fails its SHA-256 check (an env id, gamma or another field was "
            "edited, or the file is damaged)",
        )
    if not isinstance(header.get("arrays"), dict) or not isinstance(header.get("object"), dict):
        raise _unreadable(path, "its metadata lacks the 'arrays' or 'object' description")
    return header


def _verify(path: Path, expected: dict, members: dict[str, np.ndarray]) -> None:
    """Every array the metadata lists is present, with its dtype, shape and SHA-256."""
    missing = sorted(set(expected) - set(members))
    if missing:
        raise _unreadable(path, f"arrays {missing} are missing")
    unexpected = sorted(set(members) - set(expected))
    if unexpected:
        raise _unreadable(path, f"arrays {unexpected} are not in its metadata")
    for name, array in members.items():
        got = _fingerprint(array)
        for key in ("dtype", "shape"):
            if got[key] != expected[name].get(key):
                raise _unreadable(
                    path,
                    f"array {name!r} has {key} {got[key]}, its metadata says "
                    f"{expected[name].get(key)}",
                )
        if got["sha256"] != expected[name].get("sha256"):
            raise _unreadable(
                path,
                f"array {name!r} fails its SHA-256 check: the file is damaged or was edited",
            )


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The verified metadata and arrays of the file at ``path``."""
    members = _read_archive(path)
    header = _read_header(path, members)
    _verify(path, header["arrays"], members)
    return header, members


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of a file written by :func:`save`, after checking the whole file.

    Parameters
    ----------
    path : str or os.PathLike
        As in :func:`save` (``.npz`` appended when missing).

    Returns
    -------
    dict
        ``format``, ``format_version``, ``library_version``, ``created``, ``kind``,
        ``env_id``, ``gamma``, ``algorithm``, ``seed``, ``metadata`` (the extra keys given to
        :func:`save`), ``object`` and ``arrays`` (dtype, shape and SHA-256 of each array).

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`load`.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = rlf.save(f"{directory}/values", np.zeros(3), run="baseline")
    ...     metadata = rlf.load_metadata(path)
    >>> metadata["kind"], metadata["metadata"], metadata["arrays"]["array"]["shape"]
    ('ndarray', {'run': 'baseline'}, [3])
    """
    header, _ = _read(_source_path(path))
    return header


def load(
    path: str | os.PathLike[str], *, env_id: str | None = None
) -> PlanningResult | LearningResult | GreedyPolicy | TabularMDP | np.ndarray:
    """Load what :func:`save` wrote: the same kind of object, arrays bit for bit.

    Parameters
    ----------
    path : str or os.PathLike
        As in :func:`save` (``.npz`` appended when missing).
    env_id : str, optional
        The env the caller means to use the object in: a file saved for another env, or
        without an env id, is then an error (``Taxi-v3`` and ``Taxi-v4`` count as one).

    Returns
    -------
    result, policy, TabularMDP or ndarray
        The object saved, of the same class. Arrays keep their dtype, shape and bytes. A
        :class:`TabularMDP` adopts the arrays read from the file (``copy=False``): loading
        a model takes its size in memory, not twice it.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not an ``.npz`` archive, is truncated or damaged (an array fails its
        SHA-256 check), was not written by :func:`save`, has an unknown format version, or
        belongs to another env than ``env_id``; the message names the file and the problem.

    Examples
    --------
    >>> import tempfile
    >>> import rlfoundations as rlf
    >>> policy = rlf.solve("rlfoundations/Rick-v0")
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = rlf.save(f"{directory}/rick", policy)
    ...     loaded = rlf.load(path, env_id="rlfoundations/Rick-v0")
    >>> loaded
    GreedyPolicy(n_states=500, n_actions=6, gamma=0.99, model='rlfoundations/Rick-v0')
    >>> loaded(489)
    0
    """
    source = _source_path(path)
    header, arrays = _read(source)
    saved_env = header.get("env_id")
    if env_id is not None:
        _check_description("env_id", env_id)
        if saved_env is None:
            raise InvalidValueError(
                f"{str(source)!r} was saved without an env id, so it cannot be checked "
                f"against env_id={env_id!r}"
            )
        if not _same_env(env_id, saved_env):
            raise InvalidValueError(
                f"{str(source)!r} was saved for env {saved_env!r}, not env_id={env_id!r}"
            )
    try:
        return _decode(header["object"], arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _unreadable(
            source, f"its metadata does not describe a {header.get('kind')} ({error!r})"
        ) from error
