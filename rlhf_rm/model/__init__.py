"""The reward model: a Hugging Face backbone with its own sequence-classification head.

Scores go through the architecture's own ``AutoModelForSequenceClassification`` head with
``num_labels=1`` (BERT-style encoders: [CLS] -> pooler -> linear; decoders: the last non-pad
token -> linear), so merging the LoRA adapter gives a plain transformers model with the very
same scores. Inputs are built by :meth:`RewardModel.encode` from the saved :class:`Contract`.

- ``paths``: where a model loads from (the offline alias, local folders, hub ids) and the errors
- ``arch``: encoder or decoder, its head modules, its prompt template
- ``build``: a new trainable model: backbone + head, pad-token policy, LoRA/QLoRA, its contract
- ``encode``: inputs by the contract: render, cut, tokenize, truncate each side, special tokens
- ``score``: scores under a pooling rule, micro-batches, the BERT [CLS]-only inference path
- ``io``: save / load / export folders
- ``reward_model``: ``RewardModel``, the one object that ties them together

The public names load on first use, so importing one light module (``rlhf_rm.model.quant``,
``rlhf_rm.model.card``) does not load torch.
"""

from __future__ import annotations

import importlib

_HOME = {
    "CHARS_PER_TOKEN": "encode", "CPU_BATCH_TOKENS": "score", "ENCODER_TYPES": "arch", "Encoded": "encode",
    "LoraSettings": "build", "PACKAGED": "packaged", "ModelSettings": "build",
    "RewardModel": "reward_model", "SpecialTokens": "encode", "as_messages": "encode",
    "bert_cls_scores": "score", "build_reward_model": "build", "default_device": "reward_model",
    "detect_architecture": "arch", "encode_pairs": "encode", "head_modules": "arch",
    "load_tokenizer": "paths", "micro_batches": "score", "pad_token": "build", "peft_quietly": "paths",
    "read_contract_json": "io", "resolve_model_path": "paths", "resolve_template": "arch",
    "sequence_scores": "score",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"rlhf_rm.model.{_HOME[name]}"), name)
    raise AttributeError(f"module 'rlhf_rm.model' has no attribute {name!r}")
