"""The one history walker: every change of every adapter config as a step, oldest first.

Pure: it reads commits (``gitlog.Commit``) and the base model of each blob,
never git.  Three rules give an adapter its identity over time:

- An unreadable version (a symbolic link, invalid JSON, an LFS pointer, a
  JSON list, a submodule) carries the last readable base model forward; the
  next readable version is compared with that, and the step names the
  commits that could not be read.
- A path keeps its history across a delete, and across a move away: a
  config added again at that path is compared with what it held before.
- A rename is one adapter moving only when git's pairing is believable
  (``same_adapter``); otherwise it is a deletion and an addition.

Every comparison is with the version in the commit's own parents (git's raw
diff gives one old blob per parent), so branches never mix; the carried
values are kept per (path, blob) for the blobs that cannot be read.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import NamedTuple

from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.rewrites import BaseModel
from adapter_guard.rewrites import State
from adapter_guard.rewrites import Unreadable

RENAME_SIMILARITY = 85  # a re-save changing only the base model scores 88-95; an unrelated adapter about 77
GONE = ''  # the "blob" of a path that does not exist


def is_null(sha: str) -> bool:
    return not sha.strip('0')


class Known(NamedTuple):
    """What a path held before a state that cannot be read."""

    values: tuple[BaseModel, ...]  # the last readable base model(s); several after a merge
    skipped: tuple[str, ...]       # commits since then whose version could not be read

    def join(self, other: Known) -> Known:
        """Both parents' knowledge (a merge): every value either held."""
        values = self.values + tuple(v for v in other.values if v not in self.values)
        return Known(values, self.skipped + tuple(c for c in other.skipped if c not in self.skipped))


NOTHING = Known((), ())


class Step(NamedTuple):
    """One change of one adapter config."""

    commit: Commit
    kind: str  # added, changed, renamed, re-added, merged, deleted, unreadable, beyond-history
    path: str
    old_path: str
    old: BaseModel | None  # the last readable base model before; None for a new adapter
    new: BaseModel | None  # None when deleted or unreadable
    skipped: tuple[str, ...] = ()  # commits in between whose version could not be read
    line: int = 0   # which adapter: its identity through renames and re-adds
    why: str = ''   # why the new version cannot be read


def same_adapter(old_path: str, new_path: str, similarity: int) -> bool:
    """Is a rename git detected really one adapter moving?

    PEFT configs share most of their lines, so git pairs the deletion of one
    adapter with the addition of an unrelated one as a rename.  A move keeps
    the adapter's folder name or nearly all of the file.
    """
    folder = os.path.basename(os.path.dirname(old_path)) == os.path.basename(os.path.dirname(new_path))
    return similarity >= RENAME_SIMILARITY or folder


def split_weak_renames(changes: Iterable[Change]) -> Iterator[Change]:
    """A rename that is not one adapter moving becomes a deletion and an addition."""
    for change in changes:
        if change.status == 'R' and not same_adapter(change.old_path, change.path, change.similarity):
            null = '0' * len(change.new_blob)
            yield Change('D', change.old_path, change.old_path, change.old_blobs, null, 100, change.old_modes, '000000')
            yield Change('A', change.path, change.path, (null,), change.new_blob, 100, ('000000',), change.new_mode)
        else:
            yield change


class Walk:
    """Walk commits oldest first (parents before children), one step per changed config.

    ``values`` maps a blob id to the state of that content; ``known`` seeds
    what paths held before the first commit walked (a bounded walk);
    ``edge`` are commits whose parents are not in the clone (shallow).
    """

    def __init__(self, values: Mapping[str, State], *, known: Mapping[tuple[str, str], Known] | None = None,
                 edge: frozenset[str] = frozenset(), new_adapters: bool = True) -> None:
        self.values = values
        # False: a brand-new adapter's first version is not looked at (nothing to compare it with);
        # its step says new=None, and the version is read later only if a change starts from it
        self.new_adapters = new_adapters
        self.known: dict[tuple[str, str], Known] = dict(known or {})
        self.edge = edge
        self.lines: dict[str, int] = {}  # current path -> adapter line
        self._next_line = 0

    def steps(self, commits: Iterable[Commit]) -> Iterator[Step]:
        for commit in commits:
            yield from self.commit(commit)

    def state(self, blob: str, mode: str) -> State | None:
        """The state of one side of a change; None when the path does not exist."""
        if is_null(blob):
            return None
        if mode == '120000':
            return Unreadable('a symbolic link')
        if mode == '160000':
            return Unreadable('a submodule')
        try:
            return self.values[blob]  # a mapping may read a blob it was not given in advance
        except KeyError:
            return Unreadable('not in this clone')

    def before(self, path: str, blob: str, mode: str) -> Known:
        """What ``path`` held as of one parent's version (blob)."""
        state = self.state(blob, mode)
        if isinstance(state, BaseModel):
            return Known((state,), ())
        return self.known.get((path, GONE if state is None else blob), NOTHING)

    def commit(self, commit: Commit) -> list[Step]:
        steps = []
        for change in split_weak_renames(commit.changes):
            if commit.sha in self.edge:
                steps.append(self._beyond(commit, change))
                continue
            modes = change.old_modes or ('100644',) * len(change.old_blobs)
            known = NOTHING
            for blob, mode in zip(change.old_blobs, modes):
                known = known.join(self.before(change.old_path, blob, mode))
            steps.append(self._step(commit, change, known))
            if change.status == 'R':  # the old path is empty now; it remembers what it held
                self.known[(change.old_path, GONE)] = known
        return steps

    def _step(self, commit: Commit, change: Change, known: Known) -> Step:
        if not known.values and not self.new_adapters and not is_null(change.new_blob):
            return Step(commit, 'added', change.path, change.old_path, None, None, (), self._line(change))
        new = self.state(change.new_blob, change.new_mode)
        line = self._line(change)
        old = known.values[0] if known.values else None
        if new is None or isinstance(new, Unreadable):
            skipped = known.skipped + ((commit.sha,) if new is not None else ())
            self.known[(change.path, GONE if new is None else change.new_blob)] = Known(known.values, skipped)
            kind = 'deleted' if new is None else 'unreadable'
            return Step(commit, kind, change.path, change.old_path, old, None, known.skipped, line,
                        new.why if new is not None else '')
        if new in known.values:
            old = new  # this parent's value, or one a merged branch already had
        return Step(commit, self._kind(change, known), change.path, change.old_path, old, new, known.skipped, line)

    @staticmethod
    def _kind(change: Change, known: Known) -> str:
        if not known.values:
            return 'added'
        if len(change.old_blobs) > 1:
            return 'merged'
        if change.status == 'R':
            return 'renamed'
        return 're-added' if change.status in ('A', 'C') else 'changed'

    def _line(self, change: Change) -> int:
        line = self.lines.pop(change.old_path, None) if change.status == 'R' else self.lines.get(change.path)
        if line is None:
            line = self._next_line
            self._next_line += 1
        self.lines[change.path] = line
        return line

    def _beyond(self, commit: Commit, change: Change) -> Step:
        """A commit at the edge of a shallow clone: what came before it is not here."""
        new = self.state(change.new_blob, change.new_mode)
        value = new if isinstance(new, BaseModel) else None
        if new is not None and not isinstance(new, BaseModel):
            self.known[(change.path, change.new_blob)] = NOTHING
        return Step(commit, 'beyond-history', change.path, change.old_path, None, value, (), self._line(change))
