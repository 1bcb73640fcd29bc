"""Read and parse one adapter_config.json: the loading stage.

Returns the parsed document, or loading findings (AG001-AG004) as data.
Parsing keeps what PEFT would see (``json.load``: the last duplicate wins,
NaN becomes a float) so later checks judge the same values PEFT uses.
"""
from __future__ import annotations

import json
import math
from typing import Any

from adapter_guard import files
from adapter_guard import formats
from adapter_guard import positions
from adapter_guard.findings import Finding
from adapter_guard.findings import Pointer
from adapter_guard.findings import show
from adapter_guard.positions import Positions
from adapter_guard.positions import scan

MAX_BYTES = files.MAX_BYTES  # 1 MiB: real configs are a few kB
# Python's json (and so PEFT) refuses longer integers (sys.int_info.default_max_str_digits).
MAX_INT_DIGITS = positions.MAX_INT_DIGITS
_BOM = b'\xef\xbb\xbf'
_LFS = b'version https://git-lfs.github.com/spec/'


class Document:
    """A parsed adapter config and the text it came from."""

    def __init__(self, path: str, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.data = data
        self._positions: Positions | None = None
        self._format: formats.Format | None = None

    @property
    def format(self) -> formats.Format:
        """Which tool wrote it (PEFT, mlx-lm, ...), from its keys."""
        if self._format is None:
            self._format = formats.detect(self.data)
        return self._format

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = scan(self.text)
        return self._positions

    def locate(self, pointer: Pointer, at: str = 'value') -> tuple[int, int]:
        """Line and column of a key or value; the nearest existing parent."""
        positions = self.positions
        while True:
            table = positions.keys if at == 'key' else positions.values
            if pointer in table:
                return table[pointer]
            if at == 'value' and pointer in positions.keys:
                return positions.keys[pointer]
            if not pointer:
                return 1, 1
            pointer, at = pointer[:-1], 'key' if len(pointer) > 1 else 'value'


class Loaded:
    """What loading gives: a document (possibly None) and loading findings."""

    def __init__(self, document: Document | None, findings: list[Finding]) -> None:
        self.document = document
        self.findings = findings


def read_file(path: str) -> Loaded | bytes:
    """The file's bytes, or an AG004 finding; never reads more than 1 MiB, never blocks."""
    try:
        return files.read_regular(path, MAX_BYTES)
    except files.TooLarge as e:
        return _unreadable(path, f'file is {e.size:,} bytes, larger than the 1 MiB limit for a config')
    except files.NotRegular as e:
        return _unreadable(path, str(e))
    except OSError as e:
        return _unreadable(path, f'cannot read: {e.strerror or e}')


def _unreadable(path: str, message: str, line: int = 1, column: int = 1) -> Loaded:
    return Loaded(None, [Finding(path, 'AG004', message, line=line, column=column)])


def parse(path: str, raw: bytes) -> Loaded:
    """Parse a config's bytes (from the disk or a git blob); never raises.

    Whatever the bytes hold, the answer is a document, loading findings, or
    both: the history reads every blob through this, so a hostile blob is a
    finding there too, never a skipped version.
    """
    findings: list[Finding] = []
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
        findings.append(Finding(
            path, 'AG004',
            "starts with a UTF-8 byte order mark; PEFT's json.load rejects it (save as plain UTF-8)",
            line=1, column=1,
        ))
    if raw.startswith(_LFS):
        return _unreadable(path, 'is a Git LFS pointer, not the config (run `git lfs pull`)')
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        line = raw.count(b'\n', 0, e.start) + 1
        column = e.start - (raw.rfind(b'\n', 0, e.start) + 1) + 1
        return _unreadable(path, f'not UTF-8: byte 0x{raw[e.start]:02x} at offset {e.start}', line, column)

    problems = {'duplicate': False, 'constant': False, 'long': False}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            problems['duplicate'] = True
        return obj

    def constant(token: str) -> float:
        problems['constant'] = True
        return float(token)

    def real(token: str) -> float:
        value = float(token)
        if math.isinf(value):  # 1e400: Python reads it as inf, which is not JSON
            problems['constant'] = True
        return value

    def integer(token: str) -> int:
        if len(token.lstrip('-')) > MAX_INT_DIGITS:
            problems['long'] = True
            return 0  # a placeholder: the document is not used
        return int(token)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_float=real, parse_int=integer)
    except json.JSONDecodeError as e:
        message = 'file is empty' if not text.strip() else f'not valid JSON: {e.msg}'
        findings.append(Finding(path, 'AG001', message, line=e.lineno, column=e.colno))
        return Loaded(None, findings)
    except RecursionError:
        findings.append(Finding(path, 'AG001', 'not valid JSON: nested too deeply', line=1, column=1))
        return Loaded(None, findings)
    except ValueError as e:  # an interpreter with a lower int digit limit than PEFT's users have
        findings.append(Finding(path, 'AG004', f"Python's json refuses it: {e}", line=1, column=1))
        return Loaded(None, findings)

    document = Document(path, text, data)
    if problems['duplicate']:
        for dup in document.positions.duplicates:
            name = show(dup.pointer)
            findings.append(Finding(
                path, 'AG002',
                f'duplicate key {name} (first at line {dup.first[0]}); '
                f"PEFT's json.load silently keeps this last one",
                line=dup.again[0], column=dup.again[1],
            ))
    if problems['constant']:
        for pointer, (line, column), token in document.positions.constants:
            findings.append(Finding(path, 'AG003', _constant_message(pointer, token), line=line, column=column))
    if problems['long']:
        for pointer, (line, column), digits in document.positions.long_integers:
            findings.append(Finding(
                path, 'AG004',
                f"{show(pointer)} is an integer of {digits:,} digits: Python's json (and so PEFT) refuses "
                f'integers longer than {MAX_INT_DIGITS:,} digits',
                line=line, column=column,
            ))
        return Loaded(None, findings)
    if not isinstance(data, dict):
        findings.append(Finding(
            path, 'AG004', f'top level is {json_type(data)}, not an object', line=1, column=1,
        ))
        return Loaded(None, findings)
    return Loaded(document, findings)


def _constant_message(pointer: Pointer, token: str) -> str:
    if token in ('NaN', 'Infinity', '-Infinity'):
        return f'{show(pointer)} is {token}, which is not JSON'
    shown = token if len(token) <= 24 else token[:12] + '…' + token[-6:]
    return (f'{show(pointer)} is {shown}, too large for a float: '
            'Python (and so PEFT) reads it as Infinity, which is not JSON')


def load(path: str) -> Loaded:
    raw = read_file(path)
    if isinstance(raw, Loaded):
        return raw
    return parse(path, raw)


def json_type(value: object) -> str:
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, list):
        return 'an array'
    return 'an object'


def unreadable(path: str, message: str) -> Loaded:
    """Loading that failed before parsing: one AG004 finding."""
    return _unreadable(path, message)
