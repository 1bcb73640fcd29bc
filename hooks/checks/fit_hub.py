"""Where the base model's config.json comes from, for checks/fit.py; AG705-AG708.

Offline (the default): the local Hugging Face cache, found without importing
huggingface_hub (``hfcache``).  With --online: what the Hub says about the
repository and the revision (``hub_online``), reported as AG705-AG708, and
the config.json it serves.
"""
from __future__ import annotations

import json
from collections.abc import Generator
from collections.abc import Iterator
from typing import Any
from typing import TYPE_CHECKING

from adapter_guard import hfcache
from adapter_guard.checks import Context
from adapter_guard.findings import Finding

if TYPE_CHECKING:
    from adapter_guard.hub_online import HubAnswer

KEY = 'base_model_name_or_path'
CONFIG = 'config.json'
_MAX_CONFIG = 1 << 20  # real config.json files are a few kB


def base_config(path: str, context: Context, base: str, revision: str | None) -> Generator[Finding, None, str | None]:
    """Yield the Hub's findings (with --online); return the base model's config.json path, if any."""
    if context.online:
        from adapter_guard import hub_online

        if hub_online.enabled():
            answer = hub_online.ask(base, revision)
            yield from _hub_findings(path, base, revision, answer)
            return answer.config
    return hfcache.cached_file(base, CONFIG, revision)


def _hub_findings(path: str, base: str, revision: str | None, answer: HubAnswer) -> Iterator[Finding]:
    """AG705-AG708: what the Hub said about the base model."""
    from adapter_guard.hub_online import endpoint

    if not answer.found:
        yield Finding(
            path, 'AG705',
            f'base model {base!r} is not on the Hub ({endpoint()}): no such repository, or a private one '
            'that this HF_TOKEN may not see',
            (KEY,),
        )
        return
    if not answer.revision_found:
        yield Finding(path, 'AG706', f'revision {revision!r} is not in {base!r} on the Hub: loaders cannot fetch it',
                      ('revision',))
        return
    if answer.repo_id and answer.repo_id != base:
        how = 'differs in letter case from' if answer.repo_id.lower() == base.lower() else 'has moved to'
        yield Finding(
            path, 'AG708',
            f'base model {base!r} {how} {answer.repo_id!r} on the Hub, which redirects the old id only until '
            f'another repository takes it: set {KEY} to {answer.repo_id!r}',
            (KEY,),
        )
    access = ' (HF_TOKEN here has no access to its files, so the fit was not checked)' if answer.no_access else ''
    if answer.gated:
        approval = 'manual approval' if answer.gated == 'manual' else 'automatic approval'
        yield Finding(
            path, 'AG707',
            f'base model {base!r} is gated on the Hub ({approval}): every machine that loads the adapter needs '
            f'HF_TOKEN of an account that was granted access{access}',
            (KEY,),
        )
    elif answer.private:
        yield Finding(path, 'AG707', f'base model {base!r} is private on the Hub: only tokens with access to it '
                                     'can load the adapter', (KEY,))


def read_config(path: str) -> dict[str, Any] | None:
    """A config.json as a dict, or None when it is unreadable, too large or not an object."""
    try:
        with open(path, 'rb') as f:
            raw = f.read(_MAX_CONFIG + 1)
        data = json.loads(raw) if len(raw) <= _MAX_CONFIG else None
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
