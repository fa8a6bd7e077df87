"""Pure metric functions over reward scores (numpy only).

Convention: a *pair* is (better, worse) by the human label and its margin is
`r_better - r_worse`. A pair is ranked correctly only when the margin is > 0: ties count as
wrong, as in RewardBench (`1 if chosen > rejected else 0`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ArrayLike = Sequence[float] | np.ndarray


# ---------------------------------------------------------------- accuracy and its uncertainty


def pairwise_accuracy(chosen: ArrayLike, rejected: ArrayLike) -> float:
    """Share of pairs with r_chosen > r_rejected (ties count wrong). Shape: chosen, rejected (N,)."""
    chosen, rejected = np.asarray(chosen, float), np.asarray(rejected, float)
    if chosen.shape != rejected.shape:
        raise ValueError(f"chosen and rejected scores differ in shape: {chosen.shape} vs {rejected.shape}")
    return float(np.mean(chosen > rejected)) if chosen.size else math.nan


def bootstrap_ci(
    values: ArrayLike,
    denominators: ArrayLike | None = None,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of sum(values) / sum(denominators) (the mean when
    `denominators` is None), resampling units with replacement; deterministic for a seed.

    A unit is what is independent: one pair, or one ranked list with `values` = its correctly
    ordered pairs and `denominators` = its pair count (a cluster bootstrap).
    Shape: values, denominators (N,).
    """
    values = np.asarray(values, float)
    den = np.ones_like(values) if denominators is None else np.asarray(denominators, float)
    n = values.size
    if n == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    stats = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // n)  # bound the (resamples, N) index matrix to ~16 MB
    for start in range(0, n_resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_resamples - start), n))
        stats[start : start + len(idx)] = values[idx].sum(1) / den[idx].sum(1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(stats, [tail, 1 - tail])
    return float(lo), float(hi)


def subset_accuracy(correct: ArrayLike, subsets: Sequence[str | None]) -> dict[str, dict]:
    """Accuracy per subset name: {subset: {"accuracy": float, "pairs": int}}, sorted by name.
    Pairs without a subset (None) are left out."""
    correct = np.asarray(correct, float)
    names = sorted({s for s in subsets if s is not None})
    labels = np.array([s if s is not None else "" for s in subsets], dtype=object)
    out = {}
    for name in names:
        mask = labels == name
        out[name] = {"accuracy": float(correct[mask].mean()), "pairs": int(mask.sum())}
    return out


# ---------------------------------------------------------------- rank correlations


def rankdata(x: ArrayLike) -> np.ndarray:
    """1-based ranks with ties given their average rank (as scipy.stats.rankdata 'average')."""
    x = np.asarray(x, float)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # boundaries of runs of equal values
    starts = np.r_[0, np.flatnonzero(sorted_x[1:] != sorted_x[:-1]) + 1]
    ends = np.r_[starts[1:], x.size]
    avg = (starts + ends + 1) / 2.0  # mean of 1-based positions start+1 .. end
    ranks = np.empty(x.size)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson correlation; nan when either side is constant or has < 2 points."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 2:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denom if denom > 0 else math.nan


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rho: the Pearson correlation of average ranks."""
    return pearson(rankdata(x), rankdata(y))


def kendall_tau(x: ArrayLike, y: ArrayLike) -> float:
    """Kendall's tau-b (ties in x or y reduce the denominator); nan when undefined.
    O(N^2) over all pairs: meant for ranked lists of a few replies."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(x.size, k=1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    n0 = i.size
    ties_x, ties_y = int(np.sum(sx == 0)), int(np.sum(sy == 0))
    denom = math.sqrt((n0 - ties_x) * (n0 - ties_y))
    return float(np.sum(sx * sy)) / denom if denom > 0 else math.nan


def ranked_list_metrics(rewards_best_first: Sequence[ArrayLike]) -> dict:
    """Lists of rewards, each in the human order best -> worst.

    accuracy: over all ordered pairs (i above j in the human order) of all lists, the share with
    r_i > r_j (ties wrong); kendall_tau: mean over lists of tau-b between reward and human rank
    (a list whose rewards are all equal has no defined tau and counts as 0).
    """
    correct = pairs = 0
    taus = []
    for rewards in rewards_best_first:
        r = np.asarray(rewards, float)
        i, j = np.triu_indices(r.size, k=1)
        correct += int(np.sum(r[i] > r[j]))
        pairs += i.size
        human = -np.arange(r.size, dtype=float)  # best first -> highest human score first
        tau = kendall_tau(r, human)
        taus.append(0.0 if math.isnan(tau) else tau)
    return {
        "accuracy": correct / pairs if pairs else math.nan,
        "pairs": pairs,
        "kendall_tau": float(np.mean(taus)) if taus else math.nan,
        "lists": len(taus),
    }


# ---------------------------------------------------------------- calibration


def sigmoid(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x, float)
    return np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) without overflow


def calibration(margins: ArrayLike, n_bins: int = 10) -> dict:
    """Expected calibration error of the Bradley-Terry probability p = sigmoid(r_better - r_worse).

    Every pair counts in both orders -- (p, label 1) and (1 - p, label 0) -- which is the same as
    binning the top-label confidence max(p, 1 - p) against whether the pair is ranked correctly
    (p > 1/2; p = 1/2 counts wrong). Bins split [0.5, 1] into `n_bins` equal widths.
    ECE = sum over bins of (n_bin / N) * |accuracy_bin - confidence_bin| (Guo et al. 2017).

    Returns {"ece": float, "bins": [{"lo", "hi", "count", "confidence", "accuracy"}, ...]};
    empty bins have count 0 and None for confidence and accuracy.
    """
    p = sigmoid(margins)
    conf = np.maximum(p, 1 - p)
    correct = p > 0.5
    width = 0.5 / n_bins
    idx = np.clip(((conf - 0.5) / width).astype(int), 0, n_bins - 1)
    ece, bins = 0.0, []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        row = {"lo": 0.5 + b * width, "hi": 0.5 + (b + 1) * width, "count": count,
               "confidence": None, "accuracy": None}
        if count:
            row["confidence"] = float(conf[mask].mean())
            row["accuracy"] = float(correct[mask].mean())
            ece += count / conf.size * abs(row["accuracy"] - row["confidence"])
        bins.append(row)
    return {"ece": float(ece) if conf.size else math.nan, "bins": bins}


def brier(margins: ArrayLike) -> float:
    """Brier score of the Bradley-Terry probability that the better reply wins, p = sigmoid(margin):
    mean (1 - p)^2 over the pairs (the same in both orders; a tie, p = 1/2, scores 0.25). Lower is better.
    """
    p = sigmoid(margins)
    return float(np.mean((1.0 - p) ** 2)) if p.size else math.nan


# ---------------------------------------------------------------- length bias


def length_bias(
    margins: ArrayLike,
    len_better: ArrayLike,
    len_worse: ArrayLike,
    rewards: ArrayLike,
    lengths: ArrayLike,
    n_bins: int = 8,
) -> dict:
    """Does the reward prefer long replies?

    acc_chosen_shorter / acc_chosen_longer: accuracy on the pairs whose preferred reply is
    shorter / longer than the other (equal lengths are in neither); a reward that only counts
    length scores ~0 and ~1. reward_length_corr: Spearman correlation of every scored reply's
    reward with its length. reward_by_length: mean reward in length-quantile bins.
    Shape: margins, len_better, len_worse (P,) per pair; rewards, lengths (R,) per reply.
    """
    margins = np.asarray(margins, float)
    lb, lw = np.asarray(len_better, float), np.asarray(len_worse, float)
    rewards, lengths = np.asarray(rewards, float), np.asarray(lengths, float)
    shorter, longer = lb < lw, lb > lw
    correct = margins > 0
    out = {
        "acc_chosen_shorter": float(correct[shorter].mean()) if shorter.any() else None,
        "acc_chosen_longer": float(correct[longer].mean()) if longer.any() else None,
        "pairs_chosen_shorter": int(shorter.sum()),
        "pairs_chosen_longer": int(longer.sum()),
        "reward_length_corr": _none_if_nan(spearman(rewards, lengths)),
        "reward_by_length": [],
    }
    if lengths.size:
        edges = np.unique(np.quantile(lengths, np.linspace(0, 1, n_bins + 1)))
        idx = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, max(len(edges) - 2, 0))
        for b in range(max(len(edges) - 1, 1)):
            mask = idx == b
            if mask.any():
                out["reward_by_length"].append({
                    "len_lo": float(lengths[mask].min()), "len_hi": float(lengths[mask].max()),
                    "count": int(mask.sum()), "mean_reward": float(rewards[mask].mean()),
                })
    return out


# ---------------------------------------------------------------- distributions and failures


def histogram(values: ArrayLike, bins: int = 30, range_: tuple[float, float] | None = None) -> dict:
    """{"edges": [bins + 1], "counts": [bins]} -- small enough to keep in report.json."""
    values = np.asarray(values, float)
    if values.size == 0:
        return {"edges": [], "counts": []}
    counts, edges = np.histogram(values, bins=bins, range=range_)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def margin_summary(margins: ArrayLike) -> dict:
    """Mean, std and quantiles of r_better - r_worse, and the shares misranked and tied."""
    m = np.asarray(margins, float)
    if m.size == 0:
        return {}
    q = np.quantile(m, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "mean": float(m.mean()), "std": float(m.std()),
        "p05": float(q[0]), "p25": float(q[1]), "median": float(q[2]), "p75": float(q[3]), "p95": float(q[4]),
        "share_misranked": float(np.mean(m < 0)), "share_tied": float(np.mean(m == 0)),
    }


def hardest_misranked(margins: ArrayLike, k: int = 5) -> list[int]:
    """Indices of the k pairs ranked wrong (margin <= 0) with the most negative margins."""
    m = np.asarray(margins, float)
    wrong = np.flatnonzero(m <= 0)
    return wrong[np.argsort(m[wrong], kind="stable")][:k].tolist()


def _none_if_nan(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)
