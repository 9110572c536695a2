"""to_graph: the state-transition graph of a model."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations.envs import RICK_ID, RickEnv

nx = pytest.importorskip("networkx")


@pytest.fixture(scope="module")
def rick_mdp() -> rlf.TabularMDP:
    return rlf.from_env(RICK_ID)


@pytest.fixture(scope="module")
def rick_graph(rick_mdp):
    return rlf.to_graph(rick_mdp)


def test_graph_has_a_node_per_state_with_its_initial_probability(rick_mdp, rick_graph):
    assert isinstance(rick_graph, nx.DiGraph)
    assert sorted(rick_graph.nodes) == list(range(500))
    initial = np.array([rick_graph.nodes[s]["initial"] for s in range(500)])
    np.testing.assert_array_equal(initial, rick_mdp.initial)
    assert rick_graph.graph == {"name": RICK_ID, "n_states": 500, "n_actions": 6}


def test_graph_has_an_edge_per_reachable_state_pair(rick_mdp, rick_graph):
    expected = {
        (s, int(rick_mdp.next_state[s, a, k]))
        for s in range(500)
        for a in range(6)
        for k in range(rick_mdp.max_outcomes)
        if rick_mdp.prob[s, a, k] > 0
    }
    assert set(rick_graph.edges) == expected


def test_edge_outcomes_of_every_action_sum_to_one():
    graph = rlf.to_graph(rlf.from_env(RICK_ID, drunk=0.3))
    for s in (0, 123, 489):
        totals = np.zeros(6)
        for _, _, data in graph.out_edges(s, data=True):
            lengths = {len(data[key]) for key in ("actions", "prob", "reward", "terminated")}
            assert len(lengths) == 1
            for action, prob in zip(data["actions"], data["prob"], strict=True):
                totals[action] += prob
        np.testing.assert_allclose(totals, 1.0)


def test_a_crash_is_a_self_loop_and_the_portal_gun_ends_the_episode(rick_graph):
    rick = RickEnv()
    corner = rick.encode(0, 0, 1, 0)  # up and left crash; pickup crashes; the gun kills
    loop = rick_graph.edges[corner, corner]
    assert loop["actions"] == [0, 3, 4, 5]
    assert loop["reward"] == [-10.0, -10.0, -10.0, -10.0]
    assert loop["terminated"] == [False, False, False, True]


def test_a_win_is_reachable_from_every_start_state(rick_graph):
    wins = [
        s
        for s, _, data in rick_graph.edges(data=True)
        if any(t and r > 0 for t, r in zip(data["terminated"], data["reward"], strict=True))
    ]
    assert len(wins) == 4  # one per signal landmark, Morty aboard
    starts = [s for s, initial in rick_graph.nodes(data="initial") if initial > 0]
    reaches_a_win = set(wins).union(*(nx.ancestors(rick_graph, s) for s in wins))
    assert set(starts) <= reaches_a_win


def test_graph_of_a_small_model():
    mdp = rlf.TabularMDP(
        next_state=[[[0, 1], [1, 0]], [[1, 0], [1, 0]]],
        prob=[[[0.5, 0.5], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]],
        reward=[[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [3.0, 0.0]]],
        terminated=[[[False, False], [False, False]], [[False, False], [True, False]]],
        initial=[1.0, 0.0],
    )
    graph = rlf.to_graph(mdp)
    assert sorted(graph.edges) == [(0, 0), (0, 1), (1, 1)]
    assert graph.edges[0, 1] == {
        "actions": [0, 1],
        "prob": [0.5, 1.0],
        "reward": [1.0, 2.0],
        "terminated": [False, False],
    }
    assert graph.edges[1, 1]["terminated"] == [False, True]


def test_to_graph_rejects_what_is_not_a_model():
    with pytest.raises(TypeError, match="TabularMDP"):
        rlf.to_graph("rlfoundations/Rick-v0")


def test_missing_networkx_names_the_install_command(monkeypatch, rick_mdp):
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError, match=r"pip install 'rlfoundations\[graph\]'"):
        rlf.to_graph(rick_mdp)
