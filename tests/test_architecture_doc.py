"""docs/ARCHITECTURE.md stays the map of the tree: every module is named there, and every path or
dotted ``rlhf_rm`` name it gives exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from support import REPO

DOC = REPO / "docs" / "ARCHITECTURE.md"
PACKAGE = REPO / "rlhf_rm"
# repository paths the map names: the package's and the folders around it
PATH = re.compile(r"\b(?:rlhf_rm|recipes|bench|scripts|tests|docs)/[\w./-]*")
DOTTED = re.compile(r"\brlhf_rm(?:\.[A-Za-z_]\w*)+")
NOT_MODULES = {"rlhf_rm.json"}  # the contract's file name


def _modules() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in PACKAGE.rglob("*.py")
                  if p.name not in ("__init__.py", "__main__.py"))


def _top_level_names(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _dotted_problem(name: str) -> str | None:
    """Why ``rlhf_rm.a.b.c`` names nothing (None when it names a package, a module, or a name
    defined at the top of one)."""
    where = REPO / "rlhf_rm"
    parts = name.split(".")[1:]
    for i, part in enumerate(parts):
        if (where / part).is_dir():
            where = where / part
            continue
        module = where / f"{part}.py"
        if module.is_file():
            rest = parts[i + 1:]
            return None if not rest or rest[0] in _top_level_names(module) else f"{module.name} defines no {rest[0]}"
        init = where / "__init__.py"
        return None if part in _top_level_names(init) else f"{init.relative_to(REPO)} has no {part}"
    return None


def test_every_module_is_on_the_map():
    doc = DOC.read_text(encoding="utf-8")
    missing = [m for m in _modules() if f"`{m}`" not in doc]
    assert not missing, f"modules missing from {DOC.name} (one line each, their one job): {missing}"


def test_every_path_on_the_map_exists():
    doc = DOC.read_text(encoding="utf-8")
    named = {m.rstrip(".") for m in PATH.findall(doc)}
    assert "rlhf_rm/reward.py" in named and "rlhf_rm/data/" in named  # the pattern reads the map
    gone = sorted(p for p in named if not (REPO / p).exists())
    assert not gone, f"{DOC.name} names paths that do not exist: {gone}"


def test_every_dotted_name_on_the_map_exists():
    doc = DOC.read_text(encoding="utf-8")
    named = set(DOTTED.findall(doc)) - NOT_MODULES
    assert "rlhf_rm.model.encode.encode_pairs" in named
    problems = {n: p for n in sorted(named) if (p := _dotted_problem(n)) is not None}
    assert not problems, f"{DOC.name} names what does not exist: {problems}"


def test_the_checks_catch_a_stale_name():
    assert _dotted_problem("rlhf_rm.model.encode.no_such_function") is not None
    assert _dotted_problem("rlhf_rm.ppo.no_such_module") is not None
    assert _dotted_problem("rlhf_rm.train.config.TrainConfig") is None


def test_the_readme_points_to_the_map():
    assert "docs/ARCHITECTURE.md" in (REPO / "README.md").read_text(encoding="utf-8")
