"""One PPO optimisation phase: epochs over shuffled minibatches of a rollout."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rlhf_rm.ppo import algo
from rlhf_rm.ppo.distributed import Dist
from rlhf_rm.ppo.models import ActorCritic
from rlhf_rm.ppo.rollout import Rollout


@dataclass(frozen=True)
class PPOSettings:
    epochs: int
    minibatch_size: int
    clip_range: float
    clip_range_value: float | None
    vf_coef: float
    ent_coef: float
    max_grad_norm: float
    temperature: float


def ppo_update(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    ro: Rollout,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    hp: PPOSettings,
    dist: Dist,
) -> dict[str, float]:
    """Minimise the clipped policy loss + ``vf_coef`` x clipped value loss (- ``ent_coef`` x
    entropy) over ``hp.epochs`` passes of shuffled minibatches; returns the mean statistics.

    Shape: advantages, returns (B, R) like ``ro.logprobs``
    """
    stats: dict[str, list[float]] = {
        k: [] for k in ("policy_loss", "value_loss", "clipfrac", "value_clipfrac", "approx_kl", "grad_norm", "entropy")
    }
    input_ids, attention_mask, mask = ro.input_ids, ro.attention_mask, ro.mask
    B, R = ro.response_ids.shape
    for _ in range(hp.epochs):
        order = torch.randperm(B, device=mask.device)
        for start in range(0, B, hp.minibatch_size):
            idx = order[start : start + hp.minibatch_size]
            mb_mask = mask[idx]
            out = model(input_ids[idx], attention_mask[idx], R)
            logprobs = algo.logprobs_from_logits(out.logits, ro.response_ids[idx], hp.temperature)
            pg = algo.policy_loss(logprobs, ro.logprobs[idx], advantages[idx], mb_mask, hp.clip_range)
            vf = algo.value_loss(out.values.float(), ro.values[idx], returns[idx], mb_mask, hp.clip_range_value)
            loss = pg.loss + hp.vf_coef * vf.loss
            if hp.ent_coef:
                entropy = algo.masked_mean(algo.entropy_from_logits(out.logits, hp.temperature), mb_mask)
                loss = loss - hp.ent_coef * entropy
                stats["entropy"].append(entropy.item())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            dist.mean_grads(params)
            grad_norm = torch.nn.utils.clip_grad_norm_(params, hp.max_grad_norm)
            optimizer.step()
            stats["policy_loss"].append(pg.loss.item())
            stats["value_loss"].append(vf.loss.item())
            stats["clipfrac"].append(pg.clipfrac.item())
            stats["value_clipfrac"].append(vf.clipfrac.item())
            stats["approx_kl"].append(pg.approx_kl.item())
            stats["grad_norm"].append(grad_norm.item())
            # this minibatch's logits and activations are garbage now: free them before the next
            # forward allocates its own (trimming the heap here too cost 25% of the update's speed)
            del out, logprobs, pg, vf, loss
    # the mean over minibatches, then over processes
    keys = [k for k, v in stats.items() if v]
    local = torch.tensor([sum(stats[k]) / len(stats[k]) for k in keys], dtype=torch.float64, device=mask.device)
    return dict(zip(keys, (dist.sum(local) / dist.n).tolist()))
