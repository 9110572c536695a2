"""solve and evaluate: from an env to a policy you can run, and back to the real env to score it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from rlfoundations._validate import (
    check_action_probabilities,
    check_gamma,
    check_int,
    check_optional_seed,
    is_int,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.extract import from_env, make
from rlfoundations.mdp import TabularMDP
from rlfoundations.planning import value_iteration
from rlfoundations.results import (
    AverageRewardResult,
    LearningResult,
    LinearProgrammingResult,
    PlanningResult,
    SoftResult,
)
from rlfoundations.simulator import compile_env, default_state_key, state_key_of

__all__ = [
    "CompiledPolicy",
    "EvaluationResult",
    "GreedyPolicy",
    "StochasticPolicy",
    "check_action_probabilities",
    "evaluate",
    "solve",
]

#: Step cap of an evaluation episode when the env has no time limit of its own.
DEFAULT_MAX_STEPS = 1_000


@dataclass(frozen=True, repr=False)
class GreedyPolicy:
    """A tabular policy: ``policy(obs)`` returns the action of state ``obs``.

    Attributes
    ----------
    actions : ndarray of int, shape (S,)
        The action of every state.
    result : PlanningResult
        The solver's output the actions are greedy in (values, Q-values, iterations).
    mdp : TabularMDP
        The model that was solved.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> policy = rlf.solve("rlfoundations/Rick-v0")
    >>> policy
    GreedyPolicy(n_states=500, n_actions=6, gamma=0.99, model='rlfoundations/Rick-v0')
    >>> policy(489)  # the talk's state [4, 4, 1, 4]: Morty aboard, the signal up at B
    0
    """

    actions: np.ndarray
    result: PlanningResult
    mdp: TabularMDP

    def __call__(self, obs) -> int:
        """The action to take in state ``obs`` (an int in ``[0, n_states)``)."""
        if not is_int(obs):
            if isinstance(obs, np.ndarray) and obs.ndim == 0 and obs.dtype.kind in "iu":
                obs = int(obs)
            else:
                raise InvalidTypeError(
                    f"obs must be an int state index, got {type(obs).__name__} {obs!r}; "
                    f"a tabular policy needs a Discrete observation"
                )
        if not 0 <= obs < self.actions.shape[0]:
            raise InvalidValueError(f"obs must be in [0, {self.actions.shape[0]}), got {obs!r}")
        return int(self.actions[obs])

    def __repr__(self) -> str:
        return (
            f"GreedyPolicy(n_states={self.mdp.n_states}, n_actions={self.mdp.n_actions}, "
            f"gamma={self.result.gamma}, model={self.mdp.name!r})"
        )


@dataclass(frozen=True, repr=False)
class CompiledPolicy(GreedyPolicy):
    """The policy of a model compiled from a live env (:func:`compile_env`).

    ``policy(obs)`` reads the state of the env it plays through the model's state key, not
    from ``obs``.

    A MiniGrid observation is the agent's partial view, not its state, so the policy looks
    at the env itself: :func:`solve` binds it to the env it compiled, and :func:`evaluate`
    to the env it plays (:meth:`on` binds it to any other).

    Attributes
    ----------
    state_key : callable
        ``state_key(env) -> hashable``, the key of ``mdp.states``.
    env : gymnasium.Env
        The env whose state ``policy(obs)`` reads.
    index : dict
        State key -> state index of ``mdp`` (``mdp.states`` inverted).

    Examples
    --------
    See :func:`solve`.
    """

    state_key: Callable
    env: gym.Env
    index: dict

    def on(self, env: gym.Env) -> CompiledPolicy:
        """The same policy, reading the state of ``env``."""
        if not isinstance(env, gym.Env):
            raise InvalidTypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
        return dataclasses.replace(self, env=env)

    def state(self) -> int:
        """The model's index of the bound env's current state."""
        key = self.state_key(self.env)
        found = self.index.get(key)
        if found is None:
            raise InvalidValueError(
                f"the env is in a state the compiled model never reached ({key!r}): it was "
                f"compiled from another start (another seed, another layout?); compile the "
                f"env after reset(seed=...) with the seed you play"
            )
        return found

    def __call__(self, obs: Any = None) -> int:
        """The action in the bound env's current state (``obs`` is not read)."""
        return int(self.actions[self.state()])

    def __repr__(self) -> str:
        return (
            f"CompiledPolicy(n_states={self.mdp.n_states}, n_actions={self.mdp.n_actions}, "
            f"gamma={self.result.gamma}, model={self.mdp.name!r})"
        )


@dataclass(frozen=True, repr=False)
class StochasticPolicy:
    """A policy of action probabilities: ``policy(obs)`` draws the action of state ``obs``.

    The (S, A) policies of :func:`soft_value_iteration` and of a constrained
    :func:`linear_programming`, or any matrix whose rows are distributions, made callable
    in a Gymnasium loop. Actions are drawn from a NumPy generator seeded with ``seed``: the
    same seed draws the same actions, and :meth:`reseed` starts the stream again.

    Attributes
    ----------
    probabilities : ndarray of float, shape (S, A)
        ``probabilities[s, a]``: the probability of action ``a`` in state ``s``.
    seed : int or None
        Seed of the generator the actions are drawn from (None: fresh entropy).

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> policy = rlf.StochasticPolicy(np.array([[0.5, 0.5], [0.0, 1.0]]), seed=0)
    >>> policy
    StochasticPolicy(n_states=2, n_actions=2, seed=0)
    >>> policy(1), policy.most_likely().tolist()
    (1, [0, 1])
    """

    probabilities: np.ndarray
    seed: int | None = 0
    _cumulative: np.ndarray = field(init=False, compare=False)
    _rng: np.random.Generator = field(init=False, compare=False)

    def __post_init__(self) -> None:
        probabilities = check_action_probabilities(self.probabilities, "probabilities")
        object.__setattr__(self, "probabilities", probabilities)
        object.__setattr__(self, "seed", check_optional_seed(self.seed))
        self._prepare()

    @classmethod
    def _from_checked(cls, probabilities: np.ndarray, seed: int | None) -> StochasticPolicy:
        """A policy of ``probabilities`` and ``seed`` its caller has checked (once).

        ``probabilities`` as :func:`check_action_probabilities` returns them: the
        constructor's check, not run a second time.
        """
        policy = object.__new__(cls)
        object.__setattr__(policy, "probabilities", probabilities)
        object.__setattr__(policy, "seed", seed)
        policy._prepare()
        return policy

    def _prepare(self) -> None:
        object.__setattr__(self, "_cumulative", np.cumsum(self.probabilities, axis=1))
        self.reseed()

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self.probabilities.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return int(self.probabilities.shape[1])

    def reseed(self, seed: int | None = None) -> None:
        """Start drawing again from ``seed`` (default: the policy's own ``seed``)."""
        seed = self.seed if seed is None else check_optional_seed(seed)
        object.__setattr__(self, "_rng", np.random.default_rng(seed))

    def __call__(self, obs) -> int:
        """An action drawn from the probabilities of state ``obs`` (an int in ``[0, S)``)."""
        if not is_int(obs):
            if isinstance(obs, np.ndarray) and obs.ndim == 0 and obs.dtype.kind in "iu":
                obs = int(obs)
            else:
                raise InvalidTypeError(
                    f"obs must be an int state index, got {type(obs).__name__} {obs!r}; "
                    f"a tabular policy needs a Discrete observation"
                )
        if not 0 <= obs < self.n_states:
            raise InvalidValueError(f"obs must be in [0, {self.n_states}), got {obs!r}")
        row = self._cumulative[obs]
        # Inverse-CDF sampling; the min guards a last cumulative sum a rounding below 1.
        drawn = np.searchsorted(row, self._rng.random() * row[-1], side="right")
        return int(min(drawn, self.n_actions - 1))

    def most_likely(self) -> np.ndarray:
        """The most likely action of every state (the lowest index among ties), shape (S,)."""
        return np.argmax(self.probabilities, axis=1)

    def __repr__(self) -> str:
        return (
            f"StochasticPolicy(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"seed={self.seed})"
        )


def _has_table(env: gym.Env) -> bool:
    """Whether :func:`from_env` reads the env's model: a ``P`` table, or Blackjack's rules."""
    base = env.unwrapped
    return isinstance(getattr(base, "P", None), dict) or type(base).__name__ == "BlackjackEnv"


def _to_compile(env: gym.Env) -> bool:
    """An env without a table whose state key is known (MiniGrid) is compiled."""
    return not _has_table(env) and default_state_key(env) is not None


def _bound_to(policy, env: gym.Env):
    """A :class:`CompiledPolicy` reads the state of the env it plays; anything else as is."""
    if isinstance(policy, CompiledPolicy) and isinstance(env, gym.Env):
        return policy.on(env)
    return policy


def solve(
    env_or_id: str | gym.Env | TabularMDP,
    gamma: float = 0.99,
    *,
    state_key: Callable[[gym.Env], Hashable] | None = None,
    time_in_state: bool = False,
    **make_kwargs: Any,
) -> GreedyPolicy:
    """Build the exact model of an env, solve it and return its optimal policy.

    A toy-text env (one with a ``P`` table, or Blackjack) is read by :func:`from_env`. An
    env without one that can be copied and steps deterministically is compiled by
    :func:`compile_env` from where it is now (MiniGrid by default, any other env given its
    ``state_key``), and the policy returned plays it live.

    Parameters
    ----------
    env_or_id : str, gymnasium.Env or TabularMDP
        An env id (``"Taxi-v3"``, ``"rlfoundations/Rick-v0"``, ...), an env (reset, for one
        to compile, with the seed whose layout you want), or a model already built.
    gamma : float
        Discount factor in [0, 1] (1 only for models that always end).
    state_key : callable, optional
        ``state_key(env) -> hashable``: compile the env with this state key (see
        :func:`compile_env`) even if it has a ``P`` table. MiniGrid envs need none.
    time_in_state : bool
        Compile the env with the steps since reset in the state (see :func:`compile_env`):
        exact for MiniGrid's own reward, which falls with the step count.
    **make_kwargs
        With an id: passed to ``gymnasium.make`` (``drunk=0.2``, ``is_slippery=True``, ...).

    Returns
    -------
    GreedyPolicy
        Greedy in the value-iteration solution (ties to the lowest action); holds the
        :class:`PlanningResult` and the model. For a compiled env, a
        :class:`CompiledPolicy`: ``policy(obs)`` reads the live env's state by its key, and
        :func:`evaluate` plays it in the env it is given.

    Raises
    ------
    TypeError, ValueError
        From :func:`from_env` (non-Discrete spaces, a wrapper it cannot read),
        :func:`compile_env` (an env that is not deterministic, or whose reward depends on
        something outside its state, as MiniGrid's step-count reward does) or
        :func:`value_iteration` (``gamma`` out of range); an id whose env has no ``P`` table
        (make it, reset it with a seed, and pass the env).

    See Also
    --------
    evaluate : run the policy in the real env.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> policy = rlf.solve("Taxi-v3")
    >>> env = rlf.make("Taxi-v3")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(policy(obs))

    A copyable env without ``P``: here FrozenLake compiled by its position, ``env.s``.

    >>> lake = rlf.make("FrozenLake-v1", is_slippery=False)
    >>> _ = lake.reset(seed=0)
    >>> policy = rlf.solve(lake, state_key=lambda env: int(env.unwrapped.s))
    >>> policy
    CompiledPolicy(n_states=16, n_actions=4, gamma=0.99, model='FrozenLake-v1')
    >>> rlf.evaluate(lake, policy, episodes=1).mean_length
    6.0
    """
    if isinstance(env_or_id, gym.Env) and (
        state_key is not None or time_in_state or _to_compile(env_or_id)
    ):
        return _solve_compiled(env_or_id, gamma, state_key, time_in_state, make_kwargs)
    if state_key is not None or time_in_state:
        raise InvalidTypeError(
            f"state_key and time_in_state are only accepted with an env to compile, not a "
            f"{type(env_or_id).__name__}: make the env, reset it with a seed and pass it"
        )
    if isinstance(env_or_id, TabularMDP):
        if make_kwargs:
            raise InvalidTypeError("make_kwargs are only accepted with an env id, not a TabularMDP")
        mdp = env_or_id
    else:
        mdp = _read_model(env_or_id, make_kwargs)
    result = value_iteration(mdp, gamma)
    return GreedyPolicy(actions=result.policy, result=result, mdp=mdp)


def _read_model(env_or_id, make_kwargs: dict) -> TabularMDP:
    """:func:`from_env`, but an id of an env to compile (MiniGrid) is refused with the way.

    Made fresh, which layout to compile is not known.
    """
    if not isinstance(env_or_id, str):
        return from_env(env_or_id, **make_kwargs)
    env = make(env_or_id, **make_kwargs)
    try:
        if _to_compile(env):
            raise InvalidValueError(
                f"{env_or_id!r} has no P table, and the model compiled from it depends on "
                f"the seed of its layout: make it, reset it and pass the env, as in "
                f"env = rlf.make({env_or_id!r}); env.reset(seed=0); rlf.solve(env)"
            )
        return from_env(env)
    finally:
        env.close()


def _solve_compiled(
    env: gym.Env, gamma: float, state_key, time_in_state, make_kwargs: dict
) -> CompiledPolicy:
    if make_kwargs:
        raise InvalidTypeError("make_kwargs are only accepted with an env id, not an env")
    gamma = check_gamma(gamma)  # before the compilation, which can take a while
    mdp = compile_env(env, state_key=state_key, time_in_state=time_in_state)
    # The key compile_env numbered the states by, read from the live env as it plays.
    key_of = state_key_of(env, state_key, time_in_state=bool(time_in_state))
    result = value_iteration(mdp, gamma)
    return CompiledPolicy(
        actions=result.policy,
        result=result,
        mdp=mdp,
        state_key=key_of,
        env=env,
        index={state: i for i, state in enumerate(mdp.states or ())},
    )


@dataclass(frozen=True, repr=False)
class EvaluationResult:
    """Episodes of a policy in a real env, and their summary statistics.

    Attributes
    ----------
    returns : ndarray of float, shape (episodes,)
        Undiscounted return of every episode.
    lengths : ndarray of int, shape (episodes,)
        Steps of every episode.
    wins : ndarray of bool, shape (episodes,)
        Whether each episode was won: ended by termination (not truncation) on a
        positive reward, as a Taxi drop-off, a Rick portal jump or a FrozenLake goal.
    truncated : ndarray of bool, shape (episodes,)
        Whether each episode was cut by the time limit (or by ``max_steps``).
    """

    returns: np.ndarray
    lengths: np.ndarray
    wins: np.ndarray
    truncated: np.ndarray

    @property
    def episodes(self) -> int:
        """Episodes played."""
        return int(self.returns.shape[0])

    @property
    def mean_return(self) -> float:
        """Mean undiscounted return."""
        return float(self.returns.mean())

    @property
    def std_error(self) -> float:
        """Standard error of ``mean_return``: sample std (ddof=1) / sqrt(episodes); 0 for one."""
        if self.episodes < 2:
            return 0.0
        return float(self.returns.std(ddof=1) / np.sqrt(self.episodes))

    @property
    def win_rate(self) -> float:
        """Fraction of episodes won."""
        return float(self.wins.mean())

    @property
    def mean_length(self) -> float:
        """Mean episode length in steps."""
        return float(self.lengths.mean())

    def __repr__(self) -> str:
        return (
            f"EvaluationResult(episodes={self.episodes}, mean_return={self.mean_return:.3f}, "
            f"std_error={self.std_error:.3f}, win_rate={self.win_rate:.3f}, "
            f"mean_length={self.mean_length:.1f})"
        )


#: Results whose ``policy`` is stationary: (S,) actions or (S, A) probabilities.
_STATIONARY_RESULTS = (
    PlanningResult,
    LearningResult,
    SoftResult,
    LinearProgrammingResult,
    AverageRewardResult,
)


def _as_policy(policy, n_states: int | None, seed: int | None) -> Callable[[int], int]:
    """``policy`` as a function of the observation.

    A callable as it is; an action array, a :class:`PlanningResult` or :class:`LearningResult`
    (their greedy ``policy``) as a table; an (S, A) array of action probabilities as a sampler
    seeded by ``seed``.
    """
    if isinstance(policy, _STATIONARY_RESULTS):
        policy = policy.policy
    elif isinstance(policy, StochasticPolicy):
        # Checked when it was made; drawn with evaluate's seed: same seed, same episodes.
        if n_states is not None and policy.n_states != n_states:
            raise InvalidValueError(
                f"policy must have shape (n_states,) or (n_states, n_actions) with "
                f"n_states = {n_states}, got {policy.probabilities.shape}"
            )
        return StochasticPolicy._from_checked(policy.probabilities, seed)
    elif callable(policy):
        return policy
    if not isinstance(policy, np.ndarray | list | tuple):
        raise InvalidTypeError(
            "policy must be callable as policy(obs), an array of actions, an (S, A) array of "
            f"action probabilities, a PlanningResult or a LearningResult, got "
            f"{type(policy).__name__}"
        )
    table = np.asarray(policy)
    if table.ndim not in (1, 2) or (n_states is not None and table.shape[0] != n_states):
        raise InvalidValueError(
            f"policy must have shape (n_states,) or (n_states, n_actions) with "
            f"n_states = {n_states}, got {table.shape}"
        )
    if table.ndim == 1:
        if table.dtype.kind not in "iu":
            raise InvalidTypeError(f"an action array must hold ints, got dtype {table.dtype}")
        actions = table.astype(np.int64)
        return lambda obs: int(actions[obs])
    return StochasticPolicy._from_checked(check_action_probabilities(table, "policy"), seed)


def evaluate(
    env: str | gym.Env,
    policy: Callable[[Any], int] | npt.ArrayLike | PlanningResult | LearningResult,
    episodes: int = 100,
    seed: int | None = 0,
    *,
    max_steps: int | None = None,
    **make_kwargs: Any,
) -> EvaluationResult:
    """Play ``episodes`` episodes of ``policy`` in the real env and score them.

    Parameters
    ----------
    env : str or gymnasium.Env
        The env, or its id (made with :func:`make`, so with its registered time limit).
    policy : callable, ndarray, StochasticPolicy or a result
        ``policy(obs) -> action`` (a :class:`GreedyPolicy`, or any function of the
        observation); an int array of shape (S,), the action of every state; a solver's or
        learner's result (its ``policy``: a :class:`PlanningResult`, :class:`LearningResult`,
        :class:`AverageRewardResult`, or the (S, A) policy of a :class:`SoftResult` or
        :class:`LinearProgrammingResult`); or an (S, A) array of action probabilities, or a
        :class:`StochasticPolicy`, from which each step's action is drawn (a NumPy
        generator seeded with ``seed``, not the policy's own, so the same seed replays the
        same episodes).
    episodes : int
        Episodes to play.
    seed : int, optional
        Seeds the first ``reset``; later episodes continue the env's random stream, so the
        same seed replays the same episodes.
    max_steps : int, optional
        Cut an episode after this many steps (counted as truncated). By default the env's
        own time limit is trusted, and an env without one is cut at 1000 steps.
    **make_kwargs
        With an id: passed to ``gymnasium.make``.

    Returns
    -------
    EvaluationResult
        Per-episode returns, lengths, wins and truncations, with ``mean_return``,
        ``std_error``, ``win_rate`` and ``mean_length``. An episode is a win when it ends
        by termination on a positive reward.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> policy = rlf.solve("rlfoundations/Rick-v0")
    >>> score = rlf.evaluate("rlfoundations/Rick-v0", policy, episodes=20, seed=0)
    >>> score.win_rate, score.episodes
    (1.0, 20)
    >>> import numpy as np
    >>> uniform = np.full((500, 6), 1 / 6)  # a random policy, as probabilities
    >>> rlf.evaluate("rlfoundations/Rick-v0", uniform, episodes=20, seed=0).win_rate < 1.0
    True
    """
    owned = isinstance(env, str)
    if owned:
        env = make(env, **make_kwargs)  # type: ignore[arg-type]
    elif make_kwargs:
        raise InvalidTypeError("make_kwargs are only accepted with an env id, not an env")
    elif not isinstance(env, gym.Env):
        raise InvalidTypeError(
            f"env must be an env id or a gymnasium.Env, got {type(env).__name__}"
        )
    try:
        space = env.observation_space
        n_states = int(space.n) if isinstance(space, gym.spaces.Discrete) else None
        policy = _as_policy(policy, n_states, check_optional_seed(seed))
        episodes = check_int("episodes", episodes)
        seed = check_optional_seed(seed)
        if seed is not None and seed < 0:  # Gymnasium's seeding takes non-negative ints only
            raise InvalidValueError(f"seed must be >= 0 or None, got {seed!r}")
        if max_steps is None:
            has_limit = getattr(getattr(env, "spec", None), "max_episode_steps", None)
            max_steps = None if has_limit else DEFAULT_MAX_STEPS
        else:
            max_steps = check_int("max_steps", max_steps)

        policy = _bound_to(policy, env)
        returns = np.zeros(episodes)
        lengths = np.zeros(episodes, dtype=np.int64)
        wins = np.zeros(episodes, dtype=bool)
        cut = np.zeros(episodes, dtype=bool)
        for episode in range(episodes):
            obs, _ = env.reset(seed=None if seed is None or episode else int(seed))
            total, steps, terminated, truncated, reward = 0.0, 0, False, False, 0.0
            while not (terminated or truncated):
                obs, reward, terminated, truncated, _ = env.step(policy(obs))  # type: ignore[assignment, operator]
                total += float(reward)
                steps += 1
                if max_steps is not None and steps >= max_steps and not terminated:
                    truncated = True
            returns[episode] = total
            lengths[episode] = steps
            wins[episode] = terminated and reward > 0
            cut[episode] = truncated and not terminated
        return EvaluationResult(returns=returns, lengths=lengths, wins=wins, truncated=cut)
    finally:
        if owned:
            env.close()
