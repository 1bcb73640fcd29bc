"""Read the header of a .safetensors file: 8 bytes of length, then JSON.

Never the tensors, and never torch: the hook stays fast and safe on a file
it does not trust.
"""
from __future__ import annotations

import json
import os
import struct
from typing import Any

from adapter_guard import files

MAX_HEADER = 100 << 20  # the format's own limit is 100 MB


class HeaderError(ValueError):
    pass


def read_header(path: str) -> dict[str, Any]:
    """{tensor name: {"dtype", "shape", "data_offsets"}}, without "__metadata__"."""
    with os.fdopen(files.open_regular(path), 'rb') as f:  # a FIFO never blocks the hook
        size = os.fstat(f.fileno()).st_size
        prefix = f.read(8)
        if len(prefix) < 8:
            raise HeaderError('shorter than a safetensors header')
        (length,) = struct.unpack('<Q', prefix)
        if length > min(MAX_HEADER, size - 8):
            if prefix.startswith(b'version '):
                raise HeaderError('is a Git LFS pointer, not the weights')
            raise HeaderError(f'header length {length} does not fit in the file')
        raw = f.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise HeaderError(f'header is not JSON: {e}')
    if not isinstance(header, dict):
        raise HeaderError('header is not a JSON object')
    header.pop('__metadata__', None)
    for name, info in header.items():
        if not (isinstance(info, dict) and isinstance(info.get('shape'), list)
                and all(isinstance(d, int) for d in info['shape'])):
            raise HeaderError(f'tensor {name!r} has no shape')
    return header
