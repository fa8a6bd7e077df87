"""Troubled preference files: one odd row never takes good rows down with it.

Each case writes a small file and states which lines are good and which are bad (and why); both
`on_bad_row` modes are checked: `error` lists exactly the bad lines, `skip` keeps every good one.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from rlhf_rm.data import DataError, find_overlap, load_examples, split_dev
from support import REPO


def hh(i: int, reply: str = "Sure, here is how.") -> dict:
    """A distinct HH-RLHF transcript pair."""
    prompt = f"\n\nHuman: Question number {i}?"
    return {"chosen": f"{prompt}\n\nAssistant: {reply}", "rejected": f"{prompt}\n\nAssistant: No."}


def explicit(i: int) -> dict:
    return {"prompt": f"Question {i}?", "chosen": f"Answer {i}.", "rejected": "No."}


def write_lines(path: Path, rows: list, newline: str = "\n", bom: bool = False) -> Path:
    text = newline.join(r if isinstance(r, str) else json.dumps(r) for r in rows) + newline
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


@dataclass(frozen=True)
class Case:
    path: Path
    good: list[int]  # the lines that must become examples, in order
    bad: dict[int, str]  # line -> the reason it must be reported with


def odd_row_case(tmp_path: Path, odd: dict | str) -> Case:
    """30 HH transcripts with one row in TRL's explicit layout at line 17."""
    rows: list = [hh(i) for i in range(30)]
    rows.insert(16, odd)
    path = write_lines(tmp_path / "hh_odd.jsonl", rows)
    good = [n for n in range(1, 32) if n != 17]
    return Case(path, good, {17: "row is in layout trl-explicit, the file is in layout hh-rlhf"})


NOT_UTF8 = "data files must be UTF-8-encoded: re-save the file as UTF-8"
LATIN1_ROW = '{"prompt": "Caf\xe9 au lait?", "chosen": "Yes.", "rejected": "No."}'.encode("latin-1")


def latin1_case(tmp_path: Path, name: str) -> Case:
    """Four UTF-8 rows with one latin-1 row (byte 0xe9 at byte 16 of line 3)."""
    lines = [json.dumps(explicit(i)).encode() for i in range(4)]
    lines.insert(2, LATIN1_ROW)
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return Case(path, [1, 2, 4, 5], {3: f"not valid UTF-8 (byte 0xe9 at byte 16 of the line); {NOT_UTF8}"})


CASES: dict[str, Callable[[Path], Case]] = {
    "invalid UTF-8": lambda p: latin1_case(p, "latin1.jsonl"),
    "invalid UTF-8, gzipped": lambda p: latin1_case(p, "latin1.jsonl.gz"),
    # a boolean reply, as PandaLM rows carry
    "odd row, boolean reply": lambda p: odd_row_case(
        p, {"prompt": "Which is better?", "chosen": True, "rejected": "B"}
    ),
    "odd row, NaN margin": lambda p: odd_row_case(
        p, '{"prompt": "Q?", "chosen": "A.", "rejected": "B.", "margin": NaN}'
    ),
    "odd row, 4 MB prompt": lambda p: odd_row_case(p, {"prompt": "word " * 800_000, "chosen": "A.", "rejected": "B."}),
    "BOM and CRLF": lambda p: Case(
        write_lines(p / "crlf.jsonl", [explicit(i) for i in range(4)], newline="\r\n", bom=True), [1, 2, 3, 4], {}
    ),
    "blank lines": lambda p: Case(
        write_lines(p / "blank.jsonl", [explicit(1), "", "  ", explicit(2), "", explicit(3)]), [1, 4, 6], {}
    ),
    "transcript without an assistant turn": lambda p: Case(
        write_lines(p / "no_assistant.jsonl", [hh(1), {"chosen": "\n\nHuman: hi", "rejected": "\n\nHuman: hi"}, hh(2)]),
        [1, 3],
        {2: "chosen transcript has no 'Assistant:' turn"},
    ),
    "pairs whose prompts differ": lambda p: Case(
        write_lines(p / "differ.jsonl", [hh(1), {"chosen": hh(2)["chosen"], "rejected": hh(3)["rejected"]}, hh(4)]),
        [1, 3],
        {2: "chosen and rejected have different prompts"},
    ),
    "a transcript pair that is plain text": lambda p: Case(
        write_lines(p / "plain.jsonl", [hh(1), {"chosen": "Yes.", "rejected": "No."}, hh(2)]),
        [1, 3],
        {2: "chosen transcript has no 'Assistant:' turn"},
    ),
    "pointwise rows with non-numeric scores": lambda p: Case(
        write_lines(
            p / "pointwise.jsonl",
            [
                {"prompt": "Q?", "response": "A.", "score": 4},
                {"prompt": "Q?", "response": "B.", "score": "high"},
                {"prompt": "Q?", "response": "C.", "score": "3"},
                {"prompt": "Q?", "response": "D.", "score": 1.5},
            ],
        ),
        [1, 4],
        {2: "score is not a number (got 'high')", 3: "score is not a number (got '3')"},
    ),
}


@pytest.mark.parametrize("mode", ["error", "skip"])
@pytest.mark.parametrize("name", CASES)
def test_troubled_file(name, mode, tmp_path):
    case = CASES[name](tmp_path)
    expected = [f"{case.path} line {n}: {reason}" for n, reason in case.bad.items()]
    if mode == "error" and case.bad:
        with pytest.raises(DataError) as info:
            load_examples(str(case.path))
        assert [str(b) for b in info.value.bad_rows] == expected  # no good row reported bad
        assert all(line in str(info.value) for line in expected)
        return
    loaded = load_examples(str(case.path), on_bad_row=mode)
    assert [e.row for e in loaded.examples] == case.good  # none lost
    assert [str(b) for b in loaded.bad_rows] == expected


def test_odd_row_detection_follows_the_majority_in_every_layout(tmp_path):
    ranked = [{"instruction": f"Q{i}?", "output": [f"A{i}.", "No."]} for i in range(5)]
    path = write_lines(tmp_path / "ranked.jsonl", [*ranked, hh(1), explicit(1)])
    loaded = load_examples(str(path), on_bad_row="skip")
    assert (loaded.layouts, [e.row for e in loaded.examples]) == (["ranked"], [1, 2, 3, 4, 5])
    assert [b.reason for b in loaded.bad_rows] == [
        "row is in layout hh-rlhf, the file is in layout ranked",
        "row is in layout trl-explicit, the file is in layout ranked",
    ]


def test_explicit_file_row_without_prompt_names_the_missing_field(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [explicit(1), {"chosen": "A.", "rejected": "B."}, explicit(2)])
    loaded = load_examples(str(path), on_bad_row="skip")
    assert [(b.row, b.reason) for b in loaded.bad_rows] == [(2, "missing field 'prompt'")]


def test_conversational_pair_in_a_transcript_file_is_another_layout(tmp_path):
    conversation = {
        "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Go"}],
    }
    path = write_lines(tmp_path / "hh.jsonl", [hh(1), hh(2), conversation])
    loaded = load_examples(str(path), on_bad_row="skip")
    assert [(b.row, b.reason) for b in loaded.bad_rows] == [
        (3, "row is in layout trl-implicit, the file is in layout hh-rlhf")
    ]


@pytest.mark.parametrize("mode", ["error", "skip"])
def test_half_and_half_file_gets_one_sentence(mode, tmp_path):
    path = write_lines(tmp_path / "mixed.jsonl", [row for i in range(6) for row in (hh(i), explicit(i))])
    with pytest.raises(DataError) as info:
        load_examples(str(path), on_bad_row=mode)
    assert str(info.value) == (
        f"{path}: the rows mix layouts and none holds two thirds of them (hh-rlhf: 6 rows, the first "
        "at line 1; trl-explicit: 6 rows, the first at line 2); a file must hold one layout -- put each "
        "layout in its own file (a folder or a list of files may mix layouts)"
    )


def test_files_of_different_layouts_load_together(tmp_path):
    first = write_lines(tmp_path / "a.jsonl", [hh(1), hh(2)])
    second = write_lines(tmp_path / "b.jsonl", [explicit(1)])
    loaded = load_examples([str(first), str(second)])
    assert (loaded.layouts, len(loaded.examples)) == (["hh-rlhf", "trl-explicit"], 3)


@pytest.mark.parametrize("mode", ["error", "skip"])
def test_empty_file_and_unknown_layout_stop_in_both_modes(mode, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(DataError, match=f"{empty}: no rows found|no rows found in {empty}"):
        load_examples(str(empty), on_bad_row=mode)
    unknown = write_lines(tmp_path / "unknown.jsonl", [{"question": "Q?", "answer": "A."}] * 3)
    with pytest.raises(DataError, match=r"unknown.jsonl: columns \['answer', 'question'\] match no known layout"):
        load_examples(str(unknown), on_bad_row=mode)


def test_invalid_utf8_in_json_and_csv_names_the_row_and_field(tmp_path):
    (tmp_path / "p.json").write_bytes(b"[" + LATIN1_ROW + b", " + json.dumps(explicit(1)).encode() + b"]")
    (tmp_path / "p.csv").write_bytes("prompt,chosen,rejected\nQ?,A.,B.\nR?,Caf\xe9.,B.\n".encode("latin-1"))
    for name, field in (("p.json", "prompt"), ("p.csv", "chosen")):
        loaded = load_examples(str(tmp_path / name), on_bad_row="skip")
        assert len(loaded.examples) == 1
        bad_row = 1 if name == "p.json" else 2
        assert [str(b) for b in loaded.bad_rows] == [
            f"{tmp_path / name} row {bad_row}: not valid UTF-8 (byte 0xe9 in field '{field}'); {NOT_UTF8}"
        ]


def test_unreadable_files_name_themselves(tmp_path):
    (tmp_path / "utf16.jsonl").write_bytes(json.dumps(explicit(1)).encode("utf-16"))
    with pytest.raises(DataError, match=r"utf16.jsonl: the file is UTF-16 .* must be UTF-8-encoded"):
        load_examples(str(tmp_path / "utf16.jsonl"), on_bad_row="skip")
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(json.dumps(explicit(1)).encode() * 50)[:-12])
    with pytest.raises(DataError, match=r"cut.jsonl.gz: cannot be read \(EOFError"):
        load_examples(str(tmp_path / "cut.jsonl.gz"), on_bad_row="skip")


# ---------------------------------------------------------------- duplicates


def test_repeated_pairs_are_reported_and_dropped_or_kept(tmp_path):
    path = write_lines(tmp_path / "repeated.jsonl", [explicit(i) for _ in range(4) for i in range(5)])
    for mode in ("error", "skip"):  # duplicates are never an error
        dropped = load_examples(str(path), on_bad_row=mode, on_duplicate="drop")
        assert [e.row for e in dropped.examples] == [1, 2, 3, 4, 5]
        assert dropped.bad_rows == []
        assert [str(d) for d in dropped.duplicates] == [
            f"{path} line {n}: duplicate of {path} line {(n - 1) % 5 + 1}" for n in range(6, 21)
        ]
    kept = load_examples(str(path), on_duplicate="keep")
    assert [e.row for e in kept.examples] == list(range(1, 21))
    assert kept.duplicates == dropped.duplicates
    with pytest.raises(ValueError, match="on_duplicate must be 'drop' or 'keep', got 'merge'"):
        load_examples(str(path), on_duplicate="merge")


def test_duplicate_examples_across_files_and_layouts(tmp_path):
    first = write_lines(tmp_path / "a.jsonl", [explicit(1), explicit(2)])
    conversational = {
        "prompt": [{"role": "user", "content": "Question 2?"}],
        "chosen": [{"role": "assistant", "content": "Answer 2."}],
        "rejected": [{"role": "assistant", "content": "No."}],
    }
    second = write_lines(tmp_path / "b.jsonl", [conversational, explicit(3)])
    (tmp_path / "c.json").write_text(json.dumps([explicit(3), {**explicit(3), "margin": 1.0}]))
    loaded = load_examples([str(first), str(second), str(tmp_path / "c.json")], on_duplicate="drop")
    assert [str(d) for d in loaded.duplicates] == [
        f"{second} line 1: duplicate of {first} line 2",  # the same pair written as messages
        f"{tmp_path / 'c.json'} row 1: duplicate of {second} line 2",
    ]
    assert [(Path(e.source).name, e.row) for e in loaded.examples] == [
        ("a.jsonl", 1), ("a.jsonl", 2), ("b.jsonl", 2), ("c.json", 2)  # a margin makes another example
    ]


def test_swapped_pairs_and_other_scores_are_not_duplicates(tmp_path):
    swapped = {"prompt": "Question 1?", "chosen": "No.", "rejected": "Answer 1."}
    rated = [{"prompt": "Q?", "response": "A.", "score": s} for s in (1, 2, 1)]
    pairs = load_examples(str(write_lines(tmp_path / "p.jsonl", [explicit(1), swapped])), on_duplicate="drop")
    points = load_examples(str(write_lines(tmp_path / "r.jsonl", rated)), on_duplicate="drop")
    assert (len(pairs.examples), pairs.duplicates) == (2, [])
    assert [e.row for e in points.examples] == [1, 2]
    assert [d.reason for d in points.duplicates] == [f"duplicate of {tmp_path / 'r.jsonl'} line 1"]


def test_kept_duplicates_never_straddle_the_dev_split(tmp_path):
    rows = [explicit(i) for _ in range(3) for i in range(30)]
    loaded = load_examples(str(write_lines(tmp_path / "p.jsonl", rows)), on_duplicate="keep")
    for seed in range(5):
        train, dev = split_dev(loaded.examples, 0.2, seed)
        assert {e.prompt[0]["content"] for e in train}.isdisjoint(e.prompt[0]["content"] for e in dev)
        assert find_overlap(train, dev) == 0 and len(train) + len(dev) == 90


# ---------------------------------------------------------------- end to end


def test_skip_mode_trains_on_every_good_row(tiny_encoder_dir, tmp_path, capsys):
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    lines = [json.dumps(hh(i)).encode() for i in range(30)]
    lines.insert(16, json.dumps({"prompt": "Q?", "chosen": True, "rejected": "B."}).encode())  # line 17
    lines += [LATIN1_ROW, json.dumps(hh(0)).encode(), json.dumps(hh(1)).encode()]  # lines 32-34
    data = tmp_path / "troubled.jsonl"
    data.write_bytes(b"\n".join(lines) + b"\n")
    recipe = REPO / "recipes" / "rm_tiny.yaml"
    overrides = [f"model={tiny_encoder_dir}", f"train_data={data}", f"output_dir={tmp_path / 'o'}", "max_steps=2"]
    with pytest.raises(DataError) as info:
        train(load_config(TrainConfig, recipe, [*overrides, "on_bad_row=error"]))
    assert [b.row for b in info.value.bad_rows] == [17, 32]

    result = train(load_config(TrainConfig, recipe, [*overrides, "on_bad_row=skip"]))
    assert (result.train_examples + result.eval_examples, result.skipped_rows) == (30, 2)
    assert (result.train_examples, result.eval_examples) == (24, 6)  # rm_tiny's eval_fraction=0.2
    assert "2 bad rows skipped, 2 duplicate rows dropped" in capsys.readouterr().err
    assert (tmp_path / "o" / "bad_rows.txt").read_text().splitlines() == [
        f"{data} line 17: row is in layout trl-explicit, the file is in layout hh-rlhf",
        f"{data} line 32: not valid UTF-8 (byte 0xe9 at byte 16 of the line); {NOT_UTF8}",
        f"{data} line 33: duplicate of {data} line 1",
        f"{data} line 34: duplicate of {data} line 2",
    ]
