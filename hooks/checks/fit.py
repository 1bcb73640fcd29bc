"""AG701-AG708: does the adapter fit the base model it names?

The base model's config.json comes from the local Hugging Face cache (the
developer trained with that model, so it is usually there), or with
``--online`` from the Hub (``hub_online``, which also reports AG705-AG708).
With no config.json to compare with, nothing is reported and nothing more
is imported (``fit_hub``).  From the config, ``module_shapes`` gives every
module of the architecture, and the adapter is compared with it:
- AG701: the shapes in adapter_model.safetensors (LoRA factors, saved whole
  weights, layer indices), naming the dimension, and the cached or allowed
  models of the same family that the weights do fit (``fit_weights``);
- AG702: every target_modules entry names a module of the architecture;
- AG703: task_type is one transformers has a class for, for that family;
- AG704: only the vocabulary differs (resized embeddings, or another base).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from typing import TYPE_CHECKING

from adapter_guard.checks import Context
from adapter_guard.checks.fit_hub import base_config
from adapter_guard.checks.fit_hub import KEY
from adapter_guard.checks.fit_hub import read_config
from adapter_guard.findings import Finding
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.jsonload import Document
from adapter_guard.localpath import local_path_reason

if TYPE_CHECKING:
    from adapter_guard.module_shapes import Architecture

# Methods whose target_modules is not PEFT's tuner matching: adaption prompt names the attention submodule
_OWN_TARGETS = frozenset(('ADAPTION_PROMPT',))
_AUTO_CLASS = {
    'CAUSAL_LM': 'AutoPeftModelForCausalLM', 'SEQ_2_SEQ_LM': 'AutoPeftModelForSeq2SeqLM',
    'SEQ_CLS': 'AutoPeftModelForSequenceClassification', 'TOKEN_CLS': 'AutoPeftModelForTokenClassification',
    'QUESTION_ANS': 'AutoPeftModelForQuestionAnswering', 'FEATURE_EXTRACTION': 'AutoPeftModelForFeatureExtraction',
}


def _a_folder_here(base: str, document: Document, context: Context) -> bool:
    return local_path_reason(base, (os.path.dirname(os.path.abspath(document.path)), context.root)) is not None


def check(document: Document, context: Context) -> Iterator[Finding]:
    data = document.data
    base = data.get(KEY)
    if not isinstance(base, str) or not is_valid_repo_id(base):
        return  # AG202-AG204 say what is wrong with it
    # 'models/llama' that exists here is a folder, not a Hub id (AG202): never asked about; without
    # --online that takes a look at the disk, so only once the cache has the id at all
    if context.online and _a_folder_here(base, document, context):
        return
    revision = data.get('revision') if isinstance(data.get('revision'), str) and data.get('revision') else None
    config_path = yield from base_config(document.path, context, base, revision)
    config = read_config(config_path) if config_path else None
    if config is None or (not context.online and _a_folder_here(base, document, context)):
        return
    from adapter_guard import module_shapes
    from adapter_guard.checks import fit_weights

    task_type = data.get('task_type') if data.get('task_type') in module_shapes.TASK_TYPES else None
    architecture = module_shapes.for_config(config, task_type)
    tasks = architecture.tasks if architecture is not None else module_shapes.tasks_of(config)
    yield from _task_type(document, base, config, task_type, tasks)
    if architecture is None:
        return
    yield from _targets(document, base, architecture)
    yield from fit_weights.findings(document, context, base, config, task_type, architecture)


# ------------------------------------------------------------------- AG703

def _task_type(
        document: Document, base: str, config: dict[str, Any], task_type: str | None, tasks: frozenset[str] | None,
) -> Iterator[Finding]:
    if task_type is None or tasks is None or task_type in tasks:
        return
    yield Finding(
        document.path, 'AG703',
        f'task_type {task_type!r} does not fit {base!r}: transformers has no such class for model_type '
        f'{config.get("model_type")!r} (it has {", ".join(sorted(tasks))}), so {_AUTO_CLASS[task_type]} '
        'cannot load the adapter',
        ('task_type',),
    )


# ------------------------------------------------------------------- AG702

def _targets(document: Document, base: str, architecture: Architecture) -> Iterator[Finding]:
    """PEFT's rule: a list entry matches a module named exactly so or ending in '.entry'; a string is a regex."""
    if document.data.get('peft_type') in _OWN_TARGETS:
        return
    targets = document.data.get('target_modules')
    names = list(architecture.modules)
    if isinstance(targets, str):
        if targets == 'all-linear':
            return
        try:
            pattern = re.compile(targets)
        except re.error:
            return  # PEFT fails on it anyway
        if not any(pattern.fullmatch(name) for name in names):
            yield _no_module(document, base, architecture, f'the regular expression {targets!r}', 'matches no module',
                             ('target_modules',))
    elif isinstance(targets, list):
        suffixes = {'.'.join(parts[i:]) for parts in (n.split('.') for n in names) for i in range(len(parts))}
        for index, target in enumerate(targets):
            if isinstance(target, str) and target and target not in suffixes:
                yield _no_module(document, base, architecture, repr(target), 'has no module of that name',
                                 ('target_modules', index), target)


def _no_module(
        document: Document, base: str, architecture: Architecture, what: str, problem: str,
        pointer: tuple[str | int, ...], target: str = '',
) -> Finding:
    layers = sorted({n.rsplit('.', 1)[-1] for n, m in architecture.modules.items() if m.kind})
    import difflib  # only for a target_modules entry that matches nothing

    close = difflib.get_close_matches(target, layers, n=1, cutoff=0.85) if target else []
    hint = f' (did you mean {close[0]!r}?)' if close else ''
    shown = ', '.join(layers[:10]) + (', …' if len(layers) > 10 else '')
    return Finding(
        document.path, 'AG702',
        f'target_modules selects {what}, but {base!r} ({architecture.model_class}) {problem}{hint}: '
        f'PEFT fails to load the adapter; its layers are {shown}',
        pointer,
    )
