"""``rlhf-rm quickstart``: the whole idea on a laptop CPU, offline, in a few minutes.

Each step writes its artifacts under ``--output-dir`` with a hash of its configuration; a second
run reuses every finished step whose configuration is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from rlhf_rm.contract import write_json_atomic

STAMP = ".rlhf_rm_step.json"


def say(msg: str = "") -> None:
    print(msg, flush=True)


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cached_step(folder: Path, config: dict[str, Any], run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Run a step unless ``folder`` holds a finished run of the same configuration."""
    stamp = folder / STAMP
    key = config_hash(config)
    if stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("hash") == key:
            return saved["result"], True
    result = run()
    write_json_atomic(stamp, {"hash": key, "config": config, "result": result})
    return result, False


def rm_config(out: Path):
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig

    # the bundled set: 750 pairs; 20% of its prompts are held out and never seen in training
    return load_config(TrainConfig, None, [
        "model=minilm", "train_data=default", f"output_dir={out}", "eval_fraction=0.2", "seed=0",
        "max_length=128", "max_response_tokens=64", "num_epochs=3", "batch_size=16",
        "learning_rate=1e-3", "lora.r=16", "lora.alpha=32", "select_best=false", "progress=true",
    ])


def step_reward_model(out: Path) -> dict[str, Any]:
    from rlhf_rm.train import train

    cfg = rm_config(out / "reward_model")

    def run() -> dict[str, Any]:
        result = train(cfg)
        return {"heldout_accuracy": result.eval_accuracy, "heldout_pairs": result.eval_examples,
                "train_pairs": result.train_examples, "seconds": round(result.seconds, 1)}

    return cached_step(out / "reward_model", asdict(cfg), run)


def run_quickstart(output_dir: str = "quickstart_out") -> dict[str, Any]:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    say("rlhf_rm quickstart — offline, CPU\n")
    say("1/1 Reward model: MiniLM-L6 + LoRA learns human-style preferences from the bundled")
    say("    English/Chinese dialogue pairs (helpful, correct, polite, safe replies preferred).")
    rm, reused = step_reward_model(out)
    say(f"    {'reused' if reused else 'trained'}: {rm['train_pairs']} training pairs; "
        f"accuracy on {rm['heldout_pairs']} held-out pairs = {rm['heldout_accuracy']:.3f}\n")
    summary = {"rm/heldout_accuracy": rm["heldout_accuracy"], "seconds": round(time.time() - t0, 1)}
    write_json_atomic(out / "summary.json", summary)
    say(f"artifacts in {out}/ (reward model in {out}/reward_model)")
    say(f"rm/heldout_accuracy={rm['heldout_accuracy']:.4f}")
    return summary


if __name__ == "__main__":
    run_quickstart(*sys.argv[1:])
