"""The exceptions a caller's own input causes, apart from the library's bugs.

Every check of a public argument raises :class:`InvalidValueError` (a ``ValueError``) or
:class:`InvalidTypeError` (a ``TypeError``): code written against ``ValueError`` and
``TypeError`` keeps working, and the command line can tell a user's mistake (one line on
stderr, exit status 2) from a defect of the library (a traceback).
"""

from __future__ import annotations

__all__ = ["InvalidTypeError", "InvalidValueError", "UserError"]


class UserError(Exception):
    """Base of the errors caused by the caller's input, never by a bug of the library."""


class InvalidValueError(UserError, ValueError):
    """An argument has the right kind but a bad value; the message names it and the value."""


class InvalidTypeError(UserError, TypeError):
    """An argument is the wrong kind of thing; the message names it and what was given."""
