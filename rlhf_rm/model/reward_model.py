"""``RewardModel``: a sequence classifier, its tokenizer and its contract, scored as one."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from rlhf_rm.contract import Contract
from rlhf_rm.types import Message
from rlhf_rm.model.encode import Encoded, SpecialTokens, collate, encode_pairs, render_prompt
from rlhf_rm.model.io import export_folder, load_folder, save_folder
from rlhf_rm.model.score import CPU_BATCH_TOKENS, forward_overhead_tokens, micro_batches, sequence_scores


def default_device() -> str:
    """Where a reward model goes when the caller names no device: the GPU when there is one."""
    return "cuda" if torch.cuda.is_available() else "cpu"


class RewardModel:
    """A reward model and its contract: ``encode`` -> ``collate`` -> ``forward`` -> scores.

    An ensemble (the contract's ``ensemble``) is one base with a LoRA adapter and head per member:
    inputs are encoded once, each member scores them in turn (``forward_members``), and the
    plain score is the members' mean."""

    def __init__(self, model, tokenizer, contract: Contract):
        self.model = model
        self.tokenizer = tokenizer
        self.contract = contract
        self.special = SpecialTokens.of(tokenizer, pair=contract.architecture == "encoder")
        self._overhead_tokens: float | None = None  # a CPU forward's fixed cost, in padded tokens (lazy)

    # ---- inputs -------------------------------------------------------------------------
    def render_prompt(self, prompt: str | Sequence[Message]) -> str:
        """The prompt text by the contract's template, ready for the reply."""
        return render_prompt(self.tokenizer, self.contract.prompt_template, prompt)

    def encode(self, prompts: Sequence[str | Sequence[Message]], replies: Sequence[str | Sequence[Message]]) -> list[Encoded]:
        """Token ids of each (prompt, reply) under the contract (:func:`~rlhf_rm.model.encode.encode_pairs`)."""
        return encode_pairs(self.tokenizer, self.contract, self.special, prompts, replies)

    def collate(self, items: Sequence[Encoded], pad_to_multiple_of: int | None = None) -> dict[str, torch.Tensor]:
        """Pad a list of encoded inputs on the contract's padding side."""
        return collate(items, self.contract, pad_to_multiple_of)

    # ---- scores -------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def members(self) -> list[str]:
        """An ensemble's member (adapter) names; empty for one model."""
        return list(self.contract.ensemble.members) if self.contract.ensemble is not None else []

    @property
    def member_count(self) -> int:
        """Rows of ``forward_members``: the ensemble's members, or 1."""
        return len(self.members) or 1

    def forward_members(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Each member's raw scores, one forward each on the shared base. Shape: input_ids (B, T) -> (M, B)."""
        batch = {k: v.to(self.device) for k, v in batch.items()}
        if not self.members:
            return sequence_scores(self.model, batch, self.contract.pooling)[None]
        rows = []
        for name in self.members:
            self.model.set_adapter(name)  # the member's LoRA layers and head (peft's modules_to_save)
            rows.append(sequence_scores(self.model, batch, self.contract.pooling))
        return torch.stack(rows)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Raw scores (an ensemble's: its members' mean). Shape: input_ids (B, T) -> (B,)."""
        return self.forward_members(batch).mean(0)

    def score(self, prompts, replies, batch_size: int = 32, max_tokens: int | None = None) -> list[float]:
        """Raw scores in input order, micro-batched over length-sorted inputs."""
        return self.score_encoded(self.encode(prompts, replies), batch_size, max_tokens)

    def score_members(self, prompts, replies, batch_size: int = 32, max_tokens: int | None = None) -> list[list[float]]:
        """Each member's raw scores in input order (one row for one model). Shape: (M, N)."""
        return self.score_members_encoded(self.encode(prompts, replies), batch_size, max_tokens)

    def score_encoded(self, items: Sequence[Encoded], batch_size: int = 32,
                      max_tokens: int | None = None) -> list[float]:
        """Raw scores of encoded inputs in input order (an ensemble's: its members' mean)."""
        rows = self.score_members_encoded(items, batch_size, max_tokens)
        return [sum(col) / len(col) for col in zip(*rows)]

    @torch.inference_mode()
    def score_members_encoded(self, items: Sequence[Encoded], batch_size: int = 32,
                              max_tokens: int | None = None) -> list[list[float]]:
        """Each member's raw scores of encoded inputs in input order. Shape: (M, N).

        Length-sorted micro-batches of at most ``batch_size`` inputs and ``max_tokens`` padded
        tokens (None: ``CPU_BATCH_TOKENS`` on the CPU, no cap on an accelerator): inputs of similar
        length waste little padding, and a CPU batch stays small enough to be cheap per token. On
        the CPU the cuts also weigh padding against a forward's fixed cost
        (:func:`~rlhf_rm.model.score.forward_overhead_tokens`).
        """
        overhead = 0.0
        if self.device.type == "cpu":
            max_tokens = CPU_BATCH_TOKENS if max_tokens is None else max_tokens
            overhead = self._cpu_overhead_tokens()
        scores = [[0.0] * len(items) for _ in range(self.member_count)]
        was_training = self.model.training
        if was_training:  # (toggling walks every module: skip it for a model already in eval mode)
            self.model.eval()
        try:
            for idx in micro_batches([len(e.input_ids) for e in items], batch_size, max_tokens, overhead):
                values = self.forward_members(self.collate([items[i] for i in idx])).tolist()  # (M, b)
                for row, member_values in zip(scores, values):
                    for i, v in zip(idx, member_values):
                        row[i] = float(v)
        finally:
            if was_training:
                self.model.train()
        return scores

    def _cpu_overhead_tokens(self) -> float:
        if self._overhead_tokens is None:
            self._overhead_tokens = forward_overhead_tokens(self.model)
        return self._overhead_tokens

    # ---- saving -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        """Weights (adapter with head, or full), tokenizer and contract in one folder."""
        save_folder(self.model, self.tokenizer, self.contract, folder)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device | None = None, dtype: str | None = None,
             trust_remote_code: bool = False) -> "RewardModel":
        """Load an rlhf_rm folder, an exported/plain sequence-classification folder or a hub id."""
        model, tokenizer, contract = load_folder(path, dtype, trust_remote_code)
        if device is not None:
            model.to(device)
        return cls(model, tokenizer, contract)

    def export(self, folder: str | Path) -> None:
        """A plain ``AutoModelForSequenceClassification`` folder (LoRA merged), tokenizer and contract
        (:func:`~rlhf_rm.model.io.export_folder`)."""
        export_folder(self.model, self.tokenizer, self.contract, folder)
