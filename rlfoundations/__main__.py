"""Command line: ``python -m rlfoundations solve ENV`` (also the ``rlfoundations`` script).

Solves a discrete env exactly, prints how long it took and the optimal mean return over the
start distribution, and with ``--show-episode`` plays one greedy episode in the real env.
User mistakes end in one clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

from rlfoundations.extract import from_env, make
from rlfoundations.planning import (
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)

METHODS = {
    "vi": ("value iteration", lambda mdp, gamma: value_iteration(mdp, gamma)),
    "gs": (
        "Gauss-Seidel value iteration",
        lambda mdp, gamma: value_iteration(mdp, gamma, gauss_seidel=True),
    ),
    "pi": ("policy iteration", lambda mdp, gamma: policy_iteration(mdp, gamma)),
    "mpi": ("modified policy iteration", lambda mdp, gamma: modified_policy_iteration(mdp, gamma)),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlfoundations", description="Tabular reinforcement learning, exact and fast."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    solve = commands.add_parser("solve", help="solve a discrete env exactly")
    solve.add_argument("env", help="a registered discrete env id, e.g. Taxi-v3")
    solve.add_argument("--gamma", type=float, default=0.99, help="discount factor (0.99)")
    solve.add_argument("--method", choices=sorted(METHODS), default="vi", help="solver (vi)")
    solve.add_argument(
        "--show-episode",
        action="store_true",
        help="play one greedy episode in the real env, rendered as text",
    )
    solve.add_argument("--seed", type=int, default=0, help="seed of the shown episode (0)")
    return parser


def _show_episode(env_id: str, policy: np.ndarray, seed: int) -> None:
    env = make(env_id, render_mode="ansi")
    state, _ = env.reset(seed=seed)
    total, steps, terminated, truncated = 0.0, 0, False, False
    print(f"\nOne greedy episode (seed {seed}):")
    print(env.render())
    while not (terminated or truncated):
        state, reward, terminated, truncated, _ = env.step(int(policy[state]))
        total += reward
        steps += 1
        print(env.render())
    ending = "terminated" if terminated else "truncated by the time limit"
    print(f"Episode {ending} after {steps} steps with return {total:g}.")
    env.close()


def solve_command(args: argparse.Namespace) -> None:
    mdp = from_env(args.env)
    name, solve = METHODS[args.method]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve(mdp, args.gamma)
    first = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solve(mdp, args.gamma)
    warm = time.perf_counter() - start
    print(f"{mdp}")
    print(
        f"Solved by {name} with gamma={args.gamma}: {result.iterations} iterations, "
        f"converged={result.converged}, {warm * 1e3:.3g} ms "
        f"(first call {first * 1e3:.3g} ms, loading the compiled kernels)"
    )
    for warning in caught:
        print(f"warning: {warning.message}")
    kind = "undiscounted" if args.gamma == 1.0 else f"discounted, gamma={args.gamma}"
    print(
        f"Optimal mean return over the start distribution: "
        f"{result.mean_return(mdp.initial):.4f} ({kind})"
    )
    if args.gamma < 1.0:
        try:
            episode = policy_evaluation(mdp, result.policy, 1.0)
        except ValueError:
            pass  # the policy loops forever somewhere: no finite undiscounted return
        else:
            print(
                f"Mean undiscounted episode return of that policy: "
                f"{episode.mean_return(mdp.initial):.4f}"
            )
    if args.show_episode:
        _show_episode(args.env, result.policy, args.seed)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            solve_command(args)
    except (ValueError, TypeError) as error:
        print(f"rlfoundations: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
