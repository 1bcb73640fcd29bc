"""AG701-AG704 against base models in a Hugging Face cache that huggingface_hub itself wrote.

The adapters' safetensors files are real files with the shapes PEFT saves
(tests/util.safetensors_bytes); tests/fit_peft_test.py does the same with
adapters the real PEFT trained.  These tests never import torch or
transformers: the meta-device path is switched off (``no_meta``), as on a
machine without them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapter_guard import module_shapes
from tests.hub_server import populate_cache
from tests.util import LORA
from tests.util import lora_weights
from tests.util import peft_dumps
from tests.util import safetensors_bytes

LLAMA: dict[str, Any] = dict(architectures=['LlamaForCausalLM'], model_type='llama', hidden_size=16,
                             intermediate_size=32, num_hidden_layers=2, num_attention_heads=2, vocab_size=64)
GPT2: dict[str, Any] = dict(architectures=['GPT2LMHeadModel'], model_type='gpt2', n_embd=32, n_layer=2, n_head=2,
                            n_positions=32, vocab_size=64)
T5: dict[str, Any] = dict(architectures=['T5ForConditionalGeneration'], model_type='t5', d_model=16, d_kv=8, d_ff=32,
                          num_layers=2, num_heads=2, vocab_size=64)
QV = lora_weights(['q_proj', 'v_proj'])  # on the 16-wide, 2-layer Llama
BASES = {
    'acme/small': LLAMA,
    'acme/small-copy': LLAMA,
    'acme/wide': dict(LLAMA, hidden_size=32, intermediate_size=64),
    'acme/gqa': dict(LLAMA, num_key_value_heads=1),
    'acme/gpt2': GPT2,
    'acme/gpt2-16': dict(GPT2, n_embd=16),
    'acme/t5': T5,
}


@pytest.fixture(scope='module')
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('hub-cache')
    populate_cache(path, BASES)
    return path


@pytest.fixture(autouse=True)
def no_meta(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """As on a machine without torch and transformers, with BASES in the Hugging Face cache."""
    monkeypatch.setattr(module_shapes, 'meta_available', lambda: False)
    monkeypatch.setenv('HF_HUB_CACHE', str(cache))


def adapter(folder: Path, tensors: dict[str, list[int]] | None = None, **changes: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'adapter_config.json').write_text(peft_dumps({**LORA, **changes}))
    if tensors is not None:
        (folder / 'adapter_model.safetensors').write_bytes(safetensors_bytes(tensors))
    return folder / 'adapter_config.json'


def fit_findings(run: Any, *args: Any) -> list[dict[str, Any]]:
    result = run('check', '--no-history', '--format', 'json', *args)
    assert result.code in (0, 1), result
    return [f for f in result.findings if f['code'].startswith('AG7')]


def lora_pair(module: str, inputs: int, outputs: int, r: int = 8) -> dict[str, list[int]]:
    return {f'base_model.model.{module}.lora_A.weight': [r, inputs],
            f'base_model.model.{module}.lora_B.weight': [outputs, r]}


GPT2_C_ATTN = {
    **lora_pair('transformer.h.0.attn.c_attn', 16, 48), **lora_pair('transformer.h.1.attn.c_attn', 16, 48),
}
T5_QV = {
    **{k: v for stack in ('encoder', 'decoder') for block in range(3)
       for k, v in lora_pair(f'{stack}.block.{block}.layer.0.SelfAttention.q', 16, 16).items()},
}

MISFITS = [
    pytest.param('acme/wide', QV, {}, [
        'model.layers.0.self_attn.q_proj lora_A takes 16 inputs', "q_proj of 'acme/wide' takes 32 (hidden_size)",
        '(and 3 more modules)', "the weights fit 'acme/small' and 'acme/small-copy'",
        'PEFT fails to load it with a size mismatch',
    ], id='narrower-model'),
    pytest.param('acme/gqa', lora_weights(['k_proj']), {'target_modules': ['k_proj']}, [
        'k_proj lora_B gives 16 outputs', 'gives 8 (num_key_value_heads × head_dim = 1 × 8)',
        "the weights fit 'acme/small'",
    ], id='grouped-query-k-proj'),
    pytest.param('acme/gpt2', GPT2_C_ATTN, {'target_modules': ['c_attn'], 'fan_in_fan_out': True}, [
        'transformer.h.0.attn.c_attn lora_A takes 16 inputs', "c_attn of 'acme/gpt2' takes 32 (n_embd)",
        "the weights fit 'acme/gpt2-16'",
    ], id='gpt2-conv1d'),
    pytest.param('acme/t5', T5_QV, {'target_modules': ['q'], 'task_type': 'SEQ_2_SEQ_LM'}, [
        ("it has weights for decoder.block.2.layer.0.SelfAttention.q, but 'acme/t5' has only 2 of those layers "
         '(decoder.block.0-1)'), 'PEFT ignores weights for modules the base model does not have',
    ], id='t5-layer-the-base-lacks'),
    pytest.param('acme/wide', {k.replace('base_model.model.', 'base_model.model.backbone.'): v for k, v in QV.items()},
                 {}, ['backbone.model.layers.0.self_attn.q_proj lora_A takes 16 inputs'], id='wrapped-model'),
    pytest.param('acme/small', {**QV, 'base_model.model.lm_head.weight': [64, 32]}, {'modules_to_save': ['lm_head']},
                 ["lm_head weight takes 32 inputs, but lm_head of 'acme/small' takes 16 (hidden_size)"],
                 id='modules-to-save'),
]


@pytest.mark.parametrize(('base', 'tensors', 'changes', 'expected'), MISFITS)
def test_weights_that_do_not_fit(
        base: str, tensors: dict[str, list[int]], changes: dict[str, Any], expected: list[str], run: Any,
        tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', tensors, base_model_name_or_path=base, **changes)
    findings = fit_findings(run, config)
    assert [f['code'] for f in findings] == ['AG701'], findings
    assert findings[0]['severity'] == 'error'
    assert (findings[0]['line'], findings[0]['column']) == (4, 30)  # the base_model_name_or_path value
    for fragment in expected:
        assert fragment in findings[0]['message']


FITS = [
    pytest.param('acme/small', QV, {}, id='lora'),
    pytest.param('acme/small', {**QV, 'base_model.model.lm_head.weight': [64, 16],
                                'base_model.model.model.embed_tokens.base_layer.weight': [64, 16]},
                 {'modules_to_save': ['lm_head']}, id='whole-weights'),
    pytest.param('acme/gpt2-16', GPT2_C_ATTN, {'target_modules': ['c_attn'], 'fan_in_fan_out': True}, id='gpt2'),
    pytest.param('acme/wide', QV, {'use_bdlora': {'block_size': 4}}, id='other-factor-shapes-not-compared'),
    pytest.param('acme/wide', {f'base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight': [8, 16, 1, 1]
                               for i in range(2)},
                 {'target_modules': ['q_proj']}, id='four-dimensional-factor-ignored'),
    pytest.param('acme/wide', QV, {'peft_type': 'IA3'}, id='not-a-lora-method'),
    pytest.param('acme/not-cached', QV, {}, id='base-not-in-the-cache'),
    pytest.param('acme/wide', QV, {'revision': 'f' * 40}, id='revision-not-in-the-cache'),
    pytest.param('/home/alice/models/wide', QV, {}, id='local-path'),
]


@pytest.mark.parametrize(('base', 'tensors', 'changes'), FITS)
def test_weights_that_fit_or_cannot_be_compared(
        base: str, tensors: dict[str, list[int]], changes: dict[str, Any], run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', tensors, base_model_name_or_path=base, **changes)
    assert fit_findings(run, config) == []


def test_a_hub_id_that_is_a_folder_here_is_a_local_path(run: Any, tmp_path: Path) -> None:
    """'acme/wide' beside the adapter is what PEFT loaded (AG202), whatever the cache holds under that id."""
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/wide')
    (tmp_path / 'adapter' / 'acme' / 'wide').mkdir(parents=True)
    assert fit_findings(run, config) == []


def _sha(cache: Path, repo_id: str) -> str:
    return (cache / f'models--{repo_id.replace("/", "--")}' / 'refs' / 'main').read_text()


@pytest.mark.parametrize('revision', ('main', 'pinned'))
def test_the_adapters_revision_is_looked_up(revision: str, cache: Path, run: Any, tmp_path: Path) -> None:
    pinned = _sha(cache, 'acme/wide') if revision == 'pinned' else revision
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/wide', revision=pinned)
    assert [f['code'] for f in fit_findings(run, config)] == ['AG701']


DEEP = dict(LLAMA, num_hidden_layers=4)


@pytest.mark.parametrize(('changes', 'covered'), (
    pytest.param({}, False, id='every-layer'),
    pytest.param({'layers_to_transform': [0, 1]}, True, id='layers-to-transform'),
    pytest.param({'layers_pattern': 'layers', 'layers_to_transform': [0, 1]}, True, id='layers-pattern'),
    pytest.param({'exclude_modules': ['model.layers.2.self_attn.q_proj']}, True, id='exclude-modules'),
    pytest.param({'target_modules': ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj',
                                     'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.v_proj']},
                 True, id='per-layer-names'),
    pytest.param({'target_modules': r'.*\.[01]\.self_attn\.(q|v)_proj'}, True, id='regex'),
))
def test_fewer_layers_than_the_base_only_when_peft_would_cover_all(
        changes: dict[str, Any], covered: bool, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    populate_cache(tmp_path / 'cache', {'acme/deep': DEEP, 'acme/small': LLAMA})
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'cache'))
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/deep', **changes)
    findings = fit_findings(run, config)
    if covered:
        assert findings == []
    else:
        assert [f['code'] for f in findings] == ['AG701']
        assert ("its LoRA weights cover 2 layers of model.layers, but 'acme/deep' has 4 (model.layers.0-3)"
                in findings[0]['message'])
        assert "the weights fit 'acme/small'" in findings[0]['message']


@pytest.mark.parametrize(('policy', 'named'), (
    pytest.param('', "the weights fit 'acme/small' and 'acme/small-copy';", id='no-policy'),
    pytest.param('allow = ["acme/wide", "acme/small-copy"]\n', "the weights fit 'acme/small-copy';",
                 id='allowed-first'),
    pytest.param('allow = ["acme/wide"]\n', "the weights fit 'acme/small' and 'acme/small-copy' (which the policy "
                 'does not allow)', id='none-allowed'),
    pytest.param('deny = ["acme/small"]\n', "the weights fit 'acme/small-copy';", id='denied-never-named'),
))
def test_the_models_named_follow_the_policy(policy: str, named: str, run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/wide')
    (tmp_path / 'policy.toml').write_text(policy)
    findings = fit_findings(run, config, '--config', tmp_path / 'policy.toml')
    assert [f['code'] for f in findings] == ['AG701']
    assert named in findings[0]['message']


def test_only_models_of_the_same_family_are_named(run: Any, tmp_path: Path) -> None:
    """acme/gpt2-16 is also 16 wide, but a GPT-2 has no model.layers.N.self_attn.q_proj."""
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/wide')
    message = fit_findings(run, config)[0]['message']
    assert 'gpt2' not in message


def test_only_the_vocabulary_differs(run: Any, tmp_path: Path) -> None:
    resized = {**QV, 'base_model.model.model.embed_tokens.weight': [72, 16],
               'base_model.model.lm_head.weight': [72, 16]}
    config = adapter(tmp_path / 'adapter', resized, base_model_name_or_path='acme/small',
                     modules_to_save=['embed_tokens', 'lm_head'])
    result = run('check', '--no-history', '--format', 'json', config)
    assert result.code == 0, result  # a warning
    findings = [f for f in result.findings if f['code'].startswith('AG7')]
    assert [(f['code'], f['severity']) for f in findings] == [('AG704', 'warning')]
    assert ("lm_head weight has 72 tokens but 'acme/small' has 64 (vocab_size) (and 1 more module): resize the base "
            "model's token embeddings to 72" in findings[0]['message'])


@pytest.mark.parametrize(('base', 'task_type', 'expected'), (
    pytest.param('acme/small', 'SEQ_2_SEQ_LM', 'AutoPeftModelForSeq2SeqLM', id='seq2seq-on-llama'),
    pytest.param('acme/t5', 'CAUSAL_LM', 'AutoPeftModelForCausalLM', id='causal-lm-on-t5'),
    pytest.param('acme/small', 'SEQ_CLS', None, id='seq-cls-on-llama'),
    pytest.param('acme/t5', 'TOKEN_CLS', None, id='token-cls-on-t5'),
    pytest.param('acme/small', 'NOT_A_TASK', None, id='unknown-task-left-to-the-schema'),
))
def test_task_type(base: str, task_type: str, expected: str | None, run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', base_model_name_or_path=base, task_type=task_type, target_modules=['q'])
    findings = [f for f in fit_findings(run, config) if f['code'] == 'AG703']
    if expected is None:
        assert findings == []
    else:
        assert len(findings) == 1
        assert findings[0]['severity'] == 'warning'
        assert expected in findings[0]['message']


@pytest.mark.parametrize(('base', 'targets', 'flagged'), (
    pytest.param('acme/gpt2', ['q_proj', 'c_attn'], [0], id='llama-name-on-gpt2'),
    pytest.param('acme/small', ['q_proj', 'v_prj'], [1], id='misspelt'),
    pytest.param('acme/small', ['self_attn.q_proj', 'model.layers.1.mlp.down_proj', 'lm_head', 'input_layernorm'], [],
                 id='suffixes-full-names-norms'),
    pytest.param('acme/t5', ['q', 'v', 'wi', 'EncDecAttention.k'], [], id='t5'),
    pytest.param('acme/small', r'.*\.attn\.c_attn', ['regex'], id='regex-matching-nothing'),
    pytest.param('acme/small', r'.*\.(q|v)_proj', [], id='regex'),
    pytest.param('acme/small', 'all-linear', [], id='all-linear'),
    pytest.param('acme/small', r'([unclosed', [], id='broken-regex-left-to-peft'),
))
def test_target_modules_name_modules_of_the_architecture(
        base: str, targets: Any, flagged: list[Any], run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', base_model_name_or_path=base, target_modules=targets)
    findings = [f for f in fit_findings(run, config) if f['code'] == 'AG702']
    assert len(findings) == len(flagged), findings
    if flagged == [1]:
        assert "'v_prj'" in findings[0]['message']
        assert "(did you mean 'v_proj'?)" in findings[0]['message']
    if flagged == [0]:
        assert 'did you mean' not in findings[0]['message']
        assert 'its layers are c_attn, c_fc, c_proj, lm_head, wpe, wte' in findings[0]['message']


def test_adaption_prompt_names_its_attention_module_its_own_way(run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', base_model_name_or_path='acme/small', peft_type='ADAPTION_PROMPT',
                     target_modules='self_attn')
    assert [f for f in fit_findings(run, config) if f['code'] == 'AG702'] == []


# ------------------------------------------------------------ hostile caches

HOSTILE: dict[str, bytes] = {
    'not-json': b'{"model_type": "llama",',
    'array': b'["llama"]',
    'too-large': b'{"model_type": "llama", "pad": "' + b'x' * (2 << 20) + b'"}',
    'wrong-types': json.dumps(dict(LLAMA, hidden_size='wide', num_attention_heads=True)).encode(),
    'zero-heads': json.dumps(dict(LLAMA, num_attention_heads=0)).encode(),
    'billion-layers': json.dumps(dict(LLAMA, num_hidden_layers=10 ** 9)).encode(),
    'unknown-family': json.dumps(dict(LLAMA, model_type='no-such-family')).encode(),
    'deep-nesting': b'[' * 100000 + b']' * 100000,
    'binary': bytes(range(256)),
}


@pytest.mark.parametrize('content', HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_cached_config_is_never_a_crash(content: bytes, run: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    populate_cache(tmp_path / 'cache', {'acme/evil': LLAMA})
    snapshot = next((tmp_path / 'cache' / 'models--acme--evil' / 'snapshots').iterdir()) / 'config.json'
    Path(os.path.realpath(snapshot)).write_bytes(content)  # the blob huggingface_hub links to
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'cache'))
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path='acme/evil')
    result = run('check', '--no-history', '--format', 'json', config)
    assert result.code == 0, result
    assert result.findings == [], result


@pytest.mark.parametrize('weights', (b'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n', b'\x00' * 4,
                                     b'\xff' * 16), ids=['lfs-pointer', 'short', 'bad-length'])
def test_an_unreadable_weights_file_is_left_to_ag402(weights: bytes, run: Any, tmp_path: Path) -> None:
    config = adapter(tmp_path / 'adapter', base_model_name_or_path='acme/wide')
    (tmp_path / 'adapter' / 'adapter_model.safetensors').write_bytes(weights)
    assert fit_findings(run, config) == []


# ------------------------------------------------------------------ hot path

_MODULES = (
    'import sys\n'
    'from adapter_guard.main import main\n'
    'code = main(sys.argv[1:])\n'
    'heavy = ("huggingface_hub", "torch", "transformers", "adapter_guard.architectures", "adapter_guard.hub_online")\n'
    'print(sorted(m for m in sys.modules if m in heavy))\n'
    'raise SystemExit(code)\n'
)


@pytest.mark.parametrize(('base', 'imported'), (
    pytest.param('acme/not-cached', [], id='no-cache-entry'),
    pytest.param('acme/wide', ['adapter_guard.architectures'], id='cached-base-light-path'),
))
def test_what_a_run_imports(base: str, imported: list[str], cache: Path, tmp_path: Path) -> None:
    """No cache entry: nothing new is imported; a cached base of a known family: the light path only."""
    config = adapter(tmp_path / 'adapter', QV, base_model_name_or_path=base)
    env = {**os.environ, 'HF_HUB_CACHE': str(cache)}
    out = subprocess.run((sys.executable, '-c', _MODULES, '--no-history', '--select', 'AG7', str(config)),
                         env=env, capture_output=True, text=True, check=False)
    assert out.returncode == (1 if imported else 0), out
    assert out.stdout.strip().splitlines()[-1] == repr(imported)
