"""The reward server's contract checks, run against the one-process server (test_serve.py) and
the Ray Serve deployment (test_ray_serve.py): OpenRLHF's /get_reward and /score under 16
concurrent clients give the in-process scores; bad bodies get 4xx JSON and the server keeps serving."""

from __future__ import annotations

import random
import threading

import httpx
import pytest
from helpers_reward import PROMPTS, REPLIES

CLIENTS, REQUESTS = 16, 50


def check_concurrent_clients(url: str, rf, headers: dict[str, str]) -> None:
    """16 clients x 50 requests, half OpenRLHF /get_reward, half /score: zero failures, and every
    reward equals the in-process RewardFunction's within 1e-5."""
    prompts, replies = PROMPTS[::2], REPLIES[::2]  # string prompts: /get_reward splits plain texts
    queries = [p + r for p, r in zip(prompts, replies)]
    expected_query = rf(prompts, replies)
    expected_score = rf(PROMPTS, REPLIES)
    failures, done = [], []

    def one_request(http: httpx.Client, rng: random.Random) -> bool:
        if rng.random() < 0.5:  # OpenRLHF's protocol
            idx = rng.sample(range(len(queries)), rng.randint(1, len(queries)))
            r = http.post("/get_reward", json={"query": [queries[i] for i in idx], "prompts": [prompts[i] for i in idx]})
            body = r.json()
            return (r.status_code == 200 and body["extra_logs"] == {} and body["scores"] == pytest.approx(body["rewards"])
                    and body["rewards"] == pytest.approx([expected_query[i] for i in idx], abs=1e-5))
        idx = rng.sample(range(len(PROMPTS)), rng.randint(1, len(PROMPTS)))
        r = http.post("/score", json={"prompts": [PROMPTS[i] for i in idx], "completions": [REPLIES[i] for i in idx]})
        return r.status_code == 200 and r.json()["rewards"] == pytest.approx([expected_score[i] for i in idx], abs=1e-5)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            for _ in range(REQUESTS):
                try:
                    if not one_request(http, rng):
                        failures.append(seed)
                except Exception as err:  # noqa: BLE001
                    failures.append(repr(err))
                done.append(seed)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and len(done) == CLIENTS * REQUESTS


def check_bad_requests(url: str, rf, headers: dict[str, str], limit: int = 4096) -> None:
    """Malformed bodies get 400/422, a wrong token 401, a body over ``limit`` bytes 413 (also when
    sent chunked, without Content-Length), each as JSON {"error": ...}; a good request after each
    still gets the in-process reward, and /health needs no token."""
    good = {"prompts": ["Hi"], "completions": ["Hello!"]}
    expected = rf(["Hi"], ["Hello!"])
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        cases = [
            (http.post("/score", content=b"{not json", headers={"Content-Type": "application/json"}), 400),
            (http.post("/score", json={"prompts": ["Hi"]}), 422),
            (http.post("/score", json={"prompts": ["Hi"], "completions": [3]}), 422),
            (http.post("/score", json=[1, 2]), 422),
            (http.post("/get_reward", json={"prompts": ["Hi"]}), 422),
            (http.post("/get_reward", json={"query": ["Hello"], "prompts": ["Bye"]}), 422),
            (http.post("/score", json={"prompts": ["x" * (limit + 900)], "completions": ["y"]}), 413),
            (httpx.post(f"{url}/score", json=good), 401),
            (httpx.post(f"{url}/score", json=good, headers={"Authorization": "Bearer wrong"}), 401),
        ]
        for response, status in cases:
            assert response.status_code == status, response.text
            assert isinstance(response.json()["error"], str)
            ok = http.post("/score", json=good)  # still serving after each bad request
            assert ok.status_code == 200 and ok.json()["rewards"] == pytest.approx(expected, abs=1e-5)
        # a body without Content-Length (chunked) is cut off at the limit too
        body = iter([b'{"prompts": ["', b"x" * (limit + 900), b'"], "completions": ["y"]}'])
        assert http.post("/score", content=body).status_code == 413
    assert httpx.get(f"{url}/health").status_code == 200  # health needs no token
