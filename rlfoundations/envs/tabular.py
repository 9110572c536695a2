"""TabularEnv: a Gymnasium env that samples a :class:`~rlfoundations.TabularMDP`.

The way back from a model to Gymnasium (``mdp.to_env()``): any library that trains on
Gymnasium envs then trains on the exact model, and its policy is scored exactly with the
model's solvers. The env reads the model's arrays only; it keeps the toy-text conventions
(``P``, ``initial_state_distrib``, ``info["prob"]``), so :func:`rlfoundations.from_env`
reads the same model back.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rlfoundations._validate import check_mdp
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP

__all__ = ["TabularEnv", "problem_env"]


class TabularEnv(gym.Env):
    """A Gymnasium env whose dynamics are a :class:`~rlfoundations.TabularMDP`.

    ## Description
    Each step samples one outcome slot of ``(state, action)`` with probability
    ``mdp.prob[state, action, k]`` and returns its next state, reward and termination.

    ## Action Space
    ``Discrete(mdp.n_actions)``.

    ## Observation Space
    ``Discrete(mdp.n_states)``: the state index (``mdp.decode(state)`` names its factors).

    ## Starting State
    Drawn from ``mdp.initial``.

    ## Rewards
    The reward of the sampled outcome.

    ## Episode End
    An outcome with ``terminated`` set ends the episode. The model's time limit
    (``max_episode_steps``) is applied by :meth:`TabularMDP.to_env` or by ``gymnasium.make``
    as a ``TimeLimit`` wrapper, not here.

    ## Information
    ``prob``: the probability of the sampled outcome (1.0 at reset), and ``action_mask``: an
    int8 array of the actions allowed in the new state, present when the model has a
    non-trivial ``action_mask`` (the whole (S, A) mask is the env's ``action_mask``
    attribute, None otherwise).

    ## Arguments
    ``mdp``: the model; ``render_mode``: None or ``"ansi"`` (the state and its factors as text).

    Parameters
    ----------
    mdp : TabularMDP
        The model to sample.
    render_mode : {None, "ansi"}
        ``"ansi"``: :meth:`render` returns the current state as a line of text.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> from rlfoundations.envs.tabular import TabularEnv
    >>> env = TabularEnv(rlf.problems.random_walk())
    >>> state, info = env.reset(seed=0)
    >>> state, info
    (3, {'prob': 1.0})
    >>> len(env.P[3][0])
    2
    """

    # Gymnasium declares ``metadata`` an instance attribute; here it is the class's, as in its envs.
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}  # type: ignore[misc]

    def __init__(self, mdp: TabularMDP, render_mode: str | None = None) -> None:
        mdp = check_mdp(mdp)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InvalidValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        self.mdp = mdp
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(mdp.n_states)
        self.action_space = spaces.Discrete(mdp.n_actions)
        self.initial_state_distrib = np.array(mdp.initial)
        self._initial_cumulative = np.cumsum(mdp.initial)
        self._last_initial = int(np.flatnonzero(mdp.initial > 0)[-1])
        # Cumulative outcome probabilities per (state, action), for sampling by one draw.
        self._cumulative = np.cumsum(mdp.prob, axis=2)
        mask = getattr(mdp, "action_mask", None)
        #: The model's allowed actions, shape (S, A) bool, or None when every action is allowed.
        self.action_mask = None if mask is None or np.all(mask) else np.array(mask, dtype=bool)
        self._action_mask = None if self.action_mask is None else self.action_mask.astype(np.int8)
        # Python lists once (indexing NumPy scalars entry by entry is several times slower).
        prob, target = mdp.prob.tolist(), mdp.next_state.tolist()
        reward, done = mdp.reward.tolist(), mdp.terminated.tolist()
        self.P = {
            s: {
                a: [
                    outcome
                    for outcome in zip(
                        prob[s][a], target[s][a], reward[s][a], done[s][a], strict=True
                    )
                    if outcome[0] > 0
                ]
                for a in range(mdp.n_actions)
            }
            for s in range(mdp.n_states)
        }
        self.s = 0
        self.lastaction: int | None = None

    def _info(self, prob: float) -> dict:
        info: dict[str, Any] = {"prob": prob}
        if self._action_mask is not None:
            info["action_mask"] = self._action_mask[self.s].copy()
        return info

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        """Start an episode from ``mdp.initial``; ``info`` has ``prob`` (and the action mask)."""
        super().reset(seed=seed)
        draw = np.searchsorted(self._initial_cumulative, self.np_random.random(), "right")
        self.s = int(min(draw, self._last_initial))  # type: ignore[call-overload]
        self.lastaction = None
        return self.s, self._info(1.0)

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        """Take ``action``: draw one of its outcomes in the model; ``truncated`` is always False."""
        if not self.action_space.contains(action):
            raise InvalidValueError(
                f"action must be an int in [0, {self.mdp.n_actions}), got {action!r}"
            )
        state, action = self.s, int(action)
        k = int(np.searchsorted(self._cumulative[state, action], self.np_random.random(), "right"))
        # Rounding can leave the last cumulative sum a hair under 1: take the last used slot.
        k = min(k, int(np.flatnonzero(self.mdp.prob[state, action] > 0)[-1]))
        self.s = int(self.mdp.next_state[state, action, k])
        self.lastaction = action
        reward = float(self.mdp.reward[state, action, k])
        terminated = bool(self.mdp.terminated[state, action, k])
        return self.s, reward, terminated, False, self._info(float(self.mdp.prob[state, action, k]))

    def render(self) -> str | None:
        """The current state as text (ansi), with its decoded factors and the last action."""
        if self.render_mode is None:
            gym.logger.warn("render() was called with render_mode=None; nothing to render")
            return None
        factors = ""
        if self.mdp.factors is not None:
            named = ", ".join(f"{k}={v}" for k, v in self.mdp.decode(self.s).items())
            factors = f" ({named})"
        action = "" if self.lastaction is None else f" after action {self.lastaction}"
        return f"state {self.s}{factors}{action}\n"


def problem_env(problem: str, render_mode: str | None = None, **params: Any) -> TabularEnv:
    """The env of the problem named ``problem`` (see :mod:`rlfoundations.problems`).

    Built with ``params``: the entry point of every registered ``rlfoundations/<Name>-v0``.

    Examples
    --------
    >>> import gymnasium as gym
    >>> import rlfoundations  # registers the problems
    >>> env = gym.make("rlfoundations/Forest-v0", S=5)
    >>> env.observation_space, env.spec.max_episode_steps
    (Discrete(5), 1000)
    """
    from rlfoundations.problems import get_problem

    return TabularEnv(get_problem(problem)(**params), render_mode=render_mode)
