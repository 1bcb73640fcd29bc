"""The bundled JSON Schemas: where they are, and loading them once.

In an installed wheel they sit inside the package (``_schemas``); in a
source checkout or an editable install they are the repository's
``schemas/`` folder.  This is the only place that knows.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any


def schema_dir() -> Path:
    packaged = Path(__file__).parent / '_schemas'
    if (packaged / 'policy.schema.json').is_file():
        return packaged
    return Path(__file__).parent.parent / 'schemas'


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    with open(schema_dir() / name, encoding='utf-8') as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def peft_index() -> dict[str, Any]:
    return load('peft/index.json')


def method_schema(peft_type: str) -> dict[str, Any] | None:
    entry = peft_index()['methods'].get(peft_type)
    return load('peft/' + entry['schema']) if entry else None
