"""What the backbone's architecture decides: encoder or decoder, its head, its prompt template."""

from __future__ import annotations

from rlhf_rm.contract import ROLES_TEMPLATE

ENCODER_TYPES = {
    "bert", "roberta", "xlm-roberta", "deberta", "deberta-v2", "distilbert", "electra",
    "albert", "mpnet", "camembert", "modernbert", "ernie", "nomic_bert", "megatron-bert",
}


def detect_architecture(config) -> str:
    """``encoder`` for the BERT family ([CLS] -> pooler -> linear), else ``decoder`` (last token)."""
    return "encoder" if config.model_type in ENCODER_TYPES else "decoder"


def own_pooling(architecture: str) -> str:
    """The pooling of the architecture's own sequence-classification head."""
    return "cls_pooler" if architecture == "encoder" else "last_token"


def head_modules(architecture: str) -> list[str]:
    """The modules of the score head, trained in full (and kept unquantized) beside LoRA."""
    return ["classifier", "pooler"] if architecture == "encoder" else ["score"]


def resolve_template(tokenizer, setting: str) -> str:
    """The prompt template a contract saves: ``roles``, ``auto`` (the chat template, else roles) or jinja."""
    if setting == "roles" or (setting == "auto" and not getattr(tokenizer, "chat_template", None)):
        return ROLES_TEMPLATE
    if setting == "auto":
        return tokenizer.chat_template
    return setting
