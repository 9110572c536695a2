"""Numba kernels of the exact solvers.

Every kernel reads the model in its kernel form, states in blocks of eight (``LANES``):
``successor`` (B, A, K, 8) int32 next states, ``continue_prob`` (B, A, K, 8) the probability
of each outcome that does not end the episode, and ``reward`` (B, A, 8) the expected reward,
state ``s`` being lane ``s % 8`` of block ``s // 8`` (built by :mod:`.layout`). A
backup is then

    Q(s, a) = R(s, a) + gamma * sum_k continue_prob[s, a, k] * V[successor[s, a, k]]

summed outcome by outcome in slot order, exactly as the reference twins do. (The sum starts
from its first term, not from 0.0: that can only change the sign of a zero sum, and
``R + gamma * (-0.0) == R + gamma * 0.0`` because ``R`` is never -0.0.) Sweeps back up the
eight states of a block at once with the vector operations of :mod:`.lanes`, each lane doing
the scalar arithmetic, so results do not depend on the layout or on the thread count. Ties
between actions go to the lowest index (a strict ``>`` comparison). The chain of a policy has
the same layout with one action. Inputs are trusted: the Python layer validated them.

A first solve compiles every kernel it calls (seconds each), so the kernels avoid what
compiles much for nothing: an array assigned to a slice (Numba compiles its shape-mismatch
message, string formatting and all) is a loop; an array is allocated by ``np.empty`` and
filled (``np.zeros``, ``np.full`` each compile overloads of their own, per dtype and rank);
a helper of one or two kernels is inlined rather than compiled, optimised and linked
apart (each kernel a caller links is optimised and compiled to machine code again in it).
"""

from __future__ import annotations

import numpy as np

from rlfoundations._kernels import lanes
from rlfoundations._kernels._jit import inline_kernel, kernel, parallel_kernel, prange
from rlfoundations._kernels.lanes import LANES

#: Blocks per work item of a parallel sweep: 4 096 states, enough that handing out work
#: items costs nothing, few enough that the threads share a sweep evenly.
CHUNK_BLOCKS = 512


# -- vector backups ------------------------------------------------------------------------------
@inline_kernel
def block_q(successor, continue_prob, reward, n_actions, n_outcomes, gamma, values, block, a):
    """Q(s, a) of the eight states ``s`` of ``block`` (flat model arrays, ``gamma`` as lanes)."""
    slot = (block * n_actions + a) * n_outcomes * LANES
    total = lanes.mul(lanes.load(continue_prob, slot), lanes.gather(values, successor, slot))
    for _ in range(1, n_outcomes):
        slot += LANES
        total = lanes.add(
            total, lanes.mul(lanes.load(continue_prob, slot), lanes.gather(values, successor, slot))
        )
    return lanes.add(lanes.load(reward, (block * n_actions + a) * LANES), lanes.mul(gamma, total))


@inline_kernel
def block_value(successor, continue_prob, reward, n_actions, n_outcomes, gamma, values, block):
    """max_a Q(s, a) of the eight states of ``block``."""
    # One loop over all actions from -inf (every finite Q beats it) compiles to tighter code
    # than peeling action 0 off the loop.
    best = lanes.splat(-np.inf)
    for a in range(n_actions):
        q = block_q(
            successor, continue_prob, reward, n_actions, n_outcomes, gamma, values, block, a
        )
        best = lanes.where_greater(q, best, q, best)
    return best


@inline_kernel
def sweep_blocks(
    successor,
    continue_prob,
    reward,
    n_actions,
    n_outcomes,
    gamma,
    values,
    new_values,
    first,
    stop,
    low,
    high,
):
    """``new_values = T values`` on blocks ``[first, stop)``; returns ``low`` and ``high``
    updated with the lane-wise minimum and maximum of the change."""
    gamma_lanes = lanes.splat(gamma)
    for block in range(first, stop):
        value = block_value(
            successor, continue_prob, reward, n_actions, n_outcomes, gamma_lanes, values, block
        )
        change = lanes.sub(value, lanes.load(values, block * LANES))
        low = lanes.where_greater(low, change, change, low)
        high = lanes.where_greater(change, high, change, high)
        lanes.store(new_values, block * LANES, value)
    return low, high


@parallel_kernel
def _sweep_chunks(
    successor, continue_prob, reward, n_actions, n_outcomes, gamma, values, new_values, lows, highs
):
    n_blocks = new_values.shape[0] // LANES
    for chunk in prange(lows.shape[0] // LANES):
        first = chunk * CHUNK_BLOCKS
        low, high = sweep_blocks(
            successor,
            continue_prob,
            reward,
            n_actions,
            n_outcomes,
            gamma,
            values,
            new_values,
            first,
            min(first + CHUNK_BLOCKS, n_blocks),
            lanes.load(lows, chunk * LANES),
            lanes.load(highs, chunk * LANES),
        )
        lanes.store(lows, chunk * LANES, low)
        lanes.store(highs, chunk * LANES, high)


@kernel
def serial_sweep(successor, continue_prob, reward, gamma, anchored, values, new_values):
    """One synchronous (Jacobi) Bellman optimality sweep, ``new_values = T values``, on value
    buffers padded to whole blocks; returns (min, max) of the change ``new_values - values``.

    With ``anchored`` (a model whose episodes can end), the change of the implicit absorbing
    end state, 0, counts too: the span rule is then Puterman's on the completed chain.
    """
    n_blocks, n_actions, n_outcomes, _ = successor.shape
    low, high = sweep_blocks(
        successor.reshape(-1),
        continue_prob.reshape(-1),
        reward.reshape(-1),
        n_actions,
        n_outcomes,
        gamma,
        values,
        new_values,
        0,
        n_blocks,
        lanes.splat(0.0 if anchored else np.inf),
        lanes.splat(0.0 if anchored else -np.inf),
    )
    return lanes.smallest(low), lanes.largest(high)


@kernel
def bellman_sweep(successor, continue_prob, reward, gamma, anchored, parallel, values, new_values):
    """:func:`serial_sweep`, on all Numba threads if ``parallel``. The minimum and maximum
    are exact, so the result is the same whatever the thread count.

    Only value iteration sweeps in parallel: every kernel that calls this one links (and
    LLVM re-optimises) the parallel code, which costs seconds of cold compile each. So
    ``parallel`` may be None, not only a bool: Numba prunes a branch on ``argument is None``
    while it types the function, so the None specialisation (every caller's, and value
    iteration's on a model too small for threads) never compiles, links or loads the
    parallel sweep, nor starts Numba's threading layer.
    """
    if parallel is None or not parallel:
        return serial_sweep(successor, continue_prob, reward, gamma, anchored, values, new_values)
    n_blocks, n_actions, n_outcomes, _ = successor.shape
    n_chunks = (n_blocks + CHUNK_BLOCKS - 1) // CHUNK_BLOCKS
    lows = np.full(n_chunks * LANES, 0.0 if anchored else np.inf)
    highs = np.full(n_chunks * LANES, 0.0 if anchored else -np.inf)
    _sweep_chunks(
        successor.reshape(-1),
        continue_prob.reshape(-1),
        reward.reshape(-1),
        n_actions,
        n_outcomes,
        gamma,
        values,
        new_values,
        lows,
        highs,
    )
    return lows.min(), highs.max()


@inline_kernel
def padded(values, n_blocks):
    """A copy of ``values`` padded to ``n_blocks`` whole blocks with copies of its last entry
    (as the model's padding lanes copy the last state)."""
    # Loops, not slice assignments: an array assigned to a slice compiles Numba's error
    # message for mismatched shapes (string formatting: seconds of a cold first solve).
    n_states = values.shape[0]
    buffer = np.empty(n_blocks * LANES)
    for s in range(n_states):
        buffer[s] = values[s]
    for s in range(n_states, buffer.shape[0]):
        buffer[s] = values[n_states - 1]
    return buffer


# -- in-place sweeps ------------------------------------------------------------------------------
@kernel
def gauss_seidel_step(successor, continue_prob, reward, gamma, values):
    """One block Gauss-Seidel sweep, in place, of a padded value buffer; returns max |change|.

    Block by block in state order: the eight states of a block back up together from the
    values as they are before the block (so they see each other's old values), and every
    later block sees their new ones. The backups are the synchronous sweep's vector backups,
    so a sweep costs what a serial Jacobi sweep does (a scalar in-place sweep cost 1.4x);
    padding lanes stay copies of the last state (they compute what it does, from the same
    values).
    """
    # One buffer read and written: a block's gathers all come before its store. max |change|
    # is read from the extremes of the change, max(high, -low), whatever their signs (a
    # buffer holds at least one block). Not anchored, as the synchronous sweeps call it: the
    # same specialisation, so a Gauss-Seidel run compiles (and caches) serial_sweep once, not
    # once for each constant.
    low, high = serial_sweep(successor, continue_prob, reward, gamma, False, values, values)
    # 0.0 - low, not -low: a sweep that changes nothing has residual 0.0, not -0.0. The outer
    # max with 0.0: where every change is NaN (values overflowed, gamma 1), the extremes keep
    # their starting infinities, and the residual is 0.0 as the anchored sweep gave (and the
    # twin gives), not -inf.
    return max(max(high, 0.0 - low), 0.0)


# -- value iteration -----------------------------------------------------------------------------
#: Gauss-Seidel value iteration checks its values with one synchronous sweep after at most this
#: many in-place sweeps (and whenever an in-place sweep changes no value by the threshold).
GAUSS_SEIDEL_CHECK_EVERY = 12
#: In-place sweeps of the probe round of a model whose episodes never end (``STAGE``).
GAUSS_SEIDEL_PROBE = 4
#: Where episodes end, the shifts start at the first check whose mean change (over the
#: states) is at least this fraction of the midpoint of its extremes: a shift pays where most
#: states change by about the same (an error close to a constant), not where a few do.
GAUSS_SEIDEL_MEAN_CHANGE = 0.7
#: Entries of the ``progress`` array that value iteration carries from one kernel call to the
#: next: whether the next sweep is a synchronous check, in-place sweeps since the last check
#: (a synchronous run's: sweeps in its round), whether the shifts go on, the last check's
#: statistic, the stage of a Gauss-Seidel run whose episodes never end, and its synchronous
#: sweeps' measured contraction (or, after the first sweep, its statistic; a synchronous
#: run's: the mean change of its round's next-to-last sweep); where episodes end, the
#: statistic the next check (a synchronous run's: the next round) must beat for the shifts to
#: go on (Gauss-Seidel: the first shift's check's times ``gamma ** (2 * sweeps since)``;
#: synchronous: :func:`jacobi_round`; infinite until a shift); after them (``SAVED``, a run
#: that may shift), the values as they were before the last shift, which a check or round
#: that does no better restores.
CHECK, SINCE_CHECK, SHIFTING, LAST_STATISTIC, STAGE, RATE, TARGET, SAVED = range(8)
#: Stages of a Gauss-Seidel run whose episodes never end: its first two sweeps are
#: synchronous (their statistics' ratio is the synchronous contraction), then a probe round of
#: ``GAUSS_SEIDEL_PROBE`` in-place sweeps, then full rounds; a round whose check finds that
#: as many synchronous sweeps would have contracted the statistic at least as much ends the
#: in-place sweeps: synchronous sweeps for the rest of the run.
FIRST_SWEEP, SECOND_SWEEP, PROBING, IN_PLACE, SYNCHRONOUS = 0.0, 1.0, 2.0, 3.0, 4.0


@kernel
def value_iteration_progress(n_saved):
    """The ``progress`` array of a value iteration that has not started, with room for
    ``n_saved`` saved values (the padded state count of a run that may shift its values;
    0 for a Jacobi run that does not, whose shifts are then off)."""
    progress = np.zeros(SAVED + n_saved)
    progress[SHIFTING] = 1.0 if n_saved > 0 else 0.0
    progress[LAST_STATISTIC] = np.inf
    progress[TARGET] = np.inf
    return progress


@inline_kernel
def power(base, exponent):
    """``base ** exponent`` for a whole ``exponent >= 1``, by repeated multiplication (the
    same bits in the reference twin, whatever the platform's ``pow``)."""
    result = base
    for _ in range(int(exponent) - 1):
        result = result * base
    return result


@kernel
def value_iteration_blocks(
    successor,
    continue_prob,
    reward,
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
    """Synchronous (Jacobi) value iteration on padded value buffers for at most ``max_iter``
    sweeps.

    ``current`` holds the values in, ``following`` is scratch; each sweep writes the other
    buffer. Stops after the first sweep whose change has span (``use_span``; the end state's
    change 0 counted where ``anchored``) or sup norm below ``threshold``. Returns (sweeps
    done, converged, whether the values are now in ``following``), and writes them (the real
    states) to ``values`` too, moved to the middle of MacQueen's bounds after a span stop
    where episodes never end. Writes the sup-norm change of every sweep to ``residuals``.
    Where ``progress`` (:func:`value_iteration_progress`) has its shifts on, every
    ``JACOBI_SHIFT_EVERY`` sweeps that fail the rule end a round judged by
    :func:`jacobi_round`; ``progress`` carries the rounds from one call to the next.

    A kernel of its own, not :func:`gauss_seidel_blocks` with a flag: a Jacobi run then never
    compiles, links or loads the in-place sweeps.
    """
    swapped = False
    for iteration in range(max_iter):
        free_low, free_high = bellman_sweep(
            successor, continue_prob, reward, gamma, False, parallel, current, following
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


#: Value iteration's synchronous sweeps where episodes end (``gamma < 1``) come in rounds of
#: this many, each judged at its end (:func:`jacobi_round`).
JACOBI_SHIFT_EVERY = GAUSS_SEIDEL_CHECK_EVERY


@inline_kernel
def jacobi_round(progress, statistic, gamma, free_low, free_high, current, following, values):
    """After a synchronous sweep of a value iteration whose episodes end that failed the
    rule (``current`` its values, ``following`` those before it, its change ranging over
    [``free_low``, ``free_high``], the end state not counted): count it, and at the end of a
    round of ``JACOBI_SHIFT_EVERY`` sweeps, judge the round.

    - A round after a shift must end below the statistic of the shift's round times
      ``rate ** JACOBI_SHIFT_EVERY`` (``TARGET``): what plain sweeps would reach at the rate
      measured then. One that does not restores the values the shift moved (kept in
      ``progress``) and ends the shifts: a shift that does not pay costs its round.
    - A round whose change is close to a constant (its mean at least
      ``GAUSS_SEIDEL_MEAN_CHANGE`` of the nonzero midpoint of its extremes; a front still
      crossing a maze changes a few states, not the rest) moves the values by
      ``rate / (1 - rate) * midpoint``, ``rate`` the ratio of the mean changes of the round's
      last two sweeps, if it is positive (at most ``gamma``): where an error ``e`` shrinks by
      ``rate`` a sweep, the change is ``(rate - 1) e`` and that shift removes what is left
      (MacQueen's midpoint shift where ``rate`` is ``gamma``). Where episodes end rarely,
      the error of synchronous sweeps is close to a constant that shrinks by about
      ``gamma`` a sweep (GARNET 10^5 states, 1 % ending outcomes, gamma 0.99: 127 sweeps
      against 2 273). No shift that could overflow the values.

    A heuristic on the iterates, not part of the guarantee, which every sweep's rule still
    gives; decided from the values alone (the same on every run, at every thread count, and
    in the twin). ``RATE`` holds the mean change of the round's next-to-last sweep.
    """
    progress[SINCE_CHECK] += 1.0
    if progress[SINCE_CHECK] < JACOBI_SHIFT_EVERY - 1:
        return
    n_states = values.shape[0]
    total = 0.0
    largest = 0.0
    for s in range(n_states):
        total += current[s] - following[s]
        largest = max(largest, abs(current[s]))
    mean = total / n_states
    if progress[SINCE_CHECK] < JACOBI_SHIFT_EVERY:
        progress[RATE] = mean
        return
    progress[SINCE_CHECK] = 0.0
    if progress[TARGET] != np.inf:
        if not statistic < progress[TARGET]:
            progress[SHIFTING] = 0.0
            restore_saved(progress, current)
            return
        progress[TARGET] = np.inf
    middle = 0.5 * (free_low + free_high)
    if middle == 0.0 or not GAUSS_SEIDEL_MEAN_CHANGE <= mean / middle or progress[RATE] == 0.0:
        return
    rate = min(mean / progress[RATE], gamma)
    shift = rate / (1.0 - rate) * middle
    if 0.0 < rate and largest + abs(shift) < np.inf:
        save_and_shift(progress, current, shift)
        progress[TARGET] = statistic * power(rate, JACOBI_SHIFT_EVERY)


@inline_kernel
def restore_saved(progress, current):
    """``current`` back to the values saved before the last shift (``SAVED``)."""
    for s in range(current.shape[0]):
        current[s] = progress[SAVED + s]


@inline_kernel
def save_and_shift(progress, current, shift):
    """Save ``current`` in ``progress`` (``SAVED``), then add ``shift`` to every value."""
    for s in range(current.shape[0]):
        progress[SAVED + s] = current[s]
        current[s] = current[s] + shift


@kernel
def gauss_seidel_blocks(
    successor,
    continue_prob,
    reward,
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
    """Gauss-Seidel value iteration on padded value buffers for at most ``max_iter`` sweeps,
    with the buffers, return values and stopping rule of :func:`value_iteration_blocks`.

    In-place sweeps, and a synchronous sweep that must pass the rule (the guarantee is proved
    for synchronous sweeps) after ``GAUSS_SEIDEL_CHECK_EVERY`` in-place sweeps or once one
    changes no value by ``threshold``. With ``use_span``, a check that fails moves the values
    by MacQueen's midpoint shift ``gamma / (1 - gamma) * mean(min, max)`` of its change (the
    end state not counted): in-place sweeps leave an error close to a constant, which no sweep
    removes fast and the shift does. A heuristic, not part of the guarantee: the first check
    whose statistic is no smaller than the previous check's restores the values the last shift
    moved (kept in ``progress``) and ends the shifts for the run. Where episodes end, the shifts
    start at the first check whose change is close to a constant and end, the values kept, at
    a check that falls behind a rate (:func:`episodic_shift_pays`). Where episodes never end
    (``use_span``, not ``anchored``), the span rule ignores a constant error that in-place
    sweeps cannot (a state whose successors were all backed up before it shows no change at a
    check), and they may contract the statistic more slowly than synchronous sweeps do; so the
    run measures both (``STAGE``) and keeps synchronous sweeps from the first round of in-place
    sweeps (a short probe, then full ones) that did no better, a decision taken from the values
    alone (the same on every run and in the twin).
    ``progress`` (:func:`value_iteration_progress`) carries the state from one call to the
    next. Writes the sup-norm change of every sweep to ``residuals``.
    """
    swapped = False
    # Where episodes never end, the run measures whether in-place sweeps pay (``STAGE``).
    probing = use_span and not anchored
    for iteration in range(max_iter):
        stage = progress[STAGE]
        synchronous = progress[CHECK] != 0.0
        if probing and (stage == FIRST_SWEEP or stage == SECOND_SWEEP or stage == SYNCHRONOUS):
            synchronous = True
        if not synchronous:
            residual = gauss_seidel_step(successor, continue_prob, reward, gamma, current)
            residuals[iteration] = residual
            progress[SINCE_CHECK] += 1.0
            every = GAUSS_SEIDEL_PROBE if probing and stage == PROBING else GAUSS_SEIDEL_CHECK_EVERY
            if residual < threshold or (use_span and progress[SINCE_CHECK] >= every):
                progress[CHECK] = 1.0
            continue
        free_low, free_high = bellman_sweep(
            successor, continue_prob, reward, gamma, False, parallel, current, following
        )
        current, following = following, current
        swapped = not swapped
        low, high, residual, statistic = sweep_statistics(free_low, free_high, anchored, use_span)
        residuals[iteration] = residual
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True, swapped
        if probing:
            if stage == FIRST_SWEEP:
                progress[RATE] = statistic
                progress[STAGE] = SECOND_SWEEP
                continue
            if stage == SECOND_SWEEP:
                progress[RATE] = statistic / progress[RATE]
                progress[STAGE] = PROBING
            elif stage == PROBING or stage == IN_PLACE:
                # The round's in-place sweeps and this check, against as many synchronous
                # sweeps at their measured contraction: every round must beat them.
                sweeps = progress[SINCE_CHECK] + 1.0
                if power(progress[RATE], sweeps) <= statistic / progress[LAST_STATISTIC]:
                    progress[STAGE] = SYNCHRONOUS
                    continue
                progress[STAGE] = IN_PLACE
            elif stage == SYNCHRONOUS:
                continue
        round_sweeps = progress[SINCE_CHECK] + 1.0
        progress[CHECK] = 0.0
        progress[SINCE_CHECK] = 0.0
        if use_span and progress[SHIFTING] != 0.0:
            # Where episodes end, the checks before the first shift have none to judge.
            waiting = anchored and progress[TARGET] == np.inf
            if not waiting and not statistic < progress[LAST_STATISTIC]:
                # The last shift did not pay: the values it moved are restored, and the
                # shifts end. (Taking the shift back by subtraction leaves the sweeps since
                # then moved by it: on CliffWalking at gamma 0.999, 442 sweeps against 29.)
                progress[SHIFTING] = 0.0
                restore_saved(progress, current)
                continue  # the restored values' statistic stays the last one
            middle = 0.5 * (free_low + free_high)
            if not anchored or episodic_shift_pays(
                progress, statistic, gamma, round_sweeps, middle, current, following, values
            ):
                save_and_shift(progress, current, gamma / (1.0 - gamma) * middle)
        progress[LAST_STATISTIC] = statistic
    store_values(current, values, 0.0)
    return max_iter, False, swapped


@inline_kernel
def episodic_shift_pays(
    progress, statistic, gamma, round_sweeps, middle, current, following, values
):
    """Whether a failed check of a Gauss-Seidel run whose episodes end (``current`` the
    check's values, ``following`` the values before it, ``statistic`` below the last check's
    if a shift came before) moves the values by MacQueen's shift of ``middle``, the midpoint
    of its change; may end the shifts (``SHIFTING``). A heuristic, from the values alone.

    The shifts start at the first check whose mean change over the states is at least
    ``GAUSS_SEIDEL_MEAN_CHANGE`` of a nonzero ``middle`` (same sign): a constant error, which the
    shift removes, changes most states by about the same, while a front still moving through
    a maze changes a few states and not the rest (CliffWalking's first check: 17 % of the
    midpoint), and a shift then only moves every other value off. Every check after a shift
    must beat the statistic of the first shift's check times ``gamma ** (2 * sweeps since)``,
    or the shifts end, the values kept: in-place sweeps alone contract at least as fast as
    synchronous ones, which contract by ``gamma`` a sweep at worst, and shifted rounds that
    fall behind twice that rate are overshooting (FrozenLake 4x4 at gamma 0.99: each shift
    moves the values about twice too far and every round contracts the statistic by about
    ``gamma ** 13``: 871 sweeps against Jacobi's 438).
    """
    if progress[TARGET] == np.inf:
        n_states = values.shape[0]
        total = 0.0
        for s in range(n_states):
            total += current[s] - following[s]
        mean = total / n_states
        if middle != 0.0 and GAUSS_SEIDEL_MEAN_CHANGE <= mean / middle:
            progress[TARGET] = statistic
            return True
        return False
    progress[TARGET] = progress[TARGET] * power(gamma, 2.0 * round_sweeps)
    if statistic < progress[TARGET]:
        return True
    progress[SHIFTING] = 0.0
    return False


@inline_kernel
def sweep_statistics(free_low, free_high, anchored, use_span):
    """(low, high, residual, statistic) of a synchronous sweep whose change ranged over
    [``free_low``, ``free_high``]: the range with an end state's change 0 counted where
    ``anchored``, its sup norm (the residual), and what the stopping rule compares with the
    threshold (the span, or the sup norm)."""
    low = min(free_low, 0.0) if anchored else free_low
    high = max(free_high, 0.0) if anchored else free_high
    residual = max(high, -low)
    return low, high, residual, high - low if use_span else residual


@inline_kernel
def macqueen_shift(use_span, anchored, gamma, low, high):
    """What to add to the values after a span stop in a model whose episodes never end.

    MacQueen's bounds (Puterman, Theorem 6.6.3): after V' = T V,
    V' + gamma / (1 - gamma) * min(V' - V) <= V* <= V' + gamma / (1 - gamma) * max(V' - V).
    The span rule makes the gap small but not the values right: they can sit a constant away
    from V*. The middle of the bounds is within half the gap of V*. (Where episodes end, the
    end state's change 0 is in min and max, so V' is already close: no shift.)
    """
    if use_span and not anchored:
        return gamma / (1.0 - gamma) * (0.5 * (low + high))
    return 0.0


@inline_kernel
def store_values(current, values, shift):
    """``values[s] = current[s] + shift`` for the real states (not the block padding); no
    addition at all for a zero shift, which would turn -0.0 into 0.0."""
    for s in range(values.shape[0]):
        values[s] = current[s] if shift == 0.0 else current[s] + shift


# -- greedy policies -----------------------------------------------------------------------------
@kernel
def greedy(successor, continue_prob, reward, gamma, values, q_values, policy):
    """Fill ``q_values`` and the lowest-index greedy ``policy`` from ``values``, eight states
    at a time."""
    n_blocks, n_actions, n_outcomes, _ = successor.shape
    n_states = q_values.shape[0]
    flat_successor = successor.reshape(-1)
    flat_continue = continue_prob.reshape(-1)
    flat_reward = reward.reshape(-1)
    flat_q_values = q_values.reshape(-1)
    gamma_lanes = lanes.splat(gamma)
    row = np.empty(LANES)
    for block in range(n_blocks):
        first = block * LANES
        n_lanes = min(LANES, n_states - first)
        best = lanes.splat(-np.inf)
        action = lanes.splat(0.0)
        for a in range(n_actions):
            q = block_q(
                flat_successor,
                flat_continue,
                flat_reward,
                n_actions,
                n_outcomes,
                gamma_lanes,
                values,
                block,
                a,
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
def improve_policy(
    successor, continue_prob, reward, gamma, values, tie_tolerance, q_values, policy
):
    """Greedy improvement in place: a state switches to its lowest-index best action only if
    that beats the current action by more than ``tie_tolerance * (1 + |best|)``, so that
    policy iteration never cycles between tied policies. Returns how many states switched."""
    best_actions = np.empty_like(policy)
    greedy(successor, continue_prob, reward, gamma, values, q_values, best_actions)
    changed = 0
    for s in range(q_values.shape[0]):
        best = best_actions[s]
        best_value = q_values[s, best]
        if best_value - q_values[s, policy[s]] > tie_tolerance * (1.0 + abs(best_value)):
            policy[s] = best
            changed += 1
    return changed


@kernel
def greedy_sweep(successor, continue_prob, reward, gamma, anchored, values, new_values, policy):
    """``new_values = T values`` on padded buffers, with the lowest-index greedy ``policy``;
    returns (min, max) of the change as :func:`bellman_sweep` does."""
    n_blocks, n_actions, n_outcomes, _ = successor.shape
    n_states = policy.shape[0]
    flat_successor = successor.reshape(-1)
    flat_continue = continue_prob.reshape(-1)
    flat_reward = reward.reshape(-1)
    gamma_lanes = lanes.splat(gamma)
    low = lanes.splat(0.0 if anchored else np.inf)
    high = lanes.splat(0.0 if anchored else -np.inf)
    # Actions ride along as float64 lanes (exact for any action count).
    actions = np.empty(LANES)
    for block in range(n_blocks):
        best = lanes.splat(-np.inf)
        action = lanes.splat(0.0)
        for a in range(n_actions):
            q = block_q(
                flat_successor,
                flat_continue,
                flat_reward,
                n_actions,
                n_outcomes,
                gamma_lanes,
                values,
                block,
                a,
            )
            action = lanes.where_greater(q, best, lanes.splat(a), action)
            best = lanes.where_greater(q, best, q, best)
        change = lanes.sub(best, lanes.load(values, block * LANES))
        low = lanes.where_greater(low, change, change, low)
        high = lanes.where_greater(change, high, change, high)
        lanes.store(new_values, block * LANES, best)
        lanes.store(actions, 0, action)
        first = block * LANES
        for lane in range(min(LANES, n_states - first)):
            policy[first + lane] = int(actions[lane])
    return lanes.smallest(low), lanes.largest(high)


# -- policy evaluation ---------------------------------------------------------------------------
@kernel
def policy_model(successor, continue_prob, reward, policy):
    """The chain of ``policy`` in the block layout with one action: (B, 1, K, 8) next states
    and continuation probabilities, (B, 1, 8) rewards; padding lanes copy the last state."""
    n_blocks, _, n_outcomes, _ = successor.shape
    chain_successor = np.empty((n_blocks, 1, n_outcomes, LANES), dtype=successor.dtype)
    chain_continue = np.empty((n_blocks, 1, n_outcomes, LANES))
    chain_reward = np.empty((n_blocks, 1, LANES))
    fill_policy_model(
        successor, continue_prob, reward, policy, chain_successor, chain_continue, chain_reward
    )
    return chain_successor, chain_continue, chain_reward


@inline_kernel
def fill_policy_model(
    successor, continue_prob, reward, policy, chain_successor, chain_continue, chain_reward
):
    """:func:`policy_model` into arrays the caller allocated once (a loop over policies)."""
    n_blocks, _, n_outcomes, _ = successor.shape
    n_states = policy.shape[0]
    for block in range(n_blocks):
        for lane in range(LANES):
            s = min(block * LANES + lane, n_states - 1)
            a = policy[s]
            for k in range(n_outcomes):
                chain_successor[block, 0, k, lane] = successor[s // LANES, a, k, s % LANES]
                chain_continue[block, 0, k, lane] = continue_prob[s // LANES, a, k, s % LANES]
            chain_reward[block, 0, lane] = reward[s // LANES, a, s % LANES]


@kernel
def public_policy_model(next_state, prob, terminated, reward, policy):
    """:func:`policy_model` from the model's own (S, A, K) arrays and the layout's rewards
    ``reward`` (B, A, 8): the same chain, bit for bit, for a caller that holds no block
    layout (the ragged solvers' exact evaluations)."""
    n_states, _, n_outcomes = prob.shape
    n_blocks = reward.shape[0]
    chain_successor = np.empty((n_blocks, 1, n_outcomes, LANES), dtype=np.int32)
    chain_continue = np.empty((n_blocks, 1, n_outcomes, LANES))
    chain_reward = np.empty((n_blocks, 1, LANES))
    for block in range(n_blocks):
        for lane in range(LANES):
            s = min(block * LANES + lane, n_states - 1)
            a = policy[s]
            for k in range(n_outcomes):
                chain_successor[block, 0, k, lane] = next_state[s, a, k]
                chain_continue[block, 0, k, lane] = 0.0 if terminated[s, a, k] else prob[s, a, k]
            chain_reward[block, 0, lane] = reward[block, a, lane]
    return chain_successor, chain_continue, chain_reward


@kernel
def evaluate_chain_iterative(
    chain_successor,
    chain_continue,
    chain_reward,
    gamma,
    threshold,
    max_iter,
    values,
    residuals,
):
    """Iterate ``V <- T_pi V`` on a chain from ``values`` (in place) until the sup-norm change
    is below ``threshold``. Returns (sweeps done, converged)."""
    current = padded(values, chain_successor.shape[0])
    following = np.empty_like(current)
    for iteration in range(max_iter):
        low, high = serial_sweep(
            chain_successor, chain_continue, chain_reward, gamma, False, current, following
        )
        current, following = following, current
        residuals[iteration] = max(high, -low)
        if residuals[iteration] < threshold:
            store_values(current, values, 0.0)
            return iteration + 1, True
    store_values(current, values, 0.0)
    return max_iter, False


@kernel
def evaluate_policy_iterative(
    successor,
    continue_prob,
    reward,
    gamma,
    policy,
    threshold,
    max_iter,
    values,
    residuals,
):
    """Iterate ``V <- T_pi V`` from ``values`` (in place) until the sup-norm change is below
    ``threshold``. Returns (sweeps done, converged)."""
    return evaluate_chain_iterative(
        *policy_model(successor, continue_prob, reward, policy),
        gamma,
        threshold,
        max_iter,
        values,
        residuals,
    )


# -- exact evaluation, component by component --------------------------------------------------
@inline_kernel
def chain_components(chain_successor, chain_continue, n_states):
    """Strongly connected components of the continuing transitions of a chain's first
    ``n_states`` states (Tarjan's algorithm, with an explicit stack instead of recursion).

    Returns (order, start, component): the states grouped by component, component ``c``
    being ``order[start[c]:start[c + 1]]``; components come in reverse topological order
    (every component after all the components it can reach), and ``component[s]`` is the
    component of ``s``.
    """
    n_outcomes = chain_successor.shape[2]
    index = np.empty(n_states, dtype=np.int64)
    index[:] = -1
    low = np.empty(n_states, dtype=np.int64)
    on_stack = np.empty(n_states, dtype=np.bool_)
    on_stack[:] = False
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
                if chain_continue[v // LANES, 0, k, v % LANES] > 0.0:
                    w = chain_successor[v // LANES, 0, k, v % LANES]
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


@inline_kernel
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
    n_states = values.shape[0]
    n_outcomes = chain_successor.shape[2]
    order, start, component = chain_components(chain_successor, chain_continue, n_states)
    position = np.empty(n_states, dtype=np.int64)
    for c in range(start.shape[0] - 1):
        first = start[c]
        size = start[c + 1] - first
        if size == 1:
            s = order[first]
            total = 0.0
            stay = 0.0
            block, lane = s // LANES, s % LANES
            for k in range(n_outcomes):
                p = chain_continue[block, 0, k, lane]
                if p > 0.0:
                    t = chain_successor[block, 0, k, lane]
                    if t == s:
                        stay += p
                    else:
                        total += p * values[t]
            scale = 1.0 - gamma * stay
            if scale < 1e-12:
                return False
            values[s] = (chain_reward[block, 0, lane] + gamma * total) / scale
            continue
        for i in range(size):
            position[order[first + i]] = i
        matrix = np.empty((size, size))
        matrix[:, :] = 0.0
        rhs = np.empty(size)
        for i in range(size):
            s = order[first + i]
            matrix[i, i] += 1.0
            block, lane = s // LANES, s % LANES
            total = 0.0
            for k in range(n_outcomes):
                p = chain_continue[block, 0, k, lane]
                if p > 0.0:
                    t = chain_successor[block, 0, k, lane]
                    if component[t] == c:
                        matrix[i, position[t]] -= gamma * p
                    else:
                        total += p * values[t]
            rhs[i] = chain_reward[block, 0, lane] + gamma * total
        solution = np.empty(size)
        if not solve_dense(matrix, rhs, solution):
            return False
        for i in range(size):
            values[order[first + i]] = solution[i]
    return True


# -- policy iteration ----------------------------------------------------------------------------
@kernel
def evaluate_chain_bounded(
    chain_successor,
    chain_continue,
    chain_reward,
    gamma,
    threshold,
    use_span,
    anchored,
    max_iter,
    values,
):
    """Iterate ``V <- T_pi V`` on a chain from ``values`` (in place) until the change has
    span (``use_span``) or sup norm below ``threshold``; after a span stop the values move to
    the middle of MacQueen's bounds on ``V^pi`` (see :func:`macqueen_shift`), so they are
    within ``gamma / (1 - gamma) * threshold / 2`` of it. Returns (sweeps done, converged)."""
    current = padded(values, chain_successor.shape[0])
    following = np.empty_like(current)
    for iteration in range(max_iter):
        low, high = serial_sweep(
            chain_successor, chain_continue, chain_reward, gamma, anchored, current, following
        )
        current, following = following, current
        statistic = high - low if use_span else max(high, -low)
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True
    store_values(current, values, 0.0)
    return max_iter, False


@kernel
def improve_policy_gap(
    successor, continue_prob, reward, gamma, values, tie_tolerance, q_values, policy
):
    """:func:`improve_policy`, also returning the improvement gap ``max_s (max_a Q(s, a) -
    Q(s, policy[s]))`` of the policy before the switch: (states switched, gap)."""
    best_actions = np.empty_like(policy)
    greedy(successor, continue_prob, reward, gamma, values, q_values, best_actions)
    return switch_policy(q_values, best_actions, tie_tolerance, policy)


@inline_kernel
def switch_policy(q_values, best_actions, tie_tolerance, policy):
    """The switches of :func:`improve_policy_gap` given the Q-values and lowest-index greedy
    actions of either layout: (states switched, gap)."""
    changed = 0
    gap = 0.0
    for s in range(q_values.shape[0]):
        best = best_actions[s]
        best_value = q_values[s, best]
        advantage = best_value - q_values[s, policy[s]]
        gap = max(gap, advantage)
        if advantage > tie_tolerance * (1.0 + abs(best_value)):
            policy[s] = best
            changed += 1
    return changed, gap


@inline_kernel
def record_change(values, previous):
    """max |values - previous| (policy iteration's residual), then ``previous = values``."""
    change = 0.0
    for s in range(values.shape[0]):
        change = max(change, abs(values[s] - previous[s]))
        previous[s] = values[s]
    return change


@inline_kernel
def policy_iteration_stops(
    changed, gap, exact, exact_final, tolerance, threshold, gap_scale, state
):
    """Policy iteration's decision after an improvement step that switched ``changed``
    states and saw ``gap`` (see :func:`policy_iteration`, which carries ``state``): whether
    the run stops, converged; otherwise ``state`` says how to evaluate the next policy."""
    if changed > 0:
        state[0] = min(tolerance, gap_scale * gap)
        return False
    if exact:
        return True
    if exact_final:
        state[1] = 1.0
        return False
    if tolerance <= threshold:
        return True
    state[0] = threshold
    return False


@kernel
def policy_iteration(
    successor,
    continue_prob,
    reward,
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
    """Howard's policy iteration from ``policy`` (updated in place).

    ``state`` = [evaluation tolerance, exact, last evaluation met its tolerance], carried in
    and out so that a run split into several calls is one run. While ``exact`` is 0, each
    policy is evaluated iteratively from the previous policy's values, to a tolerance (a
    bound on the change's span, or its sup norm if not ``use_span``) that follows the
    improvement step's needs: after a step whose gap (:func:`improve_policy_gap`) was ``g``,
    the next policy is evaluated to ``max(threshold, min(tolerance, gap_scale * g))``. When
    no state switches: with ``exact_final``, evaluation turns exact (component by component)
    for the rest of the run, which stops at the first exactly evaluated policy no state
    leaves; without it, the same policy is evaluated again to ``threshold`` if the
    evaluation was looser, and the run stops at the first policy evaluated to ``threshold``
    that no state leaves. ``exact`` set from the start is Howard's exact algorithm.
    With gamma = 1 each policy is checked to end the episode from every state (on the
    (S, A, K) arrays ``full_successor``, ``prob``, ``terminated``) before it is evaluated.
    Returns (improvement steps, converged, proper): ``proper`` is False when the current
    policy does not terminate from some state (its values are then meaningless).
    """
    previous = values.copy()
    chain_successor, chain_continue, chain_reward = policy_model(
        successor, continue_prob, reward, policy
    )
    for iteration in range(max_iter):
        if gamma == 1.0:
            if non_terminating_states(full_successor, prob, terminated, policy).any():
                return iteration, False, False
        exact = state[1] != 0.0
        tolerance = max(threshold, state[0])
        fill_policy_model(
            successor, continue_prob, reward, policy, chain_successor, chain_continue, chain_reward
        )
        if exact:
            if not evaluate_chain(chain_successor, chain_continue, chain_reward, gamma, values):
                return iteration, False, False
            state[2] = 1.0
        else:
            _, evaluated = evaluate_chain_bounded(
                chain_successor,
                chain_continue,
                chain_reward,
                gamma,
                tolerance,
                use_span,
                anchored,
                max_eval_iter,
                values,
            )
            state[2] = 1.0 if evaluated else 0.0
        residuals[iteration] = record_change(values, previous)
        changed, gap = improve_policy_gap(
            successor, continue_prob, reward, gamma, values, tie_tolerance, q_values, policy
        )
        if policy_iteration_stops(
            changed, gap, exact, exact_final, tolerance, threshold, gap_scale, state
        ):
            return iteration + 1, True, True
    return max_iter, False, True


@inline_kernel
def policy_changed(policy, previous):
    """Whether ``policy`` differs from ``previous``; copies it into ``previous`` if so."""
    for s in range(policy.shape[0]):
        if policy[s] != previous[s]:
            for t in range(policy.shape[0]):
                previous[t] = policy[t]
            return True
    return False


@kernel
def modified_policy_iteration(
    successor,
    continue_prob,
    reward,
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
    n_states = values.shape[0]
    current = padded(values, successor.shape[0])
    following = np.empty_like(current)
    policy = np.zeros(n_states, dtype=np.int64)
    # The greedy policy's chain (allocated once: 36 MB at 10^6), refilled when it changes.
    chain_successor, chain_continue, chain_reward = policy_model(
        successor, continue_prob, reward, policy
    )
    chain_policy = policy.copy()
    for iteration in range(max_iter):
        low, high = greedy_sweep(
            successor, continue_prob, reward, gamma, anchored, current, following, policy
        )
        current, following = following, current
        residuals[iteration] = max(high, -low)
        statistic = high - low if use_span else max(high, -low)
        if statistic < threshold:
            store_values(current, values, macqueen_shift(use_span, anchored, gamma, low, high))
            return iteration + 1, True
        if n_evaluations > 0:
            if policy_changed(policy, chain_policy):
                fill_policy_model(
                    successor,
                    continue_prob,
                    reward,
                    policy,
                    chain_successor,
                    chain_continue,
                    chain_reward,
                )
            for _ in range(n_evaluations):
                serial_sweep(
                    chain_successor,
                    chain_continue,
                    chain_reward,
                    gamma,
                    False,
                    current,
                    following,
                )
                current, following = following, current
    store_values(current, values, 0.0)
    return max_iter, False


# -- termination with gamma = 1 ------------------------------------------------------------------
@kernel
def non_terminating_states(successor, prob, terminated, policy):
    """States from which ``policy`` fails to end the episode with probability 1.

    A state terminates surely iff every state it can reach can still reach a terminating
    transition. So: mark the states that can reach termination (backwards from terminating
    outcomes), then every state that can reach an unmarked state is non-terminating.
    """
    n_states = successor.shape[0]
    n_outcomes = successor.shape[2]
    can_end = np.empty(n_states, dtype=np.bool_)
    can_end[:] = False
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
def proper_policy(successor, prob, terminated, allowed):
    """A policy that ends the episode surely from every state that allows it.

    Round by round, a state is given the lowest allowed action that has a positive-probability
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
        for s in range(n_states):
            previous[s] = handled[s]
        for s in range(n_states):
            if handled[s]:
                continue
            for a in range(n_actions):
                if not allowed[s, a]:
                    continue
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


@kernel
def prefer_termination(successor, prob, terminated, q_values, tolerance, policy, stuck):
    """Switch the states ``policy`` never ends the episode from (``stuck``) to near-greedy
    actions that end it, in place.

    A backward breadth-first search from termination over near-greedy actions (``Q(s, a) >=
    max_a Q(s, .) - tolerance * (1 + |max|)``): round by round, a stuck state takes its
    lowest near-greedy action with a positive-probability outcome that terminates or reaches
    a state that ends surely (not stuck, or switched in an earlier round). If every state
    ends up switched or not stuck, every state has a positive-probability path to the end
    under the policy, so the policy is proper. Masked actions (Q = -inf) never qualify.
    """
    n_states, n_actions, n_outcomes = successor.shape
    handled = ~stuck
    previous = handled.copy()
    changed = True
    while changed:
        changed = False
        for s in range(n_states):
            previous[s] = handled[s]
        for s in range(n_states):
            if handled[s]:
                continue
            best = q_values[s, 0]
            for a in range(1, n_actions):
                best = max(best, q_values[s, a])
            floor = best - tolerance * (1.0 + abs(best))
            for a in range(n_actions):
                if not q_values[s, a] >= floor:
                    continue
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


# -- certificates --------------------------------------------------------------------------------
@inline_kernel
def certificates(
    values, q_values, policy, gamma, anchored, evaluated, rounding, reward_scale, lower, upper
):
    """MacQueen's bounds (Puterman, Theorem 6.6.3) from ``values`` and their ``q_values``,
    into ``lower`` and ``upper``; returns the suboptimality bound of ``policy``.

    With ``c = gamma / (1 - gamma)`` (gamma < 1) and ``B`` a backup of ``values`` (``max_a Q``
    for a solver, ``evaluated = 0``; ``Q(., policy)`` for an iterative evaluation, 2):
    ``B + c min(B - v) <= V <= B + c max(B - v)``, the change 0 of the end state counted when
    ``anchored``, each bound widened by ``rounding`` times the size of what was summed
    (the bound, ``reward_scale`` = the largest ``|reward|`` of an outcome, and ``gamma`` times
    the largest ``|value|``: a sum can cancel to 0 from large terms). An exact evaluation (1)
    has ``lower = upper = values``. The suboptimality is ``max_s (U*(s) - L_pi(s))``, with
    ``U*`` the upper bound on V* and ``L_pi`` the lower bound on V^pi (from ``Q(., policy)``).
    """
    n_states, n_actions = q_values.shape
    scale = gamma / (1.0 - gamma)
    best = np.empty(n_states)
    own = np.empty(n_states)
    for s in range(n_states):
        top = q_values[s, 0]
        for a in range(1, n_actions):
            top = max(top, q_values[s, a])
        best[s] = top
        own[s] = q_values[s, policy[s]]
    low = 0.0 if anchored else np.inf
    high = 0.0 if anchored else -np.inf
    own_low = 0.0 if anchored else np.inf
    own_high = 0.0 if anchored else -np.inf
    for s in range(n_states):
        change = best[s] - values[s]
        low = min(low, change)
        high = max(high, change)
        change = own[s] - values[s]
        own_low = min(own_low, change)
        own_high = max(own_high, change)
    largest = 0.0
    for s in range(n_states):
        largest = max(largest, abs(values[s]))
    terms = reward_scale + gamma * largest
    spread = scale * (abs(low) + abs(high)) + terms
    own_spread = scale * (abs(own_low) + abs(own_high)) + terms
    suboptimality = -np.inf
    for s in range(n_states):
        margin = rounding * (abs(best[s]) + spread)
        optimal_upper = best[s] + scale * high + margin
        own_margin = rounding * (abs(own[s]) + own_spread)
        policy_lower = own[s] + scale * own_low - own_margin
        if evaluated == 0:
            lower[s] = best[s] + scale * low - margin
            upper[s] = optimal_upper
        elif evaluated == 1:
            lower[s] = values[s]
            upper[s] = values[s]
            policy_lower = values[s]
        else:
            lower[s] = policy_lower
            upper[s] = own[s] + scale * own_high + own_margin
        suboptimality = max(suboptimality, optimal_upper - policy_lower)
    return suboptimality


@kernel
def greedy_certified(
    successor,
    continue_prob,
    reward,
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
    """:func:`greedy` then :func:`certificates` (of a solver, gamma < 1) in one call: the
    small models' solves pay one kernel dispatch for both. Returns (suboptimality, whether
    every value is finite)."""
    greedy(successor, continue_prob, reward, gamma, values, q_values, policy)
    suboptimality = certificates(
        values, q_values, policy, gamma, anchored, 0, rounding, reward_scale, lower, upper
    )
    finite = True
    for s in range(values.shape[0]):
        if not np.isfinite(values[s]):
            finite = False
    return suboptimality, finite
