"""Unsupervised pretraining: causal LM from scratch on the bundled text, masked LM on an encoder."""

from __future__ import annotations

import torch

from support import write_pairs
from rlhf_rm.config import load_config
from rlhf_rm.pretrain import PretrainConfig, pretrain


def _loss(model, tok, texts: list[str]) -> float:
    batch = tok(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    with torch.no_grad():
        return model(**batch, labels=labels).loss.item()


def test_new_causal_lm_learns_dialogue_text(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    data = write_pairs(tmp_path / "p.jsonl", repeat=8)
    cfg = load_config(PretrainConfig, None, [
        f"data={data}", f"output_dir={tmp_path / 'lm'}", "max_steps=40", "progress=false",
        "new_model.vocab_size=400", "new_model.hidden_size=32", "new_model.intermediate_size=64",
        "new_model.num_hidden_layers=1", "batch_size=8", "learning_rate=3e-3",
    ])
    out = pretrain(cfg)
    model, tok = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
    assert tok.chat_template and tok.eos_token == "<|eos|>"
    text = ["User: What is the capital of France?\n\nAssistant: Paris is the capital of France."]
    untrained = AutoModelForCausalLM.from_config(model.config)
    assert _loss(model, tok, text) < _loss(untrained, tok, text) - 1.0


def test_masked_lm_continues_an_encoder_with_lora(tiny_encoder_dir, tmp_path):
    from transformers import AutoModelForMaskedLM

    data = write_pairs(tmp_path / "p.jsonl", repeat=4)
    cfg = load_config(PretrainConfig, None, [
        f"model={tiny_encoder_dir}", f"data={data}", f"output_dir={tmp_path / 'mlm'}", "max_steps=10",
        "progress=false", "lora.enabled=true", "lora.r=4", "batch_size=8",
    ])
    out = pretrain(cfg)
    before = AutoModelForMaskedLM.from_pretrained(tiny_encoder_dir).state_dict()
    after = AutoModelForMaskedLM.from_pretrained(out).state_dict()
    key = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(before[key], after[key])  # LoRA merged into the saved weights
    # the pooler (unused by the masked-LM head) is carried over, so a reward model starts from it
    from transformers import AutoModel

    start, tuned = AutoModel.from_pretrained(tiny_encoder_dir), AutoModel.from_pretrained(out)
    assert torch.equal(start.pooler.dense.weight, tuned.pooler.dense.weight)
    assert not torch.equal(start.encoder.layer[0].attention.self.query.weight,
                           tuned.encoder.layer[0].attention.self.query.weight)
