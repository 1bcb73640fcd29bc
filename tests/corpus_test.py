"""Every real adapter_config.json in ../shared/corpus is checked.

Real PEFT output must get no loading (AG0xx) or schema (AG1xx) finding.
The files below are the exceptions, each with the codes it must get and why.
"""
from __future__ import annotations

import json
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

# folder/number -> (AG0xx/AG1xx codes it must get, why)
BROKEN = {
    'public/086': ({'AG104'},
                   'init_vera_weights: written by the 2023 VeRA pull-request branch, never in a PEFT release'),
    'public/088': ({'AG102'}, 'hand-written experiment config with no base_model_name_or_path key (method_comparison)'),
    'public/093': ({'AG104'}, 'hand-written C3A config with exclude_modules/fan_in_fan_out, keys no C3A release has'),
    'public/103': ({'AG102'}, 'hand-written minimal IA3 config with no base_model_name_or_path key'),
    'public/126': ({'AG104'},
                   'exclude_modules: pre-release UniLoRA development output (no save_indices or peft_version)'),
    # public-odd: files named adapter_config.json that are not PEFT output
    'public-odd/002': ({'AG006'}, 'a custom projector config: no key PEFT writes, so another tool (a note)'),
    'public-odd/013': ({'AG006'}, 'mlx-lm (fine_tune_type, lora_parameters), written without its model key'),
    'public-odd/028': ({'AG004'}, 'a Git LFS pointer, not the file'),
    'public-odd/044': ({'AG006'}, 'a one-key {"base_model": ...} file: no key PEFT writes, so another tool (a note)'),
    'public-odd/084': ({'AG101'}, 'DIAG: a peft_type from an unmerged branch'),
    'public-odd/133': ({'AG101'}, 'UILINLORA: a peft_type from an unmerged pull request'),
    'public-odd/134': ({'AG101'}, 'FINEGATES: a peft_type from an unmerged branch'),
    'public-odd/135': ({'AG006'}, 'mlx-lm (fine_tune_type, lora_parameters, num_layers); base model under "model"'),
    'public-odd/136': ({'AG006'},
                       'a JAX tunix/qwix script ("framework": "jax-tunix-qwix"); base model under "base_model"'),
}
# folder/number -> (base_model_name_or_path, why): bare names the Hub does not have (AG207)
BARE_NAMES = {
    'public/011': ('model', 'a ChatGLM save whose base model folder was model/: not a Hub id'),
    'public/031': ('chatglm-6b', 'a ChatGLM save whose base model folder was chatglm-6b/: not a Hub id'),
}


def _number(path: Path) -> str:
    return f'{path.parent.name}/{path.name[:3]}'


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
    expected, why = BROKEN.get(_number(path), (set(), 'real PEFT output'))
    assert codes == expected, why


def test_every_exception_is_a_corpus_file() -> None:
    numbers = {_number(p) for p in PUBLIC + ODD}
    assert set(BROKEN) | set(BARE_NAMES) <= numbers


def test_local_paths_in_the_corpus_are_caught() -> None:
    """Every base the manifest calls local gets AG202, except bare relative names."""
    checked = 0
    for path, base, notes in _manifest():
        if 'base_kind=local' not in notes or 'bare dir name' in notes or 'shaped like a hub id' in notes:
            continue
        assert 'AG202' in _static_codes(path), (path.name, base)
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize(('base', 'without_folder'), (
    ('model', 'AG207'),
    ('chatglm-6b', 'AG207'),
    ('models/chatglm-6b', None),  # a valid Hub id when the folder is not here
))
def test_relative_names_are_local_when_the_folder_exists(base: str, without_folder: str | None, tmp_path: Path) -> None:
    """A bare name is AG207 (the Hub has no such id); AG202 when that folder is in the clone."""
    (path,) = [p for p, b, _ in _manifest() if b == base][:1]
    adapter = tmp_path / 'adapter' / 'adapter_config.json'
    adapter.parent.mkdir()
    adapter.write_bytes(path.read_bytes())
    codes = _static_codes(adapter)
    assert 'AG202' not in codes
    assert {c for c in codes if c.startswith('AG2')} == ({without_folder} if without_folder else set())
    (adapter.parent / base).mkdir(parents=True)
    assert 'AG202' in _static_codes(adapter)
    assert 'AG207' not in _static_codes(adapter)
    # and an allow list catches it with no folder at all
    (adapter.parent / base).rmdir()
    assert (without_folder or 'AG201') in _static_codes(adapter, Rules(allow=('THUDM/*',)))


@pytest.mark.parametrize('number', sorted(BARE_NAMES))
def test_bare_names_in_the_corpus(number: str) -> None:
    base, why = BARE_NAMES[number]
    (path,) = [p for p in PUBLIC + ODD if _number(p) == number]
    codes = _static_codes(path)
    assert 'AG207' in codes, why
    assert json.loads(path.read_text())['base_model_name_or_path'] == base


def test_null_and_absent_bases_in_the_corpus_are_caught() -> None:
    for path, _, notes in _manifest():
        if 'base_kind=null' in notes or 'base_kind=absent' in notes:
            assert 'AG203' in _static_codes(path), path.name


def test_hub_bases_in_the_corpus_pass_the_base_model_checks() -> None:
    for path, base, notes in _manifest():
        if notes.startswith('base_kind=hub'):
            codes = _static_codes(path)
            assert not {c for c in codes if c.startswith('AG2')}, (path.name, base, codes)
