"""Pure-Python twins of :mod:`rlfoundations.exploration`: the papers' loops, episode by episode.

Same names and signatures as the public learners; no NumPy in the loops, no Numba. The model
is simulated by :class:`rlfoundations.reference.learning.ModelEnv` from the shared stream
(:class:`~rlfoundations.reference.random.Xoshiro256`), drawn in the kernels' order (see
:mod:`rlfoundations._kernels.exploration`), so for the same seed the regret curves and tables
are bit-identical. Every episode:

1. plan (or read off the learned table) a non-stationary greedy policy, lowest index on ties;
2. evaluate it exactly on the model and record ``sum_s initial(s) (V*_0(s) - V^pi_0(s))``;
3. play it and update the counts (UCB Q-learning: its table, step by step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.horizon import backward_induction
from rlfoundations.reference.learning import ModelEnv, random_action
from rlfoundations.reference.planning import expected_reward
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import RegretResult

__all__ = ["exploration_sweep", "psrl", "rmax", "ucb_q_learning", "ucbvi"]


# -- random variates from the shared stream ----------------------------------------------------
def standard_normal(rng: Xoshiro256) -> float:
    """Box-Muller, the cosine branch."""
    u1 = rng.uniform()
    u2 = rng.uniform()
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def gamma_variate(shape: float, rng: Xoshiro256) -> float:
    """Gamma(shape, 1) by Marsaglia and Tsang (2000).

    Below shape 1: Gamma(shape + 1) * U^(1/shape).
    """
    a = shape + 1.0 if shape < 1.0 else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = standard_normal(rng)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = rng.uniform()
        if math.log(1.0 - u) < 0.5 * x * x + d - d * v + d * math.log(v):
            break
    g = d * v
    if shape < 1.0:
        g = g * (1.0 - rng.uniform()) ** (1.0 / shape)
    return g


# -- what the learners share: the model, the exact regret, the bookkeeping ---------------------
class Counts:
    """n(s, a), n(s, a, s') with s' = S for the terminal outcome, and the reward sums."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.visits = [[0] * n_actions for _ in range(n_states)]
        self.next_counts = [
            [[0] * (n_states + 1) for _ in range(n_actions)] for _ in range(n_states)
        ]
        self.reward_sum = [[0.0] * n_actions for _ in range(n_states)]

    def add(self, s: int, a: int, reward: float, next_state: int, done: bool) -> None:
        self.visits[s][a] += 1
        self.next_counts[s][a][len(self.visits) if done else next_state] += 1
        self.reward_sum[s][a] += reward


def allows(mdp: TabularMDP, s: int, a: int) -> bool:
    """Whether ``mdp.action_mask`` (if any) allows action a in state s."""
    return mdp.action_mask is None or bool(mdp.action_mask[s, a])


def allowed_actions(mdp: TabularMDP, s: int) -> list | None:
    """The actions s allows, or None when the model masks none anywhere."""
    if mdp.action_mask is None or mdp.action_mask.all():
        return None
    return [a for a in range(mdp.n_actions) if mdp.action_mask[s, a]]


def reward_range(mdp: TabularMDP) -> tuple[float, float]:
    """The rewards of the outcomes of allowed pairs with positive probability: min, max."""
    rewards = [
        float(mdp.reward[s, a, k])
        for s in range(mdp.n_states)
        for a in range(mdp.n_actions)
        for k in range(mdp.max_outcomes)
        if mdp.prob[s, a, k] > 0.0 and allows(mdp, s, a)
    ]
    return min(rewards), max(rewards)


def greedy(row: list) -> int:
    best = 0
    for a in range(1, len(row)):
        if row[a] > row[best]:
            best = a
    return best


def episode_regret(mdp: TabularMDP, optimal: list, policy: list, epsilon: float) -> float:
    """``sum_s initial(s) (V*_0(s) - V^pi_0(s))``.

    V^pi by backward induction of the (epsilon-greedy version of the) non-stationary
    ``policy``.
    """
    n_states, n_actions = mdp.n_states, mdp.n_actions
    values = [0.0] * n_states
    for t in range(len(policy) - 1, -1, -1):
        stage = [0.0] * n_states
        for s in range(n_states):
            total = 0.0
            allowed = allowed_actions(mdp, s)
            for a in range(n_actions) if allowed is None else allowed:  # the allowed ones
                weight = epsilon / (n_actions if allowed is None else len(allowed))
                if a == policy[t][s]:
                    weight += 1.0 - epsilon
                if weight == 0.0:
                    continue
                future = 0.0
                for k in range(mdp.max_outcomes):
                    if not mdp.terminated[s, a, k]:
                        future += float(mdp.prob[s, a, k]) * values[mdp.next_state[s, a, k]]
                total += weight * (expected_reward(mdp, s, a) + future)
            stage[s] = total
        values = stage
    regret = 0.0
    for s in range(n_states):
        regret += float(mdp.initial[s]) * (optimal[s] - values[s])
    return regret


def optimistic_plan(mdp, horizon, counts, high, bonus_of, capped) -> tuple[list, list]:
    """Backward induction on the empirical model.

    ``bonus_of(n)`` is added to each backup and, if ``capped``, the result capped at
    ``(H - t) r_max``; pairs never tried (or, R-max, not known: ``bonus_of`` returns None)
    are worth ``(H - t) r_max``, masked pairs -inf.
    """
    n_states, n_actions = mdp.n_states, mdp.n_actions
    q = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
    policy = [[0] * n_states for _ in range(horizon)]
    values = [0.0] * n_states
    for t in range(horizon - 1, -1, -1):
        cap = (horizon - t) * high
        stage = [0.0] * n_states
        for s in range(n_states):
            for a in range(n_actions):
                if not allows(mdp, s, a):
                    q[t][s][a] = -math.inf
                    continue
                n = counts.visits[s][a]
                bonus = bonus_of(n)
                if n == 0 or bonus is None:
                    q[t][s][a] = cap
                    continue
                future = 0.0
                for j in range(n_states):
                    future += counts.next_counts[s][a][j] / n * values[j]
                value = counts.reward_sum[s][a] / n + future
                if capped:
                    value = min(cap, value + bonus)
                q[t][s][a] = value
            policy[t][s] = greedy(q[t][s])
            stage[s] = q[t][s][policy[t][s]]
        values = stage
    return q, policy


def _run(algorithm, mdp, horizon, n_episodes, seed, choose_policy, learn=None, epsilon=0.0):
    """Play ``n_episodes``.

    ``choose_policy(counts, rng)`` gives (q, policy) before each episode;
    ``learn(t, s, a, r, s', done)`` runs after each step.
    """
    rng = Xoshiro256(seed)
    env = ModelEnv(mdp, rng, honour_mask=True)
    optimal = backward_induction(mdp, horizon).values[0].tolist()  # over the allowed actions
    counts = Counts(mdp.n_states, mdp.n_actions)
    regrets, returns = [], []
    q = policy = None
    for _ in range(n_episodes):
        q, policy = choose_policy(counts, rng)
        regrets.append(episode_regret(mdp, optimal, policy, epsilon))
        s = env.reset()
        total = 0.0
        for t in range(horizon):
            a = policy[t][s]
            if epsilon > 0.0 and rng.uniform() < epsilon:
                a = random_action(mdp.n_actions, rng, env.allowed(s))
            next_state, reward, done, _ = env.step(s, a)
            counts.add(s, a, reward, next_state, done)
            if learn is not None:
                learn(t, s, a, reward, next_state, done)
            total += reward
            if done:
                break
            s = next_state
        returns.append(total)
    cumulative, running = [], 0.0
    for r in regrets:
        running += r
        cumulative.append(running)
    best = 0.0
    for s in range(mdp.n_states):
        best += float(mdp.initial[s]) * optimal[s]
    q_array = np.array(q, dtype=np.float64).reshape(horizon, mdp.n_states, mdp.n_actions)
    return RegretResult(
        regret=np.array(cumulative, dtype=np.float64),
        episode_regret=np.array(regrets, dtype=np.float64),
        episode_returns=np.array(returns, dtype=np.float64),
        q_values=q_array,
        policy=np.argmax(q_array, axis=2).astype(np.int64),
        optimal_value=best,
        algorithm=algorithm,
        horizon=horizon,
        seed=seed,
    )


# -- the learners ------------------------------------------------------------------------------
def ucbvi(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    bonus_scale: float = 1.0,
    delta: float = 0.05,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """UCBVI-CH: optimistic backward induction, bonus c (r_max - r_min) H sqrt(L / n)."""
    low, high = reward_range(mdp)
    log_factor = math.log(5.0 * (mdp.n_states * mdp.n_actions * horizon * n_episodes) / delta)
    scale = bonus_scale * (high - low) * horizon

    def choose_policy(counts, rng):
        return optimistic_plan(
            mdp,
            horizon,
            counts,
            high,
            lambda n: scale * math.sqrt(log_factor / n) if n else 0.0,
            True,
        )

    return _run("ucbvi", mdp, horizon, n_episodes, seed, choose_policy)


def rmax(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    known_visits: int = 10,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """R-max: the empirical model where known (m visits), (H - t) r_max elsewhere."""
    _, high = reward_range(mdp)

    def choose_policy(counts, rng):
        return optimistic_plan(
            mdp, horizon, counts, high, lambda n: None if n < known_visits else 0.0, False
        )

    return _run("rmax", mdp, horizon, n_episodes, seed, choose_policy)


def psrl(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    transition_prior: float = 1.0,
    reward_prior_mean: float = 0.0,
    reward_prior_variance: float = 1.0,
    reward_noise_variance: float = 1.0,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """PSRL: draw a model from the Dirichlet / Normal posterior, play its optimal policy."""
    n_states, n_actions = mdp.n_states, mdp.n_actions

    def choose_policy(counts, rng):
        # Placeholders, every one replaced by a distribution below.
        sampled_next: list[list[list[float]]] = [[None] * n_actions for _ in range(n_states)]  # type: ignore[list-item]
        sampled_reward = [[0.0] * n_actions for _ in range(n_states)]
        for s in range(n_states):
            for a in range(n_actions):
                draws = [
                    gamma_variate(transition_prior + counts.next_counts[s][a][j], rng)
                    for j in range(n_states + 1)
                ]
                total = 0.0
                for g in draws:
                    total += g
                sampled_next[s][a] = [g / total for g in draws]
                precision = (
                    1.0 / reward_prior_variance + counts.visits[s][a] / reward_noise_variance
                )
                mean = (
                    reward_prior_mean / reward_prior_variance
                    + counts.reward_sum[s][a] / reward_noise_variance
                ) / precision
                sampled_reward[s][a] = mean + standard_normal(rng) / math.sqrt(precision)
        q = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
        policy = [[0] * n_states for _ in range(horizon)]
        values = [0.0] * n_states
        for t in range(horizon - 1, -1, -1):
            stage = [0.0] * n_states
            for s in range(n_states):
                for a in range(n_actions):
                    if not allows(mdp, s, a):
                        q[t][s][a] = -math.inf
                        continue
                    future = 0.0
                    for j in range(n_states):
                        future += sampled_next[s][a][j] * values[j]
                    q[t][s][a] = sampled_reward[s][a] + future
                policy[t][s] = greedy(q[t][s])
                stage[s] = q[t][s][policy[t][s]]
            values = stage
        return q, policy

    return _run("psrl", mdp, horizon, n_episodes, seed, choose_policy)


def ucb_q_learning(
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seed: int = 0,
    bonus: str = "hoeffding",
    bonus_scale: float = 1.0,
    delta: float = 0.05,
    epsilon: float = 0.0,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> RegretResult:
    """Jin et al.'s Q-learning with Hoeffding or Bernstein bonuses (or none, epsilon-greedy)."""
    n_states, n_actions = mdp.n_states, mdp.n_actions
    low, high = reward_range(mdp)
    span = high - low
    iota = math.log((n_states * n_actions * horizon * n_episodes) / delta)
    start = [(horizon - t) * high if bonus != "none" else 0.0 for t in range(horizon)]
    q = [
        [
            [start[t] if allows(mdp, s, a) else -math.inf for a in range(n_actions)]
            for s in range(n_states)
        ]
        for t in range(horizon)
    ]
    visits = [[[0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
    value_sum = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
    value_square = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]
    beta_prev = [[[0.0] * n_actions for _ in range(n_states)] for _ in range(horizon)]

    def choose_policy(counts, rng):
        return q, [[greedy(q[t][s]) for s in range(n_states)] for t in range(horizon)]

    def learn(h, s, a, reward, next_state, done):
        n = visits[h][s][a] = visits[h][s][a] + 1
        next_value = 0.0
        if not done and h + 1 < horizon:
            next_value = min((horizon - h - 1) * high, max(q[h + 1][next_state]))
        alpha = (horizon + 1.0) / (horizon + n)
        b = 0.0
        if bonus == "hoeffding":
            b = bonus_scale * span * math.sqrt(horizon**3 * iota / n)
        elif bonus == "bernstein":
            value_sum[h][s][a] += next_value
            value_square[h][s][a] += next_value * next_value
            mean = value_sum[h][s][a] / n
            variance = max(0.0, value_square[h][s][a] / n - mean * mean)
            bernstein = math.sqrt(horizon / n * (variance + horizon * span * span) * iota) + (
                span * math.sqrt(horizon**7 * n_states * n_actions) * iota / n
            )
            beta = bonus_scale * min(bernstein, span * math.sqrt(horizon**3 * iota / n))
            b = (beta - (1.0 - alpha) * beta_prev[h][s][a]) / (2.0 * alpha)
            beta_prev[h][s][a] = beta
        q[h][s][a] = (1.0 - alpha) * q[h][s][a] + alpha * (reward + next_value + b)

    return _run("ucb_q_learning", mdp, horizon, n_episodes, seed, choose_policy, learn, epsilon)


def exploration_sweep(
    algorithm: str,
    mdp: TabularMDP,
    horizon: int,
    n_episodes: int,
    *,
    seeds: Sequence[int],
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
    **options: float | str,
) -> list[RegretResult]:
    """One run of ``algorithm`` per seed, one after the other."""
    learner: dict[str, Callable[..., RegretResult]] = {
        "ucbvi": ucbvi,
        "psrl": psrl,
        "ucb_q_learning": ucb_q_learning,
        "rmax": rmax,
    }
    return [learner[algorithm](mdp, horizon, n_episodes, seed=seed, **options) for seed in seeds]
