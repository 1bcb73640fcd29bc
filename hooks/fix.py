"""--fix: put back the committed base model, touching only those values' bytes.

PEFT writes indent 2, sorted keys and no final newline; everything but the
restored values stays byte for byte.  The file is replaced atomically.  A
file with findings that make its text untrustworthy (AG001 invalid JSON,
AG002 duplicate keys) is never touched.  PEFT's save also rewrote the
README.md model card beside the config (AG401): its ``base_model`` line and
``base_model:adapter:`` tag are set to the config's Hub id the same way.
"""
from __future__ import annotations

import json
import os
import re
import stat

from adapter_guard import files
from adapter_guard.checks import model_card
from adapter_guard.findings import Finding
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.jsonload import Document
from adapter_guard.judgment import Target
from adapter_guard.localpath import local_path_reason

UNSAFE = frozenset(('AG001', 'AG002'))
_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|true|false|null|-?[0-9][0-9.eE+-]*', re.DOTALL)
# What --fix restores: a rewrite against HEAD (AG301, AG302) or the lock (AG304, which wins).
RESTORES = ('AG301', 'AG302', 'AG304')
# PEFT's card: "base_model: <name>" and the tag "- base_model:adapter:<name>"
_CARD_LINE = re.compile(r'^(?P<key>base_model:\s*|\s*-\s*base_model:adapter:)(?P<value>\S.*?)\s*$')


def apply(findings: list[Finding], targets: list[Target]) -> list[str]:
    """Fix what is safe; return one line per file changed or left alone."""
    messages = []
    for target in targets:
        mine = [f for f in findings if f.path == target.path]
        restorable = sorted((f for f in mine if f.fixable and f.code in RESTORES and f.pointer), key=lambda f: f.code)
        wanted = {str(f.pointer[0]): f.previous for f in restorable}
        messages += _config(target, mine, wanted) if wanted else []
        card = os.path.join(os.path.dirname(target.path), model_card.CARD)
        if target.document is not None and any(f.path == card and f.code == 'AG401' for f in findings):
            base = wanted.get('base_model_name_or_path', target.document.data.get('base_model_name_or_path'))
            messages += _card(card, base)
    return messages


def _card(path: str, base: object) -> list[str]:
    """Point the card's base_model and base_model:adapter: tag at ``base``, if it is a Hub id."""
    if not isinstance(base, str) or not is_valid_repo_id(base) or local_path_reason(base):
        return [f'{path}: not fixed (the config names no Hub id to put in the card)']
    try:
        raw = files.read_regular(path)
    except OSError as e:
        return [f'{path}: not fixed (cannot read it: {e.strerror or e})']
    lines = raw.decode('utf-8', 'surrogateescape').split('\n')
    changed = False
    for number, line in enumerate(lines):
        if number and line.startswith('---'):
            break  # the end of the metadata block
        match = _CARD_LINE.match(line)
        if match and match.group('value').strip('\'"') != base:
            lines[number] = match.group('key') + base
            changed = True
    if not changed:
        return [f'{path}: not fixed (no base_model line to change)']
    try:
        write_atomically(path, '\n'.join(lines).encode('utf-8', 'surrogateescape'))
    except WriteError as e:
        return [f'{path}: not fixed ({e})']
    return [f'Fixing {path}: base_model and its tag set to {json.dumps(base)}']


def _config(target: Target, mine: list[Finding], wanted: dict[str, object]) -> list[str]:
    """Restore the ``wanted`` top-level values of one config."""
    unsafe = sorted({f.code for f in mine} & UNSAFE)
    raw = target.content.raw if target.content is not None else None
    if unsafe or target.document is None or not isinstance(raw, bytes) or not target.fixable:
        return [f'{target.path}: not fixed ({", ".join(unsafe) or "unreadable"} must be fixed by hand)']
    text = restore(target.document.text, target.document, wanted)
    if text is None:
        return [f'{target.path}: not fixed (a key to restore is missing)']
    prefix = b'\xef\xbb\xbf' if raw.startswith(b'\xef\xbb\xbf') else b''
    try:
        write_atomically(target.path, prefix + text.encode('utf-8'))
    except WriteError as e:
        return [f'{target.path}: not fixed ({e})']
    restored = ', '.join(f'{key} to {json.dumps(value)}' for key, value in sorted(wanted.items()))
    return [f'Fixing {target.path}: restored {restored}']


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


class WriteError(Exception):
    """A file that --fix (or init) will not or cannot write; the message says why, in one line."""


def write_atomically(path: str, data: bytes) -> None:
    """Replace (or create) ``path`` with ``data``: the one function that writes files.

    After a crash at any point there is the old file or the new one, and
    nothing else ``git add -A`` would pick up: the temporary file is written
    in the repository's git directory (where git never looks) and renamed
    over the file.  A symbolic link is never replaced by a file, and a file or
    folder without write permission is left alone (its mode bits say so even
    to root).  Raises WriteError.
    """
    why = refusal(path)
    if why is not None:
        raise WriteError(why)
    directory = os.path.dirname(os.path.abspath(path))
    info = os.stat(path) if os.path.exists(path) else None
    folder = os.stat(directory)
    mode = info.st_mode & 0o7777 if info is not None else 0o666 & ~_umask()
    import tempfile  # only --fix and init write files

    try:
        fd, temporary = tempfile.mkstemp(dir=_scratch_dir(directory, folder.st_dev),
                                         prefix='adapter-guard-', suffix='.tmp')
    except OSError as e:
        raise WriteError(f'cannot write it: {e.strerror or e}')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as e:
        os.unlink(temporary)
        if isinstance(e, OSError):
            raise WriteError(f'cannot write it: {e.strerror or e}')
        raise
    _sync_directory(directory)


def refusal(path: str) -> str | None:
    """Why ``path`` will not be written (None: it will be): the checks write_atomically makes first."""
    if os.path.islink(path):
        return 'a symbolic link: it is never replaced with a file; fix the file it points to'
    directory = os.path.dirname(os.path.abspath(path))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as e:
        return f'cannot write it: {e.strerror or e}'
    if info is not None and not stat.S_ISREG(info.st_mode):
        return 'not a regular file'
    if info is not None and not info.st_mode & 0o222:
        return 'read-only: make it writable (chmod u+w) to fix it'
    try:
        folder = os.stat(directory)
    except OSError as e:
        return f'cannot write it: {e.strerror or e}'
    if not folder.st_mode & 0o222 or not os.access(directory, os.W_OK):
        return 'in a read-only folder: make the folder writable to fix it'
    return None


def _scratch_dir(directory: str, device: int) -> str:
    """Where the temporary file goes: the enclosing repository's git directory, else ``directory``.

    Beside the file, a temporary left by a crash (kill -9, power loss) is an
    untracked file that ``git add -A`` commits.  The rename must stay on one
    filesystem, so a git directory elsewhere is not used.
    """
    here = directory
    while True:
        dot_git = os.path.join(here, '.git')
        git_dir = None
        if os.path.isdir(dot_git):
            git_dir = dot_git
        elif os.path.isfile(dot_git):  # a worktree or submodule: "gitdir: <path>"
            try:
                with open(dot_git, encoding='utf-8') as f:
                    line = f.readline().strip()
            except OSError:
                line = ''
            if line.startswith('gitdir:'):
                git_dir = os.path.join(here, line[len('gitdir:'):].strip())
        if git_dir is not None:
            try:
                usable = os.stat(git_dir).st_dev == device and os.access(git_dir, os.W_OK)
            except OSError:
                usable = False
            return git_dir if usable else directory
        parent = os.path.dirname(here)
        if parent == here:
            return directory
        here = parent


def _sync_directory(directory: str) -> None:
    """Make the rename durable across a power loss (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
