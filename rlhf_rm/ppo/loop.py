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
import shutil
import sys
import time
from pathlib import Path

import torch

from rlhf_rm.ppo import algo
from rlhf_rm.ppo.checkpoint import CHECKPOINTS, latest_checkpoint, load_checkpoint, load_trainable_state, save_checkpoint, trainable_state
from rlhf_rm.ppo.config import PPOConfig, load_ppo_config, validate
from rlhf_rm.ppo.dashboard import Dashboard
from rlhf_rm.ppo.distributed import Dist, has_accelerator
from rlhf_rm.ppo.memory import release_freed_memory
from rlhf_rm.ppo.models import POLICY_ADAPTER, ActorCritic, build_actor_critic
from rlhf_rm.ppo.prompts import EncodedPrompt, configured_prompts, encode_prompt, split_prompts
from rlhf_rm.ppo.rewards import load_reward
from rlhf_rm.ppo.rollout import RewardFn, Rollout, SamplingSettings, collect_rollout, make_generator
from rlhf_rm.ppo.update import PPOSettings, ppo_update


def run_ppo_from_config(path: str | Path | None, overrides: list[str] | None = None) -> Path:
    """Load a PPO recipe (YAML + ``key=value`` overrides), train, and return the output folder."""
    return run_ppo(load_ppo_config(path, overrides))


# ---------------------------------------------------------------------------------------------
# helpers


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


_RUN_ONLY_KEYS = {"output_dir", "total_updates", "max_minutes", "progress", "resume", "tensorboard", "plot", "num_threads"}


def _changed_keys(saved: dict, current: dict) -> list[str]:
    return sorted(k for k in current if k not in _RUN_ONLY_KEYS and k in saved and saved[k] != current[k])


def _words(text: str) -> list[str]:
    return text.lower().split()


# ---------------------------------------------------------------------------------------------
# the loop


def run_ppo(cfg: PPOConfig, reward_fn: RewardFn | None = None, accelerator=None) -> Path:
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


def _run_ppo(cfg: PPOConfig, reward_fn: RewardFn | None, accelerator) -> Path:
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import AutoTokenizer

    from rlhf_rm.model import resolve_model_path

    validate(cfg)
    t_start = time.monotonic()
    # on a machine without accelerators, Accelerator() ignores torchrun's environment unless told
    # it is a CPU run (accelerate 1.x); with cpu=True it joins the gloo process group
    acc = accelerator or Accelerator(cpu=not has_accelerator())
    dist = Dist(acc)
    rank, n_proc, main = acc.process_index, acc.num_processes, acc.is_main_process
    device = acc.device
    out = Path(cfg.output_dir)
    if cfg.rollout_batch_size % (n_proc * cfg.num_minibatches):
        raise ValueError(
            f"config key 'rollout_batch_size': {cfg.rollout_batch_size} must split evenly over "
            f"{n_proc} processes x {cfg.num_minibatches} minibatches"
        )
    per_process = cfg.rollout_batch_size // n_proc
    minibatch = per_process // cfg.num_minibatches

    # --- models, reward, prompts --------------------------------------------------------------
    set_seed(cfg.seed)  # identical initial adapters and value head on every process
    tokenizer_key = "tokenizer" if cfg.tokenizer else "model"
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(cfg.tokenizer or cfg.model))
    except OSError as err:  # a missing folder fails at once (resolve_model_path), not after hub retries
        raise OSError(
            f"config key '{tokenizer_key}': cannot load a tokenizer from {cfg.tokenizer or cfg.model!r}: {err}"
        ) from err
    model = build_actor_critic(
        cfg.model,
        dtype=cfg.dtype,
        critic=cfg.critic,
        lora_enabled=cfg.lora.enabled,
        lora_r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        lora_target_modules=cfg.lora.target_modules,
        load_in_4bit=cfg.lora.load_in_4bit,
    ).to(device)
    reward_fn = reward_fn or load_reward(cfg.reward, cfg.reward_kwargs, cfg.reward_timeout_s, device=str(device))

    stop_ids = list(cfg.stop_token_ids) if cfg.stop_token_ids else [tokenizer.eos_token_id]
    if stop_ids == [None]:
        raise ValueError("config key 'stop_token_ids': the tokenizer has no EOS token; list the stop token ids")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop_ids[0]
    settings = SamplingSettings(cfg.max_new_tokens, cfg.temperature, stop_ids, pad_id)
    generator = make_generator(cfg.generation_backend, settings)

    all_prompts = configured_prompts(cfg.prompts, cfg.prompts_file, cfg.prompts_data)
    train_prompts, eval_prompts = split_prompts(all_prompts, cfg.eval_prompts, cfg.eval_fraction, cfg.seed)
    if main:  # written once models, reward and prompts loaded: a run that failed to start leaves nothing
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2), encoding="utf-8")
    encoded = [encode_prompt(p, tokenizer, cfg.max_prompt_tokens) for p in train_prompts]

    policy_params, critic_params = model.policy_parameters(), model.critic_parameters()
    params = policy_params + critic_params
    optimizer = torch.optim.AdamW(
        [
            {"params": policy_params, "lr": cfg.learning_rate},
            {"params": critic_params, "lr": cfg.value_learning_rate or cfg.learning_rate},
        ],
        eps=cfg.adam_eps,
        weight_decay=cfg.weight_decay,
    )
    if cfg.kl_target is not None:
        kl_ctl = algo.AdaptiveKLController(cfg.kl_coef, cfg.kl_target, cfg.kl_horizon)
    else:
        kl_ctl = algo.FixedKLController(cfg.kl_coef)
    score_moments = algo.RunningMoments()
    hp = PPOSettings(
        epochs=cfg.ppo_epochs,
        minibatch_size=minibatch,
        micro_batch_size=min(cfg.micro_batch_size or minibatch, minibatch),
        clip_range=cfg.clip_range,
        clip_range_value=cfg.clip_range_value,
        vf_coef=cfg.vf_coef,
        ent_coef=cfg.ent_coef,
        max_grad_norm=cfg.max_grad_norm,
        temperature=cfg.temperature,
    )

    # --- resume -------------------------------------------------------------------------------
    start_step = 0
    ckpt = latest_checkpoint(out) if cfg.resume else None
    if not cfg.resume and main and (out / CHECKPOINTS).exists():
        shutil.rmtree(out / CHECKPOINTS)  # a fresh start: a later resume must not pick up old state
    if ckpt is not None:
        state = load_checkpoint(ckpt)
        changed = _changed_keys(state.get("config", {}), dataclasses.asdict(cfg))
        if changed and main:
            print(f"resuming {ckpt} with changed config keys: {', '.join(changed)}", file=sys.stderr)
        load_trainable_state(model, state["model"])
        optimizer.load_state_dict(state["optimizer"])
        kl_ctl.load_state_dict(state["kl_ctl"])
        score_moments.load_state_dict(state["score_moments"])
        start_step = int(state["step"])
    acc.wait_for_everyone()

    warn_kl = cfg.warn_kl if cfg.warn_kl is not None else (2.0 * cfg.kl_target if cfg.kl_target else 20.0)
    dash = (
        Dashboard(out, start_step, cfg.total_updates, cfg.tensorboard, cfg.progress, warn_kl, cfg.warn_length_change)
        if main
        else None
    )
    if dash is not None and ckpt is not None:
        dash.note(f"resumed from {ckpt} (update {start_step} of {cfg.total_updates})")

    def checkpoint(step: int) -> None:
        if main:
            save_checkpoint(
                out,
                step,
                {
                    "step": step,
                    "model": trainable_state(model),
                    "optimizer": optimizer.state_dict(),
                    "kl_ctl": kl_ctl.state_dict(),
                    "score_moments": score_moments.state_dict(),
                    "config": dataclasses.asdict(cfg),
                },
                cfg.keep_checkpoints,
            )
        acc.wait_for_everyone()

    step = start_step
    for step in range(start_step + 1, cfg.total_updates + 1):
        t0 = time.monotonic()
        torch.manual_seed(_update_seed(cfg.seed, step, rank))
        batch: list[EncodedPrompt] = [
            encoded[i] for i in _batch_indices(len(encoded), cfg.seed, step, per_process, rank, n_proc)
        ]

        generator.sync(model)  # the sampler sees the weights of the last update

        # 1. rollout: sample replies from the policy and score them with the reward callable
        # 2. log-probs under the policy and the reference, values from the critic
        ro: Rollout = collect_rollout(
            model,
            generator,
            tokenizer,
            reward_fn,
            [e.prompt for e in batch],
            [e.ids for e in batch],
            [e.text for e in batch],
            settings,
            cfg.reward_batch_size,
            cfg.forward_batch_size or minibatch,
            device,
        )
        t_rollout = time.monotonic() - t0
        mask = ro.mask

        # 3. the score each reply earns: normalised (running or batch statistics), clipped, and
        #    penalised when the reply never reached a stop token
        all_scores = dist.gather(ro.scores)
        if cfg.score_norm == "running":
            score_moments.update(all_scores)
            scores = algo.normalize_scores(ro.scores, score_moments.mean, score_moments.std, cfg.score_clip)
        elif cfg.score_norm == "batch":
            scores = algo.normalize_scores(ro.scores, all_scores.mean().item(), all_scores.std().item(), cfg.score_clip)
        else:
            scores = ro.scores.clone()
        if cfg.missing_stop_penalty is not None:
            scores = scores - cfg.missing_stop_penalty * (~ro.ended).float()

        # 4. per-token rewards: KL penalty on every reply token, the score on the last one
        rewards, kl_penalty = algo.kl_penalized_rewards(
            scores, ro.logprobs, ro.ref_logprobs, mask, kl_ctl.value, cfg.kl_estimator
        )

        # 5. advantages with GAE (gamma, lambda), whitened over the whole batch
        advantages, returns = algo.gae(ro.values, rewards, mask, cfg.gamma, cfg.lam)
        if cfg.whiten_advantages:
            advantages = dist.masked_whiten(advantages, mask)

        # 6. PPO epochs over shuffled minibatches: clipped policy and value losses
        train_stats = ppo_update(model, optimizer, params, ro, advantages, returns, hp, dist)

        # 7. KL controller: move the coefficient toward the target with this update's KL
        seq_kl = (ro.logprobs - ro.ref_logprobs).mul(mask).sum(1)  # (B,) k1, summed over the reply
        sums = dist.sum(
            torch.stack(
                [
                    seq_kl.sum(),
                    ro.ref_logprobs.sum(),
                    ro.logprobs.sum(),
                    ro.entropy.sum(),
                    mask.sum(),
                    (~ro.ended).float().sum(),
                    torch.tensor(float(per_process), device=device),
                ]
            ).double()
        ).tolist()
        kl_sum, ref_lp_sum, lp_sum, ent_sum, n_tokens, n_open, n_seq = sums
        mean_kl = kl_sum / n_seq
        kl_coef_used = kl_ctl.value
        kl_ctl.update(mean_kl, int(n_seq))

        # 8. the dashboard
        shaped = dist.gather(rewards.sum(1))
        completions = dist.gather_objects(ro.completions)
        metrics = {
            "step": step,
            "ppo/reward_mean": all_scores.mean().item(),
            "ppo/reward_std": all_scores.std().item() if all_scores.numel() > 1 else 0.0,
            "ppo/reward_shaped_mean": shaped.mean().item(),
            "ppo/reward_shaped_std": shaped.std().item() if shaped.numel() > 1 else 0.0,
            "ppo/kl": mean_kl,
            "ppo/kl_coef": kl_coef_used,
            "ppo/kl_penalty": kl_coef_used * dist.sum(kl_penalty.sum()).item() / n_seq,
            "ppo/ref_logprob": ref_lp_sum / n_tokens,
            "ppo/logprob": lp_sum / n_tokens,
            "ppo/entropy": ent_sum / n_tokens,
            "ppo/response_length": n_tokens / n_seq,
            "ppo/no_stop_frac": n_open / n_seq,
            "ppo/distinct2": algo.distinct_n([_words(c) for c in completions], 2),
            "ppo/policy_loss": train_stats["policy_loss"],
            "ppo/value_loss": train_stats["value_loss"],
            "ppo/clipfrac": train_stats["clipfrac"],
            "ppo/value_clipfrac": train_stats["value_clipfrac"],
            "ppo/approx_kl": train_stats["approx_kl"],
            "ppo/explained_variance": algo.explained_variance(ro.values, returns, mask),
            "ppo/value_mean": algo.masked_mean(ro.values, mask).item(),
            "ppo/grad_norm": train_stats["grad_norm"],
            "time/rollout_s": t_rollout,
            "time/update_s": time.monotonic() - t0,
            "time/elapsed_s": time.monotonic() - t_start,
        }
        if cfg.ent_coef:
            metrics["ppo/entropy_train"] = train_stats["entropy"]
        if dash is not None:
            dash.log(metrics)
            if cfg.sample_every and (step == 1 or step % cfg.sample_every == 0):
                k = min(cfg.num_samples, len(batch))
                dash.samples(step, [e.prompt for e in batch[:k]], ro.completions[:k], ro.scores[:k].tolist())

        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.total_updates:
            checkpoint(step)
        # the time budget: all processes stop together, after the same update
        if dist.any(cfg.max_minutes is not None and time.monotonic() - t_start > 60.0 * cfg.max_minutes):
            if dash is not None:
                dash.note(f"max_minutes={cfg.max_minutes} reached after update {step}; stopping")
            break

    # --- the end: checkpoint, evaluation, final weights, plot ---------------------------------
    if step > start_step:
        checkpoint(step)
    if dash is not None:
        dash.close()
    if main:
        from rlhf_rm.ppo.evaluate import evaluate_policy

        release_freed_memory()  # the last update's activations are gone: evaluate on a lean heap
        torch.manual_seed(cfg.seed + 12345)
        held_out = [encode_prompt(p, tokenizer, cfg.max_prompt_tokens) for p in eval_prompts]
        report = evaluate_policy(
            model,
            generator,
            tokenizer,
            reward_fn,
            held_out or encoded,
            cfg.eval_samples_per_prompt,
            settings,
            cfg.reward_batch_size,
            device,
        )
        report["prompts"] = "held-out" if held_out else "train (no held-out prompts were configured)"
        report["updates"] = step
        (out / "eval.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        _save_final(model, tokenizer, out, cfg.save_merged)
        if cfg.plot:
            try:
                from rlhf_rm.ppo.plot import plot_metrics

                plot_metrics(out / "metrics.jsonl", out / "ppo.png")
            except ImportError:
                print("matplotlib is not installed: no ppo.png")
    acc.wait_for_everyone()
    return out


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
