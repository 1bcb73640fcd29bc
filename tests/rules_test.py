"""Positive and negative example files for every rule, discovered from tests/resources/rules.

rules/<CODE>/negative/*.json must produce CODE (and exit 1);
rules/<CODE>/positive/*.json must not produce CODE.
A rules/<CODE>/policy.toml, when present, is passed with --config.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from adapter_guard.rules import RULES
from tests.util import RESOURCES

RULE_DIR = RESOURCES / 'rules'
EXAMPLES = sorted(RULE_DIR.glob('*/*/*.json'))
# Rules whose examples need git history live in tests/history_test.py.
NOT_STATIC = frozenset(('AG301', 'AG302', 'AG303'))


def _id(path: Path) -> str:
    return f'{path.parent.parent.name}-{path.parent.name}-{path.stem}'


@pytest.mark.parametrize('example', EXAMPLES, ids=_id)
def test_example(example: Path, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, kind = example.parent.parent.name, example.parent.name
    args = ['check', example, '--format', 'json']
    policy = example.parent.parent / 'policy.toml'
    if policy.exists():
        args += ['--config', policy]
    result = run(*args)
    assert result.code in (0, 1), result
    if kind == 'negative':
        assert code in result.codes, result
        assert result.code == 1, result
    else:
        assert code not in result.codes, result


@pytest.mark.parametrize('code', sorted(set(RULES) - NOT_STATIC))
def test_every_rule_has_examples(code: str) -> None:
    assert list((RULE_DIR / code / 'negative').glob('*.json')), f'no negative example for {code}'
    assert list((RULE_DIR / code / 'positive').glob('*.json')), f'no positive example for {code}'
