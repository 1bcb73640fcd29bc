"""minischema (the fast path) finds the same errors as jsonschema (the reference)."""
from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapter_guard import minischema
from adapter_guard import schemas
from tests.util import CORPUS
from tests.util import LORA

CONFIGS = [json.loads(p.read_text()) for p in sorted((CORPUS / 'public').glob('*.json'))] or [LORA]
METHODS = schemas.peft_index()['methods']

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(['', 'none', 'all', 'LORA', 'CAUSAL_LM', 'gaussian', 'pissa_niter_4', 'q_proj', '8']),
    lambda inner: (st.lists(inner, max_size=3)
                   | st.dictionaries(st.sampled_from(['a', 'r', 'q_proj']), inner, max_size=3)),
    max_leaves=6,
)


def _normalise(errors: list[tuple[tuple[Any, ...], str]]) -> set[tuple[tuple[Any, ...], str]]:
    # jsonschema reports all unknown keys (and bad key names) as one error on the
    # object; minischema reports one per key
    return {(p[:-1], k) if k in ('additionalProperties', 'propertyNames') else (p, k) for p, k in errors}


def reference(data: Any, schema: dict[str, Any]) -> set[tuple[tuple[Any, ...], str]]:
    validator = jsonschema.Draft202012Validator(schema)
    return _normalise([
        (tuple(e.absolute_path) + ('?',), 'propertyNames') if 'propertyNames' in e.schema_path
        else (tuple(e.absolute_path), str(e.validator))
        for e in validator.iter_errors(data)
    ])


def fast(data: Any, schema: dict[str, Any]) -> set[tuple[tuple[Any, ...], str]]:
    return _normalise([(e.pointer, e.keyword) for e in minischema.validate(data, schema)])


@pytest.mark.parametrize('peft_type', sorted(METHODS))
def test_every_schema_is_in_the_subset(peft_type: str) -> None:
    schema = schemas.method_schema(peft_type)
    assert schema is not None
    minischema.validate({}, schema)  # raises Unsupported otherwise


def test_policy_schema_is_in_the_subset() -> None:
    minischema.validate({'overrides': [{'paths': ['x'], 'severity': {'AG1': 'off'}}]},
                        schemas.load('policy.schema.json'))


@pytest.mark.parametrize('index', range(len(CONFIGS)))
def test_agrees_on_real_configs(index: int) -> None:
    data = CONFIGS[index]
    schema = schemas.method_schema(data.get('peft_type')) if isinstance(data.get('peft_type'), str) else None
    if schema is None:
        pytest.skip('not a known peft_type')
    assert fast(data, schema) == reference(data, schema)


@settings(max_examples=400, deadline=None)
@given(
    config=st.sampled_from(CONFIGS),
    peft_type=st.sampled_from(sorted(METHODS)),
    edits=st.lists(st.tuples(st.sampled_from(['delete', 'set', 'add']), st.integers(0, 60), json_values), max_size=4),
)
def test_agrees_on_mutated_configs(config: dict[str, Any], peft_type: str, edits: list[Any]) -> None:
    data = dict(config)
    schema = schemas.method_schema(peft_type)
    assert schema is not None
    keys = sorted(schema['properties'])
    for op, index, value in edits:
        key = keys[index % len(keys)]
        if op == 'delete':
            data.pop(key, None)
        elif op == 'set':
            data[key] = value
        else:
            data[f'{key}_extra'] = value
    assert fast(data, schema) == reference(data, schema)


def test_policy_schema_agrees() -> None:
    schema = schemas.load('policy.schema.json')
    policy: dict[str, Any]
    for policy in (
        {}, {'allow': 'x'}, {'allow': [1]}, {'alow': []}, {'severity': {'XX': 'error'}},
        {'severity': {'AG1': 'loud'}}, {'overrides': [{'allow': []}]}, {'accept': [{'path': 'a'}]},
        {'peft-version': '0.x'}, {'on-missing-history': 'maybe'},
    ):
        assert fast(policy, schema) == reference(policy, schema), policy


def test_falls_back_to_jsonschema_outside_the_subset() -> None:
    with pytest.raises(minischema.Unsupported):
        minischema.validate({'a': 1}, {'type': 'object', 'oneOf': [{}]})
