"""What every bench shares: its argument parser (with ``--smoke``), the choice between its full and
smoke settings, and the tiny random BERT reward base several of them score with.

``--smoke`` runs a bench's own code path end to end at its smallest setting (tiny models built
from config, a few pairs, one round, few steps) in seconds, so that tests/test_bench.py can run
every bench and a bench that no longer runs is caught by the suite, not by the next person who
wants a figure. Smoke figures time nothing worth reading; only that they are finite is checked.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SMOKE_HELP = "the smallest setting: the same code path on tiny models and data, in seconds (its figures are not measurements)"

Scale = TypeVar("Scale")


def bench_parser(doc: str) -> argparse.ArgumentParser:
    """The parser every bench starts from: its docstring as help, and ``--smoke``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    return parser


def pick_scale(args: argparse.Namespace, full: Scale, smoke: Scale) -> Scale:
    """``smoke`` or ``full`` by ``--smoke``, then any of its fields given on the command line
    (options left at None keep the setting's value)."""
    scale = smoke if args.smoke else full
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(scale)
             if getattr(args, f.name, None) is not None}
    return dataclasses.replace(scale, **given)


def save_tiny_bert(folder: str | Path) -> Path:
    """A random 2-layer BERT (hidden 64) sequence classifier with MiniLM's real tokenizer: a reward
    base whose forward is cheap next to everything around it (tokenizing, batching, HTTP)."""
    sys.path.insert(0, str(REPO / "tests"))  # the tests' tiny-model factory: one recipe for tiny models
    from tiny_models import minilm_tokenizer, save_tiny
    from transformers import BertConfig, BertForSequenceClassification

    tok = minilm_tokenizer()
    config = BertConfig(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, num_labels=1)
    return save_tiny(folder, BertForSequenceClassification, config, tok)
