"""Where a model is loaded from: the offline aliases, local folders, hub ids, and errors that say which.

A missing path that can only be local fails at once with the folder named; otherwise
transformers tries it as a hub id and retries for minutes before "couldn't connect".
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import torch

def resolve_model_path(name: str) -> str:
    """The folder or hub id to load ``name`` from.

    Maps the offline aliases (``minilm``, ``smollm2-135m-instruct``: models shipped in pip
    packages, :mod:`rlhf_rm.model.packaged`) to their local folders and expands ``~``. A missing
    path that can only be local fails here at once: otherwise transformers tries it as a hub id,
    retrying for minutes before "couldn't connect".
    """
    from rlhf_rm.model.packaged import packaged_model_path

    packaged = packaged_model_path(name)
    if packaged is not None:
        return packaged
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


def hub_error(name: str, err: Exception) -> RuntimeError:
    """The error for a model that transformers could not load from ``name``, saying what to pass."""
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
    """The tokenizer of a model folder, hub id or alias."""
    from transformers import AutoTokenizer

    path = resolve_model_path(name)  # a missing local folder fails here, not as a hub error
    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except OSError as err:
        raise hub_error(name, err) from err


def load_config(name: str, trust_remote_code: bool = False):
    """The transformers config of a model folder, hub id or alias."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(resolve_model_path(name), trust_remote_code=trust_remote_code)
    except OSError as err:
        raise hub_error(name, err) from err


def torch_dtype(name: str | None) -> torch.dtype | None:
    """``float32`` / ``bfloat16`` / ``float16`` as a torch dtype; None keeps the checkpoint's own."""
    return None if name is None else {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def load_seqcls(name: str, dtype: str | None, trust_remote_code: bool, **kwargs):
    """``AutoModelForSequenceClassification`` with one output (the score) from ``name``."""
    from transformers import AutoModelForSequenceClassification

    path = resolve_model_path(name)  # a missing local folder fails here, not as a hub error
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, dtype=torch_dtype(dtype),
            trust_remote_code=trust_remote_code, **kwargs,
        )
    except OSError as err:
        raise hub_error(name, err) from err


@contextlib.contextmanager
def peft_quietly():
    """peft reads transformers' deprecated ``is_gradient_checkpointing`` whenever it wraps a model:
    a FutureWarning about library internals, not about anything the user did. Hide only that one."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield
