"""TabularMDP: construction, validation messages, derived arrays, dense round trips."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given

import rlfoundations as rlf
from rlfoundations import TabularMDP
from rlfoundations.mdp import adoptable as can_adopt
from strategies import discounts, tabular_mdps


def chain_arrays() -> dict:
    """Two states, two actions, two slots; the second slot of (1, 1) is padding."""
    return {
        "next_state": np.array([[[0, 1], [1, 0]], [[1, 0], [1, 0]]]),
        "prob": np.array([[[0.5, 0.5], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]]),
        "reward": np.array([[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [5.0, 0.0]]]),
        "terminated": np.array([[[False, False], [False, False]], [[False, False], [True, False]]]),
        "initial": np.array([1.0, 0.0]),
    }


def test_shape_properties_and_repr():
    mdp = TabularMDP(**chain_arrays(), max_episode_steps=7, name="chain")
    assert (mdp.n_states, mdp.n_actions, mdp.max_outcomes) == (2, 2, 2)
    assert repr(mdp) == (
        "TabularMDP(n_states=2, n_actions=2, max_outcomes=2, max_episode_steps=7, name='chain')"
    )


def test_arrays_are_read_only_copies():
    arrays = chain_arrays()
    mdp = TabularMDP(**arrays)
    arrays["prob"][0, 0, 0] = 0.9
    assert mdp.prob[0, 0, 0] == 0.5
    with pytest.raises(ValueError, match="read-only"):
        mdp.reward[0, 0, 0] = 3.0


def test_model_is_frozen():
    mdp = TabularMDP(**chain_arrays())
    with pytest.raises(AttributeError):
        mdp.initial = np.array([0.0, 1.0])


def test_expected_reward_and_continue_prob():
    mdp = TabularMDP(**chain_arrays())
    np.testing.assert_array_equal(mdp.expected_reward, [[0.5, 2.0], [0.0, 5.0]])
    np.testing.assert_array_equal(mdp.continue_prob[1, 1], [0.0, 0.0])
    np.testing.assert_array_equal(mdp.continue_prob[0, 0], [0.5, 0.5])
    assert mdp.successor.dtype == np.int32


@pytest.mark.parametrize(
    ("field", "index", "value", "message"),
    [
        pytest.param(
            "next_state",
            (1, 0, 0),
            2,
            r"next_state\[1, 0, 0\] = 2 is out of range"
            r".*\(state=1, action=0\)",
            id="next-state-too-large",
        ),
        pytest.param("next_state", (0, 1, 0), -1, r"\(state=0, action=1\)", id="negative-state"),
        pytest.param(
            "prob",
            (0, 1, 0),
            -0.5,
            r"prob\[0, 1, 0\] = -0.5 is not a probability",
            id="negative-prob",
        ),
        pytest.param(
            "prob",
            (1, 0, 0),
            0.9,
            r"prob sums to 0.9 at \(state=1, action=0\)",
            id="prob-not-summing-to-one",
        ),
        pytest.param("prob", (1, 0, 0), np.nan, r"prob\[1, 0, 0\] = nan", id="nan-prob"),
        pytest.param(
            "reward",
            (1, 1, 0),
            np.inf,
            r"reward\[1, 1, 0\] = inf is not finite "
            r"at \(state=1, action=1\)",
            id="infinite-reward",
        ),
        pytest.param("initial", (1,), 0.5, r"initial sums to 1.5", id="initial-not-distribution"),
        pytest.param("initial", (0,), -1.0, r"initial\[0\] = -1.0", id="negative-initial"),
    ],
)
def test_invalid_values_raise_naming_field_and_pair(field, index, value, message):
    arrays = chain_arrays()
    arrays[field] = arrays[field].astype(float) if field == "prob" else arrays[field]
    arrays[field][index] = value
    with pytest.raises(ValueError, match=message):
        TabularMDP(**arrays)


def test_shape_mismatch_names_field():
    arrays = chain_arrays()
    arrays["reward"] = np.zeros((2, 2, 3))
    with pytest.raises(ValueError, match=r"reward has shape \(2, 2, 3\), but next_state"):
        TabularMDP(**arrays)


def test_wrong_rank_is_rejected():
    arrays = chain_arrays()
    arrays["next_state"] = np.zeros((2, 2), dtype=int)
    with pytest.raises(ValueError, match="next_state must have shape"):
        TabularMDP(**arrays)


def test_initial_of_wrong_length_is_rejected():
    arrays = chain_arrays()
    arrays["initial"] = np.array([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"initial must have shape \(2,\)"):
        TabularMDP(**arrays)


def test_float_next_states_are_not_silently_cast():
    arrays = chain_arrays()
    arrays["next_state"] = arrays["next_state"].astype(float)
    with pytest.raises(TypeError, match="next_state must have a dtype of kind"):
        TabularMDP(**arrays)


def test_integer_terminated_is_not_silently_cast():
    arrays = chain_arrays()
    arrays["terminated"] = arrays["terminated"].astype(int)
    with pytest.raises(TypeError, match="terminated"):
        TabularMDP(**arrays)


@pytest.mark.parametrize("steps", [0, -3])
def test_bad_time_limit_is_rejected(steps):
    with pytest.raises(rlf.InvalidValueError, match="max_episode_steps must be a positive int"):
        TabularMDP(**chain_arrays(), max_episode_steps=steps)


@pytest.mark.parametrize("steps", [2.5, True, "10"])
def test_time_limit_of_the_wrong_type_is_a_type_error(steps):
    with pytest.raises(rlf.InvalidTypeError, match="max_episode_steps must be a positive int"):
        TabularMDP(**chain_arrays(), max_episode_steps=steps)


def test_to_dense_sums_outcomes_into_next_states():
    P, R = TabularMDP(**chain_arrays()).to_dense()
    np.testing.assert_array_equal(P[0, 0], [0.5, 0.5])
    np.testing.assert_array_equal(P[1, 1], [0.0, 1.0])
    np.testing.assert_array_equal(R, [[0.5, 2.0], [0.0, 5.0]])


@given(tabular_mdps(max_states=12))
def test_dense_round_trip_keeps_transitions_and_rewards(mdp):
    P, R = mdp.to_dense()
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-12)
    back = TabularMDP.from_dense(P, R, initial=mdp.initial)
    P_back, R_back = back.to_dense()
    np.testing.assert_allclose(P_back, P, atol=1e-15)
    np.testing.assert_allclose(R_back, R, atol=1e-12)
    np.testing.assert_array_equal(back.initial, mdp.initial)


@given(mdp=tabular_mdps(max_states=12), gamma=discounts())
def test_dense_model_with_an_absorbing_state_has_the_same_values(mdp, gamma):
    P, R = mdp.to_dense(absorbing=True)
    n = mdp.n_states
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-12)
    assert P[n, :, n].tolist() == [1.0] * mdp.n_actions
    policy = np.zeros(n, dtype=int)
    expected = rlf.policy_evaluation(mdp, policy, gamma).values
    # (I - gamma P_pi) V = R_pi on the dense model: the absorbing state's value is 0.
    P_pi = P[np.arange(n + 1), np.append(policy, 0)]
    got = np.linalg.solve(np.eye(n + 1) - gamma * P_pi, R[np.arange(n + 1), np.append(policy, 0)])
    np.testing.assert_allclose(got[:n], expected, atol=1e-8)
    assert got[n] == 0.0


def test_dense_model_of_taxi_needs_the_absorbing_state():
    taxi = rlf.from_env("Taxi-v3")
    optimal = rlf.value_iteration(taxi, 0.99, epsilon=1e-10).values
    for absorbing, agrees in ((True, True), (False, False)):
        P, R = taxi.to_dense(absorbing=absorbing)
        terminal = np.zeros(P.shape[0], dtype=bool)
        terminal[taxi.n_states :] = True
        back = TabularMDP.from_dense(P, R, terminal=terminal if absorbing else None)
        values = rlf.value_iteration(back, 0.99, epsilon=1e-10).values[: taxi.n_states]
        assert np.allclose(values, optimal, atol=1e-6) == agrees


def test_from_dense_marks_transitions_into_terminal_states():
    P = np.array([[[0.25, 0.75]], [[0.0, 1.0]]])
    mdp = TabularMDP.from_dense(P, np.zeros((2, 1)), terminal=[False, True])
    assert mdp.max_outcomes == 2
    np.testing.assert_array_equal(mdp.next_state[0, 0], [0, 1])
    np.testing.assert_array_equal(mdp.terminated[0, 0], [False, True])
    np.testing.assert_array_equal(mdp.terminated[1, 0], [True, False])
    np.testing.assert_array_equal(mdp.initial, [0.5, 0.5])


def test_from_dense_keeps_per_transition_rewards():
    P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    R = np.array([[[1.0, 3.0]], [[0.0, 4.0]]])
    mdp = TabularMDP.from_dense(P, R)
    np.testing.assert_array_equal(mdp.expected_reward, [[2.0], [4.0]])


@pytest.mark.parametrize(
    ("P", "R", "message"),
    [
        pytest.param(
            np.ones((2, 1, 3)) / 3,
            np.zeros((2, 1)),
            r"P must have shape \(S, A, S\)",
            id="not-square",
        ),
        pytest.param(
            np.array([[[1.0, 0.0]], [[0.0, 1.0]]]),
            np.zeros((2, 2)),
            r"R must have shape",
            id="reward-shape",
        ),
        pytest.param(
            np.array([[[1.5, -0.5]], [[0.0, 1.0]]]),
            np.zeros((2, 1)),
            r"P\[0, 0, 1\] = -0.5 is not a probability",
            id="negative",
        ),
        pytest.param(
            np.array([[[0.5, 0.0]], [[0.0, 1.0]]]),
            np.zeros((2, 1)),
            r"prob sums to 0.5 at \(state=0, action=0\)",
            id="not-summing-to-one",
        ),
    ],
)
def test_from_dense_rejects_bad_arrays(P, R, message):
    with pytest.raises(ValueError, match=message):
        TabularMDP.from_dense(P, R)


# -- action masks --------------------------------------------------------------------------------
def two_state_mdp(**fields) -> TabularMDP:
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    return TabularMDP.from_dense(P, np.array([[0.0, 1.0], [2.0, 0.0]]), **fields)


def test_an_action_mask_is_kept_read_only():
    mask = np.array([[True, False], [True, True]])
    got = two_state_mdp(action_mask=mask).action_mask
    np.testing.assert_array_equal(got, mask)
    assert not got.flags.writeable


def test_a_state_with_no_allowed_action_is_an_error_naming_it():
    with pytest.raises(rlf.InvalidValueError, match="allows no action in state 1"):
        two_state_mdp(action_mask=np.array([[True, False], [False, False]]))


@pytest.mark.parametrize(
    "mask, error",
    [
        pytest.param(np.ones((2, 2), dtype=int), rlf.InvalidTypeError, id="not-bool"),
        pytest.param(np.ones((2, 3), dtype=bool), rlf.InvalidValueError, id="wrong-shape"),
    ],
)
def test_an_action_mask_of_the_wrong_kind_or_shape_is_refused(mask, error):
    with pytest.raises(error, match="action_mask"):
        two_state_mdp(action_mask=mask)


def test_to_dense_marks_masked_pairs_minus_infinity_and_from_dense_reads_them_back():
    mask = np.array([[True, False], [True, True]])
    P, R = two_state_mdp(action_mask=mask).to_dense()
    assert R[0, 1] == -np.inf
    got = TabularMDP.from_dense(P, R).action_mask
    np.testing.assert_array_equal(got, mask)


def test_check_unmasked_refuses_a_masked_model_naming_the_caller():
    masked = two_state_mdp(action_mask=np.array([[True, False], [True, True]]))
    with pytest.raises(rlf.InvalidValueError, match="value_iteration cannot honour action_mask"):
        rlf.mdp.check_unmasked(masked, "value_iteration")


def test_a_mask_allowing_everything_passes_the_solvers_check():
    mdp = two_state_mdp(action_mask=np.ones((2, 2), dtype=bool))
    assert rlf.mdp.check_unmasked(mdp, "value_iteration") is mdp


def test_from_dense_warns_in_its_docs_that_a_transposed_square_array_cannot_be_told_apart():
    assert "from_mdptoolbox" in TabularMDP.from_dense.__doc__


# -- memory while building ------------------------------------------------------------------------
def random_arrays(n_states: int, n_actions: int = 4, n_outcomes: int = 3, seed: int = 0) -> dict:
    """A random model's arrays, as a user builds them with NumPy (int64, float64, bool)."""
    rng = np.random.default_rng(seed)
    shape = (n_states, n_actions, n_outcomes)
    prob = rng.random(shape)
    prob /= prob.sum(axis=2, keepdims=True)
    return {
        "next_state": rng.integers(0, n_states, size=shape),
        "prob": prob,
        "reward": rng.normal(size=shape),
        "terminated": rng.random(shape) < 0.01,
        "initial": np.full(n_states, 1.0 / n_states),
    }


ARRAYS = ("next_state", "prob", "reward", "terminated", "initial")


def test_building_a_model_allocates_its_own_arrays_and_little_else(monkeypatch):
    import tracemalloc

    import rlfoundations.mdp as mdp_module

    monkeypatch.setattr(mdp_module, "_CHECK_ENTRIES", 1 << 14)
    arrays = random_arrays(100_000)
    arrays["prob"][7, 1] = [1.0 + 5e-9, -5e-9, 0.0]  # clipped to 0 in the model's own copy
    tracemalloc.start()
    try:
        mdp = TabularMDP(**arrays)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    own = sum(getattr(mdp, name).nbytes for name in ARRAYS)
    # One copy of each array in its documented dtype; the checks' temporaries are a few
    # chunks of 2**14 entries (a whole-array comparison alone would add 1.2 MB).
    assert peak < own + (1 << 20)
    assert [getattr(mdp, name).dtype for name in ARRAYS] == [
        np.int64,
        np.float64,
        np.float64,
        np.bool_,
        np.float64,
    ]
    arrays["prob"][7, 1, 1] = 0.0
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(mdp, name), arrays[name])
        assert not getattr(mdp, name).flags.writeable
        assert not np.shares_memory(getattr(mdp, name), arrays[name])


@pytest.mark.parametrize("entries", [1, 6, 7, 1 << 20])
def test_chunked_checks_name_the_first_offending_pair_in_c_order(monkeypatch, entries):
    import rlfoundations.mdp as mdp_module

    monkeypatch.setattr(mdp_module, "_CHECK_ENTRIES", entries)
    cases = [
        ("next_state", [(5, 2, 1), (9, 0, 0)], 50, r"next_state\[5, 2, 1\] = 50"),
        ("prob", [(3, 3, 0), (8, 0, 2)], -0.25, r"prob\[3, 3, 0\] = -0.25 is not a prob"),
        ("reward", [(6, 0, 2), (6, 1, 0)], np.nan, r"reward\[6, 0, 2\] = nan"),
    ]
    for field, places, value, message in cases:
        arrays = random_arrays(10)
        for place in places:
            arrays[field][place] = value
        with pytest.raises(rlf.InvalidValueError, match=message):
            TabularMDP(**arrays)
    arrays = random_arrays(10)
    arrays["prob"][4, 1] = [0.5, 0.25, 0.125]
    arrays["prob"][7, 0] = [0.5, 0.25, 0.0]
    with pytest.raises(rlf.InvalidValueError, match=r"prob sums to 0.875 at \(state=4, action=1\)"):
        TabularMDP(**arrays)
    arrays = random_arrays(10)
    arrays["prob"][9, 3] = [1.0 + 5e-9, -5e-9, 0.0]  # rounding below 0: clipped to 0
    got = TabularMDP(**arrays).prob
    expected = np.where((arrays["prob"] < 0) & (arrays["prob"] >= -1e-8), 0.0, arrays["prob"])
    np.testing.assert_array_equal(got, expected)
    assert got[9, 3, 1] == 0.0


# -- copy=False: adopting the caller's arrays ------------------------------------------------
def test_copy_false_adopts_the_arrays_and_makes_them_read_only():
    arrays = chain_arrays()
    flat = np.ascontiguousarray(arrays["reward"]).reshape(-1).copy()
    arrays["reward"] = flat.reshape(2, 2, 2)  # a view: its base is frozen too
    mdp = TabularMDP(**arrays, copy=False)
    for name, array in arrays.items():
        assert getattr(mdp, name) is array
        assert not array.flags.writeable
    assert not flat.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        flat[0] = 1.0


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("prob", [[[0.5, 0.5], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]], TypeError, "prob must be"),
        (
            "next_state",
            np.zeros((2, 2, 2), dtype=np.int32),
            TypeError,
            "next_state has dtype int32",
        ),
        (
            "terminated",
            np.zeros((2, 2, 2), dtype=np.uint8),
            TypeError,
            "terminated has dtype uint8",
        ),
        ("reward", np.zeros((2, 2, 4))[:, :, ::2], ValueError, "reward is not C-contiguous"),
    ],
)
def test_copy_false_refuses_an_array_it_cannot_adopt_naming_it(field, value, error, message):
    arrays = chain_arrays()
    arrays[field] = value
    with pytest.raises(error, match=message):
        TabularMDP(**arrays, copy=False)
    assert all(a.flags.writeable for a in arrays.values() if isinstance(a, np.ndarray))


def test_copy_false_refuses_arrays_sharing_memory():
    arrays = chain_arrays()
    arrays["reward"] = arrays["prob"]  # clipping prob in place would change the rewards
    with pytest.raises(ValueError, match="prob and reward share memory"):
        TabularMDP(**arrays, copy=False)


def test_copy_false_changes_nothing_when_a_check_fails():
    arrays = chain_arrays()
    arrays["prob"][0, 0] = [0.5, 0.49]  # sums to 0.99
    arrays["initial"][:] = [1.0 + 1e-13, -1e-13]  # would be clipped, had the model been built
    before = {name: array.copy() for name, array in arrays.items()}
    with pytest.raises(ValueError, match=r"prob sums to 0\.99 at \(state=0, action=0\)"):
        TabularMDP(**arrays, copy=False)
    for name, array in arrays.items():
        assert array.flags.writeable, name
        np.testing.assert_array_equal(array, before[name])


def test_copy_false_clips_tiny_negative_probabilities_in_place_as_a_copy_would():
    arrays = chain_arrays()
    arrays["prob"][1, 1] = [1.0 + 1e-13, -1e-13]
    copied = TabularMDP(**arrays)
    adopted = TabularMDP(**arrays, copy=False)
    assert arrays["prob"][1, 1, 1] == 0.0
    np.testing.assert_array_equal(adopted.prob, copied.prob)


def test_copy_false_cannot_clip_a_read_only_array_and_says_so_before_changing_anything():
    arrays = chain_arrays()
    arrays["initial"][:] = [1.0 + 1e-13, -1e-13]
    arrays["prob"][1, 1] = [1.0 + 1e-13, -1e-13]
    arrays["initial"].setflags(write=False)
    with pytest.raises(ValueError, match=r"initial has negative entries .* read-only"):
        TabularMDP(**arrays, copy=False)
    assert arrays["prob"][1, 1, 1] == -1e-13
    assert arrays["prob"].flags.writeable


def test_copy_false_adopts_another_models_frozen_arrays():
    first = TabularMDP(**chain_arrays())
    fields = ("next_state", "prob", "reward", "terminated", "initial")
    second = TabularMDP(**{name: getattr(first, name) for name in fields}, copy=False)
    assert all(getattr(second, name) is getattr(first, name) for name in fields)


@given(mdp=tabular_mdps(max_states=12), gamma=discounts(0.99))
def test_an_adopted_model_solves_to_the_same_bits_as_a_copied_one(mdp, gamma):
    fields = ("next_state", "prob", "reward", "terminated", "initial")
    adopted = TabularMDP(**{name: getattr(mdp, name).copy() for name in fields}, copy=False)
    got = rlf.value_iteration(adopted, gamma)
    expected = rlf.value_iteration(mdp, gamma)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.policy, expected.policy)


def test_replace_on_an_adopted_model_makes_a_copied_one():
    arrays = chain_arrays()
    mdp = TabularMDP(**arrays, copy=False)
    renamed = dataclasses.replace(mdp, name="renamed")
    assert renamed.name == "renamed"
    assert not np.shares_memory(renamed.prob, arrays["prob"])


@pytest.mark.parametrize("copy", [None, 0, "no"])
def test_copy_must_be_a_bool(copy):
    with pytest.raises(TypeError, match="copy must be True or False"):
        TabularMDP(**chain_arrays(), copy=copy)


def test_copy_false_clips_only_after_every_other_check(tmp_path):
    arrays = chain_arrays()
    arrays["prob"][1, 1] = [1.0 + 1e-13, -1e-13]
    with pytest.raises(ValueError, match="max_episode_steps"):
        TabularMDP(**arrays, max_episode_steps=0, copy=False)
    assert arrays["prob"][1, 1, 1] == -1e-13
    assert all(array.flags.writeable for array in arrays.values())


def test_copy_false_refuses_a_memmap_and_an_array_over_a_writable_foreign_buffer(tmp_path):
    arrays = chain_arrays()
    mapped = np.lib.format.open_memmap(tmp_path / "r.npy", mode="w+", dtype=float, shape=(2, 2, 2))
    arrays["reward"] = mapped
    with pytest.raises(TypeError, match="reward must be a NumPy array"):
        TabularMDP(**arrays, copy=False)
    arrays["reward"] = np.asarray(mapped)  # a plain array over a writable mmap
    with pytest.raises(ValueError, match="reward views a writable mmap"):
        TabularMDP(**arrays, copy=False)
    arrays["reward"] = np.frombuffer(bytearray(64), dtype=float).reshape(2, 2, 2)
    with pytest.raises(ValueError, match=r"reward views a writable (memoryview|bytearray)"):
        TabularMDP(**arrays, copy=False)


def test_copy_false_adopts_an_array_over_a_read_only_map(tmp_path):
    arrays = chain_arrays()
    np.save(tmp_path / "r.npy", arrays["reward"])
    arrays["reward"] = np.asarray(np.load(tmp_path / "r.npy", mmap_mode="r"))
    mdp = TabularMDP(**arrays, copy=False)
    assert mdp.reward is arrays["reward"]
    rlf.save(tmp_path / "model.npz", mdp)


FIELDS = ("next_state", "prob", "reward", "terminated", "initial")


def test_with_action_mask_and_with_factors_share_the_models_arrays():
    mdp = TabularMDP(**chain_arrays())
    mask = np.array([[True, False], [True, True]])
    masked = mdp.with_action_mask(mask)
    named = mdp.with_factors((("cell", 2),))
    for derived in (masked, named):
        assert all(getattr(derived, name) is getattr(mdp, name) for name in FIELDS)
    np.testing.assert_array_equal(masked.action_mask, mask)
    assert not np.shares_memory(masked.action_mask, mask)  # the new mask is the model's own
    mask[0, 1] = True
    assert not masked.action_mask[0, 1]
    assert named.factors == (("cell", 2),) and mdp.factors is None


def test_derived_models_of_an_adopted_model_share_its_arrays():
    arrays = chain_arrays()
    mdp = TabularMDP(**arrays, copy=False)
    masked = mdp.with_action_mask([[True, False], [True, True]])
    assert all(getattr(masked, name) is arrays[name] for name in FIELDS)


def test_a_derived_model_is_checked_again():
    mdp = TabularMDP(**chain_arrays())
    with pytest.raises(ValueError, match="action_mask allows no action in state 1"):
        mdp.with_action_mask([[True, False], [False, False]])
    with pytest.raises(ValueError, match=r"factor sizes \[3\] multiply to 3, not n_states = 2"):
        mdp.with_factors((("cell", 3),))


@pytest.mark.parametrize(
    "spoil, adoptable",
    [
        (lambda arrays: None, True),
        (lambda arrays: arrays.update(next_state=arrays["next_state"].astype(np.int32)), False),
        (lambda arrays: arrays.update(prob=np.asfortranarray(arrays["prob"])), False),
        (lambda arrays: arrays["reward"].setflags(write=False), False),
        (lambda arrays: arrays.update(reward=arrays["prob"]), False),
        (lambda arrays: arrays.update(initial=arrays["initial"].tolist()), False),
        (lambda arrays: arrays.update(reward=np.frombuffer(bytearray(64)).reshape(2, 2, 2)), False),
    ],
    ids=["fresh", "int32", "fortran", "read-only", "shared", "list", "foreign buffer"],
)
def test_adoptable_says_whether_copy_false_keeps_the_arrays(spoil, adoptable):
    arrays = chain_arrays()
    spoil(arrays)
    assert can_adopt(arrays) is adoptable
    if adoptable:
        assert TabularMDP(**arrays, copy=False).prob is arrays["prob"]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_an_unpickled_or_deep_copied_model_keeps_its_arrays_read_only(protocol):
    import copy
    import pickle

    mdp = TabularMDP(**chain_arrays()).with_action_mask([[True, False], [True, True]])
    for again in (pickle.loads(pickle.dumps(mdp, protocol=protocol)), copy.deepcopy(mdp)):
        for name in (*FIELDS, "action_mask"):
            assert not getattr(again, name).flags.writeable, name
            np.testing.assert_array_equal(getattr(again, name), getattr(mdp, name))
        derived = again.with_factors((("cell", 2),))
        assert all(getattr(derived, name) is getattr(again, name) for name in FIELDS)


def test_a_derived_model_copies_an_array_whose_write_flag_was_turned_back_on():
    mdp = TabularMDP(**chain_arrays())
    mdp.reward.setflags(write=True)  # the model's own array: NumPy lets its holder do this
    derived = mdp.with_factors((("cell", 2),))
    assert not np.shares_memory(derived.reward, mdp.reward)
    assert not derived.reward.flags.writeable
    assert derived.prob is mdp.prob
