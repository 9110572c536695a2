"""The kernel cache: keyed on every kernel source, and never fatal when nothing is writable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest

import rlfoundations

# _jit installs the locator and the locks, as any kernel import does (the lock tests need them).
from rlfoundations._kernels import _cache, _jit  # noqa: F401

PACKAGE = Path(rlfoundations.__file__).resolve().parent

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing is compiled or cached")

# A kernel in its own module that inlines helpers of another module (the random stream), as
# every learner does: the case Numba's own cache, keyed on one file, gets wrong.
PROBE_KERNEL = """
import numpy as np

from rlfoundations._kernels._jit import kernel
from rlfoundations._kernels.random import load_state, next_uint64, seed_state


@kernel
def draws(seed, out):
    words = np.empty(4, dtype=np.uint64)
    seed_state(seed, words)
    state = load_state(words)
    for i in range(out.shape[0]):
        out[i], state = next_uint64(state)
"""

PROBE_RUN = """
import json

import numpy as np

from rlfoundations._kernels import probe
from rlfoundations.reference.random import Xoshiro256

got = np.empty(5, dtype=np.uint64)
probe.draws(7, got)
stream = Xoshiro256(7)
expected = [stream.next_uint64() for _ in range(5)]
print(json.dumps({
    "agree": [int(x) for x in got] == expected,
    "first": int(got[0]),
    "hits": sum(probe.draws.stats.cache_hits.values()),
    "misses": sum(probe.draws.stats.cache_misses.values()),
}))
"""

SOLVE_RUN = """
import json
import warnings

import numpy as np

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import rlfoundations  # noqa: F401
    from rlfoundations._kernels import _cache, random

    words = np.array([1, 2, 3, 4], dtype=np.uint64)
    draws = np.empty(3, dtype=np.uint64)
    random.fill_uint64(words, draws)
print(json.dumps({
    "ran": bool(draws.any()),
    "warnings": [str(w.message) for w in caught if w.category is _cache.KernelCacheWarning],
    "directory": None if _cache.CACHE_DIRECTORY is None else str(_cache.CACHE_DIRECTORY),
}))
"""


def copy_package(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(PACKAGE, tree / "rlfoundations", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def run_python(code: str, tree: Path, env: dict | None = None) -> dict:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")
    }
    environment.update({"PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}, **(env or {}))
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture
def read_only():
    """Make directories read-only (for root, whom permissions do not stop: immutable)."""
    changed: list[Path] = []

    def make(*roots: Path) -> None:
        for root in roots:
            for directory in [root, *(p for p in root.rglob("*") if p.is_dir())]:
                if os.geteuid() == 0:
                    done = subprocess.run(["chattr", "+i", str(directory)], capture_output=True)
                    if done.returncode != 0:
                        pytest.skip("root without chattr +i cannot make a directory read-only")
                else:
                    directory.chmod(0o555)
                changed.append(directory)
            try:
                (root / "probe").touch()
            except OSError:
                continue
            pytest.skip(f"could not make {root} read-only")

    yield make
    for directory in reversed(changed):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        else:
            directory.chmod(0o755)


def test_editing_a_helper_module_recompiles_the_kernels_that_inline_it(tmp_path):
    tree = copy_package(tmp_path)
    kernels = tree / "rlfoundations" / "_kernels"
    (kernels / "probe.py").write_text(PROBE_KERNEL)
    home = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    cold = run_python(PROBE_RUN, tree, home)
    warm = run_python(PROBE_RUN, tree, home)
    assert (cold["agree"], cold["misses"], warm["hits"], warm["misses"]) == (True, 1, 1, 0)
    # A new splitmix64 constant, in the kernels' stream and in its reference twin alike.
    for path in (kernels / "random.py", tree / "rlfoundations" / "reference" / "random.py"):
        source = path.read_text()
        assert source.count("0xBF58476D1CE4E5B9") == 1
        path.write_text(source.replace("0xBF58476D1CE4E5B9", "0xBF58476D1CE4E5B7"))
    edited = run_python(PROBE_RUN, tree, home)
    assert edited["first"] != cold["first"]
    assert (edited["agree"], edited["hits"]) == (True, 0)


def test_cache_directory_is_keyed_on_every_kernel_source(tmp_path):
    kernels = tmp_path / "_kernels"
    shutil.copytree(PACKAGE / "_kernels", kernels, ignore=shutil.ignore_patterns("__pycache__"))
    before = _cache.source_digest(kernels)
    lanes = kernels / "lanes.py"
    lanes.write_text(lanes.read_text() + "\n# an edit\n")
    assert _cache.source_digest(kernels) != before


def test_kernels_are_cached_under_numba_cache_dir_when_it_is_set(tmp_path):
    tree = copy_package(tmp_path)
    got = run_python(SOLVE_RUN, tree, {"NUMBA_CACHE_DIR": str(tmp_path / "numba")})
    assert Path(got["directory"]).parent == tmp_path / "numba"
    assert got["warnings"] == []


def test_read_only_package_and_home_cache_in_a_private_temporary_directory(tmp_path, read_only):
    tree = copy_package(tmp_path)
    home, xdg, temporary = tmp_path / "home", tmp_path / "xdg", tmp_path / "tmp"
    for directory in (home, xdg, temporary):
        directory.mkdir()
    read_only(tree, home, xdg)
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(xdg), "TMPDIR": str(temporary)}
    got = run_python(SOLVE_RUN, tree, env)
    assert got["ran"]
    assert len(got["warnings"]) == 1
    assert Path(got["directory"]).is_relative_to(temporary)


def test_no_writable_directory_at_all_compiles_without_a_cache(tmp_path, read_only):
    tree = copy_package(tmp_path)
    home, xdg, temporary = tmp_path / "home", tmp_path / "xdg", tmp_path / "tmp"
    for directory in (home, xdg, temporary):
        directory.mkdir()
    read_only(tree, home, xdg, temporary)
    # tempfile falls back to /tmp when $TMPDIR is read-only: pin it to the read-only one.
    code = f"import tempfile\ntempfile.gettempdir = lambda: {str(temporary)!r}\n" + SOLVE_RUN
    got = run_python(code, tree, {"HOME": str(home), "XDG_CACHE_HOME": str(xdg)})
    assert got["ran"]
    assert len(got["warnings"]) == 1
    assert "compile anew" in got["warnings"][0]
    assert got["directory"] is None


def test_cache_directory_takes_the_first_writable_candidate(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    got, message = _cache.cache_directory("digest", [blocked / "cache", tmp_path / "cache"])
    assert (got, message) == (tmp_path / "cache", None)


def test_cache_directory_without_a_writable_candidate_explains_what_to_set(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    got, message = _cache.cache_directory("digest", [blocked / "cache"])
    assert got is None
    assert "NUMBA_CACHE_DIR" in message


def test_in_tree_caches_of_older_sources_are_removed_once_an_hour_old(tmp_path):
    current, old, recent = (tmp_path / f"rlfoundations-{name}" for name in "abc")
    for directory in (current, old, recent):
        directory.mkdir()
    now = current.stat().st_mtime + 2 * _cache.STALE_SECONDS
    os.utime(old, (now - 2 * _cache.STALE_SECONDS, now - 2 * _cache.STALE_SECONDS))
    os.utime(recent, (now - 60, now - 60))
    os.utime(current, (now - 2 * _cache.STALE_SECONDS, now - 2 * _cache.STALE_SECONDS))
    got = _cache.prune_stale(current, now=now)
    assert got == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rlfoundations-a", "rlfoundations-c"]


# -- processes sharing the directory: saves exclusive, loads shared ---------------------------
def lock_state(directory: Path) -> str:
    """What another process would get on ``directory``'s lock now: "free", "shared" (a
    shared lock is granted, an exclusive one is not) or "exclusive" (neither is)."""
    fcntl = pytest.importorskip("fcntl")
    with open(directory / _cache.LOCK_NAME, "a+b") as other:  # a separate open file: a rival
        for mode, state in ((fcntl.LOCK_EX, "free"), (fcntl.LOCK_SH, "shared")):
            try:
                fcntl.flock(other.fileno(), mode | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            fcntl.flock(other.fileno(), fcntl.LOCK_UN)
            return state
    return "exclusive"


def test_saving_an_entry_holds_the_directory_exclusively_and_loading_it_shared(
    tmp_path, monkeypatch
):
    from numba.core import caching

    monkeypatch.setattr(_cache, "CACHE_DIRECTORY", tmp_path)
    seen = []
    cache_file = caching.IndexDataCacheFile(str(tmp_path), "probe-1.py311", "stamp")
    real_save, real_load = cache_file._save_data, cache_file._load_data
    monkeypatch.setattr(
        cache_file, "_save_data", lambda *a: (seen.append(lock_state(tmp_path)), real_save(*a))[1]
    )
    monkeypatch.setattr(
        cache_file, "_load_data", lambda *a: (seen.append(lock_state(tmp_path)), real_load(*a))[1]
    )
    cache_file.save(("sig", "target"), b"machine code")
    assert cache_file.load(("sig", "target")) == b"machine code"
    assert seen == ["exclusive", "shared"]
    assert lock_state(tmp_path) == "free"


def test_caches_of_other_functions_are_not_locked(tmp_path, monkeypatch):
    from numba.core import caching

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir(), theirs.mkdir()
    monkeypatch.setattr(_cache, "CACHE_DIRECTORY", ours)
    cache_file = caching.IndexDataCacheFile(str(theirs), "elsewhere-1.py311", "stamp")
    real_save = cache_file._save_data
    seen = []
    monkeypatch.setattr(
        cache_file, "_save_data", lambda *a: (seen.append(lock_state(theirs)), real_save(*a))[1]
    )
    cache_file.save(("sig", "target"), b"code")
    assert seen == ["free"]
    assert not (ours / _cache.LOCK_NAME).exists()


# -- entries that call Numba's threading layer start it when loaded ---------------------------
# The parallel sweep alone, with runtime bools: caches _sweep_chunks and bellman_sweep.
PARALLEL_SWEEP_RUN = """
import json

import numpy as np

import rlfoundations as rlf
from rlfoundations._kernels import planning
from rlfoundations._kernels.layout import kernel_model

successor, continue_prob, reward = kernel_model(rlf.problems.forest())
values, new_values = np.zeros(successor.shape[0] * 8), np.zeros(successor.shape[0] * 8)
on = bool(np.ones(1)[0])
print(json.dumps(planning.bellman_sweep(
    successor, continue_prob, reward, 0.9, on, on, values, new_values
)))
"""

FORCED_PARALLEL_RUN = """
import json

import numpy as np

import rlfoundations as rlf
from rlfoundations._kernels import drivers
from rlfoundations._kernels.layout import kernel_model

mdp = rlf.problems.forest()
values = np.zeros(mdp.n_states)
done, converged, _ = drivers.value_iteration(
    kernel_model(mdp), 0.9, 1e-6, True, True, False, 10, values, parallel=True
)
print(json.dumps({"done": done, "values": values.tolist()}))
"""


def cache_entry(object_code: bytes, reload_init: list) -> tuple:
    """An entry shaped as Numba's reduced compile result, with the given machine code."""
    library = ("probe", "object", (object_code, b"bitcode"))
    return (library, "fndesc", "environment", "signature", False, (), "", reload_init, ())


@pytest.mark.slow
def test_a_caller_compiled_beside_a_cached_parallel_kernel_loads_in_a_fresh_process(tmp_path):
    # The second process loads the parallel sweep from the cache and compiles value
    # iteration around it; Numba saved that without the hook that starts the threading layer,
    # and the third process, loading it first, crashed (SIGSEGV).
    tree = PACKAGE.parent
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    run_python(PARALLEL_SWEEP_RUN, tree, env)
    expected = run_python(FORCED_PARALLEL_RUN, tree, env)
    got = run_python(FORCED_PARALLEL_RUN, tree, env)
    assert got == expected


def test_an_entry_calling_the_threading_layer_is_saved_with_the_hook_that_starts_it(
    tmp_path, monkeypatch
):
    from numba.core import caching
    from numba.core.typed_passes import _reload_parfors

    monkeypatch.setattr(_cache, "CACHE_DIRECTORY", tmp_path)
    cache_file = caching.IndexDataCacheFile(str(tmp_path), "probe-1.py311", "stamp")
    cache_file.save(("sig", "target"), cache_entry(b"\0do_scheduling_signed\0", []))
    got = cache_file.load(("sig", "target"))
    assert list(got[7]) == [_reload_parfors]


def test_an_entry_not_calling_the_threading_layer_is_saved_unchanged(tmp_path, monkeypatch):
    from numba.core import caching

    monkeypatch.setattr(_cache, "CACHE_DIRECTORY", tmp_path)
    cache_file = caching.IndexDataCacheFile(str(tmp_path), "probe-1.py311", "stamp")
    entry = cache_entry(b"\0serial_sweep\0", [])
    cache_file.save(("sig", "target"), entry)
    assert cache_file.load(("sig", "target")) == entry
