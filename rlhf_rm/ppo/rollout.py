"""Rollouts: sample replies, cut them at the stop token, score them, and record what PPO needs.

Generation is a pluggable backend (``Generator``): ``HFGenerator`` calls ``transformers``'
``generate``; a vLLM backend would implement the same one method. Prompts arrive rendered and
tokenized by ``rlhf_rm.policy.encode_prompt``; padding, the generation config and cutting at the
stop are ``rlhf_rm.policy``'s too (``SamplingSettings``, ``generation_config``, ``cut_replies``), the same
as rerank's and the best-of-n curve's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from rlhf_rm.policy import SamplingSettings, cut_replies, generate_new_tokens, generation_config, left_pad
from rlhf_rm.ppo.algo import entropy_from_logits, logprobs_from_logits
from rlhf_rm.ppo.memory import release_freed_memory
from rlhf_rm.policy import EncodedPrompt
from rlhf_rm.ppo.models import ActorCritic

from rlhf_rm.types import Reward, call_reward


class Generator(Protocol):
    """A sampling backend. ``sync`` is called whenever the policy's weights changed."""

    def sync(self, model: ActorCritic) -> None: ...

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Sample one reply per left-padded prompt. Returns reply token ids (B, R), R <= max_new_tokens."""
        ...


@torch.no_grad()
def hf_sample(lm: nn.Module, config, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """``generate`` on left-padded prompts under ``config`` alone; returns only the new tokens (B, R)."""
    return generate_new_tokens(lm, input_ids, attention_mask, config)


class HFGenerator:
    """``transformers`` ``generate`` on the policy itself (LoRA layers and all)."""

    def __init__(self, settings: SamplingSettings):
        self.settings = settings
        self.config = generation_config(settings)
        self.lm: nn.Module | None = None

    def sync(self, model: ActorCritic) -> None:
        self.lm = model.lm

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return hf_sample(self.lm, self.config, input_ids, attention_mask)


class MergedHFGenerator:
    """``generate`` on a plain copy of the model holding the merged weights ``W + s * B @ A``.

    The copy has no LoRA layers, so each decoding step runs the base model's ops only; on small
    models, where per-op overhead dominates, sampling is about twice as fast. Costs one copy of
    the base weights, refreshed (``sync``) after every optimisation phase -- the design vLLM
    backends use too. Without LoRA it samples from the policy directly.
    """

    def __init__(self, settings: SamplingSettings):
        self.settings = settings
        self.config = generation_config(settings)
        self.lm: nn.Module | None = None
        self._targets: list[tuple[nn.Module, nn.Module]] = []

    @torch.no_grad()
    def sync(self, model: ActorCritic) -> None:
        if not model.lora:
            self.lm = model.lm
            return
        from peft.tuners.lora import LoraLayer

        from rlhf_rm.ppo.models import POLICY_ADAPTER

        if self.lm is None:
            base = model.lm.get_base_model()
            self.lm = copy.deepcopy(base)  # then its LoRA layers are swapped for plain ones
            for name, module in list(self.lm.named_modules()):
                if isinstance(module, LoraLayer):
                    parent_name, _, child = name.rpartition(".")
                    self.lm.get_submodule(parent_name).register_module(child, module.get_base_layer())
            self.lm.requires_grad_(False).eval()
            self._targets = [
                (module, self.lm.get_submodule(name))
                for name, module in base.named_modules()
                if isinstance(module, LoraLayer)
            ]
        for lora_layer, plain in self._targets:
            merged = lora_layer.get_base_layer().weight + lora_layer.get_delta_weight(POLICY_ADAPTER)
            plain.weight.copy_(merged)

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return hf_sample(self.lm, self.config, input_ids, attention_mask)


def make_generator(backend: str, settings: SamplingSettings) -> Generator:
    if backend == "hf":
        return HFGenerator(settings)
    if backend == "hf_merged":
        return MergedHFGenerator(settings)
    raise ValueError(f"config key 'generation_backend': unknown backend {backend!r}; expected 'hf' or 'hf_merged'")


@dataclass(frozen=True)
class Rollout:
    """One batch of experience. B replies of at most R tokens after P prompt tokens."""

    query_ids: torch.Tensor  # (B, P) left-padded prompts
    query_mask: torch.Tensor  # (B, P)
    response_ids: torch.Tensor  # (B, R)
    mask: torch.Tensor  # (B, R) float: reply tokens up to and including the stop token
    ended: torch.Tensor  # (B,) bool: the reply has a stop token
    logprobs: torch.Tensor  # (B, R) under the policy that sampled
    ref_logprobs: torch.Tensor  # (B, R) under the reference
    values: torch.Tensor  # (B, R)
    entropy: torch.Tensor  # (B, R) of the policy's next-token distribution
    scores: torch.Tensor  # (B,) raw reward-callable scores
    completions: list[str]  # decoded replies (without the stop token)

    @property
    def input_ids(self) -> torch.Tensor:
        return torch.cat([self.query_ids, self.response_ids], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        # padding after the stop token sits to the right of every token that matters, so causal
        # attention never reads it; only the prompt's left padding is masked
        return torch.cat([self.query_mask, torch.ones_like(self.response_ids)], dim=1)


def as_completion(prompt: Any, text: str) -> Any:
    """Completions follow the prompt's form (TRL's protocol): text, or an assistant message."""
    return text if isinstance(prompt, str) else [{"role": "assistant", "content": text}]


@dataclass(frozen=True)
class RolloutSettings:
    """How a rollout samples, scores and runs its forward passes."""

    sampling: SamplingSettings
    reward_batch_size: int  # replies per reward call
    forward_batch_size: int  # rows per log-prob/value forward pass
    device: torch.device


@torch.no_grad()
def collect_rollout(model: ActorCritic, generator: Generator, tokenizer, reward_fn: Reward,
                    batch: list[EncodedPrompt], how: RolloutSettings) -> Rollout:
    """Steps 1-2 of a PPO update: sample replies, then score them and record log-probs/values."""
    settings, device, forward_batch_size = how.sampling, how.device, how.forward_batch_size
    prompts, prompt_ids, prompt_texts = [e.prompt for e in batch], [e.ids for e in batch], [e.text for e in batch]
    # the last update's activations are gone: sampling and scoring start from a lean heap too
    release_freed_memory()
    query_ids, query_mask = left_pad(prompt_ids, settings.pad_token_id)
    query_ids, query_mask = query_ids.to(device), query_mask.to(device)
    # 1a. sample with the current policy
    response_ids = generator.generate(query_ids, query_mask)
    cut = cut_replies(tokenizer, response_ids, settings.stop_token_ids, settings.stop_strings)
    mask, ended = cut.mask, cut.ended
    response_ids = torch.where(mask > 0, response_ids, torch.full_like(response_ids, settings.pad_token_id))
    # 1b. the reward callable sees text: the reply without its stop token (or stop string)
    completions = cut.texts
    scores = call_reward(reward_fn, prompts, [as_completion(p, c) for p, c in zip(prompts, completions)],
                         batch_size=how.reward_batch_size, extra={"prompt_texts": prompt_texts})
    # 2. log-probs and values of the sampled replies under the policy and the reference
    R = response_ids.shape[1]
    input_ids = torch.cat([query_ids, response_ids], dim=1)
    attention_mask = torch.cat([query_mask, torch.ones_like(response_ids)], dim=1)
    logprobs, ref_logprobs, values, entropy = [], [], [], []
    for s in range(0, len(prompts), forward_batch_size):
        ids, am, resp = input_ids[s : s + forward_batch_size], attention_mask[s : s + forward_batch_size], response_ids[s : s + forward_batch_size]
        out = model(ids, am, R)
        logprobs.append(logprobs_from_logits(out.logits, resp, settings.temperature))
        entropy.append(entropy_from_logits(out.logits, settings.temperature))
        values.append(out.values.float())
        ref_logits = model.reference_logits(ids, am, R)
        ref_logprobs.append(logprobs_from_logits(ref_logits, resp, settings.temperature))
        del out, ref_logits
    # the sampler's KV cache and the activations of the reward and of these passes are gone: hand
    # their heap back, so that the update's activations start from a lean heap (see ``memory``)
    release_freed_memory()
    return Rollout(
        query_ids=query_ids,
        query_mask=query_mask,
        response_ids=response_ids,
        mask=mask,
        ended=ended,
        logprobs=torch.cat(logprobs) * mask,
        ref_logprobs=torch.cat(ref_logprobs) * mask,
        values=torch.cat(values) * mask,
        entropy=torch.cat(entropy) * mask,
        scores=torch.tensor(scores, dtype=torch.float32, device=device),
        completions=completions,
    )
