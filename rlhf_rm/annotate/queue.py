"""Who sees which item, in which order: per-annotator queues with an overlap of K annotators.

The items are put in one order first (``file``, ``random`` or ``uncertain``), then item i goes to
the K annotators ``i, i+1, ..., i+K-1`` (mod the number of annotators). Every annotator gets
about K/A of the items, in that order, and each pair of neighbouring annotators shares items,
so agreement can be measured between all of them once A <= 2K.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rlhf_rm.annotate.items import Item

ORDERS = ("file", "random", "uncertain")
# (prompts, replies) -> one row of raw scores per model: shape (M, N)
EnsembleScorer = Callable[[list, list], list[list[float]]]


@dataclass(frozen=True)
class Queues:
    items: list[Item]  # in serving order
    by_annotator: dict[str, list[int]]  # annotator -> indices into items, in serving order

    @property
    def total(self) -> int:
        """Item assignments over all annotators (each item counts K times)."""
        return sum(len(q) for q in self.by_annotator.values())


def build_queues(items: Sequence[Item], annotators: Sequence[str], overlap: int = 1, order: str = "file",
                 seed: int = 0, scorer: EnsembleScorer | None = None) -> Queues:
    """Order the items and give each to `overlap` different annotators."""
    if not annotators:
        raise ValueError("at least one annotator is needed")
    if len(set(annotators)) != len(annotators):
        raise ValueError("annotator names must be unique")
    if not 1 <= overlap <= len(annotators):
        raise ValueError(f"--overlap must be between 1 and the number of annotators ({len(annotators)}), got {overlap}")
    ordered = order_items(items, order, seed, scorer)
    by_annotator: dict[str, list[int]] = {name: [] for name in annotators}
    for i in range(len(ordered)):
        for j in range(overlap):
            by_annotator[annotators[(i + j) % len(annotators)]].append(i)
    return Queues(ordered, by_annotator)


def order_items(items: Sequence[Item], order: str, seed: int = 0, scorer: EnsembleScorer | None = None) -> list[Item]:
    if order not in ORDERS:
        raise ValueError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    items = list(items)
    if order == "random":
        random.Random(seed).shuffle(items)
    elif order == "uncertain":
        if scorer is None:
            raise ValueError("--order uncertain needs at least one reward model (--model RM)")
        keys = uncertainty(items, scorer)
        items = [item for _, item in sorted(zip(keys, items), key=lambda pair: -pair[0])]  # stable
    return items


def uncertainty(items: Sequence[Item], scorer: EnsembleScorer) -> list[float]:
    """How much a label would teach the reward model(s), one number per item (higher first).

    On the two replies the ensemble ranks highest, a and b: the spread of the members' margins
    minus their mean margin, ``std_m(d_m) - |mean_m(d_m)|`` with ``d_m = s_m(a) - s_m(b)``. One
    model: minus its margin, so the closest calls come first; an ensemble also brings forward
    the items its members disagree on (Coste et al. 2023 use the same spread as uncertainty).
    """
    prompts = [item.prompt for item in items for _ in item.replies]
    replies = [reply for item in items for reply in item.replies]
    raw = scorer(prompts, replies)  # (M, N)
    keys, pos = [], 0
    for item in items:
        scores = [row[pos : pos + len(item.replies)] for row in raw]  # (M, K)
        pos += len(item.replies)
        mean = [sum(col) / len(col) for col in zip(*scores)]
        a, b = sorted(range(len(mean)), key=lambda r: -mean[r])[:2]
        margins = [s[a] - s[b] for s in scores]
        mu = sum(margins) / len(margins)
        std = (sum((d - mu) ** 2 for d in margins) / len(margins)) ** 0.5
        keys.append(std - abs(mu))
    return keys


def ensemble_scorer(models: Sequence[str]) -> EnsembleScorer:
    """Each member's raw scores (no shaping) through the one reward interface: one row per model,
    or per member of an ensemble folder (``rlhf-rm train`` with ``ensemble: k``)."""
    from rlhf_rm.reward import RewardFunction

    reward = RewardFunction.from_pretrained(list(models))
    return lambda prompts, replies: reward.score_details(prompts, replies).raw
