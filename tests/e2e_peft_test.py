"""End to end with the real PEFT library: what PEFT writes, what the hook says.

- test_seed_reproduction: the situation adapter-guard exists for.  An adapter
  published with its Hub id is re-trained from a base model loaded from a
  local folder; PEFT silently writes the local path into adapter_config.json
  and into the README.md card; a real `git commit` through real pre-commit is
  rejected (AG301, AG202, AG401); `adapter-guard --fix` restores the Hub id
  byte for byte, the adapter still computes the same logits, and the commit
  then passes.
- test_every_method_output_passes: every PeftType of the installed PEFT wraps
  a tiny Llama loaded by its Hub id and saves; what PEFT wrote gets no finding
  at all.  A finding here is a bug in the schemas or checks, never something
  to filter out in this test.

Nothing touches the network: the base model is built from a config, saved to
a folder and laid out as an offline Hub cache.
Run with: python -m pytest tests/e2e_peft_test.py -m peft -q
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os

# Before transformers/huggingface_hub are imported: they read these at import.
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'

import json
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest

from adapter_guard import schemas
from adapter_guard import versions
from tests.e2e_util import build_tiny_llama
from tests.e2e_util import card_metadata
from tests.e2e_util import CONFIG_NAME
from tests.e2e_util import git_commit_with_hooks
from tests.e2e_util import HUB_ID
from tests.e2e_util import ignoring_known_deprecations
from tests.e2e_util import install_pre_commit
from tests.e2e_util import OFFLINE_BASE_LOOKUP
from tests.e2e_util import perturb_lora
from tests.e2e_util import publish_to_hub_cache
from tests.e2e_util import read_config
from tests.e2e_util import recorded_warnings
from tests.e2e_util import rename_warning
from tests.e2e_util import set_base
from tests.e2e_util import TinyLlama
from tests.util import git
from tests.util import peft_dumps

# torch, transformers and peft are imported inside the tests, never at
# collection: `pytest -m "not peft"` must not pay seconds for them, nor need them.
pytestmark = pytest.mark.peft

LINEAR = ['q_proj', 'v_proj']


@pytest.fixture(autouse=True, scope='module')
def peft_stack() -> None:
    """Skip, not fail, where the e2e extra is not installed."""
    for name in ('torch', 'transformers', 'peft'):
        pytest.importorskip(name)


@pytest.fixture(scope='session')
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> TinyLlama:
    return build_tiny_llama(tmp_path_factory.mktemp('tiny-llama'), tmp_path_factory.mktemp('hub-cache'))


@pytest.fixture
def offline_hub(tiny_llama: TinyLlama, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The offline cache as huggingface_hub's default, for PEFT's own Hub look-ups.

    PEFT calls hf_hub_download without a cache_dir: X-LoRA for its adapters,
    and save_pretrained for the base model's config.json (vocab size check).
    """
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tiny_llama.cache))
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    # adapter-guard reads the environment (it never imports huggingface_hub for this): the fit
    # checks (AG7xx) then compare every adapter with the tiny Llama's config.json
    monkeypatch.setenv('HF_HUB_CACHE', str(tiny_llama.cache))
    return tiny_llama.cache


def fixed_input() -> Any:
    import torch

    return torch.arange(8).reshape(1, 8) % 64


# ----------------------------------------------------------------- the seed

def lora_config(**changes: Any) -> Any:
    import peft

    kwargs = dict(
        base_model_name_or_path=HUB_ID, r=4, lora_alpha=8, target_modules=LINEAR, task_type='CAUSAL_LM',
    )
    return peft.LoraConfig(**{**kwargs, **changes})


def test_seed_reproduction(repo: Path, run: Any, tiny_llama: TinyLlama, offline_hub: Path) -> None:
    import peft
    import torch

    pytest.importorskip('pre_commit')
    local = str(tiny_llama.path)
    adapter = repo / 'adapters' / 'tiny-llama-lora'
    config = adapter / CONFIG_NAME
    card = adapter / 'README.md'

    # The adapter as published: trained from the base loaded by its Hub id, so
    # PEFT writes "acme/tiny-llama" in adapter_config.json and in the card.
    with recorded_warnings((OFFLINE_BASE_LOOKUP,)):
        first = peft.get_peft_model(tiny_llama.load_from_hub(), lora_config(lora_dropout=0.0))
        perturb_lora(first, seed=1)
        first.save_pretrained(str(adapter))
    set_base(config, HUB_ID)  # a no-op here; asserts PEFT's formatting
    assert read_config(config)['base_model_name_or_path'] == HUB_ID
    assert card_metadata(card)['base_model'] == HUB_ID
    install_pre_commit(repo)
    git('add', '-A')
    initial = git_commit_with_hooks(repo, 'adapter')
    assert initial.returncode == 0, initial.stdout

    # The user re-trains (a new dropout) from the same base, loaded from a local folder.
    with ignoring_known_deprecations(), pytest.warns(UserWarning, match=rename_warning(HUB_ID, local)):
        retrained = peft.get_peft_model(tiny_llama.load(), lora_config(lora_dropout=0.1))
    perturb_lora(retrained, seed=2)
    retrained.save_pretrained(str(adapter))
    resaved = read_config(config)
    assert resaved['base_model_name_or_path'] == local  # PEFT's silent rewrite
    assert resaved['lora_dropout'] == 0.1
    assert card_metadata(card)['base_model'] == local  # the card too
    git('add', '-A')

    rejected = git_commit_with_hooks(repo, 'retrain')
    assert rejected.returncode != 0, rejected.stdout
    # AG301: the committed Hub id was rewritten; AG202: to a local path; AG401: so was the card.
    for code in ('AG301', 'AG202', 'AG401'):
        assert code in rejected.stdout, rejected.stdout
    assert git('rev-list', '--count', 'HEAD').strip() == '1'

    fixed = run('--fix', config.relative_to(repo))
    assert fixed.code == 1, fixed
    assert config.read_bytes() == peft_dumps({**resaved, 'base_model_name_or_path': HUB_ID}).encode()

    # The fix never damages the adapter: same logits as the model that was saved.
    retrained.eval()
    with torch.no_grad():
        expected = retrained(fixed_input()).logits
        base_only = tiny_llama.load()(fixed_input()).logits
        assert not torch.allclose(expected, base_only), 'the LoRA delta must be non-zero'
        with ignoring_known_deprecations():
            reloaded = peft.PeftModel.from_pretrained(tiny_llama.load(), str(adapter))
        reloaded.eval()
        assert reloaded.peft_config['default'].base_model_name_or_path == HUB_ID
        torch.testing.assert_close(reloaded(fixed_input()).logits, expected)

    git('add', '-A')
    accepted = git_commit_with_hooks(repo, 'retrain')
    assert accepted.returncode == 0, accepted.stdout
    assert 'adapter-guard' in accepted.stdout, accepted.stdout
    assert 'Passed' in accepted.stdout, accepted.stdout
    assert read_config(config)['lora_dropout'] == 0.1
    assert json.loads(git('show', f'HEAD:{config.relative_to(repo).as_posix()}'))['base_model_name_or_path'] == HUB_ID


# ------------------------------------------------------- every PEFT method

PROMPT = dict(task_type='CAUSAL_LM', num_virtual_tokens=4)
TUNER = dict(task_type='CAUSAL_LM', target_modules=LINEAR)

# The fewest arguments each method needs on the tiny Llama (hidden 16,
# intermediate 32, 2 layers).  Defaults sized for 4096-wide models are cut down
# where the tiny Llama rejects them; the error PEFT gives otherwise is noted.
SPECS: dict[str, dict[str, Any]] = {
    # prompt learning
    'PROMPT_TUNING': PROMPT,
    'MULTITASK_PROMPT_TUNING': PROMPT,
    'P_TUNING': PROMPT,
    'PREFIX_TUNING': PROMPT,
    'CARTRIDGE': PROMPT,
    # CPT takes its virtual tokens from cpt_token_ids (num_virtual_tokens = their count)
    'CPT': dict(task_type='CAUSAL_LM', cpt_token_ids=[1, 2, 3, 4], cpt_mask=[1, 1, 1, 1],
                cpt_tokens_type_mask=[1, 2, 2, 3]),
    # LoRA family and other weight tuners on q_proj/v_proj
    'LORA': TUNER,
    'ADALORA': dict(TUNER, total_step=10),  # "AdaLoRA does not work when `total_step` is None"
    'ADAMSS': TUNER,  # needs scikit-learn
    'BEFT': TUNER,
    'BOFT': TUNER,
    'C3A': dict(TUNER, block_size=4),  # default 256 must divide in_features 16
    'DEFT': TUNER,
    'DELORA': TUNER,
    'FOURIERFT': dict(TUNER, n_frequency=32),  # default 1000 > 16*16
    'FROD': TUNER,
    'GLORA': TUNER,
    'GRALORA': TUNER,
    'HIRA': TUNER,
    'HRA': TUNER,
    'IA3': TUNER,
    'LILY': TUNER,
    'LOHA': TUNER,
    'LOKR': TUNER,
    'MISS': dict(TUNER, r=4),  # default 64 > in_features 16
    'OFT': dict(TUNER, oft_block_size=8),  # default 32 > 16: PEFT adjusts it with a warning
    'OSF': TUNER,
    'PEANUT': TUNER,
    'POLY': TUNER,
    'PSOFT': dict(TUNER, r=4),  # default 32 > 16
    'PVERA': TUNER,
    'RANDLORA': TUNER,
    'ROAD': dict(TUNER, group_size=8),  # default 64 must divide out_features 16
    'SHIRA': dict(TUNER, r=2),  # default 32 gives more params than the 16x16 layer has
    'SUPERTUNING': TUNER,
    'TINYLORA': TUNER,
    'UNILORA': TUNER,
    'VBLORA': dict(TUNER, vector_length=8),  # default 256 must divide in_features 16
    'VERA': TUNER,
    'WAVEFT': dict(TUNER, n_frequency=32),  # default 2592 > 16*16
    # methods that target something other than q_proj/v_proj
    'ADAPTION_PROMPT': dict(task_type='CAUSAL_LM', adapter_len=4, adapter_layers=2),  # targets self_attn
    'LN_TUNING': dict(task_type='CAUSAL_LM'),  # the model's layer norms (PEFT's default for llama)
    'SHADOW': dict(task_type='CAUSAL_LM'),  # whole decoder blocks (default: all of them)
    'TRAINABLE_TOKENS': dict(task_type='CAUSAL_LM', target_modules=['embed_tokens'], token_indices=[1, 2, 3]),
    # X-LoRA mixes existing LoRA adapters, named by Hub id (from the offline cache here);
    # it needs the model's use_cache off and the base's hidden size.
    'XLORA': dict(task_type='CAUSAL_LM', hidden_size=16, adapters={'0': 'acme/tiny-llama-lora'}),
}

# Methods that cannot wrap the tiny Llama here: their config's own
# save_pretrained(dir) writes the file instead.  Keep this as small as honesty allows.
FALLBACK: dict[str, str] = {}
if importlib.util.find_spec('sklearn') is None:
    FALLBACK['ADAMSS'] = 'AdaMSS imports scikit-learn (KMeans) when it wraps a model, and it is not installed'

# Warnings PEFT itself emits for a method on the tiny Llama, beyond
# KNOWN_DEPRECATIONS and OFFLINE_BASE_LOOKUP; any other warning fails the test.
METHOD_WARNINGS: dict[str, tuple[tuple[type[Warning], str], ...]] = {
    'BEFT': ((UserWarning, r'base layer has no bias term'),),  # Llama's linears have no bias
    # PEFT's default LN-tuning targets for llama are RMSNorms, which LN tuning does not know
    'LN_TUNING': ((UserWarning, r'Unsupported layer type .*LlamaRMSNorm.* proceed at your own risk'),),
    # BOFT tries to build its CUDA extension, fails on a CPU-only torch, and falls back
    'BOFT': ((UserWarning, r'Failed to load the CUDA extension'),
             (UserWarning, r'Setting boft_n_butterfly_factor to 1')),
}

def _installed_methods() -> list[str]:
    """The methods of the installed PEFT, from the schema index, without importing PEFT.

    test_every_peft_type_is_covered checks them against PEFT's own PeftType.
    """
    index = schemas.peft_index()
    try:
        installed = importlib.metadata.version('peft')
    except importlib.metadata.PackageNotFoundError:  # the tests skip; the ids stay stable
        installed = index['peft-versions'][-1]
    return sorted(
        name for name, entry in index['methods'].items()
        if not versions.newer(entry['since'], installed)
        and (entry['removed'] is None or versions.newer(entry['removed'], installed))
    )


METHODS = _installed_methods()


def test_every_peft_type_is_covered() -> None:
    from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING
    from peft.utils.peft_types import PeftType

    assert sorted(t.value for t in PeftType) == METHODS, 'the schema index and the installed PEFT disagree'
    assert len(METHODS) == len(PEFT_TYPE_TO_CONFIG_MAPPING)
    assert set(SPECS) == set(METHODS), 'a PeftType without an entry in SPECS (or one PEFT no longer has)'
    assert len(SPECS) == len(PeftType)
    assert set(FALLBACK) <= set(SPECS)


def _prepare_xlora(tiny_llama: TinyLlama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: Any) -> None:
    """A LoRA adapter published as 'acme/tiny-llama-lora' in an offline Hub cache
    (beside the base); X-LoRA loads it by that Hub id."""
    import peft

    lora = tmp_path / 'published-lora'
    with recorded_warnings((OFFLINE_BASE_LOOKUP,)):
        sub = peft.get_peft_model(
            tiny_llama.load_from_hub(), peft.LoraConfig(target_modules=LINEAR, r=4, task_type='CAUSAL_LM'))
        sub.save_pretrained(str(lora))
    cache = tmp_path / 'hub-cache'
    publish_to_hub_cache(cache, HUB_ID, tiny_llama.path)
    publish_to_hub_cache(cache, 'acme/tiny-llama-lora', lora)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(cache))
    model.config.use_cache = False  # "`use_cache` must be False"


@pytest.mark.parametrize('peft_type', METHODS)
def test_every_method_output_passes(
        peft_type: str, tiny_llama: TinyLlama, offline_hub: Path, run: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
) -> None:
    import peft
    import torch
    from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING

    monkeypatch.chdir(tmp_path)
    config_class = PEFT_TYPE_TO_CONFIG_MAPPING[peft_type]
    kwargs = SPECS[peft_type]
    out = tmp_path / 'adapter'
    if peft_type in FALLBACK:
        with recorded_warnings(METHOD_WARNINGS.get(peft_type, ())):
            config_class(**kwargs).save_pretrained(str(out))
        assert read_config(out / CONFIG_NAME)['base_model_name_or_path'] is None
    else:
        # The base loaded by its Hub id: PEFT itself writes HUB_ID into
        # adapter_config.json and into the README.md card (loaded from a local
        # folder, every method writes that folder's path instead).
        model = tiny_llama.load_from_hub()
        if peft_type == 'XLORA':
            _prepare_xlora(tiny_llama, tmp_path, monkeypatch, model)
        torch.manual_seed(0)
        with recorded_warnings((OFFLINE_BASE_LOOKUP,) + METHOD_WARNINGS.get(peft_type, ())):
            peft_model = peft.get_peft_model(model, config_class(**kwargs))
            peft_model.save_pretrained(str(out))
        written = read_config(out / CONFIG_NAME)
        assert written['base_model_name_or_path'] == HUB_ID
        assert written['inference_mode'] is True
    assert read_config(out / CONFIG_NAME)['peft_type'] == peft_type

    set_base(out / CONFIG_NAME, HUB_ID)  # asserts PEFT's formatting; a no-op unless FALLBACK
    result = run('check', out, '--no-history', '--format', 'json')
    assert result.findings == [], result
    assert result.code == 0, result
