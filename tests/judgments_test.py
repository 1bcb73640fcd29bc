"""Right judgments and hints that work when followed (part 5), in real repositories.

A repair is not a rewrite; --fix never writes a value that fails a static
check; no acknowledgement makes a local path acceptable; and every hint the
tool prints is followed here, to the letter, and must then let the commit in.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.util import commit
from tests.util import git
from tests.util import install_git_hooks
from tests.util import LORA
from tests.util import peft_dumps
from tests.util import try_commit
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'
LOCAL = '/mnt/models/Llama-2-7b-hf'
SHA = '01c7f73d771dfac7d292323805ebc428287df4f9'
SHA2 = 'a' * 40


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def _committed(repo: Path, **changes: object) -> None:
    write_config(repo / 'a', **changes)
    git('add', '-A')
    commit('add')


# -- a repair is not a rewrite -----------------------------------------------------------

@pytest.mark.parametrize('broken', (LOCAL, None, '', 'models/llama', 'not a valid/id/at all', ...),
                         ids=('local path', 'null', 'empty', 'existing folder', 'invalid id', 'missing'))
def test_a_repair_is_not_a_rewrite_anywhere(repo: Path, run, broken: object) -> None:
    (repo / 'models' / 'llama').mkdir(parents=True)
    (repo / 'models' / 'llama' / 'config.json').write_text('{}')
    _committed(repo, base_model_name_or_path=broken)
    install_git_hooks(repo)
    base = git('rev-parse', 'HEAD').strip()
    write_config(repo / 'a', base_model_name_or_path=HUB)
    result = try_commit(repo, '-am', 'repair')  # commit time
    assert result.returncode == 0, out(result)
    assert run('a', '--format', 'json').findings == []  # all files
    assert run('a', '--from-ref', base, '--to-ref', 'HEAD', '--format', 'json').findings == []  # a range
    audit = json.loads(run('audit', '--format', 'json').out)
    assert audit['findings'] == []
    assert audit['adapters'][0]['timeline'][-1]['acknowledged'] == 'repair'


def test_a_change_to_a_not_allowed_id_is_no_repair(repo: Path, run) -> None:
    (repo / '.adapter-guard.toml').write_text('allow = ["meta-llama/*"]\n')
    _committed(repo, base_model_name_or_path=LOCAL)
    write_config(repo / 'a', base_model_name_or_path='Qwen/Qwen2.5-7B')
    assert sorted(run('a', '--format', 'json').codes) == ['AG201', 'AG301']


@pytest.mark.parametrize(('old', 'new', 'code'), (
    pytest.param(None, SHA, None, id='null to a commit: pinning'),
    pytest.param(..., SHA, None, id='missing to a commit: pinning'),
    pytest.param(..., None, None, id='missing and null are the same'),
    pytest.param(None, ..., None, id='null and missing are the same'),
    pytest.param(SHA, SHA2, 'AG302', id='another commit'),
    pytest.param(SHA, None, 'AG302', id='unpinned'),
    pytest.param(None, 'main', 'AG302', id='a branch is no pin'),
))
def test_revision_changes(repo: Path, run, old: object, new: object, code: str | None) -> None:
    _committed(repo, revision=old)
    write_config(repo / 'a', revision=new)
    result = run('a', '--format', 'json', '--select', 'AG3')
    assert result.codes == ([code] if code else [])


def test_an_old_config_re_saved_by_a_newer_peft_needs_no_fix(repo: Path, run) -> None:
    """PEFT < 0.4 wrote no revision key; a re-save writes "revision": null."""
    old = dict(LORA)
    del old['revision']
    (repo / 'a').mkdir()
    (repo / 'a' / 'adapter_config.json').write_text(peft_dumps(old))
    git('add', '-A')
    commit('old PEFT')
    write_config(repo / 'a')
    assert run('a').code == 0
    assert run('--fix', 'a').code == 0  # nothing to fix, no loop


# -- --fix never writes a value that fails a static check ----------------------------------------

def test_fix_has_nothing_to_do_after_a_repair(repo: Path, run) -> None:
    _committed(repo, base_model_name_or_path=LOCAL)
    path = write_config(repo / 'a', base_model_name_or_path=HUB)
    before = path.read_bytes()
    result = run('--fix', 'a')
    assert result.code == 0, result
    assert path.read_bytes() == before


def test_fix_never_restores_a_value_the_policy_rejects(repo: Path, run) -> None:
    (repo / '.adapter-guard.toml').write_text('deny = ["TheBloke/*"]\n')
    _committed(repo, base_model_name_or_path='TheBloke/Llama-2-7B-GPTQ')
    path = write_config(repo / 'a', base_model_name_or_path=OTHER)
    before = path.read_bytes()
    result = run('--fix', 'a')
    assert path.read_bytes() == before
    assert '--fix' not in result.out
    assert 'AG301' in result.out


# -- no acknowledgement makes a local path, null or an invalid id acceptable ----------------------------

@pytest.mark.parametrize('value', (LOCAL, 'models/llama', None), ids=('absolute', 'existing folder', 'null'))
def test_no_acknowledgement_accepts_a_value_that_names_no_model(repo: Path, value: object) -> None:
    (repo / 'models' / 'llama').mkdir(parents=True)
    (repo / 'models' / 'llama' / 'config.json').write_text('{}')
    shown = '' if value is None else value
    (repo / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "a/*"\nto = "{shown}"\n')
    _committed(repo)
    install_git_hooks(repo)
    write_config(repo / 'a', base_model_name_or_path=value)
    result = try_commit(repo, '-am', 'move', '-m', f'Base-Model-Change: {shown}')
    assert result.returncode != 0
    assert 'AG301' in out(result)
    assert 'trailer' not in out(result)  # no hint offers it
    assert '[[accept]]' not in out(result)
    git('commit', '-q', '--no-verify', '-am', f'move\n\nBase-Model-Change: {shown}')


def test_allow_local_paths_makes_a_local_path_acknowledgeable(repo: Path) -> None:
    (repo / '.adapter-guard.toml').write_text('allow-local-paths = true\n')
    _committed(repo)
    install_git_hooks(repo)
    write_config(repo / 'a', base_model_name_or_path=LOCAL)
    assert try_commit(repo, '-am', 'move', '-m', f'Base-Model-Change: {LOCAL}').returncode == 0


# -- every hint works when followed ----------------------------------------------------------------

_TRAILER_HINT = re.compile(r'acknowledge the change with a `(Base-Model-Change: [^`]*)` trailer')
_ACCEPT_HINT = re.compile(r'an \[\[accept\]\] entry in the policy \(([^)]*)\)')


def _trailer_hint(text: str) -> str:
    match = _TRAILER_HINT.search(text)
    assert match, text
    return match.group(1)


def _accept_hint(text: str) -> str:
    match = _ACCEPT_HINT.search(text)
    assert match, text
    return '[[accept]]\n' + '\n'.join(match.group(1).split(', ')) + '\n'


@pytest.mark.parametrize(('change', 'expected'), (
    pytest.param({'base_model_name_or_path': OTHER}, f'Base-Model-Change: {OTHER}', id='base model'),
    pytest.param({'revision': SHA2}, f'Base-Model-Change: {HUB}@{SHA2}', id='revision'),
    pytest.param({'revision': None}, f'Base-Model-Change: {HUB}@', id='revision removed'),
    pytest.param({'base_model_name_or_path': OTHER, 'revision': SHA2}, f'Base-Model-Change: {OTHER}', id='both'),
))
def test_the_trailer_hint_works(repo: Path, change: dict[str, object], expected: str) -> None:
    _committed(repo, revision=SHA)
    install_git_hooks(repo)
    write_config(repo / 'a', **{'revision': SHA, **change})
    result = try_commit(repo, '-am', 'change')
    assert result.returncode != 0
    trailer = _trailer_hint(out(result))
    assert trailer == expected
    result = try_commit(repo, '-am', 'change', '-m', trailer)
    assert result.returncode == 0, out(result)


def test_a_trailer_naming_another_value_says_so(repo: Path) -> None:
    _committed(repo)
    install_git_hooks(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = try_commit(repo, '-am', 'move', '-m', 'Base-Model-Change: meta-llama/Llama-3.1-70B')
    assert result.returncode != 0
    assert f"the Base-Model-Change trailer names 'meta-llama/Llama-3.1-70B', the file says '{OTHER}'" in out(result)


@pytest.mark.parametrize('change', ({'base_model_name_or_path': OTHER}, {'revision': None}), ids=('base', 'revision'))
def test_the_accept_hint_works_without_the_commit_msg_hook(repo: Path, change: dict[str, object]) -> None:
    _committed(repo, revision=SHA)
    install_git_hooks(repo, commit_msg=False)
    write_config(repo / 'a', **{'revision': SHA, **change})
    result = try_commit(repo, '-am', 'change')
    assert result.returncode != 0
    assert 'trailer' not in out(result)  # a trailer would never be read here
    (repo / '.adapter-guard.toml').write_text(_accept_hint(out(result)))
    git('add', '-A')
    result = try_commit(repo, '-m', 'change, accepted')
    assert result.returncode == 0, out(result)


def test_the_accept_hint_works_for_history(repo: Path, run) -> None:
    _committed(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move', '-a')
    result = run('a')
    assert result.code == 1
    (repo / '.adapter-guard.toml').write_text(_accept_hint(result.out))
    git('add', '-A')
    commit('accept it')
    assert run('a').code == 0, run('a')
    assert run('audit').code == 0


def test_the_fix_hint_works(repo: Path, run) -> None:
    _committed(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    result = run('a')
    assert "`adapter-guard --fix` restores 'meta-llama/Llama-2-7b-hf'" in result.out
    assert run('--fix', 'a').code == 1
    assert run('a').code == 0


def test_no_fix_hint_on_a_file_fix_would_not_touch(repo: Path, run) -> None:
    _committed(repo)
    text = peft_dumps(dict(LORA, base_model_name_or_path=OTHER))
    (repo / 'a' / 'adapter_config.json').write_text(text[:-2] + ',\n  "r": 8\n}')  # AG002
    result = run('a')
    assert 'AG002' in result.out
    assert 'AG301' in result.out
    assert '--fix' not in result.out


# -- where the content is ----------------------------------------------------------------------

def test_staged_only_for_staged_content(repo: Path, run) -> None:
    _committed(repo)
    install_git_hooks(repo)
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    assert '(not committed)' in run('a').out
    assert '(staged)' not in run('a').out
    assert '(staged)' in out(try_commit(repo, '-am', 'move'))


# -- audit -----------------------------------------------------------------------------------------

def test_audit_of_a_repository_with_no_commits(repo: Path, run) -> None:
    result = run('audit')
    assert (result.code, result.out.strip()) == (0, 'adapter-guard: no history yet (the repository has no commits)')


def test_audit_says_it_judges_history_only(repo: Path, run) -> None:
    _committed(repo, base_model_name_or_path=LOCAL)  # a local path, but no change: history is fine
    result = run('audit')
    assert result.code == 0
    assert 'the audit judges history only; `adapter-guard check` judges the files as they are' in result.out
