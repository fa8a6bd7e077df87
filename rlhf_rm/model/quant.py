"""bitsandbytes 4-bit / 8-bit (QLoRA) helpers for reward models, CPU included.

Everything heavy (torch, transformers, peft, bitsandbytes) is imported inside the functions, so
``import rlhf_rm.model.quant`` stays cheap and works without bitsandbytes installed.

How the model-building code uses this module::

    qc = bnb_config("4bit", ["score"])                     # decoders; encoders: ["classifier", "pooler"]
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=1, quantization_config=qc, dtype=torch.float32)   # CPU: no device_map needed
    model = prepare_for_kbit_training(model, gradient_checkpointing=False)
    model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", modules_to_save=["score"], ...))
    ...
    with kbit_safe_inference(model):                       # eval in the middle of training
        scores = model(**batch).logits

Loading a saved adapter for scoring: ``from_pretrained(base, quantization_config=bnb_config(...))``,
then ``disable_cpu_4bit_repack(base)`` (or ``prepare_for_kbit_training``) before the first forward,
then ``PeftModel.from_pretrained(base, folder)``.

Quantization only happens inside ``from_pretrained`` (``from_config`` has no
``quantization_config``), so a model built from a config must be saved and reloaded:
:func:`load_quantized` does that.

The bitsandbytes (0.50) CPU trap this module exists for
-----------------------------------------------------
``bitsandbytes/nn/modules.py: Linear4bit.forward`` repacks its weight, *in place and for good*, the
first time it runs on CPU with ``self.support_avx512bf16_for_cpu`` (the CPU has AVX512-BF16),
``not self.training`` and an input without ``requires_grad`` — i.e. any ``model.eval()`` +
``torch.no_grad()`` forward. It calls ``bitsandbytes/functional.py: _convert_weight_packed_for_cpu``
which rewrites ``weight.data`` into a blocked [N, K/2] layout, casts ``quant_state.absmax`` to
bfloat16 (transposed, double-quant statistics expanded) and sets
``quant_state.packing_format_for_cpu = True``. From then on ``autograd/_functions.py: matmul_4bit``
routes *every* CPU call, training ones included, to ``F.gemv_4bit`` (bf16 inference kernel,
``bitsandbytes::gemv_4bit``), which has no autograd formula:

* layers with a bias fail at ``result += bias`` with "a view of a leaf Variable that requires grad
  is being used in an in-place operation" (BERT-style encoders);
* layers without a bias (Llama) train on *silently wrong* gradients: torch only warns that
  "an autograd kernel was not registered", and no gradient flows through the base matmuls;
* outputs are computed in bf16, so scores shift after the first eval;
* the repack is not reversible: ``_convert_weight_packed_for_cpu_inverse`` (also run by
  ``Linear4bit._save_to_state_dict``) restores the 4-bit codes but leaves ``absmax`` rounded to
  bf16 and, without double quant, in the transposed layout, so the dequantized base weights change.

The fix is to never let the repack happen: the flag is a plain per-module attribute set in
``Linear4bit.__init__``, and :func:`disable_cpu_4bit_repack` sets it to ``False``. 8-bit layers
(``Linear8bitLt``) have no such repack; on CPU they train through ``MatMul8bitFp`` (dequantize +
float matmul) and evaluate through ``MatMul8bitLt`` without changing their int8 weights.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import warnings
from typing import TYPE_CHECKING, Any, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from transformers import BitsAndBytesConfig, PreTrainedModel


class QuantizationError(RuntimeError):
    """A quantized model is in a state it cannot be trained or scored from."""


def bnb_available() -> bool:
    """True when bitsandbytes imports (it needs no GPU: 0.45+ ships a CPU backend)."""
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # ImportError, or a broken native library (OSError / RuntimeError)
        return False
    return True


def parse_bits(bits: int | str) -> int:
    """``4``, ``"4"``, ``"4bit"``, ``"nf4"`` -> 4; ``8``, ``"8bit"``, ``"int8"`` -> 8; else ValueError."""
    text = str(bits).strip().lower().replace("-", "").replace("_", "")
    table = {"4": 4, "4bit": 4, "nf4": 4, "8": 8, "8bit": 8, "int8": 8}
    if text not in table:
        raise ValueError(f"quantization must be 4bit or 8bit (or none), got {bits!r}")
    return table[text]


def skip_patterns(skip_modules: Sequence[str]) -> list[str]:
    """Module names -> ``llm_int8_skip_modules`` patterns that match them at any depth.

    transformers 5 (``quantizers_utils.should_convert_module``) matches a skip entry only from
    the start of the module path or as its suffix, so ``"pooler"`` skips neither
    ``bert.pooler.dense`` nor anything inside it: the pooler would be quantized, and a quantized
    module cannot be trained through ``modules_to_save``. The pattern ``(?:.*\\.)?pooler``
    matches ``pooler`` as a whole path component anywhere (``classifier``, ``score`` likewise).
    """
    out: list[str] = []
    for name in skip_modules:
        pattern = rf"(?:.*\.)?{re.escape(name)}"
        if pattern not in out:
            out.append(pattern)
    return out


def bnb_config(
    bits: int | str,
    skip_modules: Sequence[str],
    *,
    compute_dtype: str | torch.dtype = "float32",
    quant_type: str = "nf4",
    double_quant: bool = False,
) -> BitsAndBytesConfig:
    """The ``quantization_config`` for ``from_pretrained``: 4-bit (nf4) or 8-bit (LLM.int8).

    ``skip_modules``: the reward head and anything else that must stay in float
    (``["score"]`` for decoders, ``["classifier", "pooler"]`` for BERT-style encoders). Why: a
    head that is not in the checkpoint is freshly initialized in float and bitsandbytes then fails
    to quantize it (4-bit: an ``AssertionError``; 8-bit: ``'Parameter' object has no attribute
    'CB'``); and a quantized head could not be trained as a ``modules_to_save`` copy anyway.
    Passing a skip list also turns off transformers' default skip of the last module.

    ``compute_dtype`` float32 is the right choice on CPU (fp16 compute is slow or unsupported
    there, bf16 loses precision in the reward). ``double_quant`` (nested absmax, ~0.4 bit per
    weight saved) is off by default: small at reward-model sizes, and it adds a second lossy step.
    """
    import torch
    from transformers import BitsAndBytesConfig

    dtype = getattr(torch, compute_dtype) if isinstance(compute_dtype, str) else compute_dtype
    patterns = skip_patterns(skip_modules)
    if parse_bits(bits) == 4:
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=quant_type,
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=double_quant,
            llm_int8_skip_modules=patterns,
        )
    return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=patterns)


def load_quantized(
    model_or_path: PreTrainedModel | str,
    bits: int | str,
    skip_modules: Sequence[str],
    *,
    model_class: Any = None,
    **from_pretrained_kwargs: Any,
) -> PreTrainedModel:
    """A bitsandbytes-quantized copy of a model folder/hub id, or of an in-memory model.

    transformers quantizes only while loading weights (``from_config`` rejects
    ``quantization_config``), so an in-memory model (e.g. a tiny one built from a config) is
    saved to a temporary folder and reloaded with ``model_class.from_pretrained`` (default: its
    own class; for a path: ``AutoModelForSequenceClassification``). Extra kwargs go to
    ``from_pretrained`` (``num_labels=1``, ``pad_token_id``...); ``dtype`` defaults to float32.
    No ``device_map`` is needed on CPU. The repack guard (:func:`disable_cpu_4bit_repack`) is
    already applied to the result.
    """
    import torch

    kwargs = dict(from_pretrained_kwargs)
    kwargs.setdefault("dtype", torch.float32)
    kwargs["quantization_config"] = bnb_config(bits, skip_modules)
    if isinstance(model_or_path, str):
        if model_class is None:
            from transformers import AutoModelForSequenceClassification as model_class
        model = model_class.from_pretrained(model_or_path, **kwargs)
    else:
        cls = model_class or type(model_or_path)
        # ignore_cleanup_errors: on Windows a still memory-mapped safetensors file cannot be
        # deleted; on POSIX unlinking a mapped file is harmless.
        with tempfile.TemporaryDirectory(prefix="rlhf_rm_quant_", ignore_cleanup_errors=True) as folder:
            model_or_path.save_pretrained(folder, safe_serialization=True)
            model = cls.from_pretrained(folder, **kwargs)
    disable_cpu_4bit_repack(model)
    return model


def kbit_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """``(name, module)`` of every bitsandbytes ``Linear4bit`` / ``Linear8bitLt`` in ``model``."""
    if not bnb_available():
        return []
    import bitsandbytes as bnb

    kinds = (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)
    return [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]


def _linear4bit_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    import bitsandbytes as bnb

    return [(n, m) for n, m in kbit_modules(model) if isinstance(m, bnb.nn.Linear4bit)]


def disable_cpu_4bit_repack(model: torch.nn.Module) -> int:
    """Stop ``Linear4bit`` from repacking its weight for CPU inference; returns the layer count.

    Why: ``bitsandbytes.nn.Linear4bit.forward`` (0.48+) converts its weight in place with
    ``functional._convert_weight_packed_for_cpu`` on the first CPU forward in eval mode whose input
    does not require grad, when ``self.support_avx512bf16_for_cpu`` is true. After that every
    forward (training too) goes through the autograd-less bf16 kernel ``gemv_4bit``: backward
    raises "a view of a leaf Variable that requires grad is being used in an in-place operation"
    (layers with bias) or silently drops the gradient (layers without), and the change cannot be
    undone exactly. Setting the per-module flag to ``False`` keeps the trainable
    dequantize-and-matmul path for every forward, so scores are the same in train and eval and
    the quantized weights never change. Idempotent; a no-op without bitsandbytes or 4-bit layers,
    and on CPUs without AVX512-BF16 (where the flag is already false). Call it on every model
    loaded with a 4-bit ``quantization_config`` before its first forward — for scoring too.
    """
    layers = _linear4bit_modules(model) if bnb_available() else []
    for _, module in layers:
        module.support_avx512bf16_for_cpu = False
    return len(layers)


def cpu_repacked_modules(model: torch.nn.Module) -> list[str]:
    """Names of ``Linear4bit`` layers whose weight bitsandbytes has already repacked for CPU."""
    if not bnb_available():
        return []
    return [
        name
        for name, module in _linear4bit_modules(model)
        if getattr(getattr(module.weight, "quant_state", None), "packing_format_for_cpu", False)
    ]


def undo_cpu_4bit_repack(model: torch.nn.Module) -> list[str]:
    """Best-effort undo of bitsandbytes' CPU repack; returns the names of the layers restored.

    Why: a model that ran an eval forward before :func:`disable_cpu_4bit_repack` was applied has
    layers in the inference-only layout (see the module docstring) that cannot be trained. The
    4-bit codes are restored exactly with bnb's own ``_convert_weight_packed_for_cpu_inverse``;
    ``absmax`` was rounded to bf16 by the repack and cannot be recovered (weights differ by up to
    ~0.4% of a block's scale), and for non-nested states bnb leaves it transposed, which is
    fixed here. Warns when it had to do anything: reloading the base is the exact remedy.
    """
    import torch

    names = cpu_repacked_modules(model)
    if not names:
        return []
    try:
        from bitsandbytes.functional import _convert_weight_packed_for_cpu_inverse
    except ImportError as err:  # a bitsandbytes without the CPU repack machinery
        raise QuantizationError(
            f"{len(names)} 4-bit layers were repacked for CPU inference ({names[0]}, ...) and this "
            "bitsandbytes cannot undo it: reload the model and call disable_cpu_4bit_repack first"
        ) from err
    modules = dict(model.named_modules())
    for name in names:
        module = modules[name]
        state = module.weight.quant_state
        n_rows, n_cols = state.shape
        data, state = _convert_weight_packed_for_cpu_inverse(module.weight.data, state)
        if not state.nested and state.absmax.dim() == 2:
            # packed layout: [K // blocksize, N] bf16 -> original flat [N * K // blocksize] fp32
            state.absmax = state.absmax.t().reshape(-1).to(torch.float32).contiguous()
        module.weight.data = data
        module.weight.quant_state = state
        module.quant_state = state
        module.support_avx512bf16_for_cpu = False
    warnings.warn(
        f"undid bitsandbytes' CPU inference repack of {len(names)} 4-bit layers ({names[0]}, ...); "
        "their block scales were rounded to bf16 by bitsandbytes, so the base weights differ "
        "slightly from the checkpoint. Call disable_cpu_4bit_repack (or prepare_for_kbit_training) "
        "right after loading to avoid this.",
        stacklevel=2,
    )
    return names


def prepare_for_kbit_training(model: PreTrainedModel, gradient_checkpointing: bool = False) -> PreTrainedModel:
    """Make a bitsandbytes-loaded model ready for LoRA training; call before ``get_peft_model``.

    Runs peft's ``prepare_model_for_kbit_training`` (freezes every base parameter, casts
    non-quantized fp16/bf16 parameters to fp32, and with ``gradient_checkpointing`` turns it on
    with input grads enabled so checkpointed segments get gradients) and then guards the 4-bit
    layers against bitsandbytes' CPU inference repack (:func:`disable_cpu_4bit_repack`), undoing
    it first if a forward already triggered it, so that train -> no-grad eval -> train works.
    """
    from peft import prepare_model_for_kbit_training

    undo_cpu_4bit_repack(model)
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    disable_cpu_4bit_repack(model)
    return model


@contextlib.contextmanager
def kbit_safe_inference(model: torch.nn.Module, *, inference_mode: bool = False) -> Iterator[torch.nn.Module]:
    """Eval mode + no grad for a (possibly) quantized model, restoring its train/eval state after.

    Why: a no-grad eval forward is exactly what makes bitsandbytes repack 4-bit weights for CPU
    inference and break the next backward (see :func:`disable_cpu_4bit_repack`). This applies the
    guard first (cheap, idempotent: covers models loaded elsewhere and layers added later) and
    checks on exit that nothing was repacked anyway (undoing it with a warning if a future
    bitsandbytes ignores the flag). ``inference_mode=True`` uses ``torch.inference_mode``, which
    is safe here only because the guard keeps the forward from writing into the weights.
    """
    import torch

    disable_cpu_4bit_repack(model)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode() if inference_mode else torch.no_grad():
            yield model
    finally:
        model.train(was_training)
        if cpu_repacked_modules(model):
            undo_cpu_4bit_repack(model)


def quantized_weight_snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Copies of every quantized base tensor (4-bit codes, int8 weights, their scales).

    Compare two snapshots with ``torch.equal`` to check that training changed only the LoRA and
    head weights (the base must stay byte-for-byte the same).
    """
    out: dict[str, torch.Tensor] = {}
    for name, module in kbit_modules(model):
        weight = module.weight
        out[f"{name}.weight"] = weight.data.detach().clone()
        state = getattr(weight, "quant_state", None)
        if state is not None:  # 4-bit
            out[f"{name}.absmax"] = state.absmax.detach().clone()
            if getattr(state, "state2", None) is not None:
                out[f"{name}.absmax2"] = state.state2.absmax.detach().clone()
        scb = getattr(weight, "SCB", None)
        if scb is None:
            scb = getattr(getattr(module, "state", None), "SCB", None)
        if scb is not None:  # 8-bit row scales
            out[f"{name}.SCB"] = scb.detach().clone()
    return out
