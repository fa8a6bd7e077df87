"""Reward-model losses: pure functions of scores.

Pairwise Bradley-Terry (Ouyang et al. 2022, eq. 1), its listwise generalisation Plackett-Luce
(Plackett 1975; Zhu et al. 2023), pointwise regression / classification on ratings, and a
length-controlled Bradley-Terry that explains what reply length explains with a learned term.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pairwise_loss(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    margin: torch.Tensor | None = None,
    center_coef: float = 0.0,
) -> torch.Tensor:
    """Bradley-Terry negative log-likelihood, ``-log sigmoid(r_c - r_r - margin)``.

    ``center_coef`` adds ``coef * mean((r_c + r_r)^2)`` which pulls rewards towards zero mean
    (Eisenstein et al. 2023, "reward centering") without changing the preference order.

    Shape: chosen, rejected, margin (B,) -> scalar.
    """
    diff = chosen - rejected
    if margin is not None:
        diff = diff - margin
    loss = -F.logsigmoid(diff).mean()
    if center_coef:
        loss = loss + center_coef * ((chosen + rejected) ** 2).mean()
    return loss


def length_feature(reply_tokens: torch.Tensor) -> torch.Tensor:
    """The length term's feature: log of the reply's token count (at least one token), so doubling a
    reply moves the logit by the same ``beta * log 2`` whether it had 10 tokens or 100."""
    return torch.log(reply_tokens.to(torch.float32).clamp(min=1.0))


def length_controlled_pairwise_loss(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    chosen_tokens: torch.Tensor,
    rejected_tokens: torch.Tensor,
    beta: torch.Tensor,
    margin: torch.Tensor | None = None,
    center_coef: float = 0.0,
) -> torch.Tensor:
    """Length-controlled Bradley-Terry: ``-log sigmoid((r_c - r_r) + beta * (f(len_c) - f(len_r)) - margin)``.

    ``beta`` is a learned scalar and ``f`` is :func:`length_feature`. The preference the data
    owe to length alone is fitted by ``beta``, so the reward ``r`` is trained on the residual;
    at inference the term is dropped and the reward is ``r`` alone. This is a length-controlled
    BT in the spirit of ODIN (Chen et al. 2024, which separates a length head from a quality
    head) and of length-controlled AlpacaEval (Dubois et al. 2024, which regresses length out of
    a preference model's logit). Centering (``center_coef``) acts on the rewards only.

    Shape: chosen, rejected, chosen_tokens, rejected_tokens, margin (B,); beta () -> scalar.
    """
    length_term = beta * (length_feature(chosen_tokens) - length_feature(rejected_tokens)).to(chosen.dtype)
    # pairwise_loss subtracts its margin from r_c - r_r: the length term enters as a negative margin
    shifted = -length_term if margin is None else margin - length_term
    return pairwise_loss(chosen, rejected, shifted, center_coef)


def fit_length_coefficient(chosen_tokens: torch.Tensor, rejected_tokens: torch.Tensor, iterations: int = 50) -> float:
    """The length-only Bradley-Terry fit: the ``beta`` that maximises
    ``sum log sigmoid(beta * (f(len_c) - f(len_r)))`` over the pairs (Newton's method on a 1-D
    concave likelihood), i.e. how much of the preference reply length alone explains. Used to
    start lc_bt's ``beta`` where length already explains what it can, so the reward learns the
    residual from the first step. Bounded to [-10, 10] (data where length always wins).

    Shape: chosen_tokens, rejected_tokens (N,) -> float.
    """
    x = (length_feature(chosen_tokens) - length_feature(rejected_tokens)).to(torch.float64)
    beta = 0.0
    for _ in range(iterations):
        p = torch.sigmoid(beta * x)
        curvature = float((p * (1 - p) * x * x).sum())
        if curvature <= 1e-12:
            break
        step = float(((1 - p) * x).sum()) / curvature
        beta = max(-10.0, min(10.0, beta + step))
        if abs(step) < 1e-9:
            break
    return beta


def length_correlation(scores: torch.Tensor, reply_tokens: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of rewards with :func:`length_feature` over one batch's replies: the
    quantity ODIN (Chen et al. 2024) drives towards zero so the reward stops tracking length.
    Zero when either side is constant (fewer than two distinct values).

    Shape: scores, reply_tokens (N,) -> scalar.
    """
    s = scores.to(torch.float32)
    f = length_feature(reply_tokens).to(s.device)
    s, f = s - s.mean(), f - f.mean()
    denom = torch.sqrt((s * s).sum() * (f * f).sum())
    if float(denom.detach()) < 1e-12:
        return s.sum() * 0.0
    return (s * f).sum() / denom


def plackett_luce_loss(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Plackett-Luce negative log-likelihood of rankings, averaged over groups.

    Row g holds the scores of one prompt's replies ordered best -> worst; ``mask`` marks the
    real replies (rows have 2..K of them, padded at the end). The likelihood of the ranking is
    prod_k exp(s_k) / sum_{j>=k} exp(s_j); for K=2 it is exactly Bradley-Terry.

    Shape: scores, mask (G, K) -> scalar.
    """
    neg_inf = torch.finfo(scores.dtype).min
    masked = scores.masked_fill(~mask, neg_inf)
    # log sum_{j>=k} exp(s_j): a reversed cumulative logsumexp
    tail_lse = torch.logcumsumexp(masked.flip(-1), dim=-1).flip(-1)
    terms = (masked - tail_lse) * mask  # (G, K); the last real term is always 0
    return -(terms.sum(-1)).mean()


def mse_loss(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Pointwise regression on numeric ratings. Shape: (B,), (B,) -> scalar."""
    return F.mse_loss(scores, targets)


def label_loss(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Pointwise cross-entropy on rating labels mapped to targets in [0, 1] (bad=0 .. good=1).

    The scalar reward is the logit of "good", so the head stays ``num_labels=1`` and exports
    like every other reward model. Shape: (B,), (B,) -> scalar.
    """
    return F.binary_cross_entropy_with_logits(scores, targets)
