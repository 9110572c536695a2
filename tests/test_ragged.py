"""The ragged layout of skewed models: what it holds, when it is chosen, and that its kernels
give the block layout's results to the bit (the block kernels have reference twins; the
ragged ones are checked against the block ones, and through them against the twins)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import planning, reference
from rlfoundations._kernels import drivers, layout, ragged
from rlfoundations._kernels import planning as kernels
from rlfoundations._kernels.lanes import LANES
from strategies import discounts, skewed_mdps

#: The forms the layout spans: each block padded to its own longest lane (0), at most two
#: lanes continuing in scalar code (the default), every lane past the shortest one (8).
OVERFLOW_LANES = [
    pytest.param(0, id="block-ragged"),
    pytest.param(ragged.OVERFLOW_LANES, id="default"),
    pytest.param(LANES, id="per-pair"),
]


def ragged_layout(mdp, overflow_lanes: int) -> ragged.RaggedModel:
    return ragged.build_ragged_model(
        mdp.next_state, mdp.prob, mdp.terminated, layout.kernel_model(mdp)[2], overflow_lanes
    )


def assert_bits_equal(got, expected) -> None:
    """Same dtype, shape and bytes: -0.0 is not 0.0."""
    got, expected = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(got, expected, strict=True)
    assert got.tobytes() == expected.tobytes()


def heavy_model(n_states: int = 64, heavy: int = 1000, light: int = 2) -> rlf.TabularMDP:
    """One action; state 5 has ``heavy`` outcomes, every other state ``light``."""
    next_state = np.zeros((n_states, 1, heavy), dtype=np.int64)
    prob = np.zeros((n_states, 1, heavy))
    for s in range(n_states):
        count = heavy if s == 5 else light
        next_state[s, 0, :count] = (s + 1 + np.arange(count)) % n_states
        prob[s, 0, :count] = 1.0 / count
    return rlf.TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=np.ones((n_states, 1, heavy)),
        terminated=np.zeros((n_states, 1, heavy), dtype=bool),
        initial=np.full(n_states, 1.0 / n_states),
    )


def lane_outcomes(model: ragged.RaggedModel, n_actions: int, s: int, a: int) -> list:
    """(next state, continuation probability) of pair (s, a) as the layout holds them, in
    the order a backup sums them, without the zero-probability padding."""
    block, lane = divmod(s, LANES)
    pair = block * n_actions + a
    found = []
    for slot in range(model.start[pair], model.start[pair + 1]):
        found.append(
            (model.successor[slot * LANES + lane], model.continue_prob[slot * LANES + lane])
        )
    first = model.overflow_start[pair * LANES + lane]
    for j in range(first, model.overflow_start[pair * LANES + lane + 1]):
        found.append((model.overflow_successor[j], model.overflow_continue[j]))
    return [(int(t), float(p)) for t, p in found if p != 0.0]


# -- the layout -----------------------------------------------------------------------------------
@pytest.mark.parametrize("overflow_lanes", OVERFLOW_LANES)
@given(mdp=skewed_mdps(max_states=20))
def test_ragged_layout_holds_each_pairs_continuing_outcomes_in_slot_order(mdp, overflow_lanes):
    model = ragged_layout(mdp, overflow_lanes)
    n_blocks = -(-mdp.n_states // LANES)
    for s in range(n_blocks * LANES):
        source = min(s, mdp.n_states - 1)  # padding lanes copy the last state
        for a in range(mdp.n_actions):
            expected = [
                (int(mdp.next_state[source, a, k]), float(mdp.prob[source, a, k]))
                for k in range(mdp.max_outcomes)
                if mdp.prob[source, a, k] > 0 and not mdp.terminated[source, a, k]
            ]
            assert lane_outcomes(model, mdp.n_actions, s, a) == expected


@given(mdp=skewed_mdps(max_states=20))
def test_ragged_layout_lets_at_most_the_chosen_lanes_overflow(mdp):
    model = ragged_layout(mdp, ragged.OVERFLOW_LANES)
    per_lane = np.diff(model.overflow_start).reshape(-1, LANES)
    assert np.all((per_lane > 0).sum(axis=1) <= ragged.OVERFLOW_LANES)
    assert np.all(np.diff(model.start) >= 1)
    assert model.successor.dtype == np.int32 and model.overflow_successor.dtype == np.int32


def test_ragged_layout_of_one_heavy_state_holds_only_its_nonzeros():
    mdp = heavy_model()
    model = layout.kernel_model(mdp, ragged=True)
    assert isinstance(model, ragged.RaggedModel)
    entries = model.continue_prob.size + model.overflow_continue.size
    assert entries == 63 * 2 + 1000
    # The block layout holds every state padded to 1 000 outcomes.
    assert layout.kernel_model(mdp)[1].size == 64 * 1000


@given(mdp=skewed_mdps())
def test_the_ragged_layout_is_chosen_when_padding_would_waste_more_than_twice(mdp):
    continuing = int(((mdp.prob > 0) & ~mdp.terminated).sum())
    n_slots = -(-mdp.n_states // LANES) * LANES * mdp.n_actions * mdp.max_outcomes
    got = layout.kernel_model(mdp, ragged=True)
    assert isinstance(got, ragged.RaggedModel) == (n_slots > ragged.RAGGED_WASTE * continuing)
    if not isinstance(got, ragged.RaggedModel):
        assert got is layout.kernel_model(mdp)


def test_a_uniform_model_keeps_the_block_layout():
    mdp = rlf.problems.garnet(100, 3, 4, 0)
    assert layout.kernel_model(mdp, ragged=True) is layout.kernel_model(mdp)


def test_the_ragged_layout_is_built_once_per_model():
    mdp = heavy_model()
    assert layout.kernel_model(mdp, ragged=True) is layout.kernel_model(mdp, ragged=True)


# -- the kernels equal the block kernels, to the bit ----------------------------------------------
def run_value_iteration(model, mdp, gamma, parallel, max_iter=200):
    values = np.zeros(mdp.n_states)
    done, converged, residuals = drivers.value_iteration(
        model,
        gamma,
        planning._threshold(1e-8, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        False,
        max_iter,
        values,
        parallel=parallel,
    )
    return done, converged, residuals, values


@pytest.mark.parametrize("parallel", [False, True], ids=["1-thread", "threads"])
@pytest.mark.parametrize("overflow_lanes", OVERFLOW_LANES)
@given(mdp=skewed_mdps(), gamma=discounts())
def test_ragged_value_iteration_equals_the_block_kernels_to_the_bit(
    mdp, gamma, overflow_lanes, parallel
):
    got = run_value_iteration(ragged_layout(mdp, overflow_lanes), mdp, gamma, parallel)
    expected = run_value_iteration(layout.kernel_model(mdp), mdp, gamma, False)
    assert got[:2] == expected[:2]
    assert_bits_equal(got[2], expected[2])
    assert_bits_equal(got[3], expected[3])


def rarely_ending_skewed_model(heavy: int = 40) -> rlf.TabularMDP:
    """A GARNET model with 1 % ending outcomes whose state 0 has ``heavy`` outcomes under
    action 0: ragged, and value iteration's rounds shift its values."""
    base = rlf.problems.garnet(2000, 4, 3, 0, terminal_prob=0.01)
    shape = (base.n_states, base.n_actions, heavy)
    arrays = {"next_state": np.zeros(shape, dtype=np.int64), "prob": np.zeros(shape)}
    arrays |= {"reward": np.zeros(shape), "terminated": np.zeros(shape, dtype=bool)}
    for name, array in arrays.items():
        array[:, :, : base.max_outcomes] = getattr(base, name)
    arrays["next_state"][0, 0] = np.arange(heavy)
    arrays["prob"][0, 0] = 1.0 / heavy
    arrays["terminated"][0, 0] = False
    return rlf.TabularMDP(**arrays, initial=base.initial)


@pytest.mark.parametrize("parallel", [False, True], ids=["1-thread", "threads"])
def test_ragged_value_iteration_rounds_equal_the_block_kernels_to_the_bit(parallel):
    mdp = rarely_ending_skewed_model()
    model = layout.kernel_model(mdp, ragged=True)
    assert isinstance(model, ragged.RaggedModel)
    got = run_value_iteration(model, mdp, 0.99, parallel, max_iter=3000)
    expected = run_value_iteration(layout.kernel_model(mdp), mdp, 0.99, False, max_iter=3000)
    assert got[:2] == expected[:2]
    assert got[0] < 500  # the shifts took it there (about 2 300 sweeps without)
    assert_bits_equal(got[2], expected[2])
    assert_bits_equal(got[3], expected[3])


@pytest.mark.parametrize("overflow_lanes", OVERFLOW_LANES)
@given(mdp=skewed_mdps(), gamma=discounts(), seed=st.integers(0, 2**32 - 1))
def test_ragged_greedy_and_certificates_equal_the_block_kernels_to_the_bit(
    mdp, gamma, seed, overflow_lanes
):
    # Values of both signs and some zeros: the sign of a zero sum is where layouts could part.
    rng = np.random.default_rng(seed)
    values = rng.integers(-3, 4, mdp.n_states) * rng.random(mdp.n_states)
    outputs = []
    for module, model in (
        (ragged, ragged_layout(mdp, overflow_lanes)),
        (kernels, layout.kernel_model(mdp)),
    ):
        q_values = np.empty((mdp.n_states, mdp.n_actions))
        policy = np.empty(mdp.n_states, dtype=np.int64)
        lower, upper = np.empty(mdp.n_states), np.empty(mdp.n_states)
        bound = module.greedy_certified(
            *model, gamma, values, q_values, policy, mdp.can_terminate, 2.0**-40, 1.0, lower, upper
        )
        outputs.append((q_values, policy, lower, upper, np.array(bound[0])))
    for got, expected in zip(*outputs, strict=True):
        assert_bits_equal(got, expected)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@given(mdp=skewed_mdps(), gamma=discounts())
def test_value_iteration_of_a_skewed_model_equals_reference_to_the_bit(mdp, gamma):
    got = rlf.value_iteration(mdp, gamma, max_iter=200)
    expected = reference.value_iteration(mdp, gamma, max_iter=200)
    assert got.iterations == expected.iterations
    for field in ("values", "q_values", "policy", "residuals", "lower", "upper"):
        assert_bits_equal(getattr(got, field), getattr(expected, field))


def test_value_iteration_reads_the_ragged_layout_of_a_skewed_model(monkeypatch):
    mdp = heavy_model()
    seen = []
    original = drivers.value_iteration

    def spy(model, *args, **kwargs):
        seen.append(type(model))
        return original(model, *args, **kwargs)

    monkeypatch.setattr(drivers, "value_iteration", spy)
    rlf.value_iteration(mdp, 0.9)
    rlf.value_iteration(mdp, 0.9, gauss_seidel=True)
    assert seen == [ragged.RaggedModel, tuple]


# -- policy evaluation, policy iteration, modified policy iteration -------------------------------
def allowed_policy(mdp) -> np.ndarray:
    """A policy of allowed actions: the myopic greedy one."""
    return np.argmax(layout.masked_rewards(mdp.expected_reward, mdp.action_mask), axis=1)


def run_policy_evaluation(model, mdp, gamma):
    values = np.zeros(mdp.n_states)
    done, converged, residuals = drivers.evaluate_policy_iterative(
        model, gamma, allowed_policy(mdp), planning._threshold(1e-8, gamma, 1.0), 200, values
    )
    return (done, converged), (residuals, values)


def run_modified_policy_iteration(model, mdp, gamma):
    values = np.zeros(mdp.n_states)
    done, converged, residuals = drivers.modified_policy_iteration(
        model,
        gamma,
        planning._threshold(1e-8, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        5,
        200,
        values,
    )
    return (done, converged), (residuals, values)


def run_policy_iteration(model, mdp, gamma, exact, exact_final):
    policy = allowed_policy(mdp)
    values = np.zeros(mdp.n_states)
    q_values = np.zeros((mdp.n_states, mdp.n_actions))
    done, stable, proper, residuals, exact, evaluated = drivers.policy_iteration(
        model,
        mdp.prob,
        mdp.terminated,
        mdp.next_state,
        gamma,
        exact,
        exact_final,
        planning._threshold(1e-8, gamma, 1.0),
        gamma < 1.0,
        mdp.can_terminate,
        planning._gap_scale(gamma),
        1e-10,
        50,
        200,
        policy,
        values,
        q_values,
    )
    return (done, stable, proper, exact, evaluated), (residuals, policy, values, q_values)


@pytest.mark.parametrize(
    "solve",
    [
        pytest.param(run_policy_evaluation, id="policy-evaluation"),
        pytest.param(run_modified_policy_iteration, id="mpi"),
        pytest.param(
            lambda model, mdp, gamma: run_policy_iteration(model, mdp, gamma, False, False),
            id="pi-iterative",
        ),
        pytest.param(
            lambda model, mdp, gamma: run_policy_iteration(model, mdp, gamma, False, True),
            id="pi-exact-final",
        ),
        pytest.param(
            lambda model, mdp, gamma: run_policy_iteration(model, mdp, gamma, True, False),
            id="pi-exact",
        ),
    ],
)
@pytest.mark.parametrize("overflow_lanes", OVERFLOW_LANES)
@given(mdp=skewed_mdps(), gamma=discounts())
def test_ragged_policy_solvers_equal_the_block_kernels_to_the_bit(
    mdp, gamma, overflow_lanes, solve
):
    got_counts, got_arrays = solve(ragged_layout(mdp, overflow_lanes), mdp, gamma)
    expected_counts, expected_arrays = solve(layout.kernel_model(mdp), mdp, gamma)
    assert got_counts == expected_counts
    for got, expected in zip(got_arrays, expected_arrays, strict=True):
        assert_bits_equal(got, expected)


@pytest.mark.parametrize("overflow_lanes", OVERFLOW_LANES)
@given(mdp=skewed_mdps(max_states=20), seed=st.integers(0, 2**32 - 1))
def test_a_ragged_policy_chain_holds_the_chosen_actions_outcomes(mdp, seed, overflow_lanes):
    policy = np.random.default_rng(seed).integers(0, mdp.n_actions, mdp.n_states)
    model = ragged_layout(mdp, overflow_lanes)
    chain = ragged.RaggedModel(*ragged.policy_chain(*model, policy))
    for s in range(-(-mdp.n_states // LANES) * LANES):
        action = policy[min(s, mdp.n_states - 1)]  # padding lanes copy the last state
        assert lane_outcomes(chain, 1, s, 0) == lane_outcomes(model, mdp.n_actions, s, action)
    per_lane = np.diff(chain.overflow_start).reshape(-1, LANES)
    assert np.all((per_lane > 0).sum(axis=1) <= ragged.OVERFLOW_LANES)


POLICY_SOLVES = [
    pytest.param("policy_evaluation", {"method": "iterative"}, id="pe-iterative"),
    pytest.param("policy_evaluation", {"method": "exact"}, id="pe-exact"),
    pytest.param("modified_policy_iteration", {"max_iter": 200}, id="mpi"),
    pytest.param("policy_iteration", {"evaluation": "iterative"}, id="pi-iterative"),
    pytest.param("policy_iteration", {"evaluation": "auto"}, id="pi-auto"),
    pytest.param("policy_iteration", {"evaluation": "exact"}, id="pi-exact"),
]


def solve_policy(module, name, mdp, gamma, options):
    """``module.name`` (``rlf`` or ``reference``) on ``mdp``: policy evaluation of the
    myopic greedy policy, or a solve."""
    policy = [allowed_policy(mdp)] if name == "policy_evaluation" else []
    return getattr(module, name)(mdp, *policy, gamma, **options)


def solve_on_the_block_layout(name, mdp, gamma, options):
    """:func:`solve_policy` of ``rlf`` with the block layout forced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            planning, "_kernel_model", lambda model, ragged=False: layout.kernel_model(model)
        )
        return solve_policy(rlf, name, mdp, gamma, options)


def assert_results_bits_equal(got, expected) -> None:
    assert (got.iterations, got.converged) == (expected.iterations, expected.converged)
    for field in ("values", "q_values", "policy", "residuals", "lower", "upper", "suboptimality"):
        assert_bits_equal(getattr(got, field), getattr(expected, field))
    assert_bits_equal(np.asarray(got.non_terminating), np.asarray(expected.non_terminating))


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize(("name", "options"), POLICY_SOLVES)
@given(mdp=skewed_mdps(), gamma=discounts())
def test_policy_solvers_give_the_block_layouts_results_to_the_bit(mdp, gamma, name, options):
    got = solve_policy(rlf, name, mdp, gamma, options)
    expected = solve_on_the_block_layout(name, mdp, gamma, options)
    assert_results_bits_equal(got, expected)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::rlfoundations.NonTerminationWarning")
@pytest.mark.parametrize(("name", "options"), POLICY_SOLVES)
@given(mdp=skewed_mdps())
def test_undiscounted_policy_solvers_give_the_block_layouts_results_to_the_bit(mdp, name, options):
    _, handled = kernels.proper_policy(mdp.next_state, mdp.prob, mdp.terminated, mdp.allowed)
    assume(handled.all())
    if name == "policy_evaluation":  # the policy must end the episode: a proper one
        assume(not planning._non_terminating(mdp, allowed_policy(mdp)).any())
    got = solve_policy(rlf, name, mdp, 1.0, options)
    expected = solve_on_the_block_layout(name, mdp, 1.0, options)
    assert_results_bits_equal(got, expected)


@pytest.mark.filterwarnings("ignore::rlfoundations.ConvergenceWarning")
@pytest.mark.parametrize(("name", "options"), POLICY_SOLVES)
@given(mdp=skewed_mdps(), gamma=discounts(0.99))
def test_policy_solvers_of_a_skewed_model_match_reference(mdp, gamma, name, options):
    got = solve_policy(rlf, name, mdp, gamma, options)
    expected = solve_policy(reference, name, mdp, gamma, options)
    np.testing.assert_array_equal(got.policy, expected.policy)
    if name == "modified_policy_iteration":  # bit for bit, as in tests/test_planning.py
        assert_bits_equal(got.values, expected.values)
    else:  # the twins solve and sum differently: to rounding, as in tests/test_planning.py
        np.testing.assert_allclose(got.values, expected.values, rtol=0, atol=1e-9)
        np.testing.assert_allclose(got.q_values, expected.q_values, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("kernel", "solve"),
    [
        pytest.param(
            "evaluate_policy_iterative",
            lambda m: rlf.policy_evaluation(m, np.zeros(m.n_states, int), 0.9, method="iterative"),
            id="policy-evaluation",
        ),
        pytest.param(
            "modified_policy_iteration", lambda m: rlf.modified_policy_iteration(m, 0.9), id="mpi"
        ),
        pytest.param("policy_iteration", lambda m: rlf.policy_iteration(m, 0.9), id="pi"),
    ],
)
def test_policy_solvers_read_the_ragged_layout_of_a_skewed_model(monkeypatch, kernel, solve):
    calls = []
    original = getattr(ragged, kernel)

    def spy(*args):
        calls.append(kernel)
        return original(*args)

    monkeypatch.setattr(ragged, kernel, spy)
    result = solve(heavy_model())
    assert calls
    # Every state earns 1 a step forever: V = 1 / (1 - 0.9) = 10, whatever the outcomes.
    np.testing.assert_allclose(result.values, 10.0, rtol=0, atol=1e-6)
    assert result.converged


@pytest.mark.parametrize(("name", "options"), POLICY_SOLVES)
def test_policy_solvers_build_no_padded_layout_of_a_skewed_model(name, options):
    mdp = heavy_model()
    solve_policy(rlf, name, mdp, 0.9, options)
    assert mdp not in layout._CACHE  # the block layout: 64 x 1 000 slots here


def test_gauss_seidel_value_iteration_solves_a_skewed_model_on_the_block_layout():
    result = rlf.value_iteration(heavy_model(), 0.9, gauss_seidel=True)
    np.testing.assert_allclose(result.values, 10.0, rtol=0, atol=1e-6)
    assert result.converged
