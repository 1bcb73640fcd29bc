"""Speed and memory at monorepo scale, and under pre-commit's batching (part 7's targets).

For each size (commits x adapters, synthetic repositories from
bench/synthetic_repo.py, generated once under bench/.work/synthetic/):

1. ``adapter-guard audit --format json`` against ``git log -p -- '*adapter_config.json'``
   (target at most 0.6x), exactly the known rewrites, and the peak memory of
   the audit's Python process (target at most 150 MB, flat as history grows);
2. ``pre-commit run --all-files`` (the hook installed as pre-commit installs it,
   its batches running at once) against one ``adapter-guard check .`` (target
   at most 1.3x), each run with the shared history result removed first, so
   both walk the history; and pre-commit's time against pre-commit.ci's budget
   (at most 90 s on 2 cores, half of its 180 s limit);

and once: one staged config on the commit path (GIT_INDEX_FILE set, as git sets
it for its hooks; history included) against ``check-json`` on the same file
(target at most 2.5x), in a one-adapter repository and in the largest one.

    python bench/scale.py [--sizes 5000x500,20000x2000,50000x5000] [--rounds 3] [--staged-rounds 15]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time

from _common import alternate
from _common import check_findings
from _common import git
from _common import hook_venv
from _common import machine
from _common import peak_memory_mb
from _common import peft_dumps
from _common import synthetic
from _common import table
from _common import tool
from _common import WORK

AUDIT_TARGET, MEMORY_TARGET_MB, BATCH_TARGET, CI_BUDGET_S, STAGED_TARGET = 0.6, 150, 1.3, 90.0, 2.5
REWRITES = {5000: 25, 20000: 100, 50000: 100}
HOOK = '''repos:
-   repo: local
    hooks:
    -   id: adapter-guard
        name: adapter-guard
        entry: {entry}
        language: unsupported
        files: (^|/)(adapter_config\\.json|README\\.md|adapter_model\\.safetensors)$|^(\\.adapter-guard\\.toml|pyproject\\.toml|adapter-guard\\.lock)$
        types: []
        types_or: [file, symlink]
'''  # noqa: E501 the manifest's `files:` pattern, as it is


def fresh(repo: str) -> list[str]:
    """A command that removes the shared history result, so that the next run walks the history."""
    return ['rm', '-rf', os.path.join(repo, '.git', 'adapter-guard')]


def size(spec: str) -> tuple[int, int]:
    commits, adapters = spec.split('x')
    return int(commits), int(adapters)


def scale(commits: int, adapters: int, rounds: int, config: str) -> dict[str, float]:
    repo, manifest = synthetic(commits, adapters, REWRITES.get(commits, 100))
    rounds = rounds if commits <= 20000 else 1
    print(f'\n== {commits} commits x {adapters} adapters ({repo}), {rounds} round(s)')
    tools = {
        'adapter-guard audit': ([[tool('adapter-guard'), 'audit', '--format', 'json']], 1),  # 1: it finds rewrites
        'git log -p': ([['git', 'log', '-p', '--', '*adapter_config.json']], 0),
    }
    times = alternate(tools, rounds, repo)
    print(table(times, 'git log -p', {'adapter-guard audit': AUDIT_TARGET}))
    peaks = peak_memory_mb(repo, 1)
    print(f'peak memory of the audit: adapter-guard (Python) {peaks[0][0]:.1f} MB (target <= {MEMORY_TARGET_MB} MB: '
          f'{"met" if peaks[0][0] <= MEMORY_TARGET_MB else "NOT MET"}), its largest git child {peaks[0][1]:.1f} MB')
    exact = check_findings(repo, manifest)

    batches = {
        'adapter-guard check .': ([fresh(repo), [tool('adapter-guard'), 'check', '.']], None),
        'pre-commit run --all-files': ([fresh(repo), [tool('pre-commit'), 'run', '--all-files', '-c', config]], None),
    }
    runs = alternate(batches, rounds, repo)
    print(table(runs, 'adapter-guard check .', {'pre-commit run --all-files': BATCH_TARGET}))
    pre_commit = statistics.median(runs['pre-commit run --all-files'])
    print(f'pre-commit.ci budget: pre-commit run --all-files took {pre_commit:.1f} s '
          f'(target <= {CI_BUDGET_S:.0f} s: {"met" if pre_commit <= CI_BUDGET_S else "NOT MET"})')
    return {
        'commits': commits, 'adapters': adapters, 'audit': statistics.median(times['adapter-guard audit']),
        'git log -p': statistics.median(times['git log -p']), 'memory': peaks[0][0], 'exact': float(exact),
        'check': statistics.median(runs['adapter-guard check .']), 'pre-commit': pre_commit,
    }


def staged_worktree(repo: str, name: str) -> tuple[str, str]:
    """A worktree of ``repo`` with one config's lora_dropout changed and staged (its base model unchanged)."""
    tree = os.path.join(WORK, 'staged-' + name.split()[0].replace('x', '-'))
    if os.path.exists(tree):
        git('worktree', 'remove', '--force', tree, cwd=repo)
    shutil.rmtree(tree, ignore_errors=True)
    git('worktree', 'add', '-q', '--detach', tree, 'HEAD', cwd=repo)
    relpath = sorted(git('ls-files', '*adapter_config.json', cwd=tree).split())[0]
    path = os.path.join(tree, relpath)
    with open(path, encoding='utf-8') as f:
        config = json.load(f)
    config['lora_dropout'] = 0.3 if config.get('lora_dropout') != 0.3 else 0.2
    with open(path, 'w', encoding='utf-8') as f:
        f.write(peft_dumps(config))
    git('add', relpath, cwd=tree)
    return tree, relpath


def staged(repo: str, name: str, rounds: int) -> float:
    tree, relpath = staged_worktree(repo, name)
    index = git('rev-parse', '--git-path', 'index', cwd=tree).strip()
    tools = {
        'adapter-guard (commit path)': ([['env', f'GIT_INDEX_FILE={index}', tool('adapter-guard'), relpath]], 0),
        'check-json': ([[tool('check-json'), relpath]], 0),
    }
    alternate(tools, 1, tree)
    times = alternate(tools, rounds, tree)
    print(f'\n== one staged config in {name}, {rounds} rounds; both exited 0 on every run')
    print(table(times, 'check-json', {'adapter-guard (commit path)': STAGED_TARGET}))
    return statistics.median(times['adapter-guard (commit path)']) / statistics.median(times['check-json'])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='5000x500,20000x2000,50000x5000', help='commits x adapters, comma-separated')
    parser.add_argument('--rounds', type=int, default=3, help='rounds per size up to 20,000 commits (one above)')
    parser.add_argument('--staged-rounds', type=int, default=15)
    args = parser.parse_args()

    print(machine())
    started = time.perf_counter()
    hook_venv()
    config = os.path.join(WORK, 'pre-commit-config.yaml')
    with open(config, 'w', encoding='utf-8') as f:
        f.write(HOOK.format(entry=tool('adapter-guard')))
    results = [scale(*size(spec), args.rounds, config) for spec in args.sizes.split(',')]

    one, _ = synthetic(5000, 500, REWRITES[5000])
    small = os.path.join(WORK, 'staged-one')
    if not os.path.exists(os.path.join(small, '.git')):
        os.makedirs(small, exist_ok=True)
        git('init', '-q', cwd=small)
        os.makedirs(os.path.join(small, 'adapters', 'chat'), exist_ok=True)
        with open(os.path.join(one, sorted(git('ls-files', '*adapter_config.json', cwd=one).split())[0]),
                  encoding='utf-8') as f:
            text = f.read()
        with open(os.path.join(small, 'adapters', 'chat', 'adapter_config.json'), 'w', encoding='utf-8') as f:
            f.write(text)
        git('add', '-A', cwd=small)
        git('commit', '-q', '-m', 'one adapter', cwd=small)
    staged(small, 'a one-adapter repository', args.staged_rounds)
    largest = max(results, key=lambda r: r['commits'])
    big, _ = synthetic(int(largest['commits']), int(largest['adapters']), REWRITES.get(int(largest['commits']), 100))
    staged(big, f'{int(largest["commits"])} commits x {int(largest["adapters"])} adapters', args.staged_rounds)

    print('\n== growth')
    print('  commits x adapters    audit  git log -p   ratio  memory (MB)  check .  pre-commit  ratio  exact')
    for r in results:
        print(f'  {int(r["commits"]):>7} x {int(r["adapters"]):<5}  {r["audit"]:7.2f}s  {r["git log -p"]:9.2f}s  '
              f'{r["audit"] / r["git log -p"]:5.2f}x  {r["memory"]:11.1f}  '
              f'{r["check"]:6.2f}s  {r["pre-commit"]:9.2f}s  '
              f'{r["pre-commit"] / r["check"]:5.2f}x  {"yes" if r["exact"] else "NO"}')
    print(f'\ntotal {time.perf_counter() - started:.0f}s\n{machine()}')


if __name__ == '__main__':
    main()
