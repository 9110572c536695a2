"""n-step learners: n-step SARSA, tree backup and Q(sigma) (Sutton and Barto, chapter 7).

After each step, the pair of step tau (n steps earlier) moves towards an n-step return, cut
at the episode's end (a terminated end adds nothing after it; a time limit bootstraps):

- n-step SARSA (section 7.2), the sampled return
  ``R_{tau+1} + gamma R_{tau+2} + ... + gamma^(n-1) R_{tau+n} + gamma^n Q(S_{tau+n}, A_{tau+n})``;
- n-step tree backup (section 7.5), which follows the actions taken but weighs each by its
  target probability and adds the expected value of the others:
  ``G_{k-1} = R_k + gamma [sum_{a != A_k} pi(a | S_k) Q(S_k, a) + pi(A_k | S_k) G_k]``, ending
  in ``R_h + gamma sum_a pi(a | S_h) Q(S_h, a)``;
- n-step Q(sigma) (section 7.6, on-policy), which mixes the two at every step with the
  degree of sampling sigma in [0, 1]:
  ``G_{k-1} = R_k + gamma [(1 - sigma) sum_{a != A_k} pi(a | S_k) Q(S_k, a)
  + (sigma + (1 - sigma) pi(A_k | S_k)) G_k]``, ending in
  ``R_h + gamma [sigma Q(S_h, A_h) + (1 - sigma) sum_a pi(a | S_h) Q(S_h, a)]``:
  sigma = 1 is n-step SARSA, sigma = 0 tree backup under the behaviour policy.

All three honour ``mdp.action_mask``: they explore among the allowed actions only, and every
expectation and maximum ranges over them.
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

__all__ = ["n_step_sarsa", "n_step_tree_backup", "q_sigma"]


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


def n_step_tree_backup(
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
    target_policy: Literal["greedy", "behaviour"] = "greedy",
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """n-step tree backup: off-policy TD control without importance sampling (S&B, 7.5).

    After each step, the pair of step tau (n steps earlier) moves towards the tree-backup
    return over steps k = tau+1 .. h, h = min(tau + n, T), built backwards from
    ``G_{h-1} = R_h + gamma sum_a pi(a | S_h) Q(S_h, a)`` (``R_T`` at a terminated end) by
    ``G_{k-1} = R_k + gamma [sum_{a != A_k} pi(a | S_k) Q(S_k, a) + pi(A_k | S_k) G_k]``:
    the actions taken are followed only as far as the target policy ``pi`` would take them.

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
        Learning rate, in (0, 1] throughout (constant, linear or exponential).
    epsilon : float or Schedule
        Exploration rate of the epsilon-greedy behaviour, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    n : int
        Steps of the return (>= 1). With ``n=1`` the learner is Q-learning (greedy target)
        or Expected SARSA (behaviour target), bit for bit.
    target_policy : {"greedy", "behaviour"}
        The policy ``pi`` learned about: greedy in the current Q (maximal actions sharing
        the probability equally; off-policy control, towards the optimal Q), or the
        behaviour policy itself (on-policy).
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact values of the
        current greedy policy on the model: ``result.curve_steps``, ``result.curve_values``.
    record_episodes : bool
        True (default): keep the return and length of every finished episode. False: keep
        only the last 100 of them and running summaries (``result.n_episodes``,
        ``result.mean_return``, ``result.mean_length``), so memory does not depend on
        ``n_steps``.
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
    The next action is drawn after the update of the step, from the updated table (the
    update never reads it). Kernel: :func:`rlfoundations._kernels.nstep.n_step_tree_backup`
    (the loop ``nstep``; ``nstep_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.n_step_tree_backup``.

    References
    ----------
    Sutton and Barto, *Reinforcement Learning: An Introduction*, 2nd ed., section 7.5;
    Precup, Sutton and Singh, "Eligibility traces for off-policy policy evaluation", 2000.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.n_step_tree_backup(mdp, gamma=0.9, n_steps=20_000, seed=0, n=3)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.9).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)
    True
    """
    return _learn(
        "n_step_tree_backup",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        n=n,
        target_policy=target_policy,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def q_sigma(
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
    sigma: float = 0.5,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """n-step Q(sigma): sampling and expectation mixed at every step (S&B, 7.6).

    On-policy (the target policy ``pi`` is the behaviour policy). After each step, the pair
    of step tau (n steps earlier) moves towards the return over steps k = tau+1 .. h,
    h = min(tau + n, T), built backwards from
    ``G_{h-1} = R_h + gamma [sigma Q(S_h, A_h) + (1 - sigma) sum_a pi(a | S_h) Q(S_h, a)]``
    (``R_T`` at a terminated end) by
    ``G_{k-1} = R_k + gamma [(1 - sigma) sum_{a != A_k} pi(a | S_k) Q(S_k, a)
    + (sigma + (1 - sigma) pi(A_k | S_k)) G_k]``.
    ``sigma=1`` is n-step SARSA and ``sigma=0`` n-step tree backup with
    ``target_policy="behaviour"``, both bit for bit.

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
        Learning rate, in (0, 1] throughout (constant, linear or exponential).
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour (and target) policy: epsilon-greedy (ties among maximal actions broken
        at random) or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    n : int
        Steps of the return (>= 1).
    sigma : float
        Degree of sampling in [0, 1], the same at every step: 1 follows the sampled action
        (SARSA), 0 takes the expectation over actions (tree backup).
    eval_every : int, optional
        Every this many steps (and at the start and end), compute the exact values of the
        current greedy policy on the model: ``result.curve_steps``, ``result.curve_values``.
    record_episodes : bool
        True (default): keep the return and length of every finished episode. False: keep
        only the last 100 of them and running summaries (``result.n_episodes``,
        ``result.mean_return``, ``result.mean_length``), so memory does not depend on
        ``n_steps``.
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
    With ``sigma > 0`` the next action is drawn before the update of the step (the update
    reads its Q), as SARSA does; with ``sigma == 0`` after it, as tree backup does. The
    return is the recursion of De Asis et al., whose last step bootstraps from
    ``sigma Q + (1 - sigma) Vbar``; the book's equation 7.17, which bootstraps from
    ``Vbar`` with a control variate, has the same expectation. Kernel:
    :func:`rlfoundations._kernels.nstep.q_sigma` (the loop ``nstep``; ``nstep_batch`` in a
    sweep); reference twin: ``rlfoundations.reference.q_sigma``.

    References
    ----------
    Sutton and Barto, *Reinforcement Learning: An Introduction*, 2nd ed., section 7.6;
    De Asis, Hernandez-Garcia, Holland and Sutton, "Multi-step reinforcement learning: a
    unifying algorithm", AAAI 2018.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.q_sigma(mdp, gamma=0.9, n_steps=20_000, seed=0, n=3, sigma=0.5)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.9).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.9).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)
    True
    """
    return _learn(
        "q_sigma",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        n=n,
        sigma=sigma,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
