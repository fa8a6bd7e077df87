"""``rlhf-rm score``: every reply of a file gets the reward model's own score."""

from __future__ import annotations

import csv
import json

import pytest
from helpers_reward import tiny_rm

from rlhf_rm.cli import main
from rlhf_rm.model import RewardModel


def test_score_prompt_response_jsonl_without_scores(tmp_path):
    rows = [{"prompt": "How do I boil an egg?", "response": "Boil it for eight minutes."},
            {"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hello!"}]}]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["score", "--model", tiny_rm(), "--input", str(src), "--output", str(out)]) == 0
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    own = RewardModel.load(tiny_rm()).score([r["prompt"] for r in rows], ["Boil it for eight minutes.", "Hello!"])
    assert [r["reward"] for r in scored] == pytest.approx(own, abs=1e-5)
    assert [r["row"] for r in scored] == [1, 2] and scored[1]["response"] == "Hello!"


def test_score_preference_csv_scores_every_reply(tmp_path, capsys):
    src, out = tmp_path / "pairs.csv", tmp_path / "out.jsonl"
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["prompt", "chosen", "rejected"])
        w.writerow(["What is 2+2?", "4", "5"])
    assert main(["score", "--model", tiny_rm(), "--input", str(src), "--output", str(out), "--clip", "0.5"]) == 0
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["response"], r["index"]) for r in scored] == [("4", 0), ("5", 1)]
    assert all(-0.5 <= r["reward"] <= 0.5 for r in scored)
    assert "rm/mean_reward=" in capsys.readouterr().out


def test_score_bad_file_is_a_user_error(tmp_path, capsys):
    src = tmp_path / "x.jsonl"
    src.write_text('{"foo": 1}\n')
    assert main(["score", "--model", tiny_rm(), "--input", str(src), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "match no known layout" in capsys.readouterr().err


def test_score_bad_pairs_stop_the_run_unless_skipped(tmp_path, capsys):
    src, out = tmp_path / "pairs.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"prompt": "Hi", "chosen": "Hello!", "rejected": "Hey."}) + "\n"
                   + json.dumps({"prompt": "Hi", "chosen": "Same.", "rejected": "Same."}) + "\n")
    args = ["score", "--model", tiny_rm(), "--input", str(src), "--output", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "line 2: chosen and rejected are identical" in err and "--on-bad-row skip" in err
    assert main(args + ["--on-bad-row", "skip"]) == 0
    assert "skipped 1 bad rows" in capsys.readouterr().out
    assert [json.loads(line)["response"] for line in out.read_text().splitlines()] == ["Hello!", "Hey."]


def test_chat_missing_policy_folder_is_a_user_error(tmp_path, capsys):
    assert main(["chat", "--policy", str(tmp_path / "no_such_policy")]) == 2
    err = capsys.readouterr().err
    assert "--policy" in err and "no_such_policy" in err and "no such folder here" in err


def test_chat_reranks_each_reply_by_the_reward(tmp_path):
    """`rlhf-rm chat` with a policy and a reward model: each turn shows n scored candidates."""
    import subprocess
    import sys as _sys

    from support import REPO, shared_path
    from helpers_reward import tiny_rm

    policy = shared_path("models", "stories260K")
    rm_dir = tiny_rm()
    run = subprocess.run([_sys.executable, "-m", "rlhf_rm.cli", "chat", "--policy", str(policy), "--reward",
                          str(rm_dir), "--n", "3", "--max-new-tokens", "8"],
                         input="Once upon a time\nTom had a ball\n\n", capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("bot> ") == 2 and run.stdout.count("best of 3; scores:") == 2
