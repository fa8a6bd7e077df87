"""The end-of-run picture: reward, KL and reply length over updates (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

from rlhf_rm.ppo.dashboard import read_jsonl

PANELS = [
    ("ppo/reward_mean", "reward (raw score)"),
    ("ppo/kl", "KL to reference (nats / reply)"),
    ("ppo/response_length", "reply length (tokens)"),
    ("ppo/distinct2", "distinct-2"),
]


def plot_metrics(metrics_path: str | Path, png_path: str | Path) -> Path:
    """Draw ``metrics.jsonl`` into a PNG with one panel per curve; the KL panel shows kl_coef too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_jsonl(Path(metrics_path))
    steps = [r["step"] for r in rows]
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(7, 2.2 * len(PANELS)), sharex=True)
    for ax, (key, label) in zip(axes, PANELS):
        ys = [r.get(key) for r in rows]
        ax.plot(steps, [float("nan") if y is None else y for y in ys], lw=1.2)
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
