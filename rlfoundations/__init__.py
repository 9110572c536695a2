"""rlfoundations: tabular reinforcement learning, exact and learned, as Numba kernels.

Everything a user needs is ``rlfoundations.<name>``; see ``__all__``.
"""

from rlfoundations import (
    envs,  # registers rlfoundations/Rick-v0 and the problems' envs
    problems,
)
from rlfoundations.average import (
    average_reward_policy_iteration,
    model_structure,
    relative_value_iteration,
)
from rlfoundations.compare import Comparison, compare
from rlfoundations.errors import InvalidTypeError, InvalidValueError, UserError
from rlfoundations.explain import Explanation, explain
from rlfoundations.extract import (
    ModelCheck,
    ModelEstimate,
    check_model,
    estimate_model,
    from_env,
    make,
)
from rlfoundations.graph import to_graph
from rlfoundations.horizon import backward_induction
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
from rlfoundations.lp import linear_programming
from rlfoundations.mdp import TabularMDP
from rlfoundations.nstep import n_step_sarsa
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
    AverageRewardResult,
    ConvergenceWarning,
    FiniteHorizonResult,
    LearningResult,
    LinearProgrammingResult,
    NonTerminationWarning,
    PlanningResult,
    SoftResult,
    SweepResult,
)
from rlfoundations.simulator import StateIndex, compile_env, from_simulator
from rlfoundations.soft import soft_value_iteration
from rlfoundations.sweeps import sweep
from rlfoundations.traces import sarsa_lambda, watkins_q_lambda
from rlfoundations.transitions import from_transitions

__version__ = "0.1.0"

__all__ = [
    "AverageRewardResult",
    "Comparison",
    "ConvergenceWarning",
    "EvaluationResult",
    "Explanation",
    "FiniteHorizonResult",
    "GreedyPolicy",
    "IndexObservation",
    "InvalidTypeError",
    "InvalidValueError",
    "LearningResult",
    "LinearProgrammingResult",
    "ModelCheck",
    "ModelEstimate",
    "NonTerminationWarning",
    "PlanningResult",
    "Schedule",
    "SoftResult",
    "StateIndex",
    "SweepResult",
    "TabularMDP",
    "UserError",
    "__version__",
    "average_reward_policy_iteration",
    "backward_induction",
    "check_model",
    "compare",
    "compile_env",
    "double_q_learning",
    "dyna_q",
    "envs",
    "estimate_model",
    "evaluate",
    "expected_sarsa",
    "explain",
    "from_env",
    "from_mdptoolbox",
    "from_quantecon",
    "from_simulator",
    "from_transitions",
    "linear_programming",
    "load",
    "load_metadata",
    "make",
    "model_structure",
    "modified_policy_iteration",
    "n_step_sarsa",
    "policy_evaluation",
    "policy_iteration",
    "problems",
    "q_learning",
    "reinforce",
    "relative_value_iteration",
    "sarsa",
    "sarsa_lambda",
    "save",
    "soft_value_iteration",
    "solve",
    "sweep",
    "to_graph",
    "value_iteration",
    "watkins_q_lambda",
]
