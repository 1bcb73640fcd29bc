"""adapter-guard audit [--since REV] [PATH ...]: every adapter config in the whole history.

Prints, per adapter, the timeline of its base model (commit, date, author)
and flags every change that was not acknowledged.  One ``git log --raw``
pass over the history, then each changed blob read once, in one batch.
"""
from __future__ import annotations

import argparse
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
from adapter_guard import jsonload
from adapter_guard import policy
from adapter_guard import rewrites
from adapter_guard import timeline
from adapter_guard.checker import finish
from adapter_guard.checker import Selection
from adapter_guard.findings import exit_code
from adapter_guard.findings import Finding
from adapter_guard.report import as_dict
from adapter_guard.report import write


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('paths', nargs='*', metavar='PATH', help='only adapters under these paths')
    parser.add_argument('--since', metavar='REV', help='only changes after this commit or date (default: history-since)')
    parser.add_argument('--all', action='store_true', dest='all_refs', help='every branch and tag, not only HEAD')


Step = dict[str, Any]  # one line of a timeline: the text and the JSON output show the same data


def build(repo: gitrepo.Repo, team_policy: policy.Policy, since: str | None, all_refs: bool) -> tuple[
        list[tuple[timeline.Timeline, list[Step]]], list[Finding]]:
    revisions, date, incomplete = history.bound(repo, team_policy, since)
    if all_refs:
        revisions = ['--all'] + ['^' + r.split('..')[0] for r in revisions if '..' in r]
    lines, blobs = timeline.whole_history(repo, revisions, date)
    report: list[tuple[timeline.Timeline, list[Step]]] = []
    findings: list[Finding] = []
    for line in lines:
        steps: list[Step] = []
        current = _current(repo.root, line.path)
        target = history.Target(os.path.relpath(os.path.join(repo.root, line.path)), line.path, None, current)
        for event in line.events:
            new = blobs.get(event.new_blob)
            old = timeline.old_value([blobs.get(b) for b in event.old_blobs], new)
            changes = rewrites.rewrites(old, new) if old is not None and new is not None else []
            if event.kind in ('changed', 'merged') and not changes:
                continue  # an edit that leaves the base model alone
            found = history.judge(target, event.path, old, new, commit=event.commit, policy=team_policy)
            acknowledged = None
            if changes and not found:
                acknowledged = rewrites.acknowledged(
                    event.path, changes[0], old, new, event.commit.trailers, team_policy.accepts)
            value = new if new is not None else (blobs.get(event.old_blobs[0]) if event.old_blobs else None)
            steps.append(dict(
                commit=event.commit.sha, date=event.commit.date, author=event.commit.author,
                event=event.kind, path=event.path,
                base_model_name_or_path=_plain(value.base) if value else None,
                revision=_plain(value.revision) if value else None,
                findings=[f.code for f in found], acknowledged=acknowledged,
            ))
            findings += found
        report.append((line, steps))
    if incomplete:
        findings.append(Finding('.', 'AG303', f'history not complete: {incomplete}; the audit covers only what is here',
                                line=1, column=1))
    return report, findings


def _current(root: str, relpath: str) -> jsonload.Document | None:
    path = os.path.join(root, relpath)
    return jsonload.load(path).document if os.path.isfile(path) else None


def _plain(value: object) -> object:
    return None if value is rewrites.ABSENT else value


def _wanted(line: timeline.Timeline, prefixes: list[str]) -> bool:
    paths = {e.path for e in line.events}
    return not prefixes or any(p == q or p.startswith(q.rstrip('/') + '/') for p in paths for q in prefixes)


def run(args: argparse.Namespace) -> int:
    repo = gitrepo.open_repo()
    if repo is None:
        finding = Finding('.', 'AG303', 'history not checked: not in a git repository', line=1, column=1)
        findings = finish([finding], policy.DEFAULT.rules, Selection(args.select, args.ignore))
        write(args, findings, 0)
        return exit_code(findings)
    team_policy = policy.find(repo.root, args.config)
    report, findings = build(repo, team_policy, args.since, args.all_refs)
    prefixes = [discover.relative_to(p, repo.root) for p in args.paths]
    report = [(line, steps) for line, steps in report if _wanted(line, prefixes)]
    keep = {line.path for line, _ in report}
    findings = [f for f in findings if f.code == 'AG303' or discover.relative_to(f.path, repo.root) in keep]
    findings = finish(findings, team_policy.rules, Selection(args.select, args.ignore))
    findings.sort(key=Finding.sort_key)
    if args.format == 'json':
        document = {
            'adapters': [{'path': line.path, 'timeline': steps} for line, steps in report],
            'findings': [as_dict(f) for f in findings],
        }
        sys.stdout.write(json.dumps(document, indent=2) + '\n')  # one write: json.dump makes thousands
    else:
        _text(report, findings, functools.partial(write, args))
    return exit_code(findings)


def _text(
        report: list[tuple[timeline.Timeline, list[Step]]], findings: list[Finding],
        reporter: Callable[[list[Finding], int, TextIO], None],
) -> None:
    out = sys.stdout
    for line, steps in report:
        out.write(f'{line.path}\n')
        for step in steps:
            value = json.dumps(step['base_model_name_or_path'])
            if step['revision'] is not None:
                value += f" @ {step['revision']}"
            note = ''
            if step['findings']:
                note = '  <- ' + ', '.join(step['findings']) + ' not acknowledged'
            elif step['acknowledged']:
                note = f"  (acknowledged by {step['acknowledged']})"
            out.write(f"  {step['date'][:10]} {step['commit'][:10]} {step['author'][:20]:<20} "
                      f"{step['event']:<8} {value}{note}\n")
    reporter(findings, len(report), out)
