"""What a PPO run needs, built once: models, reward, prompts, optimizer, KL controller.

``build_run`` loads them in a fixed order (the seed first, so every process starts from the same
adapters and value head); ``rlhf_rm.ppo.loop`` then runs the updates on the ``PPORun``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rlhf_rm.policy import Sampling, SamplingSettings, resolve_sampling
from rlhf_rm.ppo import algo
from rlhf_rm.ppo.settings import PPOConfig, validate
from rlhf_rm.ppo.distributed import Dist, has_accelerator
from rlhf_rm.ppo.models import ActorCritic, build_actor_critic
from rlhf_rm.ppo.prompt_sets import EncodedPrompt, configured_prompts, fit_prompts, split_prompts
from rlhf_rm.ppo.reward_source import load_reward
from rlhf_rm.ppo.rollout import Reward, make_generator
from rlhf_rm.ppo.update import PPOSettings


@dataclass(frozen=True)
class PPORun:
    """The models, reward, prompts and optimizer of one PPO run, and where it runs."""

    cfg: PPOConfig
    acc: Any  # accelerate.Accelerator
    dist: Dist
    model: ActorCritic
    tokenizer: Any
    generator: Any
    reward_fn: Reward
    settings: SamplingSettings
    encoded: list[EncodedPrompt]  # training prompts, rendered and tokenized
    eval_prompts: list
    optimizer: torch.optim.Optimizer
    params: list[torch.nn.Parameter]
    kl_ctl: algo.FixedKLController | algo.AdaptiveKLController
    score_moments: algo.RunningMoments
    hp: PPOSettings
    per_process: int  # rollout rows sampled by each process
    t_start: float

    @property
    def out(self) -> Path:
        return Path(self.cfg.output_dir)

    @property
    def main(self) -> bool:
        return self.acc.is_main_process

    @property
    def rank(self) -> int:
        return self.acc.process_index


def build_run(cfg: PPOConfig, reward_fn: Reward | None, accelerator) -> PPORun:
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    validate(cfg)
    t_start = time.monotonic()
    # on a machine without accelerators, Accelerator() ignores torchrun's environment unless told
    # it is a CPU run (accelerate 1.x); with cpu=True it joins the gloo process group
    acc = accelerator or Accelerator(cpu=not has_accelerator())
    n_proc = acc.num_processes
    if cfg.rollout_batch_size % (n_proc * cfg.num_minibatches):
        raise ValueError(
            f"config key 'rollout_batch_size': {cfg.rollout_batch_size} must split evenly over "
            f"{n_proc} processes x {cfg.num_minibatches} minibatches"
        )
    per_process = cfg.rollout_batch_size // n_proc
    minibatch = per_process // cfg.num_minibatches

    set_seed(cfg.seed)  # identical initial adapters and value head on every process
    tokenizer = _tokenizer(cfg)
    lora = cfg.lora
    model = build_actor_critic(
        cfg.model, dtype=cfg.dtype, critic=cfg.critic, lora_enabled=lora.enabled, lora_r=lora.r,
        lora_alpha=lora.alpha, lora_dropout=lora.dropout, lora_target_modules=lora.target_modules,
        load_in_4bit=lora.load_in_4bit,
    ).to(acc.device)
    reward_fn = reward_fn or load_reward(cfg.reward, cfg.reward_kwargs, cfg.reward_timeout_s, device=str(acc.device))
    all_prompts = configured_prompts(cfg.prompts, cfg.prompts_file, cfg.prompts_data)
    settings = _sampling_settings(cfg, tokenizer, model.lm, all_prompts)
    generator = make_generator(cfg.generation_backend, settings)
    train_prompts, eval_prompts = split_prompts(all_prompts, cfg.eval_prompts, cfg.eval_fraction, cfg.seed)
    if acc.is_main_process:  # written once models, reward and prompts loaded: a run that failed to start leaves nothing
        Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)
        (Path(cfg.output_dir) / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2), encoding="utf-8")
    encoded, dropped = fit_prompts(train_prompts, tokenizer, cfg.max_prompt_tokens)
    if not encoded:
        raise ValueError(f"config key 'max_prompt_tokens': none of the {len(train_prompts)} training prompts fits in "
                         f"{cfg.max_prompt_tokens} tokens, not even its last user turn")
    if dropped and acc.is_main_process:
        print(f"{dropped} of {len(train_prompts)} training prompts left out: not even their last user turn fits in "
              f"max_prompt_tokens={cfg.max_prompt_tokens}", file=sys.stderr, flush=True)

    optimizer, params = _optimizer(cfg, model)
    kl_ctl = (algo.AdaptiveKLController(cfg.kl_coef, cfg.kl_target, cfg.kl_horizon) if cfg.kl_target is not None
              else algo.FixedKLController(cfg.kl_coef))
    return PPORun(cfg, acc, Dist(acc), model, tokenizer, generator, reward_fn, settings, encoded, eval_prompts,
                optimizer, params, kl_ctl, algo.RunningMoments(), _ppo_settings(cfg, minibatch), per_process, t_start)


def _tokenizer(cfg: PPOConfig):
    from transformers import AutoTokenizer

    from rlhf_rm.model import resolve_model_path

    key = "tokenizer" if cfg.tokenizer else "model"
    try:
        return AutoTokenizer.from_pretrained(resolve_model_path(cfg.tokenizer or cfg.model))
    except OSError as err:  # a missing folder fails at once (resolve_model_path), not after hub retries
        raise OSError(f"config key '{key}': cannot load a tokenizer from {cfg.tokenizer or cfg.model!r}: {err}") from err


def _sampling_settings(cfg: PPOConfig, tokenizer, lm, prompts: list) -> SamplingSettings:
    # pure ancestral sampling (top_p 1, top_k 0): PPO's log-probs are softmax(logits / T)
    sampling = Sampling(cfg.temperature, max_new_tokens=cfg.max_new_tokens, stop_token_ids=tuple(cfg.stop_token_ids or ()))
    try:
        return resolve_sampling(sampling, tokenizer, lm, prompts)
    except ValueError as err:
        raise ValueError(f"config key 'stop_token_ids': {err}") from err


def _optimizer(cfg: PPOConfig, model: ActorCritic) -> tuple[torch.optim.Optimizer, list[torch.nn.Parameter]]:
    policy_params, critic_params = model.policy_parameters(), model.critic_parameters()
    optimizer = torch.optim.AdamW(
        [
            {"params": policy_params, "lr": cfg.learning_rate},
            {"params": critic_params, "lr": cfg.value_learning_rate or cfg.learning_rate},
        ],
        eps=cfg.adam_eps,
        weight_decay=cfg.weight_decay,
    )
    return optimizer, policy_params + critic_params


def _ppo_settings(cfg: PPOConfig, minibatch: int) -> PPOSettings:
    return PPOSettings(
        epochs=cfg.ppo_epochs, minibatch_size=minibatch, micro_batch_size=min(cfg.micro_batch_size or minibatch, minibatch),
        clip_range=cfg.clip_range, clip_range_value=cfg.clip_range_value, vf_coef=cfg.vf_coef, ent_coef=cfg.ent_coef,
        max_grad_norm=cfg.max_grad_norm, temperature=cfg.temperature,
    )
