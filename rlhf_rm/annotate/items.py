"""What an annotator is shown: items of one prompt and its 2..9 candidate replies.

Items come from any file the data layer reads that has at least two replies per prompt:
preference pairs (chosen/rejected are shown unlabeled, in a random order), ranked lists,
pointwise rows grouped by prompt, and ``rlhf-rm rerank``'s output (``candidates`` as strings or
as ``{"text": ...}`` objects). An item's id is a hash of its prompt and its set of replies, so the
same item keeps its id when the file is reordered, and a pair keeps it when chosen and rejected
are swapped.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from rlhf_rm.data.messages import EXPECTED_PROMPT, as_prompt
from rlhf_rm.data.records import DataError, Message

MAX_REPLIES = 9  # keys 1..9 choose a reply
_CANDIDATE_KEYS = ("candidates", "responses", "completions")
_PREFERENCE_KEYS = ("chosen", "rejected", "instruction", "output", "response", "completion")


@dataclass(frozen=True)
class Item:
    """One prompt and its replies in file order (a pair: [chosen, rejected], never shown so)."""

    item_id: str
    prompt: list[Message]
    replies: list[str]
    source: str = ""
    row: int = 0


def item_id(prompt: list[Message], replies: list[str]) -> str:
    """A stable id from the prompt and the set of replies (their order does not matter)."""
    text = json.dumps([[[m["role"], m["content"]] for m in prompt], sorted(replies)], ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def shown_order(item: Item, annotator: str, seed: int = 0) -> list[int]:
    """The replies' indices in the order this annotator sees them: random per (item, annotator),
    but the same on every reload and after a restart, so a resumed page shows what was recorded."""
    key = hashlib.blake2b(f"{seed}|{item.item_id}|{annotator}".encode(), digest_size=8).digest()
    order = list(range(len(item.replies)))
    random.Random(int.from_bytes(key, "big")).shuffle(order)
    return order


def load_items(spec: str | list[str]) -> list[Item]:
    """Items from a data spec (see module docstring), in file order, each item once.

    Raises DataError naming the file and row when a row has more than MAX_REPLIES replies, and
    when no prompt has two replies.
    """
    items = _candidate_items(spec)
    if items is None:
        items = _preference_items(spec)
    unique = list({item.item_id: item for item in reversed(items)}.values())[::-1]  # first of each id
    for item in unique:
        if len(item.replies) > MAX_REPLIES:
            raise DataError(
                f"{item.source} row {item.row}: {len(item.replies)} replies; the page shows at most "
                f"{MAX_REPLIES} (keys 1-{MAX_REPLIES}). Split the candidates or rerank with a smaller --n."
            )
    if not unique:
        raise DataError(f"{spec}: no prompt with at least two different replies to compare")
    return unique


def _preference_items(spec: str | list[str]) -> list[Item]:
    from rlhf_rm.data import load_examples

    loaded = load_examples(spec, on_bad_row="skip")
    items: list[Item] = []
    grouped: dict[str, list] = {}  # pointwise rows: one item per prompt with >= 2 replies
    for ex in loaded.examples:
        if ex.kind == "pointwise":
            grouped.setdefault(json.dumps(ex.prompt, ensure_ascii=False), []).append(ex)
        else:
            items.append(Item(item_id(ex.prompt, ex.responses), ex.prompt, list(ex.responses), ex.source, ex.row))
    for group in grouped.values():
        replies = list(dict.fromkeys(r for ex in group for r in ex.responses))
        if len(replies) >= 2:
            first = group[0]
            items.append(Item(item_id(first.prompt, replies), first.prompt, replies, first.source, first.row))
    return items


def _candidate_items(spec: str | list[str]) -> list[Item] | None:
    """Items from rows ``{"prompt": ..., "candidates": [...]}``; None when the rows are not such."""
    from rlhf_rm.data.read import Unparseable, read_spec

    specs = [spec] if isinstance(spec, str) else list(spec)
    tables = [t for s in specs for t in read_spec(str(s), "train")]
    rows = [(t, n, row) for t in tables for n, row in t.rows]
    dicts = [row for _, _, row in rows if isinstance(row, dict)]
    if not dicts or not all("prompt" in r and any(k in r for k in _CANDIDATE_KEYS) for r in dicts):
        return None
    if any(k in r for r in dicts for k in _PREFERENCE_KEYS):
        return None
    items = []
    for table, number, row in rows:
        where = f"{table.source} {'line' if table.line_based else 'row'} {number}"
        if isinstance(row, Unparseable):
            raise DataError(f"{where}: {row.reason}")
        prompt = _prompt(row.get("prompt"), where)
        key = next(k for k in _CANDIDATE_KEYS if k in row)
        replies = list(dict.fromkeys(_candidate_text(c, f"{where}: {key}[{i}]") for i, c in enumerate(row[key])))
        if len(replies) >= 2:
            items.append(Item(item_id(prompt, replies), prompt, replies, table.source, number))
    return items


def _prompt(value, where: str) -> list[Message]:
    prompt = as_prompt(value)
    if prompt is None:
        raise DataError(f"{where}: 'prompt' must be {EXPECTED_PROMPT}")
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def _candidate_text(value, where: str) -> str:
    text = value.get("text") if isinstance(value, dict) else value  # rerank output: {"text", "score"}
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where} is not a non-empty string or a {{'text': ...}} object")
    return text
