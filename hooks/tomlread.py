"""Reading TOML, for the policy and the lock: imported by them, tomllib only when there is a file to read.

Importing tomllib costs a hook run on one file about 5 ms, and most runs
have neither a policy nor a lock.  Its errors are ValueErrors.
"""
from __future__ import annotations

import sys
from typing import Any


def loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # pragma: >=3.11 cover
        import tomllib
    else:  # pragma: <3.11 cover
        import tomli as tomllib
    return tomllib.loads(text)
