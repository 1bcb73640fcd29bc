"""adapter-guard rule CODE | --all: what a rule catches, why, and how to fix or silence it.

Everything printed comes from the rule registry (adapter_guard.rules), the
same source as README.md's rule tables and the SARIF rules.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap

from adapter_guard.errors import UsageError
from adapter_guard.options import Options
from adapter_guard.rules import Rule
from adapter_guard.rules import RULES
from adapter_guard.rules import sections

WIDTH = 88


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument('code', nargs='?', metavar='CODE', help='the rule code to explain, such as AG301')
    which.add_argument('--all', action='store_true', dest='all_rules', help='list every rule: code, severity, title')
    parser.add_argument('--format', choices=('text', 'json'), default='text',
                        help='text (default) or json (every field of the registry, with the README link)')


def explain(rule: Rule) -> str:
    lines = [f'{rule.code}: {rule.title} (default severity: {rule.severity})', '']
    for heading, body in sections(rule):
        lines.append(heading)
        lines += textwrap.wrap(body, WIDTH, initial_indent='  ', subsequent_indent='  ', break_on_hyphens=False,
                               break_long_words=False)
        lines.append('')
    lines.append(f'More: {rule.url}')
    return '\n'.join(lines) + '\n'


def listing(rules: list[Rule]) -> str:
    return ''.join(f'{r.code}  {r.severity:<7}  {r.title}\n' for r in rules)


def _record(rule: Rule) -> dict[str, str]:
    return {**rule._asdict(), 'url': rule.url}


def run(args: Options) -> int:
    if args.all_rules:
        chosen = [RULES[code] for code in sorted(RULES)]
    else:
        assert args.code is not None  # argparse requires CODE or --all
        code = args.code.strip().upper()
        if code not in RULES:
            raise UsageError(f'unknown rule code {args.code!r}; adapter-guard rule --all lists them')
        chosen = [RULES[code]]
    if args.format == 'json':
        records = [_record(r) for r in chosen]
        sys.stdout.write(json.dumps(records if args.all_rules else records[0], indent=2) + '\n')
    elif args.all_rules:
        sys.stdout.write(listing(chosen))
    else:
        sys.stdout.write(explain(chosen[0]))
    return 0
