"""The reporting stage: findings to text, JSON, GitHub annotations or SARIF.

Reporters never pick the exit code.  Text is one line per finding and a
summary, coloured only on a terminal (adapter_guard.color); the machine
formats (json, sarif) link each finding to its rule's section of README.md.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TextIO

from adapter_guard import color
from adapter_guard.findings import Finding
from adapter_guard.options import Options
from adapter_guard.rules import url

# The summary's words for each severity, most severe first.
_SEVERITY_WORDS = (('error', 'error'), ('warning', 'warning'), ('note', 'note'))


def _plural(count: int, word: str) -> str:
    return f'{count} {word}{"s" if count != 1 else ""}'


def configs_with_findings(findings: list[Finding]) -> int:
    """How many adapter configs have a finding; a card's finding counts for its config."""
    return len({f.config or f.path for f in findings if f.path != '.'})


def _summary(findings: list[Finding], checked: int, on: bool) -> str:
    if checked == 0 and not findings:
        return 'adapter-guard: no adapter_config.json to check'
    configs = _plural(checked, 'adapter config')
    if not findings:
        return f'adapter-guard: {configs} checked, {color.paint("no problems", "good", on)}'
    counts = [(sum(f.severity == severity for f in findings), severity, word) for severity, word in _SEVERITY_WORDS]
    parts = [color.paint(_plural(n, word), severity, on) for n, severity, word in counts if n]
    bad = configs_with_findings(findings)
    where = f'in {bad} of {configs}' if bad else f'({configs} checked)'
    return f'adapter-guard: {" and ".join(parts)} {where}'


def text(findings: list[Finding], checked: int, out: TextIO, *, on: bool = False, summary: bool = True) -> None:
    for f in findings:
        tag = color.paint(f' [{f.severity}]', f.severity, on) if f.severity != 'error' else ''
        where = color.paint(f'{f.path}:{f.line}:{f.column}:', 'location', on)
        out.write(f'{where} {color.paint(f.code, f.severity, on)} {f.message}{tag}\n')
    if summary:
        out.write(_summary(findings, checked, on) + '\n')


def as_dict(finding: Finding) -> dict[str, object]:
    record: dict[str, object] = {
        'path': finding.path,
        'line': finding.line,
        'column': finding.column,
        'code': finding.code,
        'severity': finding.severity,
        'message': finding.message,
        'url': url(finding.code),
    }
    if finding.commit is not None:
        record['commit'] = finding.commit
        record['previous'] = finding.previous
    return record


def json_(findings: list[Finding], checked: int, out: TextIO, *, on: bool = False) -> None:
    document = {
        'findings': [as_dict(f) for f in findings],
        'summary': {
            'files': checked,
            'errors': sum(f.severity == 'error' for f in findings),
            'warnings': sum(f.severity == 'warning' for f in findings),
            'notes': sum(f.severity == 'note' for f in findings),
        },
    }
    json.dump(document, out, indent=2)
    out.write('\n')


def _escape(value: str, *, property_value: bool = False) -> str:
    """GitHub workflow-command escaping (@actions/core command.ts)."""
    value = value.replace('%', '%25').replace('\r', '%0D').replace('\n', '%0A')
    return value.replace(':', '%3A').replace(',', '%2C') if property_value else value


# GitHub Actions' annotation commands: ::notice is its name for a note.
_GITHUB_LEVELS = {'error': 'error', 'warning': 'warning', 'note': 'notice'}


def github(findings: list[Finding], checked: int, out: TextIO, *, on: bool = False, summary: bool = True) -> None:
    """GitHub Actions annotations (``::error file=...``), then the text lines for the log."""
    for f in findings:
        where = f'file={_escape(f.path, property_value=True)},line={f.line},col={f.column}'
        out.write(f'::{_GITHUB_LEVELS[f.severity]} {where},title={f.code}::{_escape(f.message)}\n')
    text(findings, checked, out, on=on, summary=summary)


def sarif_(findings: list[Finding], checked: int, out: TextIO, *, on: bool = False) -> None:
    from adapter_guard import sarif  # only here: its hashlib and urllib would slow every hook run

    json.dump(sarif.log(findings), out, indent=2)
    out.write('\n')


Reporter = Callable[..., None]  # (findings, checked, out, *, on) -> None
REPORTERS: dict[str, Reporter] = {'text': text, 'json': json_, 'github': github, 'sarif': sarif_}


def write(options: Options, findings: list[Finding], checked: int, out: TextIO | None = None) -> None:
    """Report in the format and colour the command line asked for.

    Under pre-commit the text has no summary line: pre-commit splits the
    files into batches whose output it joins, and their findings read as one
    report only without a summary per batch (pre-commit says Passed or Failed).
    """
    out = out or sys.stdout
    extra = {'summary': not os.environ.get('PRE_COMMIT')} if options.format in ('text', 'github') else {}
    REPORTERS[options.format](findings, checked, out, on=color.enabled(options.color, out), **extra)
