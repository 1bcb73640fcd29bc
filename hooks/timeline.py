"""Each adapter config followed through history: adds, edits, renames, deletes.

A timeline is one adapter under all the paths it has had.  Renames come from
git (-M), but git also pairs an unrelated new adapter with a deleted one
(PEFT configs share most of their lines); ``same_adapter`` decides.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Iterator
from typing import NamedTuple

from adapter_guard import rewrites
from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.gitrepo import NULL_SHA
from adapter_guard.gitrepo import Repo
from adapter_guard.rewrites import BaseModel


RENAME_SIMILARITY = 85  # a re-save changing only the base model scores 88-95; an unrelated adapter about 77


class Event(NamedTuple):
    """One step of one config's history."""

    commit: Commit
    kind: str        # added, changed, renamed, deleted, merged
    path: str
    old_path: str
    old_blobs: tuple[str, ...]
    new_blob: str


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
            yield Change('D', change.old_path, change.old_path, change.old_blobs, NULL_SHA)
            yield Change('A', change.path, change.path, (NULL_SHA,), change.new_blob)
        else:
            yield change


class Timeline(NamedTuple):
    path: str            # the newest path of the config
    events: list[Event]  # oldest first


def old_value(parents: list[BaseModel | None], new: BaseModel | None) -> BaseModel | None:
    """The value before a commit; for a merge, none if any parent already had the new one."""
    present = [p for p in parents if p is not None]
    if not present or new in present:
        return None
    return present[0]


def whole_history(repo: Repo, revisions: list[str], since: str | None) -> tuple[list[Timeline], dict[str, BaseModel | None]]:
    """Every config's timeline and the base model of every blob in it, in one pass.

    The blobs are asked for while git log still streams, so reading them
    overlaps walking the history.
    """
    stream = repo.blob_stream()
    commits = []
    for commit in repo.log(revisions, since=since):
        commits.append(commit)
        stream.want(b for change in commit.changes for b in change.old_blobs + (change.new_blob,))
    contents = stream.contents()
    return timelines(commits), {sha: rewrites.extract(content) for sha, content in contents.items()}


def values(repo: Repo, blobs: Iterable[str]) -> dict[str, BaseModel | None]:
    shas = sorted(b for b in set(blobs) if b != NULL_SHA)
    return {sha: rewrites.extract(content) for sha, content in zip(shas, repo.read(shas))}


# -- whole history: audit and the all-files check -------------------------------


def timelines(commits: Iterable[Commit]) -> list[Timeline]:
    """Follow every config through adds, edits, renames and deletes (commits newest first)."""
    lines: list[list[Event]] = []
    names: dict[str, int] = {}  # path at this point of the walk -> timeline index
    for commit in commits:
        # first resolve every new path (pops), then map old paths (renames), so a
        # rename and an add of the same path in one commit cannot be confused
        resolved = []
        for change in split_weak_renames(commit.changes):
            index = names.pop(change.path, None)
            if index is None:
                index = len(lines)
                lines.append([])
            kind = _KINDS.get(change.status, 'merged')
            lines[index].append(Event(commit, kind, change.path, change.old_path, change.old_blobs, change.new_blob))
            resolved.append((change, index, kind))
        for change, index, kind in resolved:
            if kind != 'added':
                names[change.old_path] = index
    return [Timeline(events[0].path, events[::-1]) for events in lines]


_KINDS = {'A': 'added', 'M': 'changed', 'T': 'changed', 'D': 'deleted', 'R': 'renamed', 'C': 'added'}
