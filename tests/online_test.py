"""--online (AG705-AG708) against a Hugging Face Hub on 127.0.0.1 (tests/hub_server.py).

The real CLI runs in a fresh process with HF_ENDPOINT pointed at the test
server, as a CI job runs it: huggingface_hub reads HF_ENDPOINT, HF_TOKEN and
HF_HUB_OFFLINE once, at import, so only a fresh process honours them as a
user's shell does.  Nothing here leaves 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import cast

import pytest
import yaml

from adapter_guard import hfcache
from tests.hub_server import FakeHub
from tests.hub_server import serve
from tests.util import LORA
from tests.util import lora_weights
from tests.util import peft_dumps
from tests.util import REPO
from tests.util import safetensors_bytes

SMALL = dict(architectures=['LlamaForCausalLM'], model_type='llama', hidden_size=16, intermediate_size=32,
             num_hidden_layers=2, num_attention_heads=2, vocab_size=64)
WIDE = dict(SMALL, hidden_size=32, intermediate_size=64)
QV = lora_weights(['q_proj', 'v_proj'])  # fits SMALL, not WIDE
TOKEN = 'hf_test_token'


class Online:
    """The test Hub, and the CLI run against it in a fresh process."""

    def __init__(self, hub: FakeHub, tmp_path: Path) -> None:
        self.hub = hub
        self.tmp_path = tmp_path
        self.cache = tmp_path / 'hf-cache'
        self.env = {k: v for k, v in os.environ.items() if k not in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE')}
        self.env.update(HF_ENDPOINT=hub.url, HF_HUB_CACHE=str(self.cache), XDG_CACHE_HOME=str(tmp_path / 'xdg'),
                        HF_HUB_ETAG_TIMEOUT='2', HF_HUB_DISABLE_TELEMETRY='1')

    @property
    def answers(self) -> Path:
        return self.tmp_path / 'xdg' / 'adapter-guard' / 'hub-answers.json'

    def adapter(self, name: str, tensors: dict[str, list[int]] | None = QV, **changes: Any) -> Path:
        folder = self.tmp_path / name
        folder.mkdir(parents=True)
        (folder / 'adapter_config.json').write_text(peft_dumps({**LORA, **changes}))
        if tensors is not None:
            (folder / 'adapter_model.safetensors').write_bytes(safetensors_bytes(tensors))
        return folder / 'adapter_config.json'

    def run(self, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            (sys.executable, '-m', 'adapter_guard', 'check', '--no-history', *map(str, args)),
            env={**self.env, **env}, capture_output=True, text=True, cwd=self.tmp_path, timeout=120,
        )

    def findings(self, *args: str | Path, **env: str) -> tuple[int, list[dict[str, Any]]]:
        result = self.run('--format', 'json', *args, **env)
        assert result.returncode in (0, 1), result
        assert 'Traceback' not in result.stderr, result.stderr
        return result.returncode, json.loads(result.stdout)['findings']

    def model_requests(self) -> list[str]:
        return [r for r in self.hub.requests if '/api/agent-harnesses' not in r]


def _hub() -> FakeHub:
    hub = FakeHub(token=TOKEN)
    hub.add('acme/small', SMALL)
    hub.add('acme/wide', WIDE, branches={'v1.0': 'b' * 40})
    hub.add('acme/gated', WIDE, gated='manual')
    hub.add('acme/auto-gated', SMALL, gated='auto')
    hub.add('acme/private', WIDE, private=True)
    hub.add('acme/renamed', WIDE)
    hub.add('acme/no-config', None)
    hub.moved.update({'acme/old-name': 'acme/renamed', 'Acme/Small': 'acme/small'})
    return hub


@pytest.fixture
def online(tmp_path: Path) -> Iterator[Online]:
    with serve(_hub()) as hub:
        yield Online(hub, tmp_path)


CASES = [
    # base, adapter changes, HF_TOKEN, expected (code, severity, message fragment), exit code
    pytest.param('acme/small', {}, '', [], 0, id='exists-and-fits'),
    pytest.param('acme/wide', {}, '', [('AG701', 'error', "q_proj of 'acme/wide' takes 32 (hidden_size)")], 1,
                 id='exists-does-not-fit'),
    pytest.param('acme/missing', {}, '', [('AG705', 'error', "base model 'acme/missing' is not on the Hub (http://127.0.0.1:")],
                 1, id='not-found'),
    pytest.param('acme/wide', {'revision': 'v2.0'}, '',
                 [('AG706', 'error', "revision 'v2.0' is not in 'acme/wide' on the Hub")], 1, id='revision-not-found'),
    pytest.param('acme/wide', {'revision': 'v1.0'}, '', [('AG701', 'error', "does not fit 'acme/wide'")], 1,
                 id='revision-branch'),
    pytest.param('acme/wide', {'revision': 'b' * 40}, '', [('AG701', 'error', "does not fit 'acme/wide'")], 1,
                 id='revision-commit'),
    pytest.param('acme/gated', {}, '', [('AG707', 'warning', ('gated on the Hub (manual approval): every machine '
                                                              'that loads the adapter needs HF_TOKEN of an account '
                                                              'that was granted access (HF_TOKEN here has no access '
                                                              'to its files, so the fit was not checked)'))], 0,
                 id='gated-without-access'),
    pytest.param('acme/gated', {}, TOKEN, [('AG701', 'error', "does not fit 'acme/gated'"),
                                           ('AG707', 'warning', 'granted access')], 1, id='gated-with-access'),
    pytest.param('acme/auto-gated', {}, TOKEN, [('AG707', 'warning', 'gated on the Hub (automatic approval)')], 0,
                 id='auto-gated'),
    pytest.param('acme/private', {}, '', [('AG705', 'error', 'or a private one that this HF_TOKEN may not see')], 1,
                 id='private-without-access'),
    pytest.param('acme/private', {}, TOKEN, [('AG701', 'error', "does not fit 'acme/private'"),
                                             ('AG707', 'warning', "base model 'acme/private' is private on the Hub")],
                 1, id='private-with-access'),
    pytest.param('acme/old-name', {}, '', [('AG701', 'error', "does not fit 'acme/old-name'"),
                                           ('AG708', 'warning',
                                            "'acme/old-name' has moved to 'acme/renamed' on the Hub")],
                 1, id='moved'),
    pytest.param('Acme/Small', {}, '', [('AG708', 'warning', "'Acme/Small' differs in letter case from 'acme/small'")],
                 0, id='letter-case'),
    pytest.param('acme/no-config', {}, '', [], 0, id='no-config-json'),
]


@pytest.fixture(scope='module')
def answered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """Every case of CASES checked in one run per token: case id -> (exit code, findings)."""
    tmp_path = tmp_path_factory.mktemp('online')
    results = {}
    with serve(_hub()) as hub:
        for token in ('', TOKEN):
            online = Online(hub, tmp_path / (token or 'anonymous'))
            cases = [c for c in CASES if c.values[2] == token]
            configs = {c.id: online.adapter(str(c.id), base_model_name_or_path=c.values[0],
                                            **cast('dict[str, Any]', c.values[1]))
                       for c in cases}
            _, findings = online.findings('--online', *configs.values(), HF_TOKEN=token)
            for case_id, config in configs.items():
                mine = [f for f in findings if f['path'] == str(config)]
                results[str(case_id)] = (1 if any(f['severity'] == 'error' for f in mine) else 0, mine)
    return results


@pytest.mark.parametrize(('base', 'changes', 'token', 'expected', 'code'), CASES)
def test_what_the_hub_says(
        answered: dict[str, tuple[int, list[dict[str, Any]]]], request: pytest.FixtureRequest, base: str,
        changes: dict[str, Any], token: str, expected: list[tuple[str, str, str]], code: int) -> None:
    exit_code, findings = answered[request.node.callspec.id]
    assert exit_code == code
    assert sorted(f['code'] for f in findings) == sorted(c for c, _, _ in expected), findings
    for code_, severity, fragment in expected:
        assert any(f['code'] == code_ and f['severity'] == severity and fragment in f['message'] for f in findings), (
            fragment, findings)


def test_without_online_nothing_is_asked(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/missing')
    assert online.findings(config) == (0, [])
    assert online.hub.requests == []


def test_the_config_fetched_online_is_found_offline_later(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/wide')
    online.findings('--online', config)
    # written by huggingface_hub into the Hugging Face cache, where the offline lookup finds it
    found = hfcache.cached_file('acme/wide', 'config.json', cache=str(online.cache))
    assert found is not None
    assert json.loads(Path(found).read_text()) == WIDE
    online.hub.requests.clear()
    code, findings = online.findings(config, HF_HUB_OFFLINE='1')
    assert [f['code'] for f in findings] == ['AG701']
    assert code == 1
    assert online.hub.requests == []


def test_answers_are_kept_between_runs(online: Online) -> None:
    configs = [online.adapter(name, base_model_name_or_path=base)
               for name, base in (('a', 'acme/wide'), ('b', 'acme/missing'), ('c', 'acme/old-name'))]
    first = online.findings('--online', *configs)
    asked = online.model_requests()
    assert asked
    second = online.findings('--online', *configs)
    assert second == first
    assert online.model_requests() == asked, 'the second run asked the Hub again'
    data = json.loads(online.answers.read_text())
    assert len(data['answers']) == 3
    assert not any(TOKEN in key for key in data['answers'])


@pytest.mark.parametrize('change', ('expired', 'not-found-expires-sooner', 'damaged', 'config-deleted', 'other-token'))
def test_answers_are_asked_again(online: Online, change: str) -> None:
    base = 'acme/missing' if change == 'not-found-expires-sooner' else 'acme/wide'
    config = online.adapter('adapter', base_model_name_or_path=base)
    online.findings('--online', config)
    data = json.loads(online.answers.read_text())
    env = {}
    if change in ('expired', 'not-found-expires-sooner'):
        age = 25 * 3600 if change == 'expired' else 2 * 3600  # found: 24 h; not found: 1 h
        for entry in data['answers'].values():
            entry['time'] -= age
        online.answers.write_text(json.dumps(data))
    elif change == 'damaged':
        online.answers.write_text('{"answers": ')
    elif change == 'config-deleted':
        shutil.rmtree(online.cache)
    else:
        env['HF_TOKEN'] = TOKEN
    online.hub.requests.clear()
    online.findings('--online', config, **env)
    assert online.model_requests(), 'the Hub was not asked again'
    assert isinstance(json.loads(online.answers.read_text())['answers'], dict)


def test_a_fresh_answer_is_not_asked_again_within_its_time(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/missing')
    online.findings('--online', config)
    data = json.loads(online.answers.read_text())
    for entry in data['answers'].values():
        entry['time'] -= 50 * 60  # 50 minutes: "not found" is kept for an hour
    online.answers.write_text(json.dumps(data))
    online.hub.requests.clear()
    online.findings('--online', config)
    assert online.model_requests() == []


def test_hf_hub_offline_turns_online_off_with_one_note(online: Online) -> None:
    configs = [online.adapter(name, base_model_name_or_path='acme/missing') for name in ('a', 'b')]
    result = online.run('--online', *configs, HF_HUB_OFFLINE='1')
    assert result.returncode == 0, result
    assert result.stderr.splitlines() == [
        'adapter-guard: --online ignored: HF_HUB_OFFLINE is set; using the local Hugging Face cache only']
    assert online.hub.requests == []


def test_hf_hub_offline_also_stops_fetching_allowed_models(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/wide')
    online.findings('--online', config)  # acme/wide's config.json is now in the Hugging Face cache
    (online.tmp_path / 'policy.toml').write_text('allow = ["acme/wide", "acme/small"]\n')
    online.hub.requests.clear()
    _code, findings = online.findings('--online', '--config', online.tmp_path / 'policy.toml', config,
                                      HF_HUB_OFFLINE='1')
    assert [f['code'] for f in findings] == ['AG701']
    assert 'the weights fit' not in findings[0]['message']
    assert online.hub.requests == []


def test_a_hub_that_does_not_answer_ends_the_run_with_one_line(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/wide')
    online.hub.hang.set()
    result = online.run('--online', config, HF_HUB_ETAG_TIMEOUT='1')
    assert result.returncode == 2, result
    assert result.stdout == ''
    assert result.stderr.splitlines() == [
        (f'adapter-guard: error: --online: the Hugging Face Hub at {online.hub.url} cannot be asked: '
         'no answer within 1 s (HF_HUB_ETAG_TIMEOUT); run without --online to check against the local cache only')]
    assert not online.answers.exists(), 'a failure to ask is never kept as an answer'


def test_a_hub_that_is_not_there_ends_the_run_with_one_line(online: Online) -> None:
    with socket.socket() as unused:
        unused.bind(('127.0.0.1', 0))
        port = unused.getsockname()[1]
    config = online.adapter('adapter', base_model_name_or_path='acme/wide')
    result = online.run('--online', config, HF_ENDPOINT=f'http://127.0.0.1:{port}')
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [
        (f'adapter-guard: error: --online: the Hugging Face Hub at http://127.0.0.1:{port} cannot be asked: '
         'connection refused; run without --online to check against the local cache only')]


def test_allowed_models_are_fetched_to_name_the_one_that_fits(online: Online) -> None:
    config = online.adapter('adapter', base_model_name_or_path='acme/wide')
    (online.tmp_path / 'policy.toml').write_text('allow = ["acme/wide", "acme/small", "acme/*"]\n')
    _code, findings = online.findings('--online', '--config', online.tmp_path / 'policy.toml', config)
    assert [f['code'] for f in findings] == ['AG701']
    assert "the weights fit 'acme/small'" in findings[0]['message']
    assert 'GET /api/models/acme/small' in online.hub.requests


def test_online_is_never_in_the_hooks_default_arguments() -> None:
    """pre-commit.ci has no network: --online is for a CI step (README.md)."""
    for hook in yaml.safe_load((REPO / '.pre-commit-hooks.yaml').read_text()):
        assert '--online' not in ' '.join([hook['entry'], *hook.get('args', [])]), hook['id']
