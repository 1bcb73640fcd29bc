"""What the fit checks know of a base model: every named module and its dimensions.

Two ways to know it, tried in this order:
- ``architectures``: computed from config.json fields for the common families,
  in microseconds, with no dependency (the path a pre-commit hook takes);
- ``meta_shapes``: transformers builds the model on PyTorch's meta device (no
  weights, no memory), for any family transformers knows; only when torch and
  transformers are installed, and imported only then (about 3 s).
tests/architectures_test.py proves that the first agrees with the second on
every family and task it claims.
"""
from __future__ import annotations

import functools
import importlib.util
import json
from typing import Any
from typing import NamedTuple

# PEFT's TaskType values (the ones transformers has an auto class for).
TASK_TYPES = ('CAUSAL_LM', 'SEQ_2_SEQ_LM', 'SEQ_CLS', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION')
MAX_LAYERS = 1024  # above any real model: a config asking for more is not used (it would only cost time)


class Dim(NamedTuple):
    size: int
    name: str  # where it comes from: 'hidden_size', 'num_key_value_heads × head_dim = 8 × 128', or ''

    def show(self) -> str:
        return f'{self.size} ({self.name})' if self.name else str(self.size)


class Module(NamedTuple):
    """One named module.  A LoRA factor pair on it is lora_A [r, inputs] and lora_B [outputs, r]."""

    kind: str = ''  # 'linear', 'embedding', 'conv1d' (GPT-2's, weight [in, out]); '' for any other module
    inputs: Dim | None = None  # in_features, or num_embeddings
    outputs: Dim | None = None  # out_features, or embedding_dim; None when the adapter decides (labels)


CONTAINER = Module()


class Architecture(NamedTuple):
    model_type: str
    model_class: str  # the transformers class the adapter's task wraps: 'LlamaForCausalLM'
    modules: dict[str, Module]  # every name of model.named_modules(), except the root ''
    tasks: frozenset[str]  # the PEFT task types transformers has a class for, for this model_type


def tasks_of(config: dict[str, Any]) -> frozenset[str] | None:
    """The task types transformers can build for this config's model_type; None when unknown here."""
    from adapter_guard import architectures

    known = architectures.tasks_of(config)
    if known is None and meta_available():
        from adapter_guard import meta_shapes

        known = meta_shapes.tasks_of(config)
    return known


def for_config(config: dict[str, Any], task_type: str | None) -> Architecture | None:
    """The base model's modules as the adapter's task wraps it, or None when neither path knows."""
    try:
        return _for_config(json.dumps(config, sort_keys=True), task_type, meta_available())
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=32)
def _for_config(config_json: str, task_type: str | None, meta: bool) -> Architecture | None:
    """Once per process for each config: adapters of one base model share it."""
    from adapter_guard import architectures

    config = json.loads(config_json)
    found = architectures.build(config, task_type)
    if found is None and meta:
        from adapter_guard import meta_shapes

        found = meta_shapes.build(config, task_type)
    return found


def meta_available() -> bool:
    return importlib.util.find_spec('torch') is not None and importlib.util.find_spec('transformers') is not None
