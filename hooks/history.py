"""The history stage: silent rewrites of the base model, judged from git.

Three ways in, chosen by the command from how it was run, all through the
one walker (``adapter_guard.walker``) and one judgment (``assess``):
- ``staged``: the content being checked, as a commit on top of its parents
  (HEAD, and MERGE_HEAD while merging; HEAD's parents while amending);
  a config whose content is identical to HEAD is left to ``all_files``;
- ``commit_range``: every commit of FROM..TO;
- ``all_files``: the whole history of each config, as the audit reads it.
Git is reached only through ``adapter_guard.gitrepo``.
"""
from __future__ import annotations

import collections
import os
import re
import types
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any
from typing import NamedTuple
from typing import Protocol

from adapter_guard import hookenv
from adapter_guard import lock
from adapter_guard import rewrites
from adapter_guard.checks.base_model import acceptable
from adapter_guard.checks.base_model import names_a_model
from adapter_guard.errors import PolicyError
from adapter_guard.errors import UsageError
from adapter_guard.findings import Finding
from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.gitlog import TRAILER
from adapter_guard.gitrepo import Blob
from adapter_guard.gitrepo import CONFIG_NAME
from adapter_guard.gitrepo import is_null
from adapter_guard.gitrepo import Oversized
from adapter_guard.gitrepo import Repo
from adapter_guard.jsonload import Document
from adapter_guard.lock import Lock
from adapter_guard.lock import LOCK_FILE
from adapter_guard.policy import Policy
from adapter_guard.rewrites import BaseModel
from adapter_guard.rewrites import show
from adapter_guard.rewrites import State
from adapter_guard.rewrites import Unreadable
from adapter_guard.sources import Content
from adapter_guard.walker import Known
from adapter_guard.walker import Step
from adapter_guard.walker import Walk

_DATE = re.compile(r'\d{4}-\d{2}-\d{2}([ T].*)?')


class Target(NamedTuple):
    """A config being checked, as the history stage needs it."""

    path: str                   # as given on the command line (findings use it)
    relpath: str                # relative to its repository's root
    content: Content | None     # what is being checked (disk, index, or the to-ref)
    document: Document | None   # parsed, to point at the key's line
    fixable: bool = False       # --fix may rewrite its text (readable, without AG001/AG002)
    refusal: str | None = None  # why --fix cannot write the file (read-only, a link...), if it cannot


class YesNo(Protocol):
    """A yes or no that may be worked out only when it is asked for (``bool(...)``)."""

    def __bool__(self) -> bool: ...


class Judge(NamedTuple):
    """What a judgment of history needs beyond the steps: the policy and how to word it."""

    policy: Policy
    root: str
    label: str = ''              # where the checked content is: 'staged', 'at <rev>', '' (working tree)
    trailer_ready: YesNo = False  # the commit-msg hook will run, so a trailer is a way to acknowledge
    # commit sha ('' for the content being checked) -> the lock before and after it, where it changed
    locks: Mapping[str, tuple[Lock | None, Lock | None]] = types.MappingProxyType({})


class Assessment(NamedTuple):
    findings: list[Finding]
    acknowledged: str | None  # 'trailer' or 'policy'
    repair: bool              # a value that failed the static checks became one that passes


def missing(target: Target, why: str) -> Finding:
    return Finding(target.path, 'AG303', f'history not checked: {why}', line=1, column=1)


# -- the judgment of one step ---------------------------------------------------

def assess(step: Step, target: Target, judge: Judge, trailers: tuple[str, ...]) -> Assessment:
    """Findings for an unacknowledged rewrite in one step of a config's history."""
    if step.kind == 'beyond-history':
        why = f'{step.path} is in commit {step.commit.sha[:12]}, whose parents this shallow clone does not have'
        return Assessment([missing(target, why + _SHALLOW_REMEDY)], None, False)
    if step.old is None or step.new is None:
        return Assessment([], None, False)
    rules = judge.policy.for_path(step.path)
    adapter = os.path.join(judge.root, step.path)

    new_ok = names_a_model(step.new.base, rules, adapter, judge.root)
    repair = acceptable(step.new.base, rules, adapter, judge.root) and \
        not names_a_model(step.old.base, rules, adapter, judge.root)
    findings, how = [], None
    for rewrite in rewrites.rewrites(step.old, step.new):
        if repair:
            continue  # a local path, null or invalid id replaced by an allowed Hub id
        how = _acknowledged(step, rewrite, judge, trailers) if new_ok else None
        if how is None:
            findings.append(_finding(step, target, judge, rewrite, trailers, new_ok))
    return Assessment(findings, how, repair)


def _acknowledged(step: Step, rewrite: rewrites.Rewrite, judge: Judge, trailers: tuple[str, ...]) -> str | None:
    """'trailer', 'policy' or 'lock': how an intended change was made explicit, if it was."""
    assert step.old is not None
    assert step.new is not None
    how = rewrites.acknowledged(step.path, rewrite, step.old, step.new, trailers, judge.policy.accepts)
    if (how is None and step.commit.sha in judge.locks
            and lock.acknowledges(*judge.locks[step.commit.sha], step.path, step.new)):
        how = 'lock'
    return how


_SHALLOW_REMEDY = '; fetch the full history (fetch-depth: 0), or set history-since to a commit sha in this clone'


def _finding(step: Step, target: Target, judge: Judge, rewrite: rewrites.Rewrite,
             trailers: tuple[str, ...], new_ok: bool) -> Finding:
    old, new = step.old, step.new
    assert old is not None
    assert new is not None
    line, column = target.document.locate((rewrite.key,), 'key') if target.document else (1, 1)
    message = rewrite.message
    if step.kind == 're-added':
        message = (f're-added with {rewrite.key} {show(getattr(new, _FIELD[rewrite.key]))}: '
                   f'before it was deleted it held {show(getattr(old, _FIELD[rewrite.key]))}')
    if step.skipped:
        message += f' (the versions in commit {", ".join(c[:12] for c in step.skipped)} could not be read)'
    commit = step.commit.sha or None
    message += f' (in commit {commit[:12]})' if commit else (f' ({judge.label})' if judge.label else ' (not committed)')
    wanted = _acknowledgement(rewrite, new)
    named = [t for t in trailers if t != wanted]
    if named:
        message += f'; the {TRAILER} trailer names {named[0]!r}, the file says {wanted!r}'
    return Finding(
        target.path, rewrite.code, message + '; ' + _remedy(step, target, judge, rewrite, new_ok, wanted),
        (rewrite.key,), 'key', line=line, column=column, commit=commit, previous=rewrite.previous,
        fixable=commit is None and target.fixable and _restorable(step, target, judge, rewrite),
    )


_FIELD = {'base_model_name_or_path': 'base', 'revision': 'revision'}


def _acknowledgement(rewrite: rewrites.Rewrite, new: BaseModel) -> str:
    """The value a trailer or [[accept]] `to` must name to acknowledge this rewrite."""
    base = new.base if isinstance(new.base, str) else ''
    if rewrite.code == 'AG302':
        return f'{base}@{new.revision if isinstance(new.revision, str) else ""}'
    return base


def _restorable(step: Step, target: Target, judge: Judge, rewrite: rewrites.Rewrite) -> bool:
    """--fix may put the old value back: it passes the static checks."""
    assert step.old is not None
    rules = judge.policy.for_path(step.path)
    return acceptable(step.old.base, rules, os.path.join(judge.root, step.path), judge.root)


def _remedy(step: Step, target: Target, judge: Judge, rewrite: rewrites.Rewrite, new_ok: bool, wanted: str) -> str:
    previous = show(rewrite.previous)
    restorable = _restorable(step, target, judge, rewrite)
    if step.commit.sha:
        remedy = f'set it back to {previous}' if restorable else 'set it to the Hub id of the base model'
    elif target.fixable and not target.refusal and restorable:
        remedy = f'{hookenv.fix_command()} restores {previous}'
    else:
        remedy = f'set it back to {previous}' if restorable else 'set it to the Hub id of the base model'
    if not new_ok:
        return remedy  # no acknowledgement makes a local path, null or an invalid id acceptable
    if not step.commit.sha and judge.trailer_ready:
        return remedy + f', or acknowledge the change with a `{TRAILER}: {wanted}` trailer'
    entry = f'path = "{step.path}"'
    if rewrite.code == 'AG301' and isinstance(step.old and step.old.base, str):
        entry += f', from = "{step.old.base}"' if step.old else ''
    return remedy + f', or acknowledge it with an [[accept]] entry in the policy ({entry}, to = "{wanted}")'


# -- reading history --------------------------------------------------------------

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
                wanted = [b for c in commit.changes for b in _blobs(c, new_adapters) if held.ask(b)]
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
    """Which blobs some path holds as history is walked; the state of a blob no path holds is let go.

    Memory then follows the number of configs, not the length of history.  A
    blob let go too early (a side branch that forked long ago) is read again
    when asked for (``States.__missing__``): slower, never wrong.
    """

    def __init__(self, values: dict[str, State]) -> None:
        self.values = values
        self.asked: set[str] = set()
        self.count: collections.Counter[str] = collections.Counter()
        self.current: dict[str, str] = {}  # path -> the blob it holds now

    def ask(self, blob: str) -> bool:
        """Is ``blob`` to be read (not read or asked for already)?"""
        if blob in self.asked:
            return False
        self.asked.add(blob)
        return True

    def settle(self, commit: Commit) -> None:
        for change in commit.changes:
            if change.old_path != change.path:
                self._release(self.current.pop(change.old_path, None))
            self._release(self.current.pop(change.path, None))
            if not is_null(change.new_blob):
                self.current[change.path] = change.new_blob
                self.count[change.new_blob] += 1

    def _release(self, blob: str | None) -> None:
        if blob is None:
            return
        self.count[blob] -= 1
        if self.count[blob] <= 0:
            del self.count[blob]
            self.values.pop(blob, None)
            self.asked.discard(blob)


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


def _seed(repo: Repo, revisions: list[str], paths: set[str]) -> dict[tuple[str, str], Known]:
    """What these paths held before a bounded walk starts: their whole earlier history."""
    if not paths:
        return {}
    steps, walker = walk(repo, revisions, paths=tuple(sorted(paths)), new_adapters=False)
    collections.deque(steps, maxlen=0)
    return walker.known


# -- staged: the content being committed -------------------------------------------

def staged(repo: Repo, targets: list[Target], judge: Judge, *, parents: list[str],
           trailers: tuple[str, ...] = ()) -> tuple[list[Finding], list[Target]]:
    """Judge each target as a commit on top of ``parents``; return the findings and the targets identical to them."""
    if not parents:
        return [], []  # the first commit: every file is new
    trees = [repo.tree_entries(parent, [t.relpath for t in targets]) for parent in parents]
    # a config the parent does not have may have moved: only then ask git for renames
    new = [t for t in targets if t.relpath not in trees[0]]
    renamed = repo.staged_renames(parents[0]) if new else {}
    olds = {t.relpath: renamed[t.relpath][0] if t.relpath in renamed else t.relpath for t in targets}
    sources = sorted({olds[t.relpath] for t in new if olds[t.relpath] != t.relpath})
    if sources:
        for tree, parent in zip(trees, parents):
            tree.update(repo.tree_entries(parent, sources))
    unchanged, changes, by_path = [], [], {}
    for target in targets:
        content = target.content
        if content is None:
            continue
        old = olds[target.relpath]
        entries = [tree.get(old) for tree in trees]
        if old == target.relpath and all(e is not None and (e.mode, e.blob) == (content.mode, content.blob)
                                         for e in entries):
            unchanged.append(target)
            continue
        status = 'R' if old != target.relpath else ('A' if entries[0] is None else 'M')
        null = '0' * 40
        changes.append(Change(
            status if len(parents) == 1 else 'M' * len(parents), target.relpath, old,
            tuple(e.blob if e else null for e in entries), content.blob or 'staged:' + target.relpath,
            renamed.get(target.relpath, ('', 100))[1], tuple(e.mode if e else '000000' for e in entries), content.mode,
        ))
        by_path[target.relpath] = target
    if not changes:
        return [], unchanged
    blobs = sorted({b for change in changes for b in change.old_blobs if not is_null(b)})
    values: dict[str, State] = dict(zip(blobs, repo.read(blobs, blob_state)))
    for change in changes:
        content = by_path[change.path].content
        raw = content.raw if content is not None else None  # never None: targets without content were skipped
        values[change.new_blob] = rewrites.state_of(raw) if isinstance(raw, bytes) else Unreadable('unreadable')
    findings: list[Finding] = []
    walker = Walk(values)
    needs = {c.old_path for c in changes if any(not isinstance(walker.state(b, m), BaseModel)
                                              for b, m in zip(c.old_blobs, c.old_modes))}
    if needs and repo.shallow:
        for change in changes:
            if change.old_path in needs:
                findings.append(missing(by_path[change.path],
                                        f'this shallow clone cannot tell what {change.old_path} held '
                                        f'before it was deleted or unreadable{_SHALLOW_REMEDY}'))
        changes = [c for c in changes if c.old_path not in needs]
    walker = Walk(values, known=_seed(repo, parents, needs) if needs and not repo.shallow else None)
    virtual = Commit('', tuple(parents), '', '', trailers, tuple(changes))
    for step in walker.commit(virtual):
        if step.path in by_path:
            findings += assess(step, by_path[step.path], judge, trailers).findings
    return findings, unchanged


# -- a commit range (pre-push, --from-ref/--to-ref) ---------------------------------

def commit_range(repo: Repo, from_ref: str, to_ref: str, targets: list[Target], judge: Judge, *,
                 not_on: str | None = None) -> list[Finding]:
    """Every commit of FROM..TO; a null FROM is a new branch: everything up to TO that
    ``not_on`` (a remote) does not have yet, or its whole history."""
    to_sha = repo.resolve(to_ref)
    if to_sha is None:
        return [missing(t, f'--to-ref {to_ref} is not a commit in this clone') for t in targets]
    if from_ref.strip('0'):
        from_sha = repo.resolve(from_ref)
        if from_sha is None:
            why = f'--from-ref {from_ref} is not in this clone' + (' (shallow clone)' if repo.shallow else '')
            return [missing(t, why) for t in targets]
        revisions, before = [f'{from_sha}..{to_sha}'], [from_sha]
    elif not_on is not None:
        revisions, before = [to_sha, '--not', f'--remotes={not_on}'], [f'--remotes={not_on}']
    else:
        revisions, before = [to_sha], []
    locks: dict[str, tuple[str, str]] = {}
    commits, values = read_history(repo, revisions, locks=locks)
    commits_list = list(commits)
    needs = _first_unreadable(commits_list, values) if before else set()
    findings: list[Finding] = []
    by_path = {t.relpath: t for t in targets}
    if needs and repo.shallow:
        findings += [missing(by_path[p], f'this shallow clone cannot tell what {p} held before this range'
                             + _SHALLOW_REMEDY) for p in sorted(needs) if p in by_path]
        commits_list = [c._replace(changes=tuple(ch for ch in c.changes if ch.old_path not in needs))
                        for c in commits_list]
    known = _seed(repo, before, needs) if needs and not repo.shallow else None
    walker = Walk(values, known=known, edge=repo.shallow_commits())
    return findings + _judge_lines(repo, walker, walker.steps(commits_list), by_path, judge, locks)


def _first_unreadable(commits: list[Commit], values: dict[str, State]) -> set[str]:
    """Paths whose first version in a range follows one that cannot be read here (absent or unreadable)."""
    seen, needs = set(), set()
    probe = Walk(values)
    for commit in commits:
        for change in commit.changes:
            if change.old_path in seen:
                continue
            seen.add(change.old_path)
            modes = change.old_modes or ('100644',) * len(change.old_blobs)
            if not all(isinstance(probe.state(b, m), BaseModel) for b, m in zip(change.old_blobs, modes)):
                needs.add(change.old_path)
    return needs


def _judge_lines(repo: Repo, walker: Walk, steps: Iterator[Step], by_path: dict[str, Target], judge: Judge,
                 locks: dict[str, tuple[str, str]]) -> list[Finding]:
    """Judge the steps of the adapters whose line ends at a target's path."""
    kept: dict[int, list[Step]] = collections.defaultdict(list)
    for step in steps:
        if step.kind == 'beyond-history' or (step.old is not None and step.new is not None and step.old != step.new):
            kept[step.line].append(step)
    judge = judge._replace(locks={**judge.locks, **read_locks(repo, locks)})
    findings = []
    for relpath, target in by_path.items():
        line = walker.lines.get(relpath)
        for step in kept.get(line, []) if line is not None else []:
            findings += assess(step, target, judge, step.commit.trailers).findings
    return findings


# -- all files: the whole history of each config ----------------------------------------

def bound(repo: Repo, policy: Policy, since: str | None = None) -> tuple[list[str], str | None, str | None]:
    """(revisions, --since date, why history is missing) for history-since / --since."""
    since = since if since is not None else policy.history_since
    incomplete = 'shallow clone' if repo.shallow else ('grafted history' if repo.grafted() else None)
    if since is None:
        return ['HEAD'], None, incomplete
    if _DATE.fullmatch(since):
        if incomplete == 'shallow clone':
            incomplete += ' (a history-since date cannot make it complete: commit dates can be anything)'
        return ['HEAD'], since, incomplete
    sha = repo.resolve(since)
    if sha is None:
        if incomplete:
            return ['HEAD'], None, f'{incomplete}: history-since {since} is not in it'
        raise PolicyError(policy.source, 'history-since',
                          f'{since!r} is not a commit or date (YYYY-MM-DD) in this repository')
    if incomplete and repo.is_ancestor(sha, 'HEAD'):
        incomplete = None  # every commit after history-since is here
    return [f'{sha}..HEAD'], None, incomplete


def all_files(repo: Repo, targets: list[Target], judge: Judge) -> list[Finding]:
    """Every change in the history of each target must be acknowledged.

    The history is judged for every config at HEAD at once and shared through
    the git directory, so pre-commit's parallel batches walk it once.
    """
    if not targets:
        return []
    revisions, since, incomplete = bound(repo, judge.policy)
    if incomplete:
        return [missing(t, incomplete + _SHALLOW_REMEDY) for t in targets]
    from adapter_guard import cache  # hashlib, tempfile: only a run with unchanged configs needs them

    entry = cache.key('history', repo.head, revisions, since, repr(judge.policy), judge.root)
    found = cache.shared(repo.common_dir, 'history', entry, lambda: _whole_history(repo, revisions, since, judge))
    out = []
    for target in targets:
        for record in found.get(target.relpath, ()):
            finding = Finding(target.path, **{**record, 'pointer': tuple(record['pointer'])})
            line, column = target.document.locate(finding.pointer, finding.at) if target.document else (1, 1)
            out.append(finding._replace(line=line, column=column))
    return out


def _whole_history(repo: Repo, revisions: list[str], since: str | None,
                   judge: Judge) -> dict[str, list[dict[str, Any]]]:
    """relpath -> its history findings (as JSON values, without path and position), for every config at HEAD."""
    locks: dict[str, tuple[str, str]] = {}
    steps, walker = walk(repo, revisions, since=since, locks=locks, new_adapters=False)
    everyone = {p: Target(p, p, None, None) for p in repo.tracked(rev='HEAD')}
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in _judge_lines(repo, walker, steps, everyone, judge, locks):
        record = finding._asdict()
        for name in ('path', 'line', 'column'):
            del record[name]
        found.setdefault(finding.path, []).append(record)
    return found
