"""Generate hooks/legacy_models.tsv: the Hub's model ids without a namespace.

The Hub no longer creates repositories without a namespace; the ones that
exist are its legacy canonical models (``gpt2``, ``bert-base-uncased``, ...),
which in 2024 moved to organisations (``openai-community/gpt2``) and still
resolve under the old name.  adapter-guard uses the list to tell such an id
from a bare folder name such as ``model`` (AG207).

Source: the pretrained-archive maps of transformers releases on PyPI, read
straight out of the wheels with :mod:`ast` (nothing is imported):

* ``*_PRETRAINED_CONFIG_ARCHIVE_MAP`` (model id -> config URL) and the inner
  dicts of ``PRETRAINED_VOCAB_FILES_MAP`` (file kind -> model id -> URL);
* a key counts as a Hub model id only when its URL is
  ``https://huggingface.co/<that id>/...``: the library downloaded it from the
  Hub under that name.  Keys without a ``/`` are the legacy ids;
* the modern id is the same entry (same module, variable, inner dict and
  position) in a later release when it reads ``<org>/<legacy id>``: the
  maps were renamed in place in transformers 4.38 (``"gpt2"`` became
  ``"openai-community/gpt2"``), and ``ctrl`` became ``Salesforce/ctrl``
  earlier.  A legacy id whose entry was never renamed (the distilbert
  family) has no modern id here.

Usage::

    python scripts/generate_legacy_models.py                  # downloads 3 wheels (about 25 MB) once
    python scripts/generate_legacy_models.py --cache-dir /tmp/wheels --out /tmp/legacy.tsv

Standard library only.
"""
from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

GENERATOR = 'scripts/generate_legacy_models.py'
# The first release laid out as models/<name>/, the last one with bare ids in its
# maps, and the first one with the renamed ids (the maps went away in 4.40).
VERSIONS = ('4.0.0', '4.37.2', '4.38.2')
DEFAULT_CACHE_DIR = Path('~/.cache/adapter-guard/transformers-wheels').expanduser()
DEFAULT_OUT = Path(__file__).resolve().parent.parent / 'hooks' / 'legacy_models.tsv'
HUB = 'https://huggingface.co/'
# huggingface_hub's REPO_ID_REGEX for one part, and its other rules
_PART = re.compile(r'\b[\w\-.]{1,96}\b', re.ASCII)

# (module file name, variable, inner key or '', position) -> model id
Slot = tuple[str, str, str, int]


def download(version: str, cache_dir: Path) -> Path:
    wheel = cache_dir / f'transformers-{version}-py3-none-any.whl'
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, '-m', 'pip', 'download', f'transformers=={version}', '--no-deps', '-q',
             '-d', str(cache_dir)],
            check=True,
        )
    return wheel


def slots(wheel: Path) -> dict[Slot, str]:
    """Every Hub model id in the archive maps of one wheel, by where it stands."""
    found: dict[Slot, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.endswith('.py'):
                continue
            source = archive.read(name).decode('utf-8', 'replace')
            if HUB not in source:
                continue
            module = name.rsplit('/', 1)[-1]
            for variable, inner, position, key, url in _entries(ast.parse(source)):
                if url.startswith(f'{HUB}{key}/'):
                    found[(module, variable, inner, position)] = key
    return found


def _entries(tree: ast.Module) -> Iterator[tuple[str, str, int, str, str]]:
    """(variable, inner key, position, key, URL) of each string entry of the maps."""
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        variable = node.targets[0].id
        if variable.endswith('_PRETRAINED_CONFIG_ARCHIVE_MAP'):
            tables = [('', node.value)]
        elif variable == 'PRETRAINED_VOCAB_FILES_MAP' and isinstance(node.value, ast.Dict):
            tables = [(_string(k) or '', v) for k, v in zip(node.value.keys, node.value.values)]
        else:
            continue
        for inner, table in tables:
            if not isinstance(table, ast.Dict):
                continue
            for position, (key, value) in enumerate(zip(table.keys, table.values)):
                key_text, url = _string(key), _string(value)
                if key_text is not None and url is not None:
                    yield variable, inner, position, key_text, url


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def is_repo_id(value: str) -> bool:
    parts = value.split('/')
    return (
        len(parts) <= 2 and all(_PART.fullmatch(p) for p in parts)
        and '--' not in value and '..' not in value and not value.endswith('.git')
    )


def legacy_models(versions: list[dict[Slot, str]]) -> dict[str, str]:
    """legacy id -> modern id ('' when no later release renamed it)."""
    legacy: dict[str, str] = {}
    for index, found in enumerate(versions):
        for slot, key in found.items():
            if '/' in key or not is_repo_id(key):
                continue
            legacy.setdefault(key, '')
            for later in versions[index + 1:]:
                renamed = later.get(slot, '')
                if renamed.endswith('/' + key) and is_repo_id(renamed):
                    if legacy[key] and legacy[key] != renamed:
                        raise SystemExit(f'{key}: two modern ids, {legacy[key]} and {renamed}')
                    legacy[key] = renamed
    return legacy


def render(legacy: dict[str, str], versions: tuple[str, ...]) -> str:
    renamed = sum(1 for modern in legacy.values() if modern)
    lines = [
        f'# The Hub model ids without a namespace (legacy canonical models). Generated by {GENERATOR}; do not edit.',
        '# Source: the *_PRETRAINED_CONFIG_ARCHIVE_MAP and PRETRAINED_VOCAB_FILES_MAP dicts of the transformers',
        f'# wheels {", ".join(versions)} on PyPI (keys whose URL is https://huggingface.co/<key>/...); the modern',
        '# id is the same map entry renamed to <org>/<id> in a later release (empty: never renamed there).',
        f'# {len(legacy)} legacy ids, {renamed} with a modern id.',
        'legacy\tmodern',
    ]
    lines += [f'{key}\t{legacy[key]}' for key in sorted(legacy)]
    return '\n'.join(lines) + '\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--versions', default=','.join(VERSIONS), help='transformers releases, oldest first')
    parser.add_argument('--cache-dir', type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument('--out', type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    versions = tuple(v.strip() for v in args.versions.split(',') if v.strip())
    legacy = legacy_models([slots(download(v, args.cache_dir)) for v in versions])
    args.out.write_text(render(legacy, versions), encoding='utf-8')
    print(f'wrote {args.out}: {len(legacy)} legacy ids, {sum(1 for m in legacy.values() if m)} with a modern id')
    return 0


if __name__ == '__main__':
    sys.exit(main())
