"""Ray Data: score, or rerank best-of-n candidates of, a sharded data set with an actor pool.

    with ray_session():
        summary = score_files("rollouts/", "scored/", {"path_or_paths": "runs/rm"}, ActorPool(num_actors=4))

The pipeline, each stage Ray Data's:
1. read: one task per input file, through the data layer's readers (``read_scoring_rows``,
   ``read_candidates``), so rows and bad rows are named by file and line as the one-process
   commands name them; each row travels as JSON text (prompts may be strings or message lists,
   which no single Arrow column holds).
2. score: ``map_batches`` over a pool of ``num_actors`` actors, each loading the reward model
   once (``RewardFunction.from_pretrained``) and scoring ``rows_per_batch`` rows per call.
3. write: one JSONL (or Parquet) file per block into the output folder, with the one-process
   command's columns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ray.data.block import BlockAccessor
from ray.data.datasource import BlockBasedFileDatasink

from rlhf_rm.data import BadRow, DataError

FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True)
class ActorPool:
    """The scoring actors: how many, what each reserves, how many rows per call.

    torch uses ``max(1, int(num_cpus))`` threads in each actor: on one machine, give the pool
    every core (``num_actors * num_cpus``) and large batches, and an actor runs as fast as the
    one-process command.
    """

    num_actors: int = 2
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    rows_per_batch: int = 512


@dataclass(frozen=True)
class Summary:
    """What a run did: rows scored (replies, or prompts for a rerank), bad rows skipped, and the
    mean reward (for a rerank: the mean best score; ``mean_score`` over every candidate)."""

    rows: int
    candidates: int
    mean_reward: float
    mean_score: float
    bad_rows: list[BadRow]
    seconds: float  # the whole run: reading, starting the actors, loading the model, scoring, writing
    scoring_seconds: float  # from the first batch's start to the last one's end, across the actors


# ---- 1. read ----------------------------------------------------------------------------------

def _read_shard(item: dict[str, Any], reader: Callable[..., tuple[list[dict], list[BadRow]]],
                kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """One input file's rows as JSON text, then its bad rows, or the error that stopped it."""
    shard = item["shard"]
    try:
        rows, bad_rows = reader(item["path"], **kwargs)
    except DataError as err:
        if not err.bad_rows:
            return [{"shard": shard, "pos": 0, "kind": "DataError", "text": str(err)}]
        rows, bad_rows = [], err.bad_rows
    except ValueError as err:  # the readers' sentence naming the file and line
        return [{"shard": shard, "pos": 0, "kind": "ValueError", "text": str(err)}]
    out = [{"shard": shard, "pos": i, "kind": "row", "text": json.dumps(r, ensure_ascii=False)}
           for i, r in enumerate(rows)]
    out += [{"shard": shard, "pos": i, "kind": "bad", "text": json.dumps(vars(b))} for i, b in enumerate(bad_rows)]
    return out


def _scoring_rows(path: str, on_bad_row: str) -> tuple[list[dict], list[BadRow]]:
    from rlhf_rm.data.prompts import read_scoring_rows

    return read_scoring_rows(path, on_bad_row)


def _candidate_rows(path: str) -> tuple[list[dict], list[BadRow]]:
    from rlhf_rm.rerank import read_candidates

    prompts, candidates = read_candidates(path)
    return [{"prompt": p, "candidates": c} for p, c in zip(prompts, candidates)], []


def _read(spec: str, reader: Callable, kwargs: dict[str, Any], pool: ActorPool):
    """(parsed dataset, bad rows in file order); raises the first file's error in file order.
    The dataset also holds the bad rows' records: the actors skip them (a filter task between
    them would wait for a CPU that the actors hold)."""
    import ray.data
    from ray.data.expressions import col

    from rlhf_rm.data.read import local_files

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = context.print_on_execution_start = False  # the CLI prints a summary
    files = local_files(spec) or [spec]  # a hub id is read as one shard
    items = [{"shard": i, "path": f} for i, f in enumerate(files)]
    parsed = ray.data.from_items(items, override_num_blocks=len(items)).flat_map(
        _read_shard, fn_kwargs={"reader": reader, "kwargs": kwargs}, num_cpus=min(pool.num_cpus, 1.0)
    ).repartition(target_num_rows_per_block=pool.rows_per_batch).materialize()  # blocks for every actor
    problems = sorted(parsed.filter(expr=col("kind") != "row").take_all(), key=lambda r: (r["shard"], r["pos"]))
    errors = [p for p in problems if p["kind"] != "bad"]
    if errors:  # as the one-process reader stops: at the first file's error, with its type
        raise (DataError if errors[0]["kind"] == "DataError" else ValueError)(errors[0]["text"])
    bad_rows = [BadRow(**json.loads(p["text"])) for p in problems]
    return parsed, bad_rows


# ---- 2. score ---------------------------------------------------------------------------------

class _Scorer:
    """An actor of the pool: loads the reward model once, scores a batch of rows per call."""

    def __init__(self, reward_kwargs: dict[str, Any], num_threads: int):
        import torch

        from rlhf_rm.reward import RewardFunction

        torch.set_num_threads(num_threads)
        self.reward_fn = RewardFunction.from_pretrained(**reward_kwargs)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from rlhf_rm.reward import add_rewards

        started = time.time()  # wall clock: comparable across actors and nodes
        rows = [json.loads(text) for text, kind in zip(batch["text"], batch["kind"]) if kind == "row"]
        rewards = add_rewards(self.reward_fn, rows)  # the one-process command's columns
        return {"line": [json.dumps(r, ensure_ascii=False) for r in rows], "reward": rewards,
                **_span(started, len(rows))}


class _Reranker(_Scorer):
    """Best-of-n per prompt; ``sft`` holds each prompt's ``top_k`` SFT records as JSON lines."""

    def __init__(self, reward_kwargs: dict[str, Any], num_threads: int, top_k: int):
        super().__init__(reward_kwargs, num_threads)
        self.top_k = top_k

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from rlhf_rm.rerank import best_of_n, sft_records

        started = time.time()
        items = [json.loads(text) for text, kind in zip(batch["text"], batch["kind"]) if kind == "row"]
        results = best_of_n(self.reward_fn, [i["prompt"] for i in items], candidates=[i["candidates"] for i in items])
        return {
            "line": [json.dumps(r.to_json(), ensure_ascii=False) for r in results],
            "sft": ["\n".join(json.dumps(s, ensure_ascii=False) for s in sft_records([r], self.top_k))
                    for r in results],
            "best_score": [r.best_score for r in results],
            "score_sum": [sum(c.score for c in r.candidates) for r in results],
            "candidates": [len(r.candidates) for r in results],
            **_span(started, len(results)),
        }


def _span(started: float, rows: int) -> dict[str, list[float]]:
    """Each row of a batch carries the batch's start and end time, for the run's scoring time."""
    return {"started": [started] * rows, "finished": [time.time()] * rows}


def _sums(scored, columns: tuple[str, ...]) -> tuple[dict[str, float], float]:
    """Sums of ``columns`` and the seconds from the first batch's start to the last one's end, in
    one pass over the scored rows."""
    from ray.data.aggregate import Max, Min, Sum

    out = scored.aggregate(*(Sum(c, alias_name=c) for c in columns), Min("started", alias_name="started"),
                           Max("finished", alias_name="finished"))
    return out, out["finished"] - out["started"]


def _map(rows, actor: type, pool: ActorPool, **actor_kwargs: Any):
    """The actor pool over the rows: ``num_actors`` actors, ``rows_per_batch`` rows a call."""
    if pool.num_actors < 1 or pool.rows_per_batch < 1:
        raise ValueError(f"need at least 1 actor and 1 row per batch, got {pool}")
    from ray.data import ActorPoolStrategy

    return rows.map_batches(
        actor, fn_constructor_kwargs={**actor_kwargs, "num_threads": max(1, int(pool.num_cpus))},
        batch_size=pool.rows_per_batch, batch_format="numpy", compute=ActorPoolStrategy(size=pool.num_actors),
        num_cpus=pool.num_cpus, num_gpus=pool.num_gpus,
    ).materialize()


# ---- 3. write ---------------------------------------------------------------------------------

class _LinesDatasink(BlockBasedFileDatasink):
    """One file per block: a column of JSON lines written as JSONL, or as Parquet columns."""

    def __init__(self, path: str, column: str, file_format: str):
        from ray.data import SaveMode

        super().__init__(path, file_format=file_format, mode=SaveMode.OVERWRITE)
        self.column, self.format = column, file_format

    def write_block_to_file(self, block: BlockAccessor, file) -> None:
        lines = [line for line in block.to_arrow()[self.column].to_pylist() if line]
        if self.format == "jsonl":
            file.write("".join(line + "\n" for line in lines).encode("utf-8"))
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist([json.loads(line) for line in lines]), file)


def _write(scored, column: str, output: str, file_format: str) -> None:
    if file_format not in FORMATS:
        raise ValueError(f"output format must be one of {FORMATS}, got {file_format!r}")
    scored.write_datasink(_LinesDatasink(output, column, file_format))


# ---- the jobs ---------------------------------------------------------------------------------

def score_files(spec: str, output: str, reward_kwargs: dict[str, Any], pool: ActorPool = ActorPool(),
                on_bad_row: str = "error", file_format: str = "jsonl") -> Summary:
    """``rlhf-rm score`` on Ray: every (prompt, reply) of ``spec`` (a file, folder or glob of the
    data layer's layouts) gets ``reward`` and ``raw_score``, written as shards into the folder
    ``output``. Bad rows stop the run (``on_bad_row="error"``, all listed) or are skipped and
    returned. ``reward_kwargs`` are ``RewardFunction.from_pretrained``'s arguments."""
    from rlhf_rm.data.prompts import SKIP_HINT
    from rlhf_rm.data.records import bad_rows_error

    start = time.perf_counter()
    rows, bad_rows = _read(spec, _scoring_rows, {"on_bad_row": "skip"}, pool)
    if bad_rows and on_bad_row == "error":
        raise bad_rows_error(spec, bad_rows, SKIP_HINT)
    scored = _map(rows, _Scorer, pool, reward_kwargs=reward_kwargs)
    _write(scored, "line", output, file_format)
    n = scored.count()
    if not n:
        return Summary(0, 0, 0.0, 0.0, bad_rows, time.perf_counter() - start, 0.0)
    sums, scoring = _sums(scored, ("reward",))
    mean = sums["reward"] / n
    return Summary(n, n, mean, mean, bad_rows, time.perf_counter() - start, scoring)


def rerank_files(spec: str, output: str, reward_kwargs: dict[str, Any], pool: ActorPool = ActorPool(),
                 sft_output: str | None = None, top_k: int = 1) -> Summary:
    """``rlhf-rm rerank --candidates`` on Ray: each prompt's candidates scored, the best chosen,
    written as JSONL shards into ``output``; with ``sft_output``, each prompt's ``top_k`` best
    replies as TRL conversational SFT shards there."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    start = time.perf_counter()
    rows, _ = _read(spec, _candidate_rows, {}, pool)
    reranked = _map(rows, _Reranker, pool, reward_kwargs=reward_kwargs, top_k=top_k)
    _write(reranked, "line", output, "jsonl")
    if sft_output is not None:
        _write(reranked, "sft", sft_output, "jsonl")
    prompts = reranked.count()
    if not prompts:
        return Summary(0, 0, 0.0, 0.0, [], time.perf_counter() - start, 0.0)
    sums, scoring = _sums(reranked, ("candidates", "best_score", "score_sum"))
    candidates = int(sums["candidates"])
    best, mean = sums["best_score"] / prompts, sums["score_sum"] / candidates
    return Summary(prompts, candidates, best, mean, [], time.perf_counter() - start, scoring)
