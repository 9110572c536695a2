"""Numba kernels of the learners: the environment simulated from the model, inside the loop.

Two loops: :func:`td` serves the temporal-difference family, :func:`reinforce` the policy
gradient; :func:`td_batch` and :func:`reinforce_batch` run many independent runs with
``prange``. Their arguments come in three named bundles (namedtuples, which Numba types field
by field): the :data:`Model` simulated, the hyper-parameters (:data:`TDSettings`,
:data:`ReinforceSettings`) and the run state updated in place (:data:`TDState`,
:data:`ReinforceState`). A single TD run enters through the kernel named after its algorithm
(:func:`q_learning`, ...), which hands ``td`` the algorithm as a constant: one loop per
algorithm, compiled when first used, with the other algorithms' branches folded away.
Helpers that take arrays and run at every step are
inlined by Numba (``inline_kernel``); helpers of scalars only (the random draws, the
schedules) are plain calls, compiled once and inlined by LLVM, and so are the softmax draw
and Expected SARSA's target, where ``exp`` dominates: Numba's inlining re-types a helper at
every call site. ``td`` and ``reinforce`` are compiled without reference counting
(:data:`~rlfoundations._kernels._jit.loop_kernel`): they allocate nothing, and the atomic
refcount operations Numba left around the inlined helpers cost more than the rest of a step.

A run's whole state lives in arrays the caller owns and the kernel updates in place: the
random stream ``rng`` (uint64, 4 words), the tables, and a ``cursor`` (int64) holding the
step counter, the current state and action, the step within the episode, the number of
finished episodes and of model pairs seen (Dyna-Q), plus ``episode_return`` (float64, 1).
A run can therefore stop at any step (``stop_step``) or when ``episode_returns`` is full, and
resume bit for bit: chunked runs equal unchunked runs. The loops keep the stream, the cursor
and the return in local variables and write them back once, when they stop: in a batch,
the rows of neighbouring runs share cache lines, but are written once per call, not per step.

Random draws, in order, per step (the reference twins draw the same, in the same order):

1. at an episode start: ``uniform`` for the initial state (the smallest s with
   ``u < initial_cdf[s]``, found from ``initial_guide``);
2. the behaviour action (skipped by SARSA, whose action was drawn with the previous step):
   epsilon-greedy draws ``uniform`` then either ``below(A)`` (explore; ``below(n_allowed[s])``
   on a masked model) or, only when several actions tie for the maximum, ``below(n_ties)``;
   softmax draws one ``uniform``;
3. the outcome: ``uniform`` against the running sum of ``prob[s, a, :]``, unless K == 1;
4. Double Q-learning: ``uniform < 0.5`` picks the table to update;
5. SARSA: the next action (if the transition did not terminate);
6. Dyna-Q: ``below(n_seen)`` per planning update.

Dyna-Q+ (``kappa > 0``, Sutton and Barto, section 8.3): a planning update's reward gets the
bonus ``kappa * sqrt(tau)``, tau the steps since the pair was last tried for real
(``last_tried``, 0 at the start); and when a state is first seen, all its actions (its
allowed ones, on a masked model) enter the model (in action order), the untried ones as a
self-loop with reward 0.

REINFORCE (:func:`reinforce`) draws the initial state, one ``uniform`` for its softmax
action and the outcome, in that order, and learns only when an episode ends.

Action masks: masked entries of the tables hold -inf (the caller sets them), so every max,
argmax, tie and softmax over a row ranges over the allowed actions alone; exploration draws
among ``model.allowed_actions`` (:func:`random_action`, shared by every learner's kernels)
and Expected SARSA's expectation skips masked entries.

Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from rlfoundations._kernels._jit import (
    inline_kernel,
    kernel,
    loop_kernel,
    parallel_kernel,
    prange,
)
from rlfoundations._kernels.random import below, load_state, store_state, uniform

# Algorithms.
Q_LEARNING = 0
SARSA = 1
EXPECTED_SARSA = 2
DOUBLE_Q_LEARNING = 3
DYNA_Q = 4
REINFORCE = 5

# Exploration.
EPSILON_GREEDY = 0
SOFTMAX = 1

# Schedule kinds; a schedule is a float64 array [kind, start, end, steps, omega].
CONSTANT = 0
LINEAR = 1
EXPONENTIAL = 2
VISIT_COUNT = 3

# Cursor fields.
STEP = 0
STATE = 1
ACTION = 2
EPISODE_STEP = 3
N_EPISODES = 4
N_SEEN = 5
CURSOR_SIZE = 6
# REINFORCE keeps the length of the episode recorded so far in EPISODE_STEP.

# The kernels' arguments, in three named bundles (plain tuples to Numba, typed per field):
#: The model, simulated inside the loop. ``max_episode_steps`` is 0 for no time limit.
#: With an action mask, ``allowed[s, a]`` (bool, S x A) says whether a is allowed in s,
#: ``allowed_actions[s, :n_allowed[s]]`` lists the allowed actions in increasing order; without
#: one, all three are empty (length 0), and the loops take the unmasked path.
Model = namedtuple(
    "Model",
    "next_state prob reward terminated initial_cdf initial_guide max_episode_steps "
    "allowed allowed_actions n_allowed",
    defaults=(
        np.zeros((0, 0), dtype=np.bool_),
        np.zeros((0, 0), dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    ),
)
#: A TD learner's hyper-parameters: ``alpha`` and ``explore`` (epsilon or temperature) are
#: schedules ``[kind, start, end, steps, omega]``. In a batch, every field but ``exploration``
#: carries a leading run axis.
#: ``kappa`` is Dyna-Q+'s exploration bonus (0: plain Dyna-Q).
TDSettings = namedtuple("TDSettings", "exploration gamma alpha explore planning_steps kappa")
#: A TD run's state, updated in place; unused tables are empty placeholders of their rank.
TDState = namedtuple(
    "TDState",
    "rng q_values q_second visits model_next model_reward model_terminated seen cursor "
    "episode_return episode_returns episode_lengths last_tried",
)
#: REINFORCE's hyper-parameters (``gamma``, ``alpha``, ``baseline_alpha`` per run in a batch).
ReinforceSettings = namedtuple("ReinforceSettings", "gamma alpha baseline_alpha use_baseline")
#: REINFORCE's run state: preferences, baseline, a scratch row, the episode's path.
ReinforceState = namedtuple(
    "ReinforceState",
    "rng preferences baseline weights path_state path_action path_reward cursor "
    "episode_return episode_returns episode_lengths",
)


@kernel
def cumulative(weights, out):
    """``out[i] = weights[0] + ... + weights[i]``, summed left to right."""
    total = 0.0
    for i in range(weights.shape[0]):
        total += weights[i]
        out[i] = total


@kernel
def guide_table(cdf, guide):
    """``guide[j]`` = the smallest i with ``j / n < cdf[i]`` (or n - 1): where the search for
    a uniform in [j / n, (j + 1) / n) starts (Chen and Asau's guide table)."""
    n = cdf.shape[0]
    i = 0
    for j in range(n):
        while i < n - 1 and not j / n < cdf[i]:
            i += 1
        guide[j] = i


@inline_kernel
def sample_initial(cdf, guide, u):
    """Smallest i with ``u < cdf[i]``; the last positive-mass i if none.

    The search starts at the guide entry of u's bucket and walks to the answer: about one
    step on average, where a binary search took log2(n) dependent, unpredictable ones at
    every episode start. The walk checks both neighbours, so the answer does not depend on
    how ``u * n`` rounds.
    """
    n = cdf.shape[0]
    i = guide[min(np.int64(u * n), n - 1)]
    while i > 0 and u < cdf[i - 1]:
        i -= 1
    while i < n - 1 and not u < cdf[i]:
        i += 1
    if not u < cdf[i]:
        # Rounding left the total below u: take the last entry with positive mass.
        while i > 0 and cdf[i] == cdf[i - 1]:
            i -= 1
    return i


@inline_kernel
def flat_model(next_state, prob, reward, terminated):
    """The model's (S, A, K) arrays as flat views: outcome k of (s, a) is at slot
    ``(s * A + a) * K + k`` of each, one offset for the four lookups of a step."""
    return next_state.reshape(-1), prob.reshape(-1), reward.reshape(-1), terminated.reshape(-1)


@inline_kernel
def sample_outcome(prob, first, n_outcomes, stream):
    """The slot of the outcome of a pair whose outcomes start at slot ``first`` of the flat
    ``prob``: a uniform against their running sum (no draw if K == 1); and the random
    stream after it."""
    if n_outcomes == 1:
        return first, stream
    u, stream = uniform(stream)
    total = 0.0
    last = first
    for slot in range(first, first + n_outcomes):
        p = prob[slot]
        if p > 0.0:
            last = slot
            total += p
            if u < total:
                return slot, stream
    return last, stream


@inline_kernel
def schedule_value(schedule, t, count):
    """Value of a schedule ``[kind, start, end, steps, omega]`` at step ``t`` (steps done so
    far), or after ``count`` visits."""
    return schedule_at(schedule[0], schedule[1], schedule[2], schedule[3], schedule[4], t, count)


@inline_kernel
def schedule_fields(schedule):
    """A schedule's five fields, ``(kind, start, end, steps, omega)``, to keep in locals."""
    return schedule[0], schedule[1], schedule[2], schedule[3], schedule[4]


@kernel
def schedule_at(kind, start, end, steps, omega, t, count):
    """:func:`schedule_value` with the schedule's fields unpacked (hoisted out of loops)."""
    if kind == CONSTANT:
        return start
    if kind == LINEAR:
        fraction = t / steps
        if fraction >= 1.0:
            return end
        return start + (end - start) * fraction
    if kind == EXPONENTIAL:
        return end + (start - end) * math.exp(-(t / steps))
    # VISIT_COUNT: 1 / n^omega
    return 1.0 / math.pow(count, omega)


@inline_kernel
def row_value(q, q_second, s, a, use_sum):
    if use_sum:
        return q[s, a] + q_second[s, a]
    return q[s, a]


@inline_kernel
def greedy_random_tie(q, q_second, s, use_sum, stream):
    """A maximal action of row s, ties broken uniformly at random (one draw, only on ties);
    and the random stream after it."""
    n_actions = q.shape[1]
    best = row_value(q, q_second, s, 0, use_sum)
    best_action = 0
    n_ties = 1
    # Written as selects, not branches: which action leads is data the CPU cannot predict.
    for a in range(1, n_actions):
        value = row_value(q, q_second, s, a, use_sum)
        greater = value > best
        n_ties = 1 if greater else n_ties + (1 if value == best else 0)
        best_action = a if greater else best_action
        best = value if greater else best
    if n_ties == 1:
        return best_action, stream
    chosen, stream = below(stream, n_ties)
    for a in range(best_action, n_actions):
        if row_value(q, q_second, s, a, use_sum) == best:
            if chosen == 0:
                return a, stream
            chosen -= 1
    return n_actions - 1, stream


@inline_kernel
def row_max(q, q_second, s, use_sum):
    best = row_value(q, q_second, s, 0, use_sum)
    for a in range(1, q.shape[1]):
        value = row_value(q, q_second, s, a, use_sum)
        if value > best:
            best = value
    return best


@inline_kernel
def argmax_lowest(q, s):
    """A maximal action of row s, the lowest index on ties (no draw)."""
    best_action = 0
    best = q[s, 0]
    for a in range(1, q.shape[1]):
        if q[s, a] > best:
            best = q[s, a]
            best_action = a
    return best_action


@inline_kernel
def behave(exploration, q, q_second, s, use_sum, level, stream):
    """The behaviour action in s: epsilon-greedy (level = epsilon) or softmax (temperature);
    and the random stream after it."""
    if exploration == EPSILON_GREEDY:
        u, stream = uniform(stream)
        if u < level:
            return below(stream, q.shape[1])
        return greedy_random_tie(q, q_second, s, use_sum, stream)
    return softmax_action(q, q_second, s, use_sum, level, stream)


@loop_kernel
def softmax_action(q, q_second, s, use_sum, temperature, stream):
    """An action drawn with weights exp((Q - max Q) / temperature), by running sum; and the
    random stream after it. A call of its own, not inlined: exp dominates its cost."""
    n_actions = q.shape[1]
    top = row_max(q, q_second, s, use_sum)
    total = 0.0
    for a in range(n_actions):
        total += math.exp((row_value(q, q_second, s, a, use_sum) - top) / temperature)
    u, stream = uniform(stream)
    u *= total
    running = 0.0
    for a in range(n_actions):
        running += math.exp((row_value(q, q_second, s, a, use_sum) - top) / temperature)
        if u < running:
            return a, stream
    # Rounding left u at the total: the last action, or the last allowed one (masked: -inf).
    a = n_actions - 1
    while a > 0 and row_value(q, q_second, s, a, use_sum) == -np.inf:
        a -= 1
    return a, stream


@loop_kernel
def softmax_stored(q, q_second, s, use_sum, temperature, weights, stream):
    """:func:`softmax_action` with each exp computed once, kept in the scratch row
    ``weights`` (length A) for the running sum: the same weights, summed in the same order,
    so the same action, bit for bit, at half the exps."""
    n_actions = q.shape[1]
    top = row_max(q, q_second, s, use_sum)
    total = 0.0
    for a in range(n_actions):
        weight = math.exp((row_value(q, q_second, s, a, use_sum) - top) / temperature)
        weights[a] = weight
        total += weight
    u, stream = uniform(stream)
    u *= total
    running = 0.0
    for a in range(n_actions):
        running += weights[a]
        if u < running:
            return a, stream
    # Rounding left u at the total: the last action, or the last allowed one (masked: -inf).
    a = n_actions - 1
    while a > 0 and row_value(q, q_second, s, a, use_sum) == -np.inf:
        a -= 1
    return a, stream


@inline_kernel
def random_action(allowed_actions, n_allowed, s, n_actions, stream):
    """An action of s drawn uniformly: ``below(n_allowed[s])`` among ``allowed_actions[s]``
    with a mask, ``below(n_actions)`` without one (``n_allowed`` empty); and the stream."""
    if n_allowed.shape[0] > 0:
        k, stream = below(stream, n_allowed[s])
        return allowed_actions[s, k], stream
    return below(stream, n_actions)


@inline_kernel
def n_choices(n_allowed, s, n_actions):
    """How many actions s allows: ``n_allowed[s]`` with a mask, ``n_actions`` without."""
    if n_allowed.shape[0] > 0:
        return n_allowed[s]
    return n_actions


@inline_kernel
def behave_allowed(exploration, q, q_second, s, use_sum, level, model, stream):
    """:func:`behave` among the actions ``model`` allows in s: epsilon-greedy explores
    uniformly among them (:func:`random_action`); greedy and softmax choices read Q, where
    masked entries are -inf. Without a mask, :func:`behave` itself."""
    if exploration == EPSILON_GREEDY and model.n_allowed.shape[0] > 0:
        u, stream = uniform(stream)
        if u < level:
            return random_action(model.allowed_actions, model.n_allowed, s, q.shape[1], stream)
        return greedy_random_tie(q, q_second, s, use_sum, stream)
    return behave(exploration, q, q_second, s, use_sum, level, stream)


@inline_kernel
def behave_stored(exploration, q, q_second, s, use_sum, level, model, weights, stream):
    """:func:`behave_allowed`, with softmax's weights kept in the scratch row ``weights``
    (:func:`softmax_stored`: each ``exp`` once, the same bits)."""
    if exploration == SOFTMAX:
        return softmax_stored(q, q_second, s, use_sum, level, weights, stream)
    return behave_allowed(exploration, q, q_second, s, use_sum, level, model, stream)


@loop_kernel
def expected_value(exploration, q, s, level, allowed):
    """sum_a pi(a | s) Q(s, a) under the behaviour policy (Expected SARSA's target), over the
    actions ``allowed[s]`` allows (all of them if ``allowed`` is empty)."""
    n_actions = q.shape[1]
    masked = allowed.shape[0] > 0
    # The maximum and its ties in one pass (masked entries are -inf, never the maximum).
    top = q[s, 0]
    n_ties = 1
    for a in range(1, n_actions):
        value = q[s, a]
        greater = value > top
        n_ties = 1 if greater else n_ties + (1 if value == top else 0)
        top = value if greater else top
    n_choices = n_actions
    if masked:
        n_choices = 0
        for a in range(n_actions):
            if allowed[s, a]:
                n_choices += 1
    total = 0.0
    if exploration == EPSILON_GREEDY:
        # The two probabilities, divided once (the same values as per action).
        explore_p = level / n_choices
        greedy_p = explore_p + (1.0 - level) / n_ties
        for a in range(n_actions):
            if masked and not allowed[s, a]:
                continue
            p = greedy_p if q[s, a] == top else explore_p
            total += p * q[s, a]
        return total
    weight_sum = 0.0
    for a in range(n_actions):
        if masked and not allowed[s, a]:
            continue
        weight = math.exp((q[s, a] - top) / level)
        weight_sum += weight
        total += weight * q[s, a]
    return total / weight_sum


@loop_kernel
def td(algorithm, model, settings, stop_step, state, weights):
    """Run a TD learner until ``stop_step`` steps in all or ``episode_returns`` is full;
    ``weights`` (float64, length A) is the softmax's scratch row.

    Update: Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a)), with target
    r + gamma * (max_a' Q(s', a') | Q(s', a') | sum_a' pi(a'|s') Q(s', a') | Q_B(s', argmax Q_A))
    and no bootstrap from a terminated transition (a truncated one bootstraps).
    """
    exploration, gamma = settings.exploration, settings.gamma
    alpha_schedule, planning_steps = settings.alpha, settings.planning_steps
    kappa, last_tried = settings.kappa, state.last_tried
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, q_values, q_second, visits = state.rng, state.q_values, state.q_second, state.visits
    model_next, model_reward = state.model_next, state.model_reward
    model_terminated, seen, cursor = state.model_terminated, state.seen, state.cursor
    episode_return = state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    use_sum = algorithm == DOUBLE_Q_LEARNING
    on_policy = algorithm == SARSA
    # Visit counts are kept only for a 1 / n^omega learning rate (Dyna-Q's replays read them).
    count_visits = alpha_schedule[0] == VISIT_COUNT
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(alpha_schedule)
    e_kind, e_start, e_end, e_steps, e_omega = schedule_fields(settings.explore)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    a = cursor[ACTION]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    n_seen = cursor[N_SEEN]
    accumulated = episode_return[0]
    while t < stop_step and n_episodes < capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            episode_step = 0
            accumulated = 0.0
            if on_policy:
                level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
                a, stream = behave_stored(
                    exploration, q_values, q_second, s, use_sum, level, model, weights, stream
                )
        if not on_policy:
            level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
            a, stream = behave_stored(
                exploration, q_values, q_second, s, use_sum, level, model, weights, stream
            )
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        count = 0
        if count_visits:
            visits[s, a] += 1
            count = visits[s, a]
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, count)
        t += 1
        episode_step += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and episode_step >= max_episode_steps

        a_next = 0
        if algorithm == DOUBLE_Q_LEARNING:
            coin, stream = uniform(stream)
            if coin < 0.5:
                target = r
                if not done:
                    target = r + gamma * q_second[s_next, argmax_lowest(q_values, s_next)]
                q_values[s, a] += alpha * (target - q_values[s, a])
            else:
                target = r
                if not done:
                    target = r + gamma * q_values[s_next, argmax_lowest(q_second, s_next)]
                q_second[s, a] += alpha * (target - q_second[s, a])
        else:
            target = r
            if algorithm == SARSA:
                if not done:
                    level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
                    a_next, stream = behave_stored(
                        exploration,
                        q_values,
                        q_second,
                        s_next,
                        False,
                        level,
                        model,
                        weights,
                        stream,
                    )
                    target = r + gamma * q_values[s_next, a_next]
            elif algorithm == EXPECTED_SARSA:
                if not done:
                    level = schedule_at(e_kind, e_start, e_end, e_steps, e_omega, t, 0)
                    target = r + gamma * expected_value(
                        exploration, q_values, s_next, level, model.allowed
                    )
            elif not done:
                target = r + gamma * row_max(q_values, q_second, s_next, False)
            q_values[s, a] += alpha * (target - q_values[s, a])

        if algorithm == DYNA_Q:
            pair = s * n_actions + a
            if model_next[s, a] < 0:
                if kappa > 0.0:
                    # Dyna-Q+: every allowed action of a new state enters the model, untried
                    # ones as a self-loop with reward 0 (masked ones never: no replay of them).
                    masked = model.n_allowed.shape[0] > 0
                    for i in range(n_choices(model.n_allowed, s, n_actions)):
                        b = model.allowed_actions[s, i] if masked else i
                        seen[n_seen] = s * n_actions + b
                        n_seen += 1
                        model_next[s, b] = s
                        model_reward[s, b] = 0.0
                        model_terminated[s, b] = False
                else:
                    seen[n_seen] = pair
                    n_seen += 1
            if kappa > 0.0:
                last_tried[s, a] = t
            model_next[s, a] = s_next
            model_reward[s, a] = r
            model_terminated[s, a] = done
            for _ in range(planning_steps):
                index, stream = below(stream, n_seen)
                pair = seen[index]
                ps = pair // n_actions
                pa = pair - ps * n_actions
                target = model_reward[ps, pa]
                if kappa > 0.0:
                    target += kappa * math.sqrt(t - last_tried[ps, pa])
                if not model_terminated[ps, pa]:
                    target += gamma * row_max(q_values, q_second, model_next[ps, pa], False)
                # The real step's alpha (at t - 1), unless it depends on the pair's visits.
                step_alpha = alpha
                if count_visits:
                    step_alpha = schedule_at(
                        a_kind, a_start, a_end, a_steps, a_omega, t - 1, visits[ps, pa]
                    )
                q_values[ps, pa] += step_alpha * (target - q_values[ps, pa])

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
    cursor[N_SEEN] = n_seen
    episode_return[0] = accumulated


@loop_kernel
def reinforce(model, settings, stop_step, state):
    """REINFORCE with a baseline (Sutton and Barto, section 13.4) on a softmax policy table.

    Acts with pi(a | s) = softmax(preferences[s]) and records the episode in ``path_*``. When
    it ends, returns G_t are computed backwards (a truncated episode starts from the
    baseline's value of its last state), then for t = 0, 1, ... in order:

        delta = G_t - baseline[s_t]                      (G_t without a baseline)
        baseline[s_t] += beta * delta
        preferences[s_t, b] += alpha * gamma^t * delta * (1[b = a_t] - pi(b | s_t))

    with pi taken before the update. Stops at ``stop_step`` steps, when ``episode_returns`` is
    full, or when the path buffers are full mid-episode (the caller grows them and resumes).
    """
    gamma, use_baseline = settings.gamma, settings.use_baseline
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, preferences, baseline, weights = (
        state.rng,
        state.preferences,
        state.baseline,
        state.weights,
    )
    path_state, path_action, path_reward = state.path_state, state.path_action, state.path_reward
    cursor, episode_return = state.cursor, state.episode_return
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = preferences.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    path_capacity = path_state.shape[0]
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    b_kind, b_start, b_end, b_steps, b_omega = schedule_fields(settings.baseline_alpha)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    length = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = episode_return[0]
    while t < stop_step and n_episodes < capacity and length < path_capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            length = 0
            accumulated = 0.0
        a, stream = softmax_stored(preferences, preferences, s, False, 1.0, weights, stream)
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        path_state[length] = s
        path_action[length] = a
        path_reward[length] = r
        length += 1
        t += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and length >= max_episode_steps
        if not (done or truncated):
            s = s_next
            continue

        # The episode is over: returns backwards, in place of the rewards.
        ret = 0.0
        if truncated and use_baseline:
            ret = baseline[s_next]
        for i in range(length - 1, -1, -1):
            ret = path_reward[i] + gamma * ret
            path_reward[i] = ret
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, 0)
        beta = schedule_at(b_kind, b_start, b_end, b_steps, b_omega, t, 0)
        discount = 1.0
        for i in range(length):
            si = path_state[i]
            delta = path_reward[i]
            if use_baseline:
                delta = path_reward[i] - baseline[si]
                baseline[si] += beta * delta
            top = row_max(preferences, preferences, si, False)
            total = 0.0
            for b in range(n_actions):
                weights[b] = math.exp(preferences[si, b] - top)
                total += weights[b]
            step = alpha * discount * delta
            for b in range(n_actions):
                indicator = 1.0 if b == path_action[i] else 0.0
                preferences[si, b] += step * (indicator - weights[b] / total)
            discount *= gamma
        episode_returns[n_episodes] = accumulated
        episode_lengths[n_episodes] = length
        n_episodes += 1
        length = 0
        s = -1
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[EPISODE_STEP] = length
    cursor[N_EPISODES] = n_episodes
    episode_return[0] = accumulated


# One entry per TD algorithm, called from Python for a single run: each passes its algorithm to
# td as a constant, so Numba compiles td once per algorithm (when first used) with the other
# algorithms' branches folded away. One td testing a run-time algorithm ran q_learning 20%
# slower; Python cannot pass a compile-time constant itself (numba.literally from Python
# re-types td at every call, seconds each).
@kernel
def q_learning(model, settings, stop_step, state):
    """:func:`td` for Q-learning."""
    td(Q_LEARNING, model, settings, stop_step, state, np.empty(state.q_values.shape[1]))


@kernel
def sarsa(model, settings, stop_step, state):
    """:func:`td` for SARSA."""
    td(SARSA, model, settings, stop_step, state, np.empty(state.q_values.shape[1]))


@kernel
def expected_sarsa(model, settings, stop_step, state):
    """:func:`td` for Expected SARSA."""
    td(EXPECTED_SARSA, model, settings, stop_step, state, np.empty(state.q_values.shape[1]))


@kernel
def double_q_learning(model, settings, stop_step, state):
    """:func:`td` for Double Q-learning."""
    td(DOUBLE_Q_LEARNING, model, settings, stop_step, state, np.empty(state.q_values.shape[1]))


@kernel
def dyna_q(model, settings, stop_step, state):
    """:func:`td` for Dyna-Q."""
    td(DYNA_Q, model, settings, stop_step, state, np.empty(state.q_values.shape[1]))


@parallel_kernel
def td_batch(algorithm, model, settings, stop_step, state):
    """Independent TD runs in parallel: run ``r`` is :func:`td` on the ``[r]`` slices of
    ``settings`` (``gamma``, ``alpha``, ``explore``) and of every ``state`` array.

    Each run owns its random stream, so its result does not depend on the thread count.
    """
    for r in prange(state.rng.shape[0]):
        td(
            algorithm,
            model,
            TDSettings(
                settings.exploration,
                settings.gamma[r],
                settings.alpha[r],
                settings.explore[r],
                settings.planning_steps[r],
                settings.kappa[r],
            ),
            stop_step,
            TDState(
                state.rng[r],
                state.q_values[r],
                state.q_second[r],
                state.visits[r],
                state.model_next[r],
                state.model_reward[r],
                state.model_terminated[r],
                state.seen[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
                state.last_tried[r],
            ),
            np.empty(state.q_values.shape[2]),
        )


@parallel_kernel
def reinforce_batch(model, settings, stop_step, state):
    """Independent REINFORCE runs in parallel: run ``r`` is :func:`reinforce` on the ``[r]``
    slices of ``settings`` (``gamma``, ``alpha``, ``baseline_alpha``) and of ``state``."""
    for r in prange(state.rng.shape[0]):
        reinforce(
            model,
            ReinforceSettings(
                settings.gamma[r],
                settings.alpha[r],
                settings.baseline_alpha[r],
                settings.use_baseline,
            ),
            stop_step,
            ReinforceState(
                state.rng[r],
                state.preferences[r],
                state.baseline[r],
                state.weights[r],
                state.path_state[r],
                state.path_action[r],
                state.path_reward[r],
                state.cursor[r],
                state.episode_return[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
