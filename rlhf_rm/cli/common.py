"""What every ``rlhf-rm`` subcommand shares: a quiet console and user errors as one sentence.

A user error (a bad config key, a bad data row, a missing file or model) ends the command with
one ``error: ...`` line and exit status 2; ``RLHF_RM_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterable


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception types reported as one sentence rather than a traceback."""
    from rlhf_rm.config import ConfigError
    from rlhf_rm.data import DataError

    # OSError: a missing file, or a model/tokenizer id that cannot be loaded (no network, no such repo)
    return (DataError, ConfigError, OSError, ValueError, RuntimeError)


def run_reporting_errors(fn: Callable[[], int]) -> int:
    """``fn()``, with a user error as one ``error: ...`` line and exit status 2 instead of a traceback.

    Shared by ``rlhf-rm`` and the recipes' scripts; ``RLHF_RM_DEBUG=1`` shows the traceback.
    """
    try:
        code = fn()
        end_process_group()  # on success only: a failed rank must not wait in a barrier for the rest
        return code
    except user_errors() as err:
        if os.environ.get("RLHF_RM_DEBUG"):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def end_process_group() -> None:
    """Leave the ``torch.distributed`` group a launched run joined, so no rank exits mid-teardown.

    A rank that exits with the gloo group still open can abort (``terminate called without an
    active exception``) while another rank is still writing its results.
    """
    torch = sys.modules.get("torch")  # a run that never imported torch joined no group
    if torch is None or not torch.distributed.is_available() or not torch.distributed.is_initialized():
        return
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


def print_skipped(bad_rows: list) -> None:
    """The bad rows a command skipped (``--on-bad-row skip``), one per line; nothing when none."""
    if bad_rows:
        print(f"skipped {len(bad_rows)} bad rows:")
        for bad in bad_rows:
            print(f"  {bad}")


def quiet_libraries() -> None:
    """Keep the console for rlhf_rm's own story: library chatter at error level only."""
    import logging
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers weight-loading bars
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")  # datasets.map bars
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*kernels.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="peft")
    warnings.filterwarnings("ignore", category=FutureWarning)


def add_config_arguments(parser: argparse.ArgumentParser, config_help: str,
                         overrides_help: str = "key=value overrides") -> None:
    """``--config FILE`` and trailing ``key=value`` overrides: how every config-driven job is started."""
    parser.add_argument("--config", help=config_help)
    parser.add_argument("overrides", nargs="*", help=overrides_help)


def add_combine_args(parser: argparse.ArgumentParser) -> None:
    """``--combine`` / ``--combine-k``: how an ensemble's member scores become one reward
    (``RewardFunction``'s ``ensemble`` / ``ensemble_k``; ``--ensemble`` is the older spelling)."""
    parser.add_argument("--combine", "--ensemble", dest="ensemble", default=None,
                        choices=["mean", "mean_minus_std", "min"],
                        help="an ensemble (a folder trained with ensemble=k, or several --model): mean, "
                             "mean - k * std of the members (Coste et al. 2023) or min (default: the "
                             "folder's saved combine, mean)")
    parser.add_argument("--combine-k", "--ensemble-k", dest="ensemble_k", type=float, default=1.0,
                        help="k of mean_minus_std")


def write_jsonl(path: str, records: Iterable[dict]) -> None:
    """One JSON object a line (UTF-8 kept as is), creating the parent folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
