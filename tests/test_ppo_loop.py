"""End-to-end PPO runs on tiny models: the reward rises, KL stays bounded, a killed run resumes."""

import json
from pathlib import Path

import pytest

from rlhf_rm.ppo.settings import PPOConfig, PolicyLora
from rlhf_rm.ppo.loop import run_ppo
from rlhf_rm.ppo.reward_source import word_count
from support import REPO, SHARED


pytestmark = pytest.mark.usefixtures("one_thread")


STORIES = SHARED / "models" / "stories260K"

PROMPTS = ["the cat", "a dog went to the park", "once upon a time there was a", "she saw a red ball", "he was"]


def _cfg(lm: str, out: Path, **overrides) -> PPOConfig:
    base = dict(
        model=lm,
        reward="rlhf_rm.ppo.reward_source:word_count",
        reward_kwargs={"word": "happy"},
        prompts=PROMPTS,
        eval_prompts=["the dog", "a girl"],
        max_new_tokens=8,
        stop_token_ids=[2],
        rollout_batch_size=32,
        num_minibatches=2,
        ppo_epochs=2,
        total_updates=30,
        learning_rate=1e-3,
        lora=PolicyLora(enabled=False),
        kl_coef=0.5,  # fixed: the adaptive controller has its own test
        output_dir=str(out),
        tensorboard=False,
        progress=False,
        plot=False,
        checkpoint_every=0,
        eval_samples_per_prompt=4,
    )
    base.update(overrides)
    return PPOConfig(**base)


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_known_reward_rises_while_kl_stays_bounded(tiny_lm, tmp_path):
    out = run_ppo(_cfg(tiny_lm, tmp_path / "run"))
    rows = _metrics(out)
    assert [r["step"] for r in rows] == list(range(1, 31))
    first = sum(r["ppo/reward_mean"] for r in rows[:5]) / 5
    last = sum(r["ppo/reward_mean"] for r in rows[-5:]) / 5
    # a random 46-word model says "happy" ~0.2 times in 8 words; PPO should at least triple it
    assert last > 3 * first and last > first + 0.5, (first, last)
    assert max(r["ppo/kl"] for r in rows) < 12.0
    for key in ("ppo/ref_logprob", "ppo/distinct2", "ppo/response_length", "ppo/entropy", "ppo/clipfrac",
                "ppo/approx_kl", "ppo/explained_variance", "ppo/kl_coef", "ppo/reward_std",
                "ppo/reward_shaped_std", "ppo/no_stop_frac", "ppo/policy_loss", "ppo/value_loss"):
        assert key in rows[-1]
    report = json.loads((out / "eval.json").read_text())
    assert report["tuned_reward_mean"] > report["start_reward_mean"]
    assert report["win_rate"] > 0.5
    ex = report["examples"][0]  # the report's side by side: each reply with its reward and length
    assert ex["start_words"] == len(ex["start"].split()) and ex["tuned_words"] == len(ex["tuned"].split())
    assert ex["tuned_reward"] == word_count([ex["prompt"]], [ex["tuned"]], word="happy")[0]
    assert (out / "policy" / "config.json").exists()
    assert (out / "samples.jsonl").exists()


def test_lora_separate_critic_run_and_outputs(tiny_lm, tmp_path):
    cfg = _cfg(
        tiny_lm,
        tmp_path / "lora",
        lora=PolicyLora(enabled=True, r=4, alpha=8),
        critic="separate",
        total_updates=3,
        generation_backend="hf_merged",
        tensorboard=True,
        plot=True,
        save_merged=True,
    )
    out = run_ppo(cfg)
    assert len(_metrics(out)) == 3
    assert (out / "adapter" / "adapter_config.json").exists()
    assert (out / "merged" / "config.json").exists()
    assert (out / "ppo.png").stat().st_size > 1000
    assert any((out / "tensorboard").iterdir())


class _Crash(RuntimeError):
    pass


def test_killed_run_resumes_to_the_same_result(tiny_lm, tmp_path):
    common = dict(total_updates=6, checkpoint_every=2, rollout_batch_size=8, num_minibatches=1)
    straight = run_ppo(_cfg(tiny_lm, tmp_path / "straight", **common))

    calls = {"n": 0}

    def flaky(prompts, completions, **kw):
        calls["n"] += 1
        if calls["n"] == 6:  # dies during update 6's rollout, after the checkpoint of update 4
            raise _Crash("killed")
        return word_count(prompts, completions, word="happy")

    killed_dir = tmp_path / "killed"
    with pytest.raises(_Crash):
        run_ppo(_cfg(tiny_lm, killed_dir, **common), reward_fn=flaky)
    assert [r["step"] for r in _metrics(killed_dir)] == [1, 2, 3, 4, 5]
    run_ppo(_cfg(tiny_lm, killed_dir, **common))
    resumed = _metrics(killed_dir)
    assert [r["step"] for r in resumed] == list(range(1, 7))  # exactly one row per update
    for a, b in zip(_metrics(straight), resumed):
        assert a["ppo/reward_mean"] == pytest.approx(b["ppo/reward_mean"], abs=1e-6)
        assert a["ppo/kl"] == pytest.approx(b["ppo/kl"], abs=1e-4)


@pytest.mark.skipif(not STORIES.exists(), reason="../shared/models/stories260K is not available")
def test_tiny_recipe_smoke(tmp_path, monkeypatch):
    from rlhf_rm.ppo.loop import run_ppo_from_config

    repo = REPO
    monkeypatch.chdir(repo)  # the recipe's model path is relative to the repository root
    out = run_ppo_from_config("recipes/ppo_tiny.yaml", [f"output_dir={tmp_path / 'out'}", "progress=false"])
    rows = _metrics(out)
    assert len(rows) >= 1 and rows[0]["ppo/response_length"] > 0
    assert json.loads((out / "eval.json").read_text())["n_prompts"] > 0
