"""Which files to check: PATH arguments expanded, and the repository root."""
from __future__ import annotations

import os
import stat

from adapter_guard.errors import UsageError

CONFIG_NAME = 'adapter_config.json'
_SKIP_DIRS = frozenset(('.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv', '.tox'))


def expand(paths: list[str]) -> list[str]:
    """Files as given; directories searched for **/adapter_config.json."""
    found: list[str] = []
    for path in paths:
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError:
            if not os.path.lexists(path):  # a broken symlink is reported when it is read
                raise UsageError(f'no such file or directory: {path}')
            is_dir = False
        if is_dir:
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                if CONFIG_NAME in filenames:
                    found.append(os.path.join(dirpath, CONFIG_NAME))
        else:
            found.append(path)
    return list(dict.fromkeys(os.path.normpath(p) for p in found))


def find_root(start: str = '.') -> str:
    """The nearest enclosing directory with a .git entry, else ``start``."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, '.git')):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(start)
        here = parent


def relative_to(path: str, root: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), root)
    return rel.replace(os.sep, '/')
