"""Scores of a sequence classifier under a pooling rule, in length-sorted micro-batches.

At inference a BERT [CLS] classifier runs its last layer for [CLS] alone
(:func:`bert_cls_scores`): the same scores within float rounding, measured faster in
``bench/score_vs_pipeline.py``.
"""

from __future__ import annotations

from typing import Sequence

import torch

# A CPU micro-batch holds at most this many padded tokens (when the caller sets no cap). MiniLM-L6,
# float32, one thread: a forward costs least per token at ~2-4k tokens a batch (32 x 512 costs ~10%
# more per token than 8 x 512: its activations outgrow the caches); on the HH pairs of
# bench/score_vs_pipeline.py the cap saves ~5% over batches of 32. Accelerators want big batches: no cap.
CPU_BATCH_TOKENS = 4096


# A CPU forward costs a fixed part -- Python over the modules, and reading weights that outgrow the
# caches from memory -- plus a part per padded token (the matmuls). Measured on MiniLM-L6 (float32,
# one thread, AVX2): ~10.8 ms a forward + ~0.27 ms a token, so the fixed part is worth ~40 padded
# tokens; on a 2-layer BERT of hidden 64 it is worth hundreds. The estimate below reads the
# non-embedding parameter count (P): fixed = CPU_FORWARD_MS + 4P bytes at CPU_BYTES_PER_MS,
# a token = 2P flops at CPU_FLOPS_PER_MS.
CPU_FORWARD_MS = 1.0
CPU_BYTES_PER_MS = 4.3e6
CPU_FLOPS_PER_MS = 78e6


def forward_overhead_tokens(model) -> float:
    """A CPU forward's fixed cost in padded tokens of its per-token cost, from the model's size."""
    embedding = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    n = sum(p.numel() for p in model.parameters() if id(p) not in embedding)
    if n == 0:
        return 0.0
    return (CPU_FORWARD_MS + 4 * n / CPU_BYTES_PER_MS) / (2 * n / CPU_FLOPS_PER_MS)


def micro_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None = None,
                  overhead_tokens: float = 0.0) -> list[list[int]]:
    """Indices of inputs of these lengths in micro-batches, longest first.

    Each batch holds at most ``batch_size`` inputs and, when ``max_tokens`` is set, at most that
    many padded tokens (longest x count), but always at least one input. Without
    ``overhead_tokens`` each batch takes as many inputs as it may. With it (a forward's fixed cost,
    in padded tokens), the cuts minimise the whole cost, ``overhead_tokens`` a batch plus its padded
    tokens (dynamic programming over the length-sorted inputs): 16 unsorted replies of 16-75
    tokens go to MiniLM as two or three batches instead of one padded to 75.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    if overhead_tokens <= 0:
        batches, start = [], 0
        while start < len(order):
            size = batch_size if not max_tokens else max(1, min(batch_size, max_tokens // lengths[order[start]]))
            batches.append(order[start : start + size])
            start += size
        return batches
    longest = [lengths[i] for i in order]
    cost = [0.0] + [float("inf")] * len(order)  # cost[j]: the best cuts of the first j inputs
    first = [0] * (len(order) + 1)  # ... whose last batch starts at first[j]
    for j in range(1, len(order) + 1):
        for i in range(j - 1, max(0, j - batch_size) - 1, -1):  # the last batch: inputs i..j-1
            if max_tokens and j - i > 1 and (j - i) * longest[i] > max_tokens:
                break  # (a longer batch only holds more tokens)
            c = cost[i] + overhead_tokens + (j - i) * longest[i]
            if c < cost[j]:
                cost[j], first[j] = c, i
    batches, j = [], len(order)
    while j > 0:
        batches.append(order[first[j] : j])
        j = first[j]
    return batches[::-1]


def sequence_scores(model, batch: dict[str, torch.Tensor], pooling: str) -> torch.Tensor:
    """Raw scores (B,) of a sequence classifier, possibly LoRA- or DDP-wrapped, under ``pooling``.

    ``cls_pooler`` / ``last_token``: the model's own head. ``mean``: the classifier applied to the
    mean of the last hidden states over the attended tokens (the pooler is not used). Inference
    with a BERT [CLS] classifier runs its last layer for [CLS] alone (:func:`bert_cls_scores`)."""
    if pooling == "cls_pooler" and not torch.is_grad_enabled():
        bert = _cls_only_bert(model, batch)
        if bert is not None:
            return bert_cls_scores(bert, batch)
    if pooling != "mean":
        return model(**batch).logits[:, 0].float()
    out = model(**batch, output_hidden_states=True)
    hidden = out.hidden_states[-1].float()
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    inner = unwrap(model)
    return inner.classifier(inner.dropout(pooled))[:, 0].float()


def _cls_only_bert(model, batch: dict[str, torch.Tensor]):
    """The ``BertForSequenceClassification`` under ``model`` when ``bert_cls_scores`` reproduces
    its forward on ``batch`` (eval mode, a pooler, SDPA or eager attention), else None."""
    from transformers import BertForSequenceClassification

    inner = unwrap(model)
    if type(inner) is not BertForSequenceClassification or inner.training or inner.bert.pooler is None:
        return None
    if inner.config.is_decoder or inner.config._attn_implementation not in ("sdpa", "eager"):
        return None
    return inner if set(batch) <= {"input_ids", "attention_mask", "token_type_ids"} else None


def bert_cls_scores(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``model(**batch).logits[:, 0]`` of a BERT classifier, its last layer run for [CLS] alone.

    The score reads one position of the last layer: only its keys and values need every token,
    while its query, attention output and feed-forward run on [CLS] only. That skips ~5/6 of the
    last layer (1/7 of MiniLM-L6's forward) with the model's own modules in the same precision:
    the same scores up to float rounding (~1e-7 in float32).

    Shape: input_ids (B, T) -> (B,).
    """
    from transformers.masking_utils import create_bidirectional_mask

    bert = model.bert
    hidden = bert.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))  # (B, T, H)
    # None when nothing is padded (SDPA's fastest kernel), else (B, 1, T, T) as the model builds it
    mask = create_bidirectional_mask(config=model.config, inputs_embeds=hidden,
                                     attention_mask=batch.get("attention_mask"))
    *body, last = bert.encoder.layer
    for layer in body:
        out = layer(hidden, mask)
        hidden = out[0] if isinstance(out, tuple) else out
    # the last layer: attention of the [CLS] query over every key, then its feed-forward
    attn = last.attention.self
    b = hidden.shape[0]
    cls = hidden[:, :1].contiguous()  # (B, 1, H); (a strided view can round differently by address)

    def heads(x: torch.Tensor) -> torch.Tensor:  # (B, n, H) -> (B, heads, n, H / heads)
        return x.view(b, x.shape[1], -1, attn.attention_head_size).transpose(1, 2)

    context = torch.nn.functional.scaled_dot_product_attention(
        heads(attn.query(cls)), heads(attn.key(hidden)), heads(attn.value(hidden)),
        attn_mask=None if mask is None else mask[:, :, :1],  # the [CLS] query's row
        scale=attn.attention_head_size**-0.5,
    ).transpose(1, 2).reshape(b, 1, -1)
    cls = last.attention.output(context, cls)
    cls = last.output(last.intermediate(cls), cls)  # (B, 1, H)
    return model.classifier(model.dropout(bert.pooler(cls)))[:, 0].float()


def unwrap(model):
    """The transformers model under DDP (``.module``) and peft (``get_base_model()``) wrappers."""
    model = getattr(model, "module", model)
    return model.get_base_model() if hasattr(model, "get_base_model") else model
