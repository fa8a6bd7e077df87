"""One labeling session: the queues, the store, and the three things the page asks for.

Every method takes the annotator as resolved from the request's token, never from its body, so
one annotator cannot write as another. Positions in a request are positions in the order the
annotator was shown (`shown_order`); the session maps them back to the item's replies itself.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rlhf_rm.annotate.items import Item, shown_order
from rlhf_rm.annotate.queue import Queues
from rlhf_rm.annotate.store import AnnotationStore, StoreConflict, Verdict, judgement_row
from rlhf_rm.serve.app import RequestError  # the reward server's: an HTTP status and a sentence

MAX_COMMENT_CHARS = 2000
MAX_SECONDS = 24 * 3600.0
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class Session:
    def __init__(self, queues: Queues, store: AnnotationStore, seed: int = 0):
        self.queues = queues
        self.store = store
        self.seed = seed
        self._ids = {item.item_id: i for i, item in enumerate(queues.items)}

    def annotators(self) -> list[str]:
        return list(self.queues.by_annotator)

    def state(self, annotator: str) -> dict[str, Any]:
        """The annotator's next unlabeled item (None when the queue is done) and the progress."""
        queue = self.queues.by_annotator[annotator]
        done = self.store.done_items(annotator)
        position = next((p for p, i in enumerate(queue) if self.queues.items[i].item_id not in done), None)
        item = None
        if position is not None:
            item = self._shown(self.queues.items[queue[position]], annotator, position)
        progress = {"done": self.store.count_active(), "total": self.queues.total, "annotator": annotator,
                    "mine": len(done), "mine_total": len(queue)}
        return {"item": item, "progress": progress}

    def judge(self, annotator: str, body: dict) -> dict[str, Any]:
        """Store one judgement (once per judgement_id) and return the next state."""
        judgement_id = _judgement_id(body)
        item = self._item_in_queue(annotator, body.get("item_id"))
        order = shown_order(item, annotator, self.seed)
        verdict = _verdict(body, len(order))
        try:
            row, duplicate = self.store.add(judgement_row(item, annotator, order, verdict, judgement_id))
        except StoreConflict as err:
            raise RequestError(409, str(err)) from None
        return {**self.state(annotator), "stored": row["judgement_id"], "duplicate": duplicate}

    def undo(self, annotator: str, body: dict) -> dict[str, Any]:
        """Retract the annotator's latest judgement that stands (once per judgement_id)."""
        try:
            row, duplicate = self.store.retract_last(annotator, _judgement_id(body))
        except StoreConflict as err:
            raise RequestError(409, str(err)) from None
        return {**self.state(annotator), "undone": row and row.get("retracts"), "duplicate": duplicate}

    def _item_in_queue(self, annotator: str, item_id: Any) -> Item:
        index = self._ids.get(item_id) if isinstance(item_id, str) else None
        if index is None or index not in self.queues.by_annotator[annotator]:
            raise RequestError(403, f"item {str(item_id)[:40]!r} is not in {annotator}'s queue")
        return self.queues.items[index]

    def _shown(self, item: Item, annotator: str, position: int) -> dict[str, Any]:
        order = shown_order(item, annotator, self.seed)
        return {"item_id": item.item_id, "position": position, "prompt": item.prompt,
                "replies": [item.replies[i] for i in order]}


def _judgement_id(body: dict) -> str:
    value = body.get("judgement_id")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RequestError(422, "judgement_id must be 8-64 letters, digits, '-' or '_'")
    return value


def _verdict(body: dict, k: int) -> Verdict:
    action = body.get("action")
    if action not in ("choose", "tie", "skip"):
        raise RequestError(422, "action must be 'choose', 'tie' or 'skip'")
    ranking: tuple[int, ...] = ()
    if action == "choose":
        ranking = _ranking(body.get("ranking"), k)
    return Verdict(action, ranking, _ratings(body.get("ratings"), k), _comment(body.get("comment")),
                   _seconds(body.get("seconds_spent")))


def _ranking(value: Any, k: int) -> tuple[int, ...]:
    """Shown positions best first; the last one may be left out (it is the only one left)."""
    if not (isinstance(value, list) and all(type(p) is int and 0 <= p < k for p in value)
            and len(set(value)) == len(value) and len(value) in (k - 1, k)):
        raise RequestError(422, f"ranking must list {k - 1} or {k} different shown positions 0..{k - 1}, best first")
    return (*value, *(p for p in range(k) if p not in value))


def _ratings(value: Any, k: int) -> tuple[int | None, ...]:
    if value is None:
        return ()
    if not (isinstance(value, list) and len(value) == k
            and all(r is None or (type(r) is int and 1 <= r <= 5) for r in value)):
        raise RequestError(422, f"ratings must list {k} values, each null or an integer 1-5")
    return tuple(value)


def _comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_COMMENT_CHARS:
        raise RequestError(422, f"comment must be a string of at most {MAX_COMMENT_CHARS} characters")
    return value.strip()


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return min(max(float(value), 0.0), MAX_SECONDS)
