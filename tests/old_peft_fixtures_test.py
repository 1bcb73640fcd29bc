"""Real adapter_config.json files written by older PEFT releases pass the schemas.

The files under tests/resources/peft-versions/<peft version>/<method>/ were
written by PEFT itself (scripts/make_old_peft_fixtures.py; see the README.md
there).  They hold the local folder the tiny base model was loaded from in
base_model_name_or_path (and in the model card's base_model), as PEFT really
writes it: that must be AG202 (and AG401 for the card) and nothing else, and
with a Hub id in both instead there must be no finding at all.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.util import peft_dumps
from tests.util import RESOURCES

FIXTURES = RESOURCES / 'peft-versions'
FILES = sorted(FIXTURES.glob('*/*/adapter_config.json'))
HUB_ID = 'acme/tiny-llama'


def _id(path: Path) -> str:
    return f'{path.parent.parent.name}/{path.parent.name}'


def _params() -> list[object]:
    if not FILES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f'no fixtures in {FIXTURES}'))]
    return [pytest.param(path, id=_id(path)) for path in FILES]


@pytest.fixture
def outside_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work outside this repository, so its own policy (if it ever has one) plays no part."""
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize('path', _params())
def test_written_in_peft_format(path: Path) -> None:
    """PEFT writes json.dumps(config, indent=2, sort_keys=True), with no final newline."""
    text = path.read_bytes().decode('utf-8')
    assert text == peft_dumps(json.loads(text))
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True)


@pytest.mark.parametrize('path', _params())
def test_real_file_passes_schemas_and_is_ag202(path: Path, run, outside_repo: Path) -> None:
    result = run('check', path, '--no-history', '--format', 'json')
    schema_findings = [f for f in result.findings if str(f['code']).startswith(('AG0', 'AG1'))]
    assert schema_findings == [], f'the schemas reject a real PEFT output:\n{result!r}'
    local = [f for f in result.findings if f['code'] == 'AG202']
    assert len(local) == 1, repr(result)
    written = json.loads(path.read_text())['base_model_name_or_path']
    assert repr(written) in str(local[0]['message'])
    assert local[0]['line'] == _line_of(path, 'base_model_name_or_path')
    # The only other complaint allowed is about the same local path in PEFT's model card.
    others = [f for f in result.findings if f['code'] != 'AG202']
    assert all(f['code'] == 'AG401' and repr(written) in str(f['message']) for f in others), repr(result)


@pytest.mark.parametrize('path', _params())
def test_with_hub_id_has_no_finding(path: Path, run, outside_repo: Path) -> None:
    data = json.loads(path.read_text())
    local_path = data['base_model_name_or_path']
    data['base_model_name_or_path'] = HUB_ID
    copy = outside_repo / path.parent.parent.name / path.parent.name / 'adapter_config.json'
    copy.parent.mkdir(parents=True)
    copy.write_text(peft_dumps(data))
    card = path.parent / 'README.md'
    if card.exists():
        # The folder as PEFT leaves it, had the base model come from the Hub: the
        # model card's base_model is the same value as base_model_name_or_path.
        text = card.read_text(encoding='utf-8')
        (copy.parent / 'README.md').write_text(text.replace(local_path, HUB_ID), encoding='utf-8')
    result = run('check', copy, '--no-history', '--format', 'json')
    assert result.findings == [], repr(result)
    assert result.code == 0, repr(result)


def test_manifest_matches_the_folders() -> None:
    """Every method the manifest says was kept is on disk, and nothing else is."""
    if not FILES:
        pytest.skip(f'no fixtures in {FIXTURES}')
    manifest = json.loads((FIXTURES / 'manifest.json').read_text())
    kept = {
        f'{version}/{folder}'
        for version, info in manifest['versions'].items()
        for folder, outcome in info['methods'].items() if outcome['status'] == 'ok'
    }
    assert kept == {_id(path) for path in FILES}
    for version, info in manifest['versions'].items():
        assert info['peft'] == version
        for folder, outcome in info['methods'].items():
            if outcome['status'] == 'ok':
                data = json.loads((FIXTURES / version / folder / 'adapter_config.json').read_text())
                assert data['peft_type'] == outcome['peft_type'], f'{version}/{folder}'
    assert (FIXTURES / 'README.md').is_file()


def _line_of(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith(f'  "{key}":'):
            return number
    raise AssertionError(f'{key} not in {path}')


# -- AG403 on real files: what each release wrote, against the policy's peft-version ---------------

def _ag403(paths: list[Path], peft_version: str, tmp_path: Path) -> dict[str, list[str]]:
    policy = tmp_path / 'policy.toml'
    policy.write_text(f'peft-version = "{peft_version}"\n')
    result = subprocess.run(
        [sys.executable, '-m', 'adapter_guard', 'check', *map(str, paths), '--no-history',
         '--format', 'json', '--select', 'AG403', '--config', str(policy)],
        capture_output=True, text=True,
    )
    found: dict[str, list[str]] = {}
    for finding in json.loads(result.stdout)['findings']:
        found.setdefault(Path(finding['path']).parent.name, []).append(finding['message'])
    return found


@pytest.mark.parametrize('version', sorted({p.parent.parent.name for p in FILES}))
def test_no_ag403_for_the_release_that_wrote_them(version: str, tmp_path: Path) -> None:
    paths = [p for p in FILES if p.parent.parent.name == version]
    assert _ag403(paths, version, tmp_path) == {}


def test_ag403_for_methods_newer_than_the_team_runs(tmp_path: Path) -> None:
    paths = [p for p in FILES if p.parent.parent.name == '0.13.2']
    if not paths:
        pytest.skip('no 0.13.2 fixtures')
    found = _ag403(paths, '0.10.0', tmp_path)
    # BOFT, VeRA (0.11), FourierFT, HRA (0.12), VB-LoRA (0.13) did not exist in 0.10
    for method in ('boft', 'vera', 'fourierft', 'hra', 'vblora'):
        assert any('needs PEFT >= 0.1' in m for m in found.get(method, [])), (method, found)
    assert 'lora' not in found  # LoRA's keys of 0.13 were all in 0.10
