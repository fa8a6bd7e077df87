"""A new trainable reward model: backbone + its own head, pad-token policy, LoRA/QLoRA, contract."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import torch

from rlhf_rm.contract import PROMPT_TRUNCATION, RESPONSE_TRUNCATION, Contract
from rlhf_rm.model.arch import (backbone_pooler, detect_architecture, head_modules, own_pooling, resolve_template,
                                score_head)
from rlhf_rm.model.paths import load_config, load_seqcls, load_tokenizer, peft_quietly
from rlhf_rm.model.reward_model import RewardModel


@dataclass
class LoraSettings:
    """LoRA adapter (peft). ``enabled: false`` trains all weights instead."""

    enabled: bool = True
    r: int = 16
    alpha: int = 32
    # on the adapter's input in training; off by default, so a default run stays deterministic and
    # equal across process counts (disable_dropout leaves it alone)
    dropout: float = 0.0
    target_modules: list[str] | str = "all-linear"
    train_pooler: bool = True  # encoders: train the pretrained [CLS] pooler with the head


@dataclass
class ModelSettings:
    """What to build: backbone, input contract, adapter, precision."""

    name_or_path: str = "minilm"
    architecture: str = "auto"  # auto | encoder | decoder
    # auto: the architecture's own head (encoders [CLS] -> pooler, decoders the last token);
    # mean (encoders): the mean of the last hidden states over the tokens, as sentence encoders
    # such as MiniLM were trained to be read
    pooling: str = "auto"
    max_length: int = 256
    max_response_tokens: int = 128
    prompt_truncation: str = PROMPT_TRUNCATION  # left: a long prompt keeps its end | right: its start
    response_truncation: str = RESPONSE_TRUNCATION  # right: a long reply keeps its start | left: its end
    prompt_template: str = "auto"  # auto (the tokenizer's chat template, else roles) | roles | a jinja string
    append_eos: bool | None = None  # None: decoders yes, encoders no
    quantization: str = "none"  # none | 4bit | 8bit (bitsandbytes)
    dtype: str = "float32"  # float32 | bfloat16 | float16
    gradient_checkpointing: bool = False
    disable_dropout: bool = True  # deterministic scores in training (and equal across process counts)
    trust_remote_code: bool = False
    lora: LoraSettings = field(default_factory=LoraSettings)


def build_reward_model(settings: ModelSettings, layouts: list[str] | None = None,
                       train_config: dict[str, Any] | None = None) -> RewardModel:
    """A new trainable reward model (LoRA or full, optionally quantized) and its contract."""
    name = settings.name_or_path
    tokenizer = load_tokenizer(name, settings.trust_remote_code)
    config = load_config(name, settings.trust_remote_code)
    arch = settings.architecture if settings.architecture != "auto" else detect_architecture(config)
    pooling = _pooling(settings, arch)
    pad_id, added = pad_token(tokenizer, arch)
    append_eos = settings.append_eos if settings.append_eos is not None else arch == "decoder"
    if append_eos and tokenizer.eos_token_id is None:
        raise ValueError(f"model '{name}' has no EOS token; set model.append_eos=false")
    if not settings.lora.enabled and settings.quantization != "none":
        raise ValueError("a quantized base cannot be fully fine-tuned: set model.lora.enabled=true")
    contract = Contract(
        base_model=name,
        architecture=arch,
        pooling=pooling,
        max_length=settings.max_length,
        max_response_tokens=min(settings.max_response_tokens, settings.max_length),
        prompt_truncation=settings.prompt_truncation,
        response_truncation=settings.response_truncation,
        prompt_template=resolve_template(tokenizer, settings.prompt_template),
        append_eos=append_eos,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=pad_id,
        padding_side=tokenizer.padding_side,
        weights="lora" if settings.lora.enabled else "full",
        quantization=settings.quantization,
        dtype=settings.dtype,
        vocab_size=len(tokenizer) if added else None,
        layouts=list(layouts or []),
        train_config=train_config or {},
    )  # (before the weights load: a bad setting fails at once)
    model = _trainable_model(settings, arch, pooling, contract.vocab_size, pad_id)
    return RewardModel(model, tokenizer, contract)


def _trainable_model(settings: ModelSettings, arch: str, pooling: str, vocab_size: int | None, pad_id: int):
    """The sequence classifier, quantized and LoRA-wrapped as ``settings`` say, ready to train.

    ``vocab_size``: the tokenizer's new size when a pad token was added to it, else None."""
    quant_kwargs = {}
    if settings.quantization != "none":
        from rlhf_rm.model.quant import bnb_config

        quant_kwargs["quantization_config"] = bnb_config(settings.quantization, head_modules(arch))
    model = load_seqcls(settings.name_or_path, settings.dtype, settings.trust_remote_code, **quant_kwargs)
    if vocab_size is not None:
        model.resize_token_embeddings(vocab_size)
    model.config.pad_token_id = pad_id  # the decoder head reads the last token that is not pad
    if settings.quantization != "none":
        from rlhf_rm.model.quant import prepare_for_kbit_training

        model = prepare_for_kbit_training(model, settings.gradient_checkpointing)
    elif settings.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if pooling == "mean":  # the [CLS] pooler takes no part in the score: keep it out of training
        for pooler in (backbone_pooler(model), getattr(model, "pooler", None)):
            for param in (pooler.parameters() if pooler is not None else ()):
                param.requires_grad_(False)
    if settings.lora.enabled:
        model = _add_lora(model, settings.lora, arch, pooling)
    if settings.disable_dropout:  # the backbone's and head's; LoRA's own is what lora.dropout says
        lora = {id(d) for m in model.modules() for d in getattr(m, "lora_dropout", {}).values()}
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout) and id(module) not in lora:
                module.p = 0.0
    return model


def _pooling(settings: ModelSettings, arch: str) -> str:
    if settings.pooling == "auto":
        return own_pooling(arch)
    if settings.pooling == "mean" and arch != "encoder":
        raise ValueError(f"pooling=mean is for encoders; '{settings.name_or_path}' is a {arch} "
                         "(its score is read at the last token): set pooling=auto")
    if settings.pooling not in ("cls_pooler", "mean"):
        raise ValueError(f"pooling={settings.pooling!r}: expected auto, cls_pooler or mean")
    return settings.pooling


def pad_token(tokenizer, architecture: str) -> tuple[int, bool]:
    """A pad id distinct from EOS (a decoder's score is read at the last non-pad token), and
    whether a new ``<|pad|>`` token had to be added to the tokenizer (the embeddings then grow).

    Sets the tokenizer's pad token when it had none (or only EOS): its UNK when distinct from EOS."""
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    if pad is not None and (architecture == "encoder" or pad != eos):
        return pad, False
    if tokenizer.unk_token_id is not None and tokenizer.unk_token_id != eos:
        tokenizer.pad_token = tokenizer.unk_token
        return tokenizer.unk_token_id, False
    tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
    return tokenizer.pad_token_id, True


def _add_lora(model, lora: LoraSettings, arch: str, pooling: str):
    from peft import LoraConfig, TaskType, get_peft_model

    head = score_head(model)
    if pooling == "mean" or (not lora.train_pooler and backbone_pooler(model) is not None):
        # a mean-pooled score never passes the pooler; a pretrained one may be left to LoRA
        head = [m for m in head if m != "pooler"]
    unused = ["pooler"] if pooling == "mean" else []  # no adapter where the score never passes
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        modules_to_save=head,
        # LoRA inside a head module would clash with its trained copy: older peft matches module
        # names by suffix (``classifier`` also names ``pre_classifier``) and puts LoRA there first
        exclude_modules=whole_names(head + unused),
    )
    with peft_quietly():
        return get_peft_model(model, config)


def whole_names(names: list[str]) -> str | None:
    """A peft ``exclude_modules`` pattern (matched against the whole module path): the modules
    named ``names`` and everything inside them, at any depth, and nothing whose name only ends so."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return rf"(?:.*\.)?(?:{alternatives})(?:\..*)?"
