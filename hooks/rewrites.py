"""What counts as a rewrite of the base model, and what acknowledges one.

Pure functions over values: no git, no files.  A rewrite is a change of
base_model_name_or_path (AG301) or of revision (AG302) between two versions
of one adapter config, compared as parsed JSON: reordered target_modules,
peft_version, inference_mode and formatting are not rewrites.
"""
from __future__ import annotations

import fnmatch
import json
import re
from typing import Any
from typing import NamedTuple

from adapter_guard import formats
from adapter_guard import jsonload
from adapter_guard.hub_id import aliases
from adapter_guard.hub_id import non_ascii
from adapter_guard.localpath import local_path_reason

ABSENT = object()
_COMMIT = re.compile(r'[0-9a-f]{40}')
SYMLINK = '120000'
GITLINK = '160000'


class BaseModel(NamedTuple):
    """What one readable version of an adapter config says about its base model.

    ``revision`` is None when it is null or missing: PEFT's default, and the
    same thing to every loader.
    """

    base: Any  # str, None, or ABSENT
    revision: Any


class Unreadable(NamedTuple):
    """A version whose base model cannot be read: history carries the last readable one over it."""

    why: str


State = BaseModel | Unreadable


def state_of(content: bytes | None, mode: str = '100644') -> State:
    """The base model a version of a config holds, or why it cannot be read."""
    if mode == SYMLINK:
        return Unreadable('a symbolic link')
    if mode == GITLINK:
        return Unreadable('a submodule')
    if content is None:
        return Unreadable('not in this clone')
    try:
        data = json.loads(content.decode('utf-8-sig'))
    except (ValueError, RecursionError):  # rare: ask the loader why, in its words
        problems = jsonload.parse('', content).findings
        return Unreadable(problems[0].message if problems else 'not valid JSON')
    if not isinstance(data, dict):
        return Unreadable('not a JSON object')
    return base_model_of(data)


def base_model_of(data: dict[str, Any]) -> BaseModel:
    """The base model under the key of the format that wrote the file (PEFT, mlx-lm, tunix...)."""
    found = formats.detect(data)
    base = data.get(found.base_key, ABSENT) if found.base_key else ABSENT
    return BaseModel(base, data.get('revision') if found.is_peft else None)


def extract(content: bytes | None) -> BaseModel | None:
    """The base model of a config's content; None when absent or unreadable."""
    state = state_of(content)
    return state if isinstance(state, BaseModel) else None


def show(value: Any) -> str:
    if value is ABSENT:
        return 'missing'
    return 'null' if value is None else repr(value)


class Accept(NamedTuple):
    """A policy [[accept]] entry: a change that was meant."""

    path: str
    to: str
    from_: str | None = None


class Rewrite(NamedTuple):
    code: str       # AG301 or AG302
    key: str        # the key that changed
    previous: Any   # the old value (JSON value; None for null or missing)
    message: str


def rewrites(old: BaseModel, new: BaseModel) -> list[Rewrite]:
    found = []
    if old.base != new.base and not same_model(old.base, new.base):
        found.append(Rewrite('AG301', 'base_model_name_or_path', _json(old.base), _base_message(old.base, new.base)))
    if old.revision != new.revision and not pinned(old.revision, new.revision):
        found.append(Rewrite('AG302', 'revision', _json(old.revision), _revision_message(old.revision, new.revision)))
    return found


def same_model(old: Any, new: Any) -> bool:
    """Two names of one Hub model: a legacy id and the organisation the Hub moved it to.

    For example 'gpt2' and 'openai-community/gpt2'.
    """
    return isinstance(old, str) and isinstance(new, str) and new in aliases(old)


def pinned(old: Any, new: Any) -> bool:
    """A revision set to a commit where there was none: pinning, not a rewrite."""
    return old is None and isinstance(new, str) and _COMMIT.fullmatch(new) is not None


def _json(value: Any) -> Any:
    return None if value is ABSENT else value


def _base_message(old: Any, new: Any) -> str:
    message = f'base_model_name_or_path changed from {show(old)} to {show(new)}'
    if isinstance(new, str) and not new.isascii():
        message += f' ({non_ascii(new)}: it may only look like another id)'
    if old == '' and new is None:
        return message + (
            ": PEFT >= 0.21 re-saves '' as null; both mean the base model is unknown, "
            'set it to the Hub id of the base model'
        )
    copy_of = local_copy_of(old, new)
    if copy_of:
        return message + (
            f': it looks like a local copy of {copy_of!r} (PEFT writes the path the base model was '
            'loaded from)'
        )
    return message


def local_copy_of(old: Any, new: Any) -> str | None:
    """The old Hub id when ``new`` is a local path ending in that id's name."""
    if not (isinstance(old, str) and isinstance(new, str) and old and new):
        return None
    if local_path_reason(old) is not None or local_path_reason(new) is None:
        return None
    name = old.rsplit('/', 1)[-1].lower()
    last = re.split(r'[\\/]', new.rstrip('\\/'))[-1].lower()
    return old if last == name or last.endswith('--' + name) else None


def _revision_message(old: Any, new: Any) -> str:
    if isinstance(old, str) and old and new in (None, '', ABSENT):
        return f'revision {show(old)} was dropped ({show(new)}): the base model is no longer pinned'
    return f'revision changed from {show(old)} to {show(new)}'


def covered(value: str, rewrite: Rewrite, old: BaseModel, new: BaseModel) -> bool:
    """Does an acknowledgement value ('org/name' or 'org/name@revision') cover this rewrite?

    'org/name' covers a change of the base model to that value, and the
    revision change that comes with such a re-base; a change of the revision
    alone needs 'org/name@revision' (an empty revision means none).  An empty
    value covers a change to no base model at all (null, "" or missing).
    """
    base, at, revision = value.partition('@')
    base = base.strip()
    if base == '':
        if new.base not in (None, '', ABSENT):
            return False
    elif not isinstance(new.base, str) or base != new.base:
        return False
    if at:
        wanted = revision.strip() or None
        return _json(new.revision) == wanted
    return rewrite.code == 'AG301' or old.base != new.base


def acknowledged(
        path: str, rewrite: Rewrite, old: BaseModel, new: BaseModel,
        trailers: tuple[str, ...], accepts: tuple[Accept, ...],
) -> str | None:
    """How the rewrite was acknowledged ('trailer' or 'policy'), or None."""
    if any(covered(t, rewrite, old, new) for t in trailers):
        return 'trailer'
    for accept in accepts:
        if not fnmatch.fnmatchcase(path, accept.path):
            continue
        if accept.from_ is not None and accept.from_ != old.base:
            continue
        if covered(accept.to, rewrite, old, new):
            return 'policy'
    return None
