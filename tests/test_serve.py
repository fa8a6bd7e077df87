"""The reward server: concurrent clients get the in-process scores; bad requests get 4xx JSON."""

from __future__ import annotations

import json

import httpx
import pytest
from helpers_reward import tiny_rm
from serve_checks import check_bad_requests, check_concurrent_clients

from rlhf_rm.reward import RewardFunction
from rlhf_rm.serve import ServerThread, ServeSettings, create_app, free_port


@pytest.fixture(scope="module")
def rf():
    return RewardFunction.from_pretrained(tiny_rm(), batch_size=16)


@pytest.fixture(scope="module")
def server(rf):
    app = create_app(rf, ServeSettings(token="s3cret", max_body_bytes=4096))
    with ServerThread(app, free_port()) as running:
        yield running, app


AUTH = {"Authorization": "Bearer s3cret"}


def test_defaults_bind_loopback_with_a_16_mib_limit():
    from rlhf_rm.cli import build_parser

    settings = ServeSettings()
    assert settings.host == "127.0.0.1" and settings.max_body_bytes == 16 * 1024 * 1024
    args = build_parser().parse_args(["serve", "--model", "m"])
    assert args.host == "127.0.0.1" and args.max_body_bytes == 16 * 1024 * 1024 and args.token is None
    assert not settings.raw_queries and not args.raw_queries


def test_concurrent_clients_get_the_in_process_scores(server, rf):
    running, _ = server
    check_concurrent_clients(running.url, rf, AUTH)
    stats = httpx.get(f"{running.url}/metrics", headers=AUTH).json()
    assert stats["requests"] >= 800 and stats["mean_batch_requests"] > 1.0  # concurrent requests shared batches


def test_bad_requests_get_4xx_json_and_the_server_keeps_serving(server, rf):
    running, _ = server
    check_bad_requests(running.url, rf, AUTH)


def test_get_reward_without_prompts_scores_the_query_as_a_reply(server, rf):
    running, _ = server
    r = httpx.post(f"{running.url}/get_reward", json={"query": ["Hello there"]}, headers=AUTH)
    assert r.json()["rewards"] == pytest.approx(rf([""], ["Hello there"]), abs=1e-5)
    assert httpx.post(f"{running.url}/get_reward", json={"query": []}, headers=AUTH).json()["rewards"] == []


def test_get_reward_reads_a_policy_chat_transcript_as_messages_and_a_reply(server, rf):
    running, _ = server
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a prime number."}]
    prompt = ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nName a prime number.<|im_end|>\n"
              "<|im_start|>assistant\n")
    query = prompt + "Seven.<|im_end|><|endoftext|>"  # decoded with special tokens and padding kept
    expected = rf([messages, "How do I boil an egg?"], ["Seven.", "Eight minutes."])
    assert expected[0] != pytest.approx(rf([""], [query])[0], abs=1e-3)  # the old reading scored differently
    with httpx.Client(base_url=running.url, headers=AUTH, timeout=30) as http:
        alone = http.post("/get_reward", json={"query": [query, "Eight minutes.</s>"]}).json()
        # unknown markup in a prompt keeps the old reading: the prompt string is one user turn
        paired = http.post("/get_reward", json={"query": [query, "How do I boil an egg?Eight minutes."],
                                                "prompts": [prompt, "How do I boil an egg?"]}).json()
    assert alone["rewards"] == pytest.approx([expected[0], rf([""], ["Eight minutes."])[0]], abs=1e-5)
    assert paired["rewards"] == pytest.approx(expected, abs=1e-5)


def test_a_failing_request_does_not_fail_the_others_in_its_batch():
    from rlhf_rm.serve import DynamicBatcher

    def score(prompts, completions):
        if "boom" in completions:
            raise RuntimeError("boom")
        return [1.0] * len(completions), [2.0] * len(completions)

    batcher = DynamicBatcher(score, max_batch=8)
    futures = [batcher.submit(["p"], ["a"]), batcher.submit(["p"], ["boom"]), batcher.submit(["p", "q"], ["b", "c"])]
    batcher.start()  # all three are queued: one batch, which fails, then each alone
    try:
        assert futures[0].result(10) == ([1.0], [2.0])
        assert futures[2].result(10) == ([1.0, 1.0], [2.0, 2.0])
        with pytest.raises(RuntimeError, match="boom"):
            futures[1].result(10)
    finally:
        batcher.stop()
    # one batch of three requests (four replies): its failed joint call and the retries count once
    stats = batcher.stats()
    assert stats == {"requests": 3, "batches": 1, "replies": 4, "mean_batch_requests": 3.0, "mean_batch_replies": 4.0}
    assert json.loads(json.dumps(stats)) == stats  # what /metrics sends


def test_a_lone_client_does_not_wait_for_a_batch_to_fill():
    from rlhf_rm.serve import DynamicBatcher

    batcher = DynamicBatcher(lambda p, c: ([0.0] * len(c), [0.0] * len(c)), max_batch=8, max_wait_ms=50)
    together = [batcher.submit(["p"], [str(i)]) for i in range(3)]
    batcher.start()  # one batch of 3: the next batch waits up to max_wait for 3 requests
    try:
        for f in together:
            f.result(10)
        batcher.submit(["p"], ["a"]).result(10)  # alone after a batch of 3: waits max_wait (50 ms) once
        # from here on a wait for company would last 10 minutes, far past the result's timeout
        batcher.max_wait_s = 600.0
        batcher.submit(["p"], ["b"]).result(30)  # alone after alone: scored at once
    finally:
        batcher.stop()
    assert batcher.stats()["batches"] == 3 and batcher.stats()["mean_batch_requests"] == pytest.approx(5 / 3)


def test_serve_freezes_what_is_loaded_out_of_the_garbage_collector(rf, monkeypatch):
    import gc

    import uvicorn

    from rlhf_rm.serve import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(frozen=gc.get_freeze_count(), **kw))
    gc.unfreeze()
    try:
        serve(rf, ServeSettings(port=1234))
        assert seen["frozen"] > 10_000 and seen["host"] == "127.0.0.1" and seen["port"] == 1234
    finally:
        gc.unfreeze()
