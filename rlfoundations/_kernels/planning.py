"""Numba kernels of the exact solvers.

Every kernel reads the model in its kernel form: ``successor`` (S, A, K) int32 next states,
``continue_prob`` (S, A, K) the probability of each outcome that does not end the episode, and
``expected_reward`` (S, A). A backup is then

    Q(s, a) = R(s, a) + gamma * sum_k continue_prob[s, a, k] * V[successor[s, a, k]]

summed outcome by outcome in slot order, exactly as the reference twins do. Ties between
actions go to the lowest index (a strict ``>`` comparison). Inputs are trusted: the Python
layer validated them.
"""

from __future__ import annotations

import numpy as np

from rlfoundations._kernels._jit import inline_kernel, kernel, parallel_kernel, prange


@kernel
def backup_state(successor, continue_prob, expected_reward, gamma, values, s, q_row):
    """Fill ``q_row`` with Q(s, .) and return (max_a Q(s, a), lowest argmax)."""
    n_actions = successor.shape[1]
    n_outcomes = successor.shape[2]
    best_value = 0.0
    best_action = 0
    for a in range(n_actions):
        total = 0.0
        for k in range(n_outcomes):
            total += continue_prob[s, a, k] * values[successor[s, a, k]]
        q = expected_reward[s, a] + gamma * total
        q_row[a] = q
        if a == 0 or q > best_value:
            best_value = q
            best_action = a
    return best_value, best_action


@kernel
def backup_action(successor, continue_prob, expected_reward, gamma, values, s, a):
    """Q(s, a) for one action."""
    total = 0.0
    for k in range(successor.shape[2]):
        total += continue_prob[s, a, k] * values[successor[s, a, k]]
    return expected_reward[s, a] + gamma * total


@inline_kernel
def state_value(successor, continue_prob, expected_reward, gamma, values, s):
    """max_a Q(s, a), reading the model through flat views (the sweeps' hot path).

    Flat arrays (``successor.reshape(-1)``, ...) let the loop walk one running index through
    the outcome slots of state ``s``, with no per-access stride arithmetic; next states are
    cast to unsigned so that indexing ``values`` needs no negative-index wraparound.
    """
    n_actions = expected_reward.shape[1]
    n_outcomes = successor.shape[0] // expected_reward.size
    slot = s * n_actions * n_outcomes
    best = 0.0
    for a in range(n_actions):
        total = 0.0
        for _ in range(n_outcomes):
            total += continue_prob[slot] * values[np.uint64(successor[slot])]
            slot += 1
        q = expected_reward[s, a] + gamma * total
        if a == 0 or q > best:
            best = q
    return best


@kernel
def _sweep_serial(successor, continue_prob, expected_reward, gamma, values, new_values):
    for s in range(new_values.shape[0]):
        new_values[s] = state_value(successor, continue_prob, expected_reward, gamma, values, s)


@parallel_kernel
def _sweep_parallel(successor, continue_prob, expected_reward, gamma, values, new_values):
    for s in prange(new_values.shape[0]):
        new_values[s] = state_value(successor, continue_prob, expected_reward, gamma, values, s)


@kernel
def bellman_sweep(successor, continue_prob, expected_reward, gamma, values, new_values, parallel):
    """One synchronous (Jacobi) Bellman optimality sweep: ``new_values = T values``."""
    flat_successor = successor.reshape(-1)
    flat_continue = continue_prob.reshape(-1)
    if parallel:
        _sweep_parallel(flat_successor, flat_continue, expected_reward, gamma, values, new_values)
    else:
        _sweep_serial(flat_successor, flat_continue, expected_reward, gamma, values, new_values)


@kernel
def greedy(successor, continue_prob, expected_reward, gamma, values, q_values, policy):
    """Fill ``q_values`` and the lowest-index greedy ``policy`` from ``values``."""
    for s in range(successor.shape[0]):
        policy[s] = backup_state(
            successor, continue_prob, expected_reward, gamma, values, s, q_values[s]
        )[1]


@kernel
def jacobi_step(
    successor, continue_prob, expected_reward, gamma, anchored, parallel, values, new_values
):
    """One Jacobi sweep, ``values <- T values``; returns (min, max) of the change.

    With ``anchored`` (a model whose episodes can end), the change of the implicit absorbing
    end state, 0, counts too: the span rule is then Puterman's on the completed chain.
    """
    bellman_sweep(successor, continue_prob, expected_reward, gamma, values, new_values, parallel)
    low = 0.0 if anchored else np.inf
    high = 0.0 if anchored else -np.inf
    for s in range(successor.shape[0]):
        change = new_values[s] - values[s]
        low = min(low, change)
        high = max(high, change)
        values[s] = new_values[s]
    return low, high


@kernel
def gauss_seidel_step(successor, continue_prob, expected_reward, gamma, values):
    """One in-place sweep (later states see this sweep's values); returns max |change|."""
    flat_successor = successor.reshape(-1)
    flat_continue = continue_prob.reshape(-1)
    largest = 0.0
    for s in range(values.shape[0]):
        value = state_value(flat_successor, flat_continue, expected_reward, gamma, values, s)
        largest = max(largest, abs(value - values[s]))
        values[s] = value
    return largest


@kernel
def value_iteration(
    successor,
    continue_prob,
    expected_reward,
    gamma,
    threshold,
    use_span,
    anchored,
    gauss_seidel,
    parallel,
    check_first,
    max_iter,
    values,
    residuals,
):
    """Value iteration from ``values`` (updated in place) for at most ``max_iter`` sweeps.

    Jacobi: stop after the first sweep whose change has span (``use_span``) or sup norm
    below ``threshold``. Gauss-Seidel: once an in-place sweep changes no value by
    ``threshold`` or more, the next sweep is a Jacobi sweep that must pass the sup-norm rule
    too (the guarantee is proved for Jacobi sweeps), else in-place sweeps resume.
    Writes the sup-norm change of every sweep to ``residuals``.
    Returns (sweeps done, converged, whether the next sweep is a Jacobi check).
    """
    new_values = np.empty(successor.shape[0])
    check = check_first
    for iteration in range(max_iter):
        if gauss_seidel and not check:
            residuals[iteration] = gauss_seidel_step(
                successor, continue_prob, expected_reward, gamma, values
            )
            check = residuals[iteration] < threshold
            continue
        low, high = jacobi_step(
            successor,
            continue_prob,
            expected_reward,
            gamma,
            anchored,
            parallel,
            values,
            new_values,
        )
        residuals[iteration] = max(high, -low)
        statistic = high - low if use_span else max(high, -low)
        if statistic < threshold:
            return iteration + 1, True, False
        check = False
    return max_iter, False, check


@kernel
def policy_sweep(successor, continue_prob, expected_reward, gamma, policy, values, new_values):
    """One sweep of the policy's Bellman operator: ``new_values = T_pi values``."""
    for s in range(successor.shape[0]):
        new_values[s] = backup_action(
            successor, continue_prob, expected_reward, gamma, values, s, policy[s]
        )


@kernel
def evaluate_policy_iterative(
    successor,
    continue_prob,
    expected_reward,
    gamma,
    policy,
    threshold,
    max_iter,
    values,
    residuals,
):
    """Iterate ``V <- T_pi V`` from ``values`` (in place) until the sup-norm change is below
    ``threshold``. Returns (sweeps done, converged)."""
    n_states = successor.shape[0]
    new_values = np.empty(n_states)
    for iteration in range(max_iter):
        policy_sweep(successor, continue_prob, expected_reward, gamma, policy, values, new_values)
        change = 0.0
        for s in range(n_states):
            change = max(change, abs(new_values[s] - values[s]))
            values[s] = new_values[s]
        residuals[iteration] = change
        if change < threshold:
            return iteration + 1, True
    return max_iter, False


@kernel
def policy_model(successor, continue_prob, expected_reward, policy):
    """The chain of ``policy``: its (S, K) next states and continuation probabilities, and
    its (S,) expected rewards."""
    n_states, _, n_outcomes = successor.shape
    chain_successor = np.empty((n_states, n_outcomes), dtype=successor.dtype)
    chain_continue = np.empty((n_states, n_outcomes))
    chain_reward = np.empty(n_states)
    for s in range(n_states):
        a = policy[s]
        for k in range(n_outcomes):
            chain_successor[s, k] = successor[s, a, k]
            chain_continue[s, k] = continue_prob[s, a, k]
        chain_reward[s] = expected_reward[s, a]
    return chain_successor, chain_continue, chain_reward


@kernel
def chain_components(chain_successor, chain_continue):
    """Strongly connected components of a chain's continuing transitions (Tarjan's algorithm,
    with an explicit stack instead of recursion).

    Returns (order, start, component): the states grouped by component, component ``c``
    being ``order[start[c]:start[c + 1]]``; components come in reverse topological order
    (every component after all the components it can reach), and ``component[s]`` is the
    component of ``s``.
    """
    n_states, n_outcomes = chain_successor.shape
    index = np.full(n_states, -1, dtype=np.int64)
    low = np.empty(n_states, dtype=np.int64)
    on_stack = np.zeros(n_states, dtype=np.bool_)
    stack = np.empty(n_states, dtype=np.int64)
    path = np.empty(n_states, dtype=np.int64)
    next_outcome = np.empty(n_states, dtype=np.int64)
    order = np.empty(n_states, dtype=np.int64)
    start = np.empty(n_states + 1, dtype=np.int64)
    component = np.empty(n_states, dtype=np.int64)
    n_components = 0
    n_ordered = 0
    n_stacked = 0
    counter = 0
    for root in range(n_states):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack[n_stacked] = root
        n_stacked += 1
        on_stack[root] = True
        path[0] = root
        next_outcome[0] = 0
        depth = 1
        while depth > 0:
            v = path[depth - 1]
            k = next_outcome[depth - 1]
            if k < n_outcomes:
                next_outcome[depth - 1] = k + 1
                if chain_continue[v, k] > 0.0:
                    w = chain_successor[v, k]
                    if index[w] < 0:
                        index[w] = low[w] = counter
                        counter += 1
                        stack[n_stacked] = w
                        n_stacked += 1
                        on_stack[w] = True
                        path[depth] = w
                        next_outcome[depth] = 0
                        depth += 1
                    elif on_stack[w]:
                        low[v] = min(low[v], index[w])
                continue
            depth -= 1
            if depth > 0:
                parent = path[depth - 1]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                start[n_components] = n_ordered
                while True:
                    n_stacked -= 1
                    w = stack[n_stacked]
                    on_stack[w] = False
                    component[w] = n_components
                    order[n_ordered] = w
                    n_ordered += 1
                    if w == v:
                        break
                n_components += 1
    start[n_components] = n_ordered
    return order, start[: n_components + 1], component


@kernel
def solve_dense(matrix, rhs, solution):
    """Solve ``matrix @ solution = rhs`` by Gaussian elimination with partial pivoting
    (overwriting ``matrix`` and ``rhs``). Returns False if a pivot falls below 1e-12."""
    n = rhs.shape[0]
    for col in range(n):
        pivot = col
        for row in range(col + 1, n):
            if abs(matrix[row, col]) > abs(matrix[pivot, col]):
                pivot = row
        if abs(matrix[pivot, col]) < 1e-12:
            return False
        if pivot != col:
            for j in range(col, n):
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
            total -= matrix[row, j] * solution[j]
        solution[row] = total / matrix[row, row]
    return True


@kernel
def evaluate_chain(chain_successor, chain_continue, chain_reward, gamma, values):
    """Solve ``V = R + gamma P V`` for a chain exactly, one strongly connected component at
    a time in reverse topological order, so that every state outside the component is
    already solved: a single state is ``V(s) = (R(s) + gamma * sum_{t != s} P(s, t) V(t)) /
    (1 - gamma P(s, s))``, a larger component a dense solve of its own size.

    O(S K + sum of cubed component sizes). Returns False if a component's system is
    singular (a chain that never ends the episode, with gamma = 1).
    """
    n_outcomes = chain_successor.shape[1]
    order, start, component = chain_components(chain_successor, chain_continue)
    position = np.empty(chain_successor.shape[0], dtype=np.int64)
    for c in range(start.shape[0] - 1):
        first = start[c]
        size = start[c + 1] - first
        if size == 1:
            s = order[first]
            total = 0.0
            stay = 0.0
            for k in range(n_outcomes):
                p = chain_continue[s, k]
                if p > 0.0:
                    t = chain_successor[s, k]
                    if t == s:
                        stay += p
                    else:
                        total += p * values[t]
            scale = 1.0 - gamma * stay
            if scale < 1e-12:
                return False
            values[s] = (chain_reward[s] + gamma * total) / scale
            continue
        for i in range(size):
            position[order[first + i]] = i
        matrix = np.zeros((size, size))
        rhs = np.empty(size)
        for i in range(size):
            s = order[first + i]
            matrix[i, i] += 1.0
            total = 0.0
            for k in range(n_outcomes):
                p = chain_continue[s, k]
                if p > 0.0:
                    t = chain_successor[s, k]
                    if component[t] == c:
                        matrix[i, position[t]] -= gamma * p
                    else:
                        total += p * values[t]
            rhs[i] = chain_reward[s] + gamma * total
        solution = np.empty(size)
        if not solve_dense(matrix, rhs, solution):
            return False
        for i in range(size):
            values[order[first + i]] = solution[i]
    return True


@kernel
def evaluate_policy_exact(successor, continue_prob, expected_reward, gamma, policy, values):
    """Solve ``(I - gamma P_pi) V = R_pi`` exactly (see :func:`evaluate_chain`): linear in
    the model size when the policy's chain has small strongly connected components, a dense
    solve when it is one big component. Returns False if the system is singular."""
    return evaluate_chain(
        *policy_model(successor, continue_prob, expected_reward, policy), gamma, values
    )


@kernel
def improve_policy(
    successor, continue_prob, expected_reward, gamma, values, tie_tolerance, q_values, policy
):
    """Greedy improvement in place: a state switches to its lowest-index best action only if
    that beats the current action by more than ``tie_tolerance * (1 + |best|)``, so that
    policy iteration never cycles between tied policies. Returns how many states switched."""
    changed = 0
    for s in range(successor.shape[0]):
        best_value, best_action = backup_state(
            successor, continue_prob, expected_reward, gamma, values, s, q_values[s]
        )
        current = q_values[s, policy[s]]
        if best_value - current > tie_tolerance * (1.0 + abs(best_value)):
            policy[s] = best_action
            changed += 1
    return changed


@kernel
def policy_iteration(
    successor,
    continue_prob,
    expected_reward,
    prob,
    terminated,
    gamma,
    exact,
    epsilon,
    tie_tolerance,
    max_iter,
    max_eval_iter,
    policy,
    values,
    q_values,
    residuals,
):
    """Howard's policy iteration from ``policy`` (updated in place).

    Evaluation is exact (component by component) or iterative (warm-started, to ``epsilon``). With
    gamma = 1 each policy is checked to end the episode from every state before it is
    evaluated. Returns (improvement steps, converged, proper): ``proper`` is False when the
    current policy does not terminate from some state (its values are then meaningless).
    """
    n_states = successor.shape[0]
    previous = values.copy()
    eval_residuals = np.empty(max_eval_iter)
    for iteration in range(max_iter):
        if gamma == 1.0:
            if non_terminating_states(successor, prob, terminated, policy).any():
                return iteration, False, False
        if exact:
            if not evaluate_policy_exact(
                successor, continue_prob, expected_reward, gamma, policy, values
            ):
                return iteration, False, False
        else:
            evaluate_policy_iterative(
                successor,
                continue_prob,
                expected_reward,
                gamma,
                policy,
                epsilon,
                max_eval_iter,
                values,
                eval_residuals,
            )
        change = 0.0
        for s in range(n_states):
            change = max(change, abs(values[s] - previous[s]))
            previous[s] = values[s]
        residuals[iteration] = change
        changed = improve_policy(
            successor,
            continue_prob,
            expected_reward,
            gamma,
            values,
            tie_tolerance,
            q_values,
            policy,
        )
        if changed == 0:
            return iteration + 1, True, True
    return max_iter, False, True


@kernel
def modified_policy_iteration(
    successor,
    continue_prob,
    expected_reward,
    gamma,
    threshold,
    use_span,
    anchored,
    n_evaluations,
    max_iter,
    values,
    residuals,
):
    """Modified policy iteration (Puterman 6.5): each iteration is one Bellman optimality
    sweep (giving the greedy policy) followed by ``n_evaluations`` sweeps of that policy's
    operator. Stops on the optimality sweep's change, as value iteration does.
    Returns (iterations, converged)."""
    n_states = successor.shape[0]
    new_values = np.empty(n_states)
    q_row = np.empty(successor.shape[1])
    policy = np.zeros(n_states, dtype=np.int64)
    for iteration in range(max_iter):
        low = 0.0 if anchored else np.inf
        high = 0.0 if anchored else -np.inf
        for s in range(n_states):
            best_value, best_action = backup_state(
                successor, continue_prob, expected_reward, gamma, values, s, q_row
            )
            new_values[s] = best_value
            policy[s] = best_action
            change = best_value - values[s]
            low = min(low, change)
            high = max(high, change)
        for s in range(n_states):
            values[s] = new_values[s]
        residuals[iteration] = max(high, -low)
        statistic = high - low if use_span else max(high, -low)
        if statistic < threshold:
            return iteration + 1, True
        for _ in range(n_evaluations):
            policy_sweep(
                successor, continue_prob, expected_reward, gamma, policy, values, new_values
            )
            for s in range(n_states):
                values[s] = new_values[s]
    return max_iter, False


@kernel
def non_terminating_states(successor, prob, terminated, policy):
    """States from which ``policy`` fails to end the episode with probability 1.

    A state terminates surely iff every state it can reach can still reach a terminating
    transition. So: mark the states that can reach termination (backwards from terminating
    outcomes), then every state that can reach an unmarked state is non-terminating.
    """
    n_states = successor.shape[0]
    n_outcomes = successor.shape[2]
    can_end = np.zeros(n_states, dtype=np.bool_)
    for s in range(n_states):
        a = policy[s]
        for k in range(n_outcomes):
            if prob[s, a, k] > 0.0 and terminated[s, a, k]:
                can_end[s] = True
    # Fixed point: s can end if some continuing outcome leads to a state that can end.
    changed = True
    while changed:
        changed = False
        for s in range(n_states):
            if can_end[s]:
                continue
            a = policy[s]
            for k in range(n_outcomes):
                if prob[s, a, k] > 0.0 and not terminated[s, a, k] and can_end[successor[s, a, k]]:
                    can_end[s] = True
                    changed = True
                    break
    stuck = ~can_end
    changed = True
    while changed:
        changed = False
        for s in range(n_states):
            if stuck[s]:
                continue
            a = policy[s]
            for k in range(n_outcomes):
                if prob[s, a, k] > 0.0 and not terminated[s, a, k] and stuck[successor[s, a, k]]:
                    stuck[s] = True
                    changed = True
                    break
    return stuck


@kernel
def proper_policy(successor, prob, terminated):
    """A policy that ends the episode surely from every state that allows it.

    Round by round, a state is given the lowest action that has a positive-probability
    outcome which terminates or reaches a state handled in an earlier round. Returns
    (policy, handled): states never handled cannot end the episode under any policy.
    """
    n_states, n_actions, n_outcomes = successor.shape
    policy = np.zeros(n_states, dtype=np.int64)
    handled = np.zeros(n_states, dtype=np.bool_)
    previous = handled.copy()
    changed = True
    while changed:
        changed = False
        previous[:] = handled
        for s in range(n_states):
            if handled[s]:
                continue
            for a in range(n_actions):
                found = False
                for k in range(n_outcomes):
                    if prob[s, a, k] > 0.0 and (
                        terminated[s, a, k] or previous[successor[s, a, k]]
                    ):
                        found = True
                        break
                if found:
                    policy[s] = a
                    handled[s] = True
                    changed = True
                    break
    return policy, handled
