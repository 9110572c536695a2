"""Pure-Python twins of the n-step learners: n-step SARSA, tree backup and Q(sigma).

Sutton and Barto, sections 7.2, 7.5 and 7.6. Same names and signatures as
:mod:`rlfoundations.nstep`; bit-identical to the kernels for the same seed. The episode is
kept whole (S_0, A_0, R_1, S_1, ...), as the book's boxes index it. The three share one
loop: they differ in the return (:func:`sarsa_return`, :func:`sigma_return`) and in when the
next action is drawn (before the update when the update reads its Q, after it otherwise).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from rlfoundations.reference.learning import (
    Curve,
    _make_env,
    _result,
    _table,
    behave,
    expected_value,
    schedule_value,
)
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import LearningResult

if TYPE_CHECKING:
    import gymnasium

    from rlfoundations.mdp import TabularMDP
    from rlfoundations.schedules import Schedule

__all__ = ["n_step_sarsa", "n_step_tree_backup", "q_sigma"]


def expected_except(row: list, taken: int, target: str, exploration: str, level: float, allowed):
    """``(sum_{a != taken} pi(a) Q(a), pi(taken))`` over the ``allowed`` actions (or all).

    ``pi`` is greedy (ties share equally) or the behaviour policy.
    """
    top = max(row)
    actions = range(len(row)) if allowed is None else allowed
    n_ties = 0
    for a in actions:
        if row[a] == top:
            n_ties += 1
    if target == "greedy":
        if row[taken] == top:
            return top * (n_ties - 1) / n_ties, 1.0 / n_ties
        return top, 0.0
    partial, p_taken = 0.0, 0.0
    if exploration == "epsilon_greedy":
        for a in actions:
            p = level / len(actions)
            if row[a] == top:
                p += (1.0 - level) / n_ties
            if a == taken:
                p_taken = p
            else:
                partial += p * row[a]
        return partial, p_taken
    weight_sum = 0.0
    for a in actions:
        weight = math.exp((row[a] - top) / level)
        weight_sum += weight
        if a == taken:
            p_taken = weight
        else:
            partial += weight * row[a]
    return partial / weight_sum, p_taken / weight_sum


def target_value(row: list, target: str, exploration: str, level: float, allowed) -> float:
    """``sum_a pi(a) Q(a)``: the maximum (greedy) or Expected SARSA's expectation."""
    if target == "greedy":
        return max(row)
    return expected_value(row, exploration, level, allowed)


def sarsa_return(q, states, actions, rewards, tau, end, bootstrap, gamma) -> float:
    """n-step SARSA's return of step tau: rewards tau+1 .. end, then gamma^n Q(S_end, A_end)."""
    g, discount = 0.0, 1.0
    for i in range(tau + 1, end + 1):
        g += discount * rewards[i]
        discount *= gamma
    if bootstrap:
        g += discount * q[states[end]][actions[end]]
    return g


def sigma_return(q, states, actions, rewards, tau, end, bootstrap, gamma, sigma, target, pi):
    """Q(sigma)'s return of step tau (tree backup: sigma = 0), added front to back.

    ``G_{k-1} = R_k + gamma [(1 - sigma) sum_{a != A_k} pi(a) Q(S_k, a)
    + (sigma + (1 - sigma) pi(A_k)) G_k]``, ending in
    ``R_end + gamma [sigma Q(S_end, A_end) + (1 - sigma) sum_a pi(a) Q(S_end, a)]``.
    ``pi(s)`` gives the target policy's ``(exploration, level, allowed)`` in s.
    """
    g, discount = 0.0, 1.0
    for k in range(tau + 1, end + 1):
        g += discount * rewards[k]
        discount *= gamma
        if k < end and sigma < 1.0:
            partial, p_taken = expected_except(q[states[k]], actions[k], target, *pi(states[k]))
            g += discount * ((1.0 - sigma) * partial)
            discount *= sigma + (1.0 - sigma) * p_taken
    if bootstrap:
        s_end = states[end]
        if sigma == 1.0:
            leaf = q[s_end][actions[end]]
        elif sigma == 0.0:
            leaf = target_value(q[s_end], target, *pi(s_end))
        else:
            leaf = sigma * q[s_end][actions[end]] + (1.0 - sigma) * (
                target_value(q[s_end], target, *pi(s_end))
            )
        g += discount * leaf
    return g


def _run(algorithm, mdp, gamma, n_steps, seed, alpha, epsilon, exploration, temperature, n,
         sigma, target, eval_every, record_episodes) -> LearningResult:  # fmt: skip
    """The n-step loop of section 7.2's box, driven by environment steps."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    # The update reads Q(S_end, A_end) (SARSA, sigma > 0): draw A_end before it.
    early = algorithm == "n_step_sarsa" or sigma > 0.0
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)

    def update(states, actions, rewards, tau, end, bootstrap, step_alpha, step_level):
        if algorithm == "n_step_sarsa":
            g = sarsa_return(q, states, actions, rewards, tau, end, bootstrap, gamma)
        else:

            def pi(state):
                return exploration, step_level, env.allowed(state)

            g = sigma_return(
                q, states, actions, rewards, tau, end, bootstrap, gamma, sigma, target, pi
            )
        s, a = states[tau], actions[tau]
        q[s][a] += step_alpha * (g - q[s][a])

    t = 0
    while t < n_steps:
        s = env.reset()
        a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
        states, actions, rewards = [s], [a], [0.0]
        episode_return = 0.0
        while t < n_steps:
            s_next, r, terminated, truncated = env.step(s, a)
            step_alpha = schedule_value(alpha, t)
            t += 1
            step_level = schedule_value(level, t)
            episode_return += r
            a_next = 0
            if early and not terminated:
                a_next = behave(q[s_next], exploration, step_level, rng, env.allowed(s_next))
            states.append(s_next)
            actions.append(a_next)
            rewards.append(r)
            big_t = len(states) - 1  # the steps taken so far in the episode
            first = big_t - n
            if terminated or truncated:
                for tau in range(max(first, 0), big_t):
                    update(
                        states, actions, rewards, tau, min(tau + n, big_t), not terminated,
                        step_alpha, step_level,
                    )  # fmt: skip
            else:
                if first >= 0:
                    update(states, actions, rewards, first, first + n, True, step_alpha, step_level)
                if not early:
                    # Tree backup's next action, drawn from the table just updated.
                    a_next = behave(q[s_next], exploration, step_level, rng, env.allowed(s_next))
                    actions[-1] = a_next
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(big_t)
                break
            s, a = s_next, a_next
    return _result(algorithm, q, returns, lengths, t, gamma, seed, curve, record_episodes)


def n_step_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    n: int = 4,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """n-step SARSA (section 7.2): Q(S_tau, A_tau) moves towards the n-step return."""
    return _run(
        "n_step_sarsa", mdp, gamma, n_steps, seed, alpha, epsilon, exploration, temperature, n,
        1.0, "behaviour", eval_every, record_episodes,
    )  # fmt: skip


def n_step_tree_backup(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    n: int = 4,
    target_policy: Literal["greedy", "behaviour"] = "greedy",
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """n-step tree backup (section 7.5): the return weighs each action by its target probability."""
    return _run(
        "n_step_tree_backup", mdp, gamma, n_steps, seed, alpha, epsilon, exploration,
        temperature, n, 0.0, target_policy, eval_every, record_episodes,
    )  # fmt: skip


def q_sigma(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    n: int = 4,
    sigma: float = 0.5,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """n-step Q(sigma) (section 7.6), on-policy: sigma mixes sampling and expectation."""
    return _run(
        "q_sigma", mdp, gamma, n_steps, seed, alpha, epsilon, exploration, temperature, n,
        float(sigma), "behaviour", eval_every, record_episodes,
    )  # fmt: skip
