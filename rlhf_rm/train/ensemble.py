"""Reward-model ensembles in one folder (``rlhf-rm train`` with ``ensemble: k``).

k LoRA members on one base, trained one after another by ``rlhf_rm.train.loop.train_model`` on the same
examples and the same dev split: member i with seed ``seed + i`` (adapter init, data order) and,
with ``ensemble_sampling: bootstrap``, on a resample of the training examples with replacement.
Coste et al. 2023 ("Reward Model Ensembles Help Mitigate Overoptimization") combine such members
by their mean or mean - std; ``RewardFunction`` does that and reports their spread.

The folder (``OUTPUT_DIR``)::

    rlhf_rm.json          one contract; its ``ensemble`` section: members, sampling, seeds, default
                          combine, each member's dev metrics and normalization stats
    tokenizer files, README.md, bad_rows.txt
    member-0/, member-1/  each member's LoRA adapter and trained head (adapter_*.safetensors / .json)
                          and its train_log.jsonl; the frozen base is the contract's base_model

While member i trains, ``member-i/`` is an ordinary training folder (its own checkpoints); a member
is finished once its own ``rlhf_rm.json`` is there. Writing the folder's contract is the last step,
after which the members are reduced to their weights. ``resume=true`` keeps finished members and
resumes the interrupted one from its checkpoints.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from rlhf_rm.contract import CONTRACT_FILE, Contract, EnsembleSpec
from rlhf_rm.train import loop
from rlhf_rm.train.config import TrainConfig
from rlhf_rm.train.data import TrainData, TrainResult, load_train_eval, log_main


# what a finished member's folder keeps once the ensemble's contract is written
MEMBER_FILES = ("adapter_config.json", "adapter_model.safetensors", "train_log.jsonl", "tensorboard")


def member_name(i: int) -> str:
    return f"member-{i}"


def check_ensemble(cfg: TrainConfig) -> None:
    """Raise ValueError, naming the key, for ensemble settings that cannot train."""
    if not isinstance(cfg.ensemble, int) or cfg.ensemble < 1:
        raise ValueError(f"ensemble={cfg.ensemble!r}: expected the number of members, an integer >= 1 "
                         "(1 trains one model)")
    if cfg.ensemble_sampling not in ("seed", "bootstrap"):
        raise ValueError(f"ensemble_sampling={cfg.ensemble_sampling!r}: expected seed or bootstrap")
    if cfg.ensemble > 1 and not cfg.lora.enabled:
        raise ValueError(f"ensemble={cfg.ensemble} needs LoRA members on one shared base: set lora.enabled=true "
                         "(full fine-tuning would save k copies of the model)")


def member_examples(examples: list, seed: int, sampling: str) -> list:
    """A member's training examples: all of them (``seed``), or as many drawn with replacement
    (``bootstrap``, by ``seed``)."""
    if sampling == "seed":
        return list(examples)
    rng = random.Random(seed)
    return [examples[rng.randrange(len(examples))] for _ in examples]


def train_ensemble(cfg: TrainConfig) -> TrainResult:
    """Train ``cfg.ensemble`` members one after another with the single-model loop
    (``rlhf_rm.train.loop.train_model``) and save them in one folder (see the module)."""
    check_ensemble(cfg)
    k, out, t0 = cfg.ensemble, Path(cfg.output_dir), time.time()
    main = int(os.environ.get("RANK", "0")) == 0
    names = [member_name(i) for i in range(k)]
    if cfg.resume and _finished(out, names):
        log_main(f"{out} holds a finished ensemble of {k} members (resume=true): nothing to train", main)
        if main:
            _reduce_members(out, names)  # (when a run stopped while reducing them)
        return _result(Contract.load(out), out, time.time() - t0, 0.0, main)
    if not cfg.resume and main:  # a fresh run: no earlier contract may pass for a finished member
        for folder in (out, *(out / n for n in names)):
            (folder / CONTRACT_FILE).unlink(missing_ok=True)

    # 1. the data, once: every member sees the same examples (or a resample of them) and dev split
    data = load_train_eval(cfg, main)
    if not data.train:
        raise ValueError("no training examples left after removing bad rows")
    # 2. the members, one after another, each by the single-model loop into its own folder
    speeds = []
    for i, name in enumerate(names):
        seed, where = cfg.seed + i, f"ensemble member {i + 1}/{k} ({name})"
        if cfg.resume and (out / name / CONTRACT_FILE).exists():
            log_main(f"{where}: finished earlier, kept (resume=true)", main)
            continue
        examples = member_examples(data.train, seed, cfg.ensemble_sampling)
        log_main(f"{where}: training with seed {seed}, {cfg.ensemble_sampling} sampling "
                 f"({len({id(e) for e in examples})} distinct of {len(examples)} training examples)", main)
        member_cfg = dataclasses.replace(cfg, ensemble=1, seed=seed, output_dir=str(out / name), push_to_hub=None)
        result = loop.train_model(member_cfg, dataclasses.replace(data, train=examples))
        speeds.append(result.pairs_per_second)
        acc = "n/a" if result.eval_accuracy is None else f"{result.eval_accuracy:.4f}"
        log_main(f"{where}: done in {result.seconds:.1f} s, eval accuracy {acc}", main)
    # 3. one folder: the contract with its ensemble section, the members reduced to their weights
    if not main:
        return TrainResult(out, 0, None, len(data.train), len(data.eval), len(data.bad), 0, time.time() - t0,
                           0.0, False)
    contract = _assemble(cfg, out, names, data)
    _reduce_members(out, names)
    if cfg.push_to_hub:
        from rlhf_rm.model.card import push_folder

        log_main(f"pushed to {push_folder(out, cfg.push_to_hub)}", main)
    return _result(contract, out, time.time() - t0, sum(speeds) / len(speeds) if speeds else 0.0, main)


def _finished(out: Path, names: list[str]) -> bool:
    """Whether ``out`` holds the finished ensemble of exactly these members."""
    if not (out / CONTRACT_FILE).exists():
        return False
    spec = Contract.load(out).ensemble
    return spec is not None and spec.members == names


def _assemble(cfg: TrainConfig, out: Path, names: list[str], data: TrainData) -> Contract:
    """The ensemble's contract from its members' (the shared fields are the same in each), the
    combined dev metrics measured on the members loaded as one model, written last."""
    from rlhf_rm.model.card import reward_model_card, write_card
    from rlhf_rm.model import RewardModel, default_device, load_tokenizer
    from rlhf_rm.model.io import load_weights
    from rlhf_rm.train.dev_eval import final_dev_metrics

    members = [Contract.load(out / n) for n in names]
    spec = EnsembleSpec(
        members=names, sampling=cfg.ensemble_sampling, seeds=[cfg.seed + i for i in range(len(names))],
        norm_mean=[c.norm_mean for c in members], norm_std=[c.norm_std for c in members],
        member_metrics=[{**c.metrics, "length_beta": c.length_beta} for c in members],
    )
    contract = dataclasses.replace(members[0], ensemble=spec, length_beta=None, norm_mean=None, norm_std=None,
                                   train_config=asdict(cfg))
    model = load_weights(out, contract, trust_remote_code=cfg.trust_remote_code).to(default_device()).eval()
    rm = RewardModel(model, load_tokenizer(str(out / names[0]), cfg.trust_remote_code), contract)
    # the mean of the members on the dev split; norm_mean/norm_std: of that mean score
    final = final_dev_metrics(rm, data.eval, cfg.eval_batch_size, None, 0)
    counts = {key: v for key, v in members[0].metrics.items() if not key.startswith("rm/")}
    contract.metrics = {**final, **counts, "ensemble_members": len(names)}
    rm.tokenizer.save_pretrained(out)
    write_card(out, reward_model_card(contract))
    if (out / names[0] / "bad_rows.txt").exists():  # the same in every member's folder
        os.replace(out / names[0] / "bad_rows.txt", out / "bad_rows.txt")
    contract.save(out)  # last: from here on the folder is the ensemble
    accs = ", ".join(f"{m.get('rm/eval_accuracy', float('nan')):.4f}" for m in spec.member_metrics)
    log_main(f"ensemble of {len(names)}: eval accuracy {final.get('rm/eval_accuracy', float('nan')):.4f} "
             f"(members {accs})")
    return contract


def _reduce_members(out: Path, names: list[str]) -> None:
    """Each member's folder down to its weights and training log (checkpoints, its contract,
    tokenizer and card go: the ensemble's own are in ``out``)."""
    for name in names:
        for item in (out / name).iterdir():
            if item.name in MEMBER_FILES:
                continue
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink()


def _result(contract: Contract, out: Path, seconds: float, pairs_per_second: float, main: bool) -> TrainResult:
    m = contract.metrics
    return TrainResult(out, m.get("steps", 0), m.get("rm/eval_accuracy"), m.get("train_examples", 0),
                       m.get("eval_examples", 0), m.get("skipped_rows", 0), m.get("truncated", 0), seconds,
                       pairs_per_second, main)
