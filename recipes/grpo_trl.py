"""GRPO (or RLOO) with TRL, rewarded by rlhf_rm reward models.

    python recipes/grpo_trl.py --config recipes/grpo_trl.yaml [key=value ...]

The reward is ``rlhf_rm.RewardFunction``, passed as TRL's ``reward_funcs``: it reads the policy's
text, so the reward model may use any tokenizer and chat template (its own saved contract).
Prompts reach the policy as ``rlhf_rm.policy`` renders them for rerank and PPO: TRL gets them as
chat messages when the policy has a chat template, else as the rendered text (a string as it is,
a conversation through ``rlhf_rm.policy.FALLBACK_TEMPLATE``).
Several reward models form an ensemble (``reward.ensemble: mean_minus_std`` for a conservative
reward). Everything else is TRL's trainer, configured from the YAML's typed keys.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Literal


@dataclass
class RewardSettings:
    models: list[str] = field(default_factory=list)  # reward-model folders; several form an ensemble
    batch_size: int = 32
    normalize: bool = False
    clip: float | None = None
    length_penalty: float = 0.0
    truncation_penalty: float = 0.0
    ensemble: Literal["mean", "mean_minus_std", "min"] = "mean"
    ensemble_k: float = 1.0
    device: str | None = None  # default: cuda if available, else cpu


@dataclass
class GRPORecipe:
    policy: str = ""  # causal LM folder, hub id or offline name (smollm2-135m-instruct)
    trainer: Literal["grpo", "rloo"] = "grpo"
    prompts: list[str] | None = None  # inline prompts
    prompts_file: str | None = None  # .txt, {"prompt": ...} rows, or preference data (rlhf_rm.data.prompts.read_prompts)
    reward: RewardSettings = field(default_factory=RewardSettings)
    output_dir: str = "runs/grpo"
    max_steps: int = 200
    learning_rate: float = 1e-5
    per_device_train_batch_size: int = 8  # completions per device step (a multiple of num_generations)
    num_generations: int = 4  # completions per prompt: the group that GRPO/RLOO compare
    max_completion_length: int = 64
    temperature: float = 1.0
    beta: float = 0.0  # KL coefficient (TRL's GRPO default 0: no reference model)
    logging_steps: int = 10
    save_steps: int = 0  # 0: save only at the end
    seed: int = 0
    report_to: list[str] = field(default_factory=list)


class ConversationReward:
    """The reward, called on each prompt as configured (the dataset's ``conversation`` column,
    which TRL passes along) rather than on TRL's ``prompt`` column, which holds the policy's
    rendered text when the policy has no chat template."""

    def __init__(self, reward):
        self.reward = reward
        self.__name__ = reward.__name__  # TRL logs each reward under its __name__ (rewards/<name>/mean)

    def __call__(self, prompts, completions, conversation, **kwargs) -> list[float]:
        return self.reward(conversation, completions, **kwargs)


def prompt_dataset(prompts: list, tokenizer):
    """TRL's ``prompt`` column in the form its trainers render to the text ``rlhf_rm.policy``
    gives rerank and PPO (``trl_prompt``), and the prompts as chat messages for the reward."""
    from datasets import Dataset

    from rlhf_rm.model import as_messages
    from rlhf_rm.policy import trl_prompt

    return Dataset.from_dict({"prompt": [trl_prompt(p, tokenizer) for p in prompts],
                              "conversation": [as_messages(p) for p in prompts]})


def build_trainer(cfg: GRPORecipe):
    """The TRL trainer for ``cfg``, with an rlhf_rm ``RewardFunction`` as its reward."""
    import torch

    from rlhf_rm.data.prompts import read_prompts
    from rlhf_rm.model import resolve_model_path
    from rlhf_rm.policy import load_policy_tokenizer
    from rlhf_rm.reward import RewardFunction

    if not cfg.policy:
        raise ValueError("config key 'policy': set a causal LM folder or hub id")
    if not cfg.reward.models:
        raise ValueError("config key 'reward.models': list at least one reward-model folder")
    prompts = list(cfg.prompts or [])
    if cfg.prompts_file:
        prompts += read_prompts(cfg.prompts_file)
    if not prompts:
        raise ValueError("no prompts: set config key 'prompts' (a list) or 'prompts_file'")

    r = cfg.reward
    reward = RewardFunction.from_pretrained(
        r.models, device=r.device, batch_size=r.batch_size, normalize=r.normalize, clip=r.clip,
        length_penalty=r.length_penalty, truncation_penalty=r.truncation_penalty,
        ensemble=r.ensemble, ensemble_k=r.ensemble_k,
    )
    tokenizer = load_policy_tokenizer(cfg.policy, what="config key 'policy':")
    if tokenizer.pad_token is None:  # this recipe's own tokenizer: TRL pads batches with it
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    common = dict(
        output_dir=cfg.output_dir, max_steps=cfg.max_steps, learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.per_device_train_batch_size, num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length, temperature=cfg.temperature, beta=cfg.beta,
        logging_steps=cfg.logging_steps, save_strategy="steps" if cfg.save_steps else "no",
        save_steps=cfg.save_steps or 500, seed=cfg.seed, report_to=cfg.report_to,
        use_cpu=not torch.cuda.is_available(), bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    )
    if cfg.trainer == "grpo":
        from trl import GRPOConfig as Config, GRPOTrainer as Trainer
    else:
        from trl import RLOOConfig as Config, RLOOTrainer as Trainer
    return Trainer(
        model=resolve_model_path(cfg.policy), reward_funcs=ConversationReward(reward), args=Config(**common),
        train_dataset=prompt_dataset(prompts, tokenizer), processing_class=tokenizer,
    )


def train_and_save(cfg: GRPORecipe):
    """Train the policy and save it to ``cfg.output_dir``; returns the trainer."""
    trainer = build_trainer(cfg)
    trainer.train()
    trainer.save_model(cfg.output_dir)
    print(f"saved the policy to {cfg.output_dir}")
    return trainer


def main(argv: list[str] | None = None) -> int:
    """The script: a user error (missing folder, bad key) is one ``error: ...`` line and exit 2."""
    from rlhf_rm.cli import run_reporting_errors
    from rlhf_rm.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="YAML config (recipes/grpo_trl.yaml)")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. max_steps=10 reward.normalize=true")
    args = parser.parse_args(argv)

    def run() -> int:
        train_and_save(load_config(GRPORecipe, args.config, args.overrides))
        return 0

    return run_reporting_errors(run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
