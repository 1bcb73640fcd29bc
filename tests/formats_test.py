"""Adapter configs written by other tools: recognised from real files, said once (AG006), base model checked."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter_guard import formats
from tests.util import LORA
from tests.util import RESOURCES

FORMATS = RESOURCES / 'formats'


def _data(name: str) -> dict[str, object]:
    return json.loads((FORMATS / name).read_text())


@pytest.mark.parametrize(('name', 'tool', 'base_key'), (
    ('mlx-lm.json', 'mlx-lm', 'model'),
    ('mlx-lm-no-model.json', 'mlx-lm', 'model'),
    ('tunix.json', 'tunix', 'base_model'),
    ('other-projector.json', 'other', None),
    ('other-one-key.json', 'other', None),
))
def test_real_files_of_other_tools(name: str, tool: str, base_key: str | None) -> None:
    found = formats.detect(_data(name))
    assert (found.name, found.base_key, found.is_peft) == (tool, base_key, False)


@pytest.mark.parametrize('data', (
    pytest.param(LORA, id='PEFT output'),
    pytest.param({}, id='empty object'),
    pytest.param({'r': 8, 'target_modules': ['q_proj']}, id='hand-written, no peft_type'),
    pytest.param({'peft_type': 'LORA', 'fine_tune_type': 'lora', 'lora_parameters': {}}, id='peft_type wins'),
    pytest.param({'lora_parameters': {'rank': 8}, 'r': 8}, id='lora_parameters alone is not mlx-lm'),
    pytest.param({'framework': 'pytorch', 'r': 8}, id='another framework is not tunix'),
))
def test_peft_unless_another_format_is_certain(data: dict[str, object]) -> None:
    found = formats.detect(data)
    assert found == formats.PEFT
    assert found.base_key == 'base_model_name_or_path'


def _adapter(repo: Path, name: str, **changes: object) -> Path:
    data = _data(name)
    data.update(changes)
    path = repo / 'adapters' / 'adapter_config.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4))
    return path


@pytest.mark.parametrize(('name', 'changes', 'policy', 'codes'), (
    pytest.param('mlx-lm.json', {}, '', ['AG006'], id='mlx-lm as committed'),
    pytest.param('mlx-lm-no-model.json', {}, '', ['AG006'], id='mlx-lm without model'),
    pytest.param('tunix.json', {}, '', ['AG006'], id='tunix as committed'),
    pytest.param('other-one-key.json', {}, '', ['AG006'], id='another tool'),
    pytest.param('mlx-lm.json', {'model': '/Users/alice/mlx_model'}, '', ['AG006', 'AG202'], id='mlx-lm local path'),
    pytest.param('mlx-lm.json', {'model': 'mlx_model'}, '', ['AG006', 'AG207'], id='mlx-lm bare folder name'),
    pytest.param('mlx-lm.json', {'model': 'a/b/c'}, '', ['AG006', 'AG204'], id='mlx-lm invalid id'),
    pytest.param('mlx-lm.json', {}, 'allow = ["meta-llama/*"]\n', ['AG006', 'AG201'], id='mlx-lm not allowed'),
    pytest.param('tunix.json', {}, 'deny = ["google/*"]\n', ['AG006', 'AG206'], id='tunix denied'),
    pytest.param('tunix.json', {'base_model': './gemma'}, '', ['AG006', 'AG202'], id='tunix local path'),
))
def test_other_tools_get_a_note_and_the_base_model_checks(
        run, repo: Path, name: str, changes: dict[str, object], policy: str, codes: list[str],
) -> None:
    _adapter(repo, name, **changes)
    if policy:
        (repo / '.adapter-guard.toml').write_text(policy)
    result = run('adapters', '--no-history', '--format', 'json')
    assert sorted(result.codes) == codes, result
    assert result.code == (1 if len(codes) > 1 else 0), result  # AG006 is a note: it never fails a run
    note = next(f for f in result.findings if f['code'] == 'AG006')
    assert note['severity'] == 'note'


def test_the_note_names_the_tool_and_the_key(run, repo: Path) -> None:
    _adapter(repo, 'mlx-lm.json')
    (finding,) = run('adapters', '--no-history', '--format', 'json').findings
    assert finding['message'] == (
        'written by mlx-lm, not PEFT (it has fine_tune_type, num_layers and lora_parameters): '
        "the PEFT checks are skipped; its base model, under 'model', is checked"
    )
    assert (finding['line'], finding['column']) == (6, 5)  # the "fine_tune_type" key
