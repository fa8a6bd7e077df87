"""``python -m rlhf_rm.ppo --config FILE [key=value ...]``: run a PPO recipe."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rlhf_rm.ppo", description="PPO against a reward callable")
    parser.add_argument("--config", help="a PPO recipe (YAML), e.g. recipes/ppo_stories.yaml")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. output_dir=runs/x lora.r=16")
    args = parser.parse_args(argv)
    from rlhf_rm.ppo.loop import run_ppo_from_config

    out = run_ppo_from_config(args.config, args.overrides)
    print(f"done: {out}")


if __name__ == "__main__":
    main()
