"""Does a base-model value name a local filesystem path rather than a Hub repo?

Pure string rules first (absolute, home, ./ ../, Windows drive or UNC,
backslashes, a Hugging Face cache snapshot), then the one rule that needs the
disk: a relative value such as ``models/llama``, which is also a valid Hub id,
is a local path when that directory exists next to the adapter or at the
repository root.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable

_WINDOWS_DRIVE = re.compile(r'^[A-Za-z]:([\\/]|$)')
_CACHE = re.compile(r'(^|[\\/])models--(?:([^\\/]+?)--)?([^\\/]+?)([\\/]snapshots([\\/]|$)|[\\/]?$)')


def local_path_reason(value: str, search_dirs: Iterable[str] = ()) -> str | None:
    """Why ``value`` is a local path, or None when it is not one."""
    repo_id = cache_repo_id(value)
    if repo_id:
        return f"a Hugging Face cache path (the Hub id is '{repo_id}')"
    if value.startswith('~'):
        return 'a path in a home directory'
    if value.startswith(('\\\\', '//')):
        return 'a network (UNC) path'
    if value.startswith('/'):
        return 'an absolute path'
    if _WINDOWS_DRIVE.match(value):
        return 'a Windows drive path'
    if value in ('.', '..') or value.startswith(('./', '../', '.\\', '..\\')):
        return 'a relative path'
    if '\\' in value:
        return 'a Windows path'
    if value.endswith('/') and value.strip('/'):
        return 'a directory path (ends with /)'
    if value and '\x00' not in value:
        for directory in search_dirs:
            if os.path.isdir(os.path.join(directory, value)):
                return f'a directory that exists here ({os.path.join(directory, value)})'
    return None


def cache_repo_id(value: str) -> str | None:
    """'org/name' for a Hub cache path such as .../models--org--name/snapshots/<sha>."""
    match = _CACHE.search(value)
    if match is None:
        return None
    return f'{match.group(2)}/{match.group(3)}' if match.group(2) else match.group(3)
