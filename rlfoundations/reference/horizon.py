"""Pure-Python twin of :func:`rlfoundations.backward_induction`: the textbook recursion.

    V_T = terminal values,  V_t(s) = max_a [R(s, a) + gamma * sum_k P_k * V_{t+1}(s'_k)]

(terminated outcomes contribute nothing after their reward), looped state by state, outcome
by outcome in slot order, lowest action on ties, the max over the actions ``action_mask``
allows (a masked action's Q is -inf). Slow by design: an oracle for the kernel.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.planning import expected_reward
from rlfoundations.results import FiniteHorizonResult

__all__ = ["backward_induction"]


def backward_induction(
    mdp: TabularMDP,
    horizon: int | str,
    *,
    gamma: float = 1.0,
    terminal_values: Iterable[float] | None = None,
) -> FiniteHorizonResult:
    """Optimal values, Q-values and policy of every stage, by backward recursion."""
    if horizon == "max_episode_steps":
        horizon = mdp.max_episode_steps  # type: ignore[assignment]
    horizon, gamma = int(horizon), float(gamma)
    n_states, n_actions = mdp.n_states, mdp.n_actions
    terminal = [0.0] * n_states if terminal_values is None else [float(v) for v in terminal_values]
    values = [[0.0] * n_states for _ in range(horizon)] + [terminal]
    q_values = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
    policy = [[0] * n_states for _ in range(horizon)]
    mask = mdp.action_mask
    for t in range(horizon - 1, -1, -1):
        for s in range(n_states):
            for a in range(n_actions):
                if mask is not None and not mask[s, a]:
                    q_values[t][s][a] = -math.inf  # a masked action is never chosen
                    continue
                future = 0.0
                for k in range(mdp.max_outcomes):
                    if not mdp.terminated[s, a, k]:
                        future += float(mdp.prob[s, a, k]) * values[t + 1][mdp.next_state[s, a, k]]
                q_values[t][s][a] = expected_reward(mdp, s, a) + gamma * future
            best = 0
            for a in range(1, n_actions):
                if q_values[t][s][a] > q_values[t][s][best]:
                    best = a
            policy[t][s] = best
            values[t][s] = q_values[t][s][best]
    return FiniteHorizonResult(
        values=np.array(values, dtype=np.float64).reshape(horizon + 1, n_states),
        q_values=np.array(q_values, dtype=np.float64).reshape(horizon, n_states, n_actions),
        policy=np.array(policy, dtype=np.int64).reshape(horizon, n_states),
        horizon=horizon,
        gamma=gamma,
    )
