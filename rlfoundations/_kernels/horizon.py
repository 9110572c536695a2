"""Numba kernel of finite-horizon backward induction.

Plain (S, A, K) arrays, no block layout: ``successor`` next states, ``continue_prob`` the
probability of each outcome that does not end the episode, ``reward`` (S, A) the expected
reward. Stage ``t`` backs up

    Q_t(s, a) = R(s, a) + gamma * sum_k continue_prob[s, a, k] * V_{t+1}[successor[s, a, k]]

outcome by outcome in slot order, as :mod:`rlfoundations.reference.horizon` does; ties go to
the lowest action index (strict ``>``).
"""

from __future__ import annotations

from rlfoundations._kernels._jit import kernel


@kernel
def backward_induction(successor, continue_prob, reward, gamma, values, q_values, policy):
    """Fill ``values[t]``, ``q_values[t]``, ``policy[t]`` for t = horizon - 1 down to 0;
    ``values[horizon]`` holds the terminal values on entry."""
    horizon = policy.shape[0]
    n_states, n_actions, n_outcomes = successor.shape
    for t in range(horizon - 1, -1, -1):
        for s in range(n_states):
            best = 0
            for a in range(n_actions):
                future = 0.0
                for k in range(n_outcomes):
                    future += continue_prob[s, a, k] * values[t + 1, successor[s, a, k]]
                q = reward[s, a] + gamma * future
                q_values[t, s, a] = q
                if q > q_values[t, s, best]:
                    best = a
            policy[t, s] = best
            values[t, s] = q_values[t, s, best]
