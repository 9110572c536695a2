"""Numba kernels of the eligibility-trace learners: Sarsa(lambda) and Watkins's Q(lambda).

Sutton and Barto, chapter 12 (sections 12.7 and 12.10), tabular: one trace per pair. The
loop :func:`traces` serves both algorithms; a single run enters through the kernel named after
its algorithm (:func:`sarsa_lambda`, :func:`watkins_q_lambda`), which passes the algorithm as a
constant, and :func:`traces_batch` runs many independent runs with ``prange``. The arguments
come in the same three bundles as the other learners' (:mod:`rlfoundations._kernels.learning`):
the :data:`~rlfoundations._kernels.learning.Model`, the hyper-parameters
(:data:`TraceSettings`) and the run state (:data:`TraceState`, updated in place, with the
cursor layout of the TD learners), so a run stops at any step and resumes bit for bit.

Per step, with a' the next behaviour action (drawn unless the transition terminated):

    delta = r + gamma * Q(s', a*) - Q(s, a)        (delta = r - Q(s, a) when terminated)
    E(s, a) <- E(s, a) + 1 | 1 | (1 - alpha) E(s, a) + 1    (accumulating | replacing | dutch)
    Q <- Q + alpha * delta * E                     (every pair)
    E <- gamma * lambda * E                        (Watkins: E <- 0 if a' is not greedy)

with a* = a' (Sarsa(lambda)) or a greedy action of s' (Watkins's Q(lambda), a' itself when it
ties for the maximum). Traces are cleared when an episode starts. Only the pairs with a
non-zero trace are visited, kept in a list (``active``; the cursor's ``N_SEEN`` field counts
them): the update of each pair is independent of the others, so the order of the list does
not change a bit, and a step costs the length of the trace, not ``n_states * n_actions``.

Random draws, in order: at an episode start ``uniform`` for the initial state, then the
behaviour action; per step, the outcome (unless K == 1), then the next action (unless
terminated). The reference twins draw the same, in the same order.

Action masks: as the TD learners' (:mod:`rlfoundations._kernels.learning`): masked entries
of Q hold -inf (the caller sets them), the behaviour explores among the allowed actions
(:func:`~rlfoundations._kernels.learning.behave_allowed`), and Watkins's greedy action is a
maximum over the allowed ones; a masked pair is never taken, so its trace stays 0.

Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    ACTION,
    EPISODE_STEP,
    N_EPISODES,
    N_SEEN,
    STATE,
    STEP,
    behave_allowed,
    flat_model,
    sample_initial,
    sample_outcome,
    schedule_at,
    schedule_fields,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Algorithms.
SARSA_LAMBDA = 0
WATKINS_Q_LAMBDA = 1

# Traces.
ACCUMULATING = 0
REPLACING = 1
DUTCH = 2

#: A trace learner's hyper-parameters: ``alpha`` and ``explore`` are schedules
#: ``[kind, start, end, steps, omega]``, ``lam`` the trace decay, ``trace`` its kind. In a
#: batch, every field but ``exploration`` carries a leading run axis.
TraceSettings = namedtuple("TraceSettings", "exploration gamma alpha explore lam trace")
#: A trace run's state, updated in place: the table, the eligibility traces, the pairs
#: whose trace is non-zero (``active[:cursor[N_SEEN]]``, flat ``s * A + a``), the cursor.
TraceState = namedtuple(
    "TraceState",
    "rng q_values eligibility active cursor episode_return episode_returns episode_lengths",
)


@loop_kernel
def traces(algorithm, model, settings, stop_step, state):
    """Run a trace learner until ``stop_step`` steps in all or ``episode_returns`` is full."""
    exploration, gamma, lam, trace = (
        settings.exploration,
        settings.gamma,
        settings.lam,
        settings.trace,
    )
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, q_values, eligibility, cursor = state.rng, state.q_values, state.eligibility, state.cursor
    active = state.active
    episode_return = state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    decay = gamma * lam
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    e_kind, e_start, e_end, e_steps, e_omega = schedule_fields(settings.explore)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    a = cursor[ACTION]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = episode_return[0]
    n_active = cursor[N_SEEN]
    while t < stop_step and n_episodes < capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            episode_step = 0
            accumulated = 0.0
            for i in range(n_active):
                pair = active[i]
                eligibility[pair // n_actions, pair % n_actions] = 0.0
            n_active = 0
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a, stream = behave_allowed(
                exploration, q_values, q_values, s, False, level, model, stream
            )
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, 0)
        t += 1
        episode_step += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and episode_step >= max_episode_steps

        a_next = 0
        greedy = True
        delta = r - q_values[s, a]
        if not done:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a_next, stream = behave_allowed(
                exploration, q_values, q_values, s_next, False, level, model, stream
            )
            target_action = a_next
            if algorithm == WATKINS_Q_LAMBDA:
                top = q_values[s_next, 0]
                best = 0
                for b in range(1, n_actions):
                    if q_values[s_next, b] > top:
                        top = q_values[s_next, b]
                        best = b
                if q_values[s_next, a_next] == top:
                    best = a_next
                greedy = best == a_next
                target_action = best
            delta = r + gamma * q_values[s_next, target_action] - q_values[s, a]

        if eligibility[s, a] == 0.0:
            active[n_active] = s * n_actions + a
            n_active += 1
        if trace == ACCUMULATING:
            eligibility[s, a] += 1.0
        elif trace == REPLACING:
            eligibility[s, a] = 1.0
        else:
            eligibility[s, a] = (1.0 - alpha) * eligibility[s, a] + 1.0
        step = alpha * delta
        keep = decay if greedy else 0.0
        kept = 0
        for i in range(n_active):
            pair = active[i]
            x = pair // n_actions
            b = pair - x * n_actions
            e = eligibility[x, b]
            q_values[x, b] += step * e
            e = keep * e
            eligibility[x, b] = e
            if e != 0.0:  # a trace cut (Watkins) or decayed to 0 leaves the list
                active[kept] = pair
                kept += 1
        n_active = kept

        if done or truncated:
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            s = -1
        else:
            s = s_next
            a = a_next
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[ACTION] = a
    cursor[EPISODE_STEP] = episode_step
    cursor[N_EPISODES] = n_episodes
    cursor[N_SEEN] = n_active
    episode_return[0] = accumulated


@kernel
def sarsa_lambda(model, settings, stop_step, state):
    """:func:`traces` for Sarsa(lambda)."""
    traces(SARSA_LAMBDA, model, settings, stop_step, state)


@kernel
def watkins_q_lambda(model, settings, stop_step, state):
    """:func:`traces` for Watkins's Q(lambda)."""
    traces(WATKINS_Q_LAMBDA, model, settings, stop_step, state)


@parallel_kernel
def traces_batch(algorithm, model, settings, stop_step, state):
    """Independent trace runs in parallel: run ``r`` is :func:`traces` on the ``[r]`` slices
    of ``settings`` and of every ``state`` array. Each run owns its random stream."""
    for r in prange(state.rng.shape[0]):
        traces(
            algorithm,
            model,
            TraceSettings(
                settings.exploration,
                settings.gamma[r],
                settings.alpha[r],
                settings.explore[r],
                settings.lam[r],
                settings.trace[r],
            ),
            stop_step,
            TraceState(
                state.rng[r],
                state.q_values[r],
                state.eligibility[r],
                state.active[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
