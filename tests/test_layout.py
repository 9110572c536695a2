"""The house rules of STYLE.md, checked on the source: imports, twins, kernel decorators;
and the kernels' block layout of a model.

The checks read every module of the package as it is on disk (new ``_kernels/*.py``
modules included, with no edit here).
"""

from __future__ import annotations

import ast
import gc
import importlib
import inspect
import weakref
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import reference
from rlfoundations._kernels import _jit, lanes, layout
from strategies import tabular_mdps

PACKAGE = Path(rlf.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))

#: The kernel modules that set Numba up rather than hold kernels: their functions are plain
#: Python by construction (the cache locator and the deferred BLAS probe run before any
#: decorator exists).
KERNEL_INFRASTRUCTURE = {"__init__.py", "_jit.py", "_cache.py", "_blas.py"}
#: The decorators a function in ``_kernels/`` may carry: those ``_jit.py`` exports.
KERNEL_DECORATORS = set(_jit.__all__) - {"prange"}
#: Names that compile code; outside ``_jit.py`` no kernel module may use them directly.
NUMBA_COMPILERS = {"njit", "jit", "intrinsic", "generated_jit", "vectorize", "guvectorize"}

#: Known breaches in other engineers' files, to lift when fixed (strict: a fix turns red).
KNOWN_BREACHES: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = ("rlfoundations", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) of every import in ``path``, anywhere in it."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return found


def is_submodule(package: str, name: str) -> bool:
    directory = PACKAGE.parent.joinpath(*package.split("."))
    return (directory / f"{name}.py").exists() or (directory / name / "__init__.py").exists()


def params(paths, breaches: dict | None = None) -> list:
    found = []
    for path in paths:
        marks = []
        if breaches and relative(path) in breaches:
            marks = [pytest.mark.xfail(reason=breaches[relative(path)], strict=True)]
        found.append(pytest.param(path, id=relative(path), marks=marks))
    return found


KERNEL_MODULES = [p for p in MODULES if p.parent.name == "_kernels"]
REFERENCE_MODULES = [p for p in MODULES if p.parent.name == "reference"]
INSIDE_MODULES = [p for p in MODULES if p != PACKAGE / "__init__.py"]


# -- import rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", params(KERNEL_MODULES))
def test_kernel_modules_import_nothing_above_the_kernels(path):
    got = [
        (module, line)
        for module, _, line in imports(path)
        if module.split(".")[0] == "rlfoundations"
        and not module.startswith("rlfoundations._kernels")
    ]
    assert got == []


@pytest.mark.parametrize("path", params(REFERENCE_MODULES))
def test_reference_twins_import_no_kernels_and_no_numba(path):
    got = [
        (module, line)
        for module, names, line in imports(path)
        if module.startswith(("rlfoundations._kernels", "numba"))
        or (module == "rlfoundations" and "_kernels" in names)
    ]
    assert got == []


@pytest.mark.parametrize("path", params(INSIDE_MODULES, KNOWN_BREACHES))
def test_nothing_inside_the_package_imports_its_init(path):
    got = []
    for module, names, line in imports(path):
        if module == "rlfoundations" and not names:
            got.append(("import rlfoundations", line))
        elif module == "rlfoundations":
            got.extend(
                (f"from rlfoundations import {name}", line)
                for name in names
                if not is_submodule("rlfoundations", name)
            )
    assert got == []


def test_persistence_reads_the_version_from_importlib_metadata():
    got = {module for module, _, _ in imports(PACKAGE / "persistence.py")}
    assert "importlib.metadata" in got or any(
        module == "importlib" and "metadata" in names
        for module, names, _ in imports(PACKAGE / "persistence.py")
    )


# -- twins ---------------------------------------------------------------------------------------
def kernel_backed(path: Path) -> set[str]:
    """Public functions of ``path`` that reach, directly or through the module's own
    functions, a name imported from ``rlfoundations._kernels``."""
    tree = ast.parse(path.read_text())
    kernel_names = set()
    for module, names, _ in imports(path):
        if module.startswith("rlfoundations._kernels"):
            kernel_names.update(names)
        elif module == "rlfoundations" and "_kernels" in names:
            kernel_names.add("_kernels")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            kernel_names.update(
                alias.asname for alias in node.names if alias.asname and alias.name in kernel_names
            )
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    uses = {
        name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name, node in functions.items()
    }
    backed = {name for name, used in uses.items() if used & kernel_names}
    changed = True
    while changed:
        changed = False
        for name, used in uses.items():
            if name not in backed and used & backed:
                backed.add(name)
                changed = True
    public = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            public = set(ast.literal_eval(node.value))
    return backed & public


PUBLIC_MODULES = [
    p for p in MODULES if p.parent == PACKAGE and not p.name.startswith("_") and kernel_backed(p)
]
#: Kernel-backed public functions that have no twin yet (other engineers' files).
MISSING_TWINS: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(reason=MISSING_TWINS[name], strict=True)]
            if name in MISSING_TWINS
            else [],
        )
        for path in PUBLIC_MODULES
        for name in sorted(kernel_backed(path))
    ],
)
def test_every_kernel_backed_public_function_has_a_same_named_twin(name):
    assert callable(getattr(reference, name, None))


def test_the_planning_solvers_are_found_kernel_backed():
    got = kernel_backed(PACKAGE / "planning.py")
    expected = set(rlf.planning.__all__)
    assert got == expected


# -- kernel decorators ---------------------------------------------------------------------------
def decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


@pytest.mark.parametrize(
    "path", params(p for p in KERNEL_MODULES if p.name not in KERNEL_INFRASTRUCTURE)
)
def test_every_kernel_module_function_carries_a_decorator_of_jit(path):
    tree = ast.parse(path.read_text())
    from_jit = {
        name
        for module, names, _ in imports(path)
        if module == "rlfoundations._kernels._jit"
        for name in names
    }
    got = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not any(decorator_name(d) in KERNEL_DECORATORS & from_jit for d in node.decorator_list)
    ]
    assert got == []


@pytest.mark.parametrize(
    "path", params(p for p in KERNEL_MODULES if p.name not in KERNEL_INFRASTRUCTURE)
)
def test_kernel_modules_compile_only_through_jit(path):
    tree = ast.parse(path.read_text())
    got = sorted(
        {
            name
            for node in ast.walk(tree)
            for name in [
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            ]
            if name in NUMBA_COMPILERS
        }
    )
    assert got == []


# -- LANES -----------------------------------------------------------------------------------------
def test_lanes_is_defined_once_in_lanes_py():
    got = [
        relative(path)
        for path in MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "LANES" for t in node.targets)
    ]
    assert got == ["_kernels/lanes.py"]
    assert layout.LANES is lanes.LANES


# -- the block layout ---------------------------------------------------------------------------
@given(mdp=tabular_mdps(max_states=20))
def test_block_layout_holds_state_s_in_lane_s_mod_8_padded_with_the_last_state(mdp):
    successor, continue_prob, reward = layout.kernel_model(mdp)
    n_blocks = -(-mdp.n_states // lanes.LANES)
    padded = np.minimum(np.arange(n_blocks * lanes.LANES), mdp.n_states - 1)
    states = np.arange(n_blocks * lanes.LANES)
    block, lane = states // lanes.LANES, states % lanes.LANES
    np.testing.assert_array_equal(successor[block, :, :, lane], mdp.next_state[padded])
    np.testing.assert_array_equal(continue_prob[block, :, :, lane], mdp.continue_prob[padded])
    np.testing.assert_array_equal(reward[block, :, lane], mdp.expected_reward[padded])
    assert successor.dtype == np.int32


def test_block_layout_is_built_once_per_model():
    mdp = rlf.from_env("FrozenLake-v1")
    assert layout.kernel_model(mdp) is layout.kernel_model(mdp)


def test_block_layout_goes_with_its_model():
    mdp = rlf.TabularMDP.from_dense([[[1.0]]], [[1.0]])
    blocks = weakref.ref(layout.kernel_model(mdp)[0])
    del mdp
    gc.collect()
    assert blocks() is None


def test_the_model_holds_no_kernel_layout():
    mdp = rlf.from_env("FrozenLake-v1")
    rlf.value_iteration(mdp, 0.9)
    got = [name for name in (*vars(mdp), *dir(type(mdp))) if "block" in name]
    assert got == []


# -- typed public signatures (STYLE.md: "Public functions: type hints") ---------------------------
#: Modules whose ``__all__`` is public API: every module of the package outside ``_``-named
#: modules and packages (the kernels, the CLI's helpers).
PUBLIC_MODULES = tuple(
    module_name(path)
    for path in MODULES
    if not any(part.startswith("_") for part in path.relative_to(PACKAGE).parts[:-1])
    and (path.name == "__init__.py" or not path.name.startswith("_"))
)
#: Signatures the learners branch annotates (issue 11): strict, so a fix turns red.
LEARNERS = ("q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q", "reinforce")
UNTYPED_LEARNER_SIGNATURES: set[str] = set()


def public_callables() -> dict[str, object]:
    """Every public function, and every public method of a public class, by qualified name."""
    found: dict[str, object] = {}
    for module_path in PUBLIC_MODULES:
        module = importlib.import_module(module_path)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not getattr(obj, "__module__", "").startswith("rlfoundations"):
                continue
            if inspect.isfunction(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
            elif inspect.isclass(obj):
                for attribute, value in vars(obj).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    function = value.fget if isinstance(value, property) else value
                    function = getattr(function, "__func__", function)
                    if inspect.isfunction(function):
                        found.setdefault(f"{obj.__module__}.{function.__qualname__}", function)
    return found


def missing_annotations(function) -> list[str]:
    signature = inspect.signature(function)
    got = [
        name
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        got.append("return")
    return got


def typed_params() -> list:
    params = []
    for qualified, function in sorted(public_callables().items()):
        marks = ()
        if qualified in UNTYPED_LEARNER_SIGNATURES:
            reason = "annotated by the learners branch (issue 11 item 10)"
            marks = (pytest.mark.xfail(reason=reason, strict=True),)
        params.append(pytest.param(function, id=qualified, marks=marks))
    return params


@pytest.mark.parametrize("function", typed_params())
def test_public_signature_is_fully_annotated(function):
    assert missing_annotations(function) == []


def test_public_signatures_are_found():
    got = public_callables()
    assert "rlfoundations.planning.value_iteration" in got
    assert "rlfoundations.mdp.TabularMDP.from_dense" in got
    assert "rlfoundations.compare.iqm" in got


def blocks_by_concatenation(array: np.ndarray) -> np.ndarray:
    """The block layout written the obvious way: pad, reshape, move the lane axis last."""
    n_blocks = -(-array.shape[0] // lanes.LANES)
    padding = n_blocks * lanes.LANES - array.shape[0]
    padded = np.concatenate([array, np.repeat(array[-1:], padding, axis=0)])
    return np.moveaxis(padded.reshape(n_blocks, lanes.LANES, *array.shape[1:]), 1, -1)


@pytest.mark.parametrize("n_states", [8 * 12_500, 8 * 12_500 + 5])
def test_block_layout_is_written_in_place_with_the_same_bits(n_states):
    import tracemalloc

    rng = np.random.default_rng(n_states)
    shape = (n_states, 4, 3)
    next_state = rng.integers(0, n_states, size=shape)
    prob = rng.random(shape)
    terminated = rng.random(shape) < 0.1
    expected_reward = rng.normal(size=shape[:2])
    mask = rng.random(shape[:2]) < 0.9
    mask[:, 0] = True
    tracemalloc.start()
    try:
        got = layout.build_kernel_model(next_state, prob, terminated, expected_reward, mask)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = (
        blocks_by_concatenation(next_state.astype(np.int32)),
        blocks_by_concatenation(np.where(terminated, 0.0, prob)),
        blocks_by_concatenation(np.where(mask, expected_reward, -np.inf)),
    )
    for array, want in zip(got, expected, strict=True):
        assert array.dtype == want.dtype and array.flags.c_contiguous and array.flags.writeable
        np.testing.assert_array_equal(
            array.view(np.uint8), np.ascontiguousarray(want).view(np.uint8)
        )
    # The three arrays, the termination flags in blocks (1 byte a slot, dropped) and the
    # (S, A) masked rewards; a cast, padded or transposed (S, A, K) copy would add >= 4 bytes
    # a slot (1.2 MB here).
    own = sum(array.nbytes for array in got)
    assert peak < own + terminated.size + expected_reward.nbytes + (1 << 18)


def test_reward_scales_are_the_largest_rewards_of_possible_allowed_outcomes():
    import tracemalloc

    arrays = {
        "next_state": np.zeros((50_000, 4, 3), dtype=np.int64),
        "prob": np.tile([0.5, 0.5, 0.0], (50_000, 4, 1)),
        "reward": np.random.default_rng(0).normal(size=(50_000, 4, 3)),
        "terminated": np.zeros((50_000, 4, 3), dtype=bool),
        "initial": np.full(50_000, 1 / 50_000),
    }
    arrays["reward"][17, 2, 2] = 1e6  # probability 0: not a term of any backup
    arrays["reward"][23, 3, 0] = -40.0  # masked below
    arrays["reward"][29, 1, 1] = 30.0
    mask = np.ones((50_000, 4), dtype=bool)
    mask[23, 3] = False
    mdp = rlf.TabularMDP(**arrays, action_mask=mask)
    tracemalloc.start()
    try:
        got = layout.reward_scales(mdp)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected_reward = (arrays["prob"] * arrays["reward"]).sum(axis=2)
    assert got == (30.0, float(np.abs(expected_reward[mask]).max()))
    # A few (S, A) temporaries, the expected rewards among them (computed here, not cached
    # on the model); no (S, A, K) one.
    assert peak < 3 * 8 * 50_000 * 4
