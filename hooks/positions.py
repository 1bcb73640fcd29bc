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


class Duplicate(NamedTuple):
    pointer: Pointer
    first: Location
    again: Location


class Positions(NamedTuple):
    keys: dict[Pointer, Location]
    values: dict[Pointer, Location]
    duplicates: list[Duplicate]
    constants: list[tuple[Pointer, Location, str]]


class _Frame:
    __slots__ = ('pointer', 'is_object', 'expect_key', 'index', 'pending', 'seen')

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

    found = Positions({}, {}, [], [])
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
        elif first in '{[':
            stack.append(_Frame(pointer, first == '{'))
    return found
