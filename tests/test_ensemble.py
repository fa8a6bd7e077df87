"""Ensembles in one folder: k LoRA members trained by one run, one contract, loaded and
combined by RewardFunction (mean, mean - std), their spread as uncertainty, eval's member metrics."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from helpers_reward import PROMPTS, REPLIES, tiny_rm

from support import write_pairs
from rlhf_rm.config import ConfigError, load_config
from rlhf_rm.contract import CONTRACT_FILE, Contract
from rlhf_rm.model import RewardModel
from rlhf_rm.reward import RewardFunction
from rlhf_rm.train import TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")


def _cfg(model_dir: Path, out: Path, data: Path, *extra: str) -> TrainConfig:
    return load_config(TrainConfig, None, [
        f"model={model_dir}", f"train_data={data}", f"eval_data={data}", f"output_dir={out}", "max_length=48",
        "max_response_tokens=24", "lora.r=4", "lora.alpha=8", "batch_size=4", "learning_rate=1e-2",
        "max_steps=6", "progress=false", "seed=5", "ensemble=2", *extra,
    ])


@pytest.fixture(scope="module")
def trained(tiny_encoder_dir, tmp_path_factory):
    """One `ensemble: 2` run on the learnable pairs; its folder and the dev examples."""
    tmp = tmp_path_factory.mktemp("ensemble")
    data = write_pairs(tmp / "pairs.jsonl")
    out = tmp / "ens"
    result = train(_cfg(tiny_encoder_dir, out, data))
    return out, result, data


def _dev_replies(data: Path) -> tuple[list, list]:
    rows = [json.loads(x) for x in data.read_text().splitlines()]
    prompts = [r["prompt"] for r in rows for _ in range(2)]
    return prompts, [reply for r in rows for reply in (r["chosen"], r["rejected"])]


def _member_as_single_model(out: Path, name: str, dest: Path) -> RewardModel:
    """A member loaded on its own: its adapter beside the shared tokenizer, the contract without the ensemble."""
    dest.mkdir()
    for item in out.iterdir():
        if item.is_file() and item.name != CONTRACT_FILE:
            shutil.copy(item, dest)
    for item in (out / name).iterdir():
        shutil.copy(item, dest)
    contract = Contract.load(out)
    i = contract.ensemble.members.index(name)
    dataclasses.replace(contract, ensemble=None, norm_mean=contract.ensemble.norm_mean[i],
                        norm_std=contract.ensemble.norm_std[i]).save(dest)
    return RewardModel.load(dest)


def test_one_folder_one_contract_two_members(trained):
    out, result, _ = trained
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob(CONTRACT_FILE)) == [CONTRACT_FILE]
    spec = Contract.load(out).ensemble
    assert spec.members == ["member-0", "member-1"] and spec.sampling == "seed" and spec.seeds == [5, 6]
    assert spec.combine == "mean" and all(m["rm/eval_accuracy"] is not None for m in spec.member_metrics)
    for name in spec.members:  # each member: its adapter and head, its log; no checkpoints, tokenizer or card
        assert {p.name for p in (out / name).iterdir()} == {
            "adapter_config.json", "adapter_model.safetensors", "train_log.jsonl"}
    assert not list(out.glob("*.safetensors"))  # no weights at the top: the base is the contract's base_model
    assert result.eval_accuracy == Contract.load(out).metrics["rm/eval_accuracy"]


def test_reloaded_members_score_as_in_memory_and_differ(trained):
    out, _, data = trained
    contract = Contract.load(out)
    rm = RewardModel.load(out)
    prompts, replies = _dev_replies(data)
    members = np.array(rm.score_members(prompts, replies))  # (2, N)
    # each member's dev-score mean was measured in memory at the end of its training
    assert members.mean(axis=1) == pytest.approx(contract.ensemble.norm_mean, abs=1e-6)
    assert members.std(axis=1) == pytest.approx(contract.ensemble.norm_std, abs=1e-6)
    # and the ensemble's, on the members loaded as one model before the folder was written
    assert np.mean(rm.score(prompts, replies)) == pytest.approx(contract.norm_mean, abs=1e-6)
    assert np.abs(members[0] - members[1]).max() > 1e-3  # different seeds, different members


def test_mean_and_mean_minus_std_combine_the_members(trained, tmp_path):
    out, _, _ = trained
    singles = [_member_as_single_model(out, n, tmp_path / n).score(PROMPTS, REPLIES) for n in ("member-0", "member-1")]
    each = np.array(singles)  # (2, N): each member loaded alone, LoRA not merged
    mean = RewardFunction.from_pretrained(out)
    assert mean.member_count == 2 and mean.ensemble == "mean"  # the contract's default combine
    assert mean(PROMPTS, REPLIES) == pytest.approx(each.mean(axis=0), abs=1e-6)
    assert mean.score_with_uncertainty(PROMPTS, REPLIES)[1] == pytest.approx(each.std(axis=0), abs=1e-6)
    details = mean.score_details(PROMPTS, REPLIES)
    assert np.array(details.raw) == pytest.approx(each, abs=1e-6)
    # normalize, mean_minus_std and min: each member by its own dev statistics
    spec = Contract.load(out).ensemble
    z = (each - np.array(spec.norm_mean)[:, None]) / np.array(spec.norm_std)[:, None]
    norm = RewardFunction.from_pretrained(out, normalize=True)(PROMPTS, REPLIES)
    assert norm == pytest.approx(z.mean(axis=0), abs=1e-6)
    rewards, spread = RewardFunction.from_pretrained(out, ensemble="mean_minus_std").score_with_uncertainty(
        PROMPTS, REPLIES)
    assert spread == pytest.approx(z.std(axis=0), abs=1e-6)
    assert rewards == pytest.approx(z.mean(axis=0) - z.std(axis=0), abs=1e-6)
    k2 = RewardFunction.from_pretrained(out, ensemble="mean_minus_std", ensemble_k=2.0)(PROMPTS, REPLIES)
    assert k2 == pytest.approx(z.mean(axis=0) - 2 * z.std(axis=0), abs=1e-6)
    assert RewardFunction.from_pretrained(out, ensemble="min")(PROMPTS, REPLIES) == pytest.approx(
        z.min(axis=0), abs=1e-6)


def test_eval_reports_members_and_calibration(trained, tmp_path, capsys):
    from rlhf_rm.cli import main

    out, _, data = trained
    report_json = tmp_path / "eval.json"
    assert main(["eval", "--model", str(out), "--data", str(data), "--json", str(report_json),
                 "--combine", "mean_minus_std"]) == 0
    printed = capsys.readouterr().out
    assert "2 members, combine=mean_minus_std" in printed and "Brier" in printed
    entry = next(iter(json.loads(report_json.read_text())["datasets"].values()))
    ens = entry["ensemble"]
    assert ens["members"] == 2 and len(ens["members/accuracy"]) == 2 and ens["accuracy"] == entry["accuracy"]
    assert ens["members_mean/accuracy"] == pytest.approx(np.mean(ens["members/accuracy"]))
    for key in ("calibration/ece", "calibration/brier", "members_mean/ece", "members_mean/brier"):
        assert 0.0 <= ens[key] <= 1.0
    assert ens["calibration/ece"] == pytest.approx(entry["calibration/ece"])
    # the members' accuracies as training measured them on the same pairs
    spec = Contract.load(out).ensemble
    assert ens["members/accuracy"] == pytest.approx([m["rm/eval_accuracy"] for m in spec.member_metrics])
    # the combined reward and the members' spread are in the members' dev-set units, as scoring gives them
    prompts, replies = _dev_replies(data)
    z = ((np.array(RewardModel.load(out).score_members(prompts, replies)) - np.array(spec.norm_mean)[:, None])
         / np.array(spec.norm_std)[:, None])
    assert ens["uncertainty/mean_reply_std"] == pytest.approx(float(z.std(axis=0).mean()), abs=1e-6)
    combined = z.mean(axis=0) - z.std(axis=0)  # chosen, rejected, chosen, ...
    assert entry["rewards/mean_chosen"] == pytest.approx(float(combined[0::2].mean()), abs=1e-5)
    assert entry["rewards/mean_rejected"] == pytest.approx(float(combined[1::2].mean()), abs=1e-5)


def test_score_writes_uncertainty_and_export_refuses(trained, tmp_path, capsys):
    from rlhf_rm.cli import main

    out, _, _ = trained
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"prompt": p, "response": r}) + "\n" for p, r in zip(PROMPTS, REPLIES)))
    assert main(["score", "--model", str(out), "--input", str(rows), "--output", str(tmp_path / "s.jsonl")]) == 0
    scored = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    _, spread = RewardFunction.from_pretrained(out).score_with_uncertainty(PROMPTS, REPLIES)
    assert [r["uncertainty"] for r in scored] == pytest.approx(spread, abs=1e-6)
    assert main(["export", "--model", str(out), "--output", str(tmp_path / "plain")]) == 2
    assert "cannot export an ensemble of 2 LoRA members" in capsys.readouterr().err


def test_resume_keeps_a_finished_member_and_trains_the_next(tiny_encoder_dir, tmp_path, monkeypatch):
    import rlhf_rm.train.loop as train_mod

    data = write_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "ens"
    real, calls, stop = train_mod.train_model, [], [True]

    def stop_at_member_1(cfg, member_data=None):
        calls.append(Path(cfg.output_dir).name)
        if stop[0] and cfg.output_dir.endswith("member-1"):
            raise KeyboardInterrupt  # the run stops between the members
        return real(cfg, member_data)

    monkeypatch.setattr(train_mod, "train_model", stop_at_member_1)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tiny_encoder_dir, out, data, "max_steps=4"))
    stop[0] = False
    assert not (out / CONTRACT_FILE).exists() and (out / "member-0" / CONTRACT_FILE).exists()
    member0 = (out / "member-0" / "adapter_model.safetensors").read_bytes()
    calls.clear()
    train(_cfg(tiny_encoder_dir, out, data, "max_steps=4", "resume=true"))
    assert calls == ["member-1"]  # member 0 kept, member 1 trained
    assert (out / "member-0" / "adapter_model.safetensors").read_bytes() == member0
    assert Contract.load(out).ensemble.members == ["member-0", "member-1"]
    assert len(RewardFunction.from_pretrained(out)(PROMPTS, REPLIES)) == len(PROMPTS)


def test_bootstrap_draws_a_different_multiset_per_member():
    from rlhf_rm.train.ensemble import member_examples

    examples = list(range(50))
    assert member_examples(examples, 3, "seed") == examples
    a, b = member_examples(examples, 3, "bootstrap"), member_examples(examples, 4, "bootstrap")
    assert len(a) == len(b) == 50 and set(a) <= set(examples)
    assert Counter(a) != Counter(b) and len(set(a)) < 50  # with replacement: some drawn twice, some never
    assert member_examples(examples, 3, "bootstrap") == a  # a pure function of the seed


def test_bootstrap_run_records_its_sampling(tiny_encoder_dir, tmp_path, capsys):
    data = write_pairs(tmp_path / "pairs.jsonl")
    train(_cfg(tiny_encoder_dir, tmp_path / "ens", data, "max_steps=2", "ensemble_sampling=bootstrap",
               "eval_data=null", "eval_fraction=0"))
    spec = Contract.load(tmp_path / "ens").ensemble
    assert spec.sampling == "bootstrap" and spec.norm_mean == [None, None]
    assert "bootstrap sampling" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no saved norm_mean"):  # no dev split: nothing to normalize by
        RewardFunction.from_pretrained(tmp_path / "ens", normalize=True)


def test_a_single_model_folder_loads_and_scores_as_before():
    folder = tiny_rm(1)
    saved = json.loads((Path(folder) / CONTRACT_FILE).read_text())
    assert "ensemble" not in saved  # a single model's contract is written as before
    rm = RewardModel.load(folder)
    assert rm.members == [] and rm.member_count == 1
    rf = RewardFunction.from_pretrained(folder, merge_lora=False)
    rewards, spread = rf.score_with_uncertainty(PROMPTS, REPLIES)
    assert rewards == pytest.approx(rm.score(PROMPTS, REPLIES), abs=1e-6) and spread == [0.0] * len(PROMPTS)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_an_invalid_ensemble_size_names_the_field(tiny_encoder_dir, tmp_path, value):
    with pytest.raises(ValueError, match=f"ensemble={value}: expected the number of members"):
        train(_cfg(tiny_encoder_dir, tmp_path / "o", tmp_path / "none.jsonl", f"ensemble={value}"))
    with pytest.raises(ConfigError, match="ensemble_sampling"):
        _cfg(tiny_encoder_dir, tmp_path / "o", tmp_path / "none.jsonl", "ensemble_sampling=jackknife")
    with pytest.raises(ValueError, match="lora.enabled=true"):
        train(_cfg(tiny_encoder_dir, tmp_path / "o", tmp_path / "none.jsonl", "lora.enabled=false"))


def test_uncertain_labeling_order_reads_the_members(trained):
    from rlhf_rm.annotate.queue import ensemble_scorer

    out, _, _ = trained
    rows = ensemble_scorer([str(out)])(PROMPTS, REPLIES)  # (M, N): one row per member
    assert np.array(rows) == pytest.approx(np.array(RewardModel.load(out).score_members(PROMPTS, REPLIES)), abs=1e-6)
