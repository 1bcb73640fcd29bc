"""The few exceptions that end a run with exit code 2 (never a traceback)."""
from __future__ import annotations


class UsageError(Exception):
    """Bad command line, or an environment the tool cannot work in."""


class PolicyError(UsageError):
    """A policy file that is broken: the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        where = f'{source}: {key}: ' if key else f'{source}: '
        super().__init__(where + problem)
        self.source = source
        self.key = key
        self.problem = problem


class GitError(UsageError):
    """git itself failed (missing executable, corrupt repository, bad ref)."""
