"""AG401: the README.md model card PEFT writes beside the adapter.

PEFT (>= 0.6) writes the card's ``base_model`` from the base model's own
config on every save, and (>= 0.16) a ``base_model:adapter:<name>`` tag, so a
local path ends up there too and ``push_to_hub`` then fails.  The card is
parsed with huggingface_hub's ModelCard, imported only for adapters that have
a README.md with a metadata block (the import costs about 0.15 s).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

from adapter_guard import files
from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.hub_id import non_ascii
from adapter_guard.jsonload import Document
from adapter_guard.localpath import local_path_reason

CARD = 'README.md'
TAG = 'base_model:adapter:'


def check(document: Document, context: Context) -> Iterator[Finding]:
    card_path = os.path.join(os.path.dirname(document.path), CARD)
    try:
        raw = files.read_regular(card_path, files.MAX_BYTES)
    except files.TooLarge as e:
        yield Finding(
            card_path, 'AG401',
            f'the model card is {e.size:,} bytes, larger than the 1 MiB limit: its metadata was not checked '
            '(PEFT writes a card of a few kB)',
            line=1, column=1,
        )
        return
    except files.NotRegular as e:
        yield Finding(card_path, 'AG401', f'the model card {e}: it was not read', line=1, column=1)
        return
    except OSError:
        return  # no card (or an unreadable one): nothing PEFT wrote to compare
    text = raw.decode('utf-8', errors='replace')
    if not text.startswith('---'):
        return  # no metadata block: nothing PEFT wrote
    base = document.data.get('base_model_name_or_path')
    metadata = _metadata(raw)
    if isinstance(metadata, str):
        yield Finding(card_path, 'AG401', f'the model card metadata is unreadable: {metadata}', line=1, column=1)
        return
    bases = _strings(metadata.get('base_model'))
    tags = [t[len(TAG):] for t in _strings(metadata.get('tags')) if t.startswith(TAG)]
    for value in bases:
        where = _locate(text, rf'^base_model\s*:|^\s*-\s*{re.escape(value)}\s*$', value)
        yield from _compare(card_path, where, f'base_model {value!r}', value, base)
    for value in tags:
        where = _locate(text, re.escape(TAG + value), value)
        yield from _compare(card_path, where, f'tag {TAG + value!r}', value, base)


def _strings(value: object) -> list[str]:
    """A YAML value that should be a string or a list of strings, as that list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _compare(card_path: str, where: tuple[int, int], what: str, value: str, base: object) -> Iterator[Finding]:
    line, column = where
    reason = local_path_reason(value)
    if reason:
        yield Finding(
            card_path, 'AG401',
            f"model card {what} names {reason}: push_to_hub rejects it; use the base model's Hub id",
            line=line, column=column,
        )
    elif isinstance(base, str) and base and value != base:
        # a look-alike prints exactly like the config's id: name the characters that differ
        look_alike = '' if value.isascii() else f' (the card has {non_ascii(value)})'
        yield Finding(
            card_path, 'AG401',
            f'model card {what} disagrees with base_model_name_or_path {base!r} in adapter_config.json{look_alike}',
            line=line, column=column,
        )


def _locate(text: str, pattern: str, value: str) -> tuple[int, int]:
    """Line and column of the value in the metadata block (1:1 if not found)."""
    for number, line in enumerate(text.splitlines(), 1):
        if number > 1 and line.startswith('---'):
            break
        if re.search(pattern, line):
            column = line.find(value)
            return number, (column + 1 if column >= 0 else 1)
    return 1, 1


def _metadata(raw: bytes) -> dict[str, object] | str:
    """The card's metadata, or why it cannot be read, as text.

    Parsed from the bytes already read (never the file again), the way
    ``ModelCard.load`` decodes a file: UTF-8 with an optional BOM, newlines kept.
    """
    import logging

    import yaml
    from huggingface_hub import ModelCard

    logging.getLogger('huggingface_hub').setLevel(logging.ERROR)
    try:
        return ModelCard(raw.decode('utf-8-sig')).data.to_dict()
    except yaml.YAMLError as e:
        return 'not valid YAML: ' + str(e).splitlines()[0]
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        return 'not valid YAML: nested too deeply'
    except (ValueError, TypeError, UnicodeDecodeError) as e:  # huggingface_hub rejects the metadata
        return f'huggingface_hub rejects it ({e})'
