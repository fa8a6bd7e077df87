"""The optimisation phase: a minibatch split into micro-batches takes the step one pass would take."""

import copy
from types import SimpleNamespace

import pytest
import torch

from rlhf_rm.ppo.distributed import Dist
from rlhf_rm.ppo.models import build_actor_critic
from rlhf_rm.ppo.rollout import Rollout, left_pad
from rlhf_rm.ppo.update import PPOSettings, ppo_update


pytestmark = pytest.mark.usefixtures("one_thread")


def _rollout(model) -> Rollout:
    torch.manual_seed(0)
    query_ids, query_mask = left_pad([[1, 5, 6, 7], [1, 8], [1, 9, 10], [1, 11, 12, 13], [1, 14], [1, 15, 16]], 3)
    B, R = len(query_ids), 5
    response_ids = torch.randint(4, 40, (B, R))
    # replies of different lengths: micro-batches hold different shares of the minibatch's tokens
    lengths = torch.tensor([5, 1, 3, 5, 2, 4])
    mask = (torch.arange(R) < lengths[:, None]).float()
    with torch.no_grad():
        out = model(torch.cat([query_ids, response_ids], 1), torch.cat([query_mask, torch.ones_like(response_ids)], 1), R)
        logprobs = torch.log_softmax(out.logits, -1).gather(-1, response_ids[..., None]).squeeze(-1)
    return Rollout(
        query_ids=query_ids,
        query_mask=query_mask,
        response_ids=response_ids,
        mask=mask,
        ended=torch.ones(B, dtype=torch.bool),
        logprobs=(logprobs + 0.1 * torch.randn(B, R)) * mask,  # an older policy: some ratios clip
        ref_logprobs=logprobs * mask,
        values=torch.randn(B, R) * mask,
        entropy=torch.zeros(B, R),
        scores=torch.zeros(B),
        completions=[""] * B,
    )


@pytest.mark.parametrize("micro_batch_size", [1, 2, 4])
def test_micro_batches_take_the_step_of_one_pass(tiny_lm, micro_batch_size):
    model = build_actor_critic(tiny_lm, lora_enabled=True)
    with torch.no_grad():  # a policy that is not the base, and a critic that is not zero
        for name, p in model.named_parameters():
            if "lora_B" in name or name.startswith("value_head"):
                p.normal_(0, 0.3, generator=torch.Generator().manual_seed(1))
    ro = _rollout(model)
    advantages, returns = torch.randn(6, 5) * ro.mask, torch.randn(6, 5) * ro.mask
    dist = Dist(SimpleNamespace(num_processes=1))
    results = {}
    for mbs in (6, micro_batch_size):  # one pass over the minibatch of 6 rows, then micro-batches
        m = copy.deepcopy(model)
        params = m.policy_parameters() + m.critic_parameters()
        opt = torch.optim.SGD(params, lr=1.0)  # the step is the gradient: compare gradients
        hp = PPOSettings(
            epochs=1, minibatch_size=6, micro_batch_size=mbs, clip_range=0.05, clip_range_value=0.2,
            vf_coef=0.1, ent_coef=0.01, max_grad_norm=1e9, temperature=1.0,
        )
        torch.manual_seed(0)
        stats = ppo_update(m, opt, params, ro, advantages, returns, hp, dist)
        results[mbs] = ([p.detach().clone() for p in params], stats)
    (whole, whole_stats), (micro, micro_stats) = results[6], results[micro_batch_size]
    assert any(not torch.equal(p, q) for p, q in zip(whole, model.policy_parameters() + model.critic_parameters()))
    for p, q in zip(whole, micro):
        torch.testing.assert_close(q, p, rtol=1e-5, atol=1e-6)
    assert whole_stats.keys() == micro_stats.keys() and "entropy" in whole_stats
    for key, value in whole_stats.items():
        assert micro_stats[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key
