"""The PPO loop: one function that reads top to bottom in the paper's steps.

``run_ppo_from_config(path, overrides)`` is what ``rlhf-rm ppo --config FILE key=value ...`` and
``python -m rlhf_rm.ppo`` call; ``run_ppo(config, reward_fn=...)`` is the Python entry.

Multi-process (``accelerate launch`` / ``torchrun``): each process samples its share of the
rollout batch; advantage whitening, score normalisation, the KL controller and the metrics use
statistics over all processes; gradients are averaged over processes (see ``distributed``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from rlhf_rm.checkpoint import Retention, clear_checkpoints, latest_checkpoint, load_checkpoint, save_checkpoint
from rlhf_rm.checkpoint import load_trainable_state, trainable_state
from rlhf_rm.ppo import algo
from rlhf_rm.ppo.settings import PPOConfig, load_ppo_config
from rlhf_rm.ppo.dashboard import Dashboard
from rlhf_rm.ppo.memory import release_freed_memory
from rlhf_rm.ppo.models import POLICY_ADAPTER, ActorCritic
from rlhf_rm.ppo.prompt_sets import EncodedPrompt, fit_prompts
from rlhf_rm.ppo.rollout import Reward, Rollout, RolloutSettings, collect_rollout
from rlhf_rm.ppo.run import PPORun, build_run
from rlhf_rm.ppo.update import ppo_update


def run_ppo_from_config(path: str | Path | None, overrides: list[str] | None = None) -> Path:
    """Load a PPO recipe (YAML + ``key=value`` overrides), train, and return the output folder."""
    return run_ppo(load_ppo_config(path, overrides))


def run_ppo(cfg: PPOConfig, reward_fn: Reward | None = None, accelerator=None) -> Path:
    """Train a policy with PPO against ``reward_fn`` (default: the config's ``reward``).

    Writes everything under ``cfg.output_dir`` and returns it.
    """
    threads = torch.get_num_threads()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    try:
        return _run_ppo(cfg, reward_fn, accelerator)
    finally:
        torch.set_num_threads(threads)


# ---------------------------------------------------------------------------------------------
# the loop


def _run_ppo(cfg: PPOConfig, reward_fn: Reward | None, accelerator) -> Path:
    run = build_run(cfg, reward_fn, accelerator)
    start_step, ckpt = _resume(run)
    dash = _dashboard(run, start_step, ckpt)
    step = start_step
    for step in range(start_step + 1, cfg.total_updates + 1):
        t0 = time.monotonic()
        torch.manual_seed(_update_seed(cfg.seed, step, run.rank))
        batch = [run.encoded[i] for i in _batch_indices(len(run.encoded), cfg.seed, step, run.per_process,
                                                          run.rank, run.dist.n)]
        # 1. rollout: sample replies from the policy (as of the last update); log-probs under the
        #    policy and the reference, values from the critic, scores from the reward callable
        ro = _rollout(run, batch)
        t_rollout = time.monotonic() - t0
        # 2. score: normalised (running or batch statistics), clipped, penalised when the reply
        #    never reached a stop token
        all_scores, scores = _normalized_scores(run, ro)
        # 3. advantages: KL penalty on every reply token, the score on the last one; GAE (gamma,
        #    lambda), whitened over the whole batch
        adv = _advantages(run, ro, scores)
        # 4. optimize: PPO epochs over shuffled minibatches, clipped policy and value losses
        train_stats = ppo_update(run.model, run.optimizer, run.params, ro, adv.advantages, adv.returns, run.hp, run.dist)
        # 5. the KL controller moves toward its target with this batch's mean KL (Ziegler et al.);
        #    log the update's metrics to the dashboard
        stats = _rollout_stats(run, ro)
        run.kl_ctl.update(stats["kl"], int(stats["n_seq"]))
        metrics = _metrics(run, step, ro, stats, all_scores, adv, train_stats, (t0, t_rollout))
        _show(run, dash, metrics, batch, ro)
        # 6. checkpoint (the last update's after the loop)
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.total_updates:
            _checkpoint(run, step)
        if _time_is_up(run, dash, step):
            break
    # the end: checkpoint, evaluation, final weights, plot
    if step > start_step:
        _checkpoint(run, step)
    if dash is not None:
        dash.close()
    if run.main:
        _finish(run, step)
    run.acc.wait_for_everyone()
    return run.out


# ---------------------------------------------------------------------------------------------
# the steps of an update


def _update_seed(seed: int, step: int, rank: int) -> int:
    # a pure function of (seed, step, rank): a resumed run samples what the uninterrupted one would
    return (seed * 1_000_003 + step * 7919 + rank * 104_729) % (2**31 - 1)


@functools.lru_cache(maxsize=4)
def _epoch_order(n_prompts: int, seed: int, epoch: int) -> tuple[int, ...]:
    order = list(range(n_prompts))
    random.Random(seed * 31 + epoch).shuffle(order)
    return tuple(order)


def _batch_indices(n_prompts: int, seed: int, step: int, per_process: int, rank: int, n_proc: int) -> list[int]:
    """Prompts for this update: passes over seeded shuffles of all prompts (each used once per pass)."""
    global_batch = per_process * n_proc
    start = (step - 1) * global_batch + rank * per_process
    return [_epoch_order(n_prompts, seed, k // n_prompts)[k % n_prompts] for k in range(start, start + per_process)]


def _rollout(run: PPORun, batch: list[EncodedPrompt]) -> Rollout:
    run.generator.sync(run.model)  # the sampler sees the weights of the last update
    how = RolloutSettings(run.settings, run.cfg.reward_batch_size,
                          run.cfg.forward_batch_size or run.hp.minibatch_size, run.acc.device)
    return collect_rollout(run.model, run.generator, run.tokenizer, run.reward_fn, batch, how)


def _normalized_scores(run: PPORun, ro: Rollout) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw scores of every process (N,) and this process's normalised scores (B,)."""
    cfg = run.cfg
    all_scores = run.dist.gather(ro.scores)
    if cfg.score_norm == "running":
        run.score_moments.update(all_scores)
        scores = algo.normalize_scores(ro.scores, run.score_moments.mean, run.score_moments.std, cfg.score_clip)
    elif cfg.score_norm == "batch":
        scores = algo.normalize_scores(ro.scores, all_scores.mean().item(), all_scores.std().item(), cfg.score_clip)
    else:
        scores = ro.scores.clone()
    if cfg.missing_stop_penalty is not None:
        scores = scores - cfg.missing_stop_penalty * (~ro.ended).float()
    return all_scores, scores


@dataclass(frozen=True)
class _Advantages:
    """Shape: every field (B, R), like ``Rollout.logprobs``."""

    rewards: torch.Tensor  # per token: the KL penalty everywhere, the score on the last token
    kl_penalty: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


def _advantages(run: PPORun, ro: Rollout, scores: torch.Tensor) -> _Advantages:
    cfg = run.cfg
    rewards, kl_penalty = algo.kl_penalized_rewards(
        scores, ro.logprobs, ro.ref_logprobs, ro.mask, run.kl_ctl.value, cfg.kl_estimator
    )
    advantages, returns = algo.gae(ro.values, rewards, ro.mask, cfg.gamma, cfg.lam)
    if cfg.whiten_advantages:
        advantages = run.dist.masked_whiten(advantages, ro.mask)
    return _Advantages(rewards, kl_penalty, advantages, returns)


def _rollout_stats(run: PPORun, ro: Rollout) -> dict[str, float]:
    """The batch's KL, log-probs, entropy and lengths, summed over all processes, and the KL
    coefficient its penalty used."""
    mask = ro.mask
    seq_kl = (ro.logprobs - ro.ref_logprobs).mul(mask).sum(1)  # (B,) k1, summed over the reply
    sums = run.dist.sum(
        torch.stack(
            [seq_kl.sum(), ro.ref_logprobs.sum(), ro.logprobs.sum(), ro.entropy.sum(), mask.sum(),
             (~ro.ended).float().sum(), torch.tensor(float(run.per_process), device=run.acc.device)]
        ).double()
    ).tolist()
    kl_sum, ref_lp_sum, lp_sum, ent_sum, n_tokens, n_open, n_seq = sums
    return {"kl": kl_sum / n_seq, "kl_coef": run.kl_ctl.value, "n_seq": n_seq, "n_tokens": n_tokens,
            "ref_logprob": ref_lp_sum / n_tokens, "logprob": lp_sum / n_tokens, "entropy": ent_sum / n_tokens,
            "response_length": n_tokens / n_seq, "no_stop_frac": n_open / n_seq}


def _metrics(run: PPORun, step: int, ro: Rollout, kl: dict[str, float], all_scores: torch.Tensor, adv: _Advantages,
             train_stats: dict[str, float], times: tuple[float, float]) -> dict[str, float]:
    """The update's row of metrics.jsonl (``kl``: :func:`_rollout_stats`; ``times``: the update's
    start and its rollout's seconds)."""
    dist = run.dist
    shaped = dist.gather(adv.rewards.sum(1))
    completions = dist.gather_objects(ro.completions)
    metrics = {
        "step": step,
        "ppo/reward_mean": all_scores.mean().item(),
        "ppo/reward_std": all_scores.std().item() if all_scores.numel() > 1 else 0.0,
        "ppo/reward_shaped_mean": shaped.mean().item(),
        "ppo/reward_shaped_std": shaped.std().item() if shaped.numel() > 1 else 0.0,
        "ppo/kl": kl["kl"],
        "ppo/kl_coef": kl["kl_coef"],
        "ppo/kl_penalty": kl["kl_coef"] * dist.sum(adv.kl_penalty.sum()).item() / kl["n_seq"],
        **{f"ppo/{k}": kl[k] for k in ("ref_logprob", "logprob", "entropy", "response_length", "no_stop_frac")},
        "ppo/distinct2": algo.distinct_n([c.lower().split() for c in completions], 2),
        **{f"ppo/{k}": train_stats[k] for k in ("policy_loss", "value_loss", "clipfrac", "value_clipfrac", "approx_kl")},
        "ppo/explained_variance": algo.explained_variance(ro.values, adv.returns, ro.mask),
        "ppo/value_mean": algo.masked_mean(ro.values, ro.mask).item(),
        "ppo/grad_norm": train_stats["grad_norm"],
        "time/rollout_s": times[1],
        "time/update_s": time.monotonic() - times[0],
        "time/elapsed_s": time.monotonic() - run.t_start,
    }
    if run.cfg.ent_coef:
        metrics["ppo/entropy_train"] = train_stats["entropy"]
    return metrics


def _show(run: PPORun, dash: Dashboard | None, metrics: dict[str, float], batch: list[EncodedPrompt], ro: Rollout) -> None:
    if dash is None:
        return
    dash.log(metrics)
    step, cfg = int(metrics["step"]), run.cfg
    if cfg.sample_every and (step == 1 or step % cfg.sample_every == 0):
        k = min(cfg.num_samples, len(batch))
        dash.samples(step, [e.prompt for e in batch[:k]], ro.completions[:k], ro.scores[:k].tolist())


def _time_is_up(run: PPORun, dash: Dashboard | None, step: int) -> bool:
    """The time budget: all processes stop together, after the same update."""
    cfg = run.cfg
    if not run.dist.any(cfg.max_minutes is not None and time.monotonic() - run.t_start > 60.0 * cfg.max_minutes):
        return False
    if dash is not None:
        dash.note(f"max_minutes={cfg.max_minutes} reached after update {step}; stopping")
    return True


# ---------------------------------------------------------------------------------------------
# checkpoints, resume, the end


_RUN_ONLY_KEYS = {"output_dir", "total_updates", "max_minutes", "progress", "resume", "tensorboard", "plot", "num_threads"}


def _changed_keys(saved: dict, current: dict) -> list[str]:
    return sorted(k for k in current if k not in _RUN_ONLY_KEYS and k in saved and saved[k] != current[k])


def _checkpoint(run: PPORun, step: int) -> None:
    """Every process calls this; the policy and optimizer are whole on each, rank 0 writes them."""
    state = {
        "model": trainable_state(run.model),
        "optimizer": run.optimizer.state_dict(),
        "kl_ctl": run.kl_ctl.state_dict(),
        "score_moments": run.score_moments.state_dict(),
        "config": dataclasses.asdict(run.cfg),
    } if run.main else {}
    save_checkpoint(run.acc, run.out, step, state, {}, Retention(keep_last=run.cfg.keep_checkpoints))


def _resume(run: PPORun) -> tuple[int, Path | None]:
    """The step to continue after, and the checkpoint it came from (``resume=true`` and one exists)."""
    cfg = run.cfg
    ckpt = latest_checkpoint(run.out) if cfg.resume else None
    if not cfg.resume and run.main:
        clear_checkpoints(run.out)  # a fresh start: a later resume must not pick up old state
    start_step = 0
    if ckpt is not None:
        progress, state = load_checkpoint(run.acc, ckpt)
        changed = _changed_keys(state.get("config", {}), dataclasses.asdict(cfg))
        if changed and run.main:
            print(f"resuming {ckpt} with changed config keys: {', '.join(changed)}", file=sys.stderr)
        load_trainable_state(run.model, state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.kl_ctl.load_state_dict(state["kl_ctl"])
        run.score_moments.load_state_dict(state["score_moments"])
        start_step = int(progress["step"])
    run.acc.wait_for_everyone()
    return start_step, ckpt


def _dashboard(run: PPORun, start_step: int, ckpt: Path | None) -> Dashboard | None:
    """The main process's dashboard; the others have none."""
    if not run.main:
        return None
    cfg = run.cfg
    warn_kl = cfg.warn_kl if cfg.warn_kl is not None else (2.0 * cfg.kl_target if cfg.kl_target else 20.0)
    dash = Dashboard(run.out, start_step, cfg.total_updates, cfg.tensorboard, cfg.progress, warn_kl,
                     cfg.warn_length_change)
    if ckpt is not None:
        dash.note(f"resumed from {ckpt} (update {start_step} of {cfg.total_updates})")
    return dash


def _finish(run: PPORun, step: int) -> None:
    """Main process: held-out evaluation (eval.json), the final weights, the plot."""
    from rlhf_rm.ppo.compare import evaluate_policy

    cfg, out = run.cfg, run.out
    release_freed_memory()  # the last update's activations are gone: evaluate on a lean heap
    torch.manual_seed(cfg.seed + 12345)
    held_out, dropped = fit_prompts(run.eval_prompts, run.tokenizer, cfg.max_prompt_tokens)
    report = evaluate_policy(
        run.model, run.generator, run.tokenizer, run.reward_fn, held_out or run.encoded, cfg.eval_samples_per_prompt,
        run.settings, cfg.reward_batch_size, run.acc.device,
    )
    report["prompts"] = "held-out" if held_out else "train (no held-out prompts were configured)"
    report["updates"] = step
    report["prompts_too_long"] = dropped  # held-out prompts whose last user turn alone exceeds max_prompt_tokens
    (out / "eval.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    _save_final(run.model, run.tokenizer, out, cfg.save_merged)
    if cfg.plot:
        try:
            from rlhf_rm.ppo.plot import plot_metrics

            plot_metrics(out / "metrics.jsonl", out / "ppo.png")
        except ImportError:
            print("matplotlib is not installed: no ppo.png")


def _save_final(model: ActorCritic, tokenizer, out: Path, merged: bool) -> None:
    """The policy as a LoRA adapter (``adapter/``) or full weights (``policy/``); ``merged/`` on request."""
    from safetensors.torch import save_file

    target = out / ("adapter" if model.lora else "policy")
    if model.lora:
        model.lm.save_pretrained(str(target), selected_adapters=[POLICY_ADAPTER])
    else:
        model.lm.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    save_file({k: v.detach().cpu().contiguous() for k, v in model.value_head.state_dict().items()}, str(out / "value_head.safetensors"))
    if merged and model.lora:
        lm = model.lm.merge_and_unload(adapter_names=[POLICY_ADAPTER])
        lm.save_pretrained(str(out / "merged"))
        tokenizer.save_pretrained(str(out / "merged"))
