"""Helpers shared by the tests: PEFT-formatted configs and real git."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).resolve().parent / 'resources'
CORPUS = REPO.parent / 'shared' / 'corpus'

LORA: dict[str, Any] = {
    'alpha_pattern': {},
    'auto_mapping': None,
    'base_model_name_or_path': 'meta-llama/Llama-2-7b-hf',
    'bias': 'none',
    'fan_in_fan_out': False,
    'inference_mode': True,
    'init_lora_weights': True,
    'layers_pattern': None,
    'layers_to_transform': None,
    'lora_alpha': 16,
    'lora_dropout': 0.05,
    'modules_to_save': None,
    'peft_type': 'LORA',
    'r': 8,
    'rank_pattern': {},
    'revision': None,
    'target_modules': ['q_proj', 'v_proj'],
    'task_type': 'CAUSAL_LM',
}


def peft_dumps(data: dict[str, Any]) -> str:
    """Exactly how PEFT writes adapter_config.json: indent 2, sorted, no final newline."""
    return json.dumps(data, indent=2, sort_keys=True)


def write_config(directory: Path | str, **changes: Any) -> Path:
    data = dict(LORA)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    path = Path(directory) / 'adapter_config.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(peft_dumps(data))
    return path


def git(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ('git',) + args, cwd=cwd, check=True, capture_output=True, text=True,
        env={**os.environ, **(env or {})},
    ).stdout


def commit(message: str = 'commit', *args: str, cwd: Path | str | None = None) -> None:
    git('commit', '--no-gpg-sign', '--no-verify', '-q', '-m', message, *args, cwd=cwd)


def use_hooks(repo: Path, hook_repo: Path) -> None:
    """A committed .pre-commit-config.yaml that installs the hooks from ``hook_repo``, as users do.

    Unlike try-repo (a new store, so a new environment, every call), the
    hook environment is built once and reused from the session's store.
    """
    rev = git('rev-parse', 'HEAD', cwd=hook_repo).strip()
    (repo / '.pre-commit-config.yaml').write_text(
        f'repos:\n-   repo: {hook_repo}\n    rev: {rev}\n    hooks:\n'
        '    -   id: adapter-guard\n    -   id: adapter-guard-fix\n',
    )
    git('add', '.pre-commit-config.yaml', cwd=repo)
    commit('use the hooks', cwd=repo)


def add_submodule(repo: Path, library: Path, at: str = 'vendor/library') -> Path:
    """A repository at ``library`` with one adapter (shared/), added to ``repo`` as a submodule; its checkout."""
    library.mkdir()
    git('init', '-q', cwd=library)
    write_config(library / 'shared')
    git('add', '.', cwd=library)
    commit('lib', cwd=library)
    git('-c', 'protocol.file.allow=always', 'submodule', '-q', 'add', str(library), at, cwd=repo)
    return repo / at


def install_git_hooks(repo: Path, *, commit_msg: bool = True, env: dict[str, str] | None = None) -> None:
    """Plain git hooks that run this adapter-guard, as pre-commit would."""
    import shlex
    import sys

    python = shlex.quote(sys.executable)
    hooks = Path(git('rev-parse', '--git-path', 'hooks', cwd=repo, env=env).strip())
    hooks = hooks if hooks.is_absolute() else repo / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    scripts = {
        'pre-commit': (
            "git diff --cached --name-only -z --diff-filter=ACMRTUXB -- '*adapter_config.json' |\n"
            f'    xargs -0 -r {python} -m adapter_guard check\n'
        ),
    }
    if commit_msg:
        scripts['commit-msg'] = f'exec {python} -m adapter_guard commit-msg "$1"\n'
    for name, body in scripts.items():
        path = hooks / name
        path.write_text('#!/bin/sh\n' + body)
        path.chmod(0o755)


def try_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git commit with the hooks running; never raises."""
    return subprocess.run(
        ('git', 'commit', '--no-gpg-sign', '-q', *args), cwd=repo, capture_output=True, text=True,
    )


def safetensors_bytes(shapes: dict[str, list[int]]) -> bytes:
    """A valid float32 .safetensors file of zeros with these tensor shapes."""
    import math
    import struct

    header: dict[str, Any] = {'__metadata__': {'format': 'pt'}}
    offset = 0
    for name, shape in shapes.items():
        size = 4 * math.prod(shape)
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b' ' * (-len(raw) % 8)
    return struct.pack('<Q', len(raw)) + raw + b'\0' * offset


def lora_weights(modules: list[str], r: int = 8, layers: int = 2, width: int = 16) -> dict[str, list[int]]:
    """The tensor shapes PEFT saves for a LoRA adapter on a tiny Llama."""
    shapes = {}
    for layer in range(layers):
        for module in modules:
            name = f'base_model.model.model.layers.{layer}.self_attn.{module}'
            shapes[f'{name}.lora_A.weight'] = [r, width]
            shapes[f'{name}.lora_B.weight'] = [width, r]
    return shapes


# -- real pre-commit ------------------------------------------------------------------

MANIFEST = REPO / '.pre-commit-hooks.yaml'


def manifest() -> list[dict[str, object]]:
    import yaml  # pre-commit's own dependency
    return yaml.safe_load(MANIFEST.read_text())


def pre_commit_cmd(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pre-commit as the user runs it; one that builds a hook environment needs env=offline."""
    import sys

    return subprocess.run(
        [sys.executable, '-m', 'pre_commit', *args], cwd=cwd, capture_output=True, text=True, env=env,
    )


def local_hooks_config(repo: Path) -> None:
    """The manifest's hooks as a local repo, run by this Python (no environment to build)."""
    import sys

    import pre_commit

    version = (tuple(int(p) for p in pre_commit.__version__.split('.')[:2]) if hasattr(pre_commit, '__version__')
               else (4, 4))
    language = 'unsupported' if version >= (4, 4) else 'system'
    lines = ['repos:', '-   repo: local', '    hooks:']
    for hook in manifest():
        entry = str(hook['entry']).replace('adapter-guard', f'{sys.executable} -m adapter_guard', 1)
        lines += [f"    -   id: {hook['id']}", f"        name: {hook['name']}", f'        entry: {entry}',
                  f'        language: {language}']
        for key in ('files', 'types', 'types_or', 'stages', 'pass_filenames', 'always_run'):
            if key in hook:
                value = hook[key]
                if isinstance(value, list):
                    shown = '[' + ', '.join(str(v) for v in value) + ']'
                elif isinstance(value, bool):
                    shown = str(value).lower()
                else:
                    shown = f"'{value}'"
                lines.append(f'        {key}: {shown}')
    (repo / '.pre-commit-config.yaml').write_text('\n'.join(lines) + '\n')


def framework_commit(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """git commit through pre-commit's hooks; stdout holds all the output."""
    return subprocess.run(['git', 'commit', '-q', *args], cwd=repo, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
