"""``rlhf-rm eval`` on an rlhf_rm LoRA folder and on its exported plain folder."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from conftest import REPO, SHARED, write_pairs
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
    if "helpful-online" in a:
        assert a["helpful-online"]["skipped"] == 4 and a["helpful-online"]["pairs"] == 901
