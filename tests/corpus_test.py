"""Every real adapter_config.json in ../shared/corpus is checked.

Real PEFT output must get no loading (AG0xx) or schema (AG1xx) finding.
The files below are the exceptions, each with the codes it must get and why.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from adapter_guard.checker import check_content
from adapter_guard.checks import Context
from adapter_guard.jsonload import read_file
from adapter_guard.policy import DEFAULT
from adapter_guard.policy import Rules
from tests.util import CORPUS

PUBLIC = sorted((CORPUS / 'public').glob('*.json'))
ODD = sorted((CORPUS / 'public-odd').glob('*.json'))

# file number -> (AG0xx/AG1xx codes it must get, why)
BROKEN = {
    '086': ({'AG104'}, 'init_vera_weights: written by the 2023 VeRA pull-request branch, never in a PEFT release'),
    '088': ({'AG102'}, 'hand-written experiment config with no base_model_name_or_path key (method_comparison)'),
    '093': ({'AG104'}, 'hand-written C3A config with exclude_modules/fan_in_fan_out, keys no C3A release has'),
    '103': ({'AG102'}, 'hand-written minimal IA3 config with no base_model_name_or_path key'),
    '126': ({'AG104'}, 'exclude_modules: pre-release UniLoRA development output (no save_indices or peft_version)'),
    # public-odd: files named adapter_config.json that are not PEFT output
    '002': ({'AG101'}, 'a custom projector config, no peft_type'),
    '013': ({'AG101'}, 'an MLX LoRA config, no peft_type'),
    '028': ({'AG004'}, 'a Git LFS pointer, not the file'),
    '044': ({'AG101'}, 'a LeRobot config, no peft_type'),
    '084': ({'AG101'}, 'DIAG: a peft_type from an unmerged branch'),
    '133': ({'AG101'}, 'UILINLORA: a peft_type from an unmerged pull request'),
    '134': ({'AG101'}, 'FINEGATES: a peft_type from an unmerged branch'),
}

pytestmark = pytest.mark.skipif(not PUBLIC, reason='../shared/corpus is not here')


def _static_codes(path: Path, rules: Rules = DEFAULT.rules) -> set[str]:
    raw = read_file(str(path))
    loaded = check_content(str(path), raw, Context(str(path.parent), path.name, rules))
    return {f.code for f in loaded.findings}


def _manifest() -> list[tuple[Path, str, str]]:
    """(file, base_model_name_or_path, notes) of every MANIFEST row."""
    rows = (CORPUS / 'public' / 'MANIFEST.tsv').read_text().splitlines()[1:]
    return [(CORPUS / r.split('\t')[0], r.split('\t')[5], r.split('\t')[6]) for r in rows]


@pytest.mark.parametrize('path', PUBLIC + ODD, ids=lambda p: p.name[:60])
def test_real_configs(path: Path) -> None:
    codes = {c for c in _static_codes(path) if c.startswith(('AG0', 'AG1'))}
    expected, why = BROKEN.get(path.name[:3], (set(), 'real PEFT output'))
    assert codes == expected, why


def test_every_exception_is_a_corpus_file() -> None:
    numbers = {p.name[:3] for p in PUBLIC + ODD}
    assert set(BROKEN) <= numbers


def test_local_paths_in_the_corpus_are_caught() -> None:
    """Every base the manifest calls local gets AG202, except bare relative names."""
    checked = 0
    for path, base, notes in _manifest():
        if 'base_kind=local' not in notes or 'bare dir name' in notes or 'shaped like a hub id' in notes:
            continue
        assert 'AG202' in _static_codes(path), (path.name, base)
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize('base', ('model', 'chatglm-6b', 'models/chatglm-6b'))
def test_relative_names_are_local_when_the_folder_exists(base: str, tmp_path: Path) -> None:
    """'models/chatglm-6b' is a valid Hub id; it is a local path when that folder is there."""
    (path,) = [p for p, b, _ in _manifest() if b == base][:1]
    adapter = tmp_path / 'adapter' / 'adapter_config.json'
    adapter.parent.mkdir()
    adapter.write_bytes(path.read_bytes())
    assert 'AG202' not in _static_codes(adapter)
    (adapter.parent / base).mkdir(parents=True)
    assert 'AG202' in _static_codes(adapter)
    # and an allow list catches it with no folder at all
    (adapter.parent / base).rmdir()
    assert 'AG201' in _static_codes(adapter, Rules(allow=('THUDM/*',)))


def test_null_and_absent_bases_in_the_corpus_are_caught() -> None:
    for path, _, notes in _manifest():
        if 'base_kind=null' in notes or 'base_kind=absent' in notes:
            assert 'AG203' in _static_codes(path), path.name


def test_hub_bases_in_the_corpus_pass_the_base_model_checks() -> None:
    for path, base, notes in _manifest():
        if notes.startswith('base_kind=hub'):
            codes = _static_codes(path)
            assert not {c for c in codes if c.startswith('AG2')}, (path.name, base, codes)
