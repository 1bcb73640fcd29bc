"""The command line: output formats, exit codes, path handling, selection."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.util import write_config


def test_check_is_the_default_command(run, repo: Path) -> None:
    write_config(repo / 'a')
    assert run('a/adapter_config.json').out == run('check', 'a/adapter_config.json').out


def test_text_output_is_sorted_with_a_summary(run, repo: Path) -> None:
    write_config(repo / 'b', base_model_name_or_path='/home/alice/llama', r='8')
    write_config(repo / 'a', base_model_name_or_path='')
    write_config(repo / 'c')
    result = run('check', '.')
    lines = result.out.splitlines()
    assert result.code == 1
    assert lines[0].startswith('a/adapter_config.json:4:30: AG203 ')
    assert lines[1].startswith('b/adapter_config.json:4:30: AG202 ')
    assert lines[2].startswith("b/adapter_config.json:15:8: AG103 'r': expected an integer >= 1, got '8' (a string)")
    assert lines[-1] == 'adapter-guard: 3 errors in 2 of 3 adapter configs'


def test_json_output(run, repo: Path) -> None:
    write_config(repo / 'a', lora_aplha=32)
    result = run('check', 'a', '--format', 'json')
    (finding,) = result.findings
    assert finding == {
        'path': 'a/adapter_config.json', 'line': 12, 'column': 3, 'code': 'AG104', 'severity': 'error',
        'message': finding['message'], 'url': 'https://github.com/adapter-guard/adapter-guard#ag104',
    }
    assert "did you mean 'lora_alpha'?" in finding['message']
    assert json.loads(result.out)['summary'] == {'files': 1, 'errors': 1, 'warnings': 0, 'notes': 0}


def test_clean_run(run, repo: Path) -> None:
    write_config(repo / 'a')
    result = run('a')
    assert (result.code, result.out) == (0, 'adapter-guard: 1 adapter config checked, no problems\n')


def test_directories_are_searched(run, repo: Path) -> None:
    for name in ('x', 'x/checkpoint-10', 'y/deep/er'):
        write_config(repo / name)
    (repo / 'x' / 'other.json').write_text('{}')
    (repo / '.git' / 'adapter_config.json').write_text('{}')
    result = run('check', '--format', 'json')  # default: the current directory
    assert json.loads(result.out)['summary']['files'] == 3


@pytest.mark.parametrize(('args', 'selected'), (
    (['--select', 'AG2'], {'AG202'}),
    (['--select', 'ag103,AG202'], {'AG103', 'AG202'}),
    (['--ignore', 'AG2'], {'AG103'}),
    (['--select', 'AG1', '--ignore', 'AG103'], set()),
))
def test_select_and_ignore(run, repo: Path, args: list[str], selected: set[str]) -> None:
    write_config(repo / 'a', base_model_name_or_path='/models/x', r=0)
    result = run('check', 'a', '--format', 'json', *args)
    assert set(result.codes) == selected
    assert result.code == (1 if selected else 0)


@pytest.mark.parametrize('args', (
    ['--select', 'XY1'],
    ['--format', 'xml'],
    ['no/such/file.json'],
    ['--config', 'missing.toml'],
    ['--from-ref', 'HEAD'],
))
def test_usage_errors_exit_2(args: list[str], repo: Path) -> None:
    write_config(repo / 'a')
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', *args], capture_output=True, text=True)
    assert result.returncode == 2, result
    assert 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith('adapter-guard')  # one error line last


def test_version(run) -> None:
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', '--version'], capture_output=True, text=True)
    assert result.stdout.startswith('adapter-guard ')


def test_policy_severity_makes_a_warning(run, repo: Path) -> None:
    write_config(repo / 'a', lora_aplha=1)
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG104 = "warning"\n')
    result = run('a')
    assert result.code == 0
    assert result.out.splitlines()[0].endswith('[warning]')
    assert result.out.splitlines()[-1] == 'adapter-guard: 1 warning in 1 of 1 adapter config'


def test_severity_off(run, repo: Path) -> None:
    write_config(repo / 'a', lora_aplha=1)
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG1 = "off"\n')
    assert run('a').code == 0


def test_relative_dir_that_exists_is_a_local_path(run, repo: Path) -> None:
    write_config(repo / 'adapters' / 'a', base_model_name_or_path='models/llama')
    assert 'AG202' not in run('check', 'adapters', '--format', 'json').codes
    (repo / 'models' / 'llama').mkdir(parents=True)  # at the repository root
    assert 'AG202' in run('check', 'adapters', '--format', 'json').codes
    (repo / 'models' / 'llama').rmdir()
    (repo / 'adapters' / 'a' / 'models' / 'llama').mkdir(parents=True)  # beside the adapter
    assert 'AG202' in run('check', 'adapters', '--format', 'json').codes


def test_paths_with_spaces_and_non_ascii(run, repo: Path) -> None:
    write_config(repo / 'mes adapters' / 'café', base_model_name_or_path='/Users/zoë/Arapça model')
    result = run('check', '.', '--format', 'json')
    assert result.findings[0]['path'] == 'mes adapters/café/adapter_config.json'


def test_outside_a_repository(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / 'a')
    result = run('a', '--format', 'json')
    assert result.codes == ['AG303']
    assert result.code == 1
    assert run('a', '--no-history').code == 0
    (tmp_path / '.adapter-guard.toml').write_text('on-missing-history = "warn"\n')
    assert run('a').code == 0  # found from the working directory, the root outside git


def test_github_annotations(run, repo: Path) -> None:
    write_config(repo / 'a, b', base_model_name_or_path='/home/alice/llama:v2')
    result = run('check', '.', '--format', 'github', '--no-history')
    first = result.out.splitlines()[0]
    assert first.startswith('::error file=a%2C b/adapter_config.json,line=4,col=30,title=AG202::')
    assert "'/home/alice/llama:v2'" in first  # the message keeps its colons
    assert result.out.splitlines()[-1].startswith('adapter-guard: 1 error')
