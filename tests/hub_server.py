"""A small Hugging Face Hub on 127.0.0.1: the endpoints huggingface_hub calls for adapter-guard.

Not a mock of huggingface_hub: a real HTTP server (http.server, in a
thread) that answers as huggingface.co does, so huggingface_hub's own client,
error mapping, redirects and cache writes run for real with HF_ENDPOINT
pointed at it.  Endpoints:

- ``GET /api/models/{repo_id}`` and ``GET /api/models/{repo_id}/revision/{revision}``
  (``HfApi.model_info``): the repository's id, sha, private and gated;
- ``HEAD`` and ``GET /{repo_id}/resolve/{revision}/{filename}``
  (``hf_hub_download``): X-Repo-Commit, ETag and Content-Length, then the bytes;
- ``GET /api/agent-harnesses``: an empty registry (huggingface_hub 1.x and
  later fetch it once a day, with its own 3 s timeout, to build its headers).

Errors carry the Hub's ``X-Error-Code`` header (RepoNotFound with 401,
RevisionNotFound and EntryNotFound with 404, GatedRepo with 401); a moved
repository answers 307 with a relative Location to its new id; a private or
gated repository needs ``Authorization: Bearer <token>``.  ``hang`` makes every
request wait, for the timeout tests.  ``requests`` records what was asked.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit


@dataclasses.dataclass
class Repo:
    files: dict[str, bytes]
    sha: str = 'c' * 40
    branches: dict[str, str] = dataclasses.field(default_factory=dict)  # other branch -> sha
    private: bool = False
    gated: bool | str = False  # False, 'auto' or 'manual', as the Hub's API says


@dataclasses.dataclass
class FakeHub:
    repos: dict[str, Repo] = dataclasses.field(default_factory=dict)
    moved: dict[str, str] = dataclasses.field(default_factory=dict)  # old id -> new id
    token: str = 'hf_test_token'
    requests: list[str] = dataclasses.field(default_factory=list)
    hang: threading.Event = dataclasses.field(default_factory=threading.Event)
    release: threading.Event = dataclasses.field(default_factory=threading.Event)
    url: str = ''

    def add(self, repo_id: str, config: dict[str, object] | None = None, **kwargs: object) -> Repo:
        files = {'config.json': json.dumps(config).encode()} if config is not None else {}
        repo = Repo(files, **kwargs)  # type: ignore[arg-type]
        self.repos[repo_id] = repo
        return repo


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        hub = self.hub
        hub.requests.append(f'{self.command} {self.path}')
        if hub.hang.is_set():
            hub.release.wait(30)
            return
        path = urlsplit(self.path).path  # components are unquoted one by one: a revision may hold '/'
        authorised = self.headers.get('Authorization') == f'Bearer {hub.token}'
        if path == '/api/agent-harnesses':
            self._send(200, json.dumps({'standardEnvVars': [], 'harnesses': {}}).encode(), {})
        elif path.startswith('/api/models/'):
            self._model_info(path[len('/api/models/'):], authorised)
        elif '/resolve/' in path:
            self._resolve(path.lstrip('/'), authorised, body)
        else:
            self._send(404, b'', {})

    def _repo(self, repo_id: str, redirect_to: str, authorised: bool) -> Repo | None:
        """The repo, or None after answering (moved, not found, private)."""
        hub = self.hub
        if repo_id in hub.moved:
            self._send(307, b'', {'Location': redirect_to.replace('{id}', hub.moved[repo_id], 1)})
            return None
        repo = hub.repos.get(repo_id)
        if repo is None or (repo.private and not authorised):
            self._send(401, b'', {'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found'})
            return None
        return repo

    def _sha(self, repo: Repo, revision: str | None) -> str | None:
        if revision in (None, 'main', repo.sha):
            return repo.sha
        return repo.branches.get(revision or '') or (revision if revision in repo.branches.values() else None)

    def _model_info(self, rest: str, authorised: bool) -> None:
        repo_id, _, revision = rest.partition('/revision/')
        repo_id, revision = unquote(repo_id), unquote(revision)
        tail = f'/revision/{quote(revision, safe="")}' if revision else ''
        repo = self._repo(repo_id, '/api/models/{id}' + tail, authorised)
        if repo is None:
            return
        sha = self._sha(repo, revision or None)
        if sha is None:
            self._send(404, b'', {'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': 'Invalid rev id'})
            return
        # the fields huggingface.co's /api/models answers with (huggingface_hub 0.20 requires some of them)
        info = {
            '_id': hashlib.sha1(repo_id.encode()).hexdigest()[:24], 'id': repo_id, 'modelId': repo_id,
            'author': repo_id.split('/')[0] if '/' in repo_id else None, 'sha': sha,
            'lastModified': '2024-01-01T00:00:00.000Z', 'createdAt': '2023-06-01T00:00:00.000Z',
            'private': repo.private, 'gated': repo.gated, 'disabled': False, 'downloads': 0, 'likes': 0,
            'tags': ['transformers'], 'library_name': 'transformers',
            'siblings': [{'rfilename': name} for name in sorted(repo.files)],
        }
        self._send(200, json.dumps(info).encode(), {'Content-Type': 'application/json'})

    def _resolve(self, rest: str, authorised: bool, body: bool) -> None:
        repo_id, _, tail = rest.partition('/resolve/')
        revision, _, filename = tail.partition('/')
        repo_id, revision, filename = unquote(repo_id), unquote(revision), unquote(filename)
        repo = self._repo(repo_id, '/{id}/resolve/' + quote(revision, safe='') + '/' + filename, authorised)
        if repo is None:
            return
        sha = self._sha(repo, revision)
        if sha is None:
            self._send(404, b'', {'X-Error-Code': 'RevisionNotFound'})
            return
        if repo.gated and not authorised:
            self._send(401, b'', {'X-Error-Code': 'GatedRepo', 'X-Error-Message': 'Access to this model is restricted'})
            return
        content = repo.files.get(filename)
        if content is None:
            self._send(404, b'', {'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': sha})
            return
        headers = {
            'X-Repo-Commit': sha, 'ETag': f'"{hashlib.sha256(content).hexdigest()}"',
            'Content-Type': 'application/octet-stream',
        }
        self._send(200, content if body else b'', headers, length=len(content))

    def _send(self, status: int, content: bytes, headers: dict[str, str], length: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(content) if length is None else length))
        self.end_headers()
        if content:
            self.wfile.write(content)


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    """Serve ``hub`` on a free port of 127.0.0.1 while the block runs; hub.url is its endpoint."""
    handler = type('Handler', (_Handler,), {'hub': hub})
    server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f'http://127.0.0.1:{server.server_address[1]}'
    try:
        yield hub
    finally:
        hub.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def populate_cache(cache: Path, configs: dict[str, dict[str, object]]) -> None:
    """Each model's config.json in the Hugging Face cache ``cache`` at main, written by huggingface_hub itself
    (hf_hub_download from a FakeHub): blobs, refs/main and the snapshot link, exactly as for a user."""
    import huggingface_hub
    import huggingface_hub.constants

    hub = FakeHub()
    for repo_id, config in configs.items():
        hub.add(repo_id, config, sha=hashlib.sha1(repo_id.encode()).hexdigest())
    offline = huggingface_hub.constants.HF_HUB_OFFLINE
    huggingface_hub.constants.HF_HUB_OFFLINE = False  # tests/conftest.py sets HF_HUB_OFFLINE for every test
    try:
        with serve(hub):
            for repo_id in configs:
                huggingface_hub.hf_hub_download(repo_id, 'config.json', cache_dir=cache, endpoint=hub.url)
    finally:
        huggingface_hub.constants.HF_HUB_OFFLINE = offline
