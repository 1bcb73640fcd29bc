"""Where the content being judged comes from: the working tree, the index, or a commit.

Inside ``git commit`` (git sets GIT_INDEX_FILE for its hooks) the content is
the index being committed, whatever the disk holds; a commit range is judged
as of its to-ref; everything else reads the working tree.  The policy and the
lock travel with the content they judge, so they are read from the same
source (``read``).  Identity with a commit is decided by content: each
version carries git's object id of its bytes, never stat data.
"""
from __future__ import annotations

import os
import stat
from typing import NamedTuple

from adapter_guard import jsonload
from adapter_guard.errors import UsageError
from adapter_guard.gitrepo import Blob
from adapter_guard.gitrepo import Entry
from adapter_guard.gitrepo import Oversized
from adapter_guard.gitrepo import Repo
from adapter_guard.gitrepo import SYMLINK

REGULAR = '100644'


class Content(NamedTuple):
    """One file as the source holds it."""

    relpath: str
    mode: str                      # git's mode: 100644, 100755, 120000 (a symbolic link)
    blob: str                      # git's object id of the bytes ('' outside git)
    raw: bytes | jsonload.Loaded   # the bytes, or why they cannot be read (AG004)

    @property
    def symlink(self) -> bool:
        return self.mode == SYMLINK


class Source:
    """The working tree: the modes that do not commit (check PATH, --all-files, pre-commit.ci)."""

    label = ''  # how a finding says where the content was: '' for the working tree

    def __init__(self, root: str, repo: Repo | None) -> None:
        self.root = root
        self.repo = repo

    def contents(self, paths: list[str], relpaths: list[str]) -> list[Content | None]:
        """Each file's content; None when the source does not have it."""
        return [self._file(path, relpath) for path, relpath in zip(paths, relpaths)]

    def _file(self, path: str, relpath: str) -> Content | None:
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):  # never followed: AG005 says so
            try:
                target = os.fsencode(os.readlink(path))
            except OSError:
                target = b''
            return Content(relpath, SYMLINK, self._blob_id(target), target)
        raw = jsonload.read_file(path)
        mode = '100755' if info.st_mode & 0o111 else REGULAR
        return Content(relpath, mode, self._blob_id(raw) if isinstance(raw, bytes) else '', raw)

    def _blob_id(self, data: bytes) -> str:
        return self.repo.blob_id(data) if self.repo is not None else ''

    def read(self, relpath: str) -> bytes | None:
        """A small file of the repository (the policy, the lock), as this source holds it."""
        path = os.path.join(self.root, relpath)
        if os.path.islink(path) and not os.path.exists(path):
            raise FileNotFoundError(path)  # a dangling link must not look like no file at all
        try:
            with open(path, 'rb') as f:
                return f.read(jsonload.MAX_BYTES + 1)
        except FileNotFoundError:
            return None


class GitSource(Source):
    """The index being committed (``rev`` None) or a commit: what git holds, not the disk."""

    def __init__(self, repo: Repo, rev: str | None) -> None:
        super().__init__(repo.root, repo)
        self.rev = rev
        self.label = 'staged' if rev is None else f'at {rev[:12]}'
        self.git: Repo = repo
        self._files: dict[str, tuple[Entry, Blob] | None] = {}

    def fetch(self, relpaths: list[str]) -> None:
        """Read these files ahead, all in one listing and one cat-file."""
        missing = [p for p in dict.fromkeys(relpaths) if p not in self._files]
        if not missing:
            return
        if self.rev is None:
            entries = self.git.index_entries(missing)
        else:
            entries = self.git.tree_entries(self.rev, missing)
        blobs = dict(zip(entries, self.git.read_blobs([entry.blob for entry in entries.values()])))
        for relpath in missing:
            self._files[relpath] = (entries[relpath], blobs[relpath]) if relpath in entries else None

    def contents(self, paths: list[str], relpaths: list[str]) -> list[Content | None]:
        self.fetch(relpaths)
        out: list[Content | None] = []
        for path, relpath in zip(paths, relpaths):
            found = self._files[relpath]
            if found is None:
                out.append(None)
            else:
                entry, blob = found
                out.append(Content(relpath, entry.mode, entry.blob, _loaded(path, blob)))
        return out

    def read(self, relpath: str) -> bytes | None:
        self.fetch([relpath])
        found = self._files[relpath]
        if found is None:
            return None
        blob = found[1]
        if isinstance(blob, Oversized):
            raise UsageError(f'{relpath} ({self.label}) is {blob.size:,} bytes, larger than 1 MiB')
        return blob


def _loaded(path: str, blob: Blob) -> bytes | jsonload.Loaded:
    if isinstance(blob, Oversized):
        return jsonload.unreadable(path, f'file is {blob.size:,} bytes, larger than the 1 MiB limit for a config')
    if blob is None:
        return jsonload.unreadable(path, 'not a file in git (a submodule?)')
    return blob
