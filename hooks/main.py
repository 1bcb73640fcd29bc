"""The command line: parse arguments, run a command, turn errors into exit codes.

Exit codes: 0 no error findings, 1 error findings, 2 usage error or a broken
policy file.  Nothing an input file contains produces a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from adapter_guard import __version__
from adapter_guard.errors import UsageError
from adapter_guard.options import Options
from adapter_guard.rules import unknown_selector

COMMANDS = ('check', 'commit-msg', 'audit', 'init', 'lock', 'demo')


def _codes(value: str) -> frozenset[str]:
    codes = frozenset(c.strip().upper() for c in value.split(',') if c.strip())
    for code in codes:
        problem = unknown_selector(code)
        if problem:
            raise argparse.ArgumentTypeError(problem)
    return codes


def build_parser() -> argparse.ArgumentParser:
    from adapter_guard.commands import audit
    from adapter_guard.commands import check
    from adapter_guard.commands import commit_msg
    from adapter_guard.commands import demo
    from adapter_guard.commands import init
    from adapter_guard.commands import lock

    parser = argparse.ArgumentParser(
        prog='adapter-guard',
        description='Keep PEFT adapter_config.json honest: schemas from PEFT, a base-model policy, '
                    'and silent rewrites of base_model_name_or_path in git history.',
        epilog='`adapter-guard PATH ...` is short for `adapter-guard check PATH ...`.',
    )
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    for name, module, text in (
        ('check', check, 'check adapter configs (the default command; the pre-commit hook)'),
        ('commit-msg', commit_msg, 'check staged configs with the commit message (the commit-msg hook)'),
        ('audit', audit, 'the base-model timeline of every adapter in the history'),
        ('init', init, 'write a starter policy for an existing repository'),
        ('lock', lock, 'write adapter-guard.lock: the base model of every adapter, trusted without history'),
        ('demo', demo, 'show the problem and the hook in a throwaway repository'),
    ):
        sub = commands.add_parser(name, help=text, description=(module.__doc__ or '').strip())
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        module.add_arguments(sub)
        if name in ('check', 'commit-msg', 'audit'):
            _common(sub)
        sub.set_defaults(run=module.run)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--config', metavar='FILE', help='policy file (default: .adapter-guard.toml or pyproject.toml)')
    parser.add_argument('--format', choices=('text', 'json', 'github'), default='text',
                        help='text (default), json, or github (Actions annotations plus text)')
    parser.add_argument('--select', type=_codes, default=frozenset(), metavar='CODES',
                        help='only these codes or prefixes, comma-separated (AG2,AG104)')
    parser.add_argument('--ignore', type=_codes, default=frozenset(), metavar='CODES',
                        help='never these codes or prefixes')


def _with_default_command(argv: list[str]) -> list[str]:
    if argv and (argv[0] in COMMANDS or argv[0] in ('-h', '--help', '--version')):
        return argv
    return ['check'] + argv


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_with_default_command(args_list))
    try:
        return _run(args)
    except UsageError as e:
        print(f'adapter-guard: error: {e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `adapter-guard ... | head`: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    result: int = args.run(Options.from_namespace(args))
    return result
