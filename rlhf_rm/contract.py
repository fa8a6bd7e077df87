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

from rlhf_rm.checkpoint import write_json_atomic  # the one atomic write

CONTRACT_FILE = "rlhf_rm.json"
CONTRACT_VERSION = 1

# The prompt rendering for models without a chat template: role-tagged turns.
ROLES_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] }}\n\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

# Which side truncation drops, as Hugging Face's ``truncation_side``: "left" drops the start (the
# text keeps its end), "right" drops the end (it keeps its start). Contracts written before these
# fields were honoured hold these defaults (or lack the keys, which reads the same).
TRUNCATION_SIDES = ("left", "right")
PROMPT_TRUNCATION = "left"  # the prompt keeps its end: the latest turns
RESPONSE_TRUNCATION = "right"  # the reply keeps its start
DTYPES = ("float32", "bfloat16", "float16")  # the dtypes a model is trained and loaded in
LENGTH_DEBIAS = ("none", "lc_bt")  # how training controlled for reply length (see Contract)
ENSEMBLE_SAMPLING = ("seed", "bootstrap")  # how an ensemble's members differ (see EnsembleSpec)
COMBINE = ("mean", "mean_minus_std", "min")  # how an ensemble's member scores become one reward
# How the reply joins the rendered prompt (see Contract.reply_format): "text" follows the prompt as
# is; "assistant_turn" is the reply as the chat template writes an assistant turn, closing tokens
# (<|im_end|>, <|eot_id|>) included -- the whole conversation rendered with
# add_generation_prompt=False, as RewardBench and TRL score a third-party reward model
REPLY_FORMATS = ("text", "assistant_turn")


@dataclass
class EnsembleSpec:
    """k LoRA members on the contract's one base: each member's adapter and trained head sit in a
    sub-folder of the reward-model folder; the tokenizer, the contract and the base are shared.

    Shape: every list has one entry per member, in member order.
    """

    members: list[str]  # sub-folder names, also the adapter names when loaded ("member-0", ...)
    sampling: str = "seed"  # seed: member i trains with seed + i; bootstrap: also on a resample (ENSEMBLE_SAMPLING)
    seeds: list[int] = field(default_factory=list)
    combine: str = "mean"  # the combination a RewardFunction uses unless told otherwise (COMBINE)
    norm_mean: list[float | None] = field(default_factory=list)  # each member's dev-split reward mean/std
    norm_std: list[float | None] = field(default_factory=list)
    member_metrics: list[dict[str, Any]] = field(default_factory=list)  # each member's dev metrics

    def __post_init__(self) -> None:
        if len(self.members) < 2 or any(not m or "/" in m or "\\" in m or m.startswith(".") for m in self.members):
            raise ValueError(f"contract field 'ensemble.members' is {self.members!r}: expected 2 or more "
                             "sub-folder names")
        if self.sampling not in ENSEMBLE_SAMPLING or self.combine not in COMBINE:
            raise ValueError(f"contract fields 'ensemble.sampling' / 'ensemble.combine' are {self.sampling!r} / "
                             f"{self.combine!r}: expected one of {ENSEMBLE_SAMPLING} / {COMBINE}")
        for name in ("seeds", "norm_mean", "norm_std", "member_metrics"):
            if getattr(self, name) and len(getattr(self, name)) != len(self.members):
                raise ValueError(f"contract field 'ensemble.{name}' has {len(getattr(self, name))} entries for "
                                 f"{len(self.members)} members")


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
    # one of REPLY_FORMATS; saved only when not "text", so such contracts stay readable by a
    # version without the field. "assistant_turn": a plain classifier with a chat template
    reply_format: str = "text"
    prompt_truncation: str = PROMPT_TRUNCATION  # the side the prompt loses when cut (TRUNCATION_SIDES)
    response_truncation: str = RESPONSE_TRUNCATION  # the side the reply loses when cut
    weights: str = "lora"  # "lora" (adapter + head) | "full"
    quantization: str = "none"  # "none" | "4bit" | "8bit" (of the base during training)
    # the dtype the weights were trained in ("float32" | "bfloat16" | "float16"): a load that names
    # none uses it, so a base published in bf16 and trained in float32 scores as at train time.
    # None (a contract written before it was recorded): the checkpoint's own dtype
    dtype: str | None = None
    vocab_size: int | None = None  # set when a pad token was added to the vocabulary
    layouts: list[str] = field(default_factory=list)  # data layouts it was trained on
    norm_mean: float | None = None  # reward mean/std on the dev split, measured after training
    norm_std: float | None = None
    # "lc_bt": trained with a learned length term, length_beta * log(reply tokens), in the pairwise
    # logit (rlhf_rm.train.losses.length_controlled_pairwise_loss); that term is dropped at inference, so
    # the score is the head's output alone and every consumer reads it as any other score
    length_debias: str = "none"  # one of LENGTH_DEBIAS
    length_beta: float | None = None  # the learned beta, for the record (lc_bt only)
    metrics: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)
    # an ensemble folder: k LoRA members on this base; scores combine the members'
    # (rlhf_rm.model.RewardModel.forward_members); None: one model. Saved only when set, so a
    # single model's rlhf_rm.json stays readable by a version without ensembles
    ensemble: EnsembleSpec | None = None
    version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:
        for name in ("prompt_truncation", "response_truncation"):
            side = getattr(self, name)
            if side not in TRUNCATION_SIDES:
                raise ValueError(f"contract field '{name}' is {side!r}: expected 'left' (drop the start, "
                                 "keep the end) or 'right' (drop the end, keep the start)")
        if self.dtype not in (None, *DTYPES):
            raise ValueError(f"contract field 'dtype' is {self.dtype!r}: expected one of {', '.join(map(repr, DTYPES))}")
        if self.length_debias not in LENGTH_DEBIAS:
            raise ValueError(f"contract field 'length_debias' is {self.length_debias!r}: expected one of "
                             f"{', '.join(map(repr, LENGTH_DEBIAS))}")
        if self.reply_format not in REPLY_FORMATS:
            raise ValueError(f"contract field 'reply_format' is {self.reply_format!r}: expected one of "
                             f"{', '.join(map(repr, REPLY_FORMATS))}")
        if isinstance(self.ensemble, dict):  # as read from rlhf_rm.json
            known = {f.name for f in dataclasses.fields(EnsembleSpec)}
            unknown = sorted(set(self.ensemble) - known)
            if unknown:
                raise ValueError(f"unknown contract field 'ensemble.{unknown[0]}' (written by a newer rlhf_rm?)")
            self.ensemble = EnsembleSpec(**self.ensemble)
        if self.ensemble is not None and self.weights != "lora":
            raise ValueError("an ensemble's members are LoRA adapters on one base: contract field 'weights' "
                             f"must be 'lora', got {self.weights!r}")

    def save(self, folder: str | Path) -> None:
        data = dataclasses.asdict(self)
        if data["ensemble"] is None:
            del data["ensemble"]
        if data["reply_format"] == "text":
            del data["reply_format"]
        write_json_atomic(Path(folder) / CONTRACT_FILE, data)

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
