"""Synthetic failure-mode negatives (rlhf_rm/data/augment.py): each rule breaks the reply the way
its name says, reproducibly for a seed, in English and Chinese."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from rlhf_rm.data import Example
from rlhf_rm.data.augment import (
    FAILURE_MODES,
    augment_examples,
    make_negative,
    pad_irrelevant,
    phrase_loop,
    repeat_reply,
    sentences,
    shuffle_words,
    split_units,
    truncate,
    word_salad,
)

EN = "Lower the eggs into boiling water for about ten minutes, then move them into ice water."
ZH = "水要多，烧开后再下饺子，下锅后用勺背轻轻推动防止粘底。"
OTHERS_EN = ["Paris is the capital of France.", "Use a thermometer. Chicken is safe at 74°C."]
OTHERS_ZH = ["一般先炒鸡蛋再炒西红柿。", "打八折就是按原价的80%付款，200×0.8=160元。"]


def test_split_units_english_words_and_chinese_chunks():
    assert split_units("Hi there, friend.") == (["Hi", "there,", "friend."], " ")
    units, joiner = split_units(ZH)
    assert joiner == "" and "".join(units) == ZH
    assert units[:3] == ["水要", "多，", "烧开"]  # two-character chunks; punctuation stays on the chunk before
    assert all(len(u.rstrip("，。")) <= 2 for u in units)
    assert split_units("共计200元。") == (["共计", "200", "元。"], "")
    assert split_units("200×0.8=160元。")[0] == ["200×0.8=160元。"]  # mostly not CJK: whitespace words


@pytest.mark.parametrize("text", [EN, ZH])
def test_shuffle_keeps_the_words_and_changes_their_order(text):
    shuffled = shuffle_words(text, random.Random(0))
    units, _ = split_units(text)
    assert shuffled != text
    assert Counter(split_units(shuffled)[0]) == Counter(units)
    assert len(shuffled) == len(text)


def test_shuffle_is_seeded_and_refuses_texts_with_one_distinct_word():
    assert shuffle_words(EN, random.Random(3)) == shuffle_words(EN, random.Random(3))
    assert shuffle_words(EN, random.Random(3)) != shuffle_words(EN, random.Random(4))
    assert shuffle_words("yes", random.Random(0)) is None
    assert shuffle_words("no no no", random.Random(0)) is None
    assert shuffle_words("no yes", random.Random(0)) == "yes no"  # the only other order


@pytest.mark.parametrize("text", [EN, ZH])
def test_truncate_is_a_prefix_that_stops_mid_sentence(text):
    for seed in range(20):
        cut = truncate(text, random.Random(seed))
        assert text.startswith(cut) and len(cut) < 0.75 * len(text)
        assert cut[-1] not in ".,;:!?。，；：！？"
    assert truncate("Too short here", random.Random(0)) is None


def test_repetition_loops():
    assert repeat_reply("Stay calm.", 3) == "Stay calm. Stay calm. Stay calm."
    assert repeat_reply("别急。", 2) == "别急。别急。"
    original = "one two three four five six seven eight nine ten".split()
    for seed in range(10):
        words = phrase_loop(" ".join(original), random.Random(seed), loops=4).split()
        # the reply's opening, whose last 2-4 words then come 4 more times
        k = next(k for k in (2, 3, 4) if words[-k:] * 5 == words[-5 * k:])
        opening = words[: len(words) - 4 * k]
        assert opening == original[: len(opening)] and len(opening) < len(original)
    assert phrase_loop("a b c", random.Random(0), 3) is None


def test_word_salad_draws_words_from_the_pool_in_its_script():
    salad = word_salad(OTHERS_EN, 8, random.Random(0))
    pool_words = {w.strip(".").lower() for t in OTHERS_EN for w in t.split()}
    assert len(salad.split()) == 8 and salad[0] == salad[0].upper() and salad.endswith(".")
    assert {w.strip(".").lower() for w in salad.split()} <= pool_words
    zh = word_salad(OTHERS_ZH, 6, random.Random(0))
    assert " " not in zh and zh.endswith("。")
    with pytest.raises(ValueError, match="at least one word"):
        word_salad(["   "], 3, random.Random(0))


def test_padding_appends_irrelevant_sentences_and_is_longer():
    padded = pad_irrelevant(EN, OTHERS_EN, random.Random(0), n_sentences=2)
    assert padded.startswith(EN + " ") and len(padded) > len(EN)
    assert set(sentences(padded[len(EN):])) <= {s for t in OTHERS_EN for s in sentences(t)}
    assert pad_irrelevant(ZH, OTHERS_ZH, random.Random(0)).startswith(ZH)
    assert sentences("It costs $2.50 now. Done! 好的。谢谢。") == ["It costs $2.50 now.", "Done!", "好的。", "谢谢。"]


@pytest.mark.parametrize("mode", FAILURE_MODES)
def test_make_negative_gives_a_different_reply_for_every_mode(mode):
    for text, others in ((EN, OTHERS_EN), (ZH, OTHERS_ZH)):
        negative = make_negative(text, mode, random.Random(1), others)
        assert negative and negative != text
        assert make_negative(text, mode, random.Random(1), others) == negative
    with pytest.raises(ValueError, match="unknown failure mode 'nonsense'"):
        make_negative(EN, "nonsense", random.Random(0), OTHERS_EN)


def test_padding_and_salad_give_way_when_there_is_nothing_else_to_draw_from():
    reply = "Drink water. Sleep well."
    assert pad_irrelevant(reply, ["Sleep well.", ""], random.Random(0)) is None
    assert make_negative(reply, "padded", random.Random(0), ["Drink water."]) is None
    assert make_negative(reply, "salad", random.Random(0), ["", "   "]) is None


def test_a_small_file_whose_replies_repeat_augments_what_it_can_and_counts_the_rest():
    """Every chosen reply the same, every rejected reply a piece of it: padding finds no foreign
    sentence and two-word replies cannot be cut or looped, so those modes give way to others."""
    same = "Drink water. Sleep well."
    examples = [Example([{"role": "user", "content": f"tip {i}?"}], [same, "Sleep well."], source="s.jsonl", row=i)
                for i in range(40)]
    augmented = augment_examples(examples, 1.0, seed=0, modes=("padded", "shuffled"))
    assert augmented.added == 40 and augmented.unaugmented == 0
    assert {ex.subset for ex in augmented.examples[40:]} == {"augment/shuffled"}
    assert set(augmented.fallbacks) == {"padded"} and 0 < augmented.fallbacks["padded"] < 40  # drawn first ~half the time
    assert augmented.summary() == f"40 synthetic-negative pairs added; could not apply (another kind used): " \
                                  f"padded {augmented.fallbacks['padded']}x"


def test_pairs_no_mode_applies_to_are_left_as_they_are_and_counted():
    short = [Example([{"role": "user", "content": "hi"}], ["Hello", "Hello"], source="s.jsonl", row=0)]
    none_applies = augment_examples(short * 3, 1.0, seed=0, modes=("padded", "truncated", "shuffled"))
    assert none_applies.examples == short * 3 and none_applies.added == 0 and none_applies.unaugmented == 3
    assert none_applies.summary() == ("0 synthetic-negative pairs added; could not apply (another kind used): "
                                      "padded 3x, shuffled 3x, truncated 3x; 3 drawn pairs got none (no kind applied)")


def _pairs(n):
    return [Example([{"role": "user", "content": f"question {i}?"}],
                    [f"A clear and complete answer number {i} with enough words.", f"bad {i}"], source="t.jsonl", row=i)
            for i in range(n)]


def test_augment_examples_adds_one_negative_per_chosen_example():
    examples = [*_pairs(40), Example([{"role": "user", "content": "rate"}], ["fine"], score=1.0)]
    augmented = augment_examples(examples, 0.5, seed=0)
    out = augmented.examples
    assert out[:41] == examples  # the originals first, untouched
    added = out[41:]
    assert len(added) == augmented.added == 20
    by_prompt = {e.prompt[0]["content"]: e for e in examples}
    for ex in added:
        original = by_prompt[ex.prompt[0]["content"]]
        assert ex.responses[0] == original.responses[0] and ex.responses[1] != original.responses[0]
        assert ex.subset.startswith("augment/") and ex.subset.split("/")[1] in FAILURE_MODES
        assert ex.kind == "pairwise"
    assert len({ex.subset for ex in added}) >= 3  # the modes are mixed
    assert augment_examples(examples, 0.5, seed=0).examples == out
    assert augment_examples(examples, 0.0, seed=0).examples == examples
    with pytest.raises(ValueError, match="augment_negatives must be a fraction"):
        augment_examples(examples, 1.5, seed=0)


def test_shuffle_preference_with_known_rewards():
    from rlhf_rm.evaluate.coherence import shuffle_preference

    examples = [*_pairs(6), _pairs(1)[0], Example([{"role": "user", "content": "hi"}], ["Hello", "x"])]  # a repeat, a one-word reply
    originals = {ex.responses[0] for ex in examples}

    def reads(prompts, completions):  # knows the original replies
        return [float(c in originals) for c in completions]

    def by_length(prompts, completions):  # a shuffled copy has the same length: ties lose
        return [float(len(c)) for c in completions]

    assert shuffle_preference(reads, examples) == {"shuffle_preference": 1.0, "pairs": 6}
    assert shuffle_preference(by_length, examples) == {"shuffle_preference": 0.0, "pairs": 6}
    empty = shuffle_preference(reads, [Example([{"role": "user", "content": "rate"}], ["fine"], score=1.0)])
    assert empty["pairs"] == 0 and empty["shuffle_preference"] != empty["shuffle_preference"]  # NaN


def test_the_coherence_check_shuffles_locally_with_its_own_seed_held_out_from_training():
    from rlhf_rm.evaluate.coherence import CHECK_SEED, WINDOW, shuffle_locally, shuffled_chosen
    from rlhf_rm.train import TrainConfig

    assert CHECK_SEED != TrainConfig().seed  # training draws its negatives with the run's seed
    words = [f"w{i}" for i in range(12)]
    items = [([{"role": "user", "content": f"q{k}"}], " ".join(words)) for k in range(20)]
    copies = [copy for _, copy in shuffled_chosen(items)]
    assert len(copies) == 20
    for copy in copies:
        moved = copy.split()
        assert moved != words and sorted(moved) == sorted(words)
        # each word stays in its block of WINDOW neighbours: another family than a whole-reply shuffle
        assert all(moved.index(w) // WINDOW == i // WINDOW for i, w in enumerate(words))
    # none of them is a negative augment_negatives trains on for the same replies
    examples = [Example(prompt, [reply, "no"]) for prompt, reply in items]
    trained = {ex.responses[1] for ex in augment_examples(examples, 1.0, seed=0, modes=["shuffled"]).examples[20:]}
    assert len(trained) > 1 and not trained & set(copies)
    assert shuffle_locally("a a a b b b", random.Random(0)) == "a a b a b b"  # blocks of one word: a swap
    assert shuffle_locally("yes", random.Random(0)) is None and shuffle_locally("no no", random.Random(0)) is None
