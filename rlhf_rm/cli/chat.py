"""``rlhf-rm chat``: talk to a policy in the terminal, optionally reranking each reply (best-of-n)."""

from __future__ import annotations

import sys
from typing import TextIO


def chat(policy: str, reward: str | None = None, n: int = 4, max_new_tokens: int = 128,
         temperature: float = 0.8, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read user turns from ``stdin``; each reply is the best of ``n`` samples under ``reward``.

    The conversation so far is the prompt, rendered as every other policy caller renders it
    (``rlhf_rm.policy.render_prompt``: the chat template, or the documented fallback).
    """
    from rlhf_rm.policy import Sampling, load_policy
    from rlhf_rm.rerank import best_of_n
    from rlhf_rm.reward import RewardFunction

    model, tok = load_policy(policy, what="--policy")
    reward_fn = RewardFunction.from_pretrained(reward) if reward else (lambda p, c, **kw: [0.0] * len(c))
    n = n if reward else 1
    sampling = Sampling(temperature=temperature, max_new_tokens=max_new_tokens)
    history: list[dict[str, str]] = []
    print("Type a message (empty line or Ctrl-D to quit).", file=stdout, flush=True)
    while True:
        print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line.strip():
            break
        history.append({"role": "user", "content": line.strip()})
        (result,) = best_of_n(reward_fn, [list(history)], policy=model, tokenizer=tok, n=n, sampling=sampling)
        reply = result.best_text.strip()
        history.append({"role": "assistant", "content": reply})
        print(f"bot> {reply}", file=stdout)
        if reward:
            scores = ", ".join(f"{c.score:+.2f}" for c in result.candidates)
            print(f"     (best of {n}; scores: {scores})", file=stdout, flush=True)
