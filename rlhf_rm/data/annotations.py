"""The layout of `rlhf-rm annotate`'s output: one judgement a line, read by `train` as is.

A line is a judgement of one item by one annotator -- a pair in TRL's explicit layout
(``prompt``, ``chosen``, ``rejected``), a ranking (``prompt``, ``ranking`` best -> worst), a tie
(``"tie": true``) or a skip (``"skip": true``), optionally with 1-5 ``ratings`` of single
replies (pointwise rows) -- or a retraction (``{"retracts": judgement_id, ...}``, an undo).
Every line carries ``judgement_id``, ``item_id`` and ``annotator``.

Reading keeps the first line of each ``judgement_id`` and drops retracted judgements; ties and
skips are left out and counted, never an error. This module is the one place that decides which
judgements stand: the data layer, the labeling server's store and the statistics all call
`resolve`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rlhf_rm.data.messages import ROLES, copy_messages, messages_problem
from rlhf_rm.data.records import BadRow, Example, Message

LAYOUT = "annotations"
KEY_COLUMNS = frozenset({"judgement_id", "item_id", "annotator"})


@dataclass
class Resolved:
    """The judgements that stand, in file order, and what was left out."""

    active: list[tuple[int, dict]]  # (line, row): not retracted, first of its judgement_id
    retracted: int = 0  # judgements undone by a later retraction line
    duplicates: int = 0  # repeated judgement_ids (a retried request written twice by other tools)
    retractions: list[tuple[int, dict]] = field(default_factory=list)


def is_annotation_table(columns: Iterable[str]) -> bool:
    return KEY_COLUMNS <= set(columns)


def resolve(rows: Iterable[tuple[int, Any]]) -> Resolved:
    """Which judgements stand: the first row of each judgement_id that no retraction names.

    Rows that are not objects or lack a judgement_id are ignored here (the caller reports them).
    """
    first: dict[str, tuple[int, dict]] = {}
    retractions: list[tuple[int, dict]] = []
    duplicates = 0
    for number, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("judgement_id"), str):
            continue
        if row["judgement_id"] in first:
            duplicates += 1
            continue
        first[row["judgement_id"]] = (number, row)
        if "retracts" in row:
            retractions.append((number, row))
    undone = {  # a retraction undoes a judgement of its own annotator only
        r["retracts"] for _, r in retractions
        if r["retracts"] in first and first[r["retracts"]][1].get("annotator") == r.get("annotator")
    }
    active = [(n, row) for jid, (n, row) in first.items() if "retracts" not in row and jid not in undone]
    return Resolved(active, len(undone), duplicates, retractions)


def normalize_annotations(source: str, rows: list[tuple[int, Any]]) -> tuple[list[Example], list[BadRow], dict[str, int]]:
    """Examples from an annotations file: pairs, rankings and ratings of the judgements that
    stand. Returns (examples, bad rows, counts of what was left out on purpose)."""
    resolved = resolve(rows)
    bad = [BadRow(source, n, _why_unusable(row), True) for n, row in rows
           if not isinstance(row, dict) or not isinstance(row.get("judgement_id"), str)]
    examples: list[Example] = []
    left_out = {"ties": 0, "skips": 0, "retracted": resolved.retracted, "duplicates": resolved.duplicates}
    for number, row in resolved.active:
        try:
            new = _examples(row, source, number)
        except ValueError as err:
            bad.append(BadRow(source, number, str(err), True))
            continue
        if row.get("tie") is True:
            left_out["ties"] += 1
        elif row.get("skip") is True:
            left_out["skips"] += 1
        examples += new
    bad.sort(key=lambda b: b.row)
    return examples, bad, {k: v for k, v in left_out.items() if v}


def _why_unusable(row: Any) -> str:
    if not isinstance(row, dict):
        return getattr(row, "reason", None) or "expected a judgement object"
    return "missing field 'judgement_id' (a string)"


def _examples(row: dict, source: str, number: int) -> list[Example]:
    """A judgement's training examples: its pair or ranking (none for a tie or a skip) and one
    pointwise example per rated reply."""
    if row.get("skip") is True:
        return []
    prompt = _prompt(row.get("prompt"))
    out = []
    if row.get("tie") is not True:
        if "ranking" in row:
            replies = _texts(row["ranking"], "ranking")
        elif "chosen" in row or "rejected" in row:
            replies = [_text(row.get("chosen"), "chosen"), _text(row.get("rejected"), "rejected")]
        else:
            raise ValueError("judgement has no 'chosen'/'rejected', 'ranking', 'tie' or 'skip'")
        if len(set(replies)) != len(replies):
            raise ValueError("a reply appears twice in the judgement")
        out.append(Example(prompt, replies, source=source, row=number))
    for i, rating in enumerate(row.get("ratings") or []):
        if not isinstance(rating, dict):
            raise ValueError(f"ratings[{i}] is not an object with 'response' and 'score'")
        score = rating.get("score")
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise ValueError(f"ratings[{i}].score is not a number")
        reply = _text(rating.get("response"), f"ratings[{i}].response")
        out.append(Example(prompt, [reply], score=float(score), source=source, row=number))
    return out


def _prompt(value: Any) -> list[Message]:
    if isinstance(value, str) and value.strip():
        return [{"role": "user", "content": value}]
    if messages_problem(value, "prompt", ROLES):
        raise ValueError("prompt is not a string or a list of {'role', 'content'} messages")
    if value[-1]["role"] != "user":
        raise ValueError(f"prompt ends with a {value[-1]['role']!r} turn, expected a 'user' turn")
    return copy_messages(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is not a non-empty string")
    return value


def _texts(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError(f"{name} is not a list of at least 2 replies")
    return [_text(v, f"{name}[{i}]") for i, v in enumerate(value)]
