"""The policy side, in one place: load a causal LM, render a prompt as the policy sees it, sample
n replies per prompt, cut each reply at its stop token.

``rerank``, ``chat``, the best-of-n curve, PPO rollouts, the GRPO recipe and the quickstart all
go through these functions, so a policy is tuned, reranked and evaluated on the same text.

How a prompt becomes the policy's text (``render_prompt``), one rule everywhere:

- a tokenizer with a chat template: the template, with the generation prompt; a string prompt is
  one user turn;
- a tokenizer without one: a string is text to continue as it is (a story opening), and a message
  list goes through ``FALLBACK_TEMPLATE``, role-tagged turns ending in the generation prompt::

      System: Be brief.\\n\\nUser: Hi\\n\\nAssistant: Hello!\\n\\nUser: How are you?\\n\\nAssistant:

  That is the reward-model contract's ``ROLES_TEMPLATE`` and the text ``rlhf-rm pretrain`` trains
  a causal LM on (``rlhf_rm.data.render_transcript``, ``User: ...\\n\\nAssistant: ...``); a policy
  it builds (the quickstart's) carries it as its chat template.

Token ids (``encode_prompt``): a chat template's text is tokenized without special tokens (the
template writes its own BOS); the fallback's and plain text with them (the tokenizer's own BOS, as
in pretraining). Nothing here changes a tokenizer: a missing pad token is a local pad id, never an
assignment to ``tokenizer.pad_token``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rlhf_rm.contract import ROLES_TEMPLATE
from rlhf_rm.model import as_messages
from rlhf_rm.model.score import unwrap
from rlhf_rm.types import Message, Prompt

# the one rendering of a conversation for a tokenizer without a chat template (see above)
FALLBACK_TEMPLATE = ROLES_TEMPLATE


@dataclass(frozen=True)
class EncodedPrompt:
    prompt: Prompt  # what the reward sees
    text: str  # what the policy sees, as text
    ids: list[int]  # what the policy sees


@dataclass(frozen=True)
class Sampling:
    """How replies are sampled from the policy (``generate`` arguments)."""

    temperature: float = 1.0  # 0: greedy (only with n=1)
    top_p: float = 1.0
    top_k: int = 0  # 0: off
    max_new_tokens: int = 128
    stop_token_ids: tuple[int, ...] = ()  # besides the tokenizer's and the model's EOS
    prompts_per_batch: int = 8  # prompts per generate call; each brings n sequences


@dataclass(frozen=True)
class SamplingSettings:
    """``Sampling`` resolved for one policy and prompt set: what ``generate`` gets, and where a
    reply ends (:func:`resolve_sampling`). PPO samples with top_p 1 and top_k 0: its log-probs
    must be those of the distribution that produced the samples, ``softmax(logits / T)``."""

    max_new_tokens: int
    temperature: float
    stop_token_ids: list[int]
    pad_token_id: int
    stop_strings: tuple[str, ...] = ()  # a reply also ends at these (reply_stop_strings)
    top_p: float = 1.0
    top_k: int = 0


@dataclass(frozen=True)
class Samples:
    """n replies per prompt, in prompt order, cut before their stop token."""

    texts: list[list[str]]
    finished: list[list[bool]]  # the reply ended with a stop token (False: it hit max_new_tokens)


# ---- loading --------------------------------------------------------------------------------

def load_policy(name: str, dtype: torch.dtype | None = None, device: str | torch.device | None = None,
                trust_remote_code: bool = False, what: str = "policy"):
    """A causal LM and its tokenizer from a folder or hub id, for sampling replies.

    A missing local folder fails at once (not after minutes of hub retries); errors start with
    ``what`` and the name (e.g. ``--policy runs/x``). Returns (model in eval mode, tokenizer).
    """
    from transformers import AutoModelForCausalLM

    tokenizer = load_policy_tokenizer(name, trust_remote_code, what)
    try:
        model = AutoModelForCausalLM.from_pretrained(_resolve(name), dtype=dtype, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise OSError(f"{what} {name}: {_where(name)} ({err})") from err
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer


def load_policy_tokenizer(name: str, trust_remote_code: bool = False, what: str = "policy"):
    """The policy's tokenizer alone (e.g. for TRL, which loads the model itself); errors as ``load_policy``."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(_resolve(name), trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:  # (an empty folder makes the tokenizer raise ValueError)
        raise OSError(f"{what} {name}: {_where(name)} ({err})") from err


def _resolve(name: str) -> str:
    from rlhf_rm.model import resolve_model_path

    return resolve_model_path(name)


def _where(name: str) -> str:
    if Path(name).expanduser().is_dir():
        return "a folder without a causal LM"
    return "no such folder here, and not a reachable hub id"


# ---- rendering ------------------------------------------------------------------------------

def has_chat_template(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def render_prompt(prompt: Prompt, tokenizer) -> str:
    """The text the policy continues for ``prompt`` (the rule in the module docstring)."""
    _check_prompt(prompt)
    if has_chat_template(tokenizer):
        return tokenizer.apply_chat_template(as_messages(prompt), tokenize=False, add_generation_prompt=True)
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(as_messages(prompt), chat_template=FALLBACK_TEMPLATE, tokenize=False,
                                         add_generation_prompt=True)


class PromptTooLong(ValueError):
    """Even the prompt's last user turn does not fit in ``max_prompt_tokens``."""


def encode_prompt(prompt: Prompt, tokenizer, max_tokens: int | None = None) -> EncodedPrompt:
    """Render and tokenize one prompt, within ``max_tokens`` when given.

    A conversation that is too long loses its oldest turns at message boundaries -- the kept part
    starts at a user turn, and a leading system turn stays when it fits -- so no template header
    or role tag is ever cut through; the reward then sees the conversation the policy saw. Text
    for a template-less policy to continue keeps its last tokens. Raises ``PromptTooLong`` when
    not even the last user turn fits (a string prompt of a chat model is one user turn).
    """
    encoded = _encode(prompt, tokenizer)
    if max_tokens is None or len(encoded.ids) <= max_tokens:
        return encoded
    if isinstance(prompt, str) and not has_chat_template(tokenizer):
        ids = encoded.ids[-max_tokens:]
        return EncodedPrompt(prompt=prompt, text=tokenizer.decode(ids), ids=ids)
    for shorter in _shorter_conversations(as_messages(prompt)):
        fitted = _encode(shorter, tokenizer)
        if len(fitted.ids) <= max_tokens:
            return fitted
    raise PromptTooLong(f"a prompt of {len(encoded.ids)} tokens does not fit in max_prompt_tokens={max_tokens}, "
                        "not even its last user turn")


def _encode(prompt: Prompt, tokenizer) -> EncodedPrompt:
    text = render_prompt(prompt, tokenizer)
    return EncodedPrompt(prompt, text, list(tokenizer(text, add_special_tokens=not has_chat_template(tokenizer)).input_ids))


def _shorter_conversations(messages: list[Message]) -> Iterator[list[Message]]:
    """Ever shorter tails of a conversation, each starting at a user turn: first with its leading
    system turn, then without it."""
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    rest = messages[len(system):]
    starts = [i for i, m in enumerate(rest) if m["role"] == "user"]
    if system:
        yield from (system + rest[i:] for i in starts if i > 0)
    yield from (rest[i:] for i in starts)


def trl_prompt(prompt: Prompt, tokenizer) -> Prompt:
    """``prompt`` in the form TRL's trainers (GRPO, RLOO) turn into the same text and ids as
    ``encode_prompt``: messages where the tokenizer has a chat template (TRL applies it and
    tokenizes without special tokens), else the rendered text (TRL tokenizes it with them)."""
    if has_chat_template(tokenizer):
        _check_prompt(prompt)
        return as_messages(prompt)
    return render_prompt(prompt, tokenizer)


def _check_prompt(prompt: Any) -> None:
    if isinstance(prompt, str):
        return
    if isinstance(prompt, list) and prompt and all(isinstance(m, dict) and "role" in m and "content" in m
                                                   for m in prompt):
        return
    raise TypeError(f"a prompt must be a string or a list of {{'role', 'content'}} messages, got {prompt!r:.200}")


# ---- sampling and cutting at the stop -------------------------------------------------------

def stop_token_ids(tokenizer, extra: Sequence[int] = (), model=None) -> list[int]:
    """Where a reply ends: the tokenizer's EOS, the EOS ids the model's own config lists (chat
    models often name their end-of-turn and end-of-text tokens there) and ``extra``, in that
    order, without duplicates. Raises when there is none."""
    stop = [t for t in dict.fromkeys([tokenizer.eos_token_id, *model_eos_ids(model), *extra]) if t is not None]
    if not stop:
        raise ValueError("the policy's tokenizer has no EOS token: list the stop token ids")
    return stop


def model_eos_ids(model) -> list[int]:
    """The EOS ids in a model's generation config, else its config; none for ``None``."""
    owner = unwrap(model)
    for source in (getattr(owner, "generation_config", None), getattr(owner, "config", None)):
        eos = getattr(source, "eos_token_id", None)
        if eos is not None:
            return [eos] if isinstance(eos, int) else [int(t) for t in eos]
    return []


def pad_token_id(tokenizer, stop: Sequence[int]) -> int:
    """The tokenizer's pad id, else the first stop id: padding only, hidden by the attention mask."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop[0]


def left_pad(sequences: Sequence[Sequence[int]], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad token lists, so that every prompt ends where generation starts.

    Shape: B lists -> ids (B, P) long, attention mask (B, P) long
    """
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, s in enumerate(sequences):
        if len(s):
            ids[i, width - len(s) :] = torch.tensor(list(s), dtype=torch.long)
            mask[i, width - len(s) :] = 1
    return ids, mask


def resolve_sampling(sampling: Sampling, tokenizer, model, prompts: Sequence[Prompt]) -> SamplingSettings:
    """The stop ids (:func:`stop_token_ids`), pad id and stop strings of ``sampling`` for this
    policy and these prompts."""
    stop = stop_token_ids(tokenizer, sampling.stop_token_ids, model)
    return SamplingSettings(sampling.max_new_tokens, sampling.temperature, stop, pad_token_id(tokenizer, stop),
                            reply_stop_strings(tokenizer, prompts), sampling.top_p, sampling.top_k)


def generation_config(settings: SamplingSettings, num_return_sequences: int = 1):
    """A fresh ``GenerationConfig`` holding only ``settings``; temperature 0 is greedy. Sample
    with it through :func:`generate_new_tokens`, which keeps the model's own defaults out."""
    from transformers import GenerationConfig

    s = settings
    sampled = {"do_sample": True, "temperature": s.temperature, "top_p": s.top_p, "top_k": s.top_k}
    return GenerationConfig(
        **(sampled if s.temperature > 0 else {"do_sample": False}),
        max_new_tokens=s.max_new_tokens, num_return_sequences=num_return_sequences,
        eos_token_id=list(s.stop_token_ids), pad_token_id=s.pad_token_id, use_cache=True,
    )


def generate_new_tokens(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, config) -> torch.Tensor:
    """``model.generate`` under ``config`` and nothing else; returns only the new tokens (B * n, R).

    transformers 5 fills every field the passed config leaves unset from the model's own
    ``generation_config.json`` (``repetition_penalty``, ``no_repeat_ngram_size``, ``min_p``, ...:
    instruct models ship such fields), which would sample from a penalised distribution while PPO's
    log-probs assume ``softmax(logits / T)``. So the model's defaults are set aside for the call.
    """
    from transformers import GenerationConfig

    owner = unwrap(model)  # a peft model's HF model
    saved = owner.generation_config
    owner.generation_config = GenerationConfig()  # the library's defaults, which add no processor
    try:
        out = model.generate(input_ids=input_ids, attention_mask=attention_mask, generation_config=config)
    finally:
        owner.generation_config = saved
    return out[:, input_ids.shape[1] :]


def reply_mask(response_ids: torch.Tensor, stop_token_ids: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask of the reply up to and including its first stop token, and whether it had one.

    Shape: (B, R) -> mask (B, R) float, ended (B,) bool
    """
    is_stop = torch.isin(response_ids, torch.tensor(list(stop_token_ids), dtype=torch.long, device=response_ids.device))
    # stops seen strictly before each position; a position is in the reply if none was
    before = torch.cumsum(is_stop.long(), dim=1) - is_stop.long()
    return (before == 0).float(), is_stop.any(dim=1)


# a template-less policy answering role-tagged turns may go on to write the user's next turn
ROLE_STOP_STRINGS = ("\nUser:",)


def reply_stop_strings(tokenizer, prompts: Sequence[Prompt]) -> tuple[str, ...]:
    """Where a reply ends besides its stop tokens: at the next role tag, for a policy without a
    chat template given conversations (rendered as role-tagged turns); nowhere else."""
    if has_chat_template(tokenizer) or all(isinstance(p, str) for p in prompts):
        return ()
    return ROLE_STOP_STRINGS


@dataclass(frozen=True)
class CutReplies:
    """Sampled replies cut at their end. B replies of R tokens."""

    mask: torch.Tensor  # (B, R) float: the reply's tokens, up to and including the one that ends it
    ended: torch.Tensor  # (B,) bool: a stop token or a stop string ended the reply (not max_new_tokens)
    texts: list[str]  # what the reward reads: the reply before its stop token or stop string


def cut_replies(tokenizer, response_ids: torch.Tensor, stop_token_ids: Sequence[int],
                stop_strings: Sequence[str] = ()) -> CutReplies:
    """Each reply up to its first stop token or, earlier, the token that completes a stop string.

    The token completing a stop string ends the reply as a stop token does (the policy learns to
    stop there); the reward never reads the stop string or what follows it.
    """
    mask, ended = reply_mask(response_ids, stop_token_ids)
    texts = _masked_texts(tokenizer, response_ids, mask, stop_token_ids)
    for b, text in enumerate(texts):
        cut = min((i for i in (text.find(s) for s in stop_strings) if i >= 0), default=-1)
        if cut < 0:
            continue
        end = _first_token_completing(tokenizer, response_ids[b], stop_strings)
        mask[b, end + 1 :] = 0
        ended[b] = True
        texts[b] = text[:cut].rstrip()
    return CutReplies(mask, ended, texts)


def _masked_texts(tokenizer, response_ids: torch.Tensor, mask: torch.Tensor, stop_token_ids: Sequence[int]) -> list[str]:
    stops = torch.tensor(list(stop_token_ids), dtype=torch.long, device=response_ids.device)
    keep = mask.bool() & ~torch.isin(response_ids, stops)
    return [tokenizer.decode(ids[k].tolist(), skip_special_tokens=True) for ids, k in zip(response_ids, keep)]


def _first_token_completing(tokenizer, ids: torch.Tensor, stop_strings: Sequence[str]) -> int:
    """The index of the token whose decoding first makes the text contain a stop string."""
    tokens = ids.tolist()
    for k in range(len(tokens)):
        text = tokenizer.decode(tokens[: k + 1], skip_special_tokens=True)
        if any(s in text for s in stop_strings):
            return k
    return len(tokens) - 1


@torch.inference_mode()
def sample_replies(model, tokenizer, prompts: Sequence[Prompt], n: int, sampling: Sampling = Sampling()) -> Samples:
    """``n`` sampled replies per prompt, ``sampling.prompts_per_batch`` prompts per ``generate`` call.

    Prompts of similar length share a call (left padding stays short); the results keep the input
    order. The model is put in eval mode for sampling and then back in its former mode.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if sampling.temperature <= 0 and n > 1:
        raise ValueError("temperature 0 (greedy) gives n identical replies: set temperature > 0 or n=1")
    settings = resolve_sampling(sampling, tokenizer, model, prompts)
    config = generation_config(settings, num_return_sequences=n)
    prompt_ids = [encode_prompt(p, tokenizer).ids for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: len(prompt_ids[i]))
    texts: list[list[str]] = [[] for _ in prompts]
    finished: list[list[bool]] = [[] for _ in prompts]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), sampling.prompts_per_batch):
            idx = order[start : start + sampling.prompts_per_batch]
            ids, mask = left_pad([prompt_ids[i] for i in idx], settings.pad_token_id)
            # (B * n, R): generate repeats each prompt n times in a row
            new = generate_new_tokens(model, ids.to(device), mask.to(device), config)
            cut = cut_replies(tokenizer, new, settings.stop_token_ids, settings.stop_strings)
            for row, (text, done) in enumerate(zip(cut.texts, cut.ended.tolist())):
                texts[idx[row // n]].append(text)
                finished[idx[row // n]].append(done)
    finally:
        model.train(was_training)
    return Samples(texts, finished)
