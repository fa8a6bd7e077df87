"""One PPO optimisation phase: epochs over shuffled minibatches of a rollout."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rlhf_rm.ppo import algo
from rlhf_rm.ppo.distributed import Dist
from rlhf_rm.ppo.models import ActorCritic
from rlhf_rm.ppo.rollout import Rollout

# per-minibatch statistics that are token means, accumulated over its micro-batches
_TOKEN_MEANS = ("policy_loss", "value_loss", "clipfrac", "value_clipfrac", "approx_kl", "entropy")


@dataclass(frozen=True)
class PPOSettings:
    epochs: int
    minibatch_size: int
    micro_batch_size: int  # most rows per forward/backward; a minibatch's gradients add up over them
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

    A minibatch runs as micro-batches of at most ``hp.micro_batch_size`` rows whose gradients add
    up to the minibatch's: each micro-batch's token means are weighted by its share of the
    minibatch's reply tokens, so the step is the one a single pass over the minibatch would take,
    with one micro-batch's activations alive at a time.

    Shape: advantages, returns (B, R) like ``ro.logprobs``
    """
    stats: dict[str, list[float]] = {k: [] for k in (*_TOKEN_MEANS, "grad_norm")}
    input_ids, attention_mask, mask = ro.input_ids, ro.attention_mask, ro.mask
    B, R = ro.response_ids.shape
    for _ in range(hp.epochs):
        order = torch.randperm(B, device=mask.device)
        for start in range(0, B, hp.minibatch_size):
            idx = order[start : start + hp.minibatch_size]
            # the last step's gradients are freed before this minibatch's activations are allocated
            optimizer.zero_grad(set_to_none=True)
            n_tokens = mask[idx].sum()
            sums = torch.zeros(len(_TOKEN_MEANS), device=mask.device)
            # the fewest micro-batches of at most micro_batch_size rows, as even as can be
            for micro in idx.tensor_split(-(-len(idx) // hp.micro_batch_size)):
                mb_mask = mask[micro]
                weight = mb_mask.sum() / n_tokens
                out = model(input_ids[micro], attention_mask[micro], R)
                logprobs = algo.logprobs_from_logits(out.logits, ro.response_ids[micro], hp.temperature)
                pg = algo.policy_loss(logprobs, ro.logprobs[micro], advantages[micro], mb_mask, hp.clip_range)
                vf = algo.value_loss(out.values.float(), ro.values[micro], returns[micro], mb_mask, hp.clip_range_value)
                loss = pg.loss + hp.vf_coef * vf.loss
                if hp.ent_coef:
                    entropy = algo.masked_mean(algo.entropy_from_logits(out.logits, hp.temperature), mb_mask)
                    loss = loss - hp.ent_coef * entropy
                else:
                    entropy = torch.zeros((), device=mask.device)
                (loss * weight).backward()
                sums += weight * torch.stack([pg.loss, vf.loss, pg.clipfrac, vf.clipfrac, pg.approx_kl, entropy]).detach()
                # this micro-batch's logits and activations are garbage now: free them before the
                # next forward allocates its own
                del out, logprobs, pg, vf, loss, entropy
            dist.mean_grads(params)
            grad_norm = torch.nn.utils.clip_grad_norm_(params, hp.max_grad_norm)
            optimizer.step()
            for key, value in zip(_TOKEN_MEANS, sums.tolist()):
                if key != "entropy" or hp.ent_coef:
                    stats[key].append(value)
            stats["grad_norm"].append(grad_norm.item())
    # the mean over minibatches, then over processes
    keys = [k for k, v in stats.items() if v]
    local = torch.tensor([sum(stats[k]) / len(stats[k]) for k in keys], dtype=torch.float64, device=mask.device)
    return dict(zip(keys, (dist.sum(local) / dist.n).tolist()))
