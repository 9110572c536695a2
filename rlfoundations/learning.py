"""Learners: Q-learning, SARSA, Expected SARSA, Double Q-learning, Dyna-Q and REINFORCE.

Each public function validates its arguments, allocates the run's arrays, calls the TD (or
REINFORCE) kernel of :mod:`rlfoundations._kernels.learning` (which simulates the
environment from the model's arrays), and wraps a :class:`LearningResult`. Their pure-Python
twins, with the same signatures and bit-identical results for the same seed, live in
:mod:`rlfoundations.reference`.

The update of every learner is Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a)), with

- Q-learning:        target = r + gamma * max_a' Q(s', a')
- SARSA:             target = r + gamma * Q(s', a'),  a' the next behaviour action
- Expected SARSA:    target = r + gamma * sum_a' pi(a' | s') Q(s', a')
- Double Q-learning: target = r + gamma * Q_B(s', argmax_a' Q_A(s', a')), tables A and B
  swapped by a coin flip each step (van Hasselt, 2010)
- Dyna-Q:            Q-learning, then ``planning_steps`` replays of remembered transitions
  (s, a) -> (r, s', terminated), the last seen for each pair (Sutton and Barto, section 8.2);
  with ``kappa > 0``, Dyna-Q+ (section 8.3): a replay's target is
  r + kappa * sqrt(tau) + gamma * max_a' Q(s', a'), tau the steps since (s, a) was last tried

and no bootstrap (target = r) from a terminated transition. A transition cut by the time
limit (``mdp.max_episode_steps``) is a truncation, not a termination: it bootstraps, then
a new episode starts from ``mdp.initial``.

REINFORCE (the talk's policy gradient, tabular) learns a softmax policy table from whole
episodes, with a learned state-value baseline (Sutton and Barto, section 13.4).

A learner call is a batch of one run of the engine in :mod:`rlfoundations.batch`; the
schedules live in :mod:`rlfoundations.schedules`. Long runs go in chunks (the kernels stop at
any step and resume bit for bit), so that ``progress`` can report and Ctrl-C can stop a run
between chunks; with ``on_interrupt="return"`` the run then returns what it learned so far.
Episode records grow by doubling with the episodes finished (never sized from ``n_steps``);
``record_episodes=False`` keeps only the last 100 episodes and running summaries
(``n_episodes``, ``mean_return``, ``mean_length``), so a run of any length holds the same
memory.

Given a ``gymnasium.Env`` instead of a model, the same learners step the env in Python (the
slow path, for Discrete envs without a ``P`` table).

Action masks: on a model with ``action_mask`` (or a live env giving ``info["action_mask"]``)
no learner ever takes a masked action. Epsilon-greedy explores uniformly among the allowed
actions; greedy ties, softmax, Q-learning's max, Expected SARSA's expectation, Double Q's
argmax, Dyna-Q's replays (Dyna-Q+: its bonus and the untried actions it enters into its
model, the allowed ones only) and REINFORCE's policy range over them only; masked entries of
``q_values`` are ``-inf``, so the greedy ``policy`` never picks one. The trace learners,
Monte Carlo control and the regret learners honour masks the same way; the prediction
learners take a masked model with policies that give masked actions probability 0.
"""

from __future__ import annotations

from typing import Literal

import gymnasium

from rlfoundations._validate import check_int, check_mdp
from rlfoundations.batch import Progress, check_progress, check_steps, run_batch, run_spec
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult
from rlfoundations.schedules import Schedule

__all__ = [
    "Schedule",
    "double_q_learning",
    "dyna_q",
    "expected_sarsa",
    "q_learning",
    "reinforce",
    "sarsa",
]


def _learn(
    algorithm: str,
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha,
    eval_every=None,
    record_episodes=True,
    progress=None,
    on_interrupt="raise",
    **settings,
) -> LearningResult:
    """One run of ``algorithm``: on a model, a batch of one; on a live env, the twin.

    Every argument is checked first, whichever path runs.
    """
    mdp = check_mdp(mdp, live_env=True)
    live = isinstance(mdp, gymnasium.Env)
    n_steps = check_steps("n_steps", n_steps)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    progress, on_interrupt = check_progress(progress, on_interrupt)
    # The average-reward learners pass no gamma (None): their points have none.
    point = (
        {"alpha": alpha, "seed": seed}
        if gamma is None
        else {"gamma": gamma, "alpha": alpha, "seed": seed}
    )
    if algorithm == "reinforce":
        point["baseline_alpha"] = settings["baseline_alpha"]
        options = {"baseline": settings["baseline"]}
    else:
        point["epsilon"] = settings["epsilon"]
        point["temperature"] = settings["temperature"]
        options = {
            "exploration": settings["exploration"],
            "planning_steps": settings.get("planning_steps", 0),
        }
        # A family's own settings (the trace learners' lam and trace) go in the point.
        point.update({k: v for k, v in settings.items() if k not in (*point, *options)})
    spec = run_spec(algorithm, [point], record_episodes=record_episodes, **options)
    if live:
        if eval_every is not None:
            raise InvalidValueError("eval_every needs a TabularMDP: a live env has no exact values")
        if progress is not None or on_interrupt != "raise":
            raise InvalidValueError("progress and on_interrupt need a TabularMDP, not a live env")
        # The package: the twins of every learner family (traces, n-step) live beside it.
        from rlfoundations import reference as _reference

        discount = {} if gamma is None else {"gamma": spec.gammas[0].item()}
        return getattr(_reference, algorithm)(
            mdp,
            **discount,
            n_steps=n_steps,
            seed=spec.seeds[0],
            alpha=alpha,
            record_episodes=spec.record_episodes,
            **settings,
        )
    batch = run_batch(
        mdp, spec, n_steps, eval_every=eval_every, progress=progress, on_interrupt=on_interrupt
    )
    return batch.run(0)


def q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Q-learning: off-policy TD control, target ``r + gamma * max_a' Q(s', a')``.

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
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
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
    Kernel: :func:`rlfoundations._kernels.learning.q_learning` (the TD loop ``td`` compiled for
    this algorithm; ``td_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.q_learning``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.q_learning(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
    """
    return _learn(
        "q_learning",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """SARSA: on-policy TD control, target ``r + gamma * Q(s', a')`` with a' the next action.

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
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
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
    Kernel: :func:`rlfoundations._kernels.learning.sarsa` (the TD loop ``td`` compiled for
    this algorithm; ``td_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.sarsa``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.sarsa(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
    """
    return _learn(
        "sarsa",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def expected_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Expected SARSA: target ``r + gamma * sum_a' pi(a' | s') Q(s', a')``.

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
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
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
    Kernel: :func:`rlfoundations._kernels.learning.expected_sarsa` (the TD loop ``td`` compiled for
    this algorithm; ``td_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.expected_sarsa``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.expected_sarsa(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
    """
    return _learn(
        "expected_sarsa",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def double_q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Double Q-learning: two tables, each evaluated at the other's argmax (no max bias).

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
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
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
    Kernel: :func:`rlfoundations._kernels.learning.double_q_learning` (the TD loop ``td``
    compiled for this algorithm; ``td_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.double_q_learning``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.double_q_learning(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
    """
    return _learn(
        "double_q_learning",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def dyna_q(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    planning_steps: int = 10,
    kappa: float = 0.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Dyna-Q: Q-learning plus ``planning_steps`` replays of remembered transitions per step.

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
        Learning rate, in (0, 1] throughout; ``Schedule.visit_count(omega)`` for
        ``1 / n(s, a)^omega``.
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    planning_steps : int
        Replayed updates per real step (>= 0), each of a uniformly drawn remembered pair.
    kappa : float
        Dyna-Q+'s exploration bonus (>= 0; Sutton and Barto, section 8.3): a replay's reward
        gets ``kappa * sqrt(tau)``, tau the steps since the pair was last tried for real, and
        a new state's untried actions enter the model as self-loops with reward 0. The
        default 0 is plain Dyna-Q.
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
    Kernel: :func:`rlfoundations._kernels.learning.dyna_q` (the TD loop ``td`` compiled for
    this algorithm; ``td_batch`` in a sweep); reference twin:
    ``rlfoundations.reference.dyna_q``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.dyna_q(mdp, gamma=0.99, n_steps=20_000, seed=0)
    >>> result.q_values.shape, result.total_steps
    ((48, 4), 20000)
    """
    return _learn(
        "dyna_q",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        planning_steps=planning_steps,
        kappa=kappa,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )


def reinforce(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    baseline_alpha: float | Schedule = 0.1,
    baseline: bool = True,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """REINFORCE: Monte Carlo policy gradient on a softmax policy table, with a baseline.

    The talk's policy gradient, tabular: the policy is ``pi(a | s) = softmax(theta[s])``;
    after each episode, every step t moves ``theta[s_t]`` along the gradient of
    ``log pi(a_t | s_t)`` scaled by ``alpha * gamma^t * (G_t - b(s_t))``, where ``G_t`` is
    the return from step t and ``b`` a learned state-value baseline (Sutton and Barto,
    section 13.4). For a softmax table that gradient is ``1[b = a_t] - pi(b | s_t)``.

    Parameters
    ----------
    mdp : TabularMDP or gymnasium.Env
        The model, simulated inside the kernel (episodes start from ``mdp.initial``, end on a
        terminated outcome or after ``mdp.max_episode_steps``); or a live env with Discrete
        spaces, stepped in Python (slow).
    gamma : float
        Discount factor in [0, 1].
    n_steps : int
        Environment steps to take (> 0). An episode still running at the end is not
        learned from (Monte Carlo needs its end).
    seed : int
        Seed of the random stream, in [0, 2**64): it fixes the whole run.
    alpha : float or Schedule
        Policy step size, in (0, 1]; a schedule is read at the step each episode ends.
    baseline_alpha : float or Schedule
        Step size of the baseline ``b(s) <- b(s) + baseline_alpha * (G_t - b(s))``.
    baseline : bool
        Subtract the baseline (``False``: plain REINFORCE, ``delta = G_t``). An episode
        cut by the time limit starts its returns from the baseline's value of its last
        state (a bootstrap, as the TD learners do); without a baseline, from 0.
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
        ``q_values`` holds the policy's preferences ``theta`` (greedy ``policy`` = their
        argmax, lowest index on ties), with the per-episode returns and lengths (or the
        last 100 and summaries).

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.learning.reinforce`; reference twin:
    ``rlfoundations.reference.reinforce``. The behaviour policy is the softmax policy
    itself: there is no epsilon.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1", is_slippery=False)
    >>> result = rlf.reinforce(mdp, gamma=0.95, n_steps=50_000, seed=0)
    >>> optimal = rlf.value_iteration(mdp, gamma=0.95).values[0]
    >>> learned = rlf.policy_evaluation(mdp, result.policy, gamma=0.95).values[0]
    >>> bool(abs(learned - optimal) < 1e-9)  # greedy in theta: optimal from the start
    True
    """
    return _learn(
        "reinforce",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        baseline_alpha=baseline_alpha,
        baseline=baseline,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
