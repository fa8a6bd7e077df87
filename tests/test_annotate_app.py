"""The labeling server's safety: tokens say who writes, bodies are bounded, non-local needs tokens."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from support import write_pairs
from rlhf_rm.annotate.app import AnnotateSettings, check_host, create_app, read_annotators
from rlhf_rm.annotate.items import load_items
from rlhf_rm.annotate.queue import build_queues
from rlhf_rm.annotate.session import Session
from rlhf_rm.annotate.store import AnnotationStore

ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789ab"


@pytest.fixture
def client(tmp_path):
    items = load_items(str(write_pairs(tmp_path / "pairs.jsonl")))
    session = Session(build_queues(items, ["alice", "bob"], overlap=1), AnnotationStore(tmp_path / "L.jsonl"))
    app = create_app(session, AnnotateSettings(tokens={ALICE: "alice", BOB: "bob"}, max_body_bytes=2048))
    with TestClient(app) as c:
        yield c, tmp_path / "L.jsonl"


def _as(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_token_alone_says_who_writes(client):
    c, labels = client
    assert c.get("/api/next").status_code == 401
    assert c.get("/api/next", headers=_as("wrong-token-0123456789")).status_code == 401
    alice_item = c.get("/api/next", headers=_as(ALICE)).json()["item"]
    bob_item = c.get("/api/next", headers=_as(BOB)).json()["item"]
    assert alice_item["item_id"] != bob_item["item_id"]  # overlap 1: separate queues
    body = {"judgement_id": "alice-0001", "item_id": alice_item["item_id"], "action": "choose", "ranking": [0],
            "annotator": "bob"}  # a field naming someone else is ignored
    assert c.post("/api/judgement", json=body, headers=_as(ALICE)).status_code == 200
    refused = c.post("/api/judgement", json={**body, "judgement_id": "bob-00001"}, headers=_as(BOB))
    assert refused.status_code == 403 and "not in bob's queue" in refused.json()["error"]
    reused = c.post("/api/judgement", json={**body, "item_id": bob_item["item_id"]}, headers=_as(BOB))
    assert reused.status_code == 409  # alice's judgement_id
    assert c.post("/api/undo", json={"judgement_id": "bob-undo-1"}, headers=_as(BOB)).json()["undone"] is None
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert [(r["annotator"], r["judgement_id"]) for r in rows] == [("alice", "alice-0001")]


def test_bodies_are_bounded_and_checked(client):
    c, _ = client
    item = c.get("/api/next", headers=_as(ALICE)).json()["item"]
    big = {"judgement_id": "alice-0002", "item_id": item["item_id"], "action": "skip", "comment": "x" * 4000}
    assert c.post("/api/judgement", json=big, headers=_as(ALICE)).status_code == 413
    bad = [({"action": "choose", "ranking": [0, 0]}, "ranking"), ({"action": "maybe"}, "action"),
           ({"action": "tie", "ratings": [7, None]}, "ratings"), ({"action": "tie", "judgement_id": "x"}, "judgement_id")]
    for extra, word in bad:
        body = {"judgement_id": "alice-0003", "item_id": item["item_id"], **extra}
        answer = c.post("/api/judgement", json=body, headers=_as(ALICE))
        assert answer.status_code == 422 and word in answer.json()["error"]


def test_the_page_is_served_with_a_strict_policy_and_no_html_injection(client):
    c, _ = client
    page = c.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    script = c.get("/static/app.js").text
    assert "textContent" in script and not any(sink in script for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"))
    assert c.get("/static/../app.py").status_code == 404


def test_non_local_hosts_need_tokens_and_tokens_must_be_long(tmp_path):
    check_host("127.0.0.1", {})
    with pytest.raises(ValueError, match="--host 0.0.0.0 is reachable"):
        check_host("0.0.0.0", {})
    check_host("0.0.0.0", {ALICE: "alice"})
    short = tmp_path / "annotators.json"
    short.write_text(json.dumps({"alice": "1234"}))
    with pytest.raises(ValueError, match="token of 'alice' must be a string of at least 16"):
        read_annotators(str(short))
