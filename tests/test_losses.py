import math

import torch

from rlhf_rm.train.losses import (
    fit_length_coefficient,
    label_loss,
    length_controlled_pairwise_loss,
    length_correlation,
    length_feature,
    mse_loss,
    pairwise_loss,
    plackett_luce_loss,
)


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_pairwise_loss_hand_computed():
    chosen = torch.tensor([2.0, 0.0])
    rejected = torch.tensor([1.0, 1.0])
    # -log sigmoid(d) = softplus(-d): d = 1, -1
    expected = (_softplus(-1.0) + _softplus(1.0)) / 2
    assert math.isclose(pairwise_loss(chosen, rejected).item(), expected, rel_tol=1e-6)


def test_pairwise_loss_margin_and_centering():
    chosen, rejected = torch.tensor([2.0]), torch.tensor([1.0])
    margin = torch.tensor([0.5])
    expected = _softplus(-(1.0 - 0.5)) + 0.1 * (3.0**2)
    got = pairwise_loss(chosen, rejected, margin, center_coef=0.1).item()
    assert math.isclose(got, expected, rel_tol=1e-6)


def test_length_controlled_pairwise_loss_hand_computed():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    chosen_tokens, rejected_tokens = torch.tensor([40, 10]), torch.tensor([10, 20])
    beta = torch.tensor(0.5)
    # d = (r_c - r_r) + 0.5 * (log len_c - log len_r): 1 + 0.5 log 4, -1 + 0.5 log 0.5
    d = [1.0 + 0.5 * math.log(4.0), -1.0 + 0.5 * math.log(0.5)]
    expected = (_softplus(-d[0]) + _softplus(-d[1])) / 2
    got = length_controlled_pairwise_loss(chosen, rejected, chosen_tokens, rejected_tokens, beta)
    assert math.isclose(got.item(), expected, rel_tol=1e-6)
    # with a margin and centering: the margin is subtracted, centering sees the rewards only
    margin = torch.tensor([0.25, 0.0])
    got = length_controlled_pairwise_loss(chosen, rejected, chosen_tokens, rejected_tokens, beta, margin, 0.1)
    expected = (_softplus(-(d[0] - 0.25)) + _softplus(-d[1])) / 2 + 0.1 * (9.0 + 1.0) / 2
    assert math.isclose(got.item(), expected, rel_tol=1e-6)


def test_length_controlled_loss_is_bt_at_beta_zero_and_beta_learns_a_length_preference():
    chosen, rejected = torch.tensor([0.3, -0.2]), torch.tensor([0.1, 0.4])
    tokens_c, tokens_r = torch.tensor([50, 80]), torch.tensor([5, 8])
    zero = length_controlled_pairwise_loss(chosen, rejected, tokens_c, tokens_r, torch.tensor(0.0))
    assert math.isclose(zero.item(), pairwise_loss(chosen, rejected).item(), rel_tol=1e-6)
    assert torch.equal(length_feature(torch.tensor([0, 1, 8])), torch.log(torch.tensor([1.0, 1.0, 8.0])))
    # every chosen reply is the longer one and the rewards cannot tell: beta's gradient says "raise beta"
    beta = torch.tensor(0.0, requires_grad=True)
    length_controlled_pairwise_loss(torch.zeros(2), torch.zeros(2), tokens_c, tokens_r, beta).backward()
    assert beta.grad < 0


def _pl_oracle(rows: list[list[float]]) -> float:
    total = 0.0
    for s in rows:
        for k in range(len(s)):
            total -= s[k] - math.log(sum(math.exp(v) for v in s[k:]))
    return total / len(rows)


def test_plackett_luce_matches_loop_oracle_with_padding():
    rows = [[1.0, 0.5, -0.2, 0.3], [0.2, 0.9], [3.0, -1.0, 0.0]]
    k = max(map(len, rows))
    scores = torch.zeros(len(rows), k)
    mask = torch.zeros(len(rows), k, dtype=torch.bool)
    for i, r in enumerate(rows):
        scores[i, : len(r)] = torch.tensor(r)
        scores[i, len(r) :] = 123.0  # padding values must not matter
        mask[i, : len(r)] = True
    assert math.isclose(plackett_luce_loss(scores, mask).item(), _pl_oracle(rows), rel_tol=1e-6)


def test_plackett_luce_two_replies_is_bradley_terry():
    scores = torch.tensor([[0.7, -0.4], [0.1, 0.3]])
    mask = torch.ones_like(scores, dtype=torch.bool)
    bt = pairwise_loss(scores[:, 0], scores[:, 1])
    assert math.isclose(plackett_luce_loss(scores, mask).item(), bt.item(), rel_tol=1e-6)


def test_pointwise_losses():
    assert math.isclose(mse_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0])).item(), 2.5)
    # BCE with logit 0 and target 1 is log 2
    assert math.isclose(label_loss(torch.tensor([0.0]), torch.tensor([1.0])).item(), math.log(2), rel_tol=1e-6)


def test_batch_loss_applies_the_length_term_to_pairs():
    from rlhf_rm.train.batches import EncodedExample, batch_loss
    from rlhf_rm.model import Encoded

    def pair(n_chosen: int, n_rejected: int) -> EncodedExample:
        return EncodedExample([Encoded([1] * 3, None, False, reply_tokens=n) for n in (n_chosen, n_rejected)], "pairwise")

    batch = [pair(30, 10), pair(5, 20)]
    scores = torch.tensor([0.5, 0.2, -0.1, 0.3])  # chosen, rejected of each pair in turn
    beta = torch.tensor(0.7)
    loss, stats = batch_loss(scores, batch, length_beta=beta)
    expected = length_controlled_pairwise_loss(torch.tensor([0.5, -0.1]), torch.tensor([0.2, 0.3]),
                                               torch.tensor([30, 5]), torch.tensor([10, 20]), beta)
    assert math.isclose(loss.item(), expected.item(), rel_tol=1e-6)
    assert stats == {"correct": 1.0, "pairs": 2.0}  # accuracy reads the scores alone
    plain, _ = batch_loss(scores, batch)
    assert math.isclose(plain.item(), pairwise_loss(scores[[0, 2]], scores[[1, 3]]).item(), rel_tol=1e-6)


def test_length_only_fit_recovers_a_known_beta_and_is_zero_without_a_length_signal():
    gen = torch.Generator().manual_seed(0)
    chosen = torch.randint(5, 300, (20000,), generator=gen)
    rejected = torch.randint(5, 300, (20000,), generator=gen)
    x = length_feature(chosen) - length_feature(rejected)
    wins = torch.rand(20000, generator=gen) < torch.sigmoid(1.5 * x)  # the data's true beta is 1.5
    c, r = torch.where(wins, chosen, rejected), torch.where(wins, rejected, chosen)
    assert abs(fit_length_coefficient(c, r) - 1.5) < 0.05
    # each pair also seen the other way round: length explains nothing
    assert abs(fit_length_coefficient(torch.cat([c, r]), torch.cat([r, c]))) < 1e-6
    assert fit_length_coefficient(torch.tensor([50, 60]), torch.tensor([5, 6])) == 10.0  # separable: bounded


def test_length_correlation_is_pearson_on_log_length_and_zero_when_constant():
    scores = torch.tensor([0.3, -1.2, 2.0, 0.1, 0.7])
    tokens = torch.tensor([12, 3, 80, 10, 40])
    expected = torch.corrcoef(torch.stack([scores, torch.log(tokens.float())]))[0, 1]
    assert math.isclose(length_correlation(scores, tokens).item(), expected.item(), rel_tol=1e-5)
    assert length_correlation(scores, torch.tensor([7, 7, 7, 7, 7])).item() == 0.0


def test_batch_loss_adds_the_decorrelation_term():
    from rlhf_rm.train.batches import EncodedExample, batch_loss, length_only_beta
    from rlhf_rm.model import Encoded

    batch = [EncodedExample([Encoded([1], None, False, reply_tokens=n) for n in pair], "pairwise")
             for pair in ((30, 10), (5, 20), (40, 8))]
    scores = torch.tensor([0.5, 0.2, -0.1, 0.3, 0.9, -0.4], requires_grad=True)
    plain, _ = batch_loss(scores, batch)
    loss, stats = batch_loss(scores, batch, length_corr_coef=0.5)
    corr = length_correlation(scores, torch.tensor([30, 10, 5, 20, 40, 8]))
    assert math.isclose(loss.item(), plain.item() + 0.5 * abs(corr.item()), rel_tol=1e-6)
    assert math.isclose(stats["length_corr"], corr.item(), rel_tol=1e-6)
    loss.backward()
    assert scores.grad is not None and scores.grad.abs().sum() > 0
    # two of three pairs prefer the longer reply: a positive length-only beta
    assert length_only_beta(batch) > 0
