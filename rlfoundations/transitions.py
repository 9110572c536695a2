"""from_transitions: a model estimated from logged transitions, for offline data."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from rlfoundations._validate import check_count
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.extract import ModelEstimate, _pack

__all__ = ["from_transitions"]

#: DataFrame columns read when ``states`` is a DataFrame.
COLUMNS = ("state", "action", "reward", "next_state", "terminated")


def _column(name: str, values, kinds: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind not in kinds:
        raise InvalidTypeError(f"{name} must have a dtype of kind {kinds!r}, got {array.dtype}")
    return array


def from_transitions(
    states: Any,
    actions: npt.ArrayLike | None = None,
    rewards: npt.ArrayLike | None = None,
    next_states: npt.ArrayLike | None = None,
    terminated: npt.ArrayLike | None = None,
    *,
    n_states: int | None = None,
    n_actions: int | None = None,
    initial: npt.ArrayLike | None = None,
    name: str | None = None,
) -> ModelEstimate:
    """Estimate a model from logged transitions: ``estimate_model`` for offline data.

    Parameters
    ----------
    states, actions, rewards, next_states, terminated : array_like, shape (N,)
        Transition ``i`` went from ``states[i]`` by ``actions[i]`` to ``next_states[i]``,
        paying ``rewards[i]``, ending the episode if ``terminated[i]`` (a truncation is not a
        termination: log it as False). Or pass one DataFrame (or mapping of columns) as
        ``states``, with the columns ``state``, ``action``, ``reward``, ``next_state``,
        ``terminated``.
    n_states, n_actions : int, optional
        Sizes of the model; by default one more than the largest state and action seen.
    initial : array_like, shape (S,), optional
        Initial-state distribution; by default the frequencies of the logged ``states``.
    name : str, optional
        Shown in ``repr``.

    Returns
    -------
    ModelEstimate
        ``mdp`` with observed frequencies as probabilities, ``counts`` (S, A) of transitions
        per pair, ``visited``. A pair never logged is modelled as ending the episode in place
        with the worst reward seen, so a planner avoids it rather than hopes for it.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> estimate = rlf.from_transitions(
    ...     states=[0, 0, 0, 1], actions=[0, 0, 0, 0], rewards=[0.0, 0.0, 1.0, 0.0],
    ...     next_states=[0, 1, 1, 1], terminated=[False, False, True, True], n_actions=2)
    >>> estimate.counts.tolist(), round(float(estimate.mdp.prob[0, 0].max()), 3)
    ([[3, 0], [1, 0]], 0.333)
    """
    if actions is None and rewards is None and next_states is None and terminated is None:
        table = states
        try:
            states, actions, rewards, next_states, terminated = (table[c] for c in COLUMNS)
        except (KeyError, TypeError, IndexError):
            raise InvalidValueError(
                f"give five arrays, or one table with the columns {', '.join(COLUMNS)}"
            ) from None
    state = _column("states", states, "iu")
    action = _column("actions", actions, "iu")
    reward = _column("rewards", rewards, "fiu").astype(np.float64)
    target = _column("next_states", next_states, "iu")
    done = _column("terminated", terminated, "b")
    size = state.size
    for label, column in (
        ("actions", action),
        ("rewards", reward),
        ("next_states", target),
        ("terminated", done),
    ):
        if column.size != size:
            raise InvalidValueError(f"{label} has {column.size} entries, states has {size}")
    if size == 0:
        raise InvalidValueError("no transitions given")
    if not np.isfinite(reward).all():
        i = int(np.argmax(~np.isfinite(reward)))
        raise InvalidValueError(f"rewards[{i}] = {reward[i]} is not finite")
    if (state < 0).any() or (target < 0).any() or (action < 0).any():
        raise InvalidValueError("states, actions and next_states must be >= 0")
    seen_states = int(max(state.max(), target.max())) + 1
    n_states = seen_states if n_states is None else check_count("n_states", n_states)
    n_actions = int(action.max()) + 1 if n_actions is None else check_count("n_actions", n_actions)
    if seen_states > n_states or int(action.max()) >= n_actions:
        raise InvalidValueError(
            f"a logged state or action is out of range for n_states={n_states}, "
            f"n_actions={n_actions}"
        )
    pair = state.astype(np.int64) * n_actions + action
    keys, first, count = np.unique(
        np.rec.fromarrays([pair, target.astype(np.int64), reward, done]),
        return_index=True,
        return_counts=True,
    )
    counts = np.bincount(pair, minlength=n_states * n_actions).reshape(n_states, n_actions)
    worst = float(reward.min())
    outcomes: list[list[dict]] = [[{} for _ in range(n_actions)] for _ in range(n_states)]
    for index in np.argsort(first, kind="stable"):  # slots in order of first appearance
        p, t, r, d = keys[index]
        s, a = divmod(int(p), n_actions)
        outcomes[s][a][(int(t), float(r), bool(d))] = count[index] / counts[s, a]
    for s in range(n_states):
        for a in range(n_actions):
            if not counts[s, a]:
                outcomes[s][a][(s, worst, True)] = 1.0
    if initial is None:
        initial = np.bincount(state, minlength=n_states) / size
    mdp = _pack(
        outcomes,
        n_states,
        n_actions,
        np.asarray(initial, dtype=np.float64),
        None,
        name or "estimate from transitions",
    )
    return ModelEstimate(mdp=mdp, counts=counts, n_samples=int(size))
