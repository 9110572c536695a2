"""MkDocs hook: drop Sphinx cross-reference roles from rendered docstrings.

The docstrings follow numpydoc and write ``:func:`name```, which Sphinx links; mkdocstrings
renders the role's name as text before the code span. This removes that prefix.
"""

import re

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):(?=<code>)")


def on_page_content(html, **kwargs):
    return ROLE.sub("", html)
