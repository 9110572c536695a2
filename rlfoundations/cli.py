"""The command line: ``rlfoundations`` (also ``python -m rlfoundations``).

- ``solve ENV``: solve a discrete env exactly, print the optimal mean return, save the policy;
  ``--criterion finite`` (with ``--horizon``) or ``average`` for the other criteria;
- ``train ENV``: learn by trial and error over seeds, with a progress bar, and print the gap
  to optimal (Ctrl-C keeps what was learned so far);
- ``play ENV``: run a policy in the real env, rendered as text (or recorded as a GIF);
- ``animate ENV``: the talk's value-iteration animation, as a GIF;
- ``bench``: run the benchmark scripts of a source checkout;
- ``problems``: list the problems of :mod:`rlfoundations.problems`, one line each (``solve
  forest --param S=10`` solves one by name).
- ``compare ENV``, ``explain ENV --state N``: see :mod:`rlfoundations._cli_data`.

User mistakes (an unknown env id, a non-discrete env, a bad flag value, a file of another env)
end in one clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
import warnings
from pathlib import Path

import gymnasium
import numpy as np

from rlfoundations import _cli_data
from rlfoundations.extract import from_env, make
from rlfoundations.learning import Schedule
from rlfoundations.mdp import TabularMDP
from rlfoundations.persistence import load, save
from rlfoundations.planning import (
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from rlfoundations.policy import GreedyPolicy
from rlfoundations.problems._cli import env_for, model_for, problems_command
from rlfoundations.progress import ProgressBar
from rlfoundations.results import LearningResult, PlanningResult
from rlfoundations.sweeps import sweep

__all__ = ["main"]

METHODS = {
    "vi": ("value iteration", lambda mdp, gamma: value_iteration(mdp, gamma)),
    "gs": (
        "Gauss-Seidel value iteration",
        lambda mdp, gamma: value_iteration(mdp, gamma, gauss_seidel=True),
    ),
    "pi": ("policy iteration", lambda mdp, gamma: policy_iteration(mdp, gamma)),
    "mpi": ("modified policy iteration", lambda mdp, gamma: modified_policy_iteration(mdp, gamma)),
}
ALGORITHMS = {
    "q-learning": "q_learning",
    "sarsa": "sarsa",
    "expected-sarsa": "expected_sarsa",
    "double-q": "double_q_learning",
    "dyna-q": "dyna_q",
    "reinforce": "reinforce",
}
#: Where the benchmark scripts live in a source checkout.
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
#: Values within this of the optimum count as optimal when ``train`` reports seeds.
OPTIMAL_TOLERANCE = 1e-6


class CommandError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CommandError(f"{message} (see {self.prog} --help)")


# -- argument types --------------------------------------------------------------------------
def _gamma(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _epsilon(text: str) -> tuple[float, float | None]:
    """``0.1`` (constant) or ``1.0:0.05`` (linear decay, start:end)."""
    start, _, end = text.partition(":")
    return _number(start), (_number(end) if end else None)


def _slice(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=INT, got {text!r}")
    try:
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=INT, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rlfoundations",
        description="Tabular reinforcement learning, exact and learned, fast.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    solve = commands.add_parser("solve", help="solve a discrete env exactly")
    solve.add_argument("env", help="a discrete env id (Taxi-v3) or a problem name (forest)")
    solve.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a problem's parameter, e.g. --param S=10 (see: rlfoundations problems)",
    )
    solve.add_argument(
        "--gamma",
        type=_gamma,
        default=None,
        help="discount factor (0.99; 1 with --criterion finite)",
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
    solve.add_argument("--seed", type=int, default=0, help="seed of the shown episode (0)")

    train = commands.add_parser("train", help="learn from simulated experience")
    train.add_argument("env", help="a registered discrete env id with a model, e.g. Taxi-v3")
    train.add_argument("--algo", choices=list(ALGORITHMS), default="q-learning")
    train.add_argument("--steps", type=_positive_int, default=2_000_000, help="steps per run")
    train.add_argument("--seeds", type=_positive_int, default=1, help="runs, one per seed (1)")
    train.add_argument("--seed", type=int, default=0, help="first seed (0)")
    train.add_argument("--gamma", type=_gamma, default=0.99, help="discount factor (0.99)")
    train.add_argument("--alpha", type=_number, default=0.5, help="learning rate (0.5)")
    train.add_argument(
        "--epsilon",
        type=_epsilon,
        default=(1.0, 0.05),
        metavar="START[:END]",
        help="exploration rate, constant or linear from START to END (1.0:0.05)",
    )
    train.add_argument(
        "--decay",
        type=_number,
        default=0.25,
        help="fraction of the steps over which epsilon decays (0.25)",
    )
    train.add_argument("--planning-steps", type=int, default=10, help="Dyna-Q replays (10)")
    train.add_argument(
        "--baseline-alpha", type=_number, default=0.1, help="REINFORCE baseline step (0.1)"
    )
    train.add_argument("--out", help="save the best run's result to this .npz file")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    play = commands.add_parser("play", help="run a policy in the real env, rendered")
    play.add_argument("env", help="a registered discrete env id")
    play.add_argument("--policy", help="a file saved by solve or train (default: solve now)")
    play.add_argument("--episodes", type=_positive_int, default=1, help="episodes (1)")
    play.add_argument("--seed", type=int, default=0, help="seed of the first episode (0)")
    play.add_argument("--gamma", type=_gamma, default=0.99, help="gamma when solving (0.99)")
    play.add_argument(
        "--delay", type=_number, default=None, help="seconds per frame (0.3 on a terminal)"
    )
    play.add_argument("--gif", help="record the first episode as this GIF instead")

    animate = commands.add_parser("animate", help="value iteration as a GIF")
    animate.add_argument("env", help="a grid env: FrozenLake, CliffWalking, Taxi, Rick")
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

    bench = commands.add_parser("bench", help="run the benchmarks of a source checkout")
    bench.add_argument("--full", action="store_true", help="full runs (minutes), not --quick")

    commands.add_parser("problems", help="list the problems with known answers, one line each")
    _cli_data.register(commands)  # compare, explain
    return parser


# -- solve -----------------------------------------------------------------------------------
def _show_episode(env_id: str, policy: np.ndarray, seed: int, **make_kwargs) -> None:
    env = make(env_id, render_mode="ansi", **make_kwargs)
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


def _undiscounted_return(mdp: TabularMDP, policy: np.ndarray) -> float | None:
    """Mean undiscounted episode return of ``policy``, None if it never ends somewhere."""
    try:
        return policy_evaluation(mdp, policy, 1.0).mean_return(mdp.initial)
    except ValueError:
        return None


def _solve_other_criterion(args: argparse.Namespace, mdp: TabularMDP) -> None:
    """``--criterion finite`` or ``average``: print the optimum, play the policy on request."""
    from rlfoundations.average import relative_value_iteration
    from rlfoundations.horizon import backward_induction

    if args.out:
        raise CommandError("--out saves discounted solutions only; drop it or the --criterion")
    if args.criterion == "finite":
        if args.show_episode:
            raise CommandError("--show-episode plays a stationary policy; not with finite")
        horizon = "max_episode_steps" if args.horizon is None else args.horizon
        result = backward_induction(mdp, horizon, gamma=args.gamma)
        print(f"{mdp}")
        print(f"Solved by backward induction over {result.horizon} steps (exact)")
        print(
            f"Optimal mean return within {result.horizon} steps over the start distribution: "
            f"{result.mean_return(mdp.initial):.4f} (gamma={args.gamma})"
        )
        return
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
    if args.show_episode:
        env_id, make_kwargs = env_for(args.env, args.param)
        _show_episode(env_id, result.policy, args.seed, **make_kwargs)


def solve_command(args: argparse.Namespace) -> None:
    mdp = model_for(args.env, args.param)
    if args.horizon is not None and args.criterion != "finite":
        raise CommandError("--horizon goes with --criterion finite")
    if args.criterion == "average" and args.gamma is not None:
        raise CommandError("the average-reward criterion has no --gamma")
    if args.gamma is None:
        args.gamma = 1.0 if args.criterion == "finite" else 0.99
    if args.criterion != "discounted":
        _solve_other_criterion(args, mdp)
        return
    name, solve = METHODS[args.method]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve(mdp, args.gamma)
    elapsed = time.perf_counter() - start
    print(f"{mdp}")
    print(
        f"Solved by {name} with gamma={args.gamma}: {result.iterations} iterations, "
        f"converged={result.converged}, {elapsed * 1e3:.3g} ms "
        f"(the first call of a session includes loading the compiled kernels)"
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
    if args.out:
        path = save(args.out, GreedyPolicy(actions=result.policy, result=result, mdp=mdp))
        print(f"Saved the policy, its values and the model to {path}")
    if args.show_episode:
        env_id, make_kwargs = env_for(args.env, args.param)
        _show_episode(env_id, result.policy, args.seed, **make_kwargs)


# -- train -----------------------------------------------------------------------------------
def train_command(args: argparse.Namespace) -> None:
    mdp = from_env(args.env)
    algorithm = ALGORITHMS[args.algo]
    start_epsilon, end_epsilon = args.epsilon
    if end_epsilon is None:
        epsilon = start_epsilon
    else:
        if not 0.0 < args.decay <= 1.0:
            raise CommandError(f"--decay must be in (0, 1], got {args.decay}")
        epsilon = Schedule.linear(start_epsilon, end_epsilon, max(1, int(args.decay * args.steps)))
    seeds = range(args.seed, args.seed + args.seeds)
    label = f"{args.algo} on {args.env}" + (f", {args.seeds} seeds" if args.seeds > 1 else "")
    progress = None if args.quiet else ProgressBar(label)
    started = time.perf_counter()
    result = sweep(
        mdp,
        algorithm,
        gamma=args.gamma,
        n_steps=args.steps,
        seeds=seeds,
        alpha=args.alpha,
        epsilon=epsilon,
        planning_steps=args.planning_steps,
        baseline_alpha=args.baseline_alpha,
        progress=progress,
        on_interrupt="return",
    )
    elapsed = time.perf_counter() - started
    if progress is not None:
        progress.close()
    runs = "" if args.seeds == 1 else f" in each of {args.seeds} runs"
    if result.interrupted:
        print(f"Interrupted: keeping what was learned in {result.total_steps:,} steps{runs}.")
    total = result.total_steps * result.n_runs
    print(
        f"{args.algo} on {mdp}: {result.total_steps:,} steps{runs} in {elapsed:.2f} s "
        f"({total / max(elapsed, 1e-9):,.0f} steps/s)"
    )

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
    if args.out:
        best = int(np.argmin(gaps))
        path = save(
            args.out,
            result.run(best),
            env_id=args.env,
            optimal_mean_return=best_return,
            gap=None if math.isinf(gaps[best]) else gaps[best],
        )
        print(f"Saved the run of seed {int(result.seeds[best])} to {path}")


def _policy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray | None:
    try:
        return policy_evaluation(mdp, policy, gamma).values
    except ValueError:  # gamma = 1 and a policy that never ends the episode somewhere
        return None


def _gap(gap: float) -> str:
    return "never ends the episode from some start" if math.isinf(gap) else f"{gap:.4f}"


# -- play ------------------------------------------------------------------------------------
def _policy_actions(obj, path: str, n_states: int) -> np.ndarray:
    """The action table inside whatever ``load`` returned."""
    if isinstance(obj, GreedyPolicy):
        actions = obj.actions
    elif isinstance(obj, PlanningResult | LearningResult):
        actions = obj.policy
    elif isinstance(obj, np.ndarray) and obj.ndim == 2 and obj.dtype.kind == "f":
        actions = np.argmax(obj, axis=1)  # a Q table
    elif isinstance(obj, np.ndarray) and obj.ndim == 1 and obj.dtype.kind in "iu":
        actions = obj
    else:
        raise CommandError(f"{path} holds a {type(obj).__name__}, not a policy or a Q table")
    if actions.shape != (n_states,):
        raise CommandError(f"{path} has a policy of {actions.shape[0]} states, the env {n_states}")
    return actions


def play_command(args: argparse.Namespace) -> None:
    env = make(args.env, render_mode="rgb_array" if args.gif else "ansi")
    try:
        n_states = int(getattr(env.observation_space, "n", 0))
        if args.policy:
            actions = _policy_actions(load(args.policy, env_id=args.env), args.policy, n_states)
        else:
            actions = value_iteration(from_env(env), args.gamma).policy
        if args.gif:
            _record(env, actions, args)
        else:
            _play(env, actions, args)
    finally:
        env.close()


def _play(env: gymnasium.Env, actions: np.ndarray, args: argparse.Namespace) -> None:
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
            state, reward, terminated, truncated, _ = env.step(int(actions[state]))
            total += float(reward)
            steps += 1
        ending = "ended" if terminated else "was cut by the time limit"
        print(f"Episode {episode + 1} {ending} after {steps} steps with return {total:g}.")
        returns.append(total)
        time.sleep(3 * delay)
    if len(returns) > 1:
        print(f"Mean return over {len(returns)} episodes: {np.mean(returns):.4f}")


def _record(env: gymnasium.Env, actions: np.ndarray, args: argparse.Namespace) -> None:
    from rlfoundations.plot import save_gif

    state, _ = env.reset(seed=args.seed)
    frames = [env.render()]
    terminated = truncated = False
    while not (terminated or truncated):
        state, _, terminated, truncated, _ = env.step(int(actions[state]))
        frames.append(env.render())
    path = save_gif(frames, args.gif, fps=1.0 / args.delay if args.delay else 4.0)
    print(f"Recorded {len(frames)} frames of one episode to {path}")


# -- animate, bench --------------------------------------------------------------------------
def animate_command(args: argparse.Namespace) -> None:
    from rlfoundations.plot import animate_value_iteration

    path = animate_value_iteration(
        args.env, args.out, gamma=args.gamma, scale=args.scale, fps=args.fps, **dict(args.slice)
    )
    print(f"Wrote the value-iteration animation of {args.env} to {path}")


def bench_command(args: argparse.Namespace) -> None:
    scripts = [BENCHMARKS / "bench_planning.py", BENCHMARKS / "bench_learning.py"]
    if not all(script.exists() for script in scripts):
        raise CommandError(
            f"the benchmark scripts live in the source repository's benchmarks/ folder, not "
            f"in an installed package (looked in {BENCHMARKS}); clone the repository and run "
            f"this command from its checkout"
        )
    for script in scripts:
        print(f"$ {Path(sys.executable).name} {script.relative_to(BENCHMARKS.parent)}", flush=True)
        command = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        subprocess.run(command, check=True)
        print(flush=True)


COMMANDS = {
    "solve": solve_command,
    "train": train_command,
    "play": play_command,
    "animate": animate_command,
    "bench": bench_command,
    "problems": problems_command,
    **_cli_data.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, or 2 for a user mistake)."""
    try:
        args = _parser().parse_args(argv)
        COMMANDS[args.command](args)
    except (CommandError, ValueError, TypeError, FileNotFoundError, gymnasium.error.Error) as error:
        print(f"rlfoundations: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except ImportError as error:  # an optional extra is missing: its message names it
        print(f"rlfoundations: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"rlfoundations: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rlfoundations: interrupted", file=sys.stderr)
        return 130
    return 0


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
