"""Pure-Python twin of the n-step learners: n-step SARSA (Sutton and Barto, section 7.2).

Same name and signature as :func:`rlfoundations.n_step_sarsa`; bit-identical to the kernel
for the same seed. The episode is kept whole (S_0, A_0, R_1, S_1, ...), as the book's box
indexes it.
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

__all__ = ["n_step_sarsa"]


def n_step_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    n: int = 4,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """n-step SARSA (section 7.2): Q(S_tau, A_tau) moves towards the n-step return."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)

    def update(states, actions, rewards, tau, end, bootstrap, step_alpha):
        g, discount = 0.0, 1.0
        for i in range(tau + 1, end + 1):
            g += discount * rewards[i]
            discount *= gamma
        if bootstrap:
            g += discount * q[states[end]][actions[end]]
        s, a = states[tau], actions[tau]
        q[s][a] += step_alpha * (g - q[s][a])

    t = 0
    while t < n_steps:
        s = env.reset()
        a = behave(q[s], exploration, schedule_value(level, t), rng)
        states, actions, rewards = [s], [a], [0.0]
        episode_return = 0.0
        while t < n_steps:
            s_next, r, terminated, truncated = env.step(s, a)
            step_alpha = schedule_value(alpha, t)
            t += 1
            episode_return += r
            a_next = 0
            if not terminated:
                a_next = behave(q[s_next], exploration, schedule_value(level, t), rng)
            states.append(s_next)
            actions.append(a_next)
            rewards.append(r)
            big_t = len(states) - 1  # the steps taken so far in the episode
            first = big_t - n
            if terminated or truncated:
                for tau in range(max(first, 0), big_t):
                    update(
                        states, actions, rewards, tau, min(tau + n, big_t), not terminated,
                        step_alpha,
                    )  # fmt: skip
            elif first >= 0:
                update(states, actions, rewards, first, first + n, True, step_alpha)
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(big_t)
                break
            s, a = s_next, a_next
    return _result("n_step_sarsa", q, returns, lengths, t, gamma, seed, curve, record_episodes)
