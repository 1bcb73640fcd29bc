"""The rule registry is complete: every code explained, grouped and linkable.

A new code is one entry in hooks/rules.py; these tests say what it lacks.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapter_guard.rules import group_of
from adapter_guard.rules import Rule
from adapter_guard.rules import RULES
from adapter_guard.rules import sections
from adapter_guard.rules import SEVERITIES
from adapter_guard.rules import url
from tests.util import LORA

TEXT_FIELDS = [name for name in Rule._fields if name not in ('code', 'severity', 'given')]


@pytest.mark.parametrize('code', sorted(RULES))
def test_every_rule_is_explained(code: str) -> None:
    rule = RULES[code]
    assert re.fullmatch(r'AG\d{3}', rule.code)
    assert rule.code == code
    assert rule.severity in SEVERITIES
    missing = [name for name in TEXT_FIELDS if not getattr(rule, name).strip()]
    assert not missing, f'{code} needs {", ".join(missing)} in hooks/rules.py'
    for name in TEXT_FIELDS + ['given']:
        value = getattr(rule, name)
        assert '\n' not in value, f'{code}.{name}: one line (it becomes a table cell)'
        assert value.count('`') % 2 == 0, f'{code}.{name}: unbalanced backticks'
        assert not re.search(r'\*\*|``|(^|\s):\w+:`', value), f'{code}.{name}: only `backticks` as markup'
    assert not rule.message.startswith(code), 'the message is what follows the code'
    assert not rule.catches.endswith('.'), 'catches is a phrase; the README and rule add the full stop'


@pytest.mark.parametrize('code', sorted(RULES))
def test_every_rule_has_a_group_and_an_anchor(code: str) -> None:
    prefix, heading, _ = group_of(code)
    assert code.startswith(prefix)
    assert heading
    assert url(code) == f'https://github.com/adapter-guard/adapter-guard#{code.lower()}'


def test_a_code_without_a_group_says_where_to_add_it() -> None:
    with pytest.raises(LookupError, match='GROUPS'):
        group_of('AG999')


def test_sections_end_with_the_ways_to_silence_any_rule() -> None:
    headings = [heading for heading, _ in sections(RULES['AG301'])]
    assert headings == ['What it catches', 'Why it matters', 'Example', 'How to fix it',
                        'How to acknowledge or silence it']
    silence = dict(sections(RULES['AG301']))['How to acknowledge or silence it']
    assert 'Base-Model-Change:' in silence
    assert '`--ignore AG301`' in silence
    assert '"note"' in silence


# -- the documented example gives the documented message ----------------------------------------

def _example_file(code: str) -> tuple[str, str] | None:
    """(file content, policy) for an example that is one code span of JSON, else None.

    `{...}` or `[...]` is the whole file; `"key": value` goes into a valid
    LoRA config; a bare `"value"` is its base_model_name_or_path.
    """
    rule = RULES[code]
    span = re.fullmatch(r'`([^`]+)`', rule.example)
    if span is None or '…' in span.group(1):
        return None
    text = span.group(1)
    policy = ''.join(f'{line}\n' for line in re.findall(r'`([^`]+)`', rule.given))
    if text.startswith(('{', '[')):
        return text, policy
    fragment = json.loads('{' + text + '}') if '": ' in text else {'base_model_name_or_path': json.loads(text)}
    return json.dumps({**LORA, **fragment}, indent=2, sort_keys=True), policy


DOCUMENTED = [code for code in sorted(RULES) if _example_file(code)]


def test_most_examples_are_checked() -> None:
    assert len(DOCUMENTED) >= 12, DOCUMENTED


@pytest.mark.parametrize('code', DOCUMENTED)
def test_the_example_gives_the_message(run, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content, policy = _example_file(code)  # type: ignore[misc]
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'adapter_config.json').write_text(content)
    (tmp_path / '.adapter-guard.toml').write_text(policy)
    result = run('check', 'adapter_config.json', '--no-history', '--format', 'json')
    shown = RULES[code].message.split('…')[0].rstrip()
    messages = [f['message'] for f in result.findings if f['code'] == code]
    assert any(m.startswith(shown) for m in messages), (shown, result)
