"""The best-of-n over-optimization curve: the estimator by hand, and a real policy on CPU."""

import json
import math
import re

import pytest

from rlhf_rm.evaluate import bon_curve, kl_best_of_n
from support import SHARED

STORIES = SHARED / "models" / "stories260K"


def length_reward(prompts, completions):
    return [float(len(c)) for c in completions]


def test_kl_of_best_of_n():
    assert kl_best_of_n(1) == 0.0
    assert kl_best_of_n(2) == pytest.approx(math.log(2) - 0.5)
    assert kl_best_of_n(16) == pytest.approx(math.log(16) - 15 / 16)


def test_bon_curve_hand_values(tmp_path):
    # one prompt, pool lengths 1, 2, 3; proxy = length, gold = -length.
    # n=2: the 3 pairs {1,2}, {1,3}, {2,3} pick 2, 3, 3 -> proxy 8/3, gold -8/3
    result = bon_curve([["a", "bb", "ccc"]], length_reward, lambda p, c: [-len(x) for x in c], ["p"],
                       ns=(1, 2, 3), extra_points=[{"kl": 0.4, "gold": -2.5, "proxy": 2.9, "label": "ppo"}],
                       report_dir=tmp_path)
    assert result["n"] == [1, 2, 3]
    assert result["proxy"] == pytest.approx([2, 8 / 3, 3])
    assert result["gold"] == pytest.approx([-2, -8 / 3, -3])
    assert result["kl"] == pytest.approx([0, math.log(2) - 1 / 2, math.log(3) - 2 / 3])
    assert json.loads((tmp_path / "bon_curve.json").read_text())["extra_points"][0]["label"] == "ppo"
    assert (tmp_path / "bon_curve.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="candidates per prompt"):
        bon_curve([["a", "bb"]], length_reward, length_reward, ["p"], ns=(1, 4))


@pytest.mark.skipif(not STORIES.is_dir(), reason="../shared/models/stories260K is absent")
def test_bon_curve_with_a_real_policy_on_cpu(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlhf_rm.evaluate import generate_candidates

    policy, tokenizer = AutoModelForCausalLM.from_pretrained(STORIES), AutoTokenizer.from_pretrained(STORIES)
    happy = {"happy", "fun", "play", "played", "smiled", "friend", "friends", "love", "loved", "good"}

    def happy_share(prompts, completions):  # the "gold" reward: share of happy words
        words = [re.findall(r"[a-z]+", c.lower()) for c in completions]
        return [sum(w in happy for w in ws) / max(len(ws), 1) for ws in words]

    prompts = ["Once upon a time", "One day, Lily went to the park", "Tom had a big red ball"]
    generate = lambda p, n: generate_candidates(policy, p, n, tokenizer=tokenizer, max_new_tokens=16)  # noqa: E731
    result = bon_curve(generate, length_reward, happy_share, prompts, ns=(1, 2, 4, 8), report_dir=tmp_path,
                       extra_points=[{"kl": 1.0, "gold": 0.05, "proxy": 80.0, "label": "ppo step 10"}])
    assert result["candidates_per_prompt"] == 8 and result["prompts"] == 3
    # the proxy of the best-of-n pick can only grow with n
    assert all(a <= b + 1e-9 for a, b in zip(result["proxy"], result["proxy"][1:]))
    assert result["proxy"][-1] > result["proxy"][0]
    assert (tmp_path / "bon_curve.png").stat().st_size > 0

    pools = generate_candidates(policy, prompts[:2], 3, tokenizer=tokenizer, max_new_tokens=8, seed=1)
    assert [len(p) for p in pools] == [3, 3] and all(isinstance(r, str) and r for p in pools for r in p)
    assert pools == generate_candidates(policy, prompts[:2], 3, tokenizer=tokenizer, max_new_tokens=8, seed=1)
