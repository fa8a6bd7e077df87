"""Reward-model training, one stage: settings (``config``), data and dev split (``data``), encoded
batches (``batches``), losses (``losses``), the loop (``loop``), dev metrics and logs (``dev_eval``),
ensembles of LoRA members (``ensemble``).

``from rlhf_rm.train import TrainConfig, train`` is the public entry; the names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlhf_rm.train.config import TrainConfig
    from rlhf_rm.train.data import TrainData, TrainResult

__all__ = ["TrainConfig", "TrainResult", "train"]


def train(cfg: TrainConfig, data: TrainData | None = None) -> TrainResult:
    """Train the reward model ``cfg`` describes into ``cfg.output_dir``: one model, or with
    ``ensemble: k`` k LoRA members in one folder. ``data``: examples already loaded and split."""
    if cfg.ensemble != 1:
        from rlhf_rm.train.ensemble import train_ensemble

        return train_ensemble(cfg)
    from rlhf_rm.train.loop import train_model

    return train_model(cfg, data)


def __getattr__(name: str):
    if name == "TrainConfig":
        from rlhf_rm.train.config import TrainConfig

        return TrainConfig
    if name == "TrainResult":
        from rlhf_rm.train.data import TrainResult

        return TrainResult
    raise AttributeError(f"module 'rlhf_rm.train' has no attribute {name!r}")
