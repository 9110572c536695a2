"""Eligibility-trace learners: Sarsa(lambda) and Watkins's Q(lambda) (Sutton and Barto, ch. 12).

Tabular, one trace per state-action pair, cleared at every episode start. Each step computes
the TD error ``delta = r + gamma * Q(s', a*) - Q(s, a)`` (``r - Q(s, a)`` on a terminated
transition; a truncated one bootstraps), raises the trace of (s, a) (accumulating ``E += 1``,
replacing ``E = 1``, or dutch ``E = (1 - alpha) E + 1``), moves every pair
``Q += alpha * delta * E``, then decays every trace ``E *= gamma * lambda``. Sarsa(lambda)
bootstraps from the next behaviour action a' (a* = a'); Watkins's Q(lambda) from a greedy one
(a* = a' when a' ties for the maximum) and cuts every trace to 0 after an exploratory a'.

Action masks are honoured as by the other learners: the behaviour explores among the allowed
actions, a* is the maximum over them, and masked entries of ``q_values`` are ``-inf``.

The calls share the other learners' engine (:mod:`rlfoundations.batch`: ``progress``,
Ctrl-C, ``eval_every``, ``record_episodes``, :func:`rlfoundations.sweep`); the kernels live in
:mod:`rlfoundations._kernels.traces`, the pure-Python twins in
:mod:`rlfoundations.reference.traces`.
"""

from __future__ import annotations

from typing import Literal

import gymnasium

from rlfoundations._kernels import traces as _kernels
from rlfoundations.batch import Progress
from rlfoundations.learning import _learn
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult
from rlfoundations.schedules import Schedule

__all__ = ["sarsa_lambda", "watkins_q_lambda"]

#: The kernels behind the learners (for the layout check that every one has a twin).
KERNELS = (_kernels.sarsa_lambda, _kernels.watkins_q_lambda)


def sarsa_lambda(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    lam: float = 0.9,
    trace: Literal["accumulating", "replacing", "dutch"] = "accumulating",
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Sarsa(lambda): on-policy TD control with eligibility traces (Sutton and Barto, 12.7).

    ``delta = r + gamma * Q(s', a') - Q(s, a)`` with a' the next behaviour action; every
    pair moves ``alpha * delta * E(s, a)``, and every trace decays by ``gamma * lam``.

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
    lam : float
        Trace decay lambda, in [0, 1]: 0 is one-step SARSA, 1 the Monte Carlo limit.
    trace : {"accumulating", "replacing", "dutch"}
        How the visited pair's trace rises: ``E += 1``, ``E = 1``, or
        ``E = (1 - alpha) * E + 1`` (Sutton and Barto, sections 12.3 and 12.5).
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
    Kernel: :func:`rlfoundations._kernels.traces.sarsa_lambda` (the loop ``traces``;
    ``traces_batch`` in a sweep); reference twin: ``rlfoundations.reference.sarsa_lambda``.
    The dutch trace here is used with the ordinary Sarsa(lambda) update, not true online
    Sarsa(lambda)'s extra terms.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.sarsa_lambda(mdp, gamma=0.9, n_steps=20_000, seed=0, trace="replacing")
    >>> optimal = rlf.value_iteration(mdp, gamma=0.9).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)
    True
    """
    return _learn(
        "sarsa_lambda",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        lam=lam,
        trace=trace,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def watkins_q_lambda(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    lam: float = 0.9,
    trace: Literal["accumulating", "replacing", "dutch"] = "accumulating",
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Watkins's Q(lambda): off-policy TD control, traces cut after exploratory actions (12.10).

    ``delta = r + gamma * max_a' Q(s', a') - Q(s, a)``; every pair moves
    ``alpha * delta * E(s, a)``; traces decay by ``gamma * lam`` while the next action is
    greedy, and are all set to 0 after an exploratory one.

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
    lam : float
        Trace decay lambda, in [0, 1]: 0 is one-step Q-learning, 1 the Monte Carlo limit.
    trace : {"accumulating", "replacing", "dutch"}
        How the visited pair's trace rises: ``E += 1``, ``E = 1``, or
        ``E = (1 - alpha) * E + 1`` (Sutton and Barto, sections 12.3 and 12.5).
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
    Kernel: :func:`rlfoundations._kernels.traces.watkins_q_lambda` (the loop ``traces``;
    ``traces_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.watkins_q_lambda``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.watkins_q_lambda(mdp, gamma=0.9, n_steps=20_000, seed=0, lam=0.8)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.9).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)
    True
    """
    return _learn(
        "watkins_q_lambda",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        lam=lam,
        trace=trace,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
