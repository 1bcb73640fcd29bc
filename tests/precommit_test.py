"""The hook through real pre-commit: try-repo, every stage, and the packaged wheel.

Nothing is downloaded: pre-commit's hook environment is built from wheels
repacked from this environment's own installed distributions
(tests/wheelhouse.py), never from what the base interpreter holds.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.util import commit
from tests.util import framework_commit as _commit
from tests.util import git
from tests.util import MANIFEST
from tests.util import manifest as _manifest
from tests.util import pre_commit_cmd
from tests.util import REPO
from tests.util import use_hooks
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'


def test_manifest_is_valid() -> None:
    result = pre_commit_cmd('validate-manifest', str(MANIFEST), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_ids_and_entries() -> None:
    hooks = {h['id']: h for h in _manifest()}
    assert set(hooks) == {'adapter-guard', 'adapter-guard-commit-msg', 'adapter-guard-audit', 'adapter-guard-fix'}
    for hook in hooks.values():
        assert str(hook['entry']).split()[0] == 'adapter-guard'  # the one console script
        assert hook['language'] == 'python'
    assert hooks['adapter-guard']['stages'] == ['pre-commit', 'pre-push', 'manual']
    assert hooks['adapter-guard-commit-msg']['stages'] == ['commit-msg']
    assert hooks['adapter-guard-audit']['pass_filenames'] is False
    # the fixer rewrites files: only when asked for, on exactly the files the check looks at
    fixer = hooks['adapter-guard-fix']
    assert fixer['entry'] == 'adapter-guard --fix'
    assert fixer['stages'] == ['manual']
    for key in ('files', 'types', 'types_or'):
        assert fixer[key] == hooks['adapter-guard'][key], key


@pytest.mark.parametrize(('path', 'matches'), (
    ('adapter_config.json', True),
    ('out/checkpoint-500/adapter_config.json', True),
    ('a b/adapter_config.json', True),
    ('my_adapter_config.json', False),
    ('adapter_config.json.bak', False),
    ('adapter_config.yaml', False),
    # what decides a config's judgment: the card and weights beside it, the policy and the lock at the root
    ('out/README.md', True),
    ('out/adapter_model.safetensors', True),
    ('.adapter-guard.toml', True),
    ('pyproject.toml', True),
    ('adapter-guard.lock', True),
    ('sub/pyproject.toml', False),
    ('sub/adapter-guard.lock', False),
    ('docs/README.md.bak', False),
))
def test_files_pattern(path: str, matches: bool) -> None:
    pattern = str(_manifest()[0]['files'])
    assert bool(re.search(pattern, path)) is matches


def test_wheel_ships_the_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path),
         str(REPO)],
        check=True, capture_output=True, env={**os.environ, 'PIP_NO_INDEX': '1'},
    )
    (wheel,) = tmp_path.glob('adapter_guard-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'adapter_guard/_schemas/policy.schema.json' in names
    assert 'adapter_guard/_schemas/peft/lora.schema.json' in names
    assert 'adapter_guard/_schemas/peft/index.json' in names
    assert 'adapter_guard/legacy_models.tsv' in names  # AG207's list of the Hub's legacy ids
    assert not any(n.startswith(('hooks/', 'tests/')) for n in names)
    # installed on its own, the package finds its schemas inside itself
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    target = tmp_path / 'site'
    zipfile.ZipFile(wheel).extractall(target)
    probe = subprocess.run(
        [str(venv / 'bin' / 'python'), '-c',
         ('import adapter_guard.schemas as s; print(s.schema_dir()); print(len(s.peft_index()["methods"])); '
          'import adapter_guard.hub_id as h; print(h.legacy_models()["gpt2"])')],
        capture_output=True, text=True, env={'PYTHONPATH': str(target), 'PATH': os.environ['PATH']},
    )
    assert probe.returncode == 0, probe.stderr
    where, methods, gpt2 = probe.stdout.split()
    assert where == str(target / 'adapter_guard' / '_schemas')
    assert int(methods) >= 45
    assert gpt2 == 'openai-community/gpt2'


def test_try_repo(hook_repo: Path, repo: Path, offline: dict[str, str]) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/models/llama')
    git('add', '.')
    commit('bad adapter')
    result = pre_commit_cmd('try-repo', str(hook_repo), 'adapter-guard', '--all-files', cwd=repo, env=offline)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'a/adapter_config.json:4:30: AG202' in result.stdout
    use_hooks(repo, hook_repo)
    write_config(repo / 'a')
    commit('fix', '-a')
    result = pre_commit_cmd('run', 'adapter-guard', '--all-files', cwd=repo, env=offline)
    assert result.returncode == 0, result.stdout + result.stderr  # a local path replaced by a Hub id: a repair
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    result = pre_commit_cmd('run', 'adapter-guard', '--all-files', cwd=repo, env=offline)
    assert result.returncode == 1
    assert 'AG301' in result.stdout
    (repo / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "a/*"\nto = "{OTHER}"\n')
    git('add', '.')
    commit('accept the move')
    result = pre_commit_cmd('run', 'adapter-guard', '--all-files', cwd=repo, env=offline)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fix_hook_through_pre_commit(hook_repo: Path, repo: Path, offline: dict[str, str]) -> None:
    """adapter-guard-fix as a team without adapter-guard on PATH runs it: pre-commit installs the hook."""
    use_hooks(repo, hook_repo)
    config = write_config(repo / 'adapters' / 'chat')
    git('add', '.')
    commit('adapter')
    committed = config.read_bytes()
    write_config(repo / 'adapters' / 'chat', base_model_name_or_path='/mnt/models/Llama-2-7b-hf', lora_dropout=0.1)
    git('add', '.')
    rewritten = config.read_bytes()

    # not at the pre-commit stage: a fixer runs only when asked for
    result = pre_commit_cmd('run', cwd=repo, env=offline)
    assert result.returncode == 1  # adapter-guard itself rejects the rewrite...
    assert 'AG301' in result.stdout
    assert 'restore the committed base model' not in result.stdout
    assert config.read_bytes() == rewritten  # ...and nothing touched the file
    # the hint names the fixer this team can run (it has no adapter-guard on PATH), and it works:
    assert "`pre-commit run --hook-stage manual adapter-guard-fix` restores 'meta-llama/Llama-2-7b-hf'" in result.stdout

    result = pre_commit_cmd('run', '--hook-stage', 'manual', 'adapter-guard-fix', cwd=repo, env=offline)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'files were modified by this hook' in result.stdout
    assert config.read_bytes() == committed.replace(b'"lora_dropout": 0.05', b'"lora_dropout": 0.1')
    git('add', '.')
    result = pre_commit_cmd('run', '--hook-stage', 'manual', 'adapter-guard-fix', cwd=repo, env=offline)
    assert result.returncode == 0, result.stdout + result.stderr
    result = pre_commit_cmd('run', cwd=repo, env=offline)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_and_commit_msg_stages(framework: Path) -> None:
    write_config(framework / 'a', base_model_name_or_path='/mnt/models/Llama-2-7b-hf')
    result = _commit(framework, '-am', 'retrain')
    assert result.returncode != 0
    assert 'AG301' in result.stdout
    assert 'AG202' in result.stdout
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    result = _commit(framework, '-am', 'move')
    assert result.returncode != 0
    assert 'adapter-guard (Base-Model-Change trailer)' in result.stdout
    assert 'AG301' in result.stdout
    result = _commit(framework, '-am', 'move', '-m', f'Base-Model-Change: {OTHER}')
    assert result.returncode == 0, result.stdout


def test_pre_push_with_a_local_remote(framework: Path, tmp_path: Path) -> None:
    remote = tmp_path / 'remote.git'
    git('init', '-q', '--bare', str(remote))
    git('remote', 'add', 'origin', str(remote))
    git('push', '-q', '--no-verify', 'origin', 'main')
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    push = subprocess.run(['git', 'push', '-q', 'origin', 'main'], cwd=framework, capture_output=True, text=True,
)
    assert push.returncode != 0
    assert 'AG301' in push.stdout + push.stderr
    git('commit', '-q', '--no-verify', '--amend', '-m', f'move\n\nBase-Model-Change: {OTHER}')
    push = subprocess.run(['git', 'push', '-q', 'origin', 'main'], cwd=framework, capture_output=True, text=True,
)
    assert push.returncode == 0, push.stdout + push.stderr


def test_all_files_like_pre_commit_ci(framework: Path) -> None:
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    result = pre_commit_cmd('run', '--all-files', cwd=framework)
    assert result.returncode == 1
    assert 'AG301' in result.stdout


def test_manual_audit_hook(framework: Path) -> None:
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    result = pre_commit_cmd('run', '--hook-stage', 'manual', 'adapter-guard-audit', cwd=framework)
    assert result.returncode == 1
    assert 'a/adapter_config.json' in result.stdout
    assert 'AG301 not acknowledged' in result.stdout


# -- colour: pre-commit says it only through a pty (see adapter_guard.color) ---------------------

HOOK_COLOURED = '\x1b[1;31mAG301\x1b[0m'


@pytest.mark.parametrize(('args', 'environ', 'coloured'), (
    (('--color', 'always'), {}, True),
    (('--color', 'never'), {}, False),
    ((), {'PRE_COMMIT_COLOR': 'always'}, True),
    ((), {'PRE_COMMIT_COLOR': 'never'}, False),
    ((), {}, False),  # auto, and pre-commit's stderr is a pipe here
    (('--color', 'always'), {'NO_COLOR': '1'}, False),  # the user's NO_COLOR still holds for the hook
    (('--color', 'never'), {'FORCE_COLOR': '1'}, True),  # and so does FORCE_COLOR
))
def test_colour_follows_pre_commit(framework: Path, args: tuple[str, ...], environ: dict[str, str],
                                   coloured: bool) -> None:
    write_config(framework / 'a', base_model_name_or_path=OTHER)
    commit('silently moved (hooks skipped)', '-a')
    env = {k: v for k, v in os.environ.items() if k not in ('NO_COLOR', 'FORCE_COLOR', 'PRE_COMMIT_COLOR', 'TERM')}
    result = pre_commit_cmd('run', 'adapter-guard', '--all-files', *args, cwd=framework, env={**env, **environ})
    assert result.returncode == 1
    assert 'AG301' in result.stdout
    assert (HOOK_COLOURED in result.stdout) is coloured, repr(result.stdout)


def test_all_files_in_batches_is_one_report(framework: Path) -> None:
    """pre-commit splits many files into batches that run at once: one history walk, one report.

    (On a machine with one CPU there is one batch; the report must read the same.)
    """
    for n in range(40):
        write_config(framework / 'adapters' / f'a{n:02d}')
    git('add', '.')
    commit('forty adapters')
    for n in (3, 31):
        write_config(framework / 'adapters' / f'a{n:02d}', base_model_name_or_path=OTHER)
    commit('two silent moves', '-a')
    result = pre_commit_cmd('run', 'adapter-guard', '--all-files', cwd=framework)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if 'AG301' in line]
    assert sorted(line.split(':')[0] for line in lines) == [
        'adapters/a03/adapter_config.json', 'adapters/a31/adapter_config.json']
    assert 'adapter-guard: ' not in result.stdout  # no summary per batch
    assert list((framework / '.git' / 'adapter-guard').glob('history-*.json'))  # the walk, shared
