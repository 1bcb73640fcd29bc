"""The history stage: silent rewrites of the base model, judged from git.

Three ways in, chosen by the command from how it was run, all through the
one walker (``adapter_guard.walker``, fed by ``adapter_guard.history_reader``)
and one judgment (``adapter_guard.judgment``):
- ``staged``: the content being checked, as a commit on top of its parents
  (HEAD, and MERGE_HEAD while merging; HEAD's parents while amending);
  a config whose content is identical to HEAD is left to ``all_files``;
- ``commit_range``: every commit of FROM..TO;
- ``all_files``: the whole history of each config, as the audit reads it.
Git is reached only through ``adapter_guard.gitrepo``.
"""
from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from typing import Any

from adapter_guard import rewrites
from adapter_guard.errors import PolicyError
from adapter_guard.findings import Finding
from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.gitrepo import is_null
from adapter_guard.gitrepo import Repo
from adapter_guard.history_reader import blob_state
from adapter_guard.history_reader import read_history
from adapter_guard.history_reader import read_locks
from adapter_guard.history_reader import seed
from adapter_guard.history_reader import walk
from adapter_guard.judgment import assess
from adapter_guard.judgment import Judge
from adapter_guard.judgment import missing
from adapter_guard.judgment import SHALLOW_REMEDY
from adapter_guard.judgment import Target
from adapter_guard.policy import Policy
from adapter_guard.rewrites import BaseModel
from adapter_guard.rewrites import State
from adapter_guard.rewrites import Unreadable
from adapter_guard.walker import Known
from adapter_guard.walker import split_weak_renames
from adapter_guard.walker import Step
from adapter_guard.walker import Walk

_DATE = re.compile(r'\d{4}-\d{2}-\d{2}([ T].*)?')



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
    virtual = Commit('', tuple(parents), '', '', trailers, tuple(changes))
    findings, (virtual,), known = _before_the_changes(repo, [virtual], values, by_path, parents,
                                                      'it was deleted or unreadable')
    walker = Walk(values, known=known)
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
    by_path = {t.relpath: t for t in targets}
    findings, kept, known = _before_the_changes(repo, list(commits), values, by_path, before, 'this range')
    walker = Walk(values, known=known, edge=repo.shallow_commits())
    return findings + _judge_lines(repo, walker, walker.steps(kept), by_path, judge, locks)


def _before_the_changes(
        repo: Repo, commits: list[Commit], values: dict[str, State], by_path: dict[str, Target], before: list[str],
        when: str) -> tuple[list[Finding], list[Commit], dict[tuple[str, str], Known] | None]:
    """What each path held before its first change, where ``values`` cannot tell (absent or unreadable).

    It is read from the history of ``before`` (the parents, or the start of a
    range).  A shallow clone that does not hold that history gets AG303 on the
    config each such path has become, moved or not, and those changes are left
    out: (findings, the commits to walk, what the paths held).  The changes are
    those the walker walks: a rename git pairs but the walker splits is a new
    adapter, with nothing before it.
    """
    commits = [c._replace(changes=tuple(split_weak_renames(c.changes))) for c in commits]
    needs = _first_unreadable(commits, values) if before else set()
    if not needs:
        return [], commits, None
    if not repo.shallow:
        return [], commits, seed(repo, before, needs)
    findings = [missing(by_path[now], f'this shallow clone cannot tell what {then} held before {when}{SHALLOW_REMEDY}')
                for now, then in sorted(_where_they_went(commits, needs).items()) if now in by_path]
    kept = [c._replace(changes=tuple(ch for ch in c.changes if ch.old_path not in needs)) for c in commits]
    return findings, kept, None


def _first_unreadable(commits: list[Commit], values: dict[str, State]) -> set[str]:
    """Paths whose first version among these commits follows one that cannot be read here (absent or unreadable)."""
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


def _where_they_went(commits: list[Commit], paths: set[str]) -> dict[str, str]:
    """Where the config of each of ``paths`` is after these commits, following moves: {path now: path then}."""
    now: dict[str, str] = {}
    for commit in commits:
        for change in commit.changes:
            if change.old_path in now and change.path != change.old_path:
                now[change.path] = now.pop(change.old_path)
            elif change.old_path in paths and change.old_path not in now.values():
                now[change.path] = change.old_path
    return now


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
        return [missing(t, incomplete + SHALLOW_REMEDY) for t in targets]
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
