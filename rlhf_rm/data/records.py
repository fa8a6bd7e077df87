"""The records every layout is normalized to, and the bad-row report (docs/ARCHITECTURE.md)."""

from dataclasses import dataclass, field

from rlhf_rm.types import Message


@dataclass(frozen=True)
class Example:
    """One normalized preference record (see docs/ARCHITECTURE.md)."""

    prompt: list[Message]  # the conversation before the scored reply; ends with a user turn
    responses: list[str]  # pairwise [chosen, rejected]; listwise best -> worst; pointwise [reply]
    score: float | None = None
    label: str | None = None
    margin: float | None = None
    source: str = ""
    row: int = 0  # 1-based physical line (JSONL) or row number (JSON, CSV, Parquet, hub)
    subset: str | None = None

    @property
    def kind(self) -> str:
        if len(self.responses) == 1:
            return "pointwise"
        return "pairwise" if len(self.responses) == 2 else "listwise"


@dataclass(frozen=True)
class BadRow:
    """A row that could not be used; `str()` gives `FILE line N: reason` (or `row N`)."""

    source: str
    row: int
    reason: str
    line_based: bool

    def __str__(self) -> str:
        return f"{self.source} {'line' if self.line_based else 'row'} {self.row}: {self.reason}"


class DataError(ValueError):
    """Data that cannot be loaded; `.bad_rows` holds every bad row found (may be empty)."""

    def __init__(self, message: str, bad_rows: list[BadRow] | None = None):
        super().__init__(message)
        self.bad_rows = bad_rows or []


def bad_rows_error(name: str, bad_rows: list[BadRow], hint: str = "") -> DataError:
    """The error that stops at bad rows: how many, where, each one on its own line (``FILE line N:
    reason``), then ``hint`` (what to do about them), carrying the rows."""
    listing = "\n".join(f"  {bad}" for bad in bad_rows)
    return DataError(f"{len(bad_rows)} bad row(s) in {name}:\n{listing}" + (f"\n{hint}" if hint else ""), list(bad_rows))


@dataclass
class LoadedData:
    examples: list[Example]
    bad_rows: list[BadRow]  # empty unless loaded with on_bad_row="skip"
    layouts: list[str]  # detected layout names, first seen first (keys of LAYOUTS)
    name: str  # display name, see dataset_name()
    # later copies of an example seen before, `FILE line N: duplicate of FILE line M`; dropped
    # from `examples` or kept there as `load_examples(on_duplicate=...)` says
    duplicates: list[BadRow] = field(default_factory=list)
    # rows left out on purpose, by reason: annotate's ties, skips and retracted judgements,
    # unlabeled or cancelled tasks of a labeling tool's export (never errors)
    left_out: dict[str, int] = field(default_factory=dict)
