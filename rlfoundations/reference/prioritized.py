"""Pure-Python twin of prioritized sweeping (Sutton and Barto, section 8.4).

Same name and signature as :func:`rlfoundations.prioritized_sweeping`; bit-identical to the
kernel for the same seed. Written differently on purpose: the queue is a plain dict from
pair to priority, and "first" is its maximum by (priority, then the lower (s, a)), found by
a scan; the predecessors of a state are a set. The kernel's heap and linked lists must pop
the same pairs in the same order, which holds because that order is a strict total order on
the queued pairs (each pair is queued at most once) and the pushes of one planning update
commute (a queued pair keeps the larger priority).
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

__all__ = ["prioritized_sweeping"]


def prioritized_sweeping(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    planning_steps: int = 10,
    theta: float = 1e-4,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Prioritized sweeping, the box of section 8.4, step (a) to (g)."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    visits = _table(env.n_states, env.n_actions, 0)
    model: dict = {}  # (s, a) -> (r, s', terminated), the last seen
    predecessors: dict = {}  # s' -> the pairs whose last outcome went to s', not terminated
    queue: dict = {}  # (s, a) -> priority; each pair at most once

    def insert(pair, priority):
        if priority > theta:
            queue[pair] = max(priority, queue.get(pair, priority))

    def first():
        pair = max(queue, key=lambda p: (queue[p], -p[0], -p[1]))
        del queue[pair]
        return pair

    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()  # (a)
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))  # (b)
            s_next, r, terminated, truncated = env.step(s, a)  # (c)
            visits[s][a] += 1
            step = t
            t += 1
            episode_length += 1
            episode_return += r
            if (s, a) in model and not model[s, a][2]:  # (d), the predecessors following
                predecessors[model[s, a][1]].discard((s, a))
            model[s, a] = (r, s_next, terminated)
            if not terminated:
                predecessors.setdefault(s_next, set()).add((s, a))
            target = r if terminated else r + gamma * max(q[s_next])
            insert((s, a), abs(target - q[s][a]))  # (e), (f)
            for _ in range(planning_steps):  # (g)
                if not queue:
                    break
                ps, pa = first()
                model_r, model_next, model_terminated = model[ps, pa]
                target = model_r if model_terminated else model_r + gamma * max(q[model_next])
                step_alpha = schedule_value(alpha, step, visits[ps][pa])
                q[ps][pa] += step_alpha * (target - q[ps][pa])
                for bs, ba in predecessors.get(ps, ()):
                    insert((bs, ba), abs(model[bs, ba][0] + gamma * max(q[ps]) - q[bs][ba]))
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
    return _result(
        "prioritized_sweeping", q, returns, lengths, t, gamma, seed, curve, record_episodes
    )
