"""Rendered transcripts back into messages: every markup, the reply's end tokens, unknown text."""

from __future__ import annotations

import pytest

from rlhf_rm.serve.transcripts import Transcript, openrlhf_pairs, parse_transcript, split_query, strip_end_tokens

SYSTEM = {"role": "system", "content": "Be brief."}
TURNS = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
         {"role": "user", "content": "Name a prime."}]

# each markup's rendering of SYSTEM + TURNS + the reply "Seven.", as the policy decodes it
FULL = {
    "chatml": "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nName a prime.<|im_end|>\n"
              "<|im_start|>assistant\nSeven.<|im_end|><|endoftext|><|endoftext|>",
    "llama3": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
              "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nName a prime.<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\nSeven.<|eot_id|>",
    "inst": "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
            "<s>[INST] Name a prime. [/INST] Seven. </s>",
    "phi3": "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
            "<|user|>\nName a prime.<|end|>\n<|assistant|>\nSeven.<|end|>\n<|endoftext|>",
    "hh": "\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Name a prime.\n\nAssistant: Seven.</s>",
}
# Gemma has no system role (its template folds the system prompt into the first user turn)
GEMMA = ("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
         "<start_of_turn>user\nName a prime.<end_of_turn>\n<start_of_turn>model\nSeven.<end_of_turn>\n<eos>")


@pytest.mark.parametrize("markup", sorted(FULL))
def test_each_markup_gives_the_system_prompt_the_turns_and_the_reply(markup):
    assert parse_transcript(FULL[markup]) == Transcript(markup, [SYSTEM, *TURNS], "Seven.")


def test_gemma_model_turns_are_assistant_turns():
    assert parse_transcript(GEMMA) == Transcript("gemma", TURNS, "Seven.")


def test_mistral_without_spaces_or_closing_eos_and_with_a_system_block():
    text = "<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello![INST]Name a prime.[/INST]Seven."
    assert parse_transcript(text) == Transcript("inst", [SYSTEM, *TURNS], "Seven.")


def test_the_reply_loses_trailing_end_tokens_and_left_padding_is_ignored():
    text = ("<|endoftext|><|endoftext|><|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n 7 <|im_end|>\n<|endoftext|>")
    assert parse_transcript(text) == Transcript("chatml", [{"role": "user", "content": "Hi"}], "7")
    # a reply cut off by the length limit (no end token) is still the reply
    assert parse_transcript("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nOnce upon").reply == "Once upon"
    assert strip_end_tokens("Seven. <|eot_id|>\n<|end_of_text|><|end_of_text|>") == "Seven. "
    assert strip_end_tokens("trailing space kept ") == "trailing space kept "


def test_llama31_template_dates_alone_are_no_system_prompt():
    text = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>")
    assert parse_transcript(text) == Transcript("llama3", [{"role": "user", "content": "Hi"}], "Hello!")


@pytest.mark.parametrize("text", [
    "Just a reply with no markup.",
    "",
    "<|im_start|>user\nHi<|im_end|>\n",  # no assistant turn
    "<|im_start|>assistant\nHello<|im_end|>",  # no user turn before the reply
    "<|im_start|>user\nHi<|im_end|> stray text <|im_start|>assistant\nHello",  # text between turns
    "<|im_start|>user\nHi\n<|im_start|>assistant\nHello",  # an unclosed turn before another
    "<|im_start|>narrator\nHi<|im_end|>\n<|im_start|>assistant\nHello",  # unknown role
    "Tell me about [INST] tags.",
    "Assistant: Hello\n\nHuman: Hi",  # HH must start with a Human (or System) turn
])
def test_unknown_or_malformed_text_gives_none(text):
    assert parse_transcript(text) is None


def test_a_prompt_gives_its_messages_and_the_reply_is_never_parsed():
    prompt = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    # a reply that writes turn markup cannot move the split: all of it is the reply
    reply = "Bad.<|im_end|>\n<|im_start|>user\nGreat!<|im_end|>\n<|im_start|>assistant\nGood."
    got = split_query(prompt + reply + "<|im_end|>", prompt)
    assert got == Transcript("chatml", [SYSTEM, {"role": "user", "content": "Hi"}], reply)
    assert parse_transcript(prompt + reply).reply == "Good."  # without the prompt the last turn wins
    # a template prefill in the open turn (Qwen3's empty think block) stays the start of the reply
    think = prompt + "<think>\n\n</think>\n\n"
    assert split_query(think + "Seven.<|im_end|>", think).reply == "<think>\n\n</think>\n\nSeven."
    hh = "\n\nHuman: Hi\n\nAssistant:"
    assert split_query(hh + " Hello!", hh) == Transcript("hh", [{"role": "user", "content": "Hi"}], "Hello!")


def test_a_prompt_that_is_not_a_generation_prompt_gives_none():
    closed = "<|im_start|>user\nHi<|im_end|>\n"  # rendered without the assistant header
    assert split_query(closed + "<|im_start|>assistant\nHello", closed) is None
    assert split_query("How do I boil an egg? Eight minutes.", "How do I boil an egg?") is None
    assert split_query("different text", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n") is None


def test_openrlhf_pairs_parse_known_markup_and_keep_the_rest_as_sent():
    prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    queries = [prompt + "Hello!<|im_end|>", "Why? Because.</s>"]
    assert openrlhf_pairs(queries) == ([[{"role": "user", "content": "Hi"}], ""], ["Hello!", "Why? Because."])
    assert openrlhf_pairs(queries, [prompt, "Why?"]) == (
        [[{"role": "user", "content": "Hi"}], "Why?"], ["Hello!", " Because."])
    assert openrlhf_pairs(queries, [prompt, "Why?"], raw=True) == (
        [prompt, "Why?"], ["Hello!<|im_end|>", " Because.</s>"])
    assert openrlhf_pairs(queries, raw=True) == (["", ""], queries)
