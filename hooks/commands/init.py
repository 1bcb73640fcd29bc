"""adapter-guard init: a starter policy that makes an existing repository start green.

The allow list holds the Hub ids the adapters use now, and every past change
of a base model found in history becomes an [[accept]] entry (a baseline, in
the spirit of a secrets scanner's), each with the commit it came from, so a
reviewer can read what was accepted.  An existing policy is never
overwritten without --force, and then the reason written by hand for an
[[accept]] entry is kept.  With --output pyproject.toml the policy goes into
[tool.adapter-guard] and every other table stays as it was.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any
from typing import NamedTuple

from adapter_guard import gitrepo
from adapter_guard import history_reader
from adapter_guard import judgment
from adapter_guard import policy
from adapter_guard import rewrites
from adapter_guard.checks.base_model import is_hub_model
from adapter_guard.checks.base_model import names_a_model
from adapter_guard.commands import lock as lock_command
from adapter_guard.errors import PolicyError
from adapter_guard.errors import UsageError
from adapter_guard.fix import write_atomically
from adapter_guard.fix import WriteError
from adapter_guard.options import Options

AUTO_REASON = 'accepted by adapter-guard init: it predates the policy'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--force', action='store_true',
                        help='replace an existing policy (hand-written reasons are kept)')
    parser.add_argument('--output', metavar='FILE',
                        help=f'where to write (default: {policy.POLICY_FILE} at the repository root; '
                             'pyproject.toml: into its [tool.adapter-guard] table)')
    parser.add_argument('--dry-run', action='store_true', help='print the policy instead of writing it')
    parser.add_argument('--lock', action='store_true', dest='with_lock',
                        help='also write adapter-guard.lock (see adapter-guard lock --help)')


# -- collecting: what the repository holds ----------------------------------------

class Accepted(NamedTuple):
    """A past change of a base model, to become an [[accept]] entry."""

    path: str
    from_: str | None
    to: str
    commit: str  # the sha
    date: str
    author: str


class Starter(NamedTuple):
    allow: list[str]        # the Hub ids the adapters use now
    not_hub: list[str]      # configs whose base model is not an allowed Hub id
    accepts: list[Accepted]
    unacceptable: list[Accepted]  # past changes to a value no acknowledgement can accept
    head: str | None


def collect(repo: gitrepo.Repo) -> Starter:
    tracked = repo.tracked()
    current = dict(zip(tracked, repo.read([f':{p}' for p in tracked], history_reader.blob_state)))
    allow = sorted({
        v.base for v in current.values()
        if isinstance(v, rewrites.BaseModel) and isinstance(v.base, str) and is_hub_model(v.base, (repo.root,))
    })
    not_hub = sorted(p for p, v in current.items() if not (isinstance(v, rewrites.BaseModel) and v.base in allow))
    accepts, unacceptable = past_changes(repo)
    return Starter(allow, not_hub, accepts, unacceptable, repo.head)


def past_changes(repo: gitrepo.Repo) -> tuple[list[Accepted], list[Accepted]]:
    """Every change of a base model in the history that nothing acknowledges yet (the baseline to accept).

    A change its own trailer acknowledges, and a repair, need no entry.  A
    change to a local path, null or an invalid id cannot be accepted: it is
    returned second, and history-since stands for it.
    """
    accepts: list[Accepted] = []
    unacceptable: list[Accepted] = []
    if repo.head is None:
        return accepts, unacceptable
    steps, _ = history_reader.walk(repo, ['HEAD'])
    judge = judgment.Judge(policy.DEFAULT, repo.root)
    for step in steps:
        old, new = step.old, step.new
        if old is None or new is None or not rewrites.rewrites(old, new):
            continue
        target = judgment.Target(step.path, step.path, None, None)
        if not judgment.assess(step, target, judge, step.commit.trailers).findings:
            continue
        base = new.base if isinstance(new.base, str) else ''  # '' stands for no base model
        to = base if old.revision == new.revision or old.base != new.base else (
            f'{base}@{new.revision if isinstance(new.revision, str) else ""}')
        commit = step.commit
        accepted = Accepted(step.path, old.base if isinstance(old.base, str) else None, to,
                            commit.sha, commit.date, commit.author)
        if names_a_model(new.base, judge.policy.for_path(step.path), os.path.join(repo.root, step.path), repo.root):
            accepts.append(accepted)
        else:
            unacceptable.append(accepted)
    return accepts, unacceptable


# -- rendering: the policy text ---------------------------------------------------

def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def render(starter: Starter, reasons: dict[tuple[str, str | None, str], str]) -> str:
    """The policy as the text of a .adapter-guard.toml; ``reasons`` keeps hand-written ones."""
    out = [
        '# adapter-guard policy, written by `adapter-guard init`.',
        '# Reference: https://github.com/adapter-guard/adapter-guard#policy',
        '',
    ]
    if starter.allow:
        out += [
            '# Base models the adapters of this repository use today.',
            'allow = [' + ''.join(f'\n    {_toml(v)},' for v in starter.allow) + '\n]',
        ]
    else:  # allow = [] would block every Hub id
        out += [
            '# No adapter names a Hub id yet, so there is no allow list and any valid Hub id is allowed.',
            '# Name the base models the team uses, for example: allow = ["meta-llama/*"]',
        ]
    out.append('allow-local-paths = false')
    if starter.not_hub:
        out += ['', '# These configs do not name an allowed Hub id yet (`adapter-guard check` says why):']
        out += [f'#   {p}' for p in starter.not_hub]
    if starter.unacceptable:
        out += ['', '# The history holds changes to values no acknowledgement can accept (a local path, null,',
                '# an invalid id); the history before this commit is trusted as it is:']
        out += [f'#   {a.commit[:12]} {a.date[:10]} {a.path}: {_toml(a.to) if a.to else "null"}'
                for a in starter.unacceptable]
        out.append(f'history-since = {_toml(starter.head or "")}')
    for accepted in starter.accepts:
        out += [
            '',
            '[[accept]]',
            f'# {accepted.commit[:12]} {accepted.date[:10]} {accepted.author}',
            f'path = {_toml(accepted.path)}',
        ]
        if accepted.from_ is not None:
            out.append(f'from = {_toml(accepted.from_)}')
        reason = reasons.get((accepted.path, accepted.from_, accepted.to), AUTO_REASON)
        out += [f'to = {_toml(accepted.to)}', f'reason = {_toml(reason)}']
    return '\n'.join(out) + '\n'


def into_pyproject(pyproject: str, text: str) -> str:
    """``pyproject`` with its [tool.adapter-guard] table set to the policy ``text``; the rest kept."""
    import tomlkit  # only init needs a format-preserving TOML writer
    from tomlkit.items import Comment
    from tomlkit.items import Whitespace

    document = tomlkit.parse(pyproject)
    table = tomlkit.table()
    for key, item in tomlkit.parse(text).body:
        if key is None:
            assert isinstance(item, (Comment, Whitespace))  # the only items without a key
            table.add(item)  # comments and blank lines
        else:
            table.add(key, item)
    tool = document.get('tool')
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document['tool'] = tool
    tool['adapter-guard'] = table
    return tomlkit.dumps(document)


def _hand_written_reasons(existing: dict[str, Any] | None) -> dict[tuple[str, str | None, str], str]:
    """(path, from, to) -> reason of the existing [[accept]] entries whose reason a person wrote."""
    reasons = {}
    for entry in (existing or {}).get('accept', ()):
        if not isinstance(entry, dict) or entry.get('reason') in (None, AUTO_REASON):
            continue
        reasons[(str(entry.get('path')), entry.get('from'), str(entry.get('to')))] = str(entry['reason'])
    return reasons


# -- the command ------------------------------------------------------------------

def run(args: Options) -> int:
    repo = gitrepo.open_repo()
    if repo is None:
        raise UsageError('adapter-guard init runs inside a git repository')
    target = os.path.abspath(args.output or os.path.join(repo.root, policy.POLICY_FILE))
    shown = _shown(target, repo.root)
    pyproject = os.path.basename(target) == policy.PYPROJECT
    original = policy.read(target) if os.path.lexists(target) else None
    existing = _existing_table(target, original, pyproject)
    if existing is not None and not args.force:
        raise UsageError(f'{shown} already has a policy; use --force to replace it (hand-written reasons are kept)')
    _refuse_a_second_policy(repo.root, target)

    starter = collect(repo)
    text = render(starter, _hand_written_reasons(existing))
    if pyproject:
        text = into_pyproject(original.decode('utf-8') if original is not None else '', text)
    _must_load(target, text, pyproject, original)
    if args.dry_run:
        sys.stdout.write(text)
        print(f'(dry run: {shown} not written)', file=sys.stderr)
        return 0
    try:
        write_atomically(target, text.encode('utf-8'))
    except WriteError as e:
        raise UsageError(f'{shown}: not written ({e})')
    print(f'wrote {shown}: {len(starter.allow)} allowed base model(s), {len(starter.accepts)} accepted past change(s)')
    if starter.not_hub:
        print(f'{len(starter.not_hub)} config(s) do not name an allowed Hub id yet: '
              'run `adapter-guard check` to see why', file=sys.stderr)
    if args.with_lock:
        return lock_command.write(repo)
    return 0


def _shown(target: str, root: str) -> str:
    """The path relative to the repository root (as given when it is outside)."""
    relative = os.path.relpath(target, root)
    return target if relative.startswith(os.pardir) else relative.replace(os.sep, '/')


def _existing_table(target: str, original: bytes | None, pyproject: bool) -> dict[str, Any] | None:
    """The policy already at ``target`` as a table (None when there is none)."""
    if original is None:
        return None
    if pyproject:
        if policy.parse(target, original, pyproject=True) is None:
            return None  # a pyproject.toml without [tool.adapter-guard]: nothing to replace
        table: dict[str, Any] = policy.parse_toml(original.decode('utf-8'), target)['tool']['adapter-guard']
        return table
    try:
        return policy.parse_toml(original.decode('utf-8'), target)
    except (PolicyError, UnicodeDecodeError):
        return {}  # a broken file is still a policy not to overwrite without --force


def _refuse_a_second_policy(root: str, target: str) -> None:
    """The repository's policy is .adapter-guard.toml or [tool.adapter-guard], never both."""
    dot_file = os.path.join(root, policy.POLICY_FILE)
    pyproject = os.path.join(root, policy.PYPROJECT)
    if (target == dot_file and os.path.isfile(pyproject)
            and policy.parse(pyproject, policy.read(pyproject), pyproject=True)):
        raise UsageError(
            f'{policy.PYPROJECT} has [tool.adapter-guard]: the repository would have two policies; '
            f'use --output {policy.PYPROJECT} --force to replace that one',
        )
    if target == pyproject and os.path.lexists(dot_file):
        raise UsageError(
            f'{policy.POLICY_FILE} exists: the repository would have two policies; '
            f'write to it with --force, or remove it first',
        )


def _must_load(target: str, text: str, pyproject: bool, original: bytes | None) -> None:
    """What init writes loads as a policy, and a pyproject.toml keeps every other table."""
    raw = text.encode('utf-8')
    policy.parse(target, raw, pyproject=pyproject)
    if pyproject and original is not None:
        before = policy.parse_toml(original.decode('utf-8'), target)
        after = policy.parse_toml(text, target)
        for document in (before, after):
            document.get('tool', {}).pop('adapter-guard', None)
            if document.get('tool') == {}:
                del document['tool']
        if before != after:
            raise UsageError(f'{target}: merging [tool.adapter-guard] would change other tables; edit it by hand')
