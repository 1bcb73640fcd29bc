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


def locate(paths: list[str], main_root: str | None) -> list[tuple[str | None, str]]:
    """(work tree, path relative to it) of each path; (None, path relative to the working directory) outside any.

    The work tree is the nearest folder with a .git entry; ``main_root`` is
    the repository the tool runs in (it may have no .git entry: GIT_DIR and
    GIT_WORK_TREE).  A submodule or another clone inside it is a repository
    of its own.  Folders are resolved through symbolic links as git resolves
    them, each folder once; the file name itself never is.
    """
    real = _RealDirs()
    roots: dict[str, str | None] = {}

    def root_of(directory: str) -> str | None:
        if directory not in roots:
            parent = os.path.dirname(directory)
            if directory == main_root or os.path.lexists(os.path.join(directory, '.git')):
                roots[directory] = directory
            else:
                roots[directory] = None if parent == directory else root_of(parent)
        return roots[directory]

    here = real(os.getcwd())
    located = []
    for path in paths:
        directory = real(os.path.dirname(os.path.abspath(path)))
        root = root_of(directory) if main_root is not None else None
        full = os.path.join(directory, os.path.basename(path))
        located.append((root, os.path.relpath(full, root or here).replace(os.sep, '/')))
    return located


class _RealDirs:
    """os.path.realpath for folders, with one lstat per folder however many files share it."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, directory: str) -> str:
        found = self._cache.get(directory)
        if found is None:
            parent, name = os.path.split(directory)
            if not name or parent == directory:
                found = directory
            else:
                full = os.path.join(self(parent), name)
                found = os.path.realpath(full) if os.path.islink(full) else full
            self._cache[directory] = found
        return found


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
