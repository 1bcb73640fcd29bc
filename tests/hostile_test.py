"""Broken and hostile files: always a finding or a one-line error, exit 0, 1 or 2, never a traceback."""
from __future__ import annotations

import json
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
        st.binary(max_size=8) | st.sampled_from([b'NaN', b'"', b'{', b'[', b'\\', b'\xff', b'\x00', b'\xef\xbb\xbf', b'}', b',']),
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
                         '---\ntags: 3\n---\n', '---\n\x00\n---\n', '---\n', '---\nbase_model: !!python/object:os.system x\n---\n']),
    ),
    weights=st.one_of(
        st.binary(max_size=64),
        st.builds(lambda n, body: n.to_bytes(8, 'little') + body, st.integers(0, 2**64 - 1), st.binary(max_size=64)),
        st.builds(lambda body: len(body).to_bytes(8, 'little') + body,
                  st.sampled_from([b'[]', b'{"a": 1}', b'{"x.lora_A.weight": {"shape": "8"}}', b'{"x.lora_A.weight": {"shape": [8, -1]}}', b'{"__metadata__": 5}', b'nul\x00'])),
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
