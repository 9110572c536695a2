"""The talk's third representation of a game: its state-transition graph, as a networkx DiGraph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rlfoundations._validate import check_mdp
from rlfoundations.mdp import TabularMDP

if TYPE_CHECKING:
    import networkx

__all__ = ["to_graph"]

INSTALL_HINT = "pip install 'rlfoundations[graph]'"


def _networkx():
    try:
        import networkx
    except ImportError as error:
        raise ImportError(
            f"to_graph needs networkx, an optional dependency; install it with {INSTALL_HINT}"
        ) from error
    return networkx


def to_graph(mdp: TabularMDP) -> networkx.DiGraph:
    """The state-transition graph of a model: states as nodes, possible moves as edges.

    Parameters
    ----------
    mdp : TabularMDP
        The model, e.g. from :func:`rlfoundations.from_env`.

    Returns
    -------
    networkx.DiGraph
        - Nodes: every state ``0 .. S-1``, with attribute ``initial``, its probability in
          the initial distribution.
        - Edges: ``s -> s'`` whenever some action moves from ``s`` to ``s'`` with positive
          probability. Its attributes are parallel lists, one entry per such outcome, in
          action order: ``actions`` (the action), ``prob`` (its probability), ``reward``
          and ``terminated``. A crash that leaves the state unchanged is a self loop; a
          terminating outcome keeps the model's ``next_state`` (so the episode ends on
          that edge: check ``terminated`` before walking on).
        - Graph attributes: ``name``, ``n_states``, ``n_actions``.

    Raises
    ------
    ImportError
        networkx is not installed (``pip install 'rlfoundations[graph]'``).
    TypeError
        ``mdp`` is not a TabularMDP.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> graph = rlf.to_graph(rlf.from_env("rlfoundations/Rick-v0"))
    >>> graph.number_of_nodes()
    500
    >>> graph.edges[489, 389]  # the talk's state [4, 4, 1, 4], moving up
    {'actions': [0], 'prob': [1.0], 'reward': [-1.0], 'terminated': [False]}
    """
    mdp = check_mdp(mdp)
    nx = _networkx()
    graph = nx.DiGraph(name=mdp.name, n_states=mdp.n_states, n_actions=mdp.n_actions)
    graph.add_nodes_from((s, {"initial": float(mdp.initial[s])}) for s in range(mdp.n_states))
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for k in range(mdp.max_outcomes):
                prob = float(mdp.prob[s, a, k])
                if prob == 0.0:
                    continue
                target = int(mdp.next_state[s, a, k])
                if not graph.has_edge(s, target):
                    graph.add_edge(s, target, actions=[], prob=[], reward=[], terminated=[])
                edge = graph.edges[s, target]
                edge["actions"].append(a)
                edge["prob"].append(prob)
                edge["reward"].append(float(mdp.reward[s, a, k]))
                edge["terminated"].append(bool(mdp.terminated[s, a, k]))
    return graph
