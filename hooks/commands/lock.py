"""adapter-guard lock [--update PATH ...]: write adapter-guard.lock, the base model of every adapter.

Without a lock, a new one lists every adapter config of the working tree
(tracked, or untracked and not ignored).  With one, new configs are added
and entries whose config is gone are dropped, but an entry is never changed
unless its config is named with --update: that is how an intended change
of a base model is made, and it shows in the lock's diff, next to the config.
"""
from __future__ import annotations

import argparse
import os
import sys

from adapter_guard import discover
from adapter_guard import gitrepo
from adapter_guard import history_reader
from adapter_guard import lock
from adapter_guard.errors import UsageError
from adapter_guard.fix import write_atomically
from adapter_guard.lock import Entry
from adapter_guard.options import Options
from adapter_guard.rewrites import BaseModel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--update', nargs='+', metavar='PATH', default=(),
                        help='take the current base model of these configs into the lock (an intended change)')
    parser.add_argument('--dry-run', action='store_true', help='print the lock instead of writing it')


def current(repo: gitrepo.Repo) -> tuple[dict[str, Entry], list[str]]:
    """The working tree's configs: their entries, and the paths whose base model cannot be read."""
    paths = repo.working_configs()
    entries, unreadable = {}, []
    for path in paths:
        full = os.path.join(repo.root, path)
        state = history_reader.blob_state(_read(full)) if not os.path.islink(full) else None
        if isinstance(state, BaseModel):
            entries[path] = Entry.of(state)
        elif os.path.lexists(full):
            unreadable.append(path)
    return entries, unreadable


def _read(path: str) -> bytes | None:
    try:
        with open(path, 'rb') as f:
            return f.read(1 << 20)
    except OSError:
        return None  # a dangling link, or unreadable: the caller says so


def run(options: Options) -> int:
    repo = gitrepo.open_repo()
    if repo is None:
        raise UsageError('adapter-guard lock runs inside a git repository')
    return write(repo, options.update, dry_run=options.dry_run)


def write(repo: gitrepo.Repo, update: tuple[str, ...] = (), *, dry_run: bool = False) -> int:
    """Write (or print) the lock; one line says what was written, stderr what was left alone."""
    target = os.path.join(repo.root, lock.LOCK_FILE)
    found, unreadable = current(repo)
    before = _read(target) if os.path.lexists(target) else None
    existing = lock.parse(before, target) if before is not None else None
    updates = [discover.relative_to(p, repo.root) for p in update]
    for path in updates:
        if path not in found:
            raise UsageError(f'--update {path}: not an adapter config with a readable base model here')
    entries, kept = _merge(existing.entries if existing else None, found, updates)
    text = lock.render(entries)
    if dry_run:
        sys.stdout.write(text)
        return 0
    if existing is None:
        _create(target, text)
    elif text.encode('utf-8') != before:
        write_atomically(target, text.encode('utf-8'))
    name = os.path.relpath(target)
    print(f'wrote {name}: {len(entries)} adapter(s)' + (f', {len(updates)} updated' if updates else ''))
    for path in unreadable:
        print(f'{path}: not locked (its base model cannot be read: `adapter-guard check` says why)', file=sys.stderr)
    for path in kept:
        assert existing is not None
        print(f'{path}: its base model differs from the lock, which keeps {existing.entries[path].show()}; '
              f'`adapter-guard lock --update {path}` if the change is meant', file=sys.stderr)
    return 0


def _merge(existing: dict[str, Entry] | None, found: dict[str, Entry],
           updates: list[str]) -> tuple[dict[str, Entry], list[str]]:
    """The new entries, and the paths whose entry differs from the config but was kept."""
    if existing is None:
        return dict(found), []
    entries = {path: existing.get(path, entry) for path, entry in found.items()}  # new configs in, gone ones out
    for path in updates:
        entries[path] = found[path]
    kept = sorted(p for p in entries if entries[p] != found[p])
    return entries, kept


def _create(path: str, text: str) -> None:
    with open(path, 'x', encoding='utf-8') as f:
        f.write(text)
