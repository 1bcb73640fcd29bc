"""The history stage: silent rewrites of the base model, from git.

Three ways in, chosen by the command from how it was run:
- ``staged``: a config whose content differs from HEAD is compared with HEAD
  (through a rename, if the index has one); one identical to HEAD gets its
  history checked instead (``pre-commit run --all-files``, pre-commit.ci);
- ``commit_range``: every commit of FROM..TO that changed a listed config;
- ``all_files``: the whole history of each config (``adapter_guard.timeline``),
  as the audit reads it too.
Git is reached only through ``adapter_guard.gitrepo``.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from adapter_guard import rewrites
from adapter_guard import timeline
from adapter_guard.errors import PolicyError
from adapter_guard.findings import Finding
from adapter_guard.gitlog import Commit
from adapter_guard.gitrepo import NULL_SHA
from adapter_guard.gitrepo import Repo
from adapter_guard.gitlog import TRAILER
from adapter_guard.jsonload import Document
from adapter_guard.policy import Policy
from adapter_guard.rewrites import BaseModel

_DATE = re.compile(r'\d{4}-\d{2}-\d{2}([ T].*)?')
class Target(NamedTuple):
    """A config being checked, as the history stage needs it."""

    path: str                   # as given on the command line (findings use it)
    relpath: str                # relative to the repository root
    content: bytes | None       # what is being checked (disk, or the to-ref)
    document: Document | None   # parsed, to point at the key's line


def missing(target: Target, why: str) -> Finding:
    return Finding(target.path, 'AG303', f'history not checked: {why}', line=1, column=1)


def _finding(target: Target, rewrite: rewrites.Rewrite, new: BaseModel, commit: str | None) -> Finding:
    line, column = target.document.locate((rewrite.key,), 'key') if target.document else (1, 1)
    where = f'in commit {commit[:12]}' if commit else 'staged'
    previous = rewrites.show(rewrite.previous)
    remedy = f'`adapter-guard --fix` restores {previous}' if commit is None else f'set it back to {previous}'
    if isinstance(new.base, str) and new.base and rewrites.local_path_reason(new.base) is None:
        remedy += f', or acknowledge the change with a `{TRAILER}: {new.base}` trailer or an [[accept]] policy entry'
    return Finding(
        target.path, rewrite.code, f'{rewrite.message} ({where}); {remedy}',
        line=line, column=column, commit=commit, previous=rewrite.previous, fixable=commit is None,
    )


def judge(
        target: Target, relpath: str, old: BaseModel | None, new: BaseModel | None, *,
        commit: Commit | None, policy: Policy, trailers: tuple[str, ...] = (),
) -> list[Finding]:
    """Findings for the unacknowledged rewrites between two versions."""
    if old is None or new is None:
        return []  # added, deleted or unparseable: nothing to compare
    out = []
    for rewrite in rewrites.rewrites(old, new):
        messages = commit.trailers if commit else trailers
        if rewrites.acknowledged(relpath, rewrite, old, new, messages, policy.accepts) is None:
            out.append(_finding(target, rewrite, new, commit.sha if commit else None))
    return out


# -- staged (and files identical to HEAD) -------------------------------------

def staged(
        repo: Repo, targets: list[Target], policy: Policy, *, trailers: tuple[str, ...] = (), index: bool = False,
) -> tuple[list[Finding], list[Target]]:
    """Compare each target with HEAD; return the findings and the targets identical to HEAD.

    ``index``: the targets hold staged content (commit-msg), not the working tree's.
    """
    if repo.head is None:
        return [], []  # the first commit: every file is new
    renames = {new: old for new, (old, score) in repo.staged_renames().items() if timeline.same_adapter(old, new, score)}
    changed = repo.changed_since_head(index=index)  # one cheap diff instead of reading every HEAD blob
    unchanged = [t for t in targets if t.relpath not in changed and t.relpath not in renames]
    differing = [t for t in targets if t.relpath in changed or t.relpath in renames]
    heads = repo.read([f'HEAD:{renames.get(t.relpath, t.relpath)}' for t in differing])
    findings: list[Finding] = []
    for target, head in zip(differing, heads):
        if head is None:
            continue  # new in this commit
        findings += judge(
            target, target.relpath, rewrites.extract(head), rewrites.extract(target.content),
            commit=None, policy=policy, trailers=trailers,
        )
    return findings, unchanged


# -- a commit range (pre-push, --from-ref/--to-ref) ---------------------------

def commit_range(repo: Repo, from_ref: str, to_ref: str, targets: list[Target], policy: Policy) -> list[Finding]:
    to_sha = repo.resolve(to_ref)
    if to_sha is None:
        return [missing(t, f'--to-ref {to_ref} is not a commit in this clone') for t in targets]
    if from_ref.strip('0'):
        from_sha = repo.resolve(from_ref)
        if from_sha is None:
            why = f'--from-ref {from_ref} is not in this clone' + (' (shallow clone)' if repo.shallow else '')
            return [missing(t, why) for t in targets]
        revisions = [f'{from_sha}..{to_sha}']
    else:  # a new branch: everything up to to-ref
        revisions = [to_sha]
    by_path = {t.relpath: t for t in targets}
    commits = list(repo.log(revisions))
    return _changes(repo, commits, by_path, policy)


def _changes(repo: Repo, commits: list[Commit], by_path: dict[str, Target], policy: Policy) -> list[Finding]:
    wanted = [
        (c, ch) for c in commits for ch in timeline.split_weak_renames(c.changes)
        if ch.path in by_path and ch.new_blob != NULL_SHA
    ]
    blobs = timeline.values(repo, {b for _, ch in wanted for b in ch.old_blobs + (ch.new_blob,)})
    findings = []
    for commit, change in wanted:
        new = blobs.get(change.new_blob)
        old = timeline.old_value([blobs.get(b) for b in change.old_blobs], new)
        findings += judge(by_path[change.path], change.path, old, new, commit=commit, policy=policy)
    return findings


def bound(repo: Repo, policy: Policy, since: str | None = None) -> tuple[list[str], str | None, str | None]:
    """(revisions, --since date, why history is missing) for history-since / --since."""
    since = since if since is not None else policy.history_since
    incomplete = 'shallow clone' if repo.shallow else ('grafted history' if repo.grafted() else None)
    if since is None:
        return ['HEAD'], None, incomplete
    if _DATE.fullmatch(since):
        return ['HEAD'], since, incomplete
    sha = repo.resolve(since)
    if sha is None:
        if incomplete:
            return ['HEAD'], None, f'{incomplete}: history-since {since} is not in it'
        raise PolicyError(policy.source, 'history-since', f'{since!r} is not a commit or date (YYYY-MM-DD) in this repository')
    if incomplete and repo.is_ancestor(sha, 'HEAD'):
        incomplete = None  # every commit after history-since is here
    return [f'{sha}..HEAD'], None, incomplete


def all_files(repo: Repo, targets: list[Target], policy: Policy) -> list[Finding]:
    """Every change in the history of each target must be acknowledged."""
    if not targets:
        return []
    revisions, since, incomplete = bound(repo, policy)
    if incomplete:
        return [missing(t, f'{incomplete}; fetch the full history (fetch-depth: 0) or set history-since') for t in targets]
    by_path = {t.relpath: t for t in targets}
    lines = [
        line for line in timeline.timelines(repo.log(revisions, since=since))
        if line.path in by_path and line.events[-1].kind != 'deleted'  # not an earlier file of that name
    ]
    events = [e for line in lines for e in line.events if e.kind not in ('added', 'deleted')]
    blobs = timeline.values(repo, {b for e in events for b in e.old_blobs + (e.new_blob,)})
    findings = []
    for line in lines:
        target = by_path[line.path]
        for event in line.events:
            if event.kind in ('added', 'deleted'):
                continue
            new = blobs.get(event.new_blob)
            old = timeline.old_value([blobs.get(b) for b in event.old_blobs], new)
            findings += judge(target, event.path, old, new, commit=event.commit, policy=policy)
    return findings
