"""Exploration benchmarks: RiverSwim, SixArms, the chain and DeepSea.

Small models where undirected exploration (epsilon-greedy) needs exponentially many steps to
find the best reward; their optimal values are exact here.
"""

from __future__ import annotations

import numpy as np

from rlfoundations._validate import check_bool, check_count
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems._build import outcome_model
from rlfoundations.problems._catalog import CATALOG
from rlfoundations.problems.textbook import _check_probability, _check_real

__all__ = ["chain", "deep_sea", "river_swim", "six_arms"]


def river_swim(
    n_states: int = 6, small_reward: float = 5.0, large_reward: float = 10_000.0
) -> TabularMDP:
    """RiverSwim (Strehl & Littman, 2008).

    **Description.** A swimmer in a river of ``n_states`` positions. Swimming downstream
    (left) always works; swimming upstream (right) against the current moves right with
    probability 0.35, stays with 0.6 and is pushed back with 0.05 (from the left bank it
    moves right with 0.6 and stays with 0.4; at the right bank it stays with 0.6 and is
    pushed back with 0.4).

    **States.** ``position`` 0 (left bank) .. ``n_states - 1`` (right bank). Start: 0 or 1,
    with probability 1/2 each (the paper's states 1 and 2).

    **Actions.** 0 left (downstream), 1 right (upstream).

    **Rewards.** ``small_reward`` for swimming left at the left bank; ``large_reward`` when
    swimming right at the right bank keeps the swimmer there.

    **Episode End.** Never (continuing).

    **Usual criterion.** Discounted (0.95 in the paper) or average reward: the optimal
    policy always swims right.

    Parameters
    ----------
    n_states : int
        Positions, at least 2 (6 in the paper).
    small_reward, large_reward : float
        The two rewards (5 and 10000; 0.005 and 1 in Osband et al.'s rescaled version).

    References
    ----------
    A. L. Strehl and M. L. Littman, "An analysis of model-based interval estimation for
    Markov decision processes", J. Computer and System Sciences 74(8), 2008.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.river_swim(), gamma=0.95).policy.tolist()
    [1, 1, 1, 1, 1, 1]
    """
    n_states = check_count("n_states", n_states)
    if n_states < 2:
        raise InvalidValueError(f"n_states must be >= 2, got {n_states}")
    small_reward = _check_real("small_reward", small_reward)
    large_reward = _check_real("large_reward", large_reward)
    last = n_states - 1
    cells = []
    for s in range(n_states):
        left = [(1.0, max(s - 1, 0), small_reward if s == 0 else 0.0, False)]
        if s == 0:
            right = [(0.4, 0, 0.0, False), (0.6, 1, 0.0, False)]
        elif s == last:
            right = [(0.4, s - 1, 0.0, False), (0.6, s, large_reward, False)]
        else:
            right = [(0.05, s - 1, 0.0, False), (0.6, s, 0.0, False), (0.35, s + 1, 0.0, False)]
        cells.append([left, right])
    initial = np.zeros(n_states)
    initial[:2] = 0.5
    return outcome_model(
        cells,
        initial=initial,
        factors=(("position", n_states),),
        name=f"river_swim({n_states})",
        max_episode_steps=CATALOG["river_swim"].max_episode_steps,
    )


#: SixArms: probability that arm i leads from the hub to room i + 1, and the room's reward.
SIX_ARMS_PROBS = (1.0, 0.15, 0.1, 0.05, 0.03, 0.01)
SIX_ARMS_REWARDS = (50.0, 133.0, 300.0, 800.0, 1660.0, 6000.0)


def six_arms() -> TabularMDP:
    """SixArms (Strehl & Littman, 2008).

    **Description.** A hub (state 0) and six rooms. From the hub, arm ``i`` reaches room
    ``i + 1`` with probability ``(1, 0.15, 0.1, 0.05, 0.03, 0.01)[i]``, else the agent stays
    in the hub. In room ``i + 1`` (``i >= 1``) action ``i`` stays and pays the room's reward,
    any other action returns to the hub; room 1 pays 50 for staying under every action but
    4, which returns to the hub.

    **States.** ``state``: 0 the hub, 1 .. 6 the rooms. Start: the hub.

    **Actions.** Six.

    **Rewards.** Per stay in a room: ``(50, 133, 300, 800, 1660, 6000)``.

    **Episode End.** Never (continuing).

    **Usual criterion.** Discounted (0.95 in the paper): the optimal policy heads for room 6.

    References
    ----------
    Strehl and Littman (2008), figure 1; the same numbers as mushroom-rl's and other ports.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.six_arms(), gamma=0.95).policy.tolist()
    [5, 4, 0, 0, 0, 4, 5]
    """
    cells = [
        [
            [(p, arm + 1, 0.0, False), (1.0 - p, 0, 0.0, False)]
            for arm, p in enumerate(SIX_ARMS_PROBS)
        ]
    ]
    for room in range(1, 7):
        row = []
        for action in range(6):
            stays = action != 4 if room == 1 else action == room - 1
            row.append(
                [(1.0, room, SIX_ARMS_REWARDS[room - 1], False)]
                if stays
                else [(1.0, 0, 0.0, False)]
            )
        cells.append(row)
    initial = np.zeros(7)
    initial[0] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("state", 7),),
        name="six_arms",
        max_episode_steps=CATALOG["six_arms"].max_episode_steps,
    )


def chain(
    n_states: int = 5, slip: float = 0.2, small_reward: float = 2.0, large_reward: float = 10.0
) -> TabularMDP:
    """The chain (Strens, 2000; Dearden, Friedman and Russell, 1998).

    **Description.** A chain of ``n_states`` states. Action ``a`` (0) moves one state on,
    action ``b`` (1) returns to the start; with probability ``slip`` the other action happens.

    **States.** ``position`` 0 .. ``n_states - 1``. Start: 0.

    **Actions.** 0 forward (``a``), 1 back to the start (``b``).

    **Rewards.** ``small_reward`` on going back to the start; ``large_reward`` for going
    forward at the end of the chain (which stays there); 0 otherwise.

    **Episode End.** Never (continuing).

    **Usual criterion.** Discounted (0.99): the optimal policy always goes forward, though
    going back pays sooner.

    Parameters
    ----------
    n_states : int
        Length of the chain, at least 2 (5).
    slip : float
        Probability that the other action happens, in [0, 1) (0.2).
    small_reward, large_reward : float
        The two rewards (2 and 10).

    References
    ----------
    M. Strens, "A Bayesian framework for reinforcement learning", ICML 2000; R. Dearden, N.
    Friedman and S. Russell, "Bayesian Q-learning", AAAI 1998.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.chain(), gamma=0.99).policy.tolist()
    [0, 0, 0, 0, 0]
    """
    n_states = check_count("n_states", n_states)
    if n_states < 2:
        raise InvalidValueError(f"n_states must be >= 2, got {n_states}")
    slip = _check_probability("slip", slip, open_interval=False)
    small_reward = _check_real("small_reward", small_reward)
    large_reward = _check_real("large_reward", large_reward)
    last = n_states - 1
    cells = []
    for s in range(n_states):
        forward = (min(s + 1, last), large_reward if s == last else 0.0)
        back = (0, small_reward)
        row = []
        for intended, other in ((forward, back), (back, forward)):
            row.append([(1.0 - slip, *intended, False), (slip, *other, False)])
        cells.append(row)
    initial = np.zeros(n_states)
    initial[0] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("position", n_states),),
        name=f"chain({n_states})",
        max_episode_steps=CATALOG["chain"].max_episode_steps,
    )


def deep_sea(
    size: int = 10,
    deterministic: bool = True,
    unscaled_move_cost: float = 0.01,
    randomize_actions: bool = True,
    mapping_seed: int = 0,
) -> TabularMDP:
    """DeepSea (Osband et al.; bsuite's ``deep_sea``).

    **Description.** An N x N grid (``size``); the agent starts at the top left and falls one
    row per step, choosing to go left or right. Going right costs ``unscaled_move_cost /
    size``; going right in the bottom-right corner pays +1. Which action goes right is drawn
    per cell (bsuite's action mapping, ``numpy.random.RandomState(mapping_seed).binomial(1,
    0.5, (size, size))``; action equal to the mapping means right). In the stochastic
    version a right move fails (the agent stays in its column) with probability ``1 / size``.

    **States.** ``row`` 0 .. N-1 and ``col`` 0 .. N-1. Start: (0, 0).

    **Actions.** Two, mapped to left and right per cell.

    **Rewards.** As above. The stochastic bsuite version also adds N(0, 1) noise to the
    rewards of the bottom corners; that zero-mean noise is left out of this model (values and
    policies are unchanged, sampled returns less noisy).

    **Episode End.** After ``size`` steps (leaving the bottom row).

    **Usual criterion.** Undiscounted: going right all the way returns ``1 -
    unscaled_move_cost`` (0.99) in the deterministic version, ``(1 - 1/N)^(N-1) -
    unscaled_move_cost`` in expectation in the stochastic one; any left move forfeits the +1.

    Parameters
    ----------
    size : int
        N (10).
    deterministic : bool
        False: right moves fail with probability 1/N.
    unscaled_move_cost : float
        Total cost of going right all the way (0.01).
    randomize_actions : bool
        bsuite's random action mapping; False: action 1 is right everywhere.
    mapping_seed : int
        Seed of the mapping.

    References
    ----------
    I. Osband, B. Van Roy, D. Russo and Z. Wen, "Deep exploration via randomized value
    functions", JMLR 20 (2019); I. Osband et al., "Behaviour Suite for Reinforcement
    Learning", ICLR 2020.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.deep_sea(10)
    >>> round(float(rlf.value_iteration(mdp, gamma=1.0).values[0]), 10)
    0.99
    """
    size = check_count("size", size)
    if size < 2:
        raise InvalidValueError(f"size must be >= 2, got {size}")
    deterministic = check_bool("deterministic", deterministic)
    unscaled_move_cost = _check_real("unscaled_move_cost", unscaled_move_cost)
    randomize_actions = check_bool("randomize_actions", randomize_actions)
    mapping_seed = check_count("mapping_seed", mapping_seed, minimum=0)
    if randomize_actions:
        mapping = np.random.RandomState(mapping_seed).binomial(1, 0.5, [size, size])
    else:
        mapping = np.ones((size, size), dtype=int)
    fail = 0.0 if deterministic else 1.0 / size
    cells = []
    for row in range(size):
        below = min(row + 1, size - 1)
        done = row == size - 1
        for col in range(size):
            cell = []
            for action in range(2):
                if action == mapping[row, col]:
                    reward = (1.0 if col == size - 1 else 0.0) - unscaled_move_cost / size
                    moved = min(col + 1, size - 1)
                    cell.append(
                        [
                            (1.0 - fail, below * size + moved, reward, done),
                            (fail, below * size + col, reward, done),
                        ]
                    )
                else:
                    cell.append([(1.0, below * size + max(col - 1, 0), 0.0, done)])
            cells.append(cell)
    initial = np.zeros(size * size)
    initial[0] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("row", size), ("col", size)),
        name=f"deep_sea({size})",
        max_episode_steps=CATALOG["deep_sea"].max_episode_steps,
    )
