"""Unsupervised pretraining on dialogue text — the first stage of the original design.

Causal LMs continue next-token prediction on transcripts (how the quickstart prepares its small
policy); encoders continue masked-LM training (domain-adaptive pretraining of a reward-model
backbone before preference fine-tuning). Full weights or LoRA; the same data readers as
reward-model training, every supported layout counting as text (the prompt with each reply).
The loop is transformers' ``Trainer`` with its language-modeling collator.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rlhf_rm.contract import ROLES_TEMPLATE
from rlhf_rm.model import LoraSettings, detect_architecture, load_tokenizer, peft_quietly, resolve_model_path


@dataclass
class NewModelSettings:
    """A small causal LM built from config, with a byte-level BPE tokenizer trained on the data."""

    vocab_size: int = 2000
    hidden_size: int = 128
    intermediate_size: int = 344
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    max_position_embeddings: int = 512


@dataclass
class PretrainConfig:
    """``rlhf-rm pretrain`` settings."""

    model: str = "new"  # "new" builds a small causal LM from `new_model`; else a path or hub id
    objective: Literal["auto", "clm", "mlm"] = "auto"  # auto: encoders mlm, decoders clm
    data: str | list[str] = "default"
    on_bad_row: Literal["error", "skip"] = "skip"
    output_dir: str = "runs/pretrain"
    max_length: int = 256
    batch_size: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    num_epochs: float = 1.0
    max_steps: int = -1
    mlm_probability: float = 0.15
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"  # autocast; bf16 runs on CPUs with AMX/AVX512-BF16
    seed: int = 0
    trust_remote_code: bool = False
    resume: bool = False
    progress: bool = True
    lora: LoraSettings = field(default_factory=lambda: LoraSettings(enabled=False))
    new_model: NewModelSettings = field(default_factory=NewModelSettings)


def dialogue_texts(spec: str | list[str], on_bad_row: str = "skip") -> list[str]:
    """Every example of ``spec`` as transcripts: the prompt with each of its replies."""
    from rlhf_rm.data import iter_texts, load_examples
    from rlhf_rm.train.data import resolve_data_spec

    return list(iter_texts(load_examples(resolve_data_spec(spec), on_bad_row=on_bad_row)))


def train_bpe_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE tokenizer (no unknown tokens, any language) with the roles chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|pad|>", "<|bos|>", "<|eos|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(texts, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<|pad|>", bos_token="<|bos|>",
                                  eos_token="<|eos|>")
    tok.chat_template = ROLES_TEMPLATE
    return tok


def new_causal_lm(settings: NewModelSettings, tokenizer, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=settings.hidden_size,
        intermediate_size=settings.intermediate_size, num_hidden_layers=settings.num_hidden_layers,
        num_attention_heads=settings.num_attention_heads, num_key_value_heads=settings.num_attention_heads,
        max_position_embeddings=settings.max_position_embeddings, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config)


def _load_backbone(cfg: PretrainConfig, texts: list[str]):
    """(model, tokenizer, objective)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM

    if cfg.model == "new":
        tok = train_bpe_tokenizer(texts, cfg.new_model.vocab_size)
        return new_causal_lm(cfg.new_model, tok, cfg.seed), tok, "clm"
    path = resolve_model_path(cfg.model)
    tok = load_tokenizer(cfg.model, cfg.trust_remote_code)
    config = AutoConfig.from_pretrained(path, trust_remote_code=cfg.trust_remote_code)
    objective = cfg.objective
    if objective == "auto":
        objective = "mlm" if detect_architecture(config) == "encoder" else "clm"
    loader = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
    model = loader.from_pretrained(path, trust_remote_code=cfg.trust_remote_code)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if objective == "clm" else tok.unk_token
    return model, tok, objective


def _with_lora(model, lora: LoraSettings, objective: str):
    from peft import LoraConfig, TaskType, get_peft_model

    task = TaskType.CAUSAL_LM if objective == "clm" else None
    config = LoraConfig(task_type=task, r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                        target_modules=lora.target_modules)
    with peft_quietly():
        return get_peft_model(model, config)


def pretrain(cfg: PretrainConfig) -> Path:
    """Continue pretraining; the model and tokenizer are saved to ``cfg.output_dir``."""
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments

    texts = dialogue_texts(cfg.data, cfg.on_bad_row)
    if not texts:
        raise ValueError(f"no text found in {cfg.data!r}")
    random.Random(cfg.seed).shuffle(texts)
    model, tok, objective = _load_backbone(cfg, texts)
    if cfg.lora.enabled:
        model = _with_lora(model, cfg.lora, objective)
    # causal LMs learn where a reply ends: every transcript closes with EOS
    suffix = tok.eos_token if objective == "clm" and tok.eos_token else ""
    dataset = Dataset.from_dict({"text": [t + suffix for t in texts]}).map(
        lambda batch: tok(batch["text"], truncation=True, max_length=cfg.max_length),
        batched=True, remove_columns=["text"],
    )
    collator = DataCollatorForLanguageModeling(tok, mlm=objective == "mlm", mlm_probability=cfg.mlm_probability)
    out = Path(cfg.output_dir)
    args = TrainingArguments(
        output_dir=str(out / "checkpoints"), per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay, warmup_steps=cfg.warmup_ratio,
        num_train_epochs=cfg.num_epochs, max_steps=cfg.max_steps, seed=cfg.seed, logging_steps=20,
        save_strategy="steps", save_steps=200, save_total_limit=1, report_to=[],
        disable_tqdm=not cfg.progress, dataloader_num_workers=0,
        use_cpu=not _cuda(), bf16=cfg.mixed_precision == "bf16", fp16=cfg.mixed_precision == "fp16",
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=collator)
    trainer.train(resume_from_checkpoint=cfg.resume or None)
    final = trainer.model.merge_and_unload() if cfg.lora.enabled else trainer.model
    final.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    if objective == "mlm":
        carried = keep_pooler(resolve_model_path(cfg.model), out, final.base_model_prefix)
        if carried:
            print(f"kept the starting model's pooler ({', '.join(carried)}): the masked-LM model has none",
                  file=sys.stderr)
    return out


def keep_pooler(source: str, saved: Path, prefix: str) -> list[str]:
    """Copy the starting model's pooler weights into ``saved`` where the masked-LM save lacks them.

    ``AutoModelForMaskedLM`` builds the trunk without its pooler, so a plain save loses the
    pooler that sequence classifiers ([CLS] -> pooler -> linear) start from; a reward model
    built on the saved folder would then get a random pooler. Returns the copied names."""
    from safetensors.torch import load_file, save_file

    mine_file = saved / "model.safetensors"
    src_files = sorted(Path(source).glob("*.safetensors")) if Path(source).is_dir() else []
    if not mine_file.exists() or not src_files:
        return []
    mine = load_file(str(mine_file))
    added = []
    for f in src_files:
        for name, tensor in load_file(str(f)).items():
            full = name if name.startswith(prefix + ".") else f"{prefix}.{name}"
            if "pooler" in name and full not in mine:
                mine[full] = tensor
                added.append(full)
    if added:
        tmp = mine_file.with_suffix(".tmp")
        save_file(mine, str(tmp), metadata={"format": "pt"})
        tmp.replace(mine_file)
    return added


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
