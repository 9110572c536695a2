"""The exact model of Gymnasium's Blackjack-v1, built from its rules (an infinite deck)."""

from __future__ import annotations

from functools import cache

import numpy as np

from rlfoundations.errors import InvalidValueError
from rlfoundations.mdp import TabularMDP

__all__ = ["BLACKJACK_FACTORS", "blackjack_model"]

#: The observation (player sum, dealer's showing card, usable ace) as the model's factors,
#: the sizes of Blackjack-v1's ``Tuple(Discrete(32), Discrete(11), Discrete(2))``.
BLACKJACK_FACTORS = (("player_sum", 32), ("dealer_card", 11), ("usable_ace", 2))

#: Card values 1 (ace) .. 10 and their probabilities: an infinite deck, 10, J, Q, K worth 10.
CARDS = tuple(range(1, 11))
CARD_PROB = tuple(4 / 13 if card == 10 else 1 / 13 for card in CARDS)

#: Why the variants that pay a natural differently are refused: the observation does not show it.
NATURAL_REASON = (
    "Blackjack-v1 with natural=True or sab=True pays a natural (an ace and a ten as the first "
    "two cards) differently from any other 21, but its observation (21, dealer card, usable "
    "ace) is the same for both: the observation is not a Markov state there, and no model "
    "over observations is exact. Use the default rules (natural=False, sab=False), which "
    "this model gives exactly, or estimate_model(IndexObservation(env), ...) for an "
    "empirical one"
)


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


def dealer_distribution(showing: int) -> dict[int, float]:
    """The dealer's final score (0: bust) given the showing card and a hidden card drawn."""
    scores: dict[int, float] = {}
    for card, p in zip(CARDS, CARD_PROB, strict=True):
        for score, q in _dealer_final(showing + card, showing == 1 or card == 1):
            scores[score] = scores.get(score, 0.0) + p * q
    return scores


def _index(player_sum: int, dealer: int, usable: int) -> int:
    return (player_sum * 11 + dealer) * 2 + usable


def blackjack_model(*, natural: bool = False, sab: bool = False) -> TabularMDP:
    """The exact model of ``gymnasium.make("Blackjack-v1")``, states indexed as
    :class:`~rlfoundations.IndexObservation` indexes its observations.

    Action 0 sticks (the dealer plays out, the episode ends, the reward is +1, 0 or -1), 1
    hits (a card is drawn; above 21 the player is bust, -1, and the episode ends). Cards come
    from an infinite deck, as in Gymnasium: 1-9 with probability 1/13 each, 10 with 4/13.
    Observations the env never shows (a player sum below 4 or above 21 to act on, a dealer
    card 0) are states that end in place with reward 0 whatever the action.

    Parameters
    ----------
    natural, sab : bool
        Blackjack-v1's variants; only the default (both False) has an exact model over its
        observations, so True raises (see ``NATURAL_REASON``).

    Returns
    -------
    TabularMDP
        704 states with ``factors`` (player_sum, dealer_card, usable_ace), 2 actions.

    Examples
    --------
    >>> from rlfoundations.blackjack import blackjack_model
    >>> mdp = blackjack_model()
    >>> mdp.n_states, mdp.n_actions, mdp.decode(int(mdp.initial.argmax()))
    (704, 2, {'player_sum': 20, 'dealer_card': 10, 'usable_ace': 0})
    """
    if natural or sab:
        raise InvalidValueError(NATURAL_REASON)
    n_states, n_outcomes = 32 * 11 * 2, len(CARDS)
    shape = (n_states, 2, n_outcomes)
    next_state = np.repeat(np.arange(n_states)[:, None, None], 2, axis=1).repeat(n_outcomes, 2)
    prob = np.zeros(shape)
    reward = np.zeros(shape)
    terminated = np.ones(shape, dtype=bool)
    prob[:, :, 0] = 1.0  # unreachable observations: end in place, reward 0
    dealer = {showing: dealer_distribution(showing) for showing in CARDS}
    for player_sum in range(4, 22):
        for usable in (0, 1):
            if usable and player_sum < 12:
                continue
            raw_sum = player_sum - 10 * usable
            for showing in CARDS:
                s = _index(player_sum, showing, usable)
                # Stick: the player's observation stays; the reward is cmp(player, dealer).
                by_reward = {-1.0: 0.0, 0.0: 0.0, 1.0: 0.0}
                for score, q in dealer[showing].items():
                    by_reward[float(np.sign(player_sum - score))] += q
                prob[s, 0] = 0.0
                for k, (value, q) in enumerate(by_reward.items()):
                    prob[s, 0, k], reward[s, 0, k] = q, value
                # Hit: draw one card.
                outcomes: dict[tuple[int, float, bool], float] = {}
                for card, p in zip(CARDS, CARD_PROB, strict=True):
                    total, now_usable = _hand(raw_sum + card, bool(usable) or card == 1)
                    bust = total > 21
                    key = (_index(total, showing, int(now_usable)), -1.0 if bust else 0.0, bust)
                    outcomes[key] = outcomes.get(key, 0.0) + p
                prob[s, 1] = 0.0
                for k, ((target, value, done), p) in enumerate(outcomes.items()):
                    next_state[s, 1, k], reward[s, 1, k] = target, value
                    terminated[s, 1, k], prob[s, 1, k] = done, p
    initial = np.zeros(n_states)
    for first, p in zip(CARDS, CARD_PROB, strict=True):
        for second, q in zip(CARDS, CARD_PROB, strict=True):
            total, usable = _hand(first + second, first == 1 or second == 1)
            for showing, r in zip(CARDS, CARD_PROB, strict=True):
                initial[_index(total, showing, int(usable))] += p * q * r
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial,
        name="Blackjack-v1",
        factors=BLACKJACK_FACTORS,
    )
