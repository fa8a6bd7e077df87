"""``rlhf-rm eval`` on an rlhf_rm LoRA folder and on its exported plain folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from support import REPO, SHARED, write_pairs
from rlhf_rm.model import ModelSettings, build_reward_model


def test_eval_same_on_lora_and_exported_folder(tiny_encoder_dir, tmp_path):
    torch.manual_seed(0)
    rm = build_reward_model(ModelSettings(name_or_path=str(tiny_encoder_dir), max_length=64, max_response_tokens=32))
    for p in rm.model.parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.3)
    rm.save(tmp_path / "lora")
    rm.export(tmp_path / "plain")
    data = write_pairs(tmp_path / "my-pairs.jsonl.gz".replace(".gz", ""))
    specs = [str(data)]
    hh = SHARED / "data" / "hh-rlhf" / "helpful-online.jsonl.gz"
    if hh.is_file():  # ../shared absent: the local file alone
        specs.append(str(hh))
    reports = {}
    for name in ("lora", "plain"):
        out = tmp_path / f"{name}.json"
        cmd = [sys.executable, "-m", "rlhf_rm.cli", "eval", "--model", str(tmp_path / name), "--json", str(out)]
        for spec in specs:
            cmd += ["--data", spec]
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        assert run.returncode == 0, run.stderr
        reports[name] = json.loads(out.read_text())
        assert "my-pairs" in run.stdout  # the console table names each data set
    a, b = reports["lora"]["datasets"], reports["plain"]["datasets"]
    assert set(a) == set(b) and "my-pairs" in a
    for key in a:
        assert a[key]["pairs"] == b[key]["pairs"] and a[key]["skipped"] == b[key]["skipped"]
        assert a[key]["accuracy"] == b[key]["accuracy"]
        assert a[key]["coherence/pairs"] == b[key]["coherence/pairs"] > 0  # the shuffle check, on by default
        assert 0.0 <= a[key]["coherence/shuffle_preference"] <= 1.0
    if "helpful-online" in a:
        # one unreadable transcript skipped; one identical and two empty-reply pairs kept as ties
        assert a["helpful-online"]["skipped"] == 1 and a["helpful-online"]["pairs"] == 904
        assert a["helpful-online"]["ties"] == 3


def _length_reward_folder(monkeypatch):
    """`rlhf-rm eval` with RewardFunction.from_pretrained answering a length-only reward (no model)."""
    from rlhf_rm.reward import RewardFunction

    def length(prompts, completions):
        return [float(len(c)) for c in completions]

    monkeypatch.setattr(RewardFunction, "from_pretrained", staticmethod(lambda *a, **k: length))


@pytest.mark.parametrize("flag", [[], ["--no-shuffle-check"]])
def test_eval_shuffle_check_keys_column_and_flag(tmp_path, monkeypatch, capsys, flag):
    """The LEARNABLE pairs: 8 distinct chosen replies of two or more words, each as long as its
    word-shuffled copy, so a length reward wins none of them (ties lose): 0.0 of 8."""
    from rlhf_rm.cli import main

    _length_reward_folder(monkeypatch)
    data = write_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "eval.json"
    assert main(["eval", "--model", "rm", "--data", str(data), "--json", str(out), *flag]) == 0
    entry = json.loads(out.read_text())["datasets"]["pairs"]
    header, _, row = capsys.readouterr().out.splitlines()[:3]
    if flag:
        assert "coherence/pairs" not in entry and "coherence/shuffle_preference" not in entry
        assert row.split()[-1] == "-"
    else:
        assert entry["coherence/pairs"] == 8 and entry["coherence/shuffle_preference"] == 0.0
        assert header.split()[-1] == "shuffle" and row.split()[-1] == "0.0000"
