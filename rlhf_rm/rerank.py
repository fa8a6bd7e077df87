"""Best-of-n and rejection sampling: sample n replies per prompt, score them, keep the best.

    results = best_of_n(RewardFunction.from_pretrained("runs/rm"), prompts, policy=lm, tokenizer=tok, n=8)
    results[0].best_text, results[0].best_score

Sampling is ``rlhf_rm.policy.sample_replies``: the prompt text is the policy's own rendering
(``rlhf_rm.policy.render_prompt``, the same as PPO's and the best-of-n curve's), and generation is
batched, ``prompts_per_batch`` prompts per ``generate`` call with ``num_return_sequences=n``, so
32 prompts x 8 samples is 4 calls, not 256. Every candidate is then scored in one call of the
reward function (any ``(prompts, completions) -> list[float]`` callable). The policy's tokenizer
and the reward model's need not match: the reward sees text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rlhf_rm.model import as_messages
from rlhf_rm.data.prompts import REPLY_KEYS, prompt_rows, prompt_value
from rlhf_rm.policy import Sampling, sample_replies
from rlhf_rm.types import Message, Prompt, Reward, call_reward

__all__ = ["Candidate", "Reranked", "best_of_n", "read_candidates", "sft_records"]


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
        samples = sample_replies(policy, tokenizer, prompts, n, sampling)
        candidates, finished = samples.texts, samples.finished
    else:
        if len(candidates) != len(prompts):
            raise ValueError(f"got {len(prompts)} prompts but {len(candidates)} candidate lists")
        finished = [[None] * len(c) for c in candidates]
    for i, group in enumerate(candidates):
        if not group:
            raise ValueError(f"prompt {i} has no candidates")
    flat_prompts = [p for p, group in zip(prompts, candidates) for _ in group]
    flat_replies = [c for group in candidates for c in group]
    scores = call_reward(reward_fn, flat_prompts, flat_replies)
    out, pos = [], 0
    for prompt, group, done in zip(prompts, candidates, finished):
        scored = [Candidate(text, score, f) for text, score, f in zip(group, scores[pos : pos + len(group)], done)]
        pos += len(group)
        best = max(range(len(scored)), key=lambda j: (scored[j].score, -j))
        out.append(Reranked(prompt, scored, best))
    return out


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

def read_candidates(spec: str) -> tuple[list[Prompt], list[list[str]]]:
    """(prompts, candidate lists) from rows ``{"prompt": ..., "candidates": [str, ...]}``
    (or ``responses`` / ``completions``), or the replies of any preference data file."""
    rows = prompt_rows(spec, need_replies=True)
    if rows is None:
        from rlhf_rm.data import load_examples

        examples = load_examples(spec).examples
        return [e.prompt for e in examples], [list(e.responses) for e in examples]
    prompts, candidates = [], []
    for where, row in rows:
        key = next((k for k in REPLY_KEYS if k in row), "candidates")
        values = row.get(key)
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{where}: expected '{key}' to be a non-empty list of strings")
        prompts.append(prompt_value(row, where))
        candidates.append(values)
    return prompts, candidates
