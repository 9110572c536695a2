"""Average reward: gains against closed forms and stationary distributions, span bounds,
multichain models refused, kernels against their twins, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import reference
from strategies import communicating_mdps, examples, tabular_mdps

SOLVERS = ["relative_value_iteration", "average_reward_policy_iteration"]


def machine_mdp() -> rlf.TabularMDP:
    """Working (0) or broken (1). Working earns 1 and breaks w.p. 0.1, or 0.8 and 0.02 if
    maintained (action 1); repair costs 2 per step and succeeds w.p. 0.5."""
    return rlf.TabularMDP.from_dense(
        P=[[[0.9, 0.1], [0.98, 0.02]], [[0.5, 0.5], [0.5, 0.5]]],
        R=[[1.0, 0.8], [-2.0, -2.0]],
    )


def queue_mdp(capacity: int, arrival: float, service: float) -> rlf.TabularMDP:
    """A discrete-time birth-death queue on {0..capacity}, one action: a customer arrives
    w.p. ``arrival``, else one leaves w.p. ``service`` (if any); holding cost 1 per customer
    per step."""
    n = capacity + 1
    P = np.zeros((n, 1, n))
    for i in range(n):
        up = arrival if i < capacity else 0.0
        down = (1 - arrival) * service if i > 0 else 0.0
        if i < capacity:
            P[i, 0, i + 1] = up
        if i > 0:
            P[i, 0, i - 1] = down
        P[i, 0, i] = 1.0 - up - down
    R = -np.arange(n, dtype=float)[:, None]
    return rlf.TabularMDP.from_dense(P, R)


def policy_chain(mdp: rlf.TabularMDP, policy) -> tuple[np.ndarray, np.ndarray]:
    """The dense chain and rewards of a deterministic policy; ended episodes restart."""
    P, R = mdp.to_dense()
    end = np.zeros((mdp.n_states, mdp.n_actions))
    for k in range(mdp.max_outcomes):
        end += np.where(mdp.terminated[:, :, k], mdp.prob[:, :, k], 0.0)
    continuing = np.zeros_like(P)
    for k in range(mdp.max_outcomes):
        s, a = np.meshgrid(np.arange(mdp.n_states), np.arange(mdp.n_actions), indexing="ij")
        np.add.at(continuing, (s, a, mdp.next_state[:, :, k]), mdp.continue_prob[:, :, k])
    chain = continuing + end[:, :, None] * mdp.initial[None, None, :]
    rows = np.arange(mdp.n_states)
    return chain[rows, policy], R[rows, policy]


def stationary_gain(mdp: rlf.TabularMDP, policy) -> float:
    """``pi @ r`` with ``pi`` the stationary distribution of the (irreducible) chain."""
    chain, reward = policy_chain(mdp, policy)
    n = mdp.n_states
    system = np.vstack([chain.T - np.eye(n), np.ones(n)])
    pi = np.linalg.lstsq(system, np.append(np.zeros(n), 1.0), rcond=None)[0]
    return float(pi @ reward)


def brute_force_gain(mdp: rlf.TabularMDP) -> float:
    policies = itertools.product(range(mdp.n_actions), repeat=mdp.n_states)
    return max(stationary_gain(mdp, np.array(p)) for p in policies)


def solve(name: str, mdp: rlf.TabularMDP, **kwargs):
    return getattr(rlf, name)(mdp, **kwargs)


@pytest.mark.parametrize("solver", SOLVERS)
def test_machine_maintenance_gain_is_nine_thirteenths(solver):
    # Maintained, the stationary distribution is (25/26, 1/26): g = (25 * 0.8 - 2) / 26.
    got = solve(solver, machine_mdp())
    assert got.gain == pytest.approx(9 / 13, abs=1e-9)
    assert got.policy.tolist() == [1, 0]
    np.testing.assert_allclose(got.values, [0.0, -70 / 13], atol=1e-8)


@pytest.mark.parametrize("solver", SOLVERS)
def test_queue_gain_is_minus_the_mean_queue_length(solver):
    # Birth-death chain: pi_i proportional to rho^i, rho = a / ((1 - a) s).
    capacity, arrival, service = 12, 0.3, 0.6
    rho = arrival / ((1 - arrival) * service)
    weights = rho ** np.arange(capacity + 1)
    expected = -float(np.arange(capacity + 1) @ weights / weights.sum())
    got = solve(solver, queue_mdp(capacity, arrival, service))
    assert got.gain == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_episodes_restart_so_the_gain_is_reward_per_episode_over_its_length(solver):
    # Renewal-reward: a 4-step corridor paying 8 at its end: 2 per step.
    n = 4
    mdp = rlf.TabularMDP(
        next_state=[[[min(s + 1, n - 1)]] for s in range(n)],
        prob=[[[1.0]] for _ in range(n)],
        reward=[[[8.0 if s == n - 1 else 0.0]] for s in range(n)],
        terminated=[[[s == n - 1]] for s in range(n)],
        initial=[1.0, 0.0, 0.0, 0.0],
    )
    assert solve(solver, mdp).gain == pytest.approx(2.0, abs=1e-9)


def test_relative_value_iteration_handles_a_periodic_chain():
    # A deterministic 2-cycle paying 1 then 0 never settles without the aperiodic transform.
    mdp = rlf.TabularMDP(
        next_state=[[[1]], [[0]]],
        prob=[[[1.0]], [[1.0]]],
        reward=[[[1.0]], [[0.0]]],
        terminated=[[[False]], [[False]]],
        initial=[1.0, 0.0],
    )
    got = rlf.relative_value_iteration(mdp)
    assert got.converged
    assert got.gain == pytest.approx(0.5, abs=1e-9)


@examples(30)
@given(mdp=communicating_mdps())
def test_relative_value_iteration_finds_the_best_stationary_gain(mdp):
    expected = brute_force_gain(mdp)
    got = rlf.relative_value_iteration(mdp)
    assert got.gain_lower - 1e-9 <= expected <= got.gain_upper + 1e-9
    assert got.gain == pytest.approx(expected, abs=1e-9)
    assert stationary_gain(mdp, got.policy) >= got.gain_lower - 1e-9


@examples(30)
@given(mdp=communicating_mdps())
def test_average_reward_policy_iteration_finds_the_best_stationary_gain(mdp):
    got = rlf.average_reward_policy_iteration(mdp)
    assert got.gain == pytest.approx(brute_force_gain(mdp), abs=1e-9)
    assert stationary_gain(mdp, got.policy) == pytest.approx(got.gain, abs=1e-9)


@examples(30)
@given(mdp=communicating_mdps())
def test_both_solvers_agree_on_gain_and_bias(mdp):
    iterated = rlf.relative_value_iteration(mdp, epsilon=1e-12)
    exact = rlf.average_reward_policy_iteration(mdp)
    assert iterated.gain == pytest.approx(exact.gain, abs=1e-9)
    # Biases are unique up to a constant in a unichain model; both pin state 0 (or the
    # recurrent class's first state, here state 0 as every state is recurrent).
    np.testing.assert_allclose(iterated.values, exact.values, atol=1e-7)


@examples(40)
@given(mdp=communicating_mdps())
def test_relative_value_iteration_equals_reference_to_the_bit(mdp):
    got = rlf.relative_value_iteration(mdp)
    expected = reference.relative_value_iteration(mdp)
    assert (got.gain_lower, got.gain_upper) == (expected.gain_lower, expected.gain_upper)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.q_values, expected.q_values)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert got.iterations == expected.iterations


@examples(30)
@given(mdp=communicating_mdps())
def test_average_reward_policy_iteration_matches_reference(mdp):
    got = rlf.average_reward_policy_iteration(mdp)
    expected = reference.average_reward_policy_iteration(mdp)
    np.testing.assert_array_equal(got.policy, expected.policy)
    assert got.gain == pytest.approx(expected.gain, abs=1e-12)
    np.testing.assert_allclose(got.values, expected.values, atol=1e-10)


@examples(60)
@given(mdp=tabular_mdps(max_states=8, max_actions=3))
def test_model_structure_matches_the_reference_check(mdp):
    # Tarjan's components (kernel) against reachability sets (reference), on any model.
    try:
        expected = reference.average._check_structure(mdp)[0]
    except rlf.InvalidValueError:
        with pytest.raises(rlf.InvalidValueError, match="closed classes"):
            rlf.model_structure(mdp)
        return
    assert rlf.model_structure(mdp) == expected


def islands() -> rlf.TabularMDP:
    return rlf.TabularMDP(
        next_state=[[[0]], [[1]]],
        prob=[[[1.0]], [[1.0]]],
        reward=[[[0.0]], [[1.0]]],
        terminated=[[[False]], [[False]]],
        initial=[0.5, 0.5],
    )


def test_relative_value_iteration_refuses_two_closed_classes_naming_them():
    with pytest.raises(rlf.InvalidValueError, match=r"2 closed classes of states, \{0\} and \{1\}"):
        rlf.relative_value_iteration(islands())


def test_multichain_policy_iteration_gives_each_island_its_own_gain():
    got = rlf.average_reward_policy_iteration(islands())
    assert got.structure == "multichain"
    np.testing.assert_allclose(got.gains, [0.0, 1.0], atol=1e-12)
    assert got.gain == pytest.approx(0.5, abs=1e-12)  # the mean under initial = (1/2, 1/2)
    assert (got.gain_lower, got.gain_upper) == (0.0, 1.0)


def trap(stay_reward: float) -> rlf.TabularMDP:
    """State 0 may stay (paying ``stay_reward``) or move to state 1, which pays 1 forever."""
    return rlf.TabularMDP(
        next_state=[[[0], [1]], [[1], [1]]],
        prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
        reward=[[[stay_reward], [0.0]], [[1.0], [1.0]]],
        terminated=np.zeros((2, 2, 1), dtype=bool),
        initial=[1.0, 0.0],
    )


def test_a_trap_worth_less_than_the_closed_class_still_has_one_proven_gain():
    got = rlf.relative_value_iteration(trap(stay_reward=0.0))
    assert got.structure == "multichain"
    assert got.gain == pytest.approx(1.0, abs=1e-9)
    assert got.policy[0] == 1


def test_a_trap_worth_more_than_the_closed_class_is_refused_not_averaged():
    # Staying in state 0 earns 2 per step, state 1 earns 1: no single gain exists.
    with pytest.raises(rlf.InvalidValueError, match=r"states \{0\}"):
        rlf.relative_value_iteration(trap(stay_reward=2.0), max_iter=2_000)


def test_multichain_policy_iteration_leaves_a_worthless_trap():
    # Starting from the policy that stays (two recurrent classes, gains 0 and 1).
    got = rlf.average_reward_policy_iteration(trap(stay_reward=0.0), initial_policy=[0, 0])
    assert got.policy.tolist()[0] == 1
    np.testing.assert_allclose(got.gains, [1.0, 1.0], atol=1e-12)


def test_multichain_policy_iteration_stays_in_a_trap_worth_more():
    got = rlf.average_reward_policy_iteration(trap(stay_reward=2.0))
    assert got.policy.tolist()[0] == 0
    np.testing.assert_allclose(got.gains, [2.0, 1.0], atol=1e-12)


def limiting_matrix(chain: np.ndarray) -> np.ndarray:
    """Cesaro limit P* of a stochastic matrix: (I + P) / 2 has the same P* and is aperiodic,
    so squaring it 60 times (2^60 steps) converges to P*. Rows are renormalised after each
    squaring, or their rounding error would double every time."""
    power = (np.eye(len(chain)) + chain) / 2.0
    for _ in range(60):
        power = power @ power
        power /= power.sum(axis=1, keepdims=True)
    return power


def brute_force_gains(mdp: rlf.TabularMDP) -> np.ndarray:
    """max over deterministic policies of g_d = P*_d r_d, state by state (one stationary
    deterministic policy attains every state's maximum: Puterman, Theorem 9.1.8)."""
    best = np.full(mdp.n_states, -np.inf)
    for actions in itertools.product(range(mdp.n_actions), repeat=mdp.n_states):
        chain, reward = policy_chain(mdp, np.array(actions))
        best = np.maximum(best, limiting_matrix(chain) @ reward)
    return best


@examples(40)
@given(mdp=tabular_mdps(max_states=5, max_actions=3, max_outcomes=2))
def test_multichain_policy_iteration_finds_every_states_best_gain(mdp):
    got = rlf.average_reward_policy_iteration(mdp)
    np.testing.assert_allclose(got.gains, brute_force_gains(mdp), rtol=0, atol=1e-8)
    chain, reward = policy_chain(mdp, got.policy)
    np.testing.assert_allclose(limiting_matrix(chain) @ reward, got.gains, atol=1e-8)


@examples(40)
@given(mdp=tabular_mdps(max_states=6, max_actions=3, max_outcomes=2))
def test_multichain_policy_iteration_matches_reference(mdp):
    got = rlf.average_reward_policy_iteration(mdp)
    expected = reference.average_reward_policy_iteration(mdp)
    np.testing.assert_array_equal(got.policy, expected.policy)
    np.testing.assert_allclose(got.gains, expected.gains, atol=1e-10)
    np.testing.assert_allclose(got.values, expected.values, atol=1e-8)


def deterministic(next_state, reward, initial=None) -> rlf.TabularMDP:
    """One outcome per (state, action), probability 1, nothing terminates; ``next_state``
    and ``reward`` are (S, A) tables (row = state, column = action)."""
    next_state, reward = np.asarray(next_state), np.asarray(reward, dtype=float)
    n_states = next_state.shape[0]
    return rlf.TabularMDP(
        next_state=next_state[:, :, None],
        prob=np.ones((*next_state.shape, 1)),
        reward=reward[:, :, None],
        terminated=np.zeros((*next_state.shape, 1), dtype=bool),
        initial=np.full(n_states, 1.0 / n_states) if initial is None else initial,
    )


def tied_detour() -> rlf.TabularMDP:
    """Every gain-optimal policy ends in state 2 with action 1 (gain 1). From state 0, action
    1 goes through state 1 (rewards -1, then 0.5) and action 2 goes straight to 2 (reward
    -1.5): an extra step costs the gain, so both have bias -2.5 = (-1 - 1) + (0.5 - 1) =
    -1.5 - 1. The myopic start [0, 0, 1] leaves the worthless self-loop of state 0 for the
    gain step, where actions 1 and 2 tie (gain 1 each): the lowest, 1, wins, and the bias
    step keeps it (another tie). The twin's least-squares gains broke this tie by rounding
    (0.9999999999999992 < 0.9999999999999996) and ended at [2, 0, 1]."""
    return deterministic(
        next_state=[[0, 1, 2], [2, 1, 1], [2, 2, 2]],
        reward=[[0.0, -1.0, -1.5], [0.5, -1.5, -1.5], [-2.0, 1.0, -0.5]],
    )


@pytest.mark.parametrize(
    ("mdp", "policy", "gains", "values"),
    [
        pytest.param(
            tied_detour(), [1, 0, 1], [1.0, 1.0, 1.0], [-2.5, -0.5, 0.0], id="tied-detour"
        ),
    ],
)
def test_multichain_policy_iteration_breaks_rounding_ties_by_index(mdp, policy, gains, values):
    got = rlf.average_reward_policy_iteration(mdp)
    expected = reference.average_reward_policy_iteration(mdp)
    assert got.policy.tolist() == expected.policy.tolist() == policy
    np.testing.assert_allclose(got.gains, gains, atol=1e-12)
    np.testing.assert_allclose(expected.gains, gains, atol=1e-12)
    np.testing.assert_allclose(got.values, values, atol=1e-12)
    np.testing.assert_allclose(expected.values, values, atol=1e-12)


def gains_and_biases(mdp: rlf.TabularMDP, policy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P*, g, h) of a deterministic policy: the limiting matrix, the gain ``P* r`` and the
    bias ``H r``, with ``H = (I - P + P*)^-1 - P*`` the deviation matrix (Puterman, section
    8.2), so ``P* h = 0``."""
    chain, reward = policy_chain(mdp, policy)
    limit = limiting_matrix(chain)
    fundamental = np.linalg.inv(np.eye(len(chain)) - chain + limit)
    return limit, limit @ reward, fundamental @ reward - limit @ reward


def all_policies(mdp: rlf.TabularMDP) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    policies = itertools.product(range(mdp.n_actions), repeat=mdp.n_states)
    return [gains_and_biases(mdp, np.array(p)) for p in policies]


@examples(60)
@given(mdp=tabular_mdps(max_states=4, max_actions=3, max_outcomes=2))
def test_multichain_policy_iteration_is_gain_optimal_and_bias_optimal_where_decidable(mdp):
    # Brute force over every deterministic policy, from limiting and deviation matrices.
    # Gain: the returned policy attains every state's best gain. Bias: at termination no
    # gain-keeping action improves r + P h, which for any gain-optimal d' gives
    # h_d' <= h - P*_d' h (h the returned relative values: the policy's bias up to a vector
    # its own P* maps to zero). Against the d' whose P* is the returned policy's own, that
    # reads h_d' <= h_d: bias-optimal among them, and outright when every gain-optimal policy
    # shares it. (Across different P*, relative values cannot rank biases: see
    # test_multichain_policy_iteration_can_stop_short_of_the_best_bias.)
    got = rlf.average_reward_policy_iteration(mdp)
    everything = all_policies(mdp)
    best_gain = np.max([gain for _, gain, _ in everything], axis=0)
    limit, gain, bias = gains_and_biases(mdp, got.policy)
    np.testing.assert_allclose(gain, best_gain, atol=1e-8)
    np.testing.assert_allclose(got.gains, best_gain, atol=1e-8)
    optimal = [(P, h) for P, g, h in everything if np.all(g >= best_gain - 1e-8)]
    for other_limit, other_bias in optimal:
        assert np.all(other_bias <= got.values - other_limit @ got.values + 1e-7)
        if np.allclose(other_limit, limit, atol=1e-9):
            assert np.all(other_bias <= bias + 1e-7)
    if all(np.allclose(P, limit, atol=1e-9) for P, _ in optimal):
        best_bias = np.max([h for _, h in optimal], axis=0)
        np.testing.assert_allclose(bias, best_bias, atol=1e-7)


def test_multichain_policy_iteration_can_stop_short_of_the_best_bias():
    # Puterman's algorithm guarantees the gain, not the bias (that takes the nested
    # optimality equations of section 10.3). State 0 pays 1 to stay or 3 to go to 1; state
    # 1 pays 1 to stay or -1 to go back: every policy earns 1 per step. Started on the
    # cycle, bias (1, -1), every action ties and the cycle is kept, while going to 1 and
    # staying there has bias (2, 0).
    mdp = deterministic(next_state=[[0, 1], [1, 0]], reward=[[1.0, 3.0], [1.0, -1.0]])
    for solver in (rlf.average_reward_policy_iteration, reference.average_reward_policy_iteration):
        cycle = solver(mdp, initial_policy=np.array([1, 1]))
        assert cycle.policy.tolist() == [1, 1]
        np.testing.assert_allclose(gains_and_biases(mdp, cycle.policy)[2], [1.0, -1.0])
        assert solver(mdp).policy.tolist() == [1, 0]  # the myopic start finds the best bias
    np.testing.assert_allclose(gains_and_biases(mdp, np.array([1, 0]))[2], [2.0, 0.0])


def test_taxi_with_restarts_has_a_proven_gain_per_step():
    mdp = rlf.from_env("Taxi-v3")
    got = rlf.relative_value_iteration(mdp)
    assert got.structure == "multichain"  # the 100 unreachable states can idle forever
    assert got.gain_upper - got.gain_lower < 1e-10
    assert 0.0 < got.gain < 20.0


def test_unconverged_relative_value_iteration_warns_with_its_interval():
    with pytest.warns(rlf.ConvergenceWarning, match="lie in"):
        got = rlf.relative_value_iteration(queue_mdp(20, 0.45, 0.9), max_iter=3)
    assert not got.converged
    assert got.gain_lower < got.gain_upper


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"epsilon": 0.0}, rlf.InvalidValueError, "epsilon", id="epsilon"),
        pytest.param({"tau": 1.0}, rlf.InvalidValueError, "tau", id="tau"),
        pytest.param({"max_iter": 0}, rlf.InvalidValueError, "max_iter", id="max-iter"),
        pytest.param({"reference_state": 2}, rlf.InvalidValueError, "reference_state", id="ref"),
    ],
)
def test_relative_value_iteration_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        rlf.relative_value_iteration(machine_mdp(), **kwargs)


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        pytest.param([0, 2], rlf.InvalidValueError, r"initial_policy\[1\] = 2", id="range"),
        pytest.param([0.0, 1.0], rlf.InvalidTypeError, "integer", id="dtype"),
        pytest.param([0], rlf.InvalidValueError, "shape", id="shape"),
    ],
)
def test_average_reward_policy_iteration_rejects_bad_policies(policy, error, message):
    with pytest.raises(error, match=message):
        rlf.average_reward_policy_iteration(machine_mdp(), initial_policy=policy)


@given(mdp=tabular_mdps(max_states=6, max_actions=3))
def test_model_structure_matches_reference(mdp):
    try:
        expected = reference.model_structure(mdp)
    except ValueError:
        with pytest.raises(ValueError):
            rlf.model_structure(mdp)
        return
    assert rlf.model_structure(mdp) == expected


def masked_lure() -> rlf.TabularMDP:
    """State 0: action 0 (masked) leads to state 1, a loop paying 10 per step; action 1 stays
    in 0 paying 1. State 1 loops paying 10. Ignoring the mask, state 0's gain would be 10."""
    return rlf.TabularMDP(
        next_state=[[[1], [0]], [[1], [1]]],
        prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
        reward=[[[0.0], [1.0]], [[10.0], [10.0]]],
        terminated=[[[False], [False]], [[False], [False]]],
        initial=[1.0, 0.0],
        action_mask=[[False, True], [True, True]],
    )


def test_multichain_policy_iteration_never_chooses_a_masked_action_for_its_gain():
    got = rlf.average_reward_policy_iteration(masked_lure())
    assert got.policy[0] == 1
    np.testing.assert_allclose(got.gains, [1.0, 10.0], atol=1e-12)


def test_the_masked_lure_matches_the_reference_twin():
    got = rlf.average_reward_policy_iteration(masked_lure())
    expected = reference.average_reward_policy_iteration(masked_lure())
    np.testing.assert_array_equal(got.policy, expected.policy)
    np.testing.assert_allclose(got.gains, expected.gains, atol=1e-12)


def test_relative_value_iteration_never_chooses_a_masked_action():
    # State 0: action 0 (masked) pays 10 and stays, action 1 pays 1 and stays; state 1 pays 0
    # and moves to 0. The gain is 1 (10 if the mask were ignored).
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    mdp = rlf.TabularMDP.from_dense(
        P, np.array([[10.0, 1.0], [0.0, 0.0]]), action_mask=np.array([[False, True], [True, True]])
    )
    got = rlf.relative_value_iteration(mdp)
    assert got.gain == pytest.approx(1.0, abs=1e-8)
    assert got.policy[0] == 1
