"""Pure-Python twins of the average-reward solvers, with the same signatures.

Backups of a bias ``h``, outcome by outcome in slot order, the restart term last (an ended
episode restarts from ``initial``):

    Q(s, a) = R(s, a) + sum_{k: not terminated} P_k h(s'_k) + P(end | s, a) sum_s' initial(s') h(s')

The model check is re-derived differently: a state lies in a closed class when every state it
can reach can reach it back (reachability by breadth-first search, not Tarjan), and the set
some policy can stay in is found by the same fixed point, written as set operations.
Slow by design: oracles for the kernels.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.planning import expected_reward
from rlfoundations.results import AverageRewardResult, ConvergenceWarning

__all__ = ["average_reward_policy_iteration", "relative_value_iteration"]

RESTART = -1  # the node an ended episode passes through on its way to ``initial``


def _successors(mdp: TabularMDP, s: int, a: int) -> set:
    nodes = set()
    for k in range(mdp.max_outcomes):
        if mdp.prob[s, a, k] > 0.0:
            nodes.add(RESTART if mdp.terminated[s, a, k] else int(mdp.next_state[s, a, k]))
    return nodes


def _graph(mdp: TabularMDP, policy=None) -> dict:
    """Map each node to its list of choices, each a set of successor nodes."""
    graph = {}
    for s in range(mdp.n_states):
        actions = range(mdp.n_actions) if policy is None else [policy[s]]
        if policy is None and mdp.action_mask is not None:
            actions = [a for a in actions if mdp.action_mask[s, a]]
        graph[s] = [_successors(mdp, s, a) for a in actions]
    graph[RESTART] = [{s for s in range(mdp.n_states) if mdp.initial[s] > 0.0}]
    return graph


def _reachable(graph: dict, start) -> set:
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for choice in graph[node]:
            for target in choice:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    return seen


def closed_classes(graph: dict) -> list:
    """Closed communicating classes, as sorted lists of states (the restart node dropped)."""
    reach = {node: _reachable(graph, node) for node in graph}
    classes = []
    for node in graph:
        if all(node in reach[other] for other in reach[node]):
            members = sorted(n for n in reach[node] if n != RESTART)
            if members not in classes:
                classes.append(members)
    return sorted(classes)


def _check_structure(mdp: TabularMDP, refuse: bool = True) -> tuple[str, list]:
    graph = _graph(mdp)
    classes = closed_classes(graph)
    if len(classes) > 1 and not refuse:
        return "multichain", list(range(mdp.n_states))
    if len(classes) > 1:
        raise InvalidValueError(f"the model is multichain: closed classes {classes}")
    outside = (
        set(graph)
        - set(classes[0])
        - ({RESTART} if RESTART in _reachable(graph, classes[0][0]) else set())
    )
    while True:
        keep = {v for v in outside if any(choice <= outside for choice in graph[v])}
        if keep == outside:
            break
        outside = keep
    trapped = sorted(v for v in outside if v != RESTART)
    if trapped:
        return "multichain", trapped
    if len(classes[0]) == mdp.n_states:
        return "communicating", trapped
    return "weakly communicating", trapped


def model_structure(mdp: TabularMDP) -> str:
    """Twin of :func:`rlfoundations.model_structure`: closed classes by reachability sets."""
    return _check_structure(mdp)[0]


def _end_prob(mdp: TabularMDP, s: int, a: int) -> float:
    total = 0.0
    for k in range(mdp.max_outcomes):
        if mdp.terminated[s, a, k]:
            total += float(mdp.prob[s, a, k])
    return total


def _backup(mdp: TabularMDP, values: list, s: int, a: int, restart: float) -> tuple[float, float]:
    future = 0.0
    for k in range(mdp.max_outcomes):
        if not mdp.terminated[s, a, k]:
            future += float(mdp.prob[s, a, k]) * values[int(mdp.next_state[s, a, k])]
    return expected_reward(mdp, s, a), future + _end_prob(mdp, s, a) * restart


def _restart_value(mdp: TabularMDP, values: list) -> float:
    total = 0.0
    for s in range(mdp.n_states):
        total += float(mdp.initial[s]) * values[s]
    return total


def _q_table(mdp: TabularMDP, bias: list) -> list:
    restart = _restart_value(mdp, bias)
    table = []
    for s in range(mdp.n_states):
        row = []
        for a in range(mdp.n_actions):
            reward, future = _backup(mdp, bias, s, a, restart)
            row.append(reward + future)
        table.append(row)
    return table


def relative_value_iteration(
    mdp: TabularMDP,
    *,
    epsilon: float = 1e-10,
    max_iter: int | None = None,
    tau: float = 0.5,
    reference_state: int = 0,
) -> AverageRewardResult:
    """Iterate w <- T_tau w - (T_tau w)(reference_state) until span(T_tau w - w) < epsilon."""
    structure, trapped = _check_structure(mdp)
    max_iter = 100_000 if max_iter is None else max_iter
    values = [0.0] * mdp.n_states
    policy = [0] * mdp.n_states
    residuals, low, high, converged = [], 0.0, 0.0, False
    for _ in range(max_iter):
        restart = _restart_value(mdp, values)
        new_values = []
        for s in range(mdp.n_states):
            best_value, best = -np.inf, 0
            for a in range(mdp.n_actions):
                reward, future = _backup(mdp, values, s, a, restart)
                q = reward + tau * future + (1.0 - tau) * values[s]
                if q > best_value:
                    best_value, best = q, a
            new_values.append(best_value)
            policy[s] = best
        changes = [new - old for new, old in zip(new_values, values, strict=True)]
        low, high = min(changes), max(changes)
        values = [v - new_values[reference_state] for v in new_values]
        residuals.append(high - low)
        if high - low < epsilon:
            converged = True
            break
    if not converged and trapped:
        raise InvalidValueError(f"no single optimal gain proven; states {trapped} can stay apart")
    if not converged:
        warnings.warn("relative_value_iteration stopped at max_iter", ConvergenceWarning, 2)
    bias = [tau * v for v in values]
    return AverageRewardResult(
        gain=(low + high) / 2.0,
        gains=np.full(mdp.n_states, (low + high) / 2.0),
        gain_lower=low,
        gain_upper=high,
        values=np.array(bias, dtype=np.float64),
        q_values=np.array(_q_table(mdp, bias), dtype=np.float64).reshape(
            mdp.n_states, mdp.n_actions
        ),
        policy=np.array(policy, dtype=np.int64),
        iterations=len(residuals),
        converged=converged,
        residuals=np.array(residuals, dtype=np.float64),
        structure=structure,
        method="relative_value_iteration",
    )


def _chain(mdp: TabularMDP, policy: list) -> list:
    """P[s][t] of the policy, restarts folded in."""
    n = mdp.n_states
    chain = [[0.0] * n for _ in range(n)]
    for s in range(n):
        a = policy[s]
        for k in range(mdp.max_outcomes):
            if not mdp.terminated[s, a, k]:
                chain[s][int(mdp.next_state[s, a, k])] += float(mdp.prob[s, a, k])
        end = _end_prob(mdp, s, a)
        for t in range(n):
            chain[s][t] += end * float(mdp.initial[t])
    return chain


def _evaluate(mdp: TabularMDP, policy: list, classes: list) -> tuple[list, list]:
    """Puterman's multichain evaluation, as one linear system (NumPy's solver).

    Unknowns g(s) and h(s) for every state, equations ``g(s) - sum_t P g = 0`` on transient states,
    ``g`` equal across each class, ``g(s) + h(s) - sum_t P h = r(s)`` everywhere, and ``h = 0`` at
    each class's first state.
    """
    n = mdp.n_states
    chain = _chain(mdp, policy)
    recurrent = {s for members in classes for s in members}
    rows, rhs = [], []
    for s in range(n):  # gain equations
        row = [0.0] * (2 * n)
        if s in recurrent:
            first = next(members[0] for members in classes if s in members)
            if s == first:
                continue
            row[s], row[first] = 1.0, -1.0
        else:
            row[s] += 1.0
            for t in range(n):
                row[t] -= chain[s][t]
        rows.append(row)
        rhs.append(0.0)
    for s in range(n):  # bias equations
        row = [0.0] * (2 * n)
        row[s] = 1.0
        row[n + s] += 1.0
        for t in range(n):
            row[n + t] -= chain[s][t]
        rows.append(row)
        rhs.append(expected_reward(mdp, s, policy[s]))
    for members in classes:  # normalisation, and the classes' own gains are now determined
        row = [0.0] * (2 * n)
        row[n + members[0]] = 1.0
        rows.append(row)
        rhs.append(0.0)
    solution = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0].tolist()
    return solution[:n], solution[n:]


def _gain_rows(mdp: TabularMDP, gains: list) -> list:
    restart = _restart_value(mdp, gains)
    table = []
    for s in range(mdp.n_states):
        row = []
        for a in range(mdp.n_actions):
            future = 0.0
            for k in range(mdp.max_outcomes):
                if not mdp.terminated[s, a, k]:
                    future += float(mdp.prob[s, a, k]) * gains[int(mdp.next_state[s, a, k])]
            # A masked pair (reward -inf) is never chosen for its gain.
            masked = expected_reward(mdp, s, a) == -math.inf
            row.append(-math.inf if masked else future + _end_prob(mdp, s, a) * restart)
        table.append(row)
    return table


def average_reward_policy_iteration(
    mdp: TabularMDP,
    *,
    max_iter: int | None = None,
    tie_tolerance: float = 1e-10,
    initial_policy: Iterable[int] | None = None,
) -> AverageRewardResult:
    """Multichain policy iteration: evaluate (g, h); improve the gain, else the bias."""
    structure, _ = _check_structure(mdp, refuse=False)
    max_iter = 1_000 if max_iter is None else max_iter
    if initial_policy is None:
        policy = []
        for s in range(mdp.n_states):
            rewards = [expected_reward(mdp, s, a) for a in range(mdp.n_actions)]
            policy.append(max(range(mdp.n_actions), key=lambda a, r=rewards: (r[a], -a)))  # type: ignore[misc]
    else:
        policy = [int(a) for a in initial_policy]

    def beats(new, old):
        return new > old + tie_tolerance * (1.0 + abs(old))

    def choose(row, candidates, current):
        """The lowest candidate near the best that beats the current action, or None.

        Near: within the tolerance, so values tied but for rounding are decided by index.
        """
        top = max(row[a] for a in candidates)
        if not beats(top, row[current]):
            return None
        floor = top - tie_tolerance * (1.0 + abs(top))
        return min(a for a in candidates if row[a] >= floor and beats(row[a], row[current]))

    bias, residuals, converged = [0.0] * mdp.n_states, [], False
    for _ in range(max_iter):
        gains, new_bias = _evaluate(mdp, policy, closed_classes(_graph(mdp, policy)))
        residuals.append(max(abs(x - y) for x, y in zip(new_bias, bias, strict=True)))
        bias = new_bias
        gain_table, q_table = _gain_rows(mdp, gains), _q_table(mdp, bias)
        changed = False
        for s in range(mdp.n_states):  # (a) the gain
            best = choose(gain_table[s], range(mdp.n_actions), policy[s])
            if best is not None:
                policy[s], changed = best, True
        if not changed:
            for s in range(mdp.n_states):  # (b) the bias, among the actions keeping the gain
                top = gain_table[s][policy[s]]
                keeps = [
                    a
                    for a in range(mdp.n_actions)
                    if gain_table[s][a] >= top - tie_tolerance * (1.0 + abs(top))
                ]
                best = choose(q_table[s], keeps, policy[s])
                if best is not None:
                    policy[s], changed = best, True
        if not changed:
            converged = True
            break
    if not converged:
        warnings.warn("average_reward_policy_iteration stopped at max_iter", ConvergenceWarning, 2)
    return AverageRewardResult(
        gain=_restart_value(mdp, gains),
        gain_lower=min(gains),
        gain_upper=max(gains),
        values=np.array(bias, dtype=np.float64),
        q_values=np.array(q_table, dtype=np.float64).reshape(mdp.n_states, mdp.n_actions),
        policy=np.array(policy, dtype=np.int64),
        iterations=len(residuals),
        converged=converged,
        residuals=np.array(residuals, dtype=np.float64),
        structure=structure,
        method="average_reward_policy_iteration",
        gains=np.array(gains, dtype=np.float64),
    )
