"""Exact solvers: value iteration, policy evaluation, policy iteration, modified policy iteration.

Each public function validates its arguments, allocates the outputs, calls the same-named
Numba kernel in :mod:`rlfoundations._kernels.planning` (on a skewed model, its twin in
:mod:`rlfoundations._kernels.ragged`, which gives the same bits) through its driver in
:mod:`rlfoundations._kernels.drivers` (which sizes the residual buffer to the sweeps taken and
picks the thread count), wraps a :class:`PlanningResult` and warns if the stopping rule was
not met.
Their pure-Python twins, with the same signatures, live in :mod:`rlfoundations.reference`.

Stopping rules (Puterman, *Markov Decision Processes*, 1994, sections 6.3 and 6.6), for
``0 < gamma < 1`` and a target ``epsilon``:

- synchronous value iteration and modified policy iteration stop when the span
  ``max(V_new - V) - min(V_new - V)`` falls below ``epsilon * (1 - gamma) / gamma``; the
  greedy policy of the last values is then epsilon-optimal (Theorem 6.6.6). In a model whose
  episodes can end, terminating transitions lead to an implicit absorbing state of value 0,
  whose change (0) is included in the span, as the theorem needs a stochastic matrix; the
  span then also bounds the values' error, within ``epsilon`` of ``V*``. In a model whose
  episodes never end, a small span leaves the values a constant away from ``V*``: they are
  moved to the middle of MacQueen's bounds (Theorem 6.6.3), within ``epsilon / 2`` of ``V*``
  (the same shift for every state, so the greedy policy is unchanged);
- where episodes end (and ``gamma < 1``), synchronous value iteration's sweeps come in rounds
  of 12, judged from the values alone (the same bits on every run and thread count). A round
  whose change is close to a constant (its mean at least 0.7 of its extremes' midpoint) moves
  the values by ``rate / (1 - rate)`` times that midpoint, ``rate`` the ratio of its last two
  sweeps' mean changes (at most ``gamma``; with ``gamma`` it is MacQueen's midpoint shift): an
  error shrinking by ``rate`` a sweep is then removed at once. The round after a shift must
  end below what plain sweeps would reach at that rate, or the values before the shift come
  back and the shifts end, so a shift that does not pay costs its round. Where episodes end
  rarely, the error of synchronous sweeps is close to a constant that shrinks by about
  ``gamma`` a sweep (a GARNET model of 10^4 states with 1 % ending outcomes at gamma 0.99:
  116 sweeps against 2 272). Every sweep is still held to the span rule, so the guarantee
  stands. ``extrapolate=False`` gives plain value iteration;
- Gauss-Seidel value iteration sweeps in place, in blocks of eight states (each block backs
  up from the values before it, later blocks see its new ones), and, after at most 12 such
  sweeps (or one that changes no value by ``epsilon * (1 - gamma) / gamma``), checks with one
  synchronous sweep held to the span rule above, which gives the same guarantee; if the check
  fails, in-place sweeps resume, from values moved by the check's MacQueen midpoint shift (a
  constant; in-place sweeps leave an error close to a constant, which they remove slowly and
  the shift removes at once; the shifts stop for the run after a check that does no better than
  the one before, which restores the values as they were before the last shift, so they can
  never stall it). Where episodes end, the shifts start at the first check whose mean change
  is at least 0.7 of its midpoint (most states changed by about the same: an error close to a
  constant; a front still crossing a maze changes a few), and end, the values kept, at a check
  no better than that one's statistic times ``gamma ** (2 * sweeps since)`` (shifts that
  overshoot). Where episodes never end, the span rule ignores a constant error that
  in-place sweeps cannot, and they may contract it more slowly than synchronous sweeps: the
  first two sweeps are synchronous and measure their contraction, and the first round of
  in-place sweeps (a short probe of 4, then rounds of 12) that does no better than as many
  synchronous sweeps at that rate ends the in-place sweeps for the run, which goes on as
  synchronous value iteration (a decision taken from the values alone: the same bits on every
  run);
- iterative policy evaluation stops when ``max |V_new - V| < epsilon * (1 - gamma) / gamma``,
  so the values are within ``epsilon`` of the policy's true values.

With ``gamma = 0`` one sweep is exact. With ``gamma = 1`` (undiscounted episodic) the rules
fall back to ``max |V_new - V| < epsilon``, and every result is checked for states from
which the greedy policy never ends the episode: they are reported in
``result.non_terminating`` with a :class:`NonTerminationWarning`.

Certificates. Every result carries ``lower`` and ``upper``, shape (S,), and
``suboptimality``, computed from the final values ``v`` and their Q-values (which the
result holds anyway: no extra sweep). With ``c = gamma / (1 - gamma)``, ``Tv = max_a Q`` and
``T_pi v = Q(., pi)``, the end state's change 0 included where episodes end:

- ``lower = Tv + c min(Tv - v)`` and ``upper = Tv + c max(Tv - v)`` bracket ``V*`` (MacQueen's
  bounds, Puterman Theorem 6.6.3, valid for any ``v``, converged or not);
- the same bounds with ``T_pi v`` bracket ``V^pi``, so ``V* - V^pi <= upper - (T_pi v + c
  min(T_pi v - v))``, whose maximum is ``suboptimality``; for the greedy policy this is
  ``c * span(Tv - v)``, the quantity Theorem 6.6.6's stopping rule makes below ``epsilon``;
- :func:`policy_evaluation` bounds ``V^pi`` (exact: ``lower = upper = values``) and its
  ``suboptimality`` bounds ``max_s V*(s) - V^pi(s)`` for the policy evaluated.

Bounds are widened by ``2**-40`` of their size for the rounding of the backup. With
``gamma = 1`` no contraction gives such bounds: ``lower``, ``upper`` and ``suboptimality``
are NaN, except exact evaluation (``lower = upper = values``) and exactly evaluated policy
iteration, whose proper policy's values bound ``V*`` from below (``lower = values``).

Proper policies at ``gamma = 1``. Where the lowest-index greedy policy never ends the
episode from some states, those states take instead a near-greedy action (``Q`` within
``epsilon * (1 + |max Q|)`` of the best) found by a backward search from termination: round
by round, an action with a positive-probability outcome that terminates or reaches a state
already certified to end. The values are unchanged; the policy ends the episode from every
state where such ties allow it (the gambler's problem with stake 0 allowed, for example).
Policy iteration starts from a proper policy and keeps it.

Action masks. Actions ``mdp.action_mask`` forbids are never chosen: their reward is
``-inf`` in the kernels' layout, so their Q-value (reported in ``q_values``) is ``-inf``;
a policy given to :func:`policy_evaluation` or ``initial_policy`` that chooses one is refused.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Literal

import numpy as np
import numpy.typing as npt

from rlfoundations._kernels import drivers as _drivers
from rlfoundations._kernels import planning as _kernels
from rlfoundations._kernels import ragged as _ragged
from rlfoundations._kernels.layout import kernel_model as _kernel_model
from rlfoundations._kernels.layout import masked_rewards as _masked_rewards
from rlfoundations._kernels.layout import reward_scales as _reward_scales
from rlfoundations._validate import (
    check_bool,
    check_choice,
    check_gamma,
    check_int,
    check_mdp,
    check_policy,
    check_positive,
    check_values,
)
from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import ConvergenceWarning, NonTerminationWarning, PlanningResult
from rlfoundations.stochastic import action_values, induced_mdp, is_policy_matrix

__all__ = [
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "value_iteration",
]

#: Default sweep limit of the iterative solvers.
DEFAULT_MAX_ITER = 10_000
#: Default limit on policy iteration's improvement steps.
DEFAULT_POLICY_ITERATION_STEPS = 1_000
#: Above this many states, ``method="auto"`` evaluates policies iteratively, not exactly.
EXACT_EVALUATION_MAX_STATES = 2_000
#: Relative widening of the certified bounds, for the rounding of the backup they come from
#: (a sum of K products, each within one ulp): 2**-40, about 1e-12 of the values' size.
CERTIFICATE_ROUNDING = 2.0**-40
#: Policy iteration's inexact evaluations stop once MacQueen's bounds put the policy's values
#: within this multiple of the last improvement step's gap (see :func:`policy_iteration`).
#: Measured (benchmarks/bench_planning.py): 0.1 to 30 take the same improvement steps on
#: FrozenLake 64x64 and random models, and time falls with the ratio up to about 10.
EVALUATION_GAP_RATIO = 10.0
#: Modified policy iteration's default partial-evaluation sweeps per step. Measured
#: (gamma 0.99, one run, 1 thread): 20 is fastest on FrozenLake 64x64, 40 on random models
#: of 10^4 and 10^5 states (1.3x and 2.3x ahead of 20 there), all alike on Taxi; 30 is within
#: 1.2x of the best of 20, 30, 40 on each (5, the old default, 1.7-2x slower than 20).
DEFAULT_EVALUATIONS = 30
#: Most partial-evaluation sweeps per modified policy iteration step (more is policy iteration).
MAX_EVALUATIONS = 10**6


# -- validation ----------------------------------------------------------------------------------
def _check_max_iter(max_iter, default: int = DEFAULT_MAX_ITER) -> int:
    return default if max_iter is None else check_int("max_iter", max_iter)


def _check_magnitude(mdp: TabularMDP, gamma: float) -> None:
    """Refuse a model whose values could overflow float64.

    ``max |R| / (1 - gamma)`` must be finite (rewards of 1e308 would give ``inf`` values
    reported as converged).
    """
    if gamma == 1.0:
        return
    largest = _reward_scales(mdp)[1]
    if not math.isfinite(largest / (1.0 - gamma)):
        s, a = (int(i) for i in np.argwhere(np.abs(mdp.expected_reward) == largest)[0])
        raise InvalidValueError(
            f"mdp's expected reward {largest:.3g} at (state={s}, action={a}) with gamma={gamma} "
            f"allows values up to {largest:.3g} / (1 - gamma), beyond float64's range: "
            f"rescale the rewards (values scale with them)"
        )


def _check_finite(values: np.ndarray, method: str) -> bool:
    """Whether ``values`` are finite; if not, a :class:`ConvergenceWarning` says so."""
    if np.isfinite(values).all():
        return True
    s = int(np.argmin(np.isfinite(values)))
    warnings.warn(
        f"{method} produced a value of {values[s]} at state {s}: the values overflowed "
        f"float64, the result is not converged; rescale the rewards",
        ConvergenceWarning,
        stacklevel=4,
    )
    return False


def _threshold(epsilon: float, gamma: float, factor: float) -> float:
    """``epsilon * (1 - gamma) / (factor * gamma)``; ``epsilon`` itself when gamma = 1."""
    if gamma == 0.0:
        return math.inf
    if gamma == 1.0:
        return epsilon
    return epsilon * (1.0 - gamma) / (factor * gamma)


# -- result assembly -----------------------------------------------------------------------------
def _non_terminating(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    return _kernels.non_terminating_states(mdp.next_state, mdp.prob, mdp.terminated, policy)


def _warn_non_terminating(stuck: np.ndarray, what: str) -> None:
    first = int(np.argmax(stuck))
    warnings.warn(
        f"with gamma=1, {what} never ends the episode from {int(stuck.sum())} state(s), "
        f"first state {first}; their values are infinite-horizon sums (see "
        f"result.non_terminating), use gamma < 1 for such models",
        NonTerminationWarning,
        stacklevel=3,
    )


#: Codes of :func:`rlfoundations._kernels.planning.certificates`'s ``evaluated``.
_EVALUATED = {None: 0, "exact": 1, "iterative": 2}


def _certificates(mdp, gamma, values, q_values, policy, *, evaluated=None):
    """(lower, upper, suboptimality) of a result: see the module docstring, "Certificates".

    ``evaluated`` is None for a solver (bounds on ``V*``), else "exact" or "iterative" for
    the evaluation of ``policy`` (bounds on ``V^pi``).
    """
    n_states = values.shape[0]
    lower, upper = np.empty(n_states), np.empty(n_states)
    if gamma == 1.0:
        if evaluated == "exact":
            lower[:], upper[:] = values, values
        else:
            lower[:], upper[:] = np.nan, np.nan
        return lower, upper, math.nan
    suboptimality = _kernels.certificates(
        values,
        q_values,
        policy,
        gamma,
        mdp.can_terminate,
        _EVALUATED[evaluated],
        CERTIFICATE_ROUNDING,
        _reward_scales(mdp)[0],
        lower,
        upper,
    )
    return lower, upper, float(suboptimality)


def _optimal_upper(mdp, gamma, values, q_values) -> np.ndarray:
    """MacQueen's upper bound on ``V*`` from ``values`` and their Q-values."""
    return _certificates(mdp, gamma, values, q_values, np.argmax(q_values, axis=1))[1]


def _prefer_termination(mdp, gamma, q_values, policy, tolerance):
    """With gamma = 1, the states the greedy ``policy`` never ends from.

    Found after switching them (in place) to near-greedy actions certified to end the
    episode (module docstring).
    """
    stuck = _non_terminating(mdp, policy)
    if stuck.any():
        _kernels.prefer_termination(
            mdp.next_state, mdp.prob, mdp.terminated, q_values, tolerance, policy, stuck
        )
        stuck = _non_terminating(mdp, policy)
    return stuck


def _greedy_result(
    mdp, gamma, method, values, iterations, converged, residuals, history=None, tolerance=0.0
):
    """Wrap values into a result.

    The result holds their Q-values, lowest-index greedy policy (with gamma = 1, ties within
    ``tolerance`` broken toward termination) and certificates.
    """
    q_values = np.empty((mdp.n_states, mdp.n_actions))
    policy = np.empty(mdp.n_states, dtype=np.int64)
    non_terminating = None
    # Either layout gives the same bits (rlfoundations._kernels.ragged).
    model = _kernel_model(mdp, ragged=True)
    if gamma < 1.0:
        lower, upper = np.empty(mdp.n_states), np.empty(mdp.n_states)
        suboptimality, finite = _drivers.layout_kernels(model).greedy_certified(
            *model,
            gamma,
            values,
            q_values,
            policy,
            mdp.can_terminate,
            CERTIFICATE_ROUNDING,
            _reward_scales(mdp)[0],
            lower,
            upper,
        )
        if not finite:
            _check_finite(values, method)
    else:
        _drivers.layout_kernels(model).greedy(*model, gamma, values, q_values, policy)
        non_terminating = _prefer_termination(mdp, gamma, q_values, policy, tolerance)
        if non_terminating.any():
            _warn_non_terminating(non_terminating, "the greedy policy")
        finite = _check_finite(values, method)
        lower, upper, suboptimality = _certificates(mdp, gamma, values, q_values, policy)
    if finite and not converged:
        warnings.warn(
            f"{method} stopped at max_iter={iterations} before meeting its stopping rule "
            f"(last change {residuals[-1]:.3g}); the result is not epsilon-optimal",
            ConvergenceWarning,
            stacklevel=3,
        )
    converged = converged and finite
    return PlanningResult(
        values=values,
        q_values=q_values,
        policy=policy,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=residuals.copy(),
        gamma=gamma,
        method=method,
        history=history,
        non_terminating=non_terminating,
        lower=lower,
        upper=upper,
        suboptimality=float(suboptimality),
    )


# -- solvers -------------------------------------------------------------------------------------
def value_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
    gauss_seidel: bool = False,
    record: bool = False,
    initial_values: npt.ArrayLike | None = None,
    extrapolate: bool = True,
) -> PlanningResult:
    """Solve ``mdp`` by value iteration.

    Plain value iteration takes about ``log(1 / epsilon) / (1 - gamma)`` full Bellman sweeps
    where episodes rarely end (a GARNET model of 10^5 states, 1 % ending outcomes, gamma
    0.99: 2 273). Where episodes end, this one ends a round every 12 sweeps and shifts its
    values by an extrapolation of the round's change while that pays (``extrapolate``;
    module docstring): 127 sweeps on that model. Where episodes never end, the span rule
    already ignores the constant error, and large models at ``gamma`` near 1 may be faster
    with :func:`modified_policy_iteration`.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    gamma : float
        Discount factor in [0, 1]; 1 is undiscounted episodic (see Notes).
    epsilon : float
        Target: with ``gamma < 1`` the greedy policy is ``epsilon``-optimal at exit.
    max_iter : int, optional
        Bellman-sweep limit (default 10 000). Reaching it gives ``converged=False`` and a
        :class:`ConvergenceWarning`.
    gauss_seidel : bool
        Update values in place, eight states at a time, instead of the synchronous (Jacobi)
        sweep, checked by a synchronous sweep every 12 sweeps (module docstring). An
        in-place sweep costs a serial synchronous one and runs on one thread. In-place sweeps
        pay where episodes end and the state order carries values forward (FrozenLake 64x64
        at epsilon 1e-6: 759 sweeps against 942); where episodes end rarely (1 % terminating
        outcomes at gamma 0.99), they take about as many sweeps as the synchronous sweeps'
        rounds (110-124 against 116-127), and fewer threads. On the episodic models
        measured they took at most one sweep more than plain value iteration (CliffWalking:
        16 against 15, where the in-place sweeps gain nothing), and on some more than the
        synchronous sweeps' rounds (a GARNET model of 500 states: 110 against 82). Where
        episodes never end, Jacobi's span
        rule often converges in fewer sweeps (GARNET models: about 1.4x fewer), and the
        run measures that and goes on with synchronous sweeps (a few sweeps
        more than Jacobi's; module docstring). For large models the synchronous sweeps
        run on one thread or on all Numba threads, whichever the solve's own sweeps measure
        faster, re-measured as it runs: threads pay on idle cores and lose badly on busy
        ones. The result does not depend on the choice, bit for bit.
    record : bool
        Keep the value function of every sweep in ``result.history`` (for animations; the
        sweeps then run one kernel call at a time).
    initial_values : array_like, shape (S,), optional
        Starting values (zeros by default).
    extrapolate : bool
        Where episodes end and ``gamma < 1``, end a round every 12 synchronous sweeps and
        move the values by an extrapolation of its change while that pays (module
        docstring). A heuristic on the iterates: the stopping rule and certificates hold
        either way. False gives plain value iteration, the textbook's iterates (what
        ``record`` then keeps; :func:`~rlfoundations.plot.animate_value_iteration` draws
        those). A run that ``max_iter`` stops may end on shifted values (their certificates
        hold). ``gauss_seidel`` runs always shift at their checks: ``extrapolate=False``
        with ``gauss_seidel=True`` is refused.

    Returns
    -------
    PlanningResult
        ``values``, ``q_values``, greedy ``policy`` (lowest index on ties), ``iterations``,
        ``converged``, ``residuals`` (sup-norm change per sweep), ``history`` if recorded,
        and the certificates ``lower <= V* <= upper`` and ``suboptimality`` of the policy
        (MacQueen's bounds, Puterman Theorems 6.6.3 and 6.6.6; see the module docstring).

    Notes
    -----
    Kernels: :func:`rlfoundations._kernels.planning.value_iteration_blocks` and
    :func:`rlfoundations._kernels.planning.gauss_seidel_blocks`. The stopping rules are in
    the module docstring. Exact solvers ignore ``mdp.max_episode_steps``: they solve the
    infinite-horizon problem, where only ``terminated`` transitions end an episode.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1")
    >>> result = rlf.value_iteration(mdp, gamma=0.99)
    >>> result.converged, round(result.mean_return(mdp.initial), 4)
    (True, 0.542)
    """
    mdp = check_mdp(mdp)
    gamma = check_gamma(gamma)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = _check_max_iter(max_iter)
    gauss_seidel = check_bool("gauss_seidel", gauss_seidel)
    record = check_bool("record", record)
    values = check_values(mdp, initial_values)
    extrapolate = check_bool("extrapolate", extrapolate)
    if gauss_seidel and not extrapolate:
        raise InvalidValueError(
            "extrapolate=False does not apply to gauss_seidel=True, whose checks always shift "
            "the values: use gauss_seidel=False for plain value iteration"
        )
    _check_magnitude(mdp, gamma)
    history = [values.copy()] if record else None
    iterations, converged, residuals = _drivers.value_iteration(
        # Synchronous sweeps have ragged kernels; Gauss-Seidel sweeps read the block layout.
        _kernel_model(mdp, ragged=not gauss_seidel),
        gamma,
        _threshold(epsilon, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        gauss_seidel,
        max_iter,
        values,
        history,
        extrapolate=extrapolate,
    )
    return _greedy_result(
        mdp,
        gamma,
        "value_iteration (gauss-seidel)" if gauss_seidel else "value_iteration",
        values,
        iterations,
        converged,
        residuals,
        None if history is None else np.array(history),
        tolerance=epsilon,
    )


def policy_evaluation(
    mdp: TabularMDP,
    policy: npt.ArrayLike,
    gamma: float,
    *,
    method: Literal["auto", "exact", "iterative"] = "auto",
    epsilon: float = 1e-10,
    max_iter: int | None = None,
    initial_values: npt.ArrayLike | None = None,
) -> PlanningResult:
    """Compute the values of a ``policy``, deterministic or stochastic.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    policy : array_like of int, shape (S,), or array_like of float, shape (S, A)
        The action taken in every state, or the probability ``policy[s, a]`` of taking
        action ``a`` in state ``s`` (rows sum to 1): then the one-action model it induces
        (every outcome ``k`` of every action ``a`` with probability ``policy[s, a] *
        prob[s, a, k]``) is evaluated, by the same exact or iterative method.
    gamma : float
        Discount factor in [0, 1]. With 1, the policy must end the episode from every
        state, or a ``ValueError`` names the first state where it does not.
    method : {"auto", "exact", "iterative"}
        ``"exact"`` solves ``(I - gamma P_pi) V = R_pi`` one strongly connected component
        of the policy's chain at a time, in reverse topological order (linear in the model
        size when the components are small, as in deterministic envs; O(S^3) when the chain
        is one big component); ``"iterative"`` sweeps ``V <- T_pi V`` until within
        ``epsilon`` of the fixed point; ``"auto"`` picks exact up to 2 000 states.
    epsilon : float
        Accuracy of the iterative method.
    max_iter : int, optional
        Bellman-sweep limit of the iterative method (default 10 000).
    initial_values : array_like, shape (S,), optional
        Warm start of the iterative method.

    Returns
    -------
    PlanningResult
        ``values`` of the policy, ``q_values`` from them, ``policy`` as given (the (S, A)
        matrix for a stochastic policy); ``lower <= V^pi <= upper`` (equal to ``values`` for
        exact evaluation; MacQueen's bounds, Puterman Theorem 6.6.3, for iterative) and
        ``suboptimality`` bounding ``max_s V*(s) - V^pi(s)``.

    Examples
    --------
    >>> import numpy as np
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> always_up = np.zeros(mdp.n_states, dtype=int)
    >>> rlf.policy_evaluation(mdp, always_up, gamma=0.5).values[36]
    np.float64(-2.0)

    A stochastic policy, here the equiprobable random one of Sutton and Barto's figures:

    >>> uniform = np.full((mdp.n_states, mdp.n_actions), 0.25)
    >>> bool(rlf.policy_evaluation(mdp, uniform, gamma=0.5).values[36] < -2.0)
    True
    """
    mdp = check_mdp(mdp)
    if is_policy_matrix(policy):
        return _evaluate_policy_matrix(
            mdp,
            policy,
            gamma,
            method=method,
            epsilon=epsilon,
            max_iter=max_iter,
            initial_values=initial_values,
        )
    policy = check_policy(mdp, policy)
    gamma = check_gamma(gamma)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = _check_max_iter(max_iter)
    values = check_values(mdp, initial_values)
    method = check_choice("method", method, ("auto", "exact", "iterative"))  # type: ignore[assignment]
    if method == "auto":
        method = "exact" if mdp.n_states <= EXACT_EVALUATION_MAX_STATES else "iterative"
    if gamma == 1.0:
        stuck = _non_terminating(mdp, policy)
        if stuck.any():
            s = int(np.argmax(stuck))
            raise InvalidValueError(
                f"with gamma=1 the policy never ends the episode from state {s} "
                f"(policy[{s}] = {policy[s]}), so its value is not a finite sum; "
                f"use gamma < 1 or a policy that terminates"
            )
    # Either layout gives the same bits (rlfoundations._kernels.ragged).
    model = _kernel_model(mdp, ragged=True)
    if method == "exact":
        if isinstance(model, _ragged.RaggedModel):
            # The block chain of the policy alone, from the model's own arrays.
            chain = _kernels.public_policy_model(
                mdp.next_state, mdp.prob, mdp.terminated, model.reward, policy
            )
        else:
            chain = _kernels.policy_model(*model, policy)
        if not _kernels.evaluate_chain(*chain, gamma, values):
            raise ValueError("the policy's linear system (I - gamma P_pi) V = R_pi is singular")
        iterations, converged, residuals = 1, True, np.zeros(1)
    else:
        iterations, converged, residuals = _drivers.evaluate_policy_iterative(
            model, gamma, policy, _threshold(epsilon, gamma, 1.0), max_iter, values
        )
    q_values = np.empty((mdp.n_states, mdp.n_actions))
    _drivers.layout_kernels(model).greedy(
        *model, gamma, values, q_values, np.empty(mdp.n_states, dtype=np.int64)
    )
    if not converged:
        warnings.warn(
            f"policy_evaluation stopped at max_iter={iterations} (last change "
            f"{residuals[iterations - 1]:.3g}); values are not within epsilon",
            ConvergenceWarning,
            stacklevel=2,
        )
    lower, upper, suboptimality = _certificates(
        mdp, gamma, values, q_values, policy, evaluated=method
    )
    return PlanningResult(
        values=values,
        q_values=q_values,
        policy=policy,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=residuals.copy(),
        gamma=gamma,
        method=f"policy_evaluation ({method})",
        lower=lower,
        upper=upper,
        suboptimality=suboptimality,
    )


def _evaluate_policy_matrix(mdp, policy, gamma, **options) -> PlanningResult:
    """A stochastic policy: the deterministic evaluation of the model it induces."""
    matrix = check_policy(mdp, policy, stochastic=True)
    return _evaluate_checked_matrix(mdp, matrix, gamma, **options)


def _evaluate_checked_matrix(mdp, matrix, gamma, **options) -> PlanningResult:
    """:func:`_evaluate_policy_matrix` of an (S, A) ``matrix`` its caller has checked."""
    induced = induced_mdp(mdp, matrix)
    if check_gamma(gamma) == 1.0:
        stuck = _non_terminating(induced, np.zeros(mdp.n_states, dtype=np.int64))
        if stuck.any():
            s = int(np.argmax(stuck))
            raise InvalidValueError(
                f"with gamma=1 the stochastic policy does not surely end the episode from "
                f"state {s}, so its value is not a finite sum; use gamma < 1 or a policy "
                f"that terminates surely"
            )
    chain = policy_evaluation(induced, np.zeros(mdp.n_states, dtype=np.int64), gamma, **options)
    q_values = action_values(mdp, chain.values, chain.gamma)
    suboptimality = math.nan
    if chain.gamma < 1.0:
        upper = _optimal_upper(mdp, chain.gamma, chain.values, q_values)
        suboptimality = float(np.max(upper - chain.lower))
    return dataclasses.replace(chain, q_values=q_values, policy=matrix, suboptimality=suboptimality)


def policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    evaluation: Literal["auto", "exact", "iterative"] = "auto",
    epsilon: float = 1e-10,
    max_iter: int | None = None,
    tie_tolerance: float = 1e-10,
    initial_policy: npt.ArrayLike | None = None,
) -> PlanningResult:
    """Solve ``mdp`` by Howard's policy iteration.

    Evaluate the current policy, switch every state to its best action, repeat until no
    state switches. A state switches only when its best action beats the current one by
    more than ``tie_tolerance * (1 + |Q|)``, so tied policies never make it cycle.

    Evaluation stops at the accuracy the next improvement step needs (with ``gamma < 1``,
    unless ``evaluation="exact"``): each policy is swept, from the previous policy's values,
    until MacQueen's bounds on its values (Puterman, Theorem 6.6.3) are narrower than
    ``EVALUATION_GAP_RATIO`` (10) times the largest gain ``max_s (max_a Q(s, a) - Q(s,
    pi(s)))`` the last improvement step saw. Once no state switches, the policy is evaluated
    to the full accuracy: exactly with ``evaluation="auto"`` on models up to 2 000 states
    (then every further policy too), else to ``epsilon``; the run stops at the first policy
    so evaluated that no state leaves. The answer is that of Howard's algorithm with the
    same evaluation: the exact values of a policy no state improves on (``"auto"`` up to
    2 000 states, ``"exact"``), or values within ``epsilon`` of them (``"iterative"``,
    larger models), certified by ``lower``, ``upper`` and ``suboptimality``.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    gamma : float
        Discount factor in [0, 1]. With 1, every state must be able to end the episode
        under some policy, and the default start is a policy that ends it surely.
    evaluation : {"auto", "exact", "iterative"}
        ``"exact"`` evaluates every policy exactly, as :func:`policy_evaluation` does;
        ``"iterative"`` sweeps each to the accuracy the next step needs and the last to
        ``epsilon``; ``"auto"`` sweeps each and evaluates the last exactly up to 2 000
        states (every policy exactly with ``gamma = 1``), as ``"iterative"`` above.
    epsilon : float
        Accuracy of the last iterative evaluation: the values are within ``epsilon`` of
        the final policy's (MacQueen's bounds; ``epsilon / 2`` where episodes never end, as
        the values move to the bounds' middle; a sup-norm rule with ``gamma = 1``). If that
        evaluation takes more than 10 000 sweeps, ``converged`` is False and a
        :class:`ConvergenceWarning` says so.
    max_iter : int, optional
        Limit on improvement steps (default 1 000).
    tie_tolerance : float
        Relative margin an action must win by to replace the current one.
    initial_policy : array_like of int, shape (S,), optional
        Starting policy; by default the myopic greedy policy (gamma < 1) or a
        surely-terminating one (gamma = 1).

    Returns
    -------
    PlanningResult
        ``iterations`` counts improvement steps; ``residuals`` the sup-norm change of the
        values between successive evaluations; ``lower``, ``upper``, ``suboptimality`` as
        in :func:`value_iteration` (with ``gamma = 1``, ``lower`` is the exact values).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> result = rlf.policy_iteration(mdp, gamma=1.0)
    >>> result.converged, result.values[36]
    (True, np.float64(-13.0))
    """
    mdp = check_mdp(mdp)
    gamma = check_gamma(gamma)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = _check_max_iter(max_iter, DEFAULT_POLICY_ITERATION_STEPS)
    _check_magnitude(mdp, gamma)
    tie_tolerance = check_positive("tie_tolerance", tie_tolerance)
    evaluation = check_choice("evaluation", evaluation, ("auto", "exact", "iterative"))  # type: ignore[assignment]
    small = mdp.n_states <= EXACT_EVALUATION_MAX_STATES
    exact = evaluation == "exact" or (evaluation == "auto" and small and gamma == 1.0)
    exact_final = evaluation == "auto" and small and not exact
    # Either layout gives the same bits (rlfoundations._kernels.ragged).
    model = _kernel_model(mdp, ragged=True)
    if gamma == 1.0:
        start, handled = _kernels.proper_policy(
            mdp.next_state, mdp.prob, mdp.terminated, mdp.allowed
        )
        if not handled.all():
            s = int(np.argmin(handled))
            raise InvalidValueError(
                f"with gamma=1, state {s} cannot end the episode under any policy, so its "
                f"value is not a finite sum; use gamma < 1"
            )
    else:
        start = np.argmax(_masked_rewards(mdp.expected_reward, mdp.action_mask), axis=1)
    policy = (
        start
        if initial_policy is None
        else check_policy(mdp, initial_policy, name="initial_policy")
    )
    policy = np.array(policy, dtype=np.int64)
    values = np.zeros(mdp.n_states)
    q_values = np.zeros((mdp.n_states, mdp.n_actions))
    # The graph checks read the model's own (S, A, K) arrays: an int32 copy of next_state
    # (mdp.successor) would stay cached on the model, 4 more bytes a slot than the solve needs.
    iterations, stable, proper, residuals, exact, evaluated = _drivers.policy_iteration(
        model,
        mdp.prob,
        mdp.terminated,
        mdp.next_state,
        gamma,
        exact,
        exact_final,
        _threshold(epsilon, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        _gap_scale(gamma),
        tie_tolerance,
        max_iter,
        DEFAULT_MAX_ITER,
        policy,
        values,
        q_values,
    )
    non_terminating = None
    if gamma == 1.0:
        non_terminating = _non_terminating(mdp, policy)
        if not proper:
            _warn_non_terminating(non_terminating, "a policy reached by policy iteration")
    if not stable and proper:
        warnings.warn(
            f"policy_iteration stopped at max_iter={max_iter} with states still switching",
            ConvergenceWarning,
            stacklevel=2,
        )
    elif stable and not evaluated:
        warnings.warn(
            f"policy_iteration's last policy evaluation stopped at {DEFAULT_MAX_ITER} sweeps "
            f"before its values were within epsilon={epsilon:g} (see result.suboptimality); "
            f"use evaluation='exact' or a larger epsilon",
            ConvergenceWarning,
            stacklevel=2,
        )
    converged = stable and evaluated
    lower, upper, suboptimality = _certificates(mdp, gamma, values, q_values, policy)
    if gamma == 1.0 and exact and proper:
        # The values are those of a proper policy, exactly: V^pi <= V* (no upper bound).
        lower = values.copy()
    return PlanningResult(
        values=values,
        q_values=q_values,
        policy=policy,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=residuals.copy(),
        gamma=gamma,
        method="policy_iteration",
        non_terminating=non_terminating,
        lower=lower,
        upper=upper,
        suboptimality=suboptimality,
    )


def _gap_scale(gamma: float) -> float:
    """Span of a policy's change that ends its evaluation, per unit of the last gap.

    Its values are then within ``EVALUATION_GAP_RATIO`` times the gap of the policy's own
    (MacQueen's bounds).
    """
    if gamma == 0.0:
        return math.inf
    return EVALUATION_GAP_RATIO * (1.0 - gamma) / gamma


def modified_policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    *,
    n_evaluations: int = DEFAULT_EVALUATIONS,
    epsilon: float = 1e-8,
    max_iter: int | None = None,
    initial_values: npt.ArrayLike | None = None,
) -> PlanningResult:
    """Solve ``mdp`` by modified policy iteration (Puterman, section 6.5).

    Each iteration takes one Bellman optimality sweep, which fixes the greedy policy, then
    ``n_evaluations`` cheaper sweeps of that policy's operator. ``n_evaluations=0`` is value
    iteration; large values approach policy iteration. Stops as synchronous value iteration
    does, so the greedy policy at exit is ``epsilon``-optimal for ``gamma < 1``.

    Parameters
    ----------
    mdp : TabularMDP
        The model.
    gamma : float
        Discount factor in [0, 1].
    n_evaluations : int
        Partial-evaluation sweeps per iteration (>= 0; default 30, chosen by measurement,
        see ``DEFAULT_EVALUATIONS``).
    epsilon, max_iter, initial_values
        As in :func:`value_iteration`.

    Returns
    -------
    PlanningResult

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("FrozenLake-v1")
    >>> result = rlf.modified_policy_iteration(mdp, gamma=0.99, n_evaluations=10)
    >>> bool(result.converged), int(result.policy[0])
    (True, 0)
    """
    mdp = check_mdp(mdp)
    gamma = check_gamma(gamma)
    epsilon = check_positive("epsilon", epsilon)
    max_iter = _check_max_iter(max_iter)
    n_evaluations = check_int("n_evaluations", n_evaluations, minimum=0)
    if n_evaluations > MAX_EVALUATIONS:
        raise InvalidValueError(
            f"n_evaluations must be at most {MAX_EVALUATIONS}, got {n_evaluations}: that many "
            f"partial evaluations is policy iteration, use policy_iteration"
        )
    values = check_values(mdp, initial_values)
    _check_magnitude(mdp, gamma)
    iterations, converged, residuals = _drivers.modified_policy_iteration(
        # Either layout gives the same bits (rlfoundations._kernels.ragged).
        _kernel_model(mdp, ragged=True),
        gamma,
        _threshold(epsilon, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        n_evaluations,
        max_iter,
        values,
    )
    return _greedy_result(
        mdp,
        gamma,
        "modified_policy_iteration",
        values,
        iterations,
        converged,
        residuals,
        tolerance=epsilon,
    )
