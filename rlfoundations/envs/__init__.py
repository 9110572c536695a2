"""Gymnasium environments of rlfoundations, registered on import.

``import rlfoundations`` (or ``gymnasium.make("rlfoundations:rlfoundations/Rick-v0")``)
registers ``rlfoundations/Rick-v0``.
"""

from __future__ import annotations

import gymnasium as gym

from rlfoundations.envs.rick import RickEnv

__all__ = ["RICK_ID", "RickEnv"]

RICK_ID = "rlfoundations/Rick-v0"

# Importing twice (a reload, or both spellings of make) must not register twice: Gymnasium
# warns on re-registration.
if RICK_ID not in gym.registry:
    gym.register(
        id=RICK_ID,
        entry_point="rlfoundations.envs.rick:RickEnv",
        max_episode_steps=200,
    )
