"""`evaluate`: score data sets with reward callables and compute every metric of the report.

Each data set is normalized to `EvalData`: groups of replies to one prompt with the
(better, worse) pairs their labels imply -- a pairwise example is a group of 2, a ranked list
of K gives all K(K-1)/2 ordered pairs, a RewardBench 2 row gives every (correct, incorrect)
pair -- plus pointwise (reply, human score) points. All replies of a data set are scored by the
reward callable in one pass, then `dataset_metrics` turns the scores into the report entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlhf_rm.evaluate import benchmarks, metrics

from rlhf_rm.data.messages import copy_messages, messages_problem
from rlhf_rm.types import Reward, call_reward
BENCHMARKS = ("rewardbench", "rewardbench2", "hh-rlhf")
_LABEL_VALUE = {"bad": 0.0, "ok": 1.0, "good": 2.0}  # rlhf_rm.data.LABELS, worst -> best


@dataclass(frozen=True)
class Group:
    """Replies to one prompt and the (better, worse) index pairs their labels imply."""

    prompt: list[dict]
    replies: list[str]
    pairs: list[tuple[int, int]]
    ranked: bool = False  # replies are a full human order best -> worst (Kendall's tau applies)
    subset: str | None = None
    source: str = ""
    row: int = 0
    rb2_id: str | None = None  # RewardBench 2 row id ("ref:N" / "tied:N" in Ties)
    num_correct: int | None = None  # RewardBench 2: the first num_correct replies are correct


@dataclass(frozen=True)
class Point:
    """One pointwise-rated reply: `target` is the human score (labels bad/ok/good -> 0/1/2)."""

    prompt: list[dict]
    reply: str
    target: float
    subset: str | None = None


@dataclass
class EvalData:
    name: str
    groups: list[Group] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)  # "FILE line N: reason", skipped
    benchmark: str | None = None  # "rewardbench2" when read in that layout

    @classmethod
    def from_examples(cls, examples: Sequence[Any], name: str, bad_rows: Sequence[Any] = ()) -> EvalData:
        """From `rlhf_rm.data.Example`s: pairwise and listwise become groups, pointwise points."""
        data = cls(name, bad_rows=[str(b) for b in bad_rows])
        for ex in examples:
            replies = list(ex.responses)
            if len(replies) == 1:
                target = ex.score if ex.score is not None else _LABEL_VALUE.get(ex.label or "")
                if target is not None:
                    data.points.append(Point(ex.prompt, replies[0], float(target), ex.subset))
                continue
            pairs = [(i, j) for i in range(len(replies)) for j in range(i + 1, len(replies))]
            data.groups.append(Group(ex.prompt, replies, pairs, len(replies) > 2, ex.subset, ex.source, ex.row))
        return data

    @property
    def pair_count(self) -> int:
        return sum(len(g.pairs) for g in self.groups)


def tied_pairs(groups: Sequence[Group]) -> np.ndarray:
    """Whether each pair, group after group, is a tie (identical or empty replies): never won
    whatever its margin. Shape: (P,)."""
    from rlhf_rm.data.layouts import tied_replies

    return np.array([tied_replies(g.replies[i], g.replies[j]) for g in groups for i, j in g.pairs], bool)


# ---------------------------------------------------------------- loading


def prepare_data(spec: str | Any, benchmark: str | None = None, on_bad_row: str = "skip",
                 split: str | None = None) -> EvalData:
    """A data spec (path, folder, glob, hub id) or an already loaded `LoadedData` / `EvalData`.

    RewardBench 2 rows (chosen/rejected lists with num_correct) are read by `read_rewardbench2`:
    with benchmark="rewardbench2", or detected when every row fails the ordinary loader.
    """
    if isinstance(spec, EvalData):
        return spec
    if not isinstance(spec, (str, Path)):  # a LoadedData
        return EvalData.from_examples(spec.examples, spec.name, spec.bad_rows)
    from rlhf_rm.data import dataset_name, load_examples

    spec = str(spec)
    split = split or {"rewardbench": "filtered"}.get(benchmark or "", "test")
    if benchmark == "rewardbench2":
        return read_rewardbench2(spec, on_bad_row, split)
    # pairs with identical or empty replies stay, as ties that are never won (RewardBench's rule)
    loaded = load_examples(spec, on_bad_row=on_bad_row, split=split, keep_ties=True)
    if not loaded.examples and loaded.bad_rows:
        rb2 = read_rewardbench2(spec, "skip", split, strict=False)
        if rb2 is not None:
            return rb2
    return EvalData.from_examples(loaded.examples, dataset_name(spec), loaded.bad_rows)


def read_rewardbench2(spec: str, on_bad_row: str = "skip", split: str = "test",
                      strict: bool = True) -> EvalData | None:
    """Rows in the RewardBench 2 layout: prompt, chosen [correct replies], rejected [incorrect
    replies], num_correct, subset, id. With strict=False returns None when the columns are not
    that layout."""
    from rlhf_rm.data import DataError, dataset_name
    from rlhf_rm.data.read import read_spec
    from rlhf_rm.data.records import BadRow, bad_rows_error

    data = EvalData(dataset_name(spec), benchmark="rewardbench2")
    bad: list[BadRow] = []
    for table in read_spec(spec, split):
        dict_rows = [r for _, r in table.rows if isinstance(r, dict)]
        columns = set().union(*dict_rows) if dict_rows else set()
        lists = any(isinstance(r.get("chosen"), list) and all(isinstance(c, str) for c in r["chosen"])
                    for r in dict_rows)
        if not ({"prompt", "chosen", "rejected", "subset"} <= columns and lists):
            if not strict:
                return None
            raise DataError(f"{table.source}: columns {sorted(columns)} are not the RewardBench 2 layout "
                            "(prompt, chosen [list], rejected [list], num_correct, subset, id)")
        for number, row in table.rows:
            try:
                data.groups.append(_rb2_group(row, table.source, number))
            except ValueError as err:
                bad.append(BadRow(table.source, number, str(err), table.line_based))
    if bad and on_bad_row == "error":
        raise bad_rows_error(data.name, bad)
    data.bad_rows = [str(b) for b in bad]
    return data


def _rb2_group(row: Any, source: str, number: int) -> Group:
    if not isinstance(row, dict):
        raise ValueError(getattr(row, "reason", f"expected an object, got {type(row).__name__}"))
    prompt, chosen, rejected = row.get("prompt"), row.get("chosen"), row.get("rejected")
    if isinstance(prompt, str) and prompt.strip():
        messages = [{"role": "user", "content": prompt}]
    elif isinstance(prompt, list) and prompt:
        if problem := messages_problem(prompt, "prompt"):
            raise ValueError(problem)
        messages = copy_messages(prompt)
    else:
        raise ValueError("prompt is missing, empty, or not a string / message list")
    for name, replies in (("chosen", chosen), ("rejected", rejected)):
        if not isinstance(replies, list) or not replies:
            raise ValueError(f"{name} is not a non-empty list of replies")
        if not all(isinstance(r, str) and r.strip() for r in replies):
            raise ValueError(f"{name} holds an empty or non-string reply")
    num_correct = row.get("num_correct", len(chosen))
    if num_correct != len(chosen):
        raise ValueError(f"num_correct is {num_correct} but chosen holds {len(chosen)} replies")
    subset = row.get("subset")
    if not isinstance(subset, str) or not subset:
        raise ValueError("subset is missing")
    row_id = row.get("id")
    if subset.lower() == "ties" and not (isinstance(row_id, str) and row_id.split(":")[0] in ("ref", "tied")):
        raise ValueError(f"a Ties row needs an id 'ref:N' or 'tied:N' (got {row_id!r})")
    replies = [*chosen, *rejected]
    pairs = [(i, j) for i in range(len(chosen)) for j in range(len(chosen), len(replies))]
    return Group(messages, replies, pairs, False, subset, source, number,
                 None if row_id is None else str(row_id), len(chosen))


# ---------------------------------------------------------------- scoring


@dataclass
class Scores:
    """Rewards aligned with an EvalData: one array per group (its replies' order), one per point."""

    groups: list[np.ndarray]
    points: np.ndarray


def score_data(reward: Reward, data: EvalData, batch_size: int | None = 256, progress: bool = False,
               desc: str = "scoring") -> Scores:
    """Score every (prompt, reply) of the data set with the reward callable, in calls of
    `batch_size` replies (None: one call) with a progress bar. The callable batches inside."""
    prompts = [g.prompt for g in data.groups for _ in g.replies] + [p.prompt for p in data.points]
    replies = [r for g in data.groups for r in g.replies] + [p.reply for p in data.points]
    flat = score_texts(reward, prompts, replies, batch_size, progress, desc)
    out, start = [], 0
    for g in data.groups:
        out.append(flat[start : start + len(g.replies)])
        start += len(g.replies)
    return Scores(out, flat[start:])


def score_texts(reward: Reward, prompts: list, replies: list[str], batch_size: int | None = 256,
                progress: bool = False, desc: str = "scoring") -> np.ndarray:
    """Rewards (N,) for N (prompt, reply) pairs; checks the callable returned N finite floats."""
    from tqdm.auto import tqdm

    with tqdm(total=len(replies), desc=desc, unit="reply", disable=not progress or not replies) as bar:
        return np.asarray(call_reward(reward, prompts, replies, batch_size=batch_size, on_batch=bar.update), float)


# ---------------------------------------------------------------- metrics of one data set


def dataset_metrics(data: EvalData, scores: Scores, benchmark: str | None = None, *, seed: int = 0,
                    n_bootstrap: int = 1000, n_hardest: int = 5) -> dict:
    """The report entry of one data set (see `evaluate` for the keys)."""
    entry: dict[str, Any] = {"accuracy": None, "pairs": data.pair_count, "skipped": len(data.bad_rows)}
    if data.groups:
        entry.update(_pair_metrics(data, scores, seed, n_bootstrap, n_hardest))
    if data.points:
        targets = np.array([p.target for p in data.points])
        entry["pointwise/points"] = len(data.points)
        entry["pointwise/spearman"] = _num(metrics.spearman(scores.points, targets))
        entry["pointwise/pearson"] = _num(metrics.pearson(scores.points, targets))
    if data.benchmark == "rewardbench2" or benchmark == "rewardbench2":
        rows = [(g.subset, g.rb2_id, g.num_correct, s) for g, s in zip(data.groups, scores.groups)]
        entry["rewardbench2"] = benchmarks.rewardbench2_scores(rows)
    else:
        names = set(entry.get("subsets", {}))
        if benchmark == "rewardbench" or (benchmark is None and benchmarks.is_rewardbench_subsets(names)):
            acc = {k: v["accuracy"] for k, v in entry.get("subsets", {}).items()}
            entry["rewardbench"] = benchmarks.rewardbench_scores(acc)
    if data.bad_rows:
        entry["bad_rows"] = data.bad_rows[:50]
    return entry


def _pair_metrics(data: EvalData, scores: Scores, seed: int, n_bootstrap: int, n_hardest: int) -> dict:
    # flatten every (better, worse) pair; remember its group for the cluster bootstrap
    better, worse, group_of = [], [], []
    for gi, (g, s) in enumerate(zip(data.groups, scores.groups)):
        for i, j in g.pairs:
            better.append((gi, i))
            worse.append((gi, j))
            group_of.append(gi)
    r_better = np.array([scores.groups[gi][i] for gi, i in better])  # (P,)
    r_worse = np.array([scores.groups[gi][j] for gi, j in worse])  # (P,)
    margins = r_better - r_worse
    tied = tied_pairs(data.groups)
    correct = (margins > 0) & ~tied  # a tie is not won (RewardBench: chosen > rejected)
    group_of = np.array(group_of)
    per_group_correct = np.bincount(group_of, weights=correct, minlength=len(data.groups))
    per_group_pairs = np.bincount(group_of, minlength=len(data.groups))
    has_pairs = per_group_pairs > 0

    reply_len = [np.array([len(r) for r in g.replies], float) for g in data.groups]
    len_better = np.array([reply_len[gi][i] for gi, i in better])
    len_worse = np.array([reply_len[gi][j] for gi, j in worse])
    all_rewards = np.concatenate(scores.groups)
    all_lengths = np.concatenate(reply_len)
    preferred = np.concatenate([_preferred_mask(g) for g in data.groups])

    calib = metrics.calibration(margins)
    bias = metrics.length_bias(margins, len_better, len_worse, all_rewards, all_lengths)
    lo, hi = metrics.bootstrap_ci(per_group_correct[has_pairs], per_group_pairs[has_pairs],
                                  n_resamples=n_bootstrap, seed=seed)
    out: dict[str, Any] = {
        "accuracy": float(correct.mean()),
        "ties": int(tied.sum()),
        "ci95": [lo, hi],
        "subsets": metrics.subset_accuracy(correct, [data.groups[gi].subset for gi in group_of]),
        "calibration/ece": calib["ece"],
        "length_bias/acc_chosen_shorter": bias["acc_chosen_shorter"],
        "length_bias/acc_chosen_longer": bias["acc_chosen_longer"],
        "length_bias/reward_length_corr": bias["reward_length_corr"],
        "length_bias/pairs_chosen_shorter": bias["pairs_chosen_shorter"],
        "length_bias/pairs_chosen_longer": bias["pairs_chosen_longer"],
    }
    ranked = [s for g, s in zip(data.groups, scores.groups) if g.ranked]
    if ranked:
        lists = metrics.ranked_list_metrics(ranked)
        out["listwise/kendall_tau"] = _num(lists["kendall_tau"])
        out["listwise/lists"] = lists["lists"]
    out.update({f"margins/{k}": v for k, v in metrics.margin_summary(margins).items()})
    out["rewards/mean_chosen"] = float(all_rewards[preferred].mean())
    out["rewards/mean_rejected"] = float(all_rewards[~preferred].mean())
    # plot data: small enough for report.json, so plots can be redrawn from the JSON alone
    out["calibration/bins"] = calib["bins"]
    out["length_bias/reward_by_length"] = bias["reward_by_length"]
    out["margins/histogram"] = metrics.histogram(margins)
    span = (float(all_rewards.min()), float(all_rewards.max()))
    out["rewards/histogram"] = {
        "edges": metrics.histogram(all_rewards, 30, span)["edges"],
        "chosen": metrics.histogram(all_rewards[preferred], 30, span)["counts"],
        "rejected": metrics.histogram(all_rewards[~preferred], 30, span)["counts"],
    }
    out["hardest_misranked"] = [
        _pair_record(data.groups[better[k][0]], better[k][1], worse[k][1], r_better[k], r_worse[k])
        for k in metrics.hardest_misranked(margins, n_hardest)
    ]
    return out


def _preferred_mask(g: Group) -> np.ndarray:
    """Replies that are better in some pair and worse in none: chosen, a list's best, RB2's correct."""
    mask = np.zeros(len(g.replies), bool)
    for i, _ in g.pairs:
        mask[i] = True
    for _, j in g.pairs:
        mask[j] = False
    return mask


def _pair_record(g: Group, i: int, j: int, r_better: float, r_worse: float, limit: int = 300) -> dict:
    last_user = next((m["content"] for m in reversed(g.prompt) if m.get("role") == "user"), "")
    return {
        "source": g.source, "row": g.row, "subset": g.subset,
        "prompt": _clip(last_user, limit), "chosen": _clip(g.replies[i], limit), "rejected": _clip(g.replies[j], limit),
        "reward_chosen": float(r_better), "reward_rejected": float(r_worse), "margin": float(r_better - r_worse),
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


# ---------------------------------------------------------------- the one call


def evaluate(
    reward_fns: Mapping[str, Reward],
    data_specs: Sequence[str | Any],
    benchmark: str | None = None,
    report_dir: str | Path | None = None,
    batch_size: int | None = 256,
    progress: bool = True,
    *,
    seed: int = 0,
    n_bootstrap: int = 1000,
    on_bad_row: str = "skip",
    shuffle_check: bool = True,
) -> dict:
    """Evaluate reward callables on data sets; optionally write report.md/.json and plots.

    reward_fns: {name: reward(prompts, completions) -> list[float]} -- prompts are chat message
        lists, completions strings (the one reward interface: `RewardFunction` or any callable).
    data_specs: paths, folders, globs or hub ids read by `rlhf_rm.data.load_examples` (bad rows
        skipped and counted), or already loaded `LoadedData` / `EvalData`. Each is scored once.
    benchmark: "rewardbench" adds the v1 section and overall scores (detected from the subset
        names when None); "rewardbench2" reads the v2 layout and adds best-of-4 and Ties scores
        (detected when the ordinary loader rejects every row); "hh-rlhf" is plain pairwise.
    batch_size: replies per call of the reward callable (one progress step); None: one call.
    shuffle_check: the coherence check on every data set with pairs, except
        RewardBench 2 (its rows hold several correct replies, not one chosen): each distinct
        (prompt, chosen reply) against the reply with its words shuffled (seed 0), one more scored
        reply each (`rlhf_rm.evaluate.coherence`). False skips it.

    Returns, for one model, {"model": NAME, "datasets": {DATA: entry}} and for several
    {"models": {NAME: {"datasets": {DATA: entry}}}}; DATA = rlhf_rm.data.dataset_name(spec).
    An entry holds "accuracy" (pairwise, ties wrong), "pairs", "ties" (pairs kept whose replies are
    identical or empty, counted not won), "skipped" (bad rows), "ci95",
    "subsets" ({name: {"accuracy", "pairs"}}), "calibration/ece", "length_bias/acc_chosen_shorter",
    "length_bias/acc_chosen_longer", "length_bias/reward_length_corr", "margins/*", "rewards/*",
    "hardest_misranked", and where they apply "listwise/kendall_tau", "pointwise/spearman",
    "pointwise/pearson", "rewardbench" or "rewardbench2", "coherence/shuffle_preference" (the share
    of chosen replies whose reward beats their word-shuffled copy's, ties lose) and
    "coherence/pairs" (with shuffle_check); for a reward with several members (an
    ensemble folder, or several models in one RewardFunction) "ensemble": each member's accuracy,
    ECE and Brier score beside the combined reward's (`rlhf_rm.evaluate.members`).
    """
    if not reward_fns:
        raise ValueError("evaluate needs at least one reward callable in reward_fns")
    if benchmark is not None and benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; known: {', '.join(BENCHMARKS)}")
    datasets = [prepare_data(spec, benchmark, on_bad_row) for spec in data_specs]
    if not datasets:
        raise ValueError("evaluate needs at least one data spec")
    names = _unique([d.name for d in datasets])
    from rlhf_rm.evaluate.members import MemberScores, ensemble_entry

    per_model = {}
    for model, reward in reward_fns.items():
        entries = {}
        members = MemberScores.wrap(reward)  # an ensemble: each member's scores too, from the same forwards
        for name, data in zip(names, datasets):
            scores = score_data(members or reward, data, batch_size, progress, desc=f"{model} | {name}")
            entries[name] = dataset_metrics(data, scores, benchmark, seed=seed, n_bootstrap=n_bootstrap)
            member_scores = members.take() if members is not None else None  # (M, N)
            if member_scores is not None and data.groups:
                combined = np.concatenate(scores.groups)
                entries[name]["ensemble"] = ensemble_entry(data.groups, member_scores, combined, members.combine)
            if shuffle_check and data.groups and "rewardbench2" not in (data.benchmark, benchmark):
                entries[name].update(_shuffle_check(reward, data, scores, batch_size, progress, f"{model} | {name}"))
        per_model[model] = {"datasets": entries}
    from rlhf_rm.evaluate.report import json_safe, write_report

    if len(per_model) == 1:
        (model, body), = per_model.items()
        report = json_safe({"model": model, **body})
    else:
        report = json_safe({"models": per_model})
    if report_dir is not None:
        write_report(report, report_dir)
    return report


def _shuffle_check(reward: Reward, data: EvalData, scores: Scores, batch_size: int | None, progress: bool,
                   desc: str) -> dict:
    """The coherence keys of one data set: each distinct chosen reply's reward (already scored)
    against its locally word-shuffled copy's (the check's own seed), the copies scored like the data set."""
    from rlhf_rm.evaluate.coherence import coherence_keys

    def score(prompts: list, replies: list[str]) -> np.ndarray:
        return score_texts(reward, prompts, replies, batch_size, progress, f"{desc} | shuffled")

    return coherence_keys(data.groups, scores.groups, score)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return out
