"""Best-of-n: batched generation, the highest score wins, the CLI's outputs, the SFT export.

(Prompt rendering, sampling and ``load_policy`` are ``rlhf_rm.policy``'s: tests/test_policy.py.)"""

from __future__ import annotations

import json

import pytest
from helpers_reward import STORIES, needs_shared, stories_policy, tiny_rm

from rlhf_rm.data.prompts import read_prompts
from rlhf_rm.policy import Sampling
from rlhf_rm.rerank import best_of_n, read_candidates, sft_records


def length_reward(prompts, completions, **kwargs):
    """A reward with a known best: the longest reply."""
    return [float(len(c)) for c in completions]


def test_rerank_given_candidates_keeps_the_highest_first_on_ties():
    results = best_of_n(length_reward, ["a", "b"], candidates=[["xx", "xxxx", "x"], ["yy", "zz"]])
    assert [r.best for r in results] == [1, 0]
    assert results[0].best_text == "xxxx" and results[0].best_score == 4.0
    assert [c.score for c in results[0].candidates] == [2.0, 4.0, 1.0]
    assert [c.text for c in results[0].top(2)] == ["xxxx", "xx"]
    with pytest.raises(ValueError, match="2 prompts but 1 candidate lists"):
        best_of_n(length_reward, ["a", "b"], candidates=[["x"]])


def test_sft_records_are_trl_conversations():
    results = best_of_n(length_reward, [[{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]],
                        candidates=[["a", "abc", "ab"]])
    assert sft_records(results, 2) == [
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                      {"role": "assistant", "content": "abc"}]},
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                      {"role": "assistant", "content": "ab"}]},
    ]


@pytest.fixture(scope="module")
def stories():
    if not STORIES.exists():
        pytest.skip(f"{STORIES} is absent")
    return stories_policy()


@needs_shared(STORIES)
def test_generation_is_batched_across_prompts_with_n_samples_each(stories, monkeypatch):
    import torch

    policy, tok = stories
    calls = []
    original = policy.generate
    monkeypatch.setattr(policy, "generate", lambda **kw: calls.append(kw["input_ids"].shape) or original(**kw))
    torch.manual_seed(0)
    prompts = ["Once upon a time", "The dog", "Tom and Lily went to the park", "A big red ball"]
    results = best_of_n(length_reward, prompts, policy=policy, tokenizer=tok, n=3,
                        sampling=Sampling(max_new_tokens=12, temperature=1.0, top_k=20, prompts_per_batch=3))
    assert len(calls) == 2 and calls[0][0] == 3 and calls[1][0] == 1  # 2 generate calls, not 12
    assert [len(r.candidates) for r in results] == [3, 3, 3, 3]
    for r in results:
        assert r.best_score == max(c.score for c in r.candidates)
        assert all(isinstance(c.finished, bool) for c in r.candidates)
    assert [r.prompt for r in results] == prompts  # input order kept across the length sort


def test_read_prompts_and_candidates(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "a"}\n\n{"prompt": [{"role": "user", "content": "b"}]}\n')
    assert read_prompts(str(prompts)) == ["a", [{"role": "user", "content": "b"}]]
    txt = tmp_path / "p.txt"
    txt.write_text("one\n\ntwo\n")
    assert read_prompts(str(txt)) == ["one", "two"]
    pairs = tmp_path / "pairs.jsonl"  # preference data: each prompt once
    pairs.write_text('{"prompt": "q", "chosen": "x", "rejected": "y"}\n{"prompt": "q", "chosen": "z", "rejected": "w"}\n')
    assert read_prompts(str(pairs)) == [[{"role": "user", "content": "q"}]]
    assert read_candidates(str(pairs))[1] == [["x", "y"], ["z", "w"]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "candidates": ["x"]}\n{"prompt": "b", "candidates": "x"}\n')
    with pytest.raises(ValueError, match="bad.jsonl line 2: expected 'candidates' to be a non-empty list"):
        read_candidates(str(bad))


@needs_shared(STORIES)
def test_rerank_cli_writes_n_scored_candidates_and_an_sft_set_trl_loads(tmp_path):
    from rlhf_rm.cli import main
    from rlhf_rm.model import RewardModel

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ["Once upon a time", "The little cat", "Sam"]))
    out, sft = tmp_path / "out.jsonl", tmp_path / "sft.jsonl"
    rm = tiny_rm()
    assert main(["rerank", "--model", rm, "--policy", str(STORIES), "--prompts", str(prompts), "--n", "4",
                 "--max-new-tokens", "10", "--output", str(out), "--top-k", "2", "--sft-output", str(sft)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and all(len(r["candidates"]) == 4 for r in rows)
    # every candidate's score is the reward model's own, and the choice is the highest
    reward_model = RewardModel.load(rm)
    for row in rows:
        texts = [c["text"] for c in row["candidates"]]
        own = reward_model.score([row["prompt"]] * 4, texts)
        assert [c["score"] for c in row["candidates"]] == pytest.approx(own, abs=1e-5)
        assert row["best"] == max(range(4), key=lambda j: own[j]) and row["best_text"] == texts[row["best"]]
    records = [json.loads(line) for line in sft.read_text().splitlines()]
    assert len(records) == 6 and records[0]["messages"][-1]["role"] == "assistant"
    _check_trl_sft_loads(sft, tmp_path)

    cands = tmp_path / "cands.jsonl"
    cands.write_text(json.dumps({"prompt": "q", "candidates": ["short", "a much longer answer", "mid one"]}) + "\n")
    assert main(["rerank", "--model", rm, "--candidates", str(cands), "--output", str(tmp_path / "r.jsonl")]) == 0
    row = json.loads((tmp_path / "r.jsonl").read_text())
    own = reward_model.score(["q"] * 3, ["short", "a much longer answer", "mid one"])
    assert row["best"] == max(range(3), key=lambda j: own[j])


def _check_trl_sft_loads(path, tmp_path):
    """TRL's SFTTrainer takes the file as a conversational data set and trains a step on it."""
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer
    from trl.data_utils import is_conversational

    dataset = load_dataset("json", data_files=str(path), split="train")
    assert is_conversational(dataset[0])
    tok = AutoTokenizer.from_pretrained(STORIES)
    tok.chat_template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )
    tok.pad_token = tok.unk_token
    args = SFTConfig(output_dir=str(tmp_path / "sft_run"), max_steps=1, per_device_train_batch_size=2,
                     report_to=[], use_cpu=True, bf16=False, save_strategy="no", max_length=64, logging_steps=1)
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(STORIES), args=args, train_dataset=dataset,
                         processing_class=tok)
    assert "input_ids" in trainer.train_dataset.column_names
    trainer.train()
