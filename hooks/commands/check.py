"""adapter-guard check [PATH ...]: static checks, then history, of each config.

What is judged follows from how the command was run:
- inside `git commit` (git sets GIT_INDEX_FILE for its hooks): the index
  being committed, compared with HEAD (and MERGE_HEAD while merging, HEAD's
  parents while amending), with the staged policy;
- PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF (pre-push, pre-commit run
  --from-ref) or --from-ref/--to-ref: every commit of the range, with the
  content and the policy of the to-ref;
- otherwise the working tree: a config that differs from HEAD is compared
  with HEAD, and one identical to HEAD has its whole history checked
  (pre-commit run --all-files, pre-commit.ci).
Each path is judged in the repository that holds it (a submodule is one of
its own); a path in no repository has no history to check (AG303).
"""
from __future__ import annotations

import argparse
import os
from typing import NamedTuple

from adapter_guard import discover
from adapter_guard import fix
from adapter_guard import gitrepo
from adapter_guard import hookenv
from adapter_guard.errors import UsageError
from adapter_guard.findings import exit_code
from adapter_guard.findings import Finding
from adapter_guard.judgment import Target
from adapter_guard.options import Options
from adapter_guard.report import write
from adapter_guard.repository_check import RepositoryCheck


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('paths', nargs='*', metavar='PATH', help='files, or directories to search (default: .)')
    parser.add_argument('--from-ref', metavar='REV', help='check the commits FROM..TO (default: $PRE_COMMIT_FROM_REF)')
    parser.add_argument('--to-ref', metavar='REV', help='the end of that range (default: $PRE_COMMIT_TO_REF)')
    parser.add_argument('--no-history', action='store_true', help='static checks only: no git history')
    parser.add_argument('--fix', action='store_true',
                        help='restore base_model_name_or_path and revision of changed configs (exit 1 if changed)')
    parser.add_argument('--online', action='store_true',
                        help='ask the Hugging Face Hub ($HF_ENDPOINT) about each base model '
                             'and fetch its config.json (AG7xx)')


class Result(NamedTuple):
    findings: list[Finding]
    targets: list[Target]


def run(options: Options, *, trailers: tuple[str, ...] | None = None) -> int:
    """Check, fix if asked, report, and return the exit code.

    ``trailers``: the Base-Model-Change values of the message being
    committed (the commit-msg hook); None at every other stage.
    """
    result = check(options, trailers)
    if options.fix:
        lines = fix.apply(result.findings, result.targets)
        for line in lines:
            print(line)
        if any(line.startswith('Fixing ') for line in lines):
            write(options, check(options, trailers).findings, len(result.targets))
            return 1
    write(options, result.findings, len(result.targets))
    return exit_code(result.findings)


def check(options: Options, trailers: tuple[str, ...] | None = None) -> Result:
    """Every finding for the configs the options name, each judged in its own repository."""
    ranged = _refs(options)
    if options.fix and ranged:
        raise UsageError('--fix works on the working tree, not on a commit range')
    paths = discover.expand(options.paths or ['.'])
    main = None if options.no_history else gitrepo.open_repo()
    groups: dict[str | None, dict[str, str]] = {}
    for path, (root, relpath) in zip(paths, discover.locate(paths, main.root if main else None)):
        groups.setdefault(root, {})[path] = relpath
    findings: list[Finding] = []
    targets: list[Target] = []
    for root, members in groups.items():
        if root is None:
            repo = None
        elif main is not None and root == main.root:
            repo = main
        else:
            repo = gitrepo.open_repo(root, nested=True)
        group = RepositoryCheck(options, repo, root or os.getcwd(), members, in_main=repo is main, ranged=ranged,
                       trailers=trailers)
        found, checked = group.check()
        findings += found
        targets += checked
    findings.sort(key=Finding.sort_key)
    return Result(findings, targets)


def _refs(options: Options) -> tuple[str, str] | None:
    if bool(options.from_ref) != bool(options.to_ref):
        raise UsageError('--from-ref and --to-ref go together')
    if options.from_ref and options.to_ref:
        return options.from_ref, options.to_ref
    return None if options.no_history else hookenv.refs()
