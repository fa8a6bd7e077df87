"""``call_reward``: the one checked call every stage makes of a reward (batches, kwargs, checks)."""

from __future__ import annotations

import math

import pytest

from rlhf_rm.types import call_reward


def test_batches_cover_every_reply_in_order_and_report_each_batch():
    calls, seen = [], []

    def reward(prompts, completions):
        calls.append(len(completions))
        return [float(len(c)) for c in completions]

    got = call_reward(reward, ["p"] * 5, ["a", "bb", "ccc", "dddd", "eeeee"], batch_size=2, on_batch=seen.append)
    assert got == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert calls == [2, 2, 1] and seen == [2, 2, 1]
    calls.clear()
    assert call_reward(reward, ["p"] * 3, ["a", "b", "c"]) == [1.0, 1.0, 1.0]
    assert calls == [3]  # no batch size: one call


def test_extra_columns_are_sliced_per_batch_and_only_given_to_a_reward_that_takes_kwargs():
    got_kwargs = []

    def with_kwargs(prompts, completions, **kwargs):
        got_kwargs.append(kwargs)
        return [0.0] * len(completions)

    call_reward(with_kwargs, ["a", "b", "c"], ["x", "y", "z"], batch_size=2, extra={"prompt_texts": ["A", "B", "C"]})
    assert got_kwargs == [{"prompt_texts": ["A", "B"]}, {"prompt_texts": ["C"]}]
    plain = call_reward(lambda p, c: [1.0] * len(c), ["a"], ["x"], extra={"prompt_texts": ["A"]})
    assert plain == [1.0]  # a two-argument reward is not handed keywords it cannot take


def test_a_wrong_count_names_the_reward_and_the_counts():
    with pytest.raises(ValueError, match=r"the proxy reward returned 1 scores for 2 replies; it must return one per reply"):
        call_reward(lambda p, c: [0.0], ["a", "b"], ["x", "y"], name="the proxy reward")


def test_a_non_finite_score_names_the_first_bad_reply():
    with pytest.raises(ValueError, match=r"2 non-finite score\(s\) \(nan/inf\); the first for reply 1: 'second'"):
        call_reward(lambda p, c: [0.0, math.nan, math.inf], ["a"] * 3, ["first", "second", "third"])


def test_prompts_and_completions_must_pair_up():
    with pytest.raises(ValueError, match="2 prompts but 1 completions"):
        call_reward(lambda p, c: [0.0] * len(c), ["a", "b"], ["x"])


def test_completion_text_reads_the_assistant_turns_only_each_a_paragraph():
    from rlhf_rm.types import completion_text

    assert completion_text("plain reply") == "plain reply"
    assert completion_text([{"role": "assistant", "content": "Paris."}]) == "Paris."
    tool_use = [{"role": "assistant", "content": ""}, {"role": "tool", "content": "{\"temp\": 21}"},
                {"role": "assistant", "content": "It is 21 degrees."}, {"role": "assistant", "content": "Enjoy!"}]
    assert completion_text(tool_use) == "It is 21 degrees.\n\nEnjoy!"


def test_the_reward_model_and_the_rule_rewards_read_a_completion_alike():
    """The reward model's encoder and PPO's rule rewards both read a conversational completion by
    completion_text: tool turns left out, assistant turns as paragraphs."""
    from helpers_reward import tiny_rm

    from rlhf_rm.model import RewardModel
    from rlhf_rm.ppo.reward_source import word_count
    from rlhf_rm.types import completion_text

    completion = [{"role": "assistant", "content": "happy"}, {"role": "tool", "content": "happy happy"},
                  {"role": "assistant", "content": "happy day"}]
    assert word_count(["p"], [completion], word="happy") == [2.0]
    rm = RewardModel.load(tiny_rm())
    (as_messages,), (as_string,) = rm.encode(["Hi?"], [completion]), rm.encode(["Hi?"], [completion_text(completion)])
    assert as_messages.input_ids == as_string.input_ids
    assert "tool" not in rm.tokenizer.decode(as_messages.input_ids)
