"""What a user watches during PPO: metrics.jsonl, TensorBoard, samples, console, warnings.

``metrics.jsonl`` holds exactly one JSON object per update (no summary rows), so a resumed run
first drops the rows past its checkpoint.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
SAMPLES_FILE = "samples.jsonl"
WARNINGS_FILE = "warnings.log"


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut by a kill: everything after it is from the same lost update
    return rows


def truncate_jsonl(path: Path, last_step: int) -> list[dict]:
    """Keep only rows with ``step <= last_step`` (atomically); return them."""
    rows = [r for r in read_jsonl(path) if r.get("step", 0) <= last_step]
    if path.exists():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(path)
    return rows


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    return value


class Dashboard:
    """Writes the per-update metrics everywhere they go; only the main process creates one."""

    def __init__(
        self,
        output_dir: Path,
        start_step: int,
        total_updates: int,
        tensorboard: bool,
        progress: bool,
        warn_kl: float,
        warn_length_change: float,
    ):
        self.output_dir = output_dir
        self.metrics_path = output_dir / METRICS_FILE
        self.samples_path = output_dir / SAMPLES_FILE
        # a resumed run continues the files from its checkpoint's step
        previous = truncate_jsonl(self.metrics_path, start_step)
        truncate_jsonl(self.samples_path, start_step)
        self.first: dict | None = previous[0] if previous else None
        self.warn_kl = warn_kl
        self.warn_length_change = warn_length_change
        self.active_warnings: set[str] = set()
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(output_dir / "tensorboard"), purge_step=start_step + 1)
            except ImportError:
                self.note("tensorboard is not installed: metrics go to metrics.jsonl only")
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_updates, initial=start_step, desc="ppo", unit="update", dynamic_ncols=True)

    def note(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr)

    def log(self, metrics: dict[str, float]) -> None:
        step = int(metrics["step"])
        row = {k: _clean(v) for k, v in metrics.items()}
        with self.metrics_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self.writer is not None:
            for key, value in metrics.items():
                if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                    self.writer.add_scalar(key, value, step)
        if self.first is None:
            self.first = row
        self._check_runaway(metrics)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                reward=f"{metrics['ppo/reward_mean']:.4g}",
                kl=f"{metrics['ppo/kl']:.2f}",
                beta=f"{metrics['ppo/kl_coef']:.3g}",
                len=f"{metrics['ppo/response_length']:.1f}",
                refresh=False,
            )

    def samples(self, step: int, prompts: list, completions: list[str], scores: list[float]) -> None:
        rows = [
            {"step": step, "prompt": p, "completion": c, "reward": s} for p, c, s in zip(prompts, completions, scores)
        ]
        with self.samples_path.open("a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        if self.writer is not None:
            table = "\n\n".join(f"**{r['reward']:.4g}** {r['prompt']!s} ▸ {r['completion']}" for r in rows)
            self.writer.add_text("samples", table, step)

    def _warn(self, key: str, active: bool, message: str) -> None:
        """Warn once when a condition starts; again only after it has cleared."""
        if active and key not in self.active_warnings:
            self.active_warnings.add(key)
            text = f"WARNING: {message}"
            self.note(text)
            with (self.output_dir / WARNINGS_FILE).open("a", encoding="utf-8") as f:
                f.write(text + "\n")
        elif not active:
            self.active_warnings.discard(key)

    def _check_runaway(self, m: dict[str, float]) -> None:
        step = int(m["step"])
        self._warn(
            "kl",
            m["ppo/kl"] > self.warn_kl,
            f"step {step}: KL to the reference is {m['ppo/kl']:.2f} nats per reply (> {self.warn_kl:g}); "
            "the policy may be exploiting the reward. Raise kl_coef, lower kl_target or the learning rate.",
        )
        first = self.first or {}
        length0 = first.get("ppo/response_length") or 0.0
        if length0 > 0:
            change = m["ppo/response_length"] / length0 - 1.0
            self._warn(
                "length",
                abs(change) > self.warn_length_change,
                f"step {step}: mean reply length moved from {length0:.1f} to {m['ppo/response_length']:.1f} tokens "
                f"({change:+.0%}); length is a common reward hack. Look at samples.jsonl.",
            )
        d0 = first.get("ppo/distinct2")
        d = m.get("ppo/distinct2")
        if d0 and d is not None and math.isfinite(d):
            self._warn(
                "distinct2",
                d < 0.7 * d0,
                f"step {step}: replies are getting repetitive (distinct-2 {d:.3f}, started at {d0:.3f}).",
            )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.bar is not None:
            self.bar.close()
