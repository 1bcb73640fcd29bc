"""The team policy: where it is found, what a broken one says, how overrides apply."""
from __future__ import annotations

from pathlib import Path

import pytest

from adapter_guard import policy
from adapter_guard.errors import PolicyError
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


def test_dot_file_wins_over_pyproject(repo: Path) -> None:
    (repo / 'pyproject.toml').write_text('[tool.adapter-guard]\nallow = ["a/*"]\n')
    (repo / '.adapter-guard.toml').write_text('allow = ["b/*"]\n')
    assert policy.find(str(repo)).rules.allow == ('b/*',)


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
        '[[overrides]]\npaths = ["experiments/strict/*"]\nallow-local-paths = false\n'
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
