"""Do an adapter's tensors fit a base model's modules?  Shapes only, from the safetensors header.

A LoRA pair on a module is lora_A [r, inputs] and lora_B [outputs, r]; a
whole weight (modules_to_save) is [outputs, inputs] for a linear layer,
[tokens, width] for an embedding and [inputs, outputs] for GPT-2's Conv1D.
Module names are matched as PEFT saved them (the wrapped model's own names),
then by suffix, for a model wrapped in another module.  A module in a layer
the base model does not have (layer 39 of a 32-layer model) does not fit; a
name the architecture has nowhere is left to AG402 and AG702.  PEFT puts a
LoRA pair on the targeted module of every layer, so when nothing in the
config picks layers (``every_layer``), weights for fewer layers than the base
model has come from a shallower model.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from typing import NamedTuple

from adapter_guard.lora_tensors import lora_modules
from adapter_guard.lora_tensors import whole_weights
from adapter_guard.module_shapes import Architecture
from adapter_guard.module_shapes import Dim
from adapter_guard.module_shapes import Module

_SHAPED = ('linear', 'embedding', 'conv1d')
_INDEX = re.compile(r'\.(\d+)(?=\.|$)')


class Misfit(NamedTuple):
    module: str  # as the adapter names it (for 'coverage': the layers' container in the base model)
    tensor: str  # 'lora_A', 'lora_B', 'weight', 'layer' (one the base lacks) or 'coverage' (fewer layers)
    side: str  # 'inputs' or 'outputs' ('' for a layer)
    got: int  # a size; the layer's index; the number of layers covered
    expected: Dim  # for 'layer' and 'coverage': Dim(number of layers, 'model.layers.0-31')

    @property
    def vocabulary(self) -> bool:
        """A different vocabulary only: resized embeddings, not another model."""
        return 'vocab_size' in self.expected.name


def misfits(header: dict[str, Any], architecture: Architecture, factors: bool, every_layer: bool) -> list[Misfit]:
    """Every way the tensors disagree with ``architecture``, sorted by module.

    ``factors``: compare the LoRA factors (plain LoRA and AdaLoRA); whole
    weights are always compared.  ``every_layer``: the config lets PEFT put
    the factors on every layer (no layers_to_transform, exclude_modules or
    per-layer target names), so they must cover all of the base model's layers.
    """
    found: list[Misfit] = []
    resolve = _Resolver(architecture.modules)
    if factors:
        covered = []
        for name, pair in lora_modules(header).items():
            module = resolve.module(name)
            if isinstance(module, Misfit):
                found.append(module)
            elif module is not None:
                covered.append(module[0])
                found.extend(_factor_misfits(name, module[1], pair))
        if every_layer and not found:
            found.extend(_coverage(covered, architecture.modules))
    for name, shape in whole_weights(header).items():
        module = resolve.module(name)
        if isinstance(module, Misfit):
            found.append(module)
        elif module is not None and len(shape) == 2:
            found.extend(_weight_misfits(name, module[1], shape))
    return sorted(set(found), key=lambda m: (_natural(m.module), m.tensor, m.side))


def _factor_misfits(name: str, module: Module, pair: dict[str, list[int]]) -> list[Misfit]:
    out = []
    a, b = pair.get('A'), pair.get('B')
    if a is not None and len(a) == 2 and module.inputs is not None and a[1] != module.inputs.size:
        out.append(Misfit(name, 'lora_A', 'inputs', a[1], module.inputs))
    if b is not None and len(b) == 2 and module.outputs is not None and b[0] != module.outputs.size:
        out.append(Misfit(name, 'lora_B', 'outputs', b[0], module.outputs))
    return out


def _weight_misfits(name: str, module: Module, shape: list[int]) -> list[Misfit]:
    # which axis of the saved weight holds the inputs
    inputs_axis = 1 if module.kind == 'linear' else 0
    out = []
    sides = (('inputs', module.inputs, shape[inputs_axis]), ('outputs', module.outputs, shape[1 - inputs_axis]))
    for side, dim, got in sides:
        if dim is not None and got != dim.size:
            out.append(Misfit(name, 'weight', side, got, dim))
    return out


def _coverage(covered: list[str], modules: dict[str, Module]) -> list[Misfit]:
    """Fewer layers than the base model has, for a module the factors are on."""
    present = _by_layer(covered)
    if not present:
        return []
    available = _by_layer(modules)
    for key, indices in sorted(present.items()):
        total = len(available.get(key, ()))
        if len(indices) < total:
            container = key[0]
            return [Misfit(container, 'coverage', '', len(indices), Dim(total, f'{container}.0-{total - 1}'))]
    return []


def _by_layer(names: Iterable[str]) -> dict[tuple[str, str], set[int]]:
    """(container, rest) -> the layer indices: 'model.layers.3.mlp.up_proj' is ('model.layers', '.mlp.up_proj') 3."""
    out: dict[tuple[str, str], set[int]] = {}
    for name in names:
        match = _INDEX.search(name)
        if match:
            out.setdefault((name[:match.start()], name[match.end():]), set()).add(int(match.group(1)))
    return out


class _Resolver:
    """The architecture's module for an adapter's module name (or why it has none)."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.counts: dict[str, int] = {}

    def module(self, name: str) -> tuple[str, Module] | Misfit | None:
        """(the architecture's name, its module) for a module with a shape."""
        found = name if name in self.modules else None
        if found is None:
            matches = [m for m in self.modules if m.endswith('.' + name) or name.endswith('.' + m)]
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            return self._missing_layer(name)
        return (found, self.modules[found]) if self.modules[found].kind in _SHAPED else None

    def _missing_layer(self, name: str) -> Misfit | None:
        """Layer N of a model with fewer layers: the first index out of range, if the rest exists."""
        for match in _INDEX.finditer(name):
            container = name[:match.start()]
            count = self._count(container)
            index = int(match.group(1))
            if count and index >= count:
                in_range = f'{container}.0{name[match.end():]}'
                if self.module(in_range) is not None:
                    return Misfit(name, 'layer', '', index, Dim(count, f'{container}.0-{count - 1}'))
        return None

    def _count(self, container: str) -> int:
        if container not in self.counts:
            prefix = container + '.'
            indices = {n[len(prefix):].split('.', 1)[0] for n in self.modules if n.startswith(prefix)}
            self.counts[container] = sum(1 for i in indices if i.isdigit())
        return self.counts[container]


def _natural(name: str) -> list[Any]:
    """'layers.2' before 'layers.10'."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]
