"""adapter-guard.lock: the base model of every adapter config, trusted without history.

A lock is generated, sorted TOML at the repository root, one table per
config path.  It makes the base models part of the reviewed content: a
config that matches its entry needs no history to be trusted (no AG303 in
a shallow clone), a config that differs is AG304 and ``--fix`` restores
the locked value, and an intended change is the lock's change in the same
commit (``adapter-guard lock --update PATH``).

null, "" and a missing base model are all "no base model" here (TOML has
no null; AG203 reports such a config anyway); a null or missing revision
is an absent key.
"""
from __future__ import annotations

import json
from typing import NamedTuple

from adapter_guard import tomlread
from adapter_guard.errors import UsageError
from adapter_guard.rewrites import ABSENT
from adapter_guard.rewrites import BaseModel

LOCK_FILE = 'adapter-guard.lock'
VERSION = 1
HEADER = f'''\
# {LOCK_FILE}: the base model of every adapter config, written by `adapter-guard lock`.
# Generated: do not edit by hand. After an intended change of a base model, run
#     adapter-guard lock --update path/to/adapter_config.json
# and commit this file together with the config. `adapter-guard lock` adds new configs and
# drops entries whose config is gone; it never changes an entry without --update.
'''


class Entry(NamedTuple):
    base: str       # '' for no base model (null, "" or missing)
    revision: str | None

    @classmethod
    def of(cls, value: BaseModel) -> Entry:
        if isinstance(value.base, str):
            base = value.base
        else:
            base = '' if value.base in (None, ABSENT) else json.dumps(value.base)
        return cls(base, value.revision if isinstance(value.revision, str) and value.revision else None)

    def show(self) -> str:
        return repr(self.base) + (f' @ {self.revision}' if self.revision else '')


class Lock(NamedTuple):
    entries: dict[str, Entry]
    lines: dict[str, int]  # the line of each entry's table header, for findings about the lock itself

    def matches(self, path: str, value: BaseModel) -> bool:
        return self.entries.get(path) == Entry.of(value)


EMPTY = Lock({}, {})


def parse(data: bytes, source: str = LOCK_FILE) -> Lock:
    """The entries of a lock file; a broken lock is exit 2 with the file and the problem."""
    try:
        table = tomlread.loads(data.decode('utf-8'))
    except ValueError as e:  # not UTF-8, or tomllib.TOMLDecodeError
        raise UsageError(f'{source}: not valid TOML ({e}); regenerate it with `adapter-guard lock`')
    if table.get('version') != VERSION:
        raise UsageError(f'{source}: version must be {VERSION}; regenerate it with `adapter-guard lock`')
    adapters = table.get('adapters', {})
    if not isinstance(adapters, dict) or set(table) - {'version', 'adapters'}:
        raise UsageError(f'{source}: expected only `version` and [adapters."<path>"] tables')
    entries = {}
    for path, entry in adapters.items():
        if not (isinstance(entry, dict) and isinstance(entry.get('base_model_name_or_path'), str)
                and isinstance(entry.get('revision', ''), str)
                and set(entry) <= {'base_model_name_or_path', 'revision'}):
            raise UsageError(f'{source}: [adapters.{json.dumps(path)}] needs a string base_model_name_or_path '
                             'and at most a string revision')
        entries[path] = Entry(entry['base_model_name_or_path'], entry.get('revision') or None)
    return Lock(entries, _header_lines(data))


def _header_lines(data: bytes) -> dict[str, int]:
    lines = {}
    for number, line in enumerate(data.decode('utf-8').splitlines(), 1):
        if line.startswith('[adapters.'):
            try:
                (path,) = tomlread.loads(line + '\n')['adapters']
            except ValueError:
                continue
            lines[path] = number
    return lines


def render(entries: dict[str, Entry]) -> str:
    out = [HEADER, f'version = {VERSION}']
    for path in sorted(entries):
        entry = entries[path]
        out += ['', f'[adapters.{json.dumps(path)}]', f'base_model_name_or_path = {json.dumps(entry.base)}']
        if entry.revision:
            out.append(f'revision = {json.dumps(entry.revision)}')
    return '\n'.join(out) + '\n'


def acknowledges(before: Lock | None, after: Lock | None, path: str, value: BaseModel) -> bool:
    """Did a commit's change of the lock set this path's entry to ``value``?"""
    if after is None or not after.matches(path, value):
        return False
    return before is None or before.entries.get(path) != after.entries.get(path)
