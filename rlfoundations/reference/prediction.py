"""Pure-Python twins of the prediction learners: the textbook's boxes, step by step.

Same names and signatures as :mod:`rlfoundations.prediction`; no NumPy in the loops, no
Numba. The model is simulated with the same random stream, drawn in the same order as the
kernels, so for the same seed the values are bit-identical. The learning curve's exact values
come from a dense linear solve of the policy's chain (NumPy), not from the library's solver.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rlfoundations.reference.learning import LAST_EPISODES, ModelEnv, schedule_value
from rlfoundations.reference.random import Xoshiro256
from rlfoundations.results import PredictionResult, PredictionSweepResult

if TYPE_CHECKING:
    import numpy.typing as npt

    from rlfoundations.mdp import TabularMDP
    from rlfoundations.schedules import Schedule

__all__ = ["monte_carlo_prediction", "prediction_sweep", "td_prediction"]


def _policy_rows(mdp, policy) -> list:
    """The policy as a list of probability rows."""
    array = np.asarray(policy)
    if array.ndim == 1:
        return [
            [1.0 if b == int(array[s]) else 0.0 for b in range(mdp.n_actions)]
            for s in range(mdp.n_states)
        ]
    return [[float(p) for p in row] for row in array]


def _acting(mdp) -> list:
    """States with initial mass, or reached from one by an outcome that does not terminate."""
    reached = [p > 0.0 for p in mdp.initial.tolist()]
    changed = True
    while changed:
        changed = False
        for s in range(mdp.n_states):
            if not reached[s]:
                continue
            for a in range(mdp.n_actions):
                for k in range(mdp.max_outcomes):
                    if mdp.prob[s, a, k] > 0.0 and not mdp.terminated[s, a, k]:
                        s_next = int(mdp.next_state[s, a, k])
                        if not reached[s_next]:
                            reached[s_next] = True
                            changed = True
    return reached


def _exact(mdp, rows, gamma, acting) -> list:
    """V_pi on the acting states: solve (I - gamma P) V = R over them (others are 0)."""
    states = [s for s in range(mdp.n_states) if acting[s]]
    index = {s: i for i, s in enumerate(states)}
    matrix = np.eye(len(states))
    rhs = np.zeros(len(states))
    for s in states:
        for a in range(mdp.n_actions):
            for k in range(mdp.max_outcomes):
                p = rows[s][a] * mdp.prob[s, a, k]
                if p == 0.0:
                    continue
                rhs[index[s]] += p * mdp.reward[s, a, k]
                s_next = int(mdp.next_state[s, a, k])
                if not mdp.terminated[s, a, k]:
                    matrix[index[s], index[s_next]] -= gamma * p
    try:
        solution = np.linalg.solve(matrix, rhs)
    except np.linalg.LinAlgError:
        return [math.nan] * len(states)
    return list(solution)


def _draw_action(row, rng: Xoshiro256) -> int:
    """The policy's action: no draw where one action has probability 1."""
    ones = [b for b, p in enumerate(row) if p == 1.0]
    if len(ones) == 1:
        return ones[0]
    u = rng.uniform()
    total = 0.0
    last = 0
    for b, p in enumerate(row):
        if total + p > total:
            last = b
        total += p
        if p > 0.0 and u < total:
            return b
    return last


def td_prediction(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    gamma: float,
    n_steps: int,
    *,
    n: int = 1,
    lam: float | None = None,
    lam_method: str = "true_online",
    alpha: float | Schedule = 0.1,
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> PredictionResult:
    """n-step TD (7.1), true online TD(lambda) (12.6) or offline lambda-return (12.1)."""
    offline = lam is not None and lam_method == "offline"
    rng = Xoshiro256(seed)
    # On a masked model the policies (checked by the public function) give masked actions
    # probability 0: drawn from them, no masked action is ever taken.
    env = ModelEnv(mdp, rng, honour_mask=True)
    rows = _policy_rows(mdp, policy)
    values = [0.0] * mdp.n_states
    acting = _acting(mdp)
    curve_steps, curve_rms = [], []
    exact = None

    def evaluate(t):
        nonlocal exact
        if exact is None:
            exact = _exact(mdp, rows, gamma, acting)
        learned = [values[s] for s in range(mdp.n_states) if acting[s]]
        squares = [(v - e) ** 2 for v, e in zip(learned, exact, strict=True)]
        curve_steps.append(t)
        curve_rms.append(math.sqrt(sum(squares) / len(squares)))

    returns, lengths = [], []
    t = 0
    if eval_every is not None:
        evaluate(0)
    while t < n_steps:
        s = env.reset()
        states, rewards = [s], [0.0]  # S_0, and R_0 as a placeholder: R_i is rewards[i]
        z = [0.0] * mdp.n_states
        v_old = 0.0
        accumulated = 0.0
        k = 0
        while t < n_steps:
            a = _draw_action(rows[s], rng)
            s_next, r, done, truncated = env.step(s, a)
            step_alpha = schedule_value(alpha, t)
            t += 1
            accumulated += r
            states.append(s_next)
            rewards.append(r)
            if lam is None:
                end = k + 1
                if not (done or truncated):
                    taus = [k - n + 1] if k - n + 1 >= 0 else []
                    bootstrap = True
                else:
                    taus = list(range(max(0, k - n + 1), k + 1))
                    bootstrap = truncated
                for tau in taus:
                    g = 0.0
                    discount = 1.0
                    for i in range(tau + 1, end + 1):
                        g += discount * rewards[i]
                        discount *= gamma
                    if bootstrap:
                        g += discount * values[states[end]]
                    values[states[tau]] += step_alpha * (g - values[states[tau]])
            elif offline:
                if done or truncated:
                    values = _offline_lambda_return(
                        values, states, rewards, gamma, lam, step_alpha, truncated
                    )
            else:
                v = values[s]
                v_next = 0.0 if done else values[s_next]
                delta = r + gamma * v_next - v
                decay = gamma * lam
                z_s = z[s]
                z = [decay * e for e in z]
                z[s] += 1.0 - step_alpha * decay * z_s
                step = step_alpha * (delta + v - v_old)
                values = [value + step * e for value, e in zip(values, z, strict=True)]
                values[s] -= step_alpha * (v - v_old)
                v_old = v_next
            if eval_every is not None and (t % eval_every == 0 or t == n_steps):
                evaluate(t)
            k += 1
            if done or truncated:
                returns.append(accumulated)
                lengths.append(k)
                break
            s = s_next
    count = len(returns)
    if not record_episodes:
        returns, lengths = returns[-LAST_EPISODES:], lengths[-LAST_EPISODES:]
    params: dict[str, object] = {"gamma": gamma, "alpha": alpha, "seed": seed}
    params.update({"n": n} if lam is None else {"lam": lam})
    if offline:
        params["lam_method"] = lam_method
    return PredictionResult(
        values=np.array(values, dtype=np.float64),
        episode_returns=np.array(returns, dtype=np.float64),
        episode_lengths=np.array(lengths, dtype=np.int64),
        n_episodes=count,
        total_steps=t,
        algorithm="td_prediction",
        gamma=float(gamma),
        seed=int(seed),
        params=params,
        curve_steps=None if eval_every is None else np.array(curve_steps, dtype=np.int64),
        curve_rms=None if eval_every is None else np.array(curve_rms),
    )


def _offline_lambda_return(values, states, rewards, gamma, lam, alpha, truncated) -> list:
    """The values after an episode's offline lambda-return updates (section 12.1).

    ``states`` are S_0 .. S_T and ``rewards[i]`` is R_i (``rewards[0]`` unused). With V frozen,
    backwards: G^lambda_{T-1} = R_T + gamma V(S_T) (0 if the episode ended rather than stopped
    at a time limit), G^lambda_t = R_{t+1} + gamma ((1 - lambda) V(S_{t+1}) + lambda
    G^lambda_{t+1}); then, for t = 0 .. T-1, V(S_t) += alpha (G^lambda_t - V(S_t)).
    """
    length = len(states) - 1
    targets = [0.0] * length
    g = values[states[length]] if truncated else 0.0
    for t in range(length - 1, -1, -1):
        if t == length - 1:
            g = rewards[t + 1] + gamma * g
        else:
            g = rewards[t + 1] + gamma * ((1.0 - lam) * values[states[t + 1]] + lam * g)
        targets[t] = g
    values = list(values)
    for t in range(length):
        values[states[t]] += alpha * (targets[t] - values[states[t]])
    return values


def prediction_sweep(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    algorithm: str = "td_prediction",
    *,
    gamma: float | Sequence[float],
    n_steps: int,
    seeds: int | Sequence[int],
    n: int | Sequence[int] = 1,
    lam: float | Sequence[float] | None = None,
    lam_method: str = "true_online",
    alpha: float | Schedule | Sequence[float | Schedule] = 0.1,
    first_visit: bool = True,
    behaviour: npt.ArrayLike | None = None,
    importance: str = "weighted",
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> PredictionSweepResult:
    """Every point of the grid (seeds fastest) run one after the other by :func:`td_prediction`."""

    def axis(value):
        return list(value) if isinstance(value, list | tuple | range | np.ndarray) else [value]

    learner: Callable[..., PredictionResult]
    axes: dict[str, Any]
    options: dict[str, Any]
    if algorithm == "monte_carlo_prediction":
        axes = {"gamma": gamma}
        learner, options = (
            monte_carlo_prediction,
            {
                "first_visit": first_visit,
                "behaviour": behaviour,
                "importance": importance,
            },
        )
    else:
        axes = {"gamma": gamma, "alpha": alpha}
        axes.update({"n": n} if lam is None else {"lam": lam})
        learner, options = td_prediction, {}
    names = list(axes)
    runs = []
    points = []
    for values in itertools.product(*(axis(axes[k]) for k in names), axis(seeds)):
        point = dict(zip([*names, "seed"], values, strict=True))
        if algorithm != "monte_carlo_prediction" and lam is not None and lam_method == "offline":
            point["lam_method"] = lam_method
        points.append(point)
        runs.append(
            learner(
                mdp,
                policy,
                n_steps=n_steps,
                eval_every=eval_every,
                record_episodes=record_episodes,
                **options,
                **point,
            )
        )
    width = max(len(run.episode_returns) for run in runs)
    returns = np.full((len(runs), width), np.nan)
    lengths = np.zeros((len(runs), width), dtype=np.int64)
    for i, run in enumerate(runs):
        returns[i, : len(run.episode_returns)] = run.episode_returns
        lengths[i, : len(run.episode_lengths)] = run.episode_lengths
    return PredictionSweepResult(
        values=np.stack([run.values for run in runs]),
        episode_returns=returns,
        episode_lengths=lengths,
        n_episodes=np.array([run.n_episodes for run in runs], dtype=np.int64),
        total_steps=n_steps,
        algorithm=algorithm,
        seeds=np.array([point["seed"] for point in points], dtype=np.uint64),
        params=tuple(points),
        curve_steps=None if eval_every is None else runs[0].curve_steps,
        # With eval_every, every run's curve_rms is an array.
        curve_rms=None if eval_every is None else np.stack([run.curve_rms for run in runs]),  # type: ignore[misc]
    )


def monte_carlo_prediction(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    gamma: float,
    n_steps: int,
    *,
    first_visit: bool = True,
    behaviour: npt.ArrayLike | None = None,
    importance: str = "weighted",
    seed: int = 0,
    eval_every: int | None = None,
    record_episodes: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
    on_interrupt: str = "raise",
) -> PredictionResult:
    """First-visit or every-visit MC (section 5.1), off-policy by importance sampling (5.5-5.6)."""
    rng = Xoshiro256(seed)
    # On a masked model the policies (checked by the public function) give masked actions
    # probability 0: drawn from them, no masked action is ever taken.
    env = ModelEnv(mdp, rng, honour_mask=True)
    target = _policy_rows(mdp, policy)
    acting_rows = target if behaviour is None else _policy_rows(mdp, behaviour)
    values = [0.0] * mdp.n_states
    weights = [0.0] * mdp.n_states  # N(s) (ordinary) or C(s) (weighted)
    acting = _acting(mdp)
    curve_steps, curve_rms = [], []
    exact = None

    def evaluate(t):
        nonlocal exact
        if exact is None:
            exact = _exact(mdp, target, gamma, acting)
        learned = [values[s] for s in range(mdp.n_states) if acting[s]]
        squares = [(v - e) ** 2 for v, e in zip(learned, exact, strict=True)]
        curve_steps.append(t)
        curve_rms.append(math.sqrt(sum(squares) / len(squares)))

    def learn(episode):
        first_time: dict[int, int] = {}
        for i, (si, _, _) in enumerate(episode):
            first_time.setdefault(si, i)
        g, w = 0.0, 1.0
        for i in range(len(episode) - 1, -1, -1):
            si, ai, ri = episode[i]
            g = gamma * g + ri
            w *= target[si][ai] / acting_rows[si][ai]
            if first_visit and first_time[si] != i:
                continue
            if importance == "ordinary":
                weights[si] += 1.0
                values[si] += (w * g - values[si]) / weights[si]
            else:
                weights[si] += w
                if weights[si] > 0.0:
                    values[si] += w / weights[si] * (g - values[si])

    returns, lengths = [], []
    t = 0
    if eval_every is not None:
        evaluate(0)
    while t < n_steps:
        s = env.reset()
        episode = []  # (S_t, A_t, R_{t+1})
        accumulated = 0.0
        while t < n_steps:
            a = _draw_action(acting_rows[s], rng)
            s_next, r, done, truncated = env.step(s, a)
            t += 1
            accumulated += r
            episode.append((s, a, r))
            if done:
                learn(episode)
            if done or truncated:
                returns.append(accumulated)
                lengths.append(len(episode))
            if eval_every is not None and (t % eval_every == 0 or t == n_steps):
                evaluate(t)
            if done or truncated:
                break
            s = s_next
    count = len(returns)
    if not record_episodes:
        returns, lengths = returns[-LAST_EPISODES:], lengths[-LAST_EPISODES:]
    return PredictionResult(
        values=np.array(values, dtype=np.float64),
        episode_returns=np.array(returns, dtype=np.float64),
        episode_lengths=np.array(lengths, dtype=np.int64),
        n_episodes=count,
        total_steps=t,
        algorithm="monte_carlo_prediction",
        gamma=float(gamma),
        seed=int(seed),
        params={"gamma": gamma, "seed": seed},
        curve_steps=None if eval_every is None else np.array(curve_steps, dtype=np.int64),
        curve_rms=None if eval_every is None else np.array(curve_rms),
    )
