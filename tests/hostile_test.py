"""Broken and hostile files: always a finding or a one-line error, exit 0, 1 or 2, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from adapter_guard.main import main
from tests.util import CORPUS
from tests.util import LORA
from tests.util import peft_dumps

REAL = [p.read_bytes() for p in sorted((CORPUS / 'public').glob('*.json'))] or [peft_dumps(LORA).encode()]

byte_edits = st.lists(
    st.tuples(
        st.sampled_from(['truncate', 'insert', 'delete', 'duplicate-line', 'nan', 'retype']),
        st.integers(0, 10_000),
        st.binary(max_size=8)
        | st.sampled_from([b'NaN', b'"', b'{', b'[', b'\\', b'\xff', b'\x00', b'\xef\xbb\xbf', b'}', b',']),
    ),
    min_size=1, max_size=4,
)


def mutate(raw: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    for op, at, payload in edits:
        at = at % (len(raw) + 1)
        if op == 'truncate':
            raw = raw[:at]
        elif op == 'insert':
            raw = raw[:at] + payload + raw[at:]
        elif op == 'delete':
            raw = raw[:at] + raw[at + len(payload) + 1:]
        elif op == 'duplicate-line':
            lines = raw.split(b'\n')
            i = at % len(lines)
            lines.insert(i, lines[i])
            raw = b'\n'.join(lines)
        elif op == 'nan':
            raw = raw.replace(b': 16', b': NaN', 1).replace(b': 8', b': Infinity', 1)
        else:  # retype: a value becomes a string, a list or an object
            raw = raw.replace(b'"r": ', b'"r": "', 1).replace(b'"lora_alpha": ', b'"lora_alpha": [', 1)
    return raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=st.sampled_from(REAL), edits=byte_edits)
def test_mutated_real_configs(original: bytes, edits: list[tuple[str, int, bytes]], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / 'adapter_config.json'
    path.write_bytes(mutate(original, edits))
    code = main(['check', str(path), '--no-history', '--format', 'json'])
    out = capsys.readouterr().out
    assert code in (0, 1, 2)
    findings = json.loads(out)['findings']
    assert all(f['line'] >= 1 and f['column'] >= 1 for f in findings)
    assert (code == 1) == any(f['severity'] == 'error' for f in findings)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(sorted(LORA)) | st.text(max_size=8), inner, max_size=6),
    max_leaves=20,
))
def test_any_json_document(data: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / 'adapter_config.json'
    if isinstance(data, dict):
        data = {**LORA, **data}
    path.write_text(json.dumps(data))
    code = main(['check', str(path), '--no-history', '--format', 'json'])
    capsys.readouterr()
    assert code in (0, 1)


@pytest.mark.parametrize('content', (
    pytest.param(b'', id='empty'),
    pytest.param(b'\xef\xbb\xbf', id='only a BOM'),
    pytest.param(b'\x00' * 64, id='NUL bytes'),
    pytest.param(b'{"a": ' * 50_000, id='unclosed nesting'),
    pytest.param(b'[' * 200_000 + b']' * 200_000, id='deep nesting'),
    pytest.param(b'{"peft_type": "LORA", "r": 1e999}', id='huge number'),
    pytest.param(b'{"peft_type": "LORA", "\\ud800": 1}', id='lone surrogate key'),
    pytest.param(b'{"peft_type": "LORA", "base_model_name_or_path": "\\u0000"}', id='NUL in a value'),
))
def test_no_traceback_in_a_real_process(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / 'adapter_config.json'
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, '-m', 'adapter_guard', str(path), '--no-history'], capture_output=True, text=True,
    )
    assert result.returncode in (0, 1, 2), result
    assert 'Traceback' not in result.stderr, result.stderr


def test_a_file_that_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / 'adapter_config.json'
    path.write_text(peft_dumps(LORA))
    path.chmod(0)
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', str(path), '--no-history'],
                            capture_output=True, text=True)
    path.chmod(0o644)
    assert result.returncode in (0, 1)  # root can read anything; others get AG004
    assert 'Traceback' not in result.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    card=st.one_of(
        st.text(max_size=200).map(lambda t: '---\n' + t + '\n---\n'),
        st.sampled_from(['---\nbase_model: [\n---\n', '---\n- a\n- b\n---\n', '---\nbase_model: {a: 1}\n---\n',
                         '---\ntags: 3\n---\n', '---\n\x00\n---\n', '---\n',
                         '---\nbase_model: !!python/object:os.system x\n---\n']),
    ),
    weights=st.one_of(
        st.binary(max_size=64),
        st.builds(lambda n, body: n.to_bytes(8, 'little') + body, st.integers(0, 2**64 - 1), st.binary(max_size=64)),
        st.builds(lambda body: len(body).to_bytes(8, 'little') + body,
                  st.sampled_from([b'[]', b'{"a": 1}', b'{"x.lora_A.weight": {"shape": "8"}}',
                                   b'{"x.lora_A.weight": {"shape": [8, -1]}}', b'{"__metadata__": 5}', b'nul\x00'])),
    ),
)
def test_hostile_files_beside_the_config(card: str, weights: bytes, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / 'adapter'
    folder.mkdir(exist_ok=True)
    (folder / 'adapter_config.json').write_text(peft_dumps(LORA))
    (folder / 'README.md').write_text(card, errors='surrogateescape')
    (folder / 'adapter_model.safetensors').write_bytes(weights)
    code = main(['check', str(folder), '--no-history', '--format', 'json'])
    findings = json.loads(capsys.readouterr().out)['findings']
    assert code in (0, 1)
    assert {f['code'] for f in findings} <= {'AG401', 'AG402'}


@pytest.mark.parametrize(('content', 'code', 'words'), (
    pytest.param(b'{"peft_type": "LORA", "r": ' + b'8' * 4301 + b'}', 'AG004', 'integer of 4,301 digits',
                 id='long integer'),
    pytest.param(b'{"peft_type": "LORA", "lora_dropout": 1e400}', 'AG003', 'reads it as Infinity', id='1e400'),
))
def test_numbers_python_cannot_keep_in_a_real_process(content: bytes, code: str, words: str, tmp_path: Path) -> None:
    path = tmp_path / 'adapter_config.json'
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, '-m', 'adapter_guard', str(path), '--no-history', '--format', 'json'],
        capture_output=True, text=True,
    )
    assert result.returncode == 1, result
    assert 'Traceback' not in result.stderr
    finding = next(f for f in json.loads(result.stdout)['findings'] if f['code'] == code)
    assert words in finding['message']


def _special(kind: str, path: Path) -> None:
    if kind == 'fifo':
        os.mkfifo(path)
    else:
        path.symlink_to('/dev/zero')


@pytest.mark.parametrize(('name', 'kind', 'code', 'what'), (
    ('adapter_config.json', 'fifo', 'AG004', 'is a FIFO (named pipe), not a regular file'),
    # a link to a device named adapter_config.json is never followed at all (AG005)
    ('adapter_config.json', 'device', 'AG005', 'is a symbolic link'),
    ('README.md', 'fifo', 'AG401', 'the model card is a FIFO (named pipe), not a regular file'),
    ('README.md', 'device', 'AG401', 'the model card is a character device, not a regular file'),
    ('adapter_model.safetensors', 'fifo', 'AG402',
     'adapter_model.safetensors is a FIFO (named pipe), not a regular file'),
    ('adapter_model.safetensors', 'device', 'AG402', 'adapter_model.safetensors is a character device'),
))
def test_special_files_are_findings_and_never_block(name: str, kind: str, code: str, what: str, tmp_path: Path) -> None:
    """A FIFO blocked open() forever; /dev/zero never ends.  The timeout only stops a hung test run."""
    folder = tmp_path / 'adapter'
    folder.mkdir()
    if name != 'adapter_config.json':
        (folder / 'adapter_config.json').write_text(peft_dumps(LORA))
    _special(kind, folder / name)
    target = folder / name if name == 'adapter_config.json' else folder
    result = subprocess.run(
        [sys.executable, '-m', 'adapter_guard', str(target), '--no-history', '--format', 'json'],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result
    (finding,) = json.loads(result.stdout)['findings']
    assert finding['code'] == code
    assert what in finding['message']


def test_deeply_nested_card_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / 'adapter'
    folder.mkdir()
    (folder / 'adapter_config.json').write_text(peft_dumps(LORA))
    (folder / 'README.md').write_text('---\nbase_model: ' + '[' * 1000 + ']' * 1000 + '\n---\n')
    code = main(['check', str(folder), '--no-history', '--format', 'json'])
    (finding,) = json.loads(capsys.readouterr().out)['findings']
    assert code == 1
    assert finding['code'] == 'AG401'
    assert finding['message'] == 'the model card metadata is unreadable: not valid YAML: nested too deeply'


def test_a_card_larger_than_the_limit_is_a_finding_and_never_read(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / 'adapter'
    folder.mkdir()
    (folder / 'adapter_config.json').write_text(peft_dumps(LORA))
    with open(folder / 'README.md', 'wb') as f:
        f.write(b'---\nbase_model: /home/alice/llama\n---\n')
        f.truncate(300_000_000)  # sparse: 300 MB that cost nothing to make
    code = main(['check', str(folder), '--no-history', '--format', 'json'])
    (finding,) = json.loads(capsys.readouterr().out)['findings']
    assert code == 1
    assert finding['code'] == 'AG401'
    assert finding['message'].startswith('the model card is 300,000,000 bytes, larger than the 1 MiB limit')


@pytest.mark.parametrize('encoding', ('ascii', 'utf-8'))
def test_a_path_that_is_not_utf8_on_a_strict_stdout(encoding: str, tmp_path: Path) -> None:
    """A file name with bytes that are not UTF-8, printed to a stdout that refuses what it cannot encode."""
    folder = os.fsencode(tmp_path) + b'/caf\xe9 \xff'
    os.mkdir(folder)
    with open(folder + b'/adapter_config.json', 'wb') as f:
        f.write(b'{"peft_type": "LORA", "r": 8,}')
    result = subprocess.run(
        [sys.executable, '-m', 'adapter_guard', os.fsdecode(folder), '--no-history'],
        capture_output=True, env={**os.environ, 'PYTHONIOENCODING': f'{encoding}:strict'},
    )
    assert result.returncode == 1, result
    assert b'Traceback' not in result.stderr
    assert b'AG001' in result.stdout
    assert b'adapter_config.json:1:30' in result.stdout
