"""Is a string a valid Hugging Face Hub repo id?

The same rules as ``huggingface_hub.utils.validate_repo_id`` (the
reference), without importing huggingface_hub, whose import pulls in an HTTP
client and costs about 0.1 s per run.  tests/hub_id_test.py proves on
generated strings that the two always agree.
"""
from __future__ import annotations

import re

# Copied from huggingface_hub/utils/_validators.py (REPO_ID_REGEX).
_REPO_ID = re.compile(
    r"""
    (\b[\w\-.]{1,96}\b/)?  # optional namespace (user or organization)
    \b[\w\-.]{1,96}\b      # repo name
    """,
    flags=re.VERBOSE | re.ASCII,
)


def is_valid_repo_id(value: str) -> bool:
    return (
        value.count('/') <= 1
        and _REPO_ID.fullmatch(value) is not None
        and '--' not in value
        and '..' not in value
        and not value.endswith('.git')
    )


def why_invalid(value: str) -> str:
    """A short reason, for a value that ``is_valid_repo_id`` rejects."""
    if value.count('/') > 1:
        return "a Hub repo id is 'name' or 'namespace/name', with at most one '/'"
    if '--' in value or '..' in value:
        return "a Hub repo id cannot contain '--' or '..'"
    if value.endswith('.git'):
        return "a Hub repo id cannot end in '.git'"
    if any(c.isspace() for c in value):
        return 'a Hub repo id cannot contain whitespace'
    return (
        "a Hub repo id uses only ASCII letters, digits, '-', '_' and '.', "
        "starts and ends each part with a letter or digit, and is at most 96 characters per part"
    )
