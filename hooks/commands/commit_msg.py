"""adapter-guard commit-msg MSGFILE: the staged change, judged with its commit message.

The hook id adapter-guard-commit-msg runs this at git's commit-msg stage,
the only stage where the message, and so a ``Base-Model-Change:`` trailer,
exists.  It checks only history (AG301, AG302) of the staged configs; the
static checks ran at the pre-commit stage.  The trailer is read the way git
will read it from the stored commit: the message cleaned up as git commits
it, parsed by ``git interpret-trailers``.
"""
from __future__ import annotations

import argparse
import os

from adapter_guard import gitlog
from adapter_guard import gitrepo
from adapter_guard import hookenv
from adapter_guard.commands import check
from adapter_guard.errors import UsageError
from adapter_guard.options import Options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('message_file', metavar='MSGFILE', help='the commit message file git passes to commit-msg')


def run(options: Options) -> int:
    assert options.message_file is not None
    try:
        with open(options.message_file, encoding='utf-8', errors='surrogateescape') as f:
            message = f.read()
    except OSError as e:
        raise UsageError(f'cannot read the commit message {options.message_file}: {e.strerror or e}')
    repo = gitrepo.open_repo()
    if repo is None:
        raise UsageError('adapter-guard commit-msg runs inside a git repository')
    parents = hookenv.commit_parents(repo)
    paths = [os.path.relpath(os.path.join(repo.root, p)) for p in repo.staged_configs(parents[0] if parents else None)]
    if not paths:
        return 0
    trailers = gitlog.trailer_values(repo.trailers(message))
    staged = options._replace( paths=tuple(paths), from_ref=None, to_ref=None, no_history=False, fix=False,
        select=options.select or frozenset(('AG301', 'AG302')),
    )
    return check.run(staged, trailers=trailers)
