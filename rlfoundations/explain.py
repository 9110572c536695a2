"""Why did the policy do that? One state's Bellman backup, written out outcome by outcome.

:func:`explain` takes a model, a solver's (or learner's) result and a state, and lays out
what the backup ``Q(s, a) = sum_k prob * (reward + gamma * [not terminated] * V(next_state))``
read: for every action, each outcome's probability, reward, next state, next value and
discounted contribution; the Q-values they add up to; the chosen action and its margin over
the runner-up (the action gap). :func:`rlfoundations.plot.plot_explanation` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rlfoundations._validate import check_mdp, is_int
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import LearningResult, PlanningResult

if TYPE_CHECKING:
    from rlfoundations.policy import GreedyPolicy

__all__ = ["ActionBackup", "Explanation", "Outcome", "explain"]


@dataclass(frozen=True)
class Outcome:
    """One outcome slot of an action: ``prob * (reward + gamma * continues * next_value)``."""

    prob: float
    next_state: int
    reward: float
    terminated: bool
    next_value: float
    contribution: float


@dataclass(frozen=True)
class ActionBackup:
    """One action's backup: its outcomes (probability > 0) and the Q-value they sum to.

    ``name`` is empty when no action names were given.
    """

    action: int
    name: str
    outcomes: tuple
    q_value: float


@dataclass(frozen=True, repr=False)
class Explanation:
    """What :func:`explain` returns; ``str(explanation)`` is the text.

    Attributes
    ----------
    state : int
    factors : dict of str to int, or None
        The state's decoded factors, where the model has them.
    gamma : float
    actions : tuple of ActionBackup
        Every action's outcomes and Q-value, recomputed from the values.
    chosen : int
        The result's action in ``state`` (its policy).
    action_gap : float
        Q-value of the chosen action minus the best other one (NaN with one action).
    result_q_values : ndarray, shape (A,)
        The result's own Q-values of ``state``: for a :class:`PlanningResult`, equal to the
        recomputed ones (the same backup); for a learner, its learned estimates, which the
        backup of its own values need not match (their difference is the Bellman error).
    source : str
        ``"planning"`` or ``"learning"``.
    """

    state: int
    factors: dict | None
    gamma: float
    actions: tuple
    chosen: int
    action_gap: float
    result_q_values: np.ndarray
    source: str

    @property
    def q_values(self) -> np.ndarray:
        """The recomputed Q-values, shape (A,)."""
        return np.array([backup.q_value for backup in self.actions])

    def __repr__(self) -> str:
        return (
            f"Explanation(state={self.state}, chosen={self.chosen}, "
            f"action_gap={self.action_gap:.6g})"
        )

    def __str__(self) -> str:
        where = f"state {self.state}"
        if self.factors:
            where += " (" + ", ".join(f"{k}={v}" for k, v in self.factors.items()) + ")"
        lines = [f"Bellman backup of {where}, gamma = {self.gamma:g}"]
        for backup in self.actions:
            mark = "  <- chosen" if backup.action == self.chosen else ""
            lines.append(f"  {_label(backup)}: Q = {backup.q_value:.6g}{mark}")
            for out in backup.outcomes:
                future = (
                    "ends the episode"
                    if out.terminated
                    else f"{self.gamma:g} * V({out.next_state}) = {self.gamma * out.next_value:.6g}"
                )
                lines.append(
                    f"    p = {out.prob:.4g}: reward {out.reward:.6g}, next state "
                    f"{out.next_state}, {future} -> contributes {out.contribution:.6g}"
                )
        chosen = self.actions[self.chosen]
        lines.append(f"chosen: {_label(chosen)}, ahead of the next best by {self.action_gap:.6g}")
        if self.source == "learning":
            gap = np.abs(self.result_q_values - self.q_values).max()
            lines.append(
                f"(values are the learner's max_a Q; its own Q-values differ from this backup "
                f"by up to {gap:.6g}, its Bellman error here)"
            )
        return "\n".join(lines)


def _label(backup: ActionBackup) -> str:
    return f"action {backup.action}" + (f" ({backup.name})" if backup.name else "")


def explain(
    mdp: TabularMDP,
    result: PlanningResult | GreedyPolicy | LearningResult,
    state: int,
    *,
    action_names: Sequence[str] | None = None,
) -> Explanation:
    """Write out the Bellman backup of one state, from the numbers the solver used.

    Parameters
    ----------
    mdp : TabularMDP
        The model solved (or learned on).
    result : PlanningResult, GreedyPolicy or LearningResult
        Its values ``V`` (a learner's: ``max_a Q``), Q-values and policy.
    state : int
        The state to explain.
    action_names : sequence of str, optional
        Names of the actions, shown beside their indices (default: none).

    Returns
    -------
    Explanation
        Outcome by outcome, the Q-values, the chosen action and the action gap; print it
        for the text, or draw it with :func:`rlfoundations.plot.plot_explanation`.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("rlfoundations/Rick-v0")
    >>> result = rlf.value_iteration(mdp, gamma=0.99)
    >>> why = rlf.explain(mdp, result, 489)  # the talk's state: Morty aboard, the signal at B
    >>> why.chosen, round(why.actions[0].q_value, 4)
    (0, 15.2715)
    """
    mdp = check_mdp(mdp)
    result = getattr(result, "result", result)  # a GreedyPolicy holds its PlanningResult
    if isinstance(result, PlanningResult):
        values, source = np.asarray(result.values), "planning"
    elif isinstance(result, LearningResult):
        values, source = np.asarray(result.q_values).max(axis=1), "learning"
    else:
        raise InvalidTypeError(
            "result must be a PlanningResult, a GreedyPolicy or a LearningResult, "
            f"got {type(result).__name__}"
        )
    if result.q_values.shape != (mdp.n_states, mdp.n_actions):
        raise InvalidValueError(
            f"result has Q-values of shape {result.q_values.shape}, the model "
            f"({mdp.n_states}, {mdp.n_actions}): pass the model the result came from"
        )
    if not is_int(state):
        raise InvalidTypeError(f"state must be an int, got {state!r}")
    if not 0 <= state < mdp.n_states:
        raise InvalidValueError(f"state must be in [0, {mdp.n_states}), got {state!r}")
    state = int(state)
    if action_names is None:
        action_names = [""] * mdp.n_actions
    elif len(action_names) != mdp.n_actions:
        raise InvalidValueError(
            f"action_names must name {mdp.n_actions} actions, got {len(action_names)}"
        )
    gamma = float(result.gamma)
    backups = []
    for action in range(mdp.n_actions):
        outcomes = []
        for k in range(mdp.max_outcomes):
            prob = float(mdp.prob[state, action, k])
            if prob == 0.0:
                continue
            next_state = int(mdp.next_state[state, action, k])
            terminated = bool(mdp.terminated[state, action, k])
            reward = float(mdp.reward[state, action, k])
            next_value = float(values[next_state])
            future = 0.0 if terminated else gamma * next_value
            outcomes.append(
                Outcome(prob, next_state, reward, terminated, next_value, prob * (reward + future))
            )
        # The kernels' backup, R(s, a) + gamma * sum_k continue_prob * V[next_state], in
        # their order of operations, from this state's slots alone (the model's (S, A) and
        # (S, A, K) derived arrays would be built, and kept, for one state).
        expected_reward = 0.0
        future = 0.0
        for k in range(mdp.max_outcomes):
            prob = float(mdp.prob[state, action, k])
            expected_reward += prob * float(mdp.reward[state, action, k])
            continue_prob = 0.0 if mdp.terminated[state, action, k] else prob
            future += continue_prob * float(values[mdp.next_state[state, action, k]])
        q_value = expected_reward + gamma * future
        backups.append(ActionBackup(action, str(action_names[action]), tuple(outcomes), q_value))
    chosen = int(result.policy[state])
    others = [b.q_value for b in backups if b.action != chosen]
    gap = backups[chosen].q_value - max(others) if others else float("nan")
    return Explanation(
        state=state,
        factors=mdp.decode(state) if mdp.factors is not None else None,
        gamma=gamma,
        actions=tuple(backups),
        chosen=chosen,
        action_gap=float(gap),
        result_q_values=np.array(result.q_values[state]),
        source=source,
    )
