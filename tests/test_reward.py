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
    stats = [(0.2, 0.5), (-0.3, 2.0)]
    paths = [tiny_rm(1, norm=stats[0]), tiny_rm(2, norm=stats[1])]
    each = [RewardModel.load(p).score(PROMPTS, REPLIES) for p in paths]
    cols = list(zip(*each))
    z_cols = list(zip(*[[(x - m) / sd for x in row] for row, (m, sd) in zip(each, stats)]))
    mean = RewardFunction.from_pretrained(paths)
    assert mean.__name__ == "bert_rm_1_64_(0.2, 0.5)+bert_rm_2_64_(-0.3, 2.0)"
    assert close(mean(PROMPTS, REPLIES), [statistics.fmean(c) for c in cols])  # the mean: raw units
    assert close(mean.raw_scores(PROMPTS, REPLIES), [statistics.fmean(c) for c in cols])
    conservative = RewardFunction(mean.models, ensemble="mean_minus_std", ensemble_k=2.0)
    assert close(conservative(PROMPTS, REPLIES),
                 [statistics.fmean(c) - 2.0 * statistics.pstdev(c) for c in z_cols])  # each member's units
    worst = RewardFunction(mean.models, ensemble="min")
    assert close(worst(PROMPTS, REPLIES), [min(c) for c in z_cols])
    details = worst.score_details(PROMPTS, REPLIES)
    assert all(close(row, e) for row, e in zip(details.raw, each))
    assert close(details.uncertainty, [statistics.pstdev(c) for c in z_cols])


def _offset(rm: RewardModel, offset: float) -> RewardModel:
    """``rm`` with ``offset`` added to every score (the trained head's bias)."""
    import torch

    with torch.no_grad():
        for name, param in rm.model.named_parameters():
            if name.endswith("modules_to_save.default.bias"):
                param += offset
    return rm


def test_mean_minus_std_and_min_normalize_members_a_constant_apart():
    # Bradley-Terry fixes a score up to an offset: two members that rank alike but sit 3.0 apart
    # would otherwise make mean - std the lower member's raw score and min always that member
    low, high = RewardModel.load(tiny_rm(1)), _offset(RewardModel.load(tiny_rm(1)), 3.0)
    low.contract.norm_mean, low.contract.norm_std = 0.1, 0.5
    high.contract.norm_mean, high.contract.norm_std = 3.1, 2.0
    raw = low.score(PROMPTS, REPLIES)
    assert close(high.score(PROMPTS, REPLIES), [r + 3.0 for r in raw])
    z = [[(r - 0.1) / 0.5 for r in raw], [(r - 0.1) / 2.0 for r in raw]]
    cols = list(zip(*z))
    conservative = RewardFunction([low, high], ensemble="mean_minus_std", ensemble_k=1.0)(PROMPTS, REPLIES)
    assert close(conservative, [statistics.fmean(c) - statistics.pstdev(c) for c in cols])
    assert not close(conservative, raw, 1e-3)  # not the lower member's raw score
    assert close(RewardFunction([low, high], ensemble="min")(PROMPTS, REPLIES), [min(c) for c in cols])
    # the mean is offset-safe in raw units: it stays the raw mean
    assert close(RewardFunction([low, high])(PROMPTS, REPLIES), [r + 1.5 for r in raw])


def test_mean_minus_std_needs_each_members_norm_stats():
    models = [RewardModel.load(tiny_rm(1)), RewardModel.load(tiny_rm(2))]  # no saved norm_mean/norm_std
    for combine in ("mean_minus_std", "min"):
        with pytest.raises(ValueError, match=f"ensemble='{combine}'.*no saved norm_mean/norm_std"):
            RewardFunction(models, ensemble=combine)
    assert len(RewardFunction(models)(PROMPTS, REPLIES)) == len(REPLIES)  # the mean needs none
    assert len(RewardFunction(models[:1], ensemble="min")(PROMPTS, REPLIES)) == len(REPLIES)  # one model


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
