"""README.md is the user's entry point: it must keep up with the code."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from adapter_guard import schemas
from adapter_guard.rules import RULES
from tests.util import REPO

README = (REPO / 'README.md').read_text()


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location('generate_readme_rules',
                                                  REPO / 'scripts' / 'generate_readme_rules.py')
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_tables_are_the_registry() -> None:
    assert _generator().render(README) == README, 'README.md is stale: run python scripts/generate_readme_rules.py'


def test_a_stale_table_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    stale = re.sub(r'^\| <a id="ag003"></a>.*\n', '', README, count=1, flags=re.MULTILINE)
    assert stale != README
    assert generator.render(stale) == README
    copy = tmp_path / 'README.md'
    copy.write_text(stale)
    monkeypatch.setattr(generator, 'README', copy)
    assert generator.main(['--check']) == 1
    assert copy.read_text() == stale
    assert generator.main([]) == 0
    assert copy.read_text() == README
    assert generator.main(['--check']) == 0


@pytest.mark.parametrize('code', sorted(RULES))
def test_every_rule_has_its_anchor_and_example(code: str) -> None:
    row = re.search(rf'^\| <a id="{code.lower()}"></a>{code} \| (.+)$', README, re.MULTILINE)
    assert row, f'{code} has no row in the README rule tables'
    assert f'→ `{code} ' in row.group(1), f'{code} has no failing example'


def test_no_undocumented_code_in_the_readme() -> None:
    assert set(re.findall(r'^\| <a id="ag\d{3}"></a>(AG\d{3}) \|', README, re.MULTILINE)) == set(RULES)


def test_every_hook_id_is_documented() -> None:
    for hook_id in re.findall(r'^-   id: (\S+)', (REPO / '.pre-commit-hooks.yaml').read_text(), re.MULTILINE):
        assert f'`{hook_id}`' in README


def test_every_policy_key_is_documented() -> None:
    for key in schemas.load('policy.schema.json')['properties']:
        assert f'`{key}`' in README or f'`[{key}]`' in README or f'`[[{key}]]`' in README, key


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / '.ci' / 'run').read_text().strip().splitlines()[-1]
    shown = [line.split('  # ')[0].rstrip() for line in README.splitlines() if line.startswith('$ ')]
    assert f'$ {ci}' in shown
