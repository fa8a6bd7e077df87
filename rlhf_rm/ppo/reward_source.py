"""Rewards for PPO: resolve the config's ``reward:`` to a callable, and a few built-in rewards.

Every reward is a callable ``(prompts, completions, **kwargs) -> list[float]`` (TRL's
``reward_funcs`` protocol); completions are strings for text prompts and
``[{"role": "assistant", "content": ...}]`` for chat prompts.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from rlhf_rm.data import render_transcript
from rlhf_rm.types import Reward, completion_text

POSITIVE_WORDS = frozenset(
    "happy happily smile smiled smiling love loved fun friend friends kind nice laugh laughed glad joy hug hugged".split()
)

_NON_LETTERS = re.compile(r"[^a-z]")


def words(text: str) -> list[str]:
    """Lower-cased words with everything but the letters a-z removed (empty ones dropped)."""
    return [w for w in (_NON_LETTERS.sub("", tok) for tok in text.lower().split()) if w]


def story_positivity(prompts: list[Any], completions: list[Any], **kwargs) -> list[float]:
    """Share of the reply's words that are in ``POSITIVE_WORDS`` (0.0 for an empty reply)."""
    out = []
    for completion in completions:
        ws = words(completion_text(completion))
        out.append(sum(w in POSITIVE_WORDS for w in ws) / len(ws) if ws else 0.0)
    return out


def word_count(prompts: list[Any], completions: list[Any], word: str = "the", **kwargs) -> list[float]:
    """How often ``word`` occurs in the reply (a reward with a known optimum, for tests)."""
    return [float(words(completion_text(c)).count(word)) for c in completions]


class RemoteReward:
    """A reward server speaking OpenRLHF's protocol.

    POST ``{"query": [prompt + reply texts], "prompts": [prompt texts]}`` -> ``{"rewards": [...]}``.
    The prompt text is what the policy saw (chat template applied); the loop passes it as the
    ``prompt_texts`` keyword.
    """

    def __init__(self, url: str, timeout_s: float = 60.0):
        self.url = url
        self.timeout_s = timeout_s

    def __call__(self, prompts: list[Any], completions: list[Any], prompt_texts: list[str] | None = None, **kwargs) -> list[float]:
        texts = prompt_texts or [_prompt_text(p) for p in prompts]
        body = json.dumps({"query": [t + completion_text(c) for t, c in zip(texts, completions)], "prompts": list(texts)})
        request = urllib.request.Request(
            self.url, data=body.encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError) as err:
            raise RuntimeError(f"reward server {self.url} did not answer: {err}") from err
        rewards = payload.get("rewards") if isinstance(payload, dict) else None
        if not isinstance(rewards, list) or len(rewards) != len(completions):
            raise RuntimeError(
                f"reward server {self.url}: expected {{'rewards': [{len(completions)} numbers]}}, got {str(payload)[:200]}"
            )
        return [float(r) for r in rewards]


def _prompt_text(prompt: Any) -> str:
    """A prompt as text when the caller gave none (no policy template at hand): a conversation is
    role-tagged turns ending in ``Assistant: ``, the markup the reward server reads back."""
    if isinstance(prompt, str):
        return prompt
    return render_transcript(list(prompt)) + "\n\nAssistant: "


def load_reward(spec: str, kwargs: dict | None = None, timeout_s: float = 60.0, device: str | None = None) -> Reward:
    """Resolve ``reward:`` from a config.

    - ``"module:function"`` imports the callable (``kwargs`` are bound to it);
    - ``"http://..."`` / ``"https://..."`` is a reward server (OpenRLHF protocol);
    - a folder is a saved reward model, loaded with ``rlhf_rm.reward.RewardFunction``.
    """
    kwargs = dict(kwargs or {})
    if spec.startswith(("http://", "https://")):
        return RemoteReward(spec, timeout_s)
    if Path(spec).is_dir():
        try:
            from rlhf_rm.reward import RewardFunction
        except ImportError as err:
            raise ImportError(f"config key 'reward': {spec} is a folder, but rlhf_rm.reward is not available: {err}") from err
        if device is not None:
            kwargs.setdefault("device", device)
        return RewardFunction.from_pretrained(spec, **kwargs)
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise ImportError(f"config key 'reward': cannot import module {module_name!r} from {spec!r}: {err}") from err
        fn = getattr(module, attr, None)
        if fn is None or not callable(fn):
            raise ValueError(f"config key 'reward': {module_name!r} has no callable {attr!r}")
        return functools.partial(fn, **kwargs) if kwargs else fn
    raise ValueError(
        f"config key 'reward': {spec!r} is neither module:function, an http(s) URL nor an existing folder"
    )
