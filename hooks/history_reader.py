"""Reading history from git for the walker: commits oldest first, and the base model of every blob.

git log, git cat-file and the walk run at the same time, and memory stays
flat however long the history: git log runs at most ``_AHEAD`` commits ahead
of cat-file, only each blob's parsed base model is kept (never its bytes),
and a blob no config holds any more is let go.  Changes of the lock are
taken out of the commits and read afterwards, for the acknowledgements.
"""
from __future__ import annotations

import collections
from collections.abc import Iterable
from collections.abc import Iterator

from adapter_guard import lock
from adapter_guard import rewrites
from adapter_guard.errors import UsageError
from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.gitrepo import Blob
from adapter_guard.gitrepo import CONFIG_NAME
from adapter_guard.gitrepo import is_null
from adapter_guard.gitrepo import Oversized
from adapter_guard.gitrepo import Repo
from adapter_guard.lock import Lock
from adapter_guard.lock import LOCK_FILE
from adapter_guard.rewrites import State
from adapter_guard.rewrites import Unreadable
from adapter_guard.walker import Known
from adapter_guard.walker import Step
from adapter_guard.walker import Walk


def blob_state(blob: Blob) -> State:
    if isinstance(blob, Oversized):
        return Unreadable(f'{blob.size:,} bytes, larger than 1 MiB')
    return rewrites.state_of(blob)


_AHEAD = 1024  # commits read from git log ahead of their blobs, at most


class States(dict[str, State]):
    """Blob id -> state, read ahead while history streams; a blob not read ahead is read when asked for."""

    def __init__(self, repo: Repo) -> None:
        super().__init__()
        self._repo = repo

    def __missing__(self, blob: str) -> State:
        (state,) = self._repo.read([blob], blob_state)
        self[blob] = state
        return state


def read_history(repo: Repo, revisions: list[str], *, since: str | None = None, paths: tuple[str, ...] = (),
                 locks: dict[str, tuple[str, str]] | None = None,
                 new_adapters: bool = True) -> tuple[Iterator[Commit], dict[str, State]]:
    """Commits oldest first, and the state of every blob they hold, filled in as they stream.

    git log, git cat-file and the caller run at the same time: a commit is
    handed on as soon as its blobs have been read, and only each blob's
    parsed base model is kept, never its bytes.  Changes of the lock are
    taken out of the commits and put in ``locks`` (commit -> old and new blob).
    Without ``new_adapters`` the first version of a file (nothing to compare
    it with yet) is not read ahead.
    """
    values = States(repo)

    def commits() -> Iterator[Commit]:
        reader = repo.cat_file(blob_state)
        held = _Held(values)
        pending: collections.deque[tuple[Commit, int]] = collections.deque()
        try:
            for found in repo.log(revisions, since=since, paths=paths or None, oldest_first=True):
                commit = _configs_and_lock(found, locks)
                if commit is None:
                    continue
                wanted = held.want(commit, (b for c in commit.changes for b in _blobs(c, new_adapters)))
                # flushed in batches: one write per commit costs more than the reading it starts
                pending.append((commit, reader.ask(wanted, flush=len(pending) % 64 == 63) if wanted else reader.asked))
                if len(pending) > _AHEAD:  # cat-file is behind: wait, so memory stays flat under any load
                    reader.flush()
                    reader.wait(pending[0][1])
                done = reader.answered  # read first: every answer counted is in the queue
                while reader.answers:
                    name, state = reader.answers.popleft()
                    values[name] = state
                while pending and pending[0][1] <= done:
                    walked = pending.popleft()[0]
                    yield walked
                    held.settle(walked)  # the walker has taken it: what no path holds any more can go
        finally:
            values.update(reader.close())
        while pending:
            walked = pending.popleft()[0]
            yield walked
            held.settle(walked)

    return commits(), values


class _Held:
    """Which blobs the walk still needs; the state of one it needs no more is let go.

    A blob is needed while some path holds it (a later change starts from
    it) or a commit read ahead but not walked yet names it.  Memory then
    follows the number of configs, not the length of history.  A blob let go
    that a side branch forked long ago still names is read again when asked
    for (``States.__missing__``): slower, never wrong.
    """

    def __init__(self, values: dict[str, State]) -> None:
        self.values = values
        self.asked: set[str] = set()
        self.holders: collections.Counter[str] = collections.Counter()  # blob -> paths that hold it
        self.waiting: collections.Counter[str] = collections.Counter()  # blob -> commits read ahead that name it
        self.current: dict[str, str] = {}  # path -> the blob it holds now

    def want(self, commit: Commit, worth_reading: Iterable[str]) -> list[str]:
        """A commit read ahead: of the blobs worth reading ahead, those not read or asked for already."""
        for blob in _named(commit):
            self.waiting[blob] += 1
        fresh = []
        for blob in worth_reading:
            if blob not in self.asked:
                self.asked.add(blob)
                fresh.append(blob)
        return fresh

    def settle(self, commit: Commit) -> None:
        """A commit the walker has taken: what no path holds and no commit waits for can go."""
        done = _named(commit)
        for blob in done:
            self.waiting[blob] -= 1
        for change in commit.changes:
            if change.old_path != change.path:
                done.append(self._release(change.old_path))
            done.append(self._release(change.path))
            if not is_null(change.new_blob):
                self.current[change.path] = change.new_blob
                self.holders[change.new_blob] += 1
        for blob in done:
            if blob and self.holders[blob] <= 0 and self.waiting[blob] <= 0:
                self.holders.pop(blob, None)
                self.waiting.pop(blob, None)
                self.values.pop(blob, None)
                self.asked.discard(blob)

    def _release(self, path: str) -> str:
        blob = self.current.pop(path, '')
        if blob:
            self.holders[blob] -= 1
        return blob


def _named(commit: Commit) -> list[str]:
    return [b for c in commit.changes for b in (*c.old_blobs, c.new_blob) if not is_null(b)]


def _blobs(change: Change, new_adapters: bool) -> Iterator[str]:
    """The blobs of a change worth reading ahead."""
    yield from (b for b in change.old_blobs if not is_null(b))
    if not is_null(change.new_blob) and (new_adapters or not all(is_null(b) for b in change.old_blobs)):
        yield change.new_blob


def _configs_and_lock(commit: Commit, locks: dict[str, tuple[str, str]] | None) -> Commit | None:
    """The commit with only its adapter-config changes (None if it has none).

    Its change of the lock goes to ``locks``.
    """
    configs = []
    for change in commit.changes:
        if change.path == LOCK_FILE and locks is not None:
            locks[commit.sha] = (change.old_blobs[0] if len(change.old_blobs) == 1 else '', change.new_blob)
        config, was_config = is_config(change.path), is_config(change.old_path)
        if config and was_config:
            configs.append(change)
        elif config:  # moved here from a file that is no config: an addition
            configs.append(change._replace(status='A', old_path=change.path,
                                           old_blobs=('0' * 40,), old_modes=('000000',)))
        elif was_config:  # moved to a file that is no config: a deletion
            configs.append(change._replace(status='D', path=change.old_path, new_blob='0' * 40, new_mode='000000'))
    if not configs:
        return None
    return commit if len(configs) == len(commit.changes) else commit._replace(changes=tuple(configs))


def is_config(path: str) -> bool:
    return path == CONFIG_NAME or path.endswith('/' + CONFIG_NAME)


def read_locks(repo: Repo, blobs: dict[str, tuple[str, str]]) -> dict[str, tuple[Lock | None, Lock | None]]:
    """Each commit's lock before and after, parsed; a lock that cannot be read acknowledges nothing."""
    ids = sorted({b for pair in blobs.values() for b in pair if b and not is_null(b)})
    parsed = dict(zip(ids, repo.read(ids, lock_or_none)))
    return {sha: (parsed.get(old), parsed.get(new)) for sha, (old, new) in blobs.items()}


def lock_or_none(blob: Blob) -> Lock | None:
    if not isinstance(blob, bytes):
        return None
    try:
        return lock.parse(blob)
    except UsageError:
        return None


def walk(repo: Repo, revisions: list[str], *, since: str | None = None, paths: tuple[str, ...] = (),
         known: dict[tuple[str, str], Known] | None = None, locks: dict[str, tuple[str, str]] | None = None,
         new_adapters: bool = True) -> tuple[Iterator[Step], Walk]:
    """Every step of the history.

    Without ``new_adapters`` a new adapter's first step has no value (judging needs none).
    """
    commits, values = read_history(repo, revisions, since=since, paths=paths, locks=locks, new_adapters=new_adapters)
    walker = Walk(values, known=known, edge=repo.shallow_commits(), new_adapters=new_adapters)
    return walker.steps(commits), walker


def seed(repo: Repo, revisions: list[str], paths: set[str]) -> dict[tuple[str, str], Known]:
    """What these paths held before a bounded walk starts: their whole earlier history."""
    if not paths:
        return {}
    steps, walker = walk(repo, revisions, paths=tuple(sorted(paths)), new_adapters=False)
    collections.deque(steps, maxlen=0)
    return walker.known


