"""``rlhf-rm train | pretrain``: fit a reward model, or continue pretraining a backbone."""

from __future__ import annotations

import argparse

from rlhf_rm.cli.common import add_config_arguments
from rlhf_rm.cli.launch import refuse_unrunnable_launch


def cmd_train(args: argparse.Namespace) -> int:
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    if (refused := refuse_unrunnable_launch()) is not None:
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


def cmd_pretrain(args: argparse.Namespace) -> int:
    from rlhf_rm.config import load_config
    from rlhf_rm.pretrain import PretrainConfig, pretrain

    out = pretrain(load_config(PretrainConfig, args.config, args.overrides))
    print(f"saved pretrained model to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a reward model from preference data")
    add_config_arguments(p, "YAML config (recipes/*.yaml)", "key=value overrides, e.g. max_steps=100 lora.r=8")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("pretrain", help="continue pretraining on dialogue text (causal LM or masked LM)")
    add_config_arguments(p, "YAML config")
    p.set_defaults(run=cmd_pretrain)
