"""Pure-Python twins of the eligibility-trace learners (Sutton and Barto, chapter 12).

Same names and signatures as :mod:`rlfoundations.traces`; bit-identical to the kernels for
the same seed (same random stream, drawn in the same order, the same arithmetic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from rlfoundations.reference.learning import (
    Curve,
    _make_env,
    _result,
    _table,
    behave,
    schedule_value,
)
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import LearningResult

if TYPE_CHECKING:
    import gymnasium

    from rlfoundations.mdp import TabularMDP
    from rlfoundations.schedules import Schedule

__all__ = ["sarsa_lambda", "watkins_q_lambda"]


def _trace_control(
    algorithm, mdp, gamma, n_steps, seed, alpha, epsilon, exploration, temperature, lam, trace,
    eval_every, record_episodes,
) -> LearningResult:  # fmt: skip
    """Sarsa(lambda) (section 12.7's box) or Watkins's Q(lambda) (section 12.10)."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    n_states, n_actions = env.n_states, env.n_actions
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(n_states, n_actions)
    env.mask(q)  # masked pairs hold -inf: never greedy, never taken, their trace stays 0
    z = _table(n_states, n_actions)
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()
        z = _table(n_states, n_actions)
        a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            s_next, r, terminated, truncated = env.step(s, a)
            step_alpha = schedule_value(alpha, t)
            t += 1
            episode_length += 1
            episode_return += r
            a_next, greedy = 0, True
            delta = r - q[s][a]
            if not terminated:
                a_next = behave(
                    q[s_next], exploration, schedule_value(level, t), rng, env.allowed(s_next)
                )
                a_star = a_next
                if algorithm == "watkins_q_lambda":
                    row = q[s_next]
                    a_star = row.index(max(row))  # the lowest greedy action...
                    if row[a_next] == row[a_star]:
                        a_star = a_next  # ...or a' itself if it ties for the maximum
                    greedy = a_star == a_next
                delta = r + gamma * q[s_next][a_star] - q[s][a]
            if trace == "accumulating":
                z[s][a] += 1.0
            elif trace == "replacing":
                z[s][a] = 1.0
            else:  # dutch
                z[s][a] = (1.0 - step_alpha) * z[s][a] + 1.0
            keep = gamma * lam if greedy else 0.0
            for x in range(n_states):
                for b in range(n_actions):
                    if z[x][b] != 0.0:
                        q[x][b] += step_alpha * delta * z[x][b]
                        z[x][b] = keep * z[x][b]
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s, a = s_next, a_next
    return _result(algorithm, q, returns, lengths, t, gamma, seed, curve, record_episodes)


def sarsa_lambda(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    lam: float = 0.9,
    trace: Literal["accumulating", "replacing", "dutch"] = "accumulating",
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Sarsa(lambda) (section 12.7): delta = r + gamma Q(s', a') - Q(s, a), Q += alpha delta z."""
    return _trace_control(
        "sarsa_lambda", mdp, gamma, n_steps, seed, alpha, epsilon, exploration, temperature,
        lam, trace, eval_every, record_episodes,
    )  # fmt: skip


def watkins_q_lambda(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    lam: float = 0.9,
    trace: Literal["accumulating", "replacing", "dutch"] = "accumulating",
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Watkins's Q(lambda) (section 12.10): the Q-learning target.

    The traces are cut after an exploratory action.
    """
    return _trace_control(
        "watkins_q_lambda", mdp, gamma, n_steps, seed, alpha, epsilon, exploration,
        temperature, lam, trace, eval_every, record_episodes,
    )  # fmt: skip
