"""PPO math against plain loops and hand-computed values."""

import math

import pytest
import torch

from rlhf_rm.ppo import algo
from rlhf_rm.policy import reply_mask


pytestmark = pytest.mark.usefixtures("one_thread")


def _random_batch(B=5, T=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).float()
    values = torch.randn(B, T, generator=g)
    rewards = torch.randn(B, T, generator=g)
    return values, rewards, mask, lengths


def _gae_oracle(values, rewards, lengths, gamma, lam):
    B, T = values.shape
    adv = torch.zeros(B, T)
    for b in range(B):
        n = int(lengths[b])
        last = 0.0
        for t in reversed(range(n)):
            next_value = values[b, t + 1].item() if t + 1 < n else 0.0
            delta = rewards[b, t].item() + gamma * next_value - values[b, t].item()
            last = delta + gamma * lam * last
            adv[b, t] = last
    return adv, (adv + values) * (torch.arange(T)[None, :] < lengths[:, None])


@pytest.mark.parametrize("gamma,lam", [(1.0, 0.95), (0.9, 0.5), (1.0, 1.0), (0.99, 0.0)])
def test_gae_matches_plain_loop(gamma, lam):
    values, rewards, mask, lengths = _random_batch()
    adv, ret = algo.gae(values, rewards, mask, gamma, lam)
    want_adv, want_ret = _gae_oracle(values, rewards, lengths, gamma, lam)
    torch.testing.assert_close(adv, want_adv)
    torch.testing.assert_close(ret, want_ret)
    assert (adv * (1 - mask)).abs().sum() == 0  # nothing leaks into padding


def test_gae_lambda_one_gamma_one_is_reward_to_go_minus_value():
    values, rewards, mask, _ = _random_batch(seed=3)
    adv, ret = algo.gae(values, rewards, mask, 1.0, 1.0)
    to_go = torch.flip(torch.cumsum(torch.flip(rewards * mask, [1]), 1), [1]) * mask
    torch.testing.assert_close(ret, to_go)
    torch.testing.assert_close(adv, (to_go - values) * mask)


def test_kl_penalized_rewards_by_hand():
    logprobs = torch.tensor([[-1.0, -2.0, -0.5], [-0.3, -0.7, 0.0]])
    ref = torch.tensor([[-1.5, -1.0, -0.5], [-0.3, -0.2, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    scores = torch.tensor([2.0, -1.0])
    rewards, kl = algo.kl_penalized_rewards(scores, logprobs, ref, mask, kl_coef=0.1, estimator="k1")
    # k1 = logprob - ref: [0.5, -1, 0], [0, -0.5, (pad)]
    want = torch.tensor([[-0.05, 0.1, 0.0 + 2.0], [0.0, 0.05 - 1.0, 0.0]])
    torch.testing.assert_close(rewards, want)
    torch.testing.assert_close(kl, torch.tensor([[0.5, -1.0, 0.0], [0.0, -0.5, 0.0]]))


def test_kl_estimators_by_hand():
    lp, ref = torch.tensor([[-1.0]]), torch.tensor([[-1.5]])
    d = 0.5
    assert algo.kl_per_token(lp, ref, "k1").item() == pytest.approx(d)
    assert algo.kl_per_token(lp, ref, "k2").item() == pytest.approx(0.5 * d * d)
    assert algo.kl_per_token(lp, ref, "k3").item() == pytest.approx(math.exp(-d) - 1 + d)
    # k3 is never negative, k1 can be
    assert algo.kl_per_token(ref, lp, "k3").item() >= 0 > algo.kl_per_token(ref, lp, "k1").item()
    with pytest.raises(ValueError, match="k4"):
        algo.kl_per_token(lp, ref, "k4")


def test_policy_loss_by_hand():
    old = torch.tensor([[0.0, 0.0, 0.0]])
    new = torch.log(torch.tensor([[1.5, 0.5, 1.1]]))  # ratios 1.5, 0.5, 1.1
    adv = torch.tensor([[1.0, -2.0, 3.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    out = algo.policy_loss(new, old, adv, mask, clip_range=0.2)
    # token 0: max(-1*1.5, -1*1.2) = -1.2 (clipped); token 1: max(2*0.5, 2*0.8) = 1.6 (clipped)
    assert out.loss.item() == pytest.approx((-1.2 + 1.6) / 2)
    assert out.clipfrac.item() == pytest.approx(1.0)
    r = torch.tensor([1.5, 0.5])
    assert out.approx_kl.item() == pytest.approx(((r - 1) - torch.log(r)).mean().item(), rel=1e-5)
    # inside the trust region nothing is clipped and the gradient is -A * ratio
    new2 = torch.log(torch.tensor([[1.1, 0.9, 1.0]])).requires_grad_(True)
    out2 = algo.policy_loss(new2, old, adv, mask, clip_range=0.2)
    out2.loss.backward()
    assert out2.clipfrac.item() == 0.0
    torch.testing.assert_close(new2.grad, torch.tensor([[-1.0 * 1.1 / 2, 2.0 * 0.9 / 2, 0.0]]))


def test_value_loss_by_hand():
    values = torch.tensor([[1.0, 0.0]])
    old = torch.tensor([[0.5, 0.0]])
    returns = torch.tensor([[2.0, 1.0]])
    mask = torch.ones(1, 2)
    out = algo.value_loss(values, old, returns, mask, clip_range_value=0.2)
    # token 0: unclipped (1-2)^2 = 1, clipped V = 0.7 -> (0.7-2)^2 = 1.69 -> max 1.69
    # token 1: both (0-1)^2 = 1
    assert out.loss.item() == pytest.approx(0.5 * (1.69 + 1.0) / 2)
    assert out.clipfrac.item() == pytest.approx(0.5)
    plain = algo.value_loss(values, old, returns, mask, clip_range_value=None)
    assert plain.loss.item() == pytest.approx(0.5 * (1.0 + 1.0) / 2)


def test_adaptive_kl_controller():
    ctl = algo.AdaptiveKLController(0.1, target=6.0, horizon=10000)
    # KL at 9 -> error 0.5 clipped to 0.2 -> beta * (1 + 0.2 * 256 / 10000)
    assert ctl.update(9.0, 256) == pytest.approx(0.1 * (1 + 0.2 * 256 / 10000))
    ctl = algo.AdaptiveKLController(0.1, target=6.0, horizon=10000)
    # KL at 5.4 -> error -0.1 -> beta * (1 - 0.1 * 100 / 10000)
    assert ctl.update(5.4, 100) == pytest.approx(0.1 * (1 - 0.1 * 100 / 10000))
    # on target: unchanged; fixed: always unchanged
    assert ctl.update(6.0, 100) == pytest.approx(0.1 * (1 - 0.1 * 100 / 10000))
    assert algo.FixedKLController(0.3).update(100.0, 64) == 0.3
    # far above the target for long enough, the coefficient grows without bound
    ctl = algo.AdaptiveKLController(0.1, target=1.0, horizon=100)
    for _ in range(50):
        ctl.update(10.0, 10)
    assert ctl.value == pytest.approx(0.1 * 1.02**50)
    state = ctl.state_dict()
    other = algo.AdaptiveKLController(1.0, target=1.0, horizon=100)
    other.load_state_dict(state)
    assert other.value == ctl.value


def test_masked_whiten_and_mean():
    x = torch.tensor([[1.0, 2.0, 100.0], [3.0, 4.0, 100.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    assert algo.masked_mean(x, mask).item() == pytest.approx(2.5)
    w = algo.masked_whiten(x, mask)
    vals = torch.tensor([1.0, 2.0, 3.0, 4.0])
    want = (vals - 2.5) / vals.std()
    torch.testing.assert_close(w[mask.bool()], want, rtol=1e-5, atol=1e-6)
    assert w[~mask.bool()].abs().sum() == 0


def test_running_moments_equal_full_batch():
    g = torch.Generator().manual_seed(0)
    xs = [torch.randn(n, generator=g) * 3 + 1 for n in (5, 1, 17, 2)]
    rm = algo.RunningMoments()
    for x in xs:
        rm.update(x)
    full = torch.cat(xs).double()
    assert rm.mean == pytest.approx(full.mean().item())
    assert rm.std == pytest.approx(full.std(unbiased=False).item())
    assert rm.count == full.numel()


def test_normalize_scores_clips():
    s = torch.tensor([0.0, 1.0, 100.0])
    out = algo.normalize_scores(s, mean=1.0, std=2.0, clip=5.0)
    torch.testing.assert_close(out, torch.tensor([-0.5, 0.0, 5.0]))


def test_logprobs_and_entropy_from_logits():
    logits = torch.tensor([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])
    tokens = torch.tensor([[2, 1]])
    lp = algo.logprobs_from_logits(logits, tokens, temperature=2.0)
    want = torch.log_softmax(logits / 2.0, -1).gather(-1, tokens[..., None]).squeeze(-1)
    torch.testing.assert_close(lp, want)
    ent = algo.entropy_from_logits(logits)
    assert ent[0, 1].item() == pytest.approx(math.log(3))


def test_explained_variance_and_distinct():
    ret = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    mask = torch.ones(1, 4)
    assert algo.explained_variance(ret, ret, mask) == pytest.approx(1.0)
    assert algo.explained_variance(torch.zeros(1, 4) + 2.5, ret, mask) == pytest.approx(0.0, abs=1e-6)
    assert algo.distinct_n([["a", "b", "a", "b"], ["a", "b"]], 2) == pytest.approx(2 / 4)
    assert math.isnan(algo.distinct_n([["a"]], 2))


def test_reply_mask_cuts_at_first_stop_token():
    ids = torch.tensor([[5, 6, 1, 7, 2], [5, 5, 5, 5, 5], [2, 9, 9, 9, 9]])
    mask, ended = reply_mask(ids, [1, 2])
    torch.testing.assert_close(mask, torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).float())
    assert ended.tolist() == [True, False, True]
    assert algo.last_token_index(mask).tolist() == [2, 4, 0]
