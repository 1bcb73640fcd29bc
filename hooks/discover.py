"""Which files to check: PATH arguments expanded, mapped to adapter configs, grouped by repository.

pre-commit hands the hook every changed file its `files:` pattern matches:
adapter configs, and also what decides their judgment.  A model card or a
weights file is mapped to the config beside it; the policy and the lock at a
repository's root mean every config of that repository.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from adapter_guard.errors import UsageError

CONFIG_NAME = 'adapter_config.json'
COMPANIONS = frozenset(('README.md', 'adapter_model.safetensors', 'adapter_model.bin'))
# at a repository's root: a change re-checks every adapter
LOCK_FILE = 'adapter-guard.lock'
ROOT_FILES = frozenset(('.adapter-guard.toml', 'pyproject.toml', LOCK_FILE))
_SKIP_DIRS = frozenset(('.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv', '.tox'))


def expand(paths: Iterable[str]) -> list[str]:
    """Files as given, companions as the config beside them; directories searched for **/adapter_config.json."""
    found: list[str] = []
    for path in paths:
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError:
            if not os.path.lexists(path):  # a broken symlink is reported when it is read
                raise UsageError(f'no such file or directory: {path}')
            is_dir = False
        if is_dir:
            found += search(path)
        elif os.path.basename(path) in COMPANIONS:
            config = os.path.join(os.path.dirname(path), CONFIG_NAME)
            if os.path.lexists(config):  # a card with no adapter beside it is not ours
                found.append(config)
        else:
            found.append(path)
    return list(dict.fromkeys(os.path.normpath(p) for p in found))


def search(directory: str, names: tuple[str, ...] = (CONFIG_NAME, LOCK_FILE)) -> list[str]:
    """Every adapter config under a folder, and a lock file (at a repository root it stands for them all)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        found += [os.path.normpath(os.path.join(dirpath, name)) for name in names if name in filenames]
    return found


def repository_roots(paths: list[str], main_root: str | None) -> list[str | None]:
    """The work tree each path belongs to: the nearest folder with a .git entry; None outside any.

    ``main_root`` is the repository the tool runs in (it may have no .git
    entry: GIT_DIR and GIT_WORK_TREE); a submodule or another clone inside it
    is a repository of its own.
    """
    cache: dict[str, str | None] = {}

    def root_of(directory: str) -> str | None:
        if directory not in cache:
            parent = os.path.dirname(directory)
            if directory == main_root or os.path.lexists(os.path.join(directory, '.git')):
                cache[directory] = directory
            else:
                cache[directory] = None if parent == directory else root_of(parent)
        return cache[directory]

    return [root_of(os.path.realpath(os.path.dirname(os.path.abspath(p)))) for p in paths]


def relative_to(path: str, root: str) -> str:
    """``path`` relative to ``root``, with forward slashes; the file name itself is never resolved."""
    directory = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    rel = os.path.relpath(os.path.join(directory, os.path.basename(path)), root)
    return rel.replace(os.sep, '/')


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
