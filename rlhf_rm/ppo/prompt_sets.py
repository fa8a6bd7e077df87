"""Prompts for PPO: gather the configured ones and split off held-out ones.

Files are read by ``rlhf_rm.data.prompts.read_prompts`` and every prompt is rendered and tokenized by
``rlhf_rm.policy.encode_prompt`` -- the same text ``rerank``, ``chat`` and the best-of-n curve
give the policy. A prompt is plain text (continued as is, e.g. a story opening, by a policy
without a chat template) or a list of chat messages (multi-turn kept).
"""

from __future__ import annotations

import random

from rlhf_rm import policy
from rlhf_rm.data.prompts import read_prompts
from rlhf_rm.policy import EncodedPrompt, encode_prompt
from rlhf_rm.types import Prompt

__all__ = ["EncodedPrompt", "Prompt", "configured_prompts", "encode_prompt", "fit_prompts", "split_prompts"]


def configured_prompts(
    prompts: list[str] | None, prompts_file: str | None, prompts_data: str | list[str] | None
) -> list[Prompt]:
    """All configured prompts, in order, without duplicates: the inline ``prompts``, then those of
    ``prompts_file`` and ``prompts_data`` (any file ``rlhf_rm.data.prompts.read_prompts`` reads)."""
    out: list[Prompt] = list(prompts or [])
    for key, spec in (("prompts_file", prompts_file), ("prompts_data", prompts_data)):
        for one in [spec] if isinstance(spec, str) else spec or []:
            try:
                out += read_prompts(one)
            except FileNotFoundError as err:
                raise FileNotFoundError(f"config key '{key}': {err}") from err
    seen: set[str] = set()
    unique = []
    for p in out:
        key = repr(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    if not unique:
        raise ValueError("no prompts: 'prompts', 'prompts_file' and 'prompts_data' gave none")
    return unique


def split_prompts(
    prompts: list[Prompt], eval_prompts: list[str] | None, eval_fraction: float, seed: int
) -> tuple[list[Prompt], list[Prompt]]:
    """(train, held-out): explicit ``eval_prompts``, or a seeded ``eval_fraction`` of the prompts."""
    if eval_prompts:
        return prompts, list(eval_prompts)
    n_eval = int(round(len(prompts) * eval_fraction))
    if n_eval == 0 or n_eval >= len(prompts):
        return prompts, []
    order = list(range(len(prompts)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_eval])
    return [p for i, p in enumerate(prompts) if i not in held], [p for i, p in enumerate(prompts) if i in held]


def fit_prompts(prompts: list[Prompt], tokenizer, max_tokens: int) -> tuple[list[EncodedPrompt], int]:
    """Each prompt encoded within ``max_tokens`` (oldest turns dropped at message boundaries), and
    how many were left out because not even their last user turn fits."""
    encoded, dropped = [], 0
    for prompt in prompts:
        try:
            encoded.append(encode_prompt(prompt, tokenizer, max_tokens))
        except policy.PromptTooLong:
            dropped += 1
    return encoded, dropped
