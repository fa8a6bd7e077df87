"""A tiny random Llama with a word-level tokenizer, built from config: for tests and benchmarks.

Nothing is downloaded. ``save_tiny_causal_lm(folder)`` writes a folder that loads with
``AutoModelForCausalLM``/``AutoTokenizer`` (also under older transformers releases).
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
    """Write a random tiny Llama + its tokenizer to ``folder``; returns the folder."""
    import torch
    from transformers import LlamaForCausalLM

    folder = Path(folder)
    tokenizer = tiny_tokenizer()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_llama_config(len(tokenizer), **config_kwargs))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
