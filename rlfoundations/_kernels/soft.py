"""Numba kernel of soft (entropy-regularised) value iteration.

Plain (S, A, K) arrays as in :mod:`.horizon`. A sweep computes, state by state,

    Q(s, a) = R(s, a) + gamma * sum_k continue_prob[s, a, k] * V[successor[s, a, k]]
    V'(s)   = m + temperature * log sum_a exp((Q(s, a) - m) / temperature),  m = max_a Q(s, a)

(the log-sum-exp shifted by its largest term, so nothing overflows), in the order
:mod:`rlfoundations.reference.soft` uses.
"""

from __future__ import annotations

import math

import numpy as np

from rlfoundations._kernels._jit import kernel


@kernel
def soft_backup(successor, continue_prob, reward, gamma, temperature, values, s, q_row):
    """Fill ``q_row`` with Q(s, .) and return the soft maximum of it."""
    n_actions, n_outcomes = successor.shape[1], successor.shape[2]
    largest = -np.inf
    for a in range(n_actions):
        future = 0.0
        for k in range(n_outcomes):
            future += continue_prob[s, a, k] * values[successor[s, a, k]]
        q_row[a] = reward[s, a] + gamma * future
        largest = max(largest, q_row[a])
    total = 0.0
    for a in range(n_actions):
        total += math.exp((q_row[a] - largest) / temperature)
    return largest + temperature * math.log(total)


@kernel
def soft_value_iteration(
    successor,
    continue_prob,
    reward,
    gamma,
    temperature,
    threshold,
    max_iter,
    values,
    new_values,
    q_values,
    residuals,
):
    """Synchronous soft sweeps until ``max |V' - V| < threshold``; ``values`` holds the
    last sweep's values, ``new_values`` the ones before it. Returns (iterations, converged)."""
    n_states = successor.shape[0]
    for iteration in range(max_iter):
        change = 0.0
        for s in range(n_states):
            new_values[s] = soft_backup(
                successor, continue_prob, reward, gamma, temperature, values, s, q_values[s]
            )
            change = max(change, abs(new_values[s] - values[s]))
        for s in range(n_states):
            values[s], new_values[s] = new_values[s], values[s]
        residuals[iteration] = change
        if change < threshold:
            return iteration + 1, True
    return max_iter, False


@kernel
def soft_policy(successor, continue_prob, reward, gamma, temperature, values, q_values, policy):
    """Q-values of ``values`` and the softmax policy ``exp((Q - soft max Q) / temperature)``."""
    n_states, n_actions = policy.shape
    for s in range(n_states):
        value = soft_backup(
            successor, continue_prob, reward, gamma, temperature, values, s, q_values[s]
        )
        for a in range(n_actions):
            policy[s, a] = math.exp((q_values[s, a] - value) / temperature)
