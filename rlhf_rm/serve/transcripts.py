"""Rendered chat transcripts back into messages: what a remote policy sent, as the reward model needs it.

OpenRLHF and veRL send the reward server the policy's decoded text: its prompt rendered by the
POLICY's chat template, then the reply, often with special tokens and padding left in. Scoring that
string as one user turn shows the reward model another model's markup; this module recovers the
conversation so the reward model's own contract (template, EOS policy) renders it.

Recognised markups (``Transcript.markup``):

    chatml   <|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n          (Qwen, Yi, many)
    llama3   <|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\nHi<|eot_id|>...
    gemma    <bos><start_of_turn>user\\nHi<end_of_turn>\\n<start_of_turn>model\\n
    inst     <s>[INST] <<SYS>>\\n...\\n<</SYS>>\\n\\nHi [/INST] Hello</s>    (Llama-2, Mistral)
    phi3     <|system|>\\n...<|end|>\\n<|user|>\\nHi<|end|>\\n<|assistant|>\\n
    hh       \\n\\nHuman: Hi\\n\\nAssistant: Hello                  (Anthropic HH-RLHF)
    roles    User: Hi\\n\\nAssistant: Hello        (rlhf_rm.policy's fallback for a policy without a chat template)

Anything else gives None, and the caller keeps the text as it is. Message contents are stripped of
surrounding whitespace, as the data layer does for HH transcripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlhf_rm.types import Message

# end-of-turn, EOS and pad tokens a decoded reply may end with (and left padding may start with)
END_TOKENS = (
    "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|finetune_right_pad_id|>",
    "<end_of_turn>", "<eos>", "</s>", "<|end|>", "<pad>", "<|pad|>", "[PAD]", "<｜end▁of▁sentence｜>",
)
_BOS_TOKENS = ("<|begin_of_text|>", "<bos>", "<s>", "<|startoftext|>", "<｜begin▁of▁sentence｜>")
_JUNK = re.compile("(?:\\s|" + "|".join(re.escape(t) for t in END_TOKENS + _BOS_TOKENS) + ")*")
_ROLES = {"system": "system", "user": "user", "assistant": "assistant", "tool": "tool",
          "model": "assistant", "human": "user", "ipython": "tool"}
# Llama-3.1's template opens every system turn with these two lines; they are template, not conversation
_LLAMA31_DATES = re.compile(r"\ACutting Knowledge Date: [^\n]*\nToday Date: [^\n]*\n*")


@dataclass(frozen=True)
class Transcript:
    """A transcript split at its final assistant turn."""

    markup: str  # "chatml", "llama3", "gemma", "inst", "phi3", "hh" or "roles"
    messages: list[Message]  # the turns before the reply: the prompt as chat messages
    reply: str  # the final assistant turn, trailing end-of-turn/EOS/pad tokens and outer whitespace removed


@dataclass(frozen=True)
class _Turn:
    role: str  # normalized: system, user, assistant or tool
    start: int  # the content is text[start:end]
    end: int
    closed: bool  # ended by its end-of-turn token (False: the text stops inside it)


def parse_transcript(text: str) -> Transcript | None:
    """Split a full rendered conversation into (prompt messages, final assistant reply).

    The reply is the last assistant turn, closed or not. None when the markup is not recognised,
    or the text does not end in an assistant turn that follows a user turn.
    """
    found = _parse(text)
    if found is None:
        return None
    markup, turns = found
    if not _ends_in_reply(turns):
        return None
    reply = text[turns[-1].start : turns[-1].end]
    return Transcript(markup, _messages(text, turns[:-1], markup), strip_end_tokens(reply).strip())


def split_query(query: str, prompt: str | None = None) -> Transcript | None:
    """OpenRLHF's ``(query, prompt)`` as prompt messages and the reply.

    Without ``prompt``, as :func:`parse_transcript`. With it, ``query`` must start with ``prompt``,
    and ``prompt`` must end in an open assistant turn (a generation prompt): its turns before
    that are the messages, and the reply is everything of ``query`` from where that turn's content
    starts (``query[len(prompt):]`` plus any prefill the template put there, such as Qwen3's
    empty think block), with trailing end-of-turn tokens and outer whitespace removed. The reply
    itself is never parsed, so a policy that writes turn markup into its reply cannot move the split.
    """
    if prompt is None:
        return parse_transcript(query)
    if not query.startswith(prompt):
        return None
    found = _parse(prompt)
    if found is None:
        return None
    markup, turns = found
    if not _ends_in_reply(turns) or turns[-1].closed:
        return None
    reply = query[turns[-1].start :]  # the open turn's prefill, if any, and all that follows
    return Transcript(markup, _messages(prompt, turns[:-1], markup), strip_end_tokens(reply).strip())


def openrlhf_pairs(queries: list[str], prompts: list[str] | None = None,
                   raw: bool = False) -> tuple[list[str | list[Message]], list[str]]:
    """OpenRLHF's (query, prompt) texts as the reward function's (prompts, completions).

    Each ``query`` starts with its ``prompt`` (the caller checks it). A transcript in a known
    markup gives chat messages and the reply (:func:`split_query`); otherwise the
    prompt string (or "" without prompts) is one user turn and the rest, less trailing
    end-of-turn tokens, is the reply. ``raw``: the texts as sent, nothing parsed or cut.
    """
    out_prompts, completions = [], []
    for i, query in enumerate(queries):
        prompt = None if prompts is None else prompts[i]
        parsed = None if raw else split_query(query, prompt)
        if parsed is not None:
            out_prompts.append(parsed.messages)
            completions.append(parsed.reply)
            continue
        reply = query[len(prompt or ""):]
        out_prompts.append(prompt or "")
        completions.append(reply if raw else strip_end_tokens(reply))
    return out_prompts, completions


def strip_end_tokens(text: str) -> str:
    """``text`` without the end-of-turn, EOS and pad tokens it ends with (whitespace between them too)."""
    while True:
        rest = text.rstrip()
        token = next((t for t in END_TOKENS if rest.endswith(t)), None)
        if token is None:
            return text  # whitespace not followed by a token stays: it is the reply's own
        text = rest[: -len(token)]


# ---- the markups -----------------------------------------------------------------------------

def _parse(text: str) -> tuple[str, list[_Turn]] | None:
    for markup, marker, parse in _MARKUPS:
        turns = parse(text) if marker in text else None
        if turns:
            return markup, turns
    return None


def _headers(header: str, end: str):
    """A parser for markups made of ``header(role) content end`` turns."""
    header_re, end_re = re.compile(header), re.compile(end)

    def parse(text: str) -> list[_Turn] | None:
        matches = list(header_re.finditer(text))
        if not matches or not _is_junk(text, 0, matches[0].start()):
            return None
        turns = []
        for i, m in enumerate(matches):
            role = _ROLES.get(m.group(1).lower())
            last = i + 1 == len(matches)
            stop = len(text) if last else matches[i + 1].start()
            closing = end_re.search(text, m.end(), stop)
            if role is None or (closing is None and not last):  # only the last turn may be left open
                return None
            if closing is not None and not _is_junk(text, closing.end(), stop):
                return None
            turns.append(_Turn(role, m.end(), stop if closing is None else closing.start(), closing is not None))
        return turns

    return parse


_INST_MARK = re.compile(r"\[SYSTEM_PROMPT\]|\[/SYSTEM_PROMPT\]|\[INST\]|\[/INST\]")
_LLAMA2_SYS = re.compile(r"\s*<<SYS>>(.*?)<</SYS>>", re.S)


def _inst(text: str) -> list[_Turn] | None:
    """Llama-2 / Mistral: ``<s>[INST] user [/INST] assistant</s>``, repeated. The system prompt is
    ``<<SYS>>...<</SYS>>`` at the start of the first user turn (Llama-2) or a
    ``[SYSTEM_PROMPT]...[/SYSTEM_PROMPT]`` block (Mistral)."""
    marks = [(m.group(), m.start(), m.end()) for m in _INST_MARK.finditer(text)]
    turns, pos = [], 0
    for i in range(0, len(marks), 2):
        (mark, start, end), close = marks[i], marks[i + 1] if i + 1 < len(marks) else None
        if not _is_junk(text, pos, start) or close is None:
            return None
        pos = close[2]
        if (mark, close[0]) == ("[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"):
            turns.append(_Turn("system", end, close[1], closed=True))
            continue
        if (mark, close[0]) != ("[INST]", "[/INST]"):
            return None
        sys_block = _LLAMA2_SYS.match(text, end, close[1])
        if sys_block is not None:
            turns.append(_Turn("system", sys_block.start(1), sys_block.end(1), closed=True))
        turns.append(_Turn("user", sys_block.end() if sys_block else end, close[1], closed=True))
        # the reply runs to </s>, or to the next [INST] when the decode dropped </s>
        stop = marks[i + 2][1] if i + 2 < len(marks) else len(text)
        eos = text.find("</s>", pos, stop)
        turns.append(_Turn("assistant", pos, stop if eos < 0 else eos, closed=eos >= 0 or stop < len(text)))
        pos = stop if eos < 0 else eos
    return turns if _is_junk(text, pos, len(text)) else None


def _plain(user: str):
    """Plain role-tagged text (``Human:`` for HH-RLHF, ``User:`` for rlhf_rm.policy's fallback): no
    end tokens, so each turn runs to the next; the last is left open. Starts with a user or system turn."""
    first_turn = re.compile(rf"({user}|System):")
    next_turn = re.compile(rf"\n\n({user}|Assistant|System):")

    def parse(text: str) -> list[_Turn] | None:
        first = first_turn.match(text, _JUNK.match(text).end())
        if first is None:
            return None
        matches = [first, *next_turn.finditer(text, first.end())]
        ends = [m.start() for m in matches[1:]] + [len(text)]
        return [_Turn(_ROLES[m.group(1).lower()], m.end(), e, closed=e < len(text)) for m, e in zip(matches, ends)]

    return parse


# (name, a string the markup always contains, parser); the first that parses wins
_MARKUPS = (
    ("chatml", "<|im_start|>", _headers(r"<\|im_start\|>(\w+)\n", r"<\|im_end\|>")),
    ("llama3", "<|start_header_id|>",
     _headers(r"<\|start_header_id\|>(\w+)<\|end_header_id\|>\n*", r"<\|eot_id\|>|<\|eom_id\|>")),
    ("gemma", "<start_of_turn>", _headers(r"<start_of_turn>(\w+)\n", r"<end_of_turn>")),
    ("phi3", "<|user|>", _headers(r"<\|(system|user|assistant)\|>\n?", r"<\|end\|>")),
    ("inst", "[INST]", _inst),
    ("hh", "Human:", _plain("Human")),
    ("roles", "User:", _plain("User")),
)


# ---- helpers ---------------------------------------------------------------------------------

def _is_junk(text: str, start: int, end: int) -> bool:
    """Only whitespace and BOS/EOS/pad tokens between ``start`` and ``end``."""
    return _JUNK.match(text, start, end).end() == end


def _ends_in_reply(turns: list[_Turn]) -> bool:
    return turns[-1].role == "assistant" and any(t.role == "user" for t in turns[:-1])


def _messages(text: str, turns: list[_Turn], markup: str) -> list[Message]:
    messages = []
    for t in turns:
        content = text[t.start : t.end].strip()
        if markup == "llama3" and t.role == "system":
            content = _LLAMA31_DATES.sub("", content).strip()
            if not content:
                continue  # only the template's dates: no system prompt was given
        messages.append({"role": t.role, "content": content})
    return messages
