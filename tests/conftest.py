from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from adapter_guard.main import main
from tests.util import commit
from tests.util import git
from tests.util import REPO
from tests.wheelhouse import build as build_wheelhouse
from tests.wheelhouse import offline_environment


@pytest.fixture(autouse=True, scope='session')
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No network, no user git config or templates leaking into test repos.

    And no Hugging Face cache or token of the machine.
    """
    home = tmp_path_factory.mktemp('home')
    templates = tmp_path_factory.mktemp('git-templates')
    values = {
        'HF_HUB_OFFLINE': '1',
        'HOME': str(home),
        'XDG_CONFIG_HOME': str(home / '.config'),
        'GIT_CONFIG_NOSYSTEM': '1',
        'GIT_TEMPLATE_DIR': str(templates),
        'GIT_AUTHOR_NAME': 'Test Author',
        'GIT_AUTHOR_EMAIL': 'author@example.com',
        'GIT_COMMITTER_NAME': 'Test Committer',
        'GIT_COMMITTER_EMAIL': 'committer@example.com',
        'PRE_COMMIT_HOME': str(tmp_path_factory.getbasetemp() / 'pre-commit-cache'),
    }
    for name in ('GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'PRE_COMMIT_FROM_REF', 'PRE_COMMIT_TO_REF',
                 'HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'HF_ENDPOINT', 'HF_TOKEN',
                 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH'):
        os.environ.pop(name, None)
    os.environ.update(values)
    (home / '.gitconfig').write_text('[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n')


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    @property
    def codes(self) -> list[str]:
        return [f['code'] for f in json.loads(self.out)['findings']]

    @property
    def findings(self) -> list[dict[str, object]]:
        return json.loads(self.out)['findings']

    def __repr__(self) -> str:
        return f'exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}'


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process: run('check', 'x.json', '--format', 'json')."""
    def _run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return _run


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repository as the working directory."""
    from tests.util import git

    path = tmp_path / 'repo'
    path.mkdir()
    git('init', '-q', cwd=path)
    monkeypatch.chdir(path)
    return path


@pytest.fixture(scope='session')
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """os.environ for pre-commit (and CI steps) whose pip installs only from a local wheelhouse.

    Built from this environment's own installed distributions: a fresh venv
    passes, and nothing depends on the base interpreter or the network.
    """
    return offline_environment(build_wheelhouse(REPO, tmp_path_factory.mktemp('wheelhouse')))


@pytest.fixture(scope='session')
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of this repository, as pre-commit would clone it (one hook environment a session)."""
    copy = tmp_path_factory.mktemp('hook-repo')
    files = git('ls-files', '-z', '--cached', '--others', '--exclude-standard', cwd=REPO).split('\0')
    for name in filter(None, files):
        source = REPO / name
        if source.is_file() and not name.startswith('tests/'):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git('init', '-q', cwd=copy)
    git('add', '.', cwd=copy)
    commit('snapshot', cwd=copy)
    return copy


@pytest.fixture
def hooked(repo: Path) -> Path:
    """One committed adapter (a/) and plain git hooks running this adapter-guard."""
    from tests.util import commit
    from tests.util import git
    from tests.util import install_git_hooks
    from tests.util import write_config

    write_config(repo / 'a')
    git('add', '.')
    commit('add adapter')
    install_git_hooks(repo)
    return repo


@pytest.fixture
def framework(repo: Path) -> Path:
    """A repository using the hooks through pre-commit (local hooks run by this Python), one adapter committed."""
    from tests.util import commit
    from tests.util import git
    from tests.util import local_hooks_config
    from tests.util import pre_commit_cmd
    from tests.util import write_config

    local_hooks_config(repo)
    write_config(repo / 'a')
    git('add', '.')
    commit('add adapter')
    result = pre_commit_cmd('install', '-t', 'pre-commit', '-t', 'commit-msg', '-t', 'pre-push', cwd=repo)
    assert result.returncode == 0, result.stderr
    return repo
