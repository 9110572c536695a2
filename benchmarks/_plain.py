"""Plain Gymnasium loops: each learner as a user writes it without rlfoundations.

A Gymnasium env stepped in Python, NumPy tables, the textbook's box line by line (Sutton and
Barto's pseudocode; the papers' for the exploration learners). They are the baseline of
``bench_learning.py``'s "x plain" column, not oracles: they share no code with the library
and are not bit-identical to it (their own ``numpy.random.Generator``). Each function takes
the env, the number of environment steps and a seed (and the learner's options) and returns
its table, so a learner that is missing here is one function away.

Nothing here is imported by the library.
"""

from __future__ import annotations

import math

import numpy as np


def _greedy(row: np.ndarray) -> int:
    return int(np.argmax(row))


def _epsilon_greedy(row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    if rng.random() < epsilon:
        return int(rng.integers(row.shape[0]))
    return int(np.argmax(row))


def _tables(env, *extra: int) -> np.ndarray:
    return np.zeros((env.observation_space.n, env.action_space.n, *extra))


# -- control on a Discrete env (Taxi) ----------------------------------------------------------
def q_learning(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1):
    """Section 6.5's box (``_common.gymnasium_loop`` is the same loop, by env id)."""
    rng, q = np.random.default_rng(seed), _tables(env)
    s, _ = env.reset(seed=seed)
    for _ in range(n_steps):
        a = _epsilon_greedy(q[s], epsilon, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        target = r if terminated else r + gamma * q[s2].max()
        q[s, a] += alpha * (target - q[s, a])
        s = env.reset()[0] if terminated or truncated else s2
    return q


def sarsa(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1):
    """Section 6.4's box."""
    rng, q = np.random.default_rng(seed), _tables(env)
    s, _ = env.reset(seed=seed)
    a = _epsilon_greedy(q[s], epsilon, rng)
    for _ in range(n_steps):
        s2, r, terminated, truncated, _ = env.step(a)
        a2 = _epsilon_greedy(q[s2], epsilon, rng)
        target = r if terminated else r + gamma * q[s2, a2]
        q[s, a] += alpha * (target - q[s, a])
        if terminated or truncated:
            s, _ = env.reset()
            a = _epsilon_greedy(q[s], epsilon, rng)
        else:
            s, a = s2, a2
    return q


def expected_sarsa(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1):
    """Section 6.6: the target averages Q(S', .) under the epsilon-greedy policy."""
    rng, q = np.random.default_rng(seed), _tables(env)
    s, _ = env.reset(seed=seed)
    for _ in range(n_steps):
        a = _epsilon_greedy(q[s], epsilon, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        expected = epsilon * q[s2].mean() + (1 - epsilon) * q[s2].max()
        target = r if terminated else r + gamma * expected
        q[s, a] += alpha * (target - q[s, a])
        s = env.reset()[0] if terminated or truncated else s2
    return q


def double_q_learning(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1):
    """Section 6.7's box: act on Q1 + Q2, update one at random from the other's value."""
    rng = np.random.default_rng(seed)
    q1, q2 = _tables(env), _tables(env)
    s, _ = env.reset(seed=seed)
    for _ in range(n_steps):
        a = _epsilon_greedy(q1[s] + q2[s], epsilon, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        first, second = (q1, q2) if rng.random() < 0.5 else (q2, q1)
        target = r if terminated else r + gamma * second[s2, _greedy(first[s2])]
        first[s, a] += alpha * (target - first[s, a])
        s = env.reset()[0] if terminated or truncated else s2
    return q1 + q2


def dyna_q(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1, planning_steps=10, kappa=0.0):
    """Section 8.2's box (Dyna-Q+ with kappa > 0: bonus kappa sqrt(tau) in planning)."""
    rng, q = np.random.default_rng(seed), _tables(env)
    n_states, n_actions = q.shape
    model_next = np.zeros((n_states, n_actions), dtype=np.int64)
    model_reward = np.zeros((n_states, n_actions))
    model_end = np.zeros((n_states, n_actions), dtype=bool)
    last_tried = np.zeros((n_states, n_actions))
    seen: list[tuple[int, int]] = []
    known = np.zeros((n_states, n_actions), dtype=bool)
    s, _ = env.reset(seed=seed)
    for t in range(n_steps):
        a = _epsilon_greedy(q[s], epsilon, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        target = r if terminated else r + gamma * q[s2].max()
        q[s, a] += alpha * (target - q[s, a])
        if not known[s, a]:
            known[s, a] = True
            seen.append((s, a))
        model_next[s, a], model_reward[s, a], model_end[s, a] = s2, r, terminated
        last_tried[s, a] = t
        for _ in range(planning_steps):
            ps, pa = seen[int(rng.integers(len(seen)))]
            pr = model_reward[ps, pa] + kappa * math.sqrt(t - last_tried[ps, pa])
            ps2 = model_next[ps, pa]
            target = pr if model_end[ps, pa] else pr + gamma * q[ps2].max()
            q[ps, pa] += alpha * (target - q[ps, pa])
        s = env.reset()[0] if terminated or truncated else s2
    return q


def reinforce(env, n_steps, seed, *, gamma, alpha=0.1, baseline_alpha=0.1, baseline=True):
    """Section 13.4's box (with baseline, 13.5), a softmax over a table of preferences."""
    rng = np.random.default_rng(seed)
    theta = _tables(env)
    values = np.zeros(theta.shape[0])
    s, _ = env.reset(seed=seed)
    episode: list[tuple[int, int, float]] = []
    for _ in range(n_steps):
        preferences = np.exp(theta[s] - theta[s].max())
        pi = preferences / preferences.sum()
        a = int(rng.choice(pi.shape[0], p=pi))
        s2, r, terminated, truncated, _ = env.step(a)
        episode.append((s, a, r))
        if terminated or truncated:
            g = 0.0
            returns = []
            for _, _, ri in reversed(episode):
                g = gamma * g + ri
                returns.append(g)
            returns.reverse()
            for t, ((si, ai, _), gi) in enumerate(zip(episode, returns, strict=True)):
                delta = gi - values[si] if baseline else gi
                if baseline:
                    values[si] += baseline_alpha * delta
                preferences = np.exp(theta[si] - theta[si].max())
                grad = -preferences / preferences.sum()
                grad[ai] += 1.0
                theta[si] += alpha * gamma**t * delta * grad
            episode = []
            s, _ = env.reset()
        else:
            s = s2
    return theta


def _decay_trace(z, s, a, trace, alpha):
    if trace == "accumulating":
        z[s, a] += 1.0
    elif trace == "replacing":
        z[s, a] = 1.0
    else:  # dutch
        z[s, a] = (1.0 - alpha) * z[s, a] + 1.0


def sarsa_lambda(
    env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1, lam=0.9, trace="accumulating"
):
    """Section 12.7's box: a trace over the whole table, updated every step."""
    rng, q = np.random.default_rng(seed), _tables(env)
    z = np.zeros_like(q)
    s, _ = env.reset(seed=seed)
    a = _epsilon_greedy(q[s], epsilon, rng)
    for _ in range(n_steps):
        s2, r, terminated, truncated, _ = env.step(a)
        a2 = _epsilon_greedy(q[s2], epsilon, rng)
        delta = (r if terminated else r + gamma * q[s2, a2]) - q[s, a]
        _decay_trace(z, s, a, trace, alpha)
        q += alpha * delta * z
        z *= gamma * lam
        if terminated or truncated:
            z[:] = 0.0
            s, _ = env.reset()
            a = _epsilon_greedy(q[s], epsilon, rng)
        else:
            s, a = s2, a2
    return q


def watkins_q_lambda(
    env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1, lam=0.9, trace="accumulating"
):
    """Section 12.10: Q-learning's target, the trace cut after an exploratory action."""
    rng, q = np.random.default_rng(seed), _tables(env)
    z = np.zeros_like(q)
    s, _ = env.reset(seed=seed)
    a = _epsilon_greedy(q[s], epsilon, rng)
    for _ in range(n_steps):
        s2, r, terminated, truncated, _ = env.step(a)
        a2 = _epsilon_greedy(q[s2], epsilon, rng)
        best = _greedy(q[s2])
        delta = (r if terminated else r + gamma * q[s2, best]) - q[s, a]
        _decay_trace(z, s, a, trace, alpha)
        q += alpha * delta * z
        if q[s2, a2] == q[s2, best]:
            z *= gamma * lam
        else:
            z[:] = 0.0
        if terminated or truncated:
            z[:] = 0.0
            s, _ = env.reset()
            a = _epsilon_greedy(q[s], epsilon, rng)
        else:
            s, a = s2, a2
    return q


def n_step_sarsa(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1, n=4):
    """Section 7.2's box, with lists for the episode."""
    rng, q = np.random.default_rng(seed), _tables(env)
    t_total = 0
    while t_total < n_steps:
        s, _ = env.reset(seed=seed if t_total == 0 else None)
        states, actions, rewards = [s], [_epsilon_greedy(q[s], epsilon, rng)], [0.0]
        end, t = math.inf, 0
        while True:
            if t < end:
                s2, r, terminated, truncated, _ = env.step(actions[t])
                t_total += 1
                states.append(s2)
                rewards.append(r)
                if terminated or truncated or t_total >= n_steps:
                    end = t + 1  # the box's T (a time limit's cut is treated as an end)
                else:
                    actions.append(_epsilon_greedy(q[s2], epsilon, rng))
            tau = t - n + 1
            if tau >= 0:
                top = min(tau + n, end)
                g = sum(gamma ** (i - tau - 1) * rewards[i] for i in range(tau + 1, top + 1))
                if tau + n < end:
                    g += gamma**n * q[states[tau + n], actions[tau + n]]
                sa = states[tau], actions[tau]
                q[sa] += alpha * (g - q[sa])
            if tau == end - 1:
                break
            t += 1
    return q


def n_step_tree_backup(env, n_steps, seed, *, gamma, alpha=0.1, epsilon=0.1, n=4):
    """Section 7.5's box, greedy target policy, with lists for the episode."""
    rng, q = np.random.default_rng(seed), _tables(env)
    t_total = 0
    while t_total < n_steps:
        s, _ = env.reset(seed=seed if t_total == 0 else None)
        states, actions, rewards = [s], [_epsilon_greedy(q[s], epsilon, rng)], [0.0]
        end, t = math.inf, 0
        while True:
            if t < end:
                s2, r, terminated, truncated, _ = env.step(actions[t])
                t_total += 1
                states.append(s2)
                rewards.append(r)
                if terminated or truncated or t_total >= n_steps:
                    end = t + 1
                else:
                    actions.append(_epsilon_greedy(q[s2], epsilon, rng))
            tau = t + 1 - n
            if tau >= 0:
                if t + 1 >= end:
                    g = rewards[end]
                else:
                    g = rewards[t + 1] + gamma * q[states[t + 1]].max()
                for k in range(min(t, end - 1), tau, -1):
                    row = q[states[k]]  # greedy pi: the branch taken has weight 1 or 0
                    if actions[k] == _greedy(row):
                        g = rewards[k] + gamma * g
                    else:
                        g = rewards[k] + gamma * row.max()
                sa = states[tau], actions[tau]
                q[sa] += alpha * (g - q[sa])
            if tau == end - 1:
                break
            t += 1
    return q


# -- average reward (no discount): the differential learners -----------------------------------
def differential_q_learning(env, n_steps, seed, *, alpha=0.1, eta=1.0, epsilon=0.1):
    """Wan, Naik and Sutton (2021): R-bar moves by eta * alpha * delta; ends restart."""
    rng, q, gain = np.random.default_rng(seed), _tables(env), 0.0
    s, _ = env.reset(seed=seed)
    for _ in range(n_steps):
        a = _epsilon_greedy(q[s], epsilon, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        if terminated:
            s2, _ = env.reset()
        delta = r - gain + q[s2].max() - q[s, a]
        q[s, a] += alpha * delta
        gain += eta * alpha * delta
        s = env.reset()[0] if truncated else s2
    return q


def differential_sarsa(env, n_steps, seed, *, alpha=0.1, eta=1.0, epsilon=0.1):
    """Section 10.3's box, tabular: R-bar moves by eta * alpha * delta; ends restart."""
    rng, q, gain = np.random.default_rng(seed), _tables(env), 0.0
    s, _ = env.reset(seed=seed)
    a = _epsilon_greedy(q[s], epsilon, rng)
    for _ in range(n_steps):
        s2, r, terminated, truncated, _ = env.step(a)
        if terminated:
            s2, _ = env.reset()
        a2 = _epsilon_greedy(q[s2], epsilon, rng)
        delta = r - gain + q[s2, a2] - q[s, a]
        q[s, a] += alpha * delta
        gain += eta * alpha * delta
        if truncated:
            s, _ = env.reset()
            a = _epsilon_greedy(q[s], epsilon, rng)
        else:
            s, a = s2, a2
    return q


# -- Monte Carlo control on Blackjack (observations are tuples) --------------------------------
def _blackjack_index(observation) -> tuple[int, int, int]:
    player, dealer, usable = observation
    return player, dealer, int(usable)


def monte_carlo_control(env, n_steps, seed, *, gamma, method="exploring_starts", epsilon=0.1):
    """Sections 5.3 (a random first action, then greedy), 5.4 (epsilon-greedy, first-visit
    averages) and 5.7 (weighted importance sampling, greedy target)."""
    rng = np.random.default_rng(seed)
    q = np.zeros((32, 11, 2, 2))
    weights = np.zeros_like(q)
    t_total = 0
    first = True
    while t_total < n_steps:
        observation, _ = env.reset(seed=seed if first else None)
        first = False
        episode = []
        done = False
        while not done and t_total < n_steps:
            s = _blackjack_index(observation)
            if method == "exploring_starts":
                a = int(rng.integers(2)) if not episode else _greedy(q[s])
            else:
                a = _epsilon_greedy(q[s], epsilon, rng)
            observation, r, terminated, truncated, _ = env.step(a)
            t_total += 1
            episode.append((s, a, r))
            done = terminated or truncated
        if not done:
            break
        g, w = 0.0, 1.0
        firsts = {}
        for i, (s, a, _) in enumerate(episode):
            firsts.setdefault((s, a), i)
        for i in range(len(episode) - 1, -1, -1):
            s, a, r = episode[i]
            g = gamma * g + r
            sa = (*s, a)
            if method == "off_policy":
                weights[sa] += w
                q[sa] += w / weights[sa] * (g - q[sa])
                if a != _greedy(q[s]):
                    break
                w /= 1.0 - epsilon + epsilon / 2
            elif firsts[(s, a)] == i:
                weights[sa] += 1.0
                q[sa] += (g - q[sa]) / weights[sa]
    return q


# -- prediction on a Discrete env (the random walk) ---------------------------------------------
def td_prediction(env, n_steps, seed, *, gamma, policy, n=1, lam=None, lam_method="true_online"):
    """n-step TD (7.1), true online TD(lambda) (12.6) or offline lambda-return (12.1)."""
    rng = np.random.default_rng(seed)
    alpha = 0.1
    values = np.zeros(env.observation_space.n)
    policy = np.asarray(policy)
    t_total = 0
    first = True
    while t_total < n_steps:
        s, _ = env.reset(seed=seed if first else None)
        first = False
        states, rewards = [s], [0.0]
        z = np.zeros_like(values)
        v_old = 0.0
        while t_total < n_steps:
            a = (
                int(policy[s])
                if policy.ndim == 1
                else int(rng.choice(policy.shape[1], p=policy[s]))
            )
            s2, r, terminated, truncated, _ = env.step(a)
            t_total += 1
            states.append(s2)
            rewards.append(r)
            k = len(states) - 2
            end_now = terminated or truncated
            if lam is None:
                taus = range(max(0, k - n + 1), k + 1) if end_now else [k - n + 1]
                for tau in taus:
                    if tau < 0:
                        continue
                    top = k + 1
                    g = sum(gamma ** (i - tau - 1) * rewards[i] for i in range(tau + 1, top + 1))
                    if not terminated:
                        g += gamma ** (top - tau) * values[states[top]]
                    values[states[tau]] += alpha * (g - values[states[tau]])
            elif lam_method == "offline":
                if end_now:  # the lambda-returns backwards from the frozen values, then the updates
                    g = 0.0 if terminated else values[s2]
                    targets = [0.0] * (k + 1)
                    for t in range(k, -1, -1):
                        if t == k:
                            g = rewards[t + 1] + gamma * g
                        else:
                            tail = (1 - lam) * values[states[t + 1]] + lam * g
                            g = rewards[t + 1] + gamma * tail
                        targets[t] = g
                    for t in range(k + 1):
                        values[states[t]] += alpha * (targets[t] - values[states[t]])
            else:
                v, v_next = values[s], 0.0 if terminated else values[s2]
                delta = r + gamma * v_next - v
                z_s = z[s]
                z *= gamma * lam
                z[s] += 1.0 - alpha * gamma * lam * z_s
                values += alpha * (delta + v - v_old) * z
                values[s] -= alpha * (v - v_old)
                v_old = v_next
            if end_now:
                break
            s = s2
    return values


def monte_carlo_prediction(env, n_steps, seed, *, gamma, policy):
    """Section 5.1's first-visit box: sample averages of the returns."""
    values = np.zeros(env.observation_space.n)
    counts = np.zeros_like(values)
    policy = np.asarray(policy)
    t_total = 0
    first = True
    while t_total < n_steps:
        s, _ = env.reset(seed=seed if first else None)
        first = False
        episode = []
        done = False
        while not done and t_total < n_steps:
            s2, r, terminated, truncated, _ = env.step(int(policy[s]))
            t_total += 1
            episode.append((s, r))
            done, s = terminated or truncated, s2
        if not done:
            break
        firsts = {}
        for i, (si, _) in enumerate(episode):
            firsts.setdefault(si, i)
        g = 0.0
        for i in range(len(episode) - 1, -1, -1):
            si, r = episode[i]
            g = gamma * g + r
            if firsts[si] == i:
                counts[si] += 1.0
                values[si] += (g - values[si]) / counts[si]
    return values


# -- exploration with guarantees: episodes of H steps (RiverSwim) -------------------------------
def _play(env, q_by_step, horizon, counts, transitions, reward_sums, first_seed):
    """One episode of the non-stationary greedy policy ``q_by_step[h]``; the counts updated."""
    s, _ = env.reset(seed=first_seed)
    for h in range(horizon):
        a = _greedy(q_by_step[h][s])
        s2, r, terminated, _, _ = env.step(a)
        counts[s, a] += 1
        transitions[s, a, s2] += 1
        reward_sums[s, a] += r
        if terminated:
            break
        s = s2


def _backward(reward, prob, horizon, bonus=None, cap=True):
    """Q_h = r + bonus + P V_{h+1}, V_h = max_a Q_h (capped at H - h), h = H-1 .. 0."""
    n_states = reward.shape[0]
    values = np.zeros(n_states)
    q_by_step = [None] * horizon
    for h in range(horizon - 1, -1, -1):
        q = reward + prob @ values
        if bonus is not None:
            q = q + bonus
        if cap:
            q = np.minimum(q, horizon - h)
        q_by_step[h] = q
        values = q.max(axis=1)
    return q_by_step


def _counts(env):
    n_states, n_actions = env.observation_space.n, env.action_space.n
    return (
        np.zeros((n_states, n_actions)),
        np.zeros((n_states, n_actions, n_states)),
        np.zeros((n_states, n_actions)),
    )


def ucbvi(env, n_steps, seed, *, horizon, bonus_scale=1.0, delta=0.05):
    """Azar et al. (2017), the Hoeffding bonus: plan on the empirical model plus the bonus."""
    counts, transitions, reward_sums = _counts(env)
    n_states, n_actions = counts.shape
    log_term = math.log(5 * n_states * n_actions * max(n_steps, 2) / delta)
    for episode in range(n_steps // horizon):
        seen = np.maximum(counts, 1.0)
        prob = transitions / seen[:, :, None]
        bonus = np.where(counts > 0, bonus_scale * horizon * np.sqrt(log_term / seen), horizon)
        q_by_step = _backward(reward_sums / seen, prob, horizon, bonus)
        _play(
            env,
            q_by_step,
            horizon,
            counts,
            transitions,
            reward_sums,
            seed if episode == 0 else None,
        )
    return counts


def psrl(env, n_steps, seed, *, horizon):
    """Osband et al. (2013): sample a model from the posterior (Dirichlet transitions, normal
    rewards), plan on it, play its greedy policy."""
    rng = np.random.default_rng(seed)
    counts, transitions, reward_sums = _counts(env)
    for episode in range(n_steps // horizon):
        draws = rng.gamma(1.0 + transitions)
        prob = draws / draws.sum(axis=2, keepdims=True)
        precision = 1.0 + counts
        reward = reward_sums / precision + rng.standard_normal(counts.shape) / np.sqrt(precision)
        q_by_step = _backward(reward, prob, horizon, cap=False)
        _play(
            env,
            q_by_step,
            horizon,
            counts,
            transitions,
            reward_sums,
            seed if episode == 0 else None,
        )
    return counts


def ucb_q_learning(env, n_steps, seed, *, horizon, bonus="hoeffding", bonus_scale=1.0, delta=0.05):
    """Jin et al. (2018), the Hoeffding bonus: step size (H + 1) / (H + t), optimistic Q."""
    if bonus != "hoeffding":
        raise NotImplementedError("the plain loop has the Hoeffding bonus only")
    n_states, n_actions = env.observation_space.n, env.action_space.n
    q = np.full((horizon, n_states, n_actions), float(horizon))
    visits = np.zeros((horizon, n_states, n_actions))
    values = np.zeros((horizon + 1, n_states))
    values[:horizon] = horizon
    iota = math.log(n_states * n_actions * max(n_steps, 2) / delta)
    for episode in range(n_steps // horizon):
        s, _ = env.reset(seed=seed if episode == 0 else None)
        for h in range(horizon):
            a = _greedy(q[h, s])
            s2, r, terminated, _, _ = env.step(a)
            visits[h, s, a] += 1
            t = visits[h, s, a]
            step = (horizon + 1) / (horizon + t)
            b = bonus_scale * math.sqrt(horizon**3 * iota / t)
            future = 0.0 if terminated else values[h + 1, s2]
            q[h, s, a] = (1 - step) * q[h, s, a] + step * (r + future + b)
            values[h, s] = min(horizon, q[h, s].max())
            if terminated:
                break
            s = s2
    return q


def rmax(env, n_steps, seed, *, horizon, known_visits=10, r_max=1.0):
    """Brafman and Tennenholtz (2002): the known pairs' empirical model, the unknown pairs
    worth r_max for the rest of the episode."""
    counts, transitions, reward_sums = _counts(env)
    for episode in range(n_steps // horizon):
        known = counts >= known_visits
        seen = np.maximum(counts, 1.0)
        prob = np.where(known[:, :, None], transitions / seen[:, :, None], 0.0)
        reward = np.where(known, reward_sums / seen, 0.0)
        values = np.zeros(counts.shape[0])
        q_by_step = [None] * horizon
        for h in range(horizon - 1, -1, -1):
            q = np.where(known, reward + prob @ values, (horizon - h) * r_max)
            q_by_step[h] = q
            values = q.max(axis=1)
        _play(
            env,
            q_by_step,
            horizon,
            counts,
            transitions,
            reward_sums,
            seed if episode == 0 else None,
        )
    return counts
