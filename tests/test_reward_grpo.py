"""TRL's GRPO and RLOO trainers take RewardFunction as reward_funcs, across tokenizers."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_reward import STORIES, needs_shared, tiny_rm
from support import REPO

RECIPES = REPO / "recipes"


def test_recipe_yaml_loads_and_names_its_command(grpo_recipe):
    from rlhf_rm.config import load_config

    recipe = grpo_recipe
    path = RECIPES / "grpo_trl.yaml"
    assert path.read_text().splitlines()[0].startswith("# python recipes/grpo_trl.py --config recipes/grpo_trl.yaml")
    cfg = load_config(recipe.GRPORecipe, path)
    assert cfg.reward.models and cfg.prompts and cfg.trainer == "grpo"


@needs_shared(STORIES)
@pytest.mark.parametrize("trainer", ["grpo", "rloo"])
def test_trl_trainer_steps_with_a_reward_model_of_another_tokenizer(trainer, grpo_recipe, tmp_path):
    import torch
    from transformers import AutoTokenizer

    from rlhf_rm.config import load_config
    from rlhf_rm.model import RewardModel

    rm = tiny_rm()
    # the policy (Llama SentencePiece, 512 tokens) and the reward model (BERT WordPiece) differ
    assert AutoTokenizer.from_pretrained(STORIES).vocab_size != RewardModel.load(rm).tokenizer.vocab_size
    recipe = grpo_recipe
    steps = 2 if trainer == "grpo" else 1
    cfg = load_config(recipe.GRPORecipe, RECIPES / "grpo_trl.yaml", [
        f"policy={STORIES}", f"trainer={trainer}", f"reward.models=[{rm}]", "reward.normalize=false",
        "reward.device=cpu", f"output_dir={tmp_path}", f"max_steps={steps}", "per_device_train_batch_size=4",
        "num_generations=2", "max_completion_length=8", "logging_steps=1", "learning_rate=0.01",
    ])
    trainer_ = recipe.build_trainer(cfg)
    before = {k: v.detach().clone() for k, v in trainer_.model.named_parameters()}
    trainer_.train()
    logs = [entry for entry in trainer_.state.log_history if "loss" in entry]
    assert len(logs) == steps
    name = Path(rm).name
    assert all(f"rewards/{name}/mean" in entry for entry in logs)  # TRL logged our reward by its __name__
    assert all(torch.isfinite(torch.tensor(entry[f"rewards/{name}/mean"])) for entry in logs)
    changed = [k for k, v in trainer_.model.named_parameters() if not torch.equal(v, before[k])]
    assert changed  # the policy learned from the reward
