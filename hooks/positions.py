"""Line and column of every key and value in a JSON text.

The fast path parses with the C ``json`` module, which keeps no positions.
This scanner runs only when a file has something to report, and only on
text that ``json`` already accepted (NaN and duplicate keys included), so it
can be simple.  It is iterative: a hostile, deeply nested file cannot
exhaust the stack.
"""
from __future__ import annotations

import bisect
import json
import math
import re
from typing import NamedTuple

from adapter_guard.findings import Pointer

Location = tuple[int, int]  # 1-based line, 1-based column (characters)

_TOKEN = re.compile(
    r'[ \t\r\n]+'
    r'|"(?:[^"\\]|\\.)*"'
    r'|-?Infinity|NaN|true|false|null'
    r'|-?[0-9][0-9.eE+-]*'
    r'|[{}\[\]:,]',
    re.DOTALL,
)
_CONSTANTS = frozenset(('NaN', 'Infinity', '-Infinity'))
# Python's json (and so PEFT) refuses longer integers (sys.int_info.default_max_str_digits).
MAX_INT_DIGITS = 4300


class Duplicate(NamedTuple):
    pointer: Pointer
    first: Location
    again: Location


class Positions(NamedTuple):
    keys: dict[Pointer, Location]
    values: dict[Pointer, Location]
    duplicates: list[Duplicate]
    constants: list[tuple[Pointer, Location, str]]  # NaN, Infinity, and numbers that overflow to it
    long_integers: list[tuple[Pointer, Location, int]]  # (..., number of digits)


class _Frame:
    __slots__ = ('expect_key', 'index', 'is_object', 'pending', 'pointer', 'seen')

    def __init__(self, pointer: Pointer, is_object: bool) -> None:
        self.pointer = pointer
        self.is_object = is_object
        self.expect_key = is_object
        self.index = 0
        self.pending: Pointer = pointer
        self.seen: dict[str, Location] = {}


def scan(text: str) -> Positions:
    line_starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def locate(offset: int) -> Location:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    found = Positions({}, {}, [], [], [])
    stack: list[_Frame] = []
    pos = 0
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:
            break
        token = match.group()
        start, pos = pos, match.end()
        first = token[0]
        if first in ' \t\r\n' or first == ':':
            if first == ':':
                stack[-1].expect_key = False
            continue
        if first == ',':
            frame = stack[-1]
            frame.expect_key = frame.is_object
            continue
        if first in '}]':
            stack.pop()
            continue
        parent = stack[-1] if stack else None
        pointer: Pointer
        if parent is not None and parent.expect_key:
            key = json.loads(token)
            pointer = parent.pointer + (key,)
            here = locate(start)
            if key in parent.seen:
                found.duplicates.append(Duplicate(pointer, parent.seen[key], here))
            parent.seen[key] = here
            found.keys[pointer] = here
            parent.pending = pointer
            continue
        if parent is None:
            pointer = ()
        elif parent.is_object:
            pointer = parent.pending
        else:
            pointer = parent.pointer + (parent.index,)
            parent.index += 1
        found.values[pointer] = locate(start)
        if token in _CONSTANTS:
            found.constants.append((pointer, locate(start), token))
        elif first == '-' or first.isdigit():
            _number(token, pointer, locate(start), found)
        elif first in '{[':
            stack.append(_Frame(pointer, first == '{'))
    return found


def _number(token: str, pointer: Pointer, where: Location, found: Positions) -> None:
    """Record a number Python's json cannot keep: too many digits, or a float that overflows."""
    if not any(c in token for c in '.eE'):
        digits = len(token.lstrip('-'))
        if digits > MAX_INT_DIGITS:
            found.long_integers.append((pointer, where, digits))
        return
    try:
        overflow = math.isinf(float(token))
    except ValueError:
        return
    if overflow:
        found.constants.append((pointer, where, token))
