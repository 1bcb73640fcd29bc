"""Silent rewrites of base_model_name_or_path, caught from real git history.

Real temporary repositories, real git, the hook run by git itself; git is
never mocked.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.util import add_submodule
from tests.util import commit
from tests.util import git
from tests.util import install_git_hooks
from tests.util import LORA
from tests.util import peft_dumps
from tests.util import try_commit
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
LOCAL = '/mnt/models/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# -- at commit time ---------------------------------------------------------

def test_first_commit_has_no_history(repo: Path) -> None:
    install_git_hooks(repo)
    write_config(repo / 'a')
    git('add', '.')
    result = try_commit(repo, '-m', 'first')
    assert result.returncode == 0, out(result)


def test_git_commit_is_rejected(hooked: Path) -> None:
    write_config(hooked / 'a', base_model_name_or_path=LOCAL, lora_dropout=0.1)
    git('add', '.')
    result = try_commit(hooked, '-m', 'retrain')
    assert result.returncode != 0
    assert 'a/adapter_config.json:4:3: AG301' in out(result)
    assert f"looks like a local copy of '{HUB}'" in out(result)
    assert 'AG202' in out(result)


@pytest.mark.parametrize('how', ('-a', 'path'))
def test_temporary_index_of_commit_a_and_commit_path(hooked: Path, how: str) -> None:
    """git commit -a / git commit <path> point the hook at a temporary GIT_INDEX_FILE."""
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    args = ['-a'] if how == '-a' else ['a/adapter_config.json']
    result = try_commit(hooked, *args, '-m', 'rebase onto 3.1')
    assert result.returncode != 0
    assert 'AG301' in out(result)
    result = try_commit(hooked, *args, '-m', 'rebase onto 3.1', '-m', f'Base-Model-Change: {OTHER}')
    assert result.returncode == 0, out(result)


def test_amend(hooked: Path) -> None:
    write_config(hooked / 'a', lora_dropout=0.2)
    assert try_commit(hooked, '-am', 'tune').returncode == 0
    write_config(hooked / 'a', lora_dropout=0.2, base_model_name_or_path=LOCAL)
    result = try_commit(hooked, '--amend', '-a', '--no-edit')
    assert result.returncode != 0
    assert 'AG301' in out(result)


def test_trailer_needs_the_commit_msg_hook(repo: Path) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    install_git_hooks(repo, commit_msg=False)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = try_commit(repo, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}')
    assert result.returncode != 0  # the pre-commit stage cannot see the message
    assert 'AG301' in out(result)


def test_wrong_trailer_value_does_not_acknowledge(hooked: Path) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    result = try_commit(hooked, '-am', 'move', '-m', 'Base-Model-Change: meta-llama/Llama-3.1-70B')
    assert result.returncode != 0
    assert 'AG301' in out(result)


def test_policy_accept_acknowledges_at_commit_time(hooked: Path) -> None:
    (hooked / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "a/*"\nfrom = "{HUB}"\nto = "{OTHER}"\n')
    git('add', '.adapter-guard.toml')  # the policy travels with the commit it judges
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    assert try_commit(hooked, '-am', 'move').returncode == 0


def test_revision_dropped(hooked: Path) -> None:
    sha = '01c7f73d771dfac7d292323805ebc428287df4f9'
    write_config(hooked / 'a', revision=sha)
    (hooked / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "a/*"\nto = "{HUB}@{sha}"\n')
    assert try_commit(hooked, '-am', 'pin').returncode == 0
    write_config(hooked / 'a', revision=None)
    result = try_commit(hooked, '-am', 'unpin')
    assert result.returncode != 0
    assert f"AG302 revision '{sha}' was dropped (null)" in out(result)


def test_renamed_adapter_folder_compares_with_its_old_path(hooked: Path) -> None:
    git('mv', 'a', 'b')
    write_config(hooked / 'b', base_model_name_or_path=LOCAL)
    git('add', '.')
    result = try_commit(hooked, '-m', 'move folder')
    assert result.returncode != 0
    assert 'b/adapter_config.json:4:3: AG301' in out(result)


def test_new_adapter_has_no_history_finding(hooked: Path) -> None:
    write_config(hooked / 'new', base_model_name_or_path=OTHER)
    git('add', '.')
    assert try_commit(hooked, '-m', 'another').returncode == 0


def test_deleted_adapter(hooked: Path, run) -> None:
    git('rm', '-q', '-r', 'a')
    assert try_commit(hooked, '-m', 'drop').returncode == 0
    result = run('audit', '--format', 'json')
    assert [s['event'] for s in json.loads(result.out)['adapters'][0]['timeline']] == ['added', 'deleted']


def test_reformatting_and_reordering_is_not_a_rewrite(hooked: Path) -> None:
    data = dict(LORA, target_modules=['v_proj', 'q_proj'], peft_version='0.21.2', inference_mode=False)
    (hooked / 'a' / 'adapter_config.json').write_text(json.dumps(data, indent=4) + '\n')
    assert try_commit(hooked, '-am', 'reformat').returncode == 0


def test_empty_string_to_null(repo: Path, run) -> None:
    write_config(repo / 'a', base_model_name_or_path='')
    git('add', '.')
    commit('add')
    write_config(repo / 'a', base_model_name_or_path=None)
    git('add', '.')
    result = run('a', '--format', 'json', '--select', 'AG301')
    assert "PEFT >= 0.21 re-saves '' as null" in result.findings[0]['message']


def test_paths_with_spaces_and_non_ascii(repo: Path) -> None:
    folder = repo / 'my adapters' / 'çhat ü'
    write_config(folder)
    git('add', '.')
    commit('add')
    install_git_hooks(repo)
    write_config(folder, base_model_name_or_path=LOCAL)
    result = try_commit(repo, '-am', 'retrain')
    assert result.returncode != 0
    assert 'my adapters/çhat ü/adapter_config.json:4:3: AG301' in out(result)


def test_git_dir_and_work_tree_from_the_environment(tmp_path: Path) -> None:
    """git --git-dir X --work-tree Y commit: git exports GIT_DIR/GIT_WORK_TREE to hooks."""
    git_dir, work = tmp_path / 'store.git', tmp_path / 'work'
    work.mkdir()
    env = {'GIT_DIR': str(git_dir), 'GIT_WORK_TREE': str(work)}
    git('init', '-q', cwd=work, env=env)
    write_config(work / 'a')
    git('add', '.', cwd=work, env=env)
    git('commit', '-q', '-m', 'add', cwd=work, env=env)
    install_git_hooks(work, env=env)
    assert (git_dir / 'hooks' / 'pre-commit').exists()
    write_config(work / 'a', base_model_name_or_path=LOCAL)
    result = subprocess.run(
        ['git', f'--git-dir={git_dir}', f'--work-tree={work}', 'commit', '-q', '-am', 'x'],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert 'AG301' in out(result)


def test_worktree(hooked: Path, tmp_path: Path) -> None:
    tree = tmp_path / 'second'
    git('worktree', 'add', '-q', str(tree), '-b', 'feature')
    write_config(tree / 'a', base_model_name_or_path=LOCAL)
    result = try_commit(tree, '-am', 'retrain')
    assert result.returncode != 0
    assert 'AG301' in out(result)
    write_config(tree / 'a', base_model_name_or_path=OTHER)
    result = try_commit(tree, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}')
    assert result.returncode == 0, out(result)


def test_submodule(hooked: Path, tmp_path: Path, run) -> None:
    add_submodule(hooked, tmp_path / 'library')
    assert try_commit(hooked, '-m', 'add submodule').returncode == 0
    result = run('check', '.', '--format', 'json')
    assert result.code == 0, result
    write_config(hooked / 'vendor' / 'library' / 'shared', base_model_name_or_path=LOCAL)
    result = try_commit(hooked / 'vendor' / 'library', '-am', 'x')
    assert result.returncode == 0  # the submodule's own repository has no hooks installed
    result = run('check', 'vendor/library/shared/adapter_config.json', '--format', 'json')
    assert 'AG202' in result.codes


def test_detached_head(hooked: Path, run) -> None:
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    git('commit', '-q', '--no-verify', '-am', 'silent move')
    git('checkout', '-q', '--detach', 'HEAD')
    result = run('check', 'a', '--format', 'json')
    (finding,) = result.findings
    assert finding['code'] == 'AG301'
    assert finding['commit'] == git('rev-parse', 'HEAD').strip()
    assert finding['previous'] == HUB


# -- --fix ------------------------------------------------------------------

def test_fix_is_byte_exact(hooked: Path, run) -> None:
    data = dict(LORA, base_model_name_or_path=LOCAL, revision=None, lora_dropout=0.1)
    path = hooked / 'a' / 'adapter_config.json'
    path.write_text(peft_dumps(data))
    git('add', '.')
    result = run('--fix', 'a')
    assert result.code == 1
    assert 'Fixing a/adapter_config.json: restored base_model_name_or_path to "meta-llama/Llama-2-7b-hf"' in result.out
    assert path.read_bytes() == peft_dumps(dict(data, base_model_name_or_path=HUB)).encode()
    assert run('--fix', 'a').code == 0  # nothing left to fix


def test_fix_restores_revision_and_keeps_mode(hooked: Path, run) -> None:
    sha = '01c7f73d771dfac7d292323805ebc428287df4f9'
    write_config(hooked / 'a', revision=sha)
    commit('pin', '-a')
    path = hooked / 'a' / 'adapter_config.json'
    path.chmod(0o640)
    write_config(hooked / 'a', revision='main', base_model_name_or_path='Qwen/Qwen2.5-7B')
    assert run('--fix', 'a').code == 1
    assert json.loads(path.read_text())['revision'] == sha
    assert json.loads(path.read_text())['base_model_name_or_path'] == HUB
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


@pytest.mark.parametrize('broken', (
    pytest.param('dup', id='duplicate key'),
    pytest.param('syntax', id='invalid JSON'),
))
def test_fix_never_touches_an_unsafe_file(hooked: Path, run, broken: str) -> None:
    path = hooked / 'a' / 'adapter_config.json'
    text = peft_dumps(dict(LORA, base_model_name_or_path=LOCAL))
    text = text[:-2] + ',\n  "r": 8\n}' if broken == 'dup' else text[:-2]
    path.write_text(text)
    result = run('--fix', 'a')
    assert path.read_text() == text
    assert result.code == 1


# -- commit ranges (pre-push, --from-ref/--to-ref) -------------------------------

def _history_with_a_silent_rewrite(repo: Path) -> tuple[str, str]:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    base = git('rev-parse', 'HEAD').strip()
    write_config(repo / 'a', base_model_name_or_path=LOCAL)
    commit('retrain', '-a')
    rewrite = git('rev-parse', 'HEAD').strip()
    write_config(repo / 'a', base_model_name_or_path=LOCAL, lora_dropout=0.3)
    commit('tune', '-a')
    return base, rewrite


def test_range_from_the_environment(repo: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    base, rewrite = _history_with_a_silent_rewrite(repo)
    monkeypatch.setenv('PRE_COMMIT_FROM_REF', base)
    monkeypatch.setenv('PRE_COMMIT_TO_REF', 'HEAD')
    result = run('a', '--format', 'json', '--select', 'AG3')
    assert [(f['code'], f['commit'], f['previous']) for f in result.findings] == [('AG301', rewrite, HUB)]


def test_range_reads_the_to_ref_not_the_working_tree(repo: Path, run) -> None:
    base, _rewrite = _history_with_a_silent_rewrite(repo)
    write_config(repo / 'a')  # the working tree is fine again; the range is not
    result = run('a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json')
    assert sorted(result.codes) == ['AG202', 'AG301']


def test_range_trailer_and_policy(repo: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    base = git('rev-parse', 'HEAD').strip()
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit(f'move\n\nBase-Model-Change: {OTHER}', '-a')
    write_config(repo / 'b', base_model_name_or_path=OTHER)
    git('add', '.')
    commit('b')
    write_config(repo / 'b', base_model_name_or_path='Qwen/Qwen2.5-7B')
    commit('move b', '-a')
    args = ('check', 'a', 'b', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json')
    assert [f['path'] for f in run(*args).findings] == ['b/adapter_config.json']
    (repo / '.adapter-guard.toml').write_text('[[accept]]\npath = "b/adapter_config.json"\nto = "Qwen/Qwen2.5-7B"\n')
    assert run(*args).code == 1  # a range is judged by the policy of its to-ref, not the working tree's
    git('add', '.adapter-guard.toml')
    commit('accept the move of b')
    assert run(*args).code == 0


def test_range_from_ref_missing(repo: Path, run) -> None:
    _history_with_a_silent_rewrite(repo)
    result = run('a', '--from-ref', '1' * 40, '--to-ref', 'HEAD', '--format', 'json')
    assert 'AG303' in result.codes


def test_new_branch_push_has_a_null_from_ref(repo: Path, run) -> None:
    _, rewrite = _history_with_a_silent_rewrite(repo)
    result = run('a', '--from-ref', '0' * 40, '--to-ref', 'HEAD', '--format', 'json', '--select', 'AG301')
    assert [f['commit'] for f in result.findings] == [rewrite]


def test_merge_commits(repo: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    base = git('rev-parse', 'HEAD').strip()
    git('checkout', '-q', '-b', 'side')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit(f'move\n\nBase-Model-Change: {OTHER}', '-a')
    git('checkout', '-q', 'main')
    write_config(repo / 'other')
    git('add', '.')
    commit('other')
    git('merge', '-q', '--no-edit', 'side')
    args = ('a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json', '--select', 'AG3')
    assert run(*args).findings == []  # acknowledged on the side branch; the merge adds nothing
    # an "evil" merge that changes the base model while merging
    git('checkout', '-q', '-b', 'side2', base)
    write_config(repo / 'a', lora_dropout=0.3)
    commit('tune', '-a')
    git('checkout', '-q', 'main')
    git('merge', '-q', '--no-commit', 'side2')
    write_config(repo / 'a', base_model_name_or_path=LOCAL, lora_dropout=0.3)
    git('add', '.')
    commit('merge side2', '--no-edit')
    merge = git('rev-parse', 'HEAD').strip()
    result = run(*args)
    assert [(f['code'], f['commit']) for f in result.findings] == [('AG301', merge)]


def test_rebase_keeps_the_trailer(repo: Path, run) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    git('checkout', '-q', '-b', 'feature')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit(f'move\n\nBase-Model-Change: {OTHER}', '-a')
    write_config(repo / 'a', base_model_name_or_path='Qwen/Qwen2.5-7B')
    commit('silent', '-a')
    git('checkout', '-q', 'main')
    write_config(repo / 'z')
    git('add', '.')
    commit('z')
    git('checkout', '-q', 'feature')
    git('rebase', '-q', 'main')
    silent = git('rev-parse', 'HEAD').strip()
    result = run('a', '--from-ref', 'main', '--to-ref', 'HEAD', '--format', 'json', '--select', 'AG301')
    assert [f['commit'] for f in result.findings] == [silent]


# -- all files: pre-commit run --all-files, pre-commit.ci ------------------------

def test_all_files_checks_the_history_of_unchanged_files(repo: Path, run) -> None:
    _, rewrite = _history_with_a_silent_rewrite(repo)
    result = run('a', '--format', 'json', '--select', 'AG301')
    assert [f['commit'] for f in result.findings] == [rewrite]
    assert result.findings[0]['line'] == 4  # the key's line in the current file


def test_all_files_follows_renames(repo: Path, run) -> None:
    _, rewrite = _history_with_a_silent_rewrite(repo)
    git('mv', 'a', 'renamed')
    commit('rename')
    result = run('renamed', '--format', 'json', '--select', 'AG301')
    assert [f['commit'] for f in result.findings] == [rewrite]


def test_history_since_bounds_the_check(repo: Path, run) -> None:
    _, rewrite = _history_with_a_silent_rewrite(repo)
    (repo / '.adapter-guard.toml').write_text(f'history-since = "{rewrite}"\n')
    assert run('a', '--select', 'AG3').code == 0
    (repo / '.adapter-guard.toml').write_text('history-since = "no-such-ref"\n')
    result = run('a')
    assert result.code == 2
    assert 'history-since' in result.err


def test_shallow_clone_is_not_silent(repo: Path, tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    _history_with_a_silent_rewrite(repo)
    clone = tmp_path / 'shallow'
    git('clone', '-q', '--depth', '1', f'file://{repo}', str(clone))
    monkeypatch.chdir(clone)
    result = run('a', '--format', 'json')
    assert 'AG303' in result.codes
    assert 'shallow clone' in next(f for f in result.findings if f['code'] == 'AG303')['message']
    assert 'AG202' in result.codes  # the static checks still run
    (clone / '.adapter-guard.toml').write_text('on-missing-history = "warn"\n')
    result = run('a', '--format', 'json', '--select', 'AG3')
    assert (result.code, [f['severity'] for f in result.findings]) == (0, ['warning'])
    head = git('rev-parse', 'HEAD').strip()
    (clone / '.adapter-guard.toml').write_text(f'history-since = "{head}"\n')
    assert run('a', '--select', 'AG3').code == 0  # what history-since needs is here


def test_grafted_history_is_not_silent(repo: Path, run) -> None:
    _history_with_a_silent_rewrite(repo)
    head = git('rev-parse', 'HEAD').strip()
    git('replace', '--graft', head)
    assert 'AG303' in run('a', '--format', 'json').codes


# -- audit and init -----------------------------------------------------------

def test_audit_timeline(repo: Path, run) -> None:
    _, rewrite = _history_with_a_silent_rewrite(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('repair', '-a')
    write_config(repo / 'a', base_model_name_or_path='Qwen/Qwen2.5-7B')
    commit('move\n\nBase-Model-Change: Qwen/Qwen2.5-7B', '-a')
    result = run('audit', '--format', 'json')
    assert result.code == 1
    (adapter,) = json.loads(result.out)['adapters']
    assert [(s['event'], s['base_model_name_or_path'], s['findings'], s['acknowledged'])
            for s in adapter['timeline']] == [
        ('added', HUB, [], None),
        ('changed', LOCAL, ['AG301'], None),
        ('changed', OTHER, [], 'repair'),  # a local path replaced by an allowed Hub id
        ('changed', 'Qwen/Qwen2.5-7B', [], 'trailer'),
    ]
    assert adapter['timeline'][1]['commit'] == rewrite
    assert adapter['timeline'][1]['author'] == 'Test Author'
    text = run('audit').out
    assert 'AG301 not acknowledged' in text
    assert '(acknowledged by trailer)' in text


def test_init_makes_an_old_repository_start_green(repo: Path, run) -> None:
    _history_with_a_silent_rewrite(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    write_config(repo / 'b', base_model_name_or_path='Qwen/Qwen2.5-7B')
    git('add', '.')
    commit('move a, add b')
    assert run('audit').code == 1
    result = run('init')
    assert result.code == 0, result
    # Hub id -> local path cannot be accepted (history-since trusts it instead); local path -> Hub id is a repair
    assert '2 allowed base model(s), 0 accepted past change(s)' in result.out
    text = (repo / '.adapter-guard.toml').read_text()
    assert '"Qwen/Qwen2.5-7B",' in text
    assert f'"{OTHER}",' in text
    assert f'history-since = "{git("rev-parse", "HEAD").strip()}"' in text
    assert run('audit').code == 0
    assert run('check', '.').code == 0
    assert run('init').code == 2  # never overwrites without --force
    assert run('init', '--force').code == 0


def test_audit_outside_a_repository(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run('audit', '--format', 'json')
    assert result.code == 1
    assert result.codes == ['AG303']


def test_no_git_on_path(repo: Path, tmp_path: Path) -> None:
    write_config(repo / 'a')
    env = dict(os.environ, PATH=str(tmp_path / 'empty'))
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', 'a'], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == 'adapter-guard: error: the git executable was not found on PATH'


def test_fix_also_puts_the_hub_id_back_in_the_model_card(hooked: Path, run) -> None:
    card = hooked / 'a' / 'README.md'
    text = '---\nbase_model: {}\nlibrary_name: peft\ntags:\n- base_model:adapter:{}\n- lora\n---\n\n# Model Card\n'
    card.write_text(text.format(HUB, HUB))
    git('add', '.')
    commit('card')
    write_config(hooked / 'a', base_model_name_or_path=LOCAL)
    card.write_text(text.format(LOCAL, LOCAL))  # PEFT rewrites the card on every save
    result = run('--fix', 'a')
    assert result.code == 1
    assert card.read_text() == text.format(HUB, HUB)
    assert run('a').code == 0


def test_deleted_and_added_again_with_the_same_base_is_no_rewrite(repo: Path, run) -> None:
    """The corpus has adapters added, deleted and added again on the same base (AshChadha-iitg/OpenMath)."""
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    git('rm', '-q', '-r', 'a')
    commit('delete')
    write_config(repo / 'a', lora_dropout=0.2)
    git('add', '.')
    commit('add again')
    assert run('a', '--select', 'AG3').code == 0
    timeline = json.loads(run('audit', '--format', 'json').out)['adapters']
    assert [[s['event'] for s in line['timeline']] for line in timeline] == [['added', 'deleted', 're-added']]


def test_one_adapter_replacing_another_is_not_a_rewrite(repo: Path, run) -> None:
    """git pairs the two as a rename (PEFT configs share most lines); they are two adapters."""
    write_config(repo / 'old-llama')
    git('add', '.')
    commit('add')
    git('rm', '-q', '-r', 'old-llama')
    write_config(repo / 'new-t5', base_model_name_or_path='google/flan-t5-base', r=16, lora_alpha=32,
                 target_modules=['q', 'v'], task_type='SEQ_2_SEQ_LM', lora_dropout=0.1)
    git('add', '.')
    assert git('diff', '--cached', '-M', '--name-status', 'HEAD').startswith('R')  # git calls it a rename
    assert run('new-t5', '--select', 'AG3').code == 0  # staged
    commit('replace')
    assert run('new-t5', '--select', 'AG3').code == 0  # all files
    assert run('audit').code == 0


def test_all_files_honours_trailer_and_policy(repo: Path, run) -> None:
    write_config(repo / 'a')
    write_config(repo / 'b')
    git('add', '.')
    commit('add')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit(f'move a\n\nBase-Model-Change: {OTHER}', '-a')
    write_config(repo / 'b', base_model_name_or_path=OTHER)
    commit('move b', '-a')
    result = run('a', 'b', '--format', 'json', '--select', 'AG3')
    assert [f['path'] for f in result.findings] == ['b/adapter_config.json']
    (repo / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "b/*"\nfrom = "{HUB}"\nto = "{OTHER}"\n')
    assert run('a', 'b', '--select', 'AG3').code == 0


def test_a_rewrite_left_to_the_commit_msg_stage_is_not_no_problems(hooked: Path) -> None:
    """The pre-commit stage cannot judge a rewrite before the message exists; it says so, and passes it on."""
    write_config(hooked / 'a', base_model_name_or_path=OTHER)
    result = try_commit(hooked, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}')
    assert result.returncode == 0, out(result)
    note, first_summary, second_summary = out(result).strip().splitlines()
    assert 'AG301' in note
    assert note.endswith('judged with its trailer at the commit-msg stage [note]')
    assert first_summary == 'adapter-guard: 1 note in 1 of 1 adapter config'
    assert second_summary == 'adapter-guard: 1 adapter config checked, no problems'  # judged, with its trailer
