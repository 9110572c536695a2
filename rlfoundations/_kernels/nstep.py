"""Numba kernels of the n-step learners: n-step SARSA (Sutton and Barto, section 7.2).

The loop :func:`nstep` follows the box of section 7.2, driven by environment steps: after
step t, the pair of step tau = t - n + 1 moves towards the n-step return

    G = R_{tau+1} + gamma R_{tau+2} + ... + gamma^{n-1} R_{tau+n} + gamma^n Q(S_{tau+n}, A_{tau+n})

(the sum added left to right); when the episode ends at T = t + 1, the pairs of steps
max(0, t - n + 1) .. T - 1 are all updated in order, their returns cut at T (a terminated
end adds nothing after it, a truncated one adds gamma^(T - tau) Q(S_T, A_T)). The last n + 1
states, actions and rewards live in ring buffers of the run state (slot i mod (n + 1)), so a
run stops at any step and resumes bit for bit. With n = 1 this is SARSA, bit for bit.

Random draws, in order, as SARSA's: at an episode start ``uniform`` for the initial state and
the behaviour action; per step the outcome (unless K == 1), then the next action (unless
terminated). Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import inline_kernel, kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    ACTION,
    EPISODE_STEP,
    N_EPISODES,
    STATE,
    STEP,
    behave,
    flat_model,
    sample_initial,
    sample_outcome,
    schedule_at,
    schedule_fields,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Algorithms.
N_STEP_SARSA = 0

#: An n-step learner's hyper-parameters (``n`` per run in a batch, like every field but
#: ``exploration``).
NStepSettings = namedtuple("NStepSettings", "exploration gamma alpha explore n")
#: An n-step run's state: the table, the ring buffers of the last n + 1 steps, the cursor.
NStepState = namedtuple(
    "NStepState",
    "rng q_values ring_state ring_action ring_reward cursor episode_return episode_returns "
    "episode_lengths",
)


@inline_kernel
def n_step_update(q_values, ring_state, ring_action, ring_reward, tau, end, n, gamma, alpha,
                  bootstrap):  # fmt: skip
    """Move the pair of step ``tau`` towards its return over steps tau+1 .. end (at most n),
    plus the discounted Q of the pair at ``end`` if ``bootstrap``."""
    size = n + 1
    g = 0.0
    discount = 1.0
    for i in range(tau + 1, end + 1):
        g += discount * ring_reward[i % size]
        discount *= gamma
    if bootstrap:
        g += discount * q_values[ring_state[end % size], ring_action[end % size]]
    s = ring_state[tau % size]
    a = ring_action[tau % size]
    q_values[s, a] += alpha * (g - q_values[s, a])


@loop_kernel
def nstep(algorithm, model, settings, stop_step, state):
    """Run an n-step learner until ``stop_step`` steps in all or ``episode_returns`` is full."""
    exploration, gamma, n = settings.exploration, settings.gamma, settings.n
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, q_values, cursor = state.rng, state.q_values, state.cursor
    ring_state, ring_action, ring_reward = state.ring_state, state.ring_action, state.ring_reward
    episode_return = state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    size = n + 1
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    e_kind, e_start, e_end, e_steps, e_omega = schedule_fields(settings.explore)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    a = cursor[ACTION]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = episode_return[0]
    while t < stop_step and n_episodes < capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            episode_step = 0
            accumulated = 0.0
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a, stream = behave(exploration, q_values, q_values, s, False, level, stream)
            ring_state[0] = s
            ring_action[0] = a
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, 0)
        t += 1
        step = episode_step  # the step just taken, within the episode
        episode_step += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and episode_step >= max_episode_steps
        a_next = 0
        if not done:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a_next, stream = behave(exploration, q_values, q_values, s_next, False, level, stream)
        ring_state[episode_step % size] = s_next
        ring_action[episode_step % size] = a_next
        ring_reward[episode_step % size] = r
        first = step - n + 1
        if done or truncated:
            for tau in range(max(first, 0), episode_step):
                n_step_update(
                    q_values, ring_state, ring_action, ring_reward, tau,
                    min(tau + n, episode_step), n, gamma, alpha, not done,
                )  # fmt: skip
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            s = -1
        else:
            if first >= 0:
                n_step_update(
                    q_values, ring_state, ring_action, ring_reward, first, first + n, n, gamma,
                    alpha, True,
                )  # fmt: skip
            s = s_next
            a = a_next
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[ACTION] = a
    cursor[EPISODE_STEP] = episode_step
    cursor[N_EPISODES] = n_episodes
    episode_return[0] = accumulated


@kernel
def n_step_sarsa(model, settings, stop_step, state):
    """:func:`nstep` for n-step SARSA."""
    nstep(N_STEP_SARSA, model, settings, stop_step, state)


@parallel_kernel
def nstep_batch(algorithm, model, settings, stop_step, state):
    """Independent n-step runs in parallel: run ``r`` is :func:`nstep` on the ``[r]`` slices
    of ``settings`` and of every ``state`` array. Each run owns its random stream."""
    for r in prange(state.rng.shape[0]):
        nstep(
            algorithm,
            model,
            NStepSettings(
                settings.exploration,
                settings.gamma[r],
                settings.alpha[r],
                settings.explore[r],
                settings.n[r],
            ),
            stop_step,
            NStepState(
                state.rng[r],
                state.q_values[r],
                state.ring_state[r],
                state.ring_action[r],
                state.ring_reward[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
