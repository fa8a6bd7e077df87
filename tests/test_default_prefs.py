"""Checks on the embedded default preference set (rlhf_rm/resources/default_prefs.jsonl)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from rlhf_rm.resources import default_prefs_path
from support import REPO

EXPECTED = {"en": 835, "zh": 197}  # 600 + 150 content pairs, then coherence pairs for 60% of the prompts
KEYS = {"prompt", "chosen", "rejected", "lang", "category"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def rows():
    path = default_prefs_path()
    assert path.is_file(), path
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            assert line.strip(), f"blank line {n}"
            out.append(json.loads(line))
    return out


def _longer_wins(rows_):
    return sum(len(r["chosen"][0]["content"]) > len(r["rejected"][0]["content"]) for r in rows_) / len(rows_)


def _prompt_key(r):
    return json.dumps(r["prompt"], ensure_ascii=False)


def test_path_points_into_the_package():
    path = default_prefs_path()
    assert path.name == "default_prefs.jsonl"
    assert path.parent.name == "resources"


def test_schema(rows):
    for i, r in enumerate(rows, 1):
        assert set(r) == KEYS, f"row {i}: {sorted(r)}"
        assert r["lang"] in EXPECTED, f"row {i}"
        assert isinstance(r["category"], str) and r["category"], f"row {i}"
        prompt = r["prompt"]
        assert isinstance(prompt, list) and prompt, f"row {i}"
        assert len(prompt) % 2 == 1, f"row {i}: prompt must end with a user turn"
        for j, m in enumerate(prompt):
            assert set(m) == {"role", "content"}, f"row {i}"
            assert m["role"] == ("user" if j % 2 == 0 else "assistant"), f"row {i} turn {j}"
            assert isinstance(m["content"], str) and m["content"].strip(), f"row {i} turn {j}"
        for side in ("chosen", "rejected"):
            msgs = r[side]
            assert isinstance(msgs, list) and len(msgs) == 1, f"row {i} {side}"
            assert msgs[0]["role"] == "assistant", f"row {i} {side}"
            assert set(msgs[0]) == {"role", "content"}, f"row {i} {side}"
            assert msgs[0]["content"].strip(), f"row {i} {side}"


def test_chosen_differs_from_rejected(rows):
    for i, r in enumerate(rows, 1):
        assert r["chosen"][0]["content"] != r["rejected"][0]["content"], f"row {i}"


def test_no_duplicate_rows(rows):
    keys = Counter((_prompt_key(r), r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows)
    assert max(keys.values()) == 1


def test_no_reply_is_both_chosen_and_rejected_for_one_prompt(rows):
    by_prompt = {}
    for r in rows:
        c, rej = by_prompt.setdefault(_prompt_key(r), (set(), set()))
        c.add(r["chosen"][0]["content"])
        rej.add(r["rejected"][0]["content"])
    for key, (c, rej) in by_prompt.items():
        assert not (c & rej), key


def test_language_counts(rows):
    assert Counter(r["lang"] for r in rows) == EXPECTED


def test_chinese_rows_are_chinese(rows):
    for r in rows:
        if r["lang"] == "zh":
            assert CJK.search(r["prompt"][-1]["content"])
            assert CJK.search(r["chosen"][0]["content"])


def test_multi_turn_prompts_present(rows):
    for lang in EXPECTED:
        assert any(len(r["prompt"]) >= 3 for r in rows if r["lang"] == lang)


def _coherence_kind(r):
    """Which broken copy of the chosen reply the rejected one is, if it is one."""
    chosen, rejected = r["chosen"][0]["content"], r["rejected"][0]["content"]
    if Counter(chosen.replace(" ", "")) == Counter(rejected.replace(" ", "")):  # the same words (characters), reordered
        return "shuffled"
    if chosen.startswith(rejected.rstrip(".,;:!?。，；：！？、")) and len(rejected) < len(chosen):
        return "truncated"
    if rejected.startswith(chosen) and len(rejected) > len(chosen):
        return "padded or repeated"
    return None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coherence_pairs_present(rows, lang):
    """The set contrasts chosen replies with broken copies of themselves (shuffled,
    truncated, padded/looped), so a reward model learns that coherence matters."""
    kinds = Counter(_coherence_kind(r) for r in rows if r["lang"] == lang)
    minimum = {"en": 40, "zh": 10}[lang]
    assert kinds["shuffled"] >= minimum and kinds["truncated"] >= minimum, kinds
    assert kinds["padded or repeated"] >= minimum // 2, kinds


@pytest.mark.parametrize("lang", [None, "en", "zh"])
def test_length_alone_is_near_chance(rows, lang):
    sub = [r for r in rows if lang is None or r["lang"] == lang]
    acc = _longer_wins(sub)
    assert 0.4 <= acc <= 0.6, f"longer-reply-wins accuracy {acc:.3f} for {lang or 'all'}"


def test_prompts_are_varied(rows):
    en = [r for r in rows if r["lang"] == "en"]
    zh = [r for r in rows if r["lang"] == "zh"]
    assert len({_prompt_key(r) for r in en}) >= 300
    assert len({r["prompt"][-1]["content"] for r in en}) >= 300
    assert len({_prompt_key(r) for r in zh}) >= 60
    assert len({r["category"] for r in en}) >= 10
    # replies are mostly specific to their prompt: short generic failures ("Seriously?
    # Just look it up.") may repeat a little, nothing dominates
    rejected = Counter(r["rejected"][0]["content"] for r in rows)
    chosen = Counter(r["chosen"][0]["content"] for r in rows)
    assert max(rejected.values()) <= 15
    assert max(chosen.values()) <= 4
    assert len(rejected) >= 0.8 * len(rows)
    assert len(chosen) >= 0.6 * len(rows)


def test_shipped_file_is_what_the_generator_writes_from_its_data_files(tmp_path):
    """The JSONL is generated deterministically from scripts/default_prefs_data/: regenerated to a
    temporary path, it must equal the shipped file byte for byte."""
    out = tmp_path / "default_prefs.jsonl"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "make_default_prefs.py"), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == default_prefs_path().read_bytes()
