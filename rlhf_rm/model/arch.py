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


# The names a score head's modules go by: BERT's pooler (inside the backbone) and classifier,
# DeBERTa's pooler beside the backbone, DistilBERT's pre_classifier, ModernBERT's head.
ENCODER_HEAD_NAMES = ["classifier", "pooler", "pre_classifier", "head"]


def head_modules(architecture: str) -> list[str]:
    """The names the score head's modules may have, kept unquantized: known before the weights
    load, so a fresh head is never quantized (the head of one model: :func:`score_head`)."""
    return list(ENCODER_HEAD_NAMES) if architecture == "encoder" else ["score"]


def score_head(model) -> list[str]:
    """The names of ``model``'s score-head modules, to train in full and save beside LoRA.

    Every module beside the backbone that holds weights -- the classifier, and DeBERTa's pooler,
    DistilBERT's pre_classifier, ModernBERT's head -- since a backbone's checkpoint lacks them and
    a reload would draw them afresh unless saved; and ``pooler`` when the backbone has its own
    (BERT, ALBERT: pretrained, so a caller may leave it to LoRA instead)."""
    backbone = getattr(model, getattr(model, "base_model_prefix", ""), None)
    names = [name for name, module in model.named_children()
             if module is not backbone and any(True for _ in module.parameters())]
    if backbone is None:  # the backbone is not where the model says (remote code): the usual names only
        names = [name for name in names if name in (*ENCODER_HEAD_NAMES, "score")]
    if backbone_pooler(model) is not None:
        names.append("pooler")
    return names


def backbone_pooler(model):
    """The backbone's own [CLS] pooler module (BERT, ALBERT), or None."""
    return getattr(getattr(model, getattr(model, "base_model_prefix", ""), None), "pooler", None)


def resolve_template(tokenizer, setting: str) -> str:
    """The prompt template a contract saves: ``roles``, ``auto`` (the chat template, else roles) or jinja."""
    if setting == "roles" or (setting == "auto" and not getattr(tokenizer, "chat_template", None)):
        return ROLES_TEMPLATE
    if setting == "auto":
        return tokenizer.chat_template
    return setting
