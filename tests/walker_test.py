"""The pure history logic as tables: git log parsing, the walker's steps, acknowledgement.

No git here: commits and blob states are written out by hand, so each rule
of identity over time is one row.
"""
from __future__ import annotations

import io

import pytest

from adapter_guard import gitlog
from adapter_guard import rewrites
from adapter_guard.gitlog import Change
from adapter_guard.gitlog import Commit
from adapter_guard.rewrites import ABSENT
from adapter_guard.rewrites import Accept
from adapter_guard.rewrites import BaseModel
from adapter_guard.rewrites import State
from adapter_guard.rewrites import Unreadable
from adapter_guard.walker import Known
from adapter_guard.walker import Walk

NULL = '0' * 40
A, B, C = BaseModel('org/a', None), BaseModel('org/b', None), BaseModel('org/c', None)
VALUES: dict[str, State] = {'1' * 40: A, '2' * 40: B, '3' * 40: C, 'e' * 40: Unreadable('not valid JSON'), 'f' * 40: A}
Value = BaseModel | str | None  # a base model, 'bad' (not JSON), 'link' (a symbolic link), or no file
BLOB: dict[Value, str] = {A: '1' * 40, B: '2' * 40, C: '3' * 40, 'bad': 'e' * 40, 'link': 'f' * 40, None: NULL}
MODE: dict[Value, str] = {'link': '120000', None: '000000'}


def change(status: str, path: str, old: Value, new: Value, old_path: str | None = None,
           similarity: int = 100) -> Change:
    return Change(status, path, old_path or path, (BLOB[old],), BLOB[new], similarity,
                  (MODE.get(old, '100644'),), MODE.get(new, '100644'))


def commit(sha: str, *changes: Change, parents: int = 1, trailers: tuple[str, ...] = ()) -> Commit:
    return Commit(sha * 40, ('p',) * parents, '2026-01-01', 'author', trailers, changes)


def steps(*commits: Commit, edge: frozenset[str] = frozenset(),
          known=None) -> list[tuple[str, str, object, object, tuple[str, ...], int]]:
    walk = Walk(VALUES, edge=edge, known=known)
    return [(s.kind, s.path, s.old, s.new, tuple(c[:1] for c in s.skipped), s.line) for s in walk.steps(commits)]


P = 'a/adapter_config.json'
Q = 'b/adapter_config.json'


@pytest.mark.parametrize(('commits', 'expected'), (
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('M', P, A, B))],
        [('added', P, None, A, (), 0), ('changed', P, A, B, (), 0)],
        id='a change'),
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('M', P, A, 'bad')),
         commit('3', change('M', P, 'bad', B))],
        [('added', P, None, A, (), 0), ('unreadable', P, A, None, (), 0), ('changed', P, A, B, ('2',), 0)],
        id='unreadable in between: compared with the last readable value'),
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('T', P, A, 'link')),
         commit('3', change('M', P, 'link', 'bad')), commit('4', change('T', P, 'bad', B))],
        [('added', P, None, A, (), 0), ('unreadable', P, A, None, (), 0), ('unreadable', P, A, None, ('2',), 0),
         ('changed', P, A, B, ('2', '3'), 0)],
        id='a symlink (its text parses as A: the mode decides), then invalid JSON'),
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('D', P, A, None)),
         commit('3', change('A', P, None, B))],
        [('added', P, None, A, (), 0), ('deleted', P, A, None, (), 0), ('re-added', P, A, B, (), 0)],
        id='deleted, then added again with another base'),
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('D', P, A, None)),
         commit('3', change('A', P, None, A))],
        [('added', P, None, A, (), 0), ('deleted', P, A, None, (), 0), ('re-added', P, A, A, (), 0)],
        id='deleted, then added again with the same base'),
    pytest.param(
        [commit('1', change('A', P, None, A)), commit('2', change('R', Q, A, A, old_path=P, similarity=95)),
         commit('3', change('A', P, None, B))],
        [('added', P, None, A, (), 0), ('renamed', Q, A, A, (), 0), ('re-added', P, A, B, (), 1)],
        id='moved away, then a new config at the old path'),
    pytest.param(
        [commit('1', change('A', 'x/one/adapter_config.json', None, A)),
         commit('2', change('R', 'y/two/adapter_config.json', A, B, old_path='x/one/adapter_config.json',
                            similarity=70))],
        [('added', 'x/one/adapter_config.json', None, A, (), 0),
         ('deleted', 'x/one/adapter_config.json', A, None, (), 0),
         ('added', 'y/two/adapter_config.json', None, B, (), 1)],
        id='an unconvincing rename is a delete and an add'),
))
def test_steps(commits: list[Commit], expected: list[tuple[object, ...]]) -> None:
    assert steps(*commits) == expected


def test_the_edge_of_a_shallow_clone_is_never_a_root() -> None:
    history = [commit('1', change('A', P, None, A)), commit('2', change('M', P, A, B))]
    assert steps(*history, edge=frozenset(('1' * 40,))) == [
        ('beyond-history', P, None, A, (), 0), ('changed', P, A, B, (), 0)]


def test_a_merge_that_keeps_a_parents_value_is_no_change() -> None:
    merge = Commit('m' * 40, ('p', 'q'), '', '', (), (
        Change('MM', P, P, (BLOB[A], BLOB[B]), BLOB[B], 100, ('100644', '100644'), '100644'),))
    (step,) = Walk(VALUES).commit(merge)
    assert (step.kind, step.old, step.new) == ('merged', B, B)


def test_a_bounded_walk_starts_from_what_was_known() -> None:
    known = {(P, ''): Known((A,), ('0',))}  # deleted before the walk starts
    assert steps(commit('3', change('A', P, None, B)), known=known) == [('re-added', P, A, B, ('0',), 0)]


# -- git log parsing -----------------------------------------------------------------------------

def _log(*fields: str) -> bytes:
    return '\0'.join(fields).encode() + b'\0'


def test_parse_log_reads_modes_renames_merges_and_trailers() -> None:
    raw = _log(
        '\x01' + 'c' * 40, 'p' * 40, '2026-01-02T00:00:00+00:00', 'Ann', 'Base-Model-Change: org/b\nSigned-off-by: x\n',
        '\n:100644 120000 ' + '1' * 40 + ' ' + 'f' * 40 + ' T', P,
        ':100644 100644 ' + '1' * 40 + ' ' + '2' * 40 + ' R091', P, Q,
        '\x01' + 'd' * 40, 'p' * 40 + ' ' + 'q' * 40, '2026-01-03T00:00:00+00:00', 'Bob', '',
        '\n::100644 100644 100644 ' + '1' * 40 + ' ' + '2' * 40 + ' ' + '3' * 40 + ' MM', P,
    )
    first, merge = gitlog.parse_log(gitlog.read_fields(io.BufferedReader(io.BytesIO(raw))))
    assert first.trailers == ('org/b',)
    assert first.changes[0] == Change('T', P, P, ('1' * 40,), 'f' * 40, 100, ('100644',), '120000')
    assert first.changes[1] == Change('R', Q, P, ('1' * 40,), '2' * 40, 91, ('100644',), '100644')
    assert merge.parents == ('p' * 40, 'q' * 40)
    assert merge.changes[0].old_blobs == ('1' * 40, '2' * 40)
    assert merge.changes[0].old_modes == ('100644', '100644')


@pytest.mark.parametrize(('lines', 'values'), (
    ('Base-Model-Change: org/a\n', ('org/a',)),
    ('base-model-change:   org/a  \n', ('org/a',)),
    ('Signed-off-by: A\nBase-Model-Change: org/a@\n', ('org/a@',)),
    ('Base-Model-Change:\n', ()),
    ('Base-Model-Changes: org/a\n', ()),
))
def test_trailer_values(lines: str, values: tuple[str, ...]) -> None:
    assert gitlog.trailer_values(lines) == values


def test_before_scissors() -> None:
    message = 'move\n\n# ------------------------ >8 ------------------------\nBase-Model-Change: x\n'
    assert gitlog.before_scissors(message) == 'move\n\n'


# -- what acknowledges a rewrite ---------------------------------------------------------------------

SHA = '0' * 39 + '1'


@pytest.mark.parametrize(('value', 'old', 'new', 'covered'), (
    ('org/b', A, B, True),
    ('org/c', A, B, False),
    ('org/b', BaseModel('org/a', SHA), BaseModel('org/b', None), True),   # a re-base covers its revision change
    ('org/a@', BaseModel('org/a', SHA), BaseModel('org/a', None), True),
    ('org/a', BaseModel('org/a', SHA), BaseModel('org/a', None), False),  # a revision alone needs name@rev
    (f'org/a@{SHA}', BaseModel('org/a', 'main'), BaseModel('org/a', SHA), True),
    ('', A, BaseModel(None, None), True),
    ('', A, BaseModel(ABSENT, None), True),
))
def test_covered(value: str, old: BaseModel, new: BaseModel, covered: bool) -> None:
    found = rewrites.rewrites(old, new)
    assert found
    assert all(rewrites.covered(value, r, old, new) for r in found) is covered


@pytest.mark.parametrize(('accept', 'acknowledged'), (
    (Accept('a/*', 'org/b'), 'policy'),
    (Accept('a/*', 'org/b', 'org/a'), 'policy'),
    (Accept('a/*', 'org/b', 'org/x'), None),
    (Accept('b/*', 'org/b'), None),
))
def test_accept_entries(accept: Accept, acknowledged: str | None) -> None:
    (rewrite,) = rewrites.rewrites(A, B)
    assert rewrites.acknowledged(P, rewrite, A, B, (), (accept,)) == acknowledged


def test_pinning_is_no_rewrite() -> None:
    assert rewrites.rewrites(BaseModel('org/a', None), BaseModel('org/a', SHA)) == []
    assert [r.code for r in rewrites.rewrites(BaseModel('org/a', None), BaseModel('org/a', 'main'))] == ['AG302']
