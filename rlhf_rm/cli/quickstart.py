"""``rlhf-rm quickstart``: the whole idea on a laptop CPU, offline, in a few minutes.

1. a reward model (MiniLM-L6 + LoRA) learns from the bundled English/Chinese preference pairs;
2. the policy: SmolLM2-135M-Instruct, a real chat model shipped offline in a pip package
   (``smollm2-135m-instruct``, converted once from its GGUF); ``--policy tiny`` pretrains a tiny
   causal LM on the bundled dialogue text instead (the original design's unsupervised stage), and
   ``--policy`` takes any other causal LM folder or hub id;
3. best-of-n: the policy's sampled replies are reranked by the reward model;
4. PPO steers the policy with the reward model;
5. a report folder (Markdown + plots) gathers it all.

Best-of-n and PPO give the policy the same prompt text (``rlhf_rm.policy.render_prompt``): the
policy's chat template (SmolLM2's ChatML; the tiny policy's turns each one-turn prompt into
``User: ...\n\nAssistant:``, the transcript form it was pretrained on).

Each step writes its artifacts under ``--output-dir`` with a hash of its configuration (which
includes the hashes of the steps it builds on); a second run reuses every unchanged step.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from rlhf_rm.checkpoint import write_json_atomic

STAMP = ".rlhf_rm_step.json"
EVAL_FRACTION, SEED = 0.2, 0


def say(msg: str = "") -> None:
    print(msg, flush=True)


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cached_step(folder: Path, config: dict[str, Any], run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Run a step unless ``folder`` holds a finished run of the same configuration."""
    stamp = folder / STAMP
    key = config_hash(config)
    if stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("hash") == key:
            return saved["result"], True
    if folder.exists():
        shutil.rmtree(folder)  # a stale or unfinished step starts afresh
    result = run()
    write_json_atomic(stamp, {"hash": key, "config": config, "result": result})
    return result, False


def step_key(folder: Path) -> str:
    """The hash a step's folder was made with; for a model folder the user brought, its path (the
    folder is only read, never written)."""
    stamp = folder / STAMP
    if stamp.exists():
        return json.loads(stamp.read_text())["hash"]
    return config_hash({"path": str(folder.resolve())})


# ---- the data split ----------------------------------------------------------------------

def bundled_split() -> tuple[list, list]:
    """The bundled set split by prompt exactly as reward-model training splits it."""
    from rlhf_rm.data import load_examples, split_dev
    from rlhf_rm.resources import default_prefs_path

    return split_dev(load_examples(str(default_prefs_path())).examples, EVAL_FRACTION, SEED)


def single_turn_prompts(examples, limit: int | None = None, lang_ascii: bool = True) -> list[str]:
    """Distinct one-turn English prompts (the small policy's BPE saw English and Chinese alike,
    but the MiniLM reward model reads English only)."""
    out: list[str] = []
    for ex in examples:
        if len(ex.prompt) == 1 and (not lang_ascii or ex.prompt[0]["content"].isascii()):
            text = ex.prompt[0]["content"]
            if text not in out:
                out.append(text)
    return out[:limit] if limit else out


# ---- steps -------------------------------------------------------------------------------

def step_reward_model(out: Path) -> tuple[dict[str, Any], bool]:
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    # 20% of the bundled prompts are held out and never seen in training (select_best off)
    cfg = load_config(TrainConfig, None, [
        "model=minilm", "train_data=default", f"output_dir={out}", f"eval_fraction={EVAL_FRACTION}",
        f"seed={SEED}", "max_length=128", "max_response_tokens=64", "num_epochs=2", "batch_size=16",
        "learning_rate=1e-3", "lora.r=16", "lora.alpha=32", "select_best=false", "progress=true",
    ])

    def run() -> dict[str, Any]:
        result = train(cfg)
        return {"heldout_accuracy": result.eval_accuracy, "heldout_pairs": result.eval_examples,
                "train_pairs": result.train_examples, "seconds": round(result.seconds, 1)}

    return cached_step(out, asdict(cfg), run)


def step_policy(out: Path) -> tuple[dict[str, Any], bool]:
    from rlhf_rm.config import load_config
    from rlhf_rm.pretrain import PretrainConfig, pretrain

    # English transcripts only: the MiniLM reward model reads English, and a byte-level BPE this
    # small spends its capacity badly on a second script. Chosen replies only (the SFT stage of
    # RLHF): the bundled set's rejected replies include deliberately broken ones (shuffled words,
    # loops, word salad), and a policy pretrained on them would sample them.
    text_file = out.parent / "policy_text.jsonl"
    write_chosen_file(bundled_english(), text_file)
    cfg = load_config(PretrainConfig, None, [
        "model=new", f"data={text_file}", f"output_dir={out}", "max_length=128", "batch_size=32",
        "learning_rate=2e-3", "num_epochs=12", "seed=0", "progress=true",
    ])

    def run() -> dict[str, Any]:
        t = time.time()
        pretrain(cfg)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
        return {"seconds": round(time.time() - t, 1)}

    return cached_step(out, asdict(cfg), run)


def step_rerank(out: Path, rm_dir: Path, policy_dir: Path, prompts: list[str], n: int) -> tuple[dict[str, Any], bool]:
    config = {"rm": step_key(rm_dir), "policy": step_key(policy_dir), "prompts": prompts, "n": n,
              "max_new_tokens": 40, "temperature": 1.0, "seed": 0}

    def run() -> dict[str, Any]:
        import torch

        from rlhf_rm.evaluate import bon_curve
        from rlhf_rm.policy import Sampling, load_policy
        from rlhf_rm.rerank import best_of_n
        from rlhf_rm.reward import RewardFunction

        torch.manual_seed(0)
        # cache on: the curve below scores the same candidates again
        reward = RewardFunction.from_pretrained(str(rm_dir), cache=True)
        policy, tok = load_policy(str(policy_dir))
        results = best_of_n(reward, prompts, policy=policy, tokenizer=tok, n=n,
                            sampling=Sampling(temperature=1.0, max_new_tokens=40))
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "rerank.jsonl", "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        mean_all = sum(c.score for r in results for c in r.candidates) / sum(len(r.candidates) for r in results)
        mean_best = sum(r.best_score for r in results) / len(results)
        candidates = [[c.text for c in r.candidates] for r in results]
        # the reward model is both proxy and judge here (no gold labels offline): the curve
        # shows how fast best-of-n climbs the reward against its analytic KL
        curve = bon_curve(candidates, reward, reward, prompts, ns=tuple(2**i for i in range(n.bit_length()) if 2**i <= n),
                          report_dir=out)
        return {"mean_random": mean_all, "mean_best_of_n": mean_best, "gain": mean_best - mean_all,
                "n": n, "prompts": len(prompts),
                "examples": [{"prompt": r.prompt, "best": r.best_text, "best_score": r.best_score,
                              "worst": min(r.candidates, key=lambda c: c.score).text,
                              "worst_score": min(c.score for c in r.candidates)} for r in results[:4]],
                "curve": curve}

    return cached_step(out, config, run)


def step_ppo(out: Path, rm_dir: Path, policy_dir: Path, train_prompts: list[str], eval_prompts: list[str]) -> tuple[dict[str, Any], bool]:
    from rlhf_rm.ppo.settings import load_ppo_config

    overrides = [
        f"model={policy_dir}", f"reward={rm_dir}", f"output_dir={out}", "max_new_tokens=40",
        "total_updates=60", "lora.enabled=true", "lora.r=8", "lora.alpha=16",
        "kl_coef=0.3", "kl_target=6.0", "kl_horizon=1000", "score_norm=running", "score_clip=5.0",
        "sample_every=10", "checkpoint_every=0", "eval_samples_per_prompt=2", "max_minutes=5",
        "seed=0", "tensorboard=false", *_ppo_scale(policy_dir),
    ]
    import yaml

    prompts_yaml = out.parent / "ppo_prompts.yaml"
    prompts_yaml.write_text(yaml.safe_dump({"prompts": train_prompts, "eval_prompts": eval_prompts},
                                           allow_unicode=True), encoding="utf-8")
    cfg = load_ppo_config(prompts_yaml, overrides)
    # "prompts": PPO renders prompts by rlhf_rm.policy since this key was added (before: plain text)
    config = {"rm": step_key(rm_dir), "policy": step_key(policy_dir), "ppo": asdict(cfg), "prompts": "policy"}

    def run() -> dict[str, Any]:
        from rlhf_rm.ppo.loop import run_ppo

        run_ppo(cfg)
        ev = json.loads((out / "eval.json").read_text())
        metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
        return {"start_reward": ev["start_reward_mean"], "tuned_reward": ev["tuned_reward_mean"],
                "reward_gain": ev["tuned_reward_mean"] - ev["start_reward_mean"], "win_rate": ev["win_rate"],
                "updates": len(metrics), "final_kl": metrics[-1].get("ppo/kl") if metrics else None,
                "examples": ev.get("examples", [])[:4]}

    return cached_step(out, config, run)


def _ppo_scale(policy_dir: Path) -> list[str]:
    """Batch, epochs and step size by the policy's size: the tiny pretrained LM takes large cheap
    batches on one thread; a real chat model (SmolLM2-135M: ~8 s an update of 8 replies on two
    threads) takes small ones, so the 5-minute budget still holds dozens of updates."""
    config = json.loads((policy_dir / "config.json").read_text()) if (policy_dir / "config.json").is_file() else {}
    if config.get("hidden_size", 1 << 30) <= 256:  # a hub id (no local config): take it for a real model
        return ["rollout_batch_size=32", "num_minibatches=2", "ppo_epochs=4", "learning_rate=5e-4", "num_threads=1"]
    return ["rollout_batch_size=8", "num_minibatches=2", "ppo_epochs=2", "learning_rate=1e-4", "num_threads=2"]


def step_rm_report(out: Path, rm_dir: Path, heldout_file: Path) -> tuple[dict[str, Any], bool]:
    config = {"rm": step_key(rm_dir), "data": heldout_file.read_text(encoding="utf-8"), "checks": ["shuffle"]}

    def run() -> dict[str, Any]:
        from rlhf_rm.evaluate import evaluate
        from rlhf_rm.reward import RewardFunction

        reward = RewardFunction.from_pretrained(str(rm_dir))
        report = evaluate({"reward_model": reward}, [str(heldout_file)], report_dir=str(out), progress=False)
        entry = next(iter(report["datasets"].values()))
        # coherence (evaluate's shuffle check, seed 0): each held-out chosen reply against the same
        # reply with its words shuffled
        return {"accuracy": entry["accuracy"], "ece": entry.get("calibration/ece"), "ci95": entry.get("ci95"),
                "shuffle_preference": entry["coherence/shuffle_preference"], "shuffle_pairs": entry["coherence/pairs"]}

    return cached_step(out, config, run)


# ---- the story ---------------------------------------------------------------------------

def bundled_english() -> list:
    """English examples of the training split (held-out prompts stay unseen by the policy too)."""
    train_ex, _ = bundled_split()
    return [ex for ex in train_ex if all(m["content"].isascii() for m in ex.prompt)]


def write_chosen_file(examples, path: Path) -> Path:
    """Each example's prompt with its chosen reply, once, as pointwise rows (text for pretraining)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8") as f:
        for ex in examples:
            key = json.dumps([ex.prompt, ex.responses[0]])
            if key in seen:  # a synthetic pair repeats its original's prompt and chosen reply
                continue
            seen.add(key)
            f.write(json.dumps({"prompt": ex.prompt, "response": ex.responses[0], "score": 1.0},
                               ensure_ascii=False) + "\n")
    return path


def write_pairs_file(examples, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps({"prompt": ex.prompt, "chosen": ex.responses[0], "rejected": ex.responses[1]},
                               ensure_ascii=False) + "\n")
    return path


DEFAULT_POLICY = "smollm2-135m-instruct"
TINY_POLICY = "tiny"  # --policy tiny: pretrain the 0.9M-parameter LM here


def run_quickstart(output_dir: str = "quickstart_out", policy: str = DEFAULT_POLICY, n: int = 8) -> dict[str, Any]:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    train_ex, heldout_ex = bundled_split()
    say("rlhf_rm quickstart — offline, on this CPU\n")

    say("1/5 Reward model: MiniLM-L6 + LoRA learns human-style preferences from the bundled")
    say("    English/Chinese dialogue pairs (helpful, correct, polite and safe replies preferred).")
    rm, reused = step_reward_model(out / "reward_model")
    say(f"    {'reused' if reused else 'trained'}: {rm['train_pairs']} training pairs; accuracy on "
        f"{rm['heldout_pairs']} held-out pairs = {rm['heldout_accuracy']:.3f} (chance 0.5)\n")

    say("2/5 Policy: " + ("using " + policy if policy != TINY_POLICY else
                          "a tiny causal LM (0.9M parameters) pretrained on the bundled dialogue text,"))
    if policy != TINY_POLICY:
        from rlhf_rm.model import resolve_model_path

        policy_dir = Path(resolve_model_path(policy))  # a folder, or an offline name such as smollm2-135m-instruct
        say(f"    ({policy_dir})\n")
    else:
        say("    the original design's unsupervised stage (next-token prediction).")
        pol, reused = step_policy(out / "policy")
        policy_dir = out / "policy"
        say(f"    {'reused' if reused else 'pretrained'} in {pol['seconds']:.0f}s\n")

    eval_prompts = single_turn_prompts(heldout_ex, limit=24)
    train_prompts = single_turn_prompts(train_ex)
    say(f"3/5 Best-of-{n}: sample {n} replies for each of {len(eval_prompts)} held-out prompts, rerank by the reward model.")
    rr, reused = step_rerank(out / "rerank", out / "reward_model", policy_dir, eval_prompts, n)
    say(f"    mean reward of a random sample {rr['mean_random']:+.3f} -> of the best of {n} {rr['mean_best_of_n']:+.3f}")
    ex = rr["examples"][0]
    say(f"    e.g. {ex['prompt']!r}\n      best  ({ex['best_score']:+.2f}): {ex['best'][:100]!r}\n"
        f"      worst ({ex['worst_score']:+.2f}): {ex['worst'][:100]!r}\n")

    say(f"4/5 PPO: steer the policy with the reward model on {len(train_prompts)} training prompts (KL-controlled).")
    ppo, reused = step_ppo(out / "ppo", out / "reward_model", policy_dir, train_prompts, eval_prompts)
    say(f"    {'reused' if reused else 'trained'}: {ppo['updates']} updates; held-out mean reward "
        f"{ppo['start_reward']:+.3f} -> {ppo['tuned_reward']:+.3f} (win rate {ppo['win_rate']:.2f}, final KL {ppo['final_kl']:.2f})\n")

    say("5/5 Report: reward-model accuracy and calibration, best-of-n curve, PPO curves, samples.")
    heldout_file = write_pairs_file(heldout_ex, out / "report" / "heldout_pairs.jsonl")
    rep, _ = step_rm_report(out / "report" / "reward_model", out / "reward_model", heldout_file)
    write_report(out, rm, rr, ppo, rep)
    summary = {"rm/heldout_accuracy": rm["heldout_accuracy"], "rm/shuffle_preference": rep["shuffle_preference"],
               "rerank/gain": rr["gain"], "ppo/reward_gain": ppo["reward_gain"], "seconds": round(time.time() - t0, 1)}
    write_json_atomic(out / "summary.json", summary)
    say(f"    report: {out / 'report' / 'report.md'}\n")
    say(f"rm/heldout_accuracy={summary['rm/heldout_accuracy']:.4f}")
    say(f"rm/shuffle_preference={summary['rm/shuffle_preference']:.4f}")
    say(f"rerank/gain={summary['rerank/gain']:.4f}")
    say(f"ppo/reward_gain={summary['ppo/reward_gain']:.4f}")
    say(f"quickstart/seconds={summary['seconds']:.0f}")
    return summary


def _ci(ci: list[float] | None) -> str:
    return "n/a" if not ci else f"{ci[0]:.3f}–{ci[1]:.3f}"


def write_report(out: Path, rm: dict, rr: dict, ppo: dict, rep: dict) -> None:
    report = out / "report"
    report.mkdir(parents=True, exist_ok=True)
    for src, name in ((out / "rerank" / "bon_curve.png", "bon_curve.png"), (out / "ppo" / "ppo.png", "ppo.png")):
        if src.exists():
            shutil.copyfile(src, report / name)
    lines = [
        "# rlhf_rm quickstart report", "",
        "## 1. Reward model", "",
        f"MiniLM-L6 + LoRA trained on {rm['train_pairs']} bundled preference pairs. Held-out accuracy "
        f"(pairs whose prompts were never trained on): **{rep['accuracy']:.3f}** "
        f"(95% CI {_ci(rep['ci95'])}), expected calibration error {rep['ece']:.3f}. It prefers a held-out "
        f"chosen reply to the same reply with its words shuffled in **{rep['shuffle_preference']:.3f}** of "
        f"{rep['shuffle_pairs']} cases (a reward of length or vocabulary alone scores 0).", "",
        "![calibration](reward_model/calibration.png) ![margins](reward_model/margins.png) "
        "![length bias](reward_model/length_bias.png)", "",
        "Full evaluation: [reward_model/report.md](reward_model/report.md)", "",
        f"## 2. Best-of-{rr['n']} reranking", "",
        f"Mean reward of a random sample {rr['mean_random']:+.3f}; of the best of {rr['n']} "
        f"{rr['mean_best_of_n']:+.3f} (gain {rr['gain']:+.3f}) over {rr['prompts']} held-out prompts.", "",
        "![best-of-n](bon_curve.png)", "",
        "| prompt | best reply (score) | worst reply (score) |", "|---|---|---|",
        *[f"| {e['prompt']} | {e['best'][:120]} ({e['best_score']:+.2f}) | {e['worst'][:120]} ({e['worst_score']:+.2f}) |"
          .replace("\n", " ") for e in rr["examples"]], "",
        "## 3. PPO", "",
        f"{ppo['updates']} updates. Held-out mean reward {ppo['start_reward']:+.3f} -> {ppo['tuned_reward']:+.3f} "
        f"(gain {ppo['reward_gain']:+.3f}, win rate {ppo['win_rate']:.2f}); final KL to the reference "
        f"{ppo['final_kl']:.2f} nats.", "",
        "![ppo](ppo.png)", "",
        "| prompt | before PPO (reward, words) | after PPO (reward, words) |", "|---|---|---|",
        *[f"| {e.get('prompt')} | {str(e.get('start'))[:120]} ({_num(e.get('start_reward'))}, {e.get('start_words', '?')}) "
          f"| {str(e.get('tuned'))[:120]} ({_num(e.get('tuned_reward'))}, {e.get('tuned_words', '?')}) |".replace("\n", " ")
          for e in ppo["examples"]], "",
    ]
    lines += _side_by_side(rr, ppo)
    (report / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _side_by_side(rr: dict, ppo: dict) -> list[str]:
    """Held-out prompts with three replies each: the base policy's sample, the best of n, and the
    PPO policy's sample, each with its reward."""
    best = {str(e["prompt"]): e for e in rr["examples"]}
    rows = [(e, best[str(e.get("prompt"))]) for e in ppo["examples"] if str(e.get("prompt")) in best]
    if not rows:
        return []
    cell = lambda text, score: f"{str(text)[:160]} ({_num(score)})".replace("\n", " ").replace("|", "/")  # noqa: E731
    return ["## 4. Side by side", "", "The same held-out prompts: a sample of the base policy, the best of "
            f"{rr['n']} of its samples, and a sample of the PPO policy (reward in brackets).", "",
            "| prompt | base policy | best of n | after PPO |", "|---|---|---|---|",
            *[f"| {p.get('prompt')} | {cell(p.get('start'), p.get('start_reward'))} | "
              f"{cell(b['best'], b['best_score'])} | {cell(p.get('tuned'), p.get('tuned_reward'))} |" for p, b in rows], ""]


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:+.2f}"


if __name__ == "__main__":
    run_quickstart(*sys.argv[1:])
