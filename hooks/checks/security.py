"""AG501-AG502: fields that make a loader import code or read local files."""
from __future__ import annotations

from collections.abc import Iterator

from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.jsonload import Document
from adapter_guard.localpath import local_path_reason

# PEFT >= 0.20 (PR #3090) imports only these; older versions import anything.
IMPORT_ALLOWLIST = ('transformers', 'diffusers', 'lerobot', 'megatron-core')


def _allowed(module: str, allowlist: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + '.') for name in allowlist)


def check(document: Document, context: Context) -> Iterator[Finding]:
    data, path = document.data, document.path
    auto_mapping = data.get('auto_mapping')
    if isinstance(auto_mapping, dict):
        library = auto_mapping.get('parent_library')
        if isinstance(library, str) and not _allowed(library, IMPORT_ALLOWLIST):
            yield Finding(
                path, 'AG501',
                f'auto_mapping.parent_library {library!r} is outside {", ".join(IMPORT_ALLOWLIST)}: '
                'PEFT < 0.20 imports it when AutoPeftModel loads this adapter',
                ('auto_mapping', 'parent_library'),
            )
    megatron = data.get('megatron_core')
    if isinstance(megatron, str) and not _allowed(megatron, ('megatron',)):
        yield Finding(
            path, 'AG501',
            f"megatron_core {megatron!r} is outside the 'megatron.' package: PEFT < 0.20 imports it",
            ('megatron_core',),
        )
    yield from _local_paths(document)


def _local_paths(document: Document) -> Iterator[Finding]:
    data, path = document.data, document.path
    tokenizer = data.get('tokenizer_name_or_path')
    if isinstance(tokenizer, str) and tokenizer:
        reason = local_path_reason(tokenizer)
        if reason:
            yield Finding(
                path, 'AG502', f'tokenizer_name_or_path {tokenizer!r} is {reason}',
                ('tokenizer_name_or_path',),
            )
    adapters = data.get('adapters')
    if isinstance(adapters, dict):
        for name, location in adapters.items():
            reason = local_path_reason(location) if isinstance(location, str) else None
            if reason:
                yield Finding(
                    path, 'AG502', f'X-LoRA adapter {name!r} points at {location!r}, {reason}',
                    ('adapters', name),
                )
    corda = data.get('corda_config')
    if isinstance(corda, dict):
        for key in ('cache_file', 'covariance_file'):
            location = corda.get(key)
            if isinstance(location, str) and location:
                yield Finding(
                    path, 'AG502',
                    f'corda_config.{key} {location!r} is a file on the training machine',
                    ('corda_config', key),
                )
