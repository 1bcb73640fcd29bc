"""AG403: keys, methods and files that need a newer PEFT than the team runs."""
from __future__ import annotations

from collections.abc import Iterator

from adapter_guard import schemas
from adapter_guard import versions
from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.jsonload import Document


def check(document: Document, context: Context) -> Iterator[Finding]:
    team = context.rules.peft_version
    if team is None:
        return
    data, path = document.data, document.path
    peft_type = data.get('peft_type')
    method = schemas.peft_index()['methods'].get(peft_type) if isinstance(peft_type, str) else None
    if method is None:
        return  # AG101
    if versions.newer(method['since'], team):
        yield Finding(
            path, 'AG403',
            f"PEFT method {peft_type} needs PEFT >= {method['since']}; the policy's peft-version is {team}",
            ('peft_type',),
        )
        return
    consequence = (
        'fails to load the file (TypeError)' if versions.newer('0.14.0', team)
        else 'drops it with a warning and uses the default'
    )
    properties = schemas.load('peft/' + method['schema'])['properties']
    for key in data:
        since = properties.get(key, {}).get('x-peft-since')
        if since is not None and versions.newer(since, team):
            yield Finding(
                path, 'AG403',
                f"{key!r} needs PEFT >= {since}; PEFT {team} (the policy's peft-version) {consequence}",
                (key,), 'key',
            )
    written_by = data.get('peft_version')
    if isinstance(written_by, str) and versions.newer(written_by, team):
        yield Finding(
            path, 'AG403',
            f"written by PEFT {written_by}, newer than the policy's peft-version {team}",
            ('peft_version',),
        )
