"""--fix writes safely: never through a link, never against write permission, never a stray temporary file.

The crash tests kill a real ``adapter-guard --fix`` process with SIGKILL at
each step of the write.  The process is paused at that step by a Python audit
hook (PEP 578) that the test installs from a sitecustomize.py on PYTHONPATH:
the product has no test switch, and the pause lands exactly on the step, so
no timing is involved.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapter_guard import fix
from tests.util import commit
from tests.util import git
from tests.util import LORA
from tests.util import peft_dumps
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
LOCAL = '/mnt/models/Llama-2-7b-hf'


@pytest.fixture
def rewritten(repo: Path) -> Path:
    """a/adapter_config.json committed with the Hub id, then rewritten to a local path and staged."""
    write_config(repo / 'a')
    git('add', '.')
    commit('add adapter')
    write_config(repo / 'a', base_model_name_or_path=LOCAL)
    git('add', '.')
    return repo / 'a' / 'adapter_config.json'


def _status(repo: Path) -> str:
    return git('status', '--porcelain', '--untracked-files=all', cwd=repo)


def test_a_successful_fix_leaves_nothing_for_git_to_pick_up(rewritten: Path, repo: Path, run) -> None:
    result = run('--fix', 'a')
    assert result.code == 1
    assert HUB in rewritten.read_text()
    assert _status(repo) == 'MM a/adapter_config.json\n'


@pytest.mark.parametrize('where', ('file', 'folder'))
def test_read_only_is_one_line_and_the_file_is_untouched(rewritten: Path, run, where: str) -> None:
    before = rewritten.read_bytes()
    target = rewritten if where == 'file' else rewritten.parent
    mode = target.stat().st_mode & 0o777
    target.chmod(mode & ~0o222)
    try:
        result = run('--fix', 'a')
    finally:
        target.chmod(mode)
    assert result.code == 1, result
    why = ('read-only: make it writable (chmod u+w) to fix it' if where == 'file'
           else 'in a read-only folder: make the folder writable to fix it')
    assert result.out.splitlines()[0] == f'a/adapter_config.json: not fixed ({why})'
    assert 'Traceback' not in result.err
    assert rewritten.read_bytes() == before


def test_a_symlinked_config_is_never_replaced_with_a_file(repo: Path, tmp_path: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add adapter')
    elsewhere = write_config(tmp_path / 'elsewhere', base_model_name_or_path=LOCAL)
    link = repo / 'a' / 'adapter_config.json'
    link.unlink()
    link.symlink_to(elsewhere)
    result = run('--fix', 'a')
    assert result.code == 1, result
    first = result.out.splitlines()[0]
    assert first.startswith('a/adapter_config.json:1:1: AG005 adapter_config.json is a symbolic link')
    assert link.is_symlink()
    assert os.readlink(link) == str(elsewhere)
    assert LOCAL in elsewhere.read_text()


def test_write_atomically_outside_git_creates_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / 'policy.toml'
    fix.write_atomically(str(path), b'one\n')
    fix.write_atomically(str(path), b'two\n')
    assert path.read_bytes() == b'two\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['policy.toml']


_PAUSE = '''
import os, signal, sys

def _pause(event, args):
    if event == os.environ['PAUSE_AT'] and os.environ['PAUSE_MATCH'] in str(args):
        os.kill(os.getpid(), signal.SIGSTOP)

sys.addaudithook(_pause)
'''


@pytest.mark.parametrize(('event', 'match', 'left'), (
    pytest.param('tempfile.mkstemp', 'adapter-guard-', 'old', id='temporary file just created, empty'),
    pytest.param('os.chmod', 'adapter-guard-', 'old', id='temporary file written, before its mode is set'),
    pytest.param('os.rename', 'adapter_config.json', 'old', id='just before the rename'),
    pytest.param('open', "('{adapter}', ", 'new', id='after the rename, syncing the folder'),
))
def test_kill_9_at_any_step_leaves_the_old_or_the_new_file_and_nothing_else(
        rewritten: Path, repo: Path, tmp_path: Path, event: str, match: str, left: str,
) -> None:
    hooks = tmp_path / 'pause'
    hooks.mkdir()
    (hooks / 'sitecustomize.py').write_text(_PAUSE)
    old, new = rewritten.read_bytes(), peft_dumps(dict(LORA, base_model_name_or_path=HUB)).encode()
    env = {**os.environ, 'PYTHONPATH': str(hooks), 'PAUSE_AT': event,
           'PAUSE_MATCH': match.format(adapter=rewritten.parent)}
    process = subprocess.Popen(
        [sys.executable, '-m', 'adapter_guard', '--fix', 'a'], cwd=repo, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _, state = os.waitpid(process.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(state), 'the process ended without reaching the step'
    finally:
        process.kill()  # SIGKILL, as kill -9 (a stopped process dies too)
        process.wait()
    assert rewritten.read_bytes() == (old if left == 'old' else new)
    # nothing new for `git add -A` to commit: only the config, staged or not
    assert _status(repo) == ('M  a/adapter_config.json\n' if left == 'old' else 'MM a/adapter_config.json\n')
    git('add', '-A', cwd=repo)
    staged = git('diff', '--cached', '--name-only', cwd=repo)
    assert staged == ('a/adapter_config.json\n' if left == 'old' else '')  # the new file is HEAD's again
