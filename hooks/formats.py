"""Which tool wrote an adapter_config.json: PEFT, or another tool that uses the same name.

mlx-lm saves its training arguments as ``adapters/adapter_config.json``, JAX
tunix scripts write one with a ``framework`` key, and repositories mix them
with PEFT adapters.  Judged as PEFT files they get AG101 and AG203 on every
one, which teaches people to switch the guard off.  Each format is told
from its keys alone (pure and cheap: no file access), and names the key
that holds its base model, so the base-model policy, the local-path checks
and the history follow that key.

Recognised (each from real files, see tests/resources/formats/README.md):
- PEFT: a ``peft_type`` key, or anything not recognised below;
- mlx-lm: ``lora_parameters`` (an object) with ``fine_tune_type``,
  ``num_layers`` or (older releases) ``lora_layers``; base model under
  ``model``, which a config written by hand may leave out;
- JAX tunix: ``framework`` starting with ``jax-tunix``; base model under
  ``base_model``;
- another tool: no key that any PEFT release writes at all (a custom
  projector config, a one-key file); it names no base model we can trust.
"""
from __future__ import annotations

import functools
from typing import Any
from typing import NamedTuple

from adapter_guard import schemas


class Format(NamedTuple):
    name: str               # 'peft', 'mlx-lm', 'tunix' or 'other'
    tool: str               # how messages name the tool
    base_key: str | None    # the top-level key that holds the base model id, if the format has one
    signature: tuple[str, ...] = ()  # keys that identified it (the first one is where AG006 points)
    evidence: str = ''      # why, for the message: "it has fine_tune_type and lora_parameters"

    @property
    def is_peft(self) -> bool:
        return self.name == 'peft'


PEFT = Format('peft', 'PEFT', 'base_model_name_or_path', ('peft_type',))
MLX_LM = Format('mlx-lm', 'mlx-lm', 'model')
TUNIX = Format('tunix', 'JAX tunix', 'base_model')
OTHER = Format('other', 'another tool', None)
FORMATS = (PEFT, MLX_LM, TUNIX, OTHER)

_MLX_LAYERS = ('fine_tune_type', 'num_layers', 'lora_layers')


def detect(data: dict[str, Any]) -> Format:
    """The format of a parsed adapter_config.json (a dict); PEFT unless another is certain."""
    if 'peft_type' in data:
        return PEFT
    if isinstance(data.get('lora_parameters'), dict):
        found = tuple(k for k in _MLX_LAYERS if k in data) + ('lora_parameters',)
        if len(found) > 1:
            return MLX_LM._replace( signature=found, evidence=f'it has {", ".join(found[:-1])} and {found[-1]}',
            )
    framework = data.get('framework')
    if isinstance(framework, str) and framework.startswith('jax-tunix'):
        return TUNIX._replace(signature=('framework',), evidence=f'framework {framework[:40]!r}')
    if data and not any(key in _peft_keys() for key in data):
        return OTHER._replace(signature=(next(iter(data)),), evidence='none of its keys is one PEFT writes')
    return PEFT


@functools.lru_cache(maxsize=1)
def _peft_keys() -> frozenset[str]:
    """Every key any PEFT release writes for any method (read only for files without peft_type)."""
    keys: set[str] = set()
    for method in schemas.peft_index()['methods'].values():
        keys.update(schemas.load('peft/' + method['schema'])['properties'])
    return frozenset(keys)
