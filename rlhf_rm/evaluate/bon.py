"""The best-of-n over-optimization curve (Gao et al. 2023, "Scaling Laws for Reward Model
Overoptimization"): pick the reply the *proxy* reward likes best out of n samples and watch the
*gold* reward of that pick as n -- and so the KL from the policy -- grows.

KL(best-of-n || policy) = log n - (n - 1) / n  (Stiennon et al. 2020, Appendix; Gao et al. eq. 1).
Expected values per n use one pool of N >= n samples per prompt and the unbiased estimator over
all n-subsets of the pool (Gao et al. Appendix), not one draw per n.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rlhf_rm.types import Reward, call_reward
Candidates = Sequence[Sequence[str]]


def kl_best_of_n(n: int) -> float:
    """Analytic KL (nats) between best-of-n sampling and the policy: log n - (n - 1) / n."""
    return math.log(n) - (n - 1) / n


def best_of_n_expectation(proxy: Sequence[float], values: Sequence[float], n: int) -> float:
    """E[values of the argmax-proxy reply] for n replies drawn without replacement from the pool.

    With the pool sorted by proxy ascending, reply i (0-based) is the best of a uniform n-subset
    with probability C(i, n-1) / C(N, n). Replies tied on proxy share the mean of their values
    (the pick among them is uniform). Shape: proxy, values (N,).
    """
    proxy, values = np.asarray(proxy, float), np.asarray(values, float)
    total = proxy.size
    if not 1 <= n <= total:
        raise ValueError(f"n={n} needs 1 <= n <= {total} (the number of candidates)")
    order = np.argsort(proxy, kind="stable")
    p, v = proxy[order], values[order].copy()
    for tie in np.unique(p):
        same = p == tie
        if same.sum() > 1:
            v[same] = v[same].mean()
    weights = np.array([math.comb(i, n - 1) for i in range(total)], float) / math.comb(total, n)
    return float(weights @ v)


def bon_curve(
    candidates: Candidates | Callable[[list, int], Candidates],
    proxy_reward: Reward,
    gold_reward: Reward,
    prompts: Sequence[Any],
    ns: Sequence[int] = (1, 2, 4, 8, 16),
    extra_points: Sequence[dict] | None = None,
    report_dir: str | os.PathLike | None = None,
) -> dict:
    """Mean gold and proxy reward of the best-of-n reply (chosen by the proxy) for each n.

    candidates: per prompt a list of N >= max(ns) sampled replies, or a function
        (prompts, N) -> such lists (e.g. `lambda p, n: generate_candidates(policy, p, n)`).
    proxy_reward, gold_reward: reward callables (prompts, completions) -> list[float]; each is
        called once on all (prompt, candidate) pairs.
    extra_points: other policies on the same axes, e.g. PPO checkpoints
        [{"kl": nats, "gold": float, "proxy": float, "label": "ppo step 100"}, ...].
    report_dir: when given, writes bon_curve.json and bon_curve.png there.

    Returns {"n", "kl", "gold", "proxy" (lists per n), "gold_sem" (standard error over prompts),
    "prompts", "candidates_per_prompt", "extra_points"}.
    """
    ns = sorted({int(n) for n in ns})
    if not ns or ns[0] < 1:
        raise ValueError(f"ns must be positive integers, got {ns}")
    prompts = list(prompts)
    pools = candidates(prompts, ns[-1]) if callable(candidates) else candidates
    pools = [list(pool) for pool in pools]
    if len(pools) != len(prompts):
        raise ValueError(f"got candidates for {len(pools)} prompts but {len(prompts)} prompts")
    smallest = min(len(pool) for pool in pools)
    if smallest < ns[-1]:
        raise ValueError(f"n up to {ns[-1]} needs that many candidates per prompt; the smallest pool has {smallest}")
    flat_prompts = [p for p, pool in zip(prompts, pools) for _ in pool]
    flat_replies = [r for pool in pools for r in pool]
    proxy_flat = _score(proxy_reward, flat_prompts, flat_replies, "proxy")
    gold_flat = _score(gold_reward, flat_prompts, flat_replies, "gold")

    gold_per_n, proxy_per_n, sem = [], [], []
    for n in ns:
        g, q, start = [], [], 0
        for pool in pools:
            sl = slice(start, start + len(pool))
            g.append(best_of_n_expectation(proxy_flat[sl], gold_flat[sl], n))
            q.append(best_of_n_expectation(proxy_flat[sl], proxy_flat[sl], n))
            start += len(pool)
        gold_per_n.append(float(np.mean(g)))
        proxy_per_n.append(float(np.mean(q)))
        sem.append(float(np.std(g, ddof=1) / math.sqrt(len(g))) if len(g) > 1 else 0.0)
    result = {
        "n": ns,
        "kl": [kl_best_of_n(n) for n in ns],
        "gold": gold_per_n,
        "proxy": proxy_per_n,
        "gold_sem": sem,
        "prompts": len(prompts),
        "candidates_per_prompt": smallest,
        "extra_points": [dict(p) for p in extra_points or []],
    }
    if report_dir is not None:
        write_bon_report(result, report_dir)
    return result


def write_bon_report(result: dict, report_dir: str | os.PathLike) -> dict[str, Path]:
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "bon_curve.json", "png": out / "bon_curve.png"}
    paths["json"].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    plot_bon_curve(result, paths["png"])
    return paths


def plot_bon_curve(result: dict, path: str | os.PathLike) -> None:
    """Proxy (left axis) and gold (right axis, its own scale) reward against KL on a square-root
    axis, as Gao et al. plot against sqrt(KL); extra points (e.g. PPO) as stars on both."""
    from rlhf_rm.evaluate.report import matplotlib_figure

    fig = matplotlib_figure()(figsize=(7.6, 4.8), layout="constrained")
    ax = fig.add_subplot()
    ax_gold = ax.twinx()
    kl = np.array(result["kl"])
    proxy_color, gold_color = "tab:blue", "tab:orange"
    handles = ax.plot(kl, result["proxy"], marker="o", color=proxy_color, label="proxy reward (selects the reply)")
    handles.append(ax_gold.errorbar(kl, result["gold"], yerr=result.get("gold_sem"), marker="s", capsize=3,
                                    color=gold_color, label="gold reward of the selected reply (± s.e.)"))
    for n, x, y in zip(result["n"], kl, result["proxy"]):
        ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize="x-small")
    extra = result.get("extra_points") or []
    if extra:
        handles.append(ax_gold.scatter([p["kl"] for p in extra], [p["gold"] for p in extra], marker="*", s=140,
                                       color=gold_color, edgecolors="black", zorder=3, label="other policy: gold"))
        with_proxy = [p for p in extra if "proxy" in p]
        if with_proxy:
            handles.append(ax.scatter([p["kl"] for p in with_proxy], [p["proxy"] for p in with_proxy], marker="*",
                                      s=140, color=proxy_color, edgecolors="black", zorder=3,
                                      label="other policy: proxy"))
        for p in extra:
            if p.get("label"):
                ax_gold.annotate(p["label"], (p["kl"], p["gold"]), textcoords="offset points", xytext=(6, -10),
                                 fontsize="x-small")
    ax.set_xscale("function", functions=(lambda x: np.sqrt(np.maximum(x, 0)), np.square))
    ax.set_xlim(left=0)
    ax.set_xlabel("KL(best-of-n ‖ policy) = log n − (n − 1)/n, nats (square-root scale)")
    ax.set_ylabel("proxy reward", color=proxy_color)
    ax_gold.set_ylabel("gold reward", color=gold_color)
    ax.set_title(f"Best-of-n over-optimization ({result['prompts']} prompts, "
                 f"{result['candidates_per_prompt']} samples each)")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize="small", loc="best")
    fig.savefig(path, dpi=110)


def generate_candidates(
    policy: str | os.PathLike | Any,
    prompts: Sequence[str | list[dict]],
    n: int,
    *,
    tokenizer: Any = None,
    max_new_tokens: int = 48,
    temperature: float = 1.0,
    top_p: float = 1.0,
    batch_size: int = 8,
    seed: int | None = 0,
    device: str | None = None,
) -> list[list[str]]:
    """Sample n replies per prompt from a Hugging Face causal LM (a path/hub id or a loaded model
    with its tokenizer), for ``bon_curve(candidates=lambda p, n: generate_candidates(lm, p, n, ...))``.

    The sampler is ``rlhf_rm.policy.sample_replies``: prompts are rendered as rerank and PPO render
    them (``rlhf_rm.policy.render_prompt``), replies are cut at the tokenizer's EOS, and the
    tokenizer is left as it was. Returns only the new text of each sample.
    """
    import torch

    from rlhf_rm.policy import Sampling, load_policy, sample_replies

    if isinstance(policy, (str, os.PathLike)):
        policy, own_tokenizer = load_policy(str(policy))
        tokenizer = tokenizer or own_tokenizer
    if tokenizer is None:
        raise ValueError("pass the tokenizer along with a loaded policy model")
    if device is not None:
        policy = policy.to(device)
    if seed is not None:
        torch.manual_seed(seed)
    sampling = Sampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                        prompts_per_batch=batch_size)
    return sample_replies(policy, tokenizer, prompts, n, sampling).texts


def _score(reward: Reward, prompts: list, replies: list[str], which: str) -> np.ndarray:
    return np.asarray(call_reward(reward, prompts, replies, name=f"the {which} reward"), float)
