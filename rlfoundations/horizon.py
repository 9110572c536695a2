"""Finite-horizon problems: backward induction, exact in ``horizon`` Bellman sweeps.

With a horizon of ``T`` decisions, the optimal value of being in state ``s`` at time ``t``
depends on the steps left, so values and policies are indexed by time (Puterman, *Markov
Decision Processes*, 1994, section 4.5):

    V_T = terminal_values,   V_t(s) = max_a [R(s, a) + gamma * sum_s' P(s' | s, a) V_{t+1}(s')]

Outcomes that end the episode contribute their reward only. The recursion is exact after its
``T`` sweeps: nothing is iterated to convergence, so no stopping rule or bound applies.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rlfoundations._kernels import horizon as _kernels
from rlfoundations._kernels.layout import masked_rewards
from rlfoundations._validate import check_count, check_gamma, check_mdp
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import FiniteHorizonResult

__all__ = ["backward_induction"]


def _check_horizon(mdp: TabularMDP, horizon) -> int:
    if isinstance(horizon, str):
        if horizon != "max_episode_steps":
            raise InvalidValueError(
                f"horizon must be an int > 0 or 'max_episode_steps', got {horizon!r}"
            )
        if mdp.max_episode_steps is None:
            raise InvalidValueError(
                "horizon='max_episode_steps', but this model has no time limit "
                "(mdp.max_episode_steps is None); pass an int horizon"
            )
        return mdp.max_episode_steps
    return check_count("horizon", horizon)


def _check_terminal_values(mdp: TabularMDP, terminal_values) -> np.ndarray:
    if terminal_values is None:
        return np.zeros(mdp.n_states)
    array = np.asarray(terminal_values)
    if array.dtype.kind not in "fiu":
        raise InvalidTypeError(f"terminal_values must hold numbers, got dtype {array.dtype}")
    if array.shape != (mdp.n_states,):
        raise InvalidValueError(
            f"terminal_values must have shape ({mdp.n_states},), got {array.shape}"
        )
    finite = np.isfinite(array)
    if not finite.all():
        s = int(np.argmin(finite))
        raise InvalidValueError(f"terminal_values[{s}] = {array[s]} is not finite (state={s})")
    return np.array(array, dtype=np.float64)


def backward_induction(
    mdp: TabularMDP,
    horizon: int | str,
    *,
    gamma: float = 1.0,
    terminal_values: npt.ArrayLike | None = None,
) -> FiniteHorizonResult:
    """Solve ``mdp`` over a finite horizon, exactly, by backward induction.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    horizon : int or "max_episode_steps"
        Number of decisions ``T``; ``"max_episode_steps"`` takes the model's own time limit
        (a time-limited Taxi solved for the 200 steps it really has).
    gamma : float
        Discount factor in [0, 1] of every step (1, undiscounted, is the usual choice).
    terminal_values : array_like, shape (S,), optional
        Values of the states the horizon ends in (salvage values); zeros by default.

    Returns
    -------
    FiniteHorizonResult
        ``values`` (T + 1, S), ``q_values`` (T, S, A) and the time-dependent greedy
        ``policy`` (T, S), lowest index on ties.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.horizon.backward_induction`, ``T`` sweeps of
    ``S * A * K`` backups each. Time ``t`` counts decisions made, as in QuantEcon's
    ``backward_induction`` (``values[0]`` is the start); pymdptoolbox's ``FiniteHorizon``
    stores the same numbers as ``V[:, t]``.

    Examples
    --------
    A machine that pays 1 per step while it runs (action 0) or can be switched off for a
    salvage of 3 (action 1). Running pays more until the last step, where the salvage wins.

    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> mdp = rlf.TabularMDP(
    ...     next_state=[[[0], [0]]], prob=[[[1.0], [1.0]]], reward=[[[1.0], [3.0]]],
    ...     terminated=[[[False], [True]]], initial=[1.0],
    ... )
    >>> result = rlf.backward_induction(mdp, horizon=5)
    >>> result.values[:, 0]
    array([7., 6., 5., 4., 3., 0.])
    >>> result.policy[:, 0]
    array([0, 0, 0, 0, 1])
    """
    mdp = check_mdp(mdp)
    horizon = _check_horizon(mdp, horizon)
    gamma = check_gamma(gamma)
    values = np.empty((horizon + 1, mdp.n_states))
    values[horizon] = _check_terminal_values(mdp, terminal_values)
    q_values = np.empty((horizon, mdp.n_states, mdp.n_actions))
    policy = np.empty((horizon, mdp.n_states), dtype=np.int64)
    _kernels.backward_induction(
        mdp.successor,
        mdp.continue_prob,
        masked_rewards(mdp.expected_reward, mdp.action_mask),
        gamma,
        values,
        q_values,
        policy,
    )
    return FiniteHorizonResult(
        values=values, q_values=q_values, policy=policy, horizon=horizon, gamma=gamma
    )
