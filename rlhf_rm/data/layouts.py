"""Detect a row set's layout and normalize each row to `Example` fields, or say why it is bad."""

import math
import numbers
import os
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from rlhf_rm.data.interop import LAYOUTS as WHOLE_TABLE_LAYOUTS
from rlhf_rm.data.read import Table, Unparseable
from rlhf_rm.data.messages import ROLES, copy_messages, messages_problem, type_name
from rlhf_rm.data.records import BadRow, DataError, Example, Message

LABELS = ("bad", "ok", "good")  # pointwise labels, worst -> best; JSON true/false map to good/bad
LAYOUTS = {
    "hh-rlhf": "chosen/rejected transcripts with '\\n\\nHuman:' / '\\n\\nAssistant:' turns",
    "trl-explicit": "prompt, chosen, rejected (strings or message lists), optional margin",
    "trl-implicit": "chosen, rejected message lists (or strings) that share the prompt",
    "ranked": "instruction, output [best, ..., worst], optional input, history, system",
    "pointwise": "prompt, response or completion, score or label",
    **WHOLE_TABLE_LAYOUTS,  # annotate output, Label Studio, Argilla (rlhf_rm.data.interop)
}
_TURN = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}
_ASSISTANT = "\n\nAssistant:"
_FIRST_TURN = "Human:"


class _Bad(Exception):
    """Raised by the row normalizers; the message is the BadRow's reason."""


def normalize_table(table: Table, keep_ties: bool = False) -> tuple[str | None, list[Example], list[BadRow]]:
    """Detect the table's layout from its rows and normalize every row.

    Each object row is in the layout its own fields say (`row_layout`); the file is in the layout
    of at least two thirds of those rows (`file_layout`). A row in another layout is a bad row
    (`row is in layout X, the file is in layout Y`), never a reason to reject the rows that fit.
    A pair or list whose replies cannot be told apart (identical, or empty: `tied_replies`) is
    a bad row, since nothing can be learned from it, unless ``keep_ties``: evaluation keeps it,
    as RewardBench does, where it counts as not won.

    Returns (layout or None for a table without object rows, examples, bad rows).
    Raises DataError when no row matches a known layout, or when no layout holds two thirds.
    """
    votes = {number: row_layout(row) for number, row in table.rows if isinstance(row, dict)}
    layout = file_layout(table, votes) if votes else None
    examples, bad_rows = [], []
    for number, row in table.rows:
        try:
            if isinstance(row, Unparseable):
                raise _Bad(row.reason)
            if not isinstance(row, dict):
                raise _Bad(f"expected an object, got {type_name(row)}")
            if not _fits(row, votes[number], layout):
                raise _Bad(f"row is in layout {votes[number]}, the file is in layout {layout}")
            fields = _NORMALIZERS[layout](row)
            replies = fields["responses"]
            if not (keep_ties and len(replies) > 1):
                _check_replies(_reply_names(layout, row, len(replies)), replies)
            subset = None if row.get("subset") is None else str(row["subset"])
            examples.append(Example(**fields, source=table.source, row=number, subset=subset))
        except _Bad as bad:
            bad_rows.append(BadRow(table.source, number, str(bad), table.line_based))
    return layout, examples, bad_rows


def row_layout(row: dict) -> str | None:
    """The layout one row's own fields (those not null) say it is in, or None when they match
    none -- such a row is read in its file's layout, which then names the fields it lacks."""
    keys = {key for key, value in row.items() if value is not None}
    if {"instruction", "output"} <= keys:
        return "ranked"
    if keys & {"chosen", "rejected"}:
        if "prompt" in keys:
            return "trl-explicit"
        texts = (row.get(key) for key in ("chosen", "rejected"))
        return "hh-rlhf" if any(isinstance(t, str) and _TURN.search(t) for t in texts) else "trl-implicit"
    if keys & {"response", "completion"} and keys & {"score", "label"}:
        return "pointwise"
    return None


def file_layout(table: Table, votes: dict[int, str | None]) -> str:
    """The layout of at least two thirds of a table's rows that match one (`row_layout`).

    Raises DataError naming the columns when no row matches a known layout, and naming each
    layout's row count when the rows are genuinely mixed (no layout holds two thirds).
    """
    counts = Counter(vote for vote in votes.values() if vote is not None)
    if not counts:
        rows = [row for _, row in table.rows if isinstance(row, dict)]
        known = "; ".join(f"{name}: {fields}" for name, fields in LAYOUTS.items())
        raise DataError(
            f"{table.source}: columns {sorted(set().union(*rows))} match no known layout. Known layouts: {known}"
        )
    (layout, count), total = counts.most_common(1)[0], sum(counts.values())
    if 3 * count < 2 * total:
        unit = "line" if table.line_based else "row"
        first = {vote: number for number, vote in reversed(votes.items())}
        mixed = "; ".join(f"{name}: {n} rows, the first at {unit} {first[name]}" for name, n in counts.most_common())
        raise DataError(
            f"{table.source}: the rows mix layouts and none holds two thirds of them ({mixed}); "
            "a file must hold one layout -- put each layout in its own file (a folder or a list of "
            "files may mix layouts)"
        )
    return layout


def _fits(row: dict, vote: str | None, layout: str | None) -> bool:
    if vote in (None, layout):
        return True
    # a pair of plain strings (not transcripts, not message lists) is an implicit row by its
    # fields and also a broken row of the other pair layouts: it is read in the file's layout,
    # which says what is wrong (a transcript without turns, a missing prompt)
    messages = any(isinstance(row.get(key), (list, tuple)) for key in ("chosen", "rejected"))
    return vote == "trl-implicit" and layout in ("hh-rlhf", "trl-explicit") and not messages


def _hh(row: dict) -> dict:
    chosen, rejected = _fields(row, "chosen", "rejected")
    prompt, chosen = _split_transcript(_text(chosen, "chosen"), "chosen")
    other_prompt, rejected = _split_transcript(_text(rejected, "rejected"), "rejected")
    if prompt != other_prompt:
        raise _Bad("chosen and rejected have different prompts")
    return _pair(prompt, chosen, rejected, row)


def _split_transcript(text: str, name: str) -> tuple[list[Message], str]:
    # a transcript may open with its first "Human:" without the blank lines HH puts before each
    # turn (exports that strip the text): read it as the same turn
    opening = text.lstrip()
    if opening.startswith(_FIRST_TURN):
        text = "\n\n" + opening
    # the reply is everything after the LAST assistant marker; the turns before it are the prompt
    head, marker, reply = text.rpartition(_ASSISTANT)
    if not marker:
        raise _Bad(f"{name} transcript has no 'Assistant:' turn")
    if _TURN.search(reply):
        raise _Bad(f"{name} transcript ends with a 'Human:' turn, not an assistant reply")
    preamble, *turns = _TURN.split(head)
    if preamble.strip():
        raise _Bad(f"{name} transcript does not start with a 'Human:' turn")
    prompt = [
        {"role": _HH_ROLES[r], "content": c.strip()} for r, c in zip(turns[::2], turns[1::2], strict=True)
    ]
    return prompt, reply.strip()


def _explicit(row: dict) -> dict:
    prompt, chosen, rejected = _fields(row, "prompt", "chosen", "rejected")
    return _pair(_messages(prompt, "prompt"), _reply(chosen, "chosen"), _reply(rejected, "rejected"), row)


def _implicit(row: dict) -> dict:
    chosen, rejected = _fields(row, "chosen", "rejected")
    if isinstance(chosen, str) and isinstance(rejected, str):
        return _implicit_text(chosen, rejected, row)
    chosen, rejected = _conversation(chosen, "chosen"), _conversation(rejected, "rejected")
    shared = 0  # the prompt is the longest common prefix of messages (TRL's extract_prompt)
    while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:
        shared += 1
    if len(chosen) != shared + 1 or len(rejected) != shared + 1:
        raise _Bad("chosen and rejected have different prompts")
    for name, last in (("chosen", chosen[-1]), ("rejected", rejected[-1])):
        if last["role"] != "assistant":
            raise _Bad(f"{name} does not end with an assistant message")
    return _pair(chosen[:shared], chosen[-1]["content"], rejected[-1]["content"], row)


def _implicit_text(chosen: str, rejected: str, row: dict) -> dict:
    # plain strings: the prompt is the common prefix, backed off to a word boundary so a
    # word the replies merely start alike stays whole in both replies
    cut = len(os.path.commonprefix([chosen, rejected]))
    while cut > 0 and not chosen[cut - 1].isspace():
        cut -= 1
    prompt = chosen[:cut].rstrip()
    messages = [{"role": "user", "content": prompt}] if prompt else []
    return _pair(messages, chosen[len(prompt) :], rejected[len(prompt) :], row)


def _pair(prompt: list[Message], chosen: str, rejected: str, row: dict) -> dict:
    _check_prompt(prompt)
    margin = None if row.get("margin") is None else _number(row["margin"], "margin")
    return {"prompt": prompt, "responses": [chosen, rejected], "margin": margin}


def _ranked(row: dict) -> dict:
    instruction, output = _fields(row, "instruction", "output")
    query = _text(instruction, "instruction")
    extra = _text(row.get("input") or "", "input")
    if extra.strip():
        query = f"{query}\n{extra}"
    prompt = [{"role": "system", "content": _text(row["system"], "system")}] if row.get("system") else []
    history = row.get("history") or []
    if not isinstance(history, (list, tuple)):
        raise _Bad(f"history is not a list of [user, assistant] pairs (got {type_name(history)})")
    for i, turn in enumerate(history):
        if not (isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
            raise _Bad(f"history[{i}] is not a [user, assistant] pair of strings")
        prompt += [{"role": "user", "content": turn[0]}, {"role": "assistant", "content": turn[1]}]
    prompt.append({"role": "user", "content": query})
    if not isinstance(output, (list, tuple)):
        raise _Bad(f"output is not a list of ranked replies (got {type_name(output)})")
    if len(output) < 2:
        raise _Bad(f"ranked list has fewer than 2 replies (got {len(output)})")
    replies = [_text(reply, name) for reply, name in zip(output, _reply_names("ranked", row, len(output)), strict=True)]
    _check_prompt(prompt)
    return {"prompt": prompt, "responses": replies}


def _pointwise(row: dict) -> dict:
    (key,) = _reply_names("pointwise", row, 1)
    prompt, response = _fields(row, "prompt", key)
    prompt, reply = _messages(prompt, "prompt"), _reply(response, key)
    score = None if row.get("score") is None else _number(row["score"], "score")
    label = _label(row.get("label"))
    if score is None and label is None:
        raise _Bad("missing field 'score' or 'label'")
    _check_prompt(prompt)
    return {"prompt": prompt, "responses": [reply], "score": score, "label": label}


_NORMALIZERS: dict[str, Callable[[dict], dict]] = {
    "hh-rlhf": _hh,
    "trl-explicit": _explicit,
    "trl-implicit": _implicit,
    "ranked": _ranked,
    "pointwise": _pointwise,
}

# ---------------------------------------------------------------- field checks


def _fields(row: dict, *keys: str) -> list[Any]:
    missing = [k for k in keys if row.get(k) is None]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise _Bad(f"missing field{plural} {', '.join(repr(k) for k in missing)}")
    return [row[k] for k in keys]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{name} is not a string (got {type_name(value)})")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Bad(f"{name} is not a number (got {_short(value)})")
    if not math.isfinite(value):
        raise _Bad(f"{name} is not finite (got {value})")
    return float(value)


def _label(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):  # TRL's unpaired preference format
        return "good" if value else "bad"
    if isinstance(value, str) and value.strip().lower() in LABELS:
        return value.strip().lower()
    raise _Bad(f"unknown label {_short(value)} (known: {', '.join(LABELS)})")


def _messages(value: Any, name: str) -> list[Message]:
    """A prompt: a string (one user turn) or a list of messages."""
    return [{"role": "user", "content": value}] if isinstance(value, str) else _conversation(value, name)


def _conversation(value: Any, name: str) -> list[Message]:
    if problem := messages_problem(value, name, ROLES):
        raise _Bad(problem)
    return copy_messages(value)


def _reply(value: Any, name: str) -> str:
    """A reply: a string, or a list holding one assistant message (TRL conversational)."""
    if isinstance(value, str):
        return value
    messages = _conversation(value, name) if isinstance(value, (list, tuple)) else None
    if messages is None or len(messages) != 1 or messages[0]["role"] != "assistant":
        raise _Bad(f"{name} is not a string or a single assistant message (got {type_name(value)})")
    return messages[0]["content"]


def _check_prompt(prompt: list[Message]) -> None:
    if not prompt:
        raise _Bad("prompt is empty")
    if prompt[-1]["role"] != "user":
        raise _Bad(f"prompt ends with a {prompt[-1]['role']!r} turn, expected a 'user' turn")


def _reply_names(layout: str, row: dict, count: int) -> list[str]:
    """The field names of a row's replies, as bad-row reasons name them."""
    if layout == "ranked":
        return [f"output[{i}]" for i in range(count)]
    if layout == "pointwise":
        return ["completion" if row.get("response") is None and "completion" in row else "response"]
    return ["chosen", "rejected"]


def tied_replies(a: str, b: str) -> bool:
    """Whether a pair of replies cannot be told apart: the same text (up to surrounding
    whitespace), or either empty. Such a pair is never won: its margin says nothing."""
    return not a.strip() or not b.strip() or a.strip() == b.strip()


def _check_replies(names: list[str], replies: list[str]) -> None:
    seen: dict[str, str] = {}
    for name, reply in zip(names, replies, strict=True):
        if not reply.strip():
            raise _Bad(f"{name} reply is empty")
    for name, reply in zip(names, replies, strict=True):
        if (first := seen.setdefault(reply.strip(), name)) != name:
            if len(names) == 2:
                raise _Bad(f"{first} and {name} are identical")
            raise _Bad(f"{name} duplicates {first}")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
