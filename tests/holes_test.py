"""No silent pass: every way a base-model rewrite once got past every stage, one test each.

Each test is a real temporary repository, real git, and real pre-commit
wherever the hole was in a hook path.  The numbers are those of part 4's
list of holes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.util import add_submodule
from tests.util import commit
from tests.util import framework_commit as _framework_commit
from tests.util import git
from tests.util import install_git_hooks
from tests.util import local_hooks_config as _local_config
from tests.util import lora_weights
from tests.util import pre_commit_cmd
from tests.util import safetensors_bytes
from tests.util import try_commit
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'
LOCAL = '/mnt/models/Llama-2-7b-hf'
CONFIG = 'a/adapter_config.json'


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + (result.stderr or '')


def head(cwd: Path | None = None) -> str:
    return git('rev-parse', 'HEAD', cwd=cwd).strip()


def rewrite(folder: Path, **changes: object) -> Path:
    """write_config, replacing a symbolic link instead of writing through it."""
    path = folder / 'adapter_config.json'
    if path.is_symlink():
        path.unlink()
    return write_config(folder, **changes)


def _symlink(folder: Path) -> None:
    (folder / 'adapter_config.json').unlink()
    (folder.parent / 'elsewhere.json').write_text('{"base_model_name_or_path": "acme/whatever"}')
    os.symlink('../elsewhere.json', folder / 'adapter_config.json')


def _write(text: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / 'adapter_config.json').write_text(text)
    return make


UNREADABLE: dict[str, Callable[[Path], None]] = {
    'symlink': _symlink,
    'invalid JSON': _write('{"peft_type": "LORA", '),
    'LFS pointer': _write('version https://git-lfs.github.com/spec/v1\noid sha256:' + '0' * 64 + '\nsize 812\n'),
    'JSON list': _write('["LORA"]'),
    'huge integer': _write('{"r": ' + '9' * 5000 + '}'),
}


def _ag301(result_findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in result_findings if f['code'] == 'AG301']


# -- 1. an unreadable middle state ---------------------------------------------------

@pytest.mark.parametrize('make_unreadable', UNREADABLE.values(), ids=UNREADABLE.keys())
def test_1_unreadable_middle_state_in_history(repo: Path, run, make_unreadable: Callable[[Path], None]) -> None:
    write_config(repo / 'a')
    git('add', '-A')
    commit('add')
    base = head()
    make_unreadable(repo / 'a')
    git('add', '-A')
    commit('A: unreadable')
    middle = head()
    rewrite(repo / 'a', base_model_name_or_path=OTHER)
    git('add', '-A')
    commit('B: another base model')
    moved = head()
    for args in (('a',), ('a', '--from-ref', base, '--to-ref', 'HEAD')):  # all files, and a range
        (finding,) = _ag301(run(*args, '--format', 'json').findings)
        assert finding['commit'] == moved
        assert finding['previous'] == HUB
        assert middle[:12] in str(finding['message'])
    audit = json.loads(run('audit', '--format', 'json').out)
    assert [f['commit'] for f in _ag301(audit['findings'])] == [moved]


@pytest.mark.parametrize('make_unreadable', UNREADABLE.values(), ids=UNREADABLE.keys())
def test_1_unreadable_head_at_commit_time(hooked: Path, make_unreadable: Callable[[Path], None]) -> None:
    make_unreadable(hooked / 'a')
    git('add', '-A')
    commit('unreadable')
    rewrite(hooked / 'a', base_model_name_or_path=OTHER)
    git('add', '-A')
    result = try_commit(hooked, '-m', 'put another base model back')
    assert result.returncode != 0
    assert f'{CONFIG}:4:3: AG301' in out(result)


# -- 2. delete, then add again --------------------------------------------------------

def test_2_delete_and_add_again_with_another_base(hooked: Path, run) -> None:
    git('rm', '-q', '-r', 'a')
    assert try_commit(hooked, '-m', 'delete').returncode == 0
    deleted = head()
    rewrite(hooked / 'a', base_model_name_or_path=OTHER)
    git('add', '-A')
    result = try_commit(hooked, '-m', 'add again')  # at commit time
    assert result.returncode != 0
    assert f"re-added with base_model_name_or_path '{OTHER}': before it was deleted it held '{HUB}'" in out(result)
    commit('add again, hooks skipped')
    readded = head()
    for args in (('a',), ('a', '--from-ref', deleted, '--to-ref', 'HEAD')):  # all files, and a range
        assert [f['commit'] for f in _ag301(run(*args, '--format', 'json').findings)] == [readded]
    (line,) = json.loads(run('audit', '--format', 'json').out)['adapters']
    assert [step['event'] for step in line['timeline']] == ['added', 'deleted', 're-added']
    assert line['timeline'][-1]['findings'] == ['AG301']


def test_2_moved_away_then_a_new_config_at_the_old_path(hooked: Path, run) -> None:
    git('mv', 'a', 'b')
    commit('move')
    rewrite(hooked / 'a', base_model_name_or_path=OTHER)
    git('add', '-A')
    result = try_commit(hooked, '-m', 'another adapter where a was')
    assert result.returncode != 0
    assert 're-added' in out(result)


# -- 3. a symlinked config --------------------------------------------------------------

def test_3_symlink_is_a_finding_and_never_followed(hooked: Path, run) -> None:
    _symlink(hooked / 'a')
    result = run('a', '--format', 'json')
    assert result.codes == ['AG005']  # the link target is never read as the config
    git('add', '-A')
    result = try_commit(hooked, '-m', 'link it')
    assert result.returncode != 0
    assert f'{CONFIG}:1:1: AG005' in out(result)


def test_3_symlink_reaches_the_hook_through_pre_commit(framework: Path) -> None:
    _symlink(framework / 'a')
    git('add', '-A')
    result = _framework_commit(framework, '-m', 'link it')
    assert result.returncode != 0
    assert 'AG005' in result.stdout


# -- 4. each path in the repository that holds it ------------------------------------------

def test_4_rewrite_inside_a_submodule_checked_from_the_superproject(hooked: Path, tmp_path: Path, run) -> None:
    inside = add_submodule(hooked, tmp_path / 'library')
    commit('add submodule')
    write_config(inside / 'shared', base_model_name_or_path=OTHER)
    commit('silent move inside the submodule', '-a', cwd=inside)
    moved = head(inside)
    result = run('check', 'vendor/library/shared/adapter_config.json', '--format', 'json')
    assert [f['commit'] for f in _ag301(result.findings)] == [moved]
    assert 'AG301' in run('check', '.', '--format', 'json').codes


def test_4_a_file_of_another_repository(hooked: Path, tmp_path: Path, run) -> None:
    other = tmp_path / 'other'
    other.mkdir()
    git('init', '-q', cwd=other)
    write_config(other / 'x')
    git('add', '.', cwd=other)
    commit('add', cwd=other)
    write_config(other / 'x', base_model_name_or_path=OTHER)
    commit('silent move', '-a', cwd=other)
    result = run('check', 'a', str(other / 'x' / 'adapter_config.json'), '--format', 'json')
    assert [f['commit'] for f in _ag301(result.findings)] == [head(other)]


def test_4_a_path_in_no_repository(hooked: Path, tmp_path: Path, run) -> None:
    loose = tmp_path / 'loose'
    write_config(loose)
    result = run('check', 'a', str(loose / 'adapter_config.json'), '--format', 'json')
    assert [f['code'] for f in result.findings] == ['AG303']
    assert run('check', str(loose / 'adapter_config.json'), '--no-history').code == 0


# -- 5. identity by content, never stat data ------------------------------------------------

def _silently_moved_clone(repo: Path, tmp_path: Path, *args: str) -> Path:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move', '-a')
    write_config(repo / 'a', base_model_name_or_path=OTHER, lora_dropout=0.2)
    commit('tune', '-a')
    clone = tmp_path / 'clone'
    git('clone', '-q', *args, f'file://{repo}', str(clone))
    return clone


def test_5_touched_file_in_a_shallow_clone(repo: Path, tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = _silently_moved_clone(repo, tmp_path, '--depth', '1')
    monkeypatch.chdir(clone)
    os.utime(clone / CONFIG, (1, 1))  # stat data now differs from the index; the content does not
    assert 'AG303' in run('a', '--format', 'json').codes


def test_5_copied_clone_keeps_its_history_checked(repo: Path, tmp_path: Path, run,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    clone = _silently_moved_clone(repo, tmp_path)
    copy = tmp_path / 'copy'
    shutil.copytree(clone, copy, symlinks=True)  # cp -a: new inodes, the index's stat data is stale
    monkeypatch.chdir(copy)
    assert 'AG301' in run('a', '--format', 'json').codes


# -- 6. inside a commit, the index is what is judged ---------------------------------------

def test_6_staged_local_path_with_the_disk_restored(hooked: Path) -> None:
    write_config(hooked / 'a', base_model_name_or_path=LOCAL)
    git('add', '-A')
    write_config(hooked / 'a')  # the working tree is fine again; the index is not
    result = try_commit(hooked, '-m', 'commit the index')
    assert result.returncode != 0
    assert 'AG202' in out(result)
    assert 'AG301' in out(result)


# -- 7. the policy travels with the content it judges ----------------------------------------

@pytest.mark.parametrize('how', ('untracked', 'excluded', 'unstaged edit'))
def test_7_a_local_policy_does_not_let_a_commit_through(hooked: Path, how: str) -> None:
    relaxing = f'[severity]\nAG3 = "off"\n[[accept]]\npath = "*"\nto = "{OTHER}"\n'
    if how == 'unstaged edit':
        (hooked / '.adapter-guard.toml').write_text('allow-local-paths = false\n')
        git('add', '.adapter-guard.toml')
        commit('policy')
    elif how == 'excluded':
        (hooked / '.git' / 'info').mkdir(exist_ok=True)
        (hooked / '.git' / 'info' / 'exclude').write_text('.adapter-guard.toml\n')
    (hooked / '.adapter-guard.toml').write_text(relaxing)
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    git('add', 'a')
    result = try_commit(hooked, '-m', 'move')
    assert result.returncode != 0
    assert 'AG301' in out(result)
    assert '.adapter-guard.toml differs from the staged version (or is not staged)' in out(result)


def test_7_a_range_uses_the_policy_of_its_to_ref(repo: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    base = head()
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move', '-a')
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG3 = "off"\n')
    assert 'AG301' in run('a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json').codes


# -- 8. the hook also runs for the card, the weights and the policy ---------------------------

def test_8_a_commit_of_only_the_model_card(framework: Path) -> None:
    card = framework / 'a' / 'README.md'
    card.write_text(f'---\nbase_model: {LOCAL}\nlibrary_name: peft\n---\n')
    git('add', '-A')
    result = _framework_commit(framework, '-m', 'card only')
    assert result.returncode != 0
    assert 'a/README.md:2' in result.stdout
    assert 'AG401' in result.stdout


def test_8_a_commit_of_only_the_weights(framework: Path) -> None:
    weights = safetensors_bytes(lora_weights(['q_proj', 'v_proj'], r=16))
    (framework / 'a' / 'adapter_model.safetensors').write_bytes(weights)
    git('add', '-A')
    result = _framework_commit(framework, '-m', 'weights only')
    assert result.returncode != 0
    assert 'AG402' in result.stdout


def test_8_a_commit_of_only_the_policy_rechecks_every_adapter(framework: Path) -> None:
    (framework / '.adapter-guard.toml').write_text('deny = ["meta-llama/*"]\n')
    git('add', '-A')
    result = _framework_commit(framework, '-m', 'policy only')
    assert result.returncode != 0
    assert f'{CONFIG}:4:30: AG206' in result.stdout


def test_8_a_card_with_no_adapter_beside_it_is_ignored(framework: Path) -> None:
    (framework / 'README.md').write_text('# a project\n')
    git('add', '-A')
    assert _framework_commit(framework, '-m', 'readme').returncode == 0


# -- 9. leave a rewrite to the commit-msg hook only when it will run --------------------------------

def test_9_skipped_commit_msg_hook(framework: Path) -> None:
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    result = _framework_commit(framework, '-am', 'move', env={'SKIP': 'adapter-guard-commit-msg'})
    assert result.returncode != 0
    assert 'AG301' in result.stdout


def test_9_commented_out_commit_msg_hook(framework: Path) -> None:
    config = framework / '.pre-commit-config.yaml'
    lines, inside = [], False
    for line in config.read_text().splitlines():
        if line.strip().startswith('-   id:'):
            inside = line.strip() == '-   id: adapter-guard-commit-msg'
        lines.append('#' + line if inside else line)  # the hook's whole entry, commented out
    config.write_text('\n'.join(lines) + '\n')
    assert '#    -   id: adapter-guard-commit-msg' in config.read_text()
    git('add', '-A')
    commit('disable the commit-msg hook')
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    result = _framework_commit(framework, '-am', 'move')
    assert result.returncode != 0
    assert 'AG301' in result.stdout


def test_9_commit_msg_hook_not_installed(repo: Path) -> None:
    _local_config(repo)
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    assert pre_commit_cmd('install', '-t', 'pre-commit', cwd=repo).returncode == 0  # no commit-msg
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = _framework_commit(repo, '-am', 'move')
    assert result.returncode != 0
    assert 'AG301' in result.stdout
    assert 'trailer' not in result.stdout  # a trailer would not be read: the hint names [[accept]]
    assert '[[accept]] entry' in result.stdout


# -- 10. one trailer parser: git's --------------------------------------------------------------

@pytest.mark.parametrize(('message', 'cleanup'), (
    pytest.param(f'Base-Model-Change: {OTHER}\n', 'strip', id='subject'),
    pytest.param(f'move\n\nBase-Model-Change: {OTHER}\n\nMore words after it.\n', 'strip', id='middle paragraph'),
    pytest.param(f'move\n\n# ------------------------ >8 ------------------------\nBase-Model-Change: {OTHER}\n',
                 'scissors', id='after the scissors line'),
))
def test_10_what_is_not_a_trailer_at_commit_time_is_not_one_later(hooked: Path, run, message: str,
                                                                   cleanup: str) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    git('add', '-A')
    (hooked.parent / 'message').write_text(message)
    result = try_commit(hooked, '-F', str(hooked.parent / 'message'), f'--cleanup={cleanup}')
    assert result.returncode != 0, out(result)
    assert 'AG301' in out(result)
    git('commit', '-q', '--no-verify', '-F', str(hooked.parent / 'message'), f'--cleanup={cleanup}')
    assert 'AG301' in run('audit', '--format', 'json').codes  # push, CI and audit agree


def test_10_a_real_trailer_is_one_everywhere(hooked: Path, run) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    result = try_commit(hooked, '-am', 'move', '-m', f'Signed-off-by: A <a@example.com>\nbase-model-change: {OTHER}')
    assert result.returncode == 0, out(result)
    assert run('audit').code == 0


# -- 11. a merge is judged as history judges it ------------------------------------------------------

@pytest.mark.parametrize('how', ('merge', 'merge --no-commit, then commit'))
def test_11_merging_an_acknowledged_change(hooked: Path, run, how: str) -> None:
    git('checkout', '-q', '-b', 'side')
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    assert try_commit(hooked, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}').returncode == 0
    git('checkout', '-q', 'main')
    write_config(hooked / 'b')
    git('add', '-A')
    assert try_commit(hooked, '-m', 'another adapter').returncode == 0
    if how == 'merge':
        result = subprocess.run(['git', 'merge', '-q', '--no-edit', 'side'], cwd=hooked, capture_output=True, text=True)
    else:
        git('merge', '-q', '--no-commit', 'side')
        result = try_commit(hooked, '--no-edit')
    assert result.returncode == 0, out(result)
    assert len(git('rev-list', '--parents', '-n1', 'HEAD').split()) == 3
    assert run('audit').code == 0


# -- 12. the edge of a shallow clone is never a root ----------------------------------------------------

def test_12_a_range_that_reaches_the_shallow_boundary(repo: Path, tmp_path: Path, run,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('root')
    git('branch', 'other')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move', '-a')
    for dropout in (0.1, 0.2):
        write_config(repo / 'a', base_model_name_or_path=OTHER, lora_dropout=dropout)
        commit('tune', '-a')
    git('checkout', '-q', 'other')
    write_config(repo / 'b')
    git('add', '.')
    commit('other branch')
    git('checkout', '-q', 'main')
    clone = tmp_path / 'clone'
    git('clone', '-q', '--depth', '2', '--no-single-branch', f'file://{repo}', str(clone))
    monkeypatch.chdir(clone)
    result = run('a', '--from-ref', 'origin/other', '--to-ref', 'HEAD', '--format', 'json')
    assert 'AG303' in result.codes, result


ANOTHER_ADAPTER = dict(r=16, lora_alpha=32, target_modules=['gate_proj', 'up_proj', 'down_proj'], task_type='SEQ_CLS',
                       bias='all', fan_in_fan_out=True)


@pytest.mark.parametrize(('move', 'fields', 'unknown'), (
    (False, {}, 'a'),
    (True, {}, 'a'),
    (True, ANOTHER_ADAPTER, 'b'),
), ids=('same path', 'moved', 'another adapter where git saw a move'))
def test_12_a_range_after_an_unreadable_state_beyond_the_shallow_boundary(
        repo: Path, tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch, move: bool, fields: dict[str, object],
        unknown: str) -> None:
    """The value before the range is unreadable and the readable one before it is not in the clone: AG303 on the
    path the config has now, moved or not.  A rename git pairs but the walker splits is a new adapter at b; whether
    b held another base model before (deleted, then re-added) is what this clone cannot tell."""
    write_config(repo / 'a', lora_dropout=0.05)
    git('add', '.')
    commit('root: the Hub id')
    (repo / 'a' / 'adapter_config.json').write_text(
        (repo / 'a' / 'adapter_config.json').read_text().replace('"r": 8,', '"r": 8'))  # invalid JSON, same text
    commit('broken', '-a')
    base = head()
    if move:
        git('mv', 'a', 'b')
    write_config(repo / ('b' if move else 'a'), base_model_name_or_path=OTHER, lora_dropout=0.05, **fields)
    git('add', '-A')
    commit('repaired, another base model')
    if move:
        assert git('show', '-M', '--format=', '--name-status', 'HEAD').startswith('R')  # git pairs them
    clone = tmp_path / 'clone'
    git('clone', '-q', '--depth', '2', f'file://{repo}', str(clone))
    monkeypatch.chdir(clone)
    assert (clone / '.git' / 'shallow').read_text().strip() == base
    result = run('b' if move else 'a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json')
    (finding,) = result.findings
    assert finding['code'] == 'AG303'
    assert finding['path'] == f'{"b" if move else "a"}/adapter_config.json'
    assert f'cannot tell what {unknown}/adapter_config.json held before this range' in finding['message']


# -- 13. pre-push of a new branch that is not checked out ----------------------------------------------------

def test_13_pushing_a_new_branch_to_an_empty_remote(framework: Path, tmp_path: Path) -> None:
    remote = tmp_path / 'remote.git'
    git('init', '-q', '--bare', str(remote))
    git('remote', 'add', 'origin', str(remote))
    git('checkout', '-q', '-b', 'feature')
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    git('checkout', '-q', 'main')  # the working tree is clean; the pushed branch is not
    push = subprocess.run(['git', 'push', '-q', 'origin', 'feature'], cwd=framework, capture_output=True, text=True,
                          env=os.environ)
    assert push.returncode != 0
    assert 'AG301' in push.stdout + push.stderr


# -- 14. a history-since date never completes a shallow clone ------------------------------------------------

def test_14_history_since_date_in_a_shallow_clone(repo: Path, tmp_path: Path, run,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    clone = _silently_moved_clone(repo, tmp_path, '--depth', '1')
    monkeypatch.chdir(clone)
    (clone / '.adapter-guard.toml').write_text('history-since = "2020-01-01"\n')
    (finding,) = [f for f in run('a', '--format', 'json').findings if f['code'] == 'AG303']
    assert 'a history-since date cannot make it complete' in str(finding['message'])
    assert 'history-since to a commit sha in this clone' in str(finding['message'])
    (clone / '.adapter-guard.toml').write_text(f'history-since = "{head(clone)}"\n')
    assert 'AG303' not in run('a', '--format', 'json').codes


# -- 15. an amend is judged against the commit it replaces' parent ----------------------------------------------

@pytest.mark.skipif(sys.platform == 'win32', reason='git shows no amend to its hooks on Windows')
def test_15_an_amend_that_drops_the_trailer(hooked: Path) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    assert try_commit(hooked, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}').returncode == 0
    result = try_commit(hooked, '--amend', '-m', 'move (trailer dropped)')
    assert result.returncode != 0
    assert 'AG301' in out(result)


@pytest.mark.skipif(sys.platform == 'win32', reason='git shows no amend to its hooks on Windows')
def test_15_an_amend_that_undoes_an_unpushed_change(hooked: Path) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    assert try_commit(hooked, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}').returncode == 0
    write_config(hooked / 'a', lora_dropout=0.3)  # back on the base model of HEAD's parent
    result = try_commit(hooked, '--amend', '-a', '-m', 'tune only')
    assert result.returncode == 0, out(result)


# -- scale: no shortcut for many configs may skip a history -----------------------------------------------

def test_many_configs_keep_their_history_checked(repo: Path, run) -> None:
    """Above 50 paths git is asked differently (one listing instead of one pathspec each)."""
    for n in range(60):
        write_config(repo / f'adapters/a{n:02d}')
    git('add', '-A')
    commit('sixty adapters')
    base = head()
    write_config(repo / 'adapters/a42', base_model_name_or_path=OTHER)
    commit('silent move', '-a')
    moved = head()
    for args in (('adapters',), ('adapters', '--from-ref', base, '--to-ref', 'HEAD')):
        assert [f['commit'] for f in _ag301(run(*args, '--format', 'json').findings)] == [moved]
    write_config(repo / 'adapters/a07', base_model_name_or_path=LOCAL)
    git('add', '-A')
    install_git_hooks(repo)
    result = try_commit(repo, '-m', 'staged', '--', *(f'adapters/a{n:02d}/adapter_config.json' for n in range(60)))
    assert result.returncode != 0
    assert 'adapters/a07/adapter_config.json:4:3: AG301' in out(result)


def test_memory_bounds_never_lose_a_value(repo: Path, run) -> None:
    """History keeps only what the walk still needs: contents that come back, and a branch forked long ago."""
    write_config(repo / 'a')
    git('add', '-A')
    commit('add')
    git('branch', 'old-fork')
    for n in range(12):  # the same two contents again and again: blobs that come back after being let go
        write_config(repo / 'a', lora_dropout=0.1 if n % 2 else 0.2)
        commit(f'tune {n}', '-a')
    git('checkout', '-q', 'old-fork')  # a branch that forked before all of that
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move on an old branch', '-a')
    moved = head()
    git('checkout', '-q', 'main')
    git('merge', '-q', '--no-edit', '-X', 'theirs', 'old-fork')
    findings = json.loads(run('audit', '--format', 'json').out)['findings']
    assert [(f['code'], f['commit']) for f in findings] == [('AG301', moved)]
    assert [f['commit'] for f in _ag301(run('a', '--format', 'json').findings)] == [moved]
