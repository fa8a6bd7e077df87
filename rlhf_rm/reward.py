"""The reward function: text in, floats out.

``RewardFunction`` is the one reward interface (docs/ARCHITECTURE.md): a callable
``(prompts, completions, **kwargs) -> list[float]`` that follows TRL's ``reward_funcs`` protocol,
so GRPO/RLOO, PPO, best-of-n, the server and evaluation all consume it. It reads text, never
token ids, so the policy's tokenizer does not matter: each reward model formats its inputs by
its own saved contract (chat template, truncation sides, EOS, pooling).

    rf = RewardFunction.from_pretrained("runs/rm")
    rf(["How do I boil an egg?"], ["Put it in boiling water for 8 minutes."])  # [1.73]

A call: 1. encode by each model's contract, 2. score in length-sorted micro-batches
(``RewardModel.score_encoded``), 3. shape: normalize -> combine the ensemble -> penalties -> clip.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from rlhf_rm.model import RewardModel, as_messages, default_device
from rlhf_rm.types import Completion, Prompt, call_reward, completion_text

Ensemble = Literal["mean", "mean_minus_std", "min"]
CACHE_SIZE = 100_000  # (prompt, completion) entries kept by the opt-in cache, least recent dropped


@dataclass(frozen=True)
class Shaping:
    """How raw scores become rewards. Every option is off by default (reward = raw score).

    normalize: (score - norm_mean) / norm_std with each model's saved dev-set statistics. An
        ensemble combined by anything but its mean is normalized whether or not this is set
        (``RewardFunction``).
    clip: (low, high) bounds applied last.
    length_penalty: subtracted per reply token (the first model's tokenizer, whole reply).
    truncation_penalty: subtracted when the reply was longer than the reward model's limit,
        so part of it was never scored -- its end, or its start under the contract's
        ``response_truncation='left'`` (``Encoded.reply_truncated``; any model of an ensemble).
    """

    normalize: bool = False
    clip: tuple[float, float] | None = None
    length_penalty: float = 0.0
    truncation_penalty: float = 0.0


@dataclass(frozen=True)
class RewardDetails:
    """One call's rewards and what they were computed from.

    Shape: ``raw`` (M, N) one row per model; every other field (N,) one per completion.
    """

    rewards: list[float]  # shaped: what the callable returns
    raw: list[list[float]]  # each model's raw score (each member's, for an ensemble folder)
    reply_tokens: list[int]
    reply_truncated: list[bool]
    # the spread of the members' scores as combined (``combined``), std over M (population): the k
    # of mean_minus_std multiplies it; 0 for one model
    uncertainty: list[float]
    # (M, N) the member scores the combine read: each member's (raw - norm_mean) / norm_std when
    # normalize=True or the combine is not the mean, else ``raw``
    combined: list[list[float]]

    @property
    def raw_mean(self) -> list[float]:
        """The raw scores averaged over the models (the raw score itself for one model)."""
        return [sum(col) / len(col) for col in zip(*self.raw)]


class RewardFunction:
    """Reward models scoring (prompt, completion) pairs; a TRL ``reward_funcs`` callable.

    Several models -- folders, or the members of an ensemble folder (``rlhf-rm train`` with
    ``ensemble: k``) -- form an ensemble, combined per completion as their ``mean``,
    ``mean_minus_std`` (mean - k * std, a conservative reward against over-optimization; Coste
    et al. 2023, "Reward Model Ensembles Help Mitigate Overoptimization", whose UWO objective
    uses the variance) or ``min`` (their worst-case objective). ``ensemble=None`` takes an
    ensemble folder's saved default (``mean``). The members' spread is the uncertainty
    (``score_with_uncertainty``).

    A Bradley-Terry score is defined up to an offset (and a scale) of its own per member, so
    ``mean_minus_std`` and ``min`` read each member in its dev-set standard units,
    z = (score - norm_mean) / norm_std, as ``normalize=True`` does: on raw scores two members a
    constant apart would make mean - std exactly the lower member's score and min always that
    member. Their reward is then mean(z) - k * std(z) or min(z), with or without ``normalize``;
    ``mean`` stays in raw units unless ``normalize`` is set (an offset only shifts it).
    """

    def __init__(
        self,
        models: Sequence[RewardModel],
        batch_size: int = 32,
        shaping: Shaping = Shaping(),
        ensemble: Ensemble | None = None,
        ensemble_k: float = 1.0,
        cache: bool = False,
        name: str = "reward_model",
    ):
        if not models:
            raise ValueError("RewardFunction needs at least one reward model")
        if ensemble is None:  # an ensemble folder's saved default, else the mean
            ensemble = next((rm.contract.ensemble.combine for rm in models if rm.contract.ensemble), "mean")
        if ensemble not in ("mean", "mean_minus_std", "min"):
            raise ValueError(f"ensemble must be 'mean', 'mean_minus_std' or 'min', got {ensemble!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if shaping.normalize or _normalizing_combine(ensemble, models):
            why, other = (("normalize=True", "score with normalize=False") if shaping.normalize else
                          (f"ensemble={ensemble!r} compares members in their own dev-set units",
                           "combine them with ensemble='mean'"))
            for i, rm in enumerate(models):
                c = rm.contract
                if any(mean is None or not std for mean, std in _norm_stats(rm)):
                    raise ValueError(
                        f"{why}, but reward model {i} ({c.base_model}) has no saved norm_mean/norm_std; "
                        "they are measured on the dev split by `rlhf-rm train` -- train with a dev split, "
                        f"or {other}"
                    )
        self.models = list(models)
        self.batch_size = batch_size
        self.shaping = shaping
        self.ensemble = ensemble
        self.ensemble_k = ensemble_k
        # TRL logs each reward function under its __name__ (rewards/<name>/mean)
        self.__name__ = name
        self._cache: OrderedDict[tuple[str, str], tuple[tuple[float, ...], int, bool]] | None = (
            OrderedDict() if cache else None
        )

    @classmethod
    def from_pretrained(
        cls,
        path_or_paths: str | Path | Sequence[str | Path],
        device: str | torch.device | None = None,
        dtype: str | None = None,
        batch_size: int = 32,
        normalize: bool = False,
        clip: float | tuple[float, float] | None = None,
        length_penalty: float = 0.0,
        truncation_penalty: float = 0.0,
        ensemble: Ensemble | None = None,
        ensemble_k: float = 1.0,
        cache: bool = False,
        merge_lora: bool = True,
        name: str | None = None,
    ) -> "RewardFunction":
        """Load one reward model or an ensemble (rlhf_rm folders, exported folders or hub ids).

        device: None picks the first CUDA device when there is one, else the CPU.
        dtype: "float32" | "bfloat16" | "float16"; None: the dtype the model was trained in (its
            contract), else the saved weights' own.
        clip: c means (-c, c).
        merge_lora: fold LoRA adapters into float32 weights for inference (faster; the same
            scores up to float rounding); half-precision and quantized models keep the adapter,
            and so does an ensemble folder (its members share the base).
        ensemble: mean | mean_minus_std | min; None: an ensemble folder's saved default (mean).
        """
        paths = [path_or_paths] if isinstance(path_or_paths, (str, Path)) else list(path_or_paths)
        if device is None:
            device = default_device()
        models = []
        for path in paths:
            rm = RewardModel.load(path, device=device, dtype=dtype)
            # merged float32 weights score like the adapter to ~1e-6; half-precision or quantized
            # weights would round the merged sum, so those keep the adapter
            mergeable = next(rm.model.parameters()).dtype == torch.float32 and rm.contract.quantization == "none"
            if merge_lora and mergeable and not rm.members and hasattr(rm.model, "merge_and_unload"):
                rm.model = rm.model.merge_and_unload().eval()
            models.append(rm)
        if isinstance(clip, (int, float)):
            clip = (-float(clip), float(clip))
        shaping = Shaping(normalize, tuple(clip) if clip is not None else None, length_penalty, truncation_penalty)
        if name is None:
            name = "+".join(Path(str(p).rstrip("/")).name or str(p) for p in paths)
        return cls(models, batch_size, shaping, ensemble, ensemble_k, cache, name)

    # ---- the reward interface -----------------------------------------------------------
    def __call__(self, prompts: Sequence[Prompt], completions: Sequence[Completion], **kwargs) -> list[float]:
        """One reward per completion; extra keyword columns (TRL passes dataset columns,
        ``completion_ids``, ``trainer_state`` ...) are accepted and ignored."""
        return self.score_details(prompts, completions).rewards

    def raw_scores(self, prompts: Sequence[Prompt], completions: Sequence[Completion]) -> list[float]:
        """Unshaped scores (an ensemble's mean raw score)."""
        return self.score_details(prompts, completions).raw_mean

    def score_with_uncertainty(self, prompts: Sequence[Prompt],
                               completions: Sequence[Completion]) -> tuple[list[float], list[float]]:
        """(rewards, uncertainty): the rewards of ``__call__`` and, per completion, the std of the
        members' scores (0 for one model), e.g. to choose which pairs people label next. Each
        member's own scores: ``score_details(...).raw``."""
        details = self.score_details(prompts, completions)
        return details.rewards, details.uncertainty

    @property
    def member_count(self) -> int:
        """Scores combined per completion: every member of every model (1 for one plain model)."""
        return sum(rm.member_count for rm in self.models)

    def score_details(self, prompts: Sequence[Prompt], completions: Sequence[Completion]) -> RewardDetails:
        """Rewards with the raw per-model scores and reply facts they were computed from."""
        if len(prompts) != len(completions):
            raise ValueError(f"got {len(prompts)} prompts but {len(completions)} completions")
        replies = [completion_text(c) for c in completions]
        raw, tokens, cut = self._raw(list(prompts), replies)
        rewards, spread, combined = self._shape(raw, tokens, cut)
        return RewardDetails(rewards, raw, tokens, cut, spread, combined)

    def clear_cache(self) -> None:
        if self._cache is not None:
            self._cache.clear()

    def __repr__(self) -> str:
        return (f"RewardFunction({self.__name__!r}, models={len(self.models)}, members={self.member_count}, "
                f"shaping={self.shaping})")

    # ---- internals ----------------------------------------------------------------------
    def _raw(self, prompts: list[Prompt], replies: list[str]) -> tuple[list[list[float]], list[int], list[bool]]:
        """Raw scores (M, N), reply lengths and truncation flags; cached pairs are not rescored."""
        n = len(replies)
        keys = [(_prompt_key(p), r) for p, r in zip(prompts, replies)] if self._cache is not None else None
        todo = list(range(n))
        if keys is not None:
            todo = [i for i in range(n) if keys[i] not in self._cache]
        # 1. encode by each model's contract; 2. score in length-sorted micro-batches
        fresh_raw, fresh_tokens, fresh_cut = [], [0] * len(todo), [False] * len(todo)
        if todo:
            sub_prompts = [prompts[i] for i in todo]
            sub_replies = [replies[i] for i in todo]
            for m, rm in enumerate(self.models):
                items = rm.encode(sub_prompts, sub_replies)  # once per model, then each member scores them
                fresh_raw.extend(rm.score_members_encoded(items, self.batch_size))
                if m == 0:
                    fresh_tokens = [e.reply_tokens for e in items]
                fresh_cut = [c or e.reply_truncated for c, e in zip(fresh_cut, items)]
        if keys is None:
            return fresh_raw, fresh_tokens, fresh_cut
        for j, i in enumerate(todo):
            self._cache[keys[i]] = (tuple(row[j] for row in fresh_raw), fresh_tokens[j], fresh_cut[j])
        entries = []
        for key in keys:
            entries.append(self._cache[key])
            self._cache.move_to_end(key)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        raw = [[e[0][m] for e in entries] for m in range(self.member_count)]
        return raw, [e[1] for e in entries], [e[2] for e in entries]

    def _shape(self, raw: list[list[float]], reply_tokens: list[int],
               reply_truncated: list[bool]) -> tuple[list[float], list[float], list[list[float]]]:
        """(rewards, uncertainty, the member scores combined): (N,), (N,), (M, N)."""
        if not reply_tokens:
            return [], [], [[] for _ in raw]
        s = self.shaping
        scores = torch.tensor(raw, dtype=torch.float64)  # (M, N)
        # 1. normalize each member by its own dev-set statistics, so an ensemble mixes like units
        if s.normalize or _normalizing_combine(self.ensemble, self.models):
            stats = torch.tensor([pair for rm in self.models for pair in _norm_stats(rm)], dtype=torch.float64)  # (M, 2)
            scores = (scores - stats[:, :1]) / stats[:, 1:]
        # 2. combine the ensemble (Coste et al. 2023): mean, mean - k * std (population std), or min
        spread = scores.std(dim=0, correction=0)  # (N,): the uncertainty, 0 for one model
        if self.ensemble == "min":
            rewards = scores.min(dim=0).values
        else:
            rewards = scores.mean(dim=0)
            if self.ensemble == "mean_minus_std" and len(scores) > 1:
                rewards = rewards - self.ensemble_k * spread
        # 3. penalties: per reply token, and for a reply cut off by the length limit
        if s.length_penalty:
            rewards = rewards - s.length_penalty * torch.tensor(reply_tokens, dtype=torch.float64)
        if s.truncation_penalty:
            rewards = rewards - s.truncation_penalty * torch.tensor(reply_truncated, dtype=torch.float64)
        # 4. clip last, so the bounds hold for the final reward
        if s.clip is not None:
            rewards = rewards.clamp(s.clip[0], s.clip[1])
        return [float(r) for r in rewards.tolist()], [float(u) for u in spread.tolist()], scores.tolist()


# ---------------------------------------------------------------------------------------------
# scores for the server and for score files: shaped rewards and raw scores together


RewardScores = tuple[list[float], list[float]]  # (shaped rewards, raw scores), one per reply


def reward_scorer(reward_fn: Callable) -> Callable[[list, list], RewardScores]:
    """(rewards, raw scores): a RewardFunction gives both in one pass; any other callable, rewards twice."""
    details = getattr(reward_fn, "score_details", None)
    if details is not None:
        def score(prompts: list, completions: list) -> RewardScores:
            d = details(prompts, completions)
            return d.rewards, d.raw_mean
        return score

    def score_plain(prompts: list, completions: list) -> RewardScores:
        rewards = call_reward(reward_fn, prompts, completions)
        return rewards, rewards
    return score_plain


def add_rewards(reward_fn: Callable, rows: list[dict]) -> list[float]:
    """Score each row's (prompt, response) and add its ``reward`` (shaped) and ``raw_score``
    columns in place, and for an ensemble ``uncertainty`` (its members' std); returns the rewards."""
    prompts, replies = [r["prompt"] for r in rows], [r["response"] for r in rows]
    if getattr(reward_fn, "member_count", 1) > 1:  # an ensemble: the members' spread from the same forwards
        details = reward_fn.score_details(prompts, replies)
        rewards, raw = details.rewards, details.raw_mean
        for row, spread in zip(rows, details.uncertainty):
            row["uncertainty"] = spread
    else:
        rewards, raw = reward_scorer(reward_fn)(prompts, replies)
    for row, reward, raw_score in zip(rows, rewards, raw):
        row["reward"], row["raw_score"] = reward, raw_score
    return rewards


def _normalizing_combine(ensemble: str, models: Sequence[RewardModel]) -> bool:
    """Whether the combine compares several members score by score (mean - k*std, min), which
    needs each in its own dev-set units: per-member offsets cancel only in a plain mean."""
    return ensemble != "mean" and sum(rm.member_count for rm in models) > 1


def _norm_stats(rm: RewardModel) -> list[tuple[float | None, float | None]]:
    """(norm_mean, norm_std) of each member of ``rm`` (its own, for one model) from the contract."""
    spec = rm.contract.ensemble
    if spec is None:
        return [(rm.contract.norm_mean, rm.contract.norm_std)]
    return list(zip(spec.norm_mean, spec.norm_std)) or [(None, None)] * len(spec.members)


def _prompt_key(prompt: Prompt) -> str:
    # a string prompt is one user turn (as_messages), so both spellings share a cache entry
    return json.dumps([[m["role"], m["content"]] for m in as_messages(prompt)], ensure_ascii=False)
