"""Prompt files: what ``rlhf-rm score`` scores, and what rerank, chat and PPO sample from.

* Scoring rows: (prompt, reply) rows read through the data layer, so the one-process command
  and the Ray Data actors (``rlhf_rm.scale.ray_data``) read the same rows and name the same bad
  rows (``rlhf_rm.reward.add_rewards`` gives them their reward columns):

      rows, bad_rows = read_scoring_rows("rollouts.jsonl")

* Prompts to sample from (``read_prompts``) and prompt + candidate rows to rerank
  (``prompt_rows``, ``prompt_value``).
"""

from __future__ import annotations

import json
from pathlib import Path

from rlhf_rm.data import BadRow, DataError, load_examples
from rlhf_rm.data.messages import EXPECTED_PROMPT, as_prompt
from rlhf_rm.data.read import Unparseable, read_spec
from rlhf_rm.data.records import bad_rows_error
from rlhf_rm.types import Message, Prompt, completion_text

SKIP_HINT = "Fix these rows, or pass --on-bad-row skip to drop them (they are listed)."


def read_scoring_rows(spec: str, on_bad_row: str = "error") -> tuple[list[dict], list[BadRow]]:
    """One record per (prompt, reply): rows of ``prompt`` + ``response``/``completion`` (no
    score needed), or every reply of any data ``rlhf_rm.data.load_examples`` reads; and the
    bad rows skipped (``on_bad_row="skip"``, preference data only)."""
    from rlhf_rm.data.read import Unparseable, read_spec

    tables = read_spec(spec, "train")
    dicts = [row for t in tables for _, row in t.rows if isinstance(row, dict)]
    simple = dicts and all("prompt" in r and ("response" in r or "completion" in r) for r in dicts) and not any(
        k in r for r in dicts for k in ("chosen", "rejected", "output"))
    if not simple:
        from rlhf_rm.data import load_examples

        try:
            loaded = load_examples(spec, on_bad_row=on_bad_row)
        except DataError as err:
            if not err.bad_rows:
                raise
            raise bad_rows_error(spec, err.bad_rows, SKIP_HINT) from None
        rows = [
            {"source": e.source, "row": e.row, "prompt": e.prompt, "response": reply, "index": i}
            for e in loaded.examples
            for i, reply in enumerate(e.responses)
        ]
        return rows, loaded.bad_rows
    out = []
    for t in tables:
        for number, row in t.rows:
            where = f"{t.source} {'line' if t.line_based else 'row'} {number}"
            if isinstance(row, Unparseable) or not isinstance(row, dict):
                raise ValueError(f"{where}: {getattr(row, 'reason', 'expected an object')}")
            reply = row.get("response", row.get("completion"))
            prompt = row.get("prompt")
            if not isinstance(prompt, (str, list)) or not isinstance(reply, (str, list)):
                raise ValueError(f"{where}: 'prompt' and 'response' must be strings or message lists")
            # the row's own columns (a score or label to compare with, ids) travel along
            out.append({**row, "source": t.source, "row": number, "prompt": prompt, "response": completion_text(reply)})
    return out, []


# ---- prompts to sample from, and candidates to rerank ------------------------------------


def read_prompts(spec: str) -> list[Prompt]:
    """Prompts from a file: a .txt file (one prompt a line); rows with a ``prompt`` (a string or
    a message list) and no replies; or any preference data ``rlhf_rm.data.load_examples`` reads
    (each distinct prompt once, in order)."""
    if spec.endswith(".txt"):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"{spec}: no such prompts file")
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = prompt_rows(spec)
    if rows is not None:
        return [prompt_value(row, where) for where, row in rows]
    seen: dict[str, list[Message]] = {}
    for example in load_examples(spec).examples:
        seen.setdefault(json.dumps(example.prompt, ensure_ascii=False), example.prompt)
    return list(seen.values())


REPLY_KEYS = ("candidates", "responses", "completions")
_PREFERENCE_KEYS = ("chosen", "rejected", "instruction", "output", "response", "completion")


def prompt_rows(spec: str, need_replies: bool = False) -> list[tuple[str, dict]] | None:
    """("FILE line N", row) for a prompt (or prompt + candidates) file; None for preference data."""
    rows = [(f"{t.source} {'line' if t.line_based else 'row'} {n}", row)
            for t in read_spec(spec, "train") for n, row in t.rows]
    dicts = [row for _, row in rows if isinstance(row, dict)]
    if not dicts or not all("prompt" in row for row in dicts):
        return None
    if any(k in row for row in dicts for k in _PREFERENCE_KEYS):
        return None
    if need_replies and not any(k in row for row in dicts for k in REPLY_KEYS):
        raise ValueError(f"{spec}: rows have a prompt but no 'candidates' list to rerank")
    for where, row in rows:
        if isinstance(row, Unparseable):
            raise ValueError(f"{where}: {row.reason}")
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected an object with a 'prompt'")
    return rows


def prompt_value(row: dict, where: str) -> Prompt:
    """A row's ``prompt``: a non-empty string or a list of {'role', 'content'} messages."""
    prompt = as_prompt(row.get("prompt"))
    if prompt is None:
        raise ValueError(f"{where}: 'prompt' must be {EXPECTED_PROMPT}")
    return prompt
