"""The one checkpoint module: atomic single files, atomic checkpoint folders, retention, and an
exact round trip of trainable weights, optimizer, loop state and random-number state."""

from __future__ import annotations

import json
import os

import pytest
import torch
from safetensors.torch import load_file

from rlhf_rm.checkpoint import (
    Retention,
    checkpoint_dir,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    write_atomic,
    write_json_atomic,
)

pytestmark = pytest.mark.usefixtures("one_thread")


# ---- single files --------------------------------------------------------------------------

def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "report.json"
    write_json_atomic(path, {"a": "é"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é"}
    write_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.json"]


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    write_atomic(path, "old")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # the temporary file is gone too


# ---- checkpoint folders ---------------------------------------------------------------------

class _Tiny(torch.nn.Module):
    """A trainable layer beside a frozen one (like LoRA beside its base weights)."""

    def __init__(self):
        super().__init__()
        self.frozen = torch.nn.Linear(4, 4)
        self.frozen.requires_grad_(False)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.frozen(x))


def _prepared(seed: int):
    from accelerate import Accelerator

    torch.manual_seed(seed)
    acc = Accelerator(cpu=True)
    model = _Tiny()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model, opt = acc.prepare(model, opt)
    return acc, model, opt


def _train_step(model, opt) -> None:
    x = torch.arange(12.0).view(3, 4) / 10
    model(x).pow(2).mean().backward()
    opt.step()
    opt.zero_grad()


def test_round_trip_restores_weights_optimizer_rng_and_loop_state(tmp_path):
    acc, model, opt = _prepared(0)
    _train_step(model, opt)
    folder = save_checkpoint(acc, tmp_path, 7, {"scheduler": {"last_epoch": 7}}, {"best_step": 5},
                             Retention(keep_last=2))
    assert folder == checkpoint_dir(tmp_path, 7) and folder.name == "step-000007"
    # the model file holds the trainable weights only, not the frozen ones
    assert set(load_file(str(folder / "model.safetensors"))) == {"head.weight", "head.bias"}
    expected_random = torch.rand(5)  # what the random stream gives after the save
    saved_head = model.head.weight.detach().clone()
    _train_step(model, opt)  # the uninterrupted run's next step

    acc2, model2, opt2 = _prepared(1)  # another start: other weights, other random stream
    progress, loop_state = load_checkpoint(acc2, folder)
    assert progress["step"] == 7 and progress["best_step"] == 5 and loop_state == {"scheduler": {"last_epoch": 7}}
    assert torch.equal(model2.head.weight, saved_head)
    assert torch.equal(torch.rand(5), expected_random)
    assert not torch.equal(model2.frozen.weight, model.frozen.weight)  # frozen weights come from the model
    model2.frozen.load_state_dict(model.frozen.state_dict())
    # the resumed step equals the uninterrupted one only if Adam's moments and step count came back
    _train_step(model2, opt2)
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)


def test_saves_are_atomic_and_keep_the_last_and_the_best(tmp_path):
    acc, _, _ = _prepared(0)
    for step in (2, 4, 6):
        save_checkpoint(acc, tmp_path, step, {}, {}, Retention(keep_last=2))
    stale = tmp_path / "checkpoints" / ".tmp-step-000008"  # a save that was killed half-way
    stale.mkdir()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-000004", "step-000006"]
    assert latest_checkpoint(tmp_path).name == "step-000006"
    save_checkpoint(acc, tmp_path, 8, {}, {}, Retention(keep_last=1, best_step=4))
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-000004", "step-000008"]
    assert not stale.exists()  # the next save clears leftovers
    save_checkpoint(acc, tmp_path, 10, {}, {}, Retention(keep_last=0))  # 0: keep all
    assert len(list_checkpoints(tmp_path)) == 3


def test_mismatched_or_old_checkpoints_are_refused_with_the_file(tmp_path):
    acc, model, opt = _prepared(0)
    folder = save_checkpoint(acc, tmp_path, 1, {}, {}, Retention())
    acc2, model2, _ = _prepared(0)
    model2.frozen.requires_grad_(True)  # now the trainable set differs from the saved one
    with pytest.raises(ValueError, match=r"model\.safetensors.*frozen\.bias"):
        load_checkpoint(acc2, folder)
    old = tmp_path / "old" / "checkpoints" / "step-4"
    old.mkdir(parents=True)
    (old / "progress.json").write_text('{"step": 4}')  # the former train.py format
    with pytest.raises(ValueError, match="older version"):
        load_checkpoint(acc, old)
