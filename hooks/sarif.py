"""Findings as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` has one entry per code of the rule registry,
so an alert always links to its explanation.  Locations are relative to the
repository root (``uriBaseId`` %SRCROOT%), from whichever folder the tool ran.

A finding's identity (``partialFingerprints``) must survive unrelated edits,
because code scanning uses it to tell a new alert from an old one:
- the rule code, the repository-relative path and the JSON pointer of the
  key or value (never the line: a new key above it moves the line);
- for a history finding, the commit that made the change (each unacknowledged
  commit is its own alert; a staged change has none yet);
- the message only where the above cannot tell two findings apart (AG402
  reports each module of one weights file at the same pointer).
The message is otherwise left out: rewording it in a new release must not
reopen every alert.
"""
from __future__ import annotations

import collections
import hashlib
import urllib.parse
from typing import Any

from adapter_guard import __version__
from adapter_guard import discover
from adapter_guard.findings import Finding
from adapter_guard.rules import PROJECT_URL
from adapter_guard.rules import Rule
from adapter_guard.rules import RULES
from adapter_guard.rules import sections

SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
FINGERPRINT = 'adapterGuard/v1'
LEVELS = {'error': 'error', 'warning': 'warning', 'note': 'note'}


def _rule(rule: Rule) -> dict[str, Any]:
    parts = sections(rule)
    return {
        'id': rule.code,
        'shortDescription': {'text': rule.title},
        'fullDescription': {'text': rule.catches},
        'help': {
            'text': '\n\n'.join(f'{heading}: {body}' for heading, body in parts),
            'markdown': '\n\n'.join(f'**{heading}**\n\n{body}' for heading, body in parts),
        },
        'helpUri': rule.url,
        'defaultConfiguration': {'level': LEVELS[rule.severity]},
    }


def _pointer(finding: Finding) -> str:
    """RFC 6901 JSON pointer of the finding's key or value."""
    return ''.join('/' + str(part).replace('~', '~0').replace('/', '~1') for part in finding.pointer)


def identity(finding: Finding, uri: str) -> tuple[str, ...]:
    return (finding.code, uri, _pointer(finding), finding.commit or '')


def _uri(path: str, root: str) -> str:
    """The repository-relative URI reference of a path (spaces and non-ASCII percent-encoded)."""
    relative = discover.relative_to(path, root)
    return urllib.parse.quote(relative.encode('utf-8', 'surrogateescape'), safe='/')


def _fingerprint(parts: tuple[str, ...]) -> str:
    return hashlib.sha256('\0'.join(parts).encode('utf-8', 'surrogateescape')).hexdigest()[:32]


def log(findings: list[Finding], root: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``findings``; paths are made relative to ``root`` (default: the enclosing repository)."""
    root = root or discover.find_root()
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}
    uris = [_uri(f.path, root) for f in findings]
    identities = [identity(f, uri) for f, uri in zip(findings, uris)]
    shared = {key for key, count in collections.Counter(identities).items() if count > 1}
    results = []
    for finding, uri, key in zip(findings, uris, identities):
        if key in shared:
            key += (finding.message,)
        result: dict[str, Any] = {
            'ruleId': finding.code,
            'level': LEVELS[finding.severity],
            'message': {'text': finding.message},
            'locations': [{
                'physicalLocation': {
                    'artifactLocation': {'uri': uri, 'uriBaseId': '%SRCROOT%'},
                    'region': {'startLine': max(finding.line, 1), 'startColumn': max(finding.column, 1)},
                },
            }],
            'partialFingerprints': {FINGERPRINT: _fingerprint(key)},
        }
        if finding.code in index:
            result['ruleIndex'] = index[finding.code]
        if finding.commit is not None:
            result['properties'] = {'commit': finding.commit, 'previous': finding.previous}
        results.append(result)
    return {
        '$schema': SCHEMA_URI,
        'version': '2.1.0',
        'runs': [{
            'tool': {'driver': {
                'name': 'adapter-guard',
                'version': __version__,
                'semanticVersion': __version__,
                'informationUri': PROJECT_URL,
                'rules': [_rule(RULES[code]) for code in codes],
            }},
            'columnKind': 'unicodeCodePoints',
            'results': results,
        }],
    }
