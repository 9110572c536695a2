"""Pure-Python twins of the average-reward learners: differential Q-learning and SARSA.

Same names and signatures as :func:`rlfoundations.differential_q_learning` and
:func:`rlfoundations.differential_sarsa`; bit-identical to the kernels for the same seed. One
continuing stream of experience, as the box of Sutton and Barto's section 10.3 reads: a
terminated outcome is followed by a restart from ``initial`` (``env.reset()``), the time
limit is ignored, and the stretches between restarts are recorded as episodes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from rlfoundations.reference.learning import (
    _make_env,
    _result,
    _table,
    argmax_lowest,
    behave,
    schedule_value,
)
from rlfoundations.reference.random import Xoshiro256

if TYPE_CHECKING:
    import gymnasium

    from rlfoundations.mdp import TabularMDP
    from rlfoundations.results import LearningResult
    from rlfoundations.schedules import Schedule

__all__ = ["differential_q_learning", "differential_sarsa"]


def _policy_gains(mdp, q) -> list:
    """The exact gain of every state under the greedy policy of ``q`` (multichain evaluation)."""
    from rlfoundations.reference.average import _evaluate, _graph, closed_classes

    policy = [argmax_lowest(row) for row in q]
    gains, _ = _evaluate(mdp, policy, closed_classes(_graph(mdp, policy)))
    return gains


class GainCurve:
    """The exact gains of the greedy policy at steps 0, eval_every, ..., n_steps (if asked)."""

    def __init__(self, mdp, n_steps: int, eval_every: int | None) -> None:
        self.mdp, self.n_steps, self.eval_every = mdp, n_steps, eval_every
        self.steps: list[int] = []
        self.values: list[list[float]] = []

    def after_step(self, t: int, q) -> None:
        if self.eval_every is None:
            return
        if t == 0 or t % self.eval_every == 0 or t == self.n_steps:
            self.steps.append(t)
            self.values.append(_policy_gains(self.mdp, q))


def _learn(
    algorithm: str, mdp, n_steps, seed, alpha, epsilon, exploration, temperature, eta,
    eval_every, record_episodes,
) -> LearningResult:  # fmt: skip
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    on_policy = algorithm == "differential_sarsa"
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    gain = 0.0
    returns, lengths = [], []
    curve = GainCurve(mdp, n_steps, eval_every)
    curve.after_step(0, q)
    episode_return, episode_length = 0.0, 0
    t = 0
    s = env.reset()
    a = 0
    if on_policy:
        a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
    while t < n_steps:
        if not on_policy:
            a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
        s_next, r, terminated, _ = env.step(s, a)  # a time limit means nothing here
        step_alpha = schedule_value(alpha, t)
        t += 1
        episode_length += 1
        episode_return += r
        if terminated:
            s_next = env.reset()  # the continuing task goes on from a new start
        a_next = 0
        if on_policy:
            a_next = behave(
                q[s_next], exploration, schedule_value(level, t), rng, env.allowed(s_next)
            )
            following = q[s_next][a_next]
        else:
            following = max(q[s_next])
        delta = r - gain + following - q[s][a]
        q[s][a] += step_alpha * delta
        gain += eta * step_alpha * delta
        curve.after_step(t, q)
        if terminated:
            returns.append(episode_return)
            lengths.append(episode_length)
            episode_return, episode_length = 0.0, 0
        s, a = s_next, a_next
    return _result(
        algorithm, q, returns, lengths, t, math.nan, seed, curve, record_episodes, gain=gain
    )


def differential_q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    eta: float = 1.0,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Differential Q-learning: delta = r - gain + max_a' Q(s', a') - Q(s, a)."""
    return _learn(
        "differential_q_learning", mdp, n_steps, seed, alpha, epsilon, exploration,
        temperature, eta, eval_every, record_episodes,
    )  # fmt: skip


def differential_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    eta: float = 1.0,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Differential SARSA (section 10.3): delta = r - gain + Q(s', a') - Q(s, a)."""
    return _learn(
        "differential_sarsa", mdp, n_steps, seed, alpha, epsilon, exploration, temperature,
        eta, eval_every, record_episodes,
    )  # fmt: skip
