"""adapter-guard check [PATH ...]: static checks, then history, of each config.

How history is checked follows from how the command was run:
- PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF (pre-push, pre-commit run --from-ref)
  or --from-ref/--to-ref: every commit of the range, content read at the to-ref;
- otherwise a config whose content differs from HEAD is compared with HEAD
  (git commit), and one identical to HEAD has its history checked
  (pre-commit run --all-files, pre-commit.ci).
"""
from __future__ import annotations

import argparse
import os
import sys

from adapter_guard import discover
from adapter_guard import fix
from adapter_guard import gitrepo
from adapter_guard import history
from adapter_guard import jsonload
from adapter_guard import policy
from adapter_guard.checker import check_content
from adapter_guard.checker import finish
from adapter_guard.checker import Selection
from adapter_guard.checks import Context
from adapter_guard.errors import UsageError
from adapter_guard.findings import exit_code
from adapter_guard.findings import Finding
from adapter_guard.history import Target
from adapter_guard.report import REPORTERS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('paths', nargs='*', metavar='PATH', help='files, or directories to search (default: .)')
    parser.add_argument('--from-ref', metavar='REV', help='check the commits FROM..TO (default: $PRE_COMMIT_FROM_REF)')
    parser.add_argument('--to-ref', metavar='REV', help='(default: $PRE_COMMIT_TO_REF)')
    parser.add_argument('--no-history', action='store_true', help='static checks only: no git history')
    parser.add_argument('--fix', action='store_true',
                        help='restore base_model_name_or_path and revision of staged configs to HEAD (exit 1 if changed)')
    parser.add_argument('--online', action='store_true',
                        help='ask the Hugging Face Hub ($HF_ENDPOINT) about each base model and fetch its config.json (AG7xx)')


def refs(args: argparse.Namespace) -> tuple[str, str] | None:
    if bool(args.from_ref) != bool(args.to_ref):
        raise UsageError('--from-ref and --to-ref go together')
    if args.from_ref:
        return args.from_ref, args.to_ref
    from_ref, to_ref = os.environ.get('PRE_COMMIT_FROM_REF'), os.environ.get('PRE_COMMIT_TO_REF')
    return (from_ref, to_ref) if from_ref and to_ref else None


def run(args: argparse.Namespace, *, trailers: tuple[str, ...] | None = None, from_index: bool = False) -> int:
    """Check, report, and return the exit code.

    ``trailers`` (commit-msg) are the Base-Model-Change values of the message
    being committed; ``from_index`` reads the staged content instead of the disk.
    """
    paths = discover.expand(args.paths or ['.']) if not from_index else args.paths
    repo = None if args.no_history else gitrepo.open_repo()
    root = repo.root if repo is not None else discover.find_root()
    team_policy = policy.find(root, args.config)
    selection = Selection(args.select, args.ignore)
    commit_range = refs(args) if repo is not None else None
    if args.fix and commit_range:
        raise UsageError('--fix works on staged changes, not on a commit range')

    at = ':' if from_index else (commit_range[1] if commit_range else None)
    relpaths = [discover.relative_to(p, root) for p in paths]
    contents = _contents(paths, relpaths, repo, at)
    targets: list[Target] = []
    findings: list[Finding] = []
    rules_of = {}
    for path, relpath, raw in zip(paths, relpaths, contents):
        rules_of[path] = team_policy.for_path(relpath)
        loaded = check_content(path, raw, Context(root, relpath, rules_of[path], getattr(args, 'online', False)))
        # the policy for this config also governs what was found beside it (README.md)
        findings += finish(loaded.findings, rules_of[path], selection)
        content = raw if isinstance(raw, bytes) else None
        targets.append(Target(path, relpath, content, loaded.document))

    history_findings, deferred = _history(args, repo, targets, team_policy, commit_range, trailers, from_index)
    for finding in history_findings:
        findings += finish([finding], rules_of[finding.path], selection)
    if deferred:
        findings = _defer(findings)
    findings.sort(key=Finding.sort_key)
    if args.fix:
        changed = fix.apply(findings, targets)
        if changed:
            for line in changed:
                print(line)
            # report what is left after the fix: run again on the new contents
            run(argparse.Namespace(**{**vars(args), 'fix': False}), trailers=trailers)
            return 1
    REPORTERS[args.format](findings, len(paths), sys.stdout)
    return exit_code(findings)


def _contents(
        paths: list[str], relpaths: list[str], repo: gitrepo.Repo | None, at: str | None,
) -> list[bytes | jsonload.Loaded]:
    """Each config's bytes: from the disk, or at a revision (':' is the index)."""
    if repo is None or at is None:
        return [jsonload.read_file(p) for p in paths]
    # A range is checked as of its to-ref, which need not be checked out.
    prefix = ':' if at == ':' else at + ':'
    blobs = repo.read([prefix + relpath for relpath in relpaths])
    return [blob if blob is not None else jsonload.read_file(p) for p, blob in zip(paths, blobs)]


def _history(
        args: argparse.Namespace, repo: gitrepo.Repo | None, targets: list[Target],
        team_policy: policy.Policy, commit_range: tuple[str, str] | None, trailers: tuple[str, ...] | None,
        from_index: bool,
) -> tuple[list[Finding], bool]:
    """History findings, and whether staged rewrites are left to the commit-msg hook."""
    if args.no_history or not targets:
        return [], False
    if repo is None:
        return [history.missing(t, 'not in a git repository (use --no-history for loose files)') for t in targets], False
    if commit_range is not None:
        return history.commit_range(repo, *commit_range, targets, team_policy), False
    findings, unchanged = history.staged(repo, targets, team_policy, trailers=trailers or (), index=from_index)
    # Inside `git commit` with the commit-msg hook installed, the message (and its
    # Base-Model-Change trailer) exists only at that later stage.
    deferred = trailers is None and 'GIT_INDEX_FILE' in os.environ and repo.commit_msg_hook_installed()
    return findings + history.all_files(repo, unchanged, team_policy), deferred


def _defer(findings: list[Finding]) -> list[Finding]:
    """Leave a staged rewrite to adapter-guard-commit-msg, unless the file fails anyway.

    When the commit is rejected here for another reason, the rewrite is shown
    too, so the whole story is told at once.
    """
    blocked = {f.path for f in findings if f.severity == 'error' and not _staged_rewrite(f)}
    return [f for f in findings if not _staged_rewrite(f) or f.path in blocked]


def _staged_rewrite(finding: Finding) -> bool:
    return finding.code in ('AG301', 'AG302') and finding.commit is None
