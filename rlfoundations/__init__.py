"""rlfoundations: tabular reinforcement learning, exact and learned, as Numba kernels.

Everything a user needs is ``rlfoundations.<name>``; see ``__all__``.
"""

from rlfoundations import envs  # registers rlfoundations/Rick-v0
from rlfoundations.errors import InvalidTypeError, InvalidValueError, UserError
from rlfoundations.extract import (
    ModelCheck,
    ModelEstimate,
    check_model,
    estimate_model,
    from_env,
    make,
)
from rlfoundations.graph import to_graph
from rlfoundations.interop import from_mdptoolbox, from_quantecon
from rlfoundations.learning import (
    Schedule,
    double_q_learning,
    dyna_q,
    expected_sarsa,
    q_learning,
    reinforce,
    sarsa,
)
from rlfoundations.mdp import TabularMDP
from rlfoundations.observations import IndexObservation
from rlfoundations.persistence import load, load_metadata, save
from rlfoundations.planning import (
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from rlfoundations.policy import EvaluationResult, GreedyPolicy, evaluate, solve
from rlfoundations.results import (
    ConvergenceWarning,
    LearningResult,
    NonTerminationWarning,
    PlanningResult,
    SweepResult,
)
from rlfoundations.simulator import StateIndex, compile_env, from_simulator
from rlfoundations.sweeps import sweep
from rlfoundations.transitions import from_transitions

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "EvaluationResult",
    "GreedyPolicy",
    "IndexObservation",
    "InvalidTypeError",
    "InvalidValueError",
    "LearningResult",
    "ModelCheck",
    "ModelEstimate",
    "NonTerminationWarning",
    "PlanningResult",
    "Schedule",
    "StateIndex",
    "SweepResult",
    "TabularMDP",
    "UserError",
    "__version__",
    "check_model",
    "compile_env",
    "double_q_learning",
    "dyna_q",
    "envs",
    "estimate_model",
    "evaluate",
    "expected_sarsa",
    "from_env",
    "from_mdptoolbox",
    "from_quantecon",
    "from_simulator",
    "from_transitions",
    "load",
    "load_metadata",
    "make",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_learning",
    "reinforce",
    "sarsa",
    "save",
    "solve",
    "sweep",
    "to_graph",
    "value_iteration",
]
