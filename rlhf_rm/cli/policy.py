"""``rlhf-rm ppo | chat | quickstart``: steer a policy, talk to it, or run the whole pipeline."""

from __future__ import annotations

import argparse

from rlhf_rm.cli.common import add_config_arguments
from rlhf_rm.cli.launch import refuse_unrunnable_launch


def cmd_ppo(args: argparse.Namespace) -> int:
    from rlhf_rm.ppo.loop import run_ppo_from_config

    if (refused := refuse_unrunnable_launch()) is not None:
        return refused
    out = run_ppo_from_config(args.config, args.overrides)
    if out is not None:
        print(f"PPO run written to {out}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from rlhf_rm.cli.chat import chat

    chat(args.policy, args.reward, n=args.n, max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    return 0


def cmd_quickstart(args: argparse.Namespace) -> int:
    from rlhf_rm.cli.quickstart import run_quickstart

    run_quickstart(args.output_dir, policy=args.policy, n=args.n)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ppo", help="steer a causal LM with a reward function (PPO)")
    add_config_arguments(p, "YAML config (recipes/ppo_*.yaml)")
    p.set_defaults(run=cmd_ppo)

    p = sub.add_parser("chat", help="talk to a policy; optional best-of-n reranking by a reward model")
    p.add_argument("--policy", required=True, help="causal LM folder or hub id")
    p.add_argument("--reward", default=None, help="reward-model folder: rerank each reply")
    p.add_argument("--n", type=int, default=4, help="candidates per reply when --reward is given")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.8)
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("quickstart", help="the whole pipeline on the bundled data, offline on CPU")
    p.add_argument("--output-dir", default="quickstart_out", help="artifacts; finished steps are reused")
    p.add_argument("--policy", default="smollm2-135m-instruct",
                   help="the policy to steer: SmolLM2-135M-Instruct (offline, the default), 'tiny' (a 0.9M-parameter "
                        "LM pretrained here on the bundled dialogue text), or any causal LM folder or hub id")
    p.add_argument("--n", type=int, default=8, help="best-of-n candidates per prompt")
    p.set_defaults(run=cmd_quickstart)
