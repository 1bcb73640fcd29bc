"""--format sarif: valid SARIF 2.1.0 that GitHub code scanning can use.

Validated against the official schema, vendored in tests/resources/sarif/
(source and licence in its README.md).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from adapter_guard.rules import RULES
from tests.util import commit
from tests.util import git
from tests.util import LORA
from tests.util import lora_weights
from tests.util import peft_dumps
from tests.util import RESOURCES
from tests.util import safetensors_bytes
from tests.util import write_config

SCHEMA = json.loads((RESOURCES / 'sarif' / 'sarif-schema-2.1.0.json').read_text())
VALIDATOR = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
HUB = 'meta-llama/Llama-2-7b-hf'
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})+")  # RFC 3986 path characters


def sarif(run: Any, *args: str | Path) -> dict[str, Any]:
    result = run('check', *args, '--format', 'sarif')
    assert result.code in (0, 1), result
    document: dict[str, Any] = json.loads(result.out)
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, '\n'.join(f'{list(e.path)}: {e.message}' for e in errors)
    for result in document['runs'][0]['results']:  # jsonschema checks no uri-reference format by itself
        uri = result['locations'][0]['physicalLocation']['artifactLocation']['uri']
        assert URI_REFERENCE.fullmatch(uri), uri
        assert not uri.startswith('/'), uri
    return document


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document['runs'][0]['results']
    return found


def fingerprint(result: dict[str, Any]) -> str:
    value: str = result['partialFingerprints']['adapterGuard/v1']
    return value


def test_the_schema_rejects_what_it_should() -> None:
    assert SCHEMA['title'].startswith('Static Analysis Results Format (SARIF) Version 2.1.0')
    assert not VALIDATOR.is_valid({'version': '2.1.0', 'runs': [{'tool': {'driver': {}}}]})  # no driver name
    assert not VALIDATOR.is_valid({'version': '2.0.0', 'runs': []})


def test_driver_and_rules(run, repo: Path) -> None:
    write_config(repo / 'a')
    document = sarif(run, 'a', '--no-history')
    assert document['version'] == '2.1.0'
    (the_run,) = document['runs']
    driver = the_run['tool']['driver']
    assert driver['name'] == 'adapter-guard'
    assert driver['informationUri'] == 'https://github.com/adapter-guard/adapter-guard'
    assert driver['version']
    assert [r['id'] for r in driver['rules']] == sorted(RULES)
    for rule in driver['rules']:
        registry = RULES[rule['id']]
        assert rule['shortDescription']['text'] == registry.title
        assert rule['fullDescription']['text'] == registry.catches
        assert registry.why in rule['help']['text']
        assert registry.fix in rule['help']['markdown']
        assert rule['helpUri'] == f'https://github.com/adapter-guard/adapter-guard#{rule["id"].lower()}'
        assert rule['defaultConfiguration']['level'] == registry.severity
    assert the_run['results'] == []


def test_a_result(run, repo: Path) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/llama')
    document = sarif(run, 'a', '--no-history')
    (result,) = results(document)
    assert result['ruleId'] == 'AG202'
    assert document['runs'][0]['tool']['driver']['rules'][result['ruleIndex']]['id'] == 'AG202'
    assert result['level'] == 'error'
    assert result['message']['text'].startswith("base model '/home/alice/llama' is an absolute path")
    (location,) = result['locations']
    assert location['physicalLocation'] == {
        'artifactLocation': {'uri': 'a/adapter_config.json', 'uriBaseId': '%SRCROOT%'},
        'region': {'startLine': 4, 'startColumn': 30},
    }


def test_uris_are_repository_relative_from_a_subfolder(run, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(repo / 'team' / 'adapters' / 'chat', base_model_name_or_path='/home/alice/llama')
    write_config(repo / 'team with space' / 'x', base_model_name_or_path='/home/alice/llama')
    monkeypatch.chdir(repo / 'team')
    document = sarif(run, 'adapters', '../team with space', '--no-history')
    uris = [r['locations'][0]['physicalLocation']['artifactLocation']['uri'] for r in results(document)]
    assert sorted(uris) == ['team%20with%20space/x/adapter_config.json', 'team/adapters/chat/adapter_config.json']


def test_a_card_beside_the_config(run, repo: Path) -> None:
    write_config(repo / 'a')
    (repo / 'a' / 'README.md').write_text('---\nbase_model: /home/alice/models/llama\n---\n# card\n')
    (result,) = results(sarif(run, 'a', '--no-history'))
    assert result['ruleId'] == 'AG401'
    assert result['locations'][0]['physicalLocation']['artifactLocation']['uri'] == 'a/README.md'


def test_history_result_names_the_commit(run, repo: Path) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    write_config(repo / 'a', base_model_name_or_path='meta-llama/Llama-3.1-8B')
    commit('silently moved', '-a')
    sha = git('rev-parse', 'HEAD').strip()
    (result,) = results(sarif(run, 'a'))
    assert result['ruleId'] == 'AG301'
    assert result['properties'] == {'commit': sha, 'previous': HUB}


# -- fingerprints: the same finding across runs, whatever moved around it ---------------------------

def test_fingerprints_survive_moved_lines(run, repo: Path) -> None:
    write_config(repo / 'a', base_model_name_or_path='/home/alice/llama', lora_aplha=32)
    before = {r['ruleId']: r for r in results(sarif(run, 'a', '--no-history'))}
    # the same problems after a newer PEFT re-saved the file with keys above them
    data = {**LORA, 'base_model_name_or_path': '/home/alice/llama', 'lora_aplha': 32,
            'alora_invocation_tokens': None, 'arrow_config': None}
    (repo / 'a' / 'adapter_config.json').write_text(peft_dumps(data))
    after = {r['ruleId']: r for r in results(sarif(run, 'a', '--no-history'))}
    assert set(before) == set(after) == {'AG104', 'AG202'}
    for code in before:
        region = [r['locations'][0]['physicalLocation']['region']['startLine'] for r in (before[code], after[code])]
        assert region[0] + 2 == region[1]  # the line moved...
        assert fingerprint(before[code]) == fingerprint(after[code])  # ...the finding is the same
    assert fingerprint(before['AG104']) != fingerprint(before['AG202'])


def test_fingerprints_tell_findings_apart(run, repo: Path) -> None:
    for name in ('a', 'b'):
        write_config(repo / name, base_model_name_or_path='/home/alice/llama')
    write_config(repo / 'w', r=8, target_modules=['q_proj', 'v_proj'])
    (repo / 'w' / 'adapter_model.safetensors').write_bytes(safetensors_bytes(lora_weights(['q_proj', 'v_proj'], r=16)))
    found = results(sarif(run, '.', '--no-history'))
    weights = [r for r in found if r['ruleId'] == 'AG402']
    assert len(weights) > 1  # one per module, all at the same place in one file
    assert len({fingerprint(r) for r in found}) == len(found)
    again = results(sarif(run, '.', '--no-history'))
    assert [fingerprint(r) for r in again] == [fingerprint(r) for r in found]  # stable across runs


def test_each_unacknowledged_commit_is_its_own_alert(run, repo: Path) -> None:
    write_config(repo / 'a')
    git('add', '.')
    commit('add')
    for base in ('meta-llama/Llama-3.1-8B', HUB):
        write_config(repo / 'a', base_model_name_or_path=base)
        commit(f'move to {base}', '-a')
    found = [r for r in results(sarif(run, 'a')) if r['ruleId'] == 'AG301']
    assert len(found) == 2
    assert len({fingerprint(r) for r in found}) == 2
