"""The model compiler: an exact TabularMDP from a simulator's rules, or from a copyable env."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from rlfoundations._validate import PROB_TOLERANCE, check_bool, check_count, check_mdp, off_one
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP

__all__ = ["StateIndex", "compile_env", "from_simulator", "state_key_of"]


def _initial_states(initial) -> list[tuple[Hashable, float]]:
    """``initial`` as (state, probability) pairs.

    One state, a list of states (uniform), or a mapping state -> probability.
    """
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
    if off_one(total):
        raise InvalidValueError(f"initial probabilities sum to {total!r}, not 1")
    return pairs


def from_simulator(
    transitions: Callable[[Hashable, int], Iterable[tuple[float, Hashable, float, bool]]],
    initial: Hashable | Sequence[Hashable] | Mapping[Hashable, float],
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
    n_actions = check_count("n_actions", n_actions)
    if max_states is not None:
        max_states = check_count("max_states", max_states)
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
    # The merged outcomes of every expanded (state, action), flat, in expansion order.
    rows: list[int] = []  # state * n_actions + action
    widths: list[int] = []
    outcome_keys: list[tuple[int, float, bool]] = []
    outcome_probs: list[float] = []
    next_state: Any
    reward: Any
    terminated: Any
    cursor = 0
    while cursor < len(queue):
        current = queue[cursor]
        state = states[current]
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
                target = index.get(next_state)
                if target is None:
                    target = number(next_state)
                if not terminated and target not in queued:
                    queued.add(target)
                    queue.append(target)
                key = (target, reward, bool(terminated))
                merged[key] = merged.get(key, 0.0) + p
            if not merged:
                raise InvalidValueError(
                    f"transitions({state!r}, {action}) has no outcome with positive probability"
                )
            rows.append(current * n_actions + action)
            widths.append(len(merged))
            outcome_keys.extend(merged)
            outcome_probs.extend(merged.values())
        cursor += 1
    n_states = len(states)
    width_of = np.array(widths, dtype=np.int64)
    row_of = np.repeat(np.array(rows, dtype=np.int64), width_of)
    try:
        keys = np.array(outcome_keys, dtype=np.float64).reshape(-1, 3)
        flat_prob = np.array(outcome_probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError("probabilities and rewards must be numbers") from None
    starts_of = np.cumsum(width_of) - width_of
    totals = np.add.reduceat(flat_prob, starts_of)
    bad = off_one(totals) | (np.minimum.reduceat(flat_prob, starts_of) < -PROB_TOLERANCE)
    if bad.any():
        first = int(np.argmax(bad))
        state, action = divmod(rows[first], n_actions)
        raise InvalidValueError(
            f"the outcome probabilities of transitions({states[state]!r}, {action}) sum to "
            f"{float(totals[first])!r} (or one is negative): they must be >= 0 and sum to 1"
        )
    if not np.isfinite(keys[:, 1]).all():
        state, action = divmod(int(row_of[np.argmax(~np.isfinite(keys[:, 1]))]), n_actions)
        raise InvalidValueError(
            f"transitions({states[state]!r}, {action}) gives a reward that is not finite"
        )
    width = int(width_of.max())
    slot = np.arange(row_of.size) - np.repeat(starts_of, width_of)
    shape = (n_states * n_actions, width)
    # A state only ever entered as the episode ends: absorbing, never acted in.
    next_state = np.repeat(np.arange(n_states, dtype=np.int64), n_actions)[:, None].repeat(
        width, axis=1
    )
    prob = np.zeros(shape)
    prob[:, 0] = 1.0
    reward = np.zeros(shape)
    terminated = np.ones(shape, dtype=bool)
    expanded = np.array(rows, dtype=np.int64)
    prob[expanded, 0] = 0.0
    terminated[expanded] = False
    next_state[expanded] = 0
    next_state[row_of, slot] = keys[:, 0].astype(np.int64)
    reward[row_of, slot] = keys[:, 1]
    terminated[row_of, slot] = keys[:, 2] != 0
    prob[row_of, slot] = flat_prob
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


# -- compiling a live env ------------------------------------------------------------------------
def _minigrid_key(env):
    base = env.unwrapped
    carrying = getattr(base, "carrying", None)
    return base.hash(), None if carrying is None else tuple(carrying.encode())


def default_state_key(env: gym.Env) -> Callable | None:
    """The state key of the envs whose full state is known, else None.

    MiniGrid's ``hash()`` (grid, position, direction) with what the agent carries.
    """
    base = env.unwrapped
    if callable(getattr(base, "hash", None)) and hasattr(base, "agent_pos"):
        return _minigrid_key
    return None


def _time_limit_of(env) -> int | None:
    limits = []
    inner = env
    while isinstance(inner, gym.Wrapper):
        if isinstance(inner, gym.wrappers.TimeLimit):
            limits.append(int(inner._max_episode_steps))
        inner = inner.env
    steps = getattr(inner, "max_steps", None)  # MiniGrid truncates by itself
    if isinstance(steps, int) and steps > 0:
        limits.append(steps)
    return min(limits) if limits else None


def _elapsed_steps(env) -> int:
    """Steps since the env's last reset: its ``TimeLimit``'s count, or MiniGrid's own."""
    inner = env
    while isinstance(inner, gym.Wrapper):
        if isinstance(inner, gym.wrappers.TimeLimit):
            return int(inner._elapsed_steps or 0)
        inner = inner.env
    steps = getattr(inner, "step_count", None)
    if not isinstance(steps, int):
        raise InvalidValueError(
            f"time_in_state=True cannot read the steps since reset of "
            f"{type(inner).__name__} (no TimeLimit, no step_count): wrap the env in "
            f"gymnasium.wrappers.TimeLimit(env, max_episode_steps=...)"
        )
    return steps


def state_key_of(
    env: gym.Env,
    state_key: Callable[[gym.Env], Hashable] | None = None,
    *,
    time_in_state: bool = False,
) -> Callable:
    """The state key :func:`compile_env` numbers the states of ``env`` by.

    ``state_key``, or MiniGrid's; with ``time_in_state``, paired with the steps since reset.
    """
    if state_key is not None and not callable(state_key):
        raise InvalidTypeError(
            f"state_key must be callable as state_key(env) -> hashable, got "
            f"{type(state_key).__name__} {state_key!r}"
        )
    key_of = state_key or default_state_key(env)
    if key_of is None:
        raise InvalidValueError(
            f"{type(env.unwrapped).__name__} has no known state key: pass "
            f"state_key=lambda env: ..., a hashable that identifies the env's full state"
        )
    if not time_in_state:
        return key_of
    if _time_limit_of(env) is None:
        raise InvalidValueError(
            "time_in_state=True needs a time limit to bound the time: wrap the env in "
            "gymnasium.wrappers.TimeLimit(env, max_episode_steps=...)"
        )
    _elapsed_steps(env)  # readable, or refused now

    def key_and_time(env):
        return key_of(env), _elapsed_steps(env)

    return key_and_time


def _scalars(env) -> dict:
    """The plain scalar attributes of the unwrapped env: what differs outside the key."""
    return {
        name: value
        for name, value in vars(env.unwrapped).items()
        if isinstance(value, bool | int | float | str | np.integer | np.floating)
    }


class StateIndex(gym.ObservationWrapper):
    """A live env's observations replaced by the index of its state in a compiled model.

    So a tabular policy of :func:`compile_env`'s model plays the env.

    Parameters
    ----------
    env : gymnasium.Env
        The live env, in the layout the model was compiled from.
    mdp : TabularMDP
        A model from :func:`compile_env` (its ``states`` are the state keys).
    state_key : callable, optional
        The ``state_key`` the model was compiled with (MiniGrid's by default).
    time_in_state : bool
        Whether the model was compiled with ``time_in_state=True``.

    Examples
    --------
    See :func:`compile_env`.
    """

    def __init__(
        self,
        env: gym.Env,
        mdp: TabularMDP,
        state_key: Callable[[gym.Env], Hashable] | None = None,
        *,
        time_in_state: bool = False,
    ) -> None:
        mdp = check_mdp(mdp)
        super().__init__(env)
        if mdp.states is None:
            raise InvalidValueError("StateIndex needs a compiled model and its state_key")
        self._key = state_key_of(
            env, state_key, time_in_state=check_bool("time_in_state", time_in_state)
        )
        self._index = {state: i for i, state in enumerate(mdp.states)}
        self.observation_space = gym.spaces.Discrete(mdp.n_states)

    def observation(self, observation: Any) -> int:
        """The index in the compiled model of the env's current state."""
        key = self._key(self.env)
        if key not in self._index:
            raise InvalidValueError(
                f"the env is in a state the compiled model never reached ({key!r}): it was "
                f"compiled from another start (another seed?)"
            )
        return self._index[key]


def compile_env(
    env: gym.Env,
    *,
    state_key: Callable[[gym.Env], Hashable] | None = None,
    max_states: int | None = None,
    time_in_state: bool = False,
) -> TabularMDP:
    """Compile a copyable deterministic env into an exact model.

    The model of the states it reaches from where it is now.

    Every action is tried from every reachable state on copies of the env
    (``copy.deepcopy``), breadth first, as :func:`from_simulator` does with rules.

    Parameters
    ----------
    env : gymnasium.Env
        An env already ``reset`` (with the seed whose layout you want) and with Discrete
        actions; it is not stepped itself.
    state_key : callable, optional
        ``state_key(env) -> hashable``: what identifies the env's state. MiniGrid envs have
        one by default (``env.unwrapped.hash()`` and what the agent carries); other envs need
        it, e.g. ``lambda env: env.unwrapped.s`` for a toy-text env.
    max_states : int, optional
        Stop with an error past this many states.
    time_in_state : bool
        Fold the time into the state: the states are ``(state_key(env), steps since
        reset)``, and reaching the time limit ends the episode in the model. Exact for a
        reward or dynamics that change with the step count (MiniGrid's reward), at the cost
        of up to ``max_episode_steps`` times more states. Needs a time limit (a
        ``TimeLimit``, or MiniGrid's ``max_steps``).

    Returns
    -------
    TabularMDP
        With ``states`` (the state keys) and ``max_episode_steps`` (a ``TimeLimit``'s, or
        MiniGrid's ``max_steps``). Play its policies in the live env through
        :class:`StateIndex`, or let :func:`rlfoundations.solve` compile and play it.

    Raises
    ------
    ValueError
        Two copies of one state step differently (the env is not deterministic); or a state
        reached again by another path steps differently from the first time, so something
        outside the state key changes the dynamics or the reward (MiniGrid's reward on
        reaching the goal falls with the step count): fold the time into the state
        (``time_in_state=True``) or make the reward a function of the state (a
        ``TransformReward``), rather than average it away. ``time_in_state`` without a time
        limit.

    Examples
    --------
    >>> import gymnasium as gym
    >>> import rlfoundations as rlf
    >>> env = gym.make("FrozenLake-v1", is_slippery=False)
    >>> _ = env.reset(seed=0)
    >>> mdp = rlf.compile_env(env, state_key=lambda env: int(env.unwrapped.s))
    >>> mdp.n_states, mdp.states[:3]
    (16, (0, 4, 1))
    """
    if not isinstance(env, gym.Env):
        raise InvalidTypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise InvalidTypeError(f"the action space must be Discrete, got {env.action_space!r}")
    time_in_state = check_bool("time_in_state", time_in_state)
    key_of = state_key_of(env, state_key, time_in_state=time_in_state)
    n_actions = int(env.action_space.n)
    start = int(env.action_space.start)
    representative: dict = {}  # state key -> an env copy in that state
    checked: set = set()  # keys already compared with a second path

    def outcome(copy_env, action):
        _, reward, terminated, truncated, _ = copy_env.step(np.int64(action + start))
        # With the time in the state, the time limit is part of the model: the episode ends.
        ends = terminated or (time_in_state and truncated)
        return key_of(copy_env), float(reward), bool(ends), copy_env

    def step_twice(key, action):
        first = outcome(copy.deepcopy(representative[key]), action)
        # The second copy draws from another random stream: a copy would replay the same
        # draws, and so hide randomness the state key does not capture.
        other = copy.deepcopy(representative[key])
        other.unwrapped.np_random = np.random.default_rng([0x5EED, len(recorded)])
        second = outcome(other, action)
        if first[:3] != second[:3]:
            raise InvalidValueError(
                f"two copies of state {key!r} stepped with action {action} gave {first[:3]} "
                f"and {second[:3]}: the env is not deterministic (or its state key misses "
                f"something its randomness depends on); estimate_model(env, ...) samples it"
            )
        return first

    recorded: dict = {}  # (key, action) -> (next key, reward, terminated)
    second_paths: list = []  # (key, an env that reached it by another path)

    def transitions(key, action):
        next_key, reward, terminated, stepped = step_twice(key, action)
        recorded[key, action] = (next_key, reward, terminated)
        if next_key not in representative:
            representative[next_key] = stepped
        elif next_key not in checked and _scalars(stepped) != _scalars(representative[next_key]):
            checked.add(next_key)
            if not terminated:
                second_paths.append((next_key, stepped))
        return [(1.0, next_key, reward, terminated)]

    initial_key = key_of(env)
    representative[initial_key] = copy.deepcopy(env)
    mdp = from_simulator(
        transitions,
        initial=initial_key,
        n_actions=n_actions,
        max_states=max_states,
        name=getattr(env.spec, "id", None) or type(env.unwrapped).__name__,
    )
    for key, stepped in second_paths:
        _compare_paths(key, stepped, representative[key], recorded, outcome, n_actions)
    return mdp._derive(max_episode_steps=_time_limit_of(env))


def _compare_paths(key, new, old, recorded, outcome, n_actions) -> None:
    """A state reached again by another path must step as it did the first time."""
    differing = sorted(
        name for name, value in _scalars(new).items() if _scalars(old).get(name) != value
    )
    for action in range(n_actions):
        now = outcome(copy.deepcopy(new), action)[:3]
        before = recorded[key, action]
        if now != before:
            raise InvalidValueError(
                f"state {key!r} reached by two paths steps differently with action {action}: "
                f"{before} and {now}. Something outside the state key changes the dynamics "
                f"or the reward (the env differs in {', '.join(differing) or 'attributes'}; "
                f"MiniGrid's reward falls with step_count). Fold the time into the state, "
                f"compile_env(env, time_in_state=True) or solve(env, time_in_state=True) "
                f"(exact, up to max_episode_steps times more states), or make the reward a "
                f"function of the state alone, e.g. "
                f"gymnasium.wrappers.TransformReward(env, lambda r: float(r > 0)); a model "
                f"that averages it away would be wrong"
            )
