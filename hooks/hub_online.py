"""--online: ask the Hugging Face Hub about a base model, through huggingface_hub.

One ``HfApi.model_info`` call answers whether the repository and the
revision exist, whether it is gated or private, and under which id the Hub
knows it (a moved repository is redirected to its new id); ``hf_hub_download``
then fetches its config.json into the Hugging Face cache, where the offline
lookup finds it later.  huggingface_hub reads HF_ENDPOINT, HF_TOKEN and
HF_HUB_ETAG_TIMEOUT (the timeout of each request, 10 s by default) itself.
With HF_HUB_OFFLINE set, --online says so once on stderr and the cache alone
is used.  A Hub that does not answer ends the run with one line (exit 2):
a verification that was asked for never passes silently.

Answers are kept between runs in $XDG_CACHE_HOME/adapter-guard/hub-answers.json
(~/.cache/adapter-guard/ by default), per endpoint, repository, revision and
token, for 24 hours (1 hour for "not found"), so CI asks the Hub at most once
a day per base model.  Delete the file to ask again now.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import time
from typing import Any
from typing import NamedTuple

from adapter_guard import hfcache
from adapter_guard import user_cache
from adapter_guard.errors import UsageError

CONFIG = 'config.json'
FOUND_TTL = 24 * 3600
NOT_FOUND_TTL = 3600
DEFAULT_ENDPOINT = 'https://huggingface.co'


class HubUnreachable(UsageError):
    """The Hub did not answer: --online cannot verify anything."""


class HubAnswer(NamedTuple):
    found: bool = True
    revision_found: bool = True
    repo_id: str = ''  # the id the Hub knows the repository by: another one when it has moved
    sha: str | None = None  # the commit the revision resolves to
    gated: str = ''  # '', 'auto' or 'manual'
    private: bool = False
    no_access: bool = False  # gated, and the token here may not read its files
    config: str | None = None  # its config.json in the Hugging Face cache

    @property
    def ttl(self) -> int:
        return FOUND_TTL if self.found and self.revision_found else NOT_FOUND_TTL


def enabled() -> bool:
    """False, with one note on stderr per run, when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set."""
    offline = any(os.environ.get(v, '').upper() in ('1', 'ON', 'YES', 'TRUE')
                  for v in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE'))
    if offline:
        _note_offline()
    return not offline


@functools.cache
def _note_offline() -> None:
    print('adapter-guard: --online ignored: HF_HUB_OFFLINE is set; using the local Hugging Face cache only',
          file=sys.stderr)


def endpoint() -> str:
    return (os.environ.get('HF_ENDPOINT') or DEFAULT_ENDPOINT).rstrip('/')


def ask(repo_id: str, revision: str | None) -> HubAnswer:
    """What the Hub says about ``repo_id`` at ``revision``: from the answer cache, or asked now."""
    key = '|'.join((endpoint(), repo_id, revision or '', _token_fingerprint()))
    cached = _load().get(key)
    if cached is not None:
        answer = _fresh(cached, repo_id)
        if answer is not None:
            return answer
    answer = _ask_hub(repo_id, revision)
    _store(key, answer)
    return answer


def fetch_config(repo_id: str) -> str | None:
    """config.json of ``repo_id`` at main, fetched if need be (for naming the models that fit)."""
    return ask(repo_id, None).config


# ------------------------------------------------------------------- the Hub

def _ask_hub(repo_id: str, revision: str | None) -> HubAnswer:
    hub = _import_hub()
    errors = hub.utils
    try:
        info = hub.HfApi().model_info(repo_id, revision=revision, timeout=_timeout())
    except errors.RevisionNotFoundError:
        return HubAnswer(revision_found=False, repo_id=repo_id)
    except errors.GatedRepoError:  # a subclass of the next one: the Hub shows gated repositories' metadata today
        return HubAnswer(repo_id=repo_id, gated='manual', no_access=True)
    except errors.RepositoryNotFoundError:  # also a private repository the token may not see
        return HubAnswer(found=False)
    except Exception as e:  # noqa: BLE001 the network's and the HTTP client's errors differ across huggingface_hub versions
        raise _unreachable(e)
    gated = info.gated if isinstance(info.gated, str) else ''
    config, no_access = _download_config(hub, repo_id, revision)
    return HubAnswer(True, True, info.id or repo_id, info.sha, gated, bool(info.private), no_access, config)


def _download_config(hub: Any, repo_id: str, revision: str | None) -> tuple[str | None, bool]:
    """(path in the Hugging Face cache or None, whether the token lacks access)."""
    errors = hub.utils
    try:
        path = hub.hf_hub_download(repo_id, CONFIG, revision=revision, cache_dir=hfcache.cache_dir(),
                                   etag_timeout=_timeout())
    except errors.GatedRepoError:
        return None, True
    except errors.LocalEntryNotFoundError as e:  # the download failed and nothing is cached
        raise _unreachable(e)
    except (errors.EntryNotFoundError, errors.RepositoryNotFoundError, errors.RevisionNotFoundError):
        return None, False  # not a transformers model (or it changed since model_info)
    except Exception as e:  # noqa: BLE001 as above
        raise _unreachable(e)
    return str(path), False


def _import_hub() -> Any:
    import huggingface_hub
    import huggingface_hub.utils

    logging.getLogger('huggingface_hub').setLevel(logging.ERROR)
    huggingface_hub.utils.disable_progress_bars()
    return huggingface_hub


def _timeout() -> float:
    try:
        return float(os.environ.get('HF_HUB_ETAG_TIMEOUT') or 10)
    except ValueError:
        return 10.0


# What the HTTP clients say (requests, httpx, the OS), in the words of one line
_REASONS = (
    ('timed out', None), ('timeout', None), ('connection refused', 'connection refused'),
    ('name or service not known', 'the host name does not resolve'),
    ('temporary failure in name resolution', 'the host name does not resolve'),
    ('nodename nor servname', 'the host name does not resolve'),
)


def _unreachable(error: Exception) -> HubUnreachable:
    text = f'{type(error).__name__}: {error}'.lower()
    reason = next((r or f'no answer within {_timeout():g} s (HF_HUB_ETAG_TIMEOUT)'
                   for key, r in _REASONS if key in text), None)
    if reason is None:
        lines = str(error).strip().splitlines()
        reason = lines[0][:200] if lines else type(error).__name__
    return HubUnreachable(f'--online: the Hugging Face Hub at {endpoint()} cannot be asked: {reason}; '
                          'run without --online to check against the local cache only')


def _token_fingerprint() -> str:
    """Which token asks (answers about private and gated repositories depend on it), never the token."""
    token = os.environ.get('HF_TOKEN') or os.environ.get('HUGGING_FACE_HUB_TOKEN')
    if not token:
        home = os.path.expanduser(os.environ.get('HF_HOME') or os.path.join(
            os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache'), 'huggingface'))
        try:
            with open(os.path.expanduser(os.environ.get('HF_TOKEN_PATH') or os.path.join(home, 'token'))) as f:
                token = f.read(4096).strip()
        except OSError:
            token = ''
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else 'anonymous'


# ------------------------------------------------------------- answer cache

def cache_path() -> str:
    return user_cache.path('hub-answers.json')


def _load() -> dict[str, dict[str, Any]]:
    data = user_cache.read_json(cache_path())
    answers = data.get('answers') if isinstance(data, dict) else None
    return {k: v for k, v in answers.items() if isinstance(v, dict)} if isinstance(answers, dict) else {}


def _fresh(entry: dict[str, Any], repo_id: str) -> HubAnswer | None:
    """The cached answer if it has not expired and what it points to is still in the Hugging Face cache."""
    try:
        answer = HubAnswer(**{k: v for k, v in entry.items() if k in HubAnswer._fields and k != 'config'})
        if not time.time() - float(entry['time']) < answer.ttl:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    if not entry.get('had_config'):
        return answer
    config = hfcache.cached_file(repo_id, CONFIG, answer.sha)
    return answer._replace(config=config) if config else None


def _store(key: str, answer: HubAnswer) -> None:
    """Add the answer and drop the expired ones."""
    now = time.time()
    answers = {k: v for k, v in _load().items()
               if isinstance(v.get('time'), (int, float)) and now - v['time'] < FOUND_TTL}
    entry = {k: v for k, v in answer._asdict().items() if k != 'config'}
    answers[key] = {**entry, 'had_config': answer.config is not None, 'time': now}
    user_cache.write_json(cache_path(), {'version': 1, 'answers': answers})
