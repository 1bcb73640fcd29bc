"""adapter-guard init: what it writes, where, and what it never destroys."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from adapter_guard import policy
from tests.util import commit
from tests.util import git
from tests.util import write_config

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=64"]

[project]
name = "team-adapters"  # the package
version = "1.0"
dependencies = ["peft>=0.13"]

[tool.ruff]
line-length = 100
'''


def _adapters(repo: Path, *bases: str) -> None:
    for index, base in enumerate(bases):
        write_config(repo / f'adapters/{index}', base_model_name_or_path=base)
    git('add', '.')
    commit('adapters')


def test_merges_into_pyproject_and_keeps_every_other_table(run, repo: Path) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    (repo / 'pyproject.toml').write_text(PYPROJECT)
    result = run('init', '--output', 'pyproject.toml')
    assert result.code == 0, result
    assert result.out == 'wrote pyproject.toml: 1 allowed base model(s), 0 accepted past change(s)\n'
    text = (repo / 'pyproject.toml').read_text()
    assert text.startswith(PYPROJECT)  # byte for byte, comments included
    document = tomllib.loads(text)
    assert document['tool']['adapter-guard']['allow'] == ['meta-llama/Llama-3.2-1B']
    assert run('check', '.').code == 0
    # --force replaces only the table, again
    result = run('init', '--force', '--output', 'pyproject.toml')
    assert result.code == 0, result
    assert (repo / 'pyproject.toml').read_text().startswith(PYPROJECT)
    assert (repo / 'pyproject.toml').read_text().count('[tool.adapter-guard]') == 1


def test_an_existing_table_needs_force(run, repo: Path) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    (repo / 'pyproject.toml').write_text(PYPROJECT + '\n[tool.adapter-guard]\ndeny = ["x/*"]\n')
    result = run('init', '--output', 'pyproject.toml')
    assert result.code == 2
    assert 'pyproject.toml already has a policy; use --force' in result.err


def test_hand_written_reasons_are_kept(run, repo: Path) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    write_config(repo / 'adapters/0', base_model_name_or_path='meta-llama/Llama-3.2-3B')
    commit('move to 3B', '-a')
    assert run('init').code == 0
    path = repo / '.adapter-guard.toml'
    text = path.read_text()
    assert 'reason = "accepted by adapter-guard init: it predates the policy"' in text
    path.write_text(text.replace('accepted by adapter-guard init: it predates the policy', 'moved to 3B for Q3'))
    assert run('init', '--force').code == 0
    accept, = tomllib.loads(path.read_text())['accept']
    assert accept['reason'] == 'moved to 3B for Q3'
    assert accept['to'] == 'meta-llama/Llama-3.2-3B'
    assert '# ' in path.read_text().split('[[accept]]')[1].splitlines()[1]  # commit, date and author


@pytest.mark.parametrize('base', ('/mnt/models/llama', 'model', 'models/llama'))
def test_only_hub_models_are_allowed(run, repo: Path, base: str) -> None:
    """A bare folder name ('model') is not a Hub id: init once wrote allow = ["model"]."""
    (repo / 'models' / 'llama').mkdir(parents=True)
    _adapters(repo, base, 'gpt2')
    assert run('init').code == 0
    document = tomllib.loads((repo / '.adapter-guard.toml').read_text())
    assert document['allow'] == ['gpt2']
    assert '#   adapters/0/adapter_config.json' in (repo / '.adapter-guard.toml').read_text()


def test_never_writes_an_empty_allow_list(run, repo: Path) -> None:
    _adapters(repo, '/mnt/models/llama')
    assert run('init').code == 0
    document = tomllib.loads((repo / '.adapter-guard.toml').read_text())
    assert 'allow' not in document  # allow = [] would block every Hub id
    assert 'no allow list' in (repo / '.adapter-guard.toml').read_text()


def test_allowed_ids_are_never_typo_squats_of_each_other(run, repo: Path) -> None:
    _adapters(repo, 'google/flan-t5-xl', 'google/flan-t5-xxl')
    assert run('init').code == 0
    assert run('check', '.').code == 0
    # a new model of the same owner is not allowed yet, but it is not a typo-squat either
    write_config(repo / 'adapters/2', base_model_name_or_path='google/flan-t5-xxxl')
    (finding,) = run('check', 'adapters/2', '--format', 'json', '--no-history').findings
    assert finding['code'] == 'AG201'
    assert 'typo-squat' not in finding['message']
    write_config(repo / 'adapters/2', base_model_name_or_path='gogle/flan-t5-xl')
    (finding,) = run('check', 'adapters/2', '--format', 'json', '--no-history').findings
    assert "1 edit away from 'google/flan-t5-xl', a possible typo-squat" in finding['message']


def test_dry_run_prints_and_writes_nothing(run, repo: Path) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    (repo / 'pyproject.toml').write_text(PYPROJECT)
    result = run('init', '--dry-run', '--output', 'pyproject.toml')
    assert result.code == 0
    assert result.out.startswith(PYPROJECT)
    assert '[tool.adapter-guard]' in result.out
    assert (repo / 'pyproject.toml').read_text() == PYPROJECT
    assert run('init', '--dry-run').code == 0
    assert not (repo / '.adapter-guard.toml').exists()


def test_prints_the_repository_relative_path_from_a_subfolder(run, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    monkeypatch.chdir(repo / 'adapters')
    result = run('init')
    assert result.out.startswith('wrote .adapter-guard.toml: ')
    assert (repo / '.adapter-guard.toml').is_file()


@pytest.mark.parametrize(('existing', 'args', 'error'), (
    ('pyproject', ['init'], 'pyproject.toml has [tool.adapter-guard]: the repository would have two policies'),
    ('dot file', ['init', '--output', 'pyproject.toml'],
     '.adapter-guard.toml exists: the repository would have two policies'),
))
def test_never_creates_a_second_policy(run, repo: Path, existing: str, args: list[str], error: str) -> None:
    _adapters(repo, 'meta-llama/Llama-3.2-1B')
    if existing == 'pyproject':
        (repo / 'pyproject.toml').write_text(PYPROJECT + '\n[tool.adapter-guard]\nallow = ["meta-llama/*"]\n')
    else:
        (repo / 'pyproject.toml').write_text(PYPROJECT)
        (repo / '.adapter-guard.toml').write_text('allow = ["meta-llama/*"]\n')
    result = run(*args, '--force')
    assert result.code == 2
    assert error in result.err
    assert policy.find(str(repo)).rules.allow == ('meta-llama/*',)  # still one policy, unchanged
