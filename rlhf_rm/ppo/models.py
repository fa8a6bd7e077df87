"""The models PPO trains: policy, critic and reference, built around one Hugging Face causal LM.

- **Policy**: the causal LM with a LoRA adapter (or, for small models, every weight trainable).
- **Reference**: the same base weights with the adapter disabled (``peft``'s
  ``disable_adapter()``), so one copy of the base serves both. Without LoRA it is a frozen copy.
- **Critic**: a linear value head on a trunk's last hidden state, either
  ``shared`` -- on the policy's own trunk: one forward gives logits and values, the value loss
  also shapes the policy's LoRA weights (weighted by ``vf_coef``); or
  ``separate`` -- on its own LoRA adapter of the same base (peft multi-adapter; without LoRA a
  copy of the weights): policy and critic do not share gradients, at the price of a second
  forward pass per batch.
  Measured on the stories recipe (CPU, 60 updates, both runs side by side): the same learning
  per update (last 10% of updates: reward 0.079 shared vs 0.076 separate at KL 4.6 vs 4.5;
  held-out win rate 0.84 vs 0.86), but the separate critic's optimisation phase took 1.8x as
  long (median 10.3 s vs 5.8 s) and its values explained less of the returns (explained
  variance 0.14 vs 0.23).
  ``shared`` is the default.

Every module stays in eval mode: PPO needs deterministic log-probs, so dropout is off (Huang et
al.); gradients do not need train mode.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

CRITIC_ADAPTER = "critic"
POLICY_ADAPTER = "default"


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding, as ``generate`` computes them. Shape: (B, L) -> (B, L)"""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


@dataclass(frozen=True)
class Forward:
    logits: torch.Tensor  # (B, K, V): predictions for the last K tokens of the input
    values: torch.Tensor | None  # (B, K): critic values at the same positions


class ActorCritic(nn.Module):
    """Policy LM + value head (+ the reference, which costs no extra weights with LoRA).

    ``forward(ids, mask, n)`` returns logits and values at the ``n`` positions that predict the
    last ``n`` tokens of ``ids`` (the reply), i.e. positions ``L-n-1 .. L-2``.
    """

    def __init__(
        self,
        lm: nn.Module,
        critic: str,
        lora: bool,
        critic_lm: nn.Module | None = None,
        ref_lm: nn.Module | None = None,
    ):
        super().__init__()
        self.lm = lm
        self.critic = critic
        self.lora = lora
        self.critic_lm = critic_lm  # separate critic without LoRA: its own copy of the weights
        self.ref_lm = ref_lm  # without LoRA: a frozen copy of the starting weights
        hidden = lm.config.get_text_config().hidden_size if hasattr(lm.config, "get_text_config") else lm.config.hidden_size
        self.value_head = nn.Linear(hidden, 1)
        # zero init: the critic starts at V = 0, the mean of normalised scores, instead of at an
        # arbitrary projection of the (large, post-norm) hidden states
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)
        self.eval()

    # --- forward passes ---------------------------------------------------------------------

    def _run(self, lm: nn.Module, input_ids, attention_mask, n: int, want_logits: bool):
        L = input_ids.shape[1]
        out = lm(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids_from_mask(attention_mask),
            output_hidden_states=True,
            use_cache=False,
            # only the n positions that predict the reply go through the LM head (by index: no
            # (B, n+1, V) logits to slice, nor its zero-filled gradient); a critic-only pass needs one
            logits_to_keep=torch.arange(L - n - 1, L - 1, device=input_ids.device) if want_logits else 1,
        )
        return out.logits if want_logits else None, out.hidden_states[-1][:, -n - 1 : -1]

    def _values(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, n: int, with_values: bool = True
    ) -> Forward:
        logits, hidden = self._run(self.lm, input_ids, attention_mask, n, want_logits=True)
        if not with_values:
            return Forward(logits, None)
        if self.critic == "shared":
            return Forward(logits, self._values(hidden))
        return Forward(logits, self.critic_values(input_ids, attention_mask, n))

    def critic_values(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, n: int) -> torch.Tensor:
        """Values from the separate critic. Shape: (B, L) -> (B, n)"""
        if self.critic_lm is not None:
            _, hidden = self._run(self.critic_lm, input_ids, attention_mask, n, want_logits=False)
        else:
            with self._adapter(CRITIC_ADAPTER):
                _, hidden = self._run(self.lm, input_ids, attention_mask, n, want_logits=False)
        return self._values(hidden)

    @torch.no_grad()
    def reference_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, n: int) -> torch.Tensor:
        """Logits of the reference (the starting policy). Shape: (B, L) -> (B, n, V)"""
        with self.reference() as ref:
            logits, _ = self._run(ref, input_ids, attention_mask, n, want_logits=True)
        return logits

    # --- model switching ---------------------------------------------------------------------

    @contextlib.contextmanager
    def reference(self) -> Iterator[nn.Module]:
        """The starting policy: the base with the adapter(s) disabled, or the frozen copy."""
        if self.ref_lm is not None:
            yield self.ref_lm
        else:
            with self.lm.disable_adapter():
                yield self.lm

    @contextlib.contextmanager
    def _adapter(self, name: str) -> Iterator[None]:
        # peft's set_adapter also flips requires_grad so only the active adapter trains; both of
        # ours train (in separate forward passes), so their flags are put back right away
        trainable = [p for p in self.lm.parameters() if p.requires_grad]
        self.lm.set_adapter(name)
        for p in trainable:
            p.requires_grad_(True)
        try:
            yield
        finally:
            self.lm.set_adapter(POLICY_ADAPTER)
            for p in trainable:
                p.requires_grad_(True)

    def policy_parameters(self) -> list[nn.Parameter]:
        """Trainable weights of the policy (and of a shared trunk)."""
        return [p for n, p in self.lm.named_parameters() if p.requires_grad and f".{CRITIC_ADAPTER}." not in n]

    def critic_parameters(self) -> list[nn.Parameter]:
        """Trainable weights only the critic uses: the value head and a separate critic's trunk."""
        params = list(self.value_head.parameters())
        if self.critic_lm is not None:
            params += [p for p in self.critic_lm.parameters() if p.requires_grad]
        elif self.critic == "separate":
            params += [p for n, p in self.lm.named_parameters() if p.requires_grad and f".{CRITIC_ADAPTER}." in n]
        return params

    def train(self, mode: bool = True) -> "ActorCritic":
        # dropout stays off whatever the caller asks (see the module docstring)
        return super().train(False)


def _import_peft(need_bitsandbytes: bool) -> None:
    """Import peft; on a machine without CUDA, keep it from importing bitsandbytes.

    peft imports bitsandbytes whenever it is installed (about 190 MB of resident memory on CPU,
    more than this whole PPO run needs for a small model), although only QLoRA uses it, and
    QLoRA needs CUDA. ``sys.modules[name] = None`` makes the import machinery report the package
    as absent while peft checks (and caches its answer); the entry is removed right after, so
    bitsandbytes can still be imported explicitly later.
    """
    if "peft" in sys.modules or "bitsandbytes" in sys.modules or need_bitsandbytes or torch.cuda.is_available():
        import peft  # noqa: F401

        return
    sys.modules["bitsandbytes"] = None  # type: ignore[assignment]
    try:
        from peft import import_utils

        # peft asks (and caches the answer) when it first wraps a layer: ask now, while hidden
        import_utils.is_bnb_available()
        import_utils.is_bnb_4bit_available()
    finally:
        del sys.modules["bitsandbytes"]


def _dtype(name: str) -> torch.dtype:
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def build_actor_critic(
    model: str,
    dtype: str = "float32",
    critic: str = "shared",
    lora_enabled: bool = True,
    lora_r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.0,
    lora_target_modules: list[str] | str = "all-linear",
    load_in_4bit: bool = False,
    lm: nn.Module | None = None,
) -> ActorCritic:
    """Load the causal LM ``model`` (or take ``lm``) and wrap it as policy + critic + reference."""
    if lm is None:
        from transformers import AutoModelForCausalLM

        from rlhf_rm.model import resolve_model_path

        kwargs: dict = {"dtype": _dtype(dtype)}
        if load_in_4bit:
            if not lora_enabled:
                raise ValueError("config key 'lora.load_in_4bit': 4-bit weights can only be trained with LoRA")
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=_dtype(dtype)
            )
        try:
            lm = AutoModelForCausalLM.from_pretrained(resolve_model_path(model), **kwargs)
        except OSError as err:
            raise OSError(f"config key 'model': cannot load a causal LM from {model!r}: {err}") from err
    lm.eval()
    if not lora_enabled:
        ref_lm = copy.deepcopy(lm).requires_grad_(False).eval()
        critic_lm = copy.deepcopy(lm).eval() if critic == "separate" else None
        return ActorCritic(lm, critic, lora=False, critic_lm=critic_lm, ref_lm=ref_lm)

    _import_peft(need_bitsandbytes=load_in_4bit)
    from peft import LoraConfig, get_peft_model

    if load_in_4bit:
        from peft import prepare_model_for_kbit_training

        lm = prepare_model_for_kbit_training(lm, use_gradient_checkpointing=False)
    lora = LoraConfig(
        r=lora_r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=lora_target_modules,
        task_type="CAUSAL_LM",
    )
    lm = get_peft_model(lm, lora)
    if critic == "separate":
        lm.add_adapter(CRITIC_ADAPTER, copy.deepcopy(lora))
        lm.set_adapter(POLICY_ADAPTER)
        for name, p in lm.named_parameters():
            if f".{CRITIC_ADAPTER}." in name:
                p.requires_grad_(True)
    lm.eval()
    return ActorCritic(lm, critic, lora=True)
