"""The fit checks on adapters the real PEFT trained, on tiny models of four families.

Each family's tiny model and a bigger sibling are built from configs; their
config.json files are put in a Hugging Face cache by huggingface_hub itself
(hf_hub_download from the Hub on 127.0.0.1).  The seed case: an adapter
trained on the tiny Llama whose config is rewritten to name the bigger
cached model is caught with no git history at all, and PEFT itself really
fails to load it onto that model.

Run with: python -m pytest tests/fit_peft_test.py -m peft -q
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_util import ignoring_known_deprecations
from tests.e2e_util import perturb_lora
from tests.e2e_util import recorded_warnings
from tests.e2e_util import set_base
from tests.hub_server import populate_cache

pytestmark = pytest.mark.peft


@dataclass(frozen=True)
class Family:
    model_class: str
    small: dict[str, Any]  # config fields of the tiny model
    bigger: dict[str, Any]  # what the bigger sibling changes
    task_type: str
    targets: list[str]
    warnings: tuple[tuple[type[Warning], str], ...] = ()

    def model(self, config: dict[str, Any]) -> Any:
        import transformers
        return getattr(transformers, self.model_class)(self.config(config))

    def config(self, config: dict[str, Any]) -> Any:
        import transformers
        name = self.model_class.removesuffix('LMHeadModel').split('For')[0]
        return getattr(transformers, f'{name}Config')(**config)


FAMILIES = {
    'llama': Family('LlamaForCausalLM', dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                             num_attention_heads=2, num_key_value_heads=2, vocab_size=64),
                    dict(hidden_size=32, intermediate_size=64), 'CAUSAL_LM', ['q_proj', 'v_proj']),
    'gpt2': Family('GPT2LMHeadModel', dict(n_embd=16, n_layer=2, n_head=2, n_positions=32, vocab_size=64),
                   dict(n_embd=32), 'CAUSAL_LM', ['c_attn'],
                   ((UserWarning, r'fan_in_fan_out is set to False but the target module is `Conv1D`'),)),
    't5': Family('T5ForConditionalGeneration', dict(d_model=16, d_kv=8, d_ff=32, num_layers=2, num_heads=2,
                                                    vocab_size=64), dict(d_model=32), 'SEQ_2_SEQ_LM', ['q', 'v']),
    'bert': Family('BertForSequenceClassification', dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                                         num_attention_heads=2, vocab_size=64,
                                                         max_position_embeddings=32),
                   dict(hidden_size=32), 'SEQ_CLS', ['query', 'value']),
}


def repo_id(family: str, bigger: bool = False) -> str:
    return f'acme/tiny-{family}' + ('-bigger' if bigger else '')


@pytest.fixture(scope='module')
def hub_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every family's tiny model and its bigger sibling, as config.json files transformers wrote."""
    cache = tmp_path_factory.mktemp('hub-cache')
    configs = {}
    for name, family in FAMILIES.items():
        for bigger in (False, True):
            folder = tmp_path_factory.mktemp(f'{name}-config')
            family.config({**family.small, **(family.bigger if bigger else {})}).save_pretrained(str(folder))
            configs[repo_id(name, bigger)] = json.loads((folder / 'config.json').read_text())
    configs['acme/tiny-llama-deeper'] = {**configs['acme/tiny-llama'], 'num_hidden_layers': 4}
    populate_cache(cache, configs)
    return cache


@pytest.fixture(autouse=True)
def offline_cache(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HF_HUB_CACHE', str(hub_cache))


def train(name: str, out: Path, *, config: dict[str, Any] | None = None, **lora: Any) -> Path:
    """A LoRA adapter PEFT saves for the family's tiny model, with its Hub id set as PEFT writes it."""
    import peft
    import torch
    family = FAMILIES[name]
    torch.manual_seed(0)
    model = family.model(config or family.small)
    options = dict(task_type=family.task_type, target_modules=family.targets, r=4, lora_alpha=8)
    with recorded_warnings(family.warnings):
        adapter = peft.get_peft_model(model, peft.LoraConfig(**{**options, **lora}))
        perturb_lora(adapter, seed=1)
        adapter.save_pretrained(str(out))
    set_base(out / 'adapter_config.json', repo_id(name))
    return out / 'adapter_config.json'


def fit(run: Any, config: Path) -> tuple[int, list[dict[str, Any]]]:
    """The exit code and findings of the fit checks alone (the card PEFT wrote names '' for a model built
    from a config: AG401, not what these tests are about)."""
    result = run('check', '--no-history', '--format', 'json', '--select', 'AG7', config)
    assert result.code in (0, 1), result
    return result.code, result.findings


@pytest.mark.parametrize('name', FAMILIES)
def test_what_peft_trained_fits_its_base(name: str, run: Any, tmp_path: Path) -> None:
    config = train(name, tmp_path / 'adapter')
    assert fit(run, config) == (0, [])


def test_seed_case_a_tiny_llama_adapter_named_as_a_bigger_cached_model(run: Any, tmp_path: Path) -> None:
    import peft
    config = train('llama', tmp_path / 'adapter')
    set_base(config, 'acme/tiny-llama-bigger')  # the rewrite, made before any commit: no history to compare
    code, findings = fit(run, config)
    assert code == 1
    assert [f['code'] for f in findings] == ['AG701']
    assert findings[0]['message'] == (
        "adapter_model.safetensors does not fit 'acme/tiny-llama-bigger': model.layers.0.self_attn.q_proj lora_A "
        "takes 16 inputs, but q_proj of 'acme/tiny-llama-bigger' takes 32 (hidden_size) (and 3 more modules); "
        "the weights fit 'acme/tiny-llama'; PEFT fails to load it with a size mismatch")
    # what the finding claims: PEFT cannot load it onto that model
    bigger = FAMILIES['llama'].model({**FAMILIES['llama'].small, **FAMILIES['llama'].bigger})
    with ignoring_known_deprecations(), pytest.raises(RuntimeError, match='size mismatch'):
        peft.PeftModel.from_pretrained(bigger, str(config.parent))


@pytest.mark.parametrize('name', ('gpt2', 't5', 'bert'))
def test_other_families_named_as_their_bigger_sibling(name: str, run: Any, tmp_path: Path) -> None:
    import peft
    config = train(name, tmp_path / 'adapter')
    set_base(config, repo_id(name, bigger=True))
    code, findings = fit(run, config)
    assert code == 1, findings
    assert [f['code'] for f in findings] == ['AG701'], findings
    assert f'the weights fit {repo_id(name)!r}' in findings[0]['message']
    family = FAMILIES[name]
    with ignoring_known_deprecations(), recorded_warnings(family.warnings), \
            pytest.raises(RuntimeError, match='size mismatch'):
        peft.PeftModel.from_pretrained(family.model({**family.small, **family.bigger}), str(config.parent))


def test_an_adapter_of_a_shallower_model_loads_silently_and_is_caught(run: Any, tmp_path: Path) -> None:
    import peft
    config = train('llama', tmp_path / 'adapter')
    set_base(config, 'acme/tiny-llama-deeper')
    code, findings = fit(run, config)
    assert code == 1
    assert [f['code'] for f in findings] == ['AG701']
    assert "cover 2 layers of model.layers, but 'acme/tiny-llama-deeper' has 4" in findings[0]['message']
    deeper = FAMILIES['llama'].model({**FAMILIES['llama'].small, 'num_hidden_layers': 4})
    with ignoring_known_deprecations(), recorded_warnings(((UserWarning, r'missing adapter keys'),)):
        peft.PeftModel.from_pretrained(deeper, str(config.parent))  # no error: the silent case


def test_target_modules_of_another_family(run: Any, tmp_path: Path) -> None:
    import peft
    config = train('llama', tmp_path / 'adapter')
    set_base(config, 'acme/tiny-gpt2')
    code, findings = fit(run, config)
    assert code == 1
    assert [f['code'] for f in findings] == ['AG702', 'AG702'], findings  # q_proj and v_proj
    gpt2 = FAMILIES['gpt2'].model(FAMILIES['gpt2'].small)
    with ignoring_known_deprecations(), pytest.raises(ValueError, match='not found in the base model'):
        peft.PeftModel.from_pretrained(gpt2, str(config.parent))


def test_a_resized_vocabulary_is_a_warning(run: Any, tmp_path: Path) -> None:
    import peft
    family = FAMILIES['llama']
    config = train('llama', tmp_path / 'adapter', config={**family.small, 'vocab_size': 72},
                   modules_to_save=['embed_tokens', 'lm_head'])
    code, findings = fit(run, config)
    assert code == 0
    assert [(f['code'], f['severity']) for f in findings] == [('AG704', 'warning')]
    assert "has 72 tokens but 'acme/tiny-llama' has 64 (vocab_size)" in findings[0]['message']
    # what the message advises works: resize the base model's embeddings, then load
    base = family.model(family.small)
    with ignoring_known_deprecations(), pytest.raises(RuntimeError, match='size mismatch'):
        peft.PeftModel.from_pretrained(base, str(config.parent))
    base = family.model(family.small)
    base.resize_token_embeddings(72)
    with ignoring_known_deprecations():
        peft.PeftModel.from_pretrained(base, str(config.parent))


def test_a_task_type_the_family_has_no_class_for(run: Any, tmp_path: Path) -> None:
    import transformers
    config = train('t5', tmp_path / 'adapter')
    data = json.loads(config.read_text())
    data['task_type'] = 'CAUSAL_LM'
    config.write_text(json.dumps(data, indent=2, sort_keys=True))
    code, findings = fit(run, config)
    assert code == 0
    assert [(f['code'], f['severity']) for f in findings] == [('AG703', 'warning')]
    # AutoPeftModelForCausalLM loads the base with AutoModelForCausalLM, which has no T5 class
    t5_config = FAMILIES['t5'].config(FAMILIES['t5'].small)
    with pytest.raises(ValueError, match='Unrecognized configuration class'):
        transformers.AutoModelForCausalLM.from_config(t5_config)
