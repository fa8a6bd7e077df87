"""Ray scale-out: scoring throughput of 1 and 2 Ray Data actors against the in-process
RewardFunction on the same pairs, and the Ray Serve server's requests/s with 1 vs 2 replicas.

    python bench/ray_scaling.py [--pairs 600] [--rounds 2] [--requests 256] [--smoke]

The reward model is MiniLM-L6 built with the rlhf_rm contract (as in score_vs_pipeline.py);
the pairs are HH-RLHF (helpful-base) (prompt, chosen) pairs from ../shared, written as 4 JSONL
shards of prompt + response rows. Both sides do the whole command's work: load the model, read
the rows, score, write JSONL. In-process: `rlhf-rm score` (torch with all cores); Ray: `score
--ray` on a local Ray started once, 1 actor holding every core, then 2 actors with one core
each (the same hardware split two ways). Keys:

    ray_overhead        1-actor scoring throughput / in-process scoring throughput (higher is better;
                        1 = no cost); scoring time runs from the first batch to the last, as
                        `rlhf-rm score` times it; the whole runs' seconds (Ray's start-up of actors
                        that import torch and load the model, a fixed cost) are printed too
    ray_scaling_2_vs_1  2-actor throughput / 1-actor throughput (on one 2-core machine at most ~1:
                        the same cores; on a cluster each actor brings its own node's cores)
    ray_serve_rps_1 / ray_serve_rps_2, ray_serve_scaling_2_vs_1
                        requests/s of the Ray Serve server under 16 clients (one pair a request,
                        serve_load.py's client), 1 replica with every core vs 2 with one each

``--smoke``: 16 pairs, a tiny random BERT (hidden 64) with MiniLM's tokenizer, 1 round, 32
requests a Serve run; Ray, the actors and the replicas start as in the full run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, bench_parser, pick_scale  # noqa: E402
from score_vs_pipeline import MAX_LENGTH, build_reward_model  # noqa: E402
from serve_load import REQUESTS, load, pairs  # noqa: E402

CORES = os.cpu_count() or 2


@dataclass(frozen=True)
class Scale:
    pairs: int
    rounds: int
    requests: int  # per Ray Serve run, from 16 clients
    tiny: bool  # a tiny random BERT instead of MiniLM-L6
    max_length: int  # the reward model's, as score_vs_pipeline.py builds it


FULL = Scale(pairs=600, rounds=2, requests=REQUESTS["minilm"], tiny=False, max_length=MAX_LENGTH)
SMOKE = Scale(pairs=16, rounds=1, requests=32, tiny=True, max_length=128)


def hh_pairs(n: int) -> list[tuple[str, str]]:
    from rlhf_rm.data import load_examples

    examples = load_examples(str(SHARED / "data" / "hh-rlhf" / "helpful-base.jsonl.gz"), on_bad_row="skip").examples
    return [(e.prompt, e.responses[0]) for e in examples[:n]]


def write_shards(folder: Path, data: list[tuple], shards: int = 4) -> None:
    folder.mkdir(parents=True)
    for s in range(shards):
        with open(folder / f"part-{s}.jsonl", "w", encoding="utf-8") as f:
            for prompt, reply in data[s::shards]:
                f.write(json.dumps({"prompt": prompt, "response": reply}, ensure_ascii=False) + "\n")


def in_process(model: str, shards: Path, out: Path) -> tuple[float, float]:
    """Seconds of scoring, and of the one-process command's whole work: load, read, score, write."""
    import torch

    from rlhf_rm.reward import RewardFunction
    from rlhf_rm.data.prompts import read_scoring_rows
    from rlhf_rm.reward import add_rewards

    torch.set_num_threads(CORES)
    start = time.perf_counter()
    rf = RewardFunction.from_pretrained(model)
    rows, _ = read_scoring_rows(str(shards))
    scoring = time.perf_counter()
    add_rewards(rf, rows)
    scoring = time.perf_counter() - scoring
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return scoring, time.perf_counter() - start


def on_ray(model: str, shards: Path, out: Path, actors: int) -> tuple[float, float]:
    """Seconds of scoring (the actors' first batch start to last batch end), and of the whole run
    (reading, starting actors that import torch and load the model, scoring, writing)."""
    from rlhf_rm.scale.ray_data import ActorPool, score_files

    pool = ActorPool(num_actors=actors, num_cpus=CORES / actors, rows_per_batch=128)
    summary = score_files(str(shards), str(out), {"path_or_paths": model}, pool)
    return summary.scoring_seconds, summary.seconds


def serve_rps(model: str, replicas: int, port: int, data: list[tuple[str, str]], requests: int) -> float:
    from rlhf_rm.scale.ray_serve import Replicas, deploy, undeploy
    from rlhf_rm.serve import ServeSettings

    deploy({"path_or_paths": model}, ServeSettings(port=port), Replicas(num_replicas=replicas, num_cpus=CORES / replicas))
    try:
        asyncio.run(load(port, 16, data, requests))  # warm-up
        seconds, latencies = asyncio.run(load(port, 16, data, requests))
    finally:
        undeploy()  # frees the cores: an update would start the new replicas before stopping the old
    return len(latencies) / seconds


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--pairs", type=int, default=None, help=f"default {FULL.pairs} (smoke: {SMOKE.pairs})")
    parser.add_argument("--rounds", type=int, default=None, help=f"default {FULL.rounds} (smoke: {SMOKE.rounds})")
    parser.add_argument("--requests", type=int, default=None,
                        help=f"requests per Serve run, a multiple of 16 (default {FULL.requests}; smoke: {SMOKE.requests})")
    scale = pick_scale(parser.parse_args(), FULL, SMOKE)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rlhf_rm.scale import ray_session
    from rlhf_rm.serve import free_port

    with tempfile.TemporaryDirectory() as tmp, ray_session(num_cpus=CORES):
        model, _ = build_reward_model(Path(tmp), scale.tiny, scale.max_length)
        shards = Path(tmp) / "pairs"
        write_shards(shards, hh_pairs(scale.pairs))
        times: dict[str, list[tuple[float, float]]] = {"in_process": [], "ray_1": [], "ray_2": []}
        for r in range(scale.rounds):  # interleaved, so that a busy spell hits every side alike
            times["in_process"].append(in_process(model, shards, Path(tmp) / f"one{r}.jsonl"))
            times["ray_1"].append(on_ray(model, shards, Path(tmp) / f"ray1_{r}", 1))
            times["ray_2"].append(on_ray(model, shards, Path(tmp) / f"ray2_{r}", 2))
        rate = {k: scale.pairs / statistics.median(s for s, _ in v) for k, v in times.items()}
        for k, v in times.items():
            print(f"{k}: scoring_seconds={' / '.join(f'{s:.1f}' for s, _ in v)} pairs_per_second={rate[k]:.1f} "
                  f"whole_run_seconds={' / '.join(f'{t:.1f}' for _, t in v)}", flush=True)
        print(f"ray_overhead={rate['ray_1'] / rate['in_process']:.2f}")
        print(f"ray_scaling_2_vs_1={rate['ray_2'] / rate['ray_1']:.2f}", flush=True)
        port, short = free_port(), pairs()
        rps = {n: serve_rps(model, n, port, short, scale.requests) for n in (1, 2)}
        print(f"ray_serve_rps_1={rps[1]:.1f} ray_serve_rps_2={rps[2]:.1f} "
              f"ray_serve_scaling_2_vs_1={rps[2] / rps[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
