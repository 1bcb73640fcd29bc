"""What git says, as values: ``git log -z --raw`` and commit trailers.  Parsing only; gitrepo runs git.

There is one trailer parser, git's own: history reads ``%(trailers:only,unfold)``
of each commit and the commit-msg hook reads ``git interpret-trailers --parse``
of the message cleaned up as git will store it.  Both give "Key: value" lines,
which ``trailer_values`` reads.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from collections.abc import Iterator
from typing import NamedTuple

TRAILER = 'Base-Model-Change'
# One commit: \x01 sha, parents, author date, author, its trailers ("Key: value" lines).
FORMAT = '%x01%H%x00%P%x00%aI%x00%an%x00%(trailers:only,unfold)%x00'
_SHA = re.compile(r'[0-9a-f]{40}(?:[0-9a-f]{24})?')
# `git commit -v` and cleanup=scissors cut the message here
_SCISSORS = re.compile(r'^# -+ >8 -+$', re.MULTILINE)


class Change(NamedTuple):
    """One file changed by one commit (git log --raw)."""

    status: str          # A, M, D, R (rename), T (type change), or MM... for a merge
    path: str            # the path after the commit
    old_path: str        # the path before (differs for a rename)
    old_blobs: tuple[str, ...]  # one per parent; all zeros when absent
    new_blob: str        # all zeros when deleted
    similarity: int = 100  # git's rename score (R077 -> 77)
    old_modes: tuple[str, ...] = ()  # one per parent ('100644', '120000' for a symlink, ...)
    new_mode: str = '100644'


class Commit(NamedTuple):
    sha: str
    parents: tuple[str, ...]
    date: str            # ISO 8601, author date
    author: str
    trailers: tuple[str, ...]  # Base-Model-Change values
    changes: tuple[Change, ...]


def trailer_values(trailer_lines: str, key: str = TRAILER) -> tuple[str, ...]:
    """The values of ``key`` (case-insensitive, as git matches keys) in git's trailer output."""
    values = []
    for line in trailer_lines.splitlines():
        name, colon, value = line.partition(':')
        if colon and name.strip().lower() == key.lower() and value.strip():
            values.append(value.strip())
    return tuple(values)


def before_scissors(message: str) -> str:
    """The part of a commit message git keeps when it cuts at the scissors line."""
    match = _SCISSORS.search(message)
    return message[:match.start()] if match else message


def read_fields(stream: io.BufferedIOBase) -> Iterator[str]:
    """NUL-separated fields of a stream, as they arrive."""
    rest = b''
    while chunk := stream.read1(1 << 16):
        fields = (rest + chunk).split(b'\0')
        rest = fields.pop()
        for field in fields:
            yield field.decode('utf-8', 'surrogateescape')
    if rest:
        yield rest.decode('utf-8', 'surrogateescape')


def parse_log(tokens: Iterable[str]) -> Iterator[Commit]:
    """Commits from the fields of ``git log -z --raw --format=<FORMAT>``."""
    fields = iter(tokens)
    header: list[str] | None = None
    changes: list[Change] = []
    for token in fields:
        token = token.lstrip('\n')
        if token.startswith('\x01') and _SHA.fullmatch(token[1:]):
            if header is not None:
                yield _commit(header, changes)
            header = [token[1:]] + [next(fields, '') for _ in range(4)]
            changes = []
        elif token.startswith(':'):
            changes.append(_change(token, fields))
    if header is not None:
        yield _commit(header, changes)


def _change(token: str, fields: Iterator[str]) -> Change:
    """One raw entry: ':old-mode(s) new-mode old-id(s) new-id STATUS', then its path(s)."""
    parents = len(token) - len(token.lstrip(':'))
    values = token[parents:].split()
    status = values[-1]
    modes, blobs = values[:parents + 1], values[parents + 1:-1]
    if status[:1] in ('R', 'C') and parents == 1:
        old_path, path = next(fields, ''), next(fields, '')
    else:
        old_path = path = next(fields, '')
    score = int(status[1:]) if status[:1] in ('R', 'C') and status[1:].isdigit() else 100
    return Change(
        status[:1] if parents == 1 else status, path, old_path,
        tuple(blobs[:-1]), blobs[-1], score, tuple(modes[:-1]), modes[-1],
    )


def _commit(header: list[str], changes: list[Change]) -> Commit:
    sha, parents, date, author, trailers = (header + [''] * 5)[:5]
    return Commit(sha, tuple(parents.split()), date, author, trailer_values(trailers), tuple(changes))
