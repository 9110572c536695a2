"""rlfoundations: tabular reinforcement learning, exact and learned, as Numba kernels.

Everything a user needs is ``rlfoundations.<name>``; see ``__all__``.
"""

from rlfoundations.mdp import TabularMDP
from rlfoundations.results import ConvergenceWarning, NonTerminationWarning, PlanningResult

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "NonTerminationWarning",
    "PlanningResult",
    "TabularMDP",
    "__version__",
]
