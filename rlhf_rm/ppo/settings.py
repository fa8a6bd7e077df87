"""The PPO job's config: every default in one place.

Loaded with the project's loader (``rlhf_rm.config.load_config``): a YAML file plus
``key=value`` overrides (dotted keys reach ``lora.*``); unknown keys and wrong types raise
``ConfigError`` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rlhf_rm.config import ConfigError, load_config


@dataclass
class PolicyLora:
    """LoRA on the policy. ``enabled: false`` fine-tunes every weight (small models only)."""

    enabled: bool = True
    r: int = 8
    alpha: int = 16
    dropout: float = 0.0  # PPO wants dropout off: log-probs must be deterministic (Huang et al.)
    target_modules: list[str] | str = "all-linear"
    load_in_4bit: bool = False  # QLoRA (bitsandbytes, CUDA only)


@dataclass
class PPOConfig:
    # --- models -------------------------------------------------------------------------------
    model: str = ""  # policy: a causal LM folder, hub id or offline name (smollm2-135m-instruct); the reference is the same weights
    tokenizer: str | None = None  # default: the policy's
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    lora: PolicyLora = field(default_factory=PolicyLora)
    # critic: "shared" = a value head on the policy's trunk (one forward gives logits and values);
    # "separate" = its own LoRA adapter (or its own copy of the weights without LoRA) + value head
    critic: Literal["shared", "separate"] = "shared"

    # --- reward -------------------------------------------------------------------------------
    # "module:function", an http(s) URL of a reward server, or a saved reward-model folder
    reward: str = ""
    reward_kwargs: dict = field(default_factory=dict)  # passed to a module:function reward
    reward_batch_size: int = 64
    reward_timeout_s: float = 60.0  # remote reward servers

    # --- prompts ------------------------------------------------------------------------------
    prompts: list[str] | None = None  # inline prompts (plain text)
    prompts_file: str | None = None  # .txt (one prompt a line) or {"prompt": ...} rows (rlhf_rm.data.prompts.read_prompts)
    prompts_data: str | list[str] | None = None  # any file the data layer reads (its prompts)
    eval_prompts: list[str] | None = None  # held-out prompts for eval.json
    eval_fraction: float = 0.1  # without eval_prompts: hold out this share of the prompts
    max_prompt_tokens: int = 256  # longer conversations lose their oldest turns (at message boundaries)

    # --- generation ---------------------------------------------------------------------------
    max_new_tokens: int = 48
    temperature: float = 1.0  # sampling and log-probs use the same temperature
    stop_token_ids: list[int] | None = None  # more stop ids, besides the tokenizer's and the model's EOS
    # "hf": transformers generate on the policy; "hf_merged": on a copy holding the merged LoRA
    # weights (about 2x faster sampling on small models, one more copy of the weights)
    generation_backend: Literal["hf", "hf_merged"] = "hf"
    forward_batch_size: int | None = None  # rollout forward passes; default: the minibatch size

    # --- PPO ----------------------------------------------------------------------------------
    total_updates: int = 100
    max_minutes: float | None = None  # stop early (then evaluate and save) after this long
    rollout_batch_size: int = 64  # replies per update, over all processes
    num_minibatches: int = 1
    # most rows per training forward/backward: a minibatch runs as the fewest even micro-batches
    # that fit, whose gradients add up to the same step, one micro-batch's activations alive at a
    # time (null: the whole minibatch in one pass). Stories recipe on CPU, minibatch 32: 3 passes
    # (11/11/10 rows) as fast as 1 x 32 within noise, peak RSS ~85 MB lower (2 x 16: ~70 MB)
    micro_batch_size: int | None = 12
    ppo_epochs: int = 4
    learning_rate: float = 1e-3
    value_learning_rate: float | None = None  # default: learning_rate
    weight_decay: float = 0.0
    adam_eps: float = 1e-5
    max_grad_norm: float = 1.0
    gamma: float = 1.0
    lam: float = 0.95
    clip_range: float = 0.2
    clip_range_value: float | None = 0.2
    vf_coef: float = 0.1
    ent_coef: float = 0.0
    kl_coef: float = 0.05  # initial (adaptive) or fixed coefficient of the per-token KL penalty
    kl_target: float | None = None  # nats per reply; set it for adaptive control (Ziegler et al.)
    kl_horizon: float = 10000.0  # episodes; smaller reacts faster
    kl_estimator: Literal["k1", "k2", "k3"] = "k1"  # the per-token penalty's estimator
    score_norm: Literal["running", "batch", "none"] = "running"  # score -> (score - mean) / std
    score_clip: float | None = 5.0  # after normalisation
    missing_stop_penalty: float | None = None  # subtracted from replies that hit max_new_tokens
    whiten_advantages: bool = True

    # --- outputs ------------------------------------------------------------------------------
    output_dir: str = "runs/ppo"
    seed: int = 0
    # CPU threads for torch (null: torch's default). Small models on a shared CPU run much faster
    # on one thread: several threads per process oversubscribe the cores and stall each other.
    num_threads: int | None = None
    sample_every: int = 10  # updates between sample dumps to samples.jsonl
    num_samples: int = 4
    checkpoint_every: int = 25  # updates; 0 = only at the end
    keep_checkpoints: int = 2
    resume: bool = True  # continue from output_dir's latest checkpoint if there is one
    save_merged: bool = False  # also write the adapter merged into the base weights
    eval_samples_per_prompt: int = 4
    tensorboard: bool = True
    plot: bool = True
    warn_kl: float | None = None  # warn above this KL (default: 2 x kl_target, else 20 nats)
    warn_length_change: float = 0.5  # warn when mean reply length moves this share from the start
    progress: bool = True  # tqdm progress bar


def load_ppo_config(path: str | Path | None, overrides: list[str] | None = None) -> PPOConfig:
    """Read a PPO recipe plus ``key=value`` overrides and check the values that depend on each other."""
    cfg = load_config(PPOConfig, path, overrides)
    validate(cfg)
    return cfg


def validate(cfg: PPOConfig) -> None:
    if not cfg.model:
        raise ConfigError("config key 'model': set the policy model (a folder or hub id)")
    if not cfg.reward:
        raise ConfigError("config key 'reward': set a reward (module:function, an http URL or a reward-model folder)")
    if not (cfg.prompts or cfg.prompts_file or cfg.prompts_data):
        raise ConfigError("config keys 'prompts', 'prompts_file', 'prompts_data': set one of them")
    if cfg.rollout_batch_size % cfg.num_minibatches:
        raise ConfigError(
            f"config key 'num_minibatches': {cfg.num_minibatches} must divide rollout_batch_size "
            f"{cfg.rollout_batch_size}"
        )
    if cfg.micro_batch_size is not None and cfg.micro_batch_size < 1:
        raise ConfigError(
            f"config key 'micro_batch_size': must be >= 1 (or null for the whole minibatch), got {cfg.micro_batch_size}"
        )
    if cfg.temperature <= 0:
        raise ConfigError("config key 'temperature': must be > 0 (PPO samples; greedy decoding has no log-probs)")
    if cfg.kl_target is not None and cfg.kl_target <= 0:
        raise ConfigError("config key 'kl_target': must be > 0 (or null for a fixed kl_coef)")
    if not 0.0 <= cfg.eval_fraction < 1.0:
        raise ConfigError("config key 'eval_fraction': must be in [0, 1)")
    if cfg.generation_backend == "hf_merged" and cfg.lora.load_in_4bit:
        # merging W + s * B @ A into 4-bit weights re-quantizes them: the sampler would not be the policy
        raise ConfigError("config key 'generation_backend': 'hf_merged' cannot sample from a 4-bit base "
                          "(lora.load_in_4bit=true); use generation_backend=hf")
