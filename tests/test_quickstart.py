"""The quickstart: its step cache (a finished step is reused only while its configuration is unchanged)
and what its reward model learns from the bundled set."""

from __future__ import annotations

import json

import pytest

from rlhf_rm.cli.quickstart import _ppo_scale, _side_by_side, cached_step, step_key


def test_cached_step_reuses_and_invalidates(tmp_path):
    calls = []

    def run():
        calls.append(1)
        (tmp_path / "step" / "artifact.txt").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "step" / "artifact.txt").write_text("x")
        return {"value": len(calls)}

    first, reused = cached_step(tmp_path / "step", {"lr": 1e-3}, run)
    assert (first, reused) == ({"value": 1}, False)
    again, reused = cached_step(tmp_path / "step", {"lr": 1e-3}, run)
    assert (again, reused) == ({"value": 1}, True) and len(calls) == 1
    key = step_key(tmp_path / "step")
    changed, reused = cached_step(tmp_path / "step", {"lr": 2e-3}, run)
    assert (changed, reused) == ({"value": 2}, False) and step_key(tmp_path / "step") != key


def test_unfinished_step_is_rerun(tmp_path):
    folder = tmp_path / "step"
    folder.mkdir()
    (folder / "half-written.bin").write_text("partial")  # killed before the stamp was written
    result, reused = cached_step(folder, {"a": 1}, lambda: {"ok": True})
    assert result == {"ok": True} and not reused and not (folder / "half-written.bin").exists()


def test_a_brought_policy_folder_is_keyed_by_its_path_and_never_written(tmp_path):
    folder = tmp_path / "my_policy"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 576}))
    key = step_key(folder)
    assert key == step_key(folder) and sorted(p.name for p in folder.iterdir()) == ["config.json"]
    other = tmp_path / "other"
    other.mkdir()
    assert step_key(other) != key


def test_ppo_settings_follow_the_policy_size(tmp_path):
    tiny, real = tmp_path / "tiny", tmp_path / "real"
    for folder, hidden in ((tiny, 128), (real, 576)):
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"hidden_size": hidden}))
    assert "rollout_batch_size=32" in _ppo_scale(tiny)  # the tiny pretrained LM: large cheap batches
    assert "rollout_batch_size=8" in _ppo_scale(real)  # SmolLM2-135M: small ones, dozens of updates in 5 min
    assert "rollout_batch_size=8" in _ppo_scale(tmp_path / "owner" / "hub-model")  # no local config: not tiny


def test_the_report_puts_three_replies_per_held_out_prompt_side_by_side():
    rr = {"n": 8, "examples": [{"prompt": "Hi?", "best": "Hello! How can I help?", "best_score": 2.5},
                               {"prompt": "Only reranked", "best": "x", "best_score": 0.0}]}
    ppo = {"examples": [{"prompt": "Hi?", "start": "hi hi | hi", "start_reward": -1.0,
                         "tuned": "Hello there.", "tuned_reward": 1.25}]}
    lines = _side_by_side(rr, ppo)
    assert "| Hi? | hi hi / hi (-1.00) | Hello! How can I help? (+2.50) | Hello there. (+1.25) |" in lines
    assert not any("Only reranked" in line for line in lines)  # no PPO sample for it: no row
    assert _side_by_side(rr, {"examples": []}) == []


@pytest.mark.slow  # trains the quickstart's reward model: minutes on a laptop CPU
def test_quickstart_reward_model_reads_word_order(tmp_path):
    """The reward model trained on the bundled set must prefer each held-out chosen reply
    to the same reply with its words shuffled (same length, same words) in >= 0.90 of cases,
    while its held-out accuracy stays high. The check's shuffles are local (each word within its
    block of 3), another family than the whole-reply shuffles among the bundled set's rejected
    replies, so this is held out: it measured 0.924 of 171 (whole-reply shuffles: over 0.95)."""
    from rlhf_rm.evaluate.coherence import shuffle_preference
    from rlhf_rm.cli.quickstart import SEED, bundled_split, step_reward_model
    from rlhf_rm.reward import RewardFunction

    result, _ = step_reward_model(tmp_path / "reward_model")
    _, heldout = bundled_split()
    check = shuffle_preference(RewardFunction.from_pretrained(str(tmp_path / "reward_model")), heldout, seed=SEED)
    assert check["pairs"] >= 100
    assert check["shuffle_preference"] >= 0.90, check
    assert result["heldout_accuracy"] >= 0.85, result


def test_policy_text_holds_each_chosen_reply_once_and_no_rejected_reply(tmp_path):
    """The quickstart's policy is pretrained on chosen replies only: the bundled set's rejected
    replies include synthetic broken ones (shuffled words, loops, salad) it must not learn to write."""
    from rlhf_rm.cli.quickstart import bundled_english, write_chosen_file

    examples = bundled_english()
    rows = [json.loads(line) for line in write_chosen_file(examples, tmp_path / "t.jsonl").open()]
    replies = [r["response"] for r in rows]
    chosen = {ex.responses[0] for ex in examples}
    rejected_only = {ex.responses[1] for ex in examples} - chosen
    assert set(replies) == chosen
    assert not rejected_only & set(replies)
    assert len({json.dumps([r["prompt"], r["response"]]) for r in rows}) == len(rows)
    assert len(rows) < len(examples)  # synthetic pairs repeat their original's chosen reply
