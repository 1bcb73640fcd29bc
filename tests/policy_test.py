"""The team policy: where it is found, what a broken one says, how overrides apply."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapter_guard import policy
from adapter_guard.errors import PolicyError
from adapter_guard.main import main
from tests.util import write_config


@pytest.mark.parametrize(('text', 'key', 'problem'), (
    ('allow-local-path = true\n', 'allow-local-path', "is not a policy key (did you mean 'allow-local-paths'?)"),
    ('allow = "meta-llama/*"\n', 'allow', "expected an array of strings, got 'meta-llama/*' (a string)"),
    ('deny = [""]\n', 'deny[1]', 'must be at least 1 characters'),
    ('peft-version = "latest"\n', 'peft-version', 'must match'),
    ('[severity]\nAG999x = "error"\n', 'severity.AG999x', 'is not a rule code or prefix'),
    ('[severity]\nAG1 = "loud"\n', 'severity.AG1', "expected one of 'error', 'warning', 'note', 'off'"),
    ('[[overrides]]\nallow = []\n', 'overrides[1]', "is missing 'paths'"),
    ('[[overrides]]\npaths = ["x"]\nalow = []\n', 'overrides[1].alow', "did you mean 'allow'?"),
    ('[[accept]]\npath = "x"\n', 'accept[1]', "is missing 'to'"),
    ('on-missing-history = "ignore"\n', 'on-missing-history', "expected one of 'error', 'warn'"),
    ('allow = [\n', '', 'not valid TOML'),
))
def test_broken_policy_names_file_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / '.adapter-guard.toml'
    path.write_text(text)
    with pytest.raises(PolicyError) as error:
        policy.load_file(str(path))
    assert error.value.source == str(path)
    assert error.value.key == key
    assert problem in error.value.problem


def test_broken_policy_exits_2_with_one_line(run, repo: Path) -> None:
    write_config(repo / 'a')
    (repo / '.adapter-guard.toml').write_text('allow-local-path = true\n')
    result = run('a')
    assert result.code == 2
    assert result.err.count('\n') == 1
    assert result.err.startswith(f'adapter-guard: error: {repo}/.adapter-guard.toml: allow-local-path: ')


def test_pyproject_table(run, repo: Path) -> None:
    write_config(repo / 'a', base_model_name_or_path='mistralai/Mistral-7B-v0.1')
    (repo / 'pyproject.toml').write_text('[project]\nname = "x"\n[tool.adapter-guard]\nallow = ["meta-llama/*"]\n')
    assert run('a', '--format', 'json').codes == ['AG201']
    (repo / 'pyproject.toml').write_text('[project]\nname = "x"\n[tool.adapter-guard]\nallow = "x"\n')
    result = run('a')
    assert result.code == 2
    assert 'tool.adapter-guard.allow' in result.err


def test_two_policies_are_an_error_not_a_silent_choice(run, repo: Path) -> None:
    write_config(repo / 'a')
    (repo / 'pyproject.toml').write_text('[tool.adapter-guard]\nallow = ["a/*"]\n')
    (repo / '.adapter-guard.toml').write_text('allow = ["b/*"]\n')
    result = run('a')
    assert result.code == 2
    assert result.err == (
        f'adapter-guard: error: two policies: {repo}/.adapter-guard.toml and [tool.adapter-guard] in '
        f'{repo}/pyproject.toml; adapter-guard reads one, so keep one of them\n'
    )
    # --config names the one to use
    assert run('a', '--config', repo / '.adapter-guard.toml', '--no-history').code == 1  # AG201: not b/*


def test_dot_file_beside_a_pyproject_without_a_policy(repo: Path) -> None:
    (repo / 'pyproject.toml').write_text('[project]\nname = "x"\n[tool.black]\nline-length = 100\n')
    (repo / '.adapter-guard.toml').write_text('allow = ["b/*"]\n')
    assert policy.find(str(repo)).rules.allow == ('b/*',)


@pytest.mark.parametrize(('pyproject', 'key', 'problem'), (
    ('tool = 5\n', 'tool', 'is a number, not a table: pyproject.toml keeps tool settings in [tool.<name>] tables'),
    ('[tool]\nadapter-guard = "x"\n', 'tool.adapter-guard', 'is a string, not a table'),
    ('[tool.adapter_guard]\nallow = ["a/*"]\n', 'tool.adapter_guard',
     'is not read: the policy table is [tool.adapter-guard] (with a hyphen); rename the table'),
    ('[tool.adaptor-guard]\nallow = ["a/*"]\n', 'tool.adaptor-guard', 'is not read'),
    ('[tool.adapter-guard]\nhistory-since = "HEAD"\n', 'tool.adapter-guard.history-since',
     "'HEAD' is neither a commit sha (4 to 40 hex digits) nor a date YYYY-MM-DD"),
    ('[tool.adapter-guard.severity]\nAG999 = "off"\n', 'tool.adapter-guard.severity.AG999',
     "matches no rule code: 'AG999' is not a code or the prefix of one (codes: AG001, "),
))
def test_broken_pyproject_exits_2_naming_file_and_key(run, repo: Path, pyproject: str, key: str, problem: str) -> None:
    write_config(repo / 'a')
    (repo / 'pyproject.toml').write_text('[project]\nname = "x"\n' + pyproject if pyproject[0] == '[' else pyproject)
    result = run('a')
    assert result.code == 2, result
    assert result.err.count('\n') == 1
    assert result.err.startswith(f'adapter-guard: error: {repo}/pyproject.toml: {key}: {problem}'), result.err


@pytest.mark.parametrize(('text', 'key', 'problem'), (
    ('history-since = "HEAD"\n', 'history-since', "'HEAD' is neither a commit sha"),
    ('history-since = "main"\n', 'history-since', "'main' is neither a commit sha"),
    ('history-since = "2024-13-01"\n', 'history-since', "'2024-13-01' is neither"),
    ('[severity]\nAG999 = "off"\n', 'severity.AG999', 'matches no rule code'),
    ('[severity]\nAG9 = "off"\n', 'severity.AG9', 'matches no rule code'),
    ('[[overrides]]\npaths = ["x"]\nseverity = {AG999 = "off"}\n', 'overrides[1].severity.AG999',
     'matches no rule code'),
))
def test_values_the_schema_cannot_check(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / '.adapter-guard.toml'
    path.write_text(text)
    with pytest.raises(PolicyError) as error:
        policy.load_file(str(path))
    assert error.value.key == key
    assert problem in error.value.problem


@pytest.mark.parametrize('since', ('3f2a1b9c', '3f2a1b9c0d4e5f60718293a4b5c6d7e8f9a0b1c2', 'ABCDEF12', '2024-02-29'))
def test_history_since_forms(tmp_path: Path, since: str) -> None:
    path = tmp_path / '.adapter-guard.toml'
    path.write_text(f'history-since = "{since}"\n')
    assert policy.load_file(str(path)).history_since == since


def test_severity_codes_are_validated_like_select(run, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(repo / 'a')
    with pytest.raises(SystemExit) as select:  # argparse's own exit
        main(['a', '--select', 'AG999'])
    select_err = capsys.readouterr().err
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG999 = "off"\n')
    severity = run('a')
    assert select.value.code == severity.code == 2
    problem = "matches no rule code: 'AG999' is not a code or the prefix of one"
    assert problem in select_err
    assert problem in severity.err


def test_a_dangling_policy_link_is_an_error(run, repo: Path) -> None:
    write_config(repo / 'a')
    (repo / '.adapter-guard.toml').symlink_to('team/policy.toml')
    result = run('a')
    assert result.code == 2
    assert result.err == (
        f"adapter-guard: error: {repo}/.adapter-guard.toml: is a symbolic link to 'team/policy.toml', "
        'which does not exist: fix the link or remove it\n'
    )


def test_a_fifo_policy_never_blocks(repo: Path) -> None:
    """open() blocked on it forever; the timeout only stops a hung test run."""
    write_config(repo / 'a')
    os.mkfifo(repo / '.adapter-guard.toml')
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', 'a'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == (
        f'adapter-guard: error: {repo}/.adapter-guard.toml: is a FIFO (named pipe), not a regular file: '
        'a policy is a TOML file\n'
    )


def test_policy_parses_from_bytes() -> None:
    """Where the bytes come from (disk, index, a commit) is the caller's business."""
    parsed = policy.parse('HEAD:pyproject.toml', b'[tool.adapter-guard]\nallow = ["a/*"]\n', pyproject=True)
    assert parsed is not None
    assert parsed.rules.allow == ('a/*',)
    assert parsed.source == 'HEAD:pyproject.toml'
    assert policy.parse('HEAD:pyproject.toml', b'[project]\nname = "x"\n', pyproject=True) is None
    with pytest.raises(PolicyError) as error:
        policy.parse(':.adapter-guard.toml', b'allow = "\xff"\n')
    assert error.value.problem.startswith('not UTF-8')


def test_no_policy_is_the_default(repo: Path) -> None:
    (repo / 'pyproject.toml').write_text('[project]\nname = "x"\n')
    assert policy.find(str(repo)) is policy.DEFAULT
    assert policy.DEFAULT.rules.allow is None
    assert policy.DEFAULT.rules.allow_local_paths is False


def test_explicit_config_file(run, repo: Path, tmp_path: Path) -> None:
    write_config(repo / 'a', base_model_name_or_path='/models/x')
    other = tmp_path / 'team.toml'
    other.write_text('allow-local-paths = true\n')
    assert run('a', '--config', other).code == 0


def test_overrides_apply_to_matching_paths_later_ones_win(run, repo: Path) -> None:
    (repo / '.adapter-guard.toml').write_text(
        'allow = ["meta-llama/*"]\n'
        '[[overrides]]\npaths = ["experiments/*"]\nallow-local-paths = true\nallow = ["*"]\n'
        '[[overrides]]\npaths = ["experiments/strict/*"]\nallow-local-paths = false\n',
    )
    write_config(repo / 'experiments' / 'x', base_model_name_or_path='/mnt/models/foo')
    write_config(repo / 'experiments' / 'strict' / 'y', base_model_name_or_path='/mnt/models/foo')
    write_config(repo / 'prod' / 'z', base_model_name_or_path='Qwen/Qwen2.5-7B')
    result = run('check', '.', '--format', 'json')
    assert sorted((f['path'], f['code']) for f in result.findings) == [
        ('experiments/strict/y/adapter_config.json', 'AG202'),
        ('prod/z/adapter_config.json', 'AG201'),
    ]


def test_typo_squat_is_named(run, repo: Path) -> None:
    (repo / '.adapter-guard.toml').write_text('allow = ["meta-llama/*", "Qwen/Qwen2.5-7B"]\n')
    write_config(repo / 'a', base_model_name_or_path='meta-Ilama/Llama-2-7b-hf')
    write_config(repo / 'b', base_model_name_or_path='Qwen/Qwen2.5-7b')
    write_config(repo / 'c', base_model_name_or_path='Qwen/Qwen2-7B-evil')
    messages = {f['path'][0]: f['message'] for f in run('check', '.', '--format', 'json').findings}
    assert "1 edit away from 'meta-llama/*', a possible typo-squat" in messages['a']
    assert 'differs from an allowed id only in letter case' in messages['b']
    assert 'typo-squat' not in messages['c']


def test_deny_is_checked_first(run, repo: Path) -> None:
    (repo / '.adapter-guard.toml').write_text('allow = ["*"]\ndeny = ["*GPTQ*"]\n')
    write_config(repo / 'a', base_model_name_or_path='TheBloke/Llama-2-7B-gptq')
    assert run('a', '--format', 'json').codes == ['AG206']
