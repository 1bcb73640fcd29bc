"""All git access: the only module that runs git.

Everything goes through the git command line, never an in-process index
reader: ``git commit -a`` and ``git commit <path>`` point hooks at a
temporary index through GIT_INDEX_FILE, which only the git CLI honours.
Output is NUL-separated (-z) and blobs are read in one ``git cat-file
--batch`` per call, each once.  (GitPython is not used: importing it costs
about 40 ms, a quarter of a whole hook run on one file, and its index reader
ignores GIT_INDEX_FILE.)
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from typing import IO

from adapter_guard import gitlog
from adapter_guard.errors import GitError
from adapter_guard.gitlog import Commit

NULL_SHA = '0' * 40
EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
CONFIG_GLOB = '*adapter_config.json'
_SHA = re.compile(r'[0-9a-f]{40}')


class Repo:
    def __init__(self, root: str, git_dir: str, shallow: bool, head: str | None, common_dir: str = '') -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir or git_dir  # shared by worktrees
        self.shallow = shallow
        self.head = head

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        status, out, err = self._execute(args)
        if status not in ok:
            raise GitError(f'git {" ".join(args[:3])} failed: {err.strip() or f"exit {status}"}')
        return out

    def _execute(self, args: Iterable[str]) -> tuple[int, str, str]:
        return _git(self.root, *args)

    # -- what the repository is ------------------------------------------------

    def git_path(self, name: str) -> str:
        """A path inside the git directory, as git resolves it (worktrees, core.hooksPath)."""
        return os.path.join(self.root, self.run('rev-parse', '--git-path', name).strip())

    def grafted(self) -> bool:
        """History rewritten by grafts or replace refs: commits may not be what they say."""
        grafts = os.path.join(self.common_dir, 'info', 'grafts')
        if os.path.isfile(grafts) and os.path.getsize(grafts):
            return True
        return bool(self.run('for-each-ref', '--count=1', '--format=%(refname)', 'refs/replace/').strip())

    def resolve(self, rev: str) -> str | None:
        status, out, _ = self._execute(('rev-parse', '--verify', '-q', '--end-of-options', rev + '^{commit}'))
        return out.strip() if status == 0 else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        status, _, _ = self._execute(('merge-base', '--is-ancestor', ancestor, descendant))
        return status == 0

    def commit_msg_hook_installed(self) -> bool:
        """git's commit-msg hook runs adapter-guard commit-msg (directly or through pre-commit)."""
        hook = self.git_path('hooks/commit-msg')
        try:
            with open(hook, encoding='utf-8', errors='replace') as f:
                script = f.read()
        except OSError:
            return False
        if 'adapter-guard commit-msg' in script or 'adapter_guard commit-msg' in script:
            return True
        if 'pre-commit' not in script:
            return False
        try:
            with open(os.path.join(self.root, '.pre-commit-config.yaml'), encoding='utf-8', errors='replace') as f:
                return 'adapter-guard-commit-msg' in f.read()
        except OSError:
            return False

    # -- content ---------------------------------------------------------------

    def staged_renames(self) -> dict[str, tuple[str, int]]:
        """new path -> (old path, similarity) for files renamed in the index relative to HEAD."""
        if self.head is None:
            return {}
        out = self.run('diff', '--cached', '-M', '--name-status', '--no-ext-diff', '-z', 'HEAD', '--', CONFIG_GLOB)
        return {
            new: (old, int(status[1:] or 100))
            for status, old, new in _name_status(out) if status[:1] in ('R', 'C')
        }

    def changed_since_head(self, *, index: bool) -> set[str]:
        """Adapter configs whose working-tree (or, with ``index``, staged) content differs from HEAD."""
        if self.head is None:
            return set()
        cached = ('--cached',) if index else ()
        out = self.run('diff-index', '-z', '--name-only', '--no-renames', *cached, 'HEAD', '--', CONFIG_GLOB)
        return {p for p in out.split('\0') if p}

    def staged_configs(self) -> list[tuple[str, str]]:
        """(path, old path) of adapter configs added, modified or renamed in the index."""
        against = 'HEAD' if self.head else EMPTY_TREE
        out = self.run(
            'diff', '--cached', '-M', '--name-status', '--no-ext-diff', '-z',
            '--diff-filter=ACMRT', against, '--', CONFIG_GLOB,
        )
        return [(new, old) for _, old, new in _name_status(out)]

    def read(self, specs: list[str]) -> list[bytes | None]:
        """Contents of objects ('HEAD:path', ':path', a blob sha); None when missing.

        One ``git cat-file --batch`` for all of them; the names are written by
        a thread while the contents are read, so a pipe never fills up.
        """
        if not specs:
            return []
        # cat-file reads names line by line: resolve a name with a newline first.
        specs = [self._blob_sha(s) if '\n' in s else s for s in specs]
        try:
            process = subprocess.Popen(
                ('git', 'cat-file', '--batch'), cwd=self.root,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError('the git executable was not found on PATH')
        assert process.stdin is not None and process.stdout is not None
        stdin, stdout = process.stdin, process.stdout

        def feed() -> None:
            try:
                stdin.write(b''.join(s.encode('utf-8', 'surrogateescape') + b'\n' for s in specs))
                stdin.close()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        contents: list[bytes | None] = []
        with process:
            contents = self._read_batch(stdout, len(specs))
            writer.join()
        return contents

    @staticmethod
    def _read_batch(stdout: IO[bytes], count: int) -> list[bytes | None]:
        return [(_next_object(stdout) or ('', None))[1] for _ in range(count)]

    def _blob_sha(self, spec: str) -> str:
        status, out, _ = self._execute(('rev-parse', '--verify', '-q', '--end-of-options', spec))
        return out.strip() if status == 0 else NULL_SHA

    # -- history ---------------------------------------------------------------

    def log(self, revisions: list[str], *, since: str | None = None, paths: Iterable[str] = ()) -> Iterator[Commit]:
        """Commits that changed adapter configs, newest first, with their raw changes.

        Rename-aware (-M) and merge-aware (-c: a merge shows only files that
        differ from every parent, i.e. changes the merge itself made).
        """
        args = ['log', '-z', '--raw', '--no-abbrev', '-M', '-c', '--no-ext-diff', '--format=' + gitlog.FORMAT]
        if since is not None:
            args.append('--since=' + since)
        args += revisions
        args += ['--', *(paths or (CONFIG_GLOB,))]
        # Streamed: the caller works on each commit while git produces the next.
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(('git', *args), cwd=self.root, stdout=subprocess.PIPE, stderr=errors)
            except FileNotFoundError:
                raise GitError('the git executable was not found on PATH')
            with process:
                assert process.stdout is not None
                yield from gitlog.parse_log(gitlog.read_fields(process.stdout))
            if process.returncode:
                errors.seek(0)
                message = errors.read().decode('utf-8', 'replace').strip()
                raise GitError(f'git log failed: {message or f"exit {process.returncode}"}')

    def blob_stream(self) -> BlobStream:
        return BlobStream(self.root)


class BlobStream:
    """Blob contents by id from one ``git cat-file --batch``, asked for while history streams in.

    ``want`` sends an id at once; a thread reads the answers, so git never
    waits on a full pipe; ``contents`` closes the stream and returns them all.
    """

    def __init__(self, root: str) -> None:
        try:
            self._process = subprocess.Popen(
                ('git', 'cat-file', '--batch'), cwd=root,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError('the git executable was not found on PATH')
        self._asked: set[str] = set()
        self._contents: dict[str, bytes | None] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def want(self, blobs: Iterable[str]) -> None:
        assert self._process.stdin is not None
        for sha in blobs:
            if sha != NULL_SHA and sha not in self._asked:
                self._asked.add(sha)
                self._process.stdin.write(sha.encode() + b'\n')

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while (answer := _next_object(stdout)) is not None:
            name, content = answer
            self._contents[name] = content

    def contents(self) -> dict[str, bytes | None]:
        assert self._process.stdin is not None
        with self._process:  # closes the pipes and waits
            self._process.stdin.close()
            self._reader.join()
        return self._contents


def _next_object(stdout: IO[bytes]) -> tuple[str, bytes | None] | None:
    """One answer of ``git cat-file --batch``: (name, content of a blob, else None); None at the end."""
    header = stdout.readline()
    if not header:
        return None
    parts = header.split()
    if len(parts) != 3:  # "<name> missing" or "<name> ambiguous"
        return (parts[0].decode('utf-8', 'surrogateescape') if parts else ''), None
    content = stdout.read(int(parts[2]))
    stdout.read(1)  # the newline after the content
    return parts[0].decode(), (content if parts[1] == b'blob' else None)  # a tree or commit is no file


def _name_status(out: str) -> list[tuple[str, str, str]]:
    """(status, old path, new path) of each entry of ``git diff --name-status -z``."""
    fields = out.split('\0')
    entries = []
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if status[:1] in ('R', 'C'):
            entries.append((status, fields[i + 1], fields[i + 2]))
            i += 3
        else:
            entries.append((status, fields[i + 1], fields[i + 1]))
            i += 2
    return entries


def _git(cwd: str, *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one git command; paths survive as surrogates."""
    try:
        process = subprocess.run(
            ('git', *args), cwd=cwd, capture_output=True, encoding='utf-8', errors='surrogateescape',
        )
    except FileNotFoundError:
        raise GitError('the git executable was not found on PATH')
    return process.returncode, process.stdout, process.stderr


def open_repo(cwd: str = '.') -> Repo | None:
    """The repository around ``cwd`` (honouring GIT_DIR and GIT_WORK_TREE), or None."""
    _, out, _ = _git(
        cwd, 'rev-parse', '--path-format=absolute', '--show-toplevel', '--absolute-git-dir',
        '--git-common-dir', '--is-shallow-repository', 'HEAD',
    )
    lines = out.splitlines()
    if len(lines) < 5:
        return None  # not a repository (or a bare one)
    head = lines[4] if _SHA.fullmatch(lines[4]) else None
    return Repo(lines[0], lines[1], lines[3] == 'true', head, lines[2])
