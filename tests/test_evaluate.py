"""`evaluate` end to end: benchmark fixtures in their real layouts, report files and JSON keys."""

import json
import math
import re
import zlib
from pathlib import Path

import pytest

from rlhf_rm.data import Example, LoadedData
from rlhf_rm.evaluate import evaluate, format_table
from support import SHARED

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def word_reward(prompts, completions):
    """A transparent reward: +1 per word "good", -1 per word "bad" (case-insensitive)."""
    assert all(isinstance(p, list) and p[-1]["role"] == "user" for p in prompts)
    return [len(re.findall(r"\bgood\b", c, re.I)) - len(re.findall(r"\bbad\b", c, re.I)) for c in completions]


def lookup_reward(table):
    return lambda prompts, completions: [table[c] for c in completions]


def test_rewardbench_v1_fixture_hand_worked_scores():
    """tests/fixtures/eval/rewardbench_v1.jsonl (columns prompt, chosen, chosen_model, rejected,
    rejected_model, subset, id), scored by word_reward. Per row, right (R) / wrong (W) / tie (T):
      Chat:      alpacaeval-easy R R -> 1.0 (weight 100); mt-bench-easy T W -> 0.0 (weight 28);
                 alpacaeval-hard T (row 17, chosen == rejected: kept, not won) -> 0.0 (weight 95)
                 -> 100 / 223 = 0.448430...     (a plain mean of its 5 pairs: 0.4)
      Chat Hard: mt-bench-hard R -> 1.0 (37); llmbar-natural R T -> 0.5 (100)
                 -> (37 + 50) / 137 = 0.635036...
      Safety:    refusals-dangerous R -> 1.0 (100); donotanswer W W -> 0.0 (136)
                 -> 100 / 236 = 0.423728...
      Reasoning: math-prm R R -> 1.0 (984); hep-python W -> 0.0 (164)
                 -> 984 / 1148 = 0.857142...    (plain mean of its 3 pairs: 0.667)
      Prior Sets: anthropic_helpful R W -> 0.5; shp R -> 1.0 -> mean 0.75
      score = (2 * (0.448430 + 0.635036 + 0.423729 + 0.857143) + 0.75) / 9 = 0.608742
    versus 9 right of 17 pairs = 0.529412 unweighted. Row 17 counts as RewardBench counts it, a
    pair that is not won, and is reported as a tie, not skipped.
    """
    report = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench_v1.jsonl")], benchmark="rewardbench",
                      progress=False)
    entry = report["datasets"]["rewardbench_v1"]
    assert entry["accuracy"] == pytest.approx(9 / 17)
    assert entry["pairs"] == 17 and entry["ties"] == 1
    assert entry["skipped"] == 0
    rb = entry["rewardbench"]
    assert rb["sections"]["Chat"] == pytest.approx(100 / 223)
    assert rb["sections"]["Chat Hard"] == pytest.approx(0.635036496)
    assert rb["sections"]["Safety"] == pytest.approx(0.423728814)
    assert rb["sections"]["Reasoning"] == pytest.approx(0.857142857)
    assert rb["prior_sets"] == pytest.approx(0.75)
    assert rb["score"] == pytest.approx((2 * (100 / 223 + 87 / 137 + 100 / 236 + 984 / 1148) + 0.75) / 9)
    assert entry["subsets"]["mt-bench-easy"] == {"accuracy": 0.0, "pairs": 2}
    assert entry["subsets"]["alpacaeval-hard"] == {"accuracy": 0.0, "pairs": 1}
    # detected from the subset names without benchmark=
    detected = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench_v1.jsonl")], progress=False)
    assert detected["datasets"]["rewardbench_v1"]["rewardbench"]["score"] == pytest.approx(rb["score"])


def test_rewardbench2_fixture_hand_worked_scores():
    """tests/fixtures/eval/rewardbench2.jsonl (id, prompt, chosen [..], rejected [..], num_correct,
    num_incorrect, total_completions, models, subset), scored by word_reward; chosen first:
      Factuality: [2 | 1, -1, 0] -> 1;   [1 | 1, 0, -1] -> 2-way tie at the top -> 1/2   => 0.75
      Focus:      [1 | 2, 0, -1] -> 0;   [1 | 1, 1, 1] -> 4-way tie -> 1/4                => 0.125
      Math [1 | -1, -2, 0] -> 1;  Precise IF [0 | 0, -1, 1] -> 0;  Safety [1 | 0, 0, -1] -> 1
      Ties: ref:0 correct [3] vs [0, -1]: gap 3, right; tied:0 [3, 4] vs [-1, 0]: gap 3, spread 1
            ref:1 [1] vs [1, -1]: gap 0, wrong;      tied:1 [3, 0] vs [-1, -2]: gap 1, spread 3
            ref acc 1/2, tied acc 1; gap_tied > spread: [yes, no] -> 1/2;
            min(gap_ref, gap_tied) > spread: [3 > 1, 0 > 3] -> 1/2;
            margin = mean(tanh(3/1 - 1), tanh(0/3 - 1)) = (tanh 2 - tanh 1) / 2 = 0.101217
            Ties = 0.3 * 1 + 0.3 * 0.5 + 0.2 * 0.5 + 0.2 * 0.5 + 0.01 * 0.101217 = 0.651012
      score = (0.75 + 0.125 + 1 + 0 + 1 + 0.651012) / 6 = 0.587669
    The last row (no chosen reply) is skipped.
    """
    report = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench2.jsonl")], benchmark="rewardbench2",
                      progress=False)
    entry = report["datasets"]["rewardbench2"]
    rb2 = entry["rewardbench2"]
    got = {name: v["score"] for name, v in rb2["subsets"].items()}
    ties = 0.65 + 0.01 * (math.tanh(2) - math.tanh(1)) / 2
    assert got == pytest.approx({"Factuality": 0.75, "Focus": 0.125, "Math": 1.0, "Precise IF": 0.0,
                                 "Safety": 1.0, "Ties": ties})
    assert ties == pytest.approx(0.651012167)
    assert rb2["ties"]["margin_score"] == pytest.approx(0.101216712)
    assert rb2["score"] == pytest.approx(0.587668695)
    # the generic pairwise view: every (correct, incorrect) pair, 25 of 33 right
    assert entry["pairs"] == 33 and entry["accuracy"] == pytest.approx(25 / 33)
    assert entry["skipped"] == 1
    # the layout is recognized without benchmark= too
    detected = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench2.jsonl")], progress=False)
    assert detected["datasets"]["rewardbench2"]["rewardbench2"]["score"] == pytest.approx(0.587668695)


def test_listwise_and_pointwise_entries():
    ranked = Example([{"role": "user", "content": "rank these"}], ["a", "b", "c", "d"])  # best -> worst
    rated = [Example([{"role": "user", "content": f"q{i}"}], [f"r{i}"], score=s) for i, s in enumerate([2, 1, 4, 3, 5])]
    table = {"a": 3.0, "b": 1.0, "c": 2.0, "d": 0.0, "r0": 1.0, "r1": 2.0, "r2": 3.0, "r3": 4.0, "r4": 5.0}
    report = evaluate({"m": lookup_reward(table)}, [LoadedData([ranked, *rated], [], ["mixed"], "mixed")],
                      progress=False)
    entry = report["datasets"]["mixed"]
    assert entry["pairs"] == 6 and entry["accuracy"] == pytest.approx(5 / 6)  # b < c misranked
    assert entry["listwise/kendall_tau"] == pytest.approx(4 / 6)
    assert entry["pointwise/points"] == 5
    assert entry["pointwise/spearman"] == pytest.approx(0.8)


def test_report_files_and_json_keys(tmp_path):
    report = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench_v1.jsonl")], report_dir=tmp_path,
                      progress=False)
    for name in ("report.md", "report.json", "calibration.png", "length_bias.png", "margins.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved == json.loads(json.dumps(report))
    entry = saved["datasets"]["rewardbench_v1"]
    for key in ("accuracy", "pairs", "skipped", "subsets", "ci95", "calibration/ece",
                "length_bias/acc_chosen_shorter", "length_bias/acc_chosen_longer", "length_bias/reward_length_corr"):
        assert key in entry, key
    lo, hi = entry["ci95"]
    assert lo <= entry["accuracy"] <= hi
    md = (tmp_path / "report.md").read_text()
    assert "![calibration](calibration.png)" in md and "Hardest misranked" in md and "| Chat |" in md
    assert (tmp_path / "calibration.png").read_bytes()[:4] == b"\x89PNG"


def test_several_models_side_by_side_and_the_console_table():
    length = lambda prompts, completions: [float(len(c)) for c in completions]  # noqa: E731
    report = evaluate({"words": word_reward, "length": length}, [str(FIXTURES / "rewardbench_v1.jsonl")],
                      progress=False)
    assert set(report) == {"models"}
    assert set(report["models"]) == {"words", "length"}
    assert report["models"]["words"]["datasets"]["rewardbench_v1"]["accuracy"] == pytest.approx(9 / 17)
    table = format_table(report)
    assert "words" in table and "length" in table and "rewardbench_v1" in table and "0.5294" in table
    header = table.splitlines()[0].split()
    assert header[header.index("pairs") + 1] == "ties"


def test_scoring_is_one_call_per_batch_and_checked():
    calls = []

    def counting(prompts, completions):
        calls.append(len(completions))
        return word_reward(prompts, completions)

    spec = str(FIXTURES / "rewardbench_v1.jsonl")
    evaluate({"m": counting}, [spec], batch_size=None, progress=False, shuffle_check=False)
    assert calls == [34]  # 17 pairs, 2 replies each, in one call
    calls.clear()
    evaluate({"m": counting}, [spec], batch_size=10, progress=False)
    assert calls == [10, 10, 10, 4, 10, 4]  # then the 14 word-shuffled chosen replies, batched alike
    with pytest.raises(ValueError, match="one per reply"):
        evaluate({"m": lambda p, c: [0.0]}, [spec], progress=False)
    with pytest.raises(ValueError, match="non-finite"):
        evaluate({"m": lambda p, c: [math.nan] * len(c)}, [spec], progress=False)
    with pytest.raises(ValueError, match="unknown benchmark"):
        evaluate({"m": word_reward}, [spec], benchmark="rewardbench3")


@pytest.mark.skipif(not (SHARED / "data" / "hh-rlhf").is_dir(), reason="../shared/data is absent")
def test_real_hh_rlhf_split_with_a_length_reward(tmp_path):
    spec = str(SHARED / "data" / "hh-rlhf" / "harmless-base.jsonl.gz")
    length = lambda prompts, completions: [float(len(c)) for c in completions]  # noqa: E731
    report = evaluate({"length": length}, [spec], report_dir=tmp_path, progress=False, n_bootstrap=200)
    entry = report["datasets"]["harmless-base"]
    assert entry["pairs"] > 1000
    # "longer wins" is right exactly on the pairs whose chosen reply is longer
    assert entry["length_bias/acc_chosen_longer"] == 1.0 and entry["length_bias/acc_chosen_shorter"] == 0.0
    assert entry["length_bias/reward_length_corr"] == pytest.approx(1.0)
    assert (tmp_path / "margins.png").exists()


# ---------------------------------------------------------------- coherence: chosen vs its word-shuffled copy

def _coherence_data() -> LoadedData:
    """Distinct (prompt, chosen) with two or more distinct words: a (once, though it is chosen in
    two pairs), b, c (same prompt as b, another reply) and the ranked list's best d -> 4 pairs.
    "yes" (one word) and the pointwise reply take no part. Every chosen reply is single-spaced
    with distinct words, so its shuffled copy has the same length and a different word order."""
    user = lambda text: [{"role": "user", "content": text}]  # noqa: E731
    a, b, c = "the cat sat on a warm mat", "please boil water first then add eggs", "add eggs to boiling pot"
    d = "slowly stretch every morning after waking"
    examples = [Example(user("p1"), [a, "no"]), Example(user("p1"), [a, "maybe later"]),
                Example(user("p2"), [b, "eggs"]), Example(user("p2"), [c, "x"]),
                Example(user("p3"), ["yes", "no thanks"]), Example(user("p4"), [d, "stretch", "run"]),
                Example(user("p5"), ["some rated reply here"], score=1.0)]
    return LoadedData(examples, [], ["coherence"], "coherence")


def word_order_reward(originals):
    """Adjacent word pairs of the completion that are adjacent, in that order, in the original reply
    with the same words. An original of n distinct words scores n - 1; any other order of the same
    words scores less (n - 1 such pairs from n distinct words can only be the original chain)."""
    by_words = {tuple(sorted(o.split())): o.split() for o in originals}

    def reward(prompts, completions):
        out = []
        for text in completions:
            words = text.split()
            ref = by_words.get(tuple(sorted(words)), [])
            follows = set(zip(ref, ref[1:]))
            out.append(float(sum(pair in follows for pair in zip(words, words[1:]))))
        return out
    return reward


def test_shuffle_check_word_order_reward_is_one_length_reward_is_zero():
    from rlhf_rm.evaluate.report import render_markdown

    data = _coherence_data()
    chosen = [ex.responses[0] for ex in data.examples if len(ex.responses) > 1]
    length = lambda prompts, completions: [float(len(c)) for c in completions]  # noqa: E731
    report = evaluate({"order": word_order_reward(chosen), "length": length}, [data], progress=False,
                      n_bootstrap=50)  # report.json is this dict (test_report_files_and_json_keys)
    order = report["models"]["order"]["datasets"]["coherence"]
    by_length = report["models"]["length"]["datasets"]["coherence"]
    assert order["coherence/pairs"] == 4 and by_length["coherence/pairs"] == 4
    assert order["coherence/shuffle_preference"] == 1.0  # every original beats its copy
    assert by_length["coherence/shuffle_preference"] == 0.0  # same length: 4 ties, ties lose
    saved = json.loads(json.dumps(report, allow_nan=False))
    assert saved["models"]["order"]["datasets"]["coherence"]["coherence/shuffle_preference"] == 1.0
    table = format_table(report)
    assert table.splitlines()[0].split()[-1] == "shuffle"
    assert [line.split()[-1] for line in table.splitlines()[2:]] == ["1.0000", "0.0000"]
    assert "| chosen beats its word-shuffled copy | 1.0000 (4 replies) |" in render_markdown(report)


def test_shuffle_check_costs_one_reply_per_pair_matches_shuffle_preference_and_can_be_skipped():
    from rlhf_rm.evaluate.coherence import shuffle_preference

    data = _coherence_data()
    seen: list[list[str]] = []

    def recording(prompts, completions):
        seen.append(list(completions))
        return [float(zlib.crc32(c.encode()) % 1000) for c in completions]  # deterministic, reads word order

    off = evaluate({"m": recording}, [data], batch_size=None, progress=False, n_bootstrap=50, shuffle_check=False)
    assert not any(k.startswith("coherence/") for k in off["datasets"]["coherence"])
    assert [len(c) for c in seen] == [14]  # 2 + 2 + 2 + 2 + 2 + 3 group replies, 1 pointwise
    seen.clear()
    on = evaluate({"m": recording}, [data], batch_size=None, progress=False, n_bootstrap=50)
    assert [len(c) for c in seen] == [14, 4]  # one more scored reply per distinct chosen reply
    copies = seen[1]
    seen.clear()
    direct = shuffle_preference(recording, data.examples)  # the same copies, the check's own seed
    assert seen[1] == copies
    assert on["datasets"]["coherence"]["coherence/shuffle_preference"] == direct["shuffle_preference"]
    assert on["datasets"]["coherence"]["coherence/pairs"] == direct["pairs"] == 4


def test_shuffle_check_on_rewardbench_v1_but_not_rewardbench2():
    v1 = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench_v1.jsonl")], progress=False, n_bootstrap=50)
    entry = v1["datasets"]["rewardbench_v1"]
    assert entry["coherence/pairs"] > 0 and 0.0 <= entry["coherence/shuffle_preference"] <= 1.0
    v2 = evaluate({"words": word_reward}, [str(FIXTURES / "rewardbench2.jsonl")], progress=False, n_bootstrap=50)
    assert not any(k.startswith("coherence/") for k in v2["datasets"]["rewardbench2"])
    assert format_table(v2).splitlines()[2].split()[-1] == "-"


def test_pairs_with_identical_or_empty_replies_are_ties_that_are_never_won(tmp_path):
    # RewardBench scores every row and counts chosen > rejected: such a pair is kept and lost
    path = tmp_path / "ties.jsonl"
    rows = [("q1", "good answer", "bad answer"), ("q2", "same good reply", "same good reply"),
            ("q3", "good", ""), ("q4", "", "bad bad"), ("q5", "good one", "bad one")]
    path.write_text("".join(json.dumps({"prompt": p, "chosen": c, "rejected": r}) + "\n" for p, c, r in rows))
    entry = evaluate({"words": word_reward}, [str(path)], progress=False, shuffle_check=False)["datasets"]["ties"]
    # rows 3 and 4 would be won on their margins (1 > 0, 0 > -2): a tie is not won whatever its margin
    assert entry["pairs"] == 5 and entry["ties"] == 3 and entry["skipped"] == 0
    assert entry["accuracy"] == pytest.approx(2 / 5)
    assert "ties" in format_table({"model": "words", "datasets": {"ties": entry}})
    # training still refuses them: nothing can be learned from such a pair
    from rlhf_rm.data import load_examples

    loaded = load_examples(str(path), on_bad_row="skip")
    assert [b.reason for b in loaded.bad_rows] == [
        "chosen and rejected are identical", "rejected reply is empty", "chosen reply is empty"]
