"""The saved reward-model contract: everything needed to reproduce a score.

A reward-model folder holds ``rlhf_rm.json`` (this contract), the weights and the tokenizer.
Every consumer (training, ``RewardFunction``, rerank, serve, evaluate, an export loaded back)
formats inputs through :func:`rlhf_rm.model.encode.encode_pairs` with the contract, so nothing is
re-derived from defaults.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlhf_rm.checkpoint import write_json_atomic  # the one atomic write; re-exported for existing callers

CONTRACT_FILE = "rlhf_rm.json"
CONTRACT_VERSION = 1

# The prompt rendering for models without a chat template: role-tagged turns.
ROLES_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] }}\n\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

Message = dict[str, str]

# Which side truncation drops, as Hugging Face's ``truncation_side``: "left" drops the start (the
# text keeps its end), "right" drops the end (it keeps its start). Contracts written before these
# fields were honoured hold these defaults (or lack the keys, which reads the same).
TRUNCATION_SIDES = ("left", "right")
PROMPT_TRUNCATION = "left"  # the prompt keeps its end: the latest turns
RESPONSE_TRUNCATION = "right"  # the reply keeps its start
LENGTH_DEBIAS = ("none", "lc_bt")  # how training controlled for reply length (see Contract)


@dataclass
class Contract:
    """How a reward model turns (prompt messages, reply) into a score. Saved as JSON."""

    base_model: str
    architecture: str  # "encoder" ([CLS] -> pooler -> linear) | "decoder" (last non-pad token)
    pooling: str  # "cls_pooler" | "last_token" (the architecture's own head) | "mean" (encoders)
    max_length: int
    max_response_tokens: int  # the reply keeps up to this many tokens, more when the prompt is short
    prompt_template: str  # jinja template rendering the prompt messages (chat template)
    append_eos: bool  # decoders: an EOS token closes the reply, and the score is read there
    eos_token_id: int | None
    pad_token_id: int | None
    padding_side: str = "right"
    prompt_truncation: str = PROMPT_TRUNCATION  # the side the prompt loses when cut (TRUNCATION_SIDES)
    response_truncation: str = RESPONSE_TRUNCATION  # the side the reply loses when cut
    weights: str = "lora"  # "lora" (adapter + head) | "full"
    quantization: str = "none"  # "none" | "4bit" | "8bit" (of the base during training)
    vocab_size: int | None = None  # set when a pad token was added to the vocabulary
    layouts: list[str] = field(default_factory=list)  # data layouts it was trained on
    norm_mean: float | None = None  # reward mean/std on the dev split, measured after training
    norm_std: float | None = None
    # "lc_bt": trained with a learned length term, length_beta * log(reply tokens), in the pairwise
    # logit (rlhf_rm.losses.length_controlled_pairwise_loss); that term is dropped at inference, so
    # the score is the head's output alone and every consumer reads it as any other score
    length_debias: str = "none"  # one of LENGTH_DEBIAS
    length_beta: float | None = None  # the learned beta, for the record (lc_bt only)
    metrics: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)
    version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:
        for name in ("prompt_truncation", "response_truncation"):
            side = getattr(self, name)
            if side not in TRUNCATION_SIDES:
                raise ValueError(f"contract field '{name}' is {side!r}: expected 'left' (drop the start, "
                                 "keep the end) or 'right' (drop the end, keep the start)")
        if self.length_debias not in LENGTH_DEBIAS:
            raise ValueError(f"contract field 'length_debias' is {self.length_debias!r}: expected one of "
                             f"{', '.join(map(repr, LENGTH_DEBIAS))}")

    def save(self, folder: str | Path) -> None:
        write_json_atomic(Path(folder) / CONTRACT_FILE, dataclasses.asdict(self))

    @classmethod
    def load(cls, folder: str | Path) -> "Contract":
        path = Path(folder) / CONTRACT_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("version")
        if version != CONTRACT_VERSION:
            raise ValueError(f"{path}: contract version {version!r}; this rlhf_rm reads version {CONTRACT_VERSION}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path}: unknown contract field '{unknown[0]}' (written by a newer rlhf_rm?)")
        try:
            return cls(**data)
        except (TypeError, ValueError) as err:  # a missing required field, a truncation side
            raise ValueError(f"{path}: {err}") from err
