"""bitsandbytes 4-bit / 8-bit LoRA reward models train on CPU (rlhf_rm.model.quant).

Tiny Llama / BERT backbones built from configs, saved without a head (the head is freshly
initialized at load, as with a real pretrained backbone), quantized by ``from_pretrained``.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from rlhf_rm.model.quant import bnb_config, parse_bits, skip_patterns

VOCAB = 512
ARCHS = {
    # arch: (head modules = skip list = modules_to_save, LoRA targets)
    "llama": (["score"], ["q_proj", "v_proj", "o_proj", "down_proj"]),
    "bert": (["classifier", "pooler"], ["query", "value", "output.dense"]),
}


def test_import_is_cheap():
    code = "import sys, rlhf_rm.model.quant; sys.exit(int(any(m in sys.modules for m in ('bitsandbytes', 'torch'))))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_parse_bits():
    assert [parse_bits(b) for b in (4, "4bit", "nf4", 8, "8bit", "int8")] == [4, 4, 4, 8, 8, 8]
    with pytest.raises(ValueError, match="4bit or 8bit"):
        parse_bits("3bit")


def test_skip_patterns_match_nested_modules():
    from transformers.quantizers.quantizers_utils import should_convert_module

    pats = skip_patterns(["classifier", "pooler"])
    assert not should_convert_module("bert.pooler.dense", pats)  # plain "pooler" would not skip it
    assert not should_convert_module("classifier", pats)
    assert not should_convert_module("classifier.out_proj", pats)  # roberta-style head
    assert should_convert_module("bert.encoder.layer.0.output.dense", pats)
    assert should_convert_module("bert.encoder.layer.0.attention.self.query", pats)
    assert not should_convert_module("score", skip_patterns(["score"]))
    assert should_convert_module("model.layers.0.self_attn.q_proj", skip_patterns(["score"]))


@pytest.mark.parametrize("bits", ["4bit", "8bit"])
def test_bnb_config(bits):
    import torch

    qc = bnb_config(bits, ["score"])
    assert qc.load_in_4bit == (bits == "4bit") and qc.load_in_8bit == (bits == "8bit")
    if bits == "4bit":
        assert qc.bnb_4bit_quant_type == "nf4" and qc.bnb_4bit_compute_dtype == torch.float32


def test_safe_inference_on_a_float_model():
    import torch

    from rlhf_rm.model.quant import cpu_repacked_modules, disable_cpu_4bit_repack, kbit_safe_inference

    model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Dropout(0.5))
    with kbit_safe_inference(model, inference_mode=True):
        assert not model.training and model(torch.ones(1, 4)).shape == (1, 2)
    assert model.training
    assert disable_cpu_4bit_repack(model) == 0 and cpu_repacked_modules(model) == []


# ---- tiny models -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backbones(tmp_path_factory, one_thread):
    """Headless tiny backbones saved from configs: {arch: folder}."""
    import torch
    from transformers import AutoModel, BertConfig, LlamaConfig

    configs = {
        "llama": LlamaConfig(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=4, vocab_size=VOCAB, pad_token_id=0, max_position_embeddings=64,
        ),
        "bert": BertConfig(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            vocab_size=VOCAB, max_position_embeddings=64, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, pad_token_id=0,
        ),
    }
    out = {}
    for arch, config in configs.items():
        torch.manual_seed(0)
        folder = tmp_path_factory.mktemp(f"tiny-{arch}")
        AutoModel.from_config(config).save_pretrained(folder)
        out[arch] = str(folder)
    return out


def _batch():
    """A fixed batch of 6 (chosen, rejected) pairs: rows 0..5 chosen, 6..11 rejected."""
    import torch

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, VOCAB, (12, 10), generator=g)
    mask = torch.ones_like(ids)
    ids[1::3, 7:] = 0  # some right padding
    mask[1::3, 7:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def _loss(model, batch):
    import torch

    r = model(**batch).logits[:, 0]
    n = r.shape[0] // 2
    return -torch.nn.functional.logsigmoid(r[:n] - r[n:]).mean()


def _build(folder, arch, bits):
    import torch
    from peft import LoraConfig, get_peft_model

    from rlhf_rm.model.quant import load_quantized, prepare_for_kbit_training

    head, targets = ARCHS[arch]
    torch.manual_seed(0)
    base = load_quantized(folder, bits, head, num_labels=1, pad_token_id=0)
    base = prepare_for_kbit_training(base, gradient_checkpointing=False)
    lora = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0,
                      target_modules=targets, modules_to_save=list(head))
    return get_peft_model(base, lora)


def _trainable(model):
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _grads(model, batch):
    model.zero_grad(set_to_none=True)
    _loss(model, batch).backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return grads


@pytest.mark.parametrize("bits", ["4bit", "8bit"])
@pytest.mark.parametrize("arch", ["llama", "bert"])
def test_kbit_lora_trains_on_cpu(backbones, arch, bits, tmp_path):
    import bitsandbytes as bnb
    import torch
    from peft import PeftModel

    from rlhf_rm.model.quant import kbit_modules, kbit_safe_inference, load_quantized, quantized_weight_snapshot

    model = _build(backbones[arch], arch, bits)
    layer = bnb.nn.Linear4bit if bits == "4bit" else bnb.nn.Linear8bitLt
    quantized = kbit_modules(model)
    assert quantized and all(isinstance(m, layer) for _, m in quantized)
    # the heads stay float and trainable (fresh head: quantizing it would fail in bnb)
    for name, module in model.named_modules():
        if name.endswith(("score", "classifier", "pooler.dense")):
            assert not isinstance(module, (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)), name
    head_names = [n for n, p in model.named_parameters() if p.requires_grad and "modules_to_save" in n]
    assert head_names and any(("pooler" in n) for n in head_names) == (arch == "bert")

    batch = _batch()
    base_before = quantized_weight_snapshot(model)
    trainable_before = _trainable(model)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    losses = []
    for step in range(20):
        if step == 10:
            # train -> no-grad eval -> train: the eval must not change the next gradients
            grads_before = _grads(model, batch)
            with kbit_safe_inference(model):
                model(**batch)
            with torch.inference_mode():  # a bare eval as RewardModel.score does it (guard set at build)
                model.eval()
                model(**batch)
                model.train()
            grads_after = _grads(model, batch)
            assert grads_before.keys() == grads_after.keys()
            for name in grads_before:
                torch.testing.assert_close(grads_after[name], grads_before[name], rtol=1e-5, atol=1e-7, msg=name)
        opt.zero_grad()
        loss = _loss(model, batch)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    assert losses[-1] < 0.5 * losses[0], losses
    base_after = quantized_weight_snapshot(model)
    assert base_after.keys() == base_before.keys()
    unchanged = [n for n in base_before if torch.equal(base_before[n], base_after[n])]
    assert len(unchanged) == len(base_before), set(base_before) - set(unchanged)
    trainable_after = _trainable(model)
    changed = {n for n in trainable_before if not torch.equal(trainable_before[n], trainable_after[n])}
    assert any("lora_A" in n for n in changed) and any("lora_B" in n for n in changed)
    assert set(head_names) <= changed

    # eval scores equal train-mode scores (no dropout): no bf16 inference path behind our back
    with torch.no_grad():
        train_scores = model(**batch).logits[:, 0]
    with kbit_safe_inference(model):
        scores = model(**batch).logits[:, 0]
    assert model.training
    if bits == "4bit":
        torch.testing.assert_close(scores, train_scores, rtol=0, atol=1e-5)

    # the adapter (LoRA + head) saved and loaded on a freshly quantized base gives the same scores
    model.save_pretrained(tmp_path / "adapter")
    head, _ = ARCHS[arch]
    base2 = load_quantized(backbones[arch], bits, head, num_labels=1, pad_token_id=0)
    reloaded = PeftModel.from_pretrained(base2, tmp_path / "adapter")
    with kbit_safe_inference(reloaded, inference_mode=True):
        scores2 = reloaded(**batch).logits[:, 0]
    torch.testing.assert_close(scores2, scores, rtol=0, atol=1e-5)


def test_repack_trap_is_undone_by_prepare(backbones):
    """Without the guard, a no-grad eval repacks 4-bit weights (bnb on AVX512-BF16 CPUs) and the
    next backward fails; prepare_for_kbit_training undoes it (with a warning)."""
    import torch
    from bitsandbytes.functional import has_avx512bf16

    from rlhf_rm.model.quant import cpu_repacked_modules, load_quantized, prepare_for_kbit_training

    if not has_avx512bf16():
        pytest.skip("bitsandbytes repacks 4-bit weights for inference only on AVX512-BF16 CPUs")
    base = load_quantized(backbones["bert"], "4bit", ARCHS["bert"][0], num_labels=1, pad_token_id=0)
    from rlhf_rm.model.quant import kbit_modules

    for _, module in kbit_modules(base):
        module.support_avx512bf16_for_cpu = True  # what bnb sets in Linear4bit.__init__
    batch = _batch()
    base.eval()
    with torch.no_grad():
        base(**batch)
    repacked = cpu_repacked_modules(base)
    if not repacked:
        pytest.skip("this bitsandbytes no longer repacks 4-bit weights in eval forwards")
    base.train()
    head = base.classifier
    head.weight.requires_grad_(True)
    with pytest.raises(RuntimeError, match="in-place operation"):
        _loss(base, batch).backward()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        base = prepare_for_kbit_training(base)
    assert any("repack" in str(w.message) for w in caught)
    assert cpu_repacked_modules(base) == []
    for p in base.classifier.parameters():
        p.requires_grad_(True)
    base.train()
    loss = _loss(base, batch)
    loss.backward()
    assert base.classifier.weight.grad is not None and torch.isfinite(loss)


# ---- export of a QLoRA reward model ------------------------------------------------------------


def _cpu_4bit_reason() -> str | None:
    """Why 4-bit layers cannot run here (None: they can): bitsandbytes missing or without a CPU kernel."""
    from rlhf_rm.model.quant import bnb_available

    if not bnb_available():
        return "bitsandbytes is not installed"
    import bitsandbytes as bnb
    import torch

    try:
        layer = bnb.nn.Linear4bit(64, 64, compute_dtype=torch.float32, quant_type="nf4")
        layer.weight = bnb.nn.Params4bit(torch.randn(64, 64), requires_grad=False, quant_type="nf4")
        layer = layer.to("cpu")
        layer.support_avx512bf16_for_cpu = False
        layer(torch.randn(2, 64))
    except Exception as err:  # NotImplementedError / RuntimeError from a backend without CPU 4-bit ops
        return f"this bitsandbytes has no CPU 4-bit kernel ({type(err).__name__}: {err})"
    return None


@pytest.fixture(scope="module")
def rm_backbones(tmp_path_factory, one_thread):
    """Headless tiny backbones with tokenizers, for reward models: {arch: folder}."""
    from tiny_models import minilm_tokenizer, save_tiny, save_tiny_causal_lm
    from transformers import BertConfig, BertModel

    root = tmp_path_factory.mktemp("rm-backbones")
    tok = minilm_tokenizer()
    bert = BertConfig(vocab_size=tok.vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, max_position_embeddings=128)
    return {"llama": str(save_tiny_causal_lm(root / "llama", hidden_size=64, intermediate=128)),
            "bert": str(save_tiny(root / "bert", BertModel, bert, tok))}


@pytest.mark.parametrize("arch", ["llama", "bert"])
def test_qlora_export_merges_into_the_unquantized_base(rm_backbones, arch, tmp_path):
    reason = _cpu_4bit_reason()
    if reason:
        pytest.skip(reason)
    import torch
    from transformers import AutoModelForSequenceClassification

    from rlhf_rm.model import LoraSettings, ModelSettings, RewardModel, build_reward_model
    from rlhf_rm.model.quant import kbit_modules

    prompts = ["the cat saw a dog in the park", "once upon a time there was a little girl"]
    replies = ["the dog was happy and they went to play", "she saw the sun and was happy"]
    torch.manual_seed(0)
    rm = build_reward_model(ModelSettings(name_or_path=rm_backbones[arch], quantization="4bit", max_length=32,
                                          max_response_tokens=16, lora=LoraSettings(r=4, alpha=8)))
    with torch.no_grad():  # an adapter and head that matter
        for p in (p for p in rm.model.parameters() if p.requires_grad):
            p.normal_(0, 0.2)
    adapter_scores = rm.score(prompts, replies)
    rm.save(tmp_path / "rm")
    rm.export(tmp_path / "plain")

    plain = AutoModelForSequenceClassification.from_pretrained(tmp_path / "plain")
    assert kbit_modules(plain) == [] and getattr(plain.config, "quantization_config", None) is None
    exported = RewardModel.load(tmp_path / "plain")
    assert (exported.contract.quantization, exported.contract.weights, exported.contract.dtype) == ("none", "full", "float32")
    exported_scores = exported.score(prompts, replies)
    # the export is the adapter merged into the unquantized base: the same adapter on that base,
    # unmerged, gives its scores up to float rounding of the merge
    on_float = RewardModel.load(tmp_path / "rm")
    on_float.contract.quantization = "none"
    from rlhf_rm.model.io import load_weights

    on_float.model = load_weights(tmp_path / "rm", on_float.contract).eval()
    float_scores = on_float.score(prompts, replies)
    assert exported_scores == pytest.approx(float_scores, abs=1e-5)
    # the 4-bit adapter model is the same adapter on the 4-bit weights read back as float: so the
    # export differs from it by the base's 4-bit rounding alone, which bounds the gap
    import bitsandbytes.functional as bnbf

    floats, quantized = dict(on_float.model.named_modules()), kbit_modules(rm.model)
    assert quantized
    with torch.no_grad():
        for name, layer in quantized:
            floats[name].weight.copy_(bnbf.dequantize_4bit(layer.weight.data, layer.weight.quant_state))
    dequantized_scores = on_float.score(prompts, replies)
    assert dequantized_scores == pytest.approx(adapter_scores, abs=1e-5)
    rounding = max(abs(a - b) for a, b in zip(float_scores, dequantized_scores))
    gap = max(abs(a - b) for a, b in zip(exported_scores, adapter_scores))
    assert gap <= rounding + 2e-5, (gap, rounding)
