"""Reports from an `evaluate` result: a console table, report.md, report.json and plots.

Everything here reads only the report dict, so a saved report.json can be re-rendered.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from rlhf_rm.checkpoint import write_atomic

PLOTS = ("calibration.png", "length_bias.png", "margins.png")


def model_entries(report: dict) -> dict[str, dict]:
    """{model: {dataset: entry}} for a one-model or a several-model report."""
    if "models" in report:
        return {m: body["datasets"] for m, body in report["models"].items()}
    return {report.get("model", "model"): report["datasets"]}


def format_table(report: dict) -> str:
    """A compact fixed-width table, one line per (model, data set). tau/rho: Kendall's tau on
    ranked lists, else Spearman's rho on pointwise ratings; score: the benchmark score; shuffle:
    the share of chosen replies that beat their word-shuffled copy (coherence); ties: pairs with
    identical or empty replies, counted in pairs and never won."""
    header = ["model", "data", "accuracy", "95% CI", "pairs", "ties", "skipped", "ECE", "acc short/long", "tau/rho", "score",
              "shuffle"]
    rows = []
    for model, entries in model_entries(report).items():
        for name, e in entries.items():
            ci = e.get("ci95")
            score = _benchmark_score(e)
            rows.append([
                model, name, _f(e.get("accuracy")),
                f"[{_f(ci[0])}, {_f(ci[1])}]" if ci else "-",
                str(e.get("pairs", 0)), str(e.get("ties", 0)), str(e.get("skipped", 0)), _f(e.get("calibration/ece")),
                f"{_f(e.get('length_bias/acc_chosen_shorter'))}/{_f(e.get('length_bias/acc_chosen_longer'))}",
                _f(e.get("listwise/kendall_tau", e.get("pointwise/spearman"))),
                score, _f(e.get("coherence/shuffle_preference")),
            ])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_report(report: dict, report_dir: str | os.PathLike) -> dict[str, Path]:
    """Write report.json, report.md, calibration.png, length_bias.png and margins.png into
    `report_dir` (created if needed). Returns {file name: path}."""
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("report.json", "report.md", *PLOTS)}
    write_atomic(paths["report.json"], json.dumps(json_safe(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    plot_calibration(report, paths["calibration.png"])
    plot_length_bias(report, paths["length_bias.png"])
    plot_margins(report, paths["margins.png"])
    write_atomic(paths["report.md"], render_markdown(report))
    return paths


# ---------------------------------------------------------------- markdown


def render_markdown(report: dict) -> str:
    entries = model_entries(report)
    md = ["# Reward-model evaluation", ""]
    md += [f"Models: {', '.join(f'`{m}`' for m in entries)}. "
           "Accuracy is the share of (preferred, other) reply pairs where the reward of the preferred "
           "reply is strictly higher (ties count as wrong); the 95% interval is a percentile bootstrap "
           "over examples.", ""]
    md += ["## Summary", "", "```", format_table(report), "```", ""]
    from rlhf_rm.evaluate.members import format_ensembles

    if ensembles := format_ensembles(entries):  # members' accuracy, ECE and Brier beside the combined reward's
        md += ["Ensembles: the combined reward against its members.", "", "```", ensembles, "```", ""]
    md += ["## Plots", "",
           "![calibration](calibration.png)", "",
           "*Calibration*: the Bradley-Terry probability σ(r_chosen − r_rejected) binned by confidence "
           "against the share of pairs ranked right; on the diagonal is calibrated, below it is over-confident.", "",
           "![length bias](length_bias.png)", "",
           "*Length bias*: accuracy on pairs whose preferred reply is shorter vs longer than the other, and "
           "the mean reward by reply length (characters). A reward that only counts length scores ~0 and ~1.", "",
           "![margins](margins.png)", "",
           "*Margins*: the distribution of r_chosen − r_rejected (left of 0 is misranked) and of the rewards "
           "of preferred and other replies.", "",
           "*Shuffle* (coherence): the share of distinct chosen replies whose reward is strictly higher than "
           "that of the same reply with its words shuffled within blocks of 3 (same length, same words; held out "
           "from augment_negatives' whole-reply shuffles). A reward of "
           "length or vocabulary alone scores 0, one that reads word order near 1.", ""]
    for model, datasets in entries.items():
        for name, e in datasets.items():
            md += _dataset_section(model, name, e)
    return "\n".join(md).rstrip() + "\n"


def _dataset_section(model: str, name: str, e: dict) -> list[str]:
    md = [f"## `{model}` on `{name}`", ""]
    rows = [("accuracy", _f(e.get("accuracy"))), ("pairs", e.get("pairs")),
            ("ties (identical or empty replies, not won)", e.get("ties", 0)), ("skipped bad rows", e.get("skipped")),
            ("95% CI", "[" + ", ".join(_f(x) for x in e["ci95"]) + "]" if e.get("ci95") else "-"),
            ("ECE", _f(e.get("calibration/ece"))),
            ("accuracy, chosen shorter", f"{_f(e.get('length_bias/acc_chosen_shorter'))} "
                                         f"({e.get('length_bias/pairs_chosen_shorter', 0)} pairs)"),
            ("accuracy, chosen longer", f"{_f(e.get('length_bias/acc_chosen_longer'))} "
                                        f"({e.get('length_bias/pairs_chosen_longer', 0)} pairs)"),
            ("Spearman(reward, length)", _f(e.get("length_bias/reward_length_corr"))),
            ("margin mean / median", f"{_f(e.get('margins/mean'))} / {_f(e.get('margins/median'))}"),
            ("mean reward chosen / rejected",
             f"{_f(e.get('rewards/mean_chosen'))} / {_f(e.get('rewards/mean_rejected'))}")]
    if "coherence/pairs" in e:
        rows.append(("chosen beats its word-shuffled copy", f"{_f(e.get('coherence/shuffle_preference'))} "
                                                          f"({e['coherence/pairs']} replies)"))
    for key, label in (("listwise/kendall_tau", "Kendall's τ (ranked lists)"), ("pointwise/spearman", "Spearman ρ (ratings)"),
                       ("pointwise/pearson", "Pearson r (ratings)")):
        if key in e:
            rows.append((label, _f(e[key])))
    md += ["| metric | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]
    if e.get("subsets"):
        md += ["| subset | accuracy | pairs |", "|---|---|---|"]
        md += [f"| {_cell(s)} | {_f(v['accuracy'])} | {v['pairs']} |" for s, v in e["subsets"].items()]
        md += [""]
    if "rewardbench" in e:
        rb = e["rewardbench"]
        md += ["**RewardBench** (sections weight their subsets by RewardBench's example counts; the score "
               "weights each section 2 and Prior Sets 1):", "",
               "| section | score |", "|---|---|"]
        md += [f"| {s} | {_f(v)} |" for s, v in rb["sections"].items()]
        md += [f"| Prior Sets | {_f(rb['prior_sets'])} |", f"| **score** | **{_f(rb['score'])}** |", ""]
        if rb.get("missing_sections"):
            md += [f"Sections without data: {', '.join(rb['missing_sections'])}.", ""]
    if "rewardbench2" in e:
        rb2 = e["rewardbench2"]
        md += ["**RewardBench 2** (best-of-4 credit 1/k when the chosen reply ties k-way for the top; "
               "Ties by its weighted formula; score = mean of subsets):", "",
               "| subset | score | prompts |", "|---|---|---|"]
        md += [f"| {_cell(s)} | {_f(v['score'])} | {v['prompts']} |" for s, v in rb2["subsets"].items()]
        md += [f"| **score** | **{_f(rb2['score'])}** | |", ""]
    if e.get("hardest_misranked"):
        md += ["**Hardest misranked pairs** (most negative margin):", "",
               "| margin | prompt | chosen | rejected | where |", "|---|---|---|---|---|"]
        for h in e["hardest_misranked"]:
            where = _where(h.get("source", ""), h.get("row", 0))
            md.append(f"| {_f(h['margin'])} | {_cell(h['prompt'], 120)} | {_cell(h['chosen'], 160)} | "
                      f"{_cell(h['rejected'], 160)} | {_cell(where)} |")
        md += [""]
    if e.get("bad_rows"):
        md += [f"**Skipped rows** ({e.get('skipped')}):", "", *[f"- {_cell(b, 200)}" for b in e["bad_rows"][:20]], ""]
    return md


# ---------------------------------------------------------------- plots


def _figure(ncols: int = 1, width: float = 6.4):
    Figure = matplotlib_figure()
    fig = Figure(figsize=(width * ncols, 4.8), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def matplotlib_figure():
    """matplotlib's Figure class -- not pyplot, so no global backend or state; savefig renders
    PNG with Agg. Raises a RuntimeError that says how to install it when it is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise RuntimeError("plots need matplotlib: pip install 'rlhf_rm[plots]'") from err
    return Figure


def _series(report: dict) -> list[tuple[str, dict]]:
    """(label, entry) for every (model, data set) with pairwise data."""
    entries = model_entries(report)
    several = len(entries) > 1
    return [(f"{m} · {d}" if several else d, e) for m, ds in entries.items() for d, e in ds.items()
            if e.get("accuracy") is not None]


def _empty(ax, text="no pairwise data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def plot_calibration(report: dict, path: str | os.PathLike) -> None:
    fig, (ax, ax_n) = _figure(2, 5.6)
    ax.plot([0.5, 1.0], [0.5, 1.0], ls="--", color="grey", label="perfect calibration")
    series = _series(report)
    for label, e in series:
        bins = [b for b in e.get("calibration/bins", []) if b["count"]]
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                label=f"{label} (ECE {_f(e.get('calibration/ece'))})")
        ax_n.plot([(b["lo"] + b["hi"]) / 2 for b in bins], [b["count"] for b in bins], marker=".", label=label)
    ax.set(xlim=(0.48, 1.02), ylim=(-0.02, 1.02), title="Reliability diagram of σ(r_chosen − r_rejected)",
           xlabel="confidence max(p, 1 − p), mean per bin", ylabel="share of pairs ranked correctly")
    ax_n.set(title="Pairs per confidence bin", xlabel="confidence bin (center)", ylabel="pairs")
    for a in (ax, ax_n):
        a.grid(alpha=0.3)
    if series:
        ax.legend(fontsize="small")
    else:
        _empty(ax)
    fig.savefig(path, dpi=110)


def plot_length_bias(report: dict, path: str | os.PathLike) -> None:
    import numpy as np

    fig, (ax, ax_len) = _figure(2, 5.6)
    series = _series(report)
    x = np.arange(len(series))
    width = 0.38
    for offset, key, count_key, label in ((-width / 2, "acc_chosen_shorter", "pairs_chosen_shorter", "chosen is shorter"),
                                           (width / 2, "acc_chosen_longer", "pairs_chosen_longer", "chosen is longer")):
        values = [e.get(f"length_bias/{key}") for _, e in series]
        bars = ax.bar(x + offset, [v if v is not None else 0 for v in values], width, label=label)
        for bar, v, (_, e) in zip(bars, values, series):
            ax.annotate(f"{_f(v, 2)}\nn={e.get(f'length_bias/{count_key}', 0)}", (bar.get_x() + width / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize="x-small")
    ax.axhline(0.5, ls="--", color="grey", lw=1)
    ax.set_xticks(x, [label for label, _ in series], rotation=20, ha="right", fontsize="small")
    ax.set(ylim=(0, 1.15), ylabel="pairwise accuracy", title="Accuracy by which reply is longer")
    if series:
        ax.legend(fontsize="small", loc="upper left")
    else:
        _empty(ax)
    for label, e in series:
        bins = e.get("length_bias/reward_by_length", [])
        ax_len.plot([(b["len_lo"] + b["len_hi"]) / 2 for b in bins], [b["mean_reward"] for b in bins], marker="o",
                    label=f"{label} (Spearman {_f(e.get('length_bias/reward_length_corr'), 2)})")
    ax_len.set(xlabel="reply length (characters, quantile bins)", ylabel="mean reward", title="Reward vs reply length")
    ax_len.grid(alpha=0.3)
    if series:
        ax_len.legend(fontsize="small")
    fig.savefig(path, dpi=110)


def plot_margins(report: dict, path: str | os.PathLike) -> None:
    fig, (ax, ax_r) = _figure(2, 5.6)
    series = _series(report)
    for label, e in series:
        h = e.get("margins/histogram") or {}
        if h.get("counts"):
            ax.stairs(h["counts"], h["edges"], label=f"{label} (wrong incl. ties {_f(1 - e['accuracy'], 2)})")
        r = e.get("rewards/histogram") or {}
        if r.get("edges"):
            line = ax_r.stairs(r["chosen"], r["edges"], label=f"{label}: chosen")
            ax_r.stairs(r["rejected"], r["edges"], ls="--", color=line.get_edgecolor(), label=f"{label}: rejected")
    ax.axvline(0, color="black", lw=1)
    ax.set(xlabel="margin r_chosen − r_rejected", ylabel="pairs", title="Reward margins (at or left of 0: ranked wrong)")
    ax_r.set(xlabel="reward", ylabel="replies", title="Rewards of chosen (solid) and rejected (dashed) replies")
    for a in (ax, ax_r):
        a.grid(alpha=0.3)
    if series:
        ax.legend(fontsize="small")
        ax_r.legend(fontsize="small")
    else:
        _empty(ax)
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------- helpers


def _benchmark_score(e: dict) -> str:
    for key in ("rewardbench", "rewardbench2"):
        if key in e and e[key].get("score") is not None:
            return _f(e[key]["score"])
    return "-"


def _where(source: str, row: int) -> str:
    if not source:
        return ""
    kind = "line" if source.lower().removesuffix(".gz").endswith(".jsonl") else "row"
    return f"{Path(source).name} {kind} {row}"


def json_safe(obj: Any) -> Any:
    """The report with nan/inf floats as None (strict JSON), containers rebuilt."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def _f(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _cell(text: Any, limit: int = 80) -> str:
    s = " ".join(str(text).split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 1] + "…"
