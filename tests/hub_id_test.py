"""The light repo-id check agrees with huggingface_hub's validate_repo_id."""
from __future__ import annotations

import pytest
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.hub_id import why_invalid


def reference(value: str) -> bool:
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


# Mostly the characters that matter, sometimes anything.
_interesting = st.sampled_from(list('aZ09-_./ \\') + ['--', '..', '.git', 'é', '\n', '~'])
repo_like = st.lists(_interesting, min_size=1, max_size=12).map(''.join)
long_parts = st.tuples(
    st.integers(1, 100), st.integers(1, 100), st.booleans(),
).map(lambda t: ('a' * t[0] + '/' if t[2] else '') + 'b' * t[1])


@settings(max_examples=3000)
@given(st.one_of(repo_like, long_parts, st.text(max_size=30)))
@example('meta-llama/Llama-2-7b-hf')
@example('models/llama')
@example('-a/b')
@example('a/b.')
@example('a' * 96 + '/' + 'b' * 96)
@example('a' * 97)
def test_agrees_with_huggingface_hub(value: str) -> None:
    assert is_valid_repo_id(value) == reference(value)


@pytest.mark.parametrize('value', ('a/b/c', 'a--b', 'x.git', 'a b', '-x'))
def test_why_invalid_gives_a_reason(value: str) -> None:
    assert not is_valid_repo_id(value)
    assert why_invalid(value)
