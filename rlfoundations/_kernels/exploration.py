"""Numba kernels of the learners with regret guarantees: episodic, horizon H, exact regret.

One loop, :func:`explore`, serves four algorithms (the ``algorithm`` constant below); every
episode it

1. plans a non-stationary policy of horizon H from what was seen (UCBVI, PSRL, R-max), or reads
   it off the learned table (UCB Q-learning), lowest action index on ties;
2. evaluates that policy **exactly** on the model by one backward pass, O(H S A K), and
   records the episode's regret ``sum_s initial(s) * (V*_0(s) - V^pi_0(s))``;
3. plays it for H steps (or until an outcome terminates) on the model, drawing from the shared
   stream of :mod:`.random`, and updates its counts (and, for UCB Q-learning, its table).

Planned backups over the empirical model sum next states in index order, the terminal outcome
(index S of ``next_counts``) contributing nothing after its reward. A run's state lives in
arrays the caller owns (:data:`ExplorationState`), so a run can stop after any episode and
resume bit for bit. Random draws, in order, per episode:

- PSRL, while planning: for each (s, a) in index order, one Gamma variate per next state
  0..S (Marsaglia and Tsang's method: Box-Muller normals from two uniforms, then one uniform
  for the acceptance test; a shape below 1 takes one more uniform, Gamma(a + 1) * U^(1/a)),
  then one normal for the reward mean;
- the initial state: one ``uniform``;
- per step: epsilon-greedy (``epsilon > 0``) draws ``uniform`` and, when exploring,
  ``below(A)`` (``below(n_allowed[s])`` on a masked model); the outcome draws one
  ``uniform`` unless K == 1.

Action masks: a planned Q of a masked pair is -inf (UCB Q-learning's table starts there), so
every greedy choice and every max ranges over the allowed actions, exploration draws among
them, and the regret is measured against the optimum over them (``optimal_values``). PSRL
draws a posterior for every pair, masked ones too (their draws are never used).

:mod:`rlfoundations.reference.exploration` draws the same in the same order. Inputs are
trusted: the Python layer validated them.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from rlfoundations._kernels._jit import kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    n_choices,
    random_action,
    sample_initial,
    sample_outcome,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Algorithms.
UCBVI = 0
PSRL = 1
UCB_Q_LEARNING = 2
RMAX = 3

# UCB Q-learning's bonuses.
NO_BONUS = 0
HOEFFDING = 1
BERNSTEIN = 2

#: The model: (S, A, K) arrays, ``initial_cdf`` / ``initial_guide`` to draw the start, the
#: expected rewards (S, A), and ``optimal_values`` V*_0 (S,) from backward induction (over
#: the allowed actions). With an action mask, ``allowed``, ``allowed_actions`` and
#: ``n_allowed`` as in :data:`rlfoundations._kernels.learning.Model`; without, all empty.
ExplorationModel = namedtuple(
    "ExplorationModel",
    "next_state prob reward terminated continue_prob expected_reward initial initial_cdf "
    "initial_guide optimal_values allowed allowed_actions n_allowed",
    defaults=(
        np.zeros((0, 0), dtype=np.bool_),
        np.zeros((0, 0), dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    ),
)
#: Hyper-parameters: ``log_term`` is the log factor of the bonuses, ``reward_min`` /
#: ``reward_max`` the reward range the learner is told; ``known_visits`` R-max's m.
ExplorationSettings = namedtuple(
    "ExplorationSettings",
    "algorithm bonus bonus_scale log_term reward_min reward_max known_visits "
    "transition_prior reward_prior_mean reward_prior_variance reward_noise_variance epsilon",
)
#: A run's state, updated in place. ``visits`` (S, A), ``next_counts`` (S, A, S + 1),
#: ``reward_sum`` (S, A); ``q_values`` (H, S, A) the learned (UCB Q-learning) or last planned
#: table; ``stage_visits``, ``value_sum``, ``value_square``, ``beta`` (H, S, A) UCB
#: Q-learning's statistics; ``cursor`` (1,) episodes done; ``regret`` and ``returns`` (K,).
ExplorationState = namedtuple(
    "ExplorationState",
    "rng visits next_counts reward_sum q_values stage_visits value_sum value_square beta "
    "cursor regret returns",
)


@kernel
def standard_normal(stream):
    """One N(0, 1) draw by Box-Muller (the cosine branch) from two uniforms."""
    u1, stream = uniform(stream)
    u2, stream = uniform(stream)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2), stream


@kernel
def gamma_variate(shape, stream):
    """One Gamma(shape, 1) draw (Marsaglia and Tsang, 2000), shape > 0."""
    boost = shape < 1.0
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x, stream = standard_normal(stream)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u, stream = uniform(stream)
        if math.log(1.0 - u) < 0.5 * x * x + d - d * v + d * math.log(v):
            break
    g = d * v
    if boost:
        u, stream = uniform(stream)
        g = g * (1.0 - u) ** (1.0 / shape)
    return g, stream


@kernel
def plan(settings, horizon, state, sampled_next, sampled_reward, policy, table, allowed):
    """Backward induction on the empirical (UCBVI, R-max) or sampled (PSRL) model into
    ``state.q_values`` and ``policy`` (H, S); ``table`` (H + 1, S) is scratch for the values.
    A pair ``allowed`` (S, A; empty: every pair) forbids is worth -inf: never planned for."""
    q = state.q_values
    n_states, n_actions = state.visits.shape
    masked = allowed.shape[0] > 0
    for s in range(n_states):
        table[horizon, s] = 0.0
    span = settings.reward_max - settings.reward_min
    for t in range(horizon - 1, -1, -1):
        cap = (horizon - t) * settings.reward_max
        values = table[t + 1]
        for s in range(n_states):
            best = 0
            for a in range(n_actions):
                n = state.visits[s, a]
                if masked and not allowed[s, a]:
                    qa = -np.inf
                elif settings.algorithm == PSRL:
                    future = 0.0
                    for j in range(n_states):
                        future += sampled_next[s, a, j] * values[j]
                    qa = sampled_reward[s, a] + future
                elif n == 0 or (settings.algorithm == RMAX and n < settings.known_visits):
                    qa = cap
                else:
                    future = 0.0
                    for j in range(n_states):
                        future += state.next_counts[s, a, j] / n * values[j]
                    qa = state.reward_sum[s, a] / n + future
                    if settings.algorithm == UCBVI:
                        bonus = settings.bonus_scale * span * horizon
                        qa = min(cap, qa + bonus * math.sqrt(settings.log_term / n))
                q[t, s, a] = qa
                if qa > q[t, s, best]:
                    best = a
            policy[t, s] = best
            table[t, s] = q[t, s, best]


@kernel
def sample_model(settings, state, sampled_next, sampled_reward, stream):
    """PSRL's posterior draw: a Dirichlet row per (s, a) over next states and the terminal
    outcome, a Normal reward mean per (s, a)."""
    n_states, n_actions = state.visits.shape
    for s in range(n_states):
        for a in range(n_actions):
            total = 0.0
            for j in range(n_states + 1):
                g, stream = gamma_variate(
                    settings.transition_prior + state.next_counts[s, a, j], stream
                )
                sampled_next[s, a, j] = g
                total += g
            for j in range(n_states + 1):
                sampled_next[s, a, j] = sampled_next[s, a, j] / total
            precision = (
                1.0 / settings.reward_prior_variance
                + state.visits[s, a] / settings.reward_noise_variance
            )
            mean = (
                settings.reward_prior_mean / settings.reward_prior_variance
                + state.reward_sum[s, a] / settings.reward_noise_variance
            ) / precision
            z, stream = standard_normal(stream)
            sampled_reward[s, a] = mean + z / math.sqrt(precision)
    return stream


@kernel
def greedy_policy(settings, horizon, state, policy):
    """UCB Q-learning: the greedy action of every stage and state, lowest index on ties."""
    q = state.q_values
    n_states, n_actions = state.visits.shape
    for t in range(horizon):
        for s in range(n_states):
            best = 0
            for a in range(1, n_actions):
                if q[t, s, a] > q[t, s, best]:
                    best = a
            policy[t, s] = best


@kernel
def policy_regret(model, horizon, epsilon, policy, table):
    """``sum_s initial(s) * (V*_0(s) - V^pi_0(s))`` for the epsilon-greedy version of the
    non-stationary ``policy`` (exploring among the allowed actions), by one exact backward
    pass; ``table`` (H + 1, S) is scratch."""
    n_states, n_actions, n_outcomes = model.next_state.shape
    masked = model.allowed.shape[0] > 0
    for s in range(n_states):
        table[horizon, s] = 0.0
    for t in range(horizon - 1, -1, -1):
        values = table[t + 1]
        for s in range(n_states):
            total = 0.0
            choices = n_choices(model.n_allowed, s, n_actions)
            for a in range(n_actions):
                if masked and not model.allowed[s, a]:
                    continue
                weight = epsilon / choices
                if a == policy[t, s]:
                    weight += 1.0 - epsilon
                if weight == 0.0:
                    continue
                future = 0.0
                for k in range(n_outcomes):
                    future += model.continue_prob[s, a, k] * values[model.next_state[s, a, k]]
                total += weight * (model.expected_reward[s, a] + future)
            table[t, s] = total
    regret = 0.0
    for s in range(n_states):
        regret += model.initial[s] * (model.optimal_values[s] - table[0, s])
    return regret


@kernel
def learn_step(settings, horizon, state, t, s, a, reward, next_state, done):
    """UCB Q-learning's update of Q_t(s, a) (Jin et al., 2018, algorithms 1 and 2)."""
    q = state.q_values
    n_states, n_actions = state.visits.shape
    n = state.stage_visits[t, s, a] + 1
    state.stage_visits[t, s, a] = n
    next_value = 0.0
    if not done and t + 1 < horizon:
        best = q[t + 1, next_state, 0]
        for b in range(1, n_actions):
            if q[t + 1, next_state, b] > best:
                best = q[t + 1, next_state, b]
        next_value = min((horizon - t - 1) * settings.reward_max, best)
    alpha = (horizon + 1.0) / (horizon + n)
    span = settings.reward_max - settings.reward_min
    iota = settings.log_term
    bonus = 0.0
    if settings.bonus == HOEFFDING:
        bonus = settings.bonus_scale * span * math.sqrt(horizon**3 * iota / n)
    elif settings.bonus == BERNSTEIN:
        state.value_sum[t, s, a] += next_value
        state.value_square[t, s, a] += next_value * next_value
        mean = state.value_sum[t, s, a] / n
        variance = max(0.0, state.value_square[t, s, a] / n - mean * mean)
        bernstein = math.sqrt(horizon / n * (variance + horizon * span * span) * iota) + (
            span * math.sqrt(horizon**7 * n_states * n_actions) * iota / n
        )
        hoeffding = span * math.sqrt(horizon**3 * iota / n)
        beta = settings.bonus_scale * min(bernstein, hoeffding)
        bonus = (beta - (1.0 - alpha) * state.beta[t, s, a]) / (2.0 * alpha)
        state.beta[t, s, a] = beta
    q[t, s, a] = (1.0 - alpha) * q[t, s, a] + alpha * (reward + next_value + bonus)


@kernel
def explore(model, settings, stop_episode, state):
    """Run episodes ``state.cursor[0]`` .. ``stop_episode - 1`` of one run."""
    horizon = state.q_values.shape[0]
    n_states, n_actions, n_outcomes = model.next_state.shape
    next_flat = model.next_state.reshape(-1)
    prob_flat = model.prob.reshape(-1)
    reward_flat = model.reward.reshape(-1)
    terminated_flat = model.terminated.reshape(-1)
    policy = np.zeros((horizon, n_states), dtype=np.int64)
    sampled_table = np.zeros((n_states, n_actions, n_states + 1))
    sampled_reward = np.zeros((n_states, n_actions))
    table = np.zeros((horizon + 1, n_states))
    stream = load_state(state.rng)
    epsilon = settings.epsilon
    for episode in range(state.cursor[0], stop_episode):
        if settings.algorithm == UCB_Q_LEARNING:
            greedy_policy(settings, horizon, state, policy)
        else:
            if settings.algorithm == PSRL:
                stream = sample_model(settings, state, sampled_table, sampled_reward, stream)
            allowed = model.allowed
            plan(settings, horizon, state, sampled_table, sampled_reward, policy, table, allowed)
        state.regret[episode] = policy_regret(model, horizon, epsilon, policy, table)
        u, stream = uniform(stream)
        s = sample_initial(model.initial_cdf, model.initial_guide, u)
        episode_return = 0.0
        for t in range(horizon):
            a = policy[t, s]
            if epsilon > 0.0:
                u, stream = uniform(stream)
                if u < epsilon:
                    a, stream = random_action(
                        model.allowed_actions, model.n_allowed, s, n_actions, stream
                    )
            first = (s * n_actions + a) * n_outcomes
            slot, stream = sample_outcome(prob_flat, first, n_outcomes, stream)
            reward = reward_flat[slot]
            next_state = next_flat[slot]
            done = terminated_flat[slot]
            state.visits[s, a] += 1
            state.next_counts[s, a, n_states if done else next_state] += 1
            state.reward_sum[s, a] += reward
            if settings.algorithm == UCB_Q_LEARNING:
                learn_step(settings, horizon, state, t, s, a, reward, next_state, done)
            episode_return += reward
            if done:
                break
            s = next_state
        state.returns[episode] = episode_return
        state.cursor[0] = episode + 1
    store_state(stream, state.rng)


@parallel_kernel
def explore_batch(model, settings, stop_episode, state):
    """Independent runs of :func:`explore` (one per seed: every state field carries a
    leading run axis), in parallel with ``prange``."""
    for run in prange(state.rng.shape[0]):
        explore(
            model,
            settings,
            stop_episode,
            ExplorationState(
                state.rng[run],
                state.visits[run],
                state.next_counts[run],
                state.reward_sum[run],
                state.q_values[run],
                state.stage_visits[run],
                state.value_sum[run],
                state.value_square[run],
                state.beta[run],
                state.cursor[run],
                state.regret[run],
                state.returns[run],
            ),
        )
