"""Monte Carlo control: Q learned from whole episodes (Sutton and Barto, chapter 5).

:func:`monte_carlo_control` keeps the control learners' calling convention and result
(``q_values``, ``policy``, exact learning curves of the greedy policy with ``eval_every``),
and runs on the prediction learners' driver (:mod:`rlfoundations.prediction`): chunks for
``progress`` and Ctrl-C, growing episode and path buffers, bit for bit resumable.

Action masks: on a masked model every method honours ``action_mask``: exploring starts
start only from allowed (state, action) pairs, epsilon-greedy (on-policy, and the off-policy
behaviour, whose b(a | s) counts the allowed actions alone) explores among the allowed
actions, and the greedy choices and the off-policy target range over them; masked entries of
``q_values`` are ``-inf``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import numpy as np

from rlfoundations._kernels import monte_carlo as _kernels
from rlfoundations._validate import check_fraction, check_gamma, check_seed, is_number
from rlfoundations.batch import INITIAL_PATH_CAPACITY, Progress, greedy_values
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.prediction import _axis, _check_common, _common_state, _drive
from rlfoundations.results import LearningResult, SweepResult

__all__ = ["monte_carlo_control", "monte_carlo_control_sweep"]

METHODS = {
    "exploring_starts": _kernels.EXPLORING_STARTS,
    "on_policy": _kernels.ON_POLICY,
    "off_policy": _kernels.OFF_POLICY,
}


def _run_control(mdp: TabularMDP, method: str, points: list[dict], n_steps: int, **options):
    checked = [
        (check_seed(p["seed"]), check_gamma(p["gamma"]), check_fraction("epsilon", p["epsilon"]))
        for p in points
    ]
    n_runs, n_states, n_actions = len(points), mdp.n_states, mdp.n_actions
    settings = _kernels.ControlSettings(
        METHODS[method],
        np.array([c[2] for c in checked]),
        np.array([c[1] for c in checked]),
    )
    path = min(n_steps, mdp.max_episode_steps or n_steps, INITIAL_PATH_CAPACITY)
    common = _common_state(checked, n_steps)
    q_values = np.zeros((n_runs, n_states, n_actions))
    if mdp.action_mask is not None:
        # Masked pairs hold -inf: greedy choices, the target and the policy skip them.
        q_values[:, ~mdp.action_mask] = -np.inf
    state = _kernels.ControlState(
        q_values=q_values,
        weights=np.zeros((n_runs, n_states, n_actions)),
        first=np.full((n_runs, n_states * n_actions), -1, dtype=np.int64),
        path_state=np.zeros((n_runs, path), dtype=np.int64),
        path_action=np.zeros((n_runs, path), dtype=np.int64),
        path_reward=np.zeros((n_runs, path)),
        path_prob=np.zeros((n_runs, path)),
        **common,
    )

    def measure(state, run: int) -> np.ndarray:
        policy = np.argmax(state.q_values[run], axis=1)
        return greedy_values(mdp, policy, float(settings.gamma[run]))

    def wrap(state, fields, curve, summaries) -> SweepResult:
        q_values = state.q_values.copy()
        return SweepResult(
            q_values=q_values,
            policy=np.argmax(q_values, axis=2),
            curve_values=curve,
            record_episodes=not summaries,
            **summaries,
            **fields,
        )

    kernels = (_kernels.monte_carlo_control, _kernels.monte_carlo_control_batch)
    return _drive(
        mdp,
        None,
        kernels,
        settings,
        state,
        ("epsilon", "gamma"),
        checked,
        points,
        n_steps,
        algorithm="monte_carlo_control",
        measure=measure,
        wrap=wrap,
        **options,
    )


def check_method(method) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    return method


def sweep_points(method, gamma, epsilon, seeds) -> list[dict]:
    """The grid points of a sweep, ``gamma`` x ``epsilon`` x seeds (fastest), checked."""
    check_method(method)
    seed_axis = [seeds] if is_number(seeds) else _axis("seeds", seeds)
    points = [
        {"gamma": g, "epsilon": e, "seed": seed}
        for g, e, seed in itertools.product(
            _axis("gamma", gamma), _axis("epsilon", epsilon), seed_axis
        )
    ]
    for p in points:
        check_seed(p["seed"]), check_gamma(p["gamma"]), check_fraction("epsilon", p["epsilon"])
    return points


def run_sweep(mdp: TabularMDP, method: str, points: list[dict], n_steps: int, **options):
    """The runs of ``points`` (:func:`sweep_points`), in parallel: a :class:`SweepResult`."""
    return _run_control(mdp, method, points, n_steps, **options)


def monte_carlo_control(
    mdp: TabularMDP,
    gamma: float,
    n_steps: int,
    *,
    method: Literal["exploring_starts", "on_policy", "off_policy"] = "exploring_starts",
    epsilon: float = 0.1,
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Learn Q and a greedy policy from whole episodes: Monte Carlo control.

    Sutton and Barto, chapter 5. At an episode's end, backwards from its last step,
    G <- gamma G + R_{t+1}, and:

    - ``"exploring_starts"`` (section 5.3): every episode's first action is uniformly random,
      the rest greedy in Q (ties broken at random); at the first visit of (S_t, A_t),
      N += 1, Q(S_t, A_t) += (G - Q(S_t, A_t)) / N;
    - ``"on_policy"`` (section 5.4): epsilon-greedy actions, the same first-visit averages;
    - ``"off_policy"`` (section 5.7): epsilon-greedy behaviour b, greedy target; at every
      visit, C += W, Q(S_t, A_t) += W / C (G - Q(S_t, A_t)), then stop unless A_t is greedy
      (lowest index) in the updated Q(S_t, .), else W <- W / b(A_t | S_t).

    A truncated episode (the model's time limit) is recorded, not learned from: its return
    is incomplete. On a masked model, "every action" means every allowed one: exploring
    starts, exploration and the greedy choices range over the allowed actions only.

    Parameters
    ----------
    mdp : TabularMDP
        The model, simulated inside the kernel.
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps.
    method : {"exploring_starts", "on_policy", "off_policy"}
        Which of the book's three boxes.
    epsilon : float
        Exploration rate in [0, 1] of the epsilon-greedy behaviour (not exploring starts).
    seed : int
        Seed of the random stream, in [0, 2**64).
    eval_every : int, optional
        Exact values of the greedy policy every this many steps (``result.curve_values``).
    record_episodes, progress, on_interrupt
        As in :func:`rlfoundations.q_learning`.

    Returns
    -------
    LearningResult
        ``q_values``, ``policy`` (greedy, lowest index on ties), episode records, curve.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.monte_carlo.monte_carlo_control`; twin:
    :func:`rlfoundations.reference.monte_carlo_control` (bit-identical for the same seed).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("Blackjack-v1")
    >>> result = rlf.monte_carlo_control(mdp, 1.0, 200_000, seed=0)
    >>> stick_on_20 = mdp.encode(player_sum=20, dealer_card=10, usable_ace=0, natural=0)
    >>> int(result.policy[stick_on_20])  # 0 sticks
    0
    """
    mdp, n_steps, eval_every, progress, on_interrupt = _check_common(
        mdp, n_steps, eval_every, record_episodes, progress, on_interrupt
    )
    check_method(method)
    result = _run_control(
        mdp,
        method,
        [{"gamma": gamma, "epsilon": epsilon, "seed": seed}],
        n_steps,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
    return result.run(0)


def monte_carlo_control_sweep(
    mdp: TabularMDP,
    *,
    gamma: float | Sequence[float],
    n_steps: int,
    seeds: int | Sequence[int],
    method: Literal["exploring_starts", "on_policy", "off_policy"] = "exploring_starts",
    epsilon: float | Sequence[float] = 0.1,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> SweepResult:
    """Run :func:`monte_carlo_control` over a grid of seeds x ``gamma`` x ``epsilon``, in parallel.

    Parameters
    ----------
    mdp, n_steps, method, eval_every, record_episodes, progress, on_interrupt
        As in :func:`monte_carlo_control`.
    gamma, epsilon
        As in :func:`monte_carlo_control`; either may be a list, an axis of the grid.
    seeds : int or sequence of int
        Seeds, the fastest-varying axis of the grid.

    Returns
    -------
    SweepResult
        Stacked arrays, runs first; ``result.run(i)`` equals the same run made alone.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("Blackjack-v1")
    >>> result = rlf.monte_carlo_control_sweep(mdp, gamma=1.0, n_steps=10_000, seeds=range(3))
    >>> result.q_values.shape
    (3, 1408, 2)
    """
    mdp, n_steps, eval_every, progress, on_interrupt = _check_common(
        mdp, n_steps, eval_every, record_episodes, progress, on_interrupt
    )
    points = sweep_points(method, gamma, epsilon, seeds)
    return _run_control(
        mdp,
        method,
        points,
        n_steps,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
