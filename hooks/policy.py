"""The team policy: find it, validate it, and answer questions about it.

A policy is a frozen value passed down explicitly; nothing here is global.
Patterns are fnmatch-style everywhere (``*`` also matches ``/``).
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable
from typing import Any
from typing import NamedTuple

from adapter_guard import files
from adapter_guard import minischema
from adapter_guard import schemas
from adapter_guard import tomlread
from adapter_guard.errors import PolicyError
from adapter_guard.errors import UsageError
from adapter_guard.jsonload import json_type
from adapter_guard.rewrites import Accept
from adapter_guard.rules import RULES
from adapter_guard.rules import unknown_selector

POLICY_FILE = '.adapter-guard.toml'
PYPROJECT = 'pyproject.toml'


class Rules(NamedTuple):
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


class Policy(NamedTuple):
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
                rules = rules._replace(**changes)
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
    _check_values(table, source, prefix)
    overrides = tuple(
        (tuple(entry['paths']), _fields(entry)) for entry in table.get('overrides', ())
    )
    rules = Rules(**_fields(table))
    if table.get('on-missing-history') == 'warn' and not any(s == 'AG303' for s, _ in rules.severity):
        rules = rules._replace(severity=rules.severity + (('AG303', 'warning'),))
    accepts = tuple(
        Accept(entry['path'], entry['to'], entry.get('from')) for entry in table.get('accept', ())
    )
    return Policy(source, rules, overrides, table.get('history-since'), accepts)


_SHA = re.compile(r'[0-9a-fA-F]{4,40}')
_DATE = re.compile(r'\d{4}-\d{2}-\d{2}')


def _check_values(table: dict[str, Any], source: str, prefix: str) -> None:
    """What the schema cannot say: rule codes that exist, a history-since git can pin."""
    severities = [('severity', table.get('severity', {}))] + [
        (f'overrides[{i}].severity', entry.get('severity', {})) for i, entry in enumerate(table.get('overrides', ()), 1)
    ]
    for where, severity in severities:
        for selector in severity:
            problem = unknown_selector(selector)
            if problem:
                raise PolicyError(source, f'{prefix}{where}.{selector}', problem)
    since = table.get('history-since')
    if since is not None and not _SHA.fullmatch(since) and not _is_date(since):
        raise PolicyError(
            source, f'{prefix}history-since',
            f"{since!r} is neither a commit sha (4 to 40 hex digits) nor a date YYYY-MM-DD: a branch, a tag or "
            "'HEAD' moves, so name the commit (git rev-parse HEAD prints it)",
        )


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        import datetime  # only for a history-since that is not a sha

        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _policy_error(error: minischema.SchemaError, source: str, prefix: str) -> PolicyError:
    pointer = error.pointer
    key = prefix + ''.join(
        f'[{part + 1}]' if isinstance(part, int) else (f'.{part}' if i else part)
        for i, part in enumerate(pointer)
    )
    if error.keyword == 'additionalProperties':
        known = _properties_at(schemas.load('policy.schema.json'), pointer[:-1])
        import difflib  # only to suggest a key

        close = difflib.get_close_matches(str(error.detail), list(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ''
        return PolicyError(source, key, f'is not a policy key{hint}; known keys: {", ".join(known)}')
    if error.keyword == 'required':
        return PolicyError(source, key or '[[overrides]]', f'is missing {error.detail!r}')
    if error.keyword == 'propertyNames':
        return PolicyError(source, key, 'is not a rule code or prefix such as AG104 or AG2')
    return PolicyError(source, key, error.message)


def _properties_at(schema: dict[str, Any], pointer: tuple[str | int, ...]) -> dict[str, Any]:
    for part in pointer:
        schema = schema['items'] if isinstance(part, int) else schema['properties'][part]
        if '$ref' in schema:
            schema = schemas.load('policy.schema.json')['$defs'][schema['$ref'].rsplit('/', 1)[-1]]
    return schema.get('properties', {})


# -- loading: bytes -> Policy, and a thin reader of files ----------------------

def parse(source: str, raw: bytes, *, pyproject: bool = False) -> Policy | None:
    """The policy in ``raw``, the bytes of ``source``; raises PolicyError, never falls back.

    ``pyproject``: ``raw`` is a pyproject.toml, whose [tool.adapter-guard]
    table is the policy (None when it has none).  Where the bytes come from
    (the disk, the index, a commit) is the caller's business.
    """
    try:
        document = tomlread.loads(raw.decode('utf-8'))
    except UnicodeDecodeError as e:
        raise PolicyError(source, '', f'not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start})')
    except ValueError as e:  # tomllib.TOMLDecodeError
        raise PolicyError(source, '', f'not valid TOML: {e}')
    if not pyproject:
        return from_table(document, source)
    table = _tool_table(document, source)
    return None if table is None else from_table(table, source, f'{TOOL_TABLE}.')


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomlread.loads(text)
    except ValueError as e:  # tomllib.TOMLDecodeError
        raise PolicyError(source, '', f'not valid TOML: {e}')


TOOL_TABLE = 'tool.adapter-guard'


def _tool_table(document: dict[str, Any], source: str) -> dict[str, Any] | None:
    """[tool.adapter-guard] of a pyproject.toml; a misspelt table name is an error, not no policy."""
    tool = document.get('tool', {})
    if not isinstance(tool, dict):
        raise PolicyError(
            source, 'tool', f'is {_toml_type(tool)}, not a table: pyproject.toml keeps tool settings in '
            '[tool.<name>] tables (PEP 518); remove it or make it a table',
        )
    for name in tool:
        if name != 'adapter-guard' and _looks_like_ours(name):
            raise PolicyError(
                source, f'tool.{name}', 'is not read: the policy table is [tool.adapter-guard] '
                '(with a hyphen); rename the table',
            )
    table = tool.get('adapter-guard')
    if table is not None and not isinstance(table, dict):
        raise PolicyError(source, TOOL_TABLE, f'is {_toml_type(table)}, not a table')
    return table


def _looks_like_ours(name: str) -> bool:
    normal = name.lower().replace('_', '-').replace('.', '-')
    if normal == 'adapter-guard':
        return True
    import difflib  # only for a tool table that is not ours

    return difflib.SequenceMatcher(None, normal, 'adapter-guard').ratio() >= 0.85


def _toml_type(value: object) -> str:
    """How a message names a TOML value's type: JSON's names, and TOML's dates and times."""
    if type(value).__module__ == 'datetime':
        return 'a date or time'
    return 'a table' if isinstance(value, dict) else json_type(value)


def read(path: str) -> bytes:
    """The bytes of a policy file; UsageError naming the file when there are none."""
    try:
        return files.read_regular(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise UsageError(
                f'{path}: is a symbolic link to {os.readlink(path)!r}, which does not exist: '
                'fix the link or remove it',
            )
        raise UsageError(f'policy file not found: {path}')
    except files.NotRegular as e:
        raise UsageError(f'{path}: {e}: a policy is a TOML file')
    except files.TooLarge as e:
        raise UsageError(f'{path}: {e}: a policy is a small TOML file')
    except OSError as e:
        raise UsageError(f'cannot read policy file {path}: {e.strerror or e}')


def load_file(path: str) -> Policy:
    """--config FILE: a policy file, or a pyproject.toml (no table there: the default policy)."""
    pyproject = os.path.basename(path) == PYPROJECT
    found = parse(path, read(path), pyproject=pyproject)
    return found or DEFAULT._replace(source=path)


def choose(dot_file: Policy | None, pyproject: Policy | None) -> Policy:
    """The one policy of a repository: never two, and the default only when there is none."""
    if dot_file is not None and pyproject is not None:
        raise UsageError(
            f'two policies: {dot_file.source} and [{TOOL_TABLE}] in {pyproject.source}; '
            'adapter-guard reads one, so keep one of them',
        )
    return dot_file or pyproject or DEFAULT


def find(root: str, explicit: str | None = None, *, source: Callable[[str], bytes | None] | None = None,
         label: str = '') -> Policy:
    """--config FILE, else .adapter-guard.toml or [tool.adapter-guard] in pyproject.toml, else the default.

    ``source`` gives a file of the repository (a path relative to ``root``)
    as the content being judged holds it: the index being committed, a
    commit; without it, the disk.  ``label`` says which ('staged', 'at
    <rev>') in messages.  A --config file outside the repository is read
    from the disk.
    """
    if source is None:
        source = functools.partial(_disk, root)
    if explicit is not None:
        relpath = os.path.relpath(os.path.abspath(explicit), root)
        if not label or relpath.startswith('..') or os.path.isabs(relpath):
            return load_file(explicit)
        raw = source(relpath.replace(os.sep, '/'))
        if raw is None:
            raise UsageError(f'policy file not found: {explicit} ({label})')
        found = parse(_named(explicit, label), raw, pyproject=os.path.basename(explicit) == PYPROJECT)
        return found or DEFAULT._replace(source=explicit)
    dot, in_pyproject = source(POLICY_FILE), source(PYPROJECT)
    return choose(
        parse(_named(os.path.join(root, POLICY_FILE), label), dot) if dot is not None else None,
        (parse(_named(os.path.join(root, PYPROJECT), label), in_pyproject, pyproject=True)
         if in_pyproject is not None else None),
    )


def _named(path: str, label: str) -> str:
    return f'{path} ({label})' if label else path


def _disk(root: str, relpath: str) -> bytes | None:
    """A policy file on disk; None when there is none (a dangling link is an error, not no policy)."""
    path = os.path.join(root, relpath)
    if not os.path.lexists(path) or (relpath == PYPROJECT and not os.path.isfile(path)):
        return None
    return read(path)
