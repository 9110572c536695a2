"""The kernels' layout of a model: states in blocks of ``LANES``, built once per model.

The planning kernels read a model as three arrays, states in blocks of eight (one float64
vector register, :data:`rlfoundations._kernels.lanes.LANES`):

- ``successor`` (B, A, K, 8) int32: ``successor[s // 8, a, k, s % 8] = next_state[s, a, k]``;
- ``continue_prob`` (B, A, K, 8) float64: the probability of each outcome that does not end
  the episode (0 where it does);
- ``reward`` (B, A, 8) float64: the expected reward ``R(s, a)``, ``-inf`` at the pairs the
  model's ``action_mask`` forbids. A masked action's backup is then ``-inf + gamma * (a
  finite sum) = -inf``, exactly, in every kernel: it never beats an allowed action (every
  state has one, with a finite Q), so no maximum, greedy policy or stopping rule ever sees
  it, and an unmasked model's arrays are the same as before, bit for bit.

The last block is padded with copies of the last state, so a padding lane computes exactly
what that state does and never changes a minimum or a maximum over states. This layout is a
concern of the kernels, not of the model (the model is the user's data): it is built here,
from the model's public arrays, and cached by model identity for as long as the model lives.

Plain NumPy, no Numba: the layer above calls :func:`kernel_model` and hands the arrays to the
kernels. A solver with kernels for the ragged layout of :mod:`.ragged` asks for
``kernel_model(mdp, ragged=True)`` and gets that layout when padding would waste more than
:data:`~.ragged.RAGGED_WASTE` times the entries a backup needs; every other solver asks for
``kernel_model(mdp)``, the block layout.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from rlfoundations._kernels._jit import plain_python
from rlfoundations._kernels.lanes import LANES
from rlfoundations._kernels.ragged import (
    RAGGED_WASTE,
    RaggedModel,
    build_ragged_model,
    continuing_counts,
)

__all__ = [
    "LANES",
    "RaggedModel",
    "kernel_model",
    "masked_rewards",
    "reward_scales",
    "state_blocks",
    "wants_ragged",
]

# Model -> its block arrays; an entry goes when its model is garbage collected.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Model -> its ragged layout, or None where the block layout wastes little.
_RAGGED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Model -> its largest |reward| and |expected reward| (scales of the values and their rounding).
_SCALES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@plain_python
def state_blocks(array: np.ndarray, dtype=None) -> np.ndarray:
    """``array`` of shape (S, ...) as blocks of shape (ceil(S / LANES), ..., LANES).

    Block ``b`` holds states ``b * LANES + lane`` along its last axis. The last block is
    padded with copies of the last state. ``dtype`` (default ``array``'s) is the blocks'
    dtype: the values are cast while they are copied, so the blocks are the only new array
    (no cast copy, no padded copy, no transposed copy on the way).
    """
    n_states = array.shape[0]
    n_blocks = -(-n_states // LANES)
    blocks = np.empty(
        (n_blocks, *array.shape[1:], LANES), dtype=array.dtype if dtype is None else dtype
    )
    # (B, ..., LANES) seen as (B, LANES, ...): the states in their own order.
    by_state = np.moveaxis(blocks, -1, 1)
    full = n_states // LANES
    np.copyto(
        by_state[:full],
        array[: full * LANES].reshape(full, LANES, *array.shape[1:]),
        casting="same_kind",
    )
    rest = n_states - full * LANES
    if rest:
        np.copyto(by_state[full, :rest], array[full * LANES :], casting="same_kind")
        np.copyto(by_state[full, rest:], array[-1], casting="same_kind")
    return blocks


@plain_python
def build_kernel_model(next_state, prob, terminated, expected_reward, action_mask=None):
    """The three block arrays of a model given by its (S, A, K) and (S, A) arrays, the
    rewards of the pairs ``action_mask`` (S, A) forbids set to ``-inf``.

    Each block array is written once, in place: the only memory it takes is its own (no
    (S, A, K) temporaries, so building it next to a large model needs no more room than
    the layout itself).

    Writable (Numba types read-only arrays apart: each kernel would compile twice, once for
    these, once for the arrays kernels make); nothing writes to them.
    """
    if next_state.shape[0] > np.iinfo(np.int32).max:
        raise ValueError(
            f"the kernels index states with int32; {next_state.shape[0]} states is too many"
        )
    continue_prob = state_blocks(prob, np.float64)
    # 0 where the outcome ends the episode: np.where(terminated, 0.0, prob), without a copy.
    np.copyto(continue_prob, 0.0, where=state_blocks(terminated))
    return (
        state_blocks(next_state, np.int32),
        continue_prob,
        state_blocks(masked_rewards(expected_reward, action_mask)),
    )


@plain_python
def masked_rewards(expected_reward, action_mask=None) -> np.ndarray:
    """``expected_reward`` as float64, ``-inf`` where ``action_mask`` is False."""
    rewards = np.asarray(expected_reward, dtype=np.float64)
    if action_mask is None or np.all(action_mask):
        return rewards
    return np.where(action_mask, rewards, -np.inf)


@plain_python
def kernel_model(mdp, ragged: bool = False):
    """The kernels' arrays of ``mdp``, built on first use and cached with the model.

    By default the block layout, (successor, continue_prob, reward). With ``ragged`` (a
    caller whose kernels read both layouts, :mod:`.ragged`), the :class:`RaggedModel` when
    :func:`wants_ragged`, else the block layout.

    ``mdp`` is any object with the arrays ``next_state``, ``prob``, ``terminated`` (S, A, K)
    and ``expected_reward`` (S, A), and optionally ``action_mask`` (S, A) (a
    :class:`~rlfoundations.TabularMDP`, whose arrays are read-only, so the cached layout never
    goes stale).
    """
    if ragged:
        model = _ragged_model(mdp)
        if model is not None:
            return model
    blocks = _CACHE.get(mdp)
    if blocks is None:
        blocks = build_kernel_model(
            mdp.next_state,
            mdp.prob,
            mdp.terminated,
            mdp.expected_reward,
            getattr(mdp, "action_mask", None),
        )
        with _LOCK:
            blocks = _CACHE.setdefault(mdp, blocks)
    return blocks


@plain_python
def wants_ragged(n_slots: int, n_entries: int) -> bool:
    """Whether a block layout of ``n_slots`` (state, action, outcome) slots holds more than
    :data:`~.ragged.RAGGED_WASTE` times the ``n_entries`` outcomes a backup needs."""
    return n_slots > RAGGED_WASTE * n_entries


@plain_python
def _ragged_model(mdp) -> RaggedModel | None:
    """The ragged layout of ``mdp`` if :func:`wants_ragged`, else None; decided once."""
    if mdp in _RAGGED:
        return _RAGGED[mdp]
    if mdp.prob.shape[0] > np.iinfo(np.int32).max:
        return None  # the block layout refuses it, with the reason
    counts = continuing_counts(mdp.prob, mdp.terminated)
    n_blocks = -(-mdp.prob.shape[0] // LANES)
    model = None
    if wants_ragged(n_blocks * LANES * mdp.prob.shape[1] * mdp.prob.shape[2], int(counts.sum())):
        blocks = _CACHE.get(mdp)
        reward = (
            state_blocks(masked_rewards(mdp.expected_reward, getattr(mdp, "action_mask", None)))
            if blocks is None
            else blocks[2]
        )
        model = build_ragged_model(mdp.next_state, mdp.prob, mdp.terminated, reward, counts=counts)
    with _LOCK:
        return _RAGGED.setdefault(mdp, model)


@plain_python
def reward_scales(mdp) -> tuple[float, float]:
    """(largest ``|reward|`` of an outcome with positive probability, largest ``|R(s, a)|``)
    over the allowed actions of ``mdp``, computed once per model: the size of the terms a
    backup sums (its rounding is relative to it) and of the expected rewards (the values'
    bound ``max |R| / (1 - gamma)``)."""
    scales = _SCALES.get(mdp)
    if scales is None:
        mask = getattr(mdp, "action_mask", None)
        allowed = np.ones(mdp.prob.shape[:2], dtype=bool) if mask is None else mask
        # Slot by slot: (S, A) temporaries, not (S, A, K) ones beside a large model.
        outcome = 0.0
        for k in range(mdp.prob.shape[2]):
            possible = (mdp.prob[:, :, k] > 0) & allowed
            if possible.any():
                outcome = max(outcome, float(np.abs(mdp.reward[:, :, k][possible]).max()))
        expected = np.abs(np.asarray(mdp.expected_reward)[allowed])
        scales = (outcome, float(expected.max()) if expected.size else 0.0)
        with _LOCK:
            scales = _SCALES.setdefault(mdp, scales)
    return scales
