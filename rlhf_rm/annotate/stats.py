"""How far the labels can be trusted: counts, time, agreement, position bias, ties, model agreement.

Agreement is measured on the items judged by two or more annotators (skips left out). Each
judgement's label is the winning reply's index in the item (its file order, so the same for
every annotator whatever order they saw) or ``tie``. Reported: raw agreement (the share of
annotator pairs on an item that agree), Cohen's kappa for every pair of annotators on their
shared items (Cohen 1960), and Krippendorff's alpha (nominal) over all annotators, which allows
any number of annotators and missing labels (Krippendorff 2011, "Computing Krippendorff's
Alpha-Reliability"; computed by the `krippendorff` package).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from itertools import combinations

from rlhf_rm.data.annotations import resolve

Scorer = Callable[[list, list], list[float]]  # the one reward interface: (prompts, replies) -> scores
TIE = "tie"


def read_judgements(spec: str) -> list[dict]:
    """The judgements that stand in an annotations file (retractions applied, ids deduplicated)."""
    from rlhf_rm.data.read import read_spec

    rows = [(n, row) for table in read_spec(spec, "train") for n, row in table.rows]
    return [row for _, row in resolve(rows).active]


def annotation_stats(judgements: Sequence[dict], scorer: Scorer | None = None) -> dict:
    """Every figure `rlhf-rm annotate stats` prints, as one JSON-ready dict."""
    decided = [j for j in judgements if not j.get("skip")]
    choices = [j for j in decided if not j.get("tie")]
    stats: dict = {
        "judgements": len(judgements),
        "items": len({j.get("item_id") for j in judgements}),
        "annotators": _per_annotator(judgements),
        "agreement": agreement(judgements),
        "position_bias": _position_bias(choices),
        "tie_rate": _ratio(len(decided) - len(choices), len(decided)),
    }
    if scorer is not None:
        stats["model_agreement"] = model_agreement(choices, scorer)
    return stats


def _per_annotator(judgements: Sequence[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in sorted({j.get("annotator", "") for j in judgements}):
        mine = [j for j in judgements if j.get("annotator", "") == name]
        seconds = [float(j["seconds_spent"]) for j in mine if isinstance(j.get("seconds_spent"), (int, float))]
        out[name] = {
            "judgements": len(mine),
            "ties": sum(bool(j.get("tie")) for j in mine),
            "skips": sum(bool(j.get("skip")) for j in mine),
            "median_seconds": statistics.median(seconds) if seconds else None,
        }
    return out


def label(judgement: dict) -> str | None:
    """The judgement's category for agreement: the winner's index in the item, 'tie', or None
    (a skip, or a row without the shown order and choice needed to place the winner)."""
    if judgement.get("skip"):
        return None
    if judgement.get("tie"):
        return TIE
    order, choice = judgement.get("shown_order"), judgement.get("choice")
    if not (isinstance(order, list) and isinstance(choice, list) and choice):
        return None
    return str(order[choice[0]])


def agreement(judgements: Sequence[dict]) -> dict:
    """Raw agreement, Cohen's kappa per annotator pair and Krippendorff's alpha on the overlap."""
    labels: dict[str, dict[str, str]] = {}  # item -> annotator -> label
    for j in judgements:
        value = label(j)
        if value is not None:
            labels.setdefault(j.get("item_id"), {})[j.get("annotator", "")] = value
    shared = {item: by for item, by in labels.items() if len(by) >= 2}
    pairs = [(a == b) for by in shared.values() for a, b in combinations(by.values(), 2)]
    annotators = sorted({a for by in shared.values() for a in by})
    kappas = {}
    for a, b in combinations(annotators, 2):
        both = [(by[a], by[b]) for by in shared.values() if a in by and b in by]
        if both:
            kappas[f"{a}|{b}"] = cohen_kappa(both)
    return {
        "items_with_overlap": len(shared),
        "raw": _ratio(sum(pairs), len(pairs)),
        "cohen_kappa": kappas,
        "krippendorff_alpha": krippendorff_alpha(shared, annotators),
    }


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """(p_o - p_e) / (1 - p_e) for two annotators' labels on the same items; None when chance
    agreement is already 1 (both gave one and the same label throughout)."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    expected = sum(first.count(c) * second.count(c) for c in set(first) | set(second)) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha(labels: dict[str, dict[str, str]], annotators: Sequence[str]) -> float | None:
    """Nominal alpha over an annotators x items matrix with missing labels; None when it is
    undefined (no item with two labels, or a single label value throughout)."""
    values = sorted({v for by in labels.values() for v in by.values()})
    if not labels or len(values) < 2:
        return None
    import krippendorff
    import numpy as np

    code = {v: i for i, v in enumerate(values)}
    matrix = np.full((len(annotators), len(labels)), np.nan)
    for col, by in enumerate(labels.values()):
        for row, name in enumerate(annotators):
            if name in by:
                matrix[row, col] = code[by[name]]
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def _position_bias(choices: Sequence[dict]) -> dict:
    placed = [j for j in choices if isinstance(j.get("choice"), list) and j["choice"]]
    firsts = sum(j["choice"][0] == 0 for j in placed)
    expected = sum(1 / len(j["choice"]) for j in placed)
    return {"judgements": len(placed), "first_shown_win_rate": _ratio(firsts, len(placed)),
            "expected_if_unbiased": _ratio(expected, len(placed))}


def model_agreement(choices: Sequence[dict], scorer: Scorer) -> dict[str, float | None]:
    """Per annotator: how often the reward model scores the annotator's best reply highest."""
    groups = [(j, [j["chosen"], j["rejected"]] if "chosen" in j else list(j.get("ranking", []))) for j in choices]
    groups = [(j, replies) for j, replies in groups if len(replies) >= 2]
    prompts = [j["prompt"] for j, replies in groups for _ in replies]
    scores = scorer(prompts, [r for _, replies in groups for r in replies]) if groups else []
    hits: dict[str, list[bool]] = {}
    pos = 0
    for j, replies in groups:
        mine = scores[pos : pos + len(replies)]
        pos += len(replies)
        hits.setdefault(j.get("annotator", ""), []).append(max(range(len(mine)), key=mine.__getitem__) == 0)
    return {name: _ratio(sum(h), len(h)) for name, h in sorted(hits.items())}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def format_stats(stats: dict) -> str:
    """The stats as a few readable lines."""
    lines = [f"{stats['judgements']} judgements of {stats['items']} items"]
    for name, s in stats["annotators"].items():
        median = "-" if s["median_seconds"] is None else f"{s['median_seconds']:.1f} s"
        lines.append(f"  {name}: {s['judgements']} judgements ({s['ties']} ties, {s['skips']} skips), median {median}")
    a = stats["agreement"]
    lines.append(f"agreement on {a['items_with_overlap']} shared items: raw {_fmt(a['raw'])}, "
                 f"Krippendorff's alpha {_fmt(a['krippendorff_alpha'])}")
    lines += [f"  Cohen's kappa {pair.replace('|', ' vs ')}: {_fmt(k)}" for pair, k in a["cohen_kappa"].items()]
    p = stats["position_bias"]
    lines.append(f"first-shown reply wins {_fmt(p['first_shown_win_rate'])} "
                 f"(unbiased: {_fmt(p['expected_if_unbiased'])}); tie rate {_fmt(stats['tie_rate'])}")
    for name, rate in stats.get("model_agreement", {}).items():
        lines.append(f"  {name} agrees with the reward model on {_fmt(rate)}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
