"""``rlhf-rm annotate | annotate stats | annotate export``: collect human preferences in the browser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_annotate(args: argparse.Namespace) -> int:
    from rlhf_rm.annotate.app import AnnotateSettings, check_host, read_annotators, serve
    from rlhf_rm.annotate.items import load_items
    from rlhf_rm.annotate.queue import build_queues, ensemble_scorer
    from rlhf_rm.annotate.session import Session
    from rlhf_rm.annotate.store import AnnotationStore

    if args.data is None or args.output is None:
        raise ValueError("annotate needs --data FILE (the items) and --output LABELS.jsonl")
    if args.model and args.order != "uncertain":
        raise ValueError("--model orders the items: pass it with --order uncertain (stats take --model too)")
    tokens = read_annotators(args.annotators) if args.annotators else {}
    check_host(args.host, tokens)  # before any model is loaded
    items = load_items(args.data)
    scorer = ensemble_scorer(args.model) if args.order == "uncertain" and args.model else None
    names = list(dict.fromkeys(tokens.values())) if tokens else [args.annotator]
    queues = build_queues(items, names, args.overlap, args.order, args.seed, scorer)
    store = AnnotationStore(args.output)
    session = Session(queues, store, args.seed)
    settings = AnnotateSettings(args.host, args.port, tokens, args.annotator)
    print(f"{len(items)} items, {len(names)} annotator(s), overlap {args.overlap}, order {args.order}; "
          f"{store.count_active()} judgements already in {args.output}")
    base = f"http://{args.host}:{args.port}/"
    for token, name in tokens.items():
        print(f"  {name}: {base}?token={token}")
    if not tokens:
        print(f"open {base}  (Ctrl-C stops; every judgement is on disk when the page moves on)", flush=True)
    try:
        serve(session, settings)
    finally:
        store.close()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from rlhf_rm.annotate.stats import annotation_stats, format_stats, read_judgements

    scorer = None
    if args.model:
        from rlhf_rm.reward import RewardFunction

        scorer = RewardFunction.from_pretrained(args.model).raw_scores
    stats = annotation_stats(read_judgements(args.labels), scorer)
    out = Path(args.json or Path(args.labels).with_suffix(".stats.json"))
    out.write_text(json.dumps(stats, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(format_stats(stats))
    print(f"wrote {out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from rlhf_rm.annotate.interop import export_label_studio
    from rlhf_rm.annotate.items import load_items

    tasks, config = export_label_studio(load_items(args.items), args.output, args.seed)
    print(f"wrote {tasks} (Label Studio tasks) and {config} (the project's labeling config)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("annotate", help="a browser page to label preferences; writes JSONL that train reads")
    p.add_argument("--data", help="items: pairs, ranked lists, pointwise rows or rerank output (2+ replies a prompt)")
    p.add_argument("--output", help="LABELS.jsonl: append-only, resumed when it exists")
    p.add_argument("--port", type=int, default=8010)
    p.add_argument("--host", default="127.0.0.1", help="another address needs --annotators (tokens)")
    p.add_argument("--annotators", help='JSON {"name": "token", ...}: each annotator opens the page with ?token=')
    p.add_argument("--annotator", default="local", help="the one annotator's name without --annotators")
    p.add_argument("--overlap", type=int, default=1, help="how many different annotators see each item")
    p.add_argument("--order", choices=("file", "random", "uncertain"), default="file",
                   help="uncertain: smallest reward margin / largest ensemble disagreement first (--model)")
    p.add_argument("--model", action="append", help="reward model for --order uncertain: an ensemble folder "
                                                    "(rlhf-rm train ensemble=k) or one model; repeatable")
    p.add_argument("--seed", type=int, default=0, help="random order and shown reply order")
    p.set_defaults(run=cmd_annotate)
    more = p.add_subparsers(dest="annotate_command", metavar="{stats,export}")

    s = more.add_parser("stats", help="counts, time, agreement (raw, Cohen's kappa, Krippendorff's alpha), biases")
    s.add_argument("labels", help="LABELS.jsonl written by rlhf-rm annotate")
    s.add_argument("--model", action="append", help="also each annotator's agreement with this reward model")
    s.add_argument("--json", help="where to write the figures (default: LABELS.stats.json)")
    s.set_defaults(run=cmd_stats)

    e = more.add_parser("export", help="items as Label Studio tasks (pairwise human-preference template)")
    e.add_argument("--format", choices=("label-studio",), required=True)
    e.add_argument("items", help="items: any file annotate reads")
    e.add_argument("output", help="OUT.json (the labeling config is written beside it)")
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(run=cmd_export)
