"""Tiny reward models and policies for the reward-function, rerank and serve tests.

Built from configs (no hub): a 2-layer BERT with the MiniLM tokenizer (an encoder reward model),
a 2-layer Llama with GPT-2's tokenizer (a decoder reward model, needs ../shared), and the real
stories260K policy from ../shared. Each is built once per test session into a temporary folder.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from tiny_models import gpt2_tokenizer, minilm_tokenizer, save_tiny
from support import SHARED

STORIES = SHARED / "models" / "stories260K"
GPT2 = SHARED / "tokenizers" / "gpt2"

_ROOT = Path(tempfile.mkdtemp(prefix="rlhf_rm_reward_tests_"))
atexit.register(shutil.rmtree, _ROOT, True)

PROMPTS = [
    "How do I boil an egg?",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a prime number."}],
    "Tell me a story about a cat who learns to fly, with a happy ending and many details.",
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "How are you?"}],
    "Why is the sky blue?",
]
REPLIES = [
    "Put it in boiling water for eight minutes.",
    "Seven.",
    "Once upon a time a small cat watched the birds every day and wished to join them. " * 4,
    "I am fine, thank you for asking!",
    "Sunlight scatters off air molecules, and blue light scatters the most.",
]


def needs_shared(path: Path = SHARED):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (../shared holds test models)")


def _perturb(model, seed: int) -> None:
    """Random LoRA B matrices and head, so the adapter really changes the scores."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name or "classifier" in name or "score" in name:
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if "lora_B" not in name else 0.05))


@functools.cache
def tiny_bert_base() -> str:
    """A random 2-layer BERT classifier folder with the real MiniLM tokenizer."""
    from transformers import BertConfig, BertForSequenceClassification

    tok = minilm_tokenizer()
    config = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=1)
    return str(save_tiny(_ROOT / "bert_base", BertForSequenceClassification, config, tok))


def tiny_rm(seed: int = 1, max_length: int = 64, norm: tuple[float, float] | None = None) -> str:
    """A saved rlhf_rm LoRA reward model (tiny BERT); different seeds give different models."""
    return _tiny_rm(seed, max_length, norm)


@functools.cache
def _tiny_rm(seed: int, max_length: int, norm: tuple[float, float] | None) -> str:
    from rlhf_rm.model import LoraSettings, ModelSettings, build_reward_model

    folder = _ROOT / f"bert_rm_{seed}_{max_length}_{norm}"
    torch.manual_seed(seed)
    rm = build_reward_model(ModelSettings(name_or_path=tiny_bert_base(), max_length=max_length,
                                          max_response_tokens=max_length // 2, lora=LoraSettings(r=4)))
    _perturb(rm.model, seed)
    if norm is not None:
        rm.contract.norm_mean, rm.contract.norm_std = norm
    rm.save(folder)
    return str(folder)


def tiny_rm_exported(seed: int = 1) -> str:
    return _tiny_rm_exported(seed)


@functools.cache
def _tiny_rm_exported(seed: int) -> str:
    from rlhf_rm.model import RewardModel

    folder = _ROOT / f"bert_rm_{seed}_exported"
    RewardModel.load(tiny_rm(seed)).export(folder)
    return str(folder)


@functools.cache
def tiny_llama_rm() -> str:
    """A saved rlhf_rm LoRA reward model on a random 2-layer Llama with GPT-2's tokenizer."""
    from transformers import LlamaConfig, LlamaForSequenceClassification

    from rlhf_rm.model import LoraSettings, ModelSettings, build_reward_model

    tok = gpt2_tokenizer(GPT2)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         num_labels=1, eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id)
    base = save_tiny(_ROOT / "llama_base", LlamaForSequenceClassification, config, tok)
    torch.manual_seed(0)
    rm = build_reward_model(ModelSettings(name_or_path=str(base), max_length=96, max_response_tokens=48,
                                          lora=LoraSettings(r=4)))
    _perturb(rm.model, 7)
    folder = _ROOT / "llama_rm"
    rm.save(folder)
    return str(folder)


def stories_policy():
    """The real 260K-parameter TinyStories Llama and its tokenizer (no chat template)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(STORIES), AutoTokenizer.from_pretrained(STORIES)
