"""The shapes every stage shares -- a chat message, a prompt, a completion, the reward interface --
and ``call_reward``, the one checked call of a reward.

These are the only definitions; every module that takes or returns them imports them from here.
The module imports nothing heavy, so light callers (evaluation of score files, reranking of
candidate files) can check a reward's output without importing torch.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# one chat turn: {"role": "system" | "user" | "assistant", "content": str}
Message = dict[str, str]
# a prompt: plain text, or a conversation that ends with a user turn
Prompt = str | list[Message]
# a reply: plain text, or assistant turn(s) as TRL's conversational completions hold them
Completion = str | list[Message]
# the reward interface TRL's GRPO/RLOO trainers call: reward(prompts, completions, **kwargs) ->
# one float per completion. RewardFunction, the reward server's client, the rule rewards of
# rlhf_rm.ppo.reward_source and any user function of that shape qualify.
Reward = Callable[..., Sequence[float]]

__all__ = ["Completion", "Message", "Prompt", "Reward", "call_reward", "completion_text"]


def completion_text(completion: Completion) -> str:
    """The reply a completion holds, as text: a string as it is; of a conversational completion,
    the contents of its assistant turns, each a paragraph (``"\\n\\n"`` between them).

    Turns of other roles (a tool's result) are not the policy's reply, and an assistant turn
    without content (a bare tool call) adds nothing. Every scorer reads a completion by this.
    """
    if isinstance(completion, str):
        return completion
    return "\n\n".join(m["content"] for m in completion if m.get("role") == "assistant" and m.get("content"))


def call_reward(reward: Reward, prompts: Sequence[Any], completions: Sequence[Any], *,
                batch_size: int | None = None, extra: Mapping[str, Sequence[Any]] | None = None,
                on_batch: Callable[[int], None] | None = None, name: str = "the reward") -> list[float]:
    """``reward(prompts, completions)`` in batches of ``batch_size`` (None: one call), checked.

    extra: per-completion keyword columns (TRL passes dataset columns so), sliced with each batch
        and passed only to a reward that accepts ``**kwargs``.
    on_batch: called with each batch's size once it is scored (a progress bar's ``update``).
    Raises ValueError unless the reward returns exactly one finite float per completion, naming
    the first completion that got a non-finite score.
    """
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
    columns = extra if extra and _takes_kwargs(reward) else {}
    n = len(completions)
    step = max(batch_size or n, 1)
    scores: list[float] = []
    for start in range(0, n, step):
        end = min(start + step, n)
        out = [float(s) for s in reward(prompts[start:end], completions[start:end],
                                        **{k: v[start:end] for k, v in columns.items()})]
        if len(out) != end - start:
            raise ValueError(f"{name} returned {len(out)} scores for {end - start} replies; "
                             "it must return one per reply")
        scores += out
        if on_batch is not None:
            on_batch(end - start)
    bad = [i for i, s in enumerate(scores) if not math.isfinite(s)]
    if bad:
        raise ValueError(f"{name} returned {len(bad)} non-finite score(s) (nan/inf); the first for "
                         f"reply {bad[0]}: {str(completions[bad[0]])[:80]!r}")
    return scores


def _takes_kwargs(fn: Callable[..., Any]) -> bool:
    try:
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
