"""Preference data: read files, folders, globs and hub ids, detect the layout, normalize to `Example`.

Every layout becomes one record: a prompt (a list of chat messages ending with a user turn) and
its replies -- pairwise [chosen, rejected], listwise best -> worst, or pointwise [reply] with a
score or label. Rows that cannot be used become `BadRow`s that name the file, the line or row,
and what is wrong; all of a load's bad rows are collected before anything is raised.
"""

import hashlib
import json
import os
import random
from collections.abc import Collection, Iterator
from pathlib import Path

from rlhf_rm.data.interop import normalize_whole_table
from rlhf_rm.data.layouts import LABELS, LAYOUTS, normalize_table
from rlhf_rm.data.messages import ROLES
from rlhf_rm.data.read import FORMATS, GLOB_CHARS, read_spec
from rlhf_rm.data.records import BadRow, DataError, Example, LoadedData, Message, bad_rows_error

__all__ = [
    "FORMATS",
    "LABELS",
    "LAYOUTS",
    "ROLES",
    "BadRow",
    "DataError",
    "Example",
    "LoadedData",
    "Message",
    "dataset_name",
    "find_duplicates",
    "find_overlap",
    "iter_texts",
    "load_examples",
    "render_transcript",
    "split_dev",
]


def load_examples(
    spec: str | list[str], on_bad_row: str = "error", split: str = "train", on_duplicate: str = "keep",
    keep_ties: bool = False,
) -> LoadedData:
    """Load preference data from one spec or a list of specs and normalize it to `Example`s.

    A spec is a local file (.jsonl, .json, .csv, .parquet; the first three also gzipped as .gz),
    a folder (its supported files, not recursive, sorted by name), a glob pattern (sorted, `**`
    allowed), or -- when no such path exists -- a Hugging Face dataset id loaded with
    `datasets.load_dataset(id, split=split)`. A hub id may end in `:split` to override `split`
    and carry a data folder after the repo id: `Anthropic/hh-rlhf/harmless-base:test` loads
    `load_dataset("Anthropic/hh-rlhf", data_dir="harmless-base", split="test")`.

    A `.json` file holds a list of objects or `{"data": [...]}`; one that is really JSON Lines is
    read as such. In CSV an empty cell is a missing value, and `score`/`margin` cells are parsed
    as numbers. The layout (see `LAYOUTS`) is detected per file from its rows: the layout at least
    two thirds of the rows are in; a row in another layout is a bad row (`row is in layout X, the
    file is in layout Y`), and a file whose rows mix layouts more evenly raises `DataError`.

    on_bad_row: "error" raises one `DataError` listing every bad row of every file;
    "skip" drops them and returns them in `LoadedData.bad_rows`.
    Rows left out on purpose are counted by reason in `LoadedData.left_out`, never errors: the
    ties, skips and retracted judgements of `rlhf-rm annotate`'s output, the unlabeled or
    cancelled tasks of a Label Studio or Argilla export.
    on_duplicate: an example equal in everything training reads (prompt, replies in order,
    score, label, margin) to one loaded before it, in the same file or another, is listed in
    `LoadedData.duplicates` either way; "drop" also removes it from the examples (the first copy
    stays), "keep" leaves it there. Duplicates are never an error. (`rlhf-rm train` drops them by
    default; reading for evaluation or scoring keeps the data as it is.)
    keep_ties: a pair or ranked list with identical or empty replies is a bad row (nothing to
    learn from it) unless this is set; evaluation sets it and counts such a pair as not won, as
    RewardBench does, instead of dropping it.
    """
    if on_bad_row not in ("error", "skip"):
        raise ValueError(f"on_bad_row must be 'error' or 'skip', got {on_bad_row!r}")
    if on_duplicate not in ("drop", "keep"):
        raise ValueError(f"on_duplicate must be 'drop' or 'keep', got {on_duplicate!r}")
    specs = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    examples: list[Example] = []
    bad_rows: list[BadRow] = []
    layouts: list[str] = []
    line_sources: set[str] = set()
    left_out: dict[str, int] = {}
    for table in (t for s in specs for t in read_spec(str(s), split)):
        if table.line_based:
            line_sources.add(table.source)
        whole = normalize_whole_table(table)  # annotate output, Label Studio, Argilla
        layout, good, bad = whole[:3] if whole else normalize_table(table, keep_ties)
        for reason, count in (whole[3] if whole else {}).items():
            left_out[reason] = left_out.get(reason, 0) + count
        examples += good
        bad_rows += bad
        if layout and layout not in layouts:
            layouts.append(layout)
    name = "+".join(dict.fromkeys(dataset_name(str(s)) for s in specs))
    if not examples and not bad_rows:
        raise DataError(f"{name}: no rows found in {', '.join(map(str, specs))}")
    if bad_rows and on_bad_row == "error":
        raise bad_rows_error(name, bad_rows,
                             "Fix these rows, or load with on_bad_row='skip' to drop them (they are reported).")
    duplicates = find_duplicates(examples, line_sources)
    if on_duplicate == "drop":
        copies = {copy for copy, _ in _duplicate_pairs(examples)}
        examples = [e for i, e in enumerate(examples) if i not in copies]
    return LoadedData(examples, bad_rows, layouts, name, duplicates, left_out)


def find_duplicates(examples: list[Example], line_sources: Collection[str] = ()) -> list[BadRow]:
    """Every later copy of an example: the same prompt, replies in the same order, score, label
    and margin (source, row and subset aside), as `FILE line N: duplicate of FILE line M` naming
    the first copy. Sources in `line_sources` number lines, the others rows."""
    duplicates = []
    for copy, first in _duplicate_pairs(examples):
        copy_example, seen = examples[copy], examples[first]
        unit = "line" if seen.source in line_sources else "row"
        reason = f"duplicate of {seen.source} {unit} {seen.row}"
        duplicates.append(BadRow(copy_example.source, copy_example.row, reason, copy_example.source in line_sources))
    return duplicates


def _duplicate_pairs(examples: list[Example]) -> list[tuple[int, int]]:
    """(index of a later copy, index of its first copy) for each duplicate, in input order."""
    first: dict[bytes, int] = {}
    return [(i, j) for i, e in enumerate(examples) if (j := first.setdefault(_duplicate_key(e), i)) != i]


def dataset_name(spec: str) -> str:
    """A short display name: `a/helpful-base.jsonl.gz` -> `helpful-base`; a folder or a glob
    whose file part is a pattern -> the folder's name; a hub id -> its last part (no `:split`)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve().name
    parts = list(path.parts)
    while parts and GLOB_CHARS.search(parts[-1]):
        parts.pop()  # a glob: name it after the folder the pattern starts from
    if not parts:
        return Path.cwd().name
    name = parts[-1]
    if not path.exists() and not GLOB_CHARS.search(spec):
        name = name.split(":")[0]  # hub id with a :split suffix
    while Path(name).suffix.lower() in (*FORMATS, ".gz") and Path(name).stem:
        name = Path(name).stem
    return name if name not in (".", "..") else Path(name).resolve().name


def split_dev(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Split into (train, dev) with about `fraction` of the examples in dev, deterministically
    for a seed. Examples sharing a prompt fall on one side, so no prompt leaks into dev, and the
    copies of a duplicated example (kept with `on_duplicate="keep"`) never straddle the split.
    Both sides keep the input order."""
    if not 0 <= fraction < 1:
        raise ValueError(f"dev fraction must be in [0, 1), got {fraction}")
    if fraction == 0 or not examples:
        return list(examples), []
    groups: dict[str, list[int]] = {}
    for i, example in enumerate(examples):
        groups.setdefault(_prompt_key(example.prompt), []).append(i)
    keys = sorted(groups)  # independent of input order and of PYTHONHASHSEED
    random.Random(seed).shuffle(keys)
    target = max(1, round(fraction * len(examples)))
    dev: set[int] = set()
    for key in keys[:-1]:  # the last group always stays in train
        if len(dev) >= target:
            break
        dev.update(groups[key])
    return [e for i, e in enumerate(examples) if i not in dev], [examples[i] for i in sorted(dev)]


def find_overlap(train: list[Example], other: list[Example]) -> int:
    """How many examples of `other` have a prompt and a set of replies that also occur in
    `train` (reply order ignored, so a swapped chosen/rejected pair counts as seen)."""
    seen = {_example_key(e) for e in train}
    return sum(_example_key(e) in seen for e in other)


def render_transcript(messages: list[Message], reply: str | None = None) -> str:
    """Plain text of a conversation for language-model pretraining:
    `User: ...\\n\\nAssistant: ...`, with the reply (if given) as the last assistant turn."""
    turns = [*messages, *([{"role": "assistant", "content": reply}] if reply is not None else [])]
    return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in turns)


def iter_texts(loaded: LoadedData) -> Iterator[str]:
    """Each example's prompt with each of its replies as plain text (unsupervised pretraining)."""
    for example in loaded.examples:
        for reply in example.responses:
            yield render_transcript(example.prompt, reply)


def _prompt_key(prompt: list[Message]) -> str:
    return json.dumps([[m["role"], m["content"]] for m in prompt], ensure_ascii=False)


def _duplicate_key(example: Example) -> bytes:
    fields = [_prompt_key(example.prompt), example.responses, example.score, example.label, example.margin]
    return hashlib.blake2b(json.dumps(fields, ensure_ascii=False).encode(), digest_size=16).digest()


def _example_key(example: Example) -> bytes:
    text = json.dumps([_prompt_key(example.prompt), sorted(example.responses)], ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
