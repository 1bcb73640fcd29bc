"""Shared by the benchmark scripts: PEFT-shaped configs, tools, timing, tables.

Not a benchmark itself.  Standard library only.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from typing import Any

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
WORK = os.path.join(BENCH, '.work')
LORA_SCHEMA = os.path.join(REPO, 'schemas', 'peft', 'lora.schema.json')

# Time every tool as users run it: with its bytecode cache.  (Some shells and
# CI images export PYTHONDONTWRITEBYTECODE, which makes every Python tool
# compile all its modules on every run.)
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)

# A real adapter_config.json written by PEFT 0.18.1 (LoRA on google/flan-t5-base,
# from the public corpus); the benchmarks vary only a few of its values.
LORA: dict[str, Any] = {
    'alora_invocation_tokens': None, 'alpha_pattern': {}, 'arrow_config': None, 'auto_mapping': None,
    'base_model_name_or_path': 'google/flan-t5-base', 'bias': 'none', 'corda_config': None,
    'ensure_weight_tying': False, 'eva_config': None, 'exclude_modules': None, 'fan_in_fan_out': False,
    'inference_mode': True, 'init_lora_weights': True, 'layer_replication': None, 'layers_pattern': None,
    'layers_to_transform': None, 'loftq_config': {}, 'lora_alpha': 32, 'lora_bias': False,
    'lora_dropout': 0.08, 'megatron_config': None, 'megatron_core': 'megatron.core', 'modules_to_save': None,
    'peft_type': 'LORA', 'peft_version': '0.18.1', 'qalora_group_size': 16, 'r': 16, 'rank_pattern': {},
    'revision': None, 'target_modules': ['o', 'k', 'q', 'v'], 'target_parameters': None,
    'task_type': 'SEQ_2_SEQ_LM', 'trainable_token_indices': None, 'use_dora': False, 'use_qalora': False,
    'use_rslora': False,
}

# Valid Hub ids, with the task type and module names of their architecture.
DECODER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
BASE_MODELS: list[tuple[str, str, list[str]]] = [
    ('meta-llama/Llama-2-7b-hf', 'CAUSAL_LM', DECODER),
    ('meta-llama/Meta-Llama-3-8B-Instruct', 'CAUSAL_LM', DECODER),
    ('mistralai/Mistral-7B-v0.1', 'CAUSAL_LM', DECODER),
    ('Qwen/Qwen2.5-7B-Instruct', 'CAUSAL_LM', DECODER),
    ('Qwen/Qwen2-0.5B', 'CAUSAL_LM', DECODER),
    ('TinyLlama/TinyLlama-1.1B-Chat-v1.0', 'CAUSAL_LM', DECODER),
    ('HuggingFaceH4/zephyr-7b-beta', 'CAUSAL_LM', DECODER),
    ('google/gemma-2b', 'CAUSAL_LM', DECODER),
    ('microsoft/phi-2', 'CAUSAL_LM', ['q_proj', 'k_proj', 'v_proj', 'dense', 'fc1', 'fc2']),
    ('tiiuae/falcon-7b', 'CAUSAL_LM', ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h']),
    ('EleutherAI/pythia-1b', 'CAUSAL_LM', ['query_key_value', 'dense']),
    ('bigscience/bloom-560m', 'CAUSAL_LM', ['query_key_value', 'dense']),
    ('facebook/opt-350m', 'CAUSAL_LM', ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2']),
    ('google/flan-t5-base', 'SEQ_2_SEQ_LM', ['q', 'k', 'v', 'o', 'wi', 'wo']),
    ('google/flan-t5-large', 'SEQ_2_SEQ_LM', ['q', 'k', 'v', 'o', 'wi', 'wo']),
    ('gpt2', 'CAUSAL_LM', ['c_attn', 'c_proj', 'c_fc']),
]


def lora_config(rng: Any, base: tuple[str, str, list[str]] | None = None) -> dict[str, Any]:
    """A LoRA config as PEFT writes it, with a random base model, rank and modules."""
    hub_id, task, modules = base or rng.choice(BASE_MODELS)
    r = rng.choice([4, 8, 16, 32, 64])
    config = dict(LORA)
    config.update(
        base_model_name_or_path=hub_id, task_type=task, r=r, lora_alpha=r * rng.choice([1, 2]),
        lora_dropout=rng.choice([0.0, 0.05, 0.1]),
        target_modules=rng.sample(modules, rng.randint(2, len(modules))),  # PEFT writes a set: any order
    )
    return config


def peft_dumps(config: dict[str, Any]) -> str:
    """Exactly how PEFT writes adapter_config.json: indent 2, sorted keys, no final newline."""
    return json.dumps(config, indent=2, sort_keys=True)


def machine() -> str:
    """One line about this machine: Python, CPUs, load (other work skews absolute times)."""
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
    return f'Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}'


def tool(name: str) -> str:
    """A console script of this interpreter's environment, as a pre-commit venv runs it.

    Taken from the interpreter's own scripts directory, not from PATH: a pyenv
    shim on PATH adds about 0.1 s of bash to every run.
    """
    found = shutil.which(name, path=sysconfig.get_path('scripts')) or shutil.which(name)
    if found is None:
        sys.exit(f'{name} is not installed (pip install -e ".[bench]")')
    return found


def git(*args: str, cwd: str, stdin: bytes | None = None) -> str:
    env = {
        **os.environ, 'GIT_AUTHOR_NAME': 'Bench', 'GIT_AUTHOR_EMAIL': 'bench@example.com',
        'GIT_COMMITTER_NAME': 'Bench', 'GIT_COMMITTER_EMAIL': 'bench@example.com',
    }
    return subprocess.run(
        ('git', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', *args),
        cwd=cwd, env=env, input=stdin, check=True, capture_output=True,
    ).stdout.decode()


def arg_batches(command: list[str], files: list[str]) -> list[list[str]]:
    """Split files over as many command lines as the OS allows, like xargs."""
    limit = os.sysconf('SC_ARG_MAX') - 2048 - sum(len(k) + len(v) + 2 for k, v in os.environ.items())
    batches: list[list[str]] = []
    current: list[str] = []
    size = sum(len(a) + 1 for a in command)
    for name in files:
        if current and size + len(name) + 1 > limit:
            batches.append(current)
            current, size = [], sum(len(a) + 1 for a in command)
        current.append(name)
        size += len(name) + 1
    return batches + [current]


def run_once(commands: Sequence[list[str]], cwd: str, expect: int = 0) -> float:
    """Wall time of running the commands one after the other; each must exit ``expect``."""
    start = time.perf_counter()
    for command in commands:
        process = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if process.returncode != expect:
            sys.exit(f'{command[0]} exited {process.returncode}, expected {expect}, in {cwd}:\n'
                     f'{process.stderr.decode(errors="replace")[-2000:]}')
    return time.perf_counter() - start


def alternate(tools: dict[str, tuple[Sequence[list[str]], int]], rounds: int, cwd: str) -> dict[str, list[float]]:
    """Run every tool once per round, rotating which goes first; wall times per tool."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for i in range(rounds):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            commands, expect = tools[name]
            times[name].append(run_once(commands, cwd, expect))
    return times


def table(times: dict[str, list[float]], reference: str, targets: dict[str, float] | None = None) -> str:
    """Median, min, and the ratio of medians to ``reference``, with targets met or not."""
    targets = targets or {}
    base = statistics.median(times[reference])
    width = max(len(n) for n in times)
    lines = [f'  {"tool":<{width}}  {"median":>8}  {"min":>8}  {"ratio":>6}  target']
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        target = ''
        if name in targets:
            verdict = 'met' if ratio <= targets[name] else 'NOT MET'
            target = f'<= {targets[name]:.2f}x  {verdict}'
        lines.append(f'  {name:<{width}}  {median:7.3f}s  {min(values):7.3f}s  {ratio:5.2f}x  {target}')
    return '\n'.join(lines)
