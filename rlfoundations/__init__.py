"""rlfoundations: tabular reinforcement learning, exact and learned, as Numba kernels.

Everything a user needs is ``rlfoundations.<name>``; see ``__all__``.

The public names are imported on first use (PEP 562): ``import rlfoundations`` registers the
package's Gymnasium envs and imports neither Numba nor any kernel, so a command or a script
pays only for the modules it calls. :data:`PUBLIC` says where each name lives; adding a name
is one line there (and one in the ``TYPE_CHECKING`` block below, for type checkers).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from rlfoundations import envs  # registers rlfoundations/Rick-v0 and the problems' envs

# Named like the modules that define them: bound now, or importing ``rlfoundations.compare``
# (which any module may do first) would leave the module where the function belongs.
from rlfoundations.compare import Comparison, compare
from rlfoundations.explain import Explanation, explain

__version__ = "0.1.0"

#: Every public name and the module it is imported from on first use.
PUBLIC: dict[str, str] = {
    "average_reward_policy_iteration": "rlfoundations.average",
    "model_structure": "rlfoundations.average",
    "relative_value_iteration": "rlfoundations.average",
    "compare": "rlfoundations.compare",
    "Comparison": "rlfoundations.compare",
    "envs": "rlfoundations.envs",
    "InvalidTypeError": "rlfoundations.errors",
    "InvalidValueError": "rlfoundations.errors",
    "UserError": "rlfoundations.errors",
    "explain": "rlfoundations.explain",
    "Explanation": "rlfoundations.explain",
    "exploration_sweep": "rlfoundations.exploration",
    "psrl": "rlfoundations.exploration",
    "rmax": "rlfoundations.exploration",
    "ucb_q_learning": "rlfoundations.exploration",
    "ucbvi": "rlfoundations.exploration",
    "check_model": "rlfoundations.extract",
    "estimate_model": "rlfoundations.extract",
    "from_env": "rlfoundations.extract",
    "make": "rlfoundations.extract",
    "ModelCheck": "rlfoundations.extract",
    "ModelEstimate": "rlfoundations.extract",
    "to_graph": "rlfoundations.graph",
    "backward_induction": "rlfoundations.horizon",
    "from_mdptoolbox": "rlfoundations.interop",
    "from_quantecon": "rlfoundations.interop",
    "double_q_learning": "rlfoundations.learning",
    "dyna_q": "rlfoundations.learning",
    "expected_sarsa": "rlfoundations.learning",
    "q_learning": "rlfoundations.learning",
    "reinforce": "rlfoundations.learning",
    "sarsa": "rlfoundations.learning",
    "linear_programming": "rlfoundations.lp",
    "TabularMDP": "rlfoundations.mdp",
    "monte_carlo_control": "rlfoundations.monte_carlo",
    "monte_carlo_control_sweep": "rlfoundations.monte_carlo",
    "n_step_sarsa": "rlfoundations.nstep",
    "n_step_tree_backup": "rlfoundations.nstep",
    "q_sigma": "rlfoundations.nstep",
    "prioritized_sweeping": "rlfoundations.prioritized",
    "differential_q_learning": "rlfoundations.differential",
    "differential_sarsa": "rlfoundations.differential",
    "IndexObservation": "rlfoundations.observations",
    "load": "rlfoundations.persistence",
    "load_metadata": "rlfoundations.persistence",
    "save": "rlfoundations.persistence",
    "modified_policy_iteration": "rlfoundations.planning",
    "policy_evaluation": "rlfoundations.planning",
    "policy_iteration": "rlfoundations.planning",
    "value_iteration": "rlfoundations.planning",
    "CompiledPolicy": "rlfoundations.policy",
    "evaluate": "rlfoundations.policy",
    "EvaluationResult": "rlfoundations.policy",
    "GreedyPolicy": "rlfoundations.policy",
    "solve": "rlfoundations.policy",
    "StochasticPolicy": "rlfoundations.policy",
    "acting_states": "rlfoundations.prediction",
    "monte_carlo_prediction": "rlfoundations.prediction",
    "prediction_sweep": "rlfoundations.prediction",
    "td_prediction": "rlfoundations.prediction",
    "problems": "rlfoundations.problems",
    "AverageRewardResult": "rlfoundations.results",
    "ConvergenceWarning": "rlfoundations.results",
    "FiniteHorizonResult": "rlfoundations.results",
    "LearningResult": "rlfoundations.results",
    "LinearProgrammingResult": "rlfoundations.results",
    "NonTerminationWarning": "rlfoundations.results",
    "PlanningResult": "rlfoundations.results",
    "PredictionResult": "rlfoundations.results",
    "PredictionSweepResult": "rlfoundations.results",
    "SoftResult": "rlfoundations.results",
    "SweepResult": "rlfoundations.results",
    "Schedule": "rlfoundations.schedules",
    "compile_env": "rlfoundations.simulator",
    "from_simulator": "rlfoundations.simulator",
    "StateIndex": "rlfoundations.simulator",
    "soft_value_iteration": "rlfoundations.soft",
    "sweep": "rlfoundations.sweeps",
    "sarsa_lambda": "rlfoundations.traces",
    "watkins_q_lambda": "rlfoundations.traces",
    "from_transitions": "rlfoundations.transitions",
}

__all__ = sorted([*PUBLIC, "__version__"])


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule, ``rlfoundations.planning``) on first use."""
    if name in PUBLIC:
        module = importlib.import_module(PUBLIC[name])
        # A submodule (``envs``) is its own entry; a function may share its module's name.
        submodule = module.__name__ == f"{__name__}.{name}" and not hasattr(module, name)
        value = module if submodule else getattr(module, name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from rlfoundations import problems
    from rlfoundations.average import (
        average_reward_policy_iteration,
        model_structure,
        relative_value_iteration,
    )
    from rlfoundations.differential import differential_q_learning, differential_sarsa
    from rlfoundations.errors import InvalidTypeError, InvalidValueError, UserError
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
    from rlfoundations.schedules import Schedule
    from rlfoundations.simulator import StateIndex, compile_env, from_simulator
    from rlfoundations.soft import soft_value_iteration
    from rlfoundations.sweeps import sweep
    from rlfoundations.traces import sarsa_lambda, watkins_q_lambda
    from rlfoundations.transitions import from_transitions
