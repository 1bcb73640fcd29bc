"""adapter-guard audit [--since REV] [PATH ...]: every adapter config in the whole history.

Prints, per adapter, the timeline of its base model (commit, date, author)
and flags every change that was not acknowledged.  One ``git log --raw``
pass over the history, each blob read once while the history streams in.
The audit judges history only: the files as they are now are what
``adapter-guard check`` judges.
"""
from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any
from typing import TextIO

from adapter_guard import discover
from adapter_guard import gitrepo
from adapter_guard import history
from adapter_guard import history_reader
from adapter_guard import jsonload
from adapter_guard import judgment
from adapter_guard import policy
from adapter_guard import rewrites
from adapter_guard.checker import finish
from adapter_guard.checker import Selection
from adapter_guard.findings import exit_code
from adapter_guard.findings import Finding
from adapter_guard.options import Options
from adapter_guard.report import as_dict
from adapter_guard.report import write
from adapter_guard.walker import Step

HISTORY_ONLY = 'the audit judges history only; `adapter-guard check` judges the files as they are'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('paths', nargs='*', metavar='PATH', help='only adapters under these paths')
    parser.add_argument('--since', metavar='REV',
                        help='only changes after this commit or date (default: history-since)')
    parser.add_argument('--all', action='store_true', dest='all_refs', help='every branch and tag, not only HEAD')


Row = dict[str, Any]  # one line of a timeline: the text and the JSON output show the same data
Timeline = tuple[str, list[Row]]  # the adapter's newest path, its rows oldest first


def build(repo: gitrepo.Repo, team_policy: policy.Policy, since: str | None,
          all_refs: bool) -> tuple[list[Timeline], list[Finding]]:
    revisions, date, incomplete = history.bound(repo, team_policy, since)
    if all_refs:
        revisions = ['--all'] + ['^' + r.split('..')[0] for r in revisions if '..' in r]
    locks: dict[str, tuple[str, str]] = {}
    steps, _walker = history_reader.walk(repo, revisions, since=date, locks=locks)
    by_line: dict[int, list[Step]] = collections.defaultdict(list)
    for step in steps:
        if step.kind != 'changed' or step.old != step.new:  # an edit that leaves the base model alone is no event
            by_line[step.line].append(step)
    judge = judgment.Judge(team_policy, repo.root, locks=history_reader.read_locks(repo, locks))
    report: list[Timeline] = []
    findings: list[Finding] = []
    for line in sorted(by_line, key=lambda n: by_line[n][-1].path):
        rows = by_line[line]
        path = rows[-1].path
        target = judgment.Target(os.path.relpath(os.path.join(repo.root, path)), path, None, _current(repo.root, path))
        timeline = []
        for step in rows:
            if step.kind == 'beyond-history':
                verdict = judgment.Assessment([], None, False)  # reported once below (AG303)
            else:
                verdict = judgment.assess(step, target, judge, step.commit.trailers)
            value = step.new or step.old
            timeline.append(dict(
                commit=step.commit.sha, date=step.commit.date, author=step.commit.author,
                event=step.kind, path=step.path,
                base_model_name_or_path=_plain(value.base) if value else None,
                revision=_plain(value.revision) if value else None,
                findings=[f.code for f in verdict.findings],
                acknowledged=verdict.acknowledged or ('repair' if verdict.repair else None),
                unreadable=step.why or None, skipped=list(step.skipped),
            ))
            findings += verdict.findings
        report.append((path, timeline))
    if incomplete:
        findings.append(Finding('.', 'AG303', f'history not complete: {incomplete}; the audit covers only what is here',
                                line=1, column=1))
    return report, findings


def _current(root: str, relpath: str) -> jsonload.Document | None:
    path = os.path.join(root, relpath)
    return jsonload.load(path).document if os.path.isfile(path) and not os.path.islink(path) else None


def _plain(value: object) -> object:
    return None if value is rewrites.ABSENT else value


def _wanted(path: str, rows: list[Row], prefixes: list[str]) -> bool:
    paths = {path} | {row['path'] for row in rows}
    return not prefixes or any(p == q or p.startswith(q.rstrip('/') + '/') for p in paths for q in prefixes)


def run(options: Options) -> int:
    selection = Selection(options.select, options.ignore)
    repo = gitrepo.open_repo()
    if repo is None:
        finding = Finding('.', 'AG303', 'history not checked: not in a git repository', line=1, column=1)
        findings = finish([finding], policy.DEFAULT.rules, selection)
        write(options, findings, 0)
        return exit_code(findings)
    if repo.head is None:
        print('adapter-guard: no history yet (the repository has no commits)')
        return 0
    team_policy = policy.find(repo.root, options.config)
    report, findings = build(repo, team_policy, options.since, options.all_refs)
    prefixes = [discover.relative_to(p, repo.root) for p in options.paths]
    report = [(path, rows) for path, rows in report if _wanted(path, rows, prefixes)]
    keep = {path for path, _ in report}
    findings = [f for f in findings if f.code == 'AG303' or discover.relative_to(f.path, repo.root) in keep]
    findings = finish(findings, team_policy.rules, selection)
    findings.sort(key=Finding.sort_key)
    if options.format == 'json':
        document = {
            'adapters': [{'path': path, 'timeline': rows} for path, rows in report],
            'findings': [as_dict(f) for f in findings],
            'scope': 'history',
        }
        sys.stdout.write(json.dumps(document, indent=2) + '\n')  # one write: json.dump makes thousands
    else:
        _text(report, findings, functools.partial(write, options))
    return exit_code(findings)


def _text(report: list[Timeline], findings: list[Finding],
          reporter: Callable[[list[Finding], int, TextIO], None]) -> None:
    out = sys.stdout
    for path, rows in report:
        out.write(f'{path}\n')
        for row in rows:
            value = json.dumps(row['base_model_name_or_path'])
            if row['revision'] is not None:
                value += f" @ {row['revision']}"
            if row['unreadable']:
                value = f"({row['unreadable']})"
            note = ''
            if row['findings']:
                note = '  <- ' + ', '.join(row['findings']) + ' not acknowledged'
            elif row['acknowledged']:
                note = f"  (acknowledged by {row['acknowledged']})"
            out.write(f"  {row['date'][:10]} {row['commit'][:10]} {row['author'][:20]:<20} "
                      f"{row['event']:<8} {value}{note}\n")
    out.write(f'adapter-guard: {HISTORY_ONLY}\n')
    reporter(findings, len(report), out)
