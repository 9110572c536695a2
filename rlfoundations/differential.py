"""Average-reward learners: differential Q-learning and differential SARSA.

For continuing tasks, where no discount is natural: the learners estimate the average reward
per step (the *gain*, Sutton and Barto's R-bar) and action values relative to it. With

    delta = R - gain + Q(S', A') - Q(S, A)          (differential SARSA, section 10.3)
    delta = R - gain + max_a' Q(S', a') - Q(S, A)   (differential Q-learning, Wan, Naik and
                                                     Sutton, 2021)

each step moves ``Q(S, A) += alpha * delta`` and ``gain += eta * alpha * delta``. There is no
``gamma``.

Episodes: a continuing model has none. On a model with terminated outcomes, an ended episode
restarts one from ``mdp.initial`` and the learning goes on through the restart (the update
bootstraps from the restart state), which is how :mod:`rlfoundations.average` solves such a
model: the reward per step over endlessly repeated episodes. The time limit
(``mdp.max_episode_steps``) is ignored: it is no part of the average-reward problem. The
stretches between restarts are recorded as episodes.

The calls share the other learners' engine (:mod:`rlfoundations.batch`); the kernels live in
:mod:`rlfoundations._kernels.differential`, the pure-Python twins in
:mod:`rlfoundations.reference.differential`.
"""

from __future__ import annotations

from typing import Literal

import gymnasium

from rlfoundations.batch import Progress
from rlfoundations.learning import _learn
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult
from rlfoundations.schedules import Schedule

__all__ = ["differential_q_learning", "differential_sarsa"]


def differential_q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    eta: float = 1.0,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Differential Q-learning: off-policy control for the average reward (no discount).

    Each step, with ``delta = r - gain + max_a' Q(s', a') - Q(s, a)``, moves
    ``Q(s, a) += alpha * delta`` and ``gain += eta * alpha * delta`` (Wan, Naik and Sutton,
    2021, the tabular algorithm). On a weakly communicating model (one optimal gain), with
    enough exploration and small steps, ``gain`` tends to the optimal gain and the greedy
    policy to a gain-optimal one.

    Parameters
    ----------
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel as one continuing stream of experience (it
        starts from ``mdp.initial``; a terminated outcome restarts from ``mdp.initial``; the
        time limit is ignored); or a live env with Discrete spaces, stepped in Python (slow).
    n_steps : int
        Environment steps to take (> 0).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Step size of the action values, in (0, 1] throughout (constant, linear or
        exponential: the gain has no visit count, so there is no visit-count schedule).
    eta : float
        The gain's step size is ``eta * alpha`` (> 0). Sutton and Barto's beta is
        ``eta * alpha``: their example 10.2 (alpha = beta = 0.01) is ``eta=1``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact gain of the
        current greedy policy from every state (Puterman's multichain evaluation, a dense
        S x S solve): ``result.curve_steps``, ``result.curve_values``; compare with the
        optimal gain of :func:`rlfoundations.relative_value_iteration`.
    record_episodes : bool
        True (default): keep the return and length of every stretch between restarts
        (``result.episode_returns``, ``result.episode_lengths``; none on a model that never
        terminates). False: keep only the last 100 of them and running summaries.
    progress : callable or bool, optional
        ``progress(steps_done, n_steps)``, called as the run advances in chunks (about
        4 million steps each); ``True`` draws a text bar on stderr.
    on_interrupt : {"raise", "return"}
        What Ctrl-C (``KeyboardInterrupt``) does: propagate, or end the run between chunks
        and return what it learned so far, with ``result.interrupted`` set.

    Returns
    -------
    LearningResult
        ``q_values`` (differential action values), greedy ``policy``, the learned ``gain``
        (average reward per step), ``total_steps``, ``gamma`` NaN (none), the episode
        records and the learning curve if asked.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.differential.differential_q_learning` (the loop
    ``differential``; ``differential_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.differential_q_learning``.

    References
    ----------
    Y. Wan, A. Naik and R. S. Sutton, "Learning and planning in average-reward Markov decision
    processes", ICML 2021.

    Examples
    --------
    The machine of :func:`rlfoundations.relative_value_iteration`, whose optimal gain is
    9/13 (maintain while working):

    >>> import rlfoundations as rlf
    >>> machine = rlf.TabularMDP.from_dense(
    ...     P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]],
    ...     R=[[1.0, 0.8], [-2.0, -2.0]],
    ... )
    >>> result = rlf.differential_q_learning(
    ...     machine, n_steps=200_000, seed=0, alpha=0.001, eta=0.1, epsilon=0.2
    ... )
    >>> int(result.policy[0]), bool(abs(result.gain - 9 / 13) < 0.02)  # maintain; optimal
    (1, True)
    """
    return _learn(
        "differential_q_learning",
        mdp,
        gamma=None,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        eta=eta,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def differential_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    eta: float = 1.0,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Differential SARSA: on-policy control for the average reward (no discount).

    Sutton and Barto's differential semi-gradient SARSA (section 10.3), tabular: each step,
    with ``a'`` the next behaviour action and ``delta = r - gain + Q(s', a') - Q(s, a)``,
    moves ``gain += eta * alpha * delta`` and ``Q(s, a) += alpha * delta``. Being on-policy,
    ``gain`` estimates the average reward of the behaviour (epsilon-greedy) policy, below
    the optimal gain by what exploration costs.

    Parameters
    ----------
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel as one continuing stream of experience (it
        starts from ``mdp.initial``; a terminated outcome restarts from ``mdp.initial``; the
        time limit is ignored); or a live env with Discrete spaces, stepped in Python (slow).
    n_steps : int
        Environment steps to take (> 0).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Step size of the action values, in (0, 1] throughout (constant, linear or
        exponential: the gain has no visit count, so there is no visit-count schedule).
    eta : float
        The gain's step size is ``eta * alpha`` (> 0). Sutton and Barto's beta is
        ``eta * alpha``: their example 10.2 (alpha = beta = 0.01) is ``eta=1``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact gain of the
        current greedy policy from every state (Puterman's multichain evaluation, a dense
        S x S solve): ``result.curve_steps``, ``result.curve_values``; compare with the
        optimal gain of :func:`rlfoundations.relative_value_iteration`.
    record_episodes : bool
        True (default): keep the return and length of every stretch between restarts
        (``result.episode_returns``, ``result.episode_lengths``; none on a model that never
        terminates). False: keep only the last 100 of them and running summaries.
    progress : callable or bool, optional
        ``progress(steps_done, n_steps)``, called as the run advances in chunks (about
        4 million steps each); ``True`` draws a text bar on stderr.
    on_interrupt : {"raise", "return"}
        What Ctrl-C (``KeyboardInterrupt``) does: propagate, or end the run between chunks
        and return what it learned so far, with ``result.interrupted`` set.

    Returns
    -------
    LearningResult
        ``q_values`` (differential action values), greedy ``policy``, the learned ``gain``
        (average reward per step), ``total_steps``, ``gamma`` NaN (none), the episode
        records and the learning curve if asked.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.differential.differential_sarsa` (the loop
    ``differential``; ``differential_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.differential_sarsa``.

    References
    ----------
    R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 2018,
    section 10.3 and example 10.2 (an access-control queuing task).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> machine = rlf.TabularMDP.from_dense(
    ...     P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]],
    ...     R=[[1.0, 0.8], [-2.0, -2.0]],
    ... )
    >>> result = rlf.differential_sarsa(
    ...     machine, n_steps=200_000, seed=0, alpha=0.001, eta=0.1, epsilon=0.2
    ... )
    >>> int(result.policy[0]), bool(result.gain < 9 / 13)  # exploring earns less
    (1, True)
    """
    return _learn(
        "differential_sarsa",
        mdp,
        gamma=None,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        eta=eta,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
