"""The README's and the docs' Python examples run as written, and the docs site builds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples():
    # The README's examples run on every commit; the docs pages' (a few minutes together)
    # are marked slow: make test-slow and CI run them.
    for page in PAGES:
        marks = () if page.name == "README.md" else pytest.mark.slow
        for number, block in enumerate(FENCE.findall(page.read_text()), start=1):
            yield pytest.param(block, id=f"{page.relative_to(ROOT)}-{number}", marks=marks)


#: An example with this guard is a script (it starts processes): it runs as one.
SCRIPT_GUARD = 'if __name__ == "__main__":'


def is_script(code: str) -> bool:
    return SCRIPT_GUARD in code


@pytest.mark.parametrize("code", [p for p in examples() if not is_script(p.values[0])])
def test_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "<example>", "exec"), {"__name__": "__main__"})


@pytest.mark.parametrize("code", [p for p in examples() if is_script(p.values[0])])
def test_script_example_runs_as_a_script(code, tmp_path):
    # As a reader runs it: python file.py, in a fresh interpreter, from another directory.
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_distributed_example_is_a_script():
    page = (ROOT / "docs" / "distributed.md").read_text()
    assert any(is_script(code) for code in FENCE.findall(page))


@pytest.mark.slow
def test_docs_site_builds_in_strict_mode(tmp_path):
    # Strict: a broken link, a missing page or a docstring mkdocstrings cannot parse fails.
    pytest.importorskip("mkdocs")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    api = (tmp_path / "site" / "reference" / "planning" / "index.html").read_text()
    assert "value_iteration" in api
    assert ":func:" not in api
