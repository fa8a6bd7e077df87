"""Does the reward model judge coherence? Each chosen reply against the same reply, words shuffled.

A shuffled copy keeps the reply's length and every word, so a reward model that ranks by length
or vocabulary cannot tell the two apart; one that reads the reply prefers the original. Issue 14
measured the HH recipe's model at 0.44 on this check (worse than chance) and the quickstart's at
0.85. The shuffle is :func:`rlhf_rm.data.augment.shuffle_words` (Chinese: two-character chunks).
"""

from __future__ import annotations

import json
import random
from typing import Callable, Sequence

from rlhf_rm.data.augment import shuffle_words


def shuffle_preference(reward: Callable[[list, list], list[float]], examples: Sequence, seed: int = 0) -> dict[str, float]:
    """The fraction of distinct (prompt, chosen reply) of the pairwise and listwise ``examples``
    whose reward beats the reward of the reply with its words shuffled (a tie counts as a loss).

    ``reward`` is the one reward interface: (prompts, completions) -> floats. Replies with fewer
    than two distinct words (nothing to shuffle) are left out. Returns ``shuffle_preference``
    and ``pairs``; ``shuffle_preference`` is NaN without pairs.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    prompts, replies, shuffled = [], [], []
    for example in examples:
        if len(example.responses) < 2:
            continue
        key = json.dumps([example.prompt, example.responses[0]], ensure_ascii=False)
        copy = shuffle_words(example.responses[0], rng) if key not in seen else None
        seen.add(key)
        if copy is not None:
            prompts.append(example.prompt)
            replies.append(example.responses[0])
            shuffled.append(copy)
    if not prompts:
        return {"shuffle_preference": float("nan"), "pairs": 0}
    originals, copies = reward(prompts, replies), reward(prompts, shuffled)
    wins = sum(a > b for a, b in zip(originals, copies))
    return {"shuffle_preference": wins / len(prompts), "pairs": len(prompts)}
