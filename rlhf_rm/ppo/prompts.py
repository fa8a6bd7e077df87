"""Prompts for PPO: read them, split off held-out ones, and render them as the policy sees them.

A prompt is plain text (continued as is, e.g. a story opening) or a list of chat messages
(multi-turn kept; the chat template is applied with the generation prompt). A chat prompt for a
tokenizer without a chat template is rendered as a plain ``Human:/Assistant:`` transcript.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Prompt = str | list[dict]


@dataclass(frozen=True)
class EncodedPrompt:
    prompt: Prompt  # what the reward sees
    text: str  # what the policy sees, as text
    ids: list[int]  # what the policy sees


def read_prompts(
    prompts: list[str] | None, prompts_file: str | None, prompts_data: str | list[str] | None
) -> list[Prompt]:
    """All configured prompts, in order, without duplicates."""
    out: list[Prompt] = list(prompts or [])
    if prompts_file:
        path = Path(prompts_file)
        if not path.is_file():
            raise FileNotFoundError(f"config key 'prompts_file': no such file {prompts_file}")
        out += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if prompts_data:
        from rlhf_rm.data import load_examples

        loaded = load_examples(prompts_data)
        out += [list(ex.prompt) for ex in loaded.examples]
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


def transcript(messages: list[dict]) -> str:
    """Plain-text rendering of a chat for tokenizers without a chat template."""
    names = {"user": "Human", "assistant": "Assistant", "system": "System"}
    body = "".join(f"\n\n{names.get(m['role'], m['role'].title())}: {m['content']}" for m in messages)
    return body + "\n\nAssistant:"


def encode_prompt(prompt: Any, tokenizer, max_tokens: int) -> EncodedPrompt:
    """Render and tokenize one prompt; a long one keeps its last ``max_tokens`` tokens."""
    if isinstance(prompt, str):
        text = prompt
        ids = tokenizer(text).input_ids
    elif isinstance(prompt, list) and all(isinstance(m, dict) and "role" in m for m in prompt):
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
            ids = tokenizer(text, add_special_tokens=False).input_ids
        else:
            text = transcript(prompt)
            ids = tokenizer(text).input_ids
    else:
        raise TypeError(f"a prompt must be a string or a list of {{'role', 'content'}} messages, got {prompt!r:.200}")
    if len(ids) > max_tokens:
        ids = ids[-max_tokens:]
    return EncodedPrompt(prompt=prompt, text=text, ids=list(ids))
