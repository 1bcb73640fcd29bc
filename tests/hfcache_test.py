"""adapter_guard.hfcache gives exactly huggingface_hub's answers, without importing it.

The caches are written by huggingface_hub itself (hf_hub_download against
the Hub on 127.0.0.1 in tests/hub_server.py), plus the layouts it leaves
behind in odd states; the cache folder is compared in fresh processes, since
huggingface_hub reads the environment once, at import.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
import pytest
from huggingface_hub import try_to_load_from_cache
from huggingface_hub.utils import EntryNotFoundError

from adapter_guard import hfcache
from tests.hub_server import FakeHub
from tests.hub_server import serve

SHA = 'c' * 40
DEV = 'd' * 40
PR = 'e' * 40
OTHER = 'f' * 40

# Every way huggingface_hub reads the cache folder from the environment.
ENVIRONMENTS = [
    pytest.param({}, id='default'),
    pytest.param({'HF_HOME': '/srv/hf'}, id='HF_HOME'),
    pytest.param({'HF_HOME': '~/hf'}, id='HF_HOME-tilde'),
    pytest.param({'HF_HOME': '$HOME/hf-$USER'}, id='HF_HOME-vars'),
    pytest.param({'XDG_CACHE_HOME': '/xdg'}, id='XDG_CACHE_HOME'),
    pytest.param({'XDG_CACHE_HOME': '/xdg', 'HF_HOME': '/srv/hf'}, id='HF_HOME-over-XDG'),
    pytest.param({'HUGGINGFACE_HUB_CACHE': '/legacy'}, id='legacy'),
    pytest.param({'HUGGINGFACE_HUB_CACHE': '~/legacy'}, id='legacy-tilde'),
    pytest.param({'HF_HUB_CACHE': '/hub', 'HUGGINGFACE_HUB_CACHE': '/legacy', 'HF_HOME': '/srv'},
                 id='HF_HUB_CACHE-wins'),
    pytest.param({'HF_HUB_CACHE': '~/hub/$USER'}, id='HF_HUB_CACHE-expanded'),
    pytest.param({'HF_HOME': ''}, id='HF_HOME-empty'),
    pytest.param({'HUGGINGFACE_CO_STAGING': '1'}, id='staging'),
]
_CACHE_VARIABLES = ('HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'HUGGINGFACE_CO_STAGING')


@pytest.mark.parametrize('env', ENVIRONMENTS)
def test_cache_folder_is_huggingface_hubs(env: dict[str, str], tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in _CACHE_VARIABLES}
    script = (
        'import json, huggingface_hub.constants as c\n'
        'from adapter_guard import hfcache\n'
        'print(json.dumps([c.HF_HUB_CACHE, hfcache.cache_dir()]))\n'
    )
    out = subprocess.run(
        (sys.executable, '-c', script), env={**clean, 'HOME': str(tmp_path), 'USER': 'alice', **env},
        check=True, capture_output=True, text=True,
    ).stdout
    reference, ours = json.loads(out)
    assert ours == reference


@pytest.fixture(scope='module')
def downloaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache written by hf_hub_download: main, a branch, a PR ref, a pinned commit, a missing file."""
    cache = tmp_path_factory.mktemp('hub-cache')
    hub = FakeHub()
    hub.add('acme/tiny', {'model_type': 'llama'}, sha=SHA, branches={'dev': DEV, 'refs/pr/1': PR})
    hub.add('solo', {'model_type': 'gpt2'}, sha=SHA)
    offline = huggingface_hub.constants.HF_HUB_OFFLINE
    huggingface_hub.constants.HF_HUB_OFFLINE = False  # conftest sets HF_HUB_OFFLINE for every test
    try:
        with serve(hub):
            for repo_id, revision in (('acme/tiny', None), ('acme/tiny', 'dev'), ('acme/tiny', 'refs/pr/1'),
                                      ('acme/tiny', SHA), ('solo', None)):
                huggingface_hub.hf_hub_download(
                    repo_id, 'config.json', revision=revision, cache_dir=cache, endpoint=hub.url)
            with pytest.raises(EntryNotFoundError):
                huggingface_hub.hf_hub_download('acme/tiny', 'README.md', cache_dir=cache, endpoint=hub.url)
    finally:
        huggingface_hub.constants.HF_HUB_OFFLINE = offline
    assert (cache / 'models--acme--tiny' / 'refs' / 'main').read_text() == SHA
    assert (cache / 'models--acme--tiny' / '.no_exist' / SHA / 'README.md').exists()
    return cache


LOOKUPS = [
    ('acme/tiny', 'config.json', None),
    ('acme/tiny', 'config.json', 'main'),
    ('acme/tiny', 'config.json', 'dev'),
    ('acme/tiny', 'config.json', 'refs/pr/1'),
    ('acme/tiny', 'config.json', SHA),
    ('acme/tiny', 'config.json', DEV),
    ('acme/tiny', 'config.json', OTHER),
    ('acme/tiny', 'config.json', 'v2.0'),
    ('acme/tiny', 'README.md', None),
    ('acme/tiny', 'README.md', 'dev'),
    ('acme/other', 'config.json', None),
    ('solo', 'config.json', None),
    ('solo', 'config.json', 'main'),
]


def _reference(cache: Path, repo_id: str, filename: str, revision: str | None) -> str | None:
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache, revision=revision)
    return found if isinstance(found, str) else None  # _CACHED_NO_EXIST: not cached either


@pytest.mark.parametrize(('repo_id', 'filename', 'revision'), LOOKUPS)
def test_lookup_agrees_with_huggingface_hub(
        downloaded: Path, repo_id: str, filename: str, revision: str | None) -> None:
    assert hfcache.cached_file(repo_id, filename, revision, str(downloaded)) == _reference(
        downloaded, repo_id, filename, revision)


def test_lookup_finds_what_hf_hub_download_wrote(downloaded: Path) -> None:
    found = hfcache.cached_file('acme/tiny', 'config.json', 'dev', str(downloaded))
    assert found is not None
    assert json.loads(Path(found).read_text()) == {'model_type': 'llama'}
    assert found.endswith(os.path.join('snapshots', DEV, 'config.json'))


def _layout(cache: Path, case: str) -> None:
    """Caches in the states an interrupted download, a manual copy or a cleanup leave."""
    root = cache / 'models--acme--tiny'
    snapshot = root / 'snapshots' / SHA
    snapshot.mkdir(parents=True)
    (snapshot / 'config.json').write_text('{}')
    refs = root / 'refs'
    refs.mkdir()
    (refs / 'main').write_text(SHA)
    if case == 'no-refs-folder':
        (refs / 'main').unlink()
        refs.rmdir()
    elif case == 'ref-with-newline':
        (refs / 'main').write_text(SHA + '\n')
    elif case == 'ref-to-missing-snapshot':
        (refs / 'main').write_text(OTHER)
    elif case == 'no-snapshots':
        (snapshot / 'config.json').unlink()
        snapshot.rmdir()
        snapshot.parent.rmdir()
    elif case == 'config-is-a-folder':
        (snapshot / 'config.json').unlink()
        (snapshot / 'config.json').mkdir()
    elif case == 'no-exist-marker':
        (root / '.no_exist' / SHA).mkdir(parents=True)
        (root / '.no_exist' / SHA / 'config.json').write_text('')
    elif case == 'ref-is-a-folder':
        (refs / 'main').unlink()
        (refs / 'main').mkdir()
    else:
        assert case == 'complete'


LAYOUTS = ['complete', 'no-refs-folder', 'ref-with-newline', 'ref-to-missing-snapshot', 'no-snapshots',
           'config-is-a-folder', 'no-exist-marker', 'ref-is-a-folder']


@pytest.mark.parametrize('case', LAYOUTS)
@pytest.mark.parametrize('revision', (None, SHA, OTHER))
def test_lookup_agrees_on_odd_layouts(tmp_path: Path, case: str, revision: str | None) -> None:
    _layout(tmp_path, case)
    assert hfcache.cached_file('acme/tiny', 'config.json', revision, str(tmp_path)) == _reference(
        tmp_path, 'acme/tiny', 'config.json', revision)


@pytest.mark.parametrize('revision', ('../../../../etc', '/etc', 'a\\b', 'x\0y'))
def test_a_revision_that_leaves_the_repo_folder_is_never_read(tmp_path: Path, revision: str) -> None:
    _layout(tmp_path, 'complete')
    assert hfcache.cached_file('acme/tiny', 'config.json', revision, str(tmp_path)) is None


def test_the_environment_is_read_at_each_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _layout(tmp_path / 'one', 'complete')
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'one'))
    assert hfcache.cached_file('acme/tiny', 'config.json') is not None
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'two'))
    assert hfcache.cached_file('acme/tiny', 'config.json') is None


def test_cached_models_lists_model_folders_only(downloaded: Path, tmp_path: Path) -> None:
    assert list(hfcache.cached_models(str(downloaded))) == ['acme/tiny', 'solo']
    (tmp_path / 'datasets--acme--data').mkdir()
    (tmp_path / 'models--org--name--with--dashes').mkdir()
    (tmp_path / '.locks').mkdir()
    assert list(hfcache.cached_models(str(tmp_path))) == ['org/name--with--dashes']
    assert list(hfcache.cached_models(str(tmp_path / 'missing'))) == []
