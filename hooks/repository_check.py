"""The configs of one repository (or of none), judged together.

Where the content comes from follows from how the tool was run: the index
inside ``git commit``, the to-ref of a range or of a push, the working tree
otherwise; the policy and the lock are read from the same place.  Then the
static checks of each config, the history stage that fits, and the lock's
stale entries.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

from adapter_guard import discover
from adapter_guard import gitrepo
from adapter_guard import history
from adapter_guard import history_reader
from adapter_guard import hookenv
from adapter_guard import judgment
from adapter_guard import lock
from adapter_guard import policy
from adapter_guard.checker import check_content
from adapter_guard.checker import finish
from adapter_guard.checker import Selection
from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.judgment import Judge
from adapter_guard.judgment import Target
from adapter_guard.options import Options
from adapter_guard.policy import Policy
from adapter_guard.rewrites import base_model_of
from adapter_guard.sources import GitSource
from adapter_guard.sources import Source

UNSAFE = frozenset(('AG001', 'AG002'))  # findings that make a file's text untrustworthy for --fix


class RepositoryCheck:
    """The configs of one repository (or of none), judged together."""

    def __init__(self, options: Options, repo: gitrepo.Repo | None, root: str, paths: dict[str, str], *,
                 in_main: bool, ranged: tuple[str, str] | None, trailers: tuple[str, ...] | None) -> None:
        self.options = options
        self.repo = repo
        self.root = root
        self.paths = paths  # path -> relative to root
        self.trailers = trailers
        # the range and the commit being made belong to the repository the tool runs in
        self.ranged = ranged if in_main and repo is not None else None
        self.push = hookenv.pushing() if in_main and repo is not None and not ranged else None
        self.committing = in_main and repo is not None and not self.ranged and not self.push and (
            hookenv.in_commit() or trailers is not None)
        self.source = self._source()
        self.trailer_ready = _Lazy(lambda: repo is not None and hookenv.commit_msg_will_run(repo))

    def _source(self) -> Source:
        if self.repo is None:
            return Source(self.root, None)
        if self.ranged:
            return GitSource(self.repo, self.ranged[1])
        if self.push:
            return GitSource(self.repo, self.push.local_ref)
        if self.committing:
            return GitSource(self.repo, None)
        return Source(self.root, self.repo)

    def check(self) -> tuple[list[Finding], list[Target]]:
        if isinstance(self.source, GitSource):  # one listing and one read for the configs, the policy and the lock
            self.source.fetch([*self.paths.values(), policy.POLICY_FILE, policy.PYPROJECT, lock.LOCK_FILE])
        team_policy = self._policy()
        self.lock = self._lock()
        selection = Selection(self.options.select, self.options.ignore)
        located = self._paths()
        paths, relpaths = list(located), list(located.values())
        findings: list[Finding] = []
        targets: list[Target] = []
        rules_of = {}
        for path, relpath, content in zip(paths, relpaths, self.source.contents(paths, relpaths)):
            if content is None:
                continue  # not in what is judged (not staged, not at the to-ref)
            rules = rules_of[path] = team_policy.for_path(relpath)
            if content.symlink:
                found = [Finding(path, 'AG005', _SYMLINK, line=1, column=1)]
                targets.append(Target(path, relpath, content, None))
            else:
                context = Context(self.root, relpath, rules, self.lock, self.options.online)
                loaded = check_content(path, content.raw, context)
                found = loaded.findings
                safe = loaded.document is not None and not {f.code for f in found} & UNSAFE
                targets.append(Target(path, relpath, content, loaded.document, safe))
            # the policy for this config also governs what was found beside it (README.md)
            findings += finish(found, rules, selection)
        for finding in self._history(team_policy, targets):
            findings += finish([finding], rules_of[finding.path], selection)
        if self.lock is not None and self.whole:
            findings += finish(self._stale(), team_policy.rules, selection)
        if self.committing and self.trailers is None and any(map(_staged_rewrite, findings)) and self.trailer_ready:
            findings = _defer(findings)  # the message, and its trailer, exist only at the commit-msg stage
        return findings, targets

    def _policy(self) -> Policy:
        """The policy at the same place as the content: staged, at the to-ref, or the working tree."""
        read: Callable[[str], bytes | None] | None = None
        if isinstance(self.source, GitSource):
            read = self.source.read
        found = policy.find(self.root, self.options.config, source=read, label=self.source.label)
        if self.committing and self.trailers is None:
            _note_unstaged_policy(self.source)
        return found

    def _lock(self) -> lock.Lock | None:
        data = self.source.read(lock.LOCK_FILE)
        return None if data is None else lock.parse(data, _named(lock.LOCK_FILE, self.source.label))

    def _paths(self) -> dict[str, str]:
        """The configs to check (path -> relative path); a policy or lock file at the root stands for every config."""
        configs, self.whole = {}, bool(self.push)
        for path, relpath in self.paths.items():
            if os.path.basename(path) in discover.ROOT_FILES:
                self.whole = self.whole or relpath in discover.ROOT_FILES
            else:
                configs[path] = relpath
        if self.whole:
            known = set(configs.values())
            configs.update((path, relpath) for path, relpath in self._every_config() if relpath not in known)
        return configs

    def _stale(self) -> list[Finding]:
        """AG306: lock entries whose config is gone."""
        assert self.lock is not None
        present = {relpath for _, relpath in self._every_config()}
        where = os.path.relpath(os.path.join(self.root, lock.LOCK_FILE))
        return [
            Finding(where, 'AG306', f'the entry for {path} has no adapter config: run `adapter-guard lock` to drop it',
                    line=self.lock.lines.get(path, 1), column=1)
            for path in sorted(self.lock.entries) if path not in present
        ]

    def _every_config(self) -> list[tuple[str, str]]:
        """(path, relative path) of every config of the repository, as the source holds them."""
        prefix = os.path.relpath(self.root)
        if isinstance(self.source, GitSource):
            found = self.source.git.tracked(rev=self.source.rev)
        elif self.repo is not None:
            found = self.repo.working_configs()
        else:
            found = [os.path.relpath(p, prefix).replace(os.sep, '/')
                     for p in discover.search(prefix, (discover.CONFIG_NAME,))]
        return [(os.path.normpath(os.path.join(prefix, p)), p) for p in found]

    def _history(self, team_policy: Policy, targets: list[Target]) -> list[Finding]:
        if self.options.no_history or not targets:
            return []
        if self.repo is None:
            return [judgment.missing(t, 'not in a git repository (use --no-history for loose files)') for t in targets]
        repo = self.repo
        judge = Judge(team_policy, self.root, self.source.label, self.trailer_ready)
        if self.ranged:
            findings = history.commit_range(repo, *self.ranged, targets, judge)
        elif self.push:
            findings = history.commit_range(repo, gitrepo.NULL_SHA, self.push.local_ref, targets, judge,
                                            not_on=self.push.remote)
        else:
            parents = self._parents()
            if parents and self.lock is not None:  # the lock's change since the parent acknowledges a change
                (before,) = repo.read([f'{parents[0]}:{lock.LOCK_FILE}'], history_reader.lock_or_none)
                judge = judge._replace(locks={'': (before, self.lock)})
            findings, unchanged = history.staged(repo, targets, judge, parents=parents, trailers=self.trailers or ())
            findings += history.all_files(repo, unchanged, judge)
        return [f for f in findings if not (f.code == 'AG303' and f.path in self._locked(targets))]

    def _locked(self, targets: list[Target]) -> set[str]:
        """Configs that match their lock entry: trusted without history."""
        if self.lock is None:
            return set()
        return {t.path for t in targets if t.document is not None
                and self.lock.matches(t.relpath, base_model_of(t.document.data))}

    def _parents(self) -> list[str]:
        """What the content is compared with: the parents of the commit being made, else HEAD."""
        repo = self.repo
        assert repo is not None
        if self.committing:
            return hookenv.commit_parents(repo)
        return [repo.head] if repo.head else []


class _Lazy:
    """A yes/no worked out once, and only if something asks."""

    def __init__(self, compute: Callable[[], bool]) -> None:
        self._compute = compute
        self._value: bool | None = None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = self._compute()
        return self._value


_SYMLINK = ('adapter_config.json is a symbolic link: PEFT never writes one, and a link hides the content '
            'from review and from history; commit the file itself')


def _named(name: str, label: str) -> str:
    return f'{name} ({label})' if label else name


def _note_unstaged_policy(source: Source) -> None:
    """Inside a commit, a policy on disk that differs from the staged one is not used: say so."""
    for name in (policy.POLICY_FILE, policy.PYPROJECT):
        path = os.path.join(source.root, name)
        try:
            with open(path, 'rb') as f:
                disk = f.read()
        except OSError:
            continue
        if name == policy.PYPROJECT and b'adapter-guard' not in disk:
            continue
        if disk != source.read(name):
            print(f'adapter-guard: note: {name} differs from the staged version (or is not staged); '
                  'this commit is judged by the staged policy', file=sys.stderr)


def _defer(findings: list[Finding]) -> list[Finding]:
    """Leave a staged rewrite to adapter-guard-commit-msg, unless the file fails anyway.

    The rewrite stays in the report as a note that says where it is judged, so
    this stage never calls it "no problems".  When the commit is rejected here
    for another reason, the rewrite stays an error, so the whole story is told
    at once.
    """
    blocked = {f.path for f in findings if f.severity == 'error' and not _staged_rewrite(f)}
    return [f._replace(severity='note', message=f'{f.message}; judged with its trailer at the commit-msg stage')
            if _staged_rewrite(f) and f.path not in blocked else f for f in findings]


def _staged_rewrite(finding: Finding) -> bool:
    return finding.code in ('AG301', 'AG302') and finding.commit is None
