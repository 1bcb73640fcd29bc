"""AG201-AG206: base_model_name_or_path and revision against the team policy."""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator

from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.hub_id import is_valid_repo_id
from adapter_guard.hub_id import why_invalid
from adapter_guard.jsonload import Document
from adapter_guard.localpath import cache_repo_id
from adapter_guard.localpath import local_path_reason
from adapter_guard.policy import matches_any
from adapter_guard.policy import Rules

KEY = 'base_model_name_or_path'
_COMMIT = re.compile(r'[0-9a-f]{40}')
_GLOB = re.compile(r'[*?\[]')


def check(document: Document, context: Context) -> Iterator[Finding]:
    data, path, rules = document.data, document.path, context.rules
    if KEY not in data:
        yield Finding(path, 'AG203', f'{KEY} is missing: loaders cannot know which base model to load')
        return
    value = data[KEY]
    if value is None or value == '':
        yield Finding(
            path, 'AG203',
            f'{KEY} is {"null" if value is None else "empty"}: set it to the Hub id of the base model '
            '(PEFT writes this when the base model was built in memory, not loaded)',
            (KEY,),
        )
        return
    if not isinstance(value, str):
        return  # AG103 from the schema check
    yield from _check_value(path, value, rules, context.root)
    yield from _check_revision(path, value, data.get('revision'), 'revision' in data, rules)


def _check_value(path: str, value: str, rules: Rules, root: str) -> Iterator[Finding]:
    if matches_any(value, rules.deny, ignore_case=True):
        pattern = next(p for p in rules.deny if matches_any(value, (p,), ignore_case=True))
        yield Finding(path, 'AG206', f'base model {value!r} is denied by the policy (deny {pattern!r})', (KEY,))
        return
    adapter_dir = os.path.dirname(os.path.abspath(path))
    reason = local_path_reason(value, (adapter_dir, root))
    if reason is not None:
        if not rules.allow_local_paths:
            yield Finding(path, 'AG202', f'base model {value!r} is {reason}; {_restore_hint(value)}', (KEY,))
        return
    if not is_valid_repo_id(value):
        yield Finding(path, 'AG204', f'base model {value!r} is not a valid Hub repo id: {why_invalid(value)}', (KEY,))
        return
    if rules.allow is not None and not matches_any(value, rules.allow):
        yield Finding(path, 'AG201', _not_allowed(value, rules.allow), (KEY,))


def _restore_hint(value: str) -> str:
    repo_id = cache_repo_id(value)
    if repo_id:
        return f"set it to '{repo_id}'"
    return 'PEFT copies the path the base model was loaded from: set it to the Hub id of that model'


def _not_allowed(value: str, allow: tuple[str, ...]) -> str:
    message = f'base model {value!r} is not allowed by the policy'
    if matches_any(value, allow, ignore_case=True):
        return message + ': it differs from an allowed id only in letter case'
    near = near_miss(value, allow)
    if near is not None:
        target, distance = near
        edits = 'edit' if distance == 1 else 'edits'
        return message + f': it is {distance} {edits} away from {target!r}, a possible typo-squat'
    return message + f' (allow: {", ".join(allow)})'


def near_miss(value: str, allow: tuple[str, ...]) -> tuple[str, int] | None:
    """The allowed id or namespace that ``value`` is one or two edits from."""
    best: tuple[str, int] | None = None
    for pattern in allow:
        if not _GLOB.search(pattern):
            candidate, target = value, pattern
        else:
            namespace, _, rest = pattern.partition('/')
            if _GLOB.search(namespace) or not rest:
                continue
            candidate, target = value.partition('/')[0], namespace + '/' + rest
            distance = edit_distance(candidate, namespace)
            if 0 < distance <= 2 and (best is None or distance < best[1]):
                best = (target, distance)
            continue
        distance = edit_distance(candidate, target)
        if 0 < distance <= 2 and (best is None or distance < best[1]):
            best = (target, distance)
    return best


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insert, delete, substitute, swap."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _check_revision(
        path: str, value: str, revision: object, present: bool, rules: Rules,
) -> Iterator[Finding]:
    if not rules.require_revision or not matches_any(value, rules.require_revision):
        return
    if isinstance(revision, str) and _COMMIT.fullmatch(revision):
        return
    pattern = next(p for p in rules.require_revision if matches_any(value, (p,)))
    why = f'the policy requires a pinned revision for {pattern!r}'
    if not present or revision is None:
        problem = 'revision is missing' if not present else 'revision is null'
        yield Finding(
            path, 'AG205', f'{problem}: {why}; set it to the 40-hex commit of {value!r}',
            ('revision',) if present else (), 'value' if present else 'object',
        )
    else:
        yield Finding(
            path, 'AG205', f'revision {revision!r} is not a 40-hex commit: {why} (a branch or tag can move)',
            ('revision',),
        )


def acceptable(value: object, rules: Rules, adapter_path: str, root: str) -> bool:
    """Does a base-model value pass every static check here (a Hub id the policy allows)?"""
    if not isinstance(value, str) or not value:
        return False
    return next(_check_value(adapter_path, value, rules, root), None) is None


def names_a_model(value: object, rules: Rules, adapter_path: str, root: str) -> bool:
    """Is a base-model value a Hub id at all (not a local path, null, empty or invalid), allowed or not?

    Only such a value can be acknowledged as an intended change, and a change
    from one that is not to an allowed one is a repair.
    """
    return acceptable(value, dataclasses.replace(rules, allow=None, deny=()), adapter_path, root)
