"""Colour: on a terminal only, honouring --color, NO_COLOR, FORCE_COLOR, TERM and pre-commit.

The decision table is adapter_guard.color's docstring; every row is a case
here, first as a function of its inputs, then end to end with the real
command on a real pty and on a pipe.  Through pre-commit: tests/precommit_test.py.
"""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from adapter_guard import color
from tests.util import write_config

ESC = '\x1b['


class Stream:
    def __init__(self, terminal: bool) -> None:
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


# (--color, environment, stdout is a terminal, colour)
TABLE: tuple[tuple[str, dict[str, str], bool, bool], ...] = (
    ('always', {}, False, True),
    ('always', {'NO_COLOR': '1'}, False, True),  # an explicit option beats the environment
    ('never', {}, True, False),
    ('never', {'FORCE_COLOR': '1'}, True, False),
    ('auto', {}, True, True),
    ('auto', {}, False, False),
    ('auto', {'NO_COLOR': '1'}, True, False),
    ('auto', {'NO_COLOR': ''}, True, True),  # present but empty: no effect (no-color.org)
    ('auto', {'FORCE_COLOR': '1'}, False, True),
    ('auto', {'FORCE_COLOR': ''}, False, False),
    ('auto', {'NO_COLOR': '1', 'FORCE_COLOR': '1'}, True, False),
    ('auto', {'TERM': 'dumb'}, True, False),
    ('auto', {'TERM': 'xterm-256color'}, True, True),
    ('auto', {'PRE_COMMIT': '1'}, True, True),  # pre-commit's colour is on: it gave the hook a pty
    ('auto', {'PRE_COMMIT': '1', 'TERM': 'dumb'}, True, True),  # ...even where its TERM is dumb
    ('auto', {'PRE_COMMIT': '1'}, False, False),  # pre-commit's colour is off: pipes
    ('auto', {'PRE_COMMIT': '1', 'NO_COLOR': '1'}, True, False),
)


@pytest.mark.parametrize(('setting', 'environ', 'terminal', 'expected'), TABLE)
def test_decision(setting: str, environ: dict[str, str], terminal: bool, expected: bool) -> None:
    assert color.enabled(setting, Stream(terminal), environ) is expected  # type: ignore[arg-type]


def test_paint() -> None:
    assert color.paint('AG301', 'error', True) == '\x1b[1;31mAG301\x1b[0m'
    assert color.paint('AG301', 'error', False) == 'AG301'


def _cli(repo: Path, args: list[str], environ: dict[str, str], terminal: bool) -> str:
    """The command's output, its stdout and stderr on a new pty or on a pipe."""
    env = {k: v for k, v in os.environ.items() if k not in ('NO_COLOR', 'FORCE_COLOR', 'PRE_COMMIT', 'TERM')}
    env.update(environ)
    command = [sys.executable, '-m', 'adapter_guard', 'check', 'a', '--no-history', *args]
    if not terminal:
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True).stdout
    reader, writer = pty.openpty()
    try:
        process = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=writer, stderr=writer)
        os.close(writer)
        writer = -1
        chunks = []
        while True:
            try:
                chunk = os.read(reader, 4096)
            except OSError:  # EIO: the child closed the pty
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(reader)
        if writer >= 0:
            os.close(writer)
    return b''.join(chunks).decode().replace('\r\n', '\n')


@pytest.mark.parametrize(('setting', 'environ', 'terminal', 'expected'), TABLE)
def test_end_to_end(repo: Path, setting: str, environ: dict[str, str], terminal: bool, expected: bool) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/llama', lora_aplha=32)
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG104 = "warning"\n')
    out = _cli(repo, ['--color', setting], environ, terminal)
    assert 'a/adapter_config.json:4:30:' in out, out
    assert 'AG202' in out, out
    assert (ESC in out) is expected, repr(out)
    if expected:
        assert '\x1b[1ma/adapter_config.json:4:30:\x1b[0m \x1b[1;31mAG202\x1b[0m base model' in out
        assert '\x1b[1;33mAG104\x1b[0m' in out
        assert '\x1b[1;33m [warning]\x1b[0m' in out
        if 'PRE_COMMIT' not in environ:  # under pre-commit there is no summary line (its batches would each print one)
            assert '\x1b[1;31m1 error\x1b[0m and \x1b[1;33m1 warning\x1b[0m in 1 of 1 adapter config' in out


@pytest.mark.parametrize('fmt', ('json', 'sarif'))
def test_machine_formats_are_never_coloured(repo: Path, fmt: str) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/llama')
    out = _cli(repo, ['--format', fmt, '--color', 'always'], {}, True)
    assert ESC not in out


def test_github_annotations_stay_plain(repo: Path) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/llama')
    out = _cli(repo, ['--format', 'github'], {'FORCE_COLOR': '1'}, False)
    annotation, text = out.split('\n', 1)
    assert annotation.startswith('::error file=a/adapter_config.json,')
    assert ESC not in annotation
    assert ESC in text  # the log lines after it follow FORCE_COLOR, as Actions renders colour
