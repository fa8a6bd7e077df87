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
"""

from rlhf_rm.model.arch import ENCODER_TYPES, detect_architecture, head_modules, resolve_template
from rlhf_rm.model.build import LoraSettings, ModelSettings, build_reward_model, pad_token
from rlhf_rm.model.encode import CHARS_PER_TOKEN, Encoded, SpecialTokens, as_messages, as_text, encode_pairs
from rlhf_rm.model.io import read_contract_json
from rlhf_rm.model.paths import MODEL_ALIASES, load_tokenizer, peft_quietly, resolve_model_path
from rlhf_rm.model.reward_model import RewardModel, default_device
from rlhf_rm.model.score import CPU_BATCH_TOKENS, bert_cls_scores, micro_batches, sequence_scores

__all__ = [
    "CHARS_PER_TOKEN", "CPU_BATCH_TOKENS", "ENCODER_TYPES", "MODEL_ALIASES", "Encoded", "LoraSettings",
    "ModelSettings", "RewardModel", "SpecialTokens", "as_messages", "as_text", "bert_cls_scores",
    "build_reward_model", "default_device", "detect_architecture", "encode_pairs", "head_modules", "load_tokenizer",
    "micro_batches", "pad_token", "peft_quietly", "read_contract_json", "resolve_model_path",
    "resolve_template", "sequence_scores",
]
