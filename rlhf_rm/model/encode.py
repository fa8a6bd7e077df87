"""Model inputs by the contract: render the prompt, tokenize, truncate each side, add special tokens.

Every consumer (training, the reward function, rerank, serve, evaluation, an exported folder loaded
back) builds its inputs through :func:`encode_pairs`, so a score is reproduced from the saved
:class:`Contract` alone.

Over-long text is cut by characters *before* it is tokenized: a 4 MB prompt would otherwise be
tokenized whole (about a million tokens and ~750 MB of tokenizer memory) only for truncation to
keep a few hundred. The cut keeps the side the contract keeps, :data:`CHARS_PER_TOKEN` characters
for each token the contract can hold plus :data:`CUT_SLACK_TOKENS`, and widens until those
characters hold that many tokens (see :func:`tokenize_cut`). The tokens that survive truncation are
then those of the whole text whenever tokenization is local -- a cut changes only the tokens of the
word it splits, as with every pre-tokenizer that splits at spaces and punctuation. (A single
"word" of thousands of characters, such as a run of one character, may tokenize differently.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from rlhf_rm.contract import Contract
from rlhf_rm.types import Message, completion_text

# Normal text averages far fewer characters a token than this over any window of hundreds of tokens:
# English BPE and WordPiece ~4-5, code ~3, Chinese ~1-1.5; the longest vocabulary entries (GPT-2:
# 66 characters of '=' or '-'; MiniLM's WordPiece: 18) are rare. Text that averages more (rulers of
# '=', long runs of spaces) gets a wider cut: the cut is widened until it holds enough tokens.
CHARS_PER_TOKEN = 16
# Tokens at the cut may tokenize differently from the whole text (a word cut in two): the cut keeps
# this many tokens beyond what the contract can hold, so none of those tokens survives truncation.
CUT_SLACK_TOKENS = 16
# The head of a cut prompt that is tokenized to see whether the chat template wrote BOS itself.
HEAD_CHARS = 256
# A reply no template rewrites: rendered once as an assistant turn, what follows it is how the
# template closes the turn (``reply_format="assistant_turn"``).
PROBE_REPLY = "rlhfrmprobereply"


@dataclass(frozen=True)
class Encoded:
    """One (prompt, reply) as model input ids, built by the contract."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    truncated: bool  # the prompt or the reply was cut to fit max_length
    # the whole reply's length in tokens before truncation; for a reply longer than the character
    # cut (far beyond max_length), estimated from the kept characters' tokens per character
    reply_tokens: int = 0
    reply_truncated: bool = False  # the reply itself was cut: part of it was never scored


@dataclass(frozen=True)
class SpecialTokens:
    """Where the tokenizer puts its special tokens around one text or a (prompt, reply) pair."""

    prefix: list[int]  # before the prompt (BOS, [CLS])
    middle: list[int]  # between prompt and reply ([SEP] of a pair)
    suffix: list[int]  # after the reply
    types: list[int] | None  # token-type ids of prefix, prompt, middle, reply, suffix (or None)

    @classmethod
    def of(cls, tokenizer, pair: bool) -> "SpecialTokens":
        """Found by encoding two one-token probe texts, so the tokenizer's own post-processor is used as is."""
        a = tokenizer("a", add_special_tokens=False)["input_ids"]
        b = tokenizer("b", add_special_tokens=False)["input_ids"]
        enc = tokenizer("a", "b") if pair else tokenizer("a")
        ids = enc["input_ids"]
        ia = next(i for i in range(len(ids)) if ids[i : i + len(a)] == a)
        if not pair:
            return cls(ids[:ia], [], ids[ia + len(a) :], None)
        ib = next(i for i in range(ia + len(a), len(ids)) if ids[i : i + len(b)] == b)
        types = enc.get("token_type_ids")
        piece_types = None
        if types is not None:
            middle_type = types[ia + len(a)] if ib > ia + len(a) else types[ib]
            piece_types = [types[0] if ia else 0, types[ia], middle_type, types[ib], types[-1]]
        return cls(ids[:ia], ids[ia + len(a) : ib], ids[ib + len(b) :], piece_types)


@dataclass(frozen=True)
class Tokenized:
    """One text's token ids, possibly of a character cut of it."""

    ids: list[int]
    total: int  # tokens of the whole text (estimated when it was cut)
    cut: bool  # the text was cut by characters before tokenizing


def as_messages(prompt: str | Sequence[Message]) -> list[Message]:
    """A prompt as chat messages: a plain string is one user turn."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [dict(m) for m in prompt]


def render_prompt(tokenizer, template: str, prompt: str | Sequence[Message]) -> str:
    """The prompt text: its messages through the contract's chat template, ready for the reply."""
    return render_prompts(tokenizer, template, [prompt])[0]


def render_prompts(tokenizer, template: str, prompts: Sequence[str | Sequence[Message]]) -> list[str]:
    """Each prompt's text by the template (:func:`render_distinct`)."""
    texts, slots = render_distinct(tokenizer, template, prompts)
    return [texts[i] for i in slots]


def render_distinct(tokenizer, template: str, prompts: Sequence[str | Sequence[Message]]) -> tuple[list[str], list[int]]:
    """(texts, slots): each distinct prompt's text, rendered in one batched call, and for each prompt
    the index of its text. A prompt that repeats (a group of completions of one prompt, as GRPO,
    best-of-n and OpenRLHF send) is rendered once."""
    index: dict = {}
    distinct: list[list[Message]] = []
    slots = []
    for prompt in prompts:
        key = _prompt_key(prompt)
        if key is None or key not in index:
            if key is not None:
                index[key] = len(distinct)
            slots.append(len(distinct))
            distinct.append(as_messages(prompt))
        else:
            slots.append(index[key])
    if not distinct:
        return [], []
    texts = tokenizer.apply_chat_template(distinct, chat_template=template, tokenize=False, add_generation_prompt=True)
    return texts, slots


def assistant_turns(tokenizer, template: str, prompts: Sequence[str | Sequence[Message]], replies: Sequence[str],
                    heads: Sequence[str], slots: Sequence[int]) -> tuple[list[str], list[str]]:
    """(texts, closings): each reply as the template writes it as the conversation's last,
    assistant turn, and the text that closes that turn (``<|im_end|>\n``, ``<|eot_id|>``).

    The whole conversation is rendered with ``add_generation_prompt=False`` -- how RewardBench
    and TRL feed a reward model -- and split where the prompt's own rendering (``heads[slots[i]]``,
    with the generation prompt) ends, so the prompt and the reply can still be truncated apart and
    the closing is always kept. A conversation that does not start with its prompt's rendering
    keeps the reply's text, closed as the template closes a turn; one that does not end with that
    closing keeps everything after the prompt as the reply."""
    closing = _turn_closing(tokenizer, template)
    conversations = [as_messages(p) + [{"role": "assistant", "content": r}] for p, r in zip(prompts, replies)]
    if not conversations:
        return [], []
    fulls = tokenizer.apply_chat_template(conversations, chat_template=template, tokenize=False,
                                          add_generation_prompt=False)
    texts, closings = [], []
    for full, reply, slot in zip(fulls, replies, slots):
        head = heads[slot]
        if not full.startswith(head):
            texts.append(reply)
            closings.append(closing)
            continue
        turn = full[len(head):]
        ends = bool(closing) and turn.endswith(closing)
        texts.append(turn[: len(turn) - len(closing)] if ends else turn)
        closings.append(closing if ends else "")
    return texts, closings


def _turn_closing(tokenizer, template: str) -> str:
    """What the template writes after an assistant turn's content ("" if it loses the probe)."""
    probe = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": PROBE_REPLY}]
    text = tokenizer.apply_chat_template(probe, chat_template=template, tokenize=False, add_generation_prompt=False)
    return text.rsplit(PROBE_REPLY, 1)[1] if PROBE_REPLY in text else ""


def _prompt_key(prompt: str | Sequence[Message]):
    """A hashable key of a prompt, or None for messages holding unhashable values (never merged)."""
    if isinstance(prompt, str):
        return prompt
    try:
        key = tuple(tuple(m.items()) for m in prompt)
        hash(key)
    except TypeError:
        return None
    return key


def token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text without special tokens: ``tokenizer(texts, add_special_tokens=False)``.

    A fast tokenizer whose Rust backend is in the state that call would put it in (no truncation
    or padding set, special tokens split as the tokenizer says) is called directly: the same ids
    without the per-text dictionaries of a ``BatchEncoding`` (~25 us a text, a third of the cost
    of short texts)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    encode = getattr(backend, "encode_batch_fast", None)
    if (encode is None or backend.truncation is not None or backend.padding is not None
            or backend.encode_special_tokens != bool(getattr(tokenizer, "split_special_tokens", False))):
        return tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    return [e.ids for e in encode(list(texts), add_special_tokens=False)]


def cut_text(text: str, max_chars: int, keep_end: bool) -> str:
    """At most ``max_chars`` characters of ``text``: its end when ``keep_end``, else its start."""
    if len(text) <= max_chars:
        return text
    return text[len(text) - max_chars :] if keep_end else text[:max_chars]


def tokenize_cut(tokenizer, texts: Sequence[str], max_tokens: int, keep_end: Sequence[bool]) -> list[Tokenized]:
    """Token ids of each text, or of the side of it that truncation to ``max_tokens`` can keep
    (``keep_end[i]``: the text's end, else its start), all in one tokenizer call.

    A text over ``CHARS_PER_TOKEN * (max_tokens + CUT_SLACK_TOKENS)`` characters is cut to that
    many before tokenizing; when its cut holds fewer than ``max_tokens + CUT_SLACK_TOKENS`` tokens
    (text of unusually long tokens), the cut is widened fourfold until it does or the text is whole.
    So the ``max_tokens`` tokens on the kept side are the whole text's own, at a cost bounded by
    the contract's max length instead of the text's.
    """
    need = max_tokens + CUT_SLACK_TOKENS
    max_chars = CHARS_PER_TOKEN * need
    ids = token_ids(tokenizer, [cut_text(t, max_chars, end) for t, end in zip(texts, keep_end)])
    out = []
    for text, end, kept in zip(texts, keep_end, ids):
        chars = min(len(text), max_chars)
        while chars < len(text) and len(kept) < need:
            chars = min(len(text), chars * 4)
            kept = token_ids(tokenizer, [cut_text(text, chars, end)])[0]
        cut = chars < len(text)
        total = round(len(kept) * len(text) / chars) if cut else len(kept)
        out.append(Tokenized(kept, total, cut))
    return out


def keep_side(ids: list[int], n: int, side: str) -> list[int]:
    """``n`` of ``ids`` after truncation on ``side``: ``left`` drops the start, ``right`` the end."""
    if side == "left":
        return ids[len(ids) - n :]
    if side == "right":
        return ids[:n]
    raise ValueError(f"truncation side {side!r}: expected 'left' or 'right'")


def encode_pairs(tokenizer, contract: Contract, special: SpecialTokens, prompts: Sequence[str | Sequence[Message]],
                 replies: Sequence[str | Sequence[Message]]) -> list[Encoded]:
    """Token ids of each (prompt, reply) under the contract's truncation policy.

    The reply keeps up to ``max_response_tokens`` (more when the prompt is short) and the prompt
    the rest; each keeps the side its contract field names (``prompt_truncation="left"``: the
    prompt's end, the latest turns; ``response_truncation="right"``: the reply's start). Nothing is
    dropped when it fits. Decoders get EOS appended when the contract says so (the score is read
    there). With ``reply_format="assistant_turn"`` the reply is its assistant turn as the chat
    template writes it (:func:`assistant_turns`), the turn's closing tokens kept like EOS.
    """
    if len(prompts) != len(replies):
        raise ValueError(f"got {len(prompts)} prompts but {len(replies)} replies")
    c = contract
    texts, slots = render_distinct(tokenizer, c.prompt_template, prompts)  # a repeated prompt once
    reply_texts, closings = [completion_text(r) for r in replies], [""] * len(replies)
    if c.reply_format == "assistant_turn":
        reply_texts, closings = assistant_turns(tokenizer, c.prompt_template, prompts, reply_texts, texts, slots)
    toks = tokenize_cut(tokenizer, texts + reply_texts, c.max_length,
                        [c.prompt_truncation == "left"] * len(texts) + [c.response_truncation == "left"] * len(replies))
    prompt_toks, reply_toks = toks[: len(texts)], toks[len(texts) :]
    # the tokenizer's prefix (BOS), unless the chat template already wrote it
    prefixes = [[] if special.prefix and _starts_with(tokenizer, t, p, special.prefix) else special.prefix
                for t, p in zip(texts, prompt_toks)]
    eos = [c.eos_token_id] if c.append_eos and c.eos_token_id is not None else []
    distinct = sorted(set(closings) - {""})
    closing_ids = {"": [], **dict(zip(distinct, token_ids(tokenizer, distinct)))}
    return [_fit(c, special, prefixes[i], prompt_toks[i], r, closing_ids[end] + eos)
            for i, r, end in zip(slots, reply_toks, closings)]


def _starts_with(tokenizer, text: str, prompt: Tokenized, prefix: list[int]) -> bool:
    """Whether the whole prompt text's tokens start with ``prefix`` (tokenizing only its head if cut)."""
    head = prompt.ids if not prompt.cut else token_ids(tokenizer, [text[:HEAD_CHARS]])[0]
    return head[: len(prefix)] == prefix


def _fit(c: Contract, special: SpecialTokens, prefix: list[int], p: Tokenized, r: Tokenized,
         eos: list[int]) -> Encoded:
    """One input of at most ``max_length`` tokens: prefix, prompt, middle, reply, EOS, suffix."""
    budget = c.max_length - len(prefix) - len(special.middle) - len(special.suffix) - len(eos)
    n_reply = min(len(r.ids), max(budget - len(p.ids), c.max_response_tokens), budget)
    n_prompt = min(len(p.ids), budget - n_reply)
    p_kept = keep_side(p.ids, n_prompt, c.prompt_truncation)
    r_kept = keep_side(r.ids, n_reply, c.response_truncation)
    ids = prefix + p_kept + special.middle + r_kept + eos + special.suffix
    types = None
    if special.types is not None:
        t = special.types
        types = ([t[0]] * len(prefix) + [t[1]] * len(p_kept) + [t[2]] * len(special.middle)
                 + [t[3]] * (len(r_kept) + len(eos)) + [t[4]] * len(special.suffix))
    reply_cut = n_reply < len(r.ids)
    return Encoded(ids, types, reply_cut or n_prompt < len(p.ids), r.total, reply_cut)


def collate(items: Sequence[Encoded], contract: Contract, pad_to_multiple_of: int | None = None) -> dict[str, torch.Tensor]:
    """Pad encoded inputs on the contract's padding side with its pad id.

    Shape: each of ``input_ids``, ``attention_mask`` (and ``token_type_ids``) is (B, T)."""
    longest = max(len(e.input_ids) for e in items)
    if pad_to_multiple_of:
        longest = -(-longest // pad_to_multiple_of) * pad_to_multiple_of
    pad = contract.pad_token_id if contract.pad_token_id is not None else 0
    left = contract.padding_side == "left"
    ids, mask, types = [], [], []
    for e in items:
        n = longest - len(e.input_ids)
        ids.append([pad] * n + e.input_ids if left else e.input_ids + [pad] * n)
        mask.append([0] * n + [1] * len(e.input_ids) if left else [1] * len(e.input_ids) + [0] * n)
        if e.token_type_ids is not None:
            types.append([0] * n + e.token_type_ids if left else e.token_type_ids + [0] * n)
    batch = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if types:
        batch["token_type_ids"] = torch.tensor(types)
    return batch
