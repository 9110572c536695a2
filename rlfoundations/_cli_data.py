"""The ``compare`` and ``explain`` subcommands, registered into the CLI by :func:`register`.

- ``compare ENV --algo q-learning,sarsa --seeds 20 --steps 200000``: sweeps of every learner
  on the exact model, the comparison table on stdout, the comparison plot to ``--plot``;
- ``explain ENV --state N``: the Bellman backup of state N under the optimal values, as text
  (and a figure with ``--plot``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rlfoundations.compare import compare
from rlfoundations.envs.rick import ACTION_NAMES as RICK_ACTIONS
from rlfoundations.errors import InvalidValueError
from rlfoundations.explain import explain
from rlfoundations.extract import from_env

__all__ = ["COMMANDS", "add_compare", "add_explain", "compare_command", "explain_command"]

LEARNERS = {
    "q-learning": "q_learning",
    "sarsa": "sarsa",
    "expected-sarsa": "expected_sarsa",
    "double-q": "double_q_learning",
    "dyna-q": "dyna_q",
}

#: Action names from the envs' own documentation, by env id prefix.
ACTION_NAMES = {
    "Taxi": ("south", "north", "east", "west", "pickup", "dropoff"),
    "FrozenLake": ("left", "down", "right", "up"),
    "CliffWalking": ("up", "right", "down", "left"),
    "rlfoundations/Rick": RICK_ACTIONS,
}


def _names(env_id: str, n_actions: int):
    for prefix, names in ACTION_NAMES.items():
        if env_id.startswith(prefix) and len(names) == n_actions:
            return names
    return None


def _algorithms(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in LEARNERS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"--algo takes a comma-separated list of {', '.join(LEARNERS)}; got {text!r}"
        )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"--algo names a learner twice: {text!r}")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def add_compare(commands) -> None:
    """Add ``compare`` to the CLI's subparsers."""
    parser = commands.add_parser("compare", help="compare learners by their exact gap")
    parser.add_argument("env", help="a registered discrete env id with a model, e.g. Taxi-v3")
    parser.add_argument(
        "--algo", type=_algorithms, default=["q-learning", "sarsa", "expected-sarsa"],
        help="comma-separated learners (q-learning,sarsa,expected-sarsa)",
    )  # fmt: skip
    parser.add_argument("--seeds", type=_positive_int, default=20, help="seeds per learner (20)")
    parser.add_argument("--steps", type=_positive_int, default=200_000, help="steps per run")
    parser.add_argument("--gamma", type=_fraction, default=0.99, help="discount factor (0.99)")
    parser.add_argument("--alpha", type=_fraction, default=0.5, help="learning rate (0.5)")
    parser.add_argument("--epsilon", type=_fraction, default=0.1, help="exploration (0.1)")
    parser.add_argument(
        "--metric", choices=["final_gap", "auc"], default="final_gap",
        help="final gap, or mean gap over the learning curve (final_gap)",
    )  # fmt: skip
    parser.add_argument("--confidence", type=_fraction, default=0.95, help="(0.95)")
    parser.add_argument(
        "--adaptive", action="store_true",
        help="add seeds 5 at a time until the ordering is decided, up to --seeds",
    )  # fmt: skip
    parser.add_argument(
        "--plot", default="compare.png", help="the comparison plot to write (compare.png)"
    )
    parser.add_argument("--no-plot", action="store_true", help="print the table only")


def add_explain(commands) -> None:
    """Add ``explain`` to the CLI's subparsers."""
    parser = commands.add_parser("explain", help="one state's Bellman backup, written out")
    parser.add_argument("env", help="a registered discrete env id with a model")
    parser.add_argument("--state", type=int, required=True, help="the state index")
    parser.add_argument("--gamma", type=_fraction, default=0.99, help="discount factor (0.99)")
    parser.add_argument("--plot", help="also draw the backup into this image file")


def compare_command(args: argparse.Namespace) -> int:
    from rlfoundations.sweeps import sweep  # loads Numba: only when the command runs

    mdp = from_env(args.env)
    eval_every = max(1, args.steps // 20) if args.metric == "auc" else None
    specs = {
        name: {"algorithm": LEARNERS[name], "alpha": args.alpha, "epsilon": args.epsilon}
        for name in args.algo
    }
    if args.adaptive:
        comparison = compare(
            specs, mdp=mdp, metric=args.metric, confidence=args.confidence, adaptive=True,
            gamma=args.gamma, n_steps=args.steps, eval_every=eval_every,
            seeds_per_batch=min(5, args.seeds), max_seeds=args.seeds,
        )  # fmt: skip
    else:
        # One block of seeds per learner, as compare(adaptive=True) does: independent groups.
        runs = {
            name: sweep(
                mdp,
                gamma=args.gamma,
                n_steps=args.steps,
                seeds=range(group * args.seeds, (group + 1) * args.seeds),
                eval_every=eval_every,
                **spec,
            )
            for group, (name, spec) in enumerate(specs.items())
        }
        comparison = compare(runs, mdp=mdp, metric=args.metric, confidence=args.confidence)
    print(f"{args.env}: {args.steps} steps per run, gamma {args.gamma:g}")
    print(comparison)
    if not args.no_plot:
        from rlfoundations.plot import plot_comparison

        fig = plot_comparison(comparison)
        fig.savefig(args.plot, dpi=100)
        print(f"plot written to {Path(args.plot)}")
    return 0


def explain_command(args: argparse.Namespace) -> int:
    from rlfoundations.planning import value_iteration  # loads Numba: only when it runs

    mdp = from_env(args.env)
    if not 0 <= args.state < mdp.n_states:
        raise InvalidValueError(f"--state must be in [0, {mdp.n_states}), got {args.state}")
    result = value_iteration(mdp, args.gamma, epsilon=1e-10)
    why = explain(mdp, result, args.state, action_names=_names(args.env, mdp.n_actions))
    print(why)
    if args.plot:
        from rlfoundations.plot import plot_explanation

        plot_explanation(why).savefig(args.plot, dpi=100)
        print(f"plot written to {Path(args.plot)}")
    return 0


#: The commands of this module, as the CLI's table holds them: (add flags, do the work).
COMMANDS = {
    "compare": (add_compare, compare_command),
    "explain": (add_explain, explain_command),
}
