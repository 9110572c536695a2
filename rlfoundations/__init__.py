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
from rlfoundations.differential import differential_q_learning, differential_sarsa
from rlfoundations.errors import InvalidTypeError, InvalidValueError, UserError
from rlfoundations.explain import Explanation, explain
from rlfoundations.exploration import exploration_sweep, psrl, rmax, ucb_q_learning, ucbvi
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
from rlfoundations.monte_carlo import monte_carlo_control, monte_carlo_control_sweep
from rlfoundations.nstep import n_step_sarsa, n_step_tree_backup, q_sigma
from rlfoundations.observations import IndexObservation
from rlfoundations.persistence import load, load_metadata, save
from rlfoundations.planning import (
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from rlfoundations.policy import (
    CompiledPolicy,
    EvaluationResult,
    GreedyPolicy,
    StochasticPolicy,
    evaluate,
    solve,
)
from rlfoundations.prediction import (
    acting_states,
    monte_carlo_prediction,
    prediction_sweep,
    td_prediction,
)
from rlfoundations.prioritized import prioritized_sweeping
from rlfoundations.results import (
    AverageRewardResult,
    ConvergenceWarning,
    FiniteHorizonResult,
    LearningResult,
    LinearProgrammingResult,
    NonTerminationWarning,
    PlanningResult,
    PredictionResult,
    PredictionSweepResult,
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
    "CompiledPolicy",
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
    "PredictionResult",
    "PredictionSweepResult",
    "Schedule",
    "SoftResult",
    "StateIndex",
    "StochasticPolicy",
    "SweepResult",
    "TabularMDP",
    "UserError",
    "__version__",
    "acting_states",
    "average_reward_policy_iteration",
    "backward_induction",
    "check_model",
    "compare",
    "compile_env",
    "differential_q_learning",
    "differential_sarsa",
    "double_q_learning",
    "dyna_q",
    "envs",
    "estimate_model",
    "evaluate",
    "expected_sarsa",
    "explain",
    "exploration_sweep",
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
    "monte_carlo_control",
    "monte_carlo_control_sweep",
    "monte_carlo_prediction",
    "n_step_sarsa",
    "n_step_tree_backup",
    "policy_evaluation",
    "policy_iteration",
    "prediction_sweep",
    "prioritized_sweeping",
    "problems",
    "psrl",
    "q_learning",
    "q_sigma",
    "reinforce",
    "relative_value_iteration",
    "rmax",
    "sarsa",
    "sarsa_lambda",
    "save",
    "soft_value_iteration",
    "solve",
    "sweep",
    "td_prediction",
    "to_graph",
    "ucb_q_learning",
    "ucbvi",
    "value_iteration",
    "watkins_q_lambda",
]
