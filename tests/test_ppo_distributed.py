"""Two PPO processes on CPU (torchrun + gloo): one metrics file, identical weights on every rank."""

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys, torch
from accelerate import Accelerator
import rlhf_rm.ppo.loop as loop
import rlhf_rm.ppo.run as run
from rlhf_rm.ppo.settings import PPOConfig, PolicyLora

built = []
build = run.build_actor_critic
run.build_actor_critic = lambda *a, **k: built.append(build(*a, **k)) or built[-1]
acc = Accelerator(cpu=True)
cfg = PPOConfig(model=sys.argv[1], reward="rlhf_rm.ppo.reward_source:word_count", reward_kwargs={"word": "happy"},
                prompts=["the cat", "a dog went", "he was", "she saw"], eval_prompts=["a girl"],
                max_new_tokens=6, stop_token_ids=[2], rollout_batch_size=8, num_minibatches=2, ppo_epochs=1,
                total_updates=3, lora=PolicyLora(enabled=True, r=4, alpha=8), output_dir=sys.argv[2],
                tensorboard=False, plot=False, progress=False, checkpoint_every=0, eval_samples_per_prompt=1,
                num_threads=1)
loop.run_ppo(cfg, accelerator=acc)
model = built[0]
checksum = torch.tensor([sum(p.double().sum().item() for p in model.parameters() if p.requires_grad)], dtype=torch.float64)
sums = acc.gather(checksum).tolist()
if acc.is_main_process:
    json.dump({"world": acc.num_processes, "checksums": sums}, open(sys.argv[3], "w"))
acc.wait_for_everyone()
acc.end_training()  # leave the gloo group before exit: a rank exiting with it open can abort
"""


@pytest.mark.slow
def test_two_processes_stay_in_sync(tiny_lm, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    result = tmp_path / "result.json"
    # torchrun is torch's own launcher (torch is a hard dependency): run it as a module of this Python
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(script),
           tiny_lm, str(tmp_path / "out"), str(result)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(result.read_text())
    assert got["world"] == 2
    assert got["checksums"][0] == pytest.approx(got["checksums"][1], abs=1e-9)
    rows = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]  # one writer: exactly one row per update
