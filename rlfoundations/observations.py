"""IndexObservation: a finite structured observation as one state index.

Tuple, MultiDiscrete, Dict of Discrete or ``Discrete(n, start=k)``, by a mixed-radix encoding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from rlfoundations._validate import is_int
from rlfoundations.errors import InvalidTypeError, InvalidValueError

__all__ = ["IndexObservation", "space_factors"]

#: Readable factor names of the envs whose raw observations are tuples.
_KNOWN_NAMES = {"BlackjackEnv": ("player_sum", "dealer_card", "usable_ace")}


def space_factors(
    space: gym.Space, names: Sequence[str] | None = None
) -> tuple[tuple[tuple[str, int], ...], tuple]:
    """The (name, size) factors of a finite ``space`` and the offset (``start``) of each.

    Examples
    --------
    >>> import gymnasium as gym
    >>> from rlfoundations.observations import space_factors
    >>> space_factors(gym.spaces.Tuple((gym.spaces.Discrete(3), gym.spaces.Discrete(2, start=1))))
    ((('0', 3), ('1', 2)), (0, 1))
    """
    default: tuple[str, ...]
    parts: list[Any]
    if isinstance(space, gym.spaces.Discrete):
        default, sizes, starts = ("state",), [int(space.n)], [int(space.start)]
    elif isinstance(space, gym.spaces.MultiDiscrete):
        if space.nvec.ndim != 1:
            raise InvalidValueError(f"a MultiDiscrete space must be 1-D to index, got {space!r}")
        default = tuple(str(i) for i in range(space.nvec.size))
        sizes = [int(n) for n in space.nvec]
        starts = [int(k) for k in np.broadcast_to(getattr(space, "start", 0), space.nvec.shape)]
    elif isinstance(space, gym.spaces.Tuple | gym.spaces.Dict):
        keys = list(space.spaces) if isinstance(space, gym.spaces.Dict) else None
        parts = list(space.spaces.values()) if keys else list(space.spaces)  # type: ignore[union-attr]
        for key, part in zip(keys or range(len(parts)), parts, strict=True):
            if not isinstance(part, gym.spaces.Discrete):
                raise InvalidTypeError(
                    f"element {key!r} of {space!r} is {part!r}: IndexObservation encodes "
                    f"Tuple and Dict spaces of Discrete elements only"
                )
        default = tuple(keys) if keys else tuple(str(i) for i in range(len(parts)))
        sizes = [int(part.n) for part in parts]
        starts = [int(part.start) for part in parts]
    else:
        raise InvalidTypeError(
            f"{space!r} is not a finite space IndexObservation can index: Discrete, "
            f"MultiDiscrete, or a Tuple or Dict of Discrete; discretize a Box first "
            f"(gymnasium.wrappers.DiscretizeObservation)"
        )
    names = default if names is None else tuple(names)
    if len(names) != len(sizes) or len(set(names)) != len(names):
        raise InvalidValueError(f"names must be {len(sizes)} distinct names, got {names!r}")
    return tuple(zip(names, sizes, strict=True)), tuple(starts)


class IndexObservation(gym.ObservationWrapper):
    """Observations of a finite structured space as one index in ``Discrete(prod(sizes))``.

    The index is the mixed-radix encoding of the elements (each less its ``start``), the
    first most significant (NumPy's C order), the same schema as ``TabularMDP.factors``:
    ``from_env(IndexObservation(env))`` gives a model whose ``factors`` are this wrapper's,
    so ``mdp.decode(s)`` names the values of state ``s``.

    Parameters
    ----------
    env : gymnasium.Env
        An env whose observation space is a Tuple or Dict of Discrete, a MultiDiscrete, or a
        ``Discrete(n, start=k)``.
    names : sequence of str, optional
        Factor names; by default the Dict keys, ``"0"``, ``"1"``, ... for a Tuple or a
        MultiDiscrete (Blackjack's are ``player_sum``, ``dealer_card``, ``usable_ace``).

    Notes
    -----
    Blackjack-v1 is registered with ``sab=True``: a natural (an ace and a ten dealt) wins
    where another 21 may draw, yet both show as ``(21, card, 1)``. Over such a Blackjack env
    the index has a fourth factor, ``natural``, read from the env's hand: the one case where
    the index says more than the observation, because the observation is not a Markov state.

    Examples
    --------
    >>> import gymnasium as gym
    >>> from rlfoundations import IndexObservation
    >>> env = IndexObservation(gym.make("Blackjack-v1", sab=False))
    >>> env.observation_space, env.factors
    (Discrete(704), (('player_sum', 32), ('dealer_card', 11), ('usable_ace', 2)))
    >>> env.encode((15, 10, 0)), env.decode(350)
    (350, (15, 10, 0))
    """

    def __init__(self, env: gym.Env, names: Sequence[str] | None = None) -> None:
        super().__init__(env)
        inner = env.observation_space
        if names is None:
            names = _KNOWN_NAMES.get(type(env.unwrapped).__name__)
            if names is not None and len(names) != len(space_factors(inner)[0]):
                names = None
        self.factors, self._starts = space_factors(inner, names)
        # Blackjack under rules that pay a natural apart: the observation does not show
        # whether a soft 21 is a natural, the env's hand does (see rlfoundations.blackjack).
        self._natural_flag = type(env.unwrapped).__name__ == "BlackjackEnv" and bool(
            getattr(env.unwrapped, "sab", False) or getattr(env.unwrapped, "natural", False)
        )
        if self._natural_flag:
            self.factors += (("natural", 2),)
            self._starts += (0,)
        self._sizes = tuple(size for _, size in self.factors)
        self._inner = inner
        self.observation_space = gym.spaces.Discrete(math.prod(self._sizes))

    def _values(self, obs) -> tuple[int, ...]:
        if isinstance(self._inner, gym.spaces.Discrete):
            return (int(obs),)
        if isinstance(self._inner, gym.spaces.Dict):
            return tuple(int(obs[name]) for name in self._inner.spaces)
        values = tuple(int(value) for value in obs)
        if self._natural_flag and len(values) == 3:
            values += (0,)  # (sum, card, ace) alone: not a natural
        return values

    def encode(self, obs: Any) -> int:
        """The index of observation ``obs`` of the wrapped env."""
        try:
            values = self._values(obs)
        except (TypeError, KeyError, ValueError):
            raise InvalidValueError(f"{obs!r} is not an observation of {self._inner!r}") from None
        shifted = tuple(v - k for v, k in zip(values, self._starts, strict=True))
        if len(shifted) != len(self._sizes) or not all(
            0 <= v < n for v, n in zip(shifted, self._sizes, strict=True)
        ):
            raise InvalidValueError(f"{obs!r} is not an observation of {self._inner!r}")
        return int(np.ravel_multi_index(shifted, self._sizes))

    def decode(self, index: int) -> Any:
        """The observation of the wrapped env (int, tuple, array or dict) that ``index`` encodes."""
        if not is_int(index):
            raise InvalidTypeError(f"index must be an int, got {index!r}")
        if not 0 <= index < self.observation_space.n:  # type: ignore[attr-defined]
            n = self.observation_space.n  # type: ignore[attr-defined]
            raise InvalidValueError(f"index must be in [0, {n}), got {index}")
        values = tuple(
            int(v) + k
            for v, k in zip(np.unravel_index(int(index), self._sizes), self._starts, strict=True)
        )
        if isinstance(self._inner, gym.spaces.Discrete):
            return values[0]
        if isinstance(self._inner, gym.spaces.Dict):
            return dict(zip(self._inner.spaces, values, strict=True))
        if isinstance(self._inner, gym.spaces.MultiDiscrete):
            return np.array(values, dtype=self._inner.dtype)
        return values

    def observation(self, observation: Any) -> int:
        """The index of ``observation`` (the natural flag added first under ``natural``)."""
        if self._natural_flag:
            hand = sorted(self.env.unwrapped.player)  # type: ignore[attr-defined]
            observation = (*observation, int(hand == [1, 10]))
        return self.encode(observation)
