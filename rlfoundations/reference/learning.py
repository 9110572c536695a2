"""Pure-Python twins of the learners: the textbook loops, episode by episode.

Same names and signatures as :mod:`rlfoundations.learning`; no NumPy in the loops, no Numba.
Given a TabularMDP, the environment is simulated from the model with the same random stream
(:class:`rlfoundations.reference.random.Xoshiro256`) drawn in the same order as the kernels,
so for the same seed the Q tables are bit-identical. Given a ``gymnasium.Env``, the same
loops step the env instead: that is the library's slow path for envs without a model.

Every TD update is Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a)); a terminated
transition has target r (nothing after the end), a truncated one (time limit) bootstraps.
REINFORCE learns from whole episodes, as Sutton and Barto's box in section 13.4 reads.
Each learner is one function that reads top to bottom like the textbook's box; they share
only the env, the behaviour policy, the schedules and the bookkeeping of episodes and curves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import LearningResult

if TYPE_CHECKING:
    import gymnasium

    from rlfoundations.schedules import Schedule

__all__ = ["double_q_learning", "dyna_q", "expected_sarsa", "q_learning", "reinforce", "sarsa"]


# -- the environment: simulated from a model, or a live gymnasium env ---------------------------
def _refuse_mask(who: str) -> None:
    raise InvalidValueError(
        f"{who} does not honour action_mask yet: the learner would take masked actions"
    )


def _mask_rows(tables, s: int, allowed: list) -> None:
    """Masked pairs hold -inf: max, argmax and softmax over a row then skip them."""
    for table in tables:
        for a in range(len(table[s])):
            if a not in allowed:
                table[s][a] = -math.inf


class ModelEnv:
    """A TabularMDP as an env drawing from the learner's stream: reset() and step(s, a).

    ``allowed(s)`` lists the actions allowed in s, or is None when all are (no mask).
    A masked model needs ``honour_mask=True``: a learner that does not pass it would
    ignore the mask.
    """

    def __init__(
        self, mdp: TabularMDP, rng: Xoshiro256, who: str = "this learner", honour_mask=False
    ) -> None:
        self.rng = rng
        self.n_states, self.n_actions = mdp.n_states, mdp.n_actions
        self.allowed_actions = None
        if mdp.action_mask is not None and not mdp.action_mask.all():
            if not honour_mask:
                _refuse_mask(who)
            self.allowed_actions = [
                [a for a in range(self.n_actions) if mdp.action_mask[s, a]]
                for s in range(self.n_states)
            ]
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

    def allowed(self, s: int):
        return None if self.allowed_actions is None else self.allowed_actions[s]

    def mask(self, *tables) -> None:
        """Set the masked entries of ``tables`` to -inf."""
        if self.allowed_actions is not None:
            for s in range(self.n_states):
                _mask_rows(tables, s, self.allowed_actions[s])

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
            k = None  # type: ignore[assignment]
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
    """A live gymnasium env with Discrete spaces behind the same reset() / step(s, a).

    If the env gives ``info["action_mask"]`` (as :class:`rlfoundations.TabularEnv` does for a
    masked model), the actions it allows in each state are read from the first observation
    of that state, and the masked entries of the tables passed to :meth:`mask` are set to
    -inf then; a different mask later for the same state is an error (a tabular learner
    needs the mask to depend on the state alone).
    """

    def __init__(self, env, seed: int, who: str = "this learner", honour_mask=False) -> None:
        from gymnasium import spaces

        for name in ("observation_space", "action_space"):
            space = getattr(env, name)
            if not isinstance(space, spaces.Discrete):
                raise InvalidTypeError(
                    f"the env's {name} must be gymnasium.spaces.Discrete for a tabular "
                    f"learner, got {space}"
                )
        self.env = env
        self.seed = seed
        self.n_states = int(env.observation_space.n)
        self.n_actions = int(env.action_space.n)
        self.start = int(env.observation_space.start)
        self.who, self.honour_mask = who, honour_mask
        self.allowed_actions: dict[int, list] = {}
        self.tables: tuple = ()

    def allowed(self, s: int):
        return self.allowed_actions.get(s)

    def mask(self, *tables) -> None:
        """Set the masked entries of ``tables`` to -inf, now and as masks are observed."""
        self.tables = tables
        for s, allowed in self.allowed_actions.items():
            _mask_rows(tables, s, allowed)

    def _observe(self, observation, info) -> int:
        s = int(observation) - self.start
        mask = info.get("action_mask") if isinstance(info, dict) else None
        if mask is None:
            return s
        allowed = [a for a in range(self.n_actions) if mask[a]]
        if s not in self.allowed_actions:
            if len(allowed) == self.n_actions:
                return s
            if not self.honour_mask:
                _refuse_mask(self.who)
            if not allowed:
                raise InvalidValueError(
                    f"the env's info['action_mask'] allows no action in state {s}"
                )
            self.allowed_actions[s] = allowed
            _mask_rows(self.tables, s, allowed)
        elif allowed != self.allowed_actions[s]:
            raise InvalidValueError(
                f"the env's info['action_mask'] changed in state {s}: "
                f"{self.allowed_actions[s]} then {allowed}; a tabular learner needs a mask "
                f"that depends on the state alone"
            )
        return s

    def reset(self) -> int:
        if self.seed is not None:
            observation, info = self.env.reset(seed=self.seed)
            self.seed = None  # type: ignore[assignment]
        else:
            observation, info = self.env.reset()
        return self._observe(observation, info)

    def step(self, s: int, a: int) -> tuple[int, float, bool, bool]:
        observation, reward, terminated, truncated, info = self.env.step(a)
        return self._observe(observation, info), float(reward), bool(terminated), bool(truncated)


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


def random_action(n_actions: int, rng: Xoshiro256, allowed=None) -> int:
    """An action drawn uniformly among ``allowed`` (a list), or among all ``n_actions``."""
    if allowed is not None:
        return allowed[rng.below(len(allowed))]
    return rng.below(n_actions)


def behave(row: list, exploration: str, level: float, rng: Xoshiro256, allowed=None) -> int:
    """Epsilon-greedy (level = epsilon) or softmax (level = temperature) on one Q row.

    With ``allowed`` (the allowed actions, whose row entries are the finite ones),
    exploration draws among them only.
    """
    if exploration == "epsilon_greedy":
        if rng.uniform() < level:
            return random_action(len(row), rng, allowed)
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
    last = len(row) - 1
    while last > 0 and row[last] == -math.inf:
        last -= 1
    return last


def expected_value(row: list, exploration: str, level: float, allowed=None) -> float:
    """sum_a pi(a) Q(a) under the behaviour policy, over the ``allowed`` actions (or all)."""
    top = max(row)
    if allowed is not None:
        row = [row[a] for a in allowed]
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


# -- bookkeeping shared by every learner -------------------------------------------------------
#: With ``record_episodes=False``, the last this many episodes are kept (as the kernels do).
LAST_EPISODES = 100


def _make_env(mdp, seed: int, rng: Xoshiro256):
    # Every learner here honours action masks; a new learner built on ModelEnv / GymEnv
    # passes honour_mask=True only once it does.
    if isinstance(mdp, TabularMDP):
        return ModelEnv(mdp, rng, honour_mask=True)
    return GymEnv(mdp, seed, honour_mask=True)


def _evaluate(mdp, q, gamma):
    from rlfoundations.reference.planning import policy_evaluation

    policy = [argmax_lowest(row) for row in q]
    try:
        return list(policy_evaluation(mdp, np.array(policy), gamma).values)
    except ValueError:
        return [math.nan] * mdp.n_states


class Curve:
    """The exact values of the greedy policy at steps 0, eval_every, ..., n_steps (if asked)."""

    def __init__(self, mdp, gamma: float, n_steps: int, eval_every: int | None) -> None:
        self.mdp, self.gamma, self.n_steps, self.eval_every = mdp, gamma, n_steps, eval_every
        self.steps: list[int] = []
        self.values: list[list[float]] = []

    def after_step(self, t: int, q) -> None:
        """Evaluate the greedy policy of ``q`` if step ``t`` is an evaluation step (0 too)."""
        if self.eval_every is None:
            return
        if t == 0 or t % self.eval_every == 0 or t == self.n_steps:
            self.steps.append(t)
            self.values.append(_evaluate(self.mdp, q, self.gamma))


def _result(algorithm, q, returns, lengths, t, gamma, seed, curve, record_episodes, **extra):
    """The LearningResult of a run: every episode, or the last 100 and the totals."""
    summaries = {}
    if not record_episodes:
        return_sum = 0.0
        for value in returns:  # left to right, as the kernels' summaries add
            return_sum += value
        summaries = {
            "episode_count": len(returns),
            "return_sum": return_sum,
            "length_sum": sum(lengths),
        }
        returns, lengths = returns[-LAST_EPISODES:], lengths[-LAST_EPISODES:]
    return LearningResult(
        q_values=np.array(q, dtype=np.float64),
        policy=np.array([argmax_lowest(row) for row in q], dtype=np.int64),
        episode_returns=np.array(returns, dtype=np.float64),
        episode_lengths=np.array(lengths, dtype=np.int64),
        total_steps=t,
        algorithm=algorithm,
        gamma=float(gamma),
        seed=int(seed),
        curve_steps=None if curve.eval_every is None else np.array(curve.steps),
        curve_values=None if curve.eval_every is None else np.array(curve.values),
        record_episodes=record_episodes,
        **summaries,
        **extra,
    )


def _table(n_states: int, n_actions: int, fill=0.0) -> list:
    return [[fill] * n_actions for _ in range(n_states)]


# -- the learners ---------------------------------------------------------------------------------
def q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Q-learning (Sutton and Barto, section 6.5): target r + gamma * max_a' Q(s', a')."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    visits = _table(env.n_states, env.n_actions, 0)
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r
            target = r if terminated else r + gamma * max(q[s_next])
            q[s][a] += step_alpha * (target - q[s][a])
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
    return _result("q_learning", q, returns, lengths, t, gamma, seed, curve, record_episodes)


def sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """SARSA (section 6.4): target r + gamma * Q(s', a'), a' the next behaviour action."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    visits = _table(env.n_states, env.n_actions, 0)
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
        while t < n_steps:
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r
            target = r
            if not terminated:
                a_next = behave(
                    q[s_next], exploration, schedule_value(level, t), rng, env.allowed(s_next)
                )
                target = r + gamma * q[s_next][a_next]
            q[s][a] += step_alpha * (target - q[s][a])
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s, a = s_next, a_next
    return _result("sarsa", q, returns, lengths, t, gamma, seed, curve, record_episodes)


def expected_sarsa(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Expected SARSA (section 6.6): target r + gamma * sum_a' pi(a' | s') Q(s', a')."""
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    visits = _table(env.n_states, env.n_actions, 0)
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r
            target = r
            if not terminated:
                expected = expected_value(
                    q[s_next], exploration, schedule_value(level, t), env.allowed(s_next)
                )
                target = r + gamma * expected
            q[s][a] += step_alpha * (target - q[s][a])
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
    return _result("expected_sarsa", q, returns, lengths, t, gamma, seed, curve, record_episodes)


def double_q_learning(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Double Q-learning (section 6.7): two tables, each updated at the other's argmax.

    A coin picks table A or B; it moves towards the other's value at its own argmax. The
    behaviour policy acts on A + B; the estimate is their mean.
    """
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    n_states, n_actions = env.n_states, env.n_actions
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q_a = _table(n_states, n_actions)
    q_b = _table(n_states, n_actions)
    env.mask(q_a, q_b)
    visits = _table(n_states, n_actions, 0)
    returns, lengths = [], []

    def estimate():
        return [[(q_a[s][a] + q_b[s][a]) / 2.0 for a in range(n_actions)] for s in range(n_states)]

    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, estimate())
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            both = [q_a[s][b] + q_b[s][b] for b in range(n_actions)]
            a = behave(both, exploration, schedule_value(level, t), rng, env.allowed(s))
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r
            update, other = (q_a, q_b) if rng.uniform() < 0.5 else (q_b, q_a)
            target = r
            if not terminated:
                target = r + gamma * other[s_next][argmax_lowest(update[s_next])]
            update[s][a] += step_alpha * (target - update[s][a])
            if eval_every is not None:
                curve.after_step(t, estimate())
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
    return _result(
        "double_q_learning", estimate(), returns, lengths, t, gamma, seed, curve, record_episodes
    )


def dyna_q(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    epsilon: float | Schedule = 0.1,
    exploration: Literal["epsilon_greedy", "softmax"] = "epsilon_greedy",
    temperature: float | Schedule = 1.0,
    planning_steps: int = 10,
    kappa: float = 0.0,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """Tabular Dyna-Q (section 8.2): a Q-learning step, then ``planning_steps`` replays.

    Each replay is of a uniformly drawn remembered pair, which remembers the last
    (r, s', terminated) seen.

    Dyna-Q+ (section 8.3) when ``kappa > 0``: a replay's reward gets ``kappa * sqrt(tau)``,
    tau the steps since the pair was last tried; a new state's untried (allowed) actions enter
    the model as self-loops with reward 0.
    """
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    level = epsilon if exploration == "epsilon_greedy" else temperature
    q = _table(env.n_states, env.n_actions)
    env.mask(q)
    visits = _table(env.n_states, env.n_actions, 0)
    model = {}  # (s, a) -> (r, s', terminated), the last seen
    seen = []  # pairs in order of first visit
    last_tried = {}  # (s, a) -> the step it was last tried (Dyna-Q+); 0 if never
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)
    curve.after_step(0, q)
    t = 0
    while t < n_steps:
        s = env.reset()
        episode_return, episode_length = 0.0, 0
        while t < n_steps:
            a = behave(q[s], exploration, schedule_value(level, t), rng, env.allowed(s))
            s_next, r, terminated, truncated = env.step(s, a)
            visits[s][a] += 1
            step_alpha = schedule_value(alpha, t, visits[s][a])
            t += 1
            episode_length += 1
            episode_return += r
            target = r if terminated else r + gamma * max(q[s_next])
            q[s][a] += step_alpha * (target - q[s][a])
            if (s, a) not in model:
                if kappa > 0.0:
                    # Dyna-Q+: untried (allowed) actions loop back
                    for b in env.allowed(s) or range(env.n_actions):
                        seen.append((s, b))
                        model[s, b] = (0.0, s, False)
                else:
                    seen.append((s, a))
            if kappa > 0.0:
                last_tried[s, a] = t
            model[s, a] = (r, s_next, terminated)
            for _ in range(planning_steps):
                ps, pa = seen[rng.below(len(seen))]
                model_r, model_next, model_terminated = model[ps, pa]
                if kappa > 0.0:
                    model_r = model_r + kappa * math.sqrt(t - last_tried.get((ps, pa), 0))
                target = model_r if model_terminated else model_r + gamma * max(q[model_next])
                replay_alpha = schedule_value(alpha, t - 1, visits[ps][pa])
                q[ps][pa] += replay_alpha * (target - q[ps][pa])
            curve.after_step(t, q)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(episode_length)
                break
            s = s_next
    return _result("dyna_q", q, returns, lengths, t, gamma, seed, curve, record_episodes)


def reinforce(
    mdp: TabularMDP | gymnasium.Env,
    *,
    gamma: float,
    n_steps: int,
    seed: int,
    alpha: float | Schedule = 0.1,
    baseline_alpha: float | Schedule = 0.1,
    baseline: bool = True,
    eval_every: int | None = None,
    record_episodes: bool = True,
) -> LearningResult:
    """REINFORCE with a baseline on a softmax policy table, episode by episode.

    Generate an episode with pi(a | s) = softmax(theta[s]); then for each step t, in order:
    G_t = the return from t; delta = G_t - b(s_t); b(s_t) += beta * delta;
    theta[s_t] += alpha * gamma^t * delta * grad log pi(a_t | s_t).
    """
    rng = Xoshiro256(seed)
    env = _make_env(mdp, seed, rng)
    n_states, n_actions = env.n_states, env.n_actions
    theta = _table(n_states, n_actions)
    env.mask(theta)
    b = [0.0] * n_states
    returns, lengths = [], []
    curve = Curve(mdp, gamma, n_steps, eval_every)

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

    curve.after_step(0, theta)
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
            curve.after_step(t, theta)
            if terminated or truncated:
                returns.append(episode_return)
                lengths.append(len(path))
                break
            s = s_next
    return _result(
        "reinforce",
        theta,
        returns,
        lengths,
        t,
        gamma,
        seed,
        curve,
        record_episodes,
        baseline=np.array(b, dtype=np.float64),
    )
