"""PEFT version strings, compared as numbers ('0.18.2.dev0@UNKNOWN' -> (0, 18, 2))."""
from __future__ import annotations

import re

_LEADING = re.compile(r'[0-9]+(\.[0-9]+)*')


def parse(version: str) -> tuple[int, ...] | None:
    match = _LEADING.match(version.strip().lstrip('v'))
    if match is None:
        return None
    parts = tuple(int(p) for p in match.group().split('.'))
    return parts + (0,) * (3 - len(parts))


def newer(version: str, than: str) -> bool:
    a, b = parse(version), parse(than)
    return a is not None and b is not None and a > b
