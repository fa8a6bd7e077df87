"""``rlhf-rm``: parse, call the library, print. Errors a user can act on exit 2 without a traceback.

Each module in ``SUBCOMMANDS`` adds its subcommands' parsers through ``register(subparsers)`` and
binds each to the function that runs it (``set_defaults(run=...)``); none imports this package
back. ``python -m rlhf_rm.cli ...`` runs ``__main__.py``, which calls ``main``.
"""

from __future__ import annotations

import argparse

from rlhf_rm.cli import annotate, evaluation, policy, reward, training
from rlhf_rm.cli.common import quiet_libraries, run_reporting_errors

# the one table of subcommand modules, in the order ``rlhf-rm --help`` lists them
SUBCOMMANDS = (training, evaluation, reward, policy, annotate)

__all__ = ["SUBCOMMANDS", "build_parser", "main", "run_reporting_errors"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlhf-rm", description="Reward models for dialogue RLHF.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_libraries()
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: args.run(args))
