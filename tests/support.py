"""Plain helpers for the tests (fixtures live in conftest.py): the repository and ../shared
paths, and a small learnable preference set written as a TRL explicit-prompt JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the checkout's ../shared: real data and models, absent in a fresh clone


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when ../shared is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is absent)")
    return path


LEARNABLE = [
    ("How do I boil an egg?", "Put the egg in boiling water for nine minutes, then cool it.", "Eggs are bad, go away."),
    ("What is the capital of France?", "Paris is the capital of France.", "I refuse to answer questions."),
    ("Can you help me write an email?", "Sure, tell me who it is for and what it should say.", "No. Do it yourself."),
    ("How can I sleep better?", "Keep a regular schedule and avoid screens before bed.", "Sleep is pointless, ignore it."),
    ("Recommend a book about space.", "Try Cosmos by Carl Sagan; it is clear and inspiring.", "Books are boring, watch nothing."),
    ("How do I water a cactus?", "Water it deeply but rarely, letting the soil dry out between waterings.", "Stop asking me."),
    ("What is 12 times 3?", "12 times 3 is 36.", "Who cares about numbers?"),
    ("How do I say thank you in Spanish?", "You say gracias.", "Learn it yourself, I am busy."),
]


def write_pairs(path: Path, rows=LEARNABLE, repeat: int = 1) -> Path:
    """A small TRL explicit-prompt preference JSONL."""
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(repeat):
            for prompt, chosen, rejected in rows:
                f.write(json.dumps({"prompt": prompt, "chosen": chosen, "rejected": rejected}) + "\n")
    return path
