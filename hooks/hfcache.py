"""Find a file of a Hub model in the local Hugging Face cache, without importing huggingface_hub.

The same answers as ``huggingface_hub.try_to_load_from_cache`` (the
reference) and the same cache folder as ``huggingface_hub.constants.HF_HUB_CACHE``
(HF_HUB_CACHE, then the legacy HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, then
$XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub), but read from
the environment at each call.  Importing huggingface_hub costs about 0.15 s,
twice the whole hook on one config, and the hook runs on every commit: with no
cache entry for the base model this module costs one ``os.path.isdir``.
tests/hfcache_test.py proves that the two always agree.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

_MAX_REF = 256  # a ref file holds a 40-hex commit; never read more than this


def cache_dir() -> str:
    """The hub cache folder, resolved as huggingface_hub.constants resolves it."""
    default_home = os.path.join(os.path.expanduser('~'), '.cache')
    hf_home = _expand(os.getenv('HF_HOME', os.path.join(os.getenv('XDG_CACHE_HOME', default_home), 'huggingface')))
    legacy = os.getenv('HUGGINGFACE_HUB_CACHE', os.path.join(hf_home, 'hub'))
    return _expand(os.getenv('HF_HUB_CACHE', legacy))


def repo_folder(repo_id: str, cache: str | None = None) -> str:
    """``models--org--name``: huggingface_hub's repo_folder_name for a model."""
    return os.path.join(cache or cache_dir(), 'models--' + repo_id.replace('/', '--'))


def cached_file(repo_id: str, filename: str, revision: str | None = None, cache: str | None = None) -> str | None:
    """The cached file's path, or None when it is not cached (or cached as missing)."""
    root = repo_folder(repo_id, cache)
    if not os.path.isdir(root):
        return None  # the hot path: nothing of this model is cached
    revision = revision or 'main'
    if not _safe_revision(revision):
        return None
    ref = os.path.join(root, 'refs', revision)
    if os.path.isdir(os.path.join(root, 'refs')) and os.path.isfile(ref):
        try:
            with open(ref, encoding='utf-8', errors='replace') as f:
                revision = f.read(_MAX_REF)
        except OSError:
            return None
    if not _safe_revision(revision):
        return None
    if os.path.isfile(os.path.join(root, '.no_exist', revision, filename)):
        return None  # huggingface_hub remembered that the file does not exist there
    snapshots = os.path.join(root, 'snapshots')
    try:
        if revision not in os.listdir(snapshots):
            return None
    except OSError:
        return None
    path = os.path.join(snapshots, revision, filename)
    return path if os.path.isfile(path) else None


def cached_models(cache: str | None = None) -> Iterator[str]:
    """The Hub id of every model with a folder in the cache, sorted."""
    try:
        names = sorted(os.listdir(cache or cache_dir()))
    except OSError:
        return
    for name in names:
        if name.startswith('models--'):
            yield name[len('models--'):].replace('--', '/', 1)


def _safe_revision(revision: str) -> bool:
    """A revision that stays inside the repo folder (branch names may contain '/')."""
    return bool(revision) and '..' not in revision and '\\' not in revision and '\0' not in revision \
        and not revision.startswith('/')


def _expand(path: str) -> str:
    return os.path.expandvars(os.path.expanduser(path))
