"""Numba kernel of prioritized sweeping (Sutton and Barto, section 8.4, the box on page 170).

The loop :func:`prioritized` follows the box, driven by environment steps. After each real
step (S, A) -> (R, S'), the model remembers the last outcome of (S, A) (R, S' and whether it
terminated, as Dyna-Q's tabular model does); then

    P = |R + gamma max_a Q(S', a) - Q(S, A)|          (R alone if the step terminated)

and if P > theta, (S, A) enters the queue with priority P. Then up to ``planning_steps``
times, while the queue is not empty: pop the first pair (S, A), move it towards its model
target, Q(S, A) += alpha (R + gamma max_a Q(S', a) - Q(S, A)), and for every remembered pair
(S~, A~) whose last outcome went to S without terminating, push (S~, A~) with its priority
|R~ + gamma max_a Q(S, a) - Q(S~, A~)| if that exceeds theta. Q changes only in planning, as
in the box: the real step feeds the model and the queue.

The queue holds each pair at most once: a push of a queued pair keeps the larger of its two
priorities (Moore and Atkeson's rule). It is a binary max-heap over three arrays
(``heap_pair``, ``heap_priority``, and ``heap_position``, each pair's slot or -1), ordered by
priority, then by the lower pair index ``s * A + a``: a strict total order on the queued
pairs, so which pair comes first is fixed by the queue's contents alone, however the heap
is arranged (the reference twin pops the maximum of a plain dict and agrees bit for bit).

The predecessors of each state, the remembered non-terminated pairs whose last outcome went
there, are doubly linked lists over pairs (``predecessor_head[s]``, ``predecessor_next``,
``predecessor_prev``), relinked when a pair's remembered outcome changes. Their order does not
matter: a planning update pushes every predecessor of one state with priorities computed from
a Q that the pushes do not change, and the larger-priority rule commutes.

Random draws, in order, per step: at an episode start ``uniform`` for the initial state;
the behaviour action (as Q-learning's); the outcome (unless K == 1). Planning draws nothing.

The run state lives in arrays the caller owns, with the queue's length in the cursor's
``QUEUE_SIZE`` slot and the count of planning updates in ``N_UPDATES``, so a run stops at
any step and resumes bit for bit. Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import inline_kernel, kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    ACTION,
    CURSOR_SIZE,
    EPISODE_STEP,
    N_EPISODES,
    N_SEEN,
    STATE,
    STEP,
    VISIT_COUNT,
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
PRIORITIZED_SWEEPING = 0

#: The cursor slot that holds the queue's length (Dyna-Q's count of seen pairs elsewhere).
QUEUE_SIZE = N_SEEN
#: An extra cursor slot: the planning updates made so far (Sutton and Barto's figure 8.5
#: counts these); the cursor of this learner is one slot longer than the TD learners'.
N_UPDATES = CURSOR_SIZE
PRIORITIZED_CURSOR_SIZE = CURSOR_SIZE + 1

#: Prioritized sweeping's hyper-parameters (every field but ``exploration`` per run in a batch).
PrioritizedSettings = namedtuple(
    "PrioritizedSettings", "exploration gamma alpha explore planning_steps theta"
)
#: A run's state: the table, visit counts (empty unless alpha counts visits), the model, the
#: predecessor lists, the queue, the cursor and the episode records.
PrioritizedState = namedtuple(
    "PrioritizedState",
    "rng q_values visits model_next model_reward model_terminated predecessor_head "
    "predecessor_next predecessor_prev heap_pair heap_priority heap_position cursor "
    "episode_return episode_returns episode_lengths",
)


@inline_kernel
def comes_first(priority, pair, other_priority, other_pair):
    """Whether a queued pair pops before another: higher priority, then the lower index."""
    return priority > other_priority or (priority == other_priority and pair < other_pair)


@inline_kernel
def sift_up(heap_pair, heap_priority, heap_position, slot):
    """Move the entry at ``slot`` up until its parent comes first."""
    pair = heap_pair[slot]
    priority = heap_priority[slot]
    while slot > 0:
        parent = (slot - 1) // 2
        if not comes_first(priority, pair, heap_priority[parent], heap_pair[parent]):
            break
        heap_pair[slot] = heap_pair[parent]
        heap_priority[slot] = heap_priority[parent]
        heap_position[heap_pair[slot]] = slot
        slot = parent
    heap_pair[slot] = pair
    heap_priority[slot] = priority
    heap_position[pair] = slot


@inline_kernel
def sift_down(heap_pair, heap_priority, heap_position, slot, size):
    """Move the entry at ``slot`` down until it comes before both children."""
    pair = heap_pair[slot]
    priority = heap_priority[slot]
    while True:
        child = 2 * slot + 1
        if child >= size:
            break
        right = child + 1
        if right < size and comes_first(
            heap_priority[right], heap_pair[right], heap_priority[child], heap_pair[child]
        ):
            child = right
        if not comes_first(heap_priority[child], heap_pair[child], priority, pair):
            break
        heap_pair[slot] = heap_pair[child]
        heap_priority[slot] = heap_priority[child]
        heap_position[heap_pair[slot]] = slot
        slot = child
    heap_pair[slot] = pair
    heap_priority[slot] = priority
    heap_position[pair] = slot


@inline_kernel
def push(heap_pair, heap_priority, heap_position, size, pair, priority):
    """Queue ``pair`` with ``priority`` (a queued pair keeps the larger); the new length."""
    slot = heap_position[pair]
    if slot >= 0:
        if priority > heap_priority[slot]:
            heap_priority[slot] = priority
            sift_up(heap_pair, heap_priority, heap_position, slot)
        return size
    heap_pair[size] = pair
    heap_priority[size] = priority
    sift_up(heap_pair, heap_priority, heap_position, size)
    return size + 1


@inline_kernel
def pop(heap_pair, heap_priority, heap_position, size):
    """Remove the first pair of a non-empty queue; the pair and the new length."""
    first = heap_pair[0]
    heap_position[first] = -1
    size -= 1
    if size > 0:
        heap_pair[0] = heap_pair[size]
        heap_priority[0] = heap_priority[size]
        sift_down(heap_pair, heap_priority, heap_position, 0, size)
    return first, size


@inline_kernel
def unlink(predecessor_head, predecessor_next, predecessor_prev, state, pair):
    """Take ``pair`` out of the predecessor list of ``state``."""
    after = predecessor_next[pair]
    before = predecessor_prev[pair]
    if before >= 0:
        predecessor_next[before] = after
    else:
        predecessor_head[state] = after
    if after >= 0:
        predecessor_prev[after] = before


@inline_kernel
def link(predecessor_head, predecessor_next, predecessor_prev, state, pair):
    """Put ``pair`` at the front of the predecessor list of ``state``."""
    first = predecessor_head[state]
    predecessor_next[pair] = first
    predecessor_prev[pair] = -1
    if first >= 0:
        predecessor_prev[first] = pair
    predecessor_head[state] = pair


@loop_kernel
def prioritized(algorithm, model, settings, stop_step, state):
    """Run prioritized sweeping until ``stop_step`` steps in all or ``episode_returns`` is full."""
    exploration, gamma, theta = settings.exploration, settings.gamma, settings.theta
    planning_steps = settings.planning_steps
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, q_values, visits, cursor = state.rng, state.q_values, state.visits, state.cursor
    model_next, model_reward = state.model_next, state.model_reward
    model_terminated = state.model_terminated
    predecessor_head = state.predecessor_head
    predecessor_next, predecessor_prev = state.predecessor_next, state.predecessor_prev
    heap_pair, heap_priority = state.heap_pair, state.heap_priority
    heap_position = state.heap_position
    episode_return = state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    count_visits = settings.alpha[0] == VISIT_COUNT
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    e_kind, e_start, e_end, e_steps, e_omega = schedule_fields(settings.explore)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    a = cursor[ACTION]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    size = cursor[QUEUE_SIZE]
    n_updates = cursor[N_UPDATES]
    accumulated = episode_return[0]
    while t < stop_step and n_episodes < capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            episode_step = 0
            accumulated = 0.0
        level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
        a, stream = behave_allowed(exploration, q_values, q_values, s, False, level, model, stream)
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        if count_visits:
            visits[s, a] += 1
        step = t  # the step just taken: the planning updates read the schedule here
        t += 1
        episode_step += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and episode_step >= max_episode_steps

        # The model remembers the last outcome; the predecessor lists follow it.
        pair = s * n_actions + a
        before = model_next[s, a]
        if before < 0 or before != s_next or model_terminated[s, a] != done:
            if before >= 0 and not model_terminated[s, a]:
                unlink(predecessor_head, predecessor_next, predecessor_prev, before, pair)
            if not done:
                link(predecessor_head, predecessor_next, predecessor_prev, s_next, pair)
        model_next[s, a] = s_next
        model_reward[s, a] = r
        model_terminated[s, a] = done
        target = r
        if not done:
            target = r + gamma * row_max(q_values, q_values, s_next, False)
        priority = abs(target - q_values[s, a])
        if priority > theta:
            size = push(heap_pair, heap_priority, heap_position, size, pair, priority)

        for _ in range(planning_steps):
            if size == 0:
                break
            pair, size = pop(heap_pair, heap_priority, heap_position, size)
            ps = pair // n_actions
            pa = pair - ps * n_actions
            target = model_reward[ps, pa]
            if not model_terminated[ps, pa]:
                target += gamma * row_max(q_values, q_values, model_next[ps, pa], False)
            count = visits[ps, pa] if count_visits else 0
            alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, step, count)
            q_values[ps, pa] += alpha * (target - q_values[ps, pa])
            n_updates += 1
            # Every remembered pair leading to ps may now be off by more than theta.
            value = row_max(q_values, q_values, ps, False)
            lead = predecessor_head[ps]
            while lead >= 0:
                ls = lead // n_actions
                la = lead - ls * n_actions
                priority = abs(model_reward[ls, la] + gamma * value - q_values[ls, la])
                if priority > theta:
                    size = push(heap_pair, heap_priority, heap_position, size, lead, priority)
                lead = predecessor_next[lead]

        if done or truncated:
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            s = -1
        else:
            s = s_next
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[ACTION] = a
    cursor[EPISODE_STEP] = episode_step
    cursor[N_EPISODES] = n_episodes
    cursor[QUEUE_SIZE] = size
    cursor[N_UPDATES] = n_updates
    episode_return[0] = accumulated


@kernel
def prioritized_sweeping(model, settings, stop_step, state):
    """:func:`prioritized` for prioritized sweeping."""
    prioritized(PRIORITIZED_SWEEPING, model, settings, stop_step, state)


@parallel_kernel
def prioritized_batch(algorithm, model, settings, stop_step, state):
    """Independent runs in parallel: run ``r`` is :func:`prioritized` on the ``[r]`` slices of
    ``settings`` and of every ``state`` array. Each run owns its random stream."""
    for r in prange(state.rng.shape[0]):
        prioritized(
            algorithm,
            model,
            PrioritizedSettings(
                settings.exploration,
                settings.gamma[r],
                settings.alpha[r],
                settings.explore[r],
                settings.planning_steps[r],
                settings.theta[r],
            ),
            stop_step,
            PrioritizedState(
                state.rng[r],
                state.q_values[r],
                state.visits[r],
                state.model_next[r],
                state.model_reward[r],
                state.model_terminated[r],
                state.predecessor_head[r],
                state.predecessor_next[r],
                state.predecessor_prev[r],
                state.heap_pair[r],
                state.heap_priority[r],
                state.heap_position[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
