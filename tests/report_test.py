"""What the reporters say: severities in every format (a note never fails a run), and the summary."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter_guard.rules import RULES
from tests.util import write_config

POLICY = '[severity]\nAG104 = "{level}"\n'


@pytest.fixture
def unknown_key(repo: Path) -> Path:
    """An adapter with a misspelt key (AG104), nothing else wrong."""
    write_config(repo / 'a', lora_aplha=32)
    return repo


@pytest.mark.parametrize(('level', 'tag', 'summary', 'exit_code'), (
    ('error', '', '1 error in 1 of 1 adapter config', 1),
    ('warning', ' [warning]', '1 warning in 1 of 1 adapter config', 0),
    ('note', ' [note]', '1 note in 1 of 1 adapter config', 0),
))
def test_text(run, unknown_key: Path, level: str, tag: str, summary: str, exit_code: int) -> None:
    (unknown_key / '.adapter-guard.toml').write_text(POLICY.format(level=level))
    result = run('check', 'a', '--no-history')
    finding, last = result.out.splitlines()
    assert finding.startswith('a/adapter_config.json:12:3: AG104 unknown key')
    assert finding.endswith(f'uses the default{tag}')
    assert last == f'adapter-guard: {summary}'
    assert result.code == exit_code


def test_json_and_github(run, unknown_key: Path) -> None:
    (unknown_key / '.adapter-guard.toml').write_text(POLICY.format(level='note'))
    document = json.loads(run('check', 'a', '--no-history', '--format', 'json').out)
    assert [f['severity'] for f in document['findings']] == ['note']
    assert document['summary'] == {'files': 1, 'errors': 0, 'warnings': 0, 'notes': 1}
    github = run('check', 'a', '--no-history', '--format', 'github')
    assert github.code == 0
    assert github.out.startswith('::notice file=a/adapter_config.json,line=12,col=3,title=AG104::unknown key')


def test_sarif_level(run, unknown_key: Path) -> None:
    (unknown_key / '.adapter-guard.toml').write_text(POLICY.format(level='note'))
    result = run('check', 'a', '--no-history', '--format', 'sarif')
    assert result.code == 0
    (sarif_result,) = json.loads(result.out)['runs'][0]['results']
    assert sarif_result['level'] == 'note'


def test_a_rule_that_is_a_note_by_default(run, unknown_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AG006 (a config written by another tool) is one: reported, never failing, its level everywhere."""
    monkeypatch.setitem(RULES, 'AG104', RULES['AG104']._replace(severity='note'))
    result = run('check', 'a', '--no-history')
    assert result.code == 0
    assert result.out.splitlines()[0].endswith(' [note]')
    rules = json.loads(run('check', 'a', '--no-history', '--format', 'sarif').out)['runs'][0]['tool']['driver']['rules']
    assert {r['id']: r['defaultConfiguration']['level'] for r in rules}['AG104'] == 'note'
    # the policy can still make it an error
    (unknown_key / '.adapter-guard.toml').write_text(POLICY.format(level='error'))
    assert run('check', 'a', '--no-history').code == 1


def test_errors_warnings_and_notes_together(run, repo: Path) -> None:
    write_config(repo / 'a', lora_aplha=32, base_model_name_or_path='/home/alice/llama')
    write_config(repo / 'b')
    (repo / '.adapter-guard.toml').write_text('[severity]\nAG104 = "note"\nAG203 = "warning"\n')
    write_config(repo / 'c', base_model_name_or_path='')
    result = run('check', '.', '--no-history')
    assert result.out.splitlines()[-1] == 'adapter-guard: 1 error and 1 warning and 1 note in 2 of 3 adapter configs'
    assert result.code == 1


def test_the_summary_counts_adapter_configs_not_the_cards_beside_them(run, repo: Path) -> None:
    """Once: '2 errors in 2 of 1 file' for one config whose model card was wrong too."""
    write_config(repo / 'a', base_model_name_or_path='/home/alice/models/llama')
    (repo / 'a' / 'README.md').write_text('---\nbase_model: /home/alice/models/llama\n---\n# card\n')
    write_config(repo / 'b')
    result = run('check', '.', '--no-history')
    paths = [line.split(':')[0] for line in result.out.splitlines()[:-1]]
    assert paths == ['a/README.md', 'a/adapter_config.json']
    assert result.out.splitlines()[-1] == 'adapter-guard: 2 errors in 1 of 2 adapter configs'


def test_nothing_to_check(run, repo: Path) -> None:
    result = run('check', '.', '--no-history')
    assert (result.code, result.out) == (0, 'adapter-guard: no adapter_config.json to check\n')
