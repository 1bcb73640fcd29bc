"""--fix: put back the committed base model, touching only those values' bytes.

PEFT writes indent 2, sorted keys and no final newline; everything but the
restored values stays byte for byte.  The file is replaced atomically.  A
file with findings that make its text untrustworthy (AG001 invalid JSON,
AG002 duplicate keys) is never touched.  PEFT's save also rewrote the
README.md model card beside the config (AG401): its ``base_model`` line and
``base_model:adapter:`` tag are set to the config's Hub id the same way.
"""
from __future__ import annotations

import json
import os
import re
import tempfile

from adapter_guard.checks import model_card
from adapter_guard.findings import Finding
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.history import Target
from adapter_guard.jsonload import Document
from adapter_guard.localpath import local_path_reason

UNSAFE = frozenset(('AG001', 'AG002'))
_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|true|false|null|-?[0-9][0-9.eE+-]*', re.DOTALL)
# What --fix restores: a rewrite against HEAD (AG301, AG302) or the lock (AG304, which wins).
RESTORES = ('AG301', 'AG302', 'AG304')
# PEFT's card: "base_model: <name>" and the tag "- base_model:adapter:<name>"
_CARD_LINE = re.compile(r'^(?P<key>base_model:\s*|\s*-\s*base_model:adapter:)(?P<value>\S.*?)\s*$')


def apply(findings: list[Finding], targets: list[Target]) -> list[str]:
    """Fix what is safe; return one line per file changed or left alone."""
    messages = []
    for target in targets:
        mine = [f for f in findings if f.path == target.path]
        restorable = sorted((f for f in mine if f.fixable and f.code in RESTORES and f.pointer), key=lambda f: f.code)
        wanted = {str(f.pointer[0]): f.previous for f in restorable}
        messages += _config(target, mine, wanted) if wanted else []
        card = os.path.join(os.path.dirname(target.path), model_card.CARD)
        if target.document is not None and any(f.path == card and f.code == 'AG401' for f in findings):
            base = wanted.get('base_model_name_or_path', target.document.data.get('base_model_name_or_path'))
            messages += _card(card, base)
    return messages


def _card(path: str, base: object) -> list[str]:
    """Point the card's base_model and base_model:adapter: tag at ``base``, if it is a Hub id."""
    if not isinstance(base, str) or not is_valid_repo_id(base) or local_path_reason(base):
        return [f'{path}: not fixed (the config names no Hub id to put in the card)']
    with open(path, 'rb') as f:
        raw = f.read()
    lines = raw.decode('utf-8', 'surrogateescape').split('\n')
    changed = False
    for number, line in enumerate(lines):
        if number and line.startswith('---'):
            break  # the end of the metadata block
        match = _CARD_LINE.match(line)
        if match and match.group('value').strip('\'"') != base:
            lines[number] = match.group('key') + base
            changed = True
    if not changed:
        return [f'{path}: not fixed (no base_model line to change)']
    write_atomically(path, '\n'.join(lines).encode('utf-8', 'surrogateescape'))
    return [f'Fixing {path}: base_model and its tag set to {json.dumps(base)}']


def _config(target: Target, mine: list[Finding], wanted: dict[str, object]) -> list[str]:
    """Restore the ``wanted`` top-level values of one config."""
    unsafe = sorted({f.code for f in mine} & UNSAFE)
    raw = target.content.raw if target.content is not None else None
    if unsafe or target.document is None or not isinstance(raw, bytes) or not target.fixable:
        return [f'{target.path}: not fixed ({", ".join(unsafe) or "unreadable"} must be fixed by hand)']
    text = restore(target.document.text, target.document, wanted)
    if text is None:
        return [f'{target.path}: not fixed (a key to restore is missing)']
    prefix = b'\xef\xbb\xbf' if raw.startswith(b'\xef\xbb\xbf') else b''
    write_atomically(target.path, prefix + text.encode('utf-8'))
    restored = ', '.join(f'{key} to {json.dumps(value)}' for key, value in sorted(wanted.items()))
    return [f'Fixing {target.path}: restored {restored}']


def restore(text: str, document: Document, values: dict[str, object]) -> str | None:
    """``text`` with the top-level ``values`` replaced in place, or None."""
    line_starts = [0] + [m.end() for m in re.finditer('\n', text)]
    spans = []
    for key, value in values.items():
        where = document.positions.values.get((key,))
        if where is None:
            return None
        start = line_starts[where[0] - 1] + where[1] - 1
        token = _VALUE.match(text, start)
        if token is None:
            return None
        spans.append((start, token.end(), json.dumps(value)))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, temporary = tempfile.mkstemp(dir=directory, prefix='.adapter_config.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
