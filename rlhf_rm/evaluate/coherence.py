"""Does the reward model judge coherence? Each chosen reply against the same reply, words shuffled.

A shuffled copy keeps the reply's length and every word, so a reward model that ranks by length
or vocabulary cannot tell the two apart; one that reads the reply prefers the original (a
MiniLM model trained on HH pairs alone scored 0.44 here, worse than chance).

The check stays held out from ``augment_negatives`` training, whose ``shuffled`` negatives are
whole-reply permutations (:func:`rlhf_rm.data.augment.shuffle_words`): its copies are another
family, :func:`shuffle_locally` (each word moves only within its block of ``WINDOW`` neighbours,
so the copy keeps the reply's overall order and breaks it only locally, a subtler change than
training ever makes of a reply over three words), drawn with a seed of its own, ``CHECK_SEED``.
Words are :func:`rlhf_rm.data.augment.split_units` (Chinese: two-character chunks).

`shuffle_preference` scores loaded examples; `evaluate` adds the same check to each pairwise /
listwise data set's entry through `coherence_keys`, reusing the rewards it already has for the
chosen replies (one more scored reply per distinct chosen reply). Both draw the same copies for
the same (prompt, chosen reply) sequence and seed.
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, Sequence

from rlhf_rm.data.augment import split_units

Score = Callable[[list, list], Sequence[float]]  # (prompts, completions) -> rewards
WINDOW = 3  # words a copy's word may move among: its block of this many neighbours
# the check's own seed: training draws its negatives with the run's seed (0 by default)
CHECK_SEED = 7919


def shuffle_locally(text: str, rng: random.Random, window: int = WINDOW) -> str | None:
    """The same words, each shuffled only within its block of ``window`` consecutive words, in an
    order that differs from the original; None when the text has fewer than two distinct words."""
    units, joiner = split_units(text)
    if len(set(units)) < 2:
        return None
    for _ in range(20):
        order = []
        for start in range(0, len(units), window):
            block = units[start : start + window]
            rng.shuffle(block)
            order += block
        if order != units:
            return joiner.join(order)
    # every block holds one word repeated: swap the first two neighbours that differ
    i = next(k for k in range(len(units) - 1) if units[k] != units[k + 1])
    return joiner.join(units[:i] + [units[i + 1], units[i]] + units[i + 2 :])


def shuffled_chosen(items: Sequence[tuple[Any, str]], seed: int = CHECK_SEED) -> list[tuple[int, str]]:
    """(index, shuffled copy) for each distinct (prompt, chosen reply) of ``items``, in order:
    the first occurrence only, and only replies with two or more distinct words (something to
    shuffle). One ``random.Random(seed)`` draws every copy (:func:`shuffle_locally`), item after item."""
    rng = random.Random(seed)
    seen: set[str] = set()
    copies = []
    for index, (prompt, reply) in enumerate(items):
        key = json.dumps([prompt, reply], ensure_ascii=False)
        copy = shuffle_locally(reply, rng) if key not in seen else None
        seen.add(key)
        if copy is not None:
            copies.append((index, copy))
    return copies


def preference(originals: Sequence[float], copies: Sequence[float]) -> dict[str, float]:
    """``shuffle_preference``: the share of originals whose reward is strictly higher than their
    copy's (a tie is a loss; NaN without pairs), and ``pairs``."""
    if not len(originals):
        return {"shuffle_preference": float("nan"), "pairs": 0}
    wins = sum(float(a) > float(b) for a, b in zip(originals, copies))
    return {"shuffle_preference": wins / len(originals), "pairs": len(originals)}


def shuffle_preference(reward: Score, examples: Sequence, seed: int = CHECK_SEED) -> dict[str, float]:
    """The fraction of distinct (prompt, chosen reply) of the pairwise and listwise ``examples``
    whose reward beats the reward of the reply with its words shuffled (a tie counts as a loss).

    ``reward`` is the one reward interface: (prompts, completions) -> floats. Replies with fewer
    than two distinct words (nothing to shuffle) are left out. Returns ``shuffle_preference``
    and ``pairs``; ``shuffle_preference`` is NaN without pairs.
    """
    items = [(ex.prompt, ex.responses[0]) for ex in examples if len(ex.responses) >= 2]
    copies = shuffled_chosen(items, seed)
    if not copies:
        return preference([], [])
    prompts = [items[i][0] for i, _ in copies]
    originals = reward(prompts, [items[i][1] for i, _ in copies])
    return preference(originals, reward(prompts, [copy for _, copy in copies]))


def coherence_keys(groups: Sequence, rewards: Sequence[Sequence[float]], score: Score,
                   seed: int = CHECK_SEED) -> dict:
    """``coherence/shuffle_preference`` and ``coherence/pairs`` of an `evaluate` entry.

    ``groups``: the data set's `core.Group`s; ``rewards``: their replies' rewards (``Scores.groups``);
    ``score``: rewards of (prompts, replies), called once for the shuffled copies. A group's chosen
    reply is the one better in some pair and worse in none (a pair's first reply, a ranked list's
    best); a group without exactly one such reply takes no part."""
    items, chosen_rewards = [], []
    for group, group_rewards in zip(groups, rewards):
        top = {i for i, _ in group.pairs} - {j for _, j in group.pairs}
        if len(top) == 1:
            (index,) = top
            items.append((group.prompt, group.replies[index]))
            chosen_rewards.append(group_rewards[index])
    copies = shuffled_chosen(items, seed)
    originals = [chosen_rewards[i] for i, _ in copies]
    shuffled = score([items[i][0] for i, _ in copies], [copy for _, copy in copies]) if copies else []
    result = preference(originals, shuffled)
    return {"coherence/shuffle_preference": result["shuffle_preference"], "coherence/pairs": result["pairs"]}
