from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapter_guard import jsonload
from adapter_guard.positions import scan
from tests.util import LORA
from tests.util import peft_dumps


def _codes(loaded: jsonload.Loaded) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in loaded.findings]


@pytest.mark.parametrize(('text', 'expected'), (
    pytest.param('{"a": 1,}', [('AG001', 1, 9)], id='trailing comma'),
    pytest.param('{\n  "a": 1\n  "b": 2\n}', [('AG001', 3, 3)], id='missing comma'),
    pytest.param('', [('AG001', 1, 1)], id='empty'),
    pytest.param('{"a": 1, "a": 2}', [('AG002', 1, 10)], id='duplicate'),
    pytest.param('{"a": {"b": 1,\n "b": 2}}', [('AG002', 2, 2)], id='nested duplicate'),
    pytest.param('{"a": [1, NaN]}', [('AG003', 1, 11)], id='nan in array'),
    pytest.param('{\n"x": -Infinity}', [('AG003', 2, 6)], id='negative infinity'),
    pytest.param('[1]', [('AG004', 1, 1)], id='not an object'),
    pytest.param('{"a": "\\u00e9", "b": "é"}', [], id='unicode ok'),
))
def test_parse_positions(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert _codes(jsonload.parse('f.json', text.encode())) == expected


def test_invalid_utf8_position() -> None:
    loaded = jsonload.parse('f.json', b'{\n  "a": "caf\xe9"\n}')
    assert _codes(loaded) == [('AG004', 2, 12)]
    assert '0xe9' in loaded.findings[0].message


def test_bom_is_reported_and_the_rest_still_checked() -> None:
    loaded = jsonload.parse('f.json', b'\xef\xbb\xbf{"a": 1, "a": 2}')
    assert [f.code for f in loaded.findings] == ['AG004', 'AG002']
    assert loaded.document is not None


def test_duplicate_keeps_last_value_like_peft() -> None:
    loaded = jsonload.parse('f.json', b'{"base_model_name_or_path": "a", "base_model_name_or_path": "b"}')
    assert loaded.document is not None
    assert loaded.document.data['base_model_name_or_path'] == 'b'


def test_deep_nesting_is_a_finding_not_a_crash() -> None:
    loaded = jsonload.parse('f.json', b'{"a": ' + b'[' * 100_000 + b']' * 100_000 + b'}')
    assert [f.code for f in loaded.findings] == ['AG001']


def test_large_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / 'adapter_config.json'
    with open(path, 'wb') as f:
        f.truncate(jsonload.MAX_BYTES + 1)  # sparse: reading it would be visible in memory
    loaded = jsonload.load(str(path))
    assert [f.code for f in loaded.findings] == ['AG004']
    assert 'larger than the 1 MiB' in loaded.findings[0].message


def test_unreadable_path_is_a_finding(tmp_path: Path) -> None:
    loaded = jsonload.load(str(tmp_path))  # a directory
    assert [f.code for f in loaded.findings] == ['AG004']


def test_scan_positions_match_peft_layout() -> None:
    text = peft_dumps(LORA)
    positions = scan(text)
    lines = text.splitlines()
    for key in LORA:
        line, column = positions.keys[(key,)]
        assert lines[line - 1][column - 1:].startswith(json.dumps(key))
    line, column = positions.values[('target_modules', 1)]
    assert lines[line - 1][column - 1:].startswith('"v_proj"')


def test_locate_missing_pointer_falls_back_to_parent() -> None:
    loaded = jsonload.parse('f.json', b'{\n  "a": {\n    "b": 1\n  }\n}')
    document = loaded.document
    assert document is not None
    assert document.locate(('a', 'zz')) == (2, 3)
    assert document.locate(('a',), 'object') == (2, 8)
    assert document.locate(('nope',)) == (1, 1)
    assert document.locate(('a',), 'key') == (2, 3)


LONG = '1' * (jsonload.MAX_INT_DIGITS + 1)


@pytest.mark.parametrize(('text', 'expected'), (
    pytest.param('{"r": 1e400}', [('AG003', 1, 7)], id='float overflow'),
    pytest.param('{"r": [-1.5E+999]}', [('AG003', 1, 8)], id='negative float overflow'),
    pytest.param('{"r": 1e308}', [], id='largest float'),
    pytest.param('{"r": ' + '9' * jsonload.MAX_INT_DIGITS + '}', [], id='4300 digits'),
    pytest.param('{\n"r": ' + LONG + '}', [('AG004', 2, 6)], id='4301 digits'),
    pytest.param('{"a": {"r": -' + LONG + '}}', [('AG004', 1, 13)], id='negative, nested'),
))
def test_numbers_python_cannot_keep(text: str, expected: list[tuple[str, int, int]]) -> None:
    loaded = jsonload.parse('f.json', text.encode())
    assert _codes(loaded) == expected
    if expected and expected[0][0] == 'AG004':
        assert loaded.document is None  # PEFT's json.load raises: there is nothing to check
        assert "integer of 4,301 digits: Python's json (and so PEFT) refuses" in loaded.findings[0].message


def test_float_overflow_says_what_python_reads() -> None:
    (finding,) = jsonload.parse('f.json', b'{"lora_dropout": 1e400}').findings
    assert finding.message == (
        "'lora_dropout' is 1e400, too large for a float: Python (and so PEFT) reads it as Infinity, which is not JSON"
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.builds(
    lambda prefix, digits, suffix: prefix + digits + suffix,
    st.sampled_from([b'{"r": ', b'{"r": -', b'[', b'{"r": 1e', b'{"r": 0.']),
    st.integers(4290, 4310).map(lambda n: b'7' * n),
    st.sampled_from([b'}', b']', b'', b'e999}', b'.5}', b'}}']),
))
def test_parse_never_raises(raw: bytes) -> None:
    loaded = jsonload.parse('f.json', raw)
    assert loaded.document is not None or loaded.findings
