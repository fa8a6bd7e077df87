"""rlhf_rm: LoRA reward models for dialogue RLHF.

data -> reward model (contract) -> losses / training -> reward function -> PPO / rerank -> eval

Importing the package is cheap; heavy modules load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
