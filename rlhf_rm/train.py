"""Reward-model training: the loop, its checkpoints and its resume.

Runs as one process, under ``accelerate launch`` (GPUs, DeepSpeed/FSDP configs) or ``torchrun``:
each rank takes an equal share of every global batch, gradients are averaged by accelerate's
DDP wrapper, so the result equals a one-process run with the same global batch.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from rlhf_rm.batching import batch_loss, encode_examples, epoch_batches
from rlhf_rm.contract import write_json_atomic
from rlhf_rm.model import LoraSettings, ModelSettings, RewardModel, build_reward_model, sequence_scores


@dataclass
class TrainConfig:
    """``rlhf-rm train`` settings. Every default lives here."""

    # model and input contract
    model: str = "minilm"
    architecture: Literal["auto", "encoder", "decoder"] = "auto"
    pooling: Literal["auto", "cls_pooler", "mean"] = "auto"  # mean: encoders read as sentence encoders
    max_length: int = 256
    max_response_tokens: int = 128
    prompt_template: str = "auto"
    append_eos: bool | None = None
    quantization: Literal["none", "4bit", "8bit"] = "none"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    # autocast: float32 weights and optimizer, matmuls in bf16/fp16 (bf16 runs on CPUs with AMX or
    # AVX512-BF16, fp16 needs a GPU); the saved model scores in its own dtype (float32 by default)
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    gradient_checkpointing: bool = False
    disable_dropout: bool = True
    trust_remote_code: bool = False
    lora: LoraSettings = field(default_factory=LoraSettings)
    # data
    train_data: str | list[str] = "default"
    eval_data: str | list[str] | None = None
    eval_fraction: float = 0.1
    on_bad_row: Literal["error", "skip"] = "error"
    # exact repeats of an example (within or across files): always reported in bad_rows.txt;
    # drop: train on the first copy only; keep: every copy (a repeat weighs more); never an error
    on_duplicate: Literal["drop", "keep"] = "drop"
    # optimisation
    output_dir: str = "runs/rm"
    seed: int = 0
    max_steps: int = -1  # > 0 bounds all training; otherwise num_epochs decides
    num_epochs: float = 1.0
    batch_size: int = 16  # examples per optimizer step, summed over processes
    gradient_accumulation_steps: int = 1
    learning_rate: float = 3e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    max_grad_norm: float = 1.0
    center_rewards_coef: float = 0.0
    group_by_length: bool = True
    # bookkeeping
    eval_steps: int = 0  # 0: evaluate at the end only
    save_steps: int = 0  # 0: checkpoint at every eval (and at the end)
    logging_steps: int = 10
    report_to: Literal["none", "tensorboard", "wandb"] = "none"
    select_best: bool = True  # keep the weights of the best eval accuracy
    resume: bool = False
    eval_batch_size: int = 64
    progress: bool = True
    push_to_hub: str | None = None  # a hub repo id: upload the final folder (network + token)

    def model_settings(self) -> ModelSettings:
        return ModelSettings(
            name_or_path=self.model, architecture=self.architecture, pooling=self.pooling, max_length=self.max_length,
            max_response_tokens=self.max_response_tokens, prompt_template=self.prompt_template,
            append_eos=self.append_eos, quantization=self.quantization, dtype=self.dtype,
            gradient_checkpointing=self.gradient_checkpointing, disable_dropout=self.disable_dropout,
            trust_remote_code=self.trust_remote_code,
            lora=self.lora,
        )


@dataclass
class TrainResult:
    output_dir: Path
    steps: int
    eval_accuracy: float | None
    train_examples: int
    eval_examples: int
    skipped_rows: int
    truncated: int
    seconds: float
    pairs_per_second: float
    is_main: bool = True


def _log(msg: str, main: bool = True) -> None:
    if main:
        print(msg, file=sys.stderr, flush=True)


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_train_eval(cfg: TrainConfig, main: bool = True):
    """Training and eval examples, bad rows reported (and saved), overlap reported."""
    from rlhf_rm.data import find_overlap, load_examples, split_dev

    train = load_examples(resolve_data_spec(cfg.train_data), cfg.on_bad_row, on_duplicate=cfg.on_duplicate)
    bad, duplicates = list(train.bad_rows), list(train.duplicates)
    if cfg.eval_data is not None:
        train_ex = train.examples
        ev = load_examples(resolve_data_spec(cfg.eval_data), cfg.on_bad_row, "test", cfg.on_duplicate)
        bad, duplicates = bad + ev.bad_rows, duplicates + ev.duplicates
        eval_ex = ev.examples
    else:
        train_ex, eval_ex = split_dev(train.examples, cfg.eval_fraction, cfg.seed)
    if bad:
        _log(f"skipped {len(bad)} bad rows:", main)
        for row in bad[:50]:
            _log(f"  {row}", main)
        if len(bad) > 50:
            _log(f"  ... ({len(bad) - 50} more in bad_rows.txt)", main)
    if train.left_out:  # annotate's ties, skips and undone judgements; labeling tools' unlabeled tasks
        _log("left out on purpose: " + ", ".join(f"{n} {why}" for why, n in train.left_out.items()), main)
    overlap = find_overlap(train_ex, eval_ex) if eval_ex else 0
    if overlap:
        _log(f"warning: {overlap} eval examples also occur in the training data", main)
    return train_ex, eval_ex, bad, train.layouts, overlap, duplicates


def resolve_data_spec(spec: str | list[str]) -> str | list[str]:
    """``default`` names the bundled preference set."""
    if spec == "default":
        from rlhf_rm.resources import default_prefs_path

        return str(default_prefs_path())
    return spec


def eval_metrics(rm: RewardModel, examples, batch_size: int) -> tuple[dict[str, float], list[float]]:
    """The evaluation report's metrics on ``examples`` (namespaced ``rm/eval_*``) and all reply scores.

    The same formulas as ``rlhf-rm eval``: pair-weighted accuracy over every ordered pair (ties
    count wrong), its bootstrap CI, calibration and length bias.
    """
    from rlhf_rm.evaluate import EvalData, dataset_metrics, score_data

    data = EvalData.from_examples(examples, "dev")
    scores = score_data(lambda p, r: rm.score(p, r, batch_size=batch_size), data, batch_size=None)
    entry = dataset_metrics(data, scores, n_bootstrap=200, n_hardest=0)
    keep = ("accuracy", "calibration/ece", "length_bias/acc_chosen_shorter", "length_bias/acc_chosen_longer",
            "length_bias/reward_length_corr", "pointwise/spearman")
    out = {f"rm/eval_{k.replace('/', '_')}": entry[k] for k in keep if entry.get(k) is not None}
    if entry.get("ci95"):
        out["rm/eval_accuracy_ci95_low"], out["rm/eval_accuracy_ci95_high"] = entry["ci95"]
    flat = [float(x) for g in scores.groups for x in g] + [float(x) for x in scores.points]
    return out, flat


# ---- checkpoints ---------------------------------------------------------------------------

def _trainable_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(folder: Path, model, optimizer, scheduler, step: int, extra: dict) -> None:
    """Write a checkpoint to a temporary folder, then rename it into place (atomic)."""
    from safetensors.torch import save_file

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(_trainable_state(model), str(tmp / "trainable.safetensors"))
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
        },
        tmp / "state.pt",
    )
    write_json_atomic(tmp / "progress.json", {"step": step, **extra})
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def latest_checkpoint(output_dir: Path) -> Path | None:
    ckpts = [p for p in (output_dir / "checkpoints").glob("step-*") if (p / "progress.json").exists()]
    return max(ckpts, key=lambda p: int(p.name.split("-")[1]), default=None)


def load_checkpoint(folder: Path, model, optimizer, scheduler) -> dict:
    from safetensors.torch import load_file

    state = load_file(str(folder / "trainable.safetensors"))
    missing = set(state) - {n for n, _ in model.named_parameters()}
    if missing:
        raise RuntimeError(f"{folder}: checkpoint does not match the model (e.g. {sorted(missing)[0]})")
    model.load_state_dict(state, strict=False)
    blob = torch.load(folder / "state.pt", weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    scheduler.load_state_dict(blob["scheduler"])
    random.setstate(blob["rng"]["python"])
    np.random.set_state(blob["rng"]["numpy"])
    torch.set_rng_state(blob["rng"]["torch"])
    return json.loads((folder / "progress.json").read_text())


# ---- the loop -----------------------------------------------------------------------------

def train(cfg: TrainConfig) -> TrainResult:
    from accelerate import Accelerator
    from transformers import get_scheduler

    from accelerate.state import AcceleratorState

    # accelerate keeps its settings per process: a second train() here may ask for another precision
    AcceleratorState._reset_state()
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=cfg.mixed_precision)
    main = accelerator.is_main_process
    world, rank = accelerator.num_processes, accelerator.process_index
    if cfg.batch_size % (world * cfg.gradient_accumulation_steps):
        raise ValueError(
            f"batch_size={cfg.batch_size} must be divisible by processes ({world}) x "
            f"gradient_accumulation_steps ({cfg.gradient_accumulation_steps})"
        )
    out = Path(cfg.output_dir)
    _seed_all(cfg.seed)
    t0 = time.time()
    for warning in check_setup(cfg):
        _log(f"warning: {warning}", main)

    # 1. data: normalized examples, bad rows reported, a dev split
    train_ex, eval_ex, bad, layouts, overlap, duplicates = load_train_eval(cfg, main)
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bad_rows.txt").write_text("".join(f"{b}\n" for b in [*bad, *duplicates]), encoding="utf-8")
    if not train_ex:
        raise ValueError("no training examples left after removing bad rows")

    # 2. the model and its contract; inputs encoded once by the contract
    rm = build_reward_model(cfg.model_settings(), layouts=layouts, train_config=_config_dict(cfg))
    encoded, truncated = encode_examples(rm, train_ex)
    _log(f"{len(train_ex)} training examples ({truncated} truncated by the contract, none dropped), "
         f"{len(eval_ex)} eval examples, {len(bad)} bad rows skipped, {len(duplicates)} duplicate rows "
         f"{'dropped' if cfg.on_duplicate == 'drop' else 'kept'} (on_duplicate)", main)

    # 3. optimizer, schedule, distributed wrapping
    params = [p for p in rm.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    lengths = [e.length for e in encoded]
    batch_size = effective_batch_size(cfg.batch_size, len(encoded), world * cfg.gradient_accumulation_steps)
    if batch_size != cfg.batch_size:
        _log(f"warning: only {len(encoded)} training examples; batch_size {cfg.batch_size} -> {batch_size}", main)
    per_epoch = len(encoded) // batch_size
    total_steps = cfg.max_steps if cfg.max_steps > 0 else max(1, math.ceil(cfg.num_epochs * per_epoch))
    scheduler = get_scheduler(cfg.lr_scheduler, optimizer, int(cfg.warmup_ratio * total_steps), total_steps)
    model, optimizer = accelerator.prepare(rm.model, optimizer)
    inner = accelerator.unwrap_model(model)

    step, best_acc, best_step = 0, None, None
    last_eval: tuple[int, dict, list[float]] | None = None
    ckpt = latest_checkpoint(out) if cfg.resume else None
    if ckpt is not None:
        progress = load_checkpoint(ckpt, inner, optimizer, scheduler)
        step, best_acc, best_step = progress["step"], progress.get("best_accuracy"), progress.get("best_step")
        _log(f"resumed from {ckpt} at step {step}", main)
    writer = _tracker(cfg, out, main)
    bar = _progress(total_steps, step, cfg.progress and main)
    eval_every = cfg.eval_steps if cfg.eval_steps > 0 else total_steps
    save_every = cfg.save_steps if cfg.save_steps > 0 else eval_every
    model.train()
    t_loop = time.time()
    seen = 0
    window = {"loss": 0.0, "steps": 0, "correct": 0.0, "pairs": 0.0}

    # 4. the loop: each optimizer step sees batch_size examples, split across ranks and micro-batches
    while step < total_steps:
        epoch, k = divmod(step, per_epoch)
        batches = epoch_batches(lengths, batch_size, cfg.seed, epoch, cfg.group_by_length)
        for indices in batches[k:]:
            if step >= total_steps:
                break
            mine = indices[rank::world]
            micro = np.array_split(np.array(mine), cfg.gradient_accumulation_steps)
            loss_sum, stats = 0.0, {"correct": 0.0, "pairs": 0.0}
            for m, idx in enumerate(micro):
                part = [encoded[i] for i in idx]
                sync = m == len(micro) - 1
                with (accelerator.no_sync(model) if not sync else _null()):
                    scores = model_scores(model, rm, part)
                    loss, s = batch_loss(scores, part, cfg.center_rewards_coef)
                    loss = loss * (len(part) / len(mine))
                    accelerator.backward(loss)
                loss_sum += float(loss.detach())
                for key in stats:
                    stats[key] += s.get(key, 0.0)
            if cfg.max_grad_norm > 0:
                accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            seen += batch_size
            # the log shows averages over the steps since the last log line
            window["loss"] += loss_sum
            window["steps"] += 1
            window["correct"] += stats["correct"]
            window["pairs"] += stats["pairs"]
            record = {"step": step, "rm/loss": window["loss"] / window["steps"], "rm/lr": scheduler.get_last_lr()[0],
                      "rm/seconds": time.time() - t_loop}
            if window["pairs"]:
                record["rm/train_accuracy"] = window["correct"] / window["pairs"]
            bar.update(1)
            bar.set_postfix(loss=f"{loss_sum:.4f}")

            # 5. evaluate, keep the best, checkpoint
            if eval_ex and (step % eval_every == 0 or step == total_steps):
                metrics, eval_scores = eval_metrics(rm, eval_ex, cfg.eval_batch_size)
                last_eval = (step, metrics, eval_scores)
                record.update(metrics)
                acc = metrics.get("rm/eval_accuracy")
                model.train()
                if acc is not None and (best_acc is None or acc > best_acc) and main:
                    best_acc, best_step = acc, step
                    _save_weights(inner, out / "best")
                _log(f"step {step}: eval accuracy {acc:.4f}" if acc is not None else f"step {step}", main)
            if main and (step % cfg.logging_steps == 0 or "rm/eval_accuracy" in record):
                _write_record(out, writer, record)
                window = dict.fromkeys(window, 0.0)
            if main and (step % save_every == 0 and step < total_steps):
                save_checkpoint(out / "checkpoints" / f"step-{step}", inner, optimizer, scheduler, step,
                                {"best_accuracy": best_acc, "best_step": best_step})
                _prune_checkpoints(out, keep=1)
            accelerator.wait_for_everyone()
    bar.close()
    train_seconds = time.time() - t_loop

    # 6. the final model: best weights, normalization stats on the dev split, the contract
    if cfg.select_best and best_step is not None and best_step != step and (out / "best").exists():
        _load_weights_into(inner, out / "best")
        last_eval = None
    final: dict[str, float] = {}
    if eval_ex:
        if last_eval is not None and last_eval[0] == step:
            _, final, scores = last_eval
        else:
            final, scores = eval_metrics(rm, eval_ex, cfg.eval_batch_size)
        rm.contract.norm_mean = float(np.mean(scores))
        rm.contract.norm_std = float(np.std(scores)) or 1.0
    final_acc = final.get("rm/eval_accuracy")
    rm.contract.metrics = {
        **final, "eval_examples": len(eval_ex), "train_examples": len(train_ex),
        "steps": step, "skipped_rows": len(bad), "truncated": truncated, "train_eval_overlap": overlap,
    }
    if main:
        rm.model = inner
        _save_final(rm, out)
        shutil.rmtree(out / "best", ignore_errors=True)
        if cfg.push_to_hub:
            from rlhf_rm.card import push_folder

            _log(f"pushed to {push_folder(out, cfg.push_to_hub)}", main)
    if writer is not None:
        writer.close()
    accelerator.wait_for_everyone()
    pps = seen / train_seconds if train_seconds > 0 else 0.0
    return TrainResult(out, step, final_acc, len(train_ex), len(eval_ex), len(bad), truncated,
                       time.time() - t0, pps, main)


def check_setup(cfg: TrainConfig) -> list[str]:
    """Raise ValueError for settings this machine cannot run; return a warning (with what to do)
    for each setting that will run, but probably not as the user meant."""
    out = []
    gpu = torch.cuda.is_available()
    if cfg.quantization != "none" and not gpu:
        out.append(f"no CUDA GPU found: the {cfg.quantization} bitsandbytes layers will run on the CPU, "
                   "much slower than on a GPU; for a CPU run set quantization=none (and dtype=float32)")
    if cfg.dtype != "float32" and not gpu:
        out.append(f"dtype={cfg.dtype} on a CPU is slow and lossy; set dtype=float32 for CPU training")
    if cfg.mixed_precision == "fp16" and not gpu:
        raise ValueError("mixed_precision=fp16 needs a CUDA GPU; on a CPU use mixed_precision=bf16 or no")
    if cfg.mixed_precision == "bf16" and not gpu and not cpu_has_fast_bf16():
        out.append("mixed_precision=bf16 on a CPU without AMX or AVX512-BF16 is slower than float32; "
                   "set mixed_precision=no")
    return out


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AMX or AVX512-BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in (" amx_bf16", " avx512_bf16"))


def effective_batch_size(batch_size: int, n_examples: int, multiple: int) -> int:
    """The batch size, shrunk (to a multiple of processes x accumulation) when data are scarce."""
    if n_examples >= batch_size:
        return batch_size
    if n_examples < multiple:
        raise ValueError(f"{n_examples} training examples cannot be split over {multiple} processes x micro-batches")
    return n_examples // multiple * multiple


def model_scores(model, rm: RewardModel, part) -> torch.Tensor:
    """Scores of every reply in ``part`` in one forward of the (possibly DDP-wrapped) model."""
    flat = [r for ex in part for r in ex.replies]
    # lengths rounded up to a multiple of 8: few distinct shapes keep the CPU kernels' caches
    # (and the allocator) from growing with every new batch length
    batch = {k: v.to(rm.device) for k, v in rm.collate(flat, pad_to_multiple_of=8).items()}
    return sequence_scores(model, batch, rm.contract.pooling)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _config_dict(cfg: TrainConfig) -> dict:
    return asdict(cfg)


def _save_weights(model, folder: Path) -> None:
    from safetensors.torch import save_file

    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file(_trainable_state(model), str(tmp / "trainable.safetensors"))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _load_weights_into(model, folder: Path) -> None:
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(folder / "trainable.safetensors")), strict=False)


def _save_final(rm: RewardModel, out: Path) -> None:
    """The reward-model folder, written beside and then moved into ``out`` file by file."""
    tmp = out / ".final.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    rm.save(tmp)
    for item in tmp.iterdir():
        target = out / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    tmp.rmdir()


def _prune_checkpoints(out: Path, keep: int) -> None:
    ckpts = sorted((out / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1].split(".")[0]))
    for old in ckpts[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _tracker(cfg: TrainConfig, out: Path, main: bool):
    if not main or cfg.report_to == "none":
        return None
    if cfg.report_to == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(out / "tensorboard"))
    import wandb

    wandb.init(project="rlhf_rm", config=_config_dict(cfg), dir=str(out))
    return wandb


def _write_record(out: Path, writer, record: dict) -> None:
    with open(out / "train_log.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    if writer is None:
        return
    if hasattr(writer, "add_scalar"):
        for key, value in record.items():
            if key != "step" and value is not None:
                writer.add_scalar(key, value, record["step"])
    else:
        writer.log(record, step=record["step"])


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc="train", unit="step", file=sys.stderr)
