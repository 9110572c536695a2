"""from_mdptoolbox and from_quantecon against the peers' own examples and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import rlfoundations as rlf

SMALL_P = np.array([[[0.5, 0.5], [0.8, 0.2]], [[0.0, 1.0], [0.1, 0.9]]])  # example.small()
SMALL_R = np.array([[5.0, 10.0], [-1.0, 2.0]])


def test_mdptoolbox_small_solves_to_its_closed_form():
    # Policy (1, 0): V0 = 10 + 0.9 V1, V1 = -1 + 0.9 (0.8 V0 + 0.2 V1), so V = (1825, 1550) / 43.
    result = rlf.policy_iteration(rlf.from_mdptoolbox(SMALL_P, SMALL_R), gamma=0.9)
    np.testing.assert_allclose(result.values, [1825 / 43, 1550 / 43], rtol=1e-12)
    assert result.policy.tolist() == [1, 0]


def test_small_read_as_state_action_state_is_another_mdp():
    # The silent mistake from_mdptoolbox exists for: S == A, so from_dense accepts the array.
    got = rlf.policy_iteration(rlf.TabularMDP.from_dense(SMALL_P, SMALL_R), gamma=0.9).values
    assert not np.allclose(got, [1825 / 43, 1550 / 43])


@pytest.mark.filterwarnings("ignore:Comparing a sparse matrix")
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_mdptoolbox_forest_matches_mdptoolbox_policy_iteration(sparse):
    pytest.importorskip("mdptoolbox", reason="pip install 'rlfoundations[test-envs]'")
    import mdptoolbox.example
    import mdptoolbox.mdp

    P, R = mdptoolbox.example.forest(S=5, is_sparse=sparse)
    peer = mdptoolbox.mdp.PolicyIteration(P, R, 0.96)
    peer.run()
    got = rlf.policy_iteration(rlf.from_mdptoolbox(P, R), gamma=0.96)
    np.testing.assert_allclose(got.values, peer.V, rtol=1e-10)
    assert got.policy.tolist() == list(peer.policy)


def test_mdptoolbox_transition_rewards_become_expected_rewards():
    R = np.stack([np.full((2, 2), 1.0), np.array([[0.0, 4.0], [2.0, 2.0]])])  # (A, S, S)
    got = rlf.from_mdptoolbox(SMALL_P, R).expected_reward
    expected = np.array([[1.0, 4.0], [1.0, 2.0]])  # sum_t P[a, s, t] R[a, s, t]
    np.testing.assert_allclose(got, expected)


def test_minus_infinity_rewards_become_masked_pairs():
    R = SMALL_R.copy()
    R[1, 0] = -np.inf
    got = rlf.from_mdptoolbox(SMALL_P, R).action_mask
    np.testing.assert_array_equal(got, [[True, True], [False, True]])


def test_quantecon_product_form_matches_its_own_solution():
    quantecon = pytest.importorskip("quantecon", reason="pip install 'rlfoundations[test-envs]'")
    R = np.array([[5.0, 10.0], [-1.0, 2.0]])
    Q = SMALL_P.transpose(1, 0, 2)
    ddp = quantecon.markov.DiscreteDP(R, Q, 0.9)
    peer = ddp.solve(method="policy_iteration")
    got = rlf.policy_iteration(rlf.from_quantecon(ddp), gamma=ddp.beta)
    np.testing.assert_allclose(got.values, peer.v, rtol=1e-10)
    assert got.policy.tolist() == peer.sigma.tolist()


def test_quantecon_pair_form_masks_the_pairs_it_does_not_list():
    quantecon = pytest.importorskip("quantecon", reason="pip install 'rlfoundations[test-envs]'")
    # QuantEcon's documented example: state 0 has actions 0 and 1, state 1 only action 0.
    s_indices, a_indices = [0, 0, 1], [0, 1, 0]
    R = [5.0, 10.0, -1.0]
    Q = [(0.5, 0.5), (0.0, 1.0), (0.0, 1.0)]
    ddp = quantecon.markov.DiscreteDP(R, Q, 0.95, s_indices, a_indices)
    mdp = rlf.from_quantecon(ddp)
    np.testing.assert_array_equal(mdp.action_mask, [[True, True], [True, False]])
    with pytest.raises(rlf.InvalidValueError, match="cannot honour action_mask"):
        rlf.mdp.check_unmasked(mdp, "value_iteration")


def test_quantecon_infeasible_pairs_survive_a_round_trip_through_to_dense():
    quantecon = pytest.importorskip("quantecon", reason="pip install 'rlfoundations[test-envs]'")
    R = np.array([[5.0, 10.0], [-1.0, -np.inf]])
    ddp = quantecon.markov.DiscreteDP(R, SMALL_P.transpose(1, 0, 2), 0.9)
    _, R_back = rlf.from_quantecon(ddp).to_dense()
    np.testing.assert_array_equal(R_back, R)
