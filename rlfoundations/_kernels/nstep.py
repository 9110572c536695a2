"""Numba kernels of the n-step learners: n-step SARSA, tree backup, Q(sigma) (Sutton and Barto,
sections 7.2, 7.5, 7.6).

The loop :func:`nstep` follows the box of section 7.2, driven by environment steps: after
step t, the pair of step tau = t - n + 1 moves towards the n-step return

    G = R_{tau+1} + gamma R_{tau+2} + ... + gamma^{n-1} R_{tau+n} + gamma^n Q(S_{tau+n}, A_{tau+n})

(the sum added left to right); when the episode ends at T = t + 1, the pairs of steps
max(0, t - n + 1) .. T - 1 are all updated in order, their returns cut at T (a terminated
end adds nothing after it, a truncated one adds gamma^(T - tau) Q(S_T, A_T)). The last n + 1
states, actions and rewards live in ring buffers of the run state (slot i mod (n + 1)), so a
run stops at any step and resumes bit for bit. With n = 1 this is SARSA, bit for bit.

Tree backup and Q(sigma) (:func:`sigma_update`) share the loop. The return of the pair of
step tau, over steps k = tau+1 .. h (h = min(tau + n, T)), is the textbook recursion

    G_{k-1} = R_k + gamma [(1 - sigma_k) Vbar_{-A_k}(S_k) + w_k G_k],   k < h,
    w_k = sigma_k + (1 - sigma_k) pi(A_k | S_k),
    G_{h-1} = R_h + gamma [sigma_h Q(S_h, A_h) + (1 - sigma_h) Vbar(S_h)]   (R_h if terminated),

with Vbar(s) = sum_a pi(a | s) Q(s, a) and Vbar_{-A}(s) the same sum without action A; it is
added front to back, ``G = sum_k c_k (R_k + gamma (1 - sigma_k) Vbar_{-A_k}(S_k)) + ...`` with
c_{k+1} = c_k gamma w_k, the order n-step SARSA adds in: with sigma = 1 every extra term is
skipped and Q(sigma) is n-step SARSA bit for bit; tree backup is sigma = 0. The target
policy pi is greedy (ties shared equally: Vbar is the maximum itself) or the behaviour
policy (on-policy: Q(sigma)), read from the table at the time of the update.

Random draws, in order, as SARSA's: at an episode start ``uniform`` for the initial state and
the behaviour action; per step the outcome (unless K == 1), then the next action (unless
terminated). SARSA (and Q(sigma) with sigma > 0, whose update reads Q(S_h, A_h)) draws the
next action before the update of the step; tree backup (sigma = 0) draws it after, from the
updated table, and not at all after a truncated step: with n = 1 and the same target, its
draws and updates are those of Expected SARSA (behaviour target) or Q-learning (greedy).
Action masks: masked entries of the table hold -inf (the caller sets them); exploration
draws among the allowed actions and every expectation skips the masked ones.

Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

import math
from collections import namedtuple

from rlfoundations._kernels._jit import inline_kernel, kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    ACTION,
    EPISODE_STEP,
    EPSILON_GREEDY,
    N_EPISODES,
    STATE,
    STEP,
    behave_allowed,
    expected_value,
    flat_model,
    row_max,
    sample_initial,
    sample_outcome,
    schedule_at,
    schedule_fields,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Algorithms.
N_STEP_SARSA = 0
TREE_BACKUP = 1
Q_SIGMA = 2

# Target policies of tree backup and Q(sigma).
GREEDY = 0
BEHAVIOUR = 1

#: An n-step learner's hyper-parameters (per run in a batch, like every field but
#: ``exploration``): ``sigma`` is Q(sigma)'s degree of sampling (1 for n-step SARSA, 0 for
#: tree backup), ``target`` the target policy (:data:`GREEDY` or :data:`BEHAVIOUR`).
NStepSettings = namedtuple("NStepSettings", "exploration gamma alpha explore n sigma target")
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
def expected_except(target, exploration, q_values, s, taken, level, allowed):
    """``(sum_{a != taken} pi(a | s) Q(s, a), pi(taken | s))`` under the target policy, over
    the actions ``allowed[s]`` allows (all if ``allowed`` is empty). Greedy: the maximal
    actions share the probability equally; behaviour: epsilon-greedy (level = epsilon) or
    softmax (level = temperature). A call of its own: softmax's exp dominates."""
    n_actions = q_values.shape[1]
    masked = allowed.shape[0] > 0
    top = row_max(q_values, q_values, s, False)
    n_ties = 0
    n_choices = 0
    for a in range(n_actions):
        if masked and not allowed[s, a]:
            continue
        n_choices += 1
        if q_values[s, a] == top:
            n_ties += 1
    if target == GREEDY:
        if q_values[s, taken] == top:
            return top * (n_ties - 1) / n_ties, 1.0 / n_ties
        return top, 0.0
    partial = 0.0
    p_taken = 0.0
    if exploration == EPSILON_GREEDY:
        for a in range(n_actions):
            if masked and not allowed[s, a]:
                continue
            p = level / n_choices
            if q_values[s, a] == top:
                p += (1.0 - level) / n_ties
            if a == taken:
                p_taken = p
            else:
                partial += p * q_values[s, a]
        return partial, p_taken
    weight_sum = 0.0
    for a in range(n_actions):
        if masked and not allowed[s, a]:
            continue
        weight = math.exp((q_values[s, a] - top) / level)
        weight_sum += weight
        if a == taken:
            p_taken = weight
        else:
            partial += weight * q_values[s, a]
    return partial / weight_sum, p_taken / weight_sum


@inline_kernel
def target_value(target, exploration, q_values, s, level, allowed):
    """``Vbar(s) = sum_a pi(a | s) Q(s, a)`` under the target policy: the maximum (greedy) or
    Expected SARSA's expectation (behaviour)."""
    if target == GREEDY:
        return row_max(q_values, q_values, s, False)
    return expected_value(exploration, q_values, s, level, allowed)


@inline_kernel
def sigma_update(q_values, ring_state, ring_action, ring_reward, tau, end, n, gamma, alpha,
                 bootstrap, sigma, target, exploration, level, allowed):  # fmt: skip
    """Move the pair of step ``tau`` towards its Q(sigma) return over steps tau+1 .. end (at
    most n), bootstrapping at ``end`` if ``bootstrap``: the module's recursion, added front
    to back. ``sigma = 1`` adds exactly what :func:`n_step_update` adds; ``sigma = 0`` is
    tree backup, which never reads the action at ``end``."""
    size = n + 1
    g = 0.0
    discount = 1.0
    for k in range(tau + 1, end + 1):
        g += discount * ring_reward[k % size]
        discount *= gamma
        if k < end and sigma < 1.0:
            partial, p_taken = expected_except(
                target, exploration, q_values, ring_state[k % size], ring_action[k % size],
                level, allowed,
            )  # fmt: skip
            g += discount * ((1.0 - sigma) * partial)
            discount *= sigma + (1.0 - sigma) * p_taken
    if bootstrap:
        s_end = ring_state[end % size]
        if sigma == 1.0:
            leaf = q_values[s_end, ring_action[end % size]]
        elif sigma == 0.0:
            leaf = target_value(target, exploration, q_values, s_end, level, allowed)
        else:
            leaf = sigma * q_values[s_end, ring_action[end % size]] + (1.0 - sigma) * (
                target_value(target, exploration, q_values, s_end, level, allowed)
            )
        g += discount * leaf
    s = ring_state[tau % size]
    a = ring_action[tau % size]
    q_values[s, a] += alpha * (g - q_values[s, a])


@inline_kernel
def update_pair(algorithm, q_values, ring_state, ring_action, ring_reward, tau, end, n, gamma,
                alpha, bootstrap, sigma, target, exploration, level, allowed):  # fmt: skip
    """The update of the pair of step ``tau``, by ``algorithm``."""
    if algorithm == N_STEP_SARSA:
        n_step_update(
            q_values, ring_state, ring_action, ring_reward, tau, end, n, gamma, alpha, bootstrap
        )
    else:
        sigma_update(
            q_values, ring_state, ring_action, ring_reward, tau, end, n, gamma, alpha,
            bootstrap, sigma, target, exploration, level, allowed,
        )  # fmt: skip


@loop_kernel
def nstep(algorithm, model, settings, stop_step, state):
    """Run an n-step learner until ``stop_step`` steps in all or ``episode_returns`` is full."""
    exploration, gamma, n = settings.exploration, settings.gamma, settings.n
    sigma, target = settings.sigma, settings.target
    # Whether the update reads Q(S_h, A_h), so A_h is drawn before it (SARSA, sigma > 0).
    early = algorithm == N_STEP_SARSA or sigma > 0.0
    allowed = model.allowed
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
            a, stream = behave_allowed(
                exploration, q_values, q_values, s, False, level, model, stream
            )
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
        level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
        a_next = 0
        if early and not done:
            a_next, stream = behave_allowed(
                exploration, q_values, q_values, s_next, False, level, model, stream
            )
        ring_state[episode_step % size] = s_next
        ring_action[episode_step % size] = a_next
        ring_reward[episode_step % size] = r
        first = step - n + 1
        if done or truncated:
            for tau in range(max(first, 0), episode_step):
                update_pair(
                    algorithm, q_values, ring_state, ring_action, ring_reward, tau,
                    min(tau + n, episode_step), n, gamma, alpha, not done, sigma, target,
                    exploration, level, allowed,
                )  # fmt: skip
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            s = -1
        else:
            if first >= 0:
                update_pair(
                    algorithm, q_values, ring_state, ring_action, ring_reward, first,
                    first + n, n, gamma, alpha, True, sigma, target, exploration, level,
                    allowed,
                )  # fmt: skip
            if not early:
                # Tree backup's next action, drawn from the table just updated.
                a_next, stream = behave_allowed(
                    exploration, q_values, q_values, s_next, False, level, model, stream
                )
                ring_action[episode_step % size] = a_next
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


@kernel
def n_step_tree_backup(model, settings, stop_step, state):
    """:func:`nstep` for n-step tree backup (``settings.sigma`` is 0)."""
    nstep(TREE_BACKUP, model, settings, stop_step, state)


@kernel
def q_sigma(model, settings, stop_step, state):
    """:func:`nstep` for n-step Q(sigma)."""
    nstep(Q_SIGMA, model, settings, stop_step, state)


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
                settings.sigma[r],
                settings.target[r],
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
