"""The one checkpoint of every loop (reward-model training, PPO) and the one atomic file write.

A checkpoint is ``OUTPUT_DIR/checkpoints/step-NNNNNN/`` holding

- what ``Accelerator.save_state`` writes: the prepared model(s) and optimizer(s) -- one file from
  rank 0 when every rank holds the whole state (one process, DDP), each rank's shard under FSDP or
  DeepSpeed ZeRO -- and every rank's random-number state (``random_states_<rank>.pkl``). For a
  model that is not sharded only the trainable parameters are written (a LoRA run saves its
  adapters and head, not the frozen base);
- ``loop_state.pt``: the loop's own state that is whole on rank 0 (the learning-rate schedule;
  PPO's weights, optimizer, KL controller and score statistics: PPO averages gradients itself, so
  its model and optimizer are not prepared by accelerate and are the same on every rank);
- ``progress.json``: the step, the best metric so far and its step, the format version.

Every rank writes into ``.tmp-step-NNNNNN``; once all have finished, rank 0 fsyncs each file and
the folder and renames it to ``step-NNNNNN``, so a run killed at any moment leaves only complete
checkpoints (a leftover ``.tmp-*`` is ignored, and removed by the next save). Ranks must see one
filesystem (as with accelerate's own checkpoints). Every rank must call :func:`save_checkpoint`
and :func:`load_checkpoint`: under FSDP and ZeRO both are collective operations.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKPOINTS = "checkpoints"
FORMAT = 2  # 1: the former per-loop formats (train's ``step-N``, PPO's ``state.pt``)
PROGRESS_FILE = "progress.json"
LOOP_STATE_FILE = "loop_state.pt"
_NAME = re.compile(r"^step-(\d+)$")


# ---- single files --------------------------------------------------------------------------

def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` through a temporary file in the same folder, fsync it, then rename it over
    ``path``: a reader (or a run killed half-way) sees the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with tmp.open("wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # only there when the write or the rename failed
    fsync_dir(path.parent)


def write_json_atomic(path: str | Path, data: Any) -> None:
    """``data`` as indented UTF-8 JSON, written atomically (:func:`write_atomic`)."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX; other systems cannot open a folder)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders holding them
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
        else:
            fsync_dir(path)
    fsync_dir(folder)


# ---- checkpoint folders --------------------------------------------------------------------

@dataclass(frozen=True)
class Retention:
    """Which checkpoints a save keeps: the newest ``keep_last`` (all when <= 0) and the best one."""

    keep_last: int = 1
    best_step: int | None = None  # the step whose checkpoint holds the best weights so far


def checkpoint_dir(output_dir: str | Path, step: int) -> Path:
    return Path(output_dir) / CHECKPOINTS / f"step-{step:06d}"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints (renamed into place), oldest first."""
    root = Path(output_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and _NAME.match(p.name)]
    return sorted(found, key=_step_of)


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def _step_of(folder: Path) -> int:
    return int(_NAME.match(folder.name).group(1))


def save_checkpoint(accelerator, output_dir: str | Path, step: int, loop_state: Mapping[str, Any],
                    progress: Mapping[str, Any], retention: Retention) -> Path:
    """Write checkpoint ``step`` atomically and prune older ones; every rank calls this.

    ``loop_state`` (anything ``torch.save`` takes) and ``progress`` (JSON) are written by rank 0.
    """
    import torch

    final = checkpoint_dir(output_dir, step)
    tmp = final.with_name(f".tmp-{final.name}")
    main = accelerator.is_main_process
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    with _trainable_weights_only(accelerator):
        accelerator.save_state(str(tmp))  # collective under FSDP / ZeRO: each rank writes its shard
    if main:
        torch.save(dict(loop_state), tmp / LOOP_STATE_FILE)
        (tmp / PROGRESS_FILE).write_text(json.dumps({"format": FORMAT, "step": step, **progress}, indent=2))
    accelerator.wait_for_everyone()  # every rank's files are written
    if main:
        _fsync_tree(tmp)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        _prune(Path(output_dir), retention)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(accelerator, folder: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Restore what accelerate saved (models, optimizers, this rank's RNG) from ``folder``; return
    ``(progress, loop_state)`` for the loop to restore the rest. Every rank calls this."""
    import torch

    folder = Path(folder)
    progress = json.loads((folder / PROGRESS_FILE).read_text()) if (folder / PROGRESS_FILE).is_file() else {}
    if progress.get("format") != FORMAT:
        raise ValueError(f"{folder}: not a checkpoint this rlhf_rm can resume (written by an older version?); "
                         "start a fresh run in another output_dir, or delete its checkpoints/ folder")
    with _checked_weights(accelerator):
        if _saves_whole_models(accelerator):
            accelerator.load_state(str(folder), strict=False)  # the file holds the trainable weights only
        else:
            accelerator.load_state(str(folder))
    loop_state = torch.load(folder / LOOP_STATE_FILE, map_location="cpu", weights_only=False)
    return progress, loop_state


def clear_checkpoints(output_dir: str | Path) -> None:
    """Remove every checkpoint (a fresh start: a later resume must not pick up old state)."""
    shutil.rmtree(Path(output_dir) / CHECKPOINTS, ignore_errors=True)


def _prune(output_dir: Path, retention: Retention) -> None:
    found = list_checkpoints(output_dir)
    keep = set(found[-retention.keep_last:] if retention.keep_last > 0 else found)
    keep |= {p for p in found if _step_of(p) == retention.best_step}
    for old in found:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in (output_dir / CHECKPOINTS).glob(".tmp-*"):  # saves killed half-way
        shutil.rmtree(stale, ignore_errors=True)


# ---- model weights: trainable parameters only, unless accelerate shards them ---------------

def _saves_whole_models(accelerator) -> bool:
    """Whether accelerate writes each prepared model's ``state_dict`` itself (no FSDP, DeepSpeed,
    Megatron-LM: those save through their own sharded writers, which this module leaves alone)."""
    from accelerate.utils import DistributedType

    return accelerator.distributed_type not in (DistributedType.FSDP, DistributedType.DEEPSPEED,
                                                DistributedType.MEGATRON_LM)


def _trainable_names(model) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


@contextmanager
def _while_hooked(register, hook, active: bool) -> Iterator[None]:
    """``hook`` registered with accelerate (when ``active``) for the duration of the block only."""
    handle = register(hook) if active else None
    try:
        yield
    finally:
        if handle is not None:
            handle.remove()


def _trainable_weights_only(accelerator):
    """While saving, drop the frozen parameters and buffers from each whole-model state dict."""
    def keep_trainable(models: list, weights: list, _output_dir: str) -> None:
        for i, (model, state) in enumerate(zip(models, weights)):
            names = _trainable_names(model)
            weights[i] = OrderedDict((k, v) for k, v in state.items() if k in names)

    return _while_hooked(accelerator.register_save_state_pre_hook, keep_trainable, _saves_whole_models(accelerator))


def _checked_weights(accelerator):
    """While loading, refuse weights that are not the model's trainable parameters, by name."""
    def check(models: list, input_dir: str) -> None:
        from safetensors import safe_open

        for i, model in enumerate(models):
            path = Path(input_dir) / ("model.safetensors" if i == 0 else f"model_{i}.safetensors")
            if not path.is_file():
                raise ValueError(f"{input_dir}: no {path.name} for prepared model {i}")
            with safe_open(str(path), "pt") as f:
                saved = set(f.keys())
            expected = _trainable_names(model)
            if saved != expected:
                name = sorted(saved ^ expected)[0]
                raise ValueError(f"{path}: the checkpoint does not match the model's trainable weights "
                                 f"(e.g. {name!r}); was the model or its LoRA settings changed?")

    return _while_hooked(accelerator.register_load_state_pre_hook, check, _saves_whole_models(accelerator))


def trainable_state(model) -> dict[str, Any]:
    """The weights training changes (LoRA adapters and heads, or everything without LoRA), on the
    CPU: for a loop whose model accelerate does not prepare (PPO) to keep in its ``loop_state``."""
    return {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad}


def load_trainable_state(model, state: Mapping[str, Any]) -> None:
    """Copy :func:`trainable_state` back; weights this model lacks raise, naming one."""
    import torch

    params = dict(model.named_parameters())
    missing = [n for n in state if n not in params]
    if missing:
        raise ValueError(f"the checkpoint has weights this model lacks (was the config changed?): {missing[:3]}")
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)
