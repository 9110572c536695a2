"""The tutorial notebooks: paired with their pages, and executed so they cannot rot.

Every tutorial page with Python in it (docs/tutorial/X.md, the source of truth) has a jupytext
pair, docs/notebooks/X.ipynb (docs/jupytext.toml; ``make notebooks`` refreshes them). Here each
notebook must hold the cells jupytext reads from its page, and must run top to bottom in a
fresh kernel, as a reader would run it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    page for page in (ROOT / "docs" / "tutorial").glob("*.md") if "```python" in page.read_text()
)
#: Seconds a notebook may take (a cold kernel compiles every kernel it calls).
TIMEOUT = 600


def notebook_of(page: Path) -> Path:
    return ROOT / "docs" / "notebooks" / f"{page.stem}.ipynb"


def cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_every_tutorial_page_with_code_has_a_notebook():
    missing = [page.name for page in PAGES if not notebook_of(page).exists()]
    assert missing == []


def test_every_notebook_has_a_tutorial_page():
    pages = {page.stem for page in PAGES}
    orphans = [
        nb.name for nb in (ROOT / "docs" / "notebooks").glob("*.ipynb") if nb.stem not in pages
    ]
    assert orphans == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_notebook_holds_the_cells_of_its_page(page):
    got = cells(nbformat.read(notebook_of(page), as_version=4))
    expected = cells(jupytext.read(page, fmt="md"))
    assert got == expected, f"run `make notebooks` to refresh {notebook_of(page).name}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(page, tmp_path, monkeypatch):
    # The kernel inherits the environment: its `%%sh` cells must find this Python first, as
    # a reader's shell finds the one rlfoundations is installed in; pictures go to no screen.
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(notebook_of(page), as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []


def load_link_hook():
    spec = importlib.util.spec_from_file_location(
        "notebook_links", ROOT / "docs" / "_hooks" / "notebook_links.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("q-learning.md", "../q-learning/", id="paired-page-to-its-notebook"),
        pytest.param("../rick.md", "../../rick/", id="other-page-to-its-url"),
        pytest.param("../howto/compare-learners.md", "../../howto/compare-learners/", id="howto"),
        pytest.param("index.md", "../../tutorial/", id="index-page"),
        pytest.param("../img/rick_values.png", "../../img/rick_values.png", id="image"),
    ],
)
def test_notebook_page_links_point_where_the_site_has_them(target, expected):
    hook = load_link_hook()
    assert hook.site_target(target, "rick", {"rick", "q-learning"}) == expected
