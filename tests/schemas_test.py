"""Tests of the generated PEFT schemas (schemas/) and of scripts/generate_schemas.py.

No network: the schemas are read from the repository, the generator's pure
functions are fed small in-memory sources, and the real-file corpus is read
from ../shared/corpus/public when it exists (skipped otherwise).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / 'schemas'
PEFT_DIR = SCHEMAS / 'peft'
DISPATCH = SCHEMAS / 'adapter_config.schema.json'
CORPUS = Path(__file__).parent.parent.parent / 'shared' / 'corpus' / 'public'


def _load_generator():
    spec = importlib.util.spec_from_file_location('generate_schemas', ROOT / 'scripts' / 'generate_schemas.py')
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules['generate_schemas'] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _json(path: Path):
    return json.loads(path.read_text(encoding='utf-8'))


def _method_schema_files() -> list[Path]:
    return sorted(PEFT_DIR.glob('*.schema.json'))


INDEX = _json(PEFT_DIR / 'index.json')
METHOD_SCHEMAS = {p.name: _json(p) for p in _method_schema_files()}


def _schema_for(peft_type: str) -> dict:
    return METHOD_SCHEMAS[INDEX['methods'][peft_type]['schema']]


def _dispatch_validator() -> Draft202012Validator:
    registry = Registry().with_resources(
        (f'peft/{name}', Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in METHOD_SCHEMAS.items()
    )
    return Draft202012Validator(_json(DISPATCH), registry=registry)


# ---------------------------------------------------------------------------
# The generated files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize('path', [DISPATCH] + _method_schema_files(), ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    Draft202012Validator.check_schema(_json(path))


@pytest.mark.parametrize('path', [DISPATCH, PEFT_DIR / 'index.json'] + _method_schema_files(), ids=lambda p: p.name)
def test_files_are_deterministically_formatted(path: Path) -> None:
    text = path.read_text(encoding='utf-8')
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def test_index_and_schema_files_match() -> None:
    listed = {m['schema'] for m in INDEX['methods'].values()}
    assert listed == set(METHOD_SCHEMAS)
    for peft_type, entry in INDEX['methods'].items():
        schema = METHOD_SCHEMAS[entry['schema']]
        assert entry['schema'] == f'{peft_type.lower()}.schema.json'
        assert schema['x-peft-type'] == peft_type
        assert schema['x-peft-class'] == entry['class']
        assert schema['x-peft-family'] == entry['family']
        assert schema['x-peft-since'] == entry['since']
        assert schema['x-peft-removed'] == entry['removed']
        assert schema['properties']['peft_type']['const'] == peft_type
        assert schema['properties']['peft_type']['x-peft-since'] == entry['since']
        assert schema['additionalProperties'] is False


def test_newest_release_has_at_least_45_methods() -> None:
    current = [t for t, m in INDEX['methods'].items() if m['removed'] is None]
    assert len(current) >= 45
    versions = INDEX['peft-versions']
    assert versions[0] == '0.1.0'
    assert versions == sorted(versions, key=lambda v: tuple(int(x) for x in v.split('.')))


def test_index_task_types() -> None:
    assert INDEX['task-types'] == {
        'CAUSAL_LM': '0.1.0',
        'FEATURE_EXTRACTION': '0.4.0',
        'QUESTION_ANS': '0.4.0',
        'SEQ_2_SEQ_LM': '0.1.0',
        'SEQ_CLS': '0.1.0',
        'TOKEN_CLS': '0.1.0',
    }
    enum = _schema_for('LORA')['properties']['task_type']['enum']
    assert set(enum) == set(INDEX['task-types']) | {None}
    assert enum[-1] is None


# (method, field or None for the method itself, x-peft-since, x-peft-removed)
# taken from shared/reference/peft.md sections 4 and 5 (and the brief).
EXPECTED_HISTORY = [
    ('LORA', None, '0.1.0', None),
    ('LORA', 'use_dora', '0.9.0', None),
    ('LORA', 'layer_replication', '0.10.0', None),
    ('LORA', 'kasa_config', '0.21.0', None),
    ('LORA', 'lora_bias', '0.14.0', None),
    ('LORA', 'peft_version', '0.18.0', None),
    ('LORA', 'revision', '0.4.0', None),
    ('LORA', 'auto_mapping', '0.4.0', None),
    ('LORA', 'use_rslora', '0.8.0', None),
    ('LORA', 'init_lora_weights', '0.3.0', None),
    ('LORA', 'rank_pattern', '0.6.0', None),
    ('LORA', 'megatron_core', '0.7.0', None),
    ('LORA', 'exclude_modules', '0.14.0', None),
    ('LORA', 'corda_config', '0.15.0', None),
    ('LORA', 'use_qalora', '0.16.0', None),
    ('LORA', 'target_parameters', '0.17.0', None),
    ('LORA', 'ensure_weight_tying', '0.18.0', None),
    ('LORA', 'lora_ga_config', '0.19.0', None),
    ('LORA', 'monteclora_config', '0.20.0', None),
    ('LORA', 'runtime_config', '0.12.0', None),
    ('LORA', 'merge_weights', '0.1.0', '0.3.0'),
    ('LORA', 'enable_lora', '0.1.0', '0.3.0'),
    ('OFT', 'rank_pattern', '0.7.0', '0.15.0'),
    ('OFT', 'alpha_pattern', '0.7.0', '0.15.0'),
    ('ADALORA', None, '0.3.0', None),
    ('ADAPTION_PROMPT', None, '0.3.0', None),
    ('IA3', None, '0.4.0', None),
    ('LOHA', None, '0.6.0', None),
    ('OFT', None, '0.7.0', None),
    ('POLY', None, '0.8.0', None),
    ('VERA', None, '0.11.0', None),
    ('XLORA', None, '0.12.0', None),
    ('VBLORA', None, '0.13.0', None),
    ('CPT', None, '0.14.0', None),
    ('BONE', None, '0.14.0', '0.19.0'),
    ('TRAINABLE_TOKENS', None, '0.15.0', None),
    ('MISS', None, '0.17.0', None),
    ('PEANUT', None, '0.19.0', None),
    ('DEFT', None, '0.20.0', None),
    ('SHADOW', None, '0.21.0', None),
    ('SUPERTUNING', None, '0.21.0', None),
    ('LORAPLUS', None, '0.13.0', '0.15.0'),
]


@pytest.mark.parametrize(('method', 'field', 'since', 'removed'), EXPECTED_HISTORY)
def test_history_matches_reference(method: str, field: str | None, since: str, removed: str | None) -> None:
    schema = _schema_for(method)
    if field is None:
        assert (schema['x-peft-since'], schema['x-peft-removed']) == (since, removed)
        assert (INDEX['methods'][method]['since'], INDEX['methods'][method]['removed']) == (since, removed)
    else:
        prop = schema['properties'][field]
        assert (prop['x-peft-since'], prop.get('x-peft-removed')) == (since, removed)


@pytest.mark.parametrize(
    ('method', 'family'),
    (('LORA', 'lora'), ('ADALORA', 'lora'), ('LORAPLUS', 'lora'), ('PROMPT_TUNING', 'prompt-learning'),
     ('P_TUNING', 'prompt-learning'), ('PREFIX_TUNING', 'prompt-learning'), ('CPT', 'prompt-learning'),
     ('MULTITASK_PROMPT_TUNING', 'prompt-learning'), ('IA3', 'other'), ('XLORA', 'other')),
)
def test_family_and_required_policy(method: str, family: str) -> None:
    schema = _schema_for(method)
    assert schema['x-peft-family'] == family
    expected = ['base_model_name_or_path', 'peft_type']
    if family == 'lora':
        expected += ['lora_alpha', 'r', 'target_modules']
    assert schema['required'] == sorted(expected)


def test_overrides_in_lora_schema() -> None:
    props = _schema_for('LORA')['properties']
    assert props['peft_type']['const'] == 'LORA'
    assert props['r']['type'] == 'integer'
    assert props['r']['minimum'] == 1
    assert 'number' in props['lora_alpha']['type']
    assert props['runtime_config']['x-peft-never-written'] is True
    assert _schema_for('ADALORA')['properties']['runtime_config']['x-peft-never-written'] is True
    init = Draft202012Validator(props['init_lora_weights'])
    for ok in (True, False, 'gaussian', 'pissa', 'pissa_niter_16', 'lora_ga', 'mica', 'orthogonal', 'loftq'):
        assert init.is_valid(ok), ok
    for bad in ('pissa_niter_', 'pissa_niter_[number of iters]', 'foo', 1, None):
        assert not init.is_valid(bad), bad
    # OFT's own default is r=0 (rank derived from oft_block_size): 0 is real PEFT output there.
    assert _schema_for('OFT')['properties']['r']['minimum'] == 0


def test_dispatch_schema_with_registry() -> None:
    dispatch = _json(DISPATCH)
    assert dispatch['properties']['peft_type']['enum'] == sorted(INDEX['methods'])
    assert len(dispatch['allOf']) == len(INDEX['methods'])
    validator = _dispatch_validator()
    good = {
        'base_model_name_or_path': 'org/model',
        'peft_type': 'LORA',
        'r': 8,
        'lora_alpha': 16,
        'target_modules': ['q_proj', 'v_proj'],
        'task_type': 'CAUSAL_LM',
    }
    assert list(validator.iter_errors(good)) == []
    assert {e.validator for e in validator.iter_errors({**good, 'r': 0})} == {'minimum'}
    assert {e.validator for e in validator.iter_errors({**good, 'lora_alpha': 16.5})} == set()
    assert {e.validator for e in validator.iter_errors({**good, 'unknown_key': 1})} == {'additionalProperties'}
    assert {e.validator for e in validator.iter_errors({**good, 'task_type': 'causal_lm'})} == {'enum'}
    assert {e.validator for e in validator.iter_errors({**good, 'peft_type': 'DIAG'})} == {'enum'}
    assert {e.validator for e in validator.iter_errors({k: v for k, v in good.items() if k != 'peft_type'})} == {
        'required',
    }
    prompt = {'base_model_name_or_path': None, 'peft_type': 'PROMPT_TUNING', 'num_virtual_tokens': 20}
    assert list(validator.iter_errors(prompt)) == []
    assert {e.validator for e in validator.iter_errors({**prompt, 'r': 8})} == {'additionalProperties'}


def test_dispatch_schema_with_check_jsonschema(tmp_path: Path) -> None:
    """The relative $refs resolve to local files with check-jsonschema (no download)."""
    if importlib.util.find_spec('check_jsonschema') is None:
        pytest.skip('check-jsonschema not installed')
    doc = tmp_path / 'adapter_config.json'
    doc.write_text(json.dumps({'base_model_name_or_path': 'a/b', 'peft_type': 'LORA', 'r': 0,
                               'lora_alpha': 8, 'target_modules': ['q']}))
    proc = subprocess.run(
        [sys.executable, '-m', 'check_jsonschema', '--schemafile', str(DISPATCH), str(doc)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'less than the minimum of 1' in proc.stdout + proc.stderr
    assert 'Unresolvable' not in proc.stdout + proc.stderr


# ---------------------------------------------------------------------------
# Real adapter_config.json files
# ---------------------------------------------------------------------------

# Real files that are genuinely not what any released PEFT writes:
# file -> (expected error keywords, reason)
INVALID_REAL_FILES = {
    '086__huggingface__peft__examples__conditional_generation__bigscience__mt0-large_PeftType.VERA_TaskType'
    '.SEQ_2_SEQ_LM__adapter_config.json': (
        {'additionalProperties'},
        ('init_vera_weights: written by the VeRA pull-request branch (refs/pull/1039, 2023); '
         'no released VeraConfig (0.11.0+) has that field'),
    ),
    '093__huggingface__peft__method_comparison__MetaMathQA__experiments__c3a__llama-3.2-3B-default'
    '__adapter_config.json': (
        {'additionalProperties'},
        ('exclude_modules and fan_in_fan_out: no released C3AConfig has them; keys are not sorted, '
         'so the file was written by hand'),
    ),
    '126__huggingface__peft__method_comparison__MetaMathQA__experiments__unilora__llama-3.2-3B-default'
    '__adapter_config.json': (
        {'additionalProperties'},
        ('exclude_modules: no released UniLoraConfig has it; the file also lacks save_indices and '
         'peft_version, which every release with UNILORA (0.20.0+) writes -> pre-release dev output'),
    ),
}


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob('*.json'))


def _policy_free_errors(schema: dict, doc) -> list:
    """Validation errors, minus 'required' on base_model_name_or_path (our policy, not PEFT's)."""
    return [
        e
        for e in Draft202012Validator(schema).iter_errors(doc)
        if not (e.validator == 'required' and "'base_model_name_or_path'" in e.message)
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason='shared/corpus/public not available')
@pytest.mark.parametrize('path', _corpus_files(), ids=lambda p: p.name[:60])
def test_real_file_validates(path: Path) -> None:
    doc = _json(path)
    peft_type = doc.get('peft_type') if isinstance(doc, dict) else None
    if peft_type not in INDEX['methods']:
        pytest.skip(f'no schema for peft_type {peft_type!r}')
    assert isinstance(peft_type, str)  # every key of INDEX['methods'] is
    errors = _policy_free_errors(_schema_for(peft_type), doc)
    if path.name in INVALID_REAL_FILES:
        keywords, reason = INVALID_REAL_FILES[path.name]
        assert {e.validator for e in errors} == keywords, reason
    else:
        assert not errors, [f'{list(e.absolute_path)}: {e.message}' for e in errors]
    # The dispatching schema agrees with the method schema.
    dispatch_errors = [
        e for e in _dispatch_validator().iter_errors(doc)
        if not (e.validator == 'required' and "'base_model_name_or_path'" in e.message)
    ]
    assert bool(dispatch_errors) == bool(errors)


@pytest.mark.skipif(not CORPUS.is_dir(), reason='shared/corpus/public not available')
def test_no_real_file_writes_an_integer_only_field_as_float() -> None:
    """JSON Schema's "integer" accepts 16.0, so find float-written int fields explicitly.

    A field of an int-only schema whose real value is a JSON float (16.0) needs an
    entry in FLOAT_WRITTEN_INT_FIELDS of the generator (as lora_alpha has).
    """
    offenders = set()
    for path in _corpus_files():
        doc = _json(path)
        if not isinstance(doc, dict) or doc.get('peft_type') not in INDEX['methods']:
            continue
        props = _schema_for(doc['peft_type'])['properties']
        for key, value in doc.items():
            if isinstance(value, float) and key in props:
                types = props[key].get('type', [])
                types = [types] if isinstance(types, str) else types
                if 'integer' in types and 'number' not in types:
                    offenders.add((doc['peft_type'], key))
    assert not offenders


def test_invalid_table_files_exist() -> None:
    if not CORPUS.is_dir():
        pytest.skip('shared/corpus/public not available')
    for name in INVALID_REAL_FILES:
        assert (CORPUS / name).is_file(), name


# ---------------------------------------------------------------------------
# Pure functions of the generator
# ---------------------------------------------------------------------------


def _expr(src: str) -> ast.expr:
    return ast.parse(src, mode='eval').body


@pytest.mark.parametrize(
    ('annotation', 'expected'),
    (
        ('Optional[int]', {'type': ['integer', 'null']}),
        ('Union[list[str], str]', {'type': ['string', 'array'], 'items': {'type': 'string'}}),
        ('Literal["none", "all"]', {'enum': ['none', 'all']}),
        ('bool | Literal["gaussian"]', {'anyOf': [{'type': 'boolean'}, {'enum': ['gaussian']}]}),
        ('dict[str, int]', {'type': 'object'}),
        ('Optional[Union[list[str], str]]', {'type': ['string', 'array', 'null'], 'items': {'type': 'string'}}),
        ('Optional[Literal["a", "b"]]', {'enum': ['a', 'b', None]}),
        ('Union[str, Literal["a"]]', {'type': 'string'}),
        ('bool | Literal["gaussian"] | None',
         {'anyOf': [{'type': ['boolean', 'null']}, {'enum': ['gaussian']}]}),
        ('Optional[Union[int, float]]', {'type': ['number', 'null']}),
        ('Optional[list[tuple[int, int]]]',
         {'type': ['array', 'null'],
          'items': {'type': 'array', 'items': {'type': 'integer'}, 'minItems': 2, 'maxItems': 2}}),
        ('typing.Optional[typing.List[str]]', {'type': ['array', 'null'], 'items': {'type': 'string'}}),
        ('Optional[list]', {'type': ['array', 'null']}),
        ('Any', {}),
        ('torch.dtype', {}),
        ('Optional[SomethingUnknown]', {}),
        ('"Optional[int]"', {'type': ['integer', 'null']}),
        ('float', {'type': 'number'}),
        ('str', {'type': 'string'}),
        ('None', {'type': 'null'}),
    ),
)
def test_annotation_to_schema(annotation: str, expected: dict) -> None:
    assert gen.annotation_to_schema(_expr(annotation)) == expected


def test_annotation_to_schema_uses_resolver() -> None:
    def resolve(node):
        return {'type': 'object'} if getattr(node, 'id', None) == 'LoftQConfig' else None

    assert gen.annotation_to_schema(_expr('Union[LoftQConfig, dict]'), resolve) == {'type': 'object'}
    assert gen.annotation_to_schema(_expr('Optional[LoftQConfig]'), resolve) == {'type': ['object', 'null']}


def test_union_schemas_across_versions() -> None:
    # bias: str in old releases, Literal in new ones -> string
    assert gen.union_schemas([{'type': 'string'}, {'enum': ['none', 'all']}]) == {'type': 'string'}
    # Literal grew over time -> union of values
    assert gen.union_schemas([{'enum': ['a']}, {'enum': ['a', 'b']}]) == {'enum': ['a', 'b']}
    # an unconstrained array wins over a constrained one
    assert gen.union_schemas([{'type': 'array'}, {'type': 'array', 'items': {'type': 'string'}}]) == {'type': 'array'}
    # int | float -> number
    assert gen.union_schemas([{'type': 'integer'}, {'type': 'number'}]) == {'type': 'number'}
    assert gen.union_schemas([{'type': 'integer'}, {}]) == {}


def test_refine_over_time() -> None:
    # a bare list takes the element type another release spells out
    refined = gen.refine_over_time([{'type': ['array', 'null']},
                                    {'type': ['string', 'array'], 'items': {'type': 'string'}}])
    assert refined[0] == {'type': ['array', 'null'], 'items': {'type': 'string'}}
    # str narrowed to a Literal later -> the Literal's values
    assert gen.refine_over_time([{'type': 'string'}, {'enum': ['none', 'all']}, {'enum': ['none', 'all', 'x']}])[0] == {
        'enum': ['none', 'all', 'x']}
    assert gen.refine_over_time([{'type': ['string', 'null']}, {'enum': ['a']}])[0] == {'enum': ['a', None]}
    # a Literal widened to str later stays str
    widened = [{'enum': ['a']}, {'type': 'string'}]
    assert gen.refine_over_time(widened) == widened


def test_skipped_annotations() -> None:
    assert gen.is_skipped_annotation(_expr('ClassVar[int]'))
    assert gen.is_skipped_annotation(_expr('InitVar[int]'))
    assert not gen.is_skipped_annotation(_expr('Optional[int]'))


def test_presence() -> None:
    versions = ['0.1.0', '0.2.0', '0.3.0', '0.4.0']
    assert gen.presence(versions, ['0.1.0', '0.2.0']) == ('0.1.0', '0.3.0', [])
    assert gen.presence(versions, ['0.2.0', '0.3.0', '0.4.0']) == ('0.2.0', None, [])
    assert gen.presence(versions, ['0.1.0', '0.3.0', '0.4.0']) == ('0.1.0', None, ['0.2.0'])


def test_parse_pip_index_output() -> None:
    out = 'peft (0.21.2)\nAvailable versions: 0.21.2, 0.10.0, 0.2.0, 0.0.1\n  INSTALLED: 0.21.2\n'
    assert gen.parse_pip_index_output(out) == ['0.21.2', '0.10.0', '0.2.0', '0.0.1']
    assert gen.sort_versions(['0.10.0', '0.2.0', '0.9.0']) == ['0.2.0', '0.9.0', '0.10.0']


def test_read_sources_from_wheel_and_sdist(tmp_path: Path) -> None:
    import tarfile
    import zipfile

    wheel = tmp_path / 'peft-9.9.9-py3-none-any.whl'
    with zipfile.ZipFile(wheel, 'w') as zf:
        zf.writestr('peft/config.py', 'x = 1\n')
        zf.writestr('peft-9.9.9.dist-info/METADATA', 'Name: peft\n')
    assert gen.read_sources(wheel) == {'peft/config.py': 'x = 1\n'}
    assert gen.find_cached_archive('9.9.9', tmp_path) == wheel

    src = tmp_path / 'src' / 'peft-9.9.8' / 'src' / 'peft'
    src.mkdir(parents=True)
    (src / 'mapping.py').write_text('y = 2\n')
    (src.parent.parent / 'setup.py').write_text('')
    sdist = tmp_path / 'peft-9.9.8.tar.gz'
    with tarfile.open(sdist, 'w:gz') as tf:
        tf.add(tmp_path / 'src' / 'peft-9.9.8', arcname='peft-9.9.8')
    assert gen.read_sources(sdist) == {'peft/mapping.py': 'y = 2\n'}
    assert gen.find_cached_archive('9.9.8', tmp_path) == sdist
    assert gen.find_cached_archive('9.9.7', tmp_path) is None


# A miniature PEFT: old-style mapping for one method, register_peft_method for another.
FAKE_SOURCES = {
    'peft/__init__.py': '',
    'peft/utils/__init__.py': 'from .peft_types import PeftType, TaskType, register_peft_method\n',
    'peft/utils/peft_types.py': (
        "import enum\n"
        "class PeftType(str, enum.Enum):\n    LORA = 'LORA'\n    FOO = 'FOO'\n    PROMPT_TUNING = 'PROMPT_TUNING'\n"
        "class TaskType(str, enum.Enum):\n    CAUSAL_LM = 'CAUSAL_LM'\n"
        "def register_peft_method(*, name, config_cls, model_cls=None):\n    pass\n"
    ),
    'peft/config.py': (
        "from dataclasses import dataclass, field\nfrom typing import Optional, Union\n"
        "from .utils import PeftType, TaskType\n"
        "@dataclass\nclass PeftConfigMixin:\n"
        "    peft_type: Optional[PeftType] = field(default=None, metadata={'help': 'The type'})\n"
        "@dataclass\nclass PeftConfig(PeftConfigMixin):\n"
        "    base_model_name_or_path: str = field(default=None, metadata={'help': 'Base ' + 'model'})\n"
        "    task_type: Union[str, TaskType] = None\n"
        "    inference_mode: bool = False\n"
        "@dataclass\nclass PromptLearningConfig(PeftConfig):\n    num_virtual_tokens: int = None\n"
    ),
    'peft/tuners/__init__.py': ('from .lora import LoraConfig\nfrom .foo import FooConfig\n'
                                'from .prompt import PromptConfig\n'),
    'peft/tuners/lora/__init__.py': 'from .config import LoraConfig, LoftQConfig\n',
    'peft/tuners/lora/config.py': (
        "from dataclasses import dataclass, field\nfrom typing import ClassVar, Literal, Optional, Union\n"
        "from peft.config import PeftConfig\n"
        "@dataclass\nclass LoftQConfig:\n    loftq_bits: int = 4\n"
        "@dataclass\nclass LoraConfig(PeftConfig):\n"
        "    prefix: ClassVar[str] = 'lora_'\n"
        "    r: int = field(default=8, metadata={'help': 'rank'})\n"
        "    bias: Literal['none', 'all'] = 'none'\n"
        "    loftq_config: Union[LoftQConfig, dict] = field(default_factory=dict)\n"
        "    def __post_init__(self):\n        self.peft_type = 'LORA'\n"
    ),
    'peft/tuners/foo/__init__.py': (
        "from peft.utils import register_peft_method\nfrom .config import FooConfig\n"
        "register_peft_method(name='foo', config_cls=FooConfig)\n"
    ),
    'peft/tuners/foo/config.py': (
        "from dataclasses import dataclass\nfrom typing import Literal, Optional\n"
        "from ..lora import LoraConfig\n"
        "Mode = Literal['x', 'y']\n"
        "@dataclass\nclass FooConfig(LoraConfig):\n    mode: Optional[Mode] = None\n"
    ),
    'peft/tuners/prompt.py': (
        "from dataclasses import dataclass\nfrom peft.config import PromptLearningConfig\n"
        "@dataclass\nclass PromptConfig(PromptLearningConfig):\n    text: str = 'hi'\n"
    ),
    'peft/mapping.py': (
        "from .tuners import LoraConfig, PromptConfig\n"
        "PEFT_TYPE_TO_CONFIG_MAPPING = {'LORA': LoraConfig, 'PROMPT_TUNING': PromptConfig}\n"
    ),
}


def test_analyze_version_on_fake_sources() -> None:
    info = gen.analyze_version('9.9.9', FAKE_SOURCES)
    assert info.peft_types == ['LORA', 'FOO', 'PROMPT_TUNING']
    assert info.task_types == ['CAUSAL_LM']
    assert {t: m.class_name for t, m in info.methods.items()} == {
        'LORA': 'LoraConfig', 'FOO': 'FooConfig', 'PROMPT_TUNING': 'PromptConfig'}
    assert {t: m.family for t, m in info.methods.items()} == {
        'LORA': 'lora', 'FOO': 'lora', 'PROMPT_TUNING': 'prompt-learning'}
    lora = info.methods['LORA'].fields
    assert list(lora) == ['peft_type', 'base_model_name_or_path', 'task_type', 'inference_mode', 'r', 'bias',
                          'loftq_config']  # ClassVar skipped, inherited fields first
    assert lora['loftq_config'].schema == {'type': 'object'}
    assert lora['base_model_name_or_path'].help == 'Base model'
    assert (lora['r'].has_default, lora['r'].default, lora['r'].help) == (True, 8, 'rank')
    foo = info.methods['FOO'].fields
    assert foo['mode'].schema == {'enum': ['x', 'y', None]}  # module-level Literal alias resolved
    assert 'r' in foo
    assert 'num_virtual_tokens' in info.methods['PROMPT_TUNING'].fields


def test_merge_and_build_on_fake_versions(tmp_path: Path) -> None:
    old = dict(FAKE_SOURCES)
    old['peft/tuners/lora/config.py'] = old['peft/tuners/lora/config.py'].replace(
        "    bias: Literal['none', 'all'] = 'none'\n", "    bias: str = 'none'\n    merge_weights: bool = False\n")
    infos = [gen.analyze_version('1.0.0', old), gen.analyze_version('1.1.0', FAKE_SOURCES)]
    versions, task_since, methods = gen.merge_versions(infos)
    assert versions == ['1.0.0', '1.1.0']
    lora = methods['LORA']
    assert (lora.fields['merge_weights'].since, lora.fields['merge_weights'].removed) == ('1.0.0', '1.1.0')
    gen.write_outputs(tmp_path, versions, task_since, methods)
    schema = _json(tmp_path / 'peft' / 'lora.schema.json')
    Draft202012Validator.check_schema(schema)
    props = schema['properties']
    assert props['bias']['enum'] == ['none', 'all']  # str in 1.0.0 narrowed to a Literal in 1.1.0
    assert props['r'] == {'default': 8, 'description': 'rank', 'minimum': 1, 'type': 'integer',
                          'x-peft-since': '1.0.0'}
    assert props['base_model_name_or_path']['type'] == ['string', 'null']  # `str = None`
    assert props['task_type']['enum'] == ['CAUSAL_LM', None]
    assert schema['required'] == ['base_model_name_or_path', 'peft_type', 'r']  # no lora_alpha/target_modules here
    index = _json(tmp_path / 'peft' / 'index.json')
    assert set(index['methods']) == {'LORA', 'FOO', 'PROMPT_TUNING'}
    first = {p: p.read_text() for p in tmp_path.rglob('*.json')}
    gen.write_outputs(tmp_path, versions, task_since, methods)
    assert first == {p: p.read_text() for p in tmp_path.rglob('*.json')}  # regeneration gives no diff
