"""The reporting stage: findings to text or JSON.  Reporters never pick the exit code."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

from adapter_guard.findings import Finding


def _summary(findings: list[Finding], checked: int) -> str:
    if checked == 0:
        return 'adapter-guard: no adapter_config.json to check'
    errors = sum(f.severity == 'error' for f in findings)
    warnings = len(findings) - errors
    files = f'{checked} file{"s" if checked != 1 else ""}'
    if not findings:
        return f'adapter-guard: {files} checked, no problems'
    bad = len({f.path for f in findings})
    parts = [f'{errors} error{"s" if errors != 1 else ""}']
    if warnings:
        parts.append(f'{warnings} warning{"s" if warnings != 1 else ""}')
    return f'adapter-guard: {" and ".join(parts)} in {bad} of {files}'


def text(findings: list[Finding], checked: int, out: TextIO) -> None:
    for f in findings:
        tag = ' [warning]' if f.severity == 'warning' else ''
        out.write(f'{f.path}:{f.line}:{f.column}: {f.code} {f.message}{tag}\n')
    out.write(_summary(findings, checked) + '\n')


def as_dict(finding: Finding) -> dict[str, object]:
    record: dict[str, object] = {
        'path': finding.path,
        'line': finding.line,
        'column': finding.column,
        'code': finding.code,
        'severity': finding.severity,
        'message': finding.message,
    }
    if finding.commit is not None:
        record['commit'] = finding.commit
        record['previous'] = finding.previous
    return record


def json_(findings: list[Finding], checked: int, out: TextIO) -> None:
    document = {
        'findings': [as_dict(f) for f in findings],
        'summary': {
            'files': checked,
            'errors': sum(f.severity == 'error' for f in findings),
            'warnings': sum(f.severity == 'warning' for f in findings),
        },
    }
    json.dump(document, out, indent=2)
    out.write('\n')


def _escape(value: str, *, property_value: bool = False) -> str:
    """GitHub workflow-command escaping (@actions/core command.ts)."""
    value = value.replace('%', '%25').replace('\r', '%0D').replace('\n', '%0A')
    return value.replace(':', '%3A').replace(',', '%2C') if property_value else value


def github(findings: list[Finding], checked: int, out: TextIO) -> None:
    """GitHub Actions annotations (``::error file=...``), then the text lines for the log."""
    for f in findings:
        level = 'error' if f.severity == 'error' else 'warning'
        where = f'file={_escape(f.path, property_value=True)},line={f.line},col={f.column}'
        out.write(f'::{level} {where},title={f.code}::{_escape(f.message)}\n')
    text(findings, checked, out)


REPORTERS: dict[str, Callable[[list[Finding], int, TextIO], None]] = {'text': text, 'json': json_, 'github': github}
