"""``rlhf-rm``: one table of subcommand modules builds the parser; ``python -m rlhf_rm.cli`` runs it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rlhf_rm.cli as cli

EXPECTED = {"train", "pretrain", "eval", "export", "score", "rerank", "serve", "ppo", "chat", "quickstart", "annotate"}


def _subcommands() -> dict:
    parser = cli.build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


def test_every_subcommand_is_registered_once_and_bound_to_its_function():
    subcommands = _subcommands()
    assert set(subcommands) == EXPECTED
    for name, sub in subcommands.items():
        run = sub.get_default("run")
        assert callable(run) and run.__name__ == f"cmd_{name}", name
        assert run.__module__ in {m.__name__ for m in cli.SUBCOMMANDS}, name


def test_no_subcommand_module_imports_the_cli_package_back():
    for module in (*cli.SUBCOMMANDS, cli.common, cli.launch):
        tree = ast.parse(Path(module.__file__).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "rlhf_rm.cli" not in imported, module.__name__


def test_python_dash_m_lists_every_subcommand():
    run = subprocess.run([sys.executable, "-m", "rlhf_rm.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert all(name in run.stdout for name in EXPECTED)


def test_an_unknown_subcommand_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["nosuch"])
    assert exit_.value.code == 2
    assert "invalid choice: 'nosuch'" in capsys.readouterr().err
