"""The command line: parse arguments, run a command, turn errors into exit codes.

Exit codes: 0 no error findings, 1 error findings, 2 usage error or a broken
policy file.  Nothing an input file contains produces a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Sequence

from adapter_guard import __version__
from adapter_guard import color
from adapter_guard.errors import UsageError
from adapter_guard.options import Options
from adapter_guard.rules import unknown_selector

COMMANDS = ('check', 'commit-msg', 'audit', 'init', 'lock', 'demo', 'rule')


def _codes(value: str) -> frozenset[str]:
    codes = frozenset(c.strip().upper() for c in value.split(',') if c.strip())
    for code in codes:
        problem = unknown_selector(code)
        if problem:
            raise argparse.ArgumentTypeError(problem)
    return codes


# What `--help` says of each command: plain text, for people (module docstrings are for developers).
DESCRIPTIONS = {
    'check': 'Check adapter configs: the schema generated from PEFT, the team policy, the lock, and the git '
             'history of base_model_name_or_path. With no PATH, every adapter_config.json under the current '
             'folder. The history checked follows from how it runs: inside git commit, the index being '
             'committed is compared with its parents; a commit range (--from-ref and --to-ref, or the refs '
             'pre-commit sets on push) checks every commit of the range; otherwise a config that differs '
             'from HEAD is compared with HEAD, and one identical to HEAD has its whole history checked.',
    'commit-msg': 'The commit-msg hook: judges a staged change of base_model_name_or_path together with the '
                  'commit message, so that a Base-Model-Change: trailer can acknowledge an intended change. '
                  'It checks history only (AG301, AG302); the static checks run at the pre-commit stage.',
    'audit': 'Every adapter config in the whole history: the timeline of its base model (commit, date, '
             'author), and every change that was not acknowledged. It covers history only; check covers the '
             'files as they are.',
    'init': 'Write a starter policy for an existing repository: an allow list of the Hub ids the adapters '
            'use now, and an [[accept]] entry for every past change of base model that nothing acknowledges, '
            'so that adoption starts green and the baseline is reviewable. --lock writes the lock too.',
    'lock': 'Write adapter-guard.lock at the repository root: the base model and revision of every adapter '
            'config, trusted without history (a shallow CI clone needs nothing else). New configs are added '
            'and gone ones dropped; an entry changes only with --update PATH, the way to make an intended '
            'change of base model, committed together with the config.',
    'demo': 'Show the problem and the hook in a throwaway repository: an adapter re-saved the way PEFT does '
            'after loading its base model from a local folder, the commit rejected, --fix restoring the Hub '
            'id, an intended change acknowledged, and the audit. Nothing is downloaded.',
    'rule': 'Explain a rule code: what it catches, why it matters, a failing example, how to fix it and how '
            'to acknowledge or silence it. --all lists every code.',
}


# Each command: its one-line help in `adapter-guard --help`.
HELP = {
    'check': 'check adapter configs (the default command; the pre-commit hook)',
    'commit-msg': 'check staged configs with the commit message (the commit-msg hook)',
    'audit': 'the base-model timeline of every adapter in the history',
    'init': 'write a starter policy for an existing repository',
    'lock': 'write adapter-guard.lock: the base model of every adapter, trusted without history',
    'demo': 'show the problem and the hook in a throwaway repository',
    'rule': 'explain a rule code, or list them all',
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's module is imported and its options added.

    The hook runs on every commit: importing every command's module would
    cost it several milliseconds for nothing.
    """
    parser = argparse.ArgumentParser(
        prog='adapter-guard',
        description='Keep PEFT adapter_config.json honest: schemas from PEFT, a base-model policy, '
                    'and silent rewrites of base_model_name_or_path in git history.',
        epilog='adapter-guard PATH ... is short for adapter-guard check PATH ...',
    )
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    for name in COMMANDS:
        sub = commands.add_parser(name, help=HELP[name], description=DESCRIPTIONS[name])
        if command not in (None, name):
            continue
        module = importlib.import_module(f'adapter_guard.commands.{name.replace("-", "_")}')
        module.add_arguments(sub)
        if name in ('check', 'commit-msg', 'audit'):
            _common(sub, with_sarif=name == 'check')
        sub.set_defaults(run=module.run)
    return parser


def _common(parser: argparse.ArgumentParser, *, with_sarif: bool) -> None:
    parser.add_argument('--config', metavar='FILE', help='policy file (default: .adapter-guard.toml or pyproject.toml)')
    formats = ('text', 'json', 'github', 'sarif') if with_sarif else ('text', 'json', 'github')
    parser.add_argument('--format', choices=formats, default='text',
                        help='text (default), json, github (Actions annotations plus text)'
                             + (', or sarif (SARIF 2.1.0, for GitHub code scanning)' if with_sarif else ''))
    parser.add_argument('--select', type=_codes, default=frozenset(), metavar='CODES',
                        help='only these codes or prefixes, comma-separated (AG2,AG104)')
    parser.add_argument('--ignore', type=_codes, default=frozenset(), metavar='CODES',
                        help='never these codes or prefixes')
    parser.add_argument('--color', choices=color.CHOICES, default='auto',
                        help='colour the text output: auto (default: on a terminal, unless NO_COLOR is set; '
                             'FORCE_COLOR forces it), always or never')


def _with_default_command(argv: list[str]) -> list[str]:
    if argv and (argv[0] in COMMANDS or argv[0] in ('-h', '--help', '--version')):
        return argv
    return ['check'] + argv


def main(argv: Sequence[str] | None = None) -> int:
    _never_fail_to_print()
    args_list = list(sys.argv[1:] if argv is None else argv)
    argv = _with_default_command(args_list)
    args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
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


def _never_fail_to_print() -> None:
    """A file name that is not UTF-8 (kept as surrogates) or not in the terminal's encoding prints escaped."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == 'strict':
            stream.reconfigure(errors='backslashreplace')


def _run(args: argparse.Namespace) -> int:
    result: int = args.run(Options.from_namespace(args))
    return result
