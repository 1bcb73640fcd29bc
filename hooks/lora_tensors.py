"""The tensors PEFT saves in adapter_model.safetensors, grouped by the base model's module.

Names as PEFT writes them: ``base_model.model.<module>.lora_A.weight`` (shape
[r, in]), ``.lora_B.weight`` ([out, r]), ``.lora_embedding_A`` ([r, tokens]) and
``.lora_embedding_B`` ([width, r]); whole weights of ``modules_to_save`` and
saved embedding layers as ``base_model.model.<module>.weight`` (or
``.base_layer.weight``).  ``<module>`` is the base model's own module name.
"""
from __future__ import annotations

import re
from typing import Any

WEIGHTS = 'adapter_model.safetensors'
_PREFIX = 'base_model.model.'
# LoRA variants whose factors are not plain [r, in] / [out, r] matrices
OTHER_SHAPES = ('use_bdlora', 'velora_config', 'monteclora_config', 'kasa_config')
_LORA = re.compile(r'^(?P<module>.+)\.lora_(?P<kind>A|B|embedding_A|embedding_B)(?:\.[^.]+)?(?:\.weight)?$')
# PEFT's wrappers around a module whose whole weight is saved
_WRAPPERS = re.compile(r'\.(?:base_layer|original_module|modules_to_save(?:\.[^.]+)?)$')


def module_name(name: str) -> str:
    return name[len(_PREFIX):] if name.startswith(_PREFIX) else name


def lora_modules(header: dict[str, Any]) -> dict[str, dict[str, list[int]]]:
    """module name -> {'A': shape, 'B': shape} for every LoRA tensor (embedding factors too)."""
    modules: dict[str, dict[str, list[int]]] = {}
    for name, info in header.items():
        match = _LORA.match(name)
        if match:
            kind = match.group('kind').replace('embedding_', '')
            modules.setdefault(module_name(match.group('module')), {})[kind] = info['shape']
    return modules


def whole_weights(header: dict[str, Any]) -> dict[str, list[int]]:
    """module name -> shape of every whole weight (modules_to_save, saved embeddings)."""
    weights = {}
    for name, info in header.items():
        if name.endswith('.weight') and not _LORA.match(name) and '.lora_' not in name:
            weights[_WRAPPERS.sub('', module_name(name[:-len('.weight')]))] = info['shape']
    return weights
