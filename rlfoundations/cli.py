"""The command line: ``rlfoundations`` (also ``python -m rlfoundations``).

- ``solve ENV``: solve a discrete env exactly, print the optimal mean return, save the policy;
  ``--criterion finite`` (with ``--horizon``) or ``average`` for the other criteria;
- ``train ENV``: learn by trial and error over seeds, with a progress bar, and print the gap
  to optimal (Ctrl-C keeps what was learned so far, and exits with status 130);
  ``--algo td-prediction`` / ``monte-carlo-prediction`` learn the values of ``--policy``
  (default: the optimal policy) and print their RMS error against the exact values;
  to optimal (Ctrl-C keeps what was learned so far, and exits with status 130); the
  average-reward learners (``--algo differential-q-learning``, ``differential-sarsa``) take
  no ``--gamma`` and report the learned and exact gains against the optimal gain;
- ``play ENV``: run a policy in the real env, rendered as text (or recorded as a GIF);
- ``animate ENV``: the talk's value-iteration animation, as a GIF;
- ``bench``: run the benchmark scripts (offered in a source checkout only).
- ``problems``: list the problems of :mod:`rlfoundations.problems`, one line each (``solve
  forest --param S=10`` solves one by name).
- ``compare ENV``, ``explain ENV --state N``: see :mod:`rlfoundations._cli_data`.

A user mistake (an unknown env id, a non-discrete env, a bad flag value, a flag that does
nothing in the given combination, an output path that cannot be written, a file of another
env) is an :class:`~rlfoundations.errors.UserError`: one line on stderr naming the flag, exit
status 2, raised before any work. Anything else is a defect of the library and shows its
traceback. ``RLFOUNDATIONS_TRACEBACK=1`` shows the traceback of user errors too.

Adding a command: write ``_add_NAME(commands)`` (its flags) and ``NAME_command(args) -> int``
(its work, returning the exit status), and list both in :data:`COMMANDS`. Flags whose default
is ``None`` can be told apart from flags given (:func:`_given`), so a flag the command would
ignore can be refused.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from rlfoundations import _cli_data, _cli_regret
from rlfoundations.errors import InvalidValueError, UserError
from rlfoundations.extract import from_env, make
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems import CATALOG, env_id, get_problem
from rlfoundations.problems._cli import parse_params, problems_command
from rlfoundations.progress import ProgressBar, format_duration
from rlfoundations.results import (
    AverageRewardResult,
    FiniteHorizonResult,
    LearningResult,
    LinearProgrammingResult,
    PlanningResult,
    PredictionSweepResult,
    SoftResult,
)

__all__ = ["main"]


def _planning():
    """:mod:`rlfoundations.planning`, imported when a command first solves."""
    from rlfoundations import planning

    return planning


# The modules that load Numba (planning, policy, persistence, prediction, schedules, sweeps)
# are imported by the functions that use them: ``--help`` or ``problems`` loads no kernel.
METHODS = {
    "vi": ("value iteration", lambda mdp, gamma: _planning().value_iteration(mdp, gamma)),
    "gs": (
        "Gauss-Seidel value iteration",
        lambda mdp, gamma: _planning().value_iteration(mdp, gamma, gauss_seidel=True),
    ),
    "pi": ("policy iteration", lambda mdp, gamma: _planning().policy_iteration(mdp, gamma)),
    "mpi": (
        "modified policy iteration",
        lambda mdp, gamma: _planning().modified_policy_iteration(mdp, gamma),
    ),
}
ALGORITHMS = {
    "q-learning": "q_learning",
    "sarsa": "sarsa",
    "expected-sarsa": "expected_sarsa",
    "double-q": "double_q_learning",
    "dyna-q": "dyna_q",
    "reinforce": "reinforce",
    "monte-carlo-control": "monte_carlo_control",
    "sarsa-lambda": "sarsa_lambda",
    "watkins-q-lambda": "watkins_q_lambda",
    "n-step-sarsa": "n_step_sarsa",
    "n-step-tree-backup": "n_step_tree_backup",
    "q-sigma": "q_sigma",
    "prioritized-sweeping": "prioritized_sweeping",
    "differential-q-learning": "differential_q_learning",
    "differential-sarsa": "differential_sarsa",
}
#: ``train --algo`` names of the prediction learners: they learn the values of ``--policy``.
PREDICTION_ALGORITHMS = {
    "td-prediction": "td_prediction",
    "monte-carlo-prediction": "monte_carlo_prediction",
}
#: The CLI names of the average-reward learners (no --gamma; they take --eta).
AVERAGE_ALGORITHMS = ("differential-q-learning", "differential-sarsa")
#: The CLI names of the eligibility-trace learners (they take --lam and --trace).
TRACE_ALGORITHMS = ("sarsa-lambda", "watkins-q-lambda")
#: The CLI names of the n-step learners (they take --n).
NSTEP_ALGORITHMS = ("n-step-sarsa", "n-step-tree-backup", "q-sigma")
#: The CLI names of the learners that plan from a learned model (they take --planning-steps).
PLANNING_ALGORITHMS = ("dyna-q", "prioritized-sweeping")
#: Where the benchmark scripts live in a source checkout.
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
#: Values within this of the optimum count as optimal when ``train`` reports seeds.
OPTIMAL_TOLERANCE = 1e-6
#: The largest ``--steps``: the learners count steps in 64-bit integers.
MAX_STEPS = 2**62
#: Set to 1 for the full traceback of user errors too.
TRACEBACK_VARIABLE = "RLFOUNDATIONS_TRACEBACK"
#: Exit statuses.
EXIT_OK, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 2, 130


class CommandError(InvalidValueError):
    """A user mistake found by the command line itself: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CommandError(f"{message} (see {self.prog} --help)")


def _library_version() -> str:
    try:
        return importlib.metadata.version("rlfoundations")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


# -- argument types --------------------------------------------------------------------------
def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _interval(low: float, high: float, *, low_open: bool) -> Callable[[str], float]:
    """A number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    shown = f"{'(' if low_open else '['}{low:g}, {high:g}]"

    def parse(text: str) -> float:
        value = _number(text)
        if value < low or (low_open and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"must be in {shown}, got {text}")
        return value

    parse.__name__ = f"number in {shown}"
    return parse


_gamma = _interval(0.0, 1.0, low_open=False)
_rate = _interval(0.0, 1.0, low_open=True)
_probability = _interval(0.0, 1.0, low_open=False)
_non_negative = _interval(0.0, math.inf, low_open=False)
_positive = _interval(0.0, math.inf, low_open=True)


def _integer(text: str, low: int, high: int) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be in [{low:,}, {high:,}], got {text}")
    return value


def _positive_int(text: str) -> int:
    return _integer(text, 1, MAX_STEPS)


def _count_int(text: str) -> int:
    return _integer(text, 0, MAX_STEPS)


def _seed(text: str) -> int:
    return _integer(text, 0, 2**63 - 1)


def _nonnegative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _epsilon(text: str) -> tuple[float, float | None]:
    """``0.1`` (constant) or ``1.0:0.05`` (linear decay, start:end), each in [0, 1]."""
    start, _, end = text.partition(":")
    return _probability(start), (_probability(end) if end else None)


def _slice(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=INT, got {text!r}")
    try:
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=INT, got {text!r}") from None


#: Literal words accepted as env kwarg values besides JSON (Python's spelling).
_WORDS = {"True": True, "False": False, "None": None}


def _env_kwarg(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE``: VALUE as JSON, as ``True``/``False``/``None``, or as a string.

    JSON as in ``false``, ``0.1``, ``"8x8"``, ``[1, 2]``; a string as in ``map_name=8x8``.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY a name, got {text!r}")
    if value in _WORDS:
        return key, _WORDS[value]
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


# -- checks shared by the commands, run before any work ----------------------------------------
def _given(args: argparse.Namespace, *names: str) -> list[str]:
    """The flags among ``names`` (dest names) given on the command line."""
    return [f"--{name.replace('_', '-')}" for name in names if getattr(args, name) is not None]


def _refuse(flags: list[str], why: str) -> None:
    if flags:
        verb = "does" if len(flags) == 1 else "do"
        raise CommandError(f"{' and '.join(flags)} {verb} nothing {why}; leave it out")


def _default(args: argparse.Namespace, name: str, value) -> None:
    if getattr(args, name) is None:
        setattr(args, name, value)


def _env_kwargs(args: argparse.Namespace) -> dict:
    kwargs: dict = {}
    for key, value in args.env_kwarg:
        if key in kwargs:
            raise CommandError(f"--env-kwarg {key} is given twice")
        if key == "render_mode":
            raise CommandError("--env-kwarg render_mode is chosen by the command; leave it out")
        kwargs[key] = value
    for key, value in parse_params(getattr(args, "param", None)).items():
        if args.env not in CATALOG:
            raise CommandError(
                f"--param only applies to a problem by name (rlfoundations problems lists "
                f"them), not to the env id {args.env!r}; use --env-kwarg"
            )
        if key in kwargs:
            raise CommandError(f"{key} is given by both --param and --env-kwarg")
        kwargs[key] = value
    return kwargs


def _check_out(flag: str, text: str, *, suffix: str, append: bool) -> Path:
    """The file ``text`` names, checked writable before any work.

    ``append``: ``suffix`` is appended when missing (as :func:`rlfoundations.save` does);
    otherwise the name must end in it.
    """
    if not text.strip():
        raise CommandError(f"{flag} is empty: give a file name, e.g. {flag} result{suffix}")
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        raise CommandError(
            f"{flag} {text!r} is a directory, not a file: give a file name inside it, "
            f"e.g. {flag} {os.path.join(text, 'result' + suffix)}"
        )
    path = Path(text)
    if path.suffix != suffix:
        if not append:
            raise CommandError(f"{flag} {text!r} must end in {suffix}")
        path = path.with_name(path.name + suffix)
    if path.is_dir():
        raise CommandError(f"{flag} {str(path)!r} is a directory, not a file")
    directory = path.parent
    if not directory.exists():
        raise CommandError(f"{flag} {text!r}: the directory {str(directory)!r} does not exist")
    if not directory.is_dir():
        raise CommandError(f"{flag} {text!r}: {str(directory)!r} is not a directory")
    try:  # the only test that holds for root and on read-only filesystems: try it
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise CommandError(
            f"{flag} {text!r}: cannot write in the directory {str(directory)!r} "
            f"({error.strerror or error})"
        ) from None
    return path


def _check_in(flag: str, text: str) -> Path:
    """A file to read: it exists and is a file."""
    if not text.strip():
        raise CommandError(f"{flag} is empty: give the file saved by solve or train")
    path = Path(text)
    if not path.exists() and path.suffix != ".npz" and Path(text + ".npz").is_file():
        path = Path(text + ".npz")
    if path.is_dir():
        raise CommandError(f"{flag} {text!r} is a directory, not a file saved by solve or train")
    if not path.is_file():
        raise CommandError(f"{flag} {text!r}: no such file")
    return path


@contextlib.contextmanager
def _about(what: str) -> Iterator[None]:
    """Turn the ValueError / TypeError (plain or the library's own) of a call into one line.

    Only for a call that took the user's input only (an env id and its kwargs, a file); the
    line names ``what``.
    """
    try:
        yield
    except CommandError:
        raise
    except (ValueError, TypeError, KeyError, gymnasium.error.Error) as error:
        raise CommandError(f"{what}: {_one_line(error)}") from error


def _model(args: argparse.Namespace, kwargs: dict) -> TabularMDP:
    what = f"env {args.env!r}" + (f" with {_kwargs_text(kwargs)}" if kwargs else "")
    with _about(what):
        if args.env in CATALOG:  # a problem by name: its exact model, built directly
            problem = get_problem(args.env)
            accepted = inspect.signature(problem).parameters
            for key in kwargs:
                if key not in accepted:
                    raise CommandError(
                        f"{args.env} has no parameter {key!r}; see "
                        f"help(rlfoundations.problems.{args.env})"
                    )
            return problem(**kwargs)
        return from_env(args.env, **kwargs)


def _make(args: argparse.Namespace, kwargs: dict, **extra) -> gymnasium.Env:
    what = f"env {args.env!r}" + (f" with {_kwargs_text(kwargs)}" if kwargs else "")
    with _about(what):
        return make(env_id(args.env) if args.env in CATALOG else args.env, **kwargs, **extra)


def _kwargs_text(kwargs: dict) -> str:
    return " ".join(f"--env-kwarg {key}={json.dumps(value)}" for key, value in kwargs.items())


@contextlib.contextmanager
def _compilations() -> Iterator[list]:
    """Collect Numba's compile events in the block.

    Empty when every kernel came from the cache (or was already loaded).
    """
    try:
        from numba.core import event
    except ImportError:  # pragma: no cover - Numba without the event API
        yield []
        return
    with event.install_recorder("numba:compile") as recorder:
        events: list = recorder.buffer
        yield events


def _timing(elapsed: float, compiled: list) -> str:
    note = " (including compiling the kernels, once after an install or upgrade)"
    return format_duration(elapsed) + (note if compiled else "")


# -- the parser ------------------------------------------------------------------------------
def _add_env(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("env", help=help_text)
    parser.add_argument(
        "--env-kwarg",
        type=_env_kwarg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to gymnasium.make, repeatable: is_slippery=false, map_name=8x8, drunk=0.1 "
        "(VALUE read as JSON, else as a string); recorded in saved files",
    )


def _add_solve(commands) -> None:
    solve = commands.add_parser("solve", help="solve a discrete env exactly")
    _add_env(solve, "a discrete env id (Taxi-v3) or a problem name (forest)")
    solve.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a problem's parameter, e.g. --param S=10 (VALUE a Python literal; see: "
        "rlfoundations problems)",
    )
    solve.add_argument(
        "--gamma",
        type=_gamma,
        default=None,
        help="discount factor (0.99; 1 with --criterion finite; none with average)",
    )
    solve.add_argument("--method", choices=sorted(METHODS), default="vi", help="solver (vi)")
    solve.add_argument(
        "--criterion",
        choices=["discounted", "finite", "average"],
        default="discounted",
        help="discounted (default), finite horizon, or average reward per step",
    )
    solve.add_argument(
        "--horizon",
        type=_positive_int,
        help="decisions of --criterion finite (default: the env's time limit)",
    )
    solve.add_argument("--out", help="save the policy, values and model to this .npz file")
    solve.add_argument(
        "--show-episode",
        action="store_true",
        help="play one greedy episode in the real env, rendered as text",
    )
    solve.add_argument("--seed", type=_seed, help="seed of the shown episode (0)")


def _add_train(commands) -> None:
    train = commands.add_parser("train", help="learn from simulated experience")
    _add_env(train, "a registered discrete env id with a model, e.g. Taxi-v3")
    train.add_argument(
        "--algo", choices=[*ALGORITHMS, *PREDICTION_ALGORITHMS], default="q-learning"
    )
    train.add_argument("--steps", type=_positive_int, default=2_000_000, help="steps per run")
    train.add_argument("--seeds", type=_positive_int, default=1, help="runs, one per seed (1)")
    train.add_argument("--seed", type=_seed, default=0, help="first seed (0)")
    train.add_argument(
        "--gamma", type=_gamma, help="discount factor (0.99); none with the differential learners"
    )
    train.add_argument(
        "--alpha", type=_rate, help="learning rate in (0, 1] (0.5; td-prediction 0.1)"
    )
    train.add_argument(
        "--epsilon",
        type=_epsilon,
        metavar="START[:END]",
        help="exploration rate in [0, 1], constant or linear from START to END (1.0:0.05); "
        "not for reinforce",
    )
    train.add_argument(
        "--decay",
        type=_rate,
        help="fraction of the steps over which a linear epsilon decays (0.25)",
    )
    train.add_argument(
        "--planning-steps",
        type=_count_int,
        help="planning updates per step (10); dyna-q and prioritized-sweeping only",
    )
    train.add_argument(
        "--baseline-alpha", type=_rate, help="REINFORCE baseline step in (0, 1] (0.1)"
    )
    train.add_argument(
        "--kappa", type=_non_negative, help="Dyna-Q+ exploration bonus (0); dyna-q only"
    )
    train.add_argument(
        "--theta",
        type=_non_negative,
        help="priority threshold (0.0001); prioritized-sweeping only",
    )
    train.add_argument(
        "--n",
        type=_positive_int,
        help="steps of the return (4; td-prediction 1); n-step learners and td-prediction only",
    )
    train.add_argument(
        "--sigma", type=_probability, help="degree of sampling in [0, 1] (0.5); q-sigma only"
    )
    train.add_argument(
        "--target-policy",
        choices=["greedy", "behaviour"],
        help="policy learned about (greedy); n-step-tree-backup only",
    )
    train.add_argument(
        "--lam",
        type=_probability,
        help="trace decay lambda in [0, 1] (0.9); trace learners, and td-prediction (true "
        "online TD(lambda) instead of n-step TD)",
    )
    train.add_argument(
        "--eta",
        type=_positive,
        help="the gain's step size is eta * alpha (1); differential learners only",
    )
    train.add_argument(
        "--trace",
        choices=["accumulating", "replacing", "dutch"],
        help="eligibility trace (accumulating); trace learners only",
    )
    train.add_argument(
        "--policy",
        help="td-prediction and monte-carlo-prediction: the policy whose values are learned, "
        "a file saved by solve --out (or rlfoundations.save), or 'random' (uniform); default: "
        "the optimal policy, by value iteration at --gamma",
    )
    train.add_argument(
        "--every-visit",
        action="store_true",
        default=None,
        help="monte-carlo-prediction learns from every visit of a state (default: the first)",
    )
    train.add_argument("--out", help="save the best run's result to this .npz file")
    train.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_play(commands) -> None:
    play = commands.add_parser("play", help="run a policy in the real env, rendered")
    _add_env(play, "a registered discrete env id")
    play.add_argument(
        "--policy",
        help="a file saved by solve or train, or by rlfoundations.save (a StochasticPolicy, a "
        "SoftResult or LinearProgrammingResult draws its actions, seeded by --seed); "
        "default: solve now",
    )
    play.add_argument("--episodes", type=_positive_int, help="episodes (1); not with --gif")
    play.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the first episode and of a stochastic policy's draws (0)",
    )
    play.add_argument("--gamma", type=_gamma, help="gamma when solving (0.99); not with --policy")
    play.add_argument(
        "--delay",
        type=_nonnegative,
        default=None,
        help="seconds per frame (0.3 on a terminal; with --gif, 0.25)",
    )
    play.add_argument("--gif", help="record the first episode as this GIF instead (extra 'plot')")


def _add_animate(commands) -> None:
    animate = commands.add_parser("animate", help="value iteration as a GIF (extra 'plot')")
    _add_env(animate, "a grid env: FrozenLake, CliffWalking, Taxi, Rick")
    animate.add_argument("--out", required=True, help="the GIF to write")
    animate.add_argument("--gamma", type=_gamma, default=0.99, help="discount factor (0.99)")
    animate.add_argument(
        "--scale", choices=["absolute", "relative", "both"], default="both", help="(both)"
    )
    animate.add_argument(
        "--slice",
        type=_slice,
        action="append",
        default=[],
        metavar="NAME=INT",
        help="fix a state variable, e.g. --slice signal=1 --slice morty=4 for Rick",
    )
    animate.add_argument("--fps", type=_positive_int, default=4, help="frames per second (4)")


def _benchmark_scripts() -> list[Path]:
    return [BENCHMARKS / "bench_planning.py", BENCHMARKS / "bench_learning.py"]


def _has_benchmarks() -> bool:
    return all(script.is_file() for script in _benchmark_scripts())


def _add_bench(commands) -> None:
    if not _has_benchmarks():  # an installed package: the scripts are not in it
        return
    bench = commands.add_parser("bench", help="run the benchmarks of this source checkout")
    bench.add_argument("--full", action="store_true", help="full runs (minutes), not --quick")


def _add_problems(commands) -> None:
    commands.add_parser("problems", help="list the problems with known answers, one line each")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rlfoundations",
        description="Tabular reinforcement learning, exact and learned, fast.",
        epilog=f"A mistake is one line on stderr with exit status 2; {TRACEBACK_VARIABLE}=1 "
        "shows its traceback.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_library_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add, _ in COMMANDS.values():
        add(commands)
    return parser


# -- solve -----------------------------------------------------------------------------------
def _show_episode(env: gymnasium.Env, policy: np.ndarray, seed: int) -> None:
    state, _ = env.reset(seed=seed)
    total, steps, terminated, truncated = 0.0, 0, False, False
    print(f"\nOne greedy episode (seed {seed}):")
    print(env.render())
    while not (terminated or truncated):
        state, reward, terminated, truncated, _ = env.step(int(policy[state]))
        total += reward  # type: ignore[operator]
        steps += 1
        print(env.render())
    ending = "terminated" if terminated else "truncated by the time limit"
    print(f"Episode {ending} after {steps} steps with return {total:g}.")


def _undiscounted_return(mdp: TabularMDP, policy: np.ndarray) -> float | None:
    """Mean undiscounted episode return of ``policy``, None if it never ends somewhere."""
    from rlfoundations.planning import policy_evaluation

    try:
        return policy_evaluation(mdp, policy, 1.0).mean_return(mdp.initial)
    except ValueError:
        return None


def _solve_other_criterion(
    args: argparse.Namespace, mdp: TabularMDP, shown: gymnasium.Env | None
) -> int:
    """``--criterion finite`` or ``average``: print the optimum, play the policy on request."""
    from rlfoundations.average import relative_value_iteration
    from rlfoundations.horizon import backward_induction

    result: Any  # a FiniteHorizonResult, or an AverageRewardResult
    if args.criterion == "finite":
        horizon = "max_episode_steps" if args.horizon is None else args.horizon
        result = backward_induction(mdp, horizon, gamma=args.gamma)
        print(f"{mdp}")
        print(f"Solved by backward induction over {result.horizon} steps (exact)")
        print(
            f"Optimal mean return within {result.horizon} steps over the start distribution: "
            f"{result.mean_return(mdp.initial):.4f} (gamma={args.gamma})"
        )
        return EXIT_OK
    result = relative_value_iteration(mdp)
    print(f"{mdp}")
    print(
        f"Solved by relative value iteration for the average reward ({result.structure} "
        f"model): {result.iterations} sweeps, converged={result.converged}"
    )
    print(
        f"Optimal reward per step: {result.gain:.6f} "
        f"(proven in [{result.gain_lower:.10g}, {result.gain_upper:.10g}]; "
        "ended episodes restart)"
    )
    if shown is not None:
        try:
            _show_episode(shown, result.policy, args.seed)
        finally:
            shown.close()
    return EXIT_OK


def solve_command(args: argparse.Namespace) -> int:
    from rlfoundations.persistence import save
    from rlfoundations.policy import GreedyPolicy

    if not args.show_episode:
        _refuse(_given(args, "seed"), "without --show-episode")
    _default(args, "seed", 0)
    if args.horizon is not None and args.criterion != "finite":
        raise CommandError("--horizon goes with --criterion finite")
    if args.criterion == "average" and args.gamma is not None:
        raise CommandError("the average-reward criterion has no --gamma")
    if args.criterion != "discounted":
        if args.out is not None:
            raise CommandError("--out saves discounted solutions only; drop it or --criterion")
        if args.criterion == "finite" and args.show_episode:
            raise CommandError("--show-episode plays a stationary policy; not with finite")
    if args.gamma is None:
        args.gamma = 1.0 if args.criterion == "finite" else 0.99
    kwargs = _env_kwargs(args)
    out = (
        _check_out("--out", args.out, suffix=".npz", append=True) if args.out is not None else None
    )
    mdp = _model(args, kwargs)
    shown = _make(args, kwargs, render_mode="ansi") if args.show_episode else None
    if args.criterion != "discounted":
        return _solve_other_criterion(args, mdp, shown)
    name, solve = METHODS[args.method]
    with _compilations() as compiled, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = solve(mdp, args.gamma)
        elapsed = time.perf_counter() - start
    print(f"{mdp}")
    print(
        f"Solved by {name} with gamma={args.gamma}: {result.iterations} iterations, "
        f"converged={result.converged}, {_timing(elapsed, compiled)}"
    )
    for warning in caught:
        print(f"warning: {warning.message}")
    kind = "undiscounted" if args.gamma == 1.0 else f"discounted, gamma={args.gamma}"
    print(
        f"Optimal mean return over the start distribution: "
        f"{result.mean_return(mdp.initial):.4f} ({kind})"
    )
    if args.gamma < 1.0:
        episode = _undiscounted_return(mdp, result.policy)
        if episode is not None:
            print(f"Mean undiscounted episode return of that policy: {episode:.4f}")
    if out is not None:
        policy = GreedyPolicy(actions=result.policy, result=result, mdp=mdp)
        path = save(out, policy, env_kwargs=kwargs)
        print(f"Saved the policy, its values and the model to {path}")
    if shown is not None:
        try:
            _show_episode(shown, result.policy, args.seed)
        finally:
            shown.close()
    return EXIT_OK


# -- train -----------------------------------------------------------------------------------
def _train_settings(args: argparse.Namespace) -> dict:
    """The learner's keyword arguments from the flags, refusing flags it would ignore."""
    from rlfoundations.schedules import Schedule

    if args.algo in PREDICTION_ALGORITHMS:
        _default(args, "gamma", 0.99)
        return _prediction_settings(args)
    _refuse(_given(args, "policy"), f"with --algo {args.algo} (prediction learners only)")
    _refuse(_given(args, "every_visit"), f"with --algo {args.algo} (monte-carlo-prediction only)")
    _default(args, "alpha", 0.5)
    if args.algo not in PLANNING_ALGORITHMS:
        _refuse(
            _given(args, "planning_steps"),
            f"with --algo {args.algo} (dyna-q and prioritized-sweeping only)",
        )
    if args.algo != "dyna-q":
        _refuse(_given(args, "kappa"), f"with --algo {args.algo} (dyna-q only)")
    if args.algo != "prioritized-sweeping":
        _refuse(_given(args, "theta"), f"with --algo {args.algo} (prioritized-sweeping only)")
    if args.algo != "reinforce":
        _refuse(_given(args, "baseline_alpha"), f"with --algo {args.algo} (reinforce only)")
    if args.algo not in TRACE_ALGORITHMS:
        _refuse(
            _given(args, "lam", "trace"),
            f"with --algo {args.algo} (trace learners and td-prediction only)",
        )
    if args.algo not in NSTEP_ALGORITHMS:
        _refuse(
            _given(args, "n"), f"with --algo {args.algo} (n-step learners and td-prediction only)"
        )
    if args.algo != "q-sigma":
        _refuse(_given(args, "sigma"), f"with --algo {args.algo} (q-sigma only)")
    if args.algo != "n-step-tree-backup":
        _refuse(_given(args, "target_policy"), f"with --algo {args.algo} (n-step-tree-backup only)")
    if args.algo in AVERAGE_ALGORITHMS:
        _refuse(_given(args, "gamma"), f"with --algo {args.algo} (average reward: no discount)")
    else:
        _refuse(_given(args, "eta"), f"with --algo {args.algo} (differential learners only)")
        _default(args, "gamma", 0.99)
    if args.algo == "monte-carlo-control":
        # Exploring starts (a whole-episode learner: no step size; --alpha is not read).
        _refuse(_given(args, "decay"), "with --algo monte-carlo-control (a constant epsilon)")
        if args.epsilon is not None and args.epsilon[1] is not None:
            raise CommandError(
                "--algo monte-carlo-control takes a constant --epsilon, not START:END"
            )
        return {"epsilon": 0.1 if args.epsilon is None else args.epsilon[0]}
    settings: dict = {"alpha": args.alpha}
    if args.algo in NSTEP_ALGORITHMS:
        settings["n"] = 4 if args.n is None else args.n
    if args.algo == "q-sigma":
        settings["sigma"] = 0.5 if args.sigma is None else args.sigma
    if args.algo == "n-step-tree-backup":
        settings["target_policy"] = "greedy" if args.target_policy is None else args.target_policy
    if args.algo in AVERAGE_ALGORITHMS:
        settings["eta"] = 1.0 if args.eta is None else args.eta
    if args.algo in TRACE_ALGORITHMS:
        settings["lam"] = 0.9 if args.lam is None else args.lam
        settings["trace"] = "accumulating" if args.trace is None else args.trace
    if args.algo == "reinforce":
        _refuse(_given(args, "epsilon", "decay"), "with --algo reinforce (a softmax policy)")
        settings["baseline_alpha"] = 0.1 if args.baseline_alpha is None else args.baseline_alpha
        return settings
    start_epsilon, end_epsilon = (1.0, 0.05) if args.epsilon is None else args.epsilon
    if end_epsilon is None:
        _refuse(_given(args, "decay"), "with a constant --epsilon (give START:END to decay)")
        settings["epsilon"] = start_epsilon
    else:
        decay = 0.25 if args.decay is None else args.decay
        decay_steps = max(1, int(decay * args.steps))
        settings["epsilon"] = Schedule.linear(start_epsilon, end_epsilon, decay_steps)
    if args.algo in PLANNING_ALGORITHMS:
        settings["planning_steps"] = 10 if args.planning_steps is None else args.planning_steps
    if args.algo == "dyna-q":
        settings["kappa"] = 0.0 if args.kappa is None else args.kappa
    if args.algo == "prioritized-sweeping":
        settings["theta"] = 1e-4 if args.theta is None else args.theta
    return settings


def _prediction_settings(args: argparse.Namespace) -> dict:
    """The prediction learners' keyword arguments; they take no exploration flags."""
    _refuse(
        _given(
            args,
            *("epsilon", "decay", "planning_steps", "baseline_alpha", "kappa", "trace"),
            *("sigma", "target_policy", "theta", "eta"),
        ),
        f"with --algo {args.algo} (it follows --policy)",
    )
    if args.out is not None:
        raise CommandError(
            f"--out does nothing with --algo {args.algo} (its result is values, not a policy "
            "to save); leave it out"
        )
    if args.algo == "monte-carlo-prediction":
        _refuse(_given(args, "alpha", "n", "lam"), "with --algo monte-carlo-prediction")
        return {"first_visit": not args.every_visit}
    _refuse(_given(args, "every_visit"), "with --algo td-prediction (monte-carlo-prediction only)")
    if args.lam is not None:
        _refuse(_given(args, "n"), "with --lam (true online TD(lambda) has no n)")
        settings: dict = {"lam": args.lam}
    else:
        settings = {"n": 1 if args.n is None else args.n}
    return {"alpha": 0.1 if args.alpha is None else args.alpha, **settings}


def _prediction_policy(args: argparse.Namespace, mdp: TabularMDP, kwargs: dict):
    """The policy ``--policy`` names, and how to say it: a file, uniform, or optimal."""
    from rlfoundations.persistence import load, load_metadata
    from rlfoundations.planning import value_iteration
    from rlfoundations.policy import StochasticPolicy

    if args.policy is None:
        policy = value_iteration(mdp, args.gamma, epsilon=1e-10).policy
        return policy, f"the optimal policy (value iteration, gamma {args.gamma:g})"
    if args.policy == "random":
        return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions), "the uniform policy"
    path = _check_in("--policy", args.policy)
    loaded = load(path, env_id=args.env)
    saved = load_metadata(path)["metadata"].get("env_kwargs")
    if saved is not None and saved != json.loads(json.dumps(kwargs)):
        raise CommandError(
            f"--policy {str(path)!r} was saved for {args.env} with "
            f"{_kwargs_text(saved) or 'no --env-kwarg'}, not "
            f"{_kwargs_text(kwargs) or 'no --env-kwarg'}"
        )
    if isinstance(loaded, StochasticPolicy):
        policy = loaded.probabilities
    elif isinstance(loaded, SoftResult | LinearProgrammingResult):
        policy = loaded.policy
    else:
        policy = _policy_actions(loaded, str(path), mdp.n_states, mdp.n_actions)
    if policy.ndim == 2 and policy.shape != (mdp.n_states, mdp.n_actions):
        raise CommandError(
            f"{path} has a stochastic policy of shape {policy.shape}, the env has "
            f"{mdp.n_states} states and {mdp.n_actions} actions"
        )
    return policy, f"the policy of {path}"


def _train_prediction(args: argparse.Namespace, settings: dict) -> int:
    """``train --algo td-prediction``: learn a policy's values, print the RMS error."""
    from rlfoundations.prediction import acting_states
    from rlfoundations.sweeps import sweep

    kwargs = _env_kwargs(args)
    mdp = _model(args, kwargs)
    policy, described = _prediction_policy(args, mdp, kwargs)
    algorithm = PREDICTION_ALGORITHMS[args.algo]
    seeds = range(args.seed, args.seed + args.seeds)
    label = f"{args.algo} on {args.env}" + (f", {args.seeds} seeds" if args.seeds > 1 else "")
    progress = None if args.quiet else ProgressBar(label, stream=sys.stderr)
    with _compilations() as compiled:
        started = time.perf_counter()
        result = sweep(
            mdp,
            algorithm,
            policy=policy,
            gamma=args.gamma,
            n_steps=args.steps,
            seeds=seeds,
            progress=progress,
            on_interrupt="return",
            **settings,
        )
        elapsed = time.perf_counter() - started
    assert isinstance(result, PredictionSweepResult)  # the prediction learners' result
    if progress is not None:
        progress.close()
    runs = "" if args.seeds == 1 else f" in each of {args.seeds} runs"
    if result.interrupted:
        print(f"Interrupted: keeping what was learned in {result.total_steps:,} steps{runs}.")
    total = result.total_steps * result.n_runs
    print(
        f"{args.algo} on {mdp}: {result.total_steps:,} steps{runs} in "
        f"{_timing(elapsed, compiled)} ({total / max(elapsed, 1e-9):,.0f} steps/s)"
    )
    print(f"Values of {described}")
    acting = acting_states(mdp)
    exact = _policy_values(mdp, policy, args.gamma)
    if exact is None:
        print(f"Its exact values are infinite at gamma {args.gamma:g}: it never ends the episode")
        return EXIT_INTERRUPTED if result.interrupted else EXIT_OK
    gap = result.values[:, acting] - exact[acting]
    errors = np.sqrt(np.mean(gap * gap, axis=1))
    where = f"over the {int(acting.sum())} states an episode acts in"
    if result.n_runs == 1:
        print(f"RMS error of the values learned against the exact values, {where}: "
              f"{errors[0]:.4g}")  # fmt: skip
    else:
        print(
            f"RMS error of the values learned against the exact values, {where}: best "
            f"{errors.min():.4g}, median {float(np.median(errors)):.4g}, worst {errors.max():.4g}"
        )
    start = mdp.initial @ exact
    learned = result.values @ mdp.initial
    print(f"Exact value of the start distribution: {start:.4f}; learned: mean {learned.mean():.4f}")
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK


def train_command(args: argparse.Namespace) -> int:
    from rlfoundations.persistence import save
    from rlfoundations.planning import value_iteration
    from rlfoundations.sweeps import sweep

    settings = _train_settings(args)
    if args.seed + args.seeds > 2**64:
        raise CommandError(f"--seed {args.seed} with --seeds {args.seeds} passes 2**64")
    if args.algo in PREDICTION_ALGORITHMS:
        return _train_prediction(args, settings)
    kwargs = _env_kwargs(args)
    out = (
        _check_out("--out", args.out, suffix=".npz", append=True) if args.out is not None else None
    )
    mdp = _model(args, kwargs)
    algorithm = ALGORITHMS[args.algo]
    seeds = range(args.seed, args.seed + args.seeds)
    label = f"{args.algo} on {args.env}" + (f", {args.seeds} seeds" if args.seeds > 1 else "")
    progress = None if args.quiet else ProgressBar(label, stream=sys.stderr)
    with _compilations() as compiled:
        started = time.perf_counter()
        discount = {} if args.algo in AVERAGE_ALGORITHMS else {"gamma": args.gamma}
        result = sweep(
            mdp,
            algorithm,
            **discount,
            n_steps=args.steps,
            seeds=seeds,
            progress=progress,
            on_interrupt="return",
            **settings,
        )
        elapsed = time.perf_counter() - started
    if progress is not None:
        progress.close()
    runs = "" if args.seeds == 1 else f" in each of {args.seeds} runs"
    if result.interrupted:
        print(f"Interrupted: keeping what was learned in {result.total_steps:,} steps{runs}.")
    total = result.total_steps * result.n_runs
    print(
        f"{args.algo} on {mdp}: {result.total_steps:,} steps{runs} in "
        f"{_timing(elapsed, compiled)} ({total / max(elapsed, 1e-9):,.0f} steps/s)"
    )
    if args.algo in AVERAGE_ALGORITHMS:
        return _report_average(args, mdp, result, kwargs, out)

    optimal = value_iteration(mdp, args.gamma, epsilon=1e-10)
    best_return = optimal.mean_return(mdp.initial)
    starts = mdp.initial > 0
    gaps, solved = [], 0
    for run in range(result.n_runs):
        values = _policy_values(mdp, result.policy[run], args.gamma)
        gap = math.inf if values is None else best_return - float(mdp.initial @ values)
        gaps.append(gap)
        if values is not None:
            solved += bool(
                np.all(np.abs(values[starts] - optimal.values[starts]) < OPTIMAL_TOLERANCE)
            )
    print(f"Optimal mean return over the start distribution: {best_return:.4f}")
    if result.n_runs == 1:
        print(f"Gap to optimal of the greedy policy learned: {_gap(gaps[0])}")
    else:
        order = np.argsort(gaps, kind="stable")
        print(
            f"Gap to optimal of the greedy policies learned: best {_gap(gaps[order[0]])}, "
            f"median {_gap(float(np.median(gaps)))}, worst {_gap(gaps[order[-1]])}"
        )
    print(f"Optimal from every start state: {solved} of {result.n_runs} runs")
    if out is not None:
        best = int(np.argmin(gaps))
        path = save(
            out,
            result.run(best),
            env_id=args.env,
            env_kwargs=kwargs,
            optimal_mean_return=best_return,
            gap=None if math.isinf(gaps[best]) else gaps[best],
        )
        print(f"Saved the run of seed {int(result.seeds[best])} to {path}")
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK


def _report_average(args: argparse.Namespace, mdp: TabularMDP, result, kwargs, out) -> int:
    """The differential learners' report: learned and exact gains against the optimal gain."""
    from rlfoundations.average import average_reward_policy_iteration, relative_value_iteration
    from rlfoundations.batch import greedy_gains
    from rlfoundations.persistence import save

    try:
        optimal = relative_value_iteration(mdp).gain
    except InvalidValueError:  # several closed classes: one gain per state
        optimal = average_reward_policy_iteration(mdp).gain
    gains = [float(mdp.initial @ greedy_gains(mdp, result.policy[r])) for r in range(result.n_runs)]
    gaps = [optimal - gain for gain in gains]
    print(f"Optimal average reward per step (relative value iteration): {optimal:.4f}")
    if result.n_runs == 1:
        print(f"Learned average reward (R-bar): {float(result.gain[0]):.4f}")
        print(f"Exact average reward of the greedy policy learned: {gains[0]:.4f}")
        print(f"Gap to optimal: {gaps[0]:.4f}")
    else:
        order = np.argsort(gaps, kind="stable")
        print(
            f"Learned average reward (R-bar): median {float(np.median(result.gain)):.4f}, "
            f"from {float(result.gain.min()):.4f} to {float(result.gain.max()):.4f}"
        )
        print(
            f"Gap to optimal of the greedy policies learned: best {gaps[order[0]]:.4f}, "
            f"median {float(np.median(gaps)):.4f}, worst {gaps[order[-1]]:.4f}"
        )
    solved = sum(abs(gap) < OPTIMAL_TOLERANCE for gap in gaps)
    print(f"Gain-optimal from the start distribution: {solved} of {result.n_runs} runs")
    if out is not None:
        best = int(np.argmin(gaps))
        path = save(
            out,
            result.run(best),
            env_id=args.env,
            env_kwargs=kwargs,
            optimal_gain=optimal,
            gap=gaps[best],
        )
        print(f"Saved the run of seed {int(result.seeds[best])} to {path}")
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK


def _policy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray | None:
    from rlfoundations.planning import policy_evaluation

    try:
        return policy_evaluation(mdp, policy, gamma).values
    except ValueError:  # gamma = 1 and a policy that never ends the episode somewhere
        return None


def _gap(gap: float) -> str:
    return "never ends the episode from some start" if math.isinf(gap) else f"{gap:.4f}"


# -- play ------------------------------------------------------------------------------------
def _policy_actions(obj, path: str, n_states: int, n_actions: int) -> np.ndarray:
    """The action table inside whatever ``load`` returned."""
    from rlfoundations.policy import GreedyPolicy

    if isinstance(obj, GreedyPolicy):
        actions = obj.actions
    elif isinstance(obj, PlanningResult | LearningResult | AverageRewardResult):
        actions = obj.policy
    elif isinstance(obj, FiniteHorizonResult):
        raise CommandError(
            f"{path} holds a FiniteHorizonResult: its policy depends on the step "
            f"(shape {obj.policy.shape}), and play runs stationary policies only"
        )
    elif isinstance(obj, np.ndarray) and obj.ndim == 2 and obj.dtype.kind == "f":
        actions = np.argmax(obj, axis=1)  # a Q table
    elif isinstance(obj, np.ndarray) and obj.ndim == 1 and obj.dtype.kind in "iu":
        actions = obj
    else:
        raise CommandError(f"{path} holds a {type(obj).__name__}, not a policy or a Q table")
    if actions.shape != (n_states,):
        raise CommandError(f"{path} has a policy of {actions.shape[0]} states, the env {n_states}")
    if actions.size and not (0 <= actions.min() and actions.max() < n_actions):
        raise CommandError(f"{path} has actions outside the env's {n_actions} actions")
    return actions


def _policy_of(obj, path: str, n_states: int, n_actions: int, seed: int) -> Callable[[int], int]:
    """``policy(state) -> action`` of whatever ``load`` returned.

    A stochastic policy (a StochasticPolicy, a SoftResult's or LinearProgrammingResult's
    (S, A) policy) draws its actions from a generator seeded with ``seed``; any other is a
    table of actions.
    """
    from rlfoundations.policy import StochasticPolicy

    if isinstance(obj, StochasticPolicy):
        probabilities = obj.probabilities
    elif isinstance(obj, SoftResult | LinearProgrammingResult):
        probabilities = obj.policy
    else:
        actions = _policy_actions(obj, path, n_states, n_actions)
        return lambda state: int(actions[state])
    if probabilities.shape != (n_states, n_actions):
        raise CommandError(
            f"{path} has a stochastic policy of shape {probabilities.shape}, the env has "
            f"{n_states} states and {n_actions} actions"
        )
    return StochasticPolicy(probabilities, seed=seed)


def _saved_policy(path: Path, args: argparse.Namespace, kwargs: dict, env) -> Callable[[int], int]:
    from rlfoundations.persistence import load, load_metadata

    loaded = load(path, env_id=args.env)
    saved = load_metadata(path)["metadata"].get("env_kwargs")
    if saved is not None and saved != json.loads(json.dumps(kwargs)):
        raise CommandError(
            f"--policy {str(path)!r} was saved for {args.env} with "
            f"{_kwargs_text(saved) or 'no --env-kwarg'}, not "
            f"{_kwargs_text(kwargs) or 'no --env-kwarg'}"
        )
    n_states = int(getattr(env.observation_space, "n", 0))
    n_actions = int(getattr(env.action_space, "n", 0))
    return _policy_of(loaded, str(path), n_states, n_actions, args.seed)


def play_command(args: argparse.Namespace) -> int:
    from rlfoundations.planning import value_iteration

    if args.policy is not None:
        _refuse(_given(args, "gamma"), "with --policy (the policy is already solved)")
    if args.gif is not None:
        _refuse(_given(args, "episodes"), "with --gif (one episode is recorded)")
    _default(args, "gamma", 0.99)
    _default(args, "episodes", 1)
    kwargs = _env_kwargs(args)
    policy = _check_in("--policy", args.policy) if args.policy is not None else None
    gif = None
    if args.gif is not None:
        gif = _check_out("--gif", args.gif, suffix=".gif", append=False)
    if gif is not None:
        from rlfoundations.plot import save_gif  # noqa: F401  (the extra is there: fail now)

        # Frames are drawn off screen: no display needed (pygame's toy-text renderers).
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    env = _make(args, kwargs, render_mode="rgb_array" if gif else "ansi")
    try:
        if policy is not None:
            choose = _saved_policy(policy, args, kwargs, env)
        else:
            with _about(f"env {args.env!r}"):
                mdp = from_env(env)
            actions = value_iteration(mdp, args.gamma).policy

            def choose(state: int) -> int:
                return int(actions[state])

        if gif is not None:
            try:
                _record(env, choose, gif, args)
            except gymnasium.error.DependencyNotInstalled as error:
                raise CommandError(
                    f"--gif of {args.env} draws its frames with pygame, which is not "
                    f"installed: pip install 'rlfoundations[plot]' ({_one_line(error)})"
                ) from error
        else:
            _play(env, choose, args)
    finally:
        env.close()
    return EXIT_OK


def _play(env: gymnasium.Env, choose: Callable[[int], int], args: argparse.Namespace) -> None:
    terminal = sys.stdout.isatty()
    delay = (0.3 if terminal else 0.0) if args.delay is None else args.delay
    returns = []
    for episode in range(args.episodes):
        state, _ = env.reset(seed=args.seed if episode == 0 else None)
        total, steps, terminated, truncated = 0.0, 0, False, False
        while True:
            if terminal:
                print("\x1b[H\x1b[2J", end="")  # clear the screen: frames replace each other
            print(f"Episode {episode + 1}, step {steps}, return {total:g}")
            print(env.render())
            if terminated or truncated:
                break
            time.sleep(delay)
            state, reward, terminated, truncated, _ = env.step(choose(state))
            total += float(reward)
            steps += 1
        ending = "ended" if terminated else "was cut by the time limit"
        print(f"Episode {episode + 1} {ending} after {steps} steps with return {total:g}.")
        returns.append(total)
        time.sleep(3 * delay)
    if len(returns) > 1:
        print(f"Mean return over {len(returns)} episodes: {np.mean(returns):.4f}")


def _record(
    env: gymnasium.Env, choose: Callable[[int], int], gif: Path, args: argparse.Namespace
) -> None:
    from rlfoundations.plot import save_gif

    state, _ = env.reset(seed=args.seed)
    frames = [env.render()]
    terminated = truncated = False
    while not (terminated or truncated):
        state, _, terminated, truncated, _ = env.step(choose(state))
        frames.append(env.render())
    path = save_gif(frames, gif, fps=1.0 / args.delay if args.delay else 4.0)  # type: ignore[arg-type]
    print(f"Recorded {len(frames)} frames of one episode to {path}")


# -- animate, bench --------------------------------------------------------------------------
def animate_command(args: argparse.Namespace) -> int:
    from rlfoundations.plot import animate_value_iteration, grid_layout

    kwargs = _env_kwargs(args)
    out = _check_out("--out", args.out, suffix=".gif", append=False)
    slices = dict(args.slice)
    if len(slices) != len(args.slice):
        raise CommandError("--slice names the same variable twice")
    env = _make(args, kwargs)
    try:
        with _about("--slice" if slices else f"env {args.env!r}"):
            grid_layout(env, **slices)
        path = animate_value_iteration(
            env, out, gamma=args.gamma, scale=args.scale, fps=args.fps, **slices
        )
    finally:
        env.close()
    print(f"Wrote the value-iteration animation of {args.env} to {path}")
    return EXIT_OK


def bench_command(args: argparse.Namespace) -> int:
    for script in _benchmark_scripts():
        print(f"$ {Path(sys.executable).name} {script.relative_to(BENCHMARKS.parent)}", flush=True)
        command = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        subprocess.run(command, check=True)
        print(flush=True)
    return EXIT_OK


#: Every command: the function adding its flags, and the function doing its work.
COMMANDS: dict[str, tuple[Callable, Callable[[argparse.Namespace], int]]] = {
    "solve": (_add_solve, solve_command),
    "train": (_add_train, train_command),
    "play": (_add_play, play_command),
    "animate": (_add_animate, animate_command),
    "bench": (_add_bench, bench_command),
    "problems": (_add_problems, problems_command),
    **_cli_data.COMMANDS,
    **_cli_regret.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0; 2 for a user mistake; 130 after Ctrl-C, once what was learned is saved.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    show_traceback = os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0")
    try:
        if argv[:1] == ["bench"] and not _has_benchmarks():
            raise CommandError(
                f"bench runs the benchmark scripts of a source checkout, and this installed "
                f"package has none (looked in {BENCHMARKS}); clone the repository and run "
                f"'make bench' there"
            )
        args = _parser().parse_args(argv)
        return COMMANDS[args.command][1](args)
    except (UserError, gymnasium.error.Error) as error:
        if show_traceback:
            traceback.print_exc()
        print(f"rlfoundations: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ModuleNotFoundError as error:  # an optional extra is missing: say which to install
        if show_traceback:
            traceback.print_exc()
        print(f"rlfoundations: error: {_missing_extra(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except subprocess.CalledProcessError as error:
        print(f"rlfoundations: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rlfoundations: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _missing_extra(error: ModuleNotFoundError) -> str:
    message = _one_line(error)
    if "pip install" in message:
        return message
    extras = {"matplotlib": "plot", "PIL": "plot", "pygame": "plot", "networkx": "graph"}
    extra = extras.get((error.name or "").split(".")[0])
    if extra is None:
        raise error
    return f"{message}: pip install 'rlfoundations[{extra}]'"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
