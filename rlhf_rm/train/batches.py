"""From normalized examples to training batches: one forward holds every reply of a batch.

Batches are length-grouped (Hugging Face's "megabatch" trick): shuffle, cut into chunks of
``group`` batches, sort each chunk by length, split, then shuffle the batch order. The order is
a pure function of (seed, epoch), so a resumed run replays it exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

import torch

from rlhf_rm.train.losses import (fit_length_coefficient, label_loss, length_controlled_pairwise_loss, length_correlation, mse_loss, pairwise_loss,
                            plackett_luce_loss)
from rlhf_rm.model import Encoded, RewardModel, sequence_scores

# Pointwise rating labels -> target probability of "good" for the cross-entropy loss.
LABEL_TARGETS: dict[str, float] = {
    "bad": 0.0, "ok": 0.5, "good": 1.0,
    "negative": 0.0, "neutral": 0.5, "positive": 1.0,
    "no": 0.0, "yes": 1.0, "rejected": 0.0, "accepted": 1.0,
}


@dataclass(frozen=True)
class EncodedExample:
    """One example's replies as model inputs, with what its loss needs."""

    replies: list[Encoded]  # ranked best -> worst, or one for pointwise
    kind: str  # pairwise | listwise | pointwise
    margin: float | None = None
    target: float | None = None  # pointwise: score (mse) or label target (bce)
    is_label: bool = False

    @property
    def is_pair(self) -> bool:
        """Two ranked replies: a Bradley-Terry pair (a pointwise example has one)."""
        return len(self.replies) == 2 and self.kind != "pointwise"

    @property
    def length(self) -> int:
        return max(len(r.input_ids) for r in self.replies)


def encode_examples(rm: RewardModel, examples: Sequence) -> tuple[list[EncodedExample], int]:
    """Encode every reply of every example; returns them and the count of truncated examples."""
    prompts, replies, owner = [], [], []
    for i, ex in enumerate(examples):
        for reply in ex.responses:
            prompts.append(ex.prompt)
            replies.append(reply)
            owner.append(i)
    encoded = rm.encode(prompts, replies)
    groups: list[list[Encoded]] = [[] for _ in examples]
    for i, enc in zip(owner, encoded):
        groups[i].append(enc)
    out, truncated = [], 0
    for ex, group in zip(examples, groups):
        truncated += any(e.truncated for e in group)
        target, is_label = None, False
        if ex.kind == "pointwise":
            if ex.label is not None:
                target, is_label = LABEL_TARGETS[ex.label.strip().lower()], True
            else:
                target = float(ex.score)
        out.append(EncodedExample(group, ex.kind, ex.margin, target, is_label))
    return out, truncated


def model_scores(model, rm: RewardModel, part) -> torch.Tensor:
    """Scores of every reply in ``part`` in one forward of the (possibly DDP-wrapped) model."""
    flat = [r for ex in part for r in ex.replies]
    # lengths rounded up to a multiple of 8: few distinct shapes keep the CPU kernels' caches
    # (and the allocator) from growing with every new batch length
    batch = {k: v.to(rm.device) for k, v in rm.collate(flat, pad_to_multiple_of=8).items()}
    return sequence_scores(model, batch, rm.contract.pooling)


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int,
                  group_by_length: bool = True, group: int = 50) -> list[list[int]]:
    """Example indices of each batch of one epoch (the last partial batch is dropped)."""
    rng = random.Random(seed * 100_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    n_batches = len(order) // batch_size
    order = order[: n_batches * batch_size]
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    chunk = batch_size * group
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i], reverse=True)
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def batch_loss(scores: torch.Tensor, batch: Sequence[EncodedExample], center_coef: float = 0.0,
               length_beta: torch.Tensor | None = None,
               length_corr_coef: float = 0.0) -> tuple[torch.Tensor, dict[str, float]]:
    """The batch's loss: each example contributes its kind's loss, weighted by example count.

    Pairwise examples use Bradley-Terry (with margin / centering), length-controlled by the
    learned scalar ``length_beta`` when one is given (the pair's accuracy counts the scores
    alone, as inference reads them); lists of more than two replies use Plackett-Luce; pointwise
    ratings use MSE (scores) or BCE (labels). ``length_corr_coef`` adds that multiple of the
    absolute correlation of the batch's rewards with log reply length (ODIN's decorrelation term).
    """
    device = scores.device
    offsets, pos = [], 0
    for ex in batch:
        offsets.append(pos)
        pos += len(ex.replies)
    terms: list[tuple[torch.Tensor, int]] = []
    stats: dict[str, float] = {}
    pair_idx = [i for i, ex in enumerate(batch) if ex.is_pair]
    if pair_idx:
        first = torch.tensor([offsets[i] for i in pair_idx], device=device)
        chosen, rejected = scores[first], scores[first + 1]
        margins = None
        if any(batch[i].margin is not None for i in pair_idx):
            margins = torch.tensor([batch[i].margin or 0.0 for i in pair_idx], device=device, dtype=scores.dtype)
        if length_beta is None:
            terms.append((pairwise_loss(chosen, rejected, margins, center_coef), len(pair_idx)))
        else:
            tokens = torch.tensor([[r.reply_tokens for r in batch[i].replies] for i in pair_idx], device=device)
            terms.append((length_controlled_pairwise_loss(chosen, rejected, tokens[:, 0], tokens[:, 1], length_beta,
                                                          margins, center_coef), len(pair_idx)))
        stats["correct"] = float((chosen > rejected).sum())
        stats["pairs"] = float(len(pair_idx))
    list_idx = [i for i, ex in enumerate(batch) if len(ex.replies) > 2]
    if list_idx:
        k = max(len(batch[i].replies) for i in list_idx)
        index = torch.zeros(len(list_idx), k, dtype=torch.long, device=device)
        mask = torch.zeros(len(list_idx), k, dtype=torch.bool, device=device)
        for row, i in enumerate(list_idx):
            n = len(batch[i].replies)
            index[row, :n] = torch.arange(offsets[i], offsets[i] + n, device=device)
            mask[row, :n] = True
        terms.append((plackett_luce_loss(scores[index], mask), len(list_idx)))
    for is_label, fn in ((False, mse_loss), (True, label_loss)):
        idx = [i for i, ex in enumerate(batch) if ex.kind == "pointwise" and ex.is_label == is_label]
        if idx:
            s = scores[torch.tensor([offsets[i] for i in idx], device=device)]
            t = torch.tensor([batch[i].target for i in idx], device=device, dtype=scores.dtype)
            terms.append((fn(s, t), len(idx)))
    total = sum(n for _, n in terms)
    loss = sum(term * (n / total) for term, n in terms)
    if length_corr_coef:
        tokens = torch.tensor([r.reply_tokens for ex in batch for r in ex.replies], device=device)
        corr = length_correlation(scores, tokens)
        loss = loss + length_corr_coef * corr.abs()
        stats["length_corr"] = float(corr.detach())
    return loss, stats


def length_only_beta(encoded: Sequence[EncodedExample]) -> float:
    """How much reply length alone explains the pairwise preferences: the length-only Bradley-Terry
    fit (:func:`rlhf_rm.train.losses.fit_length_coefficient`) over the two-reply examples; 0 without any."""
    pairs = [ex.replies for ex in encoded if ex.is_pair]
    if not pairs:
        return 0.0
    return fit_length_coefficient(torch.tensor([c.reply_tokens for c, _ in pairs]),
                                  torch.tensor([r.reply_tokens for _, r in pairs]))
