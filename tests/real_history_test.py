"""Real histories of base-model changes from public repositories, replayed in git.

../shared/corpus/history/*.tsv lists every commit (oldest first) that touched
one adapter_config.json and the base model it held then (`<deleted>` when the
commit removed it).  The audit must find exactly the changes, with their
dates, and `init` must accept them all.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.util import CORPUS
from tests.util import git
from tests.util import write_config

CASES = sorted((CORPUS / 'history').glob('*.tsv'))
NULL = {'null': None, '<null>': None}


def _rows(path: Path) -> list[tuple[str, str, object]]:
    rows: list[tuple[str, str, object]] = []
    for line in path.read_text().splitlines()[1:]:
        commit, date, base = line.split('\t')
        rows.append((commit, date, NULL.get(base, base)))
    return rows


def _replay(repo: Path, rows: list[tuple[str, str, object]]) -> list[str]:
    """One commit per row, dated as the original; returns the new shas."""
    shas = []
    for _, date, base in rows:
        env = {'GIT_AUTHOR_DATE': date, 'GIT_COMMITTER_DATE': date}
        if base == '<deleted>':
            git('rm', '-q', '-r', 'adapter')
        else:
            write_config(repo / 'adapter', base_model_name_or_path=base)
            git('add', '.')
        git('commit', '-q', '--no-verify', '--allow-empty', '-m', 'replayed', env=env)
        shas.append(git('rev-parse', 'HEAD').strip())
    return shas


@pytest.mark.parametrize('case', CASES, ids=lambda p: p.name.split('__adapter')[0])
def test_audit_finds_exactly_the_real_changes(case: Path, repo: Path, run) -> None:
    rows = _rows(case)
    shas = _replay(repo, rows)
    changed = {
        sha for (sha, (_, _, base), (_, _, before)) in zip(shas[1:], rows[1:], rows)
        if base != before and '<deleted>' not in (base, before)
    }
    result = run('audit', '--format', 'json')
    found = {f['commit'] for f in json.loads(result.out)['findings'] if f['code'] == 'AG301'}
    assert found == changed
    assert result.code == (1 if changed else 0)
    steps = [s for line in json.loads(result.out)['adapters'] for s in line['timeline']]
    assert {s['date'][:10] for s in steps} <= {date[:10] for _, date, _ in rows}
    assert run('init').code == 0
    assert run('audit').code == 0
