"""adapter-guard.lock: enforcement that needs no history (AG304-AG306), in real repositories and clones."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from adapter_guard import lock
from adapter_guard.lock import Entry
from tests.util import commit
from tests.util import git
from tests.util import install_git_hooks
from tests.util import pre_commit_cmd
from tests.util import try_commit
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'
SHA = '01c7f73d771dfac7d292323805ebc428287df4f9'


def _locked_repo(repo: Path, run) -> Path:
    write_config(repo / 'b', revision=SHA)
    write_config(repo / 'a')
    assert run('lock').code == 0
    git('add', '-A')
    commit('adapters and their lock')
    return repo


def test_lock_file_is_sorted_toml_with_a_header(repo: Path, run) -> None:
    _locked_repo(repo, run)
    text = (repo / 'adapter-guard.lock').read_text()
    assert text.startswith('# adapter-guard.lock: the base model of every adapter config')
    assert 'adapter-guard lock --update path/to/adapter_config.json' in text
    assert text.index('[adapters."a/adapter_config.json"]') < text.index('[adapters."b/adapter_config.json"]')
    parsed = lock.parse(text.encode())
    assert parsed.entries == {'a/adapter_config.json': Entry(HUB, None), 'b/adapter_config.json': Entry(HUB, SHA)}
    assert run('lock').code == 0
    assert (repo / 'adapter-guard.lock').read_text() == text  # idempotent
    assert run('check', '.').code == 0


def test_rewrite_is_ag304_and_fix_restores_from_the_lock(repo: Path, run) -> None:
    _locked_repo(repo, run)
    path = write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = run('a', '--format', 'json', '--no-history')  # no history at all: the lock alone
    assert result.codes == ['AG304']
    assert 'adapter-guard lock --update a/adapter_config.json' in result.findings[0]['message']
    assert run('--fix', 'a', '--no-history').code == 1
    assert json.loads(path.read_text())['base_model_name_or_path'] == HUB
    assert run('a').code == 0


def test_fix_from_the_lock_for_a_file_never_committed(repo: Path, run) -> None:
    _locked_repo(repo, run)
    write_config(repo / 'new', base_model_name_or_path='Qwen/Qwen2.5-7B')
    text = ((repo / 'adapter-guard.lock').read_text()
            + '\n[adapters."new/adapter_config.json"]\nbase_model_name_or_path = "Qwen/Qwen2.5-1.5B"\n')
    (repo / 'adapter-guard.lock').write_text(text)
    assert run('new', '--format', 'json').codes == ['AG304']
    assert run('--fix', 'new').code == 1
    fixed = json.loads((repo / 'new' / 'adapter_config.json').read_text())
    assert fixed['base_model_name_or_path'] == 'Qwen/Qwen2.5-1.5B'


def test_unlocked_config_and_stale_entry(repo: Path, run) -> None:
    _locked_repo(repo, run)
    write_config(repo / 'c')
    assert run('c', '--format', 'json').codes == ['AG305']
    git('rm', '-q', '-r', 'b')
    result = run('.', '--format', 'json')
    assert sorted(result.codes) == ['AG305', 'AG306']
    (stale,) = [f for f in result.findings if f['code'] == 'AG306']
    assert (stale['path'], stale['severity']) == ('adapter-guard.lock', 'warning')
    lock_lines = (repo / 'adapter-guard.lock').read_text().splitlines()
    assert stale['line'] == lock_lines.index('[adapters."b/adapter_config.json"]') + 1
    assert run('lock').code == 0  # adds c, drops b
    assert run('.', '--format', 'json').codes == []


def test_lock_never_changes_an_entry_without_update(repo: Path, run) -> None:
    _locked_repo(repo, run)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = run('lock')
    assert 'a/adapter_config.json: its base model differs from the lock' in result.err
    assert lock.parse((repo / 'adapter-guard.lock').read_bytes()).entries['a/adapter_config.json'].base == HUB
    assert run('lock', '--update', 'a/adapter_config.json').code == 0
    assert lock.parse((repo / 'adapter-guard.lock').read_bytes()).entries['a/adapter_config.json'].base == OTHER


def test_update_with_the_lock_acknowledges_in_every_mode(repo: Path, run) -> None:
    _locked_repo(repo, run)
    install_git_hooks(repo, commit_msg=False)
    base = git('rev-parse', 'HEAD').strip()
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    assert try_commit(repo, '-am', 'move').returncode != 0  # AG304 and AG301
    assert run('lock', '--update', 'a/adapter_config.json').code == 0
    result = try_commit(repo, '-am', 'move, with the lock')
    assert result.returncode == 0, result.stdout + result.stderr  # at commit time
    assert run('a', '--format', 'json').codes == []  # all files
    assert run('a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json').codes == []  # a range
    audit = json.loads(run('audit', '--format', 'json').out)
    assert audit['findings'] == []
    assert [s['acknowledged'] for s in audit['adapters'][0]['timeline']][-1] == 'lock'


def test_a_lock_change_that_names_another_value_acknowledges_nothing(repo: Path, run) -> None:
    _locked_repo(repo, run)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    text = (repo / 'adapter-guard.lock').read_text().replace(HUB, 'meta-llama/Llama-3.1-70B', 1)
    (repo / 'adapter-guard.lock').write_text(text)
    git('add', '-A')
    commit('move, lock says something else')
    assert sorted(run('a', '--format', 'json').codes) == ['AG301', 'AG304']


def test_broken_lock_is_one_line_and_exit_2(repo: Path, run) -> None:
    write_config(repo / 'a')
    (repo / 'adapter-guard.lock').write_text('version = 1\n[adapters."a/adapter_config.json"]\nrevision = 5\n')
    result = run('a')
    assert result.code == 2
    assert result.err.startswith('adapter-guard: error: adapter-guard.lock: [adapters."a/adapter_config.json"] needs')
    assert len(result.err.strip().splitlines()) == 1
    assert run('lock', '--update', 'nope.json').code == 2


def test_init_writes_the_lock_too(repo: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '-A')
    commit('add')
    result = run('init', '--lock')
    assert result.code == 0, result
    assert 'wrote adapter-guard.lock: 1 adapter(s)' in result.out
    assert lock.parse((repo / 'adapter-guard.lock').read_bytes()).entries == {'a/adapter_config.json': Entry(HUB, None)}


# -- CI at any clone depth ----------------------------------------------------------------------------

@pytest.mark.parametrize('depth', ('1', '2'))
def test_depth_one_clone_through_pre_commit_all_files(framework: Path, tmp_path: Path, run, depth: str) -> None:
    assert run('lock').code == 0
    git('add', '-A')
    commit('lock')
    clean = tmp_path / 'clean'
    git('clone', '-q', '--depth', depth, f'file://{framework}', str(clean))
    result = pre_commit_cmd('run', '--all-files', cwd=clean)
    assert result.returncode == 0, result.stdout  # locked: no AG303 at any depth
    assert 'AG303' not in result.stdout
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('a Hub-to-Hub rewrite in the last commit, hooks skipped', '-a')
    rewritten = tmp_path / 'rewritten'
    git('clone', '-q', '--depth', depth, f'file://{framework}', str(rewritten))
    result = pre_commit_cmd('run', '--all-files', cwd=rewritten)
    assert result.returncode == 1
    assert 'a/adapter_config.json:4:30: AG304' in result.stdout


def test_unlocked_depth_one_clone_is_ag303(framework: Path, tmp_path: Path) -> None:
    clone = tmp_path / 'clone'
    git('clone', '-q', '--depth', '1', f'file://{framework}', str(clone))
    result = pre_commit_cmd('run', '--all-files', cwd=clone)
    assert result.returncode == 1
    assert 'AG303' in result.stdout


def test_the_lock_hook_trigger(framework: Path) -> None:
    """Committing only the lock re-checks every adapter against it."""
    (framework / 'adapter-guard.lock').write_text(lock.render({'a/adapter_config.json': Entry(OTHER, None)}))
    git('add', '-A')
    result = subprocess.run(['git', 'commit', '-q', '-m', 'lock only'], cwd=framework, capture_output=True, text=True)
    assert result.returncode != 0
    assert 'AG304' in result.stdout + result.stderr


def test_a_config_another_tool_wrote_is_locked_under_its_own_key(repo: Path, run) -> None:
    """mlx-lm keeps its base model under "model": the lock holds it, and --fix restores it there."""
    mlx = (Path(__file__).parent / 'resources' / 'formats' / 'mlx-lm.json').read_text()
    (repo / 'mlx').mkdir()
    path = repo / 'mlx' / 'adapter_config.json'
    path.write_text(mlx)
    write_config(repo / 'a')
    assert run('lock').code == 0
    git('add', '-A')
    commit('adapters and their lock')
    original = json.loads(mlx)['model']
    path.write_text(mlx.replace(json.dumps(original), '"mlx-community/Other-Model-4bit"'))
    result = run('mlx', '--format', 'json', '--no-history')
    (finding,) = [f for f in result.findings if f['code'] == 'AG304']
    expected = f"model 'mlx-community/Other-Model-4bit' differs from adapter-guard.lock ({original!r})"
    assert finding['message'].startswith(expected)
    assert run('--fix', 'mlx', '--no-history').code == 1
    assert path.read_text() == mlx
