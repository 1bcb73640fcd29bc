"""Positive and negative example files for every rule, discovered from tests/resources/rules.

rules/<CODE>/negative/*.json must produce CODE (and exit 1 for an error, 0 for a warning or a note);
rules/<CODE>/positive/*.json must not produce CODE.
A rules/<CODE>/policy.toml, when present, is passed with --config.
rules/<CODE>/hub-cache, when present, is the Hugging Face cache (HF_HUB_CACHE)
that the fit checks (AG7xx) find base models in; no other cache is ever used.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from adapter_guard.rules import RULES
from tests.util import RESOURCES

RULE_DIR = RESOURCES / 'rules'
# a file, or a folder with adapter_config.json and what PEFT writes beside it
EXAMPLES = sorted(RULE_DIR.glob('*/*/*.json')) + sorted(RULE_DIR.glob('*/*/*/adapter_config.json'))
# Rules whose examples need git history live in tests/history_test.py and tests/holes_test.py;
# those that need a lock at a repository root, in tests/lock_test.py; those that need the Hub
# (--online), in tests/online_test.py.
NOT_STATIC = frozenset(('AG301', 'AG302', 'AG303', 'AG304', 'AG305', 'AG306', 'AG705', 'AG706', 'AG707', 'AG708'))


def _parts(path: Path) -> tuple[Path, str, str]:
    """(rule folder, kind, name) of an example file or folder."""
    if path.name == 'adapter_config.json':
        return path.parent.parent.parent, path.parent.parent.name, path.parent.name
    return path.parent.parent, path.parent.name, path.stem


def _id(path: Path) -> str:
    folder, kind, name = _parts(path)
    return f'{folder.name}-{kind}-{name}'


@pytest.mark.parametrize('example', EXAMPLES, ids=_id)
def test_example(example: Path, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder, kind, _ = _parts(example)
    code = folder.name
    args = ['check', example, '--format', 'json', '--no-history']
    policy = folder / 'policy.toml'
    if policy.exists():
        args += ['--config', policy]
    monkeypatch.setenv('HF_HUB_CACHE', str(folder / 'hub-cache'))
    result = run(*args)
    assert result.code in (0, 1), result
    if kind == 'negative':
        assert code in result.codes, result
        assert result.code == (1 if RULES[code].severity == 'error' else 0), result  # a note never fails
    else:
        assert code not in result.codes, result


@pytest.mark.parametrize('code', sorted(set(RULES) - NOT_STATIC))
def test_every_rule_has_examples(code: str) -> None:
    for kind in ('negative', 'positive'):
        folder = RULE_DIR / code / kind
        found = list(folder.glob('*.json')) + list(folder.glob('*/adapter_config.json'))
        assert found, f'no {kind} example for {code}'
