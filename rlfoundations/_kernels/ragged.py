"""The ragged layout of a skewed model and the kernels that read it.

The block layout of :mod:`.layout` pads every (state, action) pair to the model's largest
outcome count ``K``: a model where 1 % of the pairs have 1 000 outcomes and the rest 2 holds
(and sweeps) about 80 times its nonzeros. The ragged layout keeps only the outcomes a backup
needs, those with a positive continuation probability (an outcome that ends the episode
adds ``0 * V`` and is left out too), in their slot order, and keeps the eight-lane vector
backups of :mod:`.planning`:

- ``start`` (B * A + 1,) int64: pair ``(block, a)`` owns vector slots
  ``start[block * A + a] : start[block * A + a + 1]`` (at least one), each slot eight lanes
  of ``successor`` (int32) and ``continue_prob`` (float64), flat. Lane ``s % 8`` of the
  pair's slots holds the first outcomes of ``(s, a)``, padded with probability 0;
- ``reward`` (B, A, 8): as in the block layout (``-inf`` at masked pairs);
- ``overflow_start`` (B * A * 8 + 1,) int64, ``overflow_successor``, ``overflow_continue``:
  the outcomes of a lane beyond its pair's slots, per lane, in order. A pair gets as many
  slots as its ``OVERFLOW_LANES + 1``-th longest lane needs, so at most ``OVERFLOW_LANES``
  lanes of a block continue one by one, in scalar code, where one heavy state would
  otherwise make its seven neighbours sweep its padding.

A lane's sum is then its outcomes in slot order, the vector part first, the overflow after:
the terms the block layout sums, less its terms ``0 * V``. Adding ``+-0`` to a sum changes
it only when it is zero, and then only its sign; ``R(s, a) + gamma * (+-0)`` is the same
number because ``R`` is never ``-0.0`` (the model sums it from ``+0.0``). So every backup,
value, policy and stopping decision here equals the block layout's bit for bit, and the
block kernels' reference twins (:mod:`rlfoundations.reference.planning`) are these
kernels' twins too: ``tests/test_ragged.py`` checks the equality directly.

Padding lanes of the last block copy the last state, overflow included, as in the block
layout. The chain of a policy (:func:`policy_chain`) is this layout with one action, the
fixed-policy sweeps of policy evaluation, policy iteration and modified policy iteration
read it. :func:`build_ragged_model` is plain NumPy; :func:`rlfoundations._kernels.layout.
kernel_model` chooses this layout (``ragged=True``) when the block layout would hold more
than :data:`RAGGED_WASTE` times its entries.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rlfoundations._kernels import lanes
from rlfoundations._kernels._jit import inline_kernel, kernel, parallel_kernel, plain_python, prange
from rlfoundations._kernels.lanes import LANES
from rlfoundations._kernels.planning import (
    CHUNK_BLOCKS,
    SHIFTING,
    certificates,
    evaluate_chain,
    jacobi_round,
    macqueen_shift,
    non_terminating_states,
    padded,
    policy_changed,
    policy_iteration_stops,
    public_policy_model,
    record_change,
    store_values,
    sweep_statistics,
    switch_policy,
)

__all__ = [
    "OVERFLOW_LANES",
    "RAGGED_WASTE",
    "RaggedModel",
    "bellman_sweep",
    "build_ragged_model",
    "evaluate_chain_bounded",
    "evaluate_policy_iterative",
    "greedy",
    "greedy_certified",
    "improve_policy_gap",
    "modified_policy_iteration",
    "policy_chain",
    "policy_iteration",
    "serial_sweep",
    "value_iteration_blocks",
]

#: The ragged layout is chosen when the block layout would hold more than this many times
#: the ragged layout's entries.
RAGGED_WASTE = 2.0
#: Lanes of a block that may continue in scalar code past their pair's vector slots. 0 is
#: the pure block-ragged form (each block padded to its own longest lane); 8 is close to a
#: per-pair CSR (one vector slot, the rest scalar). Measured in benchmarks/bench_planning.py
#: (``--ragged``).
OVERFLOW_LANES = 2


class RaggedModel(NamedTuple):
    """The ragged layout's arrays, in the order the kernels take them (module docstring)."""

    start: np.ndarray
    successor: np.ndarray
    continue_prob: np.ndarray
    reward: np.ndarray
    overflow_start: np.ndarray
    overflow_successor: np.ndarray
    overflow_continue: np.ndarray


# -- the layout ----------------------------------------------------------------------------------
@plain_python
def continuing_counts(prob, terminated) -> np.ndarray:
    """(S, A) int64: the outcomes of each pair with a positive continuation probability."""
    counts = np.zeros(prob.shape[:2], dtype=np.int64)
    # Slot by slot: (S, A) temporaries, not (S, A, K) ones beside a large model.
    for k in range(prob.shape[2]):
        counts += (prob[:, :, k] > 0.0) & ~terminated[:, :, k]
    return counts


@plain_python
def build_ragged_model(
    next_state, prob, terminated, reward_blocks, overflow_lanes=OVERFLOW_LANES, counts=None
) -> RaggedModel:
    """The ragged layout of a model given by its (S, A, K) arrays and its block rewards
    ``reward_blocks`` (B, A, 8) (:func:`rlfoundations._kernels.layout.state_blocks` of the
    masked expected rewards). ``overflow_lanes`` in [0, 8]: see :data:`OVERFLOW_LANES`."""
    from rlfoundations._kernels.layout import state_blocks

    n_states, n_actions, n_outcomes = prob.shape
    if counts is None:
        counts = continuing_counts(prob, terminated)
    lane_counts = state_blocks(counts)  # (B, A, 8)
    n_blocks = lane_counts.shape[0]
    # Slots of a pair: its (overflow_lanes + 1)-th longest lane, at least one.
    ordered = np.sort(lane_counts, axis=-1)
    slots = np.maximum(ordered[..., LANES - 1 - min(overflow_lanes, LANES - 1)], 1)
    start = np.zeros(n_blocks * n_actions + 1, dtype=np.int64)
    np.cumsum(slots.reshape(-1), out=start[1:])
    extra = np.maximum(lane_counts - slots[..., None], 0)
    overflow_start = np.zeros(n_blocks * n_actions * LANES + 1, dtype=np.int64)
    np.cumsum(extra.reshape(-1), out=overflow_start[1:])

    n_slots = int(start[-1])
    # Padding entries point at their own state (a gather that stays near its lane).
    pair_of_slot = np.repeat(np.arange(n_blocks * n_actions), slots.reshape(-1))
    own = np.minimum((pair_of_slot // n_actions)[:, None] * LANES + np.arange(LANES), n_states - 1)
    successor = own.astype(np.int32).reshape(-1)
    continue_prob = np.zeros(n_slots * LANES)
    overflow_successor = np.empty(int(overflow_start[-1]), dtype=np.int32)
    overflow_continue = np.empty(int(overflow_start[-1]))

    pair = (np.arange(n_blocks)[:, None] * n_actions + np.arange(n_actions))[:, :, None]
    lane = np.arange(LANES)
    rank = np.zeros_like(lane_counts)
    for k in range(n_outcomes):
        weight = state_blocks(np.where(terminated[:, :, k], 0.0, prob[:, :, k]), np.float64)
        target = state_blocks(next_state[:, :, k], np.int32)
        b, a, n = np.nonzero(weight > 0.0)  # block, action, lane of each outcome
        r = rank[b, a, n]
        in_slots = r < slots[b, a]
        vb, va, vl = b[in_slots], a[in_slots], n[in_slots]
        flat = (start[pair[vb, va, 0]] + r[in_slots]) * LANES + lane[vl]
        successor[flat] = target[vb, va, vl]
        continue_prob[flat] = weight[vb, va, vl]
        ob, oa, ol = b[~in_slots], a[~in_slots], n[~in_slots]
        where = overflow_start[pair[ob, oa, 0] * LANES + ol] + r[~in_slots] - slots[ob, oa]
        overflow_successor[where] = target[ob, oa, ol]
        overflow_continue[where] = weight[ob, oa, ol]
        rank[b, a, n] += 1
    return RaggedModel(
        start,
        successor,
        continue_prob,
        np.ascontiguousarray(reward_blocks),
        overflow_start,
        overflow_successor,
        overflow_continue,
    )


# -- vector backups ------------------------------------------------------------------------------
@inline_kernel
def block_q(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    n_actions,
    gamma,
    values,
    block,
    a,
    row,
):
    """Q(s, a) of the eight states ``s`` of ``block`` (``gamma`` as lanes; ``row`` is eight
    float64 of scratch), summed in the block kernels' order."""
    pair = block * n_actions + a
    slot = start[pair] * LANES
    stop = start[pair + 1] * LANES
    total = lanes.mul(lanes.load(continue_prob, slot), lanes.gather(values, successor, slot))
    slot += LANES
    while slot < stop:
        total = lanes.add(
            total, lanes.mul(lanes.load(continue_prob, slot), lanes.gather(values, successor, slot))
        )
        slot += LANES
    first_lane = pair * LANES
    if overflow_start[first_lane + LANES] > overflow_start[first_lane]:
        lanes.store(row, 0, total)
        for lane in range(LANES):
            lane_total = row[lane]
            for j in range(
                overflow_start[first_lane + lane], overflow_start[first_lane + lane + 1]
            ):
                lane_total += overflow_continue[j] * values[overflow_successor[j]]
            row[lane] = lane_total
        total = lanes.load(row, 0)
    return lanes.add(lanes.load(reward, pair * LANES), lanes.mul(gamma, total))


@inline_kernel
def sweep_blocks(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    n_actions,
    gamma,
    values,
    new_values,
    first,
    stop,
    low,
    high,
    policy,
):
    """``new_values = T values`` on blocks ``[first, stop)``; returns ``low`` and ``high``
    updated with the lane-wise minimum and maximum of the change. ``policy``, None or an
    (S,) array, receives the lowest-index greedy actions (Numba prunes the branches on
    None: value iteration's sweeps never track actions)."""
    gamma_lanes = lanes.splat(gamma)
    row = np.empty(LANES)
    for block in range(first, stop):
        best = lanes.splat(-np.inf)
        action = lanes.splat(0.0)
        for a in range(n_actions):
            q = block_q(
                start,
                successor,
                continue_prob,
                reward,
                overflow_start,
                overflow_successor,
                overflow_continue,
                n_actions,
                gamma_lanes,
                values,
                block,
                a,
                row,
            )
            if policy is not None:
                action = lanes.where_greater(q, best, lanes.splat(a), action)
            best = lanes.where_greater(q, best, q, best)
        change = lanes.sub(best, lanes.load(values, block * LANES))
        low = lanes.where_greater(low, change, change, low)
        high = lanes.where_greater(change, high, change, high)
        lanes.store(new_values, block * LANES, best)
        if policy is not None:
            # Actions ride along as float64 lanes (exact for any action count).
            lanes.store(row, 0, action)
            for lane in range(min(LANES, policy.shape[0] - block * LANES)):
                policy[block * LANES + lane] = int(row[lane])
    return low, high


@parallel_kernel
def _sweep_chunks(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    values,
    new_values,
    lows,
    highs,
):
    n_blocks, n_actions, _ = reward.shape
    flat_reward = reward.reshape(-1)
    for chunk in prange(lows.shape[0] // LANES):
        first = chunk * CHUNK_BLOCKS
        low, high = sweep_blocks(
            start,
            successor,
            continue_prob,
            flat_reward,
            overflow_start,
            overflow_successor,
            overflow_continue,
            n_actions,
            gamma,
            values,
            new_values,
            first,
            min(first + CHUNK_BLOCKS, n_blocks),
            lanes.load(lows, chunk * LANES),
            lanes.load(highs, chunk * LANES),
            None,
        )
        lanes.store(lows, chunk * LANES, low)
        lanes.store(highs, chunk * LANES, high)


@kernel
def serial_sweep(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    anchored,
    values,
    new_values,
    policy,
):
    """:func:`rlfoundations._kernels.planning.serial_sweep` on the ragged layout; with a
    ``policy`` array (not None), :func:`rlfoundations._kernels.planning.greedy_sweep`."""
    n_blocks, n_actions, _ = reward.shape
    low, high = sweep_blocks(
        start,
        successor,
        continue_prob,
        reward.reshape(-1),
        overflow_start,
        overflow_successor,
        overflow_continue,
        n_actions,
        gamma,
        values,
        new_values,
        0,
        n_blocks,
        lanes.splat(0.0 if anchored else np.inf),
        lanes.splat(0.0 if anchored else -np.inf),
        policy,
    )
    return lanes.smallest(low), lanes.largest(high)


@kernel
def bellman_sweep(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    anchored,
    parallel,
    values,
    new_values,
):
    """:func:`rlfoundations._kernels.planning.bellman_sweep` on the ragged layout, with its
    ``parallel=None`` serial specialisation: the test must name None (``if not parallel``
    alone is not pruned, and would link the parallel sweep and start Numba's threads in
    every small solve)."""
    n_blocks = reward.shape[0]
    if parallel is None or not parallel:
        return serial_sweep(
            start,
            successor,
            continue_prob,
            reward,
            overflow_start,
            overflow_successor,
            overflow_continue,
            gamma,
            anchored,
            values,
            new_values,
            None,
        )
    n_chunks = (n_blocks + CHUNK_BLOCKS - 1) // CHUNK_BLOCKS
    lows = np.full(n_chunks * LANES, 0.0 if anchored else np.inf)
    highs = np.full(n_chunks * LANES, 0.0 if anchored else -np.inf)
    _sweep_chunks(
        start,
        successor,
        continue_prob,
        reward,
        overflow_start,
        overflow_successor,
        overflow_continue,
        gamma,
        values,
        new_values,
        lows,
        highs,
    )
    return lows.min(), highs.max()


# -- value iteration -----------------------------------------------------------------------------
@kernel
def value_iteration_blocks(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    threshold,
    use_span,
    anchored,
    parallel,
    progress,
    max_iter,
    current,
    following,
    values,
    residuals,
):
    """Synchronous (Jacobi) value iteration, rounds and shifts included:
    :func:`rlfoundations._kernels.planning.value_iteration_blocks` on the ragged layout
    (Gauss-Seidel sweeps read the block layout). Returns (sweeps done, converged, whether
    the values are now in ``following``)."""
    swapped = False
    for iteration in range(max_iter):
        free_low, free_high = bellman_sweep(
            start,
            successor,
            continue_prob,
            reward,
            overflow_start,
            overflow_successor,
            overflow_continue,
            gamma,
            False,
            parallel,
            current,
            following,
        )
        current, following = following, current
        swapped = not swapped
        low, high, residual, statistic = sweep_statistics(free_low, free_high, anchored, use_span)
        residuals[iteration] = residual
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True, swapped
        if progress[SHIFTING] != 0.0:
            jacobi_round(
                progress, statistic, gamma, free_low, free_high, current, following, values
            )
    store_values(current, values, 0.0)
    return max_iter, False, swapped


# -- greedy policies -----------------------------------------------------------------------------
@kernel
def greedy(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    values,
    q_values,
    policy,
):
    """:func:`rlfoundations._kernels.planning.greedy` on the ragged layout."""
    n_blocks, n_actions, _ = reward.shape
    n_states = q_values.shape[0]
    flat_reward = reward.reshape(-1)
    flat_q_values = q_values.reshape(-1)
    gamma_lanes = lanes.splat(gamma)
    row = np.empty(LANES)
    scratch = np.empty(LANES)
    for block in range(n_blocks):
        first = block * LANES
        n_lanes = min(LANES, n_states - first)
        best = lanes.splat(-np.inf)
        action = lanes.splat(0.0)
        for a in range(n_actions):
            q = block_q(
                start,
                successor,
                continue_prob,
                flat_reward,
                overflow_start,
                overflow_successor,
                overflow_continue,
                n_actions,
                gamma_lanes,
                values,
                block,
                a,
                scratch,
            )
            action = lanes.where_greater(q, best, lanes.splat(a), action)
            best = lanes.where_greater(q, best, q, best)
            lanes.store(row, 0, q)
            for lane in range(n_lanes):
                flat_q_values[(first + lane) * n_actions + a] = row[lane]
        # Actions ride along as float64 lanes (exact for any action count).
        lanes.store(row, 0, action)
        for lane in range(n_lanes):
            policy[first + lane] = int(row[lane])


@kernel
def greedy_certified(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    values,
    q_values,
    policy,
    anchored,
    rounding,
    reward_scale,
    lower,
    upper,
):
    """:func:`rlfoundations._kernels.planning.greedy_certified` on the ragged layout."""
    greedy(
        start,
        successor,
        continue_prob,
        reward,
        overflow_start,
        overflow_successor,
        overflow_continue,
        gamma,
        values,
        q_values,
        policy,
    )
    suboptimality = certificates(
        values, q_values, policy, gamma, anchored, 0, rounding, reward_scale, lower, upper
    )
    finite = True
    for s in range(values.shape[0]):
        if not np.isfinite(values[s]):
            finite = False
    return suboptimality, finite


# -- a policy's chain ----------------------------------------------------------------------------
@kernel
def policy_chain(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    policy,
):
    """The chain of ``policy`` in the ragged layout with one action: the arrays of a
    :class:`RaggedModel` whose lane ``s % 8`` holds the outcomes of ``(s, policy[s])`` in
    their order, the slots of a block laid out as :func:`build_ragged_model` lays out a
    pair's (the lanes of a block may choose different actions). A fixed-policy sweep is
    then :func:`serial_sweep` of the chain, which reads only the chosen actions' outcomes:
    the block chain's terms less its terms ``0 * V``, so the same values to the bit (module
    docstring)."""
    n_blocks, n_actions, _ = reward.shape
    n_states = policy.shape[0]
    # Each lane's pair, and its outcomes: the positive entries of its slots (they come
    # first) and its overflow.
    lane_pair = np.empty(n_blocks * LANES, dtype=np.int64)
    lane_count = np.empty(n_blocks * LANES, dtype=np.int64)
    for block in range(n_blocks):
        for lane in range(LANES):
            pair = block * n_actions + policy[min(block * LANES + lane, n_states - 1)]
            count = 0
            for slot in range(start[pair], start[pair + 1]):
                if continue_prob[slot * LANES + lane] == 0.0:
                    break
                count += 1
            first_lane = pair * LANES + lane
            count += overflow_start[first_lane + 1] - overflow_start[first_lane]
            lane_pair[block * LANES + lane] = pair
            lane_count[block * LANES + lane] = count
    chain_start = np.zeros(n_blocks + 1, dtype=np.int64)
    chain_overflow_start = np.zeros(n_blocks * LANES + 1, dtype=np.int64)
    ordered = np.empty(LANES, dtype=np.int64)
    for block in range(n_blocks):
        # Insertion sort of eight counts (ndarray.sort costs a call and more per block).
        for lane in range(LANES):
            count = lane_count[block * LANES + lane]
            rank = lane
            while rank > 0 and ordered[rank - 1] > count:
                ordered[rank] = ordered[rank - 1]
                rank -= 1
            ordered[rank] = count
        slots = max(ordered[LANES - 1 - min(OVERFLOW_LANES, LANES - 1)], 1)
        chain_start[block + 1] = chain_start[block] + slots
        for lane in range(LANES):
            extra = max(lane_count[block * LANES + lane] - slots, 0)
            n = block * LANES + lane
            chain_overflow_start[n + 1] = chain_overflow_start[n] + extra
    n_slots = chain_start[n_blocks]
    chain_successor = np.empty(n_slots * LANES, dtype=np.int32)
    chain_continue = np.zeros(n_slots * LANES)
    chain_overflow_successor = np.empty(chain_overflow_start[-1], dtype=np.int32)
    chain_overflow_continue = np.empty(chain_overflow_start[-1])
    chain_reward = np.empty((n_blocks, 1, LANES))
    for block in range(n_blocks):
        slots = chain_start[block + 1] - chain_start[block]
        for lane in range(LANES):
            n = block * LANES + lane
            pair = lane_pair[n]
            chain_reward[block, 0, lane] = reward[pair // n_actions, pair % n_actions, lane]
            # Padding entries point at their own state, as in build_ragged_model.
            for slot in range(chain_start[block], chain_start[block + 1]):
                chain_successor[slot * LANES + lane] = min(n, n_states - 1)
            # The lane's outcomes in order: its slots' first ``in_slots``, then its overflow.
            # (One loop, no helper taking the arrays: Numba would incref and decref them
            # around every call, which cost 5x the rest of the build.)
            first_lane = pair * LANES + lane
            in_slots = lane_count[n] - (overflow_start[first_lane + 1] - overflow_start[first_lane])
            first_entry = chain_start[block] * LANES + lane
            for rank in range(lane_count[n]):
                if rank < in_slots:
                    entry = (start[pair] + rank) * LANES + lane
                    target = successor[entry]
                    weight = continue_prob[entry]
                else:
                    target = overflow_successor[overflow_start[first_lane] + rank - in_slots]
                    weight = overflow_continue[overflow_start[first_lane] + rank - in_slots]
                if rank < slots:
                    chain_successor[first_entry + rank * LANES] = target
                    chain_continue[first_entry + rank * LANES] = weight
                else:
                    chain_overflow_successor[chain_overflow_start[n] + rank - slots] = target
                    chain_overflow_continue[chain_overflow_start[n] + rank - slots] = weight
    # A plain tuple: Numba star-unpacks tuples, not named ones, into a call.
    return (
        chain_start,
        chain_successor,
        chain_continue,
        chain_reward,
        chain_overflow_start,
        chain_overflow_successor,
        chain_overflow_continue,
    )


# -- policy evaluation ---------------------------------------------------------------------------
@kernel
def evaluate_chain_bounded(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    threshold,
    use_span,
    anchored,
    max_iter,
    values,
    residuals,
):
    """:func:`rlfoundations._kernels.planning.evaluate_chain_bounded` on a ragged chain
    (:func:`policy_chain`), writing the sup-norm change of each sweep to ``residuals``: with
    neither ``use_span`` nor ``anchored`` it is
    :func:`rlfoundations._kernels.planning.evaluate_chain_iterative` too."""
    current = padded(values, reward.shape[0])
    following = np.empty_like(current)
    for iteration in range(max_iter):
        low, high = serial_sweep(
            start,
            successor,
            continue_prob,
            reward,
            overflow_start,
            overflow_successor,
            overflow_continue,
            gamma,
            anchored,
            current,
            following,
            None,
        )
        current, following = following, current
        residuals[iteration] = max(high, -low)
        statistic = high - low if use_span else residuals[iteration]
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True
    store_values(current, values, 0.0)
    return max_iter, False


@kernel
def evaluate_policy_iterative(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    policy,
    threshold,
    max_iter,
    values,
    residuals,
):
    """:func:`rlfoundations._kernels.planning.evaluate_policy_iterative` on the ragged
    layout."""
    return evaluate_chain_bounded(
        *policy_chain(
            start,
            successor,
            continue_prob,
            reward,
            overflow_start,
            overflow_successor,
            overflow_continue,
            policy,
        ),
        gamma,
        threshold,
        False,
        False,
        max_iter,
        values,
        residuals,
    )


# -- policy iteration ----------------------------------------------------------------------------
@kernel
def improve_policy_gap(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    values,
    tie_tolerance,
    q_values,
    policy,
):
    """:func:`rlfoundations._kernels.planning.improve_policy_gap` on the ragged layout."""
    best_actions = np.empty_like(policy)
    greedy(
        start,
        successor,
        continue_prob,
        reward,
        overflow_start,
        overflow_successor,
        overflow_continue,
        gamma,
        values,
        q_values,
        best_actions,
    )
    return switch_policy(q_values, best_actions, tie_tolerance, policy)


@kernel
def policy_iteration(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    prob,
    terminated,
    full_successor,
    gamma,
    exact_final,
    threshold,
    use_span,
    anchored,
    gap_scale,
    tie_tolerance,
    max_iter,
    max_eval_iter,
    policy,
    values,
    q_values,
    residuals,
    state,
):
    """:func:`rlfoundations._kernels.planning.policy_iteration` on the ragged layout: its
    iterative evaluations sweep the policy's ragged chain (:func:`policy_chain`); its exact
    ones solve the block chain built from the model's own (S, A, K) arrays
    (:func:`rlfoundations._kernels.planning.public_policy_model`, one action: the exact
    solve reads each outcome once anyway)."""
    model = (
        start,
        successor,
        continue_prob,
        reward,
        overflow_start,
        overflow_successor,
        overflow_continue,
    )
    previous = values.copy()
    sweep_changes = np.empty(max_eval_iter)
    for iteration in range(max_iter):
        if gamma == 1.0:
            if non_terminating_states(full_successor, prob, terminated, policy).any():
                return iteration, False, False
        exact = state[1] != 0.0
        tolerance = max(threshold, state[0])
        if exact:
            chain = public_policy_model(full_successor, prob, terminated, reward, policy)
            if not evaluate_chain(*chain, gamma, values):
                return iteration, False, False
            state[2] = 1.0
        else:
            _, evaluated = evaluate_chain_bounded(
                *policy_chain(*model, policy),
                gamma,
                tolerance,
                use_span,
                anchored,
                max_eval_iter,
                values,
                sweep_changes,
            )
            state[2] = 1.0 if evaluated else 0.0
        residuals[iteration] = record_change(values, previous)
        changed, gap = improve_policy_gap(*model, gamma, values, tie_tolerance, q_values, policy)
        if policy_iteration_stops(
            changed, gap, exact, exact_final, tolerance, threshold, gap_scale, state
        ):
            return iteration + 1, True, True
    return max_iter, False, True


@kernel
def modified_policy_iteration(
    start,
    successor,
    continue_prob,
    reward,
    overflow_start,
    overflow_successor,
    overflow_continue,
    gamma,
    threshold,
    use_span,
    anchored,
    n_evaluations,
    max_iter,
    values,
    residuals,
):
    """:func:`rlfoundations._kernels.planning.modified_policy_iteration` on the ragged
    layout: the partial evaluations sweep the greedy policy's ragged chain."""
    model = (
        start,
        successor,
        continue_prob,
        reward,
        overflow_start,
        overflow_successor,
        overflow_continue,
    )
    n_states = values.shape[0]
    current = padded(values, reward.shape[0])
    following = np.empty_like(current)
    policy = np.zeros(n_states, dtype=np.int64)
    # The greedy policy's chain, rebuilt when the policy changes.
    chain = policy_chain(*model, policy)
    chain_policy = policy.copy()
    for iteration in range(max_iter):
        low, high = serial_sweep(*model, gamma, anchored, current, following, policy)
        current, following = following, current
        residuals[iteration] = max(high, -low)
        statistic = high - low if use_span else max(high, -low)
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True
        if n_evaluations > 0:
            if policy_changed(policy, chain_policy):
                chain = policy_chain(*model, policy)
            for _ in range(n_evaluations):
                serial_sweep(*chain, gamma, False, current, following, None)
                current, following = following, current
    store_values(current, values, 0.0)
    return max_iter, False
