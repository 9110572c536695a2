"""Pure-Python reference twins of every kernel-backed function, with the same signatures.

Swap ``import rlfoundations as rlf`` for ``from rlfoundations import reference as rlf`` and
the same call runs as plain, slow, textbook loops: the oracles the tests compare against.
"""

from rlfoundations.reference import average, exact
from rlfoundations.reference.average import (
    average_reward_policy_iteration,
    model_structure,
    relative_value_iteration,
)
from rlfoundations.reference.differential import differential_q_learning, differential_sarsa
from rlfoundations.reference.exploration import (
    exploration_sweep,
    psrl,
    rmax,
    ucb_q_learning,
    ucbvi,
)
from rlfoundations.reference.horizon import backward_induction
from rlfoundations.reference.learning import (
    double_q_learning,
    dyna_q,
    expected_sarsa,
    q_learning,
    reinforce,
    sarsa,
)
from rlfoundations.reference.monte_carlo import monte_carlo_control, monte_carlo_control_sweep
from rlfoundations.reference.nstep import n_step_sarsa, n_step_tree_backup, q_sigma
from rlfoundations.reference.planning import (
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from rlfoundations.reference.prediction import (
    monte_carlo_prediction,
    prediction_sweep,
    td_prediction,
)
from rlfoundations.reference.prioritized import prioritized_sweeping
from rlfoundations.reference.soft import soft_value_iteration
from rlfoundations.reference.traces import sarsa_lambda, watkins_q_lambda

__all__ = [
    "average",
    "average_reward_policy_iteration",
    "backward_induction",
    "differential_q_learning",
    "differential_sarsa",
    "double_q_learning",
    "dyna_q",
    "exact",
    "expected_sarsa",
    "exploration_sweep",
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
    "psrl",
    "q_learning",
    "q_sigma",
    "reinforce",
    "relative_value_iteration",
    "rmax",
    "sarsa",
    "sarsa_lambda",
    "soft_value_iteration",
    "td_prediction",
    "ucb_q_learning",
    "ucbvi",
    "value_iteration",
    "watkins_q_lambda",
]
