"""adapter-guard commit-msg MSGFILE: the staged change, judged with its commit message.

The hook id adapter-guard-commit-msg runs this at git's commit-msg stage,
the only stage where the message, and so a ``Base-Model-Change:`` trailer,
exists.  It checks only history (AG301, AG302) of the staged configs; the
static checks ran at the pre-commit stage.
"""
from __future__ import annotations

import argparse
import os
import re

from adapter_guard import gitlog
from adapter_guard import gitrepo
from adapter_guard.commands import check
from adapter_guard.errors import UsageError

_TRAILER = re.compile(r'^' + gitlog.TRAILER + r'\s*:\s*(.+?)\s*$', re.IGNORECASE | re.MULTILINE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('message_file', metavar='MSGFILE', help='the commit message file git passes to commit-msg')


def trailers(message: str) -> tuple[str, ...]:
    """Base-Model-Change values, ignoring git's comment lines."""
    kept = '\n'.join(line for line in message.splitlines() if not line.startswith('#'))
    return tuple(_TRAILER.findall(kept))


def run(args: argparse.Namespace) -> int:
    try:
        with open(args.message_file, encoding='utf-8', errors='replace') as f:
            message = f.read()
    except OSError as e:
        raise UsageError(f'cannot read the commit message {args.message_file}: {e.strerror or e}')
    repo = gitrepo.open_repo()
    if repo is None:
        raise UsageError('adapter-guard commit-msg runs inside a git repository')
    staged = [path for path, _ in repo.staged_configs()]
    paths = [os.path.relpath(os.path.join(repo.root, p)) for p in staged]
    namespace = argparse.Namespace(
        **{**vars(args), 'paths': paths, 'from_ref': None, 'to_ref': None, 'no_history': False, 'fix': False,
           'select': args.select or frozenset(('AG301', 'AG302'))},
    )
    return check.run(namespace, trailers=trailers(message), from_index=True)
