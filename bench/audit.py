"""Speed, memory and correctness of `adapter-guard audit`, and of the staged-mode hook.

1. On a synthetic history (default 5,000 commits x 500 adapters, 25 known
   rewrites; made by bench/synthetic_repo.py under bench/.work/synthetic/ and
   kept there, keyed by its parameters), times ``adapter-guard audit --format
   json`` against raw ``git log -p -- '*adapter_config.json'`` (both with
   stdout to /dev/null), alternating, and prints medians and the ratio
   (target: at most 1.5x).
2. Peak memory of one audit, in a fresh interpreter per measurement:
   getrusage(RUSAGE_SELF) of the Python process (target at most 150 MB), and
   RUSAGE_CHILDREN, its largest git child (git maps its pack files).
3. Correctness: the AG301 findings of the JSON output against the manifest's
   known rewrites, by commit sha.
4. The staged-mode hook on one file (a repository with one adapter whose
   staged content differs from HEAD, not in its base model):
   ``adapter-guard <file>`` against ``check-jsonschema`` (target at most 0.75x).

    python bench/audit.py [--rounds 5] [--staged-rounds 15] [--commits 5000] [--adapters 500]
                          [--rewrites 25] [--seed 0] [--replacements 0] [--profile]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time

from _common import alternate
from _common import check_findings
from _common import git
from _common import hook_venv
from _common import lora_config
from _common import LORA_SCHEMA
from _common import machine
from _common import peak_memory_mb
from _common import peft_dumps
from _common import synthetic
from _common import table
from _common import tool
from _common import WORK

AUDIT_TARGET, MEMORY_TARGET_MB, STAGED_TARGET = 1.5, 150, 0.75


def staged_repo(directory: str) -> str:
    """One committed adapter, then a staged edit that leaves its base model alone."""
    shutil.rmtree(directory, ignore_errors=True)
    relpath = 'adapters/lora-0000/adapter_config.json'
    path = os.path.join(directory, relpath)
    os.makedirs(os.path.dirname(path))
    config = lora_config(random.Random(7))
    with open(path, 'w', encoding='utf-8') as f:
        f.write(peft_dumps(config))
    git('init', '-q', cwd=directory)
    git('add', '-A', cwd=directory)
    git('commit', '-q', '--no-verify', '-m', 'one adapter', cwd=directory)
    config.update(lora_dropout=0.2, r=config['r'] * 2, lora_alpha=config['lora_alpha'] * 2)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(peft_dumps(config))
    git('add', relpath, cwd=directory)
    return relpath


def profile(repo: str) -> None:
    subprocess.run((sys.executable, '-m', 'cProfile', '-s', 'cumtime', '-m', 'adapter_guard',
                    'audit', '--format', 'json'), cwd=repo, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=5, help='rounds of audit vs git log (default 5)')
    parser.add_argument('--staged-rounds', type=int, default=15, help='rounds of the staged hook (default 15)')
    parser.add_argument('--commits', type=int, default=5000)
    parser.add_argument('--adapters', type=int, default=500)
    parser.add_argument('--rewrites', type=int, default=25)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--replacements', type=int, default=0,
                        help='also commits that replace an adapter by an unrelated one (not rewrites)')
    parser.add_argument('--profile', action='store_true', help='print a cProfile of one audit instead')
    args = parser.parse_args()

    print(machine())
    started = time.perf_counter()
    hook_venv()
    repo, manifest = synthetic(args.commits, args.adapters, args.rewrites, args.seed, args.replacements)
    if args.profile:
        profile(repo)
        return
    tools = {
        'adapter-guard audit': ([[tool('adapter-guard'), 'audit', '--format', 'json']], 1),  # 1: it finds rewrites
        'git log -p': ([['git', 'log', '-p', '--', '*adapter_config.json']], 0),
    }
    alternate(tools, 1, repo)  # warm-up, and proof that both run as expected
    times = alternate(tools, args.rounds, repo)
    print(f'\naudit of {args.commits} commits x {args.adapters} adapters ({repo}), {args.rounds} rounds')
    print(table(times, 'git log -p', {'adapter-guard audit': AUDIT_TARGET}))

    peaks = peak_memory_mb(repo, 3)
    worst = max(own for own, _ in peaks)
    print(f'\npeak memory of the audit, 3 fresh runs: adapter-guard (Python) '
          f'{", ".join(f"{own:.1f}" for own, _ in peaks)} MB, target <= {MEMORY_TARGET_MB} MB '
          f'{"met" if worst <= MEMORY_TARGET_MB else "NOT MET"}; its largest git child '
          f'{", ".join(f"{child:.1f}" for _, child in peaks)} MB')

    check_findings(repo, manifest)

    directory = os.path.join(WORK, 'staged')
    relpath = staged_repo(directory)
    tools = {
        'adapter-guard': ([[tool('adapter-guard'), relpath]], 0),
        'check-jsonschema': ([[tool('check-jsonschema'), '--schemafile', LORA_SCHEMA, relpath]], 0),
    }
    alternate(tools, 1, directory)
    times = alternate(tools, args.staged_rounds, directory)
    print(f'\nstaged hook on one changed file, {args.staged_rounds} rounds; both exited 0 on every run')
    print(table(times, 'check-jsonschema', {'adapter-guard': STAGED_TARGET}))
    print(f'\ntotal {time.perf_counter() - started:.0f}s\n{machine()}')


if __name__ == '__main__':
    main()
