"""Reward-model training: the loop, in numbered steps, with checkpoints and resume.

Runs as one process, under ``accelerate launch`` (GPUs, DeepSpeed/FSDP configs) or ``torchrun``:
each rank takes an equal share of every global batch, gradients are averaged by accelerate's
DDP wrapper, so the result equals a one-process run with the same global batch. Checkpoints are
``rlhf_rm.checkpoint``'s (sharded optimizer state included); the data and dev split are
``rlhf_rm.train.data``'s, the dev evaluation and the log ``rlhf_rm.train.dev_eval``'s.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rlhf_rm.train.batches import EncodedExample, batch_loss, encode_examples, epoch_batches, length_only_beta, model_scores
from rlhf_rm.checkpoint import Retention, checkpoint_dir, clear_checkpoints, latest_checkpoint, load_checkpoint
from rlhf_rm.checkpoint import save_checkpoint
from rlhf_rm.model import RewardModel, build_reward_model
from rlhf_rm.train.config import TrainConfig
from rlhf_rm.train.data import TrainData, TrainResult, load_train_eval, log_main
from rlhf_rm.train.dev_eval import DevEval, TrainLog, evaluate_dev, final_dev_metrics, is_new_best


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---- the loop -----------------------------------------------------------------------------

def train_model(cfg: TrainConfig, data: TrainData | None = None) -> TrainResult:
    """Train one reward model by ``cfg``; write it (contract, weights, tokenizer, card) to
    ``cfg.output_dir``. ``data``: examples already loaded and split (an ensemble member's)."""
    accelerator = _accelerator(cfg)
    main, out, t0 = accelerator.is_main_process, Path(cfg.output_dir), time.time()
    _seed_all(cfg.seed)
    for warning in check_setup(cfg):
        log_main(f"warning: {warning}", main)

    # 1. data: normalized examples, bad rows reported, a dev split
    data = load_train_eval(cfg, main) if data is None else data
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bad_rows.txt").write_text("".join(f"{b}\n" for b in [*data.bad, *data.duplicates]), encoding="utf-8")
    if not data.train:
        raise ValueError("no training examples left after removing bad rows")

    # 2. the model and its contract; inputs encoded once by the contract
    rm = build_reward_model(cfg.model_settings(), layouts=data.layouts, train_config=asdict(cfg))
    encoded, truncated = encode_examples(rm, data.train)
    log_main(f"{len(data.train)} training examples ({truncated} truncated by the contract, none dropped), "
         f"{len(data.eval)} eval examples, {len(data.bad)} bad rows skipped, {len(data.duplicates)} duplicate rows "
         f"{'dropped' if cfg.on_duplicate == 'drop' else 'kept'} (on_duplicate)", main)

    # 3. optimizer, schedule, distributed wrapping
    run = _prepare(cfg, accelerator, rm, encoded)

    # 4. resume from the latest checkpoint (resume=true)
    progress = _resume(run)

    # 5. the optimizer steps, with evaluation, the best weights, logs and checkpoints
    done = _train_steps(run, data.eval, progress)

    # 6. the final model: best weights, normalization stats on the dev split, the contract
    final = final_dev_metrics(rm, data.eval, cfg.eval_batch_size, _select_best(run, done), done.step)
    rm.contract.metrics = {
        **final, "eval_examples": len(data.eval), "train_examples": len(data.train), "steps": done.step,
        "skipped_rows": len(data.bad), "truncated": truncated, "train_eval_overlap": data.overlap,
    }
    rm.contract.length_debias = cfg.length_debias  # the score is the head alone: the length term is dropped
    rm.contract.length_beta = None if run.length_beta is None else float(run.length_beta.detach())
    if main:
        rm.model = run.inner
        _save_final(rm, out)
        if cfg.push_to_hub:
            from rlhf_rm.model.card import push_folder

            log_main(f"pushed to {push_folder(out, cfg.push_to_hub)}", main)
    accelerator.wait_for_everyone()
    pps = done.seen / done.seconds if done.seconds > 0 else 0.0
    return TrainResult(out, done.step, final.get("rm/eval_accuracy"), len(data.train), len(data.eval), len(data.bad),
                       truncated, time.time() - t0, pps, main)


def _accelerator(cfg: TrainConfig):
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    # accelerate keeps its settings per process: a second train() here may ask for another precision
    AcceleratorState._reset_state()
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=cfg.mixed_precision)
    world = accelerator.num_processes
    if cfg.length_corr_coef < 0 or cfg.length_beta_lr <= 0:
        raise ValueError(f"length_corr_coef must be >= 0 (got {cfg.length_corr_coef}) and length_beta_lr > 0 "
                         f"(got {cfg.length_beta_lr})")
    if cfg.batch_size % (world * cfg.gradient_accumulation_steps):
        raise ValueError(f"batch_size={cfg.batch_size} must be divisible by processes ({world}) x "
                         f"gradient_accumulation_steps ({cfg.gradient_accumulation_steps})")
    return accelerator


@dataclass(frozen=True)
class _Run:
    """What every optimizer step needs: the prepared model and optimizer, the data, the schedule."""

    cfg: TrainConfig
    accelerator: Any
    rm: RewardModel
    model: Any  # rm.model as accelerate prepared it (DDP-wrapped with several processes)
    inner: Any  # the bare model
    optimizer: Any
    scheduler: Any
    params: list[torch.nn.Parameter]
    length_beta: torch.nn.Parameter | None  # length_debias=lc_bt: the learned length coefficient
    encoded: list[EncodedExample]
    batch_size: int  # examples per optimizer step over all processes (shrunk when data are scarce)
    per_epoch: int  # optimizer steps per epoch
    total_steps: int
    out: Path
    main: bool  # the main process: the one that writes logs and the final model


def _prepare(cfg: TrainConfig, accelerator, rm: RewardModel, encoded: list[EncodedExample]) -> _Run:
    from transformers import get_scheduler

    main, world = accelerator.is_main_process, accelerator.num_processes
    params = [p for p in rm.model.parameters() if p.requires_grad]
    length_beta = None  # lc_bt: a learned scalar, started at the length-only fit of the training pairs
    if cfg.length_debias == "lc_bt":
        length_beta = torch.nn.Parameter(torch.tensor(length_only_beta(encoded), device=rm.device))
        log_main(f"length_debias=lc_bt: beta starts at {float(length_beta.detach()):.4f} (length-only fit)", main)
    groups = [{"params": params}]
    if length_beta is not None:
        groups.append({"params": [length_beta], "weight_decay": 0.0, "lr": cfg.length_beta_lr})
    optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    batch_size = effective_batch_size(cfg.batch_size, len(encoded), world * cfg.gradient_accumulation_steps)
    if batch_size != cfg.batch_size:
        log_main(f"warning: only {len(encoded)} training examples; batch_size {cfg.batch_size} -> {batch_size}", main)
    per_epoch = len(encoded) // batch_size
    total_steps = cfg.max_steps if cfg.max_steps > 0 else max(1, math.ceil(cfg.num_epochs * per_epoch))
    # the schedule steps once per optimizer step on every rank: kept out of accelerate.prepare,
    # whose wrapper would step it once per process
    scheduler = get_scheduler(cfg.lr_scheduler, optimizer, int(cfg.warmup_ratio * total_steps), total_steps)
    model, optimizer = accelerator.prepare(rm.model, optimizer)
    return _Run(cfg, accelerator, rm, model, accelerator.unwrap_model(model), optimizer, scheduler, params,
                length_beta, encoded, batch_size, per_epoch, total_steps, Path(cfg.output_dir), main)


@dataclass
class _Progress:
    """Where the loop stands; saved in every checkpoint's progress.json."""

    step: int = 0
    best_accuracy: float | None = None
    best_step: int | None = None  # its checkpoint holds the best weights (kept by every prune)
    seen: int = 0  # training examples this process's run has stepped over (not restored on resume)
    seconds: float = 0.0  # time in the loop
    last_eval: DevEval | None = None


def _resume(run: _Run) -> _Progress:
    """resume=true: where the latest checkpoint left off; otherwise a fresh start that removes old
    checkpoints (a later resume must not pick up another run's state)."""
    ckpt = latest_checkpoint(run.out) if run.cfg.resume else None
    if ckpt is None:
        if not run.cfg.resume and run.main:
            clear_checkpoints(run.out)
        return _Progress()
    saved, loop_state = load_checkpoint(run.accelerator, ckpt)
    _restore_loop_state(run, loop_state)
    log_main(f"resumed from {ckpt} at step {saved['step']}", run.main)
    return _Progress(saved["step"], saved.get("best_accuracy"), saved.get("best_step"))


def _train_steps(run: _Run, eval_ex: list, progress: _Progress) -> _Progress:
    """Steps ``progress.step + 1 .. total_steps``: each sees batch_size examples, split across ranks
    and micro-batches, in the order of a seeded, length-grouped pass over the data per epoch."""
    cfg = run.cfg
    log = TrainLog.open(run.out, run.main, cfg.report_to, asdict(cfg), run.total_steps, progress.step,
                        cfg.progress)
    eval_every = cfg.eval_steps if cfg.eval_steps > 0 else run.total_steps
    save_every = cfg.save_steps if cfg.save_steps > 0 else eval_every
    lengths = tuple(e.length for e in run.encoded)
    run.model.train()
    t_loop = time.time()
    for step in range(progress.step + 1, run.total_steps + 1):
        epoch, k = divmod(step - 1, run.per_epoch)
        batches = _epoch_batches(lengths, run.batch_size, cfg.seed, epoch, cfg.group_by_length)
        # 1. forward and backward over this rank's share, in micro-batches; one optimizer step
        loss, stats = _optimizer_step(run, batches[k])
        progress.step, progress.seen = step, progress.seen + run.batch_size
        record = log.step(step, loss, stats, run.scheduler.get_last_lr()[0], time.time() - t_loop)
        if run.length_beta is not None:
            record["rm/length_beta"] = float(run.length_beta.detach())
        # 2. evaluate on the dev split; a better accuracy is the new best
        improved = False
        if eval_ex and (step % eval_every == 0 or step == run.total_steps):
            improved = _evaluate(run, eval_ex, progress, record)
        # 3. log the means since the last row
        if step % cfg.logging_steps == 0 or "rm/eval_accuracy" in record:
            log.write(record)
        # 4. checkpoint: every save_steps, and at each new best (the weights select_best returns to)
        if step < run.total_steps and (step % save_every == 0 or (improved and cfg.select_best)):
            _checkpoint(run, progress)
        run.accelerator.wait_for_everyone()
    log.close()
    progress.seconds = time.time() - t_loop
    return progress


@functools.lru_cache(maxsize=2)
def _epoch_batches(lengths: tuple[int, ...], batch_size: int, seed: int, epoch: int,
                   group_by_length: bool) -> list[list[int]]:
    """Example indices of each optimizer step of ``epoch`` (a pure function of seed and epoch)."""
    return epoch_batches(lengths, batch_size, seed, epoch, group_by_length)


def _optimizer_step(run: _Run, indices: list[int]) -> tuple[float, dict[str, float]]:
    """One optimizer step on the global batch ``indices``: this rank takes every world-th example,
    split into gradient_accumulation_steps micro-batches (gradients synchronized on the last).
    Returns this rank's loss and its correct/total pair counts."""
    cfg, accelerator = run.cfg, run.accelerator
    mine = indices[accelerator.process_index::accelerator.num_processes]
    micro = np.array_split(np.array(mine), cfg.gradient_accumulation_steps)
    loss_sum, stats = 0.0, {"correct": 0.0, "pairs": 0.0}
    for m, idx in enumerate(micro):
        part = [run.encoded[i] for i in idx]
        sync = m == len(micro) - 1
        with (accelerator.no_sync(run.model) if not sync else contextlib.nullcontext()):
            scores = model_scores(run.model, run.rm, part)
            loss, s = batch_loss(scores, part, cfg.center_rewards_coef, run.length_beta, cfg.length_corr_coef)
            loss = loss * (len(part) / len(mine))
            accelerator.backward(loss)
        loss_sum += float(loss.detach())
        for key in stats:
            stats[key] += s.get(key, 0.0)
    if run.length_beta is not None and accelerator.num_processes > 1:  # not in the model: DDP leaves it alone
        grad = run.length_beta.grad if run.length_beta.grad is not None else torch.zeros_like(run.length_beta)
        run.length_beta.grad = accelerator.reduce(grad, reduction="mean")
    if cfg.max_grad_norm > 0:
        accelerator.clip_grad_norm_(run.params, cfg.max_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return loss_sum, stats


def _checkpoint(run: _Run, progress: _Progress) -> None:
    """Every rank calls this: accelerate saves the (possibly sharded) model and optimizer state."""
    beta = None if run.length_beta is None else float(run.length_beta.detach())
    save_checkpoint(run.accelerator, run.out, progress.step, {"scheduler": run.scheduler.state_dict(), "length_beta": beta},
                    {"best_accuracy": progress.best_accuracy, "best_step": progress.best_step},
                    Retention(keep_last=1, best_step=progress.best_step))


def _evaluate(run: _Run, eval_ex: list, progress: _Progress, record: dict) -> bool:
    """Dev metrics into ``record``; whether the accuracy is a new best. Every rank evaluates the
    same weights on the same examples, so all agree on the best (and save its checkpoint together)."""
    progress.last_eval = dev = evaluate_dev(run.rm, eval_ex, run.cfg.eval_batch_size, progress.step, run.main)
    record.update(dev.metrics)
    run.model.train()
    if not is_new_best(dev.accuracy, progress.best_accuracy):
        return False
    progress.best_accuracy, progress.best_step = dev.accuracy, progress.step
    return True


def _select_best(run: _Run, done: _Progress) -> DevEval | None:
    """select_best: back to the best checkpoint's weights unless the last step is the best; the
    last evaluation when it still describes the weights in the model."""
    if not run.cfg.select_best or done.best_step is None or done.best_step == done.step:
        return done.last_eval
    best = checkpoint_dir(run.out, done.best_step)
    if not best.is_dir():
        return done.last_eval
    _restore_loop_state(run, load_checkpoint(run.accelerator, best)[1])  # the best step's length_beta too
    return None


def _restore_loop_state(run: _Run, loop_state: dict) -> None:
    """What the checkpoint's loop_state.pt holds beside accelerate's files."""
    run.scheduler.load_state_dict(loop_state["scheduler"])
    if run.length_beta is not None:
        run.length_beta.data.fill_(loop_state.get("length_beta") or 0.0)


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
