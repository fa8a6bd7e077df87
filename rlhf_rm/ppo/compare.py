"""After training: the starting policy vs the tuned one on held-out prompts, under the reward."""

from __future__ import annotations

import torch

from rlhf_rm.policy import SamplingSettings, cut_replies, generation_config, left_pad
from rlhf_rm.ppo.models import ActorCritic
from rlhf_rm.ppo.prompt_sets import EncodedPrompt
from rlhf_rm.types import call_reward
from rlhf_rm.ppo.rollout import Generator, Reward, as_completion, hf_sample


@torch.no_grad()
def sample_texts(sample, tokenizer, prompts: list[EncodedPrompt], settings: SamplingSettings, device, chunk: int = 64) -> list[str]:
    """Decoded replies (cut at the stop token) from ``sample(ids, mask) -> reply ids``."""
    texts: list[str] = []
    for s in range(0, len(prompts), chunk):
        texts += _sample_chunk(sample, tokenizer, prompts[s : s + chunk], settings, device)
    return texts


def _sample_chunk(sample, tokenizer, prompts, settings, device) -> list[str]:
    ids, mask = left_pad([p.ids for p in prompts], settings.pad_token_id)
    response = sample(ids.to(device), mask.to(device))
    return cut_replies(tokenizer, response, settings.stop_token_ids, settings.stop_strings).texts


def evaluate_policy(
    model: ActorCritic,
    generator: Generator,
    tokenizer,
    reward_fn: Reward,
    prompts: list[EncodedPrompt],
    samples_per_prompt: int,
    settings: SamplingSettings,
    reward_batch_size: int,
    device,
) -> dict:
    """Mean reward of the starting policy (the reference) and the tuned one, and the tuned
    policy's win rate: over (prompt, sample) pairs, the share where its reply scores higher
    (ties count half)."""
    batch = [p for p in prompts for _ in range(samples_per_prompt)]
    generator.sync(model)
    tuned = sample_texts(generator.generate, tokenizer, batch, settings, device)
    config = generation_config(settings)
    with model.reference() as ref:
        start = sample_texts(lambda i, m: hf_sample(ref, config, i, m), tokenizer, batch, settings, device)
    raw = [p.prompt for p in batch]
    texts = [p.text for p in batch]
    score = lambda cs: call_reward(  # noqa: E731
        reward_fn, raw, [as_completion(p, c) for p, c in zip(raw, cs)], batch_size=reward_batch_size,
        extra={"prompt_texts": texts},
    )
    tuned_scores, start_scores = score(tuned), score(start)
    wins = sum(1.0 if t > s else 0.5 if t == s else 0.0 for t, s in zip(tuned_scores, start_scores))
    n = len(batch)
    return {
        "n_prompts": len(prompts),
        "samples_per_prompt": samples_per_prompt,
        "start_reward_mean": sum(start_scores) / n,
        "tuned_reward_mean": sum(tuned_scores) / n,
        "win_rate": wins / n,
        "ties": sum(t == s for t, s in zip(tuned_scores, start_scores)) / n,
        "examples": [
            {"prompt": p.prompt, "start": s, "tuned": t, "start_reward": sr, "tuned_reward": tr,
             "start_words": len(s.split()), "tuned_words": len(t.split())}
            for p, s, t, sr, tr in list(zip(batch, start, tuned, start_scores, tuned_scores))[: min(4, n)]
        ],
    }
