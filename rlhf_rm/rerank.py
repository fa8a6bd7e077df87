"""Best-of-n and rejection sampling: sample n replies per prompt, score them, keep the best.

    results = best_of_n(RewardFunction.from_pretrained("runs/rm"), prompts, policy=lm, tokenizer=tok, n=8)
    results[0].best_text, results[0].best_score

Generation is batched: ``prompts_per_batch`` prompts per ``generate`` call, each with
``num_return_sequences=n``, so 32 prompts x 8 samples is 4 calls, not 256. Every candidate is
then scored in one call of the reward function (any ``(prompts, completions) -> list[float]``
callable). The policy's tokenizer and the reward model's need not match: the reward sees text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from rlhf_rm.contract import ROLES_TEMPLATE, Message
from rlhf_rm.model import as_messages

Prompt = str | list[Message]
Reward = Callable[..., list[float]]


@dataclass(frozen=True)
class Sampling:
    """How candidates are sampled from the policy (``generate`` arguments)."""

    temperature: float = 1.0  # 0: greedy (only with n=1)
    top_p: float = 1.0
    top_k: int = 0  # 0: off
    max_new_tokens: int = 128
    stop_token_ids: tuple[int, ...] = ()  # besides the tokenizer's EOS
    prompts_per_batch: int = 8  # prompts per generate call; each brings n sequences


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float
    finished: bool | None = None  # generated: ended with a stop token (False: hit max_new_tokens)


@dataclass(frozen=True)
class Reranked:
    """One prompt's candidates, scored, and the choice."""

    prompt: Prompt
    candidates: list[Candidate]
    best: int  # index of the highest score (the first one on ties)

    @property
    def best_text(self) -> str:
        return self.candidates[self.best].text

    @property
    def best_score(self) -> float:
        return self.candidates[self.best].score

    def top(self, k: int) -> list[Candidate]:
        """The k best candidates, best first (stable on ties)."""
        return sorted(self.candidates, key=lambda c: -c.score)[:k]

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "candidates": [asdict(c) for c in self.candidates],
            "best": self.best,
            "best_text": self.best_text,
            "best_score": self.best_score,
        }


def best_of_n(
    reward_fn: Reward,
    prompts: Sequence[Prompt],
    *,
    policy=None,
    tokenizer=None,
    n: int = 8,
    candidates: Sequence[Sequence[str]] | None = None,
    sampling: Sampling = Sampling(),
) -> list[Reranked]:
    """Rerank given ``candidates`` (one list per prompt), or sample ``n`` from ``policy``; keep the best."""
    if candidates is None:
        if policy is None or tokenizer is None:
            raise ValueError("best_of_n needs either candidates, or a policy and its tokenizer to sample them")
        candidates, finished = generate_candidates(policy, tokenizer, prompts, n, sampling)
    else:
        if len(candidates) != len(prompts):
            raise ValueError(f"got {len(prompts)} prompts but {len(candidates)} candidate lists")
        finished = [[None] * len(c) for c in candidates]
    for i, group in enumerate(candidates):
        if not group:
            raise ValueError(f"prompt {i} has no candidates")
    flat_prompts = [p for p, group in zip(prompts, candidates) for _ in group]
    flat_replies = [c for group in candidates for c in group]
    scores = [float(s) for s in reward_fn(flat_prompts, flat_replies)]
    if len(scores) != len(flat_replies):
        raise ValueError(f"the reward returned {len(scores)} scores for {len(flat_replies)} candidates")
    out, pos = [], 0
    for prompt, group, done in zip(prompts, candidates, finished):
        scored = [Candidate(text, score, f) for text, score, f in zip(group, scores[pos : pos + len(group)], done)]
        pos += len(group)
        best = max(range(len(scored)), key=lambda j: (scored[j].score, -j))
        out.append(Reranked(prompt, scored, best))
    return out


@torch.inference_mode()
def load_policy(name: str, dtype: torch.dtype | None = None, device: str | torch.device | None = None,
                trust_remote_code: bool = False, what: str = "policy"):
    """A causal LM and its tokenizer from a folder or hub id, for sampling candidates.

    A missing local folder fails at once (not after minutes of hub retries); errors start with
    ``what`` and the name (e.g. ``--policy runs/x``). Returns (model in eval mode, tokenizer).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlhf_rm.model import resolve_model_path

    try:
        path = resolve_model_path(name)
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:  # (an empty folder makes the tokenizer raise ValueError)
        where = ("a folder without a causal LM" if Path(name).expanduser().is_dir()
                 else "no such folder here, and not a reachable hub id")
        raise OSError(f"{what} {name}: {where} ({err})") from err
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer


def generate_candidates(policy, tokenizer, prompts: Sequence[Prompt], n: int,
                        sampling: Sampling = Sampling()) -> tuple[list[list[str]], list[list[bool]]]:
    """n sampled replies per prompt and whether each ended with a stop token.

    Prompts are rendered with the tokenizer's chat template when it has one; otherwise a string
    prompt is used as is and a message list as role-tagged text ("User: ...\\n\\nAssistant:").
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if sampling.temperature <= 0 and n > 1:
        raise ValueError("temperature 0 (greedy) gives n identical candidates: set temperature > 0 or n=1")
    stop = [t for t in dict.fromkeys([tokenizer.eos_token_id, *sampling.stop_token_ids]) if t is not None]
    if not stop:
        raise ValueError("the policy's tokenizer has no EOS token: pass sampling.stop_token_ids")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop[0]
    prompt_ids = [_prompt_ids(tokenizer, p) for p in prompts]
    # prompts of similar length share a batch, so left padding stays short
    order = sorted(range(len(prompts)), key=lambda i: len(prompt_ids[i]))
    texts: list[list[str]] = [[] for _ in prompts]
    finished: list[list[bool]] = [[] for _ in prompts]
    was_training = policy.training
    policy.eval()
    device = next(policy.parameters()).device
    kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_new_tokens, "num_return_sequences": n,
                              "eos_token_id": stop, "pad_token_id": pad}
    if sampling.temperature > 0:
        kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
    else:
        kwargs.update(do_sample=False)
    try:
        for start in range(0, len(order), sampling.prompts_per_batch):
            idx = order[start : start + sampling.prompts_per_batch]
            width = max(len(prompt_ids[i]) for i in idx)
            gaps = [width - len(prompt_ids[i]) for i in idx]  # left padding: every prompt ends at `width`
            ids = torch.tensor([[pad] * g + prompt_ids[i] for g, i in zip(gaps, idx)], device=device)
            mask = torch.tensor([[0] * g + [1] * len(prompt_ids[i]) for g, i in zip(gaps, idx)], device=device)
            out = policy.generate(input_ids=ids, attention_mask=mask, **kwargs)  # (B * n, width + new)
            new = out[:, width:].tolist()
            for row, tokens in enumerate(new):
                end = next((j for j, t in enumerate(tokens) if t in stop), None)
                i = idx[row // n]  # generate repeats each prompt n times in a row
                texts[i].append(tokenizer.decode(tokens[:end], skip_special_tokens=True))
                finished[i].append(end is not None)
    finally:
        policy.train(was_training)
    return texts, finished


def _prompt_ids(tokenizer, prompt: Prompt) -> list[int]:
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(as_messages(prompt), tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False)["input_ids"]
    if isinstance(prompt, str):
        return tokenizer(prompt)["input_ids"]  # the tokenizer's own BOS, as in pretraining
    text = tokenizer.apply_chat_template(prompt, chat_template=ROLES_TEMPLATE, tokenize=False,
                                         add_generation_prompt=True)
    return tokenizer(text)["input_ids"]


# ---- rejection sampling: the best replies as an SFT data set ----------------------------------

def sft_records(results: Sequence[Reranked], top_k: int = 1) -> list[dict[str, list[Message]]]:
    """The ``top_k`` best replies of each prompt in TRL's conversational format ``{"messages": [...]}``."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    return [
        {"messages": [*as_messages(r.prompt), {"role": "assistant", "content": c.text}]}
        for r in results
        for c in r.top(top_k)
    ]


# ---- input files ------------------------------------------------------------------------------

def read_prompts(spec: str) -> list[Prompt]:
    """Prompts from a file: a .txt file (one prompt a line); rows with a ``prompt`` (a string or
    a message list) and no replies; or any preference data ``rlhf_rm.data.load_examples`` reads
    (each distinct prompt once, in order)."""
    if spec.endswith(".txt"):
        lines = Path(spec).read_text(encoding="utf-8").splitlines()
        return [line for line in lines if line.strip()]
    rows = _prompt_rows(spec)
    if rows is not None:
        return [_prompt_value(row, where) for where, row in rows]
    from rlhf_rm.data import load_examples

    seen: dict[str, list[Message]] = {}
    for example in load_examples(spec).examples:
        seen.setdefault(json.dumps(example.prompt, ensure_ascii=False), example.prompt)
    return list(seen.values())


def read_candidates(spec: str) -> tuple[list[Prompt], list[list[str]]]:
    """(prompts, candidate lists) from rows ``{"prompt": ..., "candidates": [str, ...]}``
    (or ``responses`` / ``completions``), or the replies of any preference data file."""
    rows = _prompt_rows(spec, need_replies=True)
    if rows is None:
        from rlhf_rm.data import load_examples

        examples = load_examples(spec).examples
        return [e.prompt for e in examples], [list(e.responses) for e in examples]
    prompts, candidates = [], []
    for where, row in rows:
        key = next((k for k in _REPLY_KEYS if k in row), "candidates")
        values = row.get(key)
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{where}: expected '{key}' to be a non-empty list of strings")
        prompts.append(_prompt_value(row, where))
        candidates.append(values)
    return prompts, candidates


_REPLY_KEYS = ("candidates", "responses", "completions")
_PREFERENCE_KEYS = ("chosen", "rejected", "instruction", "output", "response", "completion")


def _prompt_rows(spec: str, need_replies: bool = False) -> list[tuple[str, dict]] | None:
    """("FILE line N", row) for a prompt (or prompt + candidates) file; None for preference data."""
    from rlhf_rm.data.read import Unparseable, read_spec

    rows = [(f"{t.source} {'line' if t.line_based else 'row'} {n}", row)
            for t in read_spec(spec, "train") for n, row in t.rows]
    dicts = [row for _, row in rows if isinstance(row, dict)]
    if not dicts or not all("prompt" in row for row in dicts):
        return None
    if any(k in row for row in dicts for k in _PREFERENCE_KEYS):
        return None
    if need_replies and not any(k in row for row in dicts for k in _REPLY_KEYS):
        raise ValueError(f"{spec}: rows have a prompt but no 'candidates' list to rerank")
    for where, row in rows:
        if isinstance(row, Unparseable):
            raise ValueError(f"{where}: {row.reason}")
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected an object with a 'prompt'")
    return rows


def _prompt_value(row: dict, where: str) -> Prompt:
    value = row.get("prompt")
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in value
    ):
        return [{"role": m["role"], "content": m["content"]} for m in value]
    raise ValueError(f"{where}: 'prompt' must be a non-empty string or a list of {{'role', 'content'}} messages")
