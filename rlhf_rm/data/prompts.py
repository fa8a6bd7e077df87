"""Scoring files: (prompt, reply) rows read through the data layer, scored, given reward columns.

One place for what ``rlhf-rm score`` reads and writes, so the one-process command and the Ray
Data actors (``rlhf_rm.scale.ray_data``) read the same rows, name the same bad rows and write the
same columns:

    rows, bad_rows = read_scoring_rows("rollouts.jsonl")
    add_rewards(RewardFunction.from_pretrained("runs/rm"), rows)   # each row gains reward, raw_score
"""

from __future__ import annotations

from collections.abc import Sequence

from rlhf_rm.data import BadRow, DataError
from rlhf_rm.types import completion_text

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
            raise bad_rows_error(spec, err.bad_rows) from None
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


def bad_rows_error(spec: str, bad_rows: Sequence[BadRow]) -> DataError:
    """The error that stops scoring at bad rows: each one named with its file and line."""
    listing = "\n".join(f"  {bad}" for bad in bad_rows)
    return DataError(f"{len(bad_rows)} bad row(s) in {spec}:\n{listing}\n{SKIP_HINT}", list(bad_rows))
