"""AG101-AG104: the config against the schema generated from PEFT itself."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from adapter_guard import minischema
from adapter_guard import schemas
from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.findings import show
from adapter_guard.jsonload import Document

WHY_REQUIRED = {
    'base_model_name_or_path': 'loaders read it to know which base model to load',
    'r': 'PEFT silently uses 8 and loading the weights then fails on a shape mismatch',
    'lora_alpha': 'PEFT silently uses 8, which changes the scaling lora_alpha / r',
    'target_modules': 'PEFT then guesses the modules from the model type, and vLLM rejects the adapter',
}


def closest(word: str, choices: list[str]) -> str | None:
    """Case-insensitive match first ('lora' -> 'LORA'), then the nearest spelling."""
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    import difflib  # only for a value that is wrong

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    return close[0] if close else None


def _hint(suggestion: str | None) -> str:
    return f" (did you mean '{suggestion}'?)" if suggestion else ''


def check(document: Document, context: Context) -> Iterator[Finding]:
    data = document.data
    path = document.path
    if 'peft_type' not in data:
        yield Finding(
            path, 'AG101', 'peft_type is missing: PEFT cannot tell which method this is and fails to load it',
        )
        return
    peft_type = data['peft_type']
    methods = schemas.peft_index()['methods']
    if not isinstance(peft_type, str) or peft_type not in methods:
        suggestion = closest(peft_type, list(methods)) if isinstance(peft_type, str) else None
        yield Finding(
            path, 'AG101', f'peft_type {peft_type!r} is not a PEFT method{_hint(suggestion)}',
            ('peft_type',),
        )
        return
    schema = schemas.method_schema(peft_type)
    assert schema is not None
    reported = set()
    for error in validation_errors(data, schema):
        if error.pointer in reported and error.keyword != 'required':
            continue
        reported.add(error.pointer)
        yield _finding(path, error, schema, _value_at(data, error.pointer))


def validation_errors(data: dict[str, Any], schema: dict[str, Any]) -> list[minischema.SchemaError]:
    try:
        return minischema.validate(data, schema)
    except minischema.Unsupported:
        return _jsonschema_errors(data, schema)


def _jsonschema_errors(data: dict[str, Any], schema: dict[str, Any]) -> list[minischema.SchemaError]:
    """The reference validator, for a schema outside minischema's subset."""
    import jsonschema

    errors = []
    for error in jsonschema.Draft202012Validator(schema).iter_errors(data):
        pointer = tuple(error.absolute_path)
        if error.validator == 'required':
            key = re.match(r"'(.*)' is a required property", error.message)
            errors.append(minischema.SchemaError(pointer, 'required', error.message, key and key.group(1)))
        elif error.validator == 'additionalProperties':
            known = error.schema.get('properties', {})
            errors.extend(
                minischema.SchemaError(pointer + (key,), 'additionalProperties', f'unknown key {key!r}', key)
                for key in error.instance if key not in known
            )
        else:
            errors.append(minischema.SchemaError(pointer, str(error.validator), error.message))
    return errors


def _value_at(data: Any, pointer: tuple[str | int, ...]) -> Any:
    for part in pointer:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _finding(path: str, error: minischema.SchemaError, schema: dict[str, Any], value: Any) -> Finding:
    if error.keyword == 'required':
        key = error.detail
        why = WHY_REQUIRED.get(key)
        return Finding(
            path, 'AG102', f'required key {key!r} is missing' + (f': {why}' if why else ''),
            error.pointer, 'object',
        )
    if error.keyword == 'additionalProperties':
        key = error.detail
        known = list(schema.get('properties', {})) if len(error.pointer) == 1 else []
        import difflib  # only for a key that is unknown

        suggestion = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        return Finding(
            path, 'AG104',
            f'unknown key {key!r} for {schema.get("x-peft-class", "this method")} in every PEFT version'
            f'{_hint(suggestion[0] if suggestion else None)}; PEFT drops it with only a warning and '
            'uses the default',
            error.pointer, 'key',
        )
    message = f'{show(error.pointer)}: {error.message}'
    if error.keyword == 'enum' and isinstance(value, str):
        message += _hint(closest(value, [c for c in error.detail if isinstance(c, str)]))
    return Finding(path, 'AG103', message, error.pointer)
