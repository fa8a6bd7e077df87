"""Ray Serve: 2 replicas of the reward server pass the one-process server's contract checks."""

from __future__ import annotations

import httpx
import pytest
from helpers_reward import PROMPTS, REPLIES, tiny_rm
from serve_checks import check_bad_requests, check_concurrent_clients

from rlhf_rm.reward import RewardFunction
from rlhf_rm.serve import ServeSettings, free_port

pytestmark = pytest.mark.slow  # a local Ray and two replicas: tens of seconds

AUTH = {"Authorization": "Bearer s3cret"}
MAX_BATCH = 8  # replies per batch: small, so that one request of 10 replies is scored in parts


@pytest.fixture(scope="module")
def rf():
    return RewardFunction.from_pretrained(tiny_rm(), batch_size=16)


@pytest.fixture(scope="module")
def ray_server(local_ray):
    from rlhf_rm.scale.ray_serve import Replicas, deploy, undeploy

    # half a CPU each: the session's 2 CPUs stay free for the Ray Data actors of other tests
    settings = ServeSettings(port=free_port(), token="s3cret", max_body_bytes=4096, max_batch=MAX_BATCH)
    url = deploy({"path_or_paths": tiny_rm(), "batch_size": 16}, settings, Replicas(num_replicas=2, num_cpus=0.5))
    yield url
    undeploy()


def test_two_replicas_answer_16_concurrent_clients_with_the_in_process_scores(ray_server, rf):
    check_concurrent_clients(ray_server, rf, AUTH)
    by_replica = {}
    for _ in range(30):  # /metrics reports the replica that answered; Serve spreads requests over both
        stats = httpx.get(f"{ray_server}/metrics", headers=AUTH).json()
        by_replica[stats["replica"]] = stats
    assert len(by_replica) == 2
    assert sum(s["requests"] for s in by_replica.values()) >= 800
    assert max(s["mean_batch_requests"] for s in by_replica.values()) > 1.0  # @serve.batch gathered requests


def test_bad_requests_get_4xx_json_and_the_replicas_keep_serving(ray_server, rf):
    check_bad_requests(ray_server, rf, AUTH)


def test_a_request_over_max_batch_replies_is_scored_in_parts(ray_server, rf):
    prompts, replies = PROMPTS * 2, REPLIES * 2
    assert len(replies) > MAX_BATCH
    r = httpx.post(f"{ray_server}/score", json={"prompts": prompts, "completions": replies}, headers=AUTH, timeout=60)
    assert r.status_code == 200 and r.json()["rewards"] == pytest.approx(rf(prompts, replies), abs=1e-5)
