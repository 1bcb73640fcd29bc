"""The judgment of one step of a config's history: a rewrite to report, a repair, or acknowledged.

A change of the base model (AG301) or of its revision (AG302) is reported
unless it is a repair (a value that names no model replaced by an allowed
Hub id) or acknowledged: a ``Base-Model-Change:`` trailer, an ``[[accept]]``
table of the policy, or the lock's change in the same commit.  No
acknowledgement accepts a value that names no model.  The finding says what
changed, where, and the remedy that works here (``--fix``, the trailer when
the commit-msg hook will read it, or the ``[[accept]]`` table to paste).
"""
from __future__ import annotations

import os
import types
from collections.abc import Mapping
from typing import NamedTuple
from typing import Protocol

from adapter_guard import hookenv
from adapter_guard import lock
from adapter_guard import rewrites
from adapter_guard.checks.base_model import acceptable
from adapter_guard.checks.base_model import names_a_model
from adapter_guard.findings import Finding
from adapter_guard.gitlog import TRAILER
from adapter_guard.jsonload import Document
from adapter_guard.lock import Lock
from adapter_guard.policy import Policy
from adapter_guard.rewrites import BaseModel
from adapter_guard.rewrites import show
from adapter_guard.sources import Content
from adapter_guard.walker import Step


class Target(NamedTuple):
    """A config being checked, as the history stage needs it."""

    path: str                   # as given on the command line (findings use it)
    relpath: str                # relative to its repository's root
    content: Content | None     # what is being checked (disk, index, or the to-ref)
    document: Document | None   # parsed, to point at the key's line
    fixable: bool = False       # --fix may rewrite its text (readable, without AG001/AG002)


class YesNo(Protocol):
    """A yes or no that may be worked out only when it is asked for (``bool(...)``)."""

    def __bool__(self) -> bool: ...


class Judge(NamedTuple):
    """What a judgment of history needs beyond the steps: the policy and how to word it."""

    policy: Policy
    root: str
    label: str = ''              # where the checked content is: 'staged', 'at <rev>', '' (working tree)
    trailer_ready: YesNo = False  # the commit-msg hook will run, so a trailer is a way to acknowledge
    # commit sha ('' for the content being checked) -> the lock before and after it, where it changed
    locks: Mapping[str, tuple[Lock | None, Lock | None]] = types.MappingProxyType({})


class Assessment(NamedTuple):
    findings: list[Finding]
    acknowledged: str | None  # 'trailer' or 'policy'
    repair: bool              # a value that failed the static checks became one that passes


def missing(target: Target, why: str) -> Finding:
    return Finding(target.path, 'AG303', f'history not checked: {why}', line=1, column=1)


# -- the judgment of one step ---------------------------------------------------

def assess(step: Step, target: Target, judge: Judge, trailers: tuple[str, ...]) -> Assessment:
    """Findings for an unacknowledged rewrite in one step of a config's history."""
    if step.kind == 'beyond-history':
        why = f'{step.path} is in commit {step.commit.sha[:12]}, whose parents this shallow clone does not have'
        return Assessment([missing(target, why + SHALLOW_REMEDY)], None, False)
    if step.old is None or step.new is None:
        return Assessment([], None, False)
    rules = judge.policy.for_path(step.path)
    adapter = os.path.join(judge.root, step.path)

    new_ok = names_a_model(step.new.base, rules, adapter, judge.root)
    repair = acceptable(step.new.base, rules, adapter, judge.root) and \
        not names_a_model(step.old.base, rules, adapter, judge.root)
    findings, how = [], None
    for rewrite in rewrites.rewrites(step.old, step.new):
        if repair:
            continue  # a local path, null or invalid id replaced by an allowed Hub id
        how = _acknowledged(step, rewrite, judge, trailers) if new_ok else None
        if how is None:
            findings.append(_finding(step, target, judge, rewrite, trailers, new_ok))
    return Assessment(findings, how, repair)


def _acknowledged(step: Step, rewrite: rewrites.Rewrite, judge: Judge, trailers: tuple[str, ...]) -> str | None:
    """'trailer', 'policy' or 'lock': how an intended change was made explicit, if it was."""
    assert step.old is not None
    assert step.new is not None
    how = rewrites.acknowledged(step.path, rewrite, step.old, step.new, trailers, judge.policy.accepts)
    if (how is None and step.commit.sha in judge.locks
            and lock.acknowledges(*judge.locks[step.commit.sha], step.path, step.new)):
        how = 'lock'
    return how


SHALLOW_REMEDY = '; fetch the full history (fetch-depth: 0), or set history-since to a commit sha in this clone'


def _finding(step: Step, target: Target, judge: Judge, rewrite: rewrites.Rewrite,
             trailers: tuple[str, ...], new_ok: bool) -> Finding:
    old, new = step.old, step.new
    assert old is not None
    assert new is not None
    line, column = target.document.locate((rewrite.key,), 'key') if target.document else (1, 1)
    message = rewrite.message
    if step.kind == 're-added':
        message = (f're-added with {rewrite.key} {show(getattr(new, _FIELD[rewrite.key]))}: '
                   f'before it was deleted it held {show(getattr(old, _FIELD[rewrite.key]))}')
    if step.skipped:
        message += f' (the versions in commit {", ".join(c[:12] for c in step.skipped)} could not be read)'
    commit = step.commit.sha or None
    message += f' (in commit {commit[:12]})' if commit else (f' ({judge.label})' if judge.label else ' (not committed)')
    wanted = _acknowledgement(rewrite, new)
    named = [t for t in trailers if t != wanted]
    if named:
        message += f'; the {TRAILER} trailer names {named[0]!r}, the file says {wanted!r}'
    return Finding(
        target.path, rewrite.code, message + '; ' + _remedy(step, target, judge, rewrite, new_ok, wanted),
        (rewrite.key,), 'key', line=line, column=column, commit=commit, previous=rewrite.previous,
        fixable=commit is None and target.fixable and _restorable(step, judge),
    )


_FIELD = {'base_model_name_or_path': 'base', 'revision': 'revision'}


def _acknowledgement(rewrite: rewrites.Rewrite, new: BaseModel) -> str:
    """The value a trailer or [[accept]] `to` must name to acknowledge this rewrite."""
    base = new.base if isinstance(new.base, str) else ''
    if rewrite.code == 'AG302':
        return f'{base}@{new.revision if isinstance(new.revision, str) else ""}'
    return base


def _restorable(step: Step, judge: Judge) -> bool:
    """--fix may put the old value back: it passes the static checks."""
    assert step.old is not None
    rules = judge.policy.for_path(step.path)
    return acceptable(step.old.base, rules, os.path.join(judge.root, step.path), judge.root)


def _writable(path: str) -> bool:
    """--fix will write the file (not read-only, not a link): asked only when a hint offers --fix."""
    from adapter_guard.fix import refusal  # fix imports this module

    return refusal(path) is None


def _remedy(step: Step, target: Target, judge: Judge, rewrite: rewrites.Rewrite, new_ok: bool, wanted: str) -> str:
    previous = show(rewrite.previous)
    restorable = _restorable(step, judge)
    if not step.commit.sha and target.fixable and restorable and _writable(target.path):
        remedy = f'{hookenv.fix_command()} restores {previous}'
    elif restorable:
        remedy = f'set it back to {previous}'
    else:
        remedy = 'set it to the Hub id of the base model'
    if not new_ok:
        return remedy  # no acknowledgement makes a local path, null or an invalid id acceptable
    if not step.commit.sha and judge.trailer_ready:
        return remedy + f', or acknowledge the change with a `{TRAILER}: {wanted}` trailer'
    entry = f'path = "{step.path}"'
    if rewrite.code == 'AG301' and step.old is not None and isinstance(step.old.base, str):
        entry += f', from = "{step.old.base}"'
    return remedy + f', or acknowledge it with an [[accept]] entry in the policy ({entry}, to = "{wanted}")'


