"""AG304-AG305: the config against adapter-guard.lock, when the repository has one.

The lock needs no history: this is what enforces the base model in a
shallow clone and for a config never committed.  AG306 (an entry with no
config) is about the lock file itself, so the check command reports it.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

from adapter_guard.checks import Context
from adapter_guard.checks.base_model import acceptable
from adapter_guard.findings import Finding
from adapter_guard.hookenv import fix_command
from adapter_guard.jsonload import Document
from adapter_guard.lock import Entry
from adapter_guard.lock import LOCK_FILE
from adapter_guard.rewrites import base_model_of

KEY = 'base_model_name_or_path'


def check(document: Document, context: Context) -> Iterator[Finding]:
    lock = context.lock
    if lock is None:
        return
    entry = lock.entries.get(context.relpath)
    if entry is None:
        yield Finding(
            document.path, 'AG305',
            f'{context.relpath} has no entry in {LOCK_FILE}: run `adapter-guard lock` and commit the lock with it',
            (document.format.base_key or KEY,), 'key',
        )
        return
    current = Entry.of(base_model_of(document.data))
    key = document.format.base_key or KEY
    restorable = acceptable(entry.base, context.rules, os.path.abspath(document.path), context.root)
    update = f'or, if the change is meant, `adapter-guard lock --update {context.relpath}`'
    if current.base != entry.base:
        remedy = f'{fix_command()} restores it, {update}' if restorable else f'set it back, {update}'
        yield Finding(
            document.path, 'AG304',
            f'{key} {current.base!r} differs from {LOCK_FILE} ({entry.base!r}); {remedy}',
            (key,), previous=entry.base or None, fixable=restorable,
        )
    if current.revision != entry.revision:
        where = ('revision',) if 'revision' in document.data else ()
        yield Finding(
            document.path, 'AG304',
            f'revision {current.revision or "null"} differs from {LOCK_FILE} ({entry.revision or "null"}); '
            f'{fix_command()} restores it, {update}',
            where, 'value' if where else 'object', previous=entry.revision, fixable=restorable and bool(where),
        )
