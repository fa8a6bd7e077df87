"""RewardFunction: the same scores as the reward model, TRL's protocol, shaping, ensembles, cache."""

from __future__ import annotations

import statistics

import pytest
from helpers_reward import GPT2, PROMPTS, REPLIES, needs_shared, tiny_llama_rm, tiny_rm, tiny_rm_exported

from rlhf_rm.model import RewardModel
from rlhf_rm.reward import RewardFunction

MESSAGES = [[{"role": "assistant", "content": r}] for r in REPLIES]


def close(a, b, tol=1e-5):
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


@pytest.fixture(scope="module")
def bert():
    path = tiny_rm()
    return path, RewardModel.load(path).score(PROMPTS, REPLIES, batch_size=1)


@pytest.fixture(scope="module")
def bert_rf(bert):
    return RewardFunction.from_pretrained(bert[0])


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_scores_equal_the_reward_models_own_in_input_order(bert, bert_rf, batch_size):
    expected = bert[1]
    rf = RewardFunction(bert_rf.models, batch_size=batch_size)
    assert close(rf(PROMPTS, REPLIES), expected)
    assert close(rf(PROMPTS, MESSAGES), expected)  # TRL's conversational completions
    assert close(rf(PROMPTS[::-1], REPLIES[::-1]), expected[::-1])
    many = 13 if batch_size == 64 else 2  # several length-sorted micro-batches
    assert close(rf(PROMPTS * many, REPLIES * many), expected * many)


@needs_shared(GPT2)
def test_decoder_reward_model_with_its_own_tokenizer():
    path = tiny_llama_rm()
    expected = RewardModel.load(path).score(PROMPTS, REPLIES)
    assert close(RewardFunction.from_pretrained(path, batch_size=2)(PROMPTS, MESSAGES), expected)
    assert close(RewardFunction.from_pretrained(path, merge_lora=False)(PROMPTS, REPLIES), expected, 0.0)


def test_exported_folder_scores_like_the_lora_folder(bert):
    path, expected = bert
    assert close(RewardFunction.from_pretrained(tiny_rm_exported())(PROMPTS, REPLIES), expected)


def test_scores_equal_the_plain_models_forward_one_input_at_a_time():
    import torch
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(tiny_rm_exported()).eval()
    rf = RewardFunction.from_pretrained(tiny_rm_exported(), device="cpu", batch_size=64)
    rm = rf.models[0]
    items = rm.encode(PROMPTS * 3, REPLIES * 3)
    with torch.inference_mode():  # one input per forward: no padding, the transformers model as is
        oracle = [float(plain(**rm.collate([e])).logits[0, 0]) for e in items]
    assert close(rf(PROMPTS * 3, REPLIES * 3), oracle)
    assert close(rm.score_encoded(items, 64, max_tokens=100), oracle)  # several token-capped micro-batches


def test_trl_protocol_floats_extra_kwargs_and_name(bert, bert_rf):
    expected, rf = bert[1], bert_rf
    out = rf(prompts=PROMPTS, completions=REPLIES, completion_ids=[[1, 2]] * 5, trainer_state=None,
             log_extra=print, answer=["x"] * 5)
    assert all(type(x) is float for x in out) and close(out, expected)
    assert rf.__name__ == "bert_rm_1_64_None"
    assert rf([], []) == []
    with pytest.raises(ValueError, match="5 prompts but 4 completions"):
        rf(PROMPTS, REPLIES[:4])
    import torch

    assert not isinstance(rf, torch.nn.Module)  # TRL would treat a Module as a bare classifier
    from trl.trainer.utils import get_callable_name, is_async_callable

    assert get_callable_name(rf) == rf.__name__ and not is_async_callable(rf)


def test_ensembles_mean_mean_minus_std_and_min():
    paths = [tiny_rm(1), tiny_rm(2)]
    each = [RewardModel.load(p).score(PROMPTS, REPLIES) for p in paths]
    cols = list(zip(*each))
    mean = RewardFunction.from_pretrained(paths)
    assert mean.__name__ == "bert_rm_1_64_None+bert_rm_2_64_None"
    assert close(mean(PROMPTS, REPLIES), [statistics.fmean(c) for c in cols])
    assert close(mean.raw_scores(PROMPTS, REPLIES), [statistics.fmean(c) for c in cols])
    conservative = RewardFunction(mean.models, ensemble="mean_minus_std", ensemble_k=2.0)
    assert close(conservative(PROMPTS, REPLIES), [statistics.fmean(c) - 2.0 * statistics.pstdev(c) for c in cols])
    worst = RewardFunction(mean.models, ensemble="min")
    assert close(worst(PROMPTS, REPLIES), [min(c) for c in cols])
    assert all(close(row, e) for row, e in zip(mean.score_details(PROMPTS, REPLIES).raw, each))


def test_shaping_normalize_penalties_then_clip():
    path = tiny_rm(1, norm=(0.5, 2.0))
    raw = RewardModel.load(path).score(PROMPTS, REPLIES)
    tok = RewardModel.load(path).tokenizer
    n_tokens = [len(tok(r, add_special_tokens=False)["input_ids"]) for r in REPLIES]
    cut = [n > 32 for n in n_tokens]  # max_response_tokens = 32 and every prompt here is short
    assert cut == [False, False, True, False, False]

    normalized = RewardFunction.from_pretrained(path, normalize=True)(PROMPTS, REPLIES)
    assert close(normalized, [(r - 0.5) / 2.0 for r in raw])
    shaped = RewardFunction.from_pretrained(path, length_penalty=0.01, truncation_penalty=1.0)
    details = shaped.score_details(PROMPTS, REPLIES)
    assert details.reply_tokens == n_tokens and details.reply_truncated == cut
    assert close(details.rewards, [r - 0.01 * n - 1.0 * c for r, n, c in zip(raw, n_tokens, cut)])
    assert close(details.raw_mean, raw)
    clipped = RewardFunction.from_pretrained(path, clip=0.1, truncation_penalty=5.0)(PROMPTS, REPLIES)
    assert close(clipped, [max(-0.1, min(0.1, r - 5.0 * c)) for r, c in zip(raw, cut)])
    assert clipped[2] == -0.1  # clipping comes after the penalty


def test_normalize_without_saved_stats_says_what_to_do():
    with pytest.raises(ValueError, match="no saved norm_mean/norm_std"):
        RewardFunction.from_pretrained(tiny_rm(1), normalize=True)


def test_cache_is_opt_in_and_skips_repeated_pairs(bert, bert_rf, monkeypatch):
    expected, rm = bert[1], bert_rf.models[0]
    calls = []
    original = rm.score_members_encoded
    monkeypatch.setattr(rm, "score_members_encoded", lambda items, bs: calls.append(len(items)) or original(items, bs))
    plain = RewardFunction([rm])
    plain(PROMPTS, REPLIES)
    plain(PROMPTS, REPLIES)
    assert calls == [5, 5]
    calls.clear()
    cached = RewardFunction([rm], cache=True)
    assert close(cached(PROMPTS[:3], REPLIES[:3]), expected[:3])
    assert close(cached(PROMPTS, REPLIES), expected)  # 3 hits, 2 new
    # a string prompt is one user turn: the same entry as its message-list spelling
    assert close(cached([[{"role": "user", "content": PROMPTS[0]}]], [REPLIES[0]]), expected[:1])
    assert calls == [3, 2]
    cached.clear_cache()
    cached(PROMPTS[:1], REPLIES[:1])
    assert calls == [3, 2, 1]
