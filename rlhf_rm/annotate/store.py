"""The append-only judgement store: one JSON line per judgement, fsync'd before it is acknowledged.

Nothing is ever rewritten. An undo appends a retraction line. A judgement resubmitted with the
same ``judgement_id`` (a retry after a network error) is stored once. On opening, a last line
cut short by a crash (it was never acknowledged, since the acknowledgement follows the fsync) is
trimmed away, and every annotator's finished items are read back, so a restarted server resumes
each annotator at the next unlabeled item.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rlhf_rm.annotate.items import Item
from rlhf_rm.checkpoint import fsync_dir
from rlhf_rm.data.annotations import resolve


class StoreConflict(ValueError):
    """A write the store refuses: a judgement_id used by another annotator, an item judged twice."""


@dataclass(frozen=True)
class Verdict:
    """What an annotator decided about one shown item, in shown positions (0-based)."""

    action: str  # "choose" | "tie" | "skip"
    ranking: tuple[int, ...] = ()  # choose: shown positions, best first, covering every reply
    ratings: tuple[int | None, ...] = ()  # optional 1-5 per shown position
    comment: str = ""
    seconds_spent: float = 0.0


def judgement_row(item: Item, annotator: str, order: list[int], verdict: Verdict, judgement_id: str) -> dict:
    """One output line: TRL explicit pair / ranking / tie / skip, plus the bookkeeping fields."""
    shown = [item.replies[i] for i in order]
    row: dict = {"prompt": item.prompt}
    if verdict.action == "choose":
        ranked = [shown[p] for p in verdict.ranking]
        if len(ranked) == 2:
            row.update(chosen=ranked[0], rejected=ranked[1])
        else:
            row["ranking"] = ranked
        row["choice"] = list(verdict.ranking)
    elif verdict.action == "tie":
        row.update(tie=True, responses=shown)
    else:
        row["skip"] = True
    rated = [{"response": shown[p], "score": r} for p, r in enumerate(verdict.ratings) if r is not None]
    if rated and verdict.action != "skip":
        row["ratings"] = rated
    if verdict.comment:
        row["comment"] = verdict.comment
    row.update(item_id=item.item_id, annotator=annotator, time=_now(),
               seconds_spent=round(verdict.seconds_spent, 3), shown_order=order, judgement_id=judgement_id)
    return row


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class AnnotationStore:
    """The output file and the judgements that stand in it (thread-safe)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._rows = _read_repairing(self.path)
        self._file = open(self.path, "a", encoding="utf-8")
        with contextlib.suppress(OSError):  # a folder that cannot be fsync'd must not stop labeling
            fsync_dir(self.path.parent)  # the new file's directory entry survives a crash too
        self._ids = {row["judgement_id"]: row for _, row in self._rows if isinstance(row.get("judgement_id"), str)}
        self._reindex()

    def close(self) -> None:
        self._file.close()

    def _reindex(self) -> None:
        self._active: dict[str, list[dict]] = {}  # annotator -> judgements that stand, oldest first
        for _, row in resolve(self._rows).active:
            self._active.setdefault(row.get("annotator", ""), []).append(row)

    def active(self, annotator: str) -> list[dict]:
        with self._lock:
            return list(self._active.get(annotator, []))

    def done_items(self, annotator: str) -> set[str]:
        with self._lock:
            return {row["item_id"] for row in self._active.get(annotator, [])}

    def count_active(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._active.values())

    def get(self, judgement_id: str) -> dict | None:
        with self._lock:
            return self._ids.get(judgement_id)

    def add(self, row: dict) -> tuple[dict, bool]:
        """Append a judgement; returns (the stored row, whether it was already there)."""
        with self._lock:
            stored = self._existing(row)
            if stored is not None:
                return stored, True
            if any(r["item_id"] == row["item_id"] for r in self._active.get(row["annotator"], [])):
                raise StoreConflict(f"{row['annotator']} has already judged item {row['item_id']}")
            self._append(row)
            self._active.setdefault(row["annotator"], []).append(row)
            return row, False

    def retract_last(self, annotator: str, judgement_id: str) -> tuple[dict | None, bool]:
        """Undo the annotator's latest judgement that stands; returns (the retraction row or None
        when there is nothing to undo, whether this judgement_id was already stored)."""
        with self._lock:
            stored = self._existing({"judgement_id": judgement_id, "annotator": annotator})
            if stored is not None:
                return stored, True
            mine = self._active.get(annotator, [])
            if not mine:
                return None, False
            target = mine.pop()
            row = {"retracts": target["judgement_id"], "item_id": target["item_id"], "annotator": annotator,
                   "time": _now(), "judgement_id": judgement_id}
            self._append(row)
            return row, False

    def _existing(self, row: dict) -> dict | None:
        stored = self._ids.get(row["judgement_id"])
        if stored is not None and stored.get("annotator") != row["annotator"]:
            raise StoreConflict(f"judgement_id {row['judgement_id']} belongs to another annotator")
        return stored

    def _append(self, row: dict) -> None:
        # one write of the whole line, then flush + fsync: acknowledged means on disk
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._rows.append((len(self._rows) + 1, row))
        self._ids[row["judgement_id"]] = row


def _read_repairing(path: Path) -> list[tuple[int, dict]]:
    """The file's rows; a torn last line (no newline: a write cut by a crash) is cut off."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as f:
            f.truncate(cut)
            os.fsync(f.fileno())
        data = data[:cut]
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} line {number}: not a JSON judgement ({err.msg}); "
                             "the store only appends, so this line was written by something else") from None
        if isinstance(row, dict):
            rows.append((number, row))
    return rows
