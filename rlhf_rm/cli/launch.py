"""Refuse an ``accelerate launch`` GPU config on a machine without the GPUs it asks for.

Without this check each launched process would fall back to the CPU and train the same model
on its own, which looks like a run but is N copies of one.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Mapping


def local_devices() -> tuple[int, bool]:
    """(CUDA GPUs torch sees, whether another accelerator accelerate launches on is present)."""
    import torch
    from accelerate import utils

    others = ("is_xpu_available", "is_npu_available", "is_mlu_available", "is_musa_available", "is_hpu_available",
              "is_sdaa_available", "is_neuron_available")
    return torch.cuda.device_count(), any(getattr(utils, name, lambda: False)() for name in others)


def gpu_launch_problem(env: Mapping[str, str], devices: Callable[[], tuple[int, bool]] | None = None) -> str | None:
    """Why this process, started by an ``accelerate launch`` GPU config, cannot run here; None if it can.

    accelerate's GPU launchers (multi_gpu, FSDP, DeepSpeed) start torchrun-style processes
    (WORLD_SIZE, LOCAL_WORLD_SIZE) and always set ACCELERATE_MIXED_PRECISION; ``--cpu`` sets
    ACCELERATE_USE_CPU=true, and plain ``torchrun`` sets no ACCELERATE_* variable (CPU processes are fine).
    """
    world = int(env.get("WORLD_SIZE") or 1)
    use_cpu = env.get("ACCELERATE_USE_CPU", "").strip().lower() in {"1", "true", "yes", "on"}
    if world <= 1 or "ACCELERATE_MIXED_PRECISION" not in env or use_cpu:
        return None
    local = int(env.get("LOCAL_WORLD_SIZE") or world)
    cuda_gpus, other_accelerator = (devices or local_devices)()
    if cuda_gpus >= local or other_accelerator:
        return None
    if cuda_gpus == 0:
        return (f"this accelerate config launches {local} GPU processes but this machine has no CUDA GPU; "
                "run without accelerate launch, or use torchrun --nproc_per_node 2 for CPU processes")
    return (f"this accelerate config launches {local} GPU processes but this machine has {cuda_gpus} CUDA GPU(s); "
            f"pass --num_processes {cuda_gpus} to accelerate launch")


def refuse_unrunnable_launch() -> int | None:
    """Exit status 2 on every process (the sentence printed once, by rank 0) when the launch cannot run."""
    problem = gpu_launch_problem(os.environ)
    if problem is None:
        return None
    if os.environ.get("RANK", "0") == "0":
        print(f"error: {problem}", file=sys.stderr)
    return 2
