"""Gymnasium environments of rlfoundations, registered on import.

``import rlfoundations`` (or ``gymnasium.make("rlfoundations:rlfoundations/Rick-v0")``)
registers ``rlfoundations/Rick-v0`` and one ``rlfoundations/<Name>-v0`` per problem of
:mod:`rlfoundations.problems` (``rlfoundations/Forest-v0``, ``rlfoundations/RiverSwim-v0``, ...),
whose dynamics are the problem's model (:class:`~rlfoundations.envs.tabular.TabularEnv`).
"""

from __future__ import annotations

import gymnasium as gym

from rlfoundations.envs.rick import RickEnv
from rlfoundations.envs.tabular import TabularEnv
from rlfoundations.problems._catalog import CATALOG, env_id

__all__ = ["PROBLEM_IDS", "RICK_ID", "RickEnv", "TabularEnv"]

RICK_ID = "rlfoundations/Rick-v0"

# Importing twice (a reload, or both spellings of make) must not register twice: Gymnasium
# warns on re-registration.
if RICK_ID not in gym.registry:
    gym.register(
        id=RICK_ID,
        entry_point="rlfoundations.envs.rick:RickEnv",
        max_episode_steps=200,
    )

#: The registered env id of every problem, by problem name.
PROBLEM_IDS = {name: env_id(name) for name in CATALOG}

for _name, _id in PROBLEM_IDS.items():
    if _id not in gym.registry:
        gym.register(
            id=_id,
            entry_point="rlfoundations.envs.tabular:problem_env",
            kwargs={"problem": _name},
            max_episode_steps=CATALOG[_name].max_episode_steps,
        )
