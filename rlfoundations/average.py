"""Average reward: the long-run reward per step, ``g = lim (1/N) E[sum_{t<N} r_t]``.

For continuing problems (queues, machine maintenance, inventories run forever) where no
discount factor is natural. An optimal policy maximises the gain ``g``; the bias ``h``
(relative values) solves the optimality equation (Puterman, *Markov Decision Processes*,
1994, chapters 8 and 9)

    h(s) + g = max_a [R(s, a) + sum_s' P(s' | s, a) h(s')].

A transition that ends an episode restarts one, from ``mdp.initial``: an episodic model is
solved for its reward per step over endlessly repeated episodes.

The model is checked first (:func:`model_structure`): the strongly connected components of
the graph of all actions give its closed classes, and a fixed point finds any set of states
some policy could stay in forever. Several closed classes: the optimal gain may differ from
class to class; relative value iteration refuses the model with an error naming them, and
multichain policy iteration solves it, one gain per state. One closed class
and nothing else a policy can stay in (a *weakly communicating* model, Puterman section 8.3):
the optimal gain is the same from every state. Otherwise (one closed class, but some policy
can stay apart from it, as Taxi's unreachable states can) the gain may or may not be
constant, and the span bounds below decide: they hold for any finite model, so when they
meet, a single optimal gain is proven; when they do not, the solver raises rather than
return a gain that might be wrong.

Stopping rules and guarantees:

- relative value iteration runs on the aperiodic transform ``tau P + (1 - tau) I`` (same gain
  and greedy policies, bias scaled by ``tau``; Puterman, section 8.5.4) and stops when the
  span of its last change, ``max(T w - w) - min(T w - w)``, is below ``epsilon``. Those two
  numbers bracket the optimal gain of every state, and the greedy policy earns at least the
  lower one from every state (Theorem 8.5.5; the argument, a telescoping sum of
  ``r + P w - w``, needs no assumption on the chain): ``gain_lower <= g*(s) <= gain_upper``;
- average-reward policy iteration is Puterman's multichain algorithm (section 9.2): it
  evaluates each policy exactly (dense linear solves, O(S^3)), improves gains first and
  biases second, and stops when no state improves. It needs no check: a multichain model
  gets the gain of every state (``result.gains``), exact to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from rlfoundations._kernels import average as _kernels
from rlfoundations._kernels.layout import masked_rewards
from rlfoundations._validate import check_count, check_mdp, check_policy, check_positive
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import AverageRewardResult, ConvergenceWarning

__all__ = [
    "average_reward_policy_iteration",
    "model_structure",
    "relative_value_iteration",
]

#: Default sweep limit of relative value iteration.
DEFAULT_MAX_ITER = 100_000
#: Largest model policy iteration evaluates (a dense S x S solve per step).
POLICY_ITERATION_MAX_STATES = 3_000
#: States listed per class in an error message.
LISTED_STATES = 8


# -- the model as arrays and graphs --------------------------------------------------------------
def _arrays(mdp: TabularMDP):
    end_prob = np.zeros((mdp.n_states, mdp.n_actions))
    for k in range(mdp.max_outcomes):
        end_prob += np.where(mdp.terminated[:, :, k], mdp.prob[:, :, k], 0.0)
    # Masked pairs' reward is -inf: no maximum, no improvement step ever picks them.
    reward = masked_rewards(mdp.expected_reward, mdp.action_mask)
    return mdp.successor, mdp.continue_prob, reward, end_prob, mdp.initial


def _choices(mdp: TabularMDP, actions: np.ndarray | None = None):
    """Every (state, action) as a choice of successor nodes, plus a restart node ``S``.

    The restart node's one choice is the support of ``initial``; a terminating outcome leads to it.

    Returns (pair_start, choice_start, choice_targets): node ``v`` has the choices
    ``pair_start[v]:pair_start[v + 1]``. With ``actions`` (a policy), one choice per state.
    """
    n_states = mdp.n_states
    successor, prob, terminated = mdp.next_state, mdp.prob, mdp.terminated
    if actions is None and mdp.action_mask is not None:
        # A masked pair is no choice: it becomes a copy of its state's first allowed action.
        actions_of = np.where(
            mdp.action_mask, np.arange(mdp.n_actions), np.argmax(mdp.action_mask, axis=1)[:, None]
        )
        rows = np.arange(n_states)[:, None]
        successor, prob, terminated = (x[rows, actions_of] for x in (successor, prob, terminated))
    if actions is not None:
        rows = np.arange(n_states)
        successor, prob, terminated = (
            x[rows, actions][:, None, :] for x in (successor, prob, terminated)
        )
    used = prob > 0
    targets = np.where(terminated, n_states, successor)[used]
    counts = used.sum(axis=2).ravel()
    restart = np.flatnonzero(mdp.initial > 0)
    choice_targets = np.concatenate([targets, restart]).astype(np.int64)
    choice_start = np.concatenate([[0], np.cumsum(np.append(counts, restart.size))])
    n_actions = successor.shape[1]
    pair_start = np.append(np.arange(n_states + 1) * n_actions, n_states * n_actions + 1)
    return pair_start.astype(np.int64), choice_start.astype(np.int64), choice_targets


def _closed_classes(pair_start, choice_start, choice_targets) -> list[np.ndarray]:
    """The closed strongly connected components of the graph of all choices."""
    node_start = np.ascontiguousarray(choice_start[pair_start])
    component, n_components = _kernels.components(node_start, choice_targets)
    closed = _kernels.closed_components(node_start, choice_targets, component, n_components)
    return [np.flatnonzero(component == c) for c in np.flatnonzero(closed)]


def _describe(states: np.ndarray, n_states: int) -> str:
    states = states[states < n_states]
    listed = ", ".join(str(int(s)) for s in states[:LISTED_STATES])
    more = f", ... ({states.size} states)" if states.size > LISTED_STATES else ""
    return "{" + listed + more + "}"


def _structure(mdp: TabularMDP, refuse: bool = True) -> tuple[str, np.ndarray]:
    """The model's structure and the states some policy can keep out of its closed class.

    Raises InvalidValueError, naming them, when there are several closed classes (unless not
    ``refuse``: then the structure is "multichain").
    """
    pair_start, choice_start, choice_targets = _choices(mdp)
    classes = _closed_classes(pair_start, choice_start, choice_targets)
    n_states = mdp.n_states
    if len(classes) > 1 and not refuse:
        return "multichain", np.flatnonzero(np.ones(n_states, dtype=bool))
    if len(classes) > 1:
        shown = [_describe(c, n_states) for c in classes[:3]]
        more = f" and {len(classes) - 3} more" if len(classes) > 3 else ""
        raise InvalidValueError(
            f"the model is multichain: it has {len(classes)} closed classes of states, "
            f"{', '.join(shown[:-1])} and {shown[-1]}{more}, that no policy can leave; their "
            "optimal gains may differ, so no single gain exists. Use "
            "average_reward_policy_iteration (multichain: a gain per state), or solve each "
            "class as its own model"
        )
    inside = np.ones(n_states + 1, dtype=np.bool_)
    inside[classes[0]] = False
    _kernels.trap(pair_start, choice_start, choice_targets, inside)
    trapped = np.flatnonzero(inside[:n_states])
    if trapped.size:
        return "multichain", trapped
    if (classes[0] < n_states).sum() == n_states:
        return "communicating", trapped
    return "weakly communicating", trapped


def model_structure(mdp: TabularMDP) -> str:
    """How the model's states communicate, which decides whether one gain fits them all.

    Returns
    -------
    str
        ``"communicating"`` (every state reaches every other under some policy) or
        ``"weakly communicating"`` (one closed communicating class, the other states
        transient under every policy): the optimal gain is the same from every state
        (Puterman, Theorem 8.3.2). ``"multichain"``: one closed class, but some policy can
        stay forever in other states; the optimal gain may or may not be constant, and the
        solvers decide it with their span bounds.

    Raises
    ------
    InvalidValueError
        Several closed classes (named in the message) that no policy can leave.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> two_islands = rlf.TabularMDP(
    ...     next_state=[[[0]], [[1]]], prob=[[[1.0]], [[1.0]]], reward=[[[0.0]], [[1.0]]],
    ...     terminated=[[[False]], [[False]]], initial=[0.5, 0.5],
    ... )
    >>> rlf.model_structure(two_islands)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rlfoundations.errors.InvalidValueError: ... 2 closed classes of states, {0} and {1}, ...
    >>> rlf.model_structure(rlf.from_env("FrozenLake-v1"))
    'weakly communicating'
    >>> rlf.model_structure(rlf.from_env("Taxi-v3"))
    'multichain'

    """
    return _structure(check_mdp(mdp))[0]


def _recurrent_classes(mdp: TabularMDP, policy: np.ndarray) -> list[np.ndarray]:
    """The recurrent classes of ``policy``'s chain (real states only)."""
    classes = _closed_classes(*_choices(mdp, policy))
    return [c[c < mdp.n_states] for c in classes]


def _policy_gains(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """The exact gain of every state under the deterministic ``policy`` (trusted, int64).

    Puterman's multichain evaluation, as policy iteration does it: the learning curves of the
    average-reward learners.
    """
    successor, continue_prob, reward, end_prob, initial = _arrays(mdp)
    classes = _recurrent_classes(mdp, policy)
    label = np.full(mdp.n_states, -1, dtype=np.int64)
    for c, members in enumerate(classes):
        label[members] = c
    chain = _kernels.policy_chain(successor, continue_prob, end_prob, initial, policy)
    gains, bias = np.empty(mdp.n_states), np.empty(mdp.n_states)
    if not _kernels.evaluate_multichain(
        chain, reward[np.arange(mdp.n_states), policy], label, len(classes), gains, bias
    ):
        raise InvalidValueError("a policy's evaluation system is numerically singular")
    return gains


# -- validation ----------------------------------------------------------------------------------
def _check_tau(tau) -> float:
    tau = check_positive("tau", tau)
    if tau >= 1.0:
        raise InvalidValueError(f"tau must be in (0, 1), got {tau!r}")
    return tau


# -- solvers -------------------------------------------------------------------------------------
def relative_value_iteration(
    mdp: TabularMDP,
    *,
    epsilon: float = 1e-10,
    max_iter: int | None = None,
    tau: float = 0.5,
    reference_state: int = 0,
) -> AverageRewardResult:
    """Solve ``mdp`` for the average-reward criterion by relative value iteration.

    Parameters
    ----------
    mdp : TabularMDP
        The model; an episode's end restarts one from ``mdp.initial``. Must be weakly
        communicating (see :func:`model_structure`).
    epsilon : float
        Stop when the span bounds on the gain are less than ``epsilon`` apart.
    max_iter : int, optional
        Bellman-sweep limit (default 100 000); reaching it warns (:class:`ConvergenceWarning`).
    tau : float
        Weight of the aperiodicity transform ``tau P + (1 - tau) I``, in (0, 1): without it
        a periodic chain would oscillate forever.
    reference_state : int
        The state whose bias is pinned to 0.

    Returns
    -------
    AverageRewardResult
        ``gain`` (the middle of ``[gain_lower, gain_upper]``), bias ``values``, the greedy
        ``policy``, whose gain is at least ``gain_lower``.

    Notes
    -----
    Kernel: :func:`rlfoundations._kernels.average.relative_value_iteration`. Guarantees in
    the module docstring. The bias is that of the last iterate, accurate to about
    ``epsilon`` divided by the chain's contraction rate.

    Examples
    --------
    A machine, working (state 0) or broken (state 1). Working, it earns 1 per step and breaks
    with probability 0.1 (0.02 if maintained, action 1, which costs 0.2); repair takes one
    step at cost 2 and works again with probability 0.5.

    >>> import rlfoundations as rlf
    >>> machine = rlf.TabularMDP.from_dense(
    ...     P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]],
    ...     R=[[1.0, 0.8], [-2.0, -2.0]],
    ... )
    >>> result = rlf.relative_value_iteration(machine)
    >>> round(result.gain, 9), result.policy.tolist()
    (0.692307692, [1, 0])
    """
    mdp = check_mdp(mdp)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = DEFAULT_MAX_ITER if max_iter is None else check_count("max_iter", max_iter)
    tau = _check_tau(tau)
    reference_state = check_count("reference_state", reference_state, minimum=0)
    if reference_state >= mdp.n_states:
        raise InvalidValueError(
            f"reference_state must be a state in [0, {mdp.n_states}), got {reference_state}"
        )
    structure, trapped = _structure(mdp)
    arrays = _arrays(mdp)
    values = np.zeros(mdp.n_states)
    policy = np.zeros(mdp.n_states, dtype=np.int64)
    residuals = np.empty(max_iter)
    bounds = np.empty(2)
    iterations, converged = _kernels.relative_value_iteration(
        *arrays,
        tau,
        epsilon,
        reference_state,
        max_iter,
        values,
        np.empty(mdp.n_states),
        policy,
        residuals,
        bounds,
    )
    bias = tau * values
    q_values = np.empty((mdp.n_states, mdp.n_actions))
    _kernels.improve_policy(*arrays, bias, 0.0, policy.copy(), q_values)
    if not converged and trapped.size:
        raise InvalidValueError(
            f"relative_value_iteration did not prove a single optimal gain: after "
            f"max_iter={iterations} sweeps the gain lies in [{bounds[0]:.10g}, "
            f"{bounds[1]:.10g}] and the span no longer shrinks fast enough. Some policy "
            f"can stay forever in the states {_describe(trapped, mdp.n_states)}, apart from "
            "the model's closed class, so the optimal gain may differ between states "
            "(multichain). Use average_reward_policy_iteration (a gain per state), or raise "
            "max_iter if it was only slow"
        )
    if not converged:
        warnings.warn(
            f"relative_value_iteration stopped at max_iter={iterations} with the gain only "
            f"known to lie in [{bounds[0]:.10g}, {bounds[1]:.10g}]",
            ConvergenceWarning,
            stacklevel=2,
        )
    return AverageRewardResult(
        gain=float((bounds[0] + bounds[1]) / 2.0),
        gain_lower=float(bounds[0]),
        gain_upper=float(bounds[1]),
        values=bias,
        q_values=q_values,
        policy=policy,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=residuals[:iterations].copy(),
        structure=structure,
        method="relative_value_iteration",
        gains=np.full(mdp.n_states, (bounds[0] + bounds[1]) / 2.0),
    )


def average_reward_policy_iteration(
    mdp: TabularMDP,
    *,
    max_iter: int | None = None,
    tie_tolerance: float = 1e-10,
    initial_policy: npt.ArrayLike | None = None,
) -> AverageRewardResult:
    """Solve ``mdp`` for the average-reward criterion by multichain policy iteration.

    Puterman's multichain policy iteration (section 9.2), which needs no assumption on the
    model: evaluate the policy exactly (the gain of each recurrent class from its own
    unichain system, the transient states' gains from their absorption, a bias with ``h =
    0`` at the first state of each class), then improve in two steps: (a) switch every state
    whose best ``sum_s' P(s' | s, a) g(s')`` beats its action's; only if none does, (b)
    among the actions that keep the best gain, switch to the best ``R(s, a) + sum P h``.
    A switch needs a margin of ``tie_tolerance * (1 + |value|)``, so ties never cycle, and
    takes the lowest action within that margin of the best, so values tied but for rounding
    do not decide the policy. On a unichain model this is the textbook unichain algorithm
    (section 8.6).

    The policy returned is gain-optimal from every state. Its bias is the best of the
    gain-optimal policies with the same limiting chain, not necessarily of all of them:
    relative values cannot rank biases across recurrent classes (bias optimality takes the
    nested optimality equations of Puterman's section 10.3).

    Parameters
    ----------
    mdp : TabularMDP
        The model (an ended episode restarts from ``mdp.initial``), at most 3 000 states.
    max_iter : int, optional
        Limit on improvement steps (default 1 000).
    tie_tolerance : float
        Relative margin an action must win by to replace the current one.
    initial_policy : array_like of int, shape (S,), optional
        Starting policy; the myopic greedy one by default.

    Returns
    -------
    AverageRewardResult
        ``gains`` of every state; ``gain`` their mean under ``mdp.initial``, ``gain_lower``
        and ``gain_upper`` their smallest and largest (equal when, as in a weakly
        communicating model, one gain fits all). Exact to rounding.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> machine = rlf.TabularMDP.from_dense(
    ...     P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]],
    ...     R=[[1.0, 0.8], [-2.0, -2.0]],
    ... )
    >>> result = rlf.average_reward_policy_iteration(machine)
    >>> round(result.gain, 12), result.policy.tolist()
    (0.692307692308, [1, 0])

    Two machines that never interact have two gains; each state gets its own:

    >>> islands = rlf.TabularMDP(
    ...     next_state=[[[0]], [[1]]], prob=[[[1.0]], [[1.0]]], reward=[[[0.0]], [[1.0]]],
    ...     terminated=[[[False]], [[False]]], initial=[0.5, 0.5],
    ... )
    >>> result = rlf.average_reward_policy_iteration(islands)
    >>> result.gains.tolist(), result.gain, result.structure
    ([0.0, 1.0], 0.5, 'multichain')
    """
    mdp = check_mdp(mdp)
    max_iter = 1_000 if max_iter is None else check_count("max_iter", max_iter)
    tie_tolerance = check_positive("tie_tolerance", tie_tolerance)
    if mdp.n_states > POLICY_ITERATION_MAX_STATES:
        raise InvalidValueError(
            f"average_reward_policy_iteration solves dense {mdp.n_states} x {mdp.n_states} "
            f"systems per step; models above {POLICY_ITERATION_MAX_STATES} states should use "
            "relative_value_iteration"
        )
    if initial_policy is None:
        policy = np.argmax(_arrays(mdp)[2], axis=1).astype(np.int64)
    else:
        policy = check_policy(mdp, initial_policy, name="initial_policy")
    structure, _ = _structure(mdp, refuse=False)
    successor, continue_prob, reward, end_prob, initial = arrays = _arrays(mdp)
    rows = np.arange(mdp.n_states)
    q_values = np.empty((mdp.n_states, mdp.n_actions))
    residuals = np.empty(max_iter)
    gains, bias = np.zeros(mdp.n_states), np.zeros(mdp.n_states)
    converged, iterations = False, 0
    while iterations < max_iter:
        classes = _recurrent_classes(mdp, policy)
        label = np.full(mdp.n_states, -1, dtype=np.int64)
        for c, members in enumerate(classes):
            label[members] = c
        chain = _kernels.policy_chain(successor, continue_prob, end_prob, initial, policy)
        new_gains, new_bias = np.empty(mdp.n_states), np.empty(mdp.n_states)
        if not _kernels.evaluate_multichain(
            chain, reward[rows, policy], label, len(classes), new_gains, new_bias
        ):
            raise InvalidValueError("a policy's evaluation system is numerically singular")
        residuals[iterations] = float(np.max(np.abs(new_bias - bias)))
        gains, bias = new_gains, new_bias
        iterations += 1
        if not _kernels.improve_multichain(*arrays, gains, bias, tie_tolerance, policy, q_values):
            converged = True
            break
    if not converged:
        warnings.warn(
            f"average_reward_policy_iteration stopped at max_iter={max_iter} with states "
            "still switching",
            ConvergenceWarning,
            stacklevel=2,
        )
    return AverageRewardResult(
        gain=float(initial @ gains),
        gain_lower=float(gains.min()),
        gain_upper=float(gains.max()),
        values=bias,
        q_values=q_values,
        policy=policy,
        iterations=iterations,
        converged=converged,
        residuals=residuals[:iterations].copy(),
        structure=structure,
        method="average_reward_policy_iteration",
        gains=gains,
    )
