"""rlhf_rm.data: every layout, every input kind, the bad-row report, splits and the real shared data."""

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from rlhf_rm.data import (
    LAYOUTS,
    BadRow,
    DataError,
    Example,
    dataset_name,
    find_overlap,
    iter_texts,
    load_examples,
    render_transcript,
    split_dev,
)
from support import SHARED

FIXTURES = Path(__file__).parent / "fixtures" / "data"


def write_jsonl(path: Path, rows: list) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        f.writelines((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    return path


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": text}


def reasons(path: Path, rows: list) -> dict[int, str]:
    """Load rows in skip mode and return {row number: reason}."""
    loaded = load_examples(str(write_jsonl(path, rows)), on_bad_row="skip")
    return {bad.row: bad.reason for bad in loaded.bad_rows}


# ---------------------------------------------------------------- layouts

HH_CHOSEN = "\n\nHuman: Hi there\n\nAssistant: Hello! \n\nHuman:  What is 2+2?\n\nAssistant: It is 4."
HH_REJECTED = "\n\nHuman: Hi there\n\nAssistant: Hello! \n\nHuman:  What is 2+2?\n\nAssistant:  5"


def test_hh_transcript_splits_at_last_assistant_turn(tmp_path):
    loaded = load_examples(
        str(write_jsonl(tmp_path / "hh.jsonl", [{"chosen": HH_CHOSEN, "rejected": HH_REJECTED}]))
    )
    assert loaded.layouts == ["hh-rlhf"]
    (example,) = loaded.examples
    assert example.prompt == [user("Hi there"), assistant("Hello!"), user("What is 2+2?")]
    assert example.responses == ["It is 4.", "5"]
    assert example.kind == "pairwise"
    assert (example.row, example.source, example.margin) == (1, str(tmp_path / "hh.jsonl"), None)


def test_hh_transcripts_opening_with_human_and_no_blank_lines_are_read(tmp_path):
    # exports that strip each transcript drop the blank lines before its first turn
    rows = [{"chosen": HH_CHOSEN.lstrip(), "rejected": HH_REJECTED.lstrip()},
            {"chosen": " \nHuman: Hi\n\nAssistant: Hello", "rejected": "Human: Hi\n\nAssistant: Go away"}]
    loaded = load_examples(str(write_jsonl(tmp_path / "hh.jsonl", rows)))
    assert loaded.layouts == ["hh-rlhf"] and not loaded.bad_rows
    first, second = loaded.examples
    assert first.prompt == [user("Hi there"), assistant("Hello!"), user("What is 2+2?")]
    assert first.responses == ["It is 4.", "5"]
    assert second.prompt == [user("Hi")] and second.responses == ["Hello", "Go away"]


def test_hh_bad_rows(tmp_path):
    other_prompt = HH_REJECTED.replace("2+2", "3+3")
    rows = [
        {"chosen": HH_CHOSEN, "rejected": other_prompt},
        {"chosen": "\n\nHuman: hi", "rejected": HH_REJECTED},
        {"chosen": HH_CHOSEN, "rejected": HH_REJECTED.replace(" 5", "  \n ")},
        {"chosen": HH_CHOSEN, "rejected": HH_CHOSEN},
        {"chosen": HH_CHOSEN, "rejected": HH_REJECTED + "\n\nHuman: thanks"},
        {"chosen": 3, "rejected": HH_REJECTED},
        {"chosen": "Intro\n\nHuman: a\n\nAssistant: b", "rejected": "Intro\n\nHuman: a\n\nAssistant: c"},
    ]
    assert reasons(tmp_path / "hh.jsonl", rows) == {
        1: "chosen and rejected have different prompts",
        2: "chosen transcript has no 'Assistant:' turn",
        3: "rejected reply is empty",
        4: "chosen and rejected are identical",
        5: "rejected transcript ends with a 'Human:' turn, not an assistant reply",
        6: "chosen is not a string (got number)",
        7: "chosen transcript does not start with a 'Human:' turn",
    }


def test_trl_explicit_strings_with_margin_and_subset(tmp_path):
    rows = [
        {"prompt": "Sky colour?", "chosen": "Blue", "rejected": "Green", "margin": 2, "subset": "easy"},
        {"prompt": "Grass colour?", "chosen": "Green", "rejected": "Red"},
    ]
    loaded = load_examples(str(write_jsonl(tmp_path / "p.jsonl", rows)))
    assert loaded.layouts == ["trl-explicit"]
    first, second = loaded.examples
    assert first == Example(
        [user("Sky colour?")],
        ["Blue", "Green"],
        margin=2.0,
        source=str(tmp_path / "p.jsonl"),
        row=1,
        subset="easy",
    )
    assert (second.margin, second.subset, second.row) == (None, None, 2)


def test_trl_explicit_conversational(tmp_path):
    prompt = [{"role": "system", "content": "Be brief."}, user("Sky colour?")]
    rows = [{"prompt": prompt, "chosen": [assistant("Blue")], "rejected": [assistant("Green")]}]
    (example,) = load_examples(str(write_jsonl(tmp_path / "c.jsonl", rows))).examples
    assert (example.prompt, example.responses) == (prompt, ["Blue", "Green"])


def test_trl_implicit_conversational_uses_common_prefix(tmp_path):
    shared = [user("Hi"), assistant("Hello"), user("Sky colour?")]
    rows = [
        {"chosen": [*shared, assistant("Blue")], "rejected": [*shared, assistant("Green")], "margin": 0.5}
    ]
    loaded = load_examples(str(write_jsonl(tmp_path / "i.jsonl", rows)))
    assert loaded.layouts == ["trl-implicit"]
    (example,) = loaded.examples
    assert (example.prompt, example.responses, example.margin) == (shared, ["Blue", "Green"], 0.5)


def test_trl_implicit_bad_rows(tmp_path):
    rows = [
        {"chosen": [user("A"), assistant("x")], "rejected": [user("B"), assistant("y")]},
        {"chosen": [user("A"), user("x")], "rejected": [user("A"), assistant("y")]},
        {"chosen": [user("A"), assistant("x")], "rejected": [user("A"), assistant("x")]},
        {"chosen": [user("A"), {"role": "tool", "content": "x"}], "rejected": [user("A"), assistant("y")]},
        {"chosen": [user("A"), assistant("x")], "rejected": [user("A"), assistant("y")], "margin": "big"},
        {
            "chosen": [user("A"), assistant("x")],
            "rejected": [user("A"), assistant("y")],
            "margin": float("inf"),
        },
    ]
    assert reasons(tmp_path / "i.jsonl", rows) == {
        1: "chosen and rejected have different prompts",
        2: "chosen does not end with an assistant message",
        3: "chosen and rejected are identical",
        4: "chosen[1] has unknown role 'tool' (known: system, user, assistant)",
        5: "margin is not a number (got 'big')",
        6: "margin is not finite (got inf)",
    }


def test_trl_implicit_strings_split_at_word_boundary(tmp_path):
    rows = [{"chosen": "The sky is blue.", "rejected": "The sky is black."}]
    (example,) = load_examples(str(write_jsonl(tmp_path / "s.jsonl", rows))).examples
    assert (example.prompt, example.responses) == ([user("The sky is")], [" blue.", " black."])


def test_ranked_with_history_system_and_input(tmp_path):
    rows = [
        {
            "instruction": "Translate",
            "input": "bonjour",
            "system": "You translate.",
            "history": [["Hi", "Hello"]],
            "output": ["hello", "hi", "good day"],
        },
        {"instruction": "2+2?", "input": "", "output": ["4", "5"]},
    ]
    loaded = load_examples(str(write_jsonl(tmp_path / "r.jsonl", rows)))
    assert loaded.layouts == ["ranked"]
    listwise, pair = loaded.examples
    assert listwise.prompt == [
        {"role": "system", "content": "You translate."},
        user("Hi"),
        assistant("Hello"),
        user("Translate\nbonjour"),
    ]
    assert (listwise.responses, listwise.kind) == (["hello", "hi", "good day"], "listwise")
    assert (pair.prompt, pair.responses, pair.kind) == ([user("2+2?")], ["4", "5"], "pairwise")


def test_ranked_bad_rows(tmp_path):
    rows = [
        {"instruction": "q", "output": ["only one"]},
        {"instruction": "q", "output": ["a", "b", " "]},
        {"instruction": "q", "output": ["a", "b", "a"]},
        {"instruction": "q", "output": "a single string"},
        {"instruction": "q", "output": ["a", 7]},
        {"instruction": "q", "history": [["only user"]], "output": ["a", "b"]},
        {"input": "x", "output": ["a", "b"]},
    ]
    assert reasons(tmp_path / "r.jsonl", rows) == {
        1: "ranked list has fewer than 2 replies (got 1)",
        2: "output[2] reply is empty",
        3: "output[2] duplicates output[0]",
        4: "output is not a list of ranked replies (got string)",
        5: "output[1] is not a string (got number)",
        6: "history[0] is not a [user, assistant] pair of strings",
        7: "missing field 'instruction'",
    }


def test_pointwise_score_and_label(tmp_path):
    rows = [
        {"prompt": "Sky?", "response": "Blue", "score": 4.5},
        {"prompt": [user("Sky?")], "response": "Green", "label": "Bad"},
        {"prompt": "Sky?", "completion": "Blue-ish", "label": True},
    ]
    loaded = load_examples(str(write_jsonl(tmp_path / "pw.jsonl", rows)))
    assert loaded.layouts == ["pointwise"]
    scored, labelled, unpaired = loaded.examples
    assert (scored.prompt, scored.responses, scored.score, scored.label, scored.kind) == (
        [user("Sky?")],
        ["Blue"],
        4.5,
        None,
        "pointwise",
    )
    assert (labelled.responses, labelled.score, labelled.label) == (["Green"], None, "bad")
    assert (unpaired.responses, unpaired.label) == (["Blue-ish"], "good")


def test_pointwise_bad_rows(tmp_path):
    rows = [
        '{"prompt": "q", "response": "a", "score": NaN}',
        {"prompt": "q", "response": "a", "score": "high"},
        {"prompt": "q", "response": "a", "label": "meh"},
        {"prompt": "q", "response": "a"},
        {"prompt": "q", "response": ["a"], "score": 1},
        {"prompt": "q", "response": "\t", "score": 1},
        {"prompt": "q", "response": "a", "score": True},
        {"prompt": "q", "response": 5, "score": 1},
    ]
    assert reasons(tmp_path / "pw.jsonl", rows) == {
        1: "score is not finite (got nan)",
        2: "score is not a number (got 'high')",
        3: "unknown label 'meh' (known: bad, ok, good)",
        4: "missing field 'score' or 'label'",
        5: "response[0] is not a message with string 'role' and 'content'",
        6: "response reply is empty",
        7: "score is not a number (got True)",
        8: "response is not a string or a single assistant message (got number)",
    }


# ---------------------------------------------------------------- input kinds


def test_csv_rows_numbers_and_gzip(tmp_path):
    header = ["prompt", "chosen", "rejected", "margin"]
    body = [["Sky?", "Blue", "Green", "1.5"], ["Grass?", "Green", "", ""], ["Sea?", "Blue", "Red", "lots"]]
    for name, opener in (("p.csv", open), ("p.csv.gz", gzip.open)):
        with opener(tmp_path / name, "wt", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, *body])
        loaded = load_examples(str(tmp_path / name), on_bad_row="skip")
        (example,) = loaded.examples
        assert (example.prompt, example.responses, example.margin, example.row) == (
            [user("Sky?")],
            ["Blue", "Green"],
            1.5,
            1,
        )
        assert [str(b) for b in loaded.bad_rows] == [
            f"{tmp_path / name} row 2: missing field 'rejected'",
            f"{tmp_path / name} row 3: margin is not a number (got 'lots')",
        ]


def test_parquet_conversational(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"prompt": [user("Sky?")], "chosen": [assistant("Blue")], "rejected": [assistant("Green")]},
        {"prompt": [user("Sea?")], "chosen": [assistant("Blue")], "rejected": [assistant("Blue")]},
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet")
    loaded = load_examples(str(tmp_path / "p.parquet"), on_bad_row="skip")
    assert [(e.prompt, e.responses) for e in loaded.examples] == [([user("Sky?")], ["Blue", "Green"])]
    assert [str(b) for b in loaded.bad_rows] == [
        f"{tmp_path / 'p.parquet'} row 2: chosen and rejected are identical"
    ]


def test_json_list_data_key_jsonl_named_json_and_gzip(tmp_path):
    rows = [{"prompt": "Sky?", "chosen": "Blue", "rejected": "Green"}, ["not", "an", "object"]]
    (tmp_path / "list.json").write_text(json.dumps(rows))
    with gzip.open(tmp_path / "wrapped.json.gz", "wt") as f:
        json.dump({"data": rows}, f)
    write_jsonl(tmp_path / "lines.json", [rows[0], rows[0]])
    write_jsonl(tmp_path / "lines.jsonl.gz", ["", rows[0]])
    for name in ("list.json", "wrapped.json.gz"):
        loaded = load_examples(str(tmp_path / name), on_bad_row="skip")
        assert [e.row for e in loaded.examples] == [1]
        assert [str(b) for b in loaded.bad_rows] == [f"{tmp_path / name} row 2: expected an object, got list"]
    assert [e.row for e in load_examples(str(tmp_path / "lines.json")).examples] == [1, 2]
    assert [e.row for e in load_examples(str(tmp_path / "lines.jsonl.gz")).examples] == [2]
    (tmp_path / "broken.json").write_text('[{"prompt": 1,}]')
    with pytest.raises(DataError, match=r"broken.json: not valid JSON \(Expecting"):
        load_examples(str(tmp_path / "broken.json"))


def test_folder_glob_and_list(tmp_path):
    folder = tmp_path / "prefs"
    folder.mkdir()
    write_jsonl(folder / "b.jsonl", [{"prompt": "B?", "chosen": "y", "rejected": "n"}])
    write_jsonl(
        folder / "a.jsonl.gz",
        [{"chosen": [user("A?"), assistant("y")], "rejected": [user("A?"), assistant("n")]}],
    )
    (folder / "notes.txt").write_text("not data")
    by_folder = load_examples(str(folder))
    assert [e.prompt[0]["content"] for e in by_folder.examples] == ["A?", "B?"]  # sorted by file name
    assert (by_folder.layouts, by_folder.name) == (["trl-implicit", "trl-explicit"], "prefs")
    by_glob = load_examples(str(folder / "*.jsonl*"))
    assert ([e.prompt for e in by_glob.examples], by_glob.name) == (
        [e.prompt for e in by_folder.examples],
        "prefs",
    )
    by_list = load_examples([str(folder / "b.jsonl"), str(folder / "a.jsonl.gz")])
    assert [e.prompt[0]["content"] for e in by_list.examples] == ["B?", "A?"]
    assert by_list.name == "b+a"


def test_missing_inputs_raise(tmp_path):
    with pytest.raises(DataError, match="file not found: .*nope.jsonl"):
        load_examples(str(tmp_path / "nope.jsonl"))
    with pytest.raises(DataError, match="matches no"):
        load_examples(str(tmp_path / "*.jsonl"))
    with pytest.raises(DataError, match="holds no"):
        load_examples(str(tmp_path))
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(DataError, match="no rows found"):
        load_examples(str(tmp_path / "empty.jsonl"))


def test_error_mode_collects_bad_rows_of_every_file(tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", [{"prompt": "q", "chosen": "a", "rejected": " "}])
    second = write_jsonl(tmp_path / "second.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}, "[1]"])
    with pytest.raises(DataError) as info:
        load_examples([str(first), str(second)])
    assert [str(b) for b in info.value.bad_rows] == [
        f"{first} line 1: rejected reply is empty",
        f"{second} line 2: expected an object, got list",
    ]
    assert str(info.value).startswith("2 bad row(s) in first+second:\n")


# ---------------------------------------------------------------- bad rows


def test_bad_row_matrix_error_mode_lists_every_line():
    path = str(FIXTURES / "bad_rows.jsonl")
    with pytest.raises(DataError) as info:
        load_examples(path)
    message = str(info.value)
    assert f"{path} line 2: unparseable JSON (Expecting value at column 59)" in message
    assert f"{path} line 3: missing field 'rejected'" in message
    assert f"{path} line 4: chosen and rejected are identical" in message
    assert "line 1" not in message and "line 6" not in message
    assert [b.row for b in info.value.bad_rows] == [2, 3, 4]


def test_bad_row_matrix_skip_mode_returns_bad_and_good_rows():
    path = str(FIXTURES / "bad_rows.jsonl")
    loaded = load_examples(path, on_bad_row="skip")
    assert loaded.bad_rows == [
        BadRow(path, 2, "unparseable JSON (Expecting value at column 59)", True),
        BadRow(path, 3, "missing field 'rejected'", True),
        BadRow(path, 4, "chosen and rejected are identical", True),
    ]
    assert [(e.row, e.responses) for e in loaded.examples] == [(1, ["4", "5"]), (6, ["Yes.", "No."])]


def test_on_bad_row_option_is_checked():
    with pytest.raises(ValueError, match="on_bad_row must be 'error' or 'skip', got 'warn'"):
        load_examples(str(FIXTURES / "bad_rows.jsonl"), on_bad_row="warn")


def test_unknown_layout_names_known_layouts_and_columns(tmp_path):
    with pytest.raises(DataError) as info:
        load_examples(str(write_jsonl(tmp_path / "x.jsonl", [{"question": "q", "answer": "a"}])))
    message = str(info.value)
    assert "columns ['answer', 'question'] match no known layout" in message
    assert all(name in message for name in LAYOUTS)


# ---------------------------------------------------------------- hub ids


def test_hub_id_unreachable_says_so(monkeypatch):
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError, match="could not be reached.*Pass a local file, folder or glob"):
        load_examples("someone/prefs")


def test_hub_id_split_and_data_dir(monkeypatch):
    import datasets

    calls = []

    def fake(repo, data_dir=None, split=None):
        calls.append((repo, data_dir, split))
        return datasets.Dataset.from_list(
            [
                {"prompt": "q", "chosen": "a", "rejected": "b"},
                {"prompt": "q", "chosen": "a", "rejected": None},
            ]
        )

    monkeypatch.setattr(datasets, "load_dataset", fake)
    loaded = load_examples("someone/prefs/harmless:test", on_bad_row="skip")
    assert calls == [("someone/prefs", "harmless", "test")]
    assert [str(b) for b in loaded.bad_rows] == [
        "someone/prefs/harmless:test row 2: missing field 'rejected'"
    ]
    assert (len(loaded.examples), loaded.name) == (1, "harmless")
    load_examples("someone/prefs", split="validation", on_bad_row="skip")
    assert calls[-1] == ("someone/prefs", None, "validation")


# ---------------------------------------------------------------- names, splits, overlap, text


def test_dataset_name(tmp_path):
    assert dataset_name("a/helpful-base.jsonl.gz") == "helpful-base"
    assert dataset_name("x/prefs.parquet") == "prefs"
    assert dataset_name("data.csv.gz") == "data"
    assert dataset_name("../shared/data/hh-rlhf/*.jsonl.gz") == "hh-rlhf"
    assert dataset_name("data/**/*.json") == "data"
    assert dataset_name(str(tmp_path)) == tmp_path.name
    assert dataset_name("Anthropic/hh-rlhf") == "hh-rlhf"
    assert dataset_name("Anthropic/hh-rlhf:test") == "hh-rlhf"


def pair(prompt: str, chosen: str = "a", rejected: str = "b") -> Example:
    return Example([user(prompt)], [chosen, rejected])


def test_split_dev_groups_by_prompt_and_is_deterministic():
    examples = [pair(f"q{i % 20}", f"a{i}") for i in range(100)]  # 20 prompts, 5 examples each
    train, dev = split_dev(examples, 0.2, seed=3)
    assert (len(train), len(dev)) == (80, 20)
    assert not {e.prompt[0]["content"] for e in train} & {e.prompt[0]["content"] for e in dev}
    assert split_dev(examples, 0.2, seed=3) == (train, dev)
    assert split_dev(list(reversed(examples)), 0.2, seed=3)[1] == sorted(
        dev, key=examples.index, reverse=True
    )
    assert split_dev(examples, 0.2, seed=4) != (train, dev)
    assert split_dev(examples, 0.0, seed=3) == (examples, [])
    assert split_dev([pair("same")] * 3, 0.5, seed=0) == ([pair("same")] * 3, [])  # one prompt: all train
    with pytest.raises(ValueError, match="dev fraction"):
        split_dev(examples, 1.0, seed=0)


def test_find_overlap():
    train = [pair("q1", "a", "b"), pair("q2", "c", "d")]
    other = [pair("q1", "a", "b"), pair("q2", "d", "c"), pair("q2", "c", "e"), pair("q3", "a", "b")]
    assert find_overlap(train, other) == 2  # the same pair, and the same pair swapped
    assert find_overlap([], other) == 0


def test_render_transcript_and_iter_texts(tmp_path):
    messages = [{"role": "system", "content": "Be kind."}, user("Hi"), assistant("Hello"), user("Bye?")]
    assert render_transcript(messages) == "System: Be kind.\n\nUser: Hi\n\nAssistant: Hello\n\nUser: Bye?"
    assert render_transcript([user("Hi")], "Yo") == "User: Hi\n\nAssistant: Yo"
    loaded = load_examples(
        str(write_jsonl(tmp_path / "p.jsonl", [{"prompt": "Q", "chosen": "A", "rejected": "B"}]))
    )
    assert list(iter_texts(loaded)) == ["User: Q\n\nAssistant: A", "User: Q\n\nAssistant: B"]


# ---------------------------------------------------------------- the real shared data


def shared(path: str) -> str:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (a fresh clone); real-data tests need it")
    return str(SHARED / path)


@pytest.mark.slow
def test_real_hh_rlhf_loads_with_exact_counts():
    loaded = load_examples(shared("data/hh-rlhf/*.jsonl.gz"), on_bad_row="skip")
    assert (len(loaded.examples), len(loaded.bad_rows)) == (6830, 49)  # 6,879 rows
    assert (loaded.layouts, loaded.name) == (["hh-rlhf"], "hh-rlhf")
    assert Counter(Path(e.source).name for e in loaded.examples) == {
        "harmless-base.jsonl.gz": 1850,
        "helpful-base.jsonl.gz": 1886,
        "helpful-online.jsonl.gz": 901,
        "helpful-rejection-sampled.jsonl.gz": 2193,
    }
    assert Counter(b.reason for b in loaded.bad_rows) == {
        "chosen and rejected are identical": 27,  # README: 27 identical pairs
        "chosen reply is empty": 3,  # README: 8 empty final replies
        "rejected reply is empty": 5,
        "chosen and rejected have different prompts": 13,  # a reply holding a second assistant turn
        "rejected transcript ends with a 'Human:' turn, not an assistant reply": 1,
    }
    assert all(e.prompt[-1]["role"] == "user" and e.kind == "pairwise" for e in loaded.examples)
    train, dev = split_dev(loaded.examples, 0.1, seed=0)
    assert (len(train), len(dev)) == (6147, 683)
    assert find_overlap(train, dev) == 0
    prompts = {json.dumps(e.prompt) for e in train}
    assert not any(json.dumps(e.prompt) in prompts for e in dev)


@pytest.mark.slow
def test_real_oasst_ranked_loads_as_listwise():
    loaded = load_examples(shared("data/oasst-zh-ranked/oasst_zh_ranked.jsonl.gz"), on_bad_row="skip")
    assert (len(loaded.examples), loaded.layouts) == (577, ["ranked"])
    assert [(b.row, b.reason) for b in loaded.bad_rows] == [
        (107, "output[0] and output[1] are identical"),
        (222, "output[0] and output[1] are identical"),
        (232, "output[2] duplicates output[1]"),
        (439, "output[0] and output[1] are identical"),
        (578, "output[2] duplicates output[1]"),
    ]
    assert Counter(len(e.responses) for e in loaded.examples) == {
        2: 324,
        3: 201,
        4: 40,
        5: 9,
        6: 1,
        8: 1,
        10: 1,
    }
    assert Counter(len(e.prompt) for e in loaded.examples) == {1: 287, 3: 273, 5: 17}
