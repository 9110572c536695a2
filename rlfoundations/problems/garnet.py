"""GARNET random models (Archibald, McKinnon and Thomas, 1995): the benchmarks' random MDPs."""

from __future__ import annotations

import numpy as np

from rlfoundations._validate import check_count, check_seed
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems._catalog import CATALOG
from rlfoundations.problems.textbook import _check_probability

__all__ = ["garnet"]


def garnet(
    n_states: int = 100,
    n_actions: int = 4,
    branching: int = 3,
    seed: int = 0,
    *,
    terminal_prob: float = 0.0,
    name: str | None = None,
) -> TabularMDP:
    """A GARNET random model: ``branching`` distinct random next states per (state, action).

    **Description.** For every (state, action), ``branching`` distinct next states drawn
    uniformly (Floyd's sampling, vectorised), with probabilities that cut [0, 1] at
    ``branching - 1`` uniform points, and standard normal rewards per outcome. The
    benchmarks build their 10^3 .. 10^6-state models with it.

    **States.** ``state`` 0 .. ``n_states - 1``. Start: uniform.

    **Actions.** ``n_actions``, all alike.

    **Rewards.** Standard normal, one per outcome.

    **Episode End.** Each outcome ends the episode with probability ``terminal_prob`` (drawn
    once, when the model is built); by default never.

    **Usual criterion.** Discounted.

    Parameters
    ----------
    n_states : int
        States (100).
    n_actions : int
        Actions (4).
    branching : int
        Next states per (state, action), at most ``n_states`` (3).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same model.
    terminal_prob : float
        Probability that an outcome terminates, in [0, 1].
    name : str or None
        The model's name (shown in its ``repr``); by default the call that made it.

    References
    ----------
    T. W. Archibald, K. I. M. McKinnon and L. C. Thomas, "On the generation of Markov
    decision processes", J. Operational Research Society 46 (1995); S. Bhatnagar et al.,
    "Natural actor-critic algorithms", Automatica 45 (2009), for the name and the recipe.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.garnet(50, 3, branching=2, seed=1)
    >>> mdp.n_states, mdp.n_actions, mdp.max_outcomes
    (50, 3, 2)
    """
    n_states = check_count("n_states", n_states)
    n_actions = check_count("n_actions", n_actions)
    branching = check_count("branching", branching)
    if branching > n_states:
        raise InvalidValueError(
            f"branching must be <= n_states = {n_states} (distinct next states), got {branching}"
        )
    seed = check_seed(seed)
    terminal_prob = _check_probability("terminal_prob", terminal_prob, open_interval=False)
    rng = np.random.default_rng(seed)
    shape = (n_states, n_actions, branching)
    # Floyd's algorithm: for j = n - b .. n - 1, draw t in [0, j]; take j instead if t is
    # already taken. Every set of b distinct states is equally likely.
    next_state = np.empty(shape, dtype=np.int64)
    for slot, top in enumerate(range(n_states - branching, n_states)):
        draw = rng.integers(0, top + 1, size=shape[:2])
        taken = (next_state[:, :, :slot] == draw[:, :, None]).any(axis=2)
        next_state[:, :, slot] = np.where(taken, top, draw)
    cuts = np.sort(rng.random((*shape[:2], branching - 1)), axis=2)
    edges = np.concatenate([np.zeros((*shape[:2], 1)), cuts, np.ones((*shape[:2], 1))], axis=2)
    prob = np.diff(edges, axis=2)
    reward = rng.normal(size=shape)
    terminated = rng.random(shape) < terminal_prob
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=np.full(n_states, 1.0 / n_states),
        max_episode_steps=CATALOG["garnet"].max_episode_steps,
        name=name or f"garnet({n_states}, {n_actions}, {branching}, seed={seed})",
        factors=(("state", n_states),),
        copy=False,  # the arrays are fresh and this function's own: no second copy
    )
