"""adapter-guard demo: the problem and the hook, in a throwaway repository.

It commits an adapter trained on a Hub model, re-saves it the way PEFT does
after the base model was loaded from a local folder, and shows git commit
rejected, --fix restoring the Hub id byte for byte, an intended change
acknowledged with a commit trailer, and the audit.  The hooks are plain git
hooks that run this adapter-guard; nothing is downloaded.  Exit 0 when every
step behaved as shown.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from adapter_guard.options import Options

ADAPTER = 'adapters/chat/adapter_config.json'
CONFIG: dict[str, Any] = {
    'alpha_pattern': {}, 'auto_mapping': None, 'base_model_name_or_path': 'meta-llama/Llama-3.2-1B',
    'bias': 'none', 'fan_in_fan_out': False, 'inference_mode': True, 'init_lora_weights': True,
    'layers_pattern': None, 'layers_to_transform': None, 'lora_alpha': 32, 'lora_dropout': 0.05,
    'modules_to_save': None, 'peft_type': 'LORA', 'r': 16, 'rank_pattern': {}, 'revision': None,
    'target_modules': ['q_proj', 'v_proj'], 'task_type': 'CAUSAL_LM',
}
HOOK = '#!/bin/sh\n# installed by adapter-guard demo\nexec {python} -m adapter_guard {command}\n'
PRE_COMMIT_HOOK = (
    '#!/bin/sh\n# installed by adapter-guard demo\n'
    "git diff --cached --name-only -z --diff-filter=ACMRTUXB -- '*adapter_config.json' |\n"
    '    xargs -0 -r {python} -m adapter_guard check\n'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--keep', action='store_true', help='keep the demo repository and print its path')


class Demo:
    def __init__(self, path: str) -> None:
        self.path = path
        self.failures = 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(('GIT_', 'PRE_COMMIT'))}
        self.env.update({
            'GIT_AUTHOR_NAME': 'Alice', 'GIT_AUTHOR_EMAIL': 'alice@example.com',
            'GIT_COMMITTER_NAME': 'Alice', 'GIT_COMMITTER_EMAIL': 'alice@example.com',
            'GIT_CONFIG_NOSYSTEM': '1', 'GIT_CONFIG_GLOBAL': os.devnull, 'NO_COLOR': '1',
        })

    def say(self, text: str) -> None:
        print(f'\n== {text}')

    def run(self, *args: str, expect: int = 0, show: bool = True, note: str = 'rejected') -> int:
        shown = ' '.join(shlex.quote(a) for a in args)
        print(f'$ {shown}')
        result = subprocess.run(args, cwd=self.path, env=self.env, capture_output=True, text=True)
        if show:
            for line in (result.stdout + result.stderr).splitlines():
                print(f'    {line}')
        if (result.returncode == 0) != (expect == 0):
            self.failures += 1
            print(f'!! expected exit {expect}, got {result.returncode}')
        elif expect:
            print(f'    -> {note} (exit {result.returncode})')
        return result.returncode

    def write(self, base: str, dropout: float = 0.05) -> None:
        """Save the config exactly as PEFT does: indent 2, sorted keys, no final newline."""
        full = os.path.join(self.path, ADAPTER)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        config = {**CONFIG, 'base_model_name_or_path': base, 'lora_dropout': dropout}
        with open(full, 'w', encoding='utf-8') as f:
            f.write(json.dumps(config, indent=2, sort_keys=True))

    def same_as_committed(self, expected: str) -> None:
        with open(os.path.join(self.path, ADAPTER), 'rb') as f:
            on_disk = f.read()
        wanted = json.dumps({**CONFIG, 'lora_dropout': 0.1, 'base_model_name_or_path': expected},
                            indent=2, sort_keys=True)
        if on_disk == wanted.encode():
            print(f'    the file is byte for byte what PEFT would have written with {expected!r}')
        else:
            self.failures += 1
            print('!! the fixed file differs from the expected bytes')

    def install_hooks(self) -> None:
        python = shlex.quote(sys.executable)
        hooks = os.path.join(self.path, '.git', 'hooks')
        os.makedirs(hooks, exist_ok=True)
        for name, command in (
            ('pre-commit', None),
            ('commit-msg', 'commit-msg "$1"'),
        ):
            hook = os.path.join(hooks, name)
            with open(hook, 'w', encoding='utf-8') as f:
                f.write(PRE_COMMIT_HOOK.format(python=python) if command is None
                        else HOOK.format(python=python, command=command))
            os.chmod(hook, 0o755)


def run(args: Options) -> int:
    path = tempfile.mkdtemp(prefix='adapter-guard-demo-')
    demo = Demo(path)
    try:
        _story(demo)
    finally:
        if args.keep:
            print(f'\nThe demo repository is kept at {path}')
        else:
            shutil.rmtree(path, ignore_errors=True)
    print('\nThe demo ran as described.' if not demo.failures
          else f'\n{demo.failures} step(s) did not behave as described.')
    return 0 if not demo.failures else 1


def _story(demo: Demo) -> None:
    demo.say(f'A throwaway repository in {demo.path}, with adapter-guard as its pre-commit and commit-msg hooks')
    demo.run('git', 'init', '-q', '-b', 'main')
    demo.install_hooks()

    demo.say('1. The team commits a LoRA adapter trained on the Hub model meta-llama/Llama-3.2-1B')
    demo.write('meta-llama/Llama-3.2-1B')
    demo.run('git', 'add', '.')
    demo.run('git', 'commit', '-q', '-m', 'Add the chat adapter')

    demo.say('2. Someone re-trains it after loading the base model from /mnt/models/Llama-3.2-1B.\n'
             '   PEFT copies that path into base_model_name_or_path, with no error, and saves:')
    demo.write('/mnt/models/Llama-3.2-1B', dropout=0.1)
    demo.run('git', 'diff', '--unified=0')
    demo.run('git', 'commit', '-a', '-q', '-m', 'Retrain the chat adapter', expect=1)

    demo.say('3. adapter-guard --fix restores the committed Hub id, changing only those bytes')
    demo.run(sys.executable, '-m', 'adapter_guard', '--fix', ADAPTER, expect=1, note='fixed a file')
    demo.same_as_committed('meta-llama/Llama-3.2-1B')
    demo.run('git', 'commit', '-a', '-q', '-m', 'Retrain the chat adapter')

    demo.say('4. A change that is meant must say so: moving the adapter to meta-llama/Llama-3.2-3B')
    demo.write('meta-llama/Llama-3.2-3B', dropout=0.1)
    demo.run('git', 'commit', '-a', '-q', '-m', 'Move the chat adapter to Llama-3.2-3B', expect=1)
    demo.run('git', 'commit', '-a', '-q', '-m', 'Move the chat adapter to Llama-3.2-3B',
             '-m', 'Base-Model-Change: meta-llama/Llama-3.2-3B')

    demo.say('5. adapter-guard audit: the base model of every adapter, through the whole history')
    demo.run(sys.executable, '-m', 'adapter_guard', 'audit')
