"""The PPO dashboard: one metrics row per update, runaway warnings, resume truncation, plot.

(Checkpoints are tested in test_checkpoint.py.)"""

import json
import math

import pytest

from rlhf_rm.ppo.dashboard import Dashboard, read_jsonl


pytestmark = pytest.mark.usefixtures("one_thread")


def _row(step, kl=1.0, length=48.0, distinct=0.75, reward=0.02):
    return {
        "step": step,
        "ppo/reward_mean": reward,
        "ppo/kl": kl,
        "ppo/kl_coef": 0.1,
        "ppo/response_length": length,
        "ppo/distinct2": distinct,
        "ppo/entropy": float("nan"),
    }


def _dash(tmp_path, start=0):
    return Dashboard(tmp_path, start, 10, tensorboard=False, progress=False, warn_kl=8.0, warn_length_change=0.5)


def test_runaway_warnings_fire_once_and_rearm(tmp_path):
    dash = _dash(tmp_path)
    dash.log(_row(1))
    dash.log(_row(2, kl=9.0))  # KL runaway
    dash.log(_row(3, kl=12.0))  # still: no second warning
    dash.log(_row(4, kl=2.0, length=20.0))  # KL fine again; length collapsed
    dash.log(_row(5, kl=10.0, distinct=0.4))  # KL again, and repetitive
    dash.close()
    text = (tmp_path / "warnings.log").read_text()
    assert text.count("KL to the reference") == 2
    assert "step 2" in text and "step 5" in text
    assert "reply length moved from 48.0 to 20.0" in text
    assert "repetitive" in text
    rows = read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["ppo/entropy"] is None  # NaN is not JSON


def test_resume_drops_rows_past_the_checkpoint(tmp_path):
    dash = _dash(tmp_path)
    for step in range(1, 6):
        dash.log(_row(step))
    dash.samples(5, ["p"], ["c"], [0.1])
    dash.close()
    with (tmp_path / "metrics.jsonl").open("a") as f:
        f.write('{"step": 6, "ppo/kl"')  # a line cut by a kill
    dash = _dash(tmp_path, start=3)
    dash.log(_row(4))
    dash.close()
    assert [r["step"] for r in read_jsonl(tmp_path / "metrics.jsonl")] == [1, 2, 3, 4]
    assert read_jsonl(tmp_path / "samples.jsonl") == []


def test_plot(tmp_path):
    from rlhf_rm.ppo.plot import plot_metrics

    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(_row(s, kl=s / 2)) + "\n" for s in range(1, 6)))
    png = plot_metrics(tmp_path / "metrics.jsonl", tmp_path / "ppo.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_ema_by_hand_with_gaps():
    from rlhf_rm.ppo.plot import ema

    # w=0.5: m1 = 0.5 -> 0.5 / (1 - 0.5) = 1; m2 = 0.25 + 1.5 = 1.75 -> 1.75 / (1 - 0.25) = 7/3
    out = ema([None, 1.0, float("nan"), 3.0], weight=0.5)
    assert math.isnan(out[0])
    assert out[1:] == pytest.approx([1.0, 1.0, 7 / 3])
    assert ema([2.0] * 5, weight=0.9) == pytest.approx([2.0] * 5)  # no pull towards 0 at the start
    assert ema([1.0, 5.0], weight=0.0) == [1.0, 5.0]
    with pytest.raises(ValueError, match="EMA weight"):
        ema([1.0], weight=1.0)


def test_ema_smooths_noise_and_follows_a_trend():
    import random

    from rlhf_rm.ppo.plot import ema

    rng = random.Random(0)
    trend = [0.05 * t for t in range(200)]
    noisy = [y + rng.gauss(0, 1) for y in trend]
    smooth = ema(noisy, weight=0.9)
    # the smoothed curve is much closer to the trend than the raw one (after the warm-up)
    raw_err = sum((a - b) ** 2 for a, b in zip(noisy[50:], trend[50:]))
    smooth_err = sum((a - b) ** 2 for a, b in zip(smooth[50:], trend[50:]))
    assert smooth_err < 0.3 * raw_err


def test_plot_with_missing_rewards(tmp_path):
    from rlhf_rm.ppo.plot import plot_metrics

    rows = [_row(s) for s in range(1, 6)]
    rows[2]["ppo/reward_mean"] = None
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert plot_metrics(tmp_path / "metrics.jsonl", tmp_path / "ppo.png").read_bytes()[:4] == b"\x89PNG"
