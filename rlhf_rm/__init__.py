"""rlhf_rm: LoRA reward models for dialogue RLHF.

data -> reward model (contract) -> losses / training -> reward function -> PPO / rerank -> eval

Importing the package is cheap; heavy modules load on first use.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"


def _drop_bnb_kernel_notice(record: logging.LogRecord) -> bool:
    # bitsandbytes logs this at import on CPUs with AVX512-BF16 when the optional `kernels` package
    # is absent. It concerns its CPU 4-bit inference kernel, which rlhf_rm never runs
    # (rlhf_rm.model.quant.disable_cpu_4bit_repack), so the notice only misleads. Other records still show.
    return not record.getMessage().startswith("Failed to load CPU gemm_4bit_forward from kernels-community")


# a filter on the very logger that emits it (bitsandbytes/backends/cpu/ops.py); adding it imports nothing
logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_drop_bnb_kernel_notice)

__all__ = ["RewardFunction", "RewardModel", "best_of_n", "__version__"]


def __getattr__(name: str):
    if name == "RewardModel":
        from rlhf_rm.model import RewardModel

        return RewardModel
    if name == "RewardFunction":
        from rlhf_rm.reward import RewardFunction

        return RewardFunction
    if name == "best_of_n":
        from rlhf_rm.rerank import best_of_n

        return best_of_n
    raise AttributeError(f"module 'rlhf_rm' has no attribute {name!r}")
