"""The one policy side: rendering, sampling, cutting at the stop -- and every caller on it.

The central test runs rerank, chat, the best-of-n curve and a PPO run through their own code and
records the prompt each hands to ``generate``: for a policy without a chat template and for one
with, all four give the policy the same ids, whose text is written out here by hand.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from rlhf_rm.policy import (
    FALLBACK_TEMPLATE,
    Sampling,
    cut_replies,
    encode_prompt,
    load_policy,
    render_prompt,
    reply_mask,
    sample_replies,
    trl_prompt,
)

pytestmark = pytest.mark.usefixtures("one_thread")

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SYSTEM, HI = {"role": "system", "content": "Be brief."}, {"role": "user", "content": "How are you?"}


@pytest.fixture(scope="module")
def policies(tiny_decoder_dir, tmp_path_factory) -> dict[str, Path]:
    """The tiny Llama (GPT-2 tokenizer, no chat template) and the same model with a ChatML template."""
    from transformers import AutoTokenizer

    chat_dir = tmp_path_factory.mktemp("chat_policy")
    shutil.copytree(tiny_decoder_dir, chat_dir, dirs_exist_ok=True)
    tok = AutoTokenizer.from_pretrained(chat_dir)
    tok.chat_template = CHATML
    tok.save_pretrained(chat_dir)
    return {"plain": tiny_decoder_dir, "chat": chat_dir}


def expected_text(kind: str, messages: list[dict]) -> str:
    """The prompt text written out by hand: role-tagged turns, or ChatML."""
    if kind == "plain":
        return "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages) + "Assistant:"
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"


@pytest.fixture
def generate_calls(monkeypatch) -> list[list[int]]:
    """Every prompt any Llama's ``generate`` is given, left padding removed."""
    from transformers import LlamaForCausalLM

    calls: list[list[int]] = []
    original = LlamaForCausalLM.generate

    def recording(self, *args, **kwargs):
        for ids, mask in zip(kwargs["input_ids"].tolist(), kwargs["attention_mask"].tolist()):
            calls.append([t for t, m in zip(ids, mask) if m])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LlamaForCausalLM, "generate", recording)
    return calls


def zero_reward(prompts, completions, **kwargs):
    return [0.0] * len(completions)


def via_rerank(folder: Path, conversation: list[dict]) -> None:
    from rlhf_rm.rerank import best_of_n

    model, tok = load_policy(str(folder))
    best_of_n(zero_reward, [conversation], policy=model, tokenizer=tok, n=2, sampling=Sampling(max_new_tokens=2))


def via_bon_curve(folder: Path, conversation: list[dict]) -> None:
    from rlhf_rm.evaluate import bon_curve, generate_candidates

    model, tok = load_policy(str(folder))
    generate = lambda p, n: generate_candidates(model, p, n, tokenizer=tok, max_new_tokens=2)  # noqa: E731
    bon_curve(generate, zero_reward, zero_reward, [conversation], ns=(1, 2))


def via_ppo(folder: Path, conversation: list[dict], tmp_path: Path) -> list[str]:
    """One PPO update plus its evaluation on a prompts file; returns the prompt texts the reward saw."""
    from rlhf_rm.ppo.settings import PPOConfig, PolicyLora
    from rlhf_rm.ppo.loop import run_ppo

    seen: list[str] = []

    def reward(prompts, completions, prompt_texts=None, **kwargs):
        seen.extend(prompt_texts)
        return [0.0] * len(completions)

    prompts_file = tmp_path / "prompts.jsonl"
    prompts_file.write_text(json.dumps({"prompt": conversation}) + "\n")
    cfg = PPOConfig(model=str(folder), reward="unused", prompts_file=str(prompts_file), eval_fraction=0.0,
                    max_new_tokens=2, rollout_batch_size=2, num_minibatches=1, ppo_epochs=1, total_updates=1,
                    lora=PolicyLora(enabled=False), output_dir=str(tmp_path / "ppo"), tensorboard=False,
                    progress=False, plot=False, checkpoint_every=0, eval_samples_per_prompt=1)
    run_ppo(cfg, reward_fn=reward)
    return seen


def via_chat(folder: Path, turns: list[str]) -> list[str]:
    """A chat session of ``turns`` user lines; returns the bot's replies."""
    from rlhf_rm.cli.chat import chat

    out = io.StringIO()
    chat(str(folder), max_new_tokens=3, stdin=io.StringIO("".join(t + "\n" for t in turns) + "\n"), stdout=out)
    return re.findall(r"bot> (.*?)\nyou> ", out.getvalue(), flags=re.DOTALL)


@pytest.mark.parametrize("kind", ["plain", "chat"])
def test_rerank_chat_bon_curve_and_ppo_give_the_policy_the_same_prompt(kind, policies, generate_calls, tmp_path):
    folder = policies[kind]
    _, tok = load_policy(str(folder))
    # chat: two turns, so its second prompt is a multi-turn conversation with its own first reply
    replies = via_chat(folder, ["How are you?", "Tell me more."])
    conversation = [HI, {"role": "assistant", "content": replies[0]}, {"role": "user", "content": "Tell me more."}]
    want = expected_text(kind, conversation)
    want_ids = tok(want, add_special_tokens=kind == "plain").input_ids
    assert tok.decode(want_ids) == want  # GPT-2's byte-level BPE: the ids are this text, nothing else
    assert generate_calls == [tok(expected_text(kind, [HI]), add_special_tokens=kind == "plain").input_ids, want_ids]

    for caller in (via_rerank, via_bon_curve):
        generate_calls.clear()
        caller(folder, conversation)
        assert generate_calls == [want_ids], caller.__name__
    generate_calls.clear()
    ppo_texts = via_ppo(folder, conversation, tmp_path)
    assert generate_calls and all(ids == want_ids for ids in generate_calls)
    assert ppo_texts and set(ppo_texts) == {want}


@pytest.mark.parametrize("kind", ["plain", "chat"])
def test_system_turn_and_string_prompts_render_by_one_rule(kind, policies):
    _, tok = load_policy(str(policies[kind]))
    conversation = [SYSTEM, HI]
    assert render_prompt(conversation, tok) == expected_text(kind, conversation)
    # a string is one user turn for a chat model, and text to continue as it is for a plain LM
    assert render_prompt("Once upon a time", tok) == (
        "Once upon a time" if kind == "plain" else expected_text("chat", [{"role": "user", "content": "Once upon a time"}]))
    encoded = encode_prompt(conversation, tok)
    assert encoded.prompt == conversation and encoded.text == render_prompt(conversation, tok)


@pytest.mark.parametrize("kind", ["plain", "chat"])
def test_a_long_conversation_loses_its_oldest_turns_at_message_boundaries(kind, policies):
    """Never cut through a template header or role tag: whole turns go, oldest first, the kept
    part starts at a user turn and keeps the system turn; what the reward sees is what was kept."""
    from rlhf_rm.policy import PromptTooLong

    _, tok = load_policy(str(policies[kind]))
    old = [{"role": "user", "content": "Tell me a long story " * 8}, {"role": "assistant", "content": "Once " * 20}]
    conversation = [SYSTEM, *old, HI]
    kept = [SYSTEM, HI]
    budget = len(encode_prompt(kept, tok).ids)
    encoded = encode_prompt(conversation, tok, max_tokens=budget)
    assert encoded.prompt == kept and encoded.text == expected_text(kind, kept)
    assert encoded.ids == encode_prompt(kept, tok).ids
    # no room for the system turn: the last user turn alone
    alone = encode_prompt(conversation, tok, max_tokens=len(encode_prompt([HI], tok).ids))
    assert alone.prompt == [HI]
    with pytest.raises(PromptTooLong, match="not even its last user turn"):
        encode_prompt(conversation, tok, max_tokens=3)


def test_plain_text_for_a_template_less_policy_keeps_its_last_tokens(policies):
    _, tok = load_policy(str(policies["plain"]))
    story = "Once upon a time there was a little cat who liked the sun."
    encoded = encode_prompt(story, tok, max_tokens=4)
    assert encoded.ids == tok(story).input_ids[-4:] and encoded.text == tok.decode(encoded.ids)
    assert encoded.prompt == story


def test_the_reward_server_reads_the_fallback_prompt_back_into_messages(policies):
    """PPO's prompt texts reach a reward server (OpenRLHF protocol): it recovers the conversation."""
    from rlhf_rm.serve.transcripts import Transcript, split_query

    _, tok = load_policy(str(policies["plain"]))
    conversation = [SYSTEM, HI, {"role": "assistant", "content": "Fine."}, {"role": "user", "content": "And you?"}]
    text = render_prompt(conversation, tok)
    assert split_query(text + " Good.", text) == Transcript("roles", conversation, "Good.")


def test_the_fallback_is_the_contracts_template_and_pretraining_text():
    from rlhf_rm.contract import ROLES_TEMPLATE
    from rlhf_rm.data import render_transcript

    assert FALLBACK_TEMPLATE == ROLES_TEMPLATE
    # the fallback prompt is the pretraining transcript up to the reply: the LM continues it
    transcript = render_transcript([SYSTEM, HI], "Fine.")
    assert transcript == expected_text("plain", [SYSTEM, HI]) + " Fine."


def test_fallback_text_gets_the_tokenizers_bos_and_a_template_does_not(stories_tokenizer):
    tok = stories_tokenizer
    assert not tok.chat_template
    assert encode_prompt([HI], tok).ids[0] == tok.bos_token_id == 1  # as in pretraining
    assert encode_prompt("Once", tok).ids == tok("Once").input_ids
    tok.chat_template = "{{ bos_token }}" + CHATML  # a template that writes its own BOS
    ids = encode_prompt([HI], tok).ids
    assert ids[0] == 1 and ids[1] != 1  # its BOS once, not the tokenizer's on top


def test_a_prompt_must_be_text_or_messages(policies):
    _, tok = load_policy(str(policies["plain"]))
    for bad in ([], [{"content": "x"}], 3):
        with pytest.raises(TypeError, match="a prompt must be a string or a list of"):
            render_prompt(bad, tok)


def test_sampling_leaves_the_callers_tokenizer_as_it_was(policies):
    from rlhf_rm.evaluate import generate_candidates
    from rlhf_rm.rerank import best_of_n

    model, tok = load_policy(str(policies["plain"]))
    assert tok.pad_token is None  # GPT-2 has none: the sampler must pad without setting one

    def state():
        return (tok.pad_token, tok.pad_token_id, tok.padding_side, tok.truncation_side, tok.chat_template,
                dict(tok.special_tokens_map), len(tok))

    before = state()
    prompts = ["a", [HI], "a much longer prompt than the first one"]
    sample_replies(model, tok, prompts, 2, Sampling(max_new_tokens=2))
    best_of_n(zero_reward, prompts, policy=model, tokenizer=tok, n=2, sampling=Sampling(max_new_tokens=2))
    generate_candidates(model, prompts, 2, tokenizer=tok, max_new_tokens=2)
    assert state() == before


def test_replies_are_cut_before_the_first_stop_token(policies, monkeypatch):
    model, tok = load_policy(str(policies["plain"]))
    a, b, c = (tok(w, add_special_tokens=False).input_ids[0] for w in ("cat", " sat", " down"))
    stop_extra = tok(".", add_special_tokens=False).input_ids[0]
    eos = tok.eos_token_id
    configs = []

    def fixed_generate(input_ids, attention_mask, generation_config):
        configs.append(generation_config)
        new = torch.tensor([[a, b, stop_extra, c], [a, eos, b, b], [a, b, c, c]])  # (B * n, R), n=3
        return torch.cat([input_ids.repeat_interleave(3, dim=0), new], dim=1)

    monkeypatch.setattr(model, "generate", fixed_generate)
    samples = sample_replies(model, tok, ["x"], 3, Sampling(max_new_tokens=4, stop_token_ids=(stop_extra,)))
    assert samples.texts == [["cat sat", "cat", "cat sat down down"]]
    assert samples.finished == [[True, True, False]]
    assert set(configs[0].eos_token_id) == {eos, stop_extra} and configs[0].num_return_sequences == 3

    ids = torch.tensor([[a, stop_extra, b], [a, b, c]])
    mask, ended = reply_mask(ids, [stop_extra])
    assert mask.tolist() == [[1, 1, 0], [1, 1, 1]] and ended.tolist() == [True, False]  # the stop is in the mask
    assert cut_replies(tok, ids, [stop_extra]).texts == ["cat", "cat sat down"]  # the text is not


def test_sampling_refuses_n_greedy_copies_and_no_stop(policies):
    model, tok = load_policy(str(policies["plain"]))
    with pytest.raises(ValueError, match="temperature 0"):
        sample_replies(model, tok, ["x"], 2, Sampling(temperature=0))
    with pytest.raises(ValueError, match="n must be at least 1"):
        sample_replies(model, tok, ["x"], 0)


@pytest.mark.parametrize("kind", ["plain", "chat"])
def test_grpo_recipe_prompts_render_in_trl_to_the_same_text(kind, policies, grpo_recipe):
    from trl.data_utils import maybe_apply_chat_template

    _, tok = load_policy(str(policies[kind]))
    prompts = ["Once upon a time", [SYSTEM, HI]]
    rows = grpo_recipe.prompt_dataset(prompts, tok)
    for prompt, row in zip(prompts, rows):
        assert maybe_apply_chat_template({"prompt": row["prompt"]}, tok)["prompt"] == render_prompt(prompt, tok)
        assert row["prompt"] == trl_prompt(prompt, tok)
        assert row["conversation"] == ([{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt)


def test_load_policy_names_a_missing_folder_at_once(tmp_path):
    with pytest.raises(OSError, match=r"^--policy .*no_such_policy: no such folder here"):
        load_policy(str(tmp_path / "no_such_policy"), what="--policy")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match=r"^policy .*empty: a folder without a causal LM"):
        load_policy(str(tmp_path / "empty"))


def test_load_policy_gives_an_eval_mode_model_and_its_tokenizer(policies):
    model, tok = load_policy(str(policies["plain"]))
    assert not model.training
    assert tok("Once upon a time").input_ids and model.config.vocab_size == len(tok)


def test_the_stop_set_is_the_tokenizer_eos_the_model_eos_list_and_the_configured_ids():
    from types import SimpleNamespace

    from rlhf_rm.policy import stop_token_ids

    tokenizer = SimpleNamespace(eos_token_id=2)
    chat_model = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=[2, 7]), config=None)
    assert stop_token_ids(tokenizer, (9, 7), chat_model) == [2, 7, 9]
    assert stop_token_ids(tokenizer) == [2]
    config_only = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=None),
                                  config=SimpleNamespace(eos_token_id=5))
    assert stop_token_ids(tokenizer, (), config_only) == [2, 5]
    with pytest.raises(ValueError, match="no EOS token"):
        stop_token_ids(SimpleNamespace(eos_token_id=None))


def test_ppo_stops_where_the_model_says_a_turn_ends(tiny_lm):
    """A configured stop id adds to the EOS ids; it no longer replaces them."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlhf_rm.ppo.run import _sampling_settings
    from rlhf_rm.ppo.settings import PPOConfig

    lm, tok = AutoModelForCausalLM.from_pretrained(tiny_lm), AutoTokenizer.from_pretrained(tiny_lm)
    lm.generation_config.eos_token_id = [2, 4]
    settings = _sampling_settings(PPOConfig(model=tiny_lm, stop_token_ids=[6]), tok, lm, ["the cat"])
    assert settings.stop_token_ids == [2, 4, 6] and settings.pad_token_id == 3


def test_ppo_leaves_out_and_counts_prompts_whose_last_turn_cannot_fit(policies):
    from rlhf_rm.ppo.prompt_sets import fit_prompts

    _, tok = load_policy(str(policies["chat"]))
    long_question = [{"role": "user", "content": "why " * 50}]
    budget = len(encode_prompt([HI], tok).ids)
    encoded, dropped = fit_prompts([[HI], long_question, [SYSTEM, HI]], tok, budget)
    assert dropped == 1 and [e.prompt for e in encoded] == [[HI], [HI]]


def test_a_template_less_policy_that_writes_the_next_user_turn_is_cut_there(policies):
    """The reward never reads the invented turn; the token completing the role tag ends the
    reply as a stop token would, and the rest is masked out."""
    from rlhf_rm.policy import ROLE_STOP_STRINGS, cut_replies, reply_stop_strings

    _, tok = load_policy(str(policies["plain"]))
    assert reply_stop_strings(tok, [[HI]]) == ROLE_STOP_STRINGS
    assert reply_stop_strings(tok, ["Once upon a time"]) == ()  # text to continue: no role tags
    _, chat_tok = load_policy(str(policies["chat"]))
    assert reply_stop_strings(chat_tok, [[HI]]) == ()  # the template's end-of-turn token stops it
    invented = tok("Fine, thanks.\n\nUser: and you?").input_ids
    plain = tok("Fine, thanks, and you?").input_ids
    width = max(len(invented), len(plain))
    eos = tok.eos_token_id
    ids = torch.tensor([invented + [eos] * (width - len(invented)), plain + [eos] * (width - len(plain))])
    cut = cut_replies(tok, ids, [eos], ROLE_STOP_STRINGS)
    assert cut.texts == ["Fine, thanks.", "Fine, thanks, and you?"]
    colon = next(k for k in range(len(invented)) if "\nUser:" in tok.decode(invented[: k + 1]))
    assert cut.mask[0].tolist() == [1.0] * (colon + 1) + [0.0] * (width - colon - 1)
    assert cut.ended.tolist() == [True, len(plain) < width]
