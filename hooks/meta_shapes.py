"""The general path: transformers builds the base model on PyTorch's meta device.

Used only when the light path (``architectures``) does not know the family
and torch and transformers are installed (the ``meta`` extra, or the user's
training environment); imported only then.  The meta device gives every
module its real shape without allocating a byte of weights, but importing
torch and transformers and building the model costs seconds, so the result
is kept in adapter-guard's cache folder (``user_cache``) for the next run.  Nothing here reaches the network:
the model is built from the config.json already read, never from_pretrained.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import warnings
from typing import Any

from adapter_guard import user_cache
from adapter_guard.module_shapes import Architecture
from adapter_guard.module_shapes import Dim
from adapter_guard.module_shapes import MAX_LAYERS
from adapter_guard.module_shapes import Module

# The classifier heads' width is the adapter's own (its number of labels):
# the model is built with this many labels, and a dimension of that size is left open.
_LABELS = 9973
_FORMAT = 1  # of the kept module tables: bump when what is kept changes
_LAYER_FIELDS = ('num_hidden_layers', 'n_layer', 'num_layers', 'num_decoder_layers', 'n_layers')
# Config fields a dimension is named after, in this order when several have its size.
_NAMED_FIELDS = ('hidden_size', 'd_model', 'n_embd', 'intermediate_size', 'd_ff', 'n_inner', 'ffn_dim',
                 'vocab_size', 'max_position_embeddings', 'n_positions', 'type_vocab_size')


def _mappings() -> dict[str, Any]:
    from transformers.models.auto import modeling_auto as auto

    return {
        'CAUSAL_LM': auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        'SEQ_2_SEQ_LM': auto.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
        'SEQ_CLS': auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
        'TOKEN_CLS': auto.MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES,
        'QUESTION_ANS': auto.MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES,
        'FEATURE_EXTRACTION': auto.MODEL_MAPPING_NAMES,
    }


def classes_of(model_type: str) -> dict[str, str]:
    """task type -> transformers class name, for every task transformers has a class for."""
    classes = {}
    for task, mapping in _mappings().items():
        name = mapping.get(model_type)
        if isinstance(name, (tuple, list)):  # a few model types map to several classes: the first is the default
            name = name[0] if name else None
        if isinstance(name, str):
            classes[task] = name
    return classes


def tasks_of(config: dict[str, Any]) -> frozenset[str] | None:
    model_type = config.get('model_type')
    if not isinstance(model_type, str):
        return None
    try:
        classes = classes_of(model_type)
    except Exception:  # noqa: BLE001 a broken transformers install means "unknown", never a crash
        return None
    return frozenset(classes) if classes else None


def build(config: dict[str, Any], task_type: str | None) -> Architecture | None:
    """The model transformers builds for this config and task, on the meta device; None when it cannot.

    Kept in adapter-guard's cache folder per config, task and transformers
    version, so the next commit does not import transformers again.
    """
    key = _cache_key(config, task_type)
    if key is not None:
        kept = user_cache.read_json(user_cache.path('meta-shapes', key + '.json'))
        if isinstance(kept, dict) and 'architecture' in kept:
            return _from_json(kept['architecture'])
    found = _build(config, task_type)
    if key is not None:
        user_cache.write_json(user_cache.path('meta-shapes', key + '.json'),
                              {'architecture': _to_json(found) if found is not None else None})
    return found


def _build(config: dict[str, Any], task_type: str | None) -> Architecture | None:
    model_type = config.get('model_type')
    if not isinstance(model_type, str) or _too_deep(config):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return _on_meta_device(config, model_type, task_type)
    except Exception:  # noqa: BLE001 transformers rejects many configs, each its own way: unknown
        return None


def _on_meta_device(config: dict[str, Any], model_type: str, task_type: str | None) -> Architecture | None:
    import torch
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    transformers.logging.set_verbosity_error()
    classes = classes_of(model_type)
    if task_type is not None and task_type in classes:
        class_name = classes[task_type]
    else:
        names = config.get('architectures')
        class_name = names[0] if isinstance(names, list) and names and isinstance(names[0], str) else ''
    model_class = getattr(transformers, class_name, None) if class_name else None
    if model_class is None:
        return None
    model_config = CONFIG_MAPPING[model_type].from_dict({**config, 'num_labels': _LABELS})
    with torch.device('meta'):
        model = model_class(model_config)
    modules = {name: _module(module, config) for name, module in model.named_modules() if name}
    return Architecture(model_type, class_name, modules, frozenset(classes))


def _module(module: Any, config: dict[str, Any]) -> Module:
    import torch

    if isinstance(module, torch.nn.Embedding):
        return Module('embedding', _dim(module.num_embeddings, config), _dim(module.embedding_dim, config))
    if isinstance(module, torch.nn.Linear):
        return Module('linear', _dim(module.in_features, config), _dim(module.out_features, config))
    weight = getattr(module, 'weight', None)
    if type(module).__name__ == 'Conv1D' and isinstance(weight, torch.Tensor) and weight.dim() == 2:
        return Module('conv1d', _dim(weight.shape[0], config), _dim(weight.shape[1], config))
    return Module()


def _dim(size: int, config: dict[str, Any]) -> Dim | None:
    if size == _LABELS:
        return None
    for key in _NAMED_FIELDS:
        if config.get(key) == size:
            return Dim(size, key)
    return Dim(size, '')


def _too_deep(config: dict[str, Any], depth: int = 0) -> bool:
    """A layer count no real model has (here or in a sub-config): building it would only take time."""
    for key, value in config.items():
        if key in _LAYER_FIELDS and isinstance(value, int) and value > MAX_LAYERS:
            return True
        if isinstance(value, dict) and (depth >= 4 or _too_deep(value, depth + 1)):
            return True
    return False


def _cache_key(config: dict[str, Any], task_type: str | None) -> str | None:
    try:
        version = importlib.metadata.version('transformers')
        text = json.dumps([_FORMAT, version, task_type, config], sort_keys=True)
    except (importlib.metadata.PackageNotFoundError, TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def _to_json(architecture: Architecture) -> dict[str, Any]:
    def dim(d: Dim | None) -> list[Any] | None:
        return [d.size, d.name] if d is not None else None

    return {
        'model_type': architecture.model_type, 'model_class': architecture.model_class,
        'tasks': sorted(architecture.tasks),
        'modules': {name: [m.kind, dim(m.inputs), dim(m.outputs)] for name, m in architecture.modules.items()},
    }


def _from_json(data: Any) -> Architecture | None:
    """None for a kept "cannot build"; a damaged file reads as None too (built again next time)."""
    def dim(d: Any) -> Dim | None:
        return Dim(int(d[0]), str(d[1])) if d is not None else None

    try:
        modules = {str(name): Module(str(m[0]), dim(m[1]), dim(m[2])) for name, m in data['modules'].items()}
        return Architecture(str(data['model_type']), str(data['model_class']), modules, frozenset(data['tasks']))
    except (TypeError, KeyError, IndexError, ValueError, AttributeError):
        return None
