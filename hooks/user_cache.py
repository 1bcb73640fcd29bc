"""adapter-guard's own cache folder: $XDG_CACHE_HOME/adapter-guard (~/.cache/adapter-guard).

It keeps what is slow to learn again: the Hub's answers (--online) and the
module tables transformers built on the meta device.  Every file is a JSON
document written atomically; a missing, damaged or unwritable one only means
that the answer is computed again, never an error.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any


def path(*parts: str) -> str:
    cache_home = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(cache_home, 'adapter-guard', *parts)


def read_json(file: str) -> Any:
    """The document, or None when there is none or it is damaged."""
    try:
        with open(file, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError, RecursionError):
        return None


def write_json(file: str, data: Any) -> None:
    """Replace ``file`` atomically; silently keep nothing when the folder is not writable."""
    temporary = None
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(file), prefix='.', suffix='.tmp')
        with os.fdopen(descriptor, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(temporary, file)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
