"""adapter-guard init: a starter policy that makes an existing repository start green.

The allow list holds the Hub ids the adapters use now, and every past change
of a base model found in history becomes an [[accept]] entry (a baseline, in
the spirit of a secrets scanner's), each with the commit it came from, so a
reviewer can read what was accepted.  An existing policy is never
overwritten without --force.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from adapter_guard import gitrepo
from adapter_guard import history
from adapter_guard import policy
from adapter_guard import rewrites
from adapter_guard.errors import UsageError
from adapter_guard.fix import write_atomically
from adapter_guard.checks.base_model import names_a_model
from adapter_guard.commands import lock as lock_command
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.localpath import local_path_reason
from adapter_guard.options import Options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--force', action='store_true', help='overwrite an existing policy file')
    parser.add_argument('--output', metavar='FILE', help=f'where to write (default: {policy.POLICY_FILE} at the repository root)')
    parser.add_argument('--lock', action='store_true', dest='with_lock',
                        help='also write adapter-guard.lock (see `adapter-guard lock`)')


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def starter_policy(repo: gitrepo.Repo) -> tuple[str, int, int, list[str]]:
    """(text, allowed ids, accepted changes, configs whose base model is not a Hub id)."""
    tracked = repo.tracked()
    current = dict(zip(tracked, repo.read([f':{p}' for p in tracked], history.blob_state)))
    allow = sorted({
        v.base for v in current.values()
        if isinstance(v, rewrites.BaseModel) and isinstance(v.base, str) and is_valid_repo_id(v.base) and local_path_reason(v.base, (repo.root,)) is None
    })
    not_hub = sorted(p for p, v in current.items() if not (isinstance(v, rewrites.BaseModel) and v.base in allow))

    accepts, unacceptable = [], []
    if repo.head is not None:
        steps, _ = history.walk(repo, ['HEAD'])
        judge = history.Judge(policy.DEFAULT, repo.root)
        for step in steps:
            old, new = step.old, step.new
            if old is None or new is None or not rewrites.rewrites(old, new):
                continue
            target = history.Target(step.path, step.path, None, None)
            if not history.assess(step, target, judge, step.commit.trailers).findings:
                continue  # acknowledged by its trailer, or a repair
            if not names_a_model(new.base, judge.policy.for_path(step.path), os.path.join(repo.root, step.path), repo.root):
                unacceptable.append(step)  # no [[accept]] can make a local path or null acceptable
                continue
            base = new.base if isinstance(new.base, str) else ''  # '' stands for no base model
            to = base if old.revision == new.revision or old.base != new.base else (
                f'{base}@{new.revision if isinstance(new.revision, str) else ""}')
            accepts.append((step, old, to))

    out = [
        '# adapter-guard policy, written by `adapter-guard init`.',
        '# Reference: https://github.com/adapter-guard/adapter-guard#policy',
        '',
        '# Base models the adapters of this repository use today.',
        'allow = [' + ''.join(f'\n    {_toml(v)},' for v in allow) + ('\n]' if allow else ']'),
        'allow-local-paths = false',
    ]
    if not_hub:
        out += ['', '# These configs do not name an allowed Hub id yet (`adapter-guard check` says why):']
        out += [f'#   {p}' for p in not_hub]
    if unacceptable:
        out += ['', '# The history holds changes to values no acknowledgement can accept (a local path, null,',
                '# an invalid id); history before this commit is trusted as it is:']
        out += [f'#   {s.commit.sha[:12]} {s.commit.date[:10]} {s.path}: {rewrites.show(s.new.base if s.new else None)}'
                for s in unacceptable]
        out.append(f'history-since = {_toml(repo.head or "")}')
    for step, old, to in accepts:
        commit = step.commit
        out += [
            '',
            f'# {commit.sha[:12]} {commit.date[:10]} {commit.author}',
            '[[accept]]',
            f'path = {_toml(step.path)}',
        ]
        if isinstance(old.base, str):
            out.append(f'from = {_toml(old.base)}')
        out += [f'to = {_toml(to)}', f'reason = {_toml("accepted by adapter-guard init: it predates the policy")}']
    return '\n'.join(out) + '\n', len(allow), len(accepts), not_hub


def run(args: Options) -> int:
    repo = gitrepo.open_repo()
    if repo is None:
        raise UsageError('adapter-guard init runs inside a git repository')
    target = args.output or os.path.join(repo.root, policy.POLICY_FILE)
    if os.path.exists(target) and not args.force:
        raise UsageError(f'{target} exists; use --force to overwrite it')
    text, allowed, accepted, not_hub = starter_policy(repo)
    policy.from_table(policy.parse_toml(text, target), target)  # what we write must load
    if os.path.exists(target):
        write_atomically(target, text.encode('utf-8'))
    else:
        with open(target, 'x', encoding='utf-8') as f:
            f.write(text)
    print(f'wrote {target}: {allowed} allowed base model(s), {accepted} accepted past change(s)')
    if not_hub:
        print(f'{len(not_hub)} config(s) do not name an allowed Hub id yet: run `adapter-guard check` to see why',
              file=sys.stderr)
    if args.with_lock:
        return lock_command.write(repo)
    return 0
