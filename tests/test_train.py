"""Reward-model training end to end: bad rows, resume, multi-process, listwise, pointwise, k-bit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from support import LEARNABLE, REPO, shared_path, write_pairs
from rlhf_rm.config import load_config
from rlhf_rm.model import RewardModel
from rlhf_rm.train import TrainConfig, train

CLI = [sys.executable, "-m", "rlhf_rm.cli"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def _tiny(model_dir: Path, out: Path, data: Path, *extra: str) -> TrainConfig:
    return load_config(TrainConfig, None, [
        f"model={model_dir}", f"train_data={data}", f"output_dir={out}", "max_length=48",
        "max_response_tokens=24", "lora.r=4", "lora.alpha=8", "batch_size=4", "learning_rate=5e-3",
        "eval_fraction=0", "progress=false", "seed=1", *extra,
    ])



@pytest.mark.parametrize("ensemble", [1, 2])
def test_a_file_of_only_bad_rows_is_refused_before_training(ensemble, tiny_encoder_dir, tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"prompt": "a", "chosen": "b"}) + "\n{not json\n")
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "on_bad_row=skip", f"ensemble={ensemble}")
    with pytest.raises(ValueError, match="no training examples left after removing bad rows"):
        train(cfg)
    assert not (tmp_path / "o" / "contract.json").exists()

def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "adapter_model.safetensors"))


def test_bad_rows_error_lists_every_line_without_traceback(tmp_path):
    data = tmp_path / "f.jsonl"
    good = json.dumps({"prompt": "Hi?", "chosen": "Hello, how can I help?", "rejected": "Go away."})
    lines = [good, "{not json", json.dumps({"prompt": "a", "chosen": "b"}),
             json.dumps({"prompt": "a", "chosen": "same", "rejected": "same"})] + [good] * 3
    data.write_text("\n".join(lines) + "\n")
    recipe = str(REPO / "recipes" / "rm_minilm_hh.yaml")
    args = [*CLI, "train", "--config", recipe, f"train_data={data}", f"output_dir={tmp_path / 'o'}", "max_steps=2"]
    run = subprocess.run([*args, "on_bad_row=error"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert run.returncode != 0
    for n in (2, 3, 4):
        assert f"line {n}:" in run.stderr
    assert "missing field 'rejected'" in run.stderr and "identical" in run.stderr
    assert "Traceback" not in run.stderr

    run = subprocess.run([*args, "on_bad_row=skip", "progress=false"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "skipped_rows=3" in run.stdout and "3 bad rows skipped, 3 duplicate rows dropped" in run.stderr
    listed = (tmp_path / "o" / "bad_rows.txt").read_text().splitlines()  # the good row's 3 copies too
    assert len(listed) == 6 and [x for x in listed if "duplicate" in x] == [
        f"{data} line {n}: duplicate of {data} line 1" for n in (5, 6, 7)
    ]


def test_training_learns_lora_changes_base_frozen(tiny_encoder_dir, tmp_path):
    data = write_pairs(tmp_path / "p.jsonl", repeat=4)
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=40", "learning_rate=1e-2", "eval_data=" + str(data))
    result = train(cfg)
    assert result.eval_accuracy == 1.0  # a learnable, memorizable set
    rm = RewardModel.load(tmp_path / "o")
    base = torch.load  # noqa: F841  (readability: base weights come from the untouched folder below)
    from transformers import AutoModel

    untouched = AutoModel.from_pretrained(tiny_encoder_dir).state_dict()
    trained = {k.split("base_model.model.bert.")[-1]: v for k, v in rm.model.state_dict().items()}
    assert torch.equal(untouched["encoder.layer.0.attention.self.query.weight"],
                       trained["encoder.layer.0.attention.self.query.base_layer.weight"])
    assert rm.contract.norm_std > 0 and rm.contract.metrics["rm/eval_accuracy"] == 1.0
    card = (tmp_path / "o" / "README.md").read_text()  # the model card: base model, data, metrics
    assert str(tiny_encoder_dir) in card and "`rm/eval_accuracy` | 1.0000" in card and str(data) in card
    log = [json.loads(x) for x in (tmp_path / "o" / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["rm/loss"] < log[0]["rm/loss"]


def test_resume_after_sigkill_matches_uninterrupted(tiny_encoder_dir, tmp_path):
    data = write_pairs(tmp_path / "p.jsonl", repeat=4)
    common = [f"model={tiny_encoder_dir}", f"train_data={data}", "max_length=48", "max_response_tokens=24",
              "lora.r=4", "lora.alpha=8", "batch_size=4", "learning_rate=5e-3", "eval_fraction=0",
              "progress=false", "max_steps=16", "save_steps=2", "seed=3", "lora.dropout=0.1",
              "disable_dropout=false"]
    ref = subprocess.run([*CLI, "train", *common, f"output_dir={tmp_path / 'ref'}"], env=ENV, cwd=REPO,
                         capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([*CLI, "train", *common, f"output_dir={out}"], env=ENV, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((out / "checkpoints").glob("step-00000[4-9]")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "adapter_model.safetensors").exists(), "the run finished before it was killed"
    resumed = subprocess.run([*CLI, "train", *common, f"output_dir={out}", "resume=true"], env=ENV, cwd=REPO,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr
    a, b = _weights(tmp_path / "ref"), _weights(out)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k


@pytest.mark.slow
def test_torchrun_two_processes_equal_one_process(tiny_encoder_dir, tmp_path):
    data = write_pairs(tmp_path / "p.jsonl", repeat=4)
    common = [f"model={tiny_encoder_dir}", f"train_data={data}", "max_length=48", "max_response_tokens=24",
              "lora.r=4", "lora.alpha=8", "batch_size=8", "learning_rate=5e-3", "eval_fraction=0",
              "progress=false", "max_steps=6", "seed=2"]
    one = subprocess.run([*CLI, "train", *common, f"output_dir={tmp_path / 'one'}"], env=ENV, cwd=REPO,
                         capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                          "-m", "rlhf_rm.cli", "train", *common, f"output_dir={tmp_path / 'two'}"],
                         env=ENV, cwd=REPO, capture_output=True, text=True)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("saved reward model") == 1  # only rank 0 writes and prints
    a, b = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    # float tolerance: gloo's all-reduce sums in another order, and Adam normalizes tiny gradients
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-4), k
    moved = max(a[k].abs().max().item() for k in a if "lora_B" in k)  # lora_B starts at zero
    assert moved > 1e-2


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "rlhf_rm.cli", "train", *args]


@pytest.mark.slow
def test_torchrun_two_processes_resume_after_sigkill(tiny_encoder_dir, tmp_path):
    """Two CPU processes (gloo, DDP): every rank writes its random state into the checkpoint and
    both resume from it after the whole job is killed, to the uninterrupted job's weights."""
    data = write_pairs(tmp_path / "p.jsonl")
    common = [f"model={tiny_encoder_dir}", f"train_data={data}", "max_length=48", "max_response_tokens=24",
              "lora.r=4", "lora.alpha=8", "batch_size=4", "learning_rate=5e-3", "eval_fraction=0",
              "progress=false", "max_steps=10", "save_steps=2", "seed=4", "lora.dropout=0.1",
              "disable_dropout=false"]
    ref = subprocess.run(_torchrun(*common, f"output_dir={tmp_path / 'ref'}"), env=ENV, cwd=REPO,
                         capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr[-3000:]
    out = tmp_path / "killed"
    job = subprocess.Popen(_torchrun(*common, f"output_dir={out}"), env=ENV, cwd=REPO, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "checkpoints").glob("step-00000[4-8]")):
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)  # the launcher and both ranks at once
    job.wait()
    assert not (out / "adapter_model.safetensors").exists(), "the job finished before it was killed"
    ckpt = sorted((out / "checkpoints").glob("step-*"))[-1]
    assert {"random_states_0.pkl", "random_states_1.pkl", "model.safetensors", "optimizer.bin"} <= {
        p.name for p in ckpt.iterdir()}
    resumed = subprocess.run(_torchrun(*common, f"output_dir={out}", "resume=true"), env=ENV, cwd=REPO,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr
    a, b = _weights(tmp_path / "ref"), _weights(out)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k


def test_listwise_chinese_ranked_lists_train(tiny_decoder_dir, tmp_path):
    import gzip

    src = shared_path("data", "oasst-zh-ranked", "oasst_zh_ranked.jsonl.gz")
    with gzip.open(src, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    rows = [r for r in rows if len(r["output"]) > 2 and len(set(r["output"])) == len(r["output"])][:24]
    data = tmp_path / "zh.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    settings = ["batch_size=8", "logging_steps=1", f"eval_data={data}", "max_length=64", "max_response_tokens=32"]
    before = train(_tiny(tiny_decoder_dir, tmp_path / "init", data, "max_steps=1", "learning_rate=0", *settings))
    after = train(_tiny(tiny_decoder_dir, tmp_path / "o", data, "max_steps=40", "learning_rate=1e-2", *settings))
    contract = json.loads((tmp_path / "o" / "rlhf_rm.json").read_text())
    assert contract["layouts"] == ["ranked"] and contract["architecture"] == "decoder"
    # accuracy over all ordered pairs of each list rose well above the untrained model's
    assert after.eval_accuracy > before.eval_accuracy + 0.2


def test_pointwise_scores_and_labels_train(tiny_encoder_dir, tmp_path):
    rows = []
    for i in range(16):
        good = i % 2 == 0
        rows.append({"prompt": f"question {i}", "response": "a kind helpful answer" if good else "rude nonsense",
                     "score": 1.0 if good else -1.0})
    data = tmp_path / "pw.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=25", "logging_steps=1")
    train(cfg)
    rm = RewardModel.load(tmp_path / "o")
    good, bad = rm.score(["question 99"] * 2, ["a kind helpful answer", "rude nonsense"])
    assert good > bad

    labels = tmp_path / "lab.jsonl"
    labels.write_text("".join(json.dumps({"prompt": r["prompt"], "response": r["response"],
                                          "label": "good" if r["score"] > 0 else "bad"}) + "\n" for r in rows))
    train(_tiny(tiny_encoder_dir, tmp_path / "o2", labels, "max_steps=25"))
    rm = RewardModel.load(tmp_path / "o2")
    good, bad = rm.score(["question 99"] * 2, ["a kind helpful answer", "rude nonsense"])
    assert good > bad


@pytest.mark.parametrize("bits", ["4bit", "8bit"])
def test_kbit_training_on_cpu(bits, tiny_decoder_dir, tmp_path):
    from rlhf_rm.model.quant import quantized_weight_snapshot

    data = write_pairs(tmp_path / "p.jsonl", repeat=2)
    cfg = _tiny(tiny_decoder_dir, tmp_path / "o", data, "max_steps=15", f"quantization={bits}",
                "learning_rate=1e-2", "logging_steps=1", f"eval_data={data}", "eval_steps=5")
    result = train(cfg)
    log = [json.loads(x) for x in (tmp_path / "o" / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["rm/loss"] < log[0]["rm/loss"]
    rm = RewardModel.load(tmp_path / "o")
    assert rm.contract.quantization == bits
    fresh = RewardModel.load(tmp_path / "o")
    assert quantized_weight_snapshot(rm.model).keys() == quantized_weight_snapshot(fresh.model).keys()
    trained_head = {k: v for k, v in _weights(tmp_path / "o").items() if "score" in k or "lora_B" in k}
    assert trained_head and any(v.abs().sum() > 0 for k, v in trained_head.items() if "lora_B" in k)
    assert result.eval_accuracy is not None


def test_bf16_autocast_trains_in_bf16_and_saves_float32(tiny_encoder_dir, tmp_path, monkeypatch):
    import rlhf_rm.train.loop as train_mod

    seen: set[torch.dtype] = set()
    real_scores = train_mod.model_scores

    def spy(model, rm, part):  # the training forward, as the loop calls it; a hook on one matmul
        linear = next(m for m in rm.model.modules() if isinstance(m, torch.nn.Linear))
        hook = linear.register_forward_hook(lambda mod, args, out: seen.add(out.dtype))
        try:
            return real_scores(model, rm, part)
        finally:
            hook.remove()

    monkeypatch.setattr(train_mod, "model_scores", spy)
    data = write_pairs(tmp_path / "p.jsonl", repeat=4)
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=40", "learning_rate=1e-2",
                "eval_data=" + str(data), "mixed_precision=bf16")
    result = train(cfg)
    assert seen == {torch.bfloat16}  # the matmuls ran under bf16 autocast
    assert result.eval_accuracy >= 0.75  # learns the set (float32 reaches 1.0; bf16 rounding costs a pair or two)
    rm = RewardModel.load(tmp_path / "o")
    assert {p.dtype for p in rm.model.parameters()} == {torch.float32}


def test_fp16_autocast_on_cpu_is_refused_with_a_sentence(tiny_encoder_dir, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    data = write_pairs(tmp_path / "p.jsonl")
    with pytest.raises(ValueError, match="mixed_precision=fp16 needs a CUDA GPU"):
        train(_tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=1", "mixed_precision=fp16"))


def test_length_controlled_bt_learns_beta_and_scores_without_it(tiny_encoder_dir, tmp_path):
    """length_debias=lc_bt: every chosen reply here is the longer one, so the learned length term
    takes some of that preference (beta > 0); the saved contract says so, and the score (saved,
    loaded, exported) is the head alone."""
    rows = [(p, c, r) for p, c, r in LEARNABLE if len(c) > len(r)]
    data = write_pairs(tmp_path / "p.jsonl", rows, repeat=4)
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=12", "length_debias=lc_bt", "eval_data=" + str(data))
    train(cfg)
    log = [json.loads(x) for x in (tmp_path / "o" / "train_log.jsonl").read_text().splitlines()]
    rm = RewardModel.load(tmp_path / "o")
    assert rm.contract.length_debias == "lc_bt" and rm.contract.length_beta > 0
    assert log[-1]["rm/length_beta"] == pytest.approx(rm.contract.length_beta)
    prompts, replies = [r[0] for r in rows], [r[1] for r in rows]
    rm.export(tmp_path / "plain")
    exported = RewardModel.load(tmp_path / "plain")
    assert exported.contract.length_debias == "lc_bt"
    assert exported.score(prompts, replies) == pytest.approx(rm.score(prompts, replies), abs=1e-4)


def test_augment_negatives_adds_training_pairs_only(tiny_encoder_dir, tmp_path):
    data = write_pairs(tmp_path / "p.jsonl")
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=2", "augment_negatives=0.5", "eval_data=" + str(data))
    result = train(cfg)
    n = len(LEARNABLE)
    assert (result.train_examples, result.eval_examples) == (n + round(0.5 * n), n)


def test_augment_negatives_on_a_small_file_of_one_repeated_reply_trains_and_says_what_it_added(
        tiny_encoder_dir, tmp_path, capsys):
    """No other reply to pad with or draw words from: those modes give way, the run goes on."""
    row = [("Say hi.", "Hello there, nice to meet you today.", "Go away.")]
    data = write_pairs(tmp_path / "p.jsonl", rows=row, repeat=40)
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=1", "augment_negatives=1.0",
                "on_duplicate=keep")
    result = train(cfg)
    assert result.train_examples == 80  # every pair got a negative, from a mode that could apply
    said = capsys.readouterr()
    assert "augment_negatives=1.0: 40 synthetic-negative pairs added; could not apply (another kind used): padded" \
        in said.err


def test_truncation_sides_from_the_config_reach_the_contract_and_encode(tiny_encoder_dir, tmp_path):
    """prompt_truncation=right keeps a long prompt's start, response_truncation=left a long reply's
    end; both are written to rlhf_rm.json and the loaded model encodes by them."""
    data = write_pairs(tmp_path / "p.jsonl")
    train(_tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=1", "prompt_truncation=right",
                "response_truncation=left"))
    saved = json.loads((tmp_path / "o" / "rlhf_rm.json").read_text())
    assert (saved["prompt_truncation"], saved["response_truncation"]) == ("right", "left")
    rm = RewardModel.load(tmp_path / "o")
    prompt, reply = "start " + "filler " * 60 + "finish", "opening " + "middle " * 60 + "closing"
    (enc,) = rm.encode([prompt], [reply])
    words = rm.tokenizer.decode(enc.input_ids).split()
    assert enc.truncated and enc.reply_truncated
    assert "start" in words and "finish" not in words  # the prompt kept its start
    assert "closing" in words and "opening" not in words  # the reply kept its end


def test_an_unknown_truncation_side_in_the_config_names_the_key():
    from rlhf_rm.config import ConfigError

    with pytest.raises(ConfigError, match="response_truncation"):
        load_config(TrainConfig, None, ["response_truncation=middle"])
    assert (TrainConfig().prompt_truncation, TrainConfig().response_truncation) == ("left", "right")


def test_lc_bt_beta_starts_at_the_length_only_fit_and_has_its_own_learning_rate(tiny_encoder_dir, tmp_path):
    """With a vanishing beta learning rate the saved beta is the length-only Bradley-Terry fit of
    the encoded training pairs (3 of 4 prefer the longer reply here: beta > 0, not separable)."""
    from rlhf_rm.train.batches import encode_examples, length_only_beta
    from rlhf_rm.data import load_examples

    longer = [(p, c, r) for p, c, r in LEARNABLE if len(c) > len(r)][:3]
    shorter = [(p, r, c) for p, c, r in LEARNABLE if len(c) > len(r)][3:4]
    data = write_pairs(tmp_path / "p.jsonl", longer + shorter, repeat=2)
    cfg = _tiny(tiny_encoder_dir, tmp_path / "o", data, "max_steps=2", "length_debias=lc_bt", "length_beta_lr=1e-12",
                "eval_data=" + str(data))
    train(cfg)
    rm = RewardModel.load(tmp_path / "o")
    encoded, _ = encode_examples(rm, load_examples(str(data)).examples)
    expected = length_only_beta(encoded)
    assert 0 < expected < 10
    assert rm.contract.length_beta == pytest.approx(expected, abs=1e-6)
    # the default beta learning rate moves it within two steps
    train(_tiny(tiny_encoder_dir, tmp_path / "o2", data, "max_steps=2", "length_debias=lc_bt", "eval_data=" + str(data)))
    assert abs(RewardModel.load(tmp_path / "o2").contract.length_beta - expected) > 1e-4


def test_length_decorrelation_term_changes_the_loss_and_is_checked(tiny_encoder_dir, tmp_path):
    data = write_pairs(tmp_path / "p.jsonl")

    def first_loss(out: str, *extra: str) -> float:
        train(_tiny(tiny_encoder_dir, tmp_path / out, data, "max_steps=1", "logging_steps=1", *extra))
        return json.loads((tmp_path / out / "train_log.jsonl").read_text().splitlines()[0])["rm/loss"]

    assert first_loss("with", "length_corr_coef=1.0") > first_loss("without") + 1e-4
    with pytest.raises(ValueError, match="length_corr_coef must be >= 0"):
        train(_tiny(tiny_encoder_dir, tmp_path / "bad", data, "max_steps=1", "length_corr_coef=-1"))
