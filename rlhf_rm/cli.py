"""``rlhf-rm``: parse, call the library, print. Errors a user can act on exit 2 without a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Mapping

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _user_errors() -> tuple[type[BaseException], ...]:
    from rlhf_rm.config import ConfigError

    # OSError: a missing file, or a model/tokenizer id that cannot be loaded (no network, no such repo)
    errors: list[type[BaseException]] = [ConfigError, OSError, ValueError, RuntimeError]
    try:
        from rlhf_rm.data import DataError

        errors.insert(0, DataError)
    except ImportError:
        pass
    return tuple(errors)


def _local_devices() -> tuple[int, bool]:
    """(CUDA GPUs torch sees, whether another accelerator accelerate launches on is present)."""
    import torch
    from accelerate import utils

    others = ("is_xpu_available", "is_npu_available", "is_mlu_available", "is_musa_available", "is_hpu_available",
              "is_sdaa_available", "is_neuron_available")
    return torch.cuda.device_count(), any(getattr(utils, name, lambda: False)() for name in others)


def _gpu_launch_problem(env: Mapping[str, str], devices: Callable[[], tuple[int, bool]] | None = None) -> str | None:
    """Why this process, started by an ``accelerate launch`` GPU config, cannot run here; None if it can.

    accelerate's GPU launchers (multi_gpu, FSDP, DeepSpeed) start torchrun-style processes
    (WORLD_SIZE, LOCAL_WORLD_SIZE) and always set ACCELERATE_MIXED_PRECISION; ``--cpu`` sets
    ACCELERATE_USE_CPU=true, and plain ``torchrun`` sets no ACCELERATE_* variable (CPU processes are fine).
    """
    world = int(env.get("WORLD_SIZE") or 1)
    use_cpu = env.get("ACCELERATE_USE_CPU", "").strip().lower() in {"1", "true", "yes", "on"}
    if world <= 1 or "ACCELERATE_MIXED_PRECISION" not in env or use_cpu:
        return None
    local = int(env.get("LOCAL_WORLD_SIZE") or world)
    cuda_gpus, other_accelerator = (devices or _local_devices)()
    if cuda_gpus >= local or other_accelerator:
        return None
    if cuda_gpus == 0:
        return (f"this accelerate config launches {local} GPU processes but this machine has no CUDA GPU; "
                "run without accelerate launch, or use torchrun --nproc_per_node 2 for CPU processes")
    return (f"this accelerate config launches {local} GPU processes but this machine has {cuda_gpus} CUDA GPU(s); "
            f"pass --num_processes {cuda_gpus} to accelerate launch")


def _refuse_unrunnable_launch() -> int | None:
    """Exit status 2 on every process (the sentence printed once, by rank 0) when the launch cannot run."""
    problem = _gpu_launch_problem(os.environ)
    if problem is None:
        return None
    if os.environ.get("RANK", "0") == "0":
        print(f"error: {problem}", file=sys.stderr)
    return 2


# ---- train / eval / export ----------------------------------------------------------------

@command("train")
def cmd_train(args: argparse.Namespace) -> int:
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    if (refused := _refuse_unrunnable_launch()) is not None:
        return refused
    cfg = load_config(TrainConfig, args.config, args.overrides)
    result = train(cfg)
    if not result.is_main:
        return 0
    acc = "n/a" if result.eval_accuracy is None else f"{result.eval_accuracy:.4f}"
    print(f"saved reward model to {result.output_dir}")
    print(f"steps={result.steps} train_examples={result.train_examples} eval_examples={result.eval_examples} "
          f"skipped_rows={result.skipped_rows} truncated={result.truncated}")
    print(f"rm/eval_accuracy={acc} pairs_per_second={result.pairs_per_second:.2f} seconds={result.seconds:.1f}")
    return 0


@command("eval")
def cmd_eval(args: argparse.Namespace) -> int:
    from rlhf_rm.evaluate import evaluate, format_table
    from rlhf_rm.reward import RewardFunction

    models = {_model_name(m, args.model): RewardFunction.from_pretrained(m, batch_size=args.batch_size)
              for m in args.model}
    # the reward function sorts and micro-batches whatever it is given: hand it large chunks
    report = evaluate(models, args.data, benchmark=args.benchmark, report_dir=args.report,
                      batch_size=max(1024, 16 * args.batch_size), progress=True)
    print(format_table(report))
    if args.json:
        from rlhf_rm.contract import write_json_atomic

        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    if args.report:
        print(f"wrote report to {args.report}/report.md")
    return 0


def _model_name(path: str, all_paths: list[str]) -> str:
    name = Path(path.rstrip("/")).name or path
    names = [Path(p.rstrip("/")).name for p in all_paths]
    return path if names.count(name) > 1 else name


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    from rlhf_rm.model import RewardModel

    rm = RewardModel.load(args.model)
    rm.export(args.output)
    print(f"exported a plain AutoModelForSequenceClassification to {args.output}")
    return 0


@command("pretrain")
def cmd_pretrain(args: argparse.Namespace) -> int:
    from rlhf_rm.config import load_config
    from rlhf_rm.pretrain import PretrainConfig, pretrain

    out = pretrain(load_config(PretrainConfig, args.config, args.overrides))
    print(f"saved pretrained model to {out}")
    return 0


@command("ppo")
def cmd_ppo(args: argparse.Namespace) -> int:
    from rlhf_rm.ppo.loop import run_ppo_from_config

    if (refused := _refuse_unrunnable_launch()) is not None:
        return refused
    out = run_ppo_from_config(args.config, args.overrides)
    if out is not None:
        print(f"PPO run written to {out}")
    return 0


@command("chat")
def cmd_chat(args: argparse.Namespace) -> int:
    from rlhf_rm.chat import chat

    chat(args.policy, args.reward, n=args.n, max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    return 0


@command("quickstart")
def cmd_quickstart(args: argparse.Namespace) -> int:
    from rlhf_rm.quickstart import run_quickstart

    run_quickstart(args.output_dir, policy=args.policy, n=args.n)
    return 0


# ---- parser ---------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlhf-rm", description="Reward models for dialogue RLHF.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a reward model from preference data")
    p.add_argument("--config", help="YAML config (recipes/*.yaml)")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. max_steps=100 lora.r=8")

    p = sub.add_parser("eval", help="evaluate reward models on preference data / benchmarks")
    p.add_argument("--model", action="append", required=True, help="reward-model folder or hub id (repeatable)")
    p.add_argument("--data", action="append", required=True, help="data file, glob, folder or hub id (repeatable)")
    p.add_argument("--benchmark", default=None, help="rewardbench | rewardbench2 | hh-rlhf (default: detect)")
    p.add_argument("--report", default=None, help="folder for report.md, report.json and plots")
    p.add_argument("--json", default=None, help="write the metrics JSON here")
    p.add_argument("--batch-size", type=int, default=32)

    p = sub.add_parser("export", help="merge LoRA into a plain AutoModelForSequenceClassification folder")
    p.add_argument("--model", required=True)
    p.add_argument("--output", required=True)

    p = sub.add_parser("pretrain", help="continue pretraining on dialogue text (causal LM or masked LM)")
    p.add_argument("--config", help="YAML config")
    p.add_argument("overrides", nargs="*", help="key=value overrides")

    p = sub.add_parser("ppo", help="steer a causal LM with a reward function (PPO)")
    p.add_argument("--config", help="YAML config (recipes/ppo_*.yaml)")
    p.add_argument("overrides", nargs="*", help="key=value overrides")

    p = sub.add_parser("chat", help="talk to a policy; optional best-of-n reranking by a reward model")
    p.add_argument("--policy", required=True, help="causal LM folder or hub id")
    p.add_argument("--reward", default=None, help="reward-model folder: rerank each reply")
    p.add_argument("--n", type=int, default=4, help="candidates per reply when --reward is given")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.8)

    p = sub.add_parser("quickstart", help="the whole pipeline on the bundled data, offline on CPU")
    p.add_argument("--output-dir", default="quickstart_out", help="artifacts; finished steps are reused")
    p.add_argument("--policy", default=None, help="a causal LM folder or hub id instead of the tiny pretrained one")
    p.add_argument("--n", type=int, default=8, help="best-of-n candidates per prompt")

    for register in _EXTRA_PARSERS:
        register(sub)
    return parser


_EXTRA_PARSERS: list[Callable] = []


def _quiet_libraries() -> None:
    """Keep the console for rlhf_rm's own story: library chatter at error level only."""
    import logging
    import warnings

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers weight-loading bars
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")  # datasets.map bars
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*kernels.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="peft")
    warnings.filterwarnings("ignore", category=FutureWarning)


def _load_subcommands() -> None:
    import rlhf_rm.cli_reward  # noqa: F401  (registers score, rerank, serve)


def run_reporting_errors(fn: Callable[[], int]) -> int:
    """``fn()``, with a user error as one ``error: ...`` line and exit status 2 instead of a traceback.

    Shared by ``rlhf-rm`` and the recipes' scripts; ``RLHF_RM_DEBUG=1`` shows the traceback.
    """
    try:
        return fn()
    except _user_errors() as err:
        if os.environ.get("RLHF_RM_DEBUG"):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _quiet_libraries()
    _load_subcommands()
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    # `python -m rlhf_rm.cli`: run the importable module, where every subcommand is registered
    from rlhf_rm.cli import main as _main

    sys.exit(_main())
