"""Where compiled kernels are cached, so that no kernel ever runs a stale helper.

Numba keys each cached function on its own source file only: a kernel of ``planning.py``
inlines helpers of ``lanes.py``, a learner inlines ``random.py``, and after an edit or an
upgrade of those helpers Numba would load the old machine code. So every kernel of this
package is cached in one directory named after a digest of *all* ``_kernels/*.py`` sources,
the package version and Numba's version: any change to any kernel module gives a new
directory, and every kernel compiles afresh. The same digest is each entry's source stamp.

The directory is the first writable one of:

1. ``$NUMBA_CACHE_DIR/rlfoundations-<digest>`` when ``NUMBA_CACHE_DIR`` is set;
2. ``rlfoundations/_kernels/__pycache__/rlfoundations-<digest>`` (beside the sources);
3. ``$XDG_CACHE_HOME/rlfoundations/<digest>`` (``~/.cache/rlfoundations/<digest>``);
4. a private directory in the system's temporary directory, with a
   :class:`KernelCacheWarning` (the cache then lasts as long as the temporary directory);
5. none: kernels compile in memory on every run, with a :class:`KernelCacheWarning`.

Caches of older sources beside the sources (2) are removed once an hour old; ``make clean``
removes 2, 3 and 4; ``NUMBA_CACHE_DIR`` is the user's to clean.

Processes sharing the directory (a sweep's worker processes, parallel test runs, two
notebooks) take a file lock on it: exclusive while one saves an entry, shared while one
loads. Numba's own cache has no lock: two processes saving different signatures of one
function at once can both pick the same data file, leaving an index entry that points at the
other's machine code, and the next process to load it crashes (numba/numba#4807, #10128).

An entry whose machine code calls Numba's threading layer must start that layer when it is
loaded (Numba's ``_reload_parfors`` hook, saved with the entry). Numba forgets the hook of a
kernel it loads from the cache, so a caller compiled in a process that loaded its parallel
callee (``bellman_sweep`` -> ``_sweep_chunks``) was saved without it, and the next process
to load that caller first linked code calling unregistered symbols and crashed
(numba/numba#8578, #9938). Every entry saved here is therefore given the hook when its
machine code names a threading-layer symbol (:func:`with_threading_start`).

This module is plain Python (it runs before any kernel is decorated) and uses Numba's cache
locator and cache file interfaces (``numba.core.caching``), which are private: the supported
Numba versions are bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

import numba
from numba.core import caching, config

__all__ = [
    "KernelCacheWarning",
    "cache_directory",
    "directory_lock",
    "install",
    "source_digest",
    "with_threading_start",
]

#: The directory of the kernel sources whose functions this cache serves.
KERNELS_DIR = Path(__file__).resolve().parent

#: The directory chosen by :func:`install` (None: no cache).
CACHE_DIRECTORY: Path | None = None
#: The digest of the kernel sources, computed once at import.
DIGEST = ""


class KernelCacheWarning(RuntimeWarning):
    """Compiled kernels cannot be cached where they normally are."""


def package_version() -> str:
    """The installed version of rlfoundations (``"unknown"`` when not installed)."""
    try:
        return metadata.version("rlfoundations")
    except metadata.PackageNotFoundError:
        return "unknown"


def source_digest(kernels_dir: Path = KERNELS_DIR) -> str:
    """A digest of every kernel source, the package version and Numba's version."""
    digest = hashlib.sha256()
    for part in (package_version(), numba.__version__, sys.version):
        digest.update(part.encode() + b"\0")
    for path in sorted(kernels_dir.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def user_cache_home() -> Path:
    """The per-user cache directory of this platform."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"


def writable(path: Path) -> bool:
    """Whether ``path`` exists (or can be made) and a file can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except (OSError, RuntimeError):
        return False
    return True


def private_temporary(digest: str) -> Path | None:
    """``<tmp>/rlfoundations-numba-<uid>/<digest>``, if it is ours and no one else can write it
    (cached kernels are loaded with pickle: a directory others can write is not safe)."""
    try:
        base = Path(tempfile.gettempdir()) / f"rlfoundations-numba-{os.getuid()}"
        base.mkdir(mode=0o700, exist_ok=True)
        status = base.stat()
    except (OSError, AttributeError):  # AttributeError: no os.getuid (Windows)
        return None
    if status.st_uid != os.getuid() or status.st_mode & 0o022:
        return None
    path = base / digest
    return path if writable(path) else None


def cache_directory(digest: str, candidates: list[Path] | None = None):
    """(directory, warning message or None): the first writable candidate, else a private
    temporary directory (with a message), else None (with a message)."""
    if candidates is None:
        candidates = []
        if config.CACHE_DIR:
            candidates.append(Path(config.CACHE_DIR) / f"rlfoundations-{digest}")
        candidates.append(KERNELS_DIR / "__pycache__" / f"rlfoundations-{digest}")
        candidates.append(user_cache_home() / "rlfoundations" / digest)
        temporary = private_temporary(digest)
    else:
        temporary = None
    for path in candidates:
        if writable(path):
            return path, None
    tried = ", ".join(str(path) for path in candidates)
    if temporary is not None:
        return temporary, (
            f"rlfoundations: no writable cache directory for compiled kernels (tried {tried}); "
            f"caching them in {temporary}, which lasts as long as the temporary directory. "
            f"Set NUMBA_CACHE_DIR to a writable directory to keep them."
        )
    return None, (
        f"rlfoundations: no writable cache directory for compiled kernels (tried {tried} and "
        f"the temporary directory); kernels compile anew in every process (seconds per "
        f"kernel). Set NUMBA_CACHE_DIR to a writable directory to cache them."
    )


class KernelCacheLocator(caching._CacheLocator):
    """Numba cache locator of the functions defined in ``_kernels/``: one directory keyed on
    :func:`source_digest`, the digest also being every entry's source stamp."""

    def __init__(self, py_func, py_file) -> None:
        self._lineno = py_func.__code__.co_firstlineno

    def get_cache_path(self) -> str:
        return str(CACHE_DIRECTORY)

    def get_source_stamp(self) -> str:
        return DIGEST

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if CACHE_DIRECTORY is None or Path(py_file).resolve().parent != KERNELS_DIR:
            return None
        return cls(py_func, py_file)


#: In-tree caches of other sources older than this are removed (they can never be used again
#: by this tree, and a branch switched back to within the hour keeps its kernels).
STALE_SECONDS = 3600.0


def prune_stale(directory: Path, now: float | None = None) -> list[Path]:
    """Remove the ``rlfoundations-*`` siblings of ``directory`` (caches of older sources)
    not modified for :data:`STALE_SECONDS`; returns what was removed. Only for the in-tree
    location, whose siblings belong to the same tree; errors are ignored (a process that
    still uses a removed directory recreates it when it saves)."""
    now = time.time() if now is None else now
    removed = []
    for sibling in directory.parent.glob("rlfoundations-*"):
        try:
            if sibling == directory or now - sibling.stat().st_mtime < STALE_SECONDS:
                continue
            shutil.rmtree(sibling)
        except OSError:
            continue
        removed.append(sibling)
    return removed


#: The lock file of a cache directory (a sibling of the entries, never removed while in use).
LOCK_NAME = ".lock"


@contextlib.contextmanager
def directory_lock(directory: Path | str, exclusive: bool):
    """Hold the lock of cache ``directory``: exclusive to save an entry, shared to load one.

    An ``fcntl.flock`` on POSIX (``msvcrt.locking``, always exclusive, on Windows). Where the
    lock file cannot be opened (a read-only directory, which nothing can save to either) the
    body runs unlocked.
    """
    try:
        handle = open(Path(directory) / LOCK_NAME, "a+b")  # held across the yield
    except OSError:
        yield
        return
    with handle:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            return
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


#: The symbols Numba registers when it starts its threading layer
#: (``numba.np.ufunc.parallel._launch_threads``): machine code that calls one of them cannot
#: be linked, or runs into a null call, before the layer is started.
THREADING_SYMBOLS = (
    b"numba_parallel_for",
    b"do_scheduling_signed",
    b"do_scheduling_unsigned",
    b"allocate_sched",
    b"deallocate_sched",
    b"get_num_threads",
    b"set_num_threads",
    b"get_thread_id",
    b"get_sched_size",
    b"set_parallel_chunksize",
    b"get_parallel_chunksize",
)


def with_threading_start(data):
    """``data``, a cache entry about to be saved, given Numba's hook that starts the
    threading layer when the entry is loaded, if its machine code calls that layer and the
    hook is missing; any other entry unchanged.

    The entry is Numba's reduced compile result, ``(library, fndesc, environment, signature,
    objectmode, lifted, type annotation, reload_init, environments)`` with the library as
    ``(name, "object", (object code, bitcode))``. The hook goes missing when the entry's
    function was compiled in a process that loaded its parallel callee from the cache (Numba
    does not restore a loaded library's hooks, so its callers inherit none): loading such an
    entry first in a fresh process crashed it (numba/numba#8578, #9938).
    """
    try:
        library, reload_init = data[0], list(data[7] or ())
        _, kind, (object_code, _) = library
    except (TypeError, ValueError, IndexError, KeyError):
        return data
    if kind != "object" or not isinstance(object_code, bytes):
        return data
    from numba.core.typed_passes import _reload_parfors

    if _reload_parfors in reload_init:
        return data
    if not any(symbol in object_code for symbol in THREADING_SYMBOLS):
        return data
    return (*data[:7], [*reload_init, _reload_parfors], *data[8:])


def _ours(cache_file) -> bool:
    directory = CACHE_DIRECTORY
    return directory is not None and Path(cache_file._cache_path) == directory


def _locking(method, exclusive: bool):
    def locked(self, *args, **kwargs):
        if not _ours(self):
            return method(self, *args, **kwargs)
        with directory_lock(self._cache_path, exclusive):
            return method(self, *args, **kwargs)

    locked.__wrapped__ = method  # type: ignore[attr-defined]
    locked.rlfoundations_lock = True  # type: ignore[attr-defined]
    return locked


def _with_threading_hook(save):
    def checked(self, key, data):
        if _ours(self):
            data = with_threading_start(data)
        return save(self, key, data)

    checked.__wrapped__ = save  # type: ignore[attr-defined]
    return checked


def install_locks() -> None:
    """Make Numba's cache file of our directory save under the exclusive lock and load under
    the shared one, and save every entry :func:`with_threading_start` (once per process;
    other functions' caches are left as Numba has them)."""
    cache_file = caching.IndexDataCacheFile
    for name, exclusive in (("save", True), ("load", False)):
        method = getattr(cache_file, name)
        if not getattr(method, "rlfoundations_lock", False):
            if name == "save":
                method = _with_threading_hook(method)
            setattr(cache_file, name, _locking(method, exclusive))


def install() -> bool:
    """Choose the cache directory and register the locator; whether kernels are cached."""
    global CACHE_DIRECTORY, DIGEST
    DIGEST = source_digest()
    directory, message = cache_directory(DIGEST)
    if message is not None:
        warnings.warn(message, KernelCacheWarning, stacklevel=3)
    if directory is None:
        return False
    CACHE_DIRECTORY = directory
    if directory.parent == KERNELS_DIR / "__pycache__":
        prune_stale(directory)
    implementation = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    if KernelCacheLocator not in implementation._locator_classes:
        implementation._locator_classes.insert(0, KernelCacheLocator)
    install_locks()
    return True
