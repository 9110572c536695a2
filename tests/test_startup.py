"""Start-up: the lazy public API (PEP 562) and what a process imports and compiles.

``import rlfoundations`` imports a public name's module only when the name is first used; these
tests check that the lazy API is the eager one (the same names, each resolving, ``dir`` and
``import *`` included), that importing the package loads neither Numba nor the heavy optional
libraries, and that a small solve loads only the kernels it calls. No timing here: the figures
are in ``benchmarks/bench_planning.py --startup``.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import types
from pathlib import Path

import rlfoundations as rlf
from rlfoundations._kernels import _blas

INIT = Path(rlf.__file__)
#: Never imported by ``import rlfoundations`` or by a plain solve.
HEAVY = ("matplotlib", "pandas", "dask", "networkx", "PIL", "pygame")


def imported_after(code: str) -> set[str]:
    """The top-level packages in ``sys.modules`` of a fresh interpreter after ``code``."""
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(done.stdout.splitlines()[-1].split())


def test_all_is_every_public_name_and_the_version():
    assert sorted(rlf.__all__) == sorted([*rlf.PUBLIC, "__version__"])
    assert len(set(rlf.__all__)) == len(rlf.__all__)


def test_every_public_name_resolves_to_the_object_of_its_module():
    for name, module_name in rlf.PUBLIC.items():
        got = getattr(rlf, name)
        module = sys.modules[module_name]
        submodule = module_name == f"rlfoundations.{name}" and not hasattr(module, name)
        expected = module if submodule else getattr(module, name)
        assert got is expected, name


def test_a_public_function_is_not_shadowed_by_its_module_of_the_same_name():
    assert inspect.isfunction(rlf.compare)
    assert inspect.isfunction(rlf.explain)
    assert isinstance(rlf.envs, types.ModuleType)
    assert isinstance(rlf.problems, types.ModuleType)


def test_dir_lists_every_public_name():
    assert set(rlf.__all__) <= set(dir(rlf))


def test_star_import_binds_exactly_all():
    namespace: dict[str, object] = {}
    exec("from rlfoundations import *", namespace)
    del namespace["__builtins__"]
    assert sorted(namespace) == sorted(rlf.__all__)


def test_an_unknown_name_is_an_attribute_error_naming_it():
    try:
        rlf.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("rlf.no_such_name resolved")


def test_submodules_resolve_as_attributes():
    assert rlf.planning.value_iteration is rlf.value_iteration


def test_type_checkers_see_the_same_names_as_the_table():
    tree = ast.parse(INIT.read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    seen = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    eager = {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    # The submodules (``from rlfoundations import envs``) and the names bound eagerly.
    got = {
        name: f"{module}.{name}" if module == "rlfoundations" else module
        for name, module in {**seen, **eager}.items()
        if name not in ("TYPE_CHECKING", "Any")
    }
    assert got == rlf.PUBLIC


def test_import_loads_neither_numba_nor_a_heavy_library():
    got = imported_after("import rlfoundations")
    assert {"numba", "scipy", "llvmlite", *HEAVY} & got == set()
    assert "gymnasium" in got  # the envs are registered on import


def test_importing_a_module_named_like_its_function_keeps_the_function():
    got = subprocess.run(
        [
            sys.executable,
            "-c",
            "import rlfoundations.compare, rlfoundations.explain, rlfoundations as rlf; "
            "print(callable(rlf.compare) and callable(rlf.explain) and rlf.compare.__name__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert got == ["compare"]


def test_a_solve_imports_no_heavy_library():
    got = imported_after(
        "import rlfoundations as rlf; rlf.value_iteration(rlf.problems.forest(), 0.9)"
    )
    assert "numba" in got
    assert set(HEAVY) & got == set()
    assert "scipy.linalg" not in got  # Numba's BLAS probe is deferred (_kernels/_blas.py)


def test_the_deferred_blas_probe_gives_numba_the_answer_of_its_own():
    got = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util, numba, numpy as np, rlfoundations as rlf\n"
            "rlf.value_iteration(rlf.problems.forest(), 0.9)\n"
            "from numba.np import arraymath\n"
            "convolve = numba.njit(lambda a, b: np.convolve(a, b))\n"
            "a, b = np.linspace(0.1, 1.0, 7), np.linspace(-1.0, 2.0, 4)\n"
            "print(np.array_equal(convolve(a, b), np.convolve(a, b)),\n"
            "      bool(arraymath._HAVE_BLAS) == bool(importlib.util.find_spec('scipy')))\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert got == ["True", "True"]


def test_a_deferred_probe_is_asked_once_and_only_when_read():
    calls = []

    def missing() -> None:
        calls.append(1)
        raise ImportError("no BLAS")

    probe = _blas.DeferredProbe(missing)
    assert calls == []
    assert not probe
    assert not probe
    assert calls == [1]
    assert bool(_blas.DeferredProbe(lambda: None)) is True


def test_the_command_line_loads_numba_only_for_a_command_that_computes():
    listing = (
        "import contextlib, io\n"
        "from rlfoundations import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['problems']) == 0\n"
    )
    assert "numba" not in imported_after(listing)
    solving = "from rlfoundations import cli\nassert cli.main(['solve', 'forest']) == 0\n"
    got = imported_after(solving)
    assert "numba" in got
    assert set(HEAVY) & got == set()


def threads_started_after(code: str) -> bool:
    """Whether Numba's threading layer was started in a fresh interpreter after ``code``
    (loading or compiling a parallel kernel starts it)."""
    script = f"{code}\nimport numba.np.ufunc.parallel as p\nprint(p._is_initialized)"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()[-1] == "True"


def test_a_small_solve_never_loads_the_parallel_sweep():
    # forest() sweeps on the ragged layout (1 and 2 outcomes), FrozenLake on the padded one.
    assert not threads_started_after(
        "import rlfoundations as rlf\n"
        "from rlfoundations._kernels import layout, ragged\n"
        "forest, lake = rlf.problems.forest(), rlf.from_env('FrozenLake-v1')\n"
        "assert isinstance(layout.kernel_model(forest, ragged=True), ragged.RaggedModel)\n"
        "assert not isinstance(layout.kernel_model(lake, ragged=True), ragged.RaggedModel)\n"
        "for mdp in (forest, lake):\n"
        "    rlf.value_iteration(mdp, 0.9)\n"
        "    rlf.value_iteration(mdp, 0.9, gauss_seidel=True)\n"
    )


def test_forced_parallel_sweeps_do_load_the_parallel_sweep():
    assert threads_started_after(
        "import numpy as np, rlfoundations as rlf\n"
        "from rlfoundations._kernels import drivers\n"
        "from rlfoundations._kernels.layout import kernel_model\n"
        "mdp = rlf.problems.forest()\n"
        "drivers.value_iteration(\n"
        "    kernel_model(mdp), 0.9, 1e-6, True, True, False, 10, np.zeros(mdp.n_states),\n"
        "    parallel=True,\n"
        ")\n"
    )
