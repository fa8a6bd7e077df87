"""Reward-model training's data: the training examples and the dev split, bad rows reported.

``load_train_eval`` reads ``train_data`` (and ``eval_data``, or splits a dev share off by prompt),
reports bad rows, duplicates and train/dev overlap; ``rlhf_rm.train.loop`` encodes and trains on them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class DataSettings(Protocol):
    """The data keys of ``rlhf_rm.train.config.TrainConfig``."""

    train_data: str | list[str]
    eval_data: str | list[str] | None
    eval_fraction: float
    on_bad_row: str
    on_duplicate: str
    seed: int
    augment_negatives: float


def log_main(msg: str, main: bool = True) -> None:
    """Print a progress line to stderr from the main process only."""
    if main:
        print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class TrainData:
    train: list  # Example
    eval: list  # Example; empty without a dev split
    bad: list  # BadRow, of both
    layouts: list[str]  # the training files' layouts
    overlap: int  # eval examples also in the training data
    duplicates: list = field(default_factory=list)  # BadRow: later copies, dropped or kept by on_duplicate


def load_train_eval(cfg: DataSettings, main: bool = True) -> TrainData:
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
        log_main(f"skipped {len(bad)} bad rows:", main)
        for row in bad[:50]:
            log_main(f"  {row}", main)
        if len(bad) > 50:
            log_main(f"  ... ({len(bad) - 50} more in bad_rows.txt)", main)
    if train.left_out:  # annotate's ties, skips and undone judgements; labeling tools' unlabeled tasks
        log_main("left out on purpose: " + ", ".join(f"{n} {why}" for why, n in train.left_out.items()), main)
    overlap = find_overlap(train_ex, eval_ex) if eval_ex else 0
    if overlap:
        log_main(f"warning: {overlap} eval examples also occur in the training data", main)
    if cfg.augment_negatives:  # synthetic negatives for training only: the dev split measures the model
        from rlhf_rm.data.augment import augment_examples

        augmented = augment_examples(train_ex, cfg.augment_negatives, cfg.seed)
        train_ex = augmented.examples
        log_main(f"augment_negatives={cfg.augment_negatives}: {augmented.summary()} "
                 "(training examples only, none to the dev split)", main)
    return TrainData(train_ex, eval_ex, bad, train.layouts, overlap, duplicates)


def resolve_data_spec(spec: str | list[str]) -> str | list[str]:
    """``default`` names the bundled preference set."""
    if spec == "default":
        from rlhf_rm.resources import default_prefs_path

        return str(default_prefs_path())
    return spec


@dataclass
class TrainResult:
    """What ``rlhf_rm.train.train`` (one model or an ensemble) returns."""

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
