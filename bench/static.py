"""Speed of the static check: adapter-guard against check-jsonschema and check-json.

Measures the wall time of one pre-commit-style run of each tool (a fresh
process, the file paths as arguments, run from the repository root) on
(a) one adapter_config.json and (b) 2,000 of them, all valid PEFT LoRA
configs committed to a git repository, so that ``adapter-guard`` also runs
its history stage as in ``pre-commit run --all-files`` (a file identical to
HEAD gets its history checked).  ``adapter-guard --no-history`` is timed too.
The tools alternate (the first one rotates every round); the table shows
median and min wall time and the ratio of medians to check-jsonschema.

    python bench/static.py [--rounds-one 15] [--rounds-many 5] [--profile-imports]

The workloads are rebuilt under bench/.work/static/ on every run.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time

from _common import alternate
from _common import arg_batches
from _common import git
from _common import hook_venv
from _common import lora_config
from _common import LORA_SCHEMA
from _common import machine
from _common import peft_dumps
from _common import table
from _common import tool
from _common import WORK

TARGET = 0.5  # adapter-guard at most 0.5x check-jsonschema, on (a) and on (b)


def build(directory: str, count: int, seed: int) -> list[str]:
    """A git repository with ``count`` valid configs, committed; their relative paths."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    rng = random.Random(seed)
    files = []
    for i in range(count):
        relpath = f'adapters/lora-{i:04d}/adapter_config.json'
        os.makedirs(os.path.join(directory, os.path.dirname(relpath)))
        with open(os.path.join(directory, relpath), 'w', encoding='utf-8') as f:
            f.write(peft_dumps(lora_config(rng)))
        files.append(relpath)
    git('init', '-q', cwd=directory)
    git('add', '-A', cwd=directory)
    git('commit', '-q', '--no-verify', '-m', f'{count} adapters', cwd=directory)
    return files


def commands(files: list[str]) -> dict[str, tuple[list[list[str]], int]]:
    """Each tool's command lines (split only if the OS demands it), each expected to exit 0."""
    tools = {
        'adapter-guard': [tool('adapter-guard')],
        'adapter-guard --no-history': [tool('adapter-guard'), '--no-history'],
        'check-jsonschema': [tool('check-jsonschema'), '--schemafile', LORA_SCHEMA],
        'check-json': [tool('check-json')],
    }
    return {name: ([cmd + batch for batch in arg_batches(cmd, files)], 0) for name, cmd in tools.items()}


def bench(label: str, directory: str, files: list[str], rounds: int) -> None:
    tools = commands(files)
    invocations = len(next(iter(tools.values()))[0])
    # a warm-up run of each tool, which also proves that each one passes
    alternate(tools, 1, directory)
    print(f'\n({label}) {len(files)} config(s), {invocations} invocation(s) per tool, {rounds} rounds; '
          'every tool exited 0 on every run')
    times = alternate(tools, rounds, directory)
    print(table(times, 'check-jsonschema', {'adapter-guard': TARGET, 'adapter-guard --no-history': TARGET}))


def profile_imports(directory: str, relpath: str, top: int = 10) -> None:
    """The slowest imports of one `adapter-guard` run on one file (python -X importtime)."""
    process = subprocess.run(
        (sys.executable, '-X', 'importtime', '-m', 'adapter_guard', relpath),
        cwd=directory, capture_output=True, text=True,
    )
    rows = []
    for line in process.stderr.splitlines():
        match = re.match(r'import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)', line)
        if match:
            rows.append((int(match.group(2)), int(match.group(1)), len(match.group(3)) // 2, match.group(4)))
    total = sum(cumulative for cumulative, _, depth, _ in rows if depth == 0)
    print(f'\nslowest imports of `adapter-guard {relpath}` (exit {process.returncode}); '
          f'all imports {total / 1000:.0f} ms')
    print(f'  {"cumulative":>10}  {"self":>7}  module')
    for cumulative, own, depth, name in sorted(rows, reverse=True)[:top]:
        print(f'  {cumulative / 1000:8.1f}ms  {own / 1000:5.1f}ms  {"  " * depth}{name}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds-one', type=int, default=15, help='rounds on one config (default 15)')
    parser.add_argument('--rounds-many', type=int, default=5, help='rounds on 2,000 configs (default 5)')
    parser.add_argument('--profile-imports', action='store_true',
                        help='also print the 10 slowest imports of adapter-guard on one file')
    args = parser.parse_args()

    print(machine())
    hook_venv()  # adapter-guard as pre-commit installs it, from this working tree
    started = time.perf_counter()
    one_dir, many_dir = os.path.join(WORK, 'static', 'one'), os.path.join(WORK, 'static', 'many')
    one, many = build(one_dir, 1, seed=1), build(many_dir, 2000, seed=2000)
    print(f'workloads built in {time.perf_counter() - started:.1f}s under {os.path.dirname(one_dir)}')
    if args.profile_imports:
        profile_imports(one_dir, one[0])
    bench('a', one_dir, one, args.rounds_one)
    bench('b', many_dir, many, args.rounds_many)
    print(f'\ntarget: adapter-guard at most {TARGET}x check-jsonschema on (a) and on (b); '
          f'total {time.perf_counter() - started:.0f}s\n{machine()}')


if __name__ == '__main__':
    main()
