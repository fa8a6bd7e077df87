"""The one message/prompt check every reader uses: the same words for the same fault everywhere."""

from __future__ import annotations

import pytest

from rlhf_rm.data import DataError
from rlhf_rm.data.messages import as_prompt, messages_problem
from rlhf_rm.data.prompts import prompt_value


@pytest.mark.parametrize("value, problem", [
    ([], "prompt is not a non-empty list of messages (got list)"),
    ("hi", "prompt is not a non-empty list of messages (got string)"),
    ([{"role": "user", "content": "a"}, {"role": "user"}], "prompt[1] is not a message with string 'role' and 'content'"),
    ([{"role": "user", "content": 3}], "prompt[0] is not a message with string 'role' and 'content'"),
    ([{"role": "user", "content": "a"}], None),
])
def test_messages_problem_names_the_first_bad_element(value, problem):
    assert messages_problem(value, "prompt") == problem


def test_roles_are_checked_only_where_asked():
    tool = [{"role": "tool", "content": "{}"}]
    assert messages_problem(tool, "prompt") is None  # the server and TRL completions may hold tool turns
    assert messages_problem(tool, "prompt", ("system", "user", "assistant")) == \
        "prompt[0] has unknown role 'tool' (known: system, user, assistant)"


def test_as_prompt_keeps_strings_copies_messages_and_refuses_the_rest():
    assert as_prompt("Hi?") == "Hi?"
    assert as_prompt([{"role": "user", "content": "Hi?", "name": "x"}]) == [{"role": "user", "content": "Hi?"}]
    for bad in ("", "   ", [], None, 3, [{"role": "user"}]):
        assert as_prompt(bad) is None


def test_prompt_files_and_the_labeling_page_refuse_a_bad_prompt_in_the_same_words():
    from rlhf_rm.annotate.items import _prompt

    expected = "row 3: 'prompt' must be a non-empty string or a list of {'role', 'content'} messages"
    with pytest.raises(ValueError) as policy_err:
        prompt_value({"prompt": [{"role": "user"}]}, "row 3")
    with pytest.raises(DataError) as annotate_err:
        _prompt([{"role": "user"}], "row 3")
    assert str(policy_err.value) == str(annotate_err.value) == expected


def test_a_rewardbench2_row_with_a_broken_message_is_refused_by_name():
    from rlhf_rm.evaluate.core import _rb2_group

    row = {"id": "1", "prompt": [{"role": "user", "content": None}], "chosen": ["a"], "rejected": ["b", "c", "d"]}
    with pytest.raises(ValueError, match=r"prompt\[0\] is not a message with string 'role' and 'content'"):
        _rb2_group(row, "rb2.jsonl", 1)
