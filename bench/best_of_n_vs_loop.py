"""Best-of-n throughput: batched generation vs a loop of single-sample generate calls.

    python bench/best_of_n_vs_loop.py [--smoke]

32 prompts, n=8, the 260K-parameter TinyStories policy (../shared/models/stories260K), up to
48 new tokens, temperature 1.0, stopping at EOS or BOS (the model starts a new story with BOS).
Both sides produce the best of 8 per prompt with the same reward function, each scoring its 256
candidates in one call. The reward model is a random 2-layer BERT (hidden 64) with MiniLM's
tokenizer, saved with the rlhf_rm contract: sized like the policy, so the timing is about how
candidates are generated (a 22M-parameter MiniLM would be 85x the policy and dominate both sides).

- best_of_n: 4 generate calls (8 prompts x num_return_sequences=8), then the reward;
- the loop: for each prompt, 8 generate calls of one sample each (256 calls), then the reward.

Both are warmed up, then run interleaved 3 times; the medians are compared. The cache is off.
One intra-op thread: on a shared CPU, idle-spinning OpenMP threads slow a tiny model's small ops
by 10x or more and turn timings into noise (set BENCH_THREADS to change it). ``--smoke``: 2 prompts,
n=2, 8 new tokens, 1 round.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

import torch
from common import SHARED, bench_parser, pick_scale, save_tiny_bert

STORIES = SHARED / "models" / "stories260K"
OPENINGS = ["Once upon a time", "The little dog", "Lily and Ben", "One day, a small bird", "Tom had a red ball",
            "The sun was shining", "Mom said to Sue", "There was a big tree"]


@dataclass(frozen=True)
class Scale:
    n: int  # samples per prompt
    prompts: int  # at most 32: 8 openings x 4 endings
    max_new_tokens: int
    rounds: int


FULL = Scale(n=8, prompts=32, max_new_tokens=48, rounds=3)
SMOKE = Scale(n=2, prompts=2, max_new_tokens=8, rounds=1)


def main() -> int:
    scale = pick_scale(bench_parser(__doc__).parse_args(), FULL, SMOKE)
    if not STORIES.exists():
        print(f"needs {STORIES}", file=sys.stderr)
        return 1
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlhf_rm.model import ModelSettings, build_reward_model
    from rlhf_rm.policy import Sampling
    from rlhf_rm.rerank import best_of_n
    from rlhf_rm.reward import RewardFunction

    policy = AutoModelForCausalLM.from_pretrained(STORIES).eval()
    tok = AutoTokenizer.from_pretrained(STORIES)
    prompts = [f"{o}{s}" for s in ("", " in the morning", " at the park", " with a friend") for o in OPENINGS]
    prompts = prompts[:scale.prompts]
    sampling = Sampling(temperature=1.0, max_new_tokens=scale.max_new_tokens, stop_token_ids=(1,), prompts_per_batch=8)
    stop = [tok.eos_token_id, 1]

    with tempfile.TemporaryDirectory() as tmp:
        save_tiny_bert(f"{tmp}/base")
        build_reward_model(ModelSettings(name_or_path=f"{tmp}/base", max_length=256, max_response_tokens=128)).save(f"{tmp}/rm")
        rf = RewardFunction.from_pretrained(f"{tmp}/rm", device="cpu")

    def batched(ps=prompts):
        return [r.best_text for r in best_of_n(rf, ps, policy=policy, tokenizer=tok, n=scale.n, sampling=sampling)]

    @torch.inference_mode()
    def loop(ps=prompts):
        candidates = []
        for p in ps:
            enc = tok(p, return_tensors="pt")
            for _ in range(scale.n):
                out = policy.generate(**enc, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                                      max_new_tokens=scale.max_new_tokens, eos_token_id=stop, pad_token_id=tok.eos_token_id)
                new = out[0, enc["input_ids"].shape[1]:].tolist()
                end = next((j for j, t in enumerate(new) if t in stop), len(new))
                candidates.append(tok.decode(new[:end], skip_special_tokens=True))
        scores = rf([p for p in ps for _ in range(scale.n)], candidates)
        return [max(range(scale.n), key=lambda j: scores[i * scale.n + j]) for i in range(len(ps))]

    batched(prompts[:2])  # warm up both sides
    loop(prompts[:2])
    times: dict[str, list[float]] = {"best_of_n": [], "loop": []}
    for r in range(scale.rounds):
        for name, fn in (("best_of_n", batched), ("loop", loop)):
            torch.manual_seed(r)
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
            print(f"  {name}: {times[name][-1]:.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"prompts={len(prompts)} n={scale.n} max_new_tokens={scale.max_new_tokens} threads={torch.get_num_threads()} rounds={scale.rounds}")
    print(f"best_of_n_seconds={med['best_of_n']:.3f}")
    print(f"loop_seconds={med['loop']:.3f}")
    print(f"ratio_vs_loop={med['loop'] / med['best_of_n']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
