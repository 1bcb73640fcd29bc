"""The repository's own checks (.pre-commit-config.yaml) need nothing but the test extra.

.ci/run runs them on machines that reach the package index but not GitHub, in
the virtualenv of `pip install -e '.[test,e2e]'`: every hook must be local and
run, with that virtualenv's interpreter, a module that the test extra installs
(or adapter-guard itself), never a tool that happens to be on the machine.
"""
from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from adapter_guard.tomlread import loads
from tests.util import git
from tests.util import REPO

CONFIG = yaml.safe_load((REPO / '.pre-commit-config.yaml').read_text())
HOOKS: list[dict[str, Any]] = [hook for repo in CONFIG['repos'] for hook in repo['hooks']]
PROJECT = loads((REPO / 'pyproject.toml').read_text())['project']


def _hook(hook_id: str) -> dict[str, Any]:
    (hook,) = [h for h in HOOKS if h['id'] == hook_id]
    return hook


def test_the_config_is_valid_for_pre_commit() -> None:
    result = subprocess.run([sys.executable, '-m', 'pre_commit', 'validate-config', '.pre-commit-config.yaml'],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_hook_is_local() -> None:
    assert [repo['repo'] for repo in CONFIG['repos']] == ['local']
    assert {hook['id'] for hook in HOOKS} >= {'ruff', 'mypy', 'check-json', 'adapter-guard'}


@pytest.mark.parametrize('hook', HOOKS, ids=lambda hook: hook['id'])
def test_every_hook_runs_a_module_of_the_test_extra(hook: dict[str, Any]) -> None:
    assert hook['language'] == 'unsupported', 'pre-commit would build an environment from the network'
    command = shlex.split(hook['entry'])
    assert command[:2] == ['python', '-m'], f'{hook["id"]}: a tool on PATH may come from outside the virtualenv'
    module = command[2].split('.')[0]
    installed = {canonicalize_name(d) for d in importlib.metadata.packages_distributions().get(module, [])}
    extra = {canonicalize_name(Requirement(r).name) for r in PROJECT['optional-dependencies']['test']}
    assert installed & (extra | {canonicalize_name(PROJECT['name'])}), \
        f'{hook["id"]} runs {module} (from {sorted(installed)}), which the test extra does not install'


def test_check_json_skips_exactly_the_files_that_are_not_json() -> None:
    from pre_commit_hooks import check_json

    exclude = re.compile(_hook('check-json')['exclude'])
    tracked = git('ls-files', '-z', '--', '*.json', cwd=REPO).split('\0')[:-1]
    assert len(tracked) > 100
    failing = {path for path in tracked if check_json.main([str(REPO / path)]) != 0}
    assert failing == {path for path in tracked if exclude.search(path)}
    assert failing, 'the failing examples of AG001 are not JSON'
