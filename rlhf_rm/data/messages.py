"""The one check of chat messages and prompts, shared by every reader: preference files, prompt
and candidate files, labeling tools' exports, the reward server's requests.

Each reader raises its own error type (a bad row, an HTTP 422, a ``DataError``) with the words
these functions return or the ``EXPECTED_PROMPT`` they name, so the checks cannot drift apart.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from rlhf_rm.types import Message, Prompt

ROLES = ("system", "user", "assistant")  # the roles a preference record's prompt may hold
EXPECTED_PROMPT = "a non-empty string or a list of {'role', 'content'} messages"


def is_message(value: Any) -> bool:
    """A dict with a string ``role`` and a string ``content`` (other keys are allowed and dropped)."""
    return isinstance(value, dict) and isinstance(value.get("role"), str) and isinstance(value.get("content"), str)


def messages_problem(value: Any, name: str, roles: Sequence[str] | None = None) -> str | None:
    """Why ``value`` is not a non-empty list of messages (with roles from ``roles``, when given),
    naming the first bad element as ``name[i]``; None when it is one."""
    if not isinstance(value, (list, tuple)) or not value:
        return f"{name} is not a non-empty list of messages (got {type_name(value)})"
    for i, m in enumerate(value):
        if not is_message(m):
            return f"{name}[{i}] is not a message with string 'role' and 'content'"
        if roles is not None and m["role"] not in roles:
            return f"{name}[{i}] has unknown role {m['role']!r} (known: {', '.join(roles)})"
    return None


def copy_messages(value: Sequence[dict]) -> list[Message]:
    """Checked messages reduced to their ``role`` and ``content``."""
    return [{"role": m["role"], "content": m["content"]} for m in value]


def as_prompt(value: Any) -> Prompt | None:
    """A non-empty string as it is, a list of messages copied; None for anything else."""
    if isinstance(value, str):
        return value if value.strip() else None
    return None if messages_problem(value, "prompt") else copy_messages(value)


def type_name(value: Any) -> str:
    """A value's JSON type, for error messages."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, numbers.Real) else type(value).__name__)
