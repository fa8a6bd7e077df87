"""``rlhf-rm eval | export``: measure reward models on preference data; export a plain HF folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from rlhf_rm.cli.common import add_combine_args


def cmd_eval(args: argparse.Namespace) -> int:
    from rlhf_rm.evaluate import evaluate, format_table
    from rlhf_rm.evaluate.members import format_ensembles
    from rlhf_rm.evaluate.report import model_entries
    from rlhf_rm.reward import RewardFunction

    models = {_model_name(m, args.model): RewardFunction.from_pretrained(
        m, batch_size=args.batch_size, ensemble=args.ensemble, ensemble_k=args.ensemble_k) for m in args.model}
    # the reward function sorts and micro-batches whatever it is given: hand it large chunks
    report = evaluate(models, args.data, benchmark=args.benchmark, report_dir=args.report,
                      batch_size=max(1024, 16 * args.batch_size), progress=True, shuffle_check=args.shuffle_check)
    print(format_table(report))
    if ensembles := format_ensembles(model_entries(report)):  # an ensemble folder: members and calibration
        print(ensembles)
    if args.json:
        from rlhf_rm.checkpoint import write_json_atomic

        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    if args.report:
        print(f"wrote report to {args.report}/report.md")
    return 0


def _model_name(path: str, all_paths: list[str]) -> str:
    """The folder's name as the report's column, or the whole path when two models share a name."""
    name = Path(path.rstrip("/")).name or path
    names = [Path(p.rstrip("/")).name for p in all_paths]
    return path if names.count(name) > 1 else name


def cmd_export(args: argparse.Namespace) -> int:
    from rlhf_rm.model import RewardModel

    rm = RewardModel.load(args.model)
    rm.export(args.output)
    print(f"exported a plain AutoModelForSequenceClassification to {args.output}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate reward models on preference data / benchmarks")
    p.add_argument("--model", action="append", required=True, help="reward-model folder or hub id (repeatable)")
    p.add_argument("--data", action="append", required=True, help="data file, glob, folder or hub id (repeatable)")
    p.add_argument("--benchmark", default=None, help="rewardbench | rewardbench2 | hh-rlhf (default: detect)")
    p.add_argument("--report", default=None, help="folder for report.md, report.json and plots")
    p.add_argument("--json", default=None, help="write the metrics JSON here")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-shuffle-check", dest="shuffle_check", action="store_false",
                   help="skip the coherence check (each chosen reply against itself with its words shuffled: "
                        "coherence/shuffle_preference; costs one more scored reply per distinct chosen reply)")
    add_combine_args(p)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("export", help="merge LoRA into a plain AutoModelForSequenceClassification folder "
                                      "(one model; an ensemble folder is refused)")
    p.add_argument("--model", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(run=cmd_export)
