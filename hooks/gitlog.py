"""What ``git log -z --raw`` says, as values: parsing only, git is run by gitrepo."""
from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from typing import IO
from typing import NamedTuple

TRAILER = 'Base-Model-Change'
# One commit: \x01 sha, parents, author date, author, Base-Model-Change trailers.
FORMAT = '%x01%H%x00%P%x00%aI%x00%an%x00%(trailers:key=' + TRAILER + ',valueonly,separator=%x1f)%x00'
_SHA = re.compile(r'[0-9a-f]{40}')


class Change(NamedTuple):
    """One adapter config changed by one commit (git log --raw)."""

    status: str          # A, M, D, R (rename), T (type change), or MM... for a merge
    path: str            # the path after the commit
    old_path: str        # the path before (differs for a rename)
    old_blobs: tuple[str, ...]  # one per parent; NULL_SHA when absent
    new_blob: str        # NULL_SHA when deleted
    similarity: int = 100  # git's rename score (R077 -> 77)


class Commit(NamedTuple):
    sha: str
    parents: tuple[str, ...]
    date: str            # ISO 8601, author date
    author: str
    trailers: tuple[str, ...]  # Base-Model-Change values
    changes: tuple[Change, ...]


def read_fields(stream: IO[bytes]) -> Iterator[str]:
    """NUL-separated fields of a stream, as they arrive."""
    rest = b''
    while chunk := stream.read1(1 << 16):  # type: ignore[attr-defined]
        fields = (rest + chunk).split(b'\0')
        rest = fields.pop()
        for field in fields:
            yield field.decode('utf-8', 'surrogateescape')
    if rest:
        yield rest.decode('utf-8', 'surrogateescape')


def parse_log(tokens: Iterable[str]) -> Iterator[Commit]:
    """Commits from the fields of ``git log -z --raw --format=<_HEADER>``."""
    fields = iter(tokens)
    header: list[str] | None = None
    changes: list[Change] = []
    for token in fields:
        token = token.lstrip('\n')
        if token.startswith('\x01') and _SHA.fullmatch(token[1:41]):
            if header is not None:
                yield _commit(header, changes)
            header = [token[1:]] + [next(fields, '') for _ in range(4)]
            changes = []
        elif token.startswith(':'):
            parents = len(token) - len(token.lstrip(':'))
            values = token[parents:].split()
            status = values[-1]
            blobs = values[parents + 1:-1]
            if status[:1] in ('R', 'C') and parents == 1:
                old_path, path = next(fields, ''), next(fields, '')
            else:
                old_path = path = next(fields, '')
            score = int(status[1:]) if status[:1] in ('R', 'C') and status[1:].isdigit() else 100
            changes.append(Change(status[:1] if parents == 1 else status, path, old_path,
                                  tuple(blobs[:-1]), blobs[-1], score))
    if header is not None:
        yield _commit(header, changes)


def _commit(header: list[str], changes: list[Change]) -> Commit:
    sha, parents, date, author, trailers = (header + [''] * 5)[:5]
    return Commit(
        sha, tuple(parents.split()), date, author,
        tuple(t.strip() for t in trailers.split('\x1f') if t.strip()),
        tuple(changes),
    )
