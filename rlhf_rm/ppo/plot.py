"""The end-of-run picture: reward, KL and reply length over updates (matplotlib, no display).

The reward of one update is the mean over one rollout batch, so from update to update it is
mostly sampling noise; the reward panel draws it faint and, over it, an exponential moving
average (:func:`ema`) that shows the trend.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from rlhf_rm.ppo.dashboard import read_jsonl

PANELS = [
    ("ppo/reward_mean", "reward (raw score)"),
    ("ppo/kl", "KL to reference (nats / reply)"),
    ("ppo/response_length", "reply length (tokens)"),
    ("ppo/distinct2", "distinct-2"),
]
SMOOTHED = {"ppo/reward_mean"}  # panels that get the moving average over the raw curve
SMOOTHING = 0.9  # the EMA's weight on the past: about the last 10 updates count


def ema(values: Sequence[float | None], weight: float = SMOOTHING) -> list[float]:
    """Exponential moving average with bias correction.

    ``m_t = weight * m_{t-1} + (1 - weight) * x_t`` from ``m_0 = 0``, reported as
    ``m_t / (1 - weight^k)`` after k values (the bias correction of Adam, Kingma & Ba 2015), so
    the first points are the mean of what has been seen, not pulled towards 0. Missing values
    (None or NaN) are skipped: their position gets the average so far (NaN before any value).
    """
    if not 0 <= weight < 1:
        raise ValueError(f"EMA weight must be in [0, 1), got {weight}")
    out, m, k = [], 0.0, 0
    for x in values:
        if x is not None and not math.isnan(x):
            m, k = weight * m + (1 - weight) * x, k + 1
        out.append(m / (1 - weight**k) if k else float("nan"))
    return out


def plot_metrics(metrics_path: str | Path, png_path: str | Path) -> Path:
    """Draw ``metrics.jsonl`` into a PNG with one panel per curve; the KL panel shows kl_coef too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_jsonl(Path(metrics_path))
    steps = [r["step"] for r in rows]
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(7, 2.2 * len(PANELS)), sharex=True)
    for ax, (key, label) in zip(axes, PANELS):
        ys = [float("nan") if r.get(key) is None else r[key] for r in rows]
        if key in SMOOTHED:
            ax.plot(steps, ys, lw=0.8, alpha=0.35, color="tab:blue", label="per update")
            ax.plot(steps, ema(ys), lw=1.8, color="tab:blue", label=f"EMA ({SMOOTHING})")
            ax.legend(fontsize=7, loc="best")
        else:
            ax.plot(steps, ys, lw=1.2)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
        if key == "ppo/kl":
            twin = ax.twinx()
            twin.plot(steps, [r.get("ppo/kl_coef") for r in rows], color="tab:red", lw=0.8, alpha=0.7)
            twin.set_ylabel("kl_coef", color="tab:red", fontsize=8)
    axes[-1].set_xlabel("update")
    fig.tight_layout()
    png_path = Path(png_path)
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return png_path
