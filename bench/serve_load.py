"""Reward-server load: 1 vs 16 concurrent clients (requests/s, p50/p99 latency, mean batch size).

    python bench/serve_load.py [--requests N] [--rounds 5] [--models minilm,tiny] [--pairs-per-request 1] [--smoke]

The server (`rlhf-rm serve`, default settings) runs in its own process on 127.0.0.1, once with
each of two reward models saved with the rlhf_rm contract:

- minilm: MiniLM-L6 (22M parameters). On a CPU its forward costs the same per token at any
  batch size, so batching can only save the per-request overhead: a floor for the gain;
- tiny: a random 2-layer BERT (hidden 64) with MiniLM's tokenizer, whose forward is cheap next
  to the per-request overhead -- the regime of a GPU, where a batch of 16 costs about one request.

Each request is POST /score with one (prompt, reply) pair (the headline): short single-turn
HH-RLHF (helpful-base) pairs from ../shared, the case where dynamic batching matters.
``--pairs-per-request 8`` sends micro-batches instead, as OpenRLHF's remote reward model does
(its lines are labelled ``serve_<model>_pairs8_...`` and count pairs/s, not requests/s).
A run sends 256 requests to MiniLM and 2,048 to the tiny model (``--requests`` sets both): one
client sending them one after another, or 16 clients sending an equal share. (256 requests to the
tiny model are a 0.2-0.7 s run, too short to time on a shared CPU: its ratio read 2.47 there and
2.97 with 2,048 on the same code.) The clients are a lean HTTP/1.1 keep-alive client on asyncio
streams (one open connection each; JSON encoded and decoded for every request, status checked): a
full HTTP client library costs the client process more CPU per request than the server spends on
it, and on a small machine that CPU is taken from the server. After a warm-up run of each load (not
counted: the first runs of a fresh server are up to ~30% slower), the two loads run interleaved 5
times; the median run of each is reported, with the server process's CPU time per request (read
from /proc), which a busy machine distorts less than wall time. The server gets one intra-op thread
(BENCH_THREADS): the clients and the HTTP loop need the other core, and spinning OpenMP threads on
a busy CPU make small batches slow and noisy. ``--smoke``: the tiny model only, 32 requests a run,
1 round.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import SHARED, bench_parser, pick_scale, save_tiny_bert

REQUESTS = {"minilm": 256, "tiny": 2048}  # per run: each run of the tiny model lasts >= ~1.5 s


@dataclass(frozen=True)
class Scale:
    requests: int | None  # per run; None: REQUESTS' figure for each model
    rounds: int
    models: str


FULL = Scale(requests=None, rounds=5, models="minilm,tiny")
SMOKE = Scale(requests=32, rounds=1, models="tiny")


def pairs() -> list[tuple[str, str]]:
    from rlhf_rm.data import load_examples

    out = []
    for e in load_examples(str(SHARED / "data" / "hh-rlhf" / "helpful-base.jsonl.gz"), on_bad_row="skip").examples:
        if len(e.prompt) == 1 and len(e.prompt[0]["content"]) + len(e.responses[0]) < 300:
            out.append((e.prompt[0]["content"], e.responses[0]))
    return out[:64]


class Client:
    """One keep-alive HTTP/1.1 connection: POST a JSON body, read the JSON answer."""

    def __init__(self, port: int):
        self.port = port

    async def __aenter__(self) -> "Client":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def post(self, path: str, payload: dict) -> dict:
        body = json.dumps(payload).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
        answer = json.loads(await self.reader.readexactly(int(headers["content-length"])))
        if head[0].split()[1] != "200":
            raise RuntimeError(f"{head[0]}: {answer}")
        return answer


async def load(port: int, clients: int, data: list[tuple[str, str]], requests: int, pairs_per_request: int = 1,
               ) -> tuple[float, list[float]]:
    """Seconds for ``requests`` requests from ``clients`` concurrent clients, and each latency.
    The clients and their connections are set up before the clock starts."""
    latencies: list[float] = []
    per_client = requests // clients

    async def client(k: int, http: Client) -> None:
        for i in range(per_client):
            first = (k * per_client + i) * pairs_per_request
            chunk = [data[j % len(data)] for j in range(first, first + pairs_per_request)]
            start = time.perf_counter()
            await http.post("/score", {"prompts": [p for p, _ in chunk], "completions": [r for _, r in chunk]})
            latencies.append(time.perf_counter() - start)

    conns = [await Client(port).__aenter__() for _ in range(clients)]
    try:
        start = time.perf_counter()
        await asyncio.gather(*(client(k, http) for k, http in enumerate(conns)))
        return time.perf_counter() - start, latencies
    finally:
        for http in conns:
            await http.__aexit__()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(model_dir: str, requests: int, rounds: int, pairs_per_request: int = 1) -> dict[int, dict]:
    """The median run of each load against a server on ``model_dir``."""
    from rlhf_rm.serve import free_port

    data = pairs()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "rlhf_rm.cli", "serve", "--model", model_dir, "--port", str(port),
                               "--device", "cpu", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "OMP_NUM_THREADS": os.environ.get("BENCH_THREADS", "1")})
    try:
        deadline = time.monotonic() + 300  # a busy machine imports torch slowly
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        for clients in (1, 16):  # warm-up: one whole run of each load, not counted
            asyncio.run(load(port, clients, data, requests, pairs_per_request))
        runs: dict[int, list[dict]] = {1: [], 16: []}
        for _ in range(rounds):
            for clients in (1, 16):
                before, cpu = httpx.get(f"{url}/metrics").json(), cpu_seconds(server.pid)
                seconds, latencies = asyncio.run(load(port, clients, data, requests, pairs_per_request))
                after, cpu = httpx.get(f"{url}/metrics").json(), cpu_seconds(server.pid) - cpu
                lat = sorted(latencies)
                runs[clients].append({
                    "rps": len(lat) / seconds,
                    "p50": 1000 * lat[len(lat) // 2],
                    "p99": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
                    "batch": (after["requests"] - before["requests"]) / max(after["batches"] - before["batches"], 1),
                    "cpu_ms": 1000 * cpu / len(lat),
                })
                print(f"  {Path(model_dir).name}, {clients} client(s): {runs[clients][-1]['rps']:.1f} requests/s", flush=True)
    finally:
        server.terminate()
        server.wait(30)
    return {c: sorted(r, key=lambda x: x["rps"])[len(r) // 2] for c, r in runs.items()}


def save_models(folder: str, names: list[str]) -> None:
    """Each named reward model saved with the rlhf_rm contract under ``folder/<name>``."""
    import torch

    from rlhf_rm.model import ModelSettings, build_reward_model

    for name in names:
        base = "minilm" if name == "minilm" else str(save_tiny_bert(f"{folder}/tiny_base"))
        torch.manual_seed(0)
        build_reward_model(ModelSettings(name_or_path=base, max_length=256, max_response_tokens=128)
                           ).save(f"{folder}/{name}")


def report(results: dict[str, dict[int, dict]], k: int) -> None:
    for name, med in results.items():
        # the headline (one pair a request) keeps its names; a micro-batch mix counts pairs
        key, unit = (f"serve_{name}", "rps") if k == 1 else (f"serve_{name}_pairs{k}", "pairs_per_s")
        for c in (1, 16):
            m = med[c]
            print(f"{key}_{c}_clients_{unit}={k * m['rps']:.1f}")
            print(f"{key}_{c}_clients_p50_ms={m['p50']:.1f}")
            print(f"{key}_{c}_clients_p99_ms={m['p99']:.1f}")
            print(f"{key}_{c}_clients_mean_batch={m['batch']:.2f}")
            print(f"{key}_{c}_clients_server_cpu_ms_per_request={m['cpu_ms']:.2f}")
        print(f"{key}_ratio_16_vs_1={med[16]['rps'] / med[1]['rps']:.2f}")


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--requests", type=int, default=None,
                        help=f"requests per run, a multiple of 16 (default: {REQUESTS}; smoke: {SMOKE.requests})")
    parser.add_argument("--rounds", type=int, default=None, help=f"default {FULL.rounds} (smoke: {SMOKE.rounds})")
    parser.add_argument("--models", default=None, help=f"default {FULL.models} (smoke: {SMOKE.models})")
    parser.add_argument("--pairs-per-request", type=int, default=1, help="(prompt, reply) pairs in each request")
    args = parser.parse_args()
    scale = pick_scale(args, FULL, SMOKE)
    if not (SHARED / "data" / "hh-rlhf").exists():
        print(f"needs {SHARED / 'data' / 'hh-rlhf'}", file=sys.stderr)
        return 1
    names = scale.models.split(",")
    requests = {name: scale.requests or REQUESTS[name] for name in names}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        save_models(tmp, names)
        for name, n in requests.items():
            results[name] = measure(f"{tmp}/{name}", n, scale.rounds, args.pairs_per_request)
    k = args.pairs_per_request
    print(f"requests_per_run={','.join(f'{m}:{n}' for m, n in requests.items())} rounds={scale.rounds} pairs_per_request={k} "
          f"server_threads={os.environ.get('BENCH_THREADS', '1')}")
    report(results, k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
