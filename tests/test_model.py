"""The reward model and its saved contract: encoding, pooling, save/load, export."""

from __future__ import annotations

import json

import pytest
import torch

from rlhf_rm.contract import CONTRACT_FILE
from rlhf_rm.model import (LoraSettings, ModelSettings, RewardModel, bert_cls_scores, build_reward_model, micro_batches,
                           sequence_scores)

PROMPTS = [
    "What is the capital of France?",
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello!"},
     {"role": "user", "content": "tell me a joke about cats please"}],
    "Short?",
]
REPLIES = ["Paris.", "A cat walks into a bar and orders nothing, because it is a cat.", "Yes " * 40]


def _build(folder, **kw) -> RewardModel:
    kw.setdefault("max_length", 48)
    kw.setdefault("max_response_tokens", 16)
    torch.manual_seed(0)
    rm = build_reward_model(ModelSettings(name_or_path=str(folder), **kw))
    # make the head non-trivial so score differences are visible
    for name, p in rm.model.named_parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.2)
    return rm


def test_truncation_keeps_prompt_end_and_reply_start(tiny_decoder_dir):
    rm = _build(tiny_decoder_dir)
    tok = rm.tokenizer
    long_prompt = " ".join(f"w{i}" for i in range(100))
    long_reply = " ".join(f"r{i}" for i in range(100))
    (enc,) = rm.encode([long_prompt], [long_reply])
    assert len(enc.input_ids) == 48 and enc.truncated
    text = tok.decode(enc.input_ids)
    assert "r0 r1" in text and "r99" not in text  # the reply keeps its start
    assert "w99" in text and "w0 " not in text  # the prompt keeps its end
    assert enc.input_ids[-1] == tok.eos_token_id  # EOS closes the reply


def test_decoder_pad_distinct_from_eos_and_padding_sides_agree(tiny_decoder_dir):
    rm = _build(tiny_decoder_dir)
    c = rm.contract
    assert c.pad_token_id != c.eos_token_id and c.append_eos and c.pooling == "last_token"
    alone = [rm.score([p], [r])[0] for p, r in zip(PROMPTS, REPLIES)]
    for side in ("right", "left"):
        rm.contract.padding_side = side
        batch = rm.forward(rm.collate(rm.encode(PROMPTS, REPLIES)))
        assert torch.allclose(batch, torch.tensor(alone), atol=1e-5), side


def test_encoder_pair_layout(tiny_encoder_dir):
    rm = _build(tiny_encoder_dir)
    (enc,) = rm.encode(["what is up"], ["not much"])
    tokens = rm.tokenizer.convert_ids_to_tokens(enc.input_ids)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens.count("[SEP]") == 2
    assert enc.token_type_ids[-3:] == [1, 1, 1] and enc.token_type_ids[0] == 0
    assert rm.contract.pooling == "cls_pooler" and not rm.contract.append_eos


@pytest.mark.parametrize("which", ["encoder", "decoder"])
def test_save_load_reproduces_scores_and_export_is_plain(which, tiny_encoder_dir, tiny_decoder_dir, tmp_path):
    folder = tiny_encoder_dir if which == "encoder" else tiny_decoder_dir
    rm = _build(folder)
    before = rm.score(PROMPTS, REPLIES)
    rm.save(tmp_path / "rm")
    saved = json.loads((tmp_path / "rm" / CONTRACT_FILE).read_text())
    for key in ("prompt_template", "pooling", "max_length", "max_response_tokens", "prompt_truncation",
                "response_truncation", "append_eos", "pad_token_id", "version"):
        assert key in saved
    loaded = RewardModel.load(tmp_path / "rm")
    assert loaded.score(PROMPTS, REPLIES) == before  # exact

    loaded.export(tmp_path / "plain")
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(tmp_path / "plain")
    batch = loaded.collate(loaded.encode(PROMPTS, REPLIES))
    with torch.no_grad():
        raw = plain(**batch).logits[:, 0]
    assert torch.allclose(raw, torch.tensor(before), atol=1e-4)
    assert RewardModel.load(tmp_path / "plain").score(PROMPTS, REPLIES) == pytest.approx(before, abs=1e-4)


def test_lora_head_is_trainable_base_frozen(tiny_encoder_dir):
    rm = _build(tiny_encoder_dir, lora=LoraSettings(r=4, alpha=8))
    trainable = {n for n, p in rm.model.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable)
    assert any("classifier" in n for n in trainable) and any("pooler" in n for n in trainable)
    assert not any("word_embeddings" in n for n in trainable)


def test_disable_dropout_leaves_loras_own_dropout_to_lora_dropout(tiny_encoder_dir):
    assert LoraSettings().dropout == 0.0  # a default run stays deterministic
    rm = _build(tiny_encoder_dir, lora=LoraSettings(r=4, dropout=0.3))  # lora_B drawn non-zero by _build
    named = list(rm.model.named_modules())
    lora = [m for n, m in named if ".lora_dropout." in n]
    backbone = [m for n, m in named if isinstance(m, torch.nn.Dropout) and ".lora_dropout." not in n]
    assert lora and all(m.p == 0.3 for m in lora)
    assert backbone and all(m.p == 0.0 for m in backbone)  # BERT's hidden and attention dropout
    batch = rm.collate(rm.encode(PROMPTS, REPLIES))
    rm.model.train()
    with torch.no_grad():
        assert not torch.allclose(rm.forward(batch), rm.forward(batch))  # LoRA's dropout acts in training
    plain = _build(tiny_encoder_dir, lora=LoraSettings(r=4))
    plain.model.train()
    with torch.no_grad():
        assert torch.equal(plain.forward(batch), plain.forward(batch))  # nothing else does


@pytest.mark.parametrize("lora", [True, False])
def test_mean_pooling_scores_the_masked_mean_and_survives_save_and_export(lora, tiny_encoder_dir, tmp_path):
    rm = _build(tiny_encoder_dir, pooling="mean", lora=LoraSettings(enabled=lora, r=4, alpha=8))
    assert rm.contract.pooling == "mean"
    pooler = [n for n, p in rm.model.named_parameters() if "pooler" in n and p.requires_grad]
    assert pooler == []  # the [CLS] pooler plays no part in a mean-pooled score
    rm.model.eval()
    scores = rm.score(PROMPTS, REPLIES)
    # the oracle: padding-free, one input at a time, the trunk's states averaged by hand
    inner = rm.model.get_base_model() if lora else rm.model
    for prompt, reply, score in zip(PROMPTS, REPLIES, scores):
        batch = rm.collate(rm.encode([prompt], [reply]))
        with torch.no_grad():
            hidden = inner.bert(**batch).last_hidden_state[0]
            expected = float(inner.classifier(hidden.mean(0))[0])
        assert score == pytest.approx(expected, abs=1e-5)
    rm.save(tmp_path / "rm")
    assert RewardModel.load(tmp_path / "rm").score(PROMPTS, REPLIES) == pytest.approx(scores, abs=1e-5)
    rm.export(tmp_path / "plain")  # the contract goes with the export, so rlhf_rm scores it the same
    assert RewardModel.load(tmp_path / "plain").score(PROMPTS, REPLIES) == pytest.approx(scores, abs=1e-5)


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("lora", [True, False])
def test_inference_runs_the_last_layer_for_cls_alone_with_the_models_own_scores(attn, lora, tiny_encoder_dir):
    rm = _build(tiny_encoder_dir, lora=LoraSettings(enabled=lora, r=4, alpha=8))
    rm.model.eval()
    inner = rm.model.get_base_model() if lora else rm.model
    inner.set_attn_implementation(attn)
    items = rm.encode(PROMPTS * 2, REPLIES * 2)
    padded = rm.collate(items)  # mixed lengths: a padding mask
    equal = rm.collate([items[1], items[4]])  # one length: no mask at all
    assert padded["attention_mask"].min() == 0 and equal["attention_mask"].min() == 1
    positions = []  # how many positions the last layer's feed-forward ran on
    hook = inner.bert.encoder.layer[-1].intermediate.register_forward_hook(lambda m, i, o: positions.append(o.shape[1]))
    try:
        for batch in (padded, equal):
            with torch.inference_mode():
                expected = rm.model(**batch).logits[:, 0]
                assert torch.allclose(bert_cls_scores(inner, batch), expected, rtol=0, atol=1e-5)
                assert torch.allclose(sequence_scores(rm.model, batch, "cls_pooler"), expected, rtol=0, atol=1e-5)
            with torch.no_grad():
                assert torch.allclose(rm.forward(batch), expected, rtol=0, atol=1e-5)
            trained = sequence_scores(rm.model, batch, "cls_pooler")  # with grad: the model's own forward
            assert trained.requires_grad and torch.allclose(trained.detach(), expected, rtol=0, atol=1e-5)
    finally:
        hook.remove()
    t1, t2 = padded["input_ids"].shape[1], equal["input_ids"].shape[1]
    assert positions == [t1, 1, 1, 1, t1, t2, 1, 1, 1, t2]


def test_micro_batches_cap_inputs_and_padded_tokens():
    lengths = [5, 40, 12, 40, 7, 3, 100, 12]  # longest first: 6, 1, 3, 2, 7, 4, 0, 5
    assert micro_batches(lengths, 3) == [[6, 1, 3], [2, 7, 4], [0, 5]]
    # at most 50 padded tokens (longest x count), but an input longer than that still gets a batch
    assert micro_batches(lengths, 3, max_tokens=50) == [[6], [1], [3], [2, 7, 4], [0, 5]]
    assert micro_batches([], 3, max_tokens=50) == []


def _partition_cost(lengths, batches, overhead):
    return sum(overhead + len(b) * max(lengths[i] for i in b) for b in batches)


@pytest.mark.parametrize("seed", range(30))
def test_micro_batches_with_a_forward_overhead_find_the_cheapest_cuts(seed):
    import itertools
    import random

    rng = random.Random(seed)
    lengths = [rng.randint(1, 60) for _ in range(rng.randint(1, 8))]
    batch_size, max_tokens, overhead = rng.choice([2, 3, 8]), rng.choice([None, 90]), rng.choice([1.0, 12.5, 80.0])
    batches = micro_batches(lengths, batch_size, max_tokens, overhead)
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    assert [i for b in batches for i in b] == order  # longest first, every input once

    def allowed(b):
        return len(b) <= batch_size and (len(b) == 1 or not max_tokens or len(b) * lengths[b[0]] <= max_tokens)

    assert all(allowed(b) for b in batches)
    best = min(  # every way to cut the sorted order into contiguous batches
        _partition_cost(lengths, parts, overhead)
        for cuts in itertools.product([False, True], repeat=len(order) - 1)
        for parts in [[order[i:j] for i, j in zip([0] + [k + 1 for k, c in enumerate(cuts) if c],
                                                   [k + 1 for k, c in enumerate(cuts) if c] + [len(order)])]]
        if all(allowed(b) for b in parts)
    )
    assert _partition_cost(lengths, batches, overhead) == pytest.approx(best)


def test_micro_batches_weigh_padding_against_the_forward_overhead():
    lengths = [2, 10, 2, 10, 2, 10]
    assert micro_batches(lengths, 8, overhead_tokens=5) == [[1, 3, 5], [0, 2, 4]]  # 46 < 65 in one batch
    assert micro_batches(lengths, 8, overhead_tokens=100) == [[1, 3, 5, 0, 2, 4]]  # 160 < 230 in two


def test_the_cpu_forward_overhead_grows_with_model_size_against_its_per_token_cost(tiny_encoder_dir):
    from rlhf_rm.model.score import forward_overhead_tokens

    small = forward_overhead_tokens(_build(tiny_encoder_dir).model)
    minilm = forward_overhead_tokens(build_reward_model(ModelSettings(name_or_path="minilm")).model)
    assert 30 < minilm < 50 and small > 10 * minilm  # MiniLM measured ~40 (10.8 ms vs 0.27 ms a token)


def test_scores_do_not_depend_on_the_micro_batching(tiny_encoder_dir):
    rm = _build(tiny_encoder_dir)
    items = rm.encode(PROMPTS * 3, REPLIES * 3)
    one_by_one = rm.score_encoded(items, batch_size=1)
    for batch_size, max_tokens in ((64, None), (64, 60), (4, 1000)):
        assert rm.score_encoded(items, batch_size, max_tokens) == pytest.approx(one_by_one, abs=1e-5)
    for overhead in (1.0, 30.0):  # the CPU cuts by the forward's fixed cost
        rm._overhead_tokens = overhead
        assert rm.score_encoded(items, 64) == pytest.approx(one_by_one, abs=1e-5)


def test_mean_pooling_is_refused_for_decoders(tiny_decoder_dir):
    with pytest.raises(ValueError, match="pooling=mean is for encoders"):
        build_reward_model(ModelSettings(name_or_path=str(tiny_decoder_dir), pooling="mean"))


def test_length_debiased_contract_survives_save_load_and_export(tiny_encoder_dir, tmp_path):
    rm = _build(tiny_encoder_dir)
    rm.contract.length_debias, rm.contract.length_beta = "lc_bt", 0.42
    before = rm.score(PROMPTS, REPLIES)
    rm.save(tmp_path / "rm")
    loaded = RewardModel.load(tmp_path / "rm")
    assert (loaded.contract.length_debias, loaded.contract.length_beta) == ("lc_bt", 0.42)
    assert loaded.score(PROMPTS, REPLIES) == before  # the length term is not part of the score
    loaded.export(tmp_path / "plain")
    exported = RewardModel.load(tmp_path / "plain")
    assert (exported.contract.length_debias, exported.contract.length_beta) == ("lc_bt", 0.42)
    assert exported.score(PROMPTS, REPLIES) == pytest.approx(before, abs=1e-4)
    # a contract naming an unknown method is refused with the field's name
    path = tmp_path / "rm" / CONTRACT_FILE
    path.write_text(path.read_text().replace('"lc_bt"', '"odin"'))
    with pytest.raises(ValueError, match="contract field 'length_debias' is 'odin'"):
        RewardModel.load(tmp_path / "rm")


def test_a_quantized_base_without_lora_is_refused_before_loading(tiny_decoder_dir):
    settings = ModelSettings(name_or_path=str(tiny_decoder_dir), quantization="4bit", lora=LoraSettings(enabled=False))
    with pytest.raises(ValueError, match="quantized base cannot be fully fine-tuned"):
        build_reward_model(settings)


# ---- every backbone family: the head is saved, so a reload scores the same ---------------------

# Decoder families a reward model is commonly built on (any decoder reads its score at the last token).
DECODER_TYPES = ["llama", "mistral", "qwen2", "qwen3", "gemma", "phi3", "gpt2"]
FAMILY_WORDS = "the a cat dog sun is big small in park she saw they run and jump happy".split()
FAMILY_PROMPTS = ["the cat is big", "a dog in the park", "she saw the sun"]
FAMILY_REPLIES = ["they run and jump", "the dog is happy", "a small cat"]


def _family_tokenizer(architecture: str, token_types: bool):
    """A word-level tokenizer: [CLS] a [SEP] b [SEP] pairs for encoders, <s> text for decoders."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] if architecture == "encoder" else ["<pad>", "<unk>", "<s>", "</s>"]
    tok = Tokenizer(models.WordLevel(vocab={t: i for i, t in enumerate(specials + FAMILY_WORDS)}, unk_token=specials[1]))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if architecture == "encoder":
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
        names = ["input_ids", "token_type_ids", "attention_mask"] if token_types else ["input_ids", "attention_mask"]
        return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                       sep_token="[SEP]", mask_token="[MASK]", model_input_names=names)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<s>",
                                   eos_token="</s>", model_input_names=["input_ids", "attention_mask"])


def _family_backbone(model_type: str, folder) -> str:
    """A tiny headless backbone of ``model_type`` (as a pretrained one is published: no score head)."""
    from transformers import AutoConfig, AutoModel

    from rlhf_rm.model.arch import ENCODER_TYPES

    arch = "encoder" if model_type in ENCODER_TYPES else "decoder"
    sizes = dict(vocab_size=32, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                 intermediate_size=64, max_position_embeddings=64, pad_token_id=0, head_dim=16)
    sizes.update({"distilbert": dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64), "albert": dict(embedding_size=16),
                  "gpt2": dict(n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=2, eos_token_id=3),
                  }.get(model_type, {}))
    if arch == "decoder":
        sizes.update(bos_token_id=2, eos_token_id=3)
    config = AutoConfig.for_model(model_type, **sizes)
    torch.manual_seed(0)
    AutoModel.from_config(config).save_pretrained(folder)
    _family_tokenizer(arch, (getattr(config, "type_vocab_size", 0) or 0) > 1).save_pretrained(folder)
    return str(folder)


def _family_ids():
    from rlhf_rm.model.arch import ENCODER_TYPES

    return sorted(ENCODER_TYPES) + DECODER_TYPES


@pytest.mark.parametrize("model_type", _family_ids())
def test_every_backbone_family_trains_and_scores_the_same_after_save_and_load(model_type, tmp_path, one_thread):
    base = _family_backbone(model_type, tmp_path / "base")
    rm = _build(base, max_length=24, max_response_tokens=8, lora=LoraSettings(r=4, alpha=8))
    head = [n for n, p in rm.model.named_parameters() if p.requires_grad and "lora_" not in n]
    assert head and all("modules_to_save" in n for n in head), head  # the head is trained and saved in full
    # one pairwise step: the head and the adapter train together
    rm.model.train()
    batch = rm.collate(rm.encode(FAMILY_PROMPTS * 2, FAMILY_REPLIES + FAMILY_REPLIES[::-1]))
    rewards = sequence_scores(rm.model, batch, rm.contract.pooling)
    loss = -torch.nn.functional.logsigmoid(rewards[:3] - rewards[3:]).mean()
    loss.backward()
    with torch.no_grad():
        for p in rm.model.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad
    assert all(rm.model.get_parameter(n).grad is not None for n in head)
    before = rm.score(FAMILY_PROMPTS, FAMILY_REPLIES)
    rm.save(tmp_path / "rm")
    after = RewardModel.load(tmp_path / "rm").score(FAMILY_PROMPTS, FAMILY_REPLIES)
    assert after == pytest.approx(before, abs=1e-6)


def test_distilbert_builds_where_peft_matches_head_names_by_suffix(tmp_path, monkeypatch, one_thread):
    """peft releases this project supports (0.17 on) matched ``modules_to_save`` by name suffix and
    added only classifier/score themselves: ``classifier`` then named DistilBERT's
    ``pre_classifier`` too, which all-linear LoRA had already wrapped (a TypeError). Emulated here
    on the installed peft, whose matching needs a whole name."""
    import peft.peft_model
    import peft.utils.other

    monkeypatch.setattr(peft.utils.other, "_is_valid_match", lambda key, target: key.endswith(target))
    monkeypatch.setattr(peft.peft_model, "CLASSIFIER_MODULE_NAMES", ("classifier", "score"))
    rm = _build(_family_backbone("distilbert", tmp_path / "base"), max_length=24, max_response_tokens=8,
                lora=LoraSettings(r=4, alpha=8))
    head = {n.split(".modules_to_save")[0] for n, p in rm.model.named_parameters() if "modules_to_save" in n}
    assert head == {"base_model.model.pre_classifier", "base_model.model.classifier"}
    assert not any("lora_" in n for n, _ in rm.model.named_parameters() if "classifier" in n)
    before = rm.score(FAMILY_PROMPTS, FAMILY_REPLIES)
    rm.save(tmp_path / "rm")
    assert RewardModel.load(tmp_path / "rm").score(FAMILY_PROMPTS, FAMILY_REPLIES) == pytest.approx(before, abs=1e-6)


def test_a_bf16_published_base_trained_in_float32_loads_and_scores_as_at_train_time(tmp_path, one_thread):
    """transformers loads a checkpoint in its own dtype when none is named: without the training
    dtype from the contract, the reward model would score in bf16 (and RewardFunction would not merge)."""
    from rlhf_rm.reward import RewardFunction

    base = _family_backbone("bert", tmp_path / "base")
    from transformers import AutoModel

    AutoModel.from_pretrained(base).to(torch.bfloat16).save_pretrained(base)  # published in bf16
    rm = _build(base, max_length=24, max_response_tokens=8, lora=LoraSettings(r=4, alpha=8))  # dtype float32
    assert {p.dtype for p in rm.model.parameters()} == {torch.float32}
    before = rm.score(FAMILY_PROMPTS, FAMILY_REPLIES)
    rm.save(tmp_path / "rm")
    assert json.loads((tmp_path / "rm" / CONTRACT_FILE).read_text())["dtype"] == "float32"
    loaded = RewardModel.load(tmp_path / "rm")
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    assert loaded.score(FAMILY_PROMPTS, FAMILY_REPLIES) == pytest.approx(before, abs=1e-6)
    reward = RewardFunction.from_pretrained(tmp_path / "rm", device="cpu")
    assert not hasattr(reward.models[0].model, "merge_and_unload")  # float32: the adapter was merged
    assert reward.raw_scores(FAMILY_PROMPTS, FAMILY_REPLIES) == pytest.approx(before, abs=1e-5)  # merge rounding
    # a contract written before the dtype was recorded loads in the checkpoint's dtype, as it did
    path = tmp_path / "rm" / CONTRACT_FILE
    old = json.loads(path.read_text())
    del old["dtype"]
    path.write_text(json.dumps(old))
    older = RewardModel.load(tmp_path / "rm").model.get_base_model()
    assert older.bert.embeddings.word_embeddings.weight.dtype == torch.bfloat16
