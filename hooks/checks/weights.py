"""AG402: adapter_model.safetensors against the config, from the file's header only.

For LoRA-family methods: every module with weights is selected by
``target_modules`` (or ``target_parameters``), and every entry of a
``target_modules`` list that ``exclude_modules`` leaves in has weights.  For
plain LoRA, the rank dimension of every lora_A / lora_B tensor also equals
``r`` (or the matching ``rank_pattern`` entry).  AdaLoRA's ranks change
while it trains, and block-diagonal (use_bdlora) or other factorised
variants store other shapes, so their ranks are not compared.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from adapter_guard import schemas
from adapter_guard.checks import Context
from adapter_guard.files import NotRegular
from adapter_guard.findings import Finding
from adapter_guard.jsonload import Document
from adapter_guard.lora_tensors import lora_modules
from adapter_guard.lora_tensors import OTHER_SHAPES
from adapter_guard.lora_tensors import WEIGHTS
from adapter_guard.safetensors_header import HeaderError
from adapter_guard.safetensors_header import read_header


def check(document: Document, context: Context) -> Iterator[Finding]:
    data = document.data
    peft_type = data.get('peft_type')
    method = schemas.peft_index()['methods'].get(peft_type) if isinstance(peft_type, str) else None
    if method is None or method['family'] != 'lora':
        return
    path = os.path.join(os.path.dirname(document.path), WEIGHTS)
    if not os.path.exists(path) or os.path.isdir(path):
        return  # no weights here (or git-annex's link to weights not fetched)
    try:
        header = read_header(path)
    except NotRegular as e:
        yield Finding(document.path, 'AG402', f'{WEIGHTS} {e}: it was not read', ())
        return
    except HeaderError as e:
        if 'Git LFS pointer' in str(e):
            return  # not pulled here: nothing to compare
        yield Finding(document.path, 'AG402', f'{WEIGHTS} {e}', ())
        return
    except OSError as e:
        yield Finding(document.path, 'AG402', f'cannot read {WEIGHTS}: {e.strerror or e}', ())
        return
    if data.get('peft_type') == 'LORA' and not any(data.get(k) for k in OTHER_SHAPES):
        yield from _ranks(document, header)
    yield from _targets(document, header)


def _expected_rank(module: str, data: dict[str, Any]) -> object:
    """PEFT's get_pattern_key: the rank_pattern key matching the module name, else r."""
    pattern = data.get('rank_pattern')
    if isinstance(pattern, dict):
        for key, rank in pattern.items():
            if isinstance(key, str) and re.match(rf'(.*\.)?({key})$', module):
                return rank
    return data.get('r')


def _ranks(document: Document, header: dict[str, Any]) -> Iterator[Finding]:
    for module, shapes in sorted(lora_modules(header).items()):
        expected = _expected_rank(module, document.data)
        if not isinstance(expected, int) or isinstance(expected, bool):
            continue  # AG103 already
        for kind, index in (('A', 0), ('B', 1)):
            shape = shapes.get(kind)
            if shape is None or len(shape) <= index:
                continue
            if shape[index] != expected:
                yield Finding(
                    document.path, 'AG402',
                    f'{WEIGHTS}: {module} lora_{kind} has rank {shape[index]} (shape {shape}) but the config '
                    f'says r = {expected}; PEFT fails to load it with a size mismatch',
                    ('r',),
                )
                break


def _selected(module: str, targets: object) -> bool | None:
    """PEFT's check_target_module_exists for a list or a regex; None when unknown."""
    if isinstance(targets, str):
        try:
            return re.fullmatch(targets, module) is not None
        except re.error:
            return None
    if isinstance(targets, list):
        return any(isinstance(t, str) and (module == t or module.endswith('.' + t)) for t in targets)
    return None


def _by_parameter(module: str, parameters: object) -> bool:
    """target_parameters ('mlp.up_proj.weight') put LoRA weights on the parameter's module."""
    if not isinstance(parameters, list):
        return False
    owners = [p.rsplit('.', 1)[0] for p in parameters if isinstance(p, str) and '.' in p]
    return any(module == o or module.endswith('.' + o) for o in owners)


def _targets(document: Document, header: dict[str, Any]) -> Iterator[Finding]:
    targets = document.data.get('target_modules')
    parameters = document.data.get('target_parameters')
    excluded = document.data.get('exclude_modules')
    modules = sorted(lora_modules(header))
    unselected = [m for m in modules if _selected(m, targets) is False and not _by_parameter(m, parameters)]
    if unselected:
        more = f' and {len(unselected) - 3} more' if len(unselected) > 3 else ''
        yield Finding(
            document.path, 'AG402',
            f'{WEIGHTS} has LoRA weights for {", ".join(unselected[:3])}{more}, which target_modules does not '
            'select; PEFT ignores them when it loads the adapter',
            ('target_modules',),
        )
    if isinstance(targets, list) and modules:
        for index, target in enumerate(targets):
            if not isinstance(target, str) or _selected(target, excluded):
                continue  # exclude_modules takes it out again
            if not any(m == target or m.endswith('.' + target) for m in modules):
                yield Finding(
                    document.path, 'AG402',
                    f'target_modules selects {target!r} but {WEIGHTS} has no LoRA weights for it',
                    ('target_modules', index),
                )
