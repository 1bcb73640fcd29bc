"""The whole-history result shared by pre-commit's batches: reused, never stale, safe when shared."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.util import commit
from tests.util import git
from tests.util import write_config

HUB = 'meta-llama/Llama-2-7b-hf'
OTHER = 'meta-llama/Llama-3.1-8B'


def _silently_moved(repo: Path) -> None:
    write_config(repo / 'a')
    write_config(repo / 'b')
    git('add', '.')
    commit('add')
    write_config(repo / 'a', base_model_name_or_path=OTHER)
    commit('silent move', '-a')


def _entries(repo: Path) -> list[Path]:
    return sorted((repo / '.git' / 'adapter-guard').glob('history-*.json'))


def test_a_stored_result_is_read_and_a_changed_input_is_not(repo: Path, run) -> None:
    _silently_moved(repo)
    assert run('.', '--format', 'json').codes == ['AG301']
    (entry,) = _entries(repo)
    stored = json.loads(entry.read_text())
    assert set(stored) == {'a/adapter_config.json'}
    # prove the next run reads the store: plant a finding for b there
    stored['b/adapter_config.json'] = [dict(stored['a/adapter_config.json'][0], message='planted')]
    entry.write_text(json.dumps(stored))
    assert sorted(run('.', '--format', 'json').codes) == ['AG301', 'AG301']
    # a new policy is another input: computed again, the planted finding is gone, the old entry removed
    (repo / '.adapter-guard.toml').write_text(f'[[accept]]\npath = "x/*"\nto = "{HUB}"\n')
    assert run('.', '--format', 'json').codes == ['AG301']
    assert len(_entries(repo)) == 1
    assert _entries(repo) != [entry]
    # a new commit is another input too
    write_config(repo / 'b', base_model_name_or_path=OTHER)
    commit('another silent move', '-a')
    assert sorted(f['path'] for f in run('.', '--format', 'json').findings) == [
        'a/adapter_config.json', 'b/adapter_config.json']


def test_batches_at_the_same_time_agree(repo: Path) -> None:
    _silently_moved(repo)
    command = [sys.executable, '-m', 'adapter_guard', '--format', 'json']
    processes = [subprocess.Popen(command + [path], cwd=repo, stdout=subprocess.PIPE, text=True)
                 for path in ('a', 'b', 'a', 'b')]
    outputs = [json.loads(p.communicate()[0]) for p in processes]
    codes = [[f['code'] for f in out['findings']] for out in outputs]
    assert codes == [['AG301'], [], ['AG301'], []]
    assert len(_entries(repo)) == 1
    assert not [p for p in (repo / '.git' / 'adapter-guard').iterdir() if p.suffix == '.tmp']


def test_a_git_directory_that_cannot_be_written(repo: Path, run) -> None:
    _silently_moved(repo)
    store = repo / '.git' / 'adapter-guard'
    store.mkdir()
    store.chmod(0o500)
    try:
        if os.access(store, os.W_OK):  # root ignores the mode: take the folder's place with a file instead
            store.chmod(0o700)
            store.rmdir()
            store.write_text('not a folder')
        assert run('.', '--format', 'json').codes == ['AG301']
    finally:
        if store.is_dir():
            store.chmod(0o700)
