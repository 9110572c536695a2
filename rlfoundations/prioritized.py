"""Prioritized sweeping (Sutton and Barto, section 8.4): planning where values change.

A model learned from experience, the last outcome ``Model(S, A) = (R, S')`` of every pair
tried (as Dyna-Q's); a queue of pairs ordered by the size of their pending update; at most
``planning_steps`` updates of the queue's first pairs per real step. The box of section 8.4,
per real step from S:

1. A = behaviour action in S (epsilon-greedy or softmax on Q); take it, observe R, S'.
2. Model(S, A) = (R, S'), and whether the step terminated.
3. P = |R + gamma max_a Q(S', a) - Q(S, A)| (no bootstrap if it terminated); if P > theta,
   queue (S, A) with priority P.
4. Repeat ``planning_steps`` times, while the queue is not empty:

   - (S, A) = the first pair of the queue, taken out; (R, S') = Model(S, A);
   - Q(S, A) <- Q(S, A) + alpha (R + gamma max_a Q(S', a) - Q(S, A));
   - for every remembered pair (S~, A~) whose last outcome led to S without terminating:
     P = |R~ + gamma max_a Q(S, a) - Q(S~, A~)|; if P > theta, queue (S~, A~) with
     priority P.

Q changes only in step 4. A pair is queued at most once (queuing it again keeps the larger
priority); equal priorities pop the lower pair index ``s * n_actions + a`` first, so runs
are reproducible. The call shares the other learners' engine (:mod:`rlfoundations.batch`):
sweeps, progress, Ctrl-C, exact learning curves, bounded records, action masks. The kernel
lives in :mod:`rlfoundations._kernels.prioritized`, the pure-Python twin in
:mod:`rlfoundations.reference.prioritized`.
"""

from __future__ import annotations

from typing import Literal

import gymnasium

from rlfoundations.batch import Progress
from rlfoundations.learning import _learn
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult
from rlfoundations.schedules import Schedule

__all__ = ["prioritized_sweeping"]


def prioritized_sweeping(
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
    theta: float = 1e-4,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: Progress = None,
    on_interrupt: Literal["raise", "return"] = "raise",
) -> LearningResult:
    """Prioritized sweeping: model-based updates, largest pending change first (S&B 8.4).

    Each real step (S, A) -> (R, S') sets the model's entry for (S, A) to that last outcome
    (a deterministic model, the one of Sutton and Barto's box and of :func:`dyna_q`), and
    queues (S, A) if ``P = |R + gamma max_a Q(S', a) - Q(S, A)| > theta``. Then up to
    ``planning_steps`` times, while the queue is not empty: the first pair is taken out and
    updated, ``Q(S, A) += alpha * (R + gamma max_a Q(S', a) - Q(S, A)`` from the model, and
    every remembered pair whose last outcome led to S is queued if its own ``P`` now
    exceeds ``theta``. As in the book's box, Q changes only in those planning updates.

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
        Learning rate of the planning updates, in (0, 1] throughout; a schedule is read at
        the real step the updates follow (``Schedule.visit_count(omega)``: ``1 / n(s, a)^omega``
        with n the real visits of the updated pair).
    epsilon : float or Schedule
        Exploration rate of epsilon-greedy, in [0, 1] throughout.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy (ties among maximal actions broken at random)
        or Boltzmann with ``temperature``.
    temperature : float or Schedule
        Softmax temperature (> 0), used when ``exploration="softmax"``.
    planning_steps : int
        Most planning updates per real step (>= 1); fewer when the queue empties.
    theta : float
        Priority threshold (>= 0): a pair enters the queue only if its pending change
        ``P`` is larger. A queued pair is held once; queuing it again keeps the larger
        priority. Equal priorities pop the lower pair index ``s * n_actions + a`` first.
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
    On a stochastic model the learned model is still the last outcome of each pair (the
    box is written for a deterministic environment), so the values it plans towards follow
    the latest sample rather than the expectation; a transition cut by the time limit is
    remembered as not terminated, and bootstraps.

    Kernel: :func:`rlfoundations._kernels.prioritized.prioritized_sweeping` (the loop
    ``prioritized``; ``prioritized_batch`` in a sweep), with the queue a binary heap over
    arrays; reference twin: ``rlfoundations.reference.prioritized_sweeping``.

    References
    ----------
    Sutton and Barto (2018), section 8.4 and example 8.4; Moore and Atkeson (1993),
    "Prioritized sweeping: reinforcement learning with less data and less time".

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> maze = rlf.problems.dyna_maze()
    >>> result = rlf.prioritized_sweeping(maze, gamma=0.95, n_steps=3_000, seed=0, alpha=0.5)
    >>> start = int(maze.initial.argmax())
    >>> learned = rlf.policy_evaluation(maze, result.policy, gamma=0.95).values[start]
    >>> bool(abs(learned - 0.95**13) < 1e-9)  # the 14-step shortest path
    True
    """
    return _learn(
        "prioritized_sweeping",
        mdp,
        gamma=gamma,
        n_steps=n_steps,
        seed=seed,
        alpha=alpha,
        epsilon=epsilon,
        exploration=exploration,
        temperature=temperature,
        planning_steps=planning_steps,
        theta=theta,
        eval_every=eval_every,
        record_episodes=record_episodes,
        progress=progress,
        on_interrupt=on_interrupt,
    )
