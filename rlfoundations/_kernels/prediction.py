"""Numba kernels of the prediction learners: a fixed policy's values, learned from its episodes.

:func:`td_prediction` runs n-step TD (Sutton and Barto, section 7.1), true online TD(lambda)
(section 12.6) or the offline lambda-return algorithm (section 12.1) with a tabular value
function; :func:`td_prediction_batch` runs many
independent runs with ``prange``. The arguments come in three named bundles, as the control
learners' do: the :data:`~rlfoundations._kernels.learning.Model` simulated, the
:data:`PredictionSettings` and the :data:`PredictionState` updated in place. A run stops at
``stop_step`` steps or when ``episode_returns`` is full, and resumes bit for bit.

Random draws, in order, per step (the reference twin draws the same, in the same order):

1. at an episode start: ``uniform`` for the initial state;
2. the policy's action: ``uniform`` against the running sum of ``policy[s, :]``, unless the
   policy is deterministic in ``s`` (``policy_action[s] >= 0``, no draw);
3. the outcome: ``uniform`` against the running sum of ``prob[s, a, :]``, unless K == 1.

Inputs are trusted: the Python layer validated them.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import inline_kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    flat_model,
    sample_initial,
    sample_outcome,
    schedule_at,
    schedule_fields,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Methods.
N_STEP = 0
TRUE_ONLINE = 1
OFFLINE = 2

# Cursor fields.
STEP = 0
STATE = 1
EPISODE_STEP = 2
N_EPISODES = 3
CURSOR_SIZE = 4

# Scalar fields of a run (float64).
EPISODE_RETURN = 0
V_OLD = 1
SCALARS_SIZE = 2

#: The policy as cumulative sums ``policy_cdf[s, a]`` of its rows, and ``policy_action[s]``:
#: the action where the policy is deterministic, -1 where it is not. ``alpha`` is a schedule
#: ``[kind, start, end, steps, omega]`` (not a visit count). In a batch, ``gamma``, ``alpha``,
#: ``n`` and ``lam`` carry a leading run axis.
PredictionSettings = namedtuple(
    "PredictionSettings", "method policy_cdf policy_action gamma alpha n lam"
)
#: A run's state: the values, the eligibility trace (true online; else an empty placeholder),
#: the last ``n + 1`` states and rewards
#: (n-step, a ring) or the whole episode's (offline, ``path_reward[k]`` = R_{k+1}), the cursor,
#: the scalars, the episode records.
PredictionState = namedtuple(
    "PredictionState",
    "rng values trace path_state path_reward cursor scalars episode_returns episode_lengths",
)


@inline_kernel
def policy_draw(policy_cdf, policy_action, s, stream):
    """The policy's action in s (no draw where it is deterministic); and the stream after."""
    a = policy_action[s]
    if a >= 0:
        return a, stream
    u, stream = uniform(stream)
    n_actions = policy_cdf.shape[1]
    last = 0
    for b in range(n_actions):
        if policy_cdf[s, b] > (policy_cdf[s, b - 1] if b > 0 else 0.0):
            last = b
            if u < policy_cdf[s, b]:
                return b, stream
    return last, stream


@inline_kernel
def n_step_update(values, path_state, path_reward, tau, end, gamma, alpha, bootstrap_state):
    """V(S_tau) += alpha * (G - V(S_tau)), G = sum_{i=tau+1}^{end} gamma^(i-tau-1) R_i, plus
    gamma^(end-tau) V(bootstrap_state) unless ``bootstrap_state < 0``."""
    size = path_state.shape[0]
    ret = 0.0
    discount = 1.0
    for i in range(tau + 1, end + 1):
        ret += discount * path_reward[i % size]
        discount *= gamma
    if bootstrap_state >= 0:
        ret += discount * values[bootstrap_state]
    s_tau = path_state[tau % size]
    values[s_tau] += alpha * (ret - values[s_tau])


@inline_kernel
def offline_lambda_update(values, path_state, path_reward, length, gamma, lam, alpha, bootstrap):
    """The offline lambda-return updates at the end of an episode of ``length`` steps.

    First, backwards with the values frozen, G^lambda_{T-1} = R_T + gamma V(S_T) (V(S_T) = 0
    unless ``bootstrap >= 0``, the state a truncated episode stopped in) and
    G^lambda_t = R_{t+1} + gamma ((1 - lambda) V(S_{t+1}) + lambda G^lambda_{t+1}), written
    over ``path_reward[t]`` (R_{t+1}, not needed after); then forwards, for t = 0 .. T-1,
    V(S_t) += alpha (G^lambda_t - V(S_t)).
    """
    ret = values[bootstrap] if bootstrap >= 0 else 0.0
    for i in range(length - 1, -1, -1):
        if i == length - 1:
            ret = path_reward[i] + gamma * ret
        else:
            ret = path_reward[i] + gamma * ((1.0 - lam) * values[path_state[i + 1]] + lam * ret)
        path_reward[i] = ret
    for i in range(length):
        s_i = path_state[i]
        values[s_i] += alpha * (path_reward[i] - values[s_i])


@loop_kernel
def td_prediction(model, settings, stop_step, state):
    """Learn the values of ``settings``' policy until ``stop_step`` steps, a full record or
    (offline) a full path.

    n-step TD (``method == N_STEP``): once R_{tau+n} is seen, V(S_tau) += alpha * (G - V(S_tau))
    with G the n-step return bootstrapped from V(S_{tau+n}); at the end of an episode the
    remaining states are updated with the returns to the end (a truncated episode bootstraps
    from the state it stopped in). True online TD(lambda) (``TRUE_ONLINE``), for one-hot
    features: with delta = R + gamma V(S') - V(S),
    z <- gamma lambda z + (1 - alpha gamma lambda z(S)) 1_S,
    V <- V + alpha (delta + V(S) - V_old) z - alpha (V(S) - V_old) 1_S, V_old <- V(S').
    Offline lambda-return (``OFFLINE``): at an episode's end, :func:`offline_lambda_update`
    with the step size of the episode's last step.
    """
    method, gamma, n, lam = settings.method, settings.gamma, settings.n, settings.lam
    policy_cdf, policy_action = settings.policy_cdf, settings.policy_action
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, values, trace = state.rng, state.values, state.trace
    path_state, path_reward = state.path_state, state.path_reward
    cursor, scalars = state.cursor, state.scalars
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_states = values.shape[0]
    n_actions = model.prob.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    size = path_state.shape[0]
    a_kind, a_start, a_end, a_steps, a_omega = schedule_fields(settings.alpha)
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    episode_step = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = scalars[EPISODE_RETURN]
    v_old = scalars[V_OLD]
    offline = method == OFFLINE
    while t < stop_step and n_episodes < capacity and not (offline and episode_step >= size):
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            episode_step = 0
            accumulated = 0.0
            v_old = 0.0
            if method == TRUE_ONLINE:
                for i in range(n_states):
                    trace[i] = 0.0
        a, stream = policy_draw(policy_cdf, policy_action, s, stream)
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        alpha = schedule_at(a_kind, a_start, a_end, a_steps, a_omega, t, 0)
        k = episode_step  # the step taken: S_k, A_k, R_{k+1}, S_{k+1}
        t += 1
        episode_step += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and episode_step >= max_episode_steps
        if method == N_STEP:
            path_state[k % size] = s
            path_reward[(k + 1) % size] = r
            if not (done or truncated):
                tau = k - n + 1
                if tau >= 0:
                    n_step_update(values, path_state, path_reward, tau, k + 1, gamma, alpha, s_next)
            else:
                bootstrap = s_next if truncated else -1
                for tau in range(max(0, k - n + 1), k + 1):
                    n_step_update(
                        values, path_state, path_reward, tau, k + 1, gamma, alpha, bootstrap
                    )
        elif offline:
            path_state[k] = s
            path_reward[k] = r
            if done or truncated:
                bootstrap = s_next if truncated else -1
                offline_lambda_update(
                    values, path_state, path_reward, k + 1, gamma, lam, alpha, bootstrap
                )
        else:
            v = values[s]
            v_next = 0.0 if done else values[s_next]
            delta = r + gamma * v_next - v
            decay = gamma * lam
            z_s = trace[s]
            for i in range(n_states):
                trace[i] *= decay
            trace[s] += 1.0 - alpha * decay * z_s
            step = alpha * (delta + v - v_old)
            for i in range(n_states):
                values[i] += step * trace[i]
            values[s] -= alpha * (v - v_old)
            v_old = v_next
        if done or truncated:
            episode_returns[n_episodes] = accumulated
            episode_lengths[n_episodes] = episode_step
            n_episodes += 1
            episode_step = 0
            s = -1
        else:
            s = s_next
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[EPISODE_STEP] = episode_step
    cursor[N_EPISODES] = n_episodes
    scalars[EPISODE_RETURN] = accumulated
    scalars[V_OLD] = v_old


@parallel_kernel
def td_prediction_batch(model, settings, stop_step, state):
    """Independent prediction runs in parallel: run ``r`` is :func:`td_prediction` on the
    ``[r]`` slices of ``settings`` (``gamma``, ``alpha``, ``n``, ``lam``) and of ``state``."""
    for r in prange(state.rng.shape[0]):
        td_prediction(
            model,
            PredictionSettings(
                settings.method,
                settings.policy_cdf,
                settings.policy_action,
                settings.gamma[r],
                settings.alpha[r],
                settings.n[r],
                settings.lam[r],
            ),
            stop_step,
            PredictionState(
                state.rng[r],
                state.values[r],
                state.trace[r],
                state.path_state[r],
                state.path_reward[r],
                state.cursor[r],
                state.scalars[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )


# Monte Carlo prediction: importance sampling of the behaviour's returns.
ORDINARY = 0
WEIGHTED = 1

#: Monte Carlo prediction's settings: the target policy's probabilities ``target[s, a]``, the
#: behaviour policy (cumulative rows and deterministic actions, as above; the target itself
#: on-policy), ``importance`` (:data:`ORDINARY` or :data:`WEIGHTED`), ``first_visit``.
MonteCarloSettings = namedtuple(
    "MonteCarloSettings",
    "target behaviour_cdf behaviour_action behaviour_prob importance first_visit gamma",
)
#: A Monte Carlo run's state: the values, the visit weights (counts, or sums of weights), the
#: first time of each state in the episode (scratch, -1), the episode's path.
MonteCarloState = namedtuple(
    "MonteCarloState",
    "rng values weights first path_state path_action path_reward cursor scalars "
    "episode_returns episode_lengths",
)


@loop_kernel
def monte_carlo_prediction(model, settings, stop_step, state):
    """Monte Carlo prediction until ``stop_step`` steps, a full record or a full path.

    At an episode's end, backwards from its last step: G <- gamma G + R_{t+1},
    W <- W pi(A_t|S_t) / b(A_t|S_t) (W = 1 on-policy), then, at every visit or the first:
    ordinary IS: N(S_t) += 1, V(S_t) += (W G - V(S_t)) / N(S_t);
    weighted IS: C(S_t) += W, V(S_t) += W / C(S_t) (G - V(S_t)) if C(S_t) > 0.
    A truncated episode (time limit) has no return to learn from: it is recorded, not learned.
    """
    gamma, first_visit, importance = settings.gamma, settings.first_visit, settings.importance
    target, behaviour_prob = settings.target, settings.behaviour_prob
    behaviour_cdf, behaviour_action = settings.behaviour_cdf, settings.behaviour_action
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, values, weights, first = state.rng, state.values, state.weights, state.first
    path_state, path_action, path_reward = state.path_state, state.path_action, state.path_reward
    cursor, scalars = state.cursor, state.scalars
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = model.prob.shape[1]
    n_outcomes = model.prob.shape[2]
    next_state, prob, reward, terminated = flat_model(
        model.next_state, model.prob, model.reward, model.terminated
    )
    capacity = episode_returns.shape[0]
    path_capacity = path_state.shape[0]
    stream = load_state(rng)
    t = cursor[STEP]
    s = cursor[STATE]
    length = cursor[EPISODE_STEP]
    n_episodes = cursor[N_EPISODES]
    accumulated = scalars[EPISODE_RETURN]
    while t < stop_step and n_episodes < capacity and length < path_capacity:
        if s < 0:
            u, stream = uniform(stream)
            s = sample_initial(initial_cdf, initial_guide, u)
            length = 0
            accumulated = 0.0
        a, stream = policy_draw(behaviour_cdf, behaviour_action, s, stream)
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        path_state[length] = s
        path_action[length] = a
        path_reward[length] = r
        length += 1
        t += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and length >= max_episode_steps
        if not (done or truncated):
            s = s_next
            continue
        if done:
            for i in range(length):
                if first[path_state[i]] < 0:
                    first[path_state[i]] = i
            ret = 0.0
            w = 1.0
            for i in range(length - 1, -1, -1):
                si = path_state[i]
                ai = path_action[i]
                ret = gamma * ret + path_reward[i]
                w *= target[si, ai] / behaviour_prob[si, ai]
                if first_visit and first[si] != i:
                    continue
                if importance == ORDINARY:
                    weights[si] += 1.0
                    values[si] += (w * ret - values[si]) / weights[si]
                else:
                    weights[si] += w
                    if weights[si] > 0.0:
                        values[si] += w / weights[si] * (ret - values[si])
            for i in range(length):
                first[path_state[i]] = -1
        episode_returns[n_episodes] = accumulated
        episode_lengths[n_episodes] = length
        n_episodes += 1
        length = 0
        s = -1
    store_state(stream, rng)
    cursor[STEP] = t
    cursor[STATE] = s
    cursor[EPISODE_STEP] = length
    cursor[N_EPISODES] = n_episodes
    scalars[EPISODE_RETURN] = accumulated


@parallel_kernel
def monte_carlo_prediction_batch(model, settings, stop_step, state):
    """Independent Monte Carlo runs in parallel: run ``r`` on the ``[r]`` slices of ``state``
    (``gamma`` per run)."""
    for r in prange(state.rng.shape[0]):
        monte_carlo_prediction(
            model,
            MonteCarloSettings(
                settings.target,
                settings.behaviour_cdf,
                settings.behaviour_action,
                settings.behaviour_prob,
                settings.importance,
                settings.first_visit,
                settings.gamma[r],
            ),
            stop_step,
            MonteCarloState(
                state.rng[r],
                state.values[r],
                state.weights[r],
                state.first[r],
                state.path_state[r],
                state.path_action[r],
                state.path_reward[r],
                state.cursor[r],
                state.scalars[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
