"""n-step learners: n-step SARSA (Sutton and Barto, section 7.2).

The pair of step tau moves towards the n-step return
``R_{tau+1} + gamma R_{tau+2} + ... + gamma^(n-1) R_{tau+n} + gamma^n Q(S_{tau+n}, A_{tau+n})``,
cut at the episode's end (a terminated end adds nothing after it; a time limit bootstraps).
The calls share the other learners' engine (:mod:`rlfoundations.batch`); the kernel lives in
:mod:`rlfoundations._kernels.nstep`, the pure-Python twin in :mod:`rlfoundations.reference.nstep`.
"""

from __future__ import annotations

from typing import Literal

import gymnasium

from rlfoundations.batch import Progress
from rlfoundations.learning import _learn
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult
from rlfoundations.schedules import Schedule

__all__ = ["n_step_sarsa"]


def n_step_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    n: int = 4,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """n-step SARSA: on-policy TD control towards n-step returns (Sutton and Barto, 7.2).

    After each step, the pair of n steps earlier moves towards
    ``G = R_1 + gamma R_2 + ... + gamma^(n-1) R_n + gamma^n Q(S_n, A_n)``; when an episode
    ends, the pairs of its last n steps are updated with returns cut at the end.

    Parameters
    ----------
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel (episodes start from ``mdp.initial``, end on a
        terminated outcome or after ``mdp.max_episode_steps``); or a live env with Discrete
        spaces, stepped in Python (slow).
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps to take (> 0).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Learning rate, in (0, 1] throughout (constant, linear or exponential: one step
        updates every traced pair, so there is no visit-count schedule).
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    n : int
        Steps of the return (>= 1); ``n=1`` is SARSA, bit for bit.
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact values of the
        current greedy policy on the model: ``result.curve_steps``, ``result.curve_values``.
    record_episodes : bool
        True (default): keep the return and length of every finished episode
        (``result.episode_returns``, ``result.episode_lengths``), memory growing with the
        episodes finished. False: keep only the last 100 of them and running summaries
        (``result.n_episodes``, ``result.mean_return``, ``result.mean_length``), so memory
        does not depend on ``n_steps``.
    progress : callable or bool, optional
        ``progress(steps_done, n_steps)``, called as the run advances in chunks (about
        4 million steps each); ``True`` draws a text bar on stderr.
    on_interrupt : {"raise", "return"}
        What Ctrl-C (``KeyboardInterrupt``) does: propagate, or end the run between chunks
        and return what it learned so far, with ``result.interrupted`` set.

    Returns
    -------
    LearningResult
        ``q_values``, greedy ``policy``, per-episode ``episode_returns`` and
        ``episode_lengths`` (or the last 100 and summaries), ``total_steps``, and the
        learning curve if asked.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.nstep.n_step_sarsa` (the loop ``nstep``;
    ``nstep_batch`` in a sweep); reference twin: ``rlfoundations.reference.n_step_sarsa``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.n_step_sarsa(mdp, gamma=0.9, n_steps=20_000, seed=0, n=3)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.9).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)
    True
    """
    return _learn(
        "n_step_sarsa",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        n=n,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
