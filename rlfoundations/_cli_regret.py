"""The ``regret`` subcommand: the learners with regret guarantees, registered into the CLI.

``rlfoundations regret river_swim --algo psrl --horizon 20 --episodes 1000 --seeds 5`` runs
one learner of :mod:`rlfoundations.exploration` per seed on the exact model and prints the
cumulative exact regret (mean, min, max over seeds) after the first and the second half of the
episodes: a regret that flattens has a second half far below its first. ``train``'s flags
(``--steps``, ``--gamma``, ``--alpha``) are those of stationary step-based learners, so these
episodic learners have their own command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from rlfoundations.errors import InvalidValueError
from rlfoundations.extract import from_env
from rlfoundations.problems import CATALOG, get_problem
from rlfoundations.progress import ProgressBar, format_duration

__all__ = ["COMMANDS", "add_regret", "regret_command"]

#: ``--algo`` names and the learner each runs.
ALGORITHMS = {
    "ucbvi": "ucbvi",
    "psrl": "psrl",
    "ucb-q-learning": "ucb_q_learning",
    "rmax": "rmax",
}

EXIT_OK = 0
EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _env_kwarg(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY a name, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def add_regret(commands) -> None:
    """The flags of ``regret``."""
    regret = commands.add_parser(
        "regret", help="exact regret of the learners with guarantees (episodic, horizon H)"
    )
    regret.add_argument("env", help="a problem name (river_swim, deep_sea) or an env id")
    regret.add_argument(
        "--env-kwarg",
        type=_env_kwarg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to the problem or env, repeatable (VALUE read as JSON, else a string)",
    )
    regret.add_argument("--algo", choices=list(ALGORITHMS), default="psrl")
    regret.add_argument("--horizon", type=_positive_int, required=True, help="steps per episode")
    regret.add_argument("--episodes", type=_positive_int, default=1000, help="episodes (1000)")
    regret.add_argument("--seeds", type=_positive_int, default=1, help="runs, one per seed (1)")
    regret.add_argument("--seed", type=int, default=0, help="first seed (0)")
    regret.add_argument(
        "--bonus", choices=["hoeffding", "bernstein", "none"], help="ucb-q-learning's bonus"
    )
    regret.add_argument("--bonus-scale", type=_positive, help="ucbvi and ucb-q-learning (1.0)")
    regret.add_argument("--epsilon", type=_fraction, help="ucb-q-learning's random actions (0)")
    regret.add_argument("--known-visits", type=_positive_int, help="rmax's m (10)")
    regret.add_argument("--quiet", action="store_true", help="no progress bar")


#: Which learner takes which option flag.
_OPTION_FLAGS = {
    "bonus": ("--bonus", ("ucb-q-learning",)),
    "bonus_scale": ("--bonus-scale", ("ucbvi", "ucb-q-learning")),
    "epsilon": ("--epsilon", ("ucb-q-learning",)),
    "known_visits": ("--known-visits", ("rmax",)),
}


def _options(args: argparse.Namespace) -> dict:
    options = {}
    for name, (flag, learners) in _OPTION_FLAGS.items():
        value = getattr(args, name)
        if value is None:
            continue
        if args.algo not in learners:
            raise InvalidValueError(f"{flag} is an option of {' and '.join(learners)} only")
        options[name] = value
    return options


def _model(args: argparse.Namespace):
    kwargs = dict(args.env_kwarg)
    if args.env in CATALOG:
        return get_problem(args.env)(**kwargs)
    return from_env(args.env, **kwargs)


def regret_command(args: argparse.Namespace) -> int:
    """Run the learner over the seeds; print the regret of both halves of the episodes."""
    from rlfoundations.exploration import exploration_sweep  # loads Numba: only when it runs

    options = _options(args)
    if not 0 <= args.seed or args.seed + args.seeds > 2**64:
        raise InvalidValueError(f"--seed {args.seed} with --seeds {args.seeds} leaves [0, 2**64)")
    mdp = _model(args)
    label = f"{args.algo} on {args.env}"
    progress = None if args.quiet else ProgressBar(label, stream=sys.stderr)
    started = time.perf_counter()
    runs = exploration_sweep(
        ALGORITHMS[args.algo],
        mdp,
        args.horizon,
        args.episodes,
        seeds=list(range(args.seed, args.seed + args.seeds)),
        progress=progress,
        on_interrupt="return",
        **options,
    )
    elapsed = time.perf_counter() - started
    if progress is not None:
        progress.close()
    done = min(run.n_episodes for run in runs)
    interrupted = any(run.interrupted for run in runs)
    if interrupted:
        print(f"Interrupted: keeping the {done:,} episodes finished.")
    print(
        f"{label}: {done:,} episodes of {args.horizon} steps, {len(runs)} seed(s), "
        f"in {format_duration(elapsed)}"
    )
    print(f"Optimal expected return of an episode: {runs[0].optimal_value:.6g}")
    if done == 0:
        return EXIT_INTERRUPTED if interrupted else EXIT_OK
    regret = np.stack([run.regret[:done] for run in runs])
    half = max(done // 2, 1)
    first = regret[:, half - 1]
    second = regret[:, -1] - first
    for name, values in (("first half", first), ("second half", second)):
        print(
            f"Regret in the {name}: mean {values.mean():.6g}, min {values.min():.6g}, "
            f"max {values.max():.6g}"
        )
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


#: The command: the function adding its flags, and the function doing its work.
COMMANDS = {"regret": (add_regret, regret_command)}
