"""The command line as one frozen value, built once in ``main`` and passed down.

A NamedTuple, not a dataclass: importing dataclasses (and inspect with it)
costs a hook run on one file several milliseconds.
"""
from __future__ import annotations

import argparse
from typing import NamedTuple


class Options(NamedTuple):
    paths: tuple[str, ...] = ()
    config: str | None = None
    format: str = 'text'
    color: str = 'auto'
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    # check
    from_ref: str | None = None
    to_ref: str | None = None
    no_history: bool = False
    fix: bool = False
    online: bool = False
    # commit-msg
    message_file: str | None = None
    # audit
    since: str | None = None
    all_refs: bool = False
    # init
    force: bool = False
    output: str | None = None
    with_lock: bool = False
    # demo
    keep: bool = False
    # rule
    code: str | None = None
    all_rules: bool = False
    # lock
    update: tuple[str, ...] = ()
    dry_run: bool = False

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace) -> Options:
        names = set(cls._fields)
        values = {k: v for k, v in vars(namespace).items() if k in names and v is not None}
        for name in ('paths', 'update'):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)
