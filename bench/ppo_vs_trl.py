#!/usr/bin/env python
"""PPO updates/second and peak memory: rlhf_rm vs TRL 0.23.1's PPOTrainer.

    python bench/ppo_vs_trl.py            # the measurement
    python bench/ppo_vs_trl.py --smoke    # tiny random Llama, 8 rollouts x 8 tokens, 1 + 2 updates, 1 run

One PPO configuration, run by both: the same policy (stories260K from ../shared, else a tiny
random Llama), the same value and reward models (sequence-classification copies of the policy
with a seeded random score head), 64 rollouts x 48 new tokens, 4 PPO epochs x 2 minibatches,
full fine-tuning, temperature 1. TRL runs in its own virtual environment
(``bench/.venv-trl023``, created on first use: torch 2.13.0, trl 0.23.1, transformers 4.56.2,
accelerate, datasets, peft), since TRL removed PPOTrainer after 0.23. Each side runs in a fresh
process ``reps`` times; each run does ``warmup`` untimed updates then ``timed`` timed ones. The
median updates/second and the median peak RSS of the process (ru_maxrss) are reported, then
``mem_ratio=<rlhf_rm / TRL>`` and, last, ``ratio_vs_trl_ppo=<rlhf_rm / TRL>`` (speed).

rlhf_rm is measured as its stories recipe runs it (LoRA policy whose reference is the same weights
with the adapter off, value head on the policy trunk, sampling from merged weights) and, for the
record, in TRL's layout (full fine-tune, frozen reference copy, separate critic network). Both
take the same optimizer steps on the same minibatches; rlhf_rm runs each 32-row minibatch as its
default micro-batches of at most 12 rows with token-weighted gradient accumulation (the same step
as one pass, one micro-batch's activations alive at a time), TRL as one pass.

``--smoke`` uses TRL's venv where it already exists and otherwise runs the rlhf_rm sides only,
saying so: building the venv needs the network and minutes, which a smoke run has neither of.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import REPO, SHARED, bench_parser, pick_scale

HERE = Path(__file__).resolve().parent
SHARED_POLICY = SHARED / "models" / "stories260K"
VENV = HERE / ".venv-trl023"
RESULTS = HERE / "results"
TRL_PACKAGES = ["torch==2.13.0", "trl==0.23.1", "transformers==4.56.2", "accelerate", "datasets", "peft"]
LEARNING_RATE = 1e-5


@dataclass(frozen=True)
class Scale:
    batch: int  # rollouts per update
    response_length: int  # new tokens per rollout
    ppo_epochs: int
    num_minibatches: int
    warmup: int  # untimed updates per run
    timed: int  # timed updates per run
    reps: int  # fresh processes per side; the medians count
    tiny_policy: bool  # a tiny random Llama even where stories260K is available


FULL = Scale(batch=64, response_length=48, ppo_epochs=4, num_minibatches=2, warmup=2,
             timed=int(os.environ.get("PPO_BENCH_TIMED", 6)),  # env overrides for quick checks only
             reps=int(os.environ.get("PPO_BENCH_REPS", 3)), tiny_policy=False)
SMOKE = Scale(batch=8, response_length=8, ppo_epochs=1, num_minibatches=2, warmup=1, timed=2, reps=1, tiny_policy=True)
THREADS = 1  # both sides; several threads per process stall each other on a shared CPU
PROMPTS = [
    "Once upon a time, there was a little girl named Lily.",
    "One day, a small dog named Max went to the park.",
    "Tom had a red ball. He liked to play with it every day.",
    "There was a big tree in the garden.",
    "Sue and her mom went to the store to buy some milk.",
    "A little bird lived in a nest on top of a tall tree.",
    "Ben wanted to build a tower with his blocks.",
    "It was a sunny day, and the children went to the beach.",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


class AnonPeak:
    """Peak anonymous resident memory (heap, tensors), sampled every 20 ms.

    ru_maxrss also counts the pages of shared libraries that happen to be mapped in, which
    depends on the page cache (the same libtorch file shows 50 MB or 100 MB); anonymous memory
    is what the program itself allocates.
    """

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._sample()

    def mb(self) -> float:
        self._sample()
        return self.peak_kb / 1024.0


ANON: AnonPeak | None = None


# ---------------------------------------------------------------------------------------------
# workers (each run in a fresh process)


def build_models(models: Path, scale: Scale) -> None:
    """policy/ (causal LM + tokenizer), value/ and reward/ (sequence classification, 1 label)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    policy_dir = models / "policy"
    if SHARED_POLICY.exists() and not scale.tiny_policy:
        tok = AutoTokenizer.from_pretrained(SHARED_POLICY)
        lm = AutoModelForCausalLM.from_pretrained(SHARED_POLICY)
    else:
        sys.path.insert(0, str(REPO / "tests"))  # the tests' tiny-model factory
        from tiny_models import tiny_llama_config, tiny_tokenizer
        from transformers import LlamaForCausalLM

        tok = tiny_tokenizer()
        torch.manual_seed(0)
        lm = LlamaForCausalLM(tiny_llama_config(len(tok), hidden_size=64, layers=4))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    lm.save_pretrained(policy_dir)
    tok.save_pretrained(policy_dir)
    for name, seed in (("value", 1), ("reward", 2)):
        torch.manual_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(policy_dir, num_labels=1)
        model.config.pad_token_id = tok.pad_token_id
        model.save_pretrained(models / name)
        tok.save_pretrained(models / name)


def _report(times: list[float], warmup: int, out: str) -> None:
    """times: wall clock at the end of each update."""
    timed = times[warmup:]
    rate = (len(timed) - 1) / (timed[-1] - timed[0]) if len(timed) > 1 else float("nan")
    result = {"updates_per_s": rate, "peak_rss_mb": peak_rss_mb(), "peak_anon_mb": ANON.mb() if ANON else float("nan")}
    Path(out).write_text(json.dumps(result))


def trl_worker(out: str, models: Path, scale: Scale) -> None:
    import torch

    torch.set_num_threads(THREADS)
    from datasets import Dataset
    from transformers import (
        AutoModelForCausalLM,
        AutoModelForSequenceClassification,
        AutoTokenizer,
        TrainerCallback,
    )
    from trl import PPOConfig, PPOTrainer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(models / "policy", padding_side="left")
    policy = AutoModelForCausalLM.from_pretrained(models / "policy")
    ref = AutoModelForCausalLM.from_pretrained(models / "policy")
    value = AutoModelForSequenceClassification.from_pretrained(models / "value", num_labels=1)
    reward = AutoModelForSequenceClassification.from_pretrained(models / "reward", num_labels=1)
    n = scale.warmup + scale.timed
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(scale.batch * n)]
    data = Dataset.from_dict({"input_ids": [tok(p).input_ids for p in prompts]})
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            times.append(time.perf_counter())

    args = PPOConfig(
        output_dir=str(models.parent / "trl_out"),
        # TRL 0.23: rollout batch = per_device_train_batch_size x gradient_accumulation_steps,
        # split into num_mini_batches minibatches (of one micro-batch each here)
        per_device_train_batch_size=scale.batch // scale.num_minibatches,
        gradient_accumulation_steps=scale.num_minibatches,
        num_mini_batches=scale.num_minibatches,
        num_ppo_epochs=scale.ppo_epochs,
        total_episodes=scale.batch * n,
        response_length=scale.response_length,
        local_rollout_forward_batch_size=scale.batch,
        learning_rate=LEARNING_RATE,
        temperature=1.0,
        kl_coef=0.05,
        stop_token=None,
        stop_token_id=None,  # no stop token: every reply is response_length tokens, as stories260K never emits EOS
        missing_eos_penalty=None,
        num_sample_generations=0,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        use_cpu=True,
        bf16=False,
        fp16=False,
        seed=0,
        dataloader_num_workers=0,
    )
    trainer = PPOTrainer(
        args=args,
        processing_class=tok,
        model=policy,
        ref_model=ref,
        reward_model=reward,
        value_model=value,
        train_dataset=data,
        eval_dataset=data.select(range(8)),  # PPOTrainer builds an eval loader even when unused
        callbacks=[Clock()],
    )
    trainer.train()
    _report(times, scale.warmup, out)


def rlhf_rm_worker(out: str, layout: str, models: Path, scale: Scale) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    sys.path.insert(0, str(REPO))
    from rlhf_rm.ppo.settings import PolicyLora, PPOConfig
    from rlhf_rm.ppo.loop import run_ppo

    tok = AutoTokenizer.from_pretrained(models / "reward", padding_side="right")
    reward_model = AutoModelForSequenceClassification.from_pretrained(models / "reward", num_labels=1).eval()

    @torch.no_grad()
    def reward(prompts, completions, **kwargs):
        batch = tok([p + c for p, c in zip(prompts, completions)], return_tensors="pt", padding=True)
        return reward_model(**batch).logits[:, 0].tolist()

    n = scale.warmup + scale.timed
    recipe = layout == "recipe"
    cfg = PPOConfig(
        model=str(models / "policy"),
        reward="bench",
        prompts=PROMPTS,
        eval_prompts=PROMPTS[:1],
        eval_samples_per_prompt=1,
        max_new_tokens=scale.response_length,
        stop_token_ids=[2],
        temperature=1.0,
        total_updates=n,
        rollout_batch_size=scale.batch,
        num_minibatches=scale.num_minibatches,
        ppo_epochs=scale.ppo_epochs,
        learning_rate=LEARNING_RATE,
        kl_coef=0.05,
        lora=PolicyLora(enabled=recipe),
        critic="shared" if recipe else "separate",
        generation_backend="hf_merged" if recipe else "hf",
        output_dir=str(models.parent / f"rlhf_rm_out_{layout}"),
        resume=False,
        checkpoint_every=0,
        tensorboard=False,
        plot=False,
        progress=False,
        sample_every=0,
        num_threads=THREADS,
    )
    run_ppo(cfg, reward_fn=reward)
    rows = [json.loads(line) for line in (Path(cfg.output_dir) / "metrics.jsonl").read_text().splitlines()]
    t0 = time.perf_counter() - rows[-1]["time/elapsed_s"]  # only differences matter
    _report([t0 + r["time/elapsed_s"] for r in rows], scale.warmup, out)


# ---------------------------------------------------------------------------------------------
# the driver


def ensure_trl_venv() -> Path:
    found, _ = find_trl_venv()
    if found is not None:
        return found
    python = VENV / "bin" / "python"
    print(f"creating {VENV} (torch 2.13.0, trl 0.23.1, transformers 4.56.2) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *TRL_PACKAGES], check=True)
    return python


def find_trl_venv() -> tuple[Path | None, str]:
    """TRL's venv python if it is already built and holds trl 0.23.1, else None and why."""
    python = VENV / "bin" / "python"
    if not python.exists():
        return None, f"{VENV} is absent (the full run builds it: pip and the network)"
    probe = subprocess.run([str(python), "-c", "import trl, sys; sys.exit(trl.__version__ != '0.23.1')"])
    return (python, "") if probe.returncode == 0 else (None, f"{VENV} does not hold trl 0.23.1")


def run_worker(python: Path, kind: str, models: Path, smoke: bool) -> dict:
    out = models.parent / f"{kind}.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", PYTHONWARNINGS="ignore", OMP_NUM_THREADS=str(THREADS))
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", kind, str(out), str(models)] + (["--smoke"] if smoke else []),
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"the {kind} worker failed (exit {proc.returncode})")
    return json.loads(out.read_text())


LABELS = {
    "trl": "TRL 0.23.1 PPOTrainer (full fine-tune, ref copy, value model; its venv)",
    "rlhf_rm_recipe": "rlhf_rm, recipe layout (LoRA, ref = adapter off, shared critic)",
    "rlhf_rm_trl_layout": "rlhf_rm, TRL's layout (full fine-tune, ref copy, separate critic)",
    "rlhf_rm_recipe_in_trl_venv": "rlhf_rm, recipe layout, run in TRL's venv (same libraries as TRL)",
}
IN_TRL_VENV = ("trl", "rlhf_rm_recipe_in_trl_venv")


def run_reps(kinds: list[str], trl_python: Path | None, models: Path, scale: Scale, smoke: bool) -> dict[str, list[dict]]:
    """Each kind ``scale.reps`` times in a fresh process, the kinds interleaved."""
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    for rep in range(scale.reps):
        for kind in kinds:
            python = trl_python if kind in IN_TRL_VENV else Path(sys.executable)
            runs[kind].append(run_worker(python, kind, models, smoke))
            r = runs[kind][-1]
            print(
                f"  rep {rep + 1} {kind:28s} {r['updates_per_s']:.3f} updates/s  peak RSS {r['peak_rss_mb']:.0f} MB"
                f"  peak anon {r['peak_anon_mb']:.0f} MB",
                flush=True,
            )
    return runs


def report(med: dict[str, dict[str, float]]) -> None:
    for kind, m in med.items():
        print(f"{LABELS[kind]}: {m['updates_per_s']:.3f} updates/s, peak RSS {m['peak_rss_mb']:.0f} MB, peak anon {m['peak_anon_mb']:.0f} MB")
        print(f"{kind}_updates_per_s={m['updates_per_s']:.3f} {kind}_peak_rss_mb={m['peak_rss_mb']:.0f}")
    if "trl" not in med:
        return
    ours, same_env, trl = med["rlhf_rm_recipe"], med["rlhf_rm_recipe_in_trl_venv"], med["trl"]
    print(f"layout_ratio_vs_trl_ppo={med['rlhf_rm_trl_layout']['updates_per_s'] / trl['updates_per_s']:.2f}")
    print(f"same_venv_ratio_vs_trl_ppo={same_env['updates_per_s'] / trl['updates_per_s']:.2f}")
    print(f"same_venv_mem_ratio={same_env['peak_rss_mb'] / trl['peak_rss_mb']:.2f}")
    print(f"anon_mem_ratio={ours['peak_anon_mb'] / trl['peak_anon_mb']:.2f}")
    print(f"mem_ratio={ours['peak_rss_mb'] / trl['peak_rss_mb']:.2f}")
    print(f"ratio_vs_trl_ppo={ours['updates_per_s'] / trl['updates_per_s']:.2f}")


def main(args: argparse.Namespace) -> None:
    scale = pick_scale(args, FULL, SMOKE)
    if not args.smoke:
        RESULTS.mkdir(parents=True, exist_ok=True)
        measure(RESULTS / "models", ensure_trl_venv(), "", scale, smoke=False)
        return
    with tempfile.TemporaryDirectory(prefix="ppo-smoke-") as tmp:  # fresh tiny models, never the full run's cache
        measure(Path(tmp) / "models", *find_trl_venv(), scale, smoke=True)


def measure(models: Path, trl_python: Path | None, why: str, scale: Scale, smoke: bool) -> None:
    """Build the models once (unless ``models`` holds them), run every side, print the keys."""
    if not (models / "reward" / "config.json").exists():
        # written by the older transformers where it is there, so that both sides can read the folders
        build = [str(trl_python or sys.executable), str(Path(__file__).resolve()), "--worker", "build", "-", str(models)]
        subprocess.run(build + (["--smoke"] if smoke else []), check=True)
    policy = "tiny random Llama" if scale.tiny_policy or not SHARED_POLICY.exists() else "stories260K"
    print(
        f"PPO: {scale.batch} rollouts x {scale.response_length} tokens, {scale.ppo_epochs} epochs x "
        f"{scale.num_minibatches} minibatches, policy {policy}; {scale.warmup} warm-up + {scale.timed} timed updates, "
        f"median of {scale.reps} fresh processes",
        flush=True,
    )
    kinds = [k for k in LABELS if trl_python is not None or k not in IN_TRL_VENV]
    if trl_python is None:
        print(f"trl_ppo=skipped: {why}; the TRL sides and the ratios are not run", flush=True)
    runs = run_reps(kinds, trl_python, models, scale, smoke)
    metrics = ("updates_per_s", "peak_rss_mb", "peak_anon_mb")
    report({k: {m: statistics.median(r[m] for r in v) for m in metrics} for k, v in runs.items()})


def worker(kind: str, out: str, models: Path, scale: Scale) -> None:
    if kind == "build":
        build_models(models, scale)
    elif kind == "trl":
        trl_worker(out, models, scale)
    elif kind in ("rlhf_rm_recipe", "rlhf_rm_recipe_in_trl_venv"):
        rlhf_rm_worker(out, "recipe", models, scale)
    elif kind == "rlhf_rm_trl_layout":
        rlhf_rm_worker(out, "trl_layout", models, scale)
    else:
        raise SystemExit(f"unknown worker {kind}")


if __name__ == "__main__":
    parser = bench_parser(__doc__)
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "OUT", "MODELS"), help=argparse.SUPPRESS)
    cli = parser.parse_args()
    if cli.worker:
        ANON = AnonPeak()
        worker(cli.worker[0], cli.worker[1], Path(cli.worker[2]), pick_scale(cli, FULL, SMOKE))
    else:
        main(cli)
