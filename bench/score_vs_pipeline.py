"""Scoring throughput: RewardFunction vs the transformers pipeline RewardBench uses, and vs the floor.

    python bench/score_vs_pipeline.py [--smoke]

2,000 (prompt, reply) pairs: both replies of 1,000 HH-RLHF examples sampled (seed 0) from
../shared/data/hh-rlhf. The reward model is MiniLM-L6 built fresh with the rlhf_rm contract
(max_length 512, the model's full context; LoRA adapter with nonzero weights, as after training),
saved as an rlhf_rm folder (what RewardFunction loads) and exported to a plain folder (what the
pipeline loads). Three ways to score the same pairs, float32 on the CPU:

- RewardFunction(prompts, replies): text in, floats out (rendering, tokenizing, batching included);
- the pipeline, as RewardBench's scripts/run_rm.py calls it: pipeline("text-classification"),
  batch_size=64 (its --batch_size default), truncation=True, padding=True, max_length,
  function_to_apply="none", return_token_type_ids=False, on the pre-rendered (prompt, reply) texts;
- the floor: the same model, inputs pre-tokenized and pre-collated in length-sorted batches of 32,
  a bare loop of model calls.

Each side is warmed up on 64 pairs, then the three run interleaved 3 times (so load from other
processes hits all three alike); the medians are compared. The cache is off. One intra-op thread
by default (BENCH_THREADS): on a shared CPU, spinning OpenMP threads make timings noise.
``--smoke``: 32 pairs, a tiny random BERT (hidden 64) with MiniLM's tokenizer, max length 128, 1 round.
"""

from __future__ import annotations

import glob
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from common import SHARED, bench_parser, pick_scale, save_tiny_bert

MAX_LENGTH = 512
BATCH = 32  # RewardFunction's default micro-batch
PIPELINE_BATCH = 64  # RewardBench run_rm.py --batch_size default


@dataclass(frozen=True)
class Scale:
    examples: int  # x 2 replies = the pairs scored
    max_length: int
    rounds: int
    tiny: bool  # a tiny random BERT instead of MiniLM-L6


FULL = Scale(examples=1000, max_length=MAX_LENGTH, rounds=3, tiny=False)
SMOKE = Scale(examples=16, max_length=128, rounds=1, tiny=True)


def build_reward_model(folder: Path, tiny: bool = False, max_length: int = MAX_LENGTH) -> tuple[str, str]:
    """The reward model saved as an rlhf_rm folder and exported plain: (rm folder, plain folder)."""
    from rlhf_rm.model import ModelSettings, build_reward_model as build

    base = str(save_tiny_bert(folder / "tiny_base")) if tiny else "minilm"
    torch.manual_seed(0)
    rm = build(ModelSettings(name_or_path=base, max_length=max_length, max_response_tokens=max_length // 2,
                             prompt_template="roles"))
    with torch.no_grad():  # a trained adapter is nonzero; merging it is then real work
        for name, p in rm.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.01)
    rm.save(folder / "rm")
    rm.export(folder / "plain")
    return str(folder / "rm"), str(folder / "plain")


def main() -> int:
    scale = pick_scale(bench_parser(__doc__).parse_args(), FULL, SMOKE)
    max_length, rounds = scale.max_length, scale.rounds
    files = sorted(glob.glob(str(SHARED / "data" / "hh-rlhf" / "*.jsonl.gz")))
    if not files:
        print(f"needs HH-RLHF under {SHARED / 'data' / 'hh-rlhf'}", file=sys.stderr)
        return 1
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from rlhf_rm.data import load_examples
    from rlhf_rm.reward import RewardFunction

    examples = load_examples(files, on_bad_row="skip").examples
    random.Random(0).shuffle(examples)
    examples = examples[:scale.examples]
    prompts = [e.prompt for e in examples for _ in e.responses]
    replies = [r for e in examples for r in e.responses]

    with tempfile.TemporaryDirectory() as tmp:
        rm_dir, plain_dir = build_reward_model(Path(tmp), scale.tiny, max_length)
        rf = RewardFunction.from_pretrained(rm_dir, device="cpu", batch_size=BATCH)
        rm = rf.models[0]

        # the pipeline: the exported plain folder, RewardBench's call
        pipe = pipeline("text-classification", model=AutoModelForSequenceClassification.from_pretrained(plain_dir),
                        tokenizer=AutoTokenizer.from_pretrained(plain_dir), device="cpu")
        pipe_inputs = [{"text": rm.render_prompt(p), "text_pair": r} for p, r in zip(prompts, replies)]
        pipe_kwargs = dict(batch_size=PIPELINE_BATCH, truncation=True, padding=True, max_length=max_length,
                           function_to_apply="none", return_token_type_ids=False)

        # the floor: pre-tokenized by the contract, length-sorted, pre-collated
        items = rm.encode(prompts, replies)
        order = sorted(range(len(items)), key=lambda i: len(items[i].input_ids), reverse=True)
        batches = [rm.collate([items[i] for i in order[s : s + BATCH]]) for s in range(0, len(order), BATCH)]
        model = rm.model

        @torch.inference_mode()
        def floor(bs=batches) -> list[torch.Tensor]:
            return [model(**b).logits[:, 0] for b in bs]

        def run_rf(n=None):
            return rf(prompts[:n], replies[:n]) if n else rf(prompts, replies)

        def run_pipe(n=None):
            return pipe(pipe_inputs[:n] if n else pipe_inputs, **pipe_kwargs)

        # warm up each side
        run_rf(64)
        run_pipe(64)
        floor(batches[-2:])

        times: dict[str, list[float]] = {"rewardfunction": [], "pipeline": [], "floor": []}
        for _ in range(rounds):
            for name, fn in (("rewardfunction", run_rf), ("floor", floor), ("pipeline", run_pipe)):
                start = time.perf_counter()
                out = fn()
                times[name].append(time.perf_counter() - start)
                if name == "rewardfunction":
                    rf_scores = out
                print(f"  {name}: {times[name][-1]:.1f} s", flush=True)

        floor_scores = torch.cat(floor()).tolist()
        by_order = [0.0] * len(order)
        for i, s in zip(order, floor_scores):
            by_order[i] = s
        max_diff = max(abs(a - b) for a, b in zip(rf_scores, by_order))

    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(replies)
    print(f"pairs={n} max_length={max_length} batch={BATCH} pipeline_batch={PIPELINE_BATCH} "
          f"threads={torch.get_num_threads()} rounds={rounds}")
    print(f"mean_tokens={sum(len(e.input_ids) for e in items) / n:.1f} truncated={sum(e.truncated for e in items)}")
    print(f"rewardfunction_pairs_per_s={n / med['rewardfunction']:.1f}")
    print(f"pipeline_pairs_per_s={n / med['pipeline']:.1f}")
    print(f"floor_pairs_per_s={n / med['floor']:.1f}")
    print(f"rewardfunction_vs_floor_max_abs_diff={max_diff:.2e}")
    print(f"ratio_vs_pipeline={med['pipeline'] / med['rewardfunction']:.2f}")
    print(f"fraction_of_floor={med['floor'] / med['rewardfunction']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
