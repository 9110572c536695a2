"""Pure-Python twin of Monte Carlo control: the three boxes of Sutton and Barto's chapter 5.

Same name and signature as :func:`rlfoundations.monte_carlo_control`; the model is simulated
with the same random stream, drawn in the same order as the kernel, so for the same seed the
Q tables are bit-identical.
"""

from __future__ import annotations

from rlfoundations.reference.learning import (
    Curve,
    ModelEnv,
    _result,
    _table,
    argmax_lowest,
    behave,
    greedy_random_tie,
)
from rlfoundations.reference.random import Xoshiro256

__all__ = ["monte_carlo_control"]


def _greedy_probability(row: list, a: int, epsilon: float) -> float:
    """b(a | s) of epsilon-greedy with ties broken uniformly."""
    top = max(row)
    n_ties = sum(1 for value in row if value == top)
    p = epsilon / len(row)
    if row[a] == top:
        p += (1.0 - epsilon) / n_ties
    return p


def monte_carlo_control(
    mdp,
    gamma: float,
    n_steps: int,
    *,
    method: str = "exploring_starts",
    epsilon: float = 0.1,
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress=None,
    on_interrupt: str = "raise",
):
    """Monte Carlo ES (5.3), on-policy first-visit epsilon-soft (5.4), off-policy (5.7)."""
    rng = Xoshiro256(seed)
    env = ModelEnv(mdp, rng)
    q = _table(mdp.n_states, mdp.n_actions)
    weights = _table(mdp.n_states, mdp.n_actions)
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)

    def learn(episode):
        first_time = {}
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
        episode = []  # (S_t, A_t, R_{t+1}, b(A_t | S_t))
        accumulated = 0.0
        while t < n_steps:
            if method == "exploring_starts":
                a = rng.below(mdp.n_actions) if not episode else greedy_random_tie(q[s], rng)
                p = 1.0
            else:
                a = behave(q[s], "epsilon_greedy", epsilon, rng)
                p = _greedy_probability(q[s], a, epsilon)
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
