"""The model compiler: an exact TabularMDP from a simulator's rules, or from a copyable env."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable

import numpy as np

from rlfoundations._validate import check_int
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import PROB_TOLERANCE, TabularMDP

__all__ = ["from_simulator"]


def _initial_states(initial) -> list[tuple[Hashable, float]]:
    """``initial`` as (state, probability) pairs: one state, a list of states (uniform), or a
    mapping state -> probability."""
    if isinstance(initial, dict):
        pairs = [(state, float(p)) for state, p in initial.items()]
    elif isinstance(initial, list):
        if not initial:
            raise InvalidValueError("initial must name at least one state")
        pairs = [(state, 1.0 / len(initial)) for state in initial]
    else:
        pairs = [(initial, 1.0)]
    for state, p in pairs:
        try:
            hash(state)
        except TypeError:
            raise InvalidTypeError(f"initial state {state!r} is not hashable") from None
        if not (math.isfinite(p) and p >= 0):
            raise InvalidValueError(f"initial probability of {state!r} is {p}")
    total = sum(p for _, p in pairs)
    if abs(total - 1.0) > PROB_TOLERANCE:
        raise InvalidValueError(f"initial probabilities sum to {total!r}, not 1")
    return pairs


def from_simulator(
    transitions: Callable[[Hashable, int], Iterable[tuple[float, Hashable, float, bool]]],
    initial,
    n_actions: int,
    *,
    max_states: int | None = None,
    name: str | None = None,
) -> TabularMDP:
    """Compile a simulator's rules into the exact model of the states it can reach.

    Breadth-first search from the initial states calls ``transitions(state, action)`` once
    for every reachable state and every action, and numbers the states in the order found.

    Parameters
    ----------
    transitions : callable
        ``transitions(state, action)`` returns the outcomes of ``action`` in ``state``: an
        iterable of ``(probability, next_state, reward, terminated)``. States are any
        hashable values (ints, tuples, frozen dataclasses). Outcomes repeated with the same
        (next_state, reward, terminated) are merged; zero-probability ones dropped. A
        terminated outcome's next state is recorded but not explored further from it unless
        reached otherwise.
    initial : hashable, list, or dict
        The initial state, a list of them (uniform), or a mapping state -> probability.
    n_actions : int
        Actions ``0 .. n_actions - 1`` are tried in every state.
    max_states : int, optional
        Stop with an error once more states than this are found (a simulator whose state
        space is infinite, say, a counter that grows without bound).
    name : str, optional
        Shown in ``repr``.

    Returns
    -------
    TabularMDP
        With ``states``: ``mdp.states[i]`` is the simulator state of index ``i``
        (``mdp.states.index(state)`` goes back).

    Raises
    ------
    ValueError
        The outcomes of a (state, action) are empty, negative, or do not sum to 1 (within
        ``PROB_TOLERANCE``), a reward is not finite, or more than ``max_states`` states are
        reachable. The message names the state and the action.

    Notes
    -----
    Time goes to the Python calls: one ``transitions`` call per (state, action), one dict
    look-up per outcome. The arrays are filled once, at the end. See
    ``benchmarks/bench_models.py``.

    Examples
    --------
    The gambler's problem (Sutton & Barto, example 4.3) with a goal of 4: stake 1 or 2
    (action ``a`` stakes ``a + 1``, capped by what is needed); heads with probability 0.4.

    >>> import rlfoundations as rlf
    >>> def flip(capital, action):
    ...     stake = min(action + 1, capital, 4 - capital)
    ...     win, lose = capital + stake, capital - stake
    ...     return [(0.4, win, float(win == 4), win == 4), (0.6, lose, 0.0, lose == 0)]
    >>> mdp = rlf.from_simulator(flip, initial=2, n_actions=2)
    >>> mdp.states
    (2, 3, 1, 4, 0)
    >>> float(rlf.value_iteration(mdp, gamma=1.0, epsilon=1e-12).values[0].round(6))
    0.4
    """
    n_actions = check_int("n_actions", n_actions)
    if max_states is not None:
        max_states = check_int("max_states", max_states)
    if not callable(transitions):
        raise InvalidTypeError(
            f"transitions must be callable as transitions(state, action), got "
            f"{type(transitions).__name__}"
        )
    starts = _initial_states(initial)
    index: dict = {}
    states: list = []

    def number(state) -> int:
        found = index.get(state)
        if found is None:
            try:
                found = index[state] = len(states)
            except TypeError:
                raise InvalidTypeError(f"state {state!r} is not hashable") from None
            states.append(state)
            if max_states is not None and len(states) > max_states:
                raise InvalidValueError(
                    f"more than max_states = {max_states} states are reachable (the last "
                    f"found: {state!r}); raise max_states, or check that the simulator's "
                    f"state space is finite"
                )
        return found

    # States to expand, in the order found: the initial states and those a continuing
    # outcome reaches. A state reached only by terminating outcomes is never asked about.
    queue: list[int] = []
    queued: set[int] = set()
    for state, _ in starts:
        found = number(state)
        if found not in queued:
            queued.add(found)
            queue.append(found)
    # Per expanded state, per action: its merged outcomes as (next, reward, done) -> prob.
    expanded: dict[int, list[dict]] = {}
    cursor = 0
    while cursor < len(queue):
        state = states[queue[cursor]]
        row = []
        for action in range(n_actions):
            merged: dict = {}
            for outcome in transitions(state, action):
                try:
                    p, next_state, reward, terminated = outcome
                except (TypeError, ValueError):
                    raise InvalidValueError(
                        f"transitions({state!r}, {action}) must give (probability, "
                        f"next_state, reward, terminated) outcomes, got {outcome!r}"
                    ) from None
                if p == 0:
                    continue
                target = number(next_state)
                if not terminated and target not in queued:
                    queued.add(target)
                    queue.append(target)
                key = (target, float(reward), bool(terminated))
                merged[key] = merged.get(key, 0.0) + float(p)
            if not merged:
                raise InvalidValueError(
                    f"transitions({state!r}, {action}) has no outcome with positive probability"
                )
            values = list(merged.values())
            total = math.fsum(values)
            if abs(total - 1.0) > PROB_TOLERANCE or min(values) < -PROB_TOLERANCE:
                raise InvalidValueError(
                    f"the outcome probabilities of transitions({state!r}, {action}) sum to "
                    f"{total!r} (or one is negative): they must be >= 0 and sum to 1"
                )
            row.append(merged)
        expanded[queue[cursor]] = row
        cursor += 1
    targets: list[list[int]] = []
    probs: list[list[float]] = []
    rewards: list[list[float]] = []
    dones: list[list[bool]] = []
    for s in range(len(states)):
        # A state only ever entered as the episode ends: absorbing, never acted in.
        row = expanded.get(s) or [{(s, 0.0, True): 1.0}] * n_actions
        for merged in row:
            keys = list(merged)
            targets.append([key[0] for key in keys])
            rewards.append([key[1] for key in keys])
            dones.append([key[2] for key in keys])
            probs.append(list(merged.values()))
    n_states = len(states)
    counts = np.fromiter(map(len, targets), dtype=np.int64, count=len(targets))
    width = int(counts.max())
    flat = np.arange(counts.size).repeat(counts)
    slot = np.arange(flat.size) - np.repeat(np.cumsum(counts) - counts, counts)
    shape = (n_states * n_actions, width)
    next_state = np.zeros(shape, dtype=np.int64)
    prob = np.zeros(shape)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=bool)
    next_state[flat, slot] = np.fromiter(_chain(targets), dtype=np.int64, count=flat.size)
    prob[flat, slot] = np.fromiter(_chain(probs), dtype=np.float64, count=flat.size)
    reward[flat, slot] = np.fromiter(_chain(rewards), dtype=np.float64, count=flat.size)
    terminated[flat, slot] = np.fromiter(_chain(dones), dtype=bool, count=flat.size)
    if not np.isfinite(reward).all():
        row = int(np.argmax(~np.isfinite(reward).all(axis=1)))
        raise InvalidValueError(
            f"transitions({states[row // n_actions]!r}, {row % n_actions}) gives a reward "
            f"that is not finite"
        )
    start = np.zeros(n_states)
    for state, p in starts:
        start[index[state]] += p
    full = (n_states, n_actions, width)
    return TabularMDP(
        next_state=next_state.reshape(full),
        prob=prob.reshape(full),
        reward=reward.reshape(full),
        terminated=terminated.reshape(full),
        initial=start,
        name=name or getattr(transitions, "__name__", None),
        states=tuple(states),
    )


def _chain(lists):
    for items in lists:
        yield from items
