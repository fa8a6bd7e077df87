"""Saving, loading and exporting reward-model folders: weights, tokenizer and the contract.

A folder holds the weights (a LoRA adapter with its head, or the full model), the tokenizer and
``rlhf_rm.json``. A folder or hub id without ``rlhf_rm.json`` is a plain sequence classifier: its
contract is read off its config and tokenizer. An ensemble folder (the contract's ``ensemble``)
holds each member's adapter in a sub-folder; they load as named adapters on one base.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from rlhf_rm.contract import CONTRACT_FILE, DTYPES, Contract
from rlhf_rm.model.arch import detect_architecture, head_modules, own_pooling, resolve_template
from rlhf_rm.model.paths import load_seqcls, load_tokenizer, peft_quietly

# a plain classifier's contract: its tokenizer's max length, but no more than this
PLAIN_MAX_LENGTH = 4096


def save_folder(model, tokenizer, contract: Contract, folder: str | Path) -> None:
    """Weights (adapter with head, or full), tokenizer, contract and model card in one folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    contract.save(folder)
    from rlhf_rm.model.card import reward_model_card, write_card

    write_card(folder, reward_model_card(contract))  # replaces peft's template card


def load_folder(path: str | Path, dtype: str | None = None, trust_remote_code: bool = False):
    """(model in eval mode, tokenizer, contract) of an rlhf_rm folder, a plain classifier folder or a hub id.

    ``dtype`` None: the dtype the contract says the model was trained in, else (a plain folder, an
    older contract) the checkpoint's own -- transformers loads a bf16-published base in bf16."""
    path_str = str(path)
    if path_str.startswith("~"):
        path_str = str(Path(path_str).expanduser())
    if (Path(path_str) / CONTRACT_FILE).exists():
        contract = Contract.load(path_str)
        model = load_weights(path_str, contract, dtype, trust_remote_code)
        tokenizer = load_tokenizer(path_str, trust_remote_code)
    else:
        model, tokenizer, contract = _load_plain(path_str, dtype, trust_remote_code)
    model.eval()
    return model, tokenizer, contract


def export_folder(model, tokenizer, contract: Contract, folder: str | Path) -> None:
    """A plain ``AutoModelForSequenceClassification`` folder (LoRA merged) with the tokenizer.

    A QLoRA model's adapter is merged into its base loaded unquantized: the export is a float
    model (the contract says ``quantization: none`` and the dtype of the weights it holds).

    The contract goes along, so ``RewardModel``/``RewardFunction`` score it exactly. A
    ``mean``-pooling model is the one case other tools read differently: transformers'
    sequence classifiers pool [CLS], so they need the contract (a message says so). An ensemble
    is refused: one plain network cannot compute its members' combined score."""
    if contract.ensemble is not None:
        raise ValueError(
            f"cannot export an ensemble of {len(contract.ensemble.members)} LoRA members as one plain "
            "AutoModelForSequenceClassification: its score combines the members' scores (k forwards), and "
            "merging the adapters into one network would be another model. Score it with rlhf_rm "
            "(RewardFunction, rlhf-rm score / eval / serve), or export a model trained with ensemble=1")
    if contract.pooling == "mean":
        print(f"note: {folder} pools the mean of the hidden states (rlhf_rm.json); plain transformers "
              "classifiers pool [CLS] and would score it differently -- load it with rlhf_rm", file=sys.stderr)
    folder = Path(folder)
    if contract.quantization != "none" and hasattr(model, "merge_and_unload"):
        model = _on_float_base(model, contract)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.chat_template = contract.prompt_template
    tokenizer.save_pretrained(folder)
    dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
    dataclasses.replace(contract, weights="full", quantization="none",
                        dtype=dtype if dtype in DTYPES else None).save(folder)


def _on_float_base(model, contract: Contract):
    """A QLoRA model's adapter and head on its base loaded again unquantized, ready to merge.

    Merging into 4-bit weights would dequantize, add the LoRA product and quantize again: the
    sum rounds to 4 bits, and the saved folder stays a bitsandbytes checkpoint. The unquantized
    base holds the weights the 4-bit ones approximate."""
    with tempfile.TemporaryDirectory(prefix="rlhf_rm_export_", ignore_cleanup_errors=True) as adapter:
        model.save_pretrained(adapter, safe_serialization=True)
        unquantized = dataclasses.replace(contract, quantization="none")
        return load_weights(adapter, unquantized, contract.dtype or "float32")


def read_contract_json(folder: str | Path) -> dict[str, Any]:
    """The raw JSON of a folder's contract (as saved, without defaults filled in)."""
    return json.loads((Path(folder) / CONTRACT_FILE).read_text(encoding="utf-8"))


def load_weights(path: str | Path, contract: Contract, dtype: str | None = None, trust_remote_code: bool = False):
    """The model of ``contract`` with the weights saved in the folder ``path``: the full model, the
    base with its LoRA adapter (and head), or an ensemble's base with one named adapter per member.

    ``dtype`` None: the dtype the contract says the model was trained in (an older contract: the
    checkpoint's own)."""
    path = str(path)
    dtype = dtype or contract.dtype
    if contract.weights == "full":
        return load_seqcls(path, dtype, trust_remote_code)
    from peft import PeftModel

    quant_kwargs = {}
    if contract.quantization != "none":
        from rlhf_rm.model.quant import bnb_config

        quant_kwargs["quantization_config"] = bnb_config(contract.quantization, head_modules(contract.architecture))
    # transformers' LOAD REPORT would list the new head as MISSING: the adapter below supplies it
    report_log = logging.getLogger("transformers.modeling_utils")
    report_log.addFilter(_drop_load_report)
    try:
        base = load_seqcls(contract.base_model, dtype, trust_remote_code, **quant_kwargs)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"reward model '{path}' is a LoRA adapter whose base model is missing: {err}") from err
    finally:
        report_log.removeFilter(_drop_load_report)
    if contract.vocab_size and base.get_input_embeddings().weight.shape[0] != contract.vocab_size:
        base.resize_token_embeddings(contract.vocab_size)
    base.config.pad_token_id = contract.pad_token_id
    if contract.quantization != "none":
        from rlhf_rm.model.quant import disable_cpu_4bit_repack

        disable_cpu_4bit_repack(base)  # else CPU scoring takes bitsandbytes' bf16 inference path
    with peft_quietly():
        if contract.ensemble is None:
            return PeftModel.from_pretrained(base, path)
        first, *rest = contract.ensemble.members  # one base in memory; each member its adapter and head
        model = PeftModel.from_pretrained(base, str(Path(path) / first), adapter_name=first)
        for name in rest:
            model.load_adapter(str(Path(path) / name), adapter_name=name)
        return model


def _drop_load_report(record) -> bool:
    return "LOAD REPORT" not in record.getMessage()


def _load_plain(path: str, dtype: str | None, trust_remote_code: bool):
    """A folder or hub id without an rlhf_rm contract: the contract follows the model's config."""
    tokenizer = load_tokenizer(path, trust_remote_code)
    model = load_seqcls(path, dtype, trust_remote_code)
    arch = detect_architecture(model.config)
    max_length = min(int(getattr(tokenizer, "model_max_length", 512) or 512), PLAIN_MAX_LENGTH)
    # a third-party chat reward model is scored on the whole conversation through its template,
    # closing end-of-turn token included, as RewardBench and TRL score it; encoders (and models
    # without a template) keep the (prompt, reply) text pair they were trained on
    chat = arch == "decoder" and bool(getattr(tokenizer, "chat_template", None))
    contract = Contract(
        base_model=path,
        architecture=arch,
        pooling=own_pooling(arch),
        max_length=max_length,
        max_response_tokens=max_length // 2,
        prompt_template=resolve_template(tokenizer, "auto"),
        append_eos=False,  # a plain classifier is scored on the text as its tokenizer writes it
        reply_format="assistant_turn" if chat else "text",
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=model.config.pad_token_id if model.config.pad_token_id is not None else tokenizer.pad_token_id,
        padding_side=tokenizer.padding_side,
        weights="full",
    )
    return model, tokenizer, contract
