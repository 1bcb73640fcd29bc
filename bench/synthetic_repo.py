"""A synthetic git history of PEFT adapters with KNOWN rewrites of the base model.

Writes a ``git fast-import`` stream: one commit adding M adapters
(adapters/<name>/adapter_config.json, valid Hub ids, written as PEFT writes
them), then commits that each change 1-3 random adapters in ways that are not
rewrites (lora_dropout, r and lora_alpha, the order of target_modules,
peft_version), a few renames of an adapter folder, and at K chosen commits a
rewrite of one adapter's base_model_name_or_path, to a local path
(/mnt/models/<name>, what PEFT writes after loading a downloaded copy) or to
another Hub id (and a local path to another local path: a local path back to
a Hub id is a repair, not a rewrite).  <out>.manifest.json lists each known rewrite with the full
commit sha, the path at that time, and the old and new value.

--replacements R (default 0) adds R commits that delete one adapter and add
a new, unrelated one with another base model: not a rewrite, but git's
rename detection may pair the two files (PEFT configs share most lines).

    python bench/synthetic_repo.py [--commits 5000] [--adapters 500] [--rewrites 25] [--seed 0]
                                   [--replacements 0] [--out DIR]

Used by bench/audit.py, which keeps the result under bench/.work/synthetic/.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import time
from typing import Any

from _common import BASE_MODELS
from _common import git
from _common import lora_config
from _common import peft_dumps
from _common import WORK

START = 1_672_531_200  # 2023-01-01, the first commit's date; one commit every 10 minutes
AUTHORS = ['Ada <ada@example.com>', 'Grace <grace@example.com>', 'Linus <linus@example.com>']
RENAMES = 0.002  # share of commits that rename an adapter folder


def default_out(commits: int, adapters: int, rewrites: int, seed: int, replacements: int = 0) -> str:
    extra = f'-x{replacements}' if replacements else ''
    return os.path.join(WORK, 'synthetic', f'c{commits}-a{adapters}-r{rewrites}-s{seed}{extra}')


def _edit(rng: random.Random, config: dict[str, Any]) -> None:
    """A change that is not a rewrite: the same base model and revision."""
    kind = rng.choice(['lora_dropout', 'r', 'target_modules', 'peft_version'])
    if kind == 'lora_dropout':
        config['lora_dropout'] = rng.choice([0.0, 0.01, 0.05, 0.08, 0.1, 0.2])
    elif kind == 'r':
        config['r'] = rng.choice([4, 8, 16, 32, 64, 128])
        config['lora_alpha'] = config['r'] * rng.choice([1, 2])
    elif kind == 'target_modules':
        config['target_modules'] = rng.sample(config['target_modules'], len(config['target_modules']))
    else:
        config['peft_version'] = rng.choice(['0.17.0', '0.17.1', '0.18.0', '0.18.1'])


def _rewrite(rng: random.Random, config: dict[str, Any]) -> None:
    """A rewrite: a Hub id to a local copy or another Hub id; a local path to another one.

    (A local path back to a Hub id would be a repair, which is not a rewrite.)
    """
    old = config['base_model_name_or_path']
    other = rng.choice([b[0] for b in BASE_MODELS if b[0] != old and b[0].rsplit('/', 1)[-1] not in old])
    if old.startswith('/'):
        config['base_model_name_or_path'] = f'/data/checkpoints/{other.rsplit("/", 1)[-1]}'
    elif rng.random() < 0.6:
        config['base_model_name_or_path'] = f'/mnt/models/{old.rsplit("/", 1)[-1]}'
    else:
        config['base_model_name_or_path'] = other


def stream(commits: int, adapters: int, rewrites: int, seed: int, replacements: int = 0) -> tuple[
        bytes, list[dict[str, Any]], list[dict[str, Any]]]:
    """The fast-import stream (commit i has mark :i), the known rewrites and the replacements."""
    rng = random.Random(seed)
    names = [f'lora-{i:04d}' for i in range(adapters)]
    configs = {name: lora_config(rng) for name in names}
    rewrite_at = set(rng.sample(range(2, commits + 1), rewrites))
    replace_at = set(rng.sample(sorted(set(range(2, commits + 1)) - rewrite_at), replacements))
    known: list[dict[str, Any]] = []
    replaced: list[dict[str, Any]] = []
    out: list[bytes] = []
    renamed = 0

    def blob(path: str, config: dict[str, Any]) -> None:
        data = peft_dumps(config).encode()
        out.append(b'M 100644 inline %s\ndata %d\n%s\n' % (path.encode(), len(data), data))

    for mark in range(1, commits + 1):
        author = AUTHORS[mark % len(AUTHORS)]
        message = f'commit {mark}\n'.encode()
        out.append(b'commit refs/heads/main\nmark :%d\n' % mark)
        out.append(b'author %s %d +0000\ncommitter %s %d +0000\n' % (
            author.encode(), START + 600 * mark, author.encode(), START + 600 * mark))
        out.append(b'data %d\n%s' % (len(message), message))
        if mark == 1:
            for name in names:
                blob(f'adapters/{name}/adapter_config.json', configs[name])
            continue
        if mark in replace_at:
            old = rng.choice(names)
            new = f'new-{mark:05d}'
            old_base = configs.pop(old)['base_model_name_or_path']
            base = rng.choice([b for b in BASE_MODELS if b[0] != old_base])
            names[names.index(old)] = new
            configs[new] = lora_config(rng, base)
            out.append(b'D adapters/%s/adapter_config.json\n' % old.encode())
            blob(f'adapters/{new}/adapter_config.json', configs[new])
            replaced.append(dict(mark=mark, deleted=f'adapters/{old}/adapter_config.json', deleted_base=old_base,
                                 added=f'adapters/{new}/adapter_config.json', added_base=base[0]))
            continue
        if mark not in rewrite_at and rng.random() < RENAMES:
            old = rng.choice(names)
            new = f'{old}-v{renamed + 2}'
            renamed += 1
            names[names.index(old)] = new
            configs[new] = configs.pop(old)
            out.append(b'R adapters/%s/adapter_config.json adapters/%s/adapter_config.json\n' % (
                old.encode(), new.encode()))
            continue
        changed = rng.sample(names, rng.randint(1, 3))
        for name in changed:
            before = peft_dumps(configs[name])
            while peft_dumps(configs[name]) == before:
                _edit(rng, configs[name])
        if mark in rewrite_at:
            name = changed[0]
            old_value = configs[name]['base_model_name_or_path']
            _rewrite(rng, configs[name])
            known.append(dict(mark=mark, path=f'adapters/{name}/adapter_config.json',
                              old=old_value, new=configs[name]['base_model_name_or_path']))
        for name in changed:
            blob(f'adapters/{name}/adapter_config.json', configs[name])
    return b''.join(out), known, replaced


def generate(out: str, commits: int, adapters: int, rewrites: int, seed: int, replacements: int = 0) -> dict[str, Any]:
    """Build the repository at ``out`` and write ``out``.manifest.json; the manifest."""
    if rewrites + replacements > commits - 1:
        raise SystemExit('--rewrites plus --replacements must be smaller than --commits')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    data, known, replaced = stream(commits, adapters, rewrites, seed, replacements)
    git('init', '-q', cwd=out)
    marks_file = os.path.join(out, '.git', 'bench-marks')
    git('fast-import', '--quiet', f'--export-marks={marks_file}', cwd=out, stdin=data)
    git('reset', '-q', '--hard', 'main', cwd=out)
    with open(marks_file, encoding='ascii') as f:
        shas = {int(mark.lstrip(':')): sha for mark, sha in (line.split() for line in f)}
    for entry in known + replaced:
        entry['commit'] = shas[entry['mark']]
    manifest = dict(commits=commits, adapters=adapters, seed=seed, head=shas[commits],
                    stream_bytes=len(data), rewrites=known, replacements=replaced)
    with open(out.rstrip('/') + '.manifest.json', 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--commits', type=int, default=5000)
    parser.add_argument('--adapters', type=int, default=500)
    parser.add_argument('--rewrites', type=int, default=25)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--replacements', type=int, default=0,
                        help='commits replacing an adapter by an unrelated one (default 0)')
    parser.add_argument('--out', help='the repository to create (default: bench/.work/synthetic/c..-a..-r..-s..)')
    args = parser.parse_args()
    out = args.out or default_out(args.commits, args.adapters, args.rewrites, args.seed, args.replacements)
    started = time.perf_counter()
    manifest = generate(out, args.commits, args.adapters, args.rewrites, args.seed, args.replacements)
    count = subprocess.run(('git', 'rev-list', '--count', 'HEAD'), cwd=out, capture_output=True, text=True).stdout
    print(f'{out}: {count.strip()} commits, {args.adapters} adapters, {len(manifest["rewrites"])} known rewrites, '
          f'{len(manifest["replacements"])} replacements, '
          f'generated in {time.perf_counter() - started:.1f}s; manifest {out.rstrip("/")}.manifest.json')


if __name__ == '__main__':
    main()
