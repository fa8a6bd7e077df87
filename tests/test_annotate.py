"""rlhf-rm annotate without a browser: items, the store, queues, the data layer's reading of the
output, Label Studio / Argilla layouts, and the statistics against hand-worked values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import write_pairs
from rlhf_rm.annotate.interop import export_label_studio, label_studio_tasks
from rlhf_rm.annotate.items import Item, item_id, load_items, shown_order
from rlhf_rm.annotate.queue import build_queues, order_items
from rlhf_rm.annotate.stats import agreement, annotation_stats, cohen_kappa, read_judgements
from rlhf_rm.annotate.store import AnnotationStore, StoreConflict, Verdict, judgement_row
from rlhf_rm.data import DataError, load_examples

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _item(i: int, k: int = 2) -> Item:
    prompt = [{"role": "user", "content": f"question {i}"}]
    replies = [f"reply {i}.{r}" for r in range(k)]
    return Item(item_id(prompt, replies), prompt, replies)


# ---- items -------------------------------------------------------------------------------------

def test_items_from_pairs_rankings_pointwise_and_rerank_output(tmp_path):
    pairs = load_items(str(write_pairs(tmp_path / "pairs.jsonl")))
    assert len(pairs) == 8 and all(len(i.replies) == 2 for i in pairs)
    swapped = _jsonl(tmp_path / "swapped.jsonl", [{"prompt": "How do I boil an egg?", "chosen": pairs[0].replies[1],
                                                    "rejected": pairs[0].replies[0]}])
    assert load_items(str(swapped))[0].item_id == pairs[0].item_id  # the id ignores reply order
    ranked = _jsonl(tmp_path / "ranked.jsonl", [{"instruction": "Pick", "output": ["a", "b", "c"]}])
    assert load_items(str(ranked))[0].replies == ["a", "b", "c"]
    pointwise = _jsonl(tmp_path / "points.jsonl", [{"prompt": "p", "response": r, "score": s}
                                                   for r, s in (("x", 1), ("y", 2), ("z", 3))]
                       + [{"prompt": "alone", "response": "only", "score": 1}])
    assert [i.replies for i in load_items(str(pointwise))] == [["x", "y", "z"]]  # one reply: no item
    rerank = _jsonl(tmp_path / "reranked.jsonl", [{"prompt": "Once upon a time", "best": 1, "candidates": [
        {"text": "Tom ran.", "score": 0.1, "finished": True}, {"text": "Sue sang.", "score": 0.5, "finished": True},
        {"text": "Tom ran.", "score": 0.1, "finished": True}]}])
    assert load_items(str(rerank))[0].replies == ["Tom ran.", "Sue sang."]  # duplicates shown once


def test_items_refuse_more_replies_than_keys_and_prompts_without_two_replies(tmp_path):
    many = _jsonl(tmp_path / "many.jsonl", [{"prompt": "p", "candidates": [f"c{i}" for i in range(10)]}])
    with pytest.raises(DataError, match=r"many.jsonl row 1: 10 replies.*at most 9"):
        load_items(str(many))
    single = _jsonl(tmp_path / "single.jsonl", [{"prompt": "p", "candidates": ["same", "same"]}])
    with pytest.raises(DataError, match="no prompt with at least two different replies"):
        load_items(str(single))


def test_shown_order_is_a_stable_permutation_per_annotator():
    item = _item(0, k=5)
    order = shown_order(item, "alice")
    assert sorted(order) == list(range(5)) and order == shown_order(item, "alice")
    assert len({tuple(shown_order(_item(i, 5), "alice")) for i in range(20)}) > 1  # not one fixed order


# ---- store -------------------------------------------------------------------------------------

def _row(item: Item, annotator: str, jid: str, action: str = "choose", ranking=(1, 0), ratings=()) -> dict:
    return judgement_row(item, annotator, [0, 1], Verdict(action, ranking if action == "choose" else (), ratings), jid)


def test_store_is_idempotent_per_judgement_id_and_keeps_annotators_apart(tmp_path):
    store = AnnotationStore(tmp_path / "L.jsonl")
    a, b = _item(0), _item(1)
    row, duplicate = store.add(_row(a, "alice", "j-000001"))
    assert not duplicate and row["chosen"] == a.replies[1] and row["rejected"] == a.replies[0]
    assert store.add(_row(a, "alice", "j-000001"))[1] is True  # a retry: stored once
    with pytest.raises(StoreConflict, match="another annotator"):
        store.add(_row(b, "bob", "j-000001"))
    with pytest.raises(StoreConflict, match="already judged"):
        store.add(_row(a, "alice", "j-000002"))
    store.add(_row(a, "bob", "j-000003"))  # the same item for another annotator is fine
    store.close()
    lines = (tmp_path / "L.jsonl").read_text().splitlines()
    assert [json.loads(line)["judgement_id"] for line in lines] == ["j-000001", "j-000003"]


def test_undo_appends_a_retraction_and_a_reopened_store_resumes(tmp_path):
    path = tmp_path / "L.jsonl"
    store = AnnotationStore(path)
    items = [_item(i) for i in range(3)]
    for i, item in enumerate(items):
        store.add(_row(item, "alice", f"judge-{i:03d}"))
    retraction, _ = store.retract_last("alice", "undo-0001")
    assert retraction["retracts"] == "judge-002"
    assert store.retract_last("alice", "undo-0001") == (retraction, True)  # the retried undo: once
    store.close()
    with open(path, "ab") as f:  # a write cut short by a crash: never acknowledged
        f.write(b'{"prompt": "half a li')
    reopened = AnnotationStore(path)
    assert reopened.done_items("alice") == {items[0].item_id, items[1].item_id}
    assert path.read_bytes().endswith(b"\n") and len(path.read_text().splitlines()) == 4
    reopened.close()


# ---- queues ------------------------------------------------------------------------------------

def test_overlap_gives_each_item_to_k_different_annotators():
    items = [_item(i) for i in range(6)]
    queues = build_queues(items, ["a", "b", "c"], overlap=2)
    owners = {i: [name for name, q in queues.by_annotator.items() if i in q] for i in range(6)}
    assert all(len(set(o)) == 2 for o in owners.values())
    assert [len(q) for q in queues.by_annotator.values()] == [4, 4, 4] and queues.total == 12
    with pytest.raises(ValueError, match="between 1 and the number of annotators"):
        build_queues(items, ["a"], overlap=2)


def test_uncertain_order_puts_small_margins_and_ensemble_disagreement_first():
    items = [_item(i) for i in range(3)]
    margins = {"reply 0.0": 3.0, "reply 1.0": 0.2, "reply 2.0": 1.0}  # reply x.1 scores 0

    def one_model(prompts, replies):
        return [[margins.get(r, 0.0) for r in replies]]

    assert [i.item_id for i in order_items(items, "uncertain", scorer=one_model)] == \
           [items[1].item_id, items[2].item_id, items[0].item_id]

    def ensemble(prompts, replies):  # members agree on items 1 and 2, split on item 0 (+3 vs -3)
        first = [margins.get(r, 0.0) for r in replies]
        second = [-3.0 if r == "reply 0.0" else margins.get(r, 0.0) for r in replies]
        return [first, second]

    assert order_items(items, "uncertain", scorer=ensemble)[0].item_id == items[0].item_id
    with pytest.raises(ValueError, match="needs at least one reward model"):
        order_items(items, "uncertain")


# ---- the data layer reads the output -----------------------------------------------------------

def test_train_data_is_the_standing_judgements_without_ties_skips_and_retractions(tmp_path):
    a, b, c, d, e = (_item(i) for i in range(5))
    ranked = _item(9, k=3)
    rows = [
        _row(a, "alice", "judge-a", ratings=(4, None)),
        _row(b, "alice", "judge-b", action="tie"),
        _row(c, "alice", "judge-c", action="skip"),
        _row(d, "alice", "judge-d"),
        {"retracts": "judge-d", "item_id": d.item_id, "annotator": "alice", "time": "t", "judgement_id": "undo-d"},
        {"retracts": "judge-e", "item_id": e.item_id, "annotator": "bob", "time": "t", "judgement_id": "undo-x"},
        _row(e, "alice", "judge-e"),  # bob cannot retract alice's judgement
        judgement_row(ranked, "alice", [2, 0, 1], Verdict("choose", (1, 2, 0)), "judge-r"),
        _row(a, "alice", "judge-a"),  # the same judgement_id again: read once
    ]
    loaded = load_examples(str(_jsonl(tmp_path / "L.jsonl", rows)))
    assert loaded.layouts == ["annotations"] and loaded.bad_rows == []
    assert [(e_.kind, e_.responses) for e_ in loaded.examples] == [
        ("pairwise", [a.replies[1], a.replies[0]]),
        ("pointwise", [a.replies[0]]),
        ("pairwise", [e.replies[1], e.replies[0]]),
        ("listwise", [ranked.replies[0], ranked.replies[1], ranked.replies[2]]),
    ]
    assert loaded.examples[1].score == 4.0
    assert loaded.left_out == {"ties": 1, "skips": 1, "retracted": 1, "duplicates": 1}


def test_a_broken_judgement_is_a_bad_row_naming_its_line(tmp_path):
    rows = [_row(_item(0), "alice", "judge-a"), {**_row(_item(1), "alice", "judge-b"), "prompt": []}]
    with pytest.raises(DataError, match=r"L.jsonl line 2: prompt is not a string"):
        load_examples(str(_jsonl(tmp_path / "L.jsonl", rows)))


def test_label_studio_export_reads_back_as_pairs():
    loaded = load_examples(str(FIXTURES / "label_studio_export.json"))
    assert loaded.layouts == ["label-studio"]
    assert [e.responses for e in loaded.examples] == [
        ["Simmer it for nine minutes.", "Eggs are bad."],  # left
        ["Eggs are bad.", "Simmer it for nine minutes."],  # right: a second annotator disagreed
        ["Why did the chicken cross the road?", "No."],
    ]
    assert [m["role"] for m in loaded.examples[2].prompt] == ["user", "assistant", "user"]  # data.messages
    assert loaded.left_out == {"cancelled": 1, "unlabeled": 1}


def test_argilla_records_read_as_rankings_both_sdk_versions():
    v2 = load_examples(str(FIXTURES / "argilla_v2_records.jsonl"))
    assert v2.layouts == ["argilla"]
    assert [e.responses for e in v2.examples] == [
        ["Simmer it for nine minutes.", "Use a kettle.", "Eggs are bad."],
        ["Simmer it for nine minutes.", "Eggs are bad.", "Use a kettle."],
    ]
    assert v2.left_out == {"discarded responses": 1, "unlabeled": 1}
    v1 = load_examples(str(FIXTURES / "argilla_v1_records.json"))
    assert [e.responses for e in v1.examples] == [["Simmer it for nine minutes.", "Eggs are bad."], ["Paris.", "Lyon."]]
    assert v1.left_out == {"ties": 1}


def test_label_studio_export_round_trip(tmp_path):
    items = [_item(0), _item(1, k=3)]
    assert len(label_studio_tasks(items)) == 1 + 3  # one task per pair of replies
    tasks_path, config = export_label_studio(items, tmp_path / "tasks.json")
    assert "<Pairwise" in config.read_text()
    tasks = json.loads(tasks_path.read_text())
    for task in tasks:  # what Label Studio's export adds: each task labeled "left"
        task["annotations"] = [{"was_cancelled": False, "result": [
            {"type": "pairwise", "to_name": "answer1,answer2", "value": {"selected": "left"}}]}]
    loaded = load_examples(str(_jsonl(tmp_path / "export.jsonl", tasks)))
    assert [e.responses for e in loaded.examples] == [[t["data"]["answer1"], t["data"]["answer2"]] for t in tasks]
    assert loaded.examples[0].prompt == items[0].prompt


# ---- statistics, against hand-worked values ----------------------------------------------------

def _label(item: str, annotator: str, winner: int | str, first_shown: int = 0) -> dict:
    """A pair judgement whose winner is the item's reply `winner` (or 'tie')."""
    row = {"item_id": item, "annotator": annotator, "judgement_id": f"{item}-{annotator}", "seconds_spent": 2.0,
           "prompt": [{"role": "user", "content": item}], "shown_order": [first_shown, 1 - first_shown]}
    if winner == "tie":
        return {**row, "tie": True}
    position = row["shown_order"].index(winner)
    return {**row, "choice": [position, 1 - position], "chosen": f"{item}/{winner}", "rejected": f"{item}/{1 - winner}"}


def test_two_annotators_raw_agreement_kappa_and_alpha_by_hand():
    # A: 0 0 1 1 tie / B: 0 1 1 1 tie. Agree on 4 of 5 -> 0.8.
    # kappa: p_e = (2*1 + 2*3 + 1*1) / 25 = 0.36, (0.8 - 0.36) / 0.64 = 0.6875.
    # alpha: coincidences o00=2 o01=o10=1 o11=4 ott=2, n=10, n_c = 3, 5, 2:
    #   D_o = 2/10, D_e = (100 - 9 - 25 - 4) / 90 = 62/90, alpha = 1 - 0.2 * 90/62 = 44/62.
    a, b = [0, 0, 1, 1, "tie"], [0, 1, 1, 1, "tie"]
    rows = [_label(f"u{i}", "A", x) for i, x in enumerate(a)] + [_label(f"u{i}", "B", x) for i, x in enumerate(b)]
    result = agreement(rows)
    assert result["items_with_overlap"] == 5
    assert result["raw"] == pytest.approx(0.8)
    assert result["cohen_kappa"] == {"A|B": pytest.approx(0.6875)}
    assert result["krippendorff_alpha"] == pytest.approx(44 / 62)


def test_three_annotators_with_a_missing_label_by_hand():
    # u1: A=0 B=0 C=0; u2: A=0 B=1 (C none); u3: A=1 B=1 C=tie.
    # raw: 3 + 0 + 1 agreeing of 3 + 1 + 3 pairs = 4/7.
    # kappa A|B: p_o = 2/3, p_e = (2*1 + 1*2)/9 -> 0.4; A|C and B|C: p_o = 1/2, p_e = 1/4 -> 1/3.
    # alpha: o00 = 3 (u1: 6 ordered pairs / 2), o01 = o10 = 1 (u2), o11 = o1t = ot1 = 1 (u3),
    #   n_0 = 4, n_1 = 3, n_t = 1, n = 8; D_o = 4/8, D_e = (64 - 16 - 9 - 1) / 56 = 38/56,
    #   alpha = 1 - 0.5 * 56/38 = 10/38.
    rows = [_label("u1", n, 0) for n in "ABC"] + [_label("u2", "A", 0), _label("u2", "B", 1)]
    rows += [_label("u3", "A", 1), _label("u3", "B", 1), _label("u3", "C", "tie")]
    result = agreement(rows)
    assert result["raw"] == pytest.approx(4 / 7)
    assert result["cohen_kappa"] == {"A|B": pytest.approx(0.4), "A|C": pytest.approx(1 / 3),
                                     "B|C": pytest.approx(1 / 3)}
    assert result["krippendorff_alpha"] == pytest.approx(10 / 38)
    assert cohen_kappa([("0", "0"), ("0", "0")]) is None  # chance agreement 1: undefined


def test_position_bias_ties_time_and_model_agreement():
    rows = [_label("u1", "A", 0, first_shown=0), _label("u2", "A", 0, first_shown=1),
            _label("u3", "A", 1, first_shown=1), _label("u4", "A", "tie"),
            {**_label("u5", "B", 0), "seconds_spent": 6.0}]
    stats = annotation_stats(rows, scorer=lambda prompts, replies: [1.0 if r.endswith("/0") else 0.0 for r in replies])
    assert stats["position_bias"] == {"judgements": 4, "first_shown_win_rate": 0.75, "expected_if_unbiased": 0.5}
    assert stats["tie_rate"] == pytest.approx(1 / 5)
    assert stats["annotators"]["A"] == {"judgements": 4, "ties": 1, "skips": 0, "median_seconds": 2.0}
    assert stats["model_agreement"] == {"A": pytest.approx(2 / 3), "B": 1.0}


def test_stats_read_the_file_with_retractions_applied(tmp_path):
    rows = [_label("u1", "A", 0), _label("u1", "B", 0), _label("u2", "A", 1),
            {"retracts": "u2-A", "item_id": "u2", "annotator": "A", "judgement_id": "undo-1"}]
    judgements = read_judgements(str(_jsonl(tmp_path / "L.jsonl", rows)))
    assert [j["judgement_id"] for j in judgements] == ["u1-A", "u1-B"]
