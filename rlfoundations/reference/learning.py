"""Pure-Python twins of the learners: the textbook loops, episode by episode.

Same names and signatures as :mod:`rlfoundations.learning`; no NumPy in the loops, no Numba.
Given a TabularMDP, the environment is simulated from the model with the same random stream
(:class:`rlfoundations.reference.random.Xoshiro256`) drawn in the same order as the kernels,
so for the same seed the Q tables are bit-identical. Given a ``gymnasium.Env``, the same
loops step the env instead: that is the library's slow path for envs without a model.

Every TD update is Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a)); a terminated
transition has target r (nothing after the end), a truncated one (time limit) bootstraps.
REINFORCE learns from whole episodes, as Sutton and Barto's box in section 13.4 reads.
"""

from __future__ import annotations

import math

import numpy as np

from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import LearningResult

__all__ = ["double_q_learning", "dyna_q", "expected_sarsa", "q_learning", "reinforce", "sarsa"]


# -- the environment: simulated from a model, or a live gymnasium env ---------------------------
class ModelEnv:
    """A TabularMDP as an env drawing from the learner's stream: reset() and step(s, a)."""

    def __init__(self, mdp: TabularMDP, rng: Xoshiro256) -> None:
        self.rng = rng
        self.n_states, self.n_actions = mdp.n_states, mdp.n_actions
        self.next_state = mdp.next_state.tolist()
        self.prob = mdp.prob.tolist()
        self.reward = mdp.reward.tolist()
        self.terminated = mdp.terminated.tolist()
        self.max_episode_steps = mdp.max_episode_steps
        # Running sum of the initial distribution, added left to right.
        self.initial_cdf = []
        total = 0.0
        for p in mdp.initial.tolist():
            total += p
            self.initial_cdf.append(total)
        self.episode_step = 0

    def reset(self) -> int:
        u = self.rng.uniform()
        self.episode_step = 0
        for s, edge in enumerate(self.initial_cdf):
            if u < edge:
                return s
        # Rounding left the total below u: the last state that raised the running sum.
        last = 0
        for s in range(1, self.n_states):
            if self.initial_cdf[s] > self.initial_cdf[s - 1]:
                last = s
        return last

    def step(self, s: int, a: int) -> tuple[int, float, bool, bool]:
        probs = self.prob[s][a]
        k = 0
        if len(probs) > 1:
            u = self.rng.uniform()
            total = 0.0
            k = None
            last = 0
            for slot, p in enumerate(probs):
                if p > 0.0:
                    last = slot
                    total += p
                    if u < total:
                        k = slot
                        break
            if k is None:
                k = last
        self.episode_step += 1
        done = self.terminated[s][a][k]
        truncated = (
            not done
            and self.max_episode_steps is not None
            and self.episode_step >= self.max_episode_steps
        )
        return self.next_state[s][a][k], self.reward[s][a][k], done, truncated


class GymEnv:
    """A live gymnasium env with Discrete spaces behind the same reset() / step(s, a)."""

    def __init__(self, env, seed: int) -> None:
        from gymnasium import spaces

        for name in ("observation_space", "action_space"):
            space = getattr(env, name)
            if not isinstance(space, spaces.Discrete):
                raise TypeError(
                    f"the env's {name} must be gymnasium.spaces.Discrete for a tabular "
                    f"learner, got {space}"
                )
        self.env = env
        self.seed = seed
        self.n_states = int(env.observation_space.n)
        self.n_actions = int(env.action_space.n)
        self.start = int(env.observation_space.start)

    def reset(self) -> int:
        if self.seed is not None:
            observation, _ = self.env.reset(seed=self.seed)
            self.seed = None
        else:
            observation, _ = self.env.reset()
        return int(observation) - self.start

    def step(self, s: int, a: int) -> tuple[int, float, bool, bool]:
        observation, reward, terminated, truncated, _ = self.env.step(a)
        return int(observation) - self.start, float(reward), bool(terminated), bool(truncated)


# -- schedules and the behaviour policy ----------------------------------------------------------
def schedule_value(schedule, t: int, count: int = 0) -> float:
    """A number is constant; a Schedule is read from its fields."""
    if not hasattr(schedule, "kind"):
        return float(schedule)
    if schedule.kind == "constant":
        return float(schedule.start)
    if schedule.kind == "linear":
        fraction = t / schedule.steps
        if fraction >= 1.0:
            return float(schedule.end)
        return schedule.start + (schedule.end - schedule.start) * fraction
    if schedule.kind == "exponential":
        return schedule.end + (schedule.start - schedule.end) * math.exp(-(t / schedule.steps))
    return 1.0 / math.pow(count, schedule.omega)


def greedy_random_tie(row: list, rng: Xoshiro256) -> int:
    """A maximal entry of ``row``; among several, one drawn uniformly."""
    best = max(row)
    maximal = [a for a, value in enumerate(row) if value == best]
    if len(maximal) == 1:
        return maximal[0]
    return maximal[rng.below(len(maximal))]


def argmax_lowest(row: list) -> int:
    best = 0
    for a in range(1, len(row)):
        if row[a] > row[best]:
            best = a
    return best


def behave(row: list, exploration: str, level: float, rng: Xoshiro256) -> int:
    """Epsilon-greedy (level = epsilon) or softmax (level = temperature) on one Q row."""
    if exploration == "epsilon_greedy":
        if rng.uniform() < level:
            return rng.below(len(row))
        return greedy_random_tie(row, rng)
    top = max(row)
    weights = [math.exp((value - top) / level) for value in row]
    total = 0.0
    for weight in weights:
        total += weight
    u = rng.uniform() * total
    running = 0.0
    for a, weight in enumerate(weights):
        running += weight
        if u < running:
            return a
    return len(row) - 1


def expected_value(row: list, exploration: str, level: float) -> float:
    """sum_a pi(a) Q(a) under the behaviour policy."""
    top = max(row)
    if exploration == "epsilon_greedy":
        n_ties = row.count(top)
        total = 0.0
        for value in row:
            p = level / len(row)
            if value == top:
                p += (1.0 - level) / n_ties
            total += p * value
        return total
    weighted = 0.0
    weight_sum = 0.0
    for value in row:
        weight = math.exp((value - top) / level)
        weight_sum += weight
        weighted += weight * value
    return weighted / weight_sum


# -- the learners ---------------------------------------------------------------------------------
def _make_env(mdp, seed: int, rng: Xoshiro256):
    if isinstance(mdp, TabularMDP):
        return ModelEnv(mdp, rng)
    return GymEnv(mdp, seed)


def _evaluate(mdp, q, gamma):
    from rlfoundations.reference.planning import policy_evaluation

    policy = [argmax_lowest(row) for row in q]
    try:
        return list(policy_evaluation(mdp, np.array(policy), gamma).values)
    except ValueError:
        return [math.nan] * mdp.n_states


def _td(
    algorithm: str,
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha,
    epsilon,
    exploration,
    temperature,
    planning_steps=0,
    eval_every=None,
) -> LearningResult:
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    n_states, n_actions = env.n_states, env.n_actions
    level_schedule = epsilon if exploration == "epsilon_greedy" else temperature
    q = [[0.0] * n_actions for _ in range(n_states)]
    q_b = [[0.0] * n_actions for _ in range(n_states)]  # Double Q-learning's second table
    visits = [[0] * n_actions for _ in range(n_states)]
    model = {}  # Dyna-Q: (s, a) -> (r, s', terminated), the last seen
    seen = []  # Dyna-Q: pairs in order of first visit
    returns, lengths = [], []
    curve_steps, curve_values = [], []

    def behaviour_row(s):
        if algorithm == "double_q_learning":
            return [q[s][a] + q_b[s][a] for a in range(n_actions)]
        return q[s]

    def evaluate(t):
        if eval_every is not None:
            curve_steps.append(t)
            curve_values.append(_evaluate(mdp, q_now(), gamma))

    def q_now():
        if algorithm == "double_q_learning":
            return [
                [(q[s][a] + q_b[s][a]) / 2.0 for a in range(n_actions)] for s in range(n_states)
            ]
        return q

    evaluate(0)
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        if algorithm == "sarsa":
            a = behave(q[s], exploration, schedule_value(level_schedule, t), rng)
        while t < n_steps:
            if algorithm != "sarsa":
                level = schedule_value(level_schedule, t)
                a = behave(behaviour_row(s), exploration, level, rng)
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r

            if algorithm == "double_q_learning":
                if rng.uniform() < 0.5:
                    update, other = q, q_b
                else:
                    update, other = q_b, q
                target = r
                if not terminated:
                    target = r + gamma * other[s_next][argmax_lowest(update[s_next])]
                update[s][a] += step_alpha * (target - update[s][a])
            else:
                target = r
                if not terminated:
                    if algorithm == "sarsa":
                        level = schedule_value(level_schedule, t)
                        a_next = behave(q[s_next], exploration, level, rng)
                        target = r + gamma * q[s_next][a_next]
                    elif algorithm == "expected_sarsa":
                        level = schedule_value(level_schedule, t)
                        target = r + gamma * expected_value(q[s_next], exploration, level)
                    else:
                        target = r + gamma * max(q[s_next])
                q[s][a] += step_alpha * (target - q[s][a])

            if algorithm == "dyna_q":
                if (s, a) not in model:
                    seen.append((s, a))
                model[s, a] = (r, s_next, terminated)
                for _ in range(planning_steps):
                    ps, pa = seen[rng.below(len(seen))]
                    model_r, model_next, model_terminated = model[ps, pa]
                    target = model_r
                    if not model_terminated:
                        target = model_r + gamma * max(q[model_next])
                    replay_alpha = schedule_value(alpha, t - 1, visits[ps][pa])
                    q[ps][pa] += replay_alpha * (target - q[ps][pa])

            if eval_every is not None and (t % eval_every == 0 or t == n_steps):
                evaluate(t)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
            if algorithm == "sarsa":
                a = a_next

    q_values = np.array(q_now(), dtype=np.float64)
    return LearningResult(
        q_values=q_values,
        policy=np.array([argmax_lowest(row) for row in q_now()], dtype=np.int64),
        episode_returns=np.array(returns, dtype=np.float64),
        episode_lengths=np.array(lengths, dtype=np.int64),
        total_steps=t,
        algorithm=algorithm,
        gamma=float(gamma),
        seed=int(seed),
        curve_steps=None if eval_every is None else np.array(curve_steps),
        curve_values=None if eval_every is None else np.array(curve_values),
    )


def q_learning(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    epsilon=0.1,
    exploration="epsilon_greedy",
    temperature=1.0,
    eval_every=None,
) -> LearningResult:
    """Q-learning: target r + gamma * max_a' Q(s', a')."""
    return _td("q_learning", **locals())


def sarsa(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    epsilon=0.1,
    exploration="epsilon_greedy",
    temperature=1.0,
    eval_every=None,
) -> LearningResult:
    """SARSA: target r + gamma * Q(s', a'), a' the next behaviour action."""
    return _td("sarsa", **locals())


def expected_sarsa(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    epsilon=0.1,
    exploration="epsilon_greedy",
    temperature=1.0,
    eval_every=None,
) -> LearningResult:
    """Expected SARSA: target r + gamma * sum_a' pi(a' | s') Q(s', a')."""
    return _td("expected_sarsa", **locals())


def double_q_learning(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    epsilon=0.1,
    exploration="epsilon_greedy",
    temperature=1.0,
    eval_every=None,
) -> LearningResult:
    """Double Q-learning: a coin picks table A or B; it moves towards the other's value."""
    return _td("double_q_learning", **locals())


def dyna_q(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    epsilon=0.1,
    exploration="epsilon_greedy",
    temperature=1.0,
    planning_steps=10,
    eval_every=None,
) -> LearningResult:
    """Dyna-Q: Q-learning, then planning_steps replays of remembered transitions."""
    return _td("dyna_q", **locals())


def reinforce(
    mdp,
    *,
    gamma,
    n_steps,
    seed,
    alpha=0.1,
    baseline_alpha=0.1,
    baseline=True,
    eval_every=None,
) -> LearningResult:
    """REINFORCE with a baseline on a softmax policy table, episode by episode.

    Generate an episode with pi(a | s) = softmax(theta[s]); then for each step t, in order:
    G_t = the return from t; delta = G_t - b(s_t); b(s_t) += beta * delta;
    theta[s_t] += alpha * gamma^t * delta * grad log pi(a_t | s_t).
    """
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    n_states, n_actions = env.n_states, env.n_actions
    theta = [[0.0] * n_actions for _ in range(n_states)]
    b = [0.0] * n_states
    returns, lengths = [], []
    curve_steps, curve_values = [], []

    def evaluate(t):
        if eval_every is not None:
            curve_steps.append(t)
            curve_values.append(_evaluate(mdp, theta, gamma))

    def learn(path, bootstrap, t):
        # Returns, backwards from the end (or from the baseline's guess after a time limit).
        g = [0.0] * len(path)
        ret = bootstrap
        for i in range(len(path) - 1, -1, -1):
            ret = path[i][2] + gamma * ret
            g[i] = ret
        step_alpha = schedule_value(alpha, t)
        beta = schedule_value(baseline_alpha, t)
        discount = 1.0
        for i, (s, a, _) in enumerate(path):
            delta = g[i]
            if baseline:
                delta = g[i] - b[s]
                b[s] += beta * delta
            top = max(theta[s])
            weights = [math.exp(preference - top) for preference in theta[s]]
            total = 0.0
            for weight in weights:
                total += weight
            step = step_alpha * discount * delta
            for action in range(n_actions):
                indicator = 1.0 if action == a else 0.0
                theta[s][action] += step * (indicator - weights[action] / total)
            discount *= gamma

    evaluate(0)
    t = 0
    while t < n_steps:
        s = env.reset()
        path = []  # (state, action, reward) of every step
        episode_return = 0.0
        while t < n_steps:
            a = behave(theta[s], "softmax", 1.0, rng)
            s_next, r, terminated, truncated = env.step(s, a)
            path.append((s, a, r))
            t += 1
            episode_return += r
            if terminated or truncated:
                bootstrap = b[s_next] if truncated and not terminated and baseline else 0.0
                learn(path, bootstrap, t)
            if eval_every is not None and (t % eval_every == 0 or t == n_steps):
                evaluate(t)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(len(path))
                break
            s = s_next

    return LearningResult(
        q_values=np.array(theta, dtype=np.float64),
        policy=np.array([argmax_lowest(row) for row in theta], dtype=np.int64),
        episode_returns=np.array(returns, dtype=np.float64),
        episode_lengths=np.array(lengths, dtype=np.int64),
        total_steps=t,
        algorithm="reinforce",
        gamma=float(gamma),
        seed=int(seed),
        curve_steps=None if eval_every is None else np.array(curve_steps),
        curve_values=None if eval_every is None else np.array(curve_values),
        baseline=np.array(b, dtype=np.float64),
    )
