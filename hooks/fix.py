"""--fix: put back the committed base model, touching only those values' bytes.

PEFT writes indent 2, sorted keys and no final newline; everything but the
restored values stays byte for byte.  The file is replaced atomically.  A
file with findings that make its text untrustworthy (AG001 invalid JSON,
AG002 duplicate keys) is never touched.
"""
from __future__ import annotations

import json
import os
import re
import tempfile

from adapter_guard.findings import Finding
from adapter_guard.history import Target
from adapter_guard.jsonload import Document

UNSAFE = frozenset(('AG001', 'AG002'))
_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|true|false|null|-?[0-9][0-9.eE+-]*', re.DOTALL)
_KEYS = {'AG301': 'base_model_name_or_path', 'AG302': 'revision'}


def apply(findings: list[Finding], targets: list[Target]) -> list[str]:
    """Fix what is safe; return one line per file changed or left alone."""
    messages = []
    for target in targets:
        mine = [f for f in findings if f.path == target.path]
        wanted = {_KEYS[f.code]: f.previous for f in mine if f.fixable and f.code in _KEYS}
        if not wanted:
            continue
        unsafe = sorted({f.code for f in mine} & UNSAFE)
        if unsafe or target.document is None or target.content is None:
            messages.append(f'{target.path}: not fixed ({", ".join(unsafe) or "unreadable"} must be fixed by hand)')
            continue
        text = restore(target.document.text, target.document, wanted)
        if text is None:
            messages.append(f'{target.path}: not fixed (a key to restore is missing)')
            continue
        prefix = b'\xef\xbb\xbf' if target.content.startswith(b'\xef\xbb\xbf') else b''
        write_atomically(target.path, prefix + text.encode('utf-8'))
        restored = ', '.join(f'{key} to {json.dumps(value)}' for key, value in sorted(wanted.items()))
        messages.append(f'Fixing {target.path}: restored {restored}')
    return messages


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
