"""Cost of the fit checks (AG7xx): with and without the base model in the Hugging Face cache.

Workloads, each `adapter-guard --no-history` in a fresh process from the
work folder, with HF_HUB_CACHE pointing at
(1) an empty cache: the hot path of a developer without the base model, or
    of pre-commit.ci: nothing may be slower, and nothing more is imported;
(2) a cache with the config.json of real base models (Llama-2 7B and 13B,
    Mistral 7B, Qwen2.5 7B, flan-t5-base), laid out as huggingface_hub
    writes it: the light path compares every LoRA tensor with the model;
(3) the same with the adapter named as the 13B model: a misfit, which also
    searches the cache for the models the weights fit;
on one adapter and on 200 (LoRA r=16 on all seven linear layers of each
block: 448 tensors per Llama adapter, headers as PEFT writes them, the
tensor data sparse).  The per-adapter cost is the difference of medians
divided by 200.  Then the imports of one run of (1) and (2)
(``python -X importtime``), and, when installed, the meta-device path
(transformers, for a family the light path does not know), built and then
kept, and --online against a Hub on 127.0.0.1 (tests/hub_server.py), cold
and with its answers kept.

    python bench/fit.py [--rounds 15] [--rounds-many 5] [--baseline EXECUTABLE]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
from typing import Any
from typing import TypedDict

from _common import alternate
from _common import hook_venv
from _common import LORA
from _common import machine
from _common import peft_dumps
from _common import REPO
from _common import table
from _common import tool
from _common import WORK

SHA = 'a' * 40
LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
LLAMA: dict[str, Any] = dict(architectures=['LlamaForCausalLM'], model_type='llama', vocab_size=32000,
                             torch_dtype='float16')
BASES: dict[str, dict[str, Any]] = {  # config.json of each base model
    'meta-llama/Llama-2-7b-hf': dict(LLAMA, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                                     num_attention_heads=32, num_key_value_heads=32),
    'meta-llama/Llama-2-13b-hf': dict(LLAMA, hidden_size=5120, intermediate_size=13824, num_hidden_layers=40,
                                      num_attention_heads=40, num_key_value_heads=40),
    'mistralai/Mistral-7B-v0.1': dict(LLAMA, model_type='mistral', architectures=['MistralForCausalLM'],
                                      hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                                      num_attention_heads=32, num_key_value_heads=8),
    'Qwen/Qwen2.5-7B-Instruct': dict(architectures=['Qwen2ForCausalLM'], model_type='qwen2', hidden_size=3584,
                                     intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                                     num_key_value_heads=4, vocab_size=152064),
    'google/flan-t5-base': dict(architectures=['T5ForConditionalGeneration'], model_type='t5', d_model=768, d_kv=64,
                                d_ff=2048, num_layers=12, num_heads=12, vocab_size=32128,
                                feed_forward_proj='gated-gelu'),
    # a family the light path does not know: only the meta-device path compares it
    'tiiuae/falcon-7b': dict(architectures=['FalconForCausalLM'], model_type='falcon', hidden_size=4544,
                             num_hidden_layers=32, num_attention_heads=71, vocab_size=65024, multi_query=True,
                             new_decoder_architecture=False, parallel_attn=True, bias=False),
}


def write_cache(cache: str, names: list[str]) -> None:
    """config.json of each model in huggingface_hub's layout: blobs, a snapshot link, refs/main."""
    for repo_id in names:
        root = os.path.join(cache, 'models--' + repo_id.replace('/', '--'))
        os.makedirs(os.path.join(root, 'blobs'))
        os.makedirs(os.path.join(root, 'snapshots', SHA))
        os.makedirs(os.path.join(root, 'refs'))
        blob = os.path.join(root, 'blobs', 'config-' + SHA[:8])
        with open(blob, 'w', encoding='utf-8') as f:
            json.dump(BASES[repo_id], f, indent=2)
        os.symlink(os.path.relpath(blob, os.path.join(root, 'snapshots', SHA)),
                   os.path.join(root, 'snapshots', SHA, 'config.json'))
        with open(os.path.join(root, 'refs', 'main'), 'w') as f:
            f.write(SHA)


def shapes(repo_id: str, r: int) -> dict[str, list[int]]:
    """The LoRA tensors PEFT saves for r on every linear layer of a Llama-style model."""
    c = BASES[repo_id]
    hidden, inner, heads = c['hidden_size'], c['intermediate_size'], c['num_attention_heads']
    head_dim = hidden // heads
    kv = c['num_key_value_heads'] * head_dim
    sizes = {'q_proj': (hidden, hidden), 'k_proj': (hidden, kv), 'v_proj': (hidden, kv), 'o_proj': (hidden, hidden),
             'gate_proj': (hidden, inner), 'up_proj': (hidden, inner), 'down_proj': (inner, hidden)}
    out = {}
    for layer in range(c['num_hidden_layers']):
        for name, (inputs, outputs) in sizes.items():
            part = 'self_attn' if name.endswith(('q_proj', 'k_proj', 'v_proj', 'o_proj')) else 'mlp'
            module = f'base_model.model.model.layers.{layer}.{part}.{name}'
            out[f'{module}.lora_A.weight'] = [r, inputs]
            out[f'{module}.lora_B.weight'] = [outputs, r]
    return out


def write_safetensors(path: str, tensors: dict[str, list[int]]) -> None:
    """A real safetensors header (float16, PEFT's metadata) and sparse data of the right size."""
    header: dict[str, object] = {'__metadata__': {'format': 'pt'}}
    offset = 0
    for name, shape in sorted(tensors.items()):
        size = 2 * shape[0] * shape[1]
        header[name] = {'dtype': 'F16', 'shape': shape, 'data_offsets': [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * (-len(raw) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)) + raw)
        f.truncate(8 + len(raw) + offset)


def write_adapter(folder: str, named: str, trained_on: str, r: int) -> str:
    os.makedirs(folder)
    config = dict(LORA, base_model_name_or_path=named, task_type='CAUSAL_LM', r=r, lora_alpha=2 * r,
                  target_modules=LINEAR)
    with open(os.path.join(folder, 'adapter_config.json'), 'w', encoding='utf-8') as f:
        f.write(peft_dumps(config))
    write_safetensors(os.path.join(folder, 'adapter_model.safetensors'), shapes(trained_on, r))
    return os.path.join(folder, 'adapter_config.json')


class Work(TypedDict):
    fits: str  # an adapter config that fits its base model
    misfit: str  # one that does not
    many: list[str]  # 200 that fit, relative to the directory


def build(directory: str) -> Work:
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(os.path.join(directory, 'empty-cache'))
    write_cache(os.path.join(directory, 'cache'), list(BASES))
    rng = random.Random(0)
    bases = ['meta-llama/Llama-2-7b-hf', 'meta-llama/Llama-2-13b-hf', 'mistralai/Mistral-7B-v0.1']
    many = [write_adapter(os.path.join(directory, 'many', f'a{i:03d}'), base, base, rng.choice([8, 16, 32]))
            for i in range(200) for base in [rng.choice(bases)]]
    return {
        'fits': write_adapter(os.path.join(directory, 'fits'), bases[0], bases[0], 16),
        'misfit': write_adapter(os.path.join(directory, 'misfit'), bases[1], bases[0], 16),
        'many': [os.path.relpath(p, directory) for p in many],
    }


def commands(
        directory: str, files: list[str], caches: dict[str, str], baseline: str | None = None,
) -> dict[str, tuple[list[list[str]], int]]:
    """One command line per cache, with HF_HUB_CACHE set through `env`; ``baseline`` with the empty cache."""
    out = {}
    for label, cache in caches.items():
        out[label] = ([['env', f'HF_HUB_CACHE={os.path.join(directory, cache)}', tool('adapter-guard'),
                        '--no-history', *files]], -1)
    if baseline:
        out['baseline, empty cache'] = ([['env', f'HF_HUB_CACHE={os.path.join(directory, "empty-cache")}', baseline,
                                          '--no-history', *files]], -1)
    return out


def timed(
        directory: str, label: str, files: list[str], caches: dict[str, str], rounds: int, baseline: str | None = None,
) -> dict[str, list[float]]:
    tools = commands(directory, files, caches, baseline)
    expected = {name: _exit_code(cmd[0], directory) for name, (cmd, _) in tools.items()}  # warm-up, and the exit code
    tools = {name: (cmd, expected[name]) for name, (cmd, _) in tools.items()}
    print(f'\n({label}) {len(files)} adapter(s), {rounds} rounds; exit codes {expected}')
    times = alternate(tools, rounds, directory)
    print(table(times, next(iter(caches))))
    return times


def _exit_code(command: list[str], directory: str) -> int:
    return subprocess.run(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def imports(directory: str, relpath: str, cache: str) -> None:
    """Total import time of one run, and which heavy modules it imported."""
    env = {**os.environ, 'HF_HUB_CACHE': os.path.join(directory, cache)}
    totals = []
    for _ in range(5):
        process = subprocess.run((sys.executable, '-X', 'importtime', '-m', 'adapter_guard', '--no-history', relpath),
                                 cwd=directory, env=env, capture_output=True, text=True)
        rows = [re.match(r'import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)', line) for line in process.stderr.splitlines()]
        modules = {m.group(3): int(m.group(1)) for m in rows if m}
        totals.append(sum(int(m.group(1)) for m in rows if m and not m.group(2)) / 1000)
    heavy = sorted(m for m in modules if m.split('.')[0] in ('huggingface_hub', 'torch', 'transformers'))
    mine = sorted(m for m in modules if m.startswith(('adapter_guard.checks.fit', 'adapter_guard.hfcache',
                                                      'adapter_guard.architectures', 'adapter_guard.module_shapes',
                                                      'adapter_guard.weight_fit', 'adapter_guard.lora_tensors')))
    print(f'  {cache:<12} all imports median {sorted(totals)[2]:.1f} ms; heavy modules: {heavy or "none"}; '
          f'fit modules: {", ".join(f"{m} {modules[m] / 1000:.1f} ms" for m in mine)}')


def meta_path(directory: str, rounds: int) -> None:
    """An adapter on a family only transformers knows: built on the meta device, then kept for the next run.

    Timed with this interpreter, not the hook's venv: pre-commit's venv holds no torch, so the meta-device path
    only runs where torch and transformers are installed beside adapter-guard.
    """
    if importlib.util.find_spec('transformers') is None or importlib.util.find_spec('torch') is None:
        print('\n(meta) torch and transformers are not installed: the meta-device path is not timed')
        return
    adapter = os.path.join(directory, 'falcon')
    os.makedirs(adapter, exist_ok=True)
    with open(os.path.join(adapter, 'adapter_config.json'), 'w', encoding='utf-8') as f:
        f.write(peft_dumps(dict(LORA, base_model_name_or_path='tiiuae/falcon-7b', task_type='CAUSAL_LM',
                                target_modules=['query_key_value', 'dense'])))
    kept = os.path.join(directory, 'meta-kept')
    times: dict[str, list[float]] = {'no cache entry': [], 'meta device, built': [], 'meta device, kept': []}
    for _ in range(rounds):
        for label, cache, xdg in (('no cache entry', 'empty-cache', kept), ('meta device, built', 'cache', None),
                                  ('meta device, kept', 'cache', kept)):
            fresh = os.path.join(directory, 'meta-fresh')
            shutil.rmtree(fresh, ignore_errors=True)
            env = {**os.environ, 'HF_HUB_CACHE': os.path.join(directory, cache), 'XDG_CACHE_HOME': xdg or fresh}
            started = time.perf_counter()
            subprocess.run((sys.executable, '-m', 'adapter_guard', '--no-history',
                            os.path.join('falcon', 'adapter_config.json')),
                           cwd=directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[label].append(time.perf_counter() - started)
    print(f'\n(meta) an adapter on tiiuae/falcon-7b, a family only the meta-device path knows, {rounds} rounds')
    print(table(times, 'no cache entry'))


def online(directory: str, relpath: str, rounds: int) -> None:
    sys.path.insert(0, REPO)
    from tests.hub_server import FakeHub  # a Hub on 127.0.0.1, standard library only
    from tests.hub_server import serve

    hub = FakeHub()
    for repo_id, config in BASES.items():
        hub.add(repo_id, config)
    cold: list[float] = []
    warm: list[float] = []
    with serve(hub):
        for _ in range(rounds):
            env = {k: v for k, v in os.environ.items() if k not in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE')}
            shutil.rmtree(os.path.join(directory, 'online'), ignore_errors=True)
            env.update(HF_ENDPOINT=hub.url, HF_HUB_CACHE=os.path.join(directory, 'online', 'hf'),
                       XDG_CACHE_HOME=os.path.join(directory, 'online', 'xdg'))
            for times in (cold, warm):
                started = time.perf_counter()
                subprocess.run((tool('adapter-guard'), '--no-history', '--online', relpath), cwd=directory, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                times.append(time.perf_counter() - started)
    print(f'\n(online) one adapter, --online against a Hub on 127.0.0.1, {rounds} rounds')
    print(table({'--online, nothing kept (model_info + config.json)': cold, '--online, answer kept': warm},
                '--online, nothing kept (model_info + config.json)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=15, help='rounds on one adapter (default 15)')
    parser.add_argument('--rounds-many', type=int, default=5, help='rounds on 200 adapters (default 5)')
    parser.add_argument('--baseline', metavar='EXECUTABLE',
                        help='another adapter-guard (an install of the commit before the fit checks) to time on '
                             'the empty cache too: the hot path must not be slower')
    args = parser.parse_args()
    print(machine())
    hook_venv()  # adapter-guard as pre-commit installs it, from this working tree
    directory = os.path.join(WORK, 'fit')
    work = build(directory)
    caches = {'empty cache': 'empty-cache', 'base cached': 'cache'}
    fits = os.path.relpath(str(work['fits']), directory)
    misfit = os.path.relpath(str(work['misfit']), directory)
    timed(directory, '1 fits', [fits], caches, args.rounds, args.baseline)
    timed(directory, '2 does not fit', [misfit], caches, args.rounds)
    many = timed(directory, '3 many', work['many'], caches, args.rounds_many, args.baseline)
    per = (sorted(many['base cached'])[len(many['base cached']) // 2]
           - sorted(many['empty cache'])[len(many['empty cache']) // 2]) / 200
    print(f'  per adapter with its base cached: {per * 1000:.2f} ms')
    print('\n(imports) one run on one adapter, python -X importtime, 5 runs')
    for cache in ('empty-cache', 'cache'):
        imports(directory, fits, cache)
    meta_path(directory, 3)
    online(directory, fits, max(3, args.rounds // 3))
    print(f'\n{machine()}')


if __name__ == '__main__':
    main()
