"""Encoding by the contract: truncation sides, old contracts, and the character cut before tokenizing."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys

import pytest

import rlhf_rm.model.encode as encode_module
from rlhf_rm.contract import CONTRACT_FILE, ROLES_TEMPLATE, Contract
from rlhf_rm.model import ModelSettings, RewardModel, build_reward_model

LONG_PROMPT = " ".join(f"w{i}" for i in range(100))
LONG_REPLY = " ".join(f"r{i}" for i in range(100))
WORDS = "the cat sat on a mat while it rained and we read books about space time 猫 Zürich, don't!".split()


def _build(folder, **kw) -> RewardModel:
    kw = {"max_length": 48, "max_response_tokens": 16, **kw}
    return build_reward_model(ModelSettings(name_or_path=str(folder), **kw))


def _text(n_words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def _inputs(items) -> list[tuple]:
    """What the model sees of encoded inputs (all but the reply's length, estimated when cut)."""
    return [(e.input_ids, e.token_type_ids, e.truncated, e.reply_truncated) for e in items]


def _no_cut(monkeypatch) -> None:
    """Tokenize every text whole, as encode did before the character cut."""
    monkeypatch.setattr(encode_module, "CHARS_PER_TOKEN", 10**9)


@pytest.mark.parametrize("prompt_side", ["left", "right"])
@pytest.mark.parametrize("reply_side", ["left", "right"])
def test_truncation_sides_follow_the_contract(prompt_side, reply_side, tiny_decoder_dir, tmp_path):
    rm = _build(tiny_decoder_dir, prompt_truncation=prompt_side, response_truncation=reply_side)
    tok = rm.tokenizer
    prompt_ids = tok(rm.render_prompt(LONG_PROMPT), add_special_tokens=False)["input_ids"]
    reply_ids = tok(LONG_REPLY, add_special_tokens=False)["input_ids"]
    # 48 tokens: 1 EOS, the reply its max_response_tokens (16), the prompt the other 31
    kept_prompt = prompt_ids[-31:] if prompt_side == "left" else prompt_ids[:31]
    kept_reply = reply_ids[-16:] if reply_side == "left" else reply_ids[:16]
    (enc,) = rm.encode([LONG_PROMPT], [LONG_REPLY])
    assert enc.input_ids == kept_prompt + kept_reply + [tok.eos_token_id]
    assert enc.truncated and enc.reply_truncated and enc.reply_tokens == len(reply_ids)
    text = tok.decode(enc.input_ids)
    assert ("w99" in text) == (prompt_side == "left") and ("User: w0 " in text) == (prompt_side == "right")
    assert ("r99" in text) == (reply_side == "left") and ("r0 r1" in text) == (reply_side == "right")
    # the sides are saved and read back, and the contract read back encodes the same
    rm.contract.save(tmp_path)
    loaded = Contract.load(tmp_path)
    assert (loaded.prompt_truncation, loaded.response_truncation) == (prompt_side, reply_side)
    assert RewardModel(rm.model, tok, loaded).encode([LONG_PROMPT], [LONG_REPLY]) == [enc]


def test_training_and_an_export_encode_by_the_saved_sides(tiny_decoder_dir, tmp_path):
    from rlhf_rm.train.batches import encode_examples
    from rlhf_rm.data import Example

    rm = _build(tiny_decoder_dir, prompt_truncation="right", response_truncation="left")
    expected = rm.encode([LONG_PROMPT, LONG_PROMPT], [LONG_REPLY, "no"])
    example = Example(prompt=[{"role": "user", "content": LONG_PROMPT}], responses=[LONG_REPLY, "no"])
    (encoded,), truncated = encode_examples(rm, [example])
    assert encoded.replies == expected and truncated == 1
    rm.export(tmp_path / "plain")
    exported = RewardModel.load(tmp_path / "plain")
    assert (exported.contract.prompt_truncation, exported.contract.response_truncation) == ("right", "left")
    assert exported.encode([LONG_PROMPT, LONG_PROMPT], [LONG_REPLY, "no"]) == expected


def test_a_contract_saved_without_truncation_sides_keeps_the_prompt_end_and_reply_start(tiny_decoder_dir, tmp_path):
    rm = _build(tiny_decoder_dir)
    old = dataclasses.asdict(rm.contract)
    del old["prompt_truncation"], old["response_truncation"]  # as a contract written before they existed
    (tmp_path / CONTRACT_FILE).write_text(json.dumps(old))
    contract = Contract.load(tmp_path)
    assert (contract.prompt_truncation, contract.response_truncation) == ("left", "right")
    (enc,) = RewardModel(rm.model, rm.tokenizer, contract).encode([LONG_PROMPT], [LONG_REPLY])
    text = rm.tokenizer.decode(enc.input_ids)
    assert "w99" in text and "w0 " not in text and "r0 r1" in text and "r99" not in text


def test_an_unknown_truncation_side_names_the_file_and_field(tiny_decoder_dir, tmp_path):
    data = dataclasses.asdict(_build(tiny_decoder_dir).contract) | {"response_truncation": "middle"}
    (tmp_path / CONTRACT_FILE).write_text(json.dumps(data))
    with pytest.raises(ValueError, match=rf"{CONTRACT_FILE}: contract field 'response_truncation' is 'middle'"):
        Contract.load(tmp_path)
    with pytest.raises(ValueError, match="prompt_truncation"):
        _build(tiny_decoder_dir, prompt_truncation="start")


@pytest.mark.parametrize("which", ["decoder", "encoder", "encoder, template writes [CLS]"])
@pytest.mark.parametrize("sides", [("left", "right"), ("right", "left")])
def test_the_character_cut_never_changes_the_ids_of_normal_text(which, sides, tiny_decoder_dir, tiny_encoder_dir,
                                                                monkeypatch):
    folder = tiny_decoder_dir if which == "decoder" else tiny_encoder_dir
    template = "[CLS]" + ROLES_TEMPLATE if "[CLS]" in which else "roles"
    rm = _build(folder, prompt_template=template, prompt_truncation=sides[0], response_truncation=sides[1])
    cut_at = encode_module.CHARS_PER_TOKEN * (48 + encode_module.CUT_SLACK_TOKENS)
    prompts = [_text(3000, 0), _text(12, 1), [{"role": "user", "content": _text(2000, 2)},
                                               {"role": "assistant", "content": "ok"}, {"role": "user", "content": "and?"}]]
    replies = [_text(3000, 3), _text(2000, 4), _text(8, 5)]
    assert len(rm.render_prompt(prompts[0])) > cut_at and len(replies[1]) > cut_at  # the cut does happen
    with_cut = rm.encode(prompts, replies)
    _no_cut(monkeypatch)
    whole = rm.encode(prompts, replies)
    assert _inputs(with_cut) == _inputs(whole)
    for cut, full in zip(with_cut, whole):  # a cut reply's length in tokens is estimated from the kept characters
        assert cut.reply_tokens == pytest.approx(full.reply_tokens, rel=0.1)
    if "[CLS]" in which:  # the template's own [CLS] stands in for the tokenizer's, cut or not
        assert rm.tokenizer.convert_ids_to_tokens(with_cut[1].input_ids).count("[CLS]") == 1


def test_a_huge_text_encodes_as_its_kept_side_would(tiny_decoder_dir, monkeypatch):
    rm = _build(tiny_decoder_dir)
    huge_prompt, huge_reply = _text(400_000, 6), _text(400_000, 7)  # ~2 MB each
    (huge,) = rm.encode([huge_prompt], [huge_reply])
    _no_cut(monkeypatch)  # the pre-cut texts below are tokenized whole
    (precut,) = rm.encode([huge_prompt[-5000:]], [huge_reply[:5000]])
    assert huge.input_ids == precut.input_ids and len(huge.input_ids) == 48
    assert huge.reply_tokens > 100_000  # the estimate still says how long the whole reply is


def test_text_of_long_tokens_widens_the_cut_until_it_holds_enough_tokens(tiny_decoder_dir, monkeypatch):
    rm = _build(tiny_decoder_dir)
    rulers = ("=" * 64 + "\n") * 400  # GPT-2: two tokens per 65 characters, far above CHARS_PER_TOKEN
    assert len(rm.tokenizer(rulers[:1024])["input_ids"]) < 48  # the first cut alone holds too few tokens
    prompts, replies = ["hi", rulers], [rulers, "ok"]  # the long side may fill all but a few tokens
    with_cut = rm.encode(prompts, replies)
    _no_cut(monkeypatch)
    assert _inputs(with_cut) == _inputs(rm.encode(prompts, replies))


MEMORY_SCRIPT = """
import json, resource, sys
from rlhf_rm.train.batches import encode_examples
from rlhf_rm.data import load_examples
from rlhf_rm.model import ModelSettings, build_reward_model

rm = build_reward_model(ModelSettings(name_or_path=sys.argv[1], max_length=128, max_response_tokens=64))
peaks = []
for path in sys.argv[2:]:
    data = load_examples(path)
    encoded, truncated = encode_examples(rm, data.examples)
    assert len(encoded) == len(data.examples), path
    peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # peak RSS so far, MB (Linux)
print(json.dumps(peaks))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in kB on Linux only")
def test_a_4_mb_row_costs_no_more_memory_than_the_rest_of_the_file(tiny_decoder_dir, tmp_path):
    rows = [{"prompt": _text(20, i), "chosen": _text(15, i + 100), "rejected": _text(10, i + 200)} for i in range(30)]
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("".join(json.dumps(r) + "\n" for r in rows))
    huge = {"prompt": _text(900_000, 9), "chosen": "Fine.", "rejected": "No."}
    assert len(huge["prompt"]) > 4_000_000
    big.write_text("".join(json.dumps(r) + "\n" for r in rows + [huge]))
    # one process, the small file first: the big file's peak RSS over the small one's is what its
    # 4 MB row costs. (Tokenized whole, that row took ~750 MB here; cut first, a few MB.)
    run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(tiny_decoder_dir), str(small), str(big)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    peak_small, peak_big = json.loads(run.stdout.strip().splitlines()[-1])
    assert peak_big - peak_small < 100, (peak_small, peak_big)


def _encode_one_by_one(rm: RewardModel, prompts, replies) -> list:
    """The reference: each pair alone, its prompt rendered and tokenized through the tokenizer's own calls."""
    out = []
    for prompt, reply in zip(prompts, replies):
        text = rm.tokenizer.apply_chat_template(encode_module.as_messages(prompt), chat_template=rm.contract.prompt_template,
                                                tokenize=False, add_generation_prompt=True)
        p_ids = rm.tokenizer(text, add_special_tokens=False)["input_ids"]
        r_ids = rm.tokenizer(reply, add_special_tokens=False)["input_ids"]
        p = encode_module.Tokenized(p_ids, len(p_ids), False)
        r = encode_module.Tokenized(r_ids, len(r_ids), False)
        prefix = rm.special.prefix if p_ids[: len(rm.special.prefix)] != rm.special.prefix else []
        eos = [rm.contract.eos_token_id] if rm.contract.append_eos else []
        out.append(encode_module._fit(rm.contract, rm.special, prefix, p, r, eos))
    return out


@pytest.mark.parametrize("which", ["decoder", "encoder"])
def test_a_batch_with_repeated_prompts_encodes_as_each_pair_alone(which, tiny_decoder_dir, tiny_encoder_dir):
    rm = _build(tiny_decoder_dir if which == "decoder" else tiny_encoder_dir, max_length=64)
    chat = [{"role": "user", "content": _text(6, 1)}, {"role": "assistant", "content": "ok"},
            {"role": "user", "content": _text(5, 2)}]
    odd = [{"role": "user", "content": _text(4, 3), "meta": {"unhashable": [1]}}]  # rendered, never merged
    prompts = [_text(9, 0), chat, _text(9, 0), odd, chat, "[SEP] Zürich 猫 don't", _text(9, 0), odd]
    replies = [_text(n, 10 + n) for n in range(3, 3 + len(prompts))]
    assert _inputs(rm.encode(prompts, replies)) == _inputs(_encode_one_by_one(rm, prompts, replies))
    assert [e.reply_tokens for e in rm.encode(prompts, replies)] == [
        len(rm.tokenizer(r, add_special_tokens=False)["input_ids"]) for r in replies]
    assert rm.encode([], []) == []


def test_token_ids_falls_back_to_the_tokenizer_when_its_backend_truncates(tiny_encoder_dir):
    tok = _build(tiny_encoder_dir).tokenizer
    texts = [_text(40, 4), "[SEP] [CLS] Zürich"]
    expected = tok(texts, add_special_tokens=False)["input_ids"]
    assert encode_module.token_ids(tok, texts) == expected
    tok.backend_tokenizer.enable_truncation(max_length=5)  # state another caller may leave on the backend
    assert encode_module.token_ids(tok, texts) == expected  # the tokenizer's own call resets it
    assert tok.backend_tokenizer.truncation is None
    tok.split_special_tokens = True  # "[SEP]" in text becomes ordinary word pieces
    split = tok(texts, add_special_tokens=False)["input_ids"]
    assert split != expected and encode_module.token_ids(tok, texts) == split


# a ChatML-like template, each turn closed by <|im_end|> and a newline
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def chat_rm_dir(tmp_path_factory):
    """A third-party-style reward model: a plain Llama sequence classifier (no rlhf_rm.json) whose
    word-level tokenizer has ChatML special tokens and template."""
    from tiny_models import WORDS as TINY_WORDS, save_tiny, tiny_llama_config, tiny_tokenizer
    from transformers import LlamaForSequenceClassification

    tok = tiny_tokenizer(TINY_WORDS + ["user", "assistant", "system"])
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = CHATML
    tok.model_max_length = 64  # the plain contract's max_length
    config = tiny_llama_config(len(tok))
    config.num_labels = 1
    return save_tiny(tmp_path_factory.mktemp("chat_rm"), LlamaForSequenceClassification, config, tok)


def test_a_plain_chat_reward_model_scores_the_whole_conversation_through_its_template(chat_rm_dir):
    import torch

    rm = RewardModel.load(chat_rm_dir)
    assert rm.contract.reply_format == "assistant_turn" and not rm.contract.append_eos
    ids = rm.tokenizer.convert_tokens_to_ids
    prompt = [{"role": "system", "content": "one happy day"}, {"role": "user", "content": "the cat saw a dog"}]
    reply = "the dog was big and red"
    # by hand: <s>, each turn <|im_start|> role words <|im_end|> (the word-level tokenizer drops the
    # newlines), then the reply as an assistant turn closed by its <|im_end|>
    expected = ids(["<s>", "<|im_start|>", "system", "one", "happy", "day", "<|im_end|>",
                    "<|im_start|>", "user", "the", "cat", "saw", "a", "dog", "<|im_end|>",
                    "<|im_start|>", "assistant", "the", "dog", "was", "big", "and", "red", "<|im_end|>"])
    encoded = rm.encode([prompt], [reply])[0]
    assert encoded.input_ids == expected and ids("<unk>") not in expected
    # what RewardBench and TRL feed it: the conversation rendered without a generation prompt
    conversation = prompt + [{"role": "assistant", "content": reply}]
    text = rm.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=False)
    assert text.endswith("red<|im_end|>\n") and rm.tokenizer(text)["input_ids"] == expected
    with torch.inference_mode():
        direct = float(rm.model(input_ids=torch.tensor([expected])).logits[0, 0])
    assert rm.score([prompt], [reply]) == pytest.approx([direct], abs=1e-5)
    # a reply too long to fit loses its end, never the turn's closing token
    long_reply = " ".join(["big"] * 400)
    cut = rm.encode([prompt], [long_reply])[0]
    assert cut.reply_truncated and cut.input_ids[-1] == ids("<|im_end|>") and len(cut.input_ids) == rm.contract.max_length


def test_an_rlhf_rm_model_on_a_chat_base_keeps_its_contracts_reply_format(chat_rm_dir, tmp_path):
    rm = _build(chat_rm_dir)
    assert rm.contract.reply_format == "text" and rm.contract.append_eos  # the reply, then EOS
    ids = rm.tokenizer.convert_tokens_to_ids
    encoded = rm.encode(["the cat"], ["a dog"])[0]
    assert encoded.input_ids == ids(["<s>", "<|im_start|>", "user", "the", "cat", "<|im_end|>",
                                     "<|im_start|>", "assistant", "a", "dog", "</s>"])
    rm.save(tmp_path / "rm")
    assert "reply_format" not in json.loads((tmp_path / "rm" / CONTRACT_FILE).read_text())
    saved = dataclasses.replace(rm.contract, reply_format="assistant_turn")
    saved.save(tmp_path / "rm")
    assert Contract.load(tmp_path / "rm").reply_format == "assistant_turn"
    with pytest.raises(ValueError, match="reply_format"):
        dataclasses.replace(rm.contract, reply_format="turn")
