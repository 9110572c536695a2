"""Pure-Python twin of Monte Carlo control: the three boxes of Sutton and Barto's chapter 5.

Same name and signature as :func:`rlfoundations.monte_carlo_control`; the model is simulated
with the same random stream, drawn in the same order as the kernel, so for the same seed the
Q tables are bit-identical.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from rlfoundations.reference.learning import (
    Curve,
    ModelEnv,
    _result,
    _table,
    argmax_lowest,
    behave,
    greedy_random_tie,
    random_action,
)
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import LearningResult, SweepResult

if TYPE_CHECKING:
    from rlfoundations.mdp import TabularMDP

__all__ = ["monte_carlo_control", "monte_carlo_control_sweep"]


def _greedy_probability(row: list, a: int, epsilon: float, allowed=None) -> float:
    """b(a | s) of epsilon-greedy with ties broken uniformly, exploring among ``allowed``."""
    top = max(row)
    n_ties = sum(1 for value in row if value == top)
    p = epsilon / (len(row) if allowed is None else len(allowed))
    if row[a] == top:
        p += (1.0 - epsilon) / n_ties
    return p


def monte_carlo_control(
    mdp: TabularMDP,
    gamma: float,
    n_steps: int,
    *,
    method: str = "exploring_starts",
    epsilon: float = 0.1,
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> LearningResult:
    """Monte Carlo ES (5.3), on-policy first-visit epsilon-soft (5.4), off-policy (5.7)."""
    rng = Xoshiro256(seed)
    env = ModelEnv(mdp, rng, honour_mask=True)
    q = _table(mdp.n_states, mdp.n_actions)
    env.mask(q)  # masked pairs hold -inf: never greedy, never the target's choice
    weights = _table(mdp.n_states, mdp.n_actions)
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)

    def learn(episode):
        first_time: dict[tuple[int, int], int] = {}
        for i, (si, ai, _, _) in enumerate(episode):
            first_time.setdefault((si, ai), i)
        g, w = 0.0, 1.0
        for i in range(len(episode) - 1, -1, -1):
            si, ai, ri, pi = episode[i]
            g = gamma * g + ri
            if method == "off_policy":
                weights[si][ai] += w
                q[si][ai] += w / weights[si][ai] * (g - q[si][ai])
                if ai != argmax_lowest(q[si]):
                    break
                w /= pi
            elif first_time[(si, ai)] == i:
                weights[si][ai] += 1.0
                q[si][ai] += (g - q[si][ai]) / weights[si][ai]

    returns, lengths = [], []
    t = 0
    while t < n_steps:
        s = env.reset()
        episode: list[tuple[int, int, float, float]] = []  # (S_t, A_t, R_{t+1}, b(A_t | S_t))
        accumulated = 0.0
        while t < n_steps:
            if method == "exploring_starts":
                if not episode:  # the exploring start: any allowed pair
                    a = random_action(mdp.n_actions, rng, env.allowed(s))
                else:
                    a = greedy_random_tie(q[s], rng)
                p = 1.0
            else:
                a = behave(q[s], "epsilon_greedy", epsilon, rng, env.allowed(s))
                p = _greedy_probability(q[s], a, epsilon, env.allowed(s))
            s_next, r, done, truncated = env.step(s, a)
            t += 1
            accumulated += r
            episode.append((s, a, r, p))
            if done:
                learn(episode)
            if done or truncated:
                returns.append(accumulated)
                lengths.append(len(episode))
            curve.after_step(t, q)
            if done or truncated:
                break
            s = s_next
    return _result(
        "monte_carlo_control", q, returns, lengths, t, gamma, seed, curve, record_episodes
    )


def monte_carlo_control_sweep(
    mdp: TabularMDP,
    *,
    gamma: float | Sequence[float],
    n_steps: int,
    seeds: int | Sequence[int],
    method: str = "exploring_starts",
    epsilon: float | Sequence[float] = 0.1,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> SweepResult:
    """Every point of the grid (seeds fastest), one :func:`monte_carlo_control` after another."""

    def axis(value):
        return list(value) if isinstance(value, list | tuple | range | np.ndarray) else [value]

    points = [
        {"gamma": g, "epsilon": e, "seed": seed}
        for g, e, seed in itertools.product(axis(gamma), axis(epsilon), axis(seeds))
    ]
    runs = [
        monte_carlo_control(mdp, n_steps=n_steps, method=method, eval_every=eval_every, **point)
        for point in points
    ]
    width = max(len(run.episode_returns) for run in runs)
    returns = np.full((len(runs), width), np.nan)
    lengths = np.zeros((len(runs), width), dtype=np.int64)
    for i, run in enumerate(runs):
        returns[i, : len(run.episode_returns)] = run.episode_returns
        lengths[i, : len(run.episode_lengths)] = run.episode_lengths
    q_values = np.stack([run.q_values for run in runs])
    return SweepResult(
        q_values=q_values,
        policy=np.stack([run.policy for run in runs]),
        episode_returns=returns,
        episode_lengths=lengths,
        n_episodes=np.array([run.n_episodes for run in runs], dtype=np.int64),
        total_steps=n_steps,
        algorithm="monte_carlo_control",
        seeds=np.array([point["seed"] for point in points], dtype=np.uint64),
        params=tuple(points),
        curve_steps=None if eval_every is None else runs[0].curve_steps,
        # With eval_every given, every run has its curve_values (never None).
        curve_values=None if eval_every is None else np.stack([r.curve_values for r in runs]),  # type: ignore[misc]
    )
