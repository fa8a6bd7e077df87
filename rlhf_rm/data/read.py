"""Read local files, folders, globs and hub ids into tables of raw rows, keeping row numbers."""

import csv
import glob
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlhf_rm.data.records import DataError

FORMATS = (".jsonl", ".json", ".csv", ".parquet")  # each but .parquet may also end in .gz
GLOB_CHARS = re.compile(r"[*?\[]")
BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, decoded with surrogateescape


@dataclass(frozen=True)
class Unparseable:
    """A row that could not be parsed; `reason` says why."""

    reason: str


@dataclass(frozen=True)
class Table:
    """The raw rows of one source, before layout detection."""

    source: str
    line_based: bool
    rows: list[tuple[int, Any]]  # (1-based line or row number, dict | anything | Unparseable)


def read_spec(spec: str, split: str) -> list[Table]:
    """One table per file of a file, folder or glob spec; a spec that is no local path is a hub
    id (`owner/name[/data_dir][:split]`). Raises DataError when nothing can be read."""
    files = local_files(spec)
    if files is None:
        return [_read_hub(spec, split)]
    return [_read_file(Path(f).expanduser(), f) for f in files]


def local_files(spec: str) -> list[str] | None:
    """The files of a file, folder or glob spec, each spelled as its table's ``source`` (the spec
    itself for one file); None for a hub id. Raises DataError when nothing matches. Reading each
    file alone (``read_spec(file)``) names rows as reading the whole spec does."""
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and _is_supported(p))
        if not files:
            raise DataError(f"folder {spec} holds no {_formats_text()} files")
        return [str(p) for p in files]
    if path.is_file():
        return [spec]
    if GLOB_CHARS.search(spec):
        files = sorted(Path(p) for p in glob.glob(os.path.expanduser(spec), recursive=True))
        files = [p for p in files if p.is_file() and _is_supported(p)]
        if not files:
            raise DataError(f"the pattern {spec} matches no {_formats_text()} files")
        return [str(p) for p in files]
    if _is_supported(path) or spec.startswith((".", "/", "~")):
        raise DataError(f"file not found: {spec}")
    return None


def _is_supported(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(FORMATS) or name.endswith(tuple(f"{f}.gz" for f in FORMATS[:3]))


def _formats_text() -> str:
    return ".jsonl/.json/.csv/.parquet (or .jsonl.gz/.json.gz/.csv.gz)"


def _read_file(path: Path, display: str | None = None) -> Table:
    source = display or str(path)
    name = path.name.lower().removesuffix(".gz")
    if not _is_supported(path):
        raise DataError(f"{source}: unsupported file type (expected {_formats_text()})")
    if name.endswith(".parquet"):
        import pyarrow  # heavy; only for parquet files
        import pyarrow.parquet as pq

        try:
            return Table(source, False, list(enumerate(pq.read_table(path).to_pylist(), 1)))
        except pyarrow.ArrowException as err:  # e.g. a string column that is not UTF-8
            raise DataError(f"{source}: cannot be read as Parquet ({err})") from err
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            if f.read(2) in (b"\xff\xfe", b"\xfe\xff"):
                raise DataError(f"{source}: the file is UTF-16 (it starts with a UTF-16 byte-order "
                                "mark); data files must be UTF-8-encoded: re-save it as UTF-8")
            f.seek(0)
            if name.endswith(".jsonl"):
                return Table(source, True, list(_jsonl_rows(f)))  # line by line: a bad line is one bad row
            data = f.read()
    except (OSError, EOFError, zlib.error) as err:  # a truncated or corrupt gzip file
        raise DataError(f"{source}: cannot be read ({type(err).__name__}: {err})") from err
    # CSV and JSON documents span lines, so they are decoded whole; a byte that is not UTF-8 is
    # kept as a surrogate escape and reported on the row that holds it (`_check_utf8`)
    text = data.removeprefix(BOM).decode("utf-8", "surrogateescape")
    if name.endswith(".csv"):
        return Table(source, False, _csv_rows(text, source))
    return _json_table(data, text, source)


def _jsonl_rows(lines: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(lines, 1):
        try:
            line = (raw.removeprefix(BOM) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as err:
            yield number, Unparseable(_not_utf8(f"byte 0x{raw[err.start]:02x} at byte {err.start + 1} of the line"))
            continue
        if not line.strip():
            continue  # blank lines are allowed but still count for line numbers
        try:
            yield number, json.loads(line.rstrip())  # column numbers stay those of the line
        except json.JSONDecodeError as err:
            yield number, Unparseable(f"unparseable JSON ({err.msg} at column {err.colno})")


def _json_table(data: bytes, text: str, source: str) -> Table:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.lstrip().startswith("{"):  # JSON Lines named .json
            return Table(source, True, list(_jsonl_rows(io.BytesIO(data))))
        raise DataError(
            f"{source}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
        ) from None
    if isinstance(rows, dict) and isinstance(rows.get("data"), list):
        rows = rows["data"]
    if not isinstance(rows, list):
        raise DataError(f'{source}: expected a JSON list of objects or {{"data": [...]}}')
    return Table(source, False, [(number, _check_utf8(row)) for number, row in enumerate(rows, 1)])


def _csv_rows(text: str, source: str) -> list[tuple[int, Any]]:
    rows = []
    try:
        for number, record in enumerate(csv.DictReader(io.StringIO(text, newline="")), 1):
            row = {k: _csv_cell(k, v) for k, v in record.items() if k is not None}
            rows.append((number, _check_utf8(row)))
    except csv.Error as err:
        raise DataError(f"{source} row {len(rows) + 1}: unreadable CSV ({err})") from err
    return rows


def _check_utf8(row: Any) -> Any:
    """The row, or `Unparseable` naming the field that holds its first byte that is not UTF-8."""
    bad = _first_bad_byte(row, "the row")
    return row if bad is None else Unparseable(_not_utf8(bad))


def _first_bad_byte(value: Any, where: str) -> str | None:
    # surrogateescape decodes a byte that is not UTF-8 to U+DC80..U+DCFF; JSON and CSV keep it
    if isinstance(value, str):
        bad = _SURROGATE.search(value)
        return f"byte 0x{ord(bad.group()) - 0xDC00:02x} in {where}" if bad else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"field {key!r}" if where == "the row" else f"{where}[{key!r}]"
            found = _first_bad_byte(key, f"a key of {where}") or _first_bad_byte(item, name)
            if found:
                return found
    if isinstance(value, list):
        return next((f for i, item in enumerate(value) if (f := _first_bad_byte(item, f"{where}[{i}]"))), None)
    return None


def _not_utf8(detail: str) -> str:
    return f"not valid UTF-8 ({detail}); data files must be UTF-8-encoded: re-save the file as UTF-8"


def _csv_cell(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key in ("score", "margin"):
        try:
            return float(value)
        except ValueError:
            return value  # reported as "not a number" by the normalizer
    return value


def _read_hub(spec: str, split: str) -> Table:
    repo, has_split, split_suffix = spec.partition(":")
    split = split_suffix if has_split else split
    parts = repo.split("/")
    owner_name, data_dir = "/".join(parts[:2]), "/".join(parts[2:]) or None
    import datasets  # heavy; only for hub ids

    try:
        rows = datasets.load_dataset(owner_name, data_dir=data_dir, split=split)
    except Exception as err:  # offline, unknown id, missing split: all mean "use a local path"
        raise DataError(
            f"{spec} is not a local path, and the Hugging Face dataset '{owner_name}' (split "
            f"'{split}') could not be reached or loaded ({type(err).__name__}: {err}). "
            "Pass a local file, folder or glob instead."
        ) from err
    return Table(spec, False, list(enumerate(rows, 1)))
