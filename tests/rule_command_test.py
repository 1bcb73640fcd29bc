"""adapter-guard rule CODE | --all, and --help of every command."""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from adapter_guard.main import build_parser
from adapter_guard.main import main
from adapter_guard.rules import RULES
from adapter_guard.rules import sections


@pytest.mark.parametrize('code', sorted(RULES))
def test_rule_explains_each_code(run, code: str) -> None:
    result = run('rule', code.lower())
    assert (result.code, result.err) == (0, ''), result
    rule = RULES[code]
    assert result.out.startswith(f'{code}: {rule.title} (default severity: {rule.severity})\n')
    for heading, _ in sections(rule):
        assert f'\n{heading}\n  ' in result.out
    flat = ' '.join(result.out.split())
    for text in (rule.why, rule.fix, rule.message):
        assert ' '.join(text.split()) in flat
    assert result.out.endswith(f'More: https://github.com/adapter-guard/adapter-guard#{code.lower()}\n')
    assert max(len(line) for line in result.out.splitlines()) <= 100


def test_rule_all_lists_every_code(run) -> None:
    result = run('rule', '--all')
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(RULES)
    assert lines[0] == f'AG001  error    {RULES["AG001"].title}'
    for line in lines:
        code, severity, title = re.fullmatch(r'(AG\d{3})  (\w+) +(.+)', line).groups()  # type: ignore[union-attr]
        assert (severity, title) == (RULES[code].severity, RULES[code].title)


def test_rule_as_json(run) -> None:
    one = json.loads(run('rule', 'AG202', '--format', 'json').out)
    assert one['code'] == 'AG202'
    assert one['url'].endswith('#ag202')
    assert one['fix'] == RULES['AG202'].fix
    every = json.loads(run('rule', '--all', '--format', 'json').out)
    assert [r['code'] for r in every] == sorted(RULES)


@pytest.mark.parametrize('args', (('rule', 'AG999'), ('rule', 'lora')))
def test_unknown_code_is_a_usage_error(run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.code == 2
    assert result.err.count('\n') == 1
    assert 'unknown rule code' in result.err
    assert 'rule --all' in result.err


@pytest.mark.parametrize('args', (('rule',), ('rule', 'AG301', '--all')))
def test_code_or_all_is_required(args: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(list(args))
    assert raised.value.code == 2


# -- --help: plain text, every option described (issue 8, messages) -----------------------------

def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {'adapter-guard': parser, **{f'adapter-guard {name}': sub for name, sub in commands.choices.items()}}


PARSERS = _parsers()
MARKUP = re.compile(r'`|\*\*|(^|\s):\w+:|::\s*$|^\.\. ', re.MULTILINE)  # Markdown and reST


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_help_is_plain_text(name: str) -> None:
    text = PARSERS[name].format_help()
    assert not MARKUP.search(text), f'{name} --help has markup: {MARKUP.search(text)!r}\n{text}'
    assert PARSERS[name].description, f'{name} has no description'


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_every_option_is_described(name: str) -> None:
    for action in PARSERS[name]._actions:
        if isinstance(action, argparse._SubParsersAction):
            assert all(c.help for c in action._choices_actions), f'{name}: a command without help'
            continue
        label = '/'.join(action.option_strings) or action.dest
        assert action.help, f'{name} {label}'
        assert action.help != argparse.SUPPRESS, f'{name} {label}'
        assert len(action.help) > 10, f'{name} {label}'


def test_the_check_sees_markup() -> None:
    for text in ('use `adapter-guard`', 'a ``literal``', '**bold**', 'see :ref:`x`', 'Example::\n', '.. note::'):
        assert MARKUP.search(text), text
    assert not MARKUP.search('Base-Model-Change: trailer, [[accept]] entry, 10:30')


def test_help_through_the_console() -> None:
    result = subprocess.run([sys.executable, '-m', 'adapter_guard', 'rule', '--help'], capture_output=True, text=True)
    assert result.returncode == 0
    assert 'what it catches' in result.stdout
