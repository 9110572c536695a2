"""The command line's side of the problems.

``rlfoundations solve forest --param S=10`` and ``rlfoundations problems``. ``rlfoundations/cli.py``
calls these; the logic lives here.
"""

from __future__ import annotations

import ast

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems import CATALOG, env_id, get_problem

__all__ = ["describe_problems", "model_for", "parse_params", "problems_command"]


def parse_params(pairs) -> dict:
    """``--param`` values as keyword arguments.

    As in ``["S=10", "p=0.2", "king_moves=True", "demand=(0.25, 0.5, 0.25)"]``: each value read as a
    Python literal (int, float, bool, None, tuple), else kept as a string.

    Examples
    --------
    >>> parse_params(["S=10", "p=0.2", "king_moves=True"])
    {'S': 10, 'p': 0.2, 'king_moves': True}
    """
    params = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InvalidValueError(f"--param expects KEY=VALUE, got {pair!r}")
        if key in params:
            raise InvalidValueError(f"--param {key} is given twice")
        try:
            params[key] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            params[key] = text.strip()
    return params


def model_for(target: str, pairs=None) -> TabularMDP:
    """The model a command works on: a problem, or else the model of an env id.

    The problem called ``target`` built with ``--param`` values, or else the model of the env id
    ``target`` (:func:`rlfoundations.from_env`).

    Examples
    --------
    >>> model_for("forest", ["S=10"]).n_states
    10
    """
    params = parse_params(pairs)
    if target in CATALOG:
        function = get_problem(target)
        try:
            return function(**params)
        except TypeError as error:
            if "unexpected keyword" in str(error):
                raise InvalidValueError(
                    f"{target} has no parameter {error.args[0].split()[-1]}; see "
                    f"help(rlfoundations.problems.{target})"
                ) from None
            raise
    if params:
        raise InvalidValueError(
            f"--param only applies to a problem by name (rlfoundations problems lists them), "
            f"not to the env id {target!r}"
        )
    from rlfoundations.extract import from_env

    return from_env(target)


def env_for(target: str, pairs=None) -> tuple[str, dict]:
    """The env id and make kwargs of ``target`` (a problem name or an env id)."""
    if target in CATALOG:
        return env_id(target), parse_params(pairs)
    return target, {}


def describe_problems() -> str:
    """One line per problem: its name, registered env id and what it is."""
    width = max(map(len, CATALOG))
    id_width = max(len(env_id(name)) for name in CATALOG)
    return "\n".join(
        f"{name:<{width}}  {env_id(name):<{id_width}}  {entry.summary}"
        for name, entry in CATALOG.items()
    )


def problems_command(args=None) -> int:
    """``rlfoundations problems``: print :func:`describe_problems`."""
    print(describe_problems())
    return 0
