#!/usr/bin/env python
"""PPO updates/second and peak memory: rlhf_rm vs TRL 0.23.1's PPOTrainer.

    python bench/ppo_vs_trl.py            # no arguments needed

One PPO configuration, run by both: the same policy (stories260K from ../shared, else a tiny
random Llama), the same value and reward models (sequence-classification copies of the policy
with a seeded random score head), 64 rollouts x 48 new tokens, 4 PPO epochs x 2 minibatches,
full fine-tuning, temperature 1. TRL runs in its own virtual environment
(``bench/.venv-trl023``, created on first use: torch 2.13.0, trl 0.23.1, transformers 4.56.2,
accelerate, datasets, peft), since TRL removed PPOTrainer after 0.23. Each side runs in a fresh
process ``REPS`` times; each run does ``WARMUP`` untimed updates then ``TIMED`` timed ones. The
median updates/second and the median peak RSS of the process (ru_maxrss) are reported, then
``mem_ratio=<rlhf_rm / TRL>`` and, last, ``ratio_vs_trl_ppo=<rlhf_rm / TRL>`` (speed).

rlhf_rm is measured as its stories recipe runs it (LoRA policy whose reference is the same weights
with the adapter off, value head on the policy trunk, sampling from merged weights) and, for the
record, in TRL's layout (full fine-tune, frozen reference copy, separate critic network). Both
take the same optimizer steps on the same minibatches; rlhf_rm runs each 32-row minibatch as its
default micro-batches of at most 12 rows with token-weighted gradient accumulation (the same step
as one pass, one micro-batch's activations alive at a time), TRL as one pass.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_POLICY = REPO.parent / "shared" / "models" / "stories260K"
VENV = HERE / ".venv-trl023"
RESULTS = HERE / "results"
MODELS = RESULTS / "models"
TRL_PACKAGES = ["torch==2.13.0", "trl==0.23.1", "transformers==4.56.2", "accelerate", "datasets", "peft"]

BATCH = 64
RESPONSE_LENGTH = 48
PPO_EPOCHS = 4
NUM_MINIBATCHES = 2
LEARNING_RATE = 1e-5
WARMUP = 2
TIMED = int(os.environ.get("PPO_BENCH_TIMED", 6))  # env overrides for quick checks only
REPS = int(os.environ.get("PPO_BENCH_REPS", 3))
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


def build_models() -> None:
    """policy/ (causal LM + tokenizer), value/ and reward/ (sequence classification, 1 label)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    policy_dir = MODELS / "policy"
    if SHARED_POLICY.exists():
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
        model.save_pretrained(MODELS / name)
        tok.save_pretrained(MODELS / name)


def _report(times: list[float], out: str) -> None:
    """times: wall clock at the end of each update."""
    timed = times[WARMUP:]
    rate = (len(timed) - 1) / (timed[-1] - timed[0]) if len(timed) > 1 else float("nan")
    result = {"updates_per_s": rate, "peak_rss_mb": peak_rss_mb(), "peak_anon_mb": ANON.mb() if ANON else float("nan")}
    Path(out).write_text(json.dumps(result))


def trl_worker(out: str) -> None:
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
    tok = AutoTokenizer.from_pretrained(MODELS / "policy", padding_side="left")
    policy = AutoModelForCausalLM.from_pretrained(MODELS / "policy")
    ref = AutoModelForCausalLM.from_pretrained(MODELS / "policy")
    value = AutoModelForSequenceClassification.from_pretrained(MODELS / "value", num_labels=1)
    reward = AutoModelForSequenceClassification.from_pretrained(MODELS / "reward", num_labels=1)
    n = WARMUP + TIMED
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(BATCH * n)]
    data = Dataset.from_dict({"input_ids": [tok(p).input_ids for p in prompts]})
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            times.append(time.perf_counter())

    args = PPOConfig(
        output_dir=str(RESULTS / "trl_out"),
        # TRL 0.23: rollout batch = per_device_train_batch_size x gradient_accumulation_steps,
        # split into num_mini_batches minibatches (of one micro-batch each here)
        per_device_train_batch_size=BATCH // NUM_MINIBATCHES,
        gradient_accumulation_steps=NUM_MINIBATCHES,
        num_mini_batches=NUM_MINIBATCHES,
        num_ppo_epochs=PPO_EPOCHS,
        total_episodes=BATCH * n,
        response_length=RESPONSE_LENGTH,
        local_rollout_forward_batch_size=BATCH,
        learning_rate=LEARNING_RATE,
        temperature=1.0,
        kl_coef=0.05,
        stop_token=None,
        stop_token_id=None,  # no stop token: every reply is RESPONSE_LENGTH tokens, as stories260K never emits EOS
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
    _report(times, out)


def rlhf_rm_worker(out: str, layout: str) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    sys.path.insert(0, str(REPO))
    from rlhf_rm.ppo.settings import PolicyLora, PPOConfig
    from rlhf_rm.ppo.loop import run_ppo

    tok = AutoTokenizer.from_pretrained(MODELS / "reward", padding_side="right")
    reward_model = AutoModelForSequenceClassification.from_pretrained(MODELS / "reward", num_labels=1).eval()

    @torch.no_grad()
    def reward(prompts, completions, **kwargs):
        batch = tok([p + c for p, c in zip(prompts, completions)], return_tensors="pt", padding=True)
        return reward_model(**batch).logits[:, 0].tolist()

    n = WARMUP + TIMED
    recipe = layout == "recipe"
    cfg = PPOConfig(
        model=str(MODELS / "policy"),
        reward="bench",
        prompts=PROMPTS,
        eval_prompts=PROMPTS[:1],
        eval_samples_per_prompt=1,
        max_new_tokens=RESPONSE_LENGTH,
        stop_token_ids=[2],
        temperature=1.0,
        total_updates=n,
        rollout_batch_size=BATCH,
        num_minibatches=NUM_MINIBATCHES,
        ppo_epochs=PPO_EPOCHS,
        learning_rate=LEARNING_RATE,
        kl_coef=0.05,
        lora=PolicyLora(enabled=recipe),
        critic="shared" if recipe else "separate",
        generation_backend="hf_merged" if recipe else "hf",
        output_dir=str(RESULTS / f"rlhf_rm_out_{layout}"),
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
    _report([t0 + r["time/elapsed_s"] for r in rows], out)


# ---------------------------------------------------------------------------------------------
# the driver


def ensure_trl_venv() -> Path:
    python = VENV / "bin" / "python"
    if python.exists():
        probe = subprocess.run([str(python), "-c", "import trl, sys; sys.exit(trl.__version__ != '0.23.1')"])
        if probe.returncode == 0:
            return python
    print(f"creating {VENV} (torch 2.13.0, trl 0.23.1, transformers 4.56.2) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *TRL_PACKAGES], check=True)
    return python


def run_worker(python: Path, kind: str) -> dict:
    out = RESULTS / f"{kind}.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", PYTHONWARNINGS="ignore", OMP_NUM_THREADS=str(THREADS))
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", kind, str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"the {kind} worker failed (exit {proc.returncode})")
    return json.loads(out.read_text())


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    trl_python = ensure_trl_venv()
    if not (MODELS / "reward" / "config.json").exists():
        # written by the older transformers, so that both sides can read the folders
        subprocess.run([str(trl_python), str(Path(__file__).resolve()), "--worker", "build", "-"], check=True)
    print(
        f"PPO: {BATCH} rollouts x {RESPONSE_LENGTH} tokens, {PPO_EPOCHS} epochs x {NUM_MINIBATCHES} minibatches, "
        f"policy {'stories260K' if SHARED_POLICY.exists() else 'tiny random Llama'}; "
        f"{WARMUP} warm-up + {TIMED} timed updates, median of {REPS} fresh processes",
        flush=True,
    )
    runs: dict[str, list[dict]] = {k: [] for k in ("trl", "rlhf_rm_recipe", "rlhf_rm_trl_layout", "rlhf_rm_recipe_in_trl_venv")}
    for rep in range(REPS):
        for kind in runs:
            python = trl_python if kind in ("trl", "rlhf_rm_recipe_in_trl_venv") else Path(sys.executable)
            runs[kind].append(run_worker(python, kind))
            r = runs[kind][-1]
            print(
                f"  rep {rep + 1} {kind:28s} {r['updates_per_s']:.3f} updates/s  peak RSS {r['peak_rss_mb']:.0f} MB"
                f"  peak anon {r['peak_anon_mb']:.0f} MB",
                flush=True,
            )
    metrics = ("updates_per_s", "peak_rss_mb", "peak_anon_mb")
    med = {k: {m: statistics.median(r[m] for r in v) for m in metrics} for k, v in runs.items()}
    labels = {
        "trl": "TRL 0.23.1 PPOTrainer (full fine-tune, ref copy, value model; its venv)",
        "rlhf_rm_recipe": "rlhf_rm, recipe layout (LoRA, ref = adapter off, shared critic)",
        "rlhf_rm_trl_layout": "rlhf_rm, TRL's layout (full fine-tune, ref copy, separate critic)",
        "rlhf_rm_recipe_in_trl_venv": "rlhf_rm, recipe layout, run in TRL's venv (same libraries as TRL)",
    }
    for kind, label in labels.items():
        m = med[kind]
        print(f"{label}: {m['updates_per_s']:.3f} updates/s, peak RSS {m['peak_rss_mb']:.0f} MB, peak anon {m['peak_anon_mb']:.0f} MB")
    ours, same_env, trl = med["rlhf_rm_recipe"], med["rlhf_rm_recipe_in_trl_venv"], med["trl"]
    print(f"layout_ratio_vs_trl_ppo={med['rlhf_rm_trl_layout']['updates_per_s'] / trl['updates_per_s']:.2f}")
    print(f"same_venv_ratio_vs_trl_ppo={same_env['updates_per_s'] / trl['updates_per_s']:.2f}")
    print(f"same_venv_mem_ratio={same_env['peak_rss_mb'] / trl['peak_rss_mb']:.2f}")
    print(f"anon_mem_ratio={ours['peak_anon_mb'] / trl['peak_anon_mb']:.2f}")
    print(f"mem_ratio={ours['peak_rss_mb'] / trl['peak_rss_mb']:.2f}")
    print(f"ratio_vs_trl_ppo={ours['updates_per_s'] / trl['updates_per_s']:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, out = sys.argv[2], sys.argv[3]
        ANON = AnonPeak()
        if kind == "build":
            build_models()
        elif kind == "trl":
            trl_worker(out)
        elif kind in ("rlhf_rm_recipe", "rlhf_rm_recipe_in_trl_venv"):
            rlhf_rm_worker(out, "recipe")
        elif kind == "rlhf_rm_trl_layout":
            rlhf_rm_worker(out, "trl_layout")
        else:
            raise SystemExit(f"unknown worker {kind}")
    else:
        main()
