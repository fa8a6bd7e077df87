"""What reward-model training measures and shows: dev-split evaluation, the best step, the log.

``rlhf_rm.train.loop`` runs the loop; this module computes the dev metrics (the same formulas as
``rlhf-rm eval``), decides when an accuracy is a new best, and writes ``train_log.jsonl`` (plus
TensorBoard or W&B, and the progress bar) with the means since the last line.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rlhf_rm.model import RewardModel
from rlhf_rm.train.data import log_main


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


@dataclass(frozen=True)
class DevEval:
    """One evaluation of the dev split."""

    step: int
    metrics: dict[str, float]  # rm/eval_*
    scores: list[float]  # every dev reply's raw score

    @property
    def accuracy(self) -> float | None:
        return self.metrics.get("rm/eval_accuracy")


def evaluate_dev(rm: RewardModel, examples, batch_size: int, step: int, main: bool) -> DevEval:
    """Evaluate the dev split at ``step``; the main process prints the accuracy."""
    metrics, scores = eval_metrics(rm, examples, batch_size)
    dev = DevEval(step, metrics, scores)
    acc = dev.accuracy
    log_main(f"step {step}: eval accuracy {acc:.4f}" if acc is not None else f"step {step}", main)
    return dev


def is_new_best(accuracy: float | None, best: float | None) -> bool:
    """Strictly better than the best so far (the first accuracy always is)."""
    return accuracy is not None and (best is None or accuracy > best)


def final_dev_metrics(rm: RewardModel, examples, batch_size: int, last: DevEval | None, step: int) -> dict[str, float]:
    """The dev metrics of the weights being saved (``last`` when it evaluated them at ``step``),
    and the contract's normalization stats: the mean and std of the dev replies' scores."""
    if not examples:
        return {}
    if last is not None and last.step == step:
        final, scores = last.metrics, last.scores
    else:
        final, scores = eval_metrics(rm, examples, batch_size)
    rm.contract.norm_mean = float(np.mean(scores))
    rm.contract.norm_std = float(np.std(scores)) or 1.0
    return final


@dataclass
class TrainLog:
    """``train_log.jsonl`` (main process), a tracker, a progress bar; rows are means over the
    optimizer steps since the last row."""

    out: Path
    main: bool
    writer: Any = None  # a TensorBoard SummaryWriter, the wandb module, or None
    bar: Any = None
    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("loss", "steps", "correct", "pairs"), 0.0))

    @classmethod
    def open(cls, out: Path, main: bool, report_to: Literal["none", "tensorboard", "wandb"], config: dict,
             total: int, initial: int, progress: bool) -> TrainLog:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=initial, disable=not (progress and main), desc="train", unit="step",
                   file=sys.stderr)
        return cls(out, main, _tracker(out, main, report_to, config), bar)

    def step(self, step: int, loss: float, stats: dict[str, float], lr: float, seconds: float) -> dict[str, float]:
        """Add one optimizer step; its record (loss and train accuracy: means since the last row)."""
        for key, value in (("loss", loss), ("steps", 1), ("correct", stats["correct"]), ("pairs", stats["pairs"])):
            self.sums[key] += value
        record = {"step": step, "rm/loss": self.sums["loss"] / self.sums["steps"], "rm/lr": lr, "rm/seconds": seconds}
        if self.sums["pairs"]:
            record["rm/train_accuracy"] = self.sums["correct"] / self.sums["pairs"]
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{loss:.4f}")
        return record

    def write(self, record: dict) -> None:
        """Write ``record`` (main process) and start a new window of sums."""
        self.sums = dict.fromkeys(self.sums, 0.0)
        if not self.main:
            return
        with open(self.out / "train_log.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is None:
            return
        if hasattr(self.writer, "add_scalar"):
            for key, value in record.items():
                if key != "step" and value is not None:
                    self.writer.add_scalar(key, value, record["step"])
        else:
            self.writer.log(record, step=record["step"])

    def close(self) -> None:
        self.bar.close()
        if self.writer is not None:
            self.writer.close()


def _tracker(out: Path, main: bool, report_to: str, config: dict):
    if not main or report_to == "none":
        return None
    if report_to == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(out / "tensorboard"))
    import wandb

    wandb.init(project="rlhf_rm", config=config, dir=str(out))
    return wandb
