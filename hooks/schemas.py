"""The bundled JSON Schemas: where they are, and loading them once.

In an installed wheel they sit inside the package (``_schemas``); in a
source checkout or an editable install they are the repository's
``schemas/`` folder.  This is the only place that knows.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any


def schema_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, '_schemas')
    if os.path.isfile(os.path.join(packaged, 'policy.schema.json')):
        return packaged
    return os.path.join(os.path.dirname(here), 'schemas')


@functools.cache
def load(name: str) -> dict[str, Any]:
    with open(os.path.join(schema_dir(), name), encoding='utf-8') as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def peft_index() -> dict[str, Any]:
    return load('peft/index.json')


def method_schema(peft_type: str) -> dict[str, Any] | None:
    entry = peft_index()['methods'].get(peft_type)
    return load('peft/' + entry['schema']) if entry else None
