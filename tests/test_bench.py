"""Every bench in bench/ runs end to end at its ``--smoke`` setting and prints its result keys.

A bench is run by hand once in a while; without this a change in the library it calls (a
signature, a module moved) breaks it silently until someone wants a figure. Each test runs the
bench as a user would (``python bench/NAME.py --smoke`` from the repo root, in a fresh process)
and checks the keys its README rows quote: present, and finite numbers. The smoke figures time
tiny models for a few steps, so no bar is asserted on them.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest
from support import REPO, SHARED

TRL_VENV_PYTHON = REPO / "bench" / ".venv-trl023" / "bin" / "python"
KEY_VALUE = re.compile(r"(?<![\w.])([a-z][a-z0-9_]*)=(\S+)")


def needs_shared(*parts: str) -> None:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is absent)")


def run_smoke(script: str, timeout: float = 240) -> tuple[dict[str, str], str]:
    """Run ``bench/<script> --smoke``; assert it exits 0; its ``key=value`` pairs and its stdout."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(REPO)}  # the checkout's rlhf_rm, whatever is installed in the venv
    proc = subprocess.run([sys.executable, f"bench/{script}", "--smoke"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script} --smoke exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return dict(KEY_VALUE.findall(proc.stdout)), proc.stdout


def assert_finite(values: dict[str, str], *keys: str, positive: bool = True) -> None:
    """Each key printed, as a finite number (and above 0 for rates, times and ratios)."""
    for key in keys:
        assert key in values, f"{key}= not printed; printed: {sorted(values)}"
        number = float(values[key])
        assert math.isfinite(number), f"{key}={values[key]}"
        if positive:
            assert number > 0, f"{key}={values[key]}"


def test_key_value_parser_reads_bench_lines():
    line = "ray_serve_rps_1=12.3 ray_serve_rps_2=nan in_process: scoring_seconds=1.0 / 2.0 pairs_per_second=4.5"
    found = dict(KEY_VALUE.findall(line))
    assert found == {"ray_serve_rps_1": "12.3", "ray_serve_rps_2": "nan", "scoring_seconds": "1.0",
                     "pairs_per_second": "4.5"}
    with pytest.raises(AssertionError, match="ray_serve_rps_2"):
        assert_finite(found, "ray_serve_rps_1", "ray_serve_rps_2")


def test_best_of_n_vs_loop_smoke():
    needs_shared("models", "stories260K")
    values, _ = run_smoke("best_of_n_vs_loop.py")
    assert_finite(values, "best_of_n_seconds", "loop_seconds", "ratio_vs_loop")
    assert values["prompts"] == "2" and values["n"] == "2" and values["rounds"] == "1"


def test_score_vs_pipeline_smoke():
    needs_shared("data", "hh-rlhf")
    values, _ = run_smoke("score_vs_pipeline.py")
    assert_finite(values, "rewardfunction_pairs_per_s", "pipeline_pairs_per_s", "floor_pairs_per_s",
                  "ratio_vs_pipeline", "fraction_of_floor")
    assert values["pairs"] == "32"
    # the same model scored two ways: RewardFunction must agree with the bare forwards
    assert float(values["rewardfunction_vs_floor_max_abs_diff"]) < 1e-4


def test_serve_load_smoke():
    needs_shared("data", "hh-rlhf")
    values, _ = run_smoke("serve_load.py")
    keys = [f"serve_tiny_{c}_clients_{m}" for c in (1, 16) for m in ("rps", "p50_ms", "p99_ms", "mean_batch")]
    assert_finite(values, *keys, "serve_tiny_ratio_16_vs_1")
    # CPU time is read in clock ticks (10 ms): 32 cheap requests may show none
    assert_finite(values, *(f"serve_tiny_{c}_clients_server_cpu_ms_per_request" for c in (1, 16)), positive=False)
    assert float(values["serve_tiny_1_clients_mean_batch"]) == pytest.approx(1.0)  # one client: one request a batch


@pytest.mark.slow
def test_rm_train_vs_trl_smoke():
    needs_shared("data", "hh-rlhf")
    pytest.importorskip("trl")
    values, _ = run_smoke("rm_train_vs_trl.py")
    assert_finite(values, "trl_pairs_per_second", "rlhf_rm_pairs_per_second", "ratio_vs_trl")


@pytest.mark.slow
def test_ppo_vs_trl_smoke():
    values, stdout = run_smoke("ppo_vs_trl.py")
    assert_finite(values, "rlhf_rm_recipe_updates_per_s", "rlhf_rm_recipe_peak_rss_mb",
                  "rlhf_rm_trl_layout_updates_per_s", "rlhf_rm_trl_layout_peak_rss_mb")
    if TRL_VENV_PYTHON.exists():  # the peer is installed: both sides must have run
        assert_finite(values, "trl_updates_per_s", "ratio_vs_trl_ppo", "mem_ratio", "layout_ratio_vs_trl_ppo",
                      "same_venv_ratio_vs_trl_ppo", "anon_mem_ratio")
    else:  # it cannot be built offline: the bench says it skipped the peer instead of inventing a figure
        assert "trl_ppo=skipped" in stdout and "ratio_vs_trl_ppo" not in values


@pytest.mark.slow
def test_ray_scaling_smoke():
    needs_shared("data", "hh-rlhf")
    pytest.importorskip("ray")
    values, stdout = run_smoke("ray_scaling.py")
    assert_finite(values, "ray_overhead", "ray_scaling_2_vs_1", "ray_serve_rps_1", "ray_serve_rps_2",
                  "ray_serve_scaling_2_vs_1")
    for side in ("in_process:", "ray_1:", "ray_2:"):
        assert any(line.startswith(side) and "pairs_per_second=" in line for line in stdout.splitlines()), side
