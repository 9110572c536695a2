"""Numba kernels of the average-reward solvers and of the model check they rely on.

Models are plain (S, A, K) arrays: ``successor``, ``continue_prob`` (the probability of each
outcome that does not end the episode), ``reward`` (S, A) expected rewards, and ``end_prob``
(S, A), the probability that (s, a) ends the episode. An ended episode restarts from
``initial``, so a backup of a bias vector ``h`` reads

    Q(s, a) = R(s, a) + sum_k continue_prob[s, a, k] * h[successor[s, a, k]]
              + end_prob[s, a] * sum_s' initial[s'] * h[s']

summed outcome by outcome in slot order, the restart term last, exactly as
:mod:`rlfoundations.reference.average` does; ties go to the lowest action (strict ``>``).
Graphs are in CSR form: the successors of node ``v`` are ``targets[start[v]:start[v + 1]]``.
"""

from __future__ import annotations

import numpy as np

from rlfoundations._kernels._jit import kernel


# -- model structure -----------------------------------------------------------------------------
@kernel
def components(start, targets):
    """Strongly connected components (Tarjan, explicit stack). Returns ``component`` (the
    component of every node, numbered in reverse topological order) and their count."""
    n_nodes = start.shape[0] - 1
    index = np.full(n_nodes, -1, dtype=np.int64)
    low = np.empty(n_nodes, dtype=np.int64)
    on_stack = np.zeros(n_nodes, dtype=np.bool_)
    stack = np.empty(n_nodes, dtype=np.int64)
    path = np.empty(n_nodes, dtype=np.int64)
    next_edge = np.empty(n_nodes, dtype=np.int64)
    component = np.empty(n_nodes, dtype=np.int64)
    n_components = 0
    n_stacked = 0
    counter = 0
    for root in range(n_nodes):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack[n_stacked] = root
        n_stacked += 1
        on_stack[root] = True
        path[0] = root
        next_edge[0] = start[root]
        depth = 1
        while depth > 0:
            v = path[depth - 1]
            e = next_edge[depth - 1]
            if e < start[v + 1]:
                next_edge[depth - 1] = e + 1
                w = targets[e]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack[n_stacked] = w
                    n_stacked += 1
                    on_stack[w] = True
                    path[depth] = w
                    next_edge[depth] = start[w]
                    depth += 1
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            depth -= 1
            if depth > 0:
                parent = path[depth - 1]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                while True:
                    n_stacked -= 1
                    w = stack[n_stacked]
                    on_stack[w] = False
                    component[w] = n_components
                    if w == v:
                        break
                n_components += 1
    return component, n_components


@kernel
def closed_components(start, targets, component, n_components):
    """Whether each component is closed: no edge leaves it."""
    closed = np.ones(n_components, dtype=np.bool_)
    for v in range(start.shape[0] - 1):
        for e in range(start[v], start[v + 1]):
            if component[targets[e]] != component[v]:
                closed[component[v]] = False
    return closed


@kernel
def trap(pair_start, choice_start, choice_targets, inside):
    """The largest subset of ``inside`` that some policy never leaves: repeatedly drop the
    nodes none of whose choices keeps every successor inside. Node ``v`` has the choices
    ``pair_start[v]:pair_start[v + 1]``, choice ``c`` the successors
    ``choice_targets[choice_start[c]:choice_start[c + 1]]``. Updates ``inside`` in place."""
    n_nodes = pair_start.shape[0] - 1
    changed = True
    while changed:
        changed = False
        for v in range(n_nodes):
            if not inside[v]:
                continue
            kept = False
            for c in range(pair_start[v], pair_start[v + 1]):
                stays = True
                for e in range(choice_start[c], choice_start[c + 1]):
                    if not inside[choice_targets[e]]:
                        stays = False
                        break
                if stays:
                    kept = True
                    break
            if not kept:
                inside[v] = False
                changed = True


# -- relative value iteration ----------------------------------------------------------------
@kernel
def relative_value_iteration(
    successor,
    continue_prob,
    reward,
    end_prob,
    initial,
    tau,
    epsilon,
    reference_state,
    max_iter,
    values,
    new_values,
    policy,
    residuals,
    bounds,
):
    """Relative value iteration on the aperiodic transform ``tau P + (1 - tau) I``.

    ``w <- T w - (T w)[reference_state]`` until ``span(T w - w) < epsilon``; ``bounds``
    receives ``min(T w - w)`` and ``max(T w - w)`` of the last sweep, which bracket the
    optimal gain (Puterman, Theorem 8.5.5), and ``policy`` the greedy policy of that
    sweep. Returns (iterations, converged).
    """
    n_states, n_actions, n_outcomes = successor.shape
    for iteration in range(max_iter):
        restart = 0.0
        for s in range(n_states):
            restart += initial[s] * values[s]
        low = np.inf
        high = -np.inf
        for s in range(n_states):
            best_value = -np.inf
            best = 0
            for a in range(n_actions):
                future = 0.0
                for k in range(n_outcomes):
                    future += continue_prob[s, a, k] * values[successor[s, a, k]]
                future += end_prob[s, a] * restart
                q = reward[s, a] + tau * future + (1.0 - tau) * values[s]
                if q > best_value:
                    best_value = q
                    best = a
            new_values[s] = best_value
            policy[s] = best
            change = best_value - values[s]
            low = min(low, change)
            high = max(high, change)
        anchor = new_values[reference_state]
        for s in range(n_states):
            values[s] = new_values[s] - anchor
        residuals[iteration] = high - low
        bounds[0] = low
        bounds[1] = high
        if high - low < epsilon:
            return iteration + 1, True
    return max_iter, False


# -- policy iteration ----------------------------------------------------------------------------
@kernel
def solve_dense(matrix, rhs):
    """Solve ``matrix @ x = rhs`` in place by Gaussian elimination with partial pivoting;
    the solution is left in ``rhs``. Returns False if a pivot is (numerically) zero."""
    n = rhs.shape[0]
    for col in range(n):
        pivot = col
        for row in range(col + 1, n):
            if abs(matrix[row, col]) > abs(matrix[pivot, col]):
                pivot = row
        if abs(matrix[pivot, col]) < 1e-12:
            return False
        if pivot != col:
            for j in range(n):
                matrix[col, j], matrix[pivot, j] = matrix[pivot, j], matrix[col, j]
            rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        for row in range(col + 1, n):
            factor = matrix[row, col] / matrix[col, col]
            if factor != 0.0:
                for j in range(col, n):
                    matrix[row, j] -= factor * matrix[col, j]
                rhs[row] -= factor * rhs[col]
    for row in range(n - 1, -1, -1):
        total = rhs[row]
        for j in range(row + 1, n):
            total -= matrix[row, j] * rhs[j]
        rhs[row] = total / matrix[row, row]
    return True


@kernel
def improve_policy(
    successor, continue_prob, reward, end_prob, initial, bias, tie_tolerance, policy, q_values
):
    """Switch every state to its best action ``argmax_a r(s, a) + sum P h`` when it beats
    the current one by more than ``tie_tolerance * (1 + |Q|)``. Returns whether any did."""
    n_states, n_actions, n_outcomes = successor.shape
    restart = 0.0
    for s in range(n_states):
        restart += initial[s] * bias[s]
    changed = False
    for s in range(n_states):
        best = 0
        for a in range(n_actions):
            future = 0.0
            for k in range(n_outcomes):
                future += continue_prob[s, a, k] * bias[successor[s, a, k]]
            future += end_prob[s, a] * restart
            q_values[s, a] = reward[s, a] + future
            if q_values[s, a] > q_values[s, best]:
                best = a
        current = policy[s]
        margin = tie_tolerance * (1.0 + abs(q_values[s, current]))
        if q_values[s, best] > q_values[s, current] + margin:
            policy[s] = best
            changed = True
    return changed


# -- multichain policy iteration (Puterman, section 9.2) ------------------------------------------
@kernel
def policy_chain(successor, continue_prob, end_prob, initial, policy):
    """The dense transition matrix of ``policy``, restarts folded in: P[s, t]."""
    n_states, _, n_outcomes = successor.shape
    chain = np.zeros((n_states, n_states))
    for s in range(n_states):
        a = policy[s]
        for k in range(n_outcomes):
            chain[s, successor[s, a, k]] += continue_prob[s, a, k]
        for t in range(n_states):
            chain[s, t] += end_prob[s, a] * initial[t]
    return chain


@kernel
def evaluate_multichain(chain, rewards, label, n_classes, gain, bias):
    """Gain and bias of a policy with ``n_classes`` recurrent classes (``label[s]`` its
    class, -1 if transient), solving ``(I - P) g = 0`` and ``g + (I - P) h = r`` with
    ``h = 0`` at the first state of each class: first each class on its own (a unichain
    system), then the transient states, ``(I - P_TT) g_T = P_TR g_R`` and ``(I - P_TT) h_T =
    r_T - g_T + P_TR h_R``. Returns False if a system is singular."""
    n_states = rewards.shape[0]
    for c in range(n_classes):
        members = np.flatnonzero(label == c)
        m = members.shape[0]
        matrix = np.zeros((m, m))
        rhs = np.empty(m)
        for i in range(m):
            s = members[i]
            matrix[i, i] += 1.0
            for j in range(m):
                matrix[i, j] -= chain[s, members[j]]
            rhs[i] = rewards[s]
        for i in range(m):
            matrix[i, 0] = 1.0  # column of h(first member) = 0 carries the class's gain
        if not solve_dense(matrix, rhs):
            return False
        for i in range(m):
            gain[members[i]] = rhs[0]
            bias[members[i]] = rhs[i] if i > 0 else 0.0
    transient = np.flatnonzero(label < 0)
    n_transient = transient.shape[0]
    if n_transient == 0:
        return True
    matrix = np.zeros((n_transient, n_transient))
    gain_rhs = np.zeros(n_transient)
    for i in range(n_transient):
        s = transient[i]
        matrix[i, i] += 1.0
        for j in range(n_transient):
            matrix[i, j] -= chain[s, transient[j]]
        for t in range(n_states):
            if label[t] >= 0:
                gain_rhs[i] += chain[s, t] * gain[t]
    copy = matrix.copy()
    if not solve_dense(copy, gain_rhs):
        return False
    bias_rhs = np.empty(n_transient)
    for i in range(n_transient):
        s = transient[i]
        gain[s] = gain_rhs[i]
        bias_rhs[i] = rewards[s] - gain_rhs[i]
        for t in range(n_states):
            if label[t] >= 0:
                bias_rhs[i] += chain[s, t] * bias[t]
    if not solve_dense(matrix, bias_rhs):
        return False
    for i in range(n_transient):
        bias[transient[i]] = bias_rhs[i]
    return True


@kernel
def near_best(row, candidates, best, current, tie_tolerance):
    """The lowest action among ``candidates`` whose value in ``row`` lies within the tolerance
    of ``row[best]`` (the best of them) and beats the current action's by more than it.

    Actions whose values differ by rounding alone are ties, decided by their index, not by
    which of them the arithmetic happened to favour; ``best`` itself qualifies when it beats
    ``current``, so the choice always improves by more than the margin."""
    floor = row[best] - tie_tolerance * (1.0 + abs(row[best]))
    bar = row[current] + tie_tolerance * (1.0 + abs(row[current]))
    for a in range(row.shape[0]):
        if candidates[a] and row[a] >= floor and row[a] > bar:
            return a
    return best


@kernel
def improve_multichain(
    successor, continue_prob, reward, end_prob, initial, gain, bias, tie_tolerance, policy, q_values
):
    """Puterman's two-step improvement. (a) Switch every state whose best ``sum P g`` beats
    its action's by more than the tolerance; if any did, stop there. (b) Otherwise, among the
    actions within the tolerance of the current action's ``sum P g``, switch to the best
    ``r + sum P h`` when it beats the current one by more than the tolerance. Either step
    picks, among the actions within the tolerance of the best, the lowest that beats the
    current one (:func:`near_best`), so values tied but for rounding do not decide the
    policy. ``q_values`` receives ``r + sum P h``. Returns whether any state switched."""
    n_states, n_actions, n_outcomes = successor.shape
    restart_gain = 0.0
    restart_bias = 0.0
    for s in range(n_states):
        restart_gain += initial[s] * gain[s]
        restart_bias += initial[s] * bias[s]
    gain_rows = np.empty((n_states, n_actions))
    every = np.ones(n_actions, dtype=np.bool_)
    changed = False
    for s in range(n_states):
        best = 0
        for a in range(n_actions):
            future_gain = 0.0
            future_bias = 0.0
            for k in range(n_outcomes):
                future_gain += continue_prob[s, a, k] * gain[successor[s, a, k]]
                future_bias += continue_prob[s, a, k] * bias[successor[s, a, k]]
            gain_rows[s, a] = future_gain + end_prob[s, a] * restart_gain
            if reward[s, a] == -np.inf:  # a masked pair: never chosen for its gain
                gain_rows[s, a] = -np.inf
            q_values[s, a] = reward[s, a] + future_bias + end_prob[s, a] * restart_bias
            if gain_rows[s, a] > gain_rows[s, best]:
                best = a
        current = policy[s]
        margin = tie_tolerance * (1.0 + abs(gain_rows[s, current]))
        if gain_rows[s, best] > gain_rows[s, current] + margin:
            policy[s] = near_best(gain_rows[s], every, best, current, tie_tolerance)
            changed = True
    if changed:
        return True
    keeps = np.empty(n_actions, dtype=np.bool_)
    for s in range(n_states):
        current = policy[s]
        top = gain_rows[s, current]
        margin = tie_tolerance * (1.0 + abs(top))
        best = current
        for a in range(n_actions):
            keeps[a] = gain_rows[s, a] >= top - margin
            if keeps[a] and q_values[s, a] > q_values[s, best]:
                best = a
        margin = tie_tolerance * (1.0 + abs(q_values[s, current]))
        if q_values[s, best] > q_values[s, current] + margin:
            policy[s] = near_best(q_values[s], keeps, best, current, tie_tolerance)
            changed = True
    return changed
