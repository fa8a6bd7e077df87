"""PPO for language models: the math, as pure functions on tensors.

Follows Ziegler et al. 2019 ("Fine-Tuning Language Models from Human Preferences"), Huang et al.
2024 ("The N+ Implementation Details of RLHF with PPO") and Zheng et al. 2023 ("Secrets of RLHF
in Large Language Models Part I: PPO"). Nothing here knows about models, tokenizers or configs.

Conventions. ``B`` is the number of replies, ``T`` the reply length in tokens (the prompt is not
part of these tensors). ``mask`` (B, T) is 1.0 on reply tokens up to and including the stop
token and 0.0 on the padding after it; every reply has at least one token. Sequence-level
quantities (``scores``) have shape (B,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

KLEstimator = Literal["k1", "k2", "k3"]


# ---------------------------------------------------------------------------------------------
# masked statistics


def masked_sum(x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    return (x * mask).sum() if dim is None else (x * mask).sum(dim)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of ``x`` over the positions where ``mask`` is 1 (all of them, or along ``dim``)."""
    if dim is None:
        return (x * mask).sum() / mask.sum().clamp(min=1.0)
    return (x * mask).sum(dim) / mask.sum(dim).clamp(min=1.0)


def masked_var(x: torch.Tensor, mask: torch.Tensor, unbiased: bool = True) -> torch.Tensor:
    mean = masked_mean(x, mask)
    n = mask.sum()
    var = masked_mean((x - mean) ** 2, mask)
    if unbiased and n > 1:
        var = var * n / (n - 1)
    return var


def masked_whiten(x: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True, eps: float = 1e-8) -> torch.Tensor:
    """(x - mean) / std over the masked positions; padding comes out as 0.

    With ``shift_mean=False`` only the scale changes (used for rewards, whose sign matters).
    """
    mean, var = masked_mean(x, mask), masked_var(x, mask)
    white = (x - mean) * torch.rsqrt(var + eps)
    if not shift_mean:
        white = white + mean
    return white * mask


# ---------------------------------------------------------------------------------------------
# per-token quantities from logits


def logprobs_from_logits(logits: torch.Tensor, tokens: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """log pi(token) under ``softmax(logits / temperature)``.

    The same temperature must be used here as for sampling, else the policy that is optimised is
    not the one that produced the data (Huang et al., detail "temperature in logprob").

    Shape: logits (B, T, V), tokens (B, T) -> (B, T)
    """
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    # logsumexp + gather: avoids materialising a second (B, T, V) tensor of log-probs
    picked = torch.gather(logits, -1, tokens.unsqueeze(-1)).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def entropy_from_logits(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Entropy of ``softmax(logits / temperature)`` at each position. Shape: (B, T, V) -> (B, T)"""
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    logp = F.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1)


def kl_per_token(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: KLEstimator = "k1") -> torch.Tensor:
    """Per-token estimate of KL(pi || pi_ref) from the sampled tokens' log-probs.

    With log-ratio ``d = log pi - log pi_ref`` and samples from pi (Schulman, "Approximating KL
    divergence", 2020):
      k1 = d                       unbiased, can be negative per token
      k2 = d**2 / 2                biased, low variance
      k3 = exp(-d) - 1 + d         unbiased and always >= 0

    Shape: (B, T) -> (B, T)
    """
    d = logprobs - ref_logprobs
    if estimator == "k1":
        return d
    if estimator == "k2":
        return 0.5 * d * d
    if estimator == "k3":
        return torch.expm1(-d) + d
    raise ValueError(f"unknown KL estimator {estimator!r}; expected 'k1', 'k2' or 'k3'")


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of the last reply token of each row. Shape: (B, T) -> (B,) long"""
    positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
    return torch.where(mask > 0, positions, torch.zeros_like(positions)).max(dim=1).values


def kl_penalized_rewards(
    scores: torch.Tensor,
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    mask: torch.Tensor,
    kl_coef: float,
    estimator: KLEstimator = "k1",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token rewards: ``-kl_coef * KL_t`` on every reply token, plus the score on the last.

    Ziegler et al. eq. 2, applied per token as in Stiennon et al. 2020 / Huang et al.

    Shape: scores (B,), logprobs/ref_logprobs/mask (B, T) -> rewards (B, T), kl (B, T)
    """
    kl = kl_per_token(logprobs, ref_logprobs, estimator) * mask
    rewards = -kl_coef * kl
    last = last_token_index(mask)
    rewards[torch.arange(len(scores), device=scores.device), last] += scores.to(rewards.dtype)
    return rewards, kl


# ---------------------------------------------------------------------------------------------
# advantages


def gae(
    values: torch.Tensor, rewards: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalized advantage estimation (Schulman et al. 2016, eq. 16), right-padded replies.

    ``delta_t = r_t + gamma * V_{t+1} - V_t`` with ``V`` = 0 after the last reply token, and
    ``A_t = delta_t + gamma * lam * A_{t+1}``. Returns (advantages, returns = advantages + values),
    both zero on padding.

    Shape: values, rewards, mask (B, T) -> (B, T), (B, T)
    """
    values = values * mask
    rewards = rewards * mask
    T = rewards.shape[1]
    advantages = torch.zeros_like(rewards)
    next_advantage = torch.zeros_like(rewards[:, 0])
    next_value = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(T)):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        next_advantage = (delta + gamma * lam * next_advantage) * mask[:, t]
        advantages[:, t] = next_advantage
        next_value = values[:, t]
    returns = (advantages + values) * mask
    return advantages, returns


# ---------------------------------------------------------------------------------------------
# losses


@dataclass(frozen=True)
class PolicyLoss:
    loss: torch.Tensor  # scalar, differentiable
    clipfrac: torch.Tensor  # share of tokens where the clipped objective was the active one
    approx_kl: torch.Tensor  # k3 estimate of KL(pi_old || pi_new) per token


def policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
) -> PolicyLoss:
    """PPO clipped surrogate (Schulman et al. 2017, eq. 7), averaged over reply tokens.

    Shape: logprobs, old_logprobs, advantages, mask (B, T)
    """
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    with torch.no_grad():
        clipfrac = masked_mean((clipped > unclipped).float(), mask)
        approx_kl = masked_mean(torch.expm1(log_ratio) - log_ratio, mask)
    return PolicyLoss(loss=loss, clipfrac=clipfrac, approx_kl=approx_kl)


@dataclass(frozen=True)
class ValueLoss:
    loss: torch.Tensor  # scalar, differentiable
    clipfrac: torch.Tensor


def value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    clip_range_value: float | None,
) -> ValueLoss:
    """Clipped value loss: ``0.5 * max((V - R)^2, (clip(V, V_old +- eps) - R)^2)``.

    Huang et al. detail "value function loss clipping"; ``clip_range_value=None`` turns it off.

    Shape: values, old_values, returns, mask (B, T)
    """
    unclipped = (values - returns) ** 2
    if clip_range_value is None:
        return ValueLoss(loss=0.5 * masked_mean(unclipped, mask), clipfrac=torch.zeros((), device=values.device))
    clipped_values = old_values + torch.clamp(values - old_values, -clip_range_value, clip_range_value)
    clipped = (clipped_values - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(unclipped, clipped), mask)
    with torch.no_grad():
        clipfrac = masked_mean((clipped > unclipped).float(), mask)
    return ValueLoss(loss=loss, clipfrac=clipfrac)


def explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> float:
    """1 - Var(R - V) / Var(R) over reply tokens: 1 is a perfect critic, <= 0 a useless one."""
    var_returns = masked_var(returns, mask)
    if var_returns.item() == 0.0:
        return float("nan")
    return (1.0 - masked_var(returns - values, mask) / var_returns).item()


# ---------------------------------------------------------------------------------------------
# KL coefficient control


class FixedKLController:
    """A constant KL coefficient."""

    def __init__(self, kl_coef: float):
        self.value = kl_coef

    def update(self, current_kl: float, n_steps: int) -> float:
        return self.value

    def state_dict(self) -> dict:
        return {"value": self.value}

    def load_state_dict(self, state: dict) -> None:
        self.value = float(state["value"])


class AdaptiveKLController:
    """Ziegler et al. 2019, section 2.2: steer the KL coefficient toward a target KL.

    ``e = clip(KL / target - 1, -0.2, 0.2)``; ``beta <- beta * (1 + K_beta * e)`` with
    ``K_beta = n_steps / horizon`` (``n_steps`` = episodes in the update). The clip bounds each
    update's change, so a noisy KL estimate cannot swing the coefficient.
    """

    def __init__(self, init_kl_coef: float, target: float, horizon: float, clip: float = 0.2):
        if target <= 0 or horizon <= 0:
            raise ValueError(f"adaptive KL control needs target > 0 and horizon > 0, got {target}, {horizon}")
        self.value = init_kl_coef
        self.target = target
        self.horizon = horizon
        self.clip = clip

    def update(self, current_kl: float, n_steps: int) -> float:
        error = min(max(current_kl / self.target - 1.0, -self.clip), self.clip)
        self.value *= 1.0 + error * n_steps / self.horizon
        return self.value

    def state_dict(self) -> dict:
        return {"value": self.value}

    def load_state_dict(self, state: dict) -> None:
        self.value = float(state["value"])


# ---------------------------------------------------------------------------------------------
# score normalisation


class RunningMoments:
    """Running mean/std of scores over all updates (Zheng et al. 2023, "reward normalization").

    Merges batch moments with the parallel-variance formula (Chan et al.), so order of updates
    does not matter and one batch of a thousand equals a thousand batches of one.
    """

    def __init__(self) -> None:
        self.mean, self.var, self.count = 0.0, 1.0, 0

    def update(self, x: torch.Tensor) -> None:
        x = x.double().flatten()
        n = x.numel()
        if n == 0:
            return
        batch_mean = x.mean().item()
        batch_var = x.var(unbiased=False).item() if n > 1 else 0.0
        total = self.count + n
        delta = batch_mean - self.mean
        m2 = self.var * self.count + batch_var * n + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.var = m2 / total
        self.count = total

    @property
    def std(self) -> float:
        return math.sqrt(self.var) if self.count > 1 else 1.0

    def state_dict(self) -> dict:
        return {"mean": self.mean, "var": self.var, "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.mean, self.var, self.count = float(state["mean"]), float(state["var"]), int(state["count"])


def normalize_scores(
    scores: torch.Tensor, mean: float, std: float, clip: float | None, shift_mean: bool = True, eps: float = 1e-8
) -> torch.Tensor:
    """``(scores - mean) / std`` (or ``scores / std``), then clipped to ``[-clip, clip]``.

    Shape: (B,) -> (B,)
    """
    out = (scores - mean) / (std + eps) if shift_mean else scores / (std + eps)
    if clip is not None:
        out = out.clamp(-clip, clip)
    return out


# ---------------------------------------------------------------------------------------------
# text diversity


def distinct_n(token_lists: list[list[int]] | list[list[str]], n: int = 2) -> float:
    """Distinct n-grams / all n-grams over a batch of replies (Li et al. 2016). NaN if none."""
    seen: set[tuple] = set()
    total = 0
    for tokens in token_lists:
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        seen.update(grams)
        total += len(grams)
    return len(seen) / total if total else float("nan")
