"""AG201-AG207: the base model and its revision against the team policy.

The base model is ``base_model_name_or_path`` in a PEFT config, or the key
another tool's format names (``adapter_guard.formats``).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

from adapter_guard import hub_id
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
    key = document.format.base_key
    if key is None:
        return  # a format with no base model (AG006 says so)
    if not document.format.is_peft:
        # another tool's file: its own rules say whether the key is required
        value = data.get(key)
        if isinstance(value, str) and value:
            yield from _check_value(path, key, value, rules, context.root)
        return
    if key not in data:
        yield Finding(path, 'AG203', f'{key} is missing: loaders cannot know which base model to load')
        return
    value = data[key]
    if value is None or value == '':
        yield Finding(
            path, 'AG203',
            f'{key} is {"null" if value is None else "empty"}: set it to the Hub id of the base model '
            '(PEFT writes this when the base model was built in memory, not loaded)',
            (key,),
        )
        return
    if not isinstance(value, str):
        return  # AG103 from the schema check
    yield from _check_value(path, key, value, rules, context.root)
    yield from _check_revision(path, value, data.get('revision'), 'revision' in data, rules)


def _check_value(path: str, key: str, value: str, rules: Rules, root: str) -> Iterator[Finding]:
    names = hub_id.aliases(value) if is_valid_repo_id(value) else (value,)
    denied = next((p for p in rules.deny if any(matches_any(n, (p,), ignore_case=True) for n in names)), None)
    if denied is not None:
        yield Finding(path, 'AG206', f'base model {value!r} is denied by the policy (deny {denied!r})', (key,))
        return
    adapter_dir = os.path.dirname(os.path.abspath(path))
    reason = local_path_reason(value, (adapter_dir, root))
    if reason is not None:
        if not rules.allow_local_paths:
            yield Finding(path, 'AG202', f'base model {value!r} is {reason}; {_restore_hint(value)}', (key,))
        return
    if not is_valid_repo_id(value):
        yield Finding(path, 'AG204', f'base model {value!r} is not a valid Hub repo id: {why_invalid(value)}', (key,))
        return
    if hub_id.is_bare(value) and value not in hub_id.legacy_models() and not rules.allow_local_paths:
        yield Finding(path, 'AG207', _not_on_the_hub(value), (key,))
        return
    if rules.allow is not None and not any(matches_any(n, rules.allow) for n in names):
        yield Finding(path, 'AG201', _not_allowed(value, rules.allow), (key,))


def is_hub_model(value: str, search_dirs: tuple[str, ...] = ()) -> bool:
    """A value the static checks accept as a Hub model: a valid id, not a local path, not a bare folder name."""
    return (
        is_valid_repo_id(value) and local_path_reason(value, search_dirs) is None
        and (not hub_id.is_bare(value) or value in hub_id.legacy_models())
    )


def _not_on_the_hub(value: str) -> str:
    """AG207: a bare name ('model', 'chatglm-6b') that is not one of the Hub's legacy ids."""
    legacy = list(hub_id.legacy_models())
    import difflib  # only for a bare name the Hub does not have

    close = ([m for m in legacy if m.lower() == value.lower()]
             or difflib.get_close_matches(value, legacy, n=1, cutoff=0.85))
    hint = f' (did you mean {close[0]!r}?)' if close else ''
    return (
        f'{value!r} is not a Hub model{hint}: ids without a namespace exist only for legacy models such as '
        "'gpt2'; if it is a folder on the training machine (PEFT writes the path the base model was loaded "
        "from), set it to the Hub id of that model, such as 'org/name'"
    )


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
    """The allowed id or namespace that ``value`` is one or two edits from: a possible typo-squat.

    Only across namespaces: a squatter cannot publish in the namespace it
    imitates, so 'google/flan-t5-xxl' is another model of google's, not a
    typo-squat of an allowed 'google/flan-t5-xl'.  An allowed value is never
    asked about (``_not_allowed`` runs only for values the policy rejects).
    """
    best: tuple[str, int] | None = None
    namespace_of_value = value.partition('/')[0] if '/' in value else None
    for pattern in allow:
        namespace, _, rest = pattern.partition('/')
        if _GLOB.search(namespace) or (not _GLOB.search(pattern) and not rest):
            continue  # '*' or a bare legacy id: no namespace to imitate
        if namespace_of_value is not None and namespace_of_value.lower() == namespace.lower():
            continue  # the same owner: another of its models, not a squat
        if _GLOB.search(pattern):
            if not rest or namespace_of_value is None:
                continue
            candidate, reference, target = namespace_of_value, namespace, pattern
        else:
            candidate, reference, target = value, pattern, pattern
        distance = edit_distance(candidate, reference)
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
    names = hub_id.aliases(value) if is_valid_repo_id(value) else (value,)
    pattern = next((p for p in rules.require_revision if any(matches_any(n, (p,)) for n in names)), None)
    if pattern is None or (isinstance(revision, str) and _COMMIT.fullmatch(revision)):
        return
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
    return next(_check_value(adapter_path, 'base_model_name_or_path', value, rules, root), None) is None


def names_a_model(value: object, rules: Rules, adapter_path: str, root: str) -> bool:
    """Is a base-model value a Hub id at all (not a local path, null, empty or invalid), allowed or not?

    Only such a value can be acknowledged as an intended change, and a change
    from one that is not to an allowed one is a repair.
    """
    return acceptable(value, rules._replace(allow=None, deny=()), adapter_path, root)
