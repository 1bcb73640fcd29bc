"""AG701 and AG704 for checks/fit.py: adapter_model.safetensors against the base model's modules.

The comparison itself is ``weight_fit``; this turns its misfits into one
finding per adapter that names the first module, the dimension and its
config field, how many more modules disagree and, for AG701, the models of
the same family, in the cache (or with --online, in the allow list), that
the weights do fit.  A vocabulary-only difference is AG704, a warning:
adding tokens and resizing the embeddings is a normal way to train.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from typing import NamedTuple
from typing import TYPE_CHECKING

from adapter_guard import hfcache
from adapter_guard.checks import Context
from adapter_guard.checks.fit_hub import CONFIG
from adapter_guard.checks.fit_hub import KEY
from adapter_guard.checks.fit_hub import read_config
from adapter_guard.findings import Finding
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.jsonload import Document
from adapter_guard.lora_tensors import OTHER_SHAPES
from adapter_guard.lora_tensors import WEIGHTS
from adapter_guard.policy import matches_any
from adapter_guard.policy import Rules

if TYPE_CHECKING:
    from adapter_guard.module_shapes import Architecture
    from adapter_guard.weight_fit import Misfit

_MAX_NAMED = 2  # models named as fitting
_PER_LAYER_NAME = re.compile(r'(^|\.)\d+(\.|$)')  # a target_modules entry for one layer: 'layers.0.q_proj'
# What PEFT does with weights that do not fit, by the first misfit's kind
_CONSEQUENCE = {
    'layer': 'PEFT ignores weights for modules the base model does not have',
    'coverage': "PEFT leaves the other layers' LoRA weights at their initial values",
}


class _Options(NamedTuple):
    factors: bool  # LoRA and AdaLoRA factors are plain [r, in] / [out, r] matrices
    every_layer: bool  # nothing in the config picks layers, so PEFT put factors on all of them


def findings(
        document: Document, context: Context, base: str, config: dict[str, Any], task_type: str | None,
        architecture: Architecture,
) -> Iterator[Finding]:
    header = _header(document)
    if not header:
        return
    from adapter_guard.weight_fit import misfits

    options = _options(document.data)
    found = misfits(header, architecture, *options)
    shapes = [m for m in found if not m.vocabulary]
    if shapes:
        fitting = _fitting(header, base, config, task_type, options, context)
        consequence = _CONSEQUENCE.get(shapes[0].tensor, 'PEFT fails to load it with a size mismatch')
        yield Finding(
            document.path, 'AG701',
            f'{WEIGHTS} does not fit {base!r}: {_describe(shapes[0], base)}{_more(shapes)}{fitting}; {consequence}',
            (KEY,),
        )
    vocabulary = [m for m in found if m.vocabulary]
    if vocabulary:
        first = vocabulary[0]
        yield Finding(
            document.path, 'AG704',
            f'{WEIGHTS}: {first.module} {first.tensor} has {first.got} tokens but {base!r} has {first.expected.show()}'
            f"{_more(vocabulary)}: resize the base model's token embeddings to {first.got} before loading "
            '(PEFT fails with a size mismatch otherwise), or name the base model the adapter was trained on',
            (KEY,),
        )


def _options(data: dict[str, Any]) -> _Options:
    factors = data.get('peft_type') in ('LORA', 'ADALORA') and not any(data.get(k) for k in OTHER_SHAPES)
    targets = data.get('target_modules')
    every_layer = (
        isinstance(targets, list) and all(isinstance(t, str) and not _PER_LAYER_NAME.search(t) for t in targets)
        and not any(data.get(k) for k in ('layers_to_transform', 'layers_pattern', 'exclude_modules',
                                           'layer_replication', 'target_parameters'))
    )
    return _Options(factors, every_layer)


def _header(document: Document) -> dict[str, Any] | None:
    from adapter_guard.safetensors_header import HeaderError
    from adapter_guard.safetensors_header import read_header

    path = os.path.join(os.path.dirname(document.path), WEIGHTS)
    if not os.path.isfile(path):
        return None
    try:
        return read_header(path)
    except (HeaderError, OSError):
        return None  # AG402 reports it


def _describe(misfit: Misfit, base: str) -> str:
    if misfit.tensor == 'layer':
        return (f'it has weights for {misfit.module}, but {base!r} has only {misfit.expected.size} of those layers '
                f'({misfit.expected.name})')
    if misfit.tensor == 'coverage':
        return (f'its LoRA weights cover {misfit.got} layers of {misfit.module}, but {base!r} has '
                f'{misfit.expected.size} ({misfit.expected.name}): they come from a model with fewer layers')
    leaf = misfit.module.rsplit('.', 1)[-1]
    verb = 'takes' if misfit.side == 'inputs' else 'gives'
    return (f'{misfit.module} {misfit.tensor} {verb} {misfit.got} {misfit.side}, but {leaf} of {base!r} {verb} '
            f'{misfit.expected.show()}')


def _more(found: list[Misfit]) -> str:
    more = len({m.module for m in found}) - 1
    return f' (and {more} more module{"s" if more > 1 else ""})' if more else ''


def _fitting(
        header: dict[str, Any], base: str, config: dict[str, Any], task_type: str | None, options: _Options,
        context: Context,
) -> str:
    """'; the weights fit 'org/other'' for cached (or, with --online, allowed) models of the same family."""
    from adapter_guard import module_shapes
    from adapter_guard.weight_fit import misfits

    fits = []
    for repo_id, other in _candidates(base, config.get('model_type'), context):
        architecture = module_shapes.for_config(other, task_type)
        if architecture is not None and not misfits(header, architecture, *options):
            fits.append(repo_id)
    if not fits:
        return ''
    allowed = [f for f in fits if _allowed(f, context.rules)]
    named = allowed or fits
    text = ' and '.join(repr(f) for f in named[:_MAX_NAMED]) + (' …' if len(named) > _MAX_NAMED else '')
    return f'; the weights fit {text}' + ('' if allowed else ' (which the policy does not allow)')


def _candidates(base: str, model_type: object, context: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    """Other models of the same model_type: every one in the cache; with --online, the allow list's exact ids."""
    online = context.online and _hub_enabled()
    seen = {base}
    repo_ids = list(hfcache.cached_models())
    if online and context.rules.allow:
        repo_ids += [p for p in context.rules.allow if not re.search(r'[*?\[]', p) and is_valid_repo_id(p)]
    for repo_id in repo_ids:
        if repo_id in seen or matches_any(repo_id, context.rules.deny, ignore_case=True):
            continue
        seen.add(repo_id)
        path = hfcache.cached_file(repo_id, CONFIG)
        if path is None and online:
            from adapter_guard import hub_online

            path = hub_online.fetch_config(repo_id)
        other = read_config(path) if path else None
        if other is not None and other.get('model_type') == model_type:
            yield repo_id, other


def _hub_enabled() -> bool:
    from adapter_guard import hub_online

    return hub_online.enabled()


def _allowed(repo_id: str, rules: Rules) -> bool:
    return rules.allow is None or matches_any(repo_id, rules.allow)
