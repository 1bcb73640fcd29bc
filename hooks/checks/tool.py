"""AG006: an adapter_config.json written by another tool (mlx-lm, JAX tunix, ...), said once.

The PEFT checks do not apply to such a file (the checker skips them); the
base-model checks follow the key its format names (``adapter_guard.formats``).
"""
from __future__ import annotations

from collections.abc import Iterator

from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.jsonload import Document


def check(document: Document, context: Context) -> Iterator[Finding]:
    fmt = document.format
    if fmt.is_peft:
        return
    message = f'written by {fmt.tool}, not PEFT ({fmt.evidence}): the PEFT checks are skipped'
    if fmt.base_key is None:
        message += '; it names no base model to check'
    elif isinstance(document.data.get(fmt.base_key), str) and document.data[fmt.base_key]:
        message += f'; its base model, under {fmt.base_key!r}, is checked'
    else:
        message += f'; it does not record its base model ({fmt.tool} keeps it under {fmt.base_key!r})'
    yield Finding(document.path, 'AG006', message, fmt.signature[:1], 'key')
