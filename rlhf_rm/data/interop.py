"""Two labeling tools' exports as layouts: Label Studio's pairwise preference tasks and Argilla's
preference / ranking records.

Label Studio (JSON export of a project on the "human preference for RLHF" pairwise template):
a list of tasks ``{"data": {"prompt", "answer1", "answer2", ...}, "annotations": [{"result":
[{"type": "pairwise", "to_name": "answer1,answer2", "value": {"selected": "left" | "right"}}],
"was_cancelled": false, "completed_by": ...}]}``. Each completed annotation is one pair: "left"
is the first object of ``to_name``. ``data.messages`` (written by ``rlhf-rm annotate export``)
keeps a multi-turn prompt exactly; without it ``data.prompt`` is one user turn.

Argilla (records exported with ``dataset.records.to_list(flatten=True)`` / ``to_datasets()``, or
the 1.x ``FeedbackDataset`` Hugging Face export): text fields hold the prompt and the replies; a
ranking question's responses name the reply fields, best first -- 2.x as ``Q.responses`` (one
list of field names per user) with ``Q.responses.users`` and ``Q.responses.status``, 1.x as a
column ``Q`` of ``{"user_id", "value": [{"value": field, "rank": r}], "status"}``. Each submitted
response is one pair or ranked list; drafts, discarded responses and ranks with ties are left out
and counted.
"""

from __future__ import annotations

from typing import Any

from rlhf_rm.data import annotations
from rlhf_rm.data.messages import copy_messages, messages_problem
from rlhf_rm.data.records import BadRow, Example, Message

LAYOUTS = {  # read as whole tables (see normalize_whole_table), listed with the data layer's layouts
    "annotations": "rlhf-rm annotate output: judgement_id, item_id, annotator + prompt/chosen/rejected, ranking, ratings",
    "label-studio": "Label Studio export: data {prompt, answer1, answer2}, annotations [pairwise result]",
    "argilla": "Argilla export: prompt and reply text fields, a ranking question's responses",
}
_PROMPT_FIELDS = ("prompt", "instruction", "question", "input")


class _Left(Exception):
    """A row left out on purpose (counted under the message), not an error."""


def detect(columns: set[str], rows: list[dict]) -> str | None:
    """'label-studio', 'argilla' or None, from a table's columns and object rows."""
    if {"data", "annotations"} <= columns and all(isinstance(r.get("data"), dict) for r in rows):
        return "label-studio"
    if _argilla_question(columns, rows) is not None:
        return "argilla"
    return None


def normalize(layout: str, source: str, rows: list[tuple[int, Any]], line_based: bool
              ) -> tuple[list[Example], list[BadRow], dict[str, int]]:
    """(examples, bad rows, counts of what was left out on purpose) for a detected table."""
    dicts = [row for _, row in rows if isinstance(row, dict)]
    question = _argilla_question(set().union(*dicts), dicts) if layout == "argilla" else None
    examples, bad, left_out = [], [], {}
    for number, row in rows:
        try:
            if not isinstance(row, dict):
                raise ValueError(getattr(row, "reason", None) or "expected an object")
            pieces = _label_studio(row) if layout == "label-studio" else _argilla(row, question)
        except ValueError as err:
            bad.append(BadRow(source, number, str(err), line_based))
            continue
        for piece in pieces:
            if isinstance(piece, str):
                left_out[piece] = left_out.get(piece, 0) + 1
            else:
                prompt, replies = piece
                examples.append(Example(prompt, replies, source=source, row=number))
    return examples, bad, left_out


# ---- Label Studio ------------------------------------------------------------------------------

def _label_studio(row: dict) -> list:
    data, annotations = row["data"], row.get("annotations") or []
    prompt = _ls_prompt(data)
    if not annotations:
        return ["unlabeled"]
    out: list = []
    for i, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise ValueError(f"annotations[{i}] is not an object")
        if annotation.get("was_cancelled"):
            out.append("cancelled")
            continue
        results = [r for r in annotation.get("result") or [] if isinstance(r, dict) and r.get("type") == "pairwise"]
        if not results:
            out.append("without a pairwise choice")
            continue
        left, right = _ls_objects(results[0], data, i)
        selected = (results[0].get("value") or {}).get("selected")
        if selected not in ("left", "right"):
            raise ValueError(f"annotations[{i}] pairwise value 'selected' is {selected!r}, expected 'left' or 'right'")
        out.append((prompt, [left, right] if selected == "left" else [right, left]))
    return out


def _ls_prompt(data: dict) -> list[Message]:
    messages = data.get("messages")
    if messages_problem(messages, "data.messages") is None:
        return copy_messages(messages)
    return [{"role": "user", "content": _text(data.get("prompt"), "data.prompt")}]


def _ls_objects(result: dict, data: dict, i: int) -> tuple[str, str]:
    names = [n.strip() for n in str(result.get("to_name", "")).split(",") if n.strip()]
    if len(names) != 2 or not all(n in data for n in names):
        names = ["answer1", "answer2"]  # the template's own names
    left, right = (_text(data.get(n), f"data.{n}") for n in names)
    if left == right:
        raise ValueError(f"annotations[{i}]: the two answers are identical")
    return left, right


# ---- Argilla -----------------------------------------------------------------------------------

def _argilla_question(columns: set[str], rows: list[dict]) -> tuple[str, str] | None:
    """(question name, '2' | '1') of the first ranking question found, or None."""
    for column in sorted(columns):
        if column.endswith(".responses") and f"{column}.users" in columns:
            return column.removesuffix(".responses"), "2"
    for column in sorted(columns):
        values = [r.get(column) for r in rows if isinstance(r.get(column), list) and r.get(column)]
        if values and all(isinstance(v, dict) and {"user_id", "value"} <= set(v) for vs in values for v in vs):
            return column, "1"
    return None


def _argilla(row: dict, question: tuple[str, str]) -> list:
    name, version = question
    if version == "2":
        values = row.get(f"{name}.responses") or []
        statuses = row.get(f"{name}.responses.status") or [None] * len(values)
        responses = list(zip(values, statuses))
    else:
        responses = [(r.get("value"), r.get("status")) for r in row.get(name) or [] if isinstance(r, dict)]
    if not responses:
        return ["unlabeled"]
    prompt = [{"role": "user", "content": _argilla_prompt(row)}]
    out: list = []
    for value, status in responses:
        if status not in (None, "submitted"):
            out.append(f"{status} responses")
            continue
        ranked = _argilla_ranking(value, name)
        if ranked is None:
            out.append("ties")
            continue
        out.append((prompt, [_text(row.get(f), f"field {f!r} named by {name}") for f in ranked]))
    return out


def _argilla_prompt(row: dict) -> str:
    for key in _PROMPT_FIELDS:
        if isinstance(row.get(key), str) and row[key].strip():
            return row[key]
    raise ValueError(f"no prompt field (one of {', '.join(_PROMPT_FIELDS)})")


def _argilla_ranking(value: Any, name: str) -> list[str] | None:
    """Field names best first; None when two replies share a rank."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        ranked = value  # 2.x: names in rank order
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "value" in v for v in value):
        ranks = [v.get("rank") for v in value]  # 1.x: {"value", "rank"}, rank 1 best
        if any(not isinstance(r, int) for r in ranks):
            raise ValueError(f"{name} response has a rank that is not an integer")
        if len(set(ranks)) != len(ranks):
            return None
        ranked = [v["value"] for v in sorted(value, key=lambda v: v["rank"])]
    else:
        raise ValueError(f"{name} response is not a ranking (a list of field names or of {{'value', 'rank'}})")
    if len(ranked) < 2:
        raise ValueError(f"{name} response ranks fewer than 2 replies")
    return ranked


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is missing or not a non-empty string")
    return value


# ---- the whole-table layouts, for the data layer -----------------------------------------------

def normalize_whole_table(table) -> tuple[str, list[Example], list[BadRow], dict[str, int]] | None:
    """(layout, examples, bad rows, left-out counts) for a table read as a whole -- rlhf-rm
    annotate's output (retractions refer to other lines), a Label Studio or an Argilla export
    (one row may hold several annotators' labels) -- or None for a table of one-row layouts."""
    rows = [row for _, row in table.rows if isinstance(row, dict)]
    columns = set().union(*rows) if rows else set()
    if rows and annotations.is_annotation_table(columns):
        return (annotations.LAYOUT, *annotations.normalize_annotations(table.source, table.rows))
    layout = detect(columns, rows) if rows else None
    if layout is None:
        return None
    return (layout, *normalize(layout, table.source, table.rows, table.line_based))
