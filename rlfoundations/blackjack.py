"""The exact model of Gymnasium's Blackjack-v1, built from its rules (an infinite deck)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from rlfoundations.mdp import TabularMDP

if TYPE_CHECKING:
    import gymnasium as gym

__all__ = ["BLACKJACK_FACTORS", "NATURAL_FACTOR", "blackjack_model", "pays_naturals"]

#: The observation (player sum, dealer's showing card, usable ace) as the model's factors,
#: the sizes of Blackjack-v1's ``Tuple(Discrete(32), Discrete(11), Discrete(2))``.
BLACKJACK_FACTORS = (("player_sum", 32), ("dealer_card", 11), ("usable_ace", 2))

#: The factor that rules paying a natural apart (``sab=True``, Blackjack-v1's registered
#: default, or ``natural=True``) add: whether the hand is a natural (an ace and a ten as the
#: first two cards). The observation shows a natural as any other soft 21, so it is not a
#: Markov state under those rules; :class:`~rlfoundations.IndexObservation` reads the flag
#: from the env's hand.
NATURAL_FACTOR = ("natural", 2)

#: Card values 1 (ace) .. 10 and their probabilities: an infinite deck, 10, J, Q, K worth 10.
CARDS = tuple(range(1, 11))
CARD_PROB = tuple(4 / 13 if card == 10 else 1 / 13 for card in CARDS)


def pays_naturals(env: gym.Env) -> bool:
    """Whether a Blackjack env's rules pay a natural apart from other 21s."""
    base = env.unwrapped
    return bool(getattr(base, "sab", False) or getattr(base, "natural", False))


def _hand(raw_sum: int, has_ace: bool) -> tuple[int, bool]:
    """Gymnasium's ``sum_hand`` and ``usable_ace`` of a hand with this raw sum (aces as 1)."""
    usable = has_ace and raw_sum + 10 <= 21
    return raw_sum + 10 if usable else raw_sum, usable


@cache
def _dealer_final(raw_sum: int, has_ace: bool) -> tuple[tuple[int, float], ...]:
    """The dealer's final score (0: bust) from a hand, hitting below 17 (soft 17 stands)."""
    total, _ = _hand(raw_sum, has_ace)
    if total >= 17:
        return ((total if total <= 21 else 0, 1.0),)
    scores: dict[int, float] = {}
    for card, p in zip(CARDS, CARD_PROB, strict=True):
        for score, q in _dealer_final(raw_sum + card, has_ace or card == 1):
            scores[score] = scores.get(score, 0.0) + p * q
    return tuple(sorted(scores.items()))


def dealer_distribution(showing: int) -> dict[tuple[int, bool], float]:
    """The dealer's outcomes given the showing card and a hidden card drawn from the deck.

    A dict (final score (0: bust), dealer has a natural) -> probability.
    """
    outcomes: dict[tuple[int, bool], float] = {}
    for hidden, p in zip(CARDS, CARD_PROB, strict=True):
        natural = sorted((showing, hidden)) == [1, 10]
        for score, q in _dealer_final(showing + hidden, showing == 1 or hidden == 1):
            key = (score, natural)
            outcomes[key] = outcomes.get(key, 0.0) + p * q
    return outcomes


def _stick_reward(player: int, natural: bool, dealer: int, dealer_natural: bool, rules) -> float:
    """Gymnasium's reward for sticking: cmp(player, dealer), then the natural rules."""
    sab, pays_natural = rules
    reward = float(np.sign(player - dealer))
    if sab and natural and not dealer_natural:
        return 1.0
    if not sab and pays_natural and natural and reward == 1.0:
        return 1.5
    return reward


def blackjack_model(*, natural: bool = False, sab: bool = False) -> TabularMDP:
    """The exact model of ``gymnasium.make("Blackjack-v1", natural=..., sab=...)``.

    States are indexed as :class:`~rlfoundations.IndexObservation` indexes its observations.

    Action 0 sticks (the dealer plays out, the episode ends, the reward is +1, 0 or -1), 1
    hits (a card is drawn; above 21 the player is bust, -1, and the episode ends). Cards come
    from an infinite deck, as in Gymnasium: 1-9 with probability 1/13 each, 10 with 4/13.
    Observations the env never acts in (a player sum below 4 or above 21, a dealer card 0)
    are states that end in place with reward 0 whatever the action.

    Parameters
    ----------
    natural, sab : bool
        Blackjack-v1's rules (registered with ``sab=True``): with either, a natural is paid
        apart from any other 21 (``sab``: it wins unless the dealer has one too;
        ``natural``: a win pays 1.5), so the model has a fourth factor, ``natural``.

    Returns
    -------
    TabularMDP
        704 states with ``factors`` (player_sum, dealer_card, usable_ace), or 1408 with the
        factor ``natural`` too; 2 actions.

    Examples
    --------
    >>> from rlfoundations.blackjack import blackjack_model
    >>> mdp = blackjack_model()
    >>> mdp.n_states, mdp.n_actions, mdp.decode(int(mdp.initial.argmax()))
    (704, 2, {'player_sum': 20, 'dealer_card': 10, 'usable_ace': 0})
    >>> blackjack_model(sab=True).factors[-1]
    ('natural', 2)
    """
    flagged = bool(natural or sab)
    rules = (bool(sab), bool(natural))
    factors = BLACKJACK_FACTORS + ((NATURAL_FACTOR,) if flagged else ())
    sizes = tuple(size for _, size in factors)
    n_states, n_outcomes = int(np.prod(sizes)), len(CARDS)

    def index(player_sum: int, showing: int, usable: int, is_natural: int = 0) -> int:
        values = (player_sum, showing, usable) + ((is_natural,) if flagged else ())
        return int(np.ravel_multi_index(values, sizes))

    shape = (n_states, 2, n_outcomes)
    next_state = np.repeat(np.arange(n_states)[:, None, None], 2, axis=1).repeat(n_outcomes, 2)
    prob = np.zeros(shape)
    reward = np.zeros(shape)
    terminated = np.ones(shape, dtype=bool)
    prob[:, :, 0] = 1.0  # observations never acted in: end in place, reward 0
    dealer = {showing: dealer_distribution(showing) for showing in CARDS}
    hands = [(p, u, 0) for p in range(4, 22) for u in (0, 1) if not (u and p < 12)]
    if flagged:
        hands.append((21, 1, 1))
    for player_sum, usable, is_natural in hands:
        raw_sum = player_sum - 10 * usable
        for showing in CARDS:
            s = index(player_sum, showing, usable, is_natural)
            # Stick: the observation stays; the reward compares the hands.
            by_reward: dict[float, float] = {}
            for (score, dealer_natural), q in dealer[showing].items():
                value = _stick_reward(player_sum, bool(is_natural), score, dealer_natural, rules)
                by_reward[value] = by_reward.get(value, 0.0) + q
            prob[s, 0] = 0.0
            for k, (value, q) in enumerate(sorted(by_reward.items())):
                prob[s, 0, k], reward[s, 0, k] = q, value
            # Hit: draw one card (a natural hit is a natural no more).
            outcomes: dict[tuple[int, float, bool], float] = {}
            for card, p in zip(CARDS, CARD_PROB, strict=True):
                total, now_usable = _hand(raw_sum + card, bool(usable) or card == 1)
                bust = total > 21
                key = (index(total, showing, int(now_usable)), -1.0 if bust else 0.0, bust)
                outcomes[key] = outcomes.get(key, 0.0) + p
            prob[s, 1] = 0.0
            for k, ((target, value, done), p) in enumerate(outcomes.items()):
                next_state[s, 1, k], reward[s, 1, k] = target, value
                terminated[s, 1, k], prob[s, 1, k] = done, p
    initial = np.zeros(n_states)
    for first, p in zip(CARDS, CARD_PROB, strict=True):
        for second, q in zip(CARDS, CARD_PROB, strict=True):
            total, usable = _hand(first + second, first == 1 or second == 1)
            is_natural = int(flagged and sorted((first, second)) == [1, 10])
            for showing, r in zip(CARDS, CARD_PROB, strict=True):
                initial[index(total, showing, int(usable), is_natural)] += p * q * r
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial,
        name="Blackjack-v1",
        factors=factors,
    )
