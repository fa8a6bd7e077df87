"""Ray Data: ``score --ray`` and ``rerank --candidates --ray`` over sharded files with 2 actors
write what the one-process commands write (scores within 1e-5) and name the same bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import LEARNABLE
from helpers_reward import tiny_rm

from rlhf_rm.cli import main
from rlhf_rm.data import DataError

pytestmark = pytest.mark.slow  # a local Ray and a pool of actors: tens of seconds

RAY = ["--ray", "--num-actors", "2", "--rows-per-batch", "4"]


def _jsonl(path: Path) -> list[dict]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    """Preference data in two shards; the second has a row without 'rejected' on line 4."""
    folder = tmp_path_factory.mktemp("pairs")
    lines = [json.dumps({"prompt": p, "chosen": c, "rejected": r}) for p, c, r in LEARNABLE]
    (folder / "a.jsonl").write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join([*lines[5:], '{"prompt": "x", "chosen": "y"}']) + "\n", encoding="utf-8")
    return folder


def test_score_on_two_actors_equals_one_process_and_names_the_same_bad_rows(local_ray, pairs, tmp_path, capsys):
    model = ["--model", tiny_rm(), "--input", str(pairs), "--on-bad-row", "skip"]
    assert main(["score", *model, "--output", str(tmp_path / "one.jsonl")]) == 0
    one_out = capsys.readouterr().out
    assert main(["score", *model, "--output", str(tmp_path / "ray"), *RAY]) == 0
    ray_out = capsys.readouterr().out
    bad = f"{pairs / 'b.jsonl'} line 4: missing field 'rejected'"
    assert f"skipped 1 bad rows:\n  {bad}\n" in one_out and f"skipped 1 bad rows:\n  {bad}\n" in ray_out

    one, ray = _jsonl(tmp_path / "one.jsonl"), _jsonl(tmp_path / "ray")
    assert len(list((tmp_path / "ray").glob("*.jsonl"))) >= 2  # written as shards
    key = lambda r: (r["source"], r["row"], r["index"])  # noqa: E731
    assert sorted(map(key, ray)) == sorted(map(key, one)) and len(one) == 2 * (len(LEARNABLE))
    by_key = {key(r): r for r in one}
    for row in ray:
        expected = by_key[key(row)]
        assert row.keys() == expected.keys() and row["prompt"] == expected["prompt"]
        assert row["reward"] == pytest.approx(expected["reward"], abs=1e-5)
        assert row["raw_score"] == pytest.approx(expected["raw_score"], abs=1e-5)


def test_score_stops_at_bad_rows_with_the_one_process_message(local_ray, pairs, tmp_path):
    from rlhf_rm.scale.ray_data import score_files
    from rlhf_rm.data.prompts import read_scoring_rows

    with pytest.raises(DataError) as one:
        read_scoring_rows(str(pairs))
    with pytest.raises(DataError) as ray:
        score_files(str(pairs), str(tmp_path / "out"), {"path_or_paths": tiny_rm()})
    assert str(ray.value) == str(one.value) and "b.jsonl line 4" in str(ray.value)
    assert not (tmp_path / "out").exists()  # nothing scored or written


def test_rerank_candidates_on_two_actors_equals_one_process(local_ray, tmp_path):
    folder = tmp_path / "candidates"
    folder.mkdir()
    rows = [{"prompt": p, "candidates": [r, c, c + " Thanks!"]} for p, c, r in LEARNABLE]
    for name, part in (("a.jsonl", rows[:5]), ("b.jsonl", rows[5:])):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    args = ["rerank", "--model", tiny_rm(), "--candidates", str(folder), "--top-k", "2"]
    assert main([*args, "--output", str(tmp_path / "one.jsonl"), "--sft-output", str(tmp_path / "one_sft.jsonl")]) == 0
    assert main([*args, "--output", str(tmp_path / "ray"), "--sft-output", str(tmp_path / "ray_sft"), *RAY]) == 0

    one, ray = _jsonl(tmp_path / "one.jsonl"), _jsonl(tmp_path / "ray")
    by_prompt = {r["prompt"]: r for r in one}
    assert sorted(r["prompt"] for r in ray) == sorted(by_prompt) and len(ray) == len(LEARNABLE)
    for result in ray:
        expected = by_prompt[result["prompt"]]
        assert result["best"] == expected["best"] and result["best_text"] == expected["best_text"]
        assert [c["score"] for c in result["candidates"]] == pytest.approx(
            [c["score"] for c in expected["candidates"]], abs=1e-5)
    sft_key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(map(sft_key, _jsonl(tmp_path / "ray_sft"))) == sorted(map(sft_key, _jsonl(tmp_path / "one_sft.jsonl")))
    assert len(_jsonl(tmp_path / "ray_sft")) == 2 * len(LEARNABLE)  # the top 2 of each prompt
