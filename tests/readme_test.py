"""README.md is the user's entry point: it must keep up with the code."""
from __future__ import annotations

import re

import pytest

from adapter_guard import schemas
from adapter_guard.rules import RULES
from tests.util import REPO

README = (REPO / 'README.md').read_text()


@pytest.mark.parametrize('code', sorted(RULES))
def test_every_rule_is_documented_with_an_example(code: str) -> None:
    row = re.search(rf'^\| {code} \| (.+)$', README, re.MULTILINE)
    assert row, f'{code} has no row in the README rule tables'
    assert '→' in row.group(1), f'{code} has no failing example'


def test_no_undocumented_code_in_the_readme() -> None:
    assert set(re.findall(r'^\| (AG\d{3}) \|', README, re.MULTILINE)) == set(RULES)


def test_every_hook_id_is_documented() -> None:
    for hook_id in re.findall(r'^-   id: (\S+)', (REPO / '.pre-commit-hooks.yaml').read_text(), re.MULTILINE):
        assert f'`{hook_id}`' in README


def test_every_policy_key_is_documented() -> None:
    for key in schemas.load('policy.schema.json')['properties']:
        assert f'`{key}`' in README or f'`[{key}]`' in README or f'`[[{key}]]`' in README, key


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / '.ci' / 'run').read_text().strip().splitlines()[-1]
    assert f'$ {ci}' in README.replace('  # install everything and run every test', '')
