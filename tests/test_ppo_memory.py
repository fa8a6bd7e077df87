"""``release_freed_memory`` gives freed heap pages back to the OS and never touches live tensors."""

from __future__ import annotations

import sys

import pytest
import torch

from rlhf_rm.ppo.memory import _malloc_trim, release_freed_memory


def _rss_anon_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


def test_live_tensors_survive():
    x = torch.arange(1_000_000, dtype=torch.float32)
    release_freed_memory()
    assert x.sum().item() == pytest.approx(sum(range(1_000_000)))


@pytest.mark.skipif(not sys.platform.startswith("linux") or _malloc_trim() is None, reason="glibc malloc_trim only")
def test_freed_heap_goes_back():
    # a freed 16 MB block raises glibc's mmap threshold, so the 512 KB blocks below come from
    # the heap, as a minibatch's activations do; freeing every other one leaves holes malloc keeps
    del_me = torch.ones(4 * 2**20)
    del del_me
    blocks = [torch.ones(2**17) for _ in range(200)]  # 200 x 512 KB
    keep = blocks[1::2]
    del blocks
    before = _rss_anon_mb()
    release_freed_memory()
    assert before - _rss_anon_mb() > 25  # about 50 MB were freed
    assert all(float(b[0]) == 1.0 for b in keep)
