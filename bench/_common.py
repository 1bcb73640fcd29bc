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
from collections.abc import Mapping
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


HOOK_VENV = os.path.join(WORK, 'hook-venv')


def hook_venv() -> str:
    """A virtualenv like the one pre-commit builds for the hook: this repository installed (not editable).

    An editable install puts a finder on the import path that costs every run
    about 10 ms, which pre-commit's own install does not have.  Made once with
    the benchmark's other tools (pip reaches the package index), and
    adapter-guard reinstalled from the working tree on every benchmark run.
    """
    python = os.path.join(HOOK_VENV, 'bin', 'python')
    if not os.path.exists(python):
        subprocess.run((sys.executable, '-m', 'venv', HOOK_VENV), check=True)
        subprocess.run((python, '-m', 'pip', 'install', '-q', 'pre-commit', 'pre-commit-hooks', 'check-jsonschema',
                        REPO), check=True)
    subprocess.run((python, '-m', 'pip', 'install', '-q', '--no-deps', '--force-reinstall', REPO), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return python


def tool(name: str) -> str:
    """A console script, from the hook virtualenv when there is one, as a pre-commit venv runs it.

    Taken from a scripts directory, not from PATH: a pyenv shim on PATH adds
    about 0.1 s of bash to every run.
    """
    scripts = os.path.join(HOOK_VENV, 'bin') if os.path.isdir(HOOK_VENV) else sysconfig.get_path('scripts')
    found = shutil.which(name, path=scripts) or shutil.which(name)
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


def run_once(commands: Sequence[list[str]], cwd: str, expect: int | None = 0) -> float:
    """Wall time of running the commands one after the other; each must exit ``expect`` (None: findings allowed)."""
    start = time.perf_counter()
    for command in commands:
        process = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if process.returncode not in ((expect,) if expect is not None else (0, 1)):
            sys.exit(f'{command[0]} exited {process.returncode}, expected {expect}, in {cwd}:\n'
                     f'{process.stderr.decode(errors="replace")[-2000:]}')
    return time.perf_counter() - start


def alternate(tools: Mapping[str, tuple[Sequence[list[str]], int | None]], rounds: int,
              cwd: str) -> dict[str, list[float]]:
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


# Run in a fresh interpreter: the audit (the console script's main), then the peak RSS in KiB
# of this Python process and of its largest child (a git process).
PEAK = '''
import os, resource, sys
from adapter_guard.main import main
sys.stdout = open(os.devnull, 'w')
main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
      file=sys.__stdout__)
'''


def synthetic(commits: int, adapters: int, rewrites: int, seed: int = 0, replacements: int = 0) -> tuple[str, dict]:
    """The synthetic repository for these parameters, generated once and kept in bench/.work, and its manifest."""
    import synthetic_repo

    out = synthetic_repo.default_out(commits, adapters, rewrites, seed, replacements)
    manifest_path = out + '.manifest.json'
    if not os.path.exists(manifest_path):  # written last: its presence means the repository is complete
        started = time.perf_counter()
        synthetic_repo.generate(out, commits, adapters, rewrites, seed, replacements)
        print(f'generated {out} in {time.perf_counter() - started:.1f}s')
    with open(manifest_path, encoding='utf-8') as f:
        return out, json.load(f)


def check_findings(repo: str, manifest: dict) -> bool:
    """AG301 findings of the audit against the manifest's known rewrites; True when exactly those."""
    process = subprocess.run((tool('adapter-guard'), 'audit', '--format', 'json'), cwd=repo, capture_output=True)
    findings = json.loads(process.stdout)['findings']
    found = {f['commit']: f for f in findings if f['code'] == 'AG301'}
    known = {r['commit']: r for r in manifest['rewrites']}
    others = sorted({f['code'] for f in findings} - {'AG301'})
    ag301 = sum(f['code'] == 'AG301' for f in findings)
    print(f'\ncorrectness: audit exit {process.returncode}, {len(findings)} findings '
          f'({ag301} AG301 in {len(found)} commits{", also " + ", ".join(others) if others else ""})')
    if found.keys() == known.keys():
        print(f'  found exactly the {len(known)} known rewrites')
        return True
    print(f'  NOT exactly the {len(known)} known rewrites: {len(known.keys() - found.keys())} missing, '
          f'{len(found.keys() - known.keys())} extra')
    for sha in sorted(known.keys() - found.keys(), key=lambda s: known[s]['mark']):
        r = known[sha]
        print(f'  MISSING commit {sha} (#{r["mark"]}) {r["path"]}: {r["old"]!r} -> {r["new"]!r}')
    replaced = {r['commit']: r for r in manifest.get('replacements', [])}
    for sha in sorted(found.keys() - known.keys()):
        f = found[sha]
        print(f'  EXTRA   commit {sha} {f["path"]}:{f["line"]}: {f["message"]}')
        if sha in replaced:
            r = replaced[sha]
            print(f'          (#{r["mark"]} deleted {r["deleted"]} ({r["deleted_base"]}) and added the unrelated '
                  f'{r["added"]} ({r["added_base"]}): not a rewrite)')
    return False


def peak_memory_mb(repo: str, rounds: int) -> list[tuple[float, float]]:
    """(Python process, largest git child) peak RSS in MB, each from a fresh process."""
    python = os.path.join(os.path.dirname(tool('adapter-guard')), 'python')
    command = (python, '-c', PEAK, 'audit', '--format', 'json')
    runs = [subprocess.run(command, cwd=repo, capture_output=True, text=True).stdout.split() for _ in range(rounds)]
    return [(int(own) / 1024, int(child) / 1024) for own, child in runs]
