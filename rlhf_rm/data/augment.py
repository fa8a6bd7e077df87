"""Synthetic failure-mode negatives: worse replies made from a good one, by rule.

Why: human preference pairs rarely contrast a reply with a broken copy of itself, so a reward
model trained on them can rank by length and vocabulary and never learn that word order,
completeness or sense matter (one trained on HH pairs alone preferred a held-out chosen reply
*with its words shuffled* to the reply itself more often than not). Each function
below makes a rejected reply that differs from the good one in coherence, so a (good, negative)
pair teaches exactly that:

* ``shuffled``  -- the same words in a random order: same length, same vocabulary, no sense.
  (``rlhf-rm eval``'s coherence check shuffles words only locally, with a seed of its own, so it
  stays a held-out test of word order: ``rlhf_rm.evaluate.coherence``.)
* ``truncated`` -- cut off mid-sentence (trailing punctuation dropped): an unfinished reply.
* ``repeated``  -- a degenerate loop: the reply said again and again, or its opening followed by
  one short phrase over and over (what sampling from a small language model often produces).
* ``salad``     -- words drawn from *other* replies: plausible vocabulary, no meaning.
* ``padded``    -- the good reply followed by irrelevant sentences from other replies: *longer*
  and worse, which works against "the longer reply wins".

Chinese (and other text in CJK script) has no spaces between words: a "word" is then a chunk of
up to two CJK characters (most Chinese words are one or two characters) or a run of other
non-space characters, with punctuation kept on the chunk before it -- the way an English word
keeps its comma -- and chunks are joined without spaces.

Every function is pure: its result depends only on its arguments and the ``random.Random`` it
is given, so a seed reproduces a data set.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence

from rlhf_rm.data.records import Example

FAILURE_MODES = ("shuffled", "truncated", "repeated", "salad", "padded")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# a chunk of one or two CJK characters, or a run of other non-space characters (digits, Latin, signs)
_CJK_UNIT = re.compile(f"[{_CJK}]{{1,2}}|[^{_CJK}\\s]+")
# sentence-final and clause punctuation, ASCII and full-width
_PUNCT = ".,;:!?。，；：！？、…"
# a sentence ends at . ! ? before a space (not the dot of 0.8) or at a full-width 。！？
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)])\s+|(?<=[。！？])")


def is_cjk(text: str) -> bool:
    """Whether at least 30% of the non-space characters are CJK (Chinese text with digits and signs)."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and sum(bool(_CJK_CHAR.match(c)) for c in chars) >= 0.3 * len(chars)


def split_units(text: str) -> tuple[list[str], str]:
    """The text's "words" and the string that joins them back: whitespace-separated words and
    ``" "``, or for CJK text two-character chunks (punctuation glued to the chunk before) and ``""``."""
    if not is_cjk(text):
        return text.split(), " "
    units: list[str] = []
    for token in _CJK_UNIT.findall(text):
        if units and all(c in _PUNCT for c in token):
            units[-1] += token
        else:
            units.append(token)
    return units, ""


def shuffle_words(text: str, rng: random.Random) -> str | None:
    """The same words in a random order that differs from the original; None when the text has
    fewer than two distinct words (no other order exists)."""
    units, joiner = split_units(text)
    if len(set(units)) < 2:
        return None
    order = list(units)
    for _ in range(20):
        rng.shuffle(order)
        if order != units:
            return joiner.join(order)
    return joiner.join(units[1:] + units[:1])  # a rotation always differs: two words are distinct


def truncate(text: str, rng: random.Random, keep: tuple[float, float] = (0.3, 0.7)) -> str | None:
    """The first ``keep[0]``..``keep[1]`` of the words, without the punctuation the last one
    carried, so the reply stops mid-sentence; None for texts under four words."""
    units, joiner = split_units(text)
    if len(units) < 4:
        return None
    low, high = max(1, round(keep[0] * len(units))), min(len(units) - 1, round(keep[1] * len(units)))
    cut = joiner.join(units[: rng.randint(low, max(low, high))]).rstrip(_PUNCT + " ")
    return cut if cut and cut != text else None


def repeat_reply(text: str, times: int) -> str:
    """The whole reply said ``times`` times in a row (a loop at the reply level)."""
    _, joiner = split_units(text)
    return joiner.join([text] * times)


def phrase_loop(text: str, rng: random.Random, loops: int, cut: tuple[float, float] = (0.2, 0.6)) -> str | None:
    """The reply's opening (``cut`` of its words) followed by its last two to four words repeated
    ``loops`` more times, as a language model stuck in a loop writes; None under four words."""
    units, joiner = split_units(text)
    if len(units) < 4:
        return None
    end = rng.randint(max(2, round(cut[0] * len(units))), max(2, round(cut[1] * len(units))))
    phrase = units[max(0, end - rng.randint(2, 4)) : end]
    return joiner.join(units[:end] + phrase * loops).rstrip(_PUNCT + " ")


def word_salad(pool: Sequence[str], n_words: int, rng: random.Random) -> str:
    """``n_words`` words drawn at random from the replies in ``pool`` (their own language's
    words, so Chinese salad is Chinese), capitalized and closed like a sentence."""
    joiner = "" if is_cjk("".join(pool)) else " "
    words = [unit for text in pool for unit in split_units(text)[0]]
    if not words:
        raise ValueError("word_salad needs a pool with at least one word")
    picked = [rng.choice(words) for _ in range(max(1, n_words))]
    salad = joiner.join(picked).rstrip(_PUNCT + " ")
    end = "。" if joiner == "" else "."
    return salad[:1].upper() + salad[1:] + end


def sentences(text: str) -> list[str]:
    """The text's sentences (text without final punctuation is one sentence)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def pad_irrelevant(text: str, others: Sequence[str], rng: random.Random, n_sentences: int = 1) -> str | None:
    """The reply followed by ``n_sentences`` sentences picked from ``others`` (replies to other
    prompts): everything the good reply says, then text that does not belong. None when every
    sentence of ``others`` is already in the reply (a small file whose replies repeat each other)."""
    pool = [s for other in others for s in sentences(other) if s not in text]
    if not pool:
        return None
    _, joiner = split_units(text)
    return joiner.join([text, *rng.sample(pool, min(n_sentences, len(pool)))])


def make_negative(reply: str, mode: str, rng: random.Random, others: Sequence[str]) -> str | None:
    """One rejected reply of failure ``mode`` (see FAILURE_MODES) made from ``reply``; ``others``
    are replies to other prompts (salad and padding draw from them). None when the mode cannot
    apply (a two-word reply cannot be truncated)."""
    if mode == "shuffled":
        return shuffle_words(reply, rng)
    if mode == "truncated":
        return truncate(reply, rng)
    if mode == "repeated":
        return repeat_reply(reply, rng.randint(2, 3)) if rng.random() < 0.5 else phrase_loop(reply, rng, rng.randint(3, 6))
    if mode == "salad":
        if not any(split_units(other)[0] for other in others):
            return None
        n = len(split_units(reply)[0])
        return word_salad(others, rng.randint(max(3, n // 2), max(4, n * 3 // 2)), rng)
    if mode == "padded":
        return pad_irrelevant(reply, others, rng, rng.randint(1, 2))
    raise ValueError(f"unknown failure mode {mode!r}; expected one of {', '.join(FAILURE_MODES)}")


@dataclass(frozen=True)
class Augmented:
    """Examples with synthetic negatives added, and what could not be made: ``fallbacks[mode]``
    counts the pairs where ``mode`` was drawn but could not apply (another mode was used), and
    ``unaugmented`` the drawn pairs where no mode applied (no pair was added for them)."""

    examples: list[Example]
    added: int
    fallbacks: dict[str, int]
    unaugmented: int

    def summary(self) -> str:
        """One line for the training log: how many pairs were added, and what was not possible."""
        line = f"{self.added} synthetic-negative pairs added"
        if self.fallbacks:
            line += "; could not apply (another kind used): " + ", ".join(
                f"{mode} {n}x" for mode, n in sorted(self.fallbacks.items()))
        if self.unaugmented:
            line += f"; {self.unaugmented} drawn pairs got none (no kind applied)"
        return line


def augment_examples(examples: Sequence[Example], fraction: float, seed: int,
                     modes: Sequence[str] = FAILURE_MODES, pool_size: int = 20) -> Augmented:
    """``examples`` plus, for ``fraction`` of the pairwise ones (chosen at random by ``seed``),
    one more pair: the same prompt, the same chosen reply, a synthetic negative of a random mode.

    The new pairs follow the originals and carry ``subset="augment/<mode>"``; salad and padding
    draw from ``pool_size`` chosen replies of other examples. A mode that cannot apply to a reply
    (too short to cut, nothing unrelated to pad with) gives way to the next one and is counted,
    never an error. Apply it to training data only: an evaluation split with synthetic pairs would
    measure the rules, not the model.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"augment_negatives must be a fraction in [0, 1], got {fraction}")
    pairs = [i for i, ex in enumerate(examples) if ex.kind == "pairwise"]
    if not pairs or fraction == 0:
        return Augmented(list(examples), 0, {}, 0)
    rng = random.Random(seed)
    added: list[Example] = []
    fallbacks: Counter[str] = Counter()
    unaugmented = 0
    for i in sorted(rng.sample(pairs, round(fraction * len(pairs)))):
        example = examples[i]
        cjk = is_cjk(example.responses[0])
        others = [examples[j].responses[0] for j in rng.sample(pairs, min(pool_size + 1, len(pairs)))
                  if j != i and is_cjk(examples[j].responses[0]) == cjk]  # salad in the reply's own script
        for mode in rng.sample(list(modes), len(modes)):  # a random mode; the next when it cannot apply
            negative = make_negative(example.responses[0], mode, rng, others or [example.responses[1]])
            if negative and negative != example.responses[0]:
                added.append(replace(example, responses=[example.responses[0], negative], margin=None,
                                     subset=f"augment/{mode}"))
                break
            fallbacks[mode] += 1
        else:
            unaugmented += 1
    return Augmented([*examples, *added], len(added), dict(fallbacks), unaugmented)
