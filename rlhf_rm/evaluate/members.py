"""An ensemble's evaluation: each member's accuracy and calibration beside the combined reward's.

`evaluate` scores an ensemble (a folder trained with ``ensemble: k``, or several folders in one
``RewardFunction``) once; `MemberScores` keeps every member's scores of those calls, in the units
the combine read them (each member's dev-set z-score for ``mean_minus_std`` / ``min`` or with
normalize, raw for a plain mean), so members and combined reward are calibrated on one scale, while
the combined reward goes through the ordinary report, and `ensemble_entry` adds the section
``ensemble`` to each data set's entry:

    combine, members                                      how the reward combines, how many members
    accuracy, calibration/ece, calibration/brier          the combined reward
    members/accuracy, members/ece, members/brier          each member, in member order
    members_mean/accuracy, members_mean/ece, members_mean/brier   their mean: what one member gives
    uncertainty/mean_reply_std                            the members' score std, averaged over replies
    uncertainty/acc_low_spread, uncertainty/acc_high_spread   combined accuracy on the half of the
        pairs whose member margins agree most / least: where labels would teach most

ECE as `metrics.calibration` (of sigmoid(margin)), Brier as `metrics.brier`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rlhf_rm.evaluate import metrics


class MemberScores:
    """A reward callable over a ``RewardFunction`` that also keeps each member's scores as combined."""

    def __init__(self, reward):
        self.reward = reward
        self.combine = getattr(reward, "ensemble", "mean")
        self._chunks: list[np.ndarray] = []

    @classmethod
    def wrap(cls, reward: Callable) -> MemberScores | None:
        """The recorder for a reward with several members; None for one model or a plain callable."""
        return cls(reward) if getattr(reward, "member_count", 1) > 1 else None

    def __call__(self, prompts: Sequence, completions: Sequence, **kwargs) -> list[float]:
        details = self.reward.score_details(prompts, completions)
        self._chunks.append(np.asarray(details.combined, float).reshape(self.reward.member_count, -1))
        return details.rewards

    def take(self) -> np.ndarray:
        """Every member's scores (as combined) since the last take, in call order. Shape: (M, N)."""
        out = np.concatenate(self._chunks, axis=1) if self._chunks else np.zeros((self.reward.member_count, 0))
        self._chunks = []
        return out


def pair_indices(groups: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Flat reply indices (better, worse) of every pair, replies numbered group after group. Shape: (P,), (P,)."""
    better, worse, start = [], [], 0
    for g in groups:
        better += [start + i for i, _ in g.pairs]
        worse += [start + j for _, j in g.pairs]
        start += len(g.replies)
    return np.array(better, int), np.array(worse, int)


def _pair_stats(margins: np.ndarray, tied: np.ndarray) -> tuple[float, float, float]:
    """(accuracy, ECE, Brier) of pair margins (better - worse); a tie counts wrong, and so does a
    pair whose replies are ``tied`` (identical or empty)."""
    won = (margins > 0) & ~tied
    return float(np.mean(won)), float(metrics.calibration(margins)["ece"]), metrics.brier(margins)


def ensemble_entry(groups: Sequence, members: np.ndarray, combined: np.ndarray, combine: str) -> dict:
    """The ``ensemble`` section of a data set's report entry.

    Shape: members (M, N) each member's scores as combined, combined (N',) the reward of every reply of
    ``groups`` (N' <= N: pointwise replies come after them and take no part)."""
    from rlhf_rm.evaluate.core import tied_pairs

    better, worse = pair_indices(groups)
    tied = tied_pairs(groups)  # (P,)
    member_margins = members[:, better] - members[:, worse]  # (M, P)
    margins = combined[better] - combined[worse]  # (P,)
    acc, ece, brier = _pair_stats(margins, tied)
    per_member = np.array([_pair_stats(m, tied) for m in member_margins])  # (M, 3)
    # the pairs ordered by how much the members disagree on their margin
    order = np.argsort(member_margins.std(axis=0), kind="stable")
    low, high = order[: len(order) // 2], order[len(order) // 2:]
    correct = (margins > 0) & ~tied
    return {
        "combine": combine, "members": int(members.shape[0]),
        "accuracy": acc, "calibration/ece": ece, "calibration/brier": brier,
        "members/accuracy": per_member[:, 0].tolist(), "members/ece": per_member[:, 1].tolist(),
        "members/brier": per_member[:, 2].tolist(),
        "members_mean/accuracy": float(per_member[:, 0].mean()), "members_mean/ece": float(per_member[:, 1].mean()),
        "members_mean/brier": float(per_member[:, 2].mean()),
        "uncertainty/mean_reply_std": float(members[:, : len(combined)].std(axis=0).mean()),
        "uncertainty/acc_low_spread": float(correct[low].mean()) if low.size else None,
        "uncertainty/acc_high_spread": float(correct[high].mean()) if high.size else None,
    }


def format_ensembles(entries: dict[str, dict[str, dict]]) -> str:
    """One line per (model, data set) with an ``ensemble`` section: the combined reward against its
    members. ``entries``: {model: {data set: entry}} (``report.model_entries``)."""
    lines = []
    for model, datasets in entries.items():
        for name, entry in datasets.items():
            e = entry.get("ensemble")
            if not e:
                continue
            accs = ", ".join(f"{a:.4f}" for a in e["members/accuracy"])
            lines.append(
                f"ensemble {model} | {name}: {e['members']} members, combine={e['combine']}: accuracy "
                f"{e['accuracy']:.4f} vs members {accs} (mean {e['members_mean/accuracy']:.4f}); "
                f"ECE {e['calibration/ece']:.4f} vs {e['members_mean/ece']:.4f}; "
                f"Brier {e['calibration/brier']:.4f} vs {e['members_mean/brier']:.4f} (members' mean)")
    return "\n".join(lines)
