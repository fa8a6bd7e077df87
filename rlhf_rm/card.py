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
