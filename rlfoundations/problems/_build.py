"""Helpers the problem modules share: pack outcome lists into a canonical ``TabularMDP``.

Canonical means what :func:`rlfoundations.from_env` would read back from the env's ``P``
table: zero-probability outcomes dropped, equal (next_state, reward, terminated) outcomes
merged in order of first appearance, unused slots padded with state 0, probability 0, reward 0.
So a problem's registered env round-trips to the very same arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rlfoundations.mdp import TabularMDP

__all__ = ["dense_model", "outcome_model"]


def _accepts_action_mask() -> bool:
    return "action_mask" in {field.name for field in dataclasses.fields(TabularMDP)}


def _mask_kwargs(action_mask) -> dict:
    """``action_mask=...`` for models that know about masks (the ``action_mask`` field).

    Else nothing: the masked actions' dynamics copy an allowed action's, so values agree either way.
    """
    if action_mask is not None and _accepts_action_mask():
        return {"action_mask": np.asarray(action_mask, dtype=bool)}
    return {}


def outcome_model(
    cells,
    *,
    initial,
    factors,
    name: str,
    max_episode_steps: int | None,
    action_mask=None,
) -> TabularMDP:
    """Model of ``cells[s][a]``, a list of ``(prob, next_state, reward, terminated)``."""
    n_states = len(cells)
    n_actions = len(cells[0])
    merged = []
    for row in cells:
        merged_row = []
        for cell in row:
            outcomes: dict = {}
            for prob, next_state, reward, terminated in cell:
                if prob == 0:
                    continue
                key = (int(next_state), float(reward), bool(terminated))
                outcomes[key] = outcomes.get(key, 0.0) + float(prob)
            merged_row.append(outcomes)
        merged.append(merged_row)
    n_outcomes = max(len(cell) for row in merged for cell in row)
    shape = (n_states, n_actions, n_outcomes)
    next_state = np.zeros(shape, dtype=np.int64)
    prob = np.zeros(shape)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=bool)
    for s, row in enumerate(merged):
        for a, cell in enumerate(row):
            for k, ((target, value, done), p) in enumerate(cell.items()):
                next_state[s, a, k] = target
                prob[s, a, k] = p
                reward[s, a, k] = value
                terminated[s, a, k] = done
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial,
        max_episode_steps=max_episode_steps,
        name=name,
        factors=tuple(factors),
        **_mask_kwargs(action_mask),
    )


def dense_model(
    P,
    R,
    *,
    initial,
    factors,
    name: str,
    max_episode_steps: int | None,
    terminal=None,
    action_mask=None,
) -> TabularMDP:
    """Model of dense ``P`` (S, A, S) and ``R`` (S, A), via :meth:`TabularMDP.from_dense`.

    Slots in increasing next-state order, which ``P`` tables list them in.
    """
    mdp = TabularMDP.from_dense(
        P,
        R,
        terminal=terminal,
        initial=initial,
        max_episode_steps=max_episode_steps,
        name=name,
    )
    # from_dense takes no factors (nor masks): the model again, its arrays shared.
    return mdp._derive(factors=tuple(factors), **_mask_kwargs(action_mask))
