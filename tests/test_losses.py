import math

import torch

from rlhf_rm.losses import label_loss, mse_loss, pairwise_loss, plackett_luce_loss


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
