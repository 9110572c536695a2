"""From Gymnasium environments to TabularMDPs: exact extraction, estimation, and checking."""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import gymnasium as gym
import numpy as np

from rlfoundations._validate import check_count, check_fraction, check_mdp, check_optional_seed
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.observations import IndexObservation, space_factors

__all__ = [
    "ENV_ID_ALIASES",
    "KNOWN_GAPS",
    "PASS_THROUGH_WRAPPERS",
    "ModelCheck",
    "ModelEstimate",
    "check_model",
    "estimate_model",
    "from_env",
    "make",
]

#: Env ids that older code and tutorials use, mapped to the id that Gymnasium now registers.
#: Gymnasium 1.4 retired ``Taxi-v3`` for ``Taxi-v4``, whose default dynamics are the same; an
#: alias applies only where the old id is not registered (Gymnasium before 1.4 keeps its own).
ENV_ID_ALIASES = {"Taxi-v3": "Taxi-v4"}


def make(env_id: str | TabularMDP, **make_kwargs: Any) -> gym.Env:
    """``gymnasium.make`` that also accepts retired ids (``Taxi-v3``) and suggests close ids.

    Given a model, the env that samples it (:meth:`TabularMDP.to_env`).

    Parameters
    ----------
    env_id : str or TabularMDP
        A registered env id, e.g. ``"Taxi-v3"``, ``"FrozenLake8x8-v1"``,
        ``"rlfoundations/Rick-v0"``; or a model, made into ``mdp.to_env()`` (in a
        ``TimeLimit`` when it has ``max_episode_steps``).
    **make_kwargs
        Passed to ``gymnasium.make`` (``is_slippery=True``, ``render_mode="ansi"``, ...); with
        a model, only ``render_mode``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.make("Taxi-v3").spec.id
    'Taxi-v4'
    >>> env = rlf.make(rlf.problems.forest())
    >>> env
    <TimeLimit<TabularEnv instance>>
    >>> rlf.from_env(env).max_episode_steps
    1000
    """
    if isinstance(env_id, TabularMDP):
        unknown = sorted(set(make_kwargs) - {"render_mode"})
        if unknown:
            raise InvalidTypeError(
                f"a model is made into its env with render_mode only, got {unknown}: the "
                f"other make arguments are already in the model"
            )
        return env_id.to_env(**make_kwargs)
    if not isinstance(env_id, str):
        raise InvalidTypeError(f"env_id must be a str or a TabularMDP, got {type(env_id).__name__}")
    resolved = env_id if env_id in gym.registry else ENV_ID_ALIASES.get(env_id, env_id)
    if resolved not in gym.registry and ":" not in resolved:
        close = difflib.get_close_matches(resolved, list(gym.registry), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InvalidValueError(f"unknown env id {env_id!r}{hint}")
    return gym.make(resolved, **make_kwargs)


def _check_discrete(env: gym.Env) -> tuple[int, int]:
    spaces = {"observation_space": env.observation_space, "action_space": env.action_space}
    for name, space in spaces.items():
        if not isinstance(space, gym.spaces.Discrete):
            raise InvalidTypeError(
                f"{name} is {space!r}, not Discrete: a tabular model needs finite states and "
                f"actions. Wrap the env first: gymnasium.wrappers.DiscretizeObservation(env, "
                f"bins) for a Box, or an ObservationWrapper that encodes a Tuple or "
                f"MultiDiscrete observation as one integer under a Discrete space."
            )
        if space.start != 0:
            raise InvalidValueError(f"{name} {space!r} must start at 0 to index states and actions")
    return int(env.observation_space.n), int(env.action_space.n)  # type: ignore[attr-defined]


# -- what from_env can and cannot see ------------------------------------------------------------
#: Wrappers that change nothing of states, actions, rewards or time: ``from_env`` looks through
#: them (they check calls, record statistics, render).
PASS_THROUGH_WRAPPERS: tuple[type, ...] = (
    gym.wrappers.OrderEnforcing,
    gym.wrappers.PassiveEnvChecker,
    gym.wrappers.RecordEpisodeStatistics,
    gym.wrappers.RenderCollection,
    gym.wrappers.HumanRendering,
    gym.wrappers.RecordVideo,
)

#: Observation wrappers whose ``observation`` changes with every call (running statistics):
#: not a fixed relabelling, whatever their space.
_STATEFUL_OBSERVATION_WRAPPERS: tuple[type, ...] = (gym.wrappers.NormalizeObservation,)
#: Action wrappers whose action depends on the past (a sticky action repeats the last one).
_STATEFUL_ACTION_WRAPPERS: tuple[type, ...] = (gym.wrappers.StickyAction,)


def _taxi_is_fickle(base) -> bool:
    return bool(getattr(base, "fickle_passenger", False))


#: Envs whose dynamics are not all in what ``from_env`` reads, as (env class name, test on
#: the unwrapped env, why): ``from_env`` refuses them with the reason.
KNOWN_GAPS: tuple[tuple[str, Callable, str], ...] = (
    (
        "TaxiEnv",
        _taxi_is_fickle,
        "Taxi with fickle_passenger=True: after the passenger is picked up, the destination "
        "may change on the next move with probability 0.3, a step that is not in P and "
        "depends on the previous step (whether the passenger was just picked up), which the "
        "observation does not show: no model over Taxi's 500 observations is exact. Make it "
        "with fickle_passenger=False for the exact model, or use "
        "estimate_model(env, n_samples, seed) for an empirical one",
    ),
)


def _known_gap(base) -> str | None:
    for class_name, applies, reason in KNOWN_GAPS:
        if any(cls.__name__ == class_name for cls in type(base).__mro__) and applies(base):
            return reason
    return None


def _refuse(wrapper, why: str) -> InvalidValueError:
    return InvalidValueError(
        f"from_env cannot read the model through {type(wrapper).__name__}: {why}. The model "
        f"would be of a different env than the one passed; remove the wrapper, or estimate "
        f"the wrapped env's model from samples with "
        f"rlfoundations.estimate_model(env, n_samples, seed)"
    )


@dataclass
class _Chain:
    """The wrapper chain of an env, read from the inside out."""

    base: gym.Env
    passed: list = field(default_factory=list)
    time_limit: int | None = None
    # Relabellings inner first: ("observation" | "reward" | "action", wrapper).
    transforms: list = field(default_factory=list)


def _walk(env: gym.Env) -> _Chain:
    """The env's wrappers, each looked through, kept, applied exactly or refused.

    A time limit is kept; a relabelling of observations, rewards or actions is applied exactly;
    anything else is refused with the reason.
    """
    layers = []
    inner = env
    while isinstance(inner, gym.Wrapper):
        layers.append(inner)
        inner = inner.env
    chain = _Chain(base=inner)
    for wrapper in reversed(layers):  # innermost first
        kind = type(wrapper)
        if isinstance(wrapper, PASS_THROUGH_WRAPPERS):
            chain.passed.append(kind.__name__)
        elif isinstance(wrapper, gym.wrappers.TimeLimit):
            steps = int(wrapper._max_episode_steps)
            chain.time_limit = steps if chain.time_limit is None else min(chain.time_limit, steps)
        elif isinstance(wrapper, gym.ObservationWrapper):
            if isinstance(wrapper, _STATEFUL_OBSERVATION_WRAPPERS):
                raise _refuse(wrapper, "its observations change with running statistics")
            if kind.step is not gym.ObservationWrapper.step or (
                kind.reset is not gym.ObservationWrapper.reset
            ):
                raise _refuse(wrapper, "it overrides step or reset, so it may change the dynamics")
            chain.transforms.append(("observation", wrapper))
        elif isinstance(wrapper, gym.RewardWrapper):
            if kind.step is not gym.RewardWrapper.step or kind.reset is not gym.Wrapper.reset:
                raise _refuse(
                    wrapper, "it overrides step or reset, so its reward is not reward(r) alone"
                )
            chain.transforms.append(("reward", wrapper))
        elif isinstance(wrapper, gym.ActionWrapper):
            if isinstance(wrapper, _STATEFUL_ACTION_WRAPPERS):
                raise _refuse(wrapper, "its action depends on the actions before")
            if kind.step is not gym.ActionWrapper.step or kind.reset is not gym.Wrapper.reset:
                raise _refuse(
                    wrapper, "it overrides step or reset, so its action is not action(a) alone"
                )
            chain.transforms.append(("action", wrapper))
        else:
            raise _refuse(
                wrapper,
                "it is not a wrapper known to leave the dynamics alone (those are "
                + ", ".join(w.__name__ for w in PASS_THROUGH_WRAPPERS)
                + ", TimeLimit, and observation, reward and action wrappers that only map "
                "values)",
            )
    return chain


def _label(value):
    """An observation as a hashable label: ints, tuples of ints, dicts as sorted items."""
    if isinstance(value, dict):
        return tuple(sorted((key, _label(item)) for key, item in value.items()))
    if isinstance(value, np.ndarray):
        return tuple(_label(item) for item in value.tolist()) if value.ndim else _label(value[()])
    if isinstance(value, tuple | list):
        return tuple(_label(item) for item in value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def _as_observation(label, space: gym.Space):
    """A label back as an observation of ``space`` (what a wrapper's ``observation`` takes)."""
    if isinstance(space, gym.spaces.Dict):
        return {key: item for key, item in label}
    if isinstance(space, gym.spaces.MultiDiscrete):
        return np.array(label, dtype=space.dtype)
    if isinstance(space, gym.spaces.Discrete):
        return np.int64(label)
    return label


def _relabel_observations(wrapper, labels: list, inner_space: gym.Space) -> list:
    """The observation ``wrapper`` shows for each state, checked one-to-one and repeatable."""
    outer_space = wrapper.observation_space
    try:
        space_factors(outer_space)
    except (InvalidTypeError, InvalidValueError):
        raise _refuse(
            wrapper,
            f"its observation space {outer_space!r} is not finite and discrete, so its "
            f"observations are not states",
        ) from None
    mapped = []
    for label in labels:
        obs = _as_observation(label, inner_space)
        # IndexObservation's index of a state is encode(state); its observation() may read
        # the env's hand (Blackjack's natural flag), which is not this state's.
        relabel = wrapper.encode if isinstance(wrapper, IndexObservation) else wrapper.observation
        try:
            first, again = relabel(obs), relabel(obs)
        except Exception as error:
            raise _refuse(wrapper, f"it fails on the observation {label!r}: {error!r}") from error
        if _label(first) != _label(again):
            raise _refuse(wrapper, f"it maps the observation {label!r} to {first!r} and {again!r}")
        if not outer_space.contains(_as_observation(_label(first), outer_space)):
            raise _refuse(
                wrapper, f"it maps the observation {label!r} to {first!r}, not in {outer_space!r}"
            )
        mapped.append(_label(first))
    if len(set(mapped)) != len(mapped):
        seen: dict = {}
        for label, image in zip(labels, mapped, strict=True):
            if image in seen:
                raise _refuse(
                    wrapper,
                    f"it maps the observations {seen[image]!r} and {label!r} both to {image!r}: "
                    f"not one-to-one, so its observations are not states",
                )
            seen[image] = label
    return mapped


def _permuted(mdp: TabularMDP, order: np.ndarray, **changes) -> TabularMDP:
    """``mdp`` with state ``i`` renamed ``order[i]`` (a permutation of the state indices)."""
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return dataclasses.replace(
        mdp,
        next_state=order[mdp.next_state[inverse]],
        prob=mdp.prob[inverse],
        reward=mdp.reward[inverse],
        terminated=mdp.terminated[inverse],
        initial=mdp.initial[inverse],
        action_mask=None if mdp.action_mask is None else mdp.action_mask[inverse],
        **changes,
    )


def _apply_chain(mdp: TabularMDP, chain: _Chain, labels: list, space: gym.Space) -> TabularMDP:
    """The base model seen through the chain's relabellings, innermost first."""
    relabelled = False
    index_wrapper = None
    natural_flag = len(labels[0]) == 4 if labels and isinstance(labels[0], tuple) else False
    for kind, wrapper in chain.transforms:
        if kind == "observation":
            if natural_flag and not isinstance(wrapper, IndexObservation):
                raise _refuse(
                    wrapper,
                    "this Blackjack pays a natural apart from another soft 21, which its "
                    "observation shows the same way; only rlfoundations.IndexObservation, "
                    "which reads the flag from the env's hand, indexes its states exactly",
                )
            labels = _relabel_observations(wrapper, labels, space)
            space = wrapper.observation_space
            relabelled = True
            index_wrapper = wrapper if isinstance(wrapper, IndexObservation) else None
        elif kind == "reward":
            values = np.unique(mdp.reward)
            mapped = {}
            for value in values:
                first, again = wrapper.reward(float(value)), wrapper.reward(float(value))
                if not (np.isfinite(first) and first == again):
                    raise _refuse(wrapper, f"it maps the reward {value} to {first} and {again}")
                mapped[float(value)] = float(first)
            reward = np.vectorize(mapped.__getitem__, otypes=[np.float64])(mdp.reward)
            mdp = dataclasses.replace(mdp, reward=reward)
        else:
            inner_actions = mdp.n_actions
            outer = wrapper.action_space
            if not isinstance(outer, gym.spaces.Discrete):
                raise _refuse(wrapper, f"its action space {outer!r} is not Discrete")
            mapping = []
            for action in range(int(outer.n)):
                inner = wrapper.action(np.int64(action + int(outer.start)))
                if _label(inner) != _label(wrapper.action(np.int64(action + int(outer.start)))):
                    raise _refuse(wrapper, f"it maps the action {action} differently each time")
                if (
                    isinstance(inner, bool)
                    or not isinstance(inner, int | np.integer)
                    or not (0 <= inner < inner_actions)
                ):
                    raise _refuse(wrapper, f"it maps the action {action} to {inner!r}")
                mapping.append(int(inner))
            take = np.array(mapping)
            mdp = dataclasses.replace(
                mdp,
                next_state=mdp.next_state[:, take],
                prob=mdp.prob[:, take],
                reward=mdp.reward[:, take],
                terminated=mdp.terminated[:, take],
                action_mask=None if mdp.action_mask is None else mdp.action_mask[:, take],
            )
    if isinstance(space, gym.spaces.Discrete) and not relabelled and int(space.start) == 0:
        return mdp
    # The observations the env shows, as state indices: a Discrete(n, start) less its start,
    # any other finite space by IndexObservation's encoding.
    factors, starts = space_factors(space)
    sizes = tuple(size for _, size in factors)
    if isinstance(space, gym.spaces.Discrete):
        index = [int(label) - starts[0] for label in labels]
    else:
        encoder = IndexObservation.__new__(IndexObservation)
        encoder._inner, encoder._starts, encoder._sizes = space, starts, sizes
        encoder._natural_flag = False
        index = [encoder.encode(_as_observation(label, space)) for label in labels]
        if index_wrapper is None:
            index_wrapper = encoder
            index_wrapper.factors = (
                mdp.factors if mdp.factors is not None and not relabelled else factors
            )
    size = int(np.prod(sizes))
    if sorted(index) != list(range(size)) or size != mdp.n_states:
        raise InvalidValueError(
            f"the env's {mdp.n_states} states show as {len(set(index))} of the {size} "
            f"observations of {space!r}: a model over that space needs every observation to "
            f"be exactly one state"
        )
    if isinstance(space, gym.spaces.Discrete) and index_wrapper is None:
        kept_factors = None if relabelled else mdp.factors
    else:
        kept_factors = index_wrapper.factors if index_wrapper is not None else None
    return _permuted(mdp, np.array(index, dtype=np.int64), factors=kept_factors)


def _base_model(base: gym.Env) -> tuple[TabularMDP, list, gym.Space]:
    """The unwrapped env's model, the raw observation of each state, and its space."""
    gap = _known_gap(base)
    if gap is not None:
        raise InvalidValueError(f"from_env refuses {type(base).__name__}: {gap}")
    if type(base).__name__ == "BlackjackEnv":
        from rlfoundations.blackjack import blackjack_model

        mdp = blackjack_model(natural=bool(base.natural), sab=bool(base.sab))  # type: ignore[attr-defined]
        sizes = tuple(size for _, size in mdp.factors)  # type: ignore[union-attr]
        labels = [tuple(int(v) for v in np.unravel_index(s, sizes)) for s in range(mdp.n_states)]
        # With the natural flag, the states are (observation, natural): the space it spans.
        space = gym.spaces.Tuple(tuple(gym.spaces.Discrete(size) for size in sizes))
        return mdp, labels, space
    n_states, n_actions = _check_discrete(base)
    table = getattr(base, "P", None)
    if not isinstance(table, dict):
        raise InvalidValueError(
            f"{type(base).__name__} has no toy-text transition table `P`; "
            f"use rlfoundations.estimate_model(env, n_samples, seed) for an empirical model, "
            f"or rlfoundations.compile_env / from_simulator to build it from the env's rules"
        )
    initial = _initial_distribution(base, n_states)
    arrays = _table_arrays(table, n_states, n_actions)
    name = type(base).__name__
    if arrays is None:
        # Something in P is off: the entry-by-entry path names what, and where.
        outcomes = _merged_outcomes(table, n_states, n_actions)
        mdp = _pack(outcomes, n_states, n_actions, initial, None, name)
    else:
        mdp = TabularMDP(**arrays, initial=initial, name=name)
    factors = _grid_factors(base, n_states)
    if factors is not None:
        mdp = mdp.with_factors(factors)
    return mdp, list(range(n_states)), base.observation_space


def _grid_factors(base: gym.Env, n_states: int):
    """The named state variables of the toy-text envs whose encoding is known."""
    names = {cls.__name__ for cls in type(base).__mro__}
    if "TaxiEnv" in names and n_states == 500:
        return (("row", 5), ("col", 5), ("passenger", 5), ("destination", 4))
    shape = getattr(base, "shape", None)
    if "CliffWalkingEnv" in names and shape is not None and int(np.prod(shape)) == n_states:
        return (("row", int(shape[0])), ("col", int(shape[1])))
    if "FrozenLakeEnv" in names and getattr(base, "nrow", 0) * getattr(base, "ncol", 0) == (
        n_states
    ):
        return (("row", int(base.nrow)), ("col", int(base.ncol)))  # type: ignore[attr-defined]
    return None


def _make_kwargs(env: gym.Env) -> dict | None:
    spec = getattr(env, "spec", None)
    kwargs = getattr(spec, "kwargs", None)
    if not kwargs:
        return None
    return {key: value for key, value in kwargs.items() if key != "render_mode"} or None


def _as_env(env_or_id, make_kwargs) -> tuple[gym.Env, bool]:
    """The env, and whether we made it (and so must close it)."""
    if isinstance(env_or_id, str):
        return make(env_or_id, **make_kwargs), True
    if make_kwargs:
        raise InvalidTypeError("make_kwargs are only accepted with an env id, not an env")
    if not isinstance(env_or_id, gym.Env):
        raise InvalidTypeError(
            f"expected an env id or a gymnasium.Env, got {type(env_or_id).__name__}"
        )
    return env_or_id, False


def _time_limit(env: gym.Env) -> int | None:
    spec = getattr(env, "spec", None)
    steps = getattr(spec, "max_episode_steps", None)
    return int(steps) if steps else None


def from_env(env_or_id: str | gym.Env, **make_kwargs: Any) -> TabularMDP:
    """Extract the exact model of an env, seen through its wrappers.

    The model comes from its toy-text ``P`` table (or, for Blackjack, its rules).

    Parameters
    ----------
    env_or_id : str or gymnasium.Env
        An env id (made with :func:`make`, so ``Taxi-v3`` works), an env, or a wrapped env.
    **make_kwargs
        With an id: passed to ``gymnasium.make`` (``is_slippery=True``, ``is_rainy=True``,
        ``map_name="8x8"``, ``desc=[...]``, ...).

    Returns
    -------
    TabularMDP
        One slot per distinct outcome (next state, reward, terminated) of each (state,
        action), duplicates merged in order of first appearance; the initial distribution
        from ``initial_state_distrib``; the env's time limit as ``max_episode_steps``; the
        env's make arguments as ``make_kwargs`` (so it can be made again as it was); the
        state variables as ``factors`` where known (Taxi, FrozenLake, CliffWalking,
        Blackjack, :class:`~rlfoundations.IndexObservation`).

    Raises
    ------
    TypeError
        The spaces are not finite (the message names the space).
    ValueError
        The env has no ``P`` table (use :func:`estimate_model`), ``P`` is malformed, the env
        is a known case whose dynamics are not all in ``P`` (:data:`KNOWN_GAPS`, e.g. Taxi
        with ``fickle_passenger=True``), or a wrapper changes the dynamics in a way that
        cannot be read exactly (the message names it).

    Notes
    -----
    The wrapper chain is read from the inside out, and every wrapper is accounted for:

    - :data:`PASS_THROUGH_WRAPPERS` (``OrderEnforcing``, ``PassiveEnvChecker``,
      ``RecordEpisodeStatistics``, ...) change nothing and are looked through;
    - ``TimeLimit`` (from ``gym.make`` or added by hand) becomes ``max_episode_steps``; an
      env passed without one (``env.unwrapped``) has none;
    - an ``ObservationWrapper`` whose space is finite is applied as a relabelling of the
      states, checked repeatable and one-to-one (``TransformObservation(env, lambda o: 15 -
      o, Discrete(16))`` gives the same MDP with its states renamed);
    - a ``RewardWrapper`` (``TransformReward``, ``ClipReward``) is applied to every outcome's
      reward, an ``ActionWrapper`` over Discrete actions to every action;
    - anything else (``Autoreset``, ``StickyAction``, ``TimeAwareObservation``, a wrapper of
      your own that overrides ``step``) is refused with an error naming it and pointing to
      :func:`estimate_model`: never a model of a different env than the one passed.

    A Tuple, MultiDiscrete or Dict observation space left at the outside is indexed as
    :class:`~rlfoundations.IndexObservation` indexes it.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("Taxi-v3")
    >>> mdp.n_states, mdp.n_actions, int((mdp.initial > 0).sum()), mdp.max_episode_steps
    (500, 6, 300, 200)
    >>> mdp.decode(328)
    {'row': 3, 'col': 1, 'passenger': 2, 'destination': 0}
    """
    env, owned = _as_env(env_or_id, make_kwargs)
    try:
        chain = _walk(env)
        mdp, labels, space = _base_model(chain.base)
        mdp = _apply_chain(mdp, chain, labels, space)
        steps = chain.time_limit
        spec = getattr(env, "spec", None)
        name = getattr(spec, "id", None) or mdp.name
        return mdp._derive(max_episode_steps=steps, name=name, make_kwargs=_make_kwargs(env))
    finally:
        if owned:
            env.close()


def _table_arrays(table, n_states: int, n_actions: int) -> dict | None:
    """The padded outcome arrays of a well-formed ``P`` table, built with array operations.

    A few Python passes over the entries, none per entry in Python code; None if any cell is
    missing, malformed or empty, for :func:`_merged_outcomes` to report.

    Same result as :func:`_merged_outcomes` then :func:`_pack`: zero-probability entries
    dropped, duplicate (next_state, reward, terminated) merged by summing in order, slots in
    order of first appearance.
    """
    try:
        rows = map(table.__getitem__, range(n_states))
        if n_actions == 1:
            cells = [row[0] for row in rows]
        else:
            cells = list(chain.from_iterable(map(itemgetter(*range(n_actions)), rows)))
        counts = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
        entries = list(chain.from_iterable(cells))
        # strict: every entry has as many fields as the first.
        columns = list(zip(*entries, strict=True))
        if len(columns) != 4:
            return None
        size = len(entries)
        prob = np.fromiter(columns[0], dtype=np.float64, count=size)
        next_state = np.fromiter(columns[1], dtype=np.int64, count=size)
        reward = np.fromiter(columns[2], dtype=np.float64, count=size)
        terminated = np.fromiter(columns[3], dtype=bool, count=size)
    except (KeyError, IndexError, TypeError, ValueError, OverflowError):
        return None
    if np.isnan(prob).any() or np.isnan(reward).any():
        return None  # None converts to NaN here; float(None) is the error to show.
    if counts.min() == 1 and counts.max() == 1 and (prob != 0).all():
        # One outcome per pair (deterministic envs): nothing to drop, merge or order.
        shape = (n_states, n_actions, 1)
        return {
            "next_state": next_state.reshape(shape),
            "prob": prob.reshape(shape),
            "reward": reward.reshape(shape),
            "terminated": terminated.reshape(shape),
        }
    pair = np.repeat(np.arange(len(cells)), counts)
    kept = prob != 0
    if not kept.all():
        prob, next_state, reward, terminated, pair = (
            column[kept] for column in (prob, next_state, reward, terminated, pair)
        )
    if np.bincount(pair, minlength=len(cells)).min() == 0:
        return None
    # Group equal outcomes of a pair (stable, so a group lists its entries in order).
    order = np.lexsort((terminated, reward, next_state, pair))
    sorted_keys = [column[order] for column in (pair, next_state, reward, terminated)]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = np.any([key[1:] != key[:-1] for key in sorted_keys], axis=0)
    group = np.cumsum(starts) - 1
    first = order[starts]
    total = prob[first].copy()
    for i in np.flatnonzero(~starts):
        # A duplicate (rare): add in order of appearance, as 0.0 + p + p' + ... would.
        total[group[i]] += prob[order[i]]
    # Slots in order of first appearance within each pair.
    by_appearance = np.argsort(first, kind="stable")
    first, total = first[by_appearance], total[by_appearance]
    group_pair = pair[first]
    pair_start = np.searchsorted(group_pair, np.arange(len(cells)))
    slot = np.arange(first.size) - pair_start[group_pair]
    n_outcomes = int(slot.max()) + 1
    shape = (n_states * n_actions, n_outcomes)  # type: ignore[assignment]
    arrays = {
        "next_state": np.zeros(shape, dtype=np.int64),
        "prob": np.zeros(shape),
        "reward": np.zeros(shape),
        "terminated": np.zeros(shape, dtype=bool),
    }
    for key, values in (
        ("next_state", next_state[first]),
        ("prob", total),
        ("reward", reward[first]),
        ("terminated", terminated[first]),
    ):
        arrays[key][group_pair, slot] = values
    return {key: array.reshape(n_states, n_actions, n_outcomes) for key, array in arrays.items()}


def _merged_outcomes(table, n_states: int, n_actions: int) -> list[list[dict]]:
    """Per (s, a), a dict (next_state, reward, terminated) -> summed probability."""
    merged: list[list[dict]] = []
    for s in range(n_states):
        if s not in table:
            raise InvalidValueError(f"P has no entry for state {s}")
        row = []
        for a in range(n_actions):
            if a not in table[s]:
                raise InvalidValueError(f"P[{s}] has no entry for action {a}")
            outcomes: dict = {}
            for entry in table[s][a]:
                if len(entry) != 4:
                    raise InvalidValueError(
                        f"P[{s}][{a}] entries must be (prob, next_state, reward, terminated), "
                        f"got {entry!r}"
                    )
                prob, next_state, reward, terminated = entry
                if prob == 0:
                    continue
                key = (int(next_state), float(reward), bool(terminated))
                outcomes[key] = outcomes.get(key, 0.0) + float(prob)
            if not outcomes:
                raise InvalidValueError(f"P[{s}][{a}] has no outcome with positive probability")
            row.append(outcomes)
        merged.append(row)
    return merged


def _initial_distribution(base: gym.Env, n_states: int) -> np.ndarray:
    initial = getattr(base, "initial_state_distrib", None)
    if initial is None:
        raise InvalidValueError(
            f"{type(base).__name__} has a `P` table but no `initial_state_distrib`; "
            f"build the model with TabularMDP(...) and give the initial distribution yourself"
        )
    initial = np.asarray(initial, dtype=np.float64)
    if initial.shape != (n_states,):
        raise InvalidValueError(
            f"initial_state_distrib has shape {initial.shape}, expected ({n_states},)"
        )
    return initial


def _pack(outcomes, n_states, n_actions, initial, max_episode_steps, name) -> TabularMDP:
    n_outcomes = max(len(cell) for row in outcomes for cell in row)
    shape = (n_states, n_actions, n_outcomes)
    next_state = np.zeros(shape, dtype=np.int64)
    prob = np.zeros(shape)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=bool)
    for s, row in enumerate(outcomes):
        for a, cell in enumerate(row):
            for k, ((target, value, done), p) in enumerate(cell.items()):
                next_state[s, a, k] = target
                prob[s, a, k] = p
                reward[s, a, k] = value
                terminated[s, a, k] = done
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial,
        max_episode_steps=max_episode_steps,
        name=name,
    )


# -- estimation ----------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ModelEstimate:
    """An empirical model built from sampled transitions: an estimate, not the env's truth.

    Attributes
    ----------
    mdp : TabularMDP
        Outcome probabilities are observed frequencies. A (state, action) never tried is
        modelled as ending the episode in place with the worst reward observed (see
        ``visited``), so planners avoid it rather than hope for it.
    counts : ndarray of int, shape (S, A)
        Transitions observed from each (state, action).
    n_samples : int
        Transitions sampled in all.
    """

    mdp: TabularMDP
    counts: np.ndarray
    n_samples: int

    @property
    def visited(self) -> np.ndarray:
        """(S, A) mask of the pairs seen at least once."""
        return self.counts > 0

    def __repr__(self) -> str:
        return (
            f"ModelEstimate(n_samples={self.n_samples}, "
            f"visited={int(self.visited.sum())}/{self.counts.size} state-action pairs, "
            f"mdp={self.mdp!r})"
        )


def _check_sampling(n_samples, seed) -> None:
    check_count("n_samples", n_samples)
    check_optional_seed(seed)


def _random_transitions(env: gym.Env, n_samples: int, seed: int | None):
    """Yield (state, action, next_state, reward, terminated, truncated) from random actions."""
    rng = np.random.default_rng(seed)
    env.action_space.seed(None if seed is None else int(rng.integers(2**31)))
    state, _ = env.reset(seed=None if seed is None else int(rng.integers(2**31)))
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    for _ in range(n_samples):
        action = int(rng.integers(n_actions))
        next_state, reward, terminated, truncated, _ = env.step(action)
        yield int(state), action, int(next_state), float(reward), bool(terminated), truncated
        if terminated or truncated:
            state, _ = env.reset()
        else:
            state = next_state


def estimate_model(
    env: str | gym.Env, n_samples: int, seed: int | None = None, **make_kwargs: Any
) -> ModelEstimate:
    """Estimate a model of a discrete env from ``n_samples`` random-action transitions.

    For envs without a ``P`` table. Episodes start from ``env.reset`` and take uniformly
    random actions; the initial distribution is the frequency of observed start states.

    Parameters
    ----------
    env : str or gymnasium.Env
        A discrete env or its id.
    n_samples : int
        Transitions to sample.
    seed : int, optional
        Fixes the resets and actions, so the same seed gives the same estimate.

    Returns
    -------
    ModelEstimate
        The estimated ``mdp`` with the visit ``counts`` that say how far to trust it.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> estimate = rlf.estimate_model("FrozenLake-v1", n_samples=2_000, seed=0)
    >>> estimate.mdp.n_states, bool(estimate.visited[0].all())
    (16, True)
    """
    _check_sampling(n_samples, seed)
    env, owned = _as_env(env, make_kwargs)
    try:
        n_states, n_actions = _check_discrete(env)
        observed: list[list[Counter]] = [
            [Counter() for _ in range(n_actions)] for _ in range(n_states)
        ]
        starts: Counter = Counter()
        episode_start = True
        worst = np.inf
        for state, action, next_state, reward, terminated, truncated in _random_transitions(
            env, n_samples, seed
        ):
            if episode_start:
                starts[state] += 1
            observed[state][action][(next_state, reward, terminated)] += 1
            worst = min(worst, reward)
            episode_start = terminated or truncated
        worst = 0.0 if not np.isfinite(worst) else worst
        counts = np.array([[sum(c.values()) for c in row] for row in observed], dtype=np.int64)
        outcomes = [
            [
                {key: n / total for key, n in cell.items()}
                if (total := sum(cell.values()))
                else {(s, worst, True): 1.0}
                for cell in row
            ]
            for s, row in enumerate(observed)
        ]
        initial = np.zeros(n_states)
        for state, n in starts.items():
            initial[state] = n
        initial /= initial.sum()
        spec = getattr(env, "spec", None)
        mdp = _pack(
            outcomes,
            n_states,
            n_actions,
            initial,
            _time_limit(env),
            f"estimate of {getattr(spec, 'id', None) or type(env.unwrapped).__name__}",
        )
        return ModelEstimate(mdp=mdp, counts=counts, n_samples=int(n_samples))
    finally:
        if owned:
            env.close()


# -- checking ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mismatch:
    """A transition the real env made that the model gives probability 0."""

    state: int
    action: int
    next_state: int
    reward: float
    terminated: bool


@dataclass(frozen=True, repr=False)
class ModelCheck:
    """How a model compares with the real env it claims to describe.

    Attributes
    ----------
    n_samples : int
        Transitions stepped in the real env.
    mismatches : list of Mismatch
        Distinct observed transitions (state, action, next_state, reward, terminated) that
        the model says are impossible.
    max_frequency_error : float
        Over (state, action) pairs seen at least ``min_count`` times, the largest
        difference between an outcome's observed frequency and its model probability.
    tolerance : float
        Largest frequency error ``ok`` accepts.
    visited_pairs : int
        (state, action) pairs stepped at least once.
    compared_pairs : int
        Pairs seen at least ``min_count`` times, whose frequencies were compared. With none,
        only impossible transitions can show up: a model with wrong probabilities but the
        right support passes unnoticed, so sample more (or lower ``min_count``).
    """

    n_samples: int
    mismatches: list = field(default_factory=list)
    max_frequency_error: float = 0.0
    tolerance: float = 0.0
    visited_pairs: int = 0
    compared_pairs: int = 0

    @property
    def ok(self) -> bool:
        """No impossible transition, and the compared frequencies within ``tolerance``."""
        return not self.mismatches and self.max_frequency_error <= self.tolerance

    def __repr__(self) -> str:
        return (
            f"ModelCheck(ok={self.ok}, n_samples={self.n_samples}, "
            f"mismatches={len(self.mismatches)}, "
            f"max_frequency_error={self.max_frequency_error:.3g}, "
            f"compared_pairs={self.compared_pairs}/{self.visited_pairs} visited)"
        )

    def _repr_html_(self) -> str:
        from rlfoundations.frames import model_check_html

        return model_check_html(self)


def check_model(
    env: str | gym.Env,
    mdp: TabularMDP,
    n_samples: int = 10_000,
    seed: int | None = 0,
    *,
    min_count: int = 200,
    tolerance: float = 0.1,
) -> ModelCheck:
    """Step the real env with random actions and report where it disagrees with ``mdp``.

    Parameters
    ----------
    env : str or gymnasium.Env
        The env the model describes (or its id).
    mdp : TabularMDP
        The model to check, e.g. from :func:`from_env`.
    n_samples : int
        Transitions to step.
    seed : int, optional
        Fixes the resets and actions.
    min_count : int
        Observations a (state, action) needs before its frequencies are compared.
    tolerance : float
        Largest acceptable frequency error for ``ok``.

    Returns
    -------
    ModelCheck
        ``ok``, the impossible transitions seen (``mismatches``), the frequency error, and
        how many (state, action) pairs were visited and compared: check ``compared_pairs``
        before trusting ``ok`` about probabilities.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.check_model("Taxi-v3", rlf.from_env("Taxi-v3"), n_samples=2_000, seed=0).ok
    True
    """
    mdp = check_mdp(mdp)
    min_count = check_count("min_count", min_count)
    tolerance = check_fraction("tolerance", tolerance)
    _check_sampling(n_samples, seed)
    env, owned = _as_env(env, {})
    try:
        n_states, n_actions = _check_discrete(env)
        if (n_states, n_actions) != (mdp.n_states, mdp.n_actions):
            raise InvalidValueError(
                f"the env has {n_states} states and {n_actions} actions, the model "
                f"{mdp.n_states} and {mdp.n_actions}"
            )
        seen: dict = defaultdict(Counter)
        mismatches: dict = {}
        for state, action, next_state, reward, terminated, _ in _random_transitions(
            env, n_samples, seed
        ):
            key = (next_state, reward, terminated)
            seen[state, action][key] += 1
            if _model_prob(mdp, state, action, key) == 0.0 and (state, action, key) not in (
                mismatches
            ):
                mismatches[state, action, key] = Mismatch(state, action, *key)
        error = 0.0
        compared = 0
        for (state, action), counter in seen.items():
            total = sum(counter.values())
            if total < min_count:
                continue
            compared += 1
            for key, n in counter.items():
                error = max(error, abs(n / total - _model_prob(mdp, state, action, key)))
        return ModelCheck(
            n_samples=int(n_samples),
            mismatches=list(mismatches.values()),
            max_frequency_error=error,
            tolerance=float(tolerance),
            visited_pairs=len(seen),
            compared_pairs=compared,
        )
    finally:
        if owned:
            env.close()


def _model_prob(mdp: TabularMDP, state: int, action: int, key) -> float:
    next_state, reward, terminated = key
    total = 0.0
    for k in range(mdp.max_outcomes):
        if (
            mdp.next_state[state, action, k] == next_state
            and mdp.reward[state, action, k] == reward
            and mdp.terminated[state, action, k] == terminated
        ):
            total += mdp.prob[state, action, k]
    return total
