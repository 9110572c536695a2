"""Entropy-regularised control: soft value iteration.

Maximising the expected return plus ``temperature`` times the entropy of the policy at every
step gives the soft Bellman equation (Ziebart, 2010; Haarnoja et al., 2017)

    V(s) = temperature * log sum_a exp(Q(s, a) / temperature),
    Q(s, a) = R(s, a) + gamma * sum_s' P(s' | s, a) V(s'),

whose optimal policy is the softmax ``pi(a | s) = exp((Q(s, a) - V(s)) / temperature)``.
The soft backup is a ``gamma``-contraction in the sup norm, like the hard one, so the stopping
rule and the bounds are those of value iteration: stop when ``max |V' - V| < epsilon (1 -
gamma) / gamma``; then ``|V' - V*| <= gamma / (1 - gamma) * max |V' - V| < epsilon``, and
``result.lower`` / ``result.upper`` carry that interval. As the temperature goes to 0 the soft
values tend to the hard optimum, with ``V*_hard <= V*_soft <= V*_hard + temperature * log(A)
/ (1 - gamma)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from rlfoundations._kernels import soft as _kernels
from rlfoundations._kernels.layout import masked_rewards
from rlfoundations._validate import check_count, check_gamma, check_mdp, check_positive
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import ConvergenceWarning, SoftResult

__all__ = ["soft_value_iteration"]


def soft_value_iteration(
    mdp: TabularMDP,
    gamma: float,
    temperature: float,
    *,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
) -> SoftResult:
    """Solve the entropy-regularised ``mdp`` by soft value iteration.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    gamma : float
        Discount factor in [0, 1): with 1 the entropy bonus of a never-ending episode would be
        infinite.
    temperature : float
        Entropy weight, > 0. Small: nearly the greedy optimum; large: nearly uniform.
    epsilon : float
        Target: the values are within ``epsilon`` of the soft optimum at exit.
    max_iter : int, optional
        Bellman-sweep limit (default 10 000); reaching it warns (:class:`ConvergenceWarning`).

    Returns
    -------
    SoftResult
        ``values``, ``q_values``, the softmax ``policy`` (S, A) and bounds ``lower`` /
        ``upper`` on the soft optimal values.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.soft.soft_value_iteration`. Theory in the module
    docstring.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1")
    >>> result = rlf.soft_value_iteration(mdp, gamma=0.9, temperature=0.01)
    >>> result.policy.shape, bool(abs(result.policy.sum(axis=1) - 1).max() < 1e-12)
    ((16, 4), True)
    """
    mdp = check_mdp(mdp)
    gamma = check_gamma(gamma)
    if gamma == 1.0:
        raise InvalidValueError(
            "soft_value_iteration needs gamma < 1, got 1: the entropy bonus of an episode "
            "that may not end is unbounded; use gamma < 1"
        )
    temperature = check_positive("temperature", temperature)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = 10_000 if max_iter is None else check_count("max_iter", max_iter)
    threshold = math.inf if gamma == 0.0 else epsilon * (1.0 - gamma) / gamma
    rewards = masked_rewards(mdp.expected_reward, mdp.action_mask)
    model = (mdp.successor, mdp.continue_prob, rewards, gamma, temperature)
    values = np.zeros(mdp.n_states)
    q_values = np.empty((mdp.n_states, mdp.n_actions))
    residuals = np.empty(max_iter)
    iterations, converged = _kernels.soft_value_iteration(
        *model, threshold, max_iter, values, np.empty(mdp.n_states), q_values, residuals
    )
    policy = np.empty((mdp.n_states, mdp.n_actions))
    _kernels.soft_policy(*model, values, q_values, policy)
    margin = 0.0 if gamma == 0.0 else gamma / (1.0 - gamma) * residuals[iterations - 1]
    if not converged:
        warnings.warn(
            f"soft_value_iteration stopped at max_iter={iterations} (last change "
            f"{residuals[iterations - 1]:.3g}); the values are only within {margin:.3g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SoftResult(
        values=values,
        q_values=q_values,
        policy=policy,
        lower=values - margin,
        upper=values + margin,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=residuals[:iterations].copy(),
        gamma=gamma,
        temperature=temperature,
    )
