"""Numba kernels of Monte Carlo control (Sutton and Barto, chapter 5).

:func:`monte_carlo_control` learns Q from whole episodes, first-visit, by one of three
methods: exploring starts (section 5.3), on-policy epsilon-soft (5.4), off-policy with
weighted importance sampling and a greedy target (5.7). :func:`monte_carlo_control_batch`
runs many independent runs with ``prange``. Bundles, cursor and buffers are those of
:mod:`rlfoundations._kernels.prediction`; a run stops at ``stop_step``, a full record or a
full path, and resumes bit for bit.

Random draws, in order, per step (the reference twin draws the same, in the same order):

1. at an episode start: ``uniform`` for the initial state;
2. the action: exploring starts draw ``below(A)`` at an episode's first step, then act
   greedily (``below(n_ties)`` only on ties); the other methods act epsilon-greedily
   (``uniform``, then ``below(A)`` to explore, or ``below(n_ties)`` on ties);
3. the outcome: ``uniform`` against the running sum of ``prob[s, a, :]``, unless K == 1.

Action masks: masked entries of Q hold -inf (the caller sets them), so greedy choices and the
off-policy target range over the allowed actions; exploring starts draw the first action
among the allowed ones (``below(n_allowed[s])``), and epsilon-greedy explores among them,
b(a | s) counting them alone.
"""

from __future__ import annotations

from collections import namedtuple

from rlfoundations._kernels._jit import inline_kernel, loop_kernel, parallel_kernel, prange
from rlfoundations._kernels.learning import (
    EPSILON_GREEDY,
    argmax_lowest,
    behave_allowed,
    flat_model,
    greedy_random_tie,
    n_choices,
    random_action,
    sample_initial,
    sample_outcome,
)
from rlfoundations._kernels.prediction import (
    EPISODE_RETURN,
    EPISODE_STEP,
    N_EPISODES,
    STATE,
    STEP,
)
from rlfoundations._kernels.random import load_state, store_state, uniform

# Methods.
EXPLORING_STARTS = 0
ON_POLICY = 1
OFF_POLICY = 2

#: Monte Carlo control's settings: the method, epsilon (on- and off-policy behaviour), gamma
#: (per run in a batch, as epsilon).
ControlSettings = namedtuple("ControlSettings", "method epsilon gamma")
#: A run's state: Q, the pair weights (visit counts, or sums of importance weights), the first
#: time of each pair in the episode (scratch, -1), the episode's path (and the behaviour's
#: probability of each action taken), cursor, scalars, episode records.
ControlState = namedtuple(
    "ControlState",
    "rng q_values weights first path_state path_action path_reward path_prob cursor scalars "
    "episode_returns episode_lengths",
)


@inline_kernel
def greedy_probability(q, s, a, epsilon, n_choices):
    """Probability that epsilon-greedy (ties broken uniformly) takes ``a`` in ``s``, exploring
    among ``n_choices`` actions (the allowed ones: masked entries of Q are -inf)."""
    n_actions = q.shape[1]
    top = q[s, 0]
    n_ties = 1
    for b in range(1, n_actions):
        if q[s, b] > top:
            top = q[s, b]
            n_ties = 1
        elif q[s, b] == top:
            n_ties += 1
    p = epsilon / n_choices
    if q[s, a] == top:
        p += (1.0 - epsilon) / n_ties
    return p


@loop_kernel
def monte_carlo_control(model, settings, stop_step, state):
    """Monte Carlo control until ``stop_step`` steps, a full record or a full path.

    At an episode's end, backwards from its last step, G <- gamma G + R_{t+1}, and at the
    first visit of (S_t, A_t) (every visit off-policy, as the book's box): exploring starts
    and on-policy,
    N(S_t, A_t) += 1, Q(S_t, A_t) += (G - Q(S_t, A_t)) / N(S_t, A_t); off-policy,
    C += W, Q += W / C (G - Q), then stop if A_t is not greedy (lowest index) in Q(S_t, .),
    else W <- W / b(A_t | S_t). A truncated episode is recorded, not learned from.
    """
    method, epsilon, gamma = settings.method, settings.epsilon, settings.gamma
    initial_cdf, initial_guide = model.initial_cdf, model.initial_guide
    max_episode_steps = model.max_episode_steps
    rng, q_values, weights, first = state.rng, state.q_values, state.weights, state.first
    path_state, path_action, path_reward = state.path_state, state.path_action, state.path_reward
    path_prob = state.path_prob
    cursor, scalars = state.cursor, state.scalars
    episode_returns, episode_lengths = state.episode_returns, state.episode_lengths
    n_actions = q_values.shape[1]
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
        if method == EXPLORING_STARTS:
            if length == 0:
                a, stream = random_action(
                    model.allowed_actions, model.n_allowed, s, n_actions, stream
                )
            else:
                a, stream = greedy_random_tie(q_values, q_values, s, False, stream)
            p = 1.0
        else:
            a, stream = behave_allowed(
                EPSILON_GREEDY, q_values, q_values, s, False, epsilon, model, stream
            )
            # b(a | s), read only by the off-policy update (a pass over the row, 2 divisions).
            p = 1.0
            if method == OFF_POLICY:
                p = greedy_probability(
                    q_values, s, a, epsilon, n_choices(model.n_allowed, s, n_actions)
                )
        slot, stream = sample_outcome(prob, (s * n_actions + a) * n_outcomes, n_outcomes, stream)
        s_next = next_state[slot]
        r = reward[slot]
        done = terminated[slot]
        path_state[length] = s
        path_action[length] = a
        path_reward[length] = r
        path_prob[length] = p
        length += 1
        t += 1
        accumulated += r
        truncated = (not done) and max_episode_steps > 0 and length >= max_episode_steps
        if not (done or truncated):
            s = s_next
            continue
        if done:
            for i in range(length):
                pair = path_state[i] * n_actions + path_action[i]
                if first[pair] < 0:
                    first[pair] = i
            ret = 0.0
            w = 1.0
            for i in range(length - 1, -1, -1):
                si = path_state[i]
                ai = path_action[i]
                ret = gamma * ret + path_reward[i]
                if method != OFF_POLICY and first[si * n_actions + ai] != i:
                    continue
                if method == OFF_POLICY:
                    weights[si, ai] += w
                    q_values[si, ai] += w / weights[si, ai] * (ret - q_values[si, ai])
                    if ai != argmax_lowest(q_values, si):
                        break
                    w /= path_prob[i]
                else:
                    weights[si, ai] += 1.0
                    q_values[si, ai] += (ret - q_values[si, ai]) / weights[si, ai]
            for i in range(length):
                first[path_state[i] * n_actions + path_action[i]] = -1
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
def monte_carlo_control_batch(model, settings, stop_step, state):
    """Independent Monte Carlo control runs in parallel: run ``r`` on the ``[r]`` slices of
    ``settings`` (``epsilon``, ``gamma``) and of ``state``."""
    for r in prange(state.rng.shape[0]):
        monte_carlo_control(
            model,
            ControlSettings(settings.method, settings.epsilon[r], settings.gamma[r]),
            stop_step,
            ControlState(
                state.rng[r],
                state.q_values[r],
                state.weights[r],
                state.first[r],
                state.path_state[r],
                state.path_action[r],
                state.path_reward[r],
                state.path_prob[r],
                state.cursor[r],
                state.scalars[r],
                state.episode_returns[r],
                state.episode_lengths[r],
            ),
        )
