"""The light path (architectures) agrees with transformers on every family and task it claims.

For each family, config.json files as transformers writes them (small
models), as older Hub repos have them (fields left to the class defaults,
nulls), and each task type transformers has a class for: the modules the
light path computes must be exactly the model's named_modules() on the meta
device, with the same kinds and dimensions.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapter_guard import architectures
from adapter_guard import meta_shapes
from adapter_guard.module_shapes import Architecture

pytestmark = pytest.mark.peft

DECODER = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4, vocab_size=64,
               pad_token_id=0, bos_token_id=1, eos_token_id=1)
SMALL: dict[str, dict[str, Any]] = {
    **dict.fromkeys(('llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'phi', 'phi3'), DECODER),
    'gpt2': dict(n_embd=16, n_layer=2, n_head=2, vocab_size=64, n_positions=32),
    't5': dict(d_model=16, d_kv=4, d_ff=32, num_layers=2, num_decoder_layers=3, num_heads=2, vocab_size=64),
    'mt5': dict(d_model=16, d_kv=4, d_ff=32, num_layers=2, num_decoder_layers=3, num_heads=2, vocab_size=64),
    'bert': dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, vocab_size=64,
                 max_position_embeddings=32, type_vocab_size=3),
}
# Variants that change shapes: grouped-query attention, a head_dim that is not
# hidden / heads, nulls that older configs carry, gated T5 feed-forward, no n_inner.
NULL_KV = ('null-kv-heads', dict(num_key_value_heads=None))
NULL_HEAD_DIM = ('null-head-dim', dict(head_dim=None))
VARIANTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    **{model_type: [('gqa', dict(num_key_value_heads=2)), ('head-dim', dict(num_key_value_heads=1, head_dim=8))]
       for model_type in ('llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'phi', 'phi3')},
    'gpt2': [('n-inner', dict(n_inner=40))],
    't5': [('gated', dict(feed_forward_proj='gated-gelu')), ('null-decoder-layers', dict(num_decoder_layers=None))],
    'mt5': [('relu', dict(feed_forward_proj='relu'))],
    'bert': [],
}
# Nulls that older config.json files carry, where transformers 5 accepts them ...
for _model_type, _variant in (('llama', NULL_KV), ('llama', NULL_HEAD_DIM), ('mistral', NULL_HEAD_DIM),
                              ('qwen2', NULL_KV), ('qwen3', NULL_KV), ('phi', NULL_KV), ('phi3', NULL_KV)):
    VARIANTS[_model_type].append(_variant)
# ... and where it rejects them (the light path then takes num_attention_heads and
# hidden_size / num_attention_heads, as older transformers did).
REJECTED_NULLS = [('mistral', NULL_KV), ('qwen2', NULL_HEAD_DIM), ('qwen3', NULL_HEAD_DIM), ('gemma', NULL_KV),
                  ('gemma', NULL_HEAD_DIM), ('gemma2', NULL_KV), ('gemma2', NULL_HEAD_DIM), ('phi', NULL_HEAD_DIM),
                  ('phi3', NULL_HEAD_DIM)]


def _saved(model_type: str, fields: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """config.json exactly as transformers writes it for these fields."""
    import transformers
    config = transformers.AutoConfig.for_model(model_type, **fields)
    config.save_pretrained(str(tmp_path))
    data: dict[str, Any] = json.loads((tmp_path / 'config.json').read_text())
    return data


MAIN_TASK = {'t5': 'SEQ_2_SEQ_LM', 'mt5': 'SEQ_2_SEQ_LM', 'bert': 'SEQ_CLS'}


def _cases() -> list[Any]:
    """Every config variant with the family's main task; every other task (its head) with the saved config."""
    cases = []
    for model_type, classes in architectures.CLASSES.items():
        configs = [('saved', SMALL[model_type], True), ('class-defaults', {}, False)]
        configs += [(name, {**SMALL[model_type], **extra}, False) for name, extra in VARIANTS[model_type]]
        main = MAIN_TASK.get(model_type, 'CAUSAL_LM')
        for task in classes:
            for name, fields, saved in configs if task == main else configs[:1]:
                cases.append(pytest.param(model_type, task, fields, saved, id=f'{model_type}-{task}-{name}'))
    return cases


def _compare(light: Architecture, meta: Architecture) -> None:
    assert light.model_class == meta.model_class
    assert sorted(light.modules) == sorted(meta.modules)
    differences = []
    for name, module in light.modules.items():
        other = meta.modules[name]
        sizes = (module.kind, module.inputs and module.inputs.size, module.outputs and module.outputs.size)
        expected = (other.kind, other.inputs and other.inputs.size, other.outputs and other.outputs.size)
        if sizes != expected:
            differences.append(f'{name}: light {sizes}, meta {expected}')
    assert not differences, '\n'.join(differences)


@pytest.mark.parametrize(('model_type', 'task', 'fields', 'saved'), _cases())
def test_light_path_agrees_with_the_meta_device(
        model_type: str, task: str, fields: dict[str, Any], saved: bool, tmp_path: Path) -> None:
    config = _saved(model_type, fields, tmp_path) if saved else {'model_type': model_type, **fields}
    light = architectures.build(config, task)
    if light is None:
        assert (model_type, task) == ('bert', 'CAUSAL_LM'), 'the light path claims this family and task'
        return
    meta = meta_shapes.build(config, task)
    assert meta is not None
    _compare(light, meta)


@pytest.mark.parametrize(('model_type', 'variant'), REJECTED_NULLS, ids=lambda v: v if isinstance(v, str) else v[0])
def test_nulls_transformers_rejects(model_type: str, variant: tuple[str, dict[str, Any]]) -> None:
    """If transformers starts accepting one of these, move it to VARIANTS so it is compared."""
    config = {'model_type': model_type, **SMALL[model_type], **variant[1]}
    assert meta_shapes.build(config, 'CAUSAL_LM') is None
    assert architectures.build(config, 'CAUSAL_LM') is not None


@pytest.mark.parametrize('model_type', sorted(architectures.CLASSES))
def test_light_path_knows_the_same_task_types_as_transformers(model_type: str) -> None:
    assert architectures.CLASSES[model_type] == meta_shapes.classes_of(model_type)


@pytest.mark.parametrize(('model_type', 'architecture'), (
    ('llama', 'LlamaForCausalLM'), ('gpt2', 'GPT2LMHeadModel'), ('t5', 'T5ForConditionalGeneration'),
    ('bert', 'BertForSequenceClassification'), ('qwen2', 'Qwen2ForSequenceClassification'),
))
def test_without_task_type_the_class_config_json_names_is_used(model_type: str, architecture: str) -> None:
    config = {'model_type': model_type, 'architectures': [architecture], **SMALL[model_type]}
    light = architectures.build(config, None)
    meta = meta_shapes.build(config, None)
    assert light is not None
    assert meta is not None
    assert light.model_class == architecture
    _compare(light, meta)


@pytest.mark.parametrize(('model_type', 'fields'), (
    pytest.param('phi', dict(qk_layernorm=True), id='phi-qk-layernorm'),
    pytest.param('gpt2', dict(add_cross_attention=True), id='gpt2-cross-attention'),
    pytest.param('bert', dict(is_decoder=True, add_cross_attention=True), id='bert-decoder'),
    pytest.param('mixtral', dict(num_local_experts=2, num_experts_per_tok=1), id='mixtral'),
    pytest.param('opt', dict(ffn_dim=32, word_embed_proj_dim=16), id='opt'),
))
def test_what_the_light_path_leaves_to_the_meta_path(model_type: str, fields: dict[str, Any]) -> None:
    base = SMALL.get(model_type, dict(DECODER, num_key_value_heads=2))
    config = {'model_type': model_type, **base, **fields}
    assert architectures.build(config, 'CAUSAL_LM') is None
    meta = meta_shapes.build(config, 'CAUSAL_LM')
    assert meta is not None
    assert meta.modules
    linears = [m for m in meta.modules.values() if m.kind in ('linear', 'conv1d')]
    assert linears
    assert all(m.inputs is not None for m in linears)


@pytest.mark.parametrize('config', (
    pytest.param({'model_type': 'llama', 'num_hidden_layers': 10 ** 9}, id='too-deep'),
    pytest.param({'model_type': 'llama', 'text_config': {'num_hidden_layers': 10 ** 9}}, id='too-deep-nested'),
    pytest.param({'model_type': 'no-such-model'}, id='unknown-model-type'),
    pytest.param({'model_type': 'llama', 'hidden_size': 'wide'}, id='wrong-type'),
    pytest.param({'model_type': 'llama', 'hidden_size': 15, 'num_attention_heads': 4}, id='transformers-rejects'),
))
def test_meta_path_answers_none_for_configs_it_cannot_build(config: dict[str, Any]) -> None:
    assert meta_shapes.build(config, 'CAUSAL_LM') is None


def test_the_meta_path_is_kept_for_the_next_run(tmp_path: Path) -> None:
    """The next run reads the module table from adapter-guard's cache folder without importing transformers."""
    import os
    import subprocess
    import sys

    config = {'model_type': 'opt', **DECODER, 'ffn_dim': 32, 'word_embed_proj_dim': 16}
    env = {**os.environ, 'XDG_CACHE_HOME': str(tmp_path)}
    script = (
        'import json, sys\n'
        'if sys.argv[2] == "blocked":\n'
        '    sys.modules["torch"] = sys.modules["transformers"] = None  # any import of them fails\n'
        'from adapter_guard import meta_shapes\n'
        'found = meta_shapes.build(json.loads(sys.argv[1]), "CAUSAL_LM")\n'
        'print(found.model_class, len(found.modules))\n'
    )
    built = subprocess.run((sys.executable, '-c', script, json.dumps(config), 'built'), env=env,
                           capture_output=True, text=True, check=True).stdout
    assert built.startswith('OPTForCausalLM ')
    assert len(list((tmp_path / 'adapter-guard' / 'meta-shapes').glob('*.json'))) == 1
    kept = subprocess.run((sys.executable, '-c', script, json.dumps(config), 'blocked'), env=env,
                          capture_output=True, text=True, check=True).stdout
    assert kept == built
    for file in (tmp_path / 'adapter-guard' / 'meta-shapes').glob('*.json'):
        file.write_text('{"architecture": {"modules": ')  # damaged: built again
    again = subprocess.run((sys.executable, '-c', script, json.dumps(config), 'built'), env=env,
                           capture_output=True, text=True, check=True).stdout
    assert again == built
