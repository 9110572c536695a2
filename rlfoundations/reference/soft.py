"""Pure-Python twin of :func:`rlfoundations.soft_value_iteration`.

The soft Bellman backup

    V(s) = temperature * log sum_a exp(Q(s, a) / temperature)

written with the log-sum-exp shift, loop by loop, with ``math.exp`` and ``math.log``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.planning import expected_reward
from rlfoundations.results import ConvergenceWarning, SoftResult

__all__ = ["soft_value_iteration"]


def _soft_backup(mdp, values, gamma, temperature, s):
    q_row = []
    for a in range(mdp.n_actions):
        future = 0.0
        for k in range(mdp.max_outcomes):
            if not mdp.terminated[s, a, k]:
                future += float(mdp.prob[s, a, k]) * values[int(mdp.next_state[s, a, k])]
        q_row.append(expected_reward(mdp, s, a) + gamma * future)
    largest = max(q_row)
    total = 0.0
    for q in q_row:
        total += math.exp((q - largest) / temperature)
    return largest + temperature * math.log(total), q_row


def soft_value_iteration(
    mdp: TabularMDP,
    gamma: float,
    temperature: float,
    *,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
) -> SoftResult:
    """Soft sweeps until max |V' - V| < epsilon (1 - gamma) / gamma."""
    gamma, temperature = float(gamma), float(temperature)
    max_iter = 10_000 if max_iter is None else max_iter
    threshold = math.inf if gamma == 0.0 else epsilon * (1.0 - gamma) / gamma
    values = [0.0] * mdp.n_states
    residuals, converged = [], False
    for _ in range(max_iter):
        new_values = [
            _soft_backup(mdp, values, gamma, temperature, s)[0] for s in range(mdp.n_states)
        ]
        residuals.append(max(abs(n - o) for n, o in zip(new_values, values, strict=True)))
        values = new_values
        if residuals[-1] < threshold:
            converged = True
            break
    if not converged:
        warnings.warn("soft_value_iteration stopped at max_iter", ConvergenceWarning, 2)
    q_values, policy = [], []
    for s in range(mdp.n_states):
        value, q_row = _soft_backup(mdp, values, gamma, temperature, s)
        q_values.append(q_row)
        policy.append([math.exp((q - value) / temperature) for q in q_row])
    margin = 0.0 if gamma == 0.0 else gamma / (1.0 - gamma) * residuals[-1]
    shape = (mdp.n_states, mdp.n_actions)
    return SoftResult(
        values=np.array(values, dtype=np.float64),
        q_values=np.array(q_values, dtype=np.float64).reshape(shape),
        policy=np.array(policy, dtype=np.float64).reshape(shape),
        lower=np.array(values, dtype=np.float64) - margin,
        upper=np.array(values, dtype=np.float64) + margin,
        iterations=len(residuals),
        converged=converged,
        residuals=np.array(residuals, dtype=np.float64),
        gamma=gamma,
        temperature=temperature,
    )
