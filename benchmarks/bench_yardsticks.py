"""Learner yardsticks: each library learner against a minimal hand-written Numba loop of it.

Run: ``python benchmarks/bench_yardsticks.py [--quick]``. For every learner (Q-learning,
SARSA, Expected SARSA, Double Q-learning, Q-learning with softmax exploration, REINFORCE with
a baseline, Dyna-Q with 10 planning steps, Sarsa(lambda) and Watkins's Q(lambda) with
accumulating traces, 4-step SARSA, on-policy first-visit Monte Carlo control) this file
holds the loop an engineer would write by hand for one run of it on the same model arrays
(``next_state``, ``prob``, ``reward``, ``terminated`` of shape (S, A, K), ``initial``,
``max_episode_steps``): the same algorithm,
the same exploration (ties broken at random, as the library does), the same episode ends
(terminated outcomes do not bootstrap, time-limit cuts do), no engine: no schedules, no
resumable cursor, no batches; its own splitmix64 stream in a local variable. The library's
figure is its public call (``rlf.q_learning(...)`` etc.), validation and result included, on
1 Numba thread.

Measured in one run, interleaved (library, yardstick, library, yardstick ...), medians with
their min-max spread over the repeats; the load average before and after; and a "busy" column,
the same measurements while one other process spins on a core. The ratio printed is
library steps/s over yardstick steps/s (1.0 = as fast as the hand-written loop; the issue's
target is within 1.5x, i.e. a ratio >= 0.67).

Not a strawman: each yardstick learns (``learning_check``): after a budget of steps the exact
value of its greedy policy (``rlf.policy_evaluation``) from the start is printed, as the share
of the gap to the optimum it closed, beside the library learner's own at the same budget. A first
version of these loops, on Numba's ``np.random`` and array slices (``q[s].max()``), ran
1.3-4x slower than the library: a yardstick that flattered us, now replaced.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numba
import numpy as np
from _common import busy_core, interleaved, load_average, threads

import rlfoundations as rlf

GAMMA = 0.99
ALPHA = 0.1
EPSILON = 0.1
TEMPERATURE = 1.0
PLANNING_STEPS = 10
LAMBDA = 0.9
N_STEP = 4
#: Learners whose learning check runs on FrozenLake, not Taxi (see ``learning_check``).
EPISODIC = ("REINFORCE", "MC control")
#: A yardstick learns if its greedy policy closes this much of the gap to the optimum.
LEARNS = 0.9


# -- the yardsticks: one plain loop per learner --------------------------------------------------
# The random stream is splitmix64 held in a local uint64 (a first version on Numba's
# np.random and array slices like q[s].max() ran 1.3-4x slower than the library: a
# strawman). Every helper takes the stream and returns it advanced, so it stays in a register,
# and the helpers that take arrays are inlined (inline="always": without it each call paid
# for reference counting, and the loops ran up to 1.3x slower).
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True)
def draw(stream):
    """One splitmix64 output and the stream after it."""
    stream = stream + GOLDEN
    z = (stream ^ (stream >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    return z ^ (z >> np.uint64(31)), stream


@numba.njit(cache=True)
def uniform(stream):
    z, stream = draw(stream)
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0), stream


@numba.njit(cache=True)
def below(stream, n):
    z, stream = draw(stream)
    return np.int64(((z >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)), stream


@numba.njit(cache=True, inline="always")
def initial_state(initial_cdf, stream):
    u, stream = uniform(stream)
    s = np.searchsorted(initial_cdf, u, side="right")
    return min(s, initial_cdf.shape[0] - 1), stream


@numba.njit(cache=True, inline="always")
def outcome(prob, s, a, stream):
    """Index k of the sampled outcome of (s, a); no draw when there is one outcome."""
    n_outcomes = prob.shape[2]
    if n_outcomes == 1:
        return 0, stream
    u, stream = uniform(stream)
    total = 0.0
    last = 0
    for k in range(n_outcomes):
        if prob[s, a, k] > 0.0:
            last = k
            total += prob[s, a, k]
            if u < total:
                return k, stream
    return last, stream


@numba.njit(cache=True, inline="always")
def row_max(q, s):
    best = q[s, 0]
    for a in range(1, q.shape[1]):
        if q[s, a] > best:
            best = q[s, a]
    return best


@numba.njit(cache=True, inline="always")
def argmax(q, s):
    """A maximal action of row s, the lowest index on ties."""
    best, best_action = q[s, 0], 0
    for a in range(1, q.shape[1]):
        if q[s, a] > best:
            best, best_action = q[s, a], a
    return best_action


@numba.njit(cache=True, inline="always")
def greedy(q, s, stream):
    """A maximal action of row s, ties broken uniformly at random (a draw only on ties)."""
    n_actions = q.shape[1]
    best, best_action, n_ties = q[s, 0], 0, 1
    for a in range(1, n_actions):
        if q[s, a] > best:
            best, best_action, n_ties = q[s, a], a, 1
        elif q[s, a] == best:
            n_ties += 1
    if n_ties == 1:
        return best_action, stream
    chosen, stream = below(stream, n_ties)
    for a in range(best_action, n_actions):
        if q[s, a] == best:
            if chosen == 0:
                return a, stream
            chosen -= 1
    return n_actions - 1, stream


@numba.njit(cache=True, inline="always")
def greedy_sum(q_a, q_b, s, stream):
    """A maximal action of row s of Q_A + Q_B, ties broken uniformly at random."""
    n_actions = q_a.shape[1]
    best, best_action, n_ties = q_a[s, 0] + q_b[s, 0], 0, 1
    for a in range(1, n_actions):
        value = q_a[s, a] + q_b[s, a]
        if value > best:
            best, best_action, n_ties = value, a, 1
        elif value == best:
            n_ties += 1
    if n_ties == 1:
        return best_action, stream
    chosen, stream = below(stream, n_ties)
    for a in range(best_action, n_actions):
        if q_a[s, a] + q_b[s, a] == best:
            if chosen == 0:
                return a, stream
            chosen -= 1
    return n_actions - 1, stream


@numba.njit(cache=True, inline="always")
def epsilon_greedy(q, s, epsilon, stream):
    u, stream = uniform(stream)
    if u < epsilon:
        return below(stream, q.shape[1])
    return greedy(q, s, stream)


@numba.njit(cache=True, inline="always")
def softmax(q, s, temperature, weights, stream):
    """An action drawn from softmax(q[s] / temperature); each exp computed once."""
    n_actions = q.shape[1]
    top = row_max(q, s)
    total = 0.0
    for a in range(n_actions):
        weights[a] = np.exp((q[s, a] - top) / temperature)
        total += weights[a]
    u, stream = uniform(stream)
    u *= total
    running = 0.0
    for a in range(n_actions):
        running += weights[a]
        if u < running:
            return a, stream
    return n_actions - 1, stream


@numba.njit(cache=True)
def q_learning_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    stream = np.uint64(seed)
    q = np.zeros(prob.shape[:2])
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = epsilon_greedy(q, s, EPSILON, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        target = r if done else r + GAMMA * row_max(q, s2)
        q[s, a] += ALPHA * (target - q[s, a])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
        else:
            s = s2
    return q


@numba.njit(cache=True)
def softmax_q_learning_loop(
    next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed
):
    stream = np.uint64(seed)
    q = np.zeros(prob.shape[:2])
    weights = np.empty(prob.shape[1])
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = softmax(q, s, TEMPERATURE, weights, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        target = r if done else r + GAMMA * row_max(q, s2)
        q[s, a] += ALPHA * (target - q[s, a])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
        else:
            s = s2
    return q


@numba.njit(cache=True)
def sarsa_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    stream = np.uint64(seed)
    q = np.zeros(prob.shape[:2])
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    a, stream = epsilon_greedy(q, s, EPSILON, stream)
    for _ in range(n_steps):
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        a2 = 0
        target = r
        if not done:
            a2, stream = epsilon_greedy(q, s2, EPSILON, stream)
            target = r + GAMMA * q[s2, a2]
        q[s, a] += ALPHA * (target - q[s, a])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
            a, stream = epsilon_greedy(q, s, EPSILON, stream)
        else:
            s, a = s2, a2
    return q


@numba.njit(cache=True)
def expected_sarsa_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    stream = np.uint64(seed)
    n_actions = prob.shape[1]
    q = np.zeros(prob.shape[:2])
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = epsilon_greedy(q, s, EPSILON, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        target = r
        if not done:
            # sum_b pi(b | s2) Q(s2, b) under epsilon-greedy with random tie-breaking
            top = row_max(q, s2)
            n_ties = 0
            total = 0.0
            top_total = 0.0
            for b in range(n_actions):
                total += q[s2, b]
                if q[s2, b] == top:
                    n_ties += 1
                    top_total += q[s2, b]
            expected = EPSILON / n_actions * total + (1.0 - EPSILON) / n_ties * top_total
            target = r + GAMMA * expected
        q[s, a] += ALPHA * (target - q[s, a])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
        else:
            s = s2
    return q


@numba.njit(cache=True)
def double_q_learning_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    stream = np.uint64(seed)
    q_a = np.zeros(prob.shape[:2])
    q_b = np.zeros(prob.shape[:2])
    n_actions = prob.shape[1]
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        # epsilon-greedy in Q_A + Q_B
        u, stream = uniform(stream)
        if u < EPSILON:
            a, stream = below(stream, n_actions)
        else:
            a, stream = greedy_sum(q_a, q_b, s, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        coin, stream = uniform(stream)
        if coin < 0.5:
            target = r if done else r + GAMMA * q_b[s2, argmax(q_a, s2)]
            q_a[s, a] += ALPHA * (target - q_a[s, a])
        else:
            target = r if done else r + GAMMA * q_a[s2, argmax(q_b, s2)]
            q_b[s, a] += ALPHA * (target - q_b[s, a])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
        else:
            s = s2
    return (q_a + q_b) / 2.0


@numba.njit(cache=True)
def dyna_q_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    stream = np.uint64(seed)
    n_states, n_actions = prob.shape[:2]
    q = np.zeros((n_states, n_actions))
    model_next = np.full((n_states, n_actions), -1, dtype=np.int64)
    model_reward = np.zeros((n_states, n_actions))
    model_done = np.zeros((n_states, n_actions), dtype=np.bool_)
    seen = np.empty(n_states * n_actions, dtype=np.int64)
    n_seen = 0
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = epsilon_greedy(q, s, EPSILON, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        target = r if done else r + GAMMA * row_max(q, s2)
        q[s, a] += ALPHA * (target - q[s, a])
        if model_next[s, a] < 0:
            seen[n_seen] = s * n_actions + a
            n_seen += 1
        model_next[s, a], model_reward[s, a], model_done[s, a] = s2, r, done
        for _ in range(PLANNING_STEPS):
            index, stream = below(stream, n_seen)
            ps, pa = seen[index] // n_actions, seen[index] % n_actions
            target = model_reward[ps, pa]
            if not model_done[ps, pa]:
                target += GAMMA * row_max(q, model_next[ps, pa])
            q[ps, pa] += ALPHA * (target - q[ps, pa])
        length += 1
        if done or (limit > 0 and length >= limit):
            s, stream = initial_state(initial_cdf, stream)
            length = 0
        else:
            s = s2
    return q


@numba.njit(cache=True)
def reinforce_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    """REINFORCE with a state-value baseline (Sutton and Barto, section 13.4); an episode
    cut by the time limit starts its returns from the baseline of its last state."""
    stream = np.uint64(seed)
    n_states, n_actions = prob.shape[:2]
    theta = np.zeros((n_states, n_actions))
    baseline = np.zeros(n_states)
    weights = np.empty(n_actions)
    capacity = limit if limit > 0 else n_steps
    path_state = np.empty(capacity, dtype=np.int64)
    path_action = np.empty(capacity, dtype=np.int64)
    path_return = np.empty(capacity)
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = softmax(theta, s, 1.0, weights, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        path_state[length], path_action[length], path_return[length] = s, a, r
        length += 1
        truncated = not done and limit > 0 and length >= limit
        if not (done or truncated):
            s = s2
            continue
        g = baseline[s2] if truncated else 0.0
        for i in range(length - 1, -1, -1):
            g = path_return[i] + GAMMA * g
            path_return[i] = g
        discount = 1.0
        for i in range(length):
            si = path_state[i]
            delta = path_return[i] - baseline[si]
            baseline[si] += ALPHA * delta
            top = row_max(theta, si)
            total = 0.0
            for b in range(n_actions):
                weights[b] = np.exp(theta[si, b] - top)
                total += weights[b]
            step = ALPHA * discount * delta
            for b in range(n_actions):
                indicator = 1.0 if b == path_action[i] else 0.0
                theta[si, b] += step * (indicator - weights[b] / total)
            discount *= GAMMA
        s, stream = initial_state(initial_cdf, stream)
        length = 0
    return theta


@numba.njit(cache=True)
def lambda_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed, watkins):
    """Sarsa(lambda) (``watkins`` False) or Watkins's Q(lambda) (True), accumulating traces
    (Sutton and Barto, sections 12.7 and 12.10); only the pairs with a non-zero trace are
    visited, kept in a list, as anyone would who has watched the all-pairs loop crawl."""
    stream = np.uint64(seed)
    n_states, n_actions = prob.shape[:2]
    q = np.zeros((n_states, n_actions))
    trace = np.zeros((n_states, n_actions))
    active = np.empty(n_states * n_actions, dtype=np.int64)
    n_active = 0
    decay = GAMMA * LAMBDA
    s, stream = initial_state(initial_cdf, stream)
    a, stream = epsilon_greedy(q, s, EPSILON, stream)
    length = 0
    for _ in range(n_steps):
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        a2 = 0
        keep = decay
        delta = r - q[s, a]
        if not done:
            a2, stream = epsilon_greedy(q, s2, EPSILON, stream)
            target_action = a2
            if watkins:
                best = argmax(q, s2)
                if q[s2, a2] == q[s2, best]:
                    best = a2
                else:
                    keep = 0.0
                target_action = best
            delta = r + GAMMA * q[s2, target_action] - q[s, a]
        if trace[s, a] == 0.0:
            active[n_active] = s * n_actions + a
            n_active += 1
        trace[s, a] += 1.0
        kept = 0
        for i in range(n_active):
            x, b = active[i] // n_actions, active[i] % n_actions
            q[x, b] += ALPHA * delta * trace[x, b]
            trace[x, b] *= keep
            if trace[x, b] != 0.0:
                active[kept] = active[i]
                kept += 1
        n_active = kept
        length += 1
        if done or (limit > 0 and length >= limit):
            for i in range(n_active):
                trace[active[i] // n_actions, active[i] % n_actions] = 0.0
            n_active = 0
            s, stream = initial_state(initial_cdf, stream)
            a, stream = epsilon_greedy(q, s, EPSILON, stream)
            length = 0
        else:
            s, a = s2, a2
    return q


@numba.njit(cache=True)
def sarsa_lambda_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    return lambda_loop(
        next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed, False
    )


@numba.njit(cache=True)
def watkins_q_lambda_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    return lambda_loop(
        next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed, True
    )


@numba.njit(cache=True)
def n_step_sarsa_loop(next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed):
    """n-step SARSA (Sutton and Barto, section 7.2) with the last n + 1 steps in ring buffers."""
    stream = np.uint64(seed)
    n = N_STEP
    size = n + 1
    q = np.zeros(prob.shape[:2])
    states = np.zeros(size, dtype=np.int64)
    actions = np.zeros(size, dtype=np.int64)
    rewards = np.zeros(size)
    s, stream = initial_state(initial_cdf, stream)
    a, stream = epsilon_greedy(q, s, EPSILON, stream)
    states[0], actions[0] = s, a
    length = 0
    for _ in range(n_steps):
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        a2 = 0
        if not done:
            a2, stream = epsilon_greedy(q, s2, EPSILON, stream)
        length += 1
        states[length % size], actions[length % size], rewards[length % size] = s2, a2, r
        ended = done or (limit > 0 and length >= limit)
        # the steps tau whose return is complete: the one n steps back, or all left at the end
        last = length - 1 if ended else length - n
        for tau in range(max(length - n, 0), last + 1):
            end = min(tau + n, length)
            g = 0.0
            discount = 1.0
            for i in range(tau + 1, end + 1):
                g += discount * rewards[i % size]
                discount *= GAMMA
            if not done:
                g += discount * q[states[end % size], actions[end % size]]
            x, b = states[tau % size], actions[tau % size]
            q[x, b] += ALPHA * (g - q[x, b])
        if ended:
            s, stream = initial_state(initial_cdf, stream)
            a, stream = epsilon_greedy(q, s, EPSILON, stream)
            states[0], actions[0] = s, a
            length = 0
        else:
            s, a = s2, a2
    return q


@numba.njit(cache=True)
def monte_carlo_control_loop(
    next_state, prob, reward, terminated, initial_cdf, limit, n_steps, seed
):
    """On-policy first-visit Monte Carlo control, epsilon-greedy (Sutton and Barto, 5.4);
    an episode cut by the time limit is not learned from."""
    stream = np.uint64(seed)
    n_states, n_actions = prob.shape[:2]
    q = np.zeros((n_states, n_actions))
    visits = np.zeros((n_states, n_actions))
    first = np.full((n_states, n_actions), -1, dtype=np.int64)
    capacity = limit if limit > 0 else n_steps
    path_state = np.empty(capacity, dtype=np.int64)
    path_action = np.empty(capacity, dtype=np.int64)
    path_reward = np.empty(capacity)
    s, stream = initial_state(initial_cdf, stream)
    length = 0
    for _ in range(n_steps):
        a, stream = epsilon_greedy(q, s, EPSILON, stream)
        k, stream = outcome(prob, s, a, stream)
        s2, r, done = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        path_state[length], path_action[length], path_reward[length] = s, a, r
        length += 1
        if not done and not (limit > 0 and length >= limit):
            s = s2
            continue
        if done:
            for i in range(length):
                if first[path_state[i], path_action[i]] < 0:
                    first[path_state[i], path_action[i]] = i
            g = 0.0
            for i in range(length - 1, -1, -1):
                x, b = path_state[i], path_action[i]
                g = GAMMA * g + path_reward[i]
                if first[x, b] == i:
                    visits[x, b] += 1.0
                    q[x, b] += (g - q[x, b]) / visits[x, b]
            for i in range(length):
                first[path_state[i], path_action[i]] = -1
        s, stream = initial_state(initial_cdf, stream)
        length = 0
    return q


# -- the library's learners, called as a user calls them ----------------------------------------
def library_learners(mdp: rlf.TabularMDP) -> dict[str, tuple]:
    """name -> (library call of n steps and a seed, yardstick loop)."""
    common = {"gamma": GAMMA, "alpha": ALPHA}
    td = {**common, "epsilon": EPSILON}
    return {
        "Q-learning": (
            lambda n, seed: rlf.q_learning(mdp, n_steps=n, seed=seed, **td),
            q_learning_loop,
        ),
        "SARSA": (lambda n, seed: rlf.sarsa(mdp, n_steps=n, seed=seed, **td), sarsa_loop),
        "Expected SARSA": (
            lambda n, seed: rlf.expected_sarsa(mdp, n_steps=n, seed=seed, **td),
            expected_sarsa_loop,
        ),
        "Double Q-learning": (
            lambda n, seed: rlf.double_q_learning(mdp, n_steps=n, seed=seed, **td),
            double_q_learning_loop,
        ),
        "Q-learning, softmax": (
            lambda n, seed: rlf.q_learning(
                mdp,
                n_steps=n,
                seed=seed,
                exploration="softmax",
                temperature=TEMPERATURE,
                **common,
            ),
            softmax_q_learning_loop,
        ),
        "REINFORCE, baseline": (
            lambda n, seed: rlf.reinforce(
                mdp, n_steps=n, seed=seed, baseline_alpha=ALPHA, **common
            ),
            reinforce_loop,
        ),
        f"Dyna-Q, {PLANNING_STEPS} planning": (
            lambda n, seed: rlf.dyna_q(
                mdp, n_steps=n, seed=seed, planning_steps=PLANNING_STEPS, **td
            ),
            dyna_q_loop,
        ),
        f"Sarsa(lambda), {LAMBDA}": (
            lambda n, seed: rlf.sarsa_lambda(mdp, n_steps=n, seed=seed, lam=LAMBDA, **td),
            sarsa_lambda_loop,
        ),
        f"Watkins Q(lambda), {LAMBDA}": (
            lambda n, seed: rlf.watkins_q_lambda(mdp, n_steps=n, seed=seed, lam=LAMBDA, **td),
            watkins_q_lambda_loop,
        ),
        f"{N_STEP}-step SARSA": (
            lambda n, seed: rlf.n_step_sarsa(mdp, n_steps=n, seed=seed, n=N_STEP, **td),
            n_step_sarsa_loop,
        ),
        "MC control, on-policy": (
            lambda n, seed: rlf.monte_carlo_control(
                mdp, GAMMA, n, method="on_policy", epsilon=EPSILON, seed=seed
            ),
            monte_carlo_control_loop,
        ),
    }


def model_arrays(mdp: rlf.TabularMDP) -> tuple:
    initial_cdf = np.cumsum(mdp.initial)
    limit = mdp.max_episode_steps or 0
    return mdp.next_state, mdp.prob, mdp.reward, mdp.terminated, initial_cdf, limit


def greedy_start_value(mdp: rlf.TabularMDP, q: np.ndarray) -> float:
    """Exact value of the greedy policy (lowest index on ties), averaged over start states."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = rlf.policy_evaluation(mdp, np.argmax(q, axis=1), GAMMA).values
    return float(mdp.initial @ values)


def speed_table(mdp, learners, steps: dict[str, int], repeats: int) -> dict[str, tuple]:
    """name -> (library Timing, yardstick Timing) per step, interleaved, 1 thread."""
    arrays = model_arrays(mdp)
    out = {}
    with threads(1):
        for name, (library, loop) in learners.items():
            n = steps[name]
            timings = interleaved(
                {
                    "library": lambda library=library, n=n: library(n, 0),
                    "yardstick": lambda loop=loop, n=n: loop(*arrays, n, 0),
                },
                repeats=repeats,
            )
            out[name] = (timings["library"], timings["yardstick"], n)
    return out


def learning_check(budget: int, seeds=(1, 2, 3)) -> None:
    """Each yardstick and its library learner for ``budget`` steps: the exact value from the
    start of the greedy policy, as the fraction of the gap from the untrained policy
    (all-zero table: action 0 everywhere) to the optimum that it closes (median over seeds).

    The TD learners and Dyna-Q learn Taxi (deterministic: Dyna-Q's last-outcome model is
    exact); REINFORCE and Monte Carlo control learn slippery FrozenLake 4x4 (on Taxi
    REINFORCE's returns, with -10 penalties and 200-step episodes, keep it far from the
    optimum for millions of steps, whoever wrote the loop; and Monte Carlo control learns
    nothing from the 200-step episodes the time limit cuts, most of them at first)."""
    print(
        f"\nDo the yardsticks learn? {budget:,} steps, seeds {list(seeds)}: fraction of the gap "
        f"from the untrained greedy policy to the optimum closed (median; per seed)"
    )
    print(f"{'learner':<24} {'model':<18} {'yardstick':>24} {'library':>24}  verdict")
    for model_name in ("Taxi-v3", "FrozenLake-v1"):
        mdp = rlf.from_env(model_name)
        arrays = model_arrays(mdp)
        optimum = float(mdp.initial @ rlf.value_iteration(mdp, GAMMA).values)
        untrained = greedy_start_value(mdp, np.zeros((mdp.n_states, mdp.n_actions)))
        for name, (library, loop) in library_learners(mdp).items():
            if (model_name == "FrozenLake-v1") != name.startswith(EPISODIC):
                continue
            closed = {"yardstick": [], "library": []}
            for seed in seeds:
                for key, q in (
                    ("yardstick", loop(*arrays, budget, seed)),
                    ("library", library(budget, seed).q_values),
                ):
                    value = greedy_start_value(mdp, q)
                    closed[key].append((value - untrained) / (optimum - untrained))
            cells = [
                f"{statistics.median(c):.0%} ({', '.join(f'{x:.0%}' for x in c)})"
                for c in closed.values()
            ]
            learns = statistics.median(closed["yardstick"]) >= LEARNS
            verdict = "learns" if learns else f"does NOT learn (< {LEARNS:.0%})"
            print(f"{name:<24} {model_name:<18} {cells[0]:>24} {cells[1]:>24}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, few repeats")
    parser.add_argument("--no-busy", action="store_true", help="skip the busy column")
    args = parser.parse_args()
    started = time.perf_counter()
    repeats = 3 if args.quick else 7
    base_steps = 1_000_000 if args.quick else 10_000_000
    learn_budget = 300_000 if args.quick else 1_000_000
    mdp = rlf.from_env("Taxi-v3")
    learners = library_learners(mdp)
    # Dyna-Q does 11 updates a step: fewer steps keep each sample about as long.
    steps = {name: base_steps // (10 if name.startswith("Dyna") else 1) for name in learners}
    print(f"Learner yardsticks on Taxi-v3 ({mdp.n_states} states, {mdp.n_actions} actions)")
    print(
        f"gamma {GAMMA}, alpha {ALPHA}, epsilon {EPSILON}, softmax temperature {TEMPERATURE}; "
        f"1 Numba thread; {repeats} interleaved repeats; Numba {numba.__version__}"
    )
    print(f"load average at start: {load_average()}")

    idle = speed_table(mdp, learners, steps, repeats)
    busy = None
    if not args.no_busy:
        with busy_core():
            busy = speed_table(mdp, learners, steps, repeats)

    print(
        "\nsteps/s (median over repeats, min-max spread); ratio = library / yardstick "
        "(target >= 0.67, i.e. within 1.5x)"
    )
    header = f"{'learner':<24} {'library':>12} {'yardstick':>12} {'ratio idle':>16}"
    header += f" {'ratio busy':>16}" if busy else ""
    print(header)
    for name, (library, yardstick, n) in idle.items():
        cells = [f"{n / library.median:>12,.0f}", f"{n / yardstick.median:>12,.0f}"]
        for table in (idle, busy):
            if table is None:
                continue
            lib, yard, _ = table[name]
            ratio = yard.median / lib.median
            low, high = yard.spread[0] / lib.spread[1], yard.spread[1] / lib.spread[0]
            cells.append(f"{ratio:>5.2f} ({low:.2f}-{high:.2f})")
        print(f"{name:<24} " + " ".join(cells))
    print(
        "  ratio spread: worst and best pairing of the repeats' min and max (library time max "
        "with yardstick min, and the reverse)"
    )

    learning_check(learn_budget)
    print(
        f"\nload average at end: {load_average()}; run took {time.perf_counter() - started:,.0f} s"
    )


if __name__ == "__main__":
    main()
