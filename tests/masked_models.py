"""Masked models with known answers, shared by the mask tests of the newer learners.

The trapped corridor grid: 3 rows x 4 columns, -1 a step, moves into the border stay put,
reaching the goal (0, 0) ends the episode. Up is masked in row 1, columns 0-2, so from the
start (2, 0) the unmasked optimum (two steps up) is forbidden and the masked one goes round
by column 3 (eight steps). Every masked pair is a trap: it would pay +1000 and end the
episode, so a single masked step anywhere shows in the episode returns (all negative
otherwise). The answers are computed here from the geometry, not from the model's arrays.
"""

from __future__ import annotations

import numpy as np

import rlfoundations as rlf

ROWS, COLUMNS = 3, 4
MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left
START, GOAL = (2, 0), (0, 0)
UP = 0
TRAP_REWARD = 1000.0


def cell(row: int, column: int) -> int:
    return row * COLUMNS + column


def corridor_mask() -> np.ndarray:
    """Up masked in row 1, columns 0-2."""
    mask = np.ones((ROWS * COLUMNS, 4), dtype=bool)
    for column in range(3):
        mask[cell(1, column), UP] = False
    return mask


def trapped_grid(
    initial: str = "start", max_episode_steps: int | None = None, goal_reward: float | None = None
) -> rlf.TabularMDP:
    """The grid with its mask; its masked pairs pay :data:`TRAP_REWARD` and terminate.

    ``initial="start"`` starts every episode in (2, 0); ``"spread"`` uniformly in every cell
    but the goal (what exploring starts and the regret learners need to see every state).
    With ``goal_reward``, steps pay 0 and reaching the goal pays ``goal_reward`` instead of
    -1 a step (Monte Carlo control, which learns nothing from a truncated episode, needs
    untried actions to look no better than tried ones).
    """
    n_states = ROWS * COLUMNS
    mask = corridor_mask()
    next_state = np.zeros((n_states, 4, 1), dtype=np.int64)
    reward = np.full((n_states, 4, 1), -1.0 if goal_reward is None else 0.0)
    terminated = np.zeros((n_states, 4, 1), dtype=bool)
    for row in range(ROWS):
        for column in range(COLUMNS):
            s = cell(row, column)
            for a, (d_row, d_column) in enumerate(MOVES):
                to_row = min(max(row + d_row, 0), ROWS - 1)
                to = (to_row, min(max(column + d_column, 0), COLUMNS - 1))
                next_state[s, a, 0] = cell(*to)
                terminated[s, a, 0] = to == GOAL or not mask[s, a]
                if to == GOAL and goal_reward is not None:
                    reward[s, a, 0] = goal_reward
                if not mask[s, a]:
                    reward[s, a, 0] = TRAP_REWARD
    if initial == "start":
        start = np.zeros(n_states)
        start[cell(*START)] = 1.0
    else:
        start = np.ones(n_states)
        start[cell(*GOAL)] = 0.0
        start /= start.sum()
    return rlf.TabularMDP(
        next_state=next_state,
        prob=np.ones((n_states, 4, 1)),
        reward=reward,
        terminated=terminated,
        initial=start,
        max_episode_steps=max_episode_steps,
        action_mask=mask,
    )


def steps_to_goal(row: int, column: int, masked: bool) -> int:
    """Fewest steps from a cell to the goal, by breadth-first search over the grid."""
    mask = corridor_mask() if masked else np.ones((ROWS * COLUMNS, 4), dtype=bool)
    frontier, seen, steps = [(row, column)], {(row, column)}, 0
    while GOAL not in frontier:
        steps += 1
        reached = []
        for r, c in frontier:
            for a, (d_row, d_column) in enumerate(MOVES):
                if not mask[cell(r, c), a]:
                    continue
                to = (min(max(r + d_row, 0), ROWS - 1), min(max(c + d_column, 0), COLUMNS - 1))
                if to not in seen:
                    seen.add(to)
                    reached.append(to)
        frontier = reached
    return steps


def optimal_value(
    row: int, column: int, gamma: float, masked: bool = True, goal_reward: float | None = None
) -> float:
    """The optimal discounted value of a cell n steps from the goal: -(1 + gamma + ... +
    gamma^(n - 1)), or ``goal_reward * gamma^(n - 1)``. The goal itself acts as a cell one
    step away (a move into its border stays, and arrives)."""
    n = max(steps_to_goal(row, column, masked), 1)
    if goal_reward is not None:
        return goal_reward * gamma ** (n - 1)
    return -sum(gamma**i for i in range(n))


def greedy_steps(mdp: rlf.TabularMDP, policy: np.ndarray, limit: int = 50) -> list[int]:
    """The actions the deterministic greedy ``policy`` takes from the start to the goal."""
    s, actions = cell(*START), []
    for _ in range(limit):
        actions.append(int(policy[s]))
        done = bool(mdp.terminated[s, policy[s], 0])
        s = int(mdp.next_state[s, policy[s], 0])
        if done:
            break
    return actions
