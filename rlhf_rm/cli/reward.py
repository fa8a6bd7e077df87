"""``rlhf-rm score | rerank | serve``: the reward function at the command line."""

from __future__ import annotations

import argparse
import os
import time

from rlhf_rm.cli.scale import add_ray_args, rerank_on_ray, score_on_ray, serve_on_ray
from rlhf_rm.cli.common import add_combine_args, print_skipped, write_jsonl


def _add_reward_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", action="append", required=True,
                   help="reward-model folder (rlhf_rm or exported) or hub id; repeat for an ensemble")
    p.add_argument("--batch-size", type=int, default=32, help="replies per reward-model forward")
    p.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    p.add_argument("--dtype", default=None, choices=["float32", "bfloat16", "float16"])
    p.add_argument("--normalize", action="store_true", help="(score - norm_mean) / norm_std from the contract")
    p.add_argument("--clip", type=_clip, default=None, help="C for [-C, C], or LOW,HIGH (write --clip=-1,2)")
    p.add_argument("--length-penalty", type=float, default=0.0, help="subtracted per reply token")
    p.add_argument("--truncation-penalty", type=float, default=0.0, help="subtracted when a reply is cut off")
    add_combine_args(p)


def _clip(text: str) -> tuple[float, float]:
    parts = [float(x) for x in text.split(",")]
    if len(parts) == 1:
        return (-abs(parts[0]), abs(parts[0]))
    if len(parts) == 2 and parts[0] <= parts[1]:
        return (parts[0], parts[1])
    raise argparse.ArgumentTypeError(f"expected C or LOW,HIGH with LOW <= HIGH, got {text!r}")


def _reward_kwargs(args: argparse.Namespace) -> dict:
    """``RewardFunction.from_pretrained``'s arguments (Ray's workers load the model from them)."""
    return dict(
        path_or_paths=args.model, device=args.device, dtype=args.dtype, batch_size=args.batch_size,
        normalize=args.normalize, clip=args.clip, length_penalty=args.length_penalty,
        truncation_penalty=args.truncation_penalty, ensemble=args.ensemble, ensemble_k=args.ensemble_k,
    )


def _reward_fn(args: argparse.Namespace):
    from rlhf_rm.reward import RewardFunction

    return RewardFunction.from_pretrained(**_reward_kwargs(args))


# ---- score ----------------------------------------------------------------------------------

def cmd_score(args: argparse.Namespace) -> int:
    from rlhf_rm.data.prompts import read_scoring_rows
    from rlhf_rm.reward import add_rewards

    if args.ray:
        return score_on_ray(args, _reward_kwargs(args))

    rows, bad_rows = read_scoring_rows(args.input, args.on_bad_row)
    print_skipped(bad_rows)
    rf = _reward_fn(args)
    start = time.perf_counter()
    rewards = add_rewards(rf, rows)
    seconds = time.perf_counter() - start
    write_jsonl(args.output, rows)
    mean = sum(rewards) / max(len(rows), 1)
    print(f"scored {len(rows)} replies from {args.input}; wrote {args.output}")
    print(f"rm/mean_reward={mean:.4f} replies_per_second={len(rows) / max(seconds, 1e-9):.1f} seconds={seconds:.1f}")
    return 0


# ---- rerank ---------------------------------------------------------------------------------

def cmd_rerank(args: argparse.Namespace) -> int:
    import torch

    from rlhf_rm.model import default_device
    from rlhf_rm.data.prompts import read_prompts
    from rlhf_rm.policy import Sampling, load_policy
    from rlhf_rm.rerank import best_of_n, read_candidates, sft_records

    if args.candidates is None and (args.policy is None or args.prompts is None):
        raise ValueError("rerank needs --candidates FILE, or --policy LM with --prompts FILE")
    if args.candidates is not None and (args.policy is not None or args.prompts is not None):
        raise ValueError("pass either --candidates, or --policy with --prompts, not both")
    if args.top_k is not None and args.sft_output is None:
        raise ValueError("--top-k selects replies for --sft-output FILE; pass that too")
    if args.ray:
        return rerank_on_ray(args, _reward_kwargs(args))
    rf = _reward_fn(args)
    start = time.perf_counter()
    if args.candidates is not None:
        prompts, candidates = read_candidates(args.candidates)
        results = best_of_n(rf, prompts, candidates=candidates)
    else:
        prompts = read_prompts(args.prompts)
        device = args.device or default_device()
        torch.manual_seed(args.seed)
        dtype = getattr(torch, args.dtype) if args.dtype else None
        policy, tokenizer = load_policy(args.policy, dtype=dtype, device=device, what="--policy")
        sampling = Sampling(args.temperature, args.top_p, args.sampling_top_k, args.max_new_tokens,
                            tuple(args.stop_token_id or ()), args.prompts_per_batch)
        results = best_of_n(rf, prompts, policy=policy, tokenizer=tokenizer, n=args.n, sampling=sampling)
    seconds = time.perf_counter() - start
    write_jsonl(args.output, [r.to_json() for r in results])
    n_candidates = sum(len(r.candidates) for r in results)
    best = sum(r.best_score for r in results) / max(len(results), 1)
    mean = sum(c.score for r in results for c in r.candidates) / max(n_candidates, 1)
    print(f"reranked {n_candidates} candidates for {len(results)} prompts; wrote {args.output}")
    print(f"rerank/best_score={best:.4f} rerank/mean_score={mean:.4f} seconds={seconds:.1f}")
    if args.sft_output is not None:
        records = sft_records(results, args.top_k or 1)
        write_jsonl(args.sft_output, records)
        print(f"wrote {len(records)} SFT conversations (top {args.top_k or 1} per prompt) to {args.sft_output}")
    return 0


# ---- serve ----------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from rlhf_rm.serve import ServeSettings, serve

    token = args.token or os.environ.get("RLHF_RM_TOKEN") or None
    settings = ServeSettings(args.host, args.port, token, args.max_body_bytes, args.max_batch, args.max_wait_ms,
                             args.raw_queries)
    if args.host not in ("127.0.0.1", "localhost", "::1") and token is None:
        print(f"warning: serving on {args.host} without a token; anyone who reaches it can use it")
    if args.ray:
        return serve_on_ray(args, _reward_kwargs(args), settings)
    rf = _reward_fn(args)
    print(f"serving {rf.__name__} on http://{args.host}:{args.port} (POST /get_reward, POST /score, GET /health)")
    serve(rf, settings, log_level=args.log_level)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score (prompt, response) rows of a file with a reward model")
    _add_reward_args(p)
    p.add_argument("--input", required=True, help="JSONL/JSON/CSV/Parquet: prompt + response rows, or preference data")
    p.add_argument("--output", required=True, help="JSONL: each row with its reward (--ray: a folder of shards)")
    p.add_argument("--on-bad-row", default="error", choices=["error", "skip"],
                   help="preference data: stop at bad rows (listed), or skip and list them")
    p.add_argument("--output-format", default="jsonl", choices=["jsonl", "parquet"], help="--ray: the shards' format")
    add_ray_args(p, "actor")
    p.set_defaults(run=cmd_score)

    p = sub.add_parser("rerank", help="best-of-n: sample n replies per prompt (or read candidates), keep the best")
    _add_reward_args(p)
    p.add_argument("--policy", help="causal LM folder or hub id to sample candidates from")
    p.add_argument("--prompts", help="prompts: .txt (one a line), rows with 'prompt', or preference data")
    p.add_argument("--candidates", help="JSONL of {'prompt': ..., 'candidates': [...]} to rerank instead")
    p.add_argument("--n", type=int, default=8, help="candidates sampled per prompt")
    p.add_argument("--output", required=True, help="JSONL: every candidate with its score, and the choice")
    p.add_argument("--top-k", type=int, default=None, help="best replies per prompt written to --sft-output")
    p.add_argument("--sft-output", default=None, help="JSONL SFT set in TRL's conversational format")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--sampling-top-k", type=int, default=0, help="top-k sampling (0: off)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--stop-token-id", type=int, action="append", help="extra stop token id (repeatable)")
    p.add_argument("--prompts-per-batch", type=int, default=8, help="prompts per generate call")
    p.add_argument("--seed", type=int, default=0)
    add_ray_args(p, "actor")
    p.set_defaults(run=cmd_rerank)

    p = sub.add_parser("serve", help="HTTP reward server (OpenRLHF /get_reward, /score, /health)")
    _add_reward_args(p)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' (or set RLHF_RM_TOKEN)")
    p.add_argument("--max-body-bytes", type=int, default=16 * 1024 * 1024, help="larger requests get 413")
    p.add_argument("--max-batch", type=int, default=64, help="replies per batch gathered from concurrent requests")
    p.add_argument("--max-wait-ms", type=float, default=2.0, help="under concurrency, wait this long to fill a batch")
    p.add_argument("--raw-queries", action="store_true",
                   help="/get_reward: score the texts as sent instead of parsing the policy's chat markup "
                        "(ChatML, Llama-3, Gemma, [INST], Phi-3, Human:/Assistant:) into messages")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_ray_args(p, "replica")
    p.set_defaults(run=cmd_serve)
