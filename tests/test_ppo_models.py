"""Policy / reference / critic wiring on a tiny random Llama built from config."""

import pytest
import torch

from rlhf_rm.ppo.algo import logprobs_from_logits
from rlhf_rm.ppo.models import build_actor_critic
from rlhf_rm.ppo.rollout import MergedHFGenerator, SamplingSettings, generation_config, hf_sample, left_pad


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
