"""A small JSON Schema validator for the keywords our own schemas use.

Importing ``jsonschema`` costs more than a whole run of this tool on one
file, and our schemas (generated from PEFT, plus the policy schema) use only
the keywords below.  ``validate`` follows JSON Schema 2020-12 semantics for
them and raises ``Unsupported`` on any other keyword, so a schema that grows
beyond the subset is validated by ``jsonschema`` instead (see
``adapter_guard.checks.schema``).  tests/minischema_test.py checks on real
and mutated configs that both validators find the same errors.

Errors come out as data with human messages ("expected an integer >= 1, got
'8' (a string)") instead of jsonschema's repr-style ones.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from typing import NamedTuple

from adapter_guard.findings import Pointer
from adapter_guard.jsonload import json_type

ANNOTATIONS = frozenset((
    '$schema', '$id', '$comment', 'title', 'description', 'default', 'examples',
    '$defs', 'deprecated',
))
KEYWORDS = frozenset((
    'type', 'enum', 'const', 'minimum', 'maximum', 'pattern', 'minLength',
    'items', 'minItems', 'maxItems', 'properties', 'required', 'additionalProperties', 'propertyNames',
    'anyOf', '$ref',
))


class Unsupported(Exception):
    pass


class SchemaError(NamedTuple):
    pointer: Pointer
    keyword: str
    message: str
    # required / additionalProperties: the key concerned; enum: the choices
    detail: Any = None


_NAMES = {
    'integer': 'an integer', 'number': 'a number', 'string': 'a string',
    'boolean': 'a boolean', 'array': 'an array', 'object': 'an object', 'null': 'null',
}


def is_type(value: object, name: str) -> bool:
    return _type_check((name,))(value)


def describe(schema: dict[str, Any], root: dict[str, Any] | None = None) -> str:
    """What a schema accepts, in words: 'an integer >= 1', 'one of 'none', 'all''."""
    schema = _deref(schema, root or schema)
    if 'anyOf' in schema:
        return _either([describe(branch, root) for branch in schema['anyOf']])
    if 'const' in schema:
        return repr(schema['const'])
    if 'enum' in schema:
        return _choices(schema['enum'])
    types = schema.get('type')
    if types is None:
        return 'any value'
    names = [types] if isinstance(types, str) else list(types)
    words = []
    for name in names:
        word = _NAMES.get(name, name)
        if name in ('integer', 'number') and 'minimum' in schema:
            word += f" >= {schema['minimum']}"
        if name == 'string' and 'pattern' in schema:
            word += f" matching {schema['pattern']}"
        if name == 'array' and isinstance(schema.get('items'), dict) and schema['items']:
            word += ' of ' + _plural(describe(schema['items'], root))
        words.append(word)
    return _either(words)


def _plural(phrase: str) -> str:
    for article in ('an ', 'a '):
        if phrase.startswith(article):
            return phrase[len(article):] + 's'
    return phrase


def _choices(values: list[Any]) -> str:
    shown = ', '.join('null' if v is None else repr(v) for v in values[:12])
    more = f' (and {len(values) - 12} more)' if len(values) > 12 else ''
    return f'one of {shown}{more}'


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ', '.join(words[:-1]) + ' or ' + words[-1]


def got(value: object) -> str:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + '...'
    kind = json_type(value)
    return shown if kind in ('null',) else f'{shown} ({kind})'


def _deref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while '$ref' in schema:
        ref = schema['$ref']
        if not ref.startswith('#/'):
            raise Unsupported(f'$ref {ref!r}')
        target: Any = root
        for part in ref[2:].split('/'):
            target = target[part]
        schema = target
    return schema


def validate(value: Any, schema: dict[str, Any]) -> list[SchemaError]:
    # Most documents are valid: a compiled yes/no check first, the detailed
    # walk that explains the errors only when there are some.
    if _compiled(schema, schema)(value):
        return []
    return list(_errors(value, schema, (), schema))


Check = Callable[[Any], bool]
_COMPILED: dict[int, tuple[dict[str, Any], Check]] = {}


def _compiled(schema: dict[str, Any] | bool, root: dict[str, Any]) -> Check:
    """A function that tells whether a value is valid, built once per schema."""
    if isinstance(schema, bool):
        return (lambda value: True) if schema else (lambda value: False)
    cached = _COMPILED.get(id(schema))
    if cached is None:
        cached = _COMPILED[id(schema)] = (schema, _compile(_deref(schema, root), root))
    return cached[1]


def _compile(schema: dict[str, Any], root: dict[str, Any]) -> Check:
    _check_supported(schema)  # once per schema: _compiled caches the result
    checks: list[Check] = []
    if 'anyOf' in schema:
        branches = [_compiled(b, root) for b in schema['anyOf']]
        checks.append(lambda v: any(branch(v) for branch in branches))
    if 'type' in schema:
        names = [schema['type']] if isinstance(schema['type'], str) else list(schema['type'])
        checks.append(_type_check(tuple(names)))
    if 'const' in schema:
        const = schema['const']
        checks.append(lambda v: _equal(v, const))
    if 'enum' in schema:
        choices = schema['enum']
        checks.append(lambda v: any(_equal(v, c) for c in choices))
    if 'minimum' in schema:
        low = schema['minimum']
        checks.append(lambda v: not _is_number(v) or v >= low)
    if 'maximum' in schema:
        high = schema['maximum']
        checks.append(lambda v: not _is_number(v) or v <= high)
    if 'pattern' in schema:
        pattern = re.compile(schema['pattern'])
        checks.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if 'minLength' in schema:
        length = schema['minLength']
        checks.append(lambda v: not isinstance(v, str) or len(v) >= length)
    if 'minItems' in schema:
        fewest = schema['minItems']
        checks.append(lambda v: not isinstance(v, list) or len(v) >= fewest)
    if 'maxItems' in schema:
        most = schema['maxItems']
        checks.append(lambda v: not isinstance(v, list) or len(v) <= most)
    if 'items' in schema:
        item = _compiled(schema['items'], root)
        checks.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    if {'properties', 'required', 'additionalProperties', 'propertyNames'} & schema.keys():
        checks.append(_compile_object(schema, root))
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    'null': (type(None),), 'boolean': (bool,), 'integer': (int,), 'number': (int, float),
    'string': (str,), 'array': (list,), 'object': (dict,),
}


@functools.cache
def _type_check(names: tuple[str, ...]) -> Check:
    """Is a value of any of the JSON types ``names``: one set lookup (parsed JSON has exact types)."""
    for name in names:
        if name not in _PYTHON_TYPES:
            raise Unsupported(f'type {name!r}')
    allowed = frozenset(t for name in names for t in _PYTHON_TYPES[name])
    whole_floats = 'integer' in names and 'number' not in names  # 16.0 is an integer

    def check(value: Any) -> bool:
        kind = type(value)
        return kind in allowed or (whole_floats and kind is float and value.is_integer())
    return check


_is_number = _type_check(('number',))


def _compile_object(schema: dict[str, Any], root: dict[str, Any]) -> Check:
    properties = {key: _compiled(sub, root) for key, sub in schema.get('properties', {}).items()}
    required = tuple(schema.get('required', ()))
    extra = schema.get('additionalProperties', True)
    extra_check = None if isinstance(extra, bool) else _compiled(extra, root)
    names = _compiled(schema['propertyNames'], root) if 'propertyNames' in schema else None

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        if any(key not in value for key in required):
            return False
        for key, item in value.items():
            if names is not None and not names(key):
                return False
            sub = properties.get(key)
            if sub is not None:
                if not sub(item):
                    return False
            elif extra is False or (extra_check is not None and not extra_check(item)):
                return False
        return True
    return check


def _errors(
        value: Any, schema: dict[str, Any] | bool, pointer: Pointer, root: dict[str, Any],
) -> Iterator[SchemaError]:
    if schema is True:
        return
    if schema is False:
        yield SchemaError(pointer, 'false', 'no value is allowed here')
        return
    schema = _deref(schema, root)  # compiled already, so every keyword here is supported

    if 'anyOf' in schema:
        if not any(not list(_errors(value, branch, pointer, root)) for branch in schema['anyOf']):
            yield SchemaError(pointer, 'anyOf', f'expected {describe(schema, root)}, got {got(value)}')
    types = schema.get('type')
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(is_type(value, name) for name in names):
            yield SchemaError(pointer, 'type', f'expected {describe(schema, root)}, got {got(value)}')
    if 'const' in schema and not _equal(value, schema['const']):
        yield SchemaError(pointer, 'const', f"must be {schema['const']!r}, got {got(value)}")
    if 'enum' in schema and not any(_equal(value, choice) for choice in schema['enum']):
        yield SchemaError(
            pointer, 'enum', f"expected {_choices(schema['enum'])}, got {got(value)}", schema['enum'],
        )
    if is_type(value, 'number'):
        if 'minimum' in schema and value < schema['minimum']:
            yield SchemaError(pointer, 'minimum', f'expected {describe(schema, root)}, got {got(value)}')
        if 'maximum' in schema and value > schema['maximum']:
            yield SchemaError(pointer, 'maximum', f"must be <= {schema['maximum']}, got {got(value)}")
    if isinstance(value, str):
        if 'pattern' in schema and re.search(schema['pattern'], value) is None:
            yield SchemaError(pointer, 'pattern', f"must match {schema['pattern']}, got {got(value)}")
        if 'minLength' in schema and len(value) < schema['minLength']:
            yield SchemaError(pointer, 'minLength', f"must be at least {schema['minLength']} characters")
    if isinstance(value, list) and 'minItems' in schema and len(value) < schema['minItems']:
        yield SchemaError(pointer, 'minItems', f"expected at least {schema['minItems']} items, got {len(value)}")
    if isinstance(value, list) and 'maxItems' in schema and len(value) > schema['maxItems']:
        yield SchemaError(pointer, 'maxItems', f"expected at most {schema['maxItems']} items, got {len(value)}")
    if isinstance(value, list) and 'items' in schema:
        for index, item in enumerate(value):
            yield from _errors(item, schema['items'], pointer + (index,), root)
    if isinstance(value, dict):
        yield from _object_errors(value, schema, pointer, root)


def _check_supported(schema: dict[str, Any]) -> None:
    for keyword in schema:
        if keyword not in KEYWORDS and keyword not in ANNOTATIONS and not keyword.startswith('x-'):
            raise Unsupported(keyword)


def _object_errors(
        value: dict[str, Any], schema: dict[str, Any], pointer: Pointer, root: dict[str, Any],
) -> Iterator[SchemaError]:
    properties = schema.get('properties', {})
    for key in schema.get('required', ()):
        if key not in value:
            yield SchemaError(pointer, 'required', f'required key {key!r} is missing', key)
    if 'propertyNames' in schema:
        for key in value:
            for error in _errors(key, schema['propertyNames'], pointer + (key,), root):
                yield error._replace(keyword='propertyNames', message=f'key {key!r}: {error.message}')
    extra = schema.get('additionalProperties', True)
    for key, item in value.items():
        if key in properties:
            yield from _errors(item, properties[key], pointer + (key,), root)
        elif extra is False:
            yield SchemaError(pointer + (key,), 'additionalProperties', f'unknown key {key!r}', key)
        elif extra is not True:
            yield from _errors(item, extra, pointer + (key,), root)


def _equal(a: object, b: object) -> bool:
    """JSON equality: True is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b
