"""Sums, gathers and gradient averaging over PPO processes (no-ops with one process).

The policy is not wrapped in DistributedDataParallel: its reference is its own weights with the
adapter switched off, sampling runs on the bare module (or a merged copy), and a separate critic
is a second adapter of the same model -- DDP's hooks would fight all three. Gradients are instead
averaged with one all-reduce of the flattened trainable gradients per minibatch.
"""

from __future__ import annotations

import math

import torch


def has_accelerator() -> bool:
    """Whether torch sees a GPU-like device (accelerate then picks the backend itself)."""
    if torch.cuda.is_available():
        return True
    xpu = getattr(torch, "xpu", None)
    mps = getattr(torch.backends, "mps", None)
    return bool((xpu is not None and xpu.is_available()) or (mps is not None and mps.is_available()))


class Dist:
    def __init__(self, accelerator):
        self.acc = accelerator
        self.n = accelerator.num_processes

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        return self.acc.reduce(t.clone(), reduction="sum") if self.n > 1 else t

    def gather(self, t: torch.Tensor) -> torch.Tensor:
        return self.acc.gather(t.contiguous()) if self.n > 1 else t

    def gather_objects(self, items: list) -> list:
        if self.n == 1:
            return items
        from accelerate.utils import gather_object

        return gather_object(items)

    def any(self, flag: bool) -> bool:
        """True on every process if it is True on any (e.g. a time budget ran out)."""
        return self.sum(torch.tensor(float(flag), device=self.acc.device)).item() > 0

    def mean_grads(self, params: list[torch.nn.Parameter]) -> None:
        if self.n == 1:
            return
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = self.acc.reduce(torch.cat([g.flatten() for g in grads]), reduction="mean")
        offset = 0
        for p, g in zip(params, grads):
            p.grad = flat[offset : offset + g.numel()].view_as(g).clone()
            offset += g.numel()

    def masked_whiten(self, x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
        """``algo.masked_whiten`` with the mean and (unbiased) variance over all processes."""
        stats = self.sum(torch.stack([(x * mask).sum(), (x * x * mask).sum(), mask.sum()]).double())
        s, s2, n = stats.tolist()
        mean = s / n
        var = max(s2 / n - mean * mean, 0.0) * n / max(n - 1, 1)
        return (x - mean) / math.sqrt(var + eps) * mask
