"""Model cards: what a saved reward model or policy is, where it came from, how well it does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _metrics_table(metrics: dict[str, Any]) -> str:
    rows = [f"| `{k}` | {v:.4f} |" if isinstance(v, float) else f"| `{k}` | {v} |"
            for k, v in metrics.items() if v is not None]
    return "| metric | value |\n|---|---|\n" + "\n".join(rows) if rows else "(no held-out metrics recorded)"


def reward_model_card(contract) -> str:
    """A README.md for a reward-model folder, written from its contract."""
    cfg = contract.train_config or {}
    data = cfg.get("train_data", "unknown")
    ens = contract.ensemble
    export = ("`rlhf-rm export --model PATH --output PLAIN` gives a plain `AutoModelForSequenceClassification`."
              if ens is None else "An ensemble is not exported: its reward combines its members' scores.")
    return f"""---
library_name: rlhf_rm
base_model: {contract.base_model}
tags: [reward-model, rlhf, rlhf_rm]
---
# Reward model ({contract.weights}{', ' + contract.quantization if contract.quantization != 'none' else ''})

A scalar reward model trained with [rlhf_rm](https://pypi.org/project/rlhf_rm/) on human preferences.

- **Base model:** `{contract.base_model}` ({contract.architecture}, pooling: {contract.pooling})
- **Training data:** `{json.dumps(data)}` (layouts: {', '.join(contract.layouts) or 'n/a'})
- **Input contract:** max length {contract.max_length}, reply keeps its first {contract.max_response_tokens}+ tokens,
  prompt keeps its end; EOS appended: {contract.append_eos}; see `rlhf_rm.json`.
- **Reward normalization (dev split):** mean {contract.norm_mean}, std {contract.norm_std}
{_ensemble_line(ens) if ens is not None else ""}
## Held-out metrics

{_metrics_table(contract.metrics)}

{limits_section(contract)}

## Use

```python
from rlhf_rm import RewardFunction
reward = RewardFunction.from_pretrained("PATH")
reward(["How do I boil an egg?"], ["Simmer it for nine minutes."])
```

{export}

## Recipe

```json
{json.dumps(cfg, indent=2, default=str)}
```
"""


def limits_section(contract) -> str:
    """What this reward can and cannot judge, from what its contract records about training."""
    cfg, metrics = contract.train_config or {}, contract.metrics or {}
    lines = [f"- It reads at most {contract.max_length} tokens of conversation plus reply; the reply keeps its "
             f"first {contract.max_response_tokens}+ tokens, so anything later in a long reply is not judged."]
    corr = metrics.get("rm/eval_length_bias_reward_length_corr")
    shorter = metrics.get("rm/eval_length_bias_acc_chosen_shorter")
    if corr is not None and shorter is not None:
        lines.append(f"- Length: on its dev split the reward correlates with reply length at {corr:.2f}, and it is "
                     f"right on {shorter:.2f} of the pairs whose preferred reply is the shorter one.")
    corr_coef = float(cfg.get("length_corr_coef") or 0)
    if contract.length_debias == "lc_bt":
        lines.append(f"- Trained with a length-controlled Bradley-Terry term (beta {contract.length_beta}), "
                     "dropped at inference: the reward is the head alone.")
    if corr_coef:
        lines.append(f"- Trained with a penalty of {corr_coef} x |corr(reward, log reply length)| per batch.")
    if contract.length_debias != "lc_bt" and not corr_coef:
        lines.append("- No length debiasing in training: a longer reply may win for its length alone. Check "
                     "`rlhf-rm eval`'s `length_bias/*` before steering a policy with it.")
    augment = float(cfg.get("augment_negatives") or 0)
    lines.append(f"- Trained against synthetic broken copies of chosen replies (shuffled words, truncation, loops, "
                 f"word salad, filler) on {augment:.0%} of its pairs." if augment else
                 "- Not trained on synthetic broken replies: it may prefer a reply with its words shuffled to the "
                 "reply itself (`rlhf-rm eval` reports `coherence/shuffle_preference`).")
    lines.append("- It is a learned proxy of its labellers' preferences on its training data, not a judge of facts "
                 "or of safety outside that data. A policy optimized hard against it finds its blind spots: keep a "
                 "KL penalty, use best-of-n with a small n, or an ensemble's `mean_minus_std`.")
    return "## What it can and cannot judge\n\n" + "\n".join(lines)


def _ensemble_line(spec) -> str:
    accs = ", ".join(f"{m['rm/eval_accuracy']:.4f}" if m.get("rm/eval_accuracy") is not None else "n/a"
                     for m in spec.member_metrics)
    return (f"- **Ensemble:** {len(spec.members)} LoRA members on the base ({spec.sampling} sampling, seeds "
            f"{spec.seeds}), combined by `{spec.combine}` unless told otherwise; member dev accuracy: {accs or 'n/a'}\n")


def write_card(folder: str | Path, text: str) -> None:
    Path(folder, "README.md").write_text(text, encoding="utf-8")


def push_folder(folder: str | Path, repo_id: str, private: bool = True) -> str:
    """Upload a saved folder to the Hugging Face Hub (needs a network and a token)."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id)
    return f"https://huggingface.co/{repo_id}"
