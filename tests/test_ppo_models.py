"""Policy / reference / critic wiring on a tiny random Llama built from config."""

import pytest
import torch

from rlhf_rm.ppo.algo import logprobs_from_logits
from rlhf_rm.ppo.models import build_actor_critic
from rlhf_rm.policy import SamplingSettings, generation_config, left_pad
from rlhf_rm.ppo.rollout import MergedHFGenerator, hf_sample


pytestmark = pytest.mark.usefixtures("one_thread")


def _perturb_lora(model, scale=0.5):
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in model.lm.named_parameters():
            if "lora_B" in name:
                p.normal_(0, scale)


def _batch():
    ids, mask = left_pad([[1, 5, 6, 7, 8, 9], [1, 10, 11]], pad_token_id=3)
    return ids, mask


def test_reference_is_the_untouched_base(tiny_lm):
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_lm).eval()
    model = build_actor_critic(tiny_lm, lora_enabled=True)
    _perturb_lora(model)
    ids, mask = _batch()
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        want = base(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -5:-1]
        policy = model(ids, mask, 4).logits
    ref = model.reference_logits(ids, mask, 4)
    torch.testing.assert_close(ref, want)
    assert (policy - want).abs().max() > 1e-3  # the adapter does change the policy
    # and nothing but the adapters and the value head can train
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("value_head") for n in trainable)


def test_training_changes_lora_not_base(tiny_lm):
    model = build_actor_critic(tiny_lm, lora_enabled=True)
    base_before = {n: p.clone() for n, p in model.lm.named_parameters() if not p.requires_grad}
    lora_before = {n: p.clone() for n, p in model.lm.named_parameters() if p.requires_grad}
    opt = torch.optim.SGD(model.policy_parameters() + model.critic_parameters(), lr=0.1)
    ids, mask = _batch()
    out = model(ids, mask, 3)
    (out.logits.mean() + out.values.mean()).backward()
    opt.step()
    after = dict(model.lm.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in base_before.items())
    assert any(not torch.equal(after[n], p) for n, p in lora_before.items())


def test_forward_logprobs_match_generate_with_left_padding(tiny_lm):
    model = build_actor_critic(tiny_lm, lora_enabled=True)
    _perturb_lora(model, 0.2)
    ids, mask = _batch()
    settings = SamplingSettings(max_new_tokens=5, temperature=0.7, stop_token_ids=[2], pad_token_id=3)
    config = generation_config(settings)
    torch.manual_seed(0)
    with torch.no_grad():
        gen = model.lm.generate(
            input_ids=ids, attention_mask=mask, generation_config=config, output_scores=True, return_dict_in_generate=True
        )
    response = gen.sequences[:, ids.shape[1] :]
    # generate's processed scores are logits / temperature and nothing else (no top-k etc.)
    gen_lp = torch.stack([torch.log_softmax(s.float(), -1) for s in gen.scores], 1)
    gen_lp = gen_lp.gather(-1, response[..., None]).squeeze(-1)
    full = torch.cat([ids, response], 1)
    full_mask = torch.cat([mask, torch.ones_like(response)], 1)
    with torch.no_grad():
        lp = logprobs_from_logits(model(full, full_mask, response.shape[1]).logits, response, settings.temperature)
    valid = torch.ones_like(lp, dtype=torch.bool)
    for b in range(len(response)):  # after a stop token generate pads; those positions are unused
        hits = (response[b] == 2).nonzero()
        if len(hits):
            valid[b, hits[0, 0] + 1 :] = False
    torch.testing.assert_close(lp[valid], gen_lp[valid], rtol=1e-4, atol=1e-4)


def test_merged_generator_holds_policy_weights(tiny_lm):
    model = build_actor_critic(tiny_lm, lora_enabled=True)
    _perturb_lora(model)
    gen = MergedHFGenerator(SamplingSettings(4, 1.0, [2], 3))
    gen.sync(model)
    ids, mask = _batch()
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        merged = gen.lm(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -4:-1]
    torch.testing.assert_close(merged, model(ids, mask, 3).logits, rtol=1e-4, atol=1e-5)
    # it has no LoRA layers of its own, and a later sync follows the policy
    assert not any("lora" in n for n, _ in gen.lm.named_parameters())
    _perturb_lora(model, 1.0)
    gen.sync(model)
    with torch.no_grad():
        merged = gen.lm(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -4:-1]
    torch.testing.assert_close(merged, model(ids, mask, 3).logits, rtol=1e-4, atol=1e-5)
    out = hf_sample(gen.lm, gen.config, ids, mask)
    assert out.shape[0] == 2 and out.shape[1] <= 4


@pytest.mark.parametrize("lora", [True, False])
def test_separate_critic_trains_its_own_weights(tiny_lm, lora):
    model = build_actor_critic(tiny_lm, lora_enabled=lora, critic="separate")
    policy, critic = model.policy_parameters(), model.critic_parameters()
    assert not {id(p) for p in policy} & {id(p) for p in critic}
    ids, mask = _batch()
    out = model(ids, mask, 3)
    out.values.sum().backward()
    # the value loss reaches the critic's trunk but not the policy
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in policy)
    assert sum(p.grad.abs().sum().item() for p in critic if p.grad is not None) > 0
    model.zero_grad()
    out = model(ids, mask, 3)
    out.logits.sum().backward()
    assert sum(p.grad.abs().sum().item() for p in policy if p.grad is not None) > 0
    # the two groups the optimizer gets hold every trainable weight, the frozen reference none
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert {id(p) for p in policy + critic} == trainable and len(policy) + len(critic) == len(trainable)


def test_full_finetune_reference_is_frozen_copy(tiny_lm):
    model = build_actor_critic(tiny_lm, lora_enabled=False)
    ids, mask = _batch()
    before = model.reference_logits(ids, mask, 3)
    with torch.no_grad():
        for p in model.policy_parameters():
            p.add_(0.1)
    torch.testing.assert_close(model.reference_logits(ids, mask, 3), before)
    assert (model(ids, mask, 3).logits - before).abs().max() > 1e-3


# the generation_config.json fields instruct models ship that would add logits processors
SHIPPED_PENALTIES = {"repetition_penalty": 1.3, "no_repeat_ngram_size": 2, "min_p": 0.05, "top_k": 20,
                     "encoder_repetition_penalty": 1.2}


def _processors_seen(monkeypatch) -> list[list[str]]:
    from transformers.generation.utils import GenerationMixin

    seen: list[list[str]] = []
    real = GenerationMixin._get_logits_processor

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        seen.append(sorted(type(p).__name__ for p in out))
        return out

    monkeypatch.setattr(GenerationMixin, "_get_logits_processor", spy)
    return seen


@pytest.mark.parametrize("generator", ["hf", "hf_merged"])
def test_a_rollout_samples_with_temperature_alone_whatever_the_model_ships(tiny_lm, monkeypatch, generator):
    """PPO's log-probs are softmax(logits / T): no processor from the model's own generation
    config (penalties, min-p, top-k) may shape what the rollout samples."""
    from rlhf_rm.ppo.rollout import HFGenerator

    model = build_actor_critic(tiny_lm, lora_enabled=True)
    for key, value in SHIPPED_PENALTIES.items():
        setattr(model.lm.get_base_model().generation_config, key, value)
    gen = (HFGenerator if generator == "hf" else MergedHFGenerator)(SamplingSettings(4, 0.7, [2], 3))
    gen.sync(model)
    seen = _processors_seen(monkeypatch)
    ids, mask = _batch()
    gen.generate(ids, mask)
    assert seen == [["TemperatureLogitsWarper"]]
    assert model.lm.get_base_model().generation_config.repetition_penalty == 1.3  # the model's own, restored


def test_best_of_n_sampling_uses_only_its_own_settings(tiny_lm, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlhf_rm.policy import Sampling, sample_replies

    lm, tok = AutoModelForCausalLM.from_pretrained(tiny_lm), AutoTokenizer.from_pretrained(tiny_lm)
    for key, value in SHIPPED_PENALTIES.items():
        setattr(lm.generation_config, key, value)
    seen = _processors_seen(monkeypatch)
    sample_replies(lm, tok, ["the cat"], n=2, sampling=Sampling(temperature=0.9, top_p=0.8, max_new_tokens=3))
    assert seen == [["TemperatureLogitsWarper", "TopPLogitsWarper"]]
