"""MkDocs hook: the tutorial notebooks' links and images, pointed where the site has them.

A notebook's Markdown is its tutorial page's (docs/tutorial/X.md), whose relative links
(``q-learning.md#...``, ``../img/x.png``) mkdocs rewrites for the page but not inside the
HTML mkdocs-jupyter renders at docs/notebooks/X.ipynb. Here they are resolved from the
tutorial directory: a link to a paired tutorial page goes to its notebook, any other page to
its site URL, an image to its file.
"""

import posixpath
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LINK = re.compile(r'(href|src)="(?!https?:|mailto:|#|/)([^"#]*\.md|\.\./img/[^"#]*)(#[^"]*)?"')


def site_target(target: str, page_stem: str, notebooks: set[str]) -> str:
    """The URL, relative to the notebook page ``notebooks/<page_stem>/``, of ``target`` as
    written in the tutorial page."""
    path = posixpath.normpath(posixpath.join("tutorial", target))
    if path.endswith(".md"):
        stem = path[: -len(".md")]
        name = posixpath.basename(stem)
        if posixpath.dirname(stem) == "tutorial" and name in notebooks:
            url = f"notebooks/{name}/"
        elif name == "index":
            url = posixpath.dirname(stem) + "/"
        else:
            url = stem + "/"
    else:
        url = path
    relative = posixpath.relpath(url, f"notebooks/{page_stem}")
    return relative + "/" if url.endswith("/") and not relative.endswith("/") else relative


def on_page_content(html, page, **kwargs):
    source = page.file.src_uri
    if not (source.startswith("notebooks/") and source.endswith(".ipynb")):
        return html
    stem = posixpath.basename(source)[: -len(".ipynb")]
    notebooks = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}

    def fix(match):
        attribute, target, anchor = match.group(1), match.group(2), match.group(3) or ""
        return f'{attribute}="{site_target(target, stem, notebooks)}{anchor}"'

    return LINK.sub(fix, html)
