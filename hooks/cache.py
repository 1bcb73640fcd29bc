"""A result shared by the batches of one pre-commit run, kept in the git directory.

pre-commit splits `run --all-files` into batches of file names that run at
the same time, and every batch would walk the same history.  The first one
to take the lock computes the result for every config and stores it; the
others wait for the lock and read it.  The key holds everything the result
depends on (the commit, the policy, the tool's own code), so an entry is
never stale; a new entry replaces the old ones.  Where the git directory
cannot be written (a read-only checkout), every batch computes its own.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows): no lock, every batch computes its own
    fcntl = None  # type: ignore[assignment]

_CODE = Path(__file__).parent


def key(*parts: object) -> str:
    """A key for these parts and this version of the tool's code."""
    digest = hashlib.sha256(repr(parts).encode('utf-8', 'surrogateescape'))
    digest.update(code_fingerprint().encode())
    return digest.hexdigest()[:32]


def code_fingerprint() -> str:
    """Size and modification time of every module of the tool: an edited checkout is another tool."""
    files = sorted(p for p in _CODE.rglob('*') if p.suffix in ('.py', '.json') and p.is_file())
    return ';'.join(f'{p.relative_to(_CODE)}:{p.stat().st_size}:{p.stat().st_mtime_ns}' for p in files)


def shared(directory: str, name: str, entry: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, or what a batch of the same run already stored under ``entry`` (JSON values)."""
    folder = os.path.join(directory, 'adapter-guard')
    try:
        os.makedirs(folder, exist_ok=True)
        with _locked(os.path.join(folder, name + '.lock')):
            path = os.path.join(folder, f'{name}-{entry}.json')
            try:
                with open(path, encoding='utf-8') as f:
                    return json.load(f)
            except (OSError, ValueError):
                pass
            value = compute()
            _store(folder, name, path, value)
            return value
    except OSError:
        return compute()


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    with open(path, 'a') as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _store(folder: str, name: str, path: str, value: Any) -> None:
    """Write atomically, then drop the entries of other keys."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f'.{name}-', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(value, f)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    for other in os.listdir(folder):
        if other.startswith(name + '-') and other.endswith('.json') and os.path.join(folder, other) != path:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, other))
