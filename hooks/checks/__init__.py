"""The checking stage: each module checks one concern of one parsed config.

A check is ``check(document, context) -> Iterator[Finding]``; it reports a
JSON pointer, never a line number (``adapter_guard.checker`` locates them).
"""
from __future__ import annotations

from typing import NamedTuple

from adapter_guard.lock import Lock
from adapter_guard.policy import Rules


class Context(NamedTuple):
    root: str     # repository root (or the working directory outside git)
    relpath: str  # the config's path relative to root, with forward slashes
    rules: Rules  # the policy in force for this config
    lock: Lock | None = None  # adapter-guard.lock, when the repository has one
    online: bool = False  # --online: ask the Hugging Face Hub about the base model (checks/fit.py)
