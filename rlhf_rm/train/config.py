"""``TrainConfig``: every setting of ``rlhf-rm train``, with its default, in one dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rlhf_rm.contract import PROMPT_TRUNCATION, RESPONSE_TRUNCATION
from rlhf_rm.model import LoraSettings, ModelSettings


@dataclass
class TrainConfig:
    """``rlhf-rm train`` settings. Every default lives here."""

    # model and input contract
    model: str = "minilm"
    architecture: Literal["auto", "encoder", "decoder"] = "auto"
    pooling: Literal["auto", "cls_pooler", "mean"] = "auto"  # mean: encoders read as sentence encoders
    max_length: int = 256
    max_response_tokens: int = 128
    # the side an over-long text loses, saved in the contract ("left" drops the start, "right" the
    # end); by default the prompt keeps its end (the latest turns) and the reply its start
    prompt_truncation: Literal["left", "right"] = PROMPT_TRUNCATION
    response_truncation: Literal["left", "right"] = RESPONSE_TRUNCATION
    prompt_template: str = "auto"
    append_eos: bool | None = None
    quantization: Literal["none", "4bit", "8bit"] = "none"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    # autocast: float32 weights and optimizer, matmuls in bf16/fp16 (bf16 runs on CPUs with AMX or
    # AVX512-BF16, fp16 needs a GPU); the saved model scores in its own dtype (float32 by default)
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    gradient_checkpointing: bool = False
    disable_dropout: bool = True
    trust_remote_code: bool = False
    lora: LoraSettings = field(default_factory=LoraSettings)
    # data
    train_data: str | list[str] = "default"
    eval_data: str | list[str] | None = None
    eval_fraction: float = 0.1
    on_bad_row: Literal["error", "skip"] = "error"
    # exact repeats of an example (within or across files): always reported in bad_rows.txt;
    # drop: train on the first copy only; keep: every copy (a repeat weighs more); never an error
    on_duplicate: Literal["drop", "keep"] = "drop"
    # optimisation
    output_dir: str = "runs/rm"
    seed: int = 0
    # k LoRA members on one base in one folder (rlhf_rm.train.ensemble): member i trains with seed + i (adapter
    # init, data order); bootstrap: also on a resample of the training examples with replacement
    ensemble: int = 1
    ensemble_sampling: Literal["seed", "bootstrap"] = "seed"
    max_steps: int = -1  # > 0 bounds all training; otherwise num_epochs decides
    num_epochs: float = 1.0
    batch_size: int = 16  # examples per optimizer step, summed over processes
    gradient_accumulation_steps: int = 1
    learning_rate: float = 3e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    max_grad_norm: float = 1.0
    center_rewards_coef: float = 0.0
    # reply length: lc_bt adds a learned beta * log(reply tokens) to the pairwise logit
    # during training and drops it at inference (rlhf_rm.train.losses.length_controlled_pairwise_loss)
    length_debias: Literal["none", "lc_bt"] = "none"
    # lc_bt's beta starts at the length-only Bradley-Terry fit of the training pairs and learns at its
    # own rate (one scalar: the model's learning rate would barely move it in one epoch)
    length_beta_lr: float = 0.01
    # ODIN's decorrelation term: this multiple of |corr(reward, log reply length)| over each batch
    length_corr_coef: float = 0.0
    # this fraction of the pairwise training examples gets one more pair: its chosen reply against a
    # synthetic broken copy (rlhf_rm.data.augment); the dev split is never augmented
    augment_negatives: float = 0.0
    group_by_length: bool = True
    # bookkeeping
    eval_steps: int = 0  # 0: evaluate at the end only
    save_steps: int = 0  # 0: checkpoint at every eval (and at the end)
    logging_steps: int = 10
    report_to: Literal["none", "tensorboard", "wandb"] = "none"
    select_best: bool = True  # keep the weights of the best eval accuracy
    resume: bool = False
    eval_batch_size: int = 64
    progress: bool = True
    push_to_hub: str | None = None  # a hub repo id: upload the final folder (network + token)

    def model_settings(self) -> ModelSettings:
        return ModelSettings(
            name_or_path=self.model, architecture=self.architecture, pooling=self.pooling, max_length=self.max_length,
            max_response_tokens=self.max_response_tokens, prompt_truncation=self.prompt_truncation,
            response_truncation=self.response_truncation, prompt_template=self.prompt_template,
            append_eos=self.append_eos, quantization=self.quantization, dtype=self.dtype,
            gradient_checkpointing=self.gradient_checkpointing, disable_dropout=self.disable_dropout,
            trust_remote_code=self.trust_remote_code,
            lora=self.lora,
        )
