"""Numba kernels of the average-reward learners: differential Q-learning and SARSA.

The loop :func:`differential` learns action values relative to the average reward (Sutton and
Barto, section 10.3; Wan, Naik and Sutton, 2021). With the TD error

    delta = R - gain + Q(S', A') - Q(S, A)         (differential SARSA, A' the next action)
    delta = R - gain + max_a' Q(S', a') - Q(S, A)  (differential Q-learning)

both move Q(S, A) += alpha * delta and the average-reward estimate gain += eta * alpha * delta,
from the same delta (computed before either update). There is no discount.

A continuing task has no episodes: a terminated outcome restarts one, its next state drawn
from ``initial``, and the update bootstraps from that state (the restart is a transition of
the continuing chain, as in :mod:`rlfoundations.average`); the time limit is ignored. The
stretches between restarts are recorded as episodes (return, length), so a model that never
terminates records none.

Random draws, in order: at the run's start ``uniform`` for the initial state (and, for SARSA,
the behaviour action); per step the behaviour action (Q-learning), the outcome (unless
K == 1), ``uniform`` for the restart state (if the outcome terminated), then the next action
(SARSA). Masked table entries hold -inf (the caller sets them); exploration draws among the
allowed actions. Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    ACTION,
    EPISODE_STEP,
    N_EPISODES,
    STATE,
    STEP,
    behave_allowed,
    flat_model,
    row_max,
    sample_initial,
    sample_outcome,
    schedule_at,
    schedule_fields,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Algorithms.
DIFFERENTIAL_Q_LEARNING = 0
DIFFERENTIAL_SARSA = 1

#: An average-reward learner's hyper-parameters: ``alpha`` and ``explore`` are schedules,
#: ``eta`` the ratio of the gain's step size to alpha. In a batch, every field but
#: ``exploration`` carries a leading run axis.
DifferentialSettings = namedtuple("DifferentialSettings", "exploration alpha explore eta")
#: An average-reward run's state: the table, the gain estimate (one entry), the cursor.
DifferentialState = namedtuple(
    "DifferentialState",
    "rng q_values gain cursor episode_return episode_returns episode_lengths",
)


@loop_kernel
def differential(algorithm, model, settings, stop_step, state):
    """Run an average-reward learner until ``stop_step`` steps or ``episode_returns`` is full."""
    exploration, eta = settings.exploration, settings.eta
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    rng, q_values, gain, cursor = state.rng, state.q_values, state.gain, state.cursor
    episode_return = state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    on_policy = algorithm == DIFFERENTIAL_SARSA
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    e_kind, e_start, e_end, e_steps, e_omega = schedule_fields(settings.explore)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    a = cursor[ACTION]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = episode_return[0]
    average = gain[0]
    if s < 0 and t < stop_step and n_episodes < capacity:
        # The run's start (a restart later is drawn with the step that ends an episode).
        u, stream = uniform(stream)
        s = sample_initial(initial_cdf, initial_guide, u)
        if on_policy:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a, stream = behave_allowed(exploration, q_values, q_values, s, False, level, model,
                                       stream)  # fmt: skip
    while t < stop_step and n_episodes < capacity:
        if not on_policy:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a, stream = behave_allowed(exploration, q_values, q_values, s, False, level, model,
                                       stream)  # fmt: skip
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, 0)
        t += 1
        episode_step += 1
        accumulated += r
        if done:
            u, stream = uniform(stream)
            s_next = sample_initial(initial_cdf, initial_guide, u)
        a_next = 0
        if on_policy:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a_next, stream = behave_allowed(exploration, q_values, q_values, s_next, False, level,
                                            model, stream)  # fmt: skip
            following = q_values[s_next, a_next]
        else:
            following = row_max(q_values, q_values, s_next, False)
        delta = r - average + following - q_values[s, a]
        q_values[s, a] += alpha * delta
        average += eta * alpha * delta
        if done:
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            episode_step = 0
            accumulated = 0.0
        s = s_next
        a = a_next
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[ACTION] = a
    cursor[EPISODE_STEP] = episode_step
    cursor[N_EPISODES] = n_episodes
    episode_return[0] = accumulated
    gain[0] = average


@kernel
def differential_q_learning(model, settings, stop_step, state):
    """:func:`differential` for differential Q-learning."""
    differential(DIFFERENTIAL_Q_LEARNING, model, settings, stop_step, state)


@kernel
def differential_sarsa(model, settings, stop_step, state):
    """:func:`differential` for differential SARSA."""
    differential(DIFFERENTIAL_SARSA, model, settings, stop_step, state)


@parallel_kernel
def differential_batch(algorithm, model, settings, stop_step, state):
    """Independent average-reward runs in parallel: run ``r`` is :func:`differential` on the
    ``[r]`` slices of ``settings`` and of every ``state`` array. Each run owns its stream."""
    for r in prange(state.rng.shape[0]):
        differential(
            algorithm,
            model,
            DifferentialSettings(
                settings.exploration, settings.alpha[r], settings.explore[r], settings.eta[r]
            ),
            stop_step,
            DifferentialState(
                state.rng[r],
                state.q_values[r],
                state.gain[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
