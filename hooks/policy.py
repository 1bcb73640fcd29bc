"""The team policy: find it, validate it, and answer questions about it.

A policy is a frozen value passed down explicitly; nothing here is global.
Patterns are fnmatch-style everywhere (``*`` also matches ``/``).
"""
from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
import sys
from typing import Any

from adapter_guard import minischema
from adapter_guard import schemas
from adapter_guard.errors import PolicyError
from adapter_guard.errors import UsageError
from adapter_guard.rewrites import Accept
from adapter_guard.rules import RULES

if sys.version_info >= (3, 11):  # pragma: >=3.11 cover
    import tomllib
else:  # pragma: <3.11 cover
    import tomli as tomllib

POLICY_FILE = '.adapter-guard.toml'
PYPROJECT = 'pyproject.toml'


@dataclasses.dataclass(frozen=True)
class Rules:
    """The policy in force for one adapter (top level plus its overrides)."""

    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    allow_local_paths: bool = False
    require_revision: tuple[str, ...] = ()
    peft_version: str | None = None
    serve_with: str | None = None
    max_lora_rank: int | None = None
    severity: tuple[tuple[str, str], ...] = ()

    def severity_of(self, code: str) -> str:
        """'error', 'warning', 'note' or 'off': the longest matching selector wins."""
        best = ('', RULES[code].severity if code in RULES else 'error')
        for selector, level in self.severity:
            if code.startswith(selector) and len(selector) >= len(best[0]):
                best = (selector, level)
        return best[1]


@dataclasses.dataclass(frozen=True)
class Policy:
    source: str
    rules: Rules = Rules()
    overrides: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()
    # history (not per path)
    history_since: str | None = None
    accepts: tuple[Accept, ...] = ()

    def for_path(self, relpath: str) -> Rules:
        rules = self.rules
        for patterns, changes in self.overrides:
            if matches_any(relpath, patterns):
                rules = dataclasses.replace(rules, **changes)
        return rules


DEFAULT = Policy('<built-in default>')


def matches_any(value: str, patterns: tuple[str, ...], *, ignore_case: bool = False) -> bool:
    if ignore_case:
        value = value.lower()
        return any(fnmatch.fnmatchcase(value, pattern.lower()) for pattern in patterns)
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


_GLOBAL_KEYS = frozenset(('overrides', 'paths', 'accept', 'history-since', 'on-missing-history'))


def _fields(table: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in _GLOBAL_KEYS:
            continue
        name = key.replace('-', '_')
        if name == 'severity':
            value = tuple(sorted(value.items()))
        elif isinstance(value, list):
            value = tuple(value)
        out[name] = value
    return out


def from_table(table: dict[str, Any], source: str, prefix: str = '') -> Policy:
    """Validate a parsed policy table against schemas/policy.schema.json."""
    errors = minischema.validate(table, schemas.load('policy.schema.json'))
    if errors:
        raise _policy_error(errors[0], source, prefix)
    overrides = tuple(
        (tuple(entry['paths']), _fields(entry)) for entry in table.get('overrides', ())
    )
    rules = Rules(**_fields(table))
    if table.get('on-missing-history') == 'warn' and not any(s == 'AG303' for s, _ in rules.severity):
        rules = dataclasses.replace(rules, severity=rules.severity + (('AG303', 'warning'),))
    accepts = tuple(
        Accept(entry['path'], entry['to'], entry.get('from')) for entry in table.get('accept', ())
    )
    return Policy(source, rules, overrides, table.get('history-since'), accepts)


def _policy_error(error: minischema.SchemaError, source: str, prefix: str) -> PolicyError:
    pointer = error.pointer
    key = prefix + ''.join(
        f'[{part + 1}]' if isinstance(part, int) else (f'.{part}' if i else part)
        for i, part in enumerate(pointer)
    )
    if error.keyword == 'additionalProperties':
        known = _properties_at(schemas.load('policy.schema.json'), pointer[:-1])
        close = difflib.get_close_matches(str(error.detail), list(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ''
        return PolicyError(source, key, f'is not a policy key{hint}; known keys: {", ".join(known)}')
    if error.keyword == 'required':
        return PolicyError(source, key or '[[overrides]]', f'is missing {error.detail!r}')
    if error.keyword == 'propertyNames':
        return PolicyError(source, key, 'is not a rule code or prefix such as AG104 or AG2')
    return PolicyError(source, key, error.message)


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, 'rb') as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f'policy file not found: {path}')
    except OSError as e:
        raise UsageError(f'cannot read policy file {path}: {e.strerror or e}')
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(path, '', f'not valid TOML: {e}')


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(source, '', f'not valid TOML: {e}')


def _from_pyproject(path: str) -> Policy | None:
    """The [tool.adapter-guard] table of a pyproject.toml, None when absent."""
    table = _read_toml(path).get('tool', {}).get('adapter-guard')
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PolicyError(path, 'tool.adapter-guard', 'must be a table')
    return from_table(table, path, 'tool.adapter-guard.')


def _properties_at(schema: dict[str, Any], pointer: tuple[str | int, ...]) -> dict[str, Any]:
    for part in pointer:
        schema = schema['items'] if isinstance(part, int) else schema['properties'][part]
        if '$ref' in schema:
            schema = schemas.load('policy.schema.json')['$defs'][schema['$ref'].rsplit('/', 1)[-1]]
    return schema.get('properties', {})


def load_file(path: str) -> Policy:
    if os.path.basename(path) == PYPROJECT:
        return _from_pyproject(path) or dataclasses.replace(DEFAULT, source=path)
    return from_table(_read_toml(path), path)


def find(root: str, explicit: str | None = None) -> Policy:
    """--config FILE, else .adapter-guard.toml, else pyproject.toml, else the default."""
    if explicit is not None:
        return load_file(explicit)
    candidate = os.path.join(root, POLICY_FILE)
    if os.path.exists(candidate):
        return load_file(candidate)
    pyproject = os.path.join(root, PYPROJECT)
    if os.path.isfile(pyproject):
        return _from_pyproject(pyproject) or DEFAULT
    return DEFAULT
