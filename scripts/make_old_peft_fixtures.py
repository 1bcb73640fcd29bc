"""Make real adapter_config.json files with older PEFT releases (test data).

For each PEFT version this script creates a throwaway virtual environment,
installs torch 2.13.0 (the CPU build that lies on this machine's disk) first,
then that PEFT release with a transformers and accelerate of its time, all
under a constraints file that pins torch, so pip never swaps torch for
another build.  Inside that environment it runs GENERATE (below): build a tiny
LlamaForCausalLM from a config (no download), save it to a local folder,
reload it from there, and for every PEFT method the release has and this
script has a recipe for, call get_peft_model and save_pretrained.  Only
adapter_config.json (and the README.md model card, where PEFT writes one) is
kept; weights are not.  A method that fails is skipped and the error recorded.

The results land in tests/resources/peft-versions/<peft version>/<method>/,
with manifest.json (what was installed, what worked, what failed and why)
and README.md rendered from it.

    python scripts/make_old_peft_fixtures.py                   # the default versions
    python scripts/make_old_peft_fixtures.py --versions 0.6.2  # just one

The base model is saved at <work>/tiny-llama and PEFT copies that folder into
base_model_name_or_path; the default work folder is fixed
(<tmp>/adapter-guard-peft-fixtures) so that a rerun writes the same bytes.
The venvs are kept there too and reused by a rerun (--fresh removes them).
Needs PyPI (pip) but nothing else: HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1
are set for the generation.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from typing import TypedDict

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / 'tests' / 'resources' / 'peft-versions'
TORCH = '2.13.0'  # the CPU wheel on this machine's disk; any other version pulls a CUDA build

# PEFT release -> what it is installed with, and why.  transformers and
# accelerate are releases from when that PEFT came out (old PEFT imports names
# that later transformers/accelerate moved or removed, and transformers 5 is
# too new for all of these).  Every one of these installs on Python 3.11 from
# wheels and imports and runs beside torch 2.13 (seen 2026-11-29); the rest
# (numpy 2.x, huggingface_hub, tokenizers, ...) is what pip picks, recorded as
# pip_freeze in manifest.json.
class Release(TypedDict):
    transformers: str
    accelerate: str
    extra: list[str]  # more requirements
    why: str


RELEASES: dict[str, Release] = {
    '0.4.0': {
        'transformers': '4.31.0',
        'accelerate': '0.21.0',
        'extra': [],
        'why': 'contemporaries: July 2023 (transformers 4.31.0 came out with PEFT 0.4.0)',
    },
    '0.6.2': {
        'transformers': '4.35.2',
        'accelerate': '0.24.1',
        'extra': [],
        'why': 'contemporaries: October-November 2023',
    },
    '0.8.2': {
        'transformers': '4.37.2',
        'accelerate': '0.26.1',
        'extra': [],
        'why': 'contemporaries: January-February 2024',
    },
    '0.10.0': {
        'transformers': '4.39.3',
        'accelerate': '0.28.0',
        'extra': [],
        'why': 'contemporaries: March-April 2024',
    },
    '0.13.2': {
        'transformers': '4.45.2',
        'accelerate': '0.34.2',
        'extra': [],
        'why': 'contemporaries: September-October 2024',
    },
}
DEFAULT_VERSIONS = ['0.4.0', '0.6.2', '0.8.2', '0.10.0', '0.13.2']
PYTHONHASHSEED = '0'

# Runs inside the PEFT venv: python -c GENERATE OUT_DIR BASE_DIR
GENERATE = r'''
import dataclasses
import inspect
import json
import os
import sys
import traceback

import torch
import transformers
import peft
from transformers import LlamaConfig, LlamaForCausalLM

out_dir, base_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)

try:
    import accelerate
    accelerate_version = accelerate.__version__
except Exception:  # not every PEFT needs it
    accelerate_version = None

torch.manual_seed(0)
base_config = LlamaConfig(
    hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
    num_key_value_heads=2, vocab_size=64, max_position_embeddings=64,
)
LlamaForCausalLM(base_config).save_pretrained(base_dir)

QV = ['q_proj', 'v_proj']
# folder -> (PeftType name, config keywords).  Keywords that the release's
# config class does not have are dropped (they are for later releases), so a
# value is only ever written by a release that knows the key.
RECIPES = {
    'lora': ('LORA', dict(r=4, lora_alpha=8, lora_dropout=0.05, target_modules=QV)),
    # non-default values of the keys every release has: a regex target, bias, modules_to_save
    'lora-regex': ('LORA', dict(r=4, lora_alpha=8, lora_dropout=0.0, bias='lora_only',
                                target_modules=r'.*\.(q_proj|v_proj)$', modules_to_save=['lm_head'])),
    # layer selection and per-module patterns; no task_type: a bare PeftModel
    'lora-layers': ('LORA', dict(r=4, lora_alpha=8, target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj'],
                                 layers_to_transform=[0], layers_pattern='layers',
                                 rank_pattern={'k_proj': 2}, alpha_pattern={'k_proj': 4},
                                 use_rslora=True, task_type=None)),
    # dropout > 0: PEFT 0.4's AdaLoRA fails with lora_dropout=0.0
    'adalora': ('ADALORA', dict(init_r=6, target_r=4, lora_alpha=8, lora_dropout=0.05, target_modules=QV,
                                total_step=100)),
    'ia3': ('IA3', dict(target_modules=['k_proj', 'v_proj', 'down_proj'], feedforward_modules=['down_proj'])),
    'loha': ('LOHA', dict(r=4, alpha=8, target_modules=QV)),
    'lokr': ('LOKR', dict(r=4, alpha=8, target_modules=QV)),
    'oft': ('OFT', dict(r=4, target_modules=QV)),
    'boft': ('BOFT', dict(boft_block_size=4, target_modules=QV)),
    'vera': ('VERA', dict(r=4, target_modules=QV)),
    'fourierft': ('FOURIERFT', dict(n_frequency=16, target_modules=QV)),
    'hra': ('HRA', dict(r=4, target_modules=QV)),
    'vblora': ('VBLORA', dict(r=4, num_vectors=16, vector_length=4, target_modules=QV)),
    'poly': ('POLY', dict(r=4, n_tasks=2, n_skills=2, target_modules=QV)),
    'ln_tuning': ('LN_TUNING', dict(target_modules=['input_layernorm', 'post_attention_layernorm'])),
    'prompt_tuning': ('PROMPT_TUNING', dict(num_virtual_tokens=4)),
    'prefix_tuning': ('PREFIX_TUNING', dict(num_virtual_tokens=4)),
    'p_tuning': ('P_TUNING', dict(num_virtual_tokens=4, encoder_hidden_size=16)),
    'multitask_prompt_tuning': ('MULTITASK_PROMPT_TUNING', dict(num_virtual_tokens=4, num_tasks=2)),
    'adaption_prompt': ('ADAPTION_PROMPT', dict(adapter_len=4, adapter_layers=1)),
}
NOT_TRIED = {
    'XLORA': 'not tried: an X-LoRA config names its LoRA adapters by the local paths they were '
             'loaded from (adapters), so a real one holds paths of this machine',
}


def config_class(name):
    from peft import mapping
    table = mapping.PEFT_TYPE_TO_CONFIG_MAPPING
    return table[name] if name in table else table[peft.PeftType[name]]


def one_line(error):
    text = f'{type(error).__name__}: {error}'.strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def make(folder, name, recipe):
    cls = config_class(name)
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs = {'task_type': 'CAUSAL_LM', **recipe}
    kwargs = {k: v for k, v in kwargs.items() if k in fields}
    config = cls(**kwargs)
    torch.manual_seed(0)
    model = LlamaForCausalLM.from_pretrained(base_dir)
    peft_model = peft.get_peft_model(model, config)
    save_kwargs = {}
    if 'save_embedding_layers' in inspect.signature(peft_model.save_pretrained).parameters:
        # "auto" asks the Hub about base_model_name_or_path (PEFT 0.8.x): offline it fails
        save_kwargs['save_embedding_layers'] = False
    target = os.path.join(out_dir, folder)
    peft_model.save_pretrained(target, **save_kwargs)
    if not os.path.exists(os.path.join(target, 'adapter_config.json')):
        raise RuntimeError('save_pretrained wrote no adapter_config.json')
    dropped = sorted(set(recipe) - fields)
    return {'status': 'ok', 'peft_type': name, 'config_class': cls.__name__,
            'dropped_keywords': dropped, 'files': sorted(os.listdir(target))}


results = {}
for peft_type in peft.PeftType:
    name = peft_type.name
    folders = [folder for folder, (type_name, _) in RECIPES.items() if type_name == name]
    if name in NOT_TRIED or not folders:
        reason = NOT_TRIED.get(name, 'no recipe in make_old_peft_fixtures.py')
        results[name.lower()] = {'status': 'skipped', 'peft_type': name, 'reason': reason}
        continue
    for folder in folders:
        try:
            results[folder] = make(folder, name, RECIPES[folder][1])
        except Exception as error:
            traceback.print_exc()
            results[folder] = {'status': 'failed', 'peft_type': name, 'reason': one_line(error)}
        print(f'{folder}: {results[folder]["status"]}', flush=True)

with open(os.path.join(out_dir, 'results.json'), 'w') as f:
    json.dump({
        'peft': peft.__version__,
        'transformers': transformers.__version__,
        'accelerate': accelerate_version,
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'methods': results,
    }, f, indent=2)
'''

KEEP = ('adapter_config.json', 'README.md')


def log(message: str) -> None:
    print(f'[make_old_peft_fixtures] {message}', flush=True)


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
    log(' '.join('<GENERATE>' if part == GENERATE else part for part in command))
    subprocess.run(command, check=True, env=env, cwd=cwd)


def make_venv(work: Path, version: str, fresh: bool) -> Path:
    """A venv with torch first, then PEFT under the torch constraint; reused when complete."""
    release = RELEASES[version]
    venv = work / f'venv-peft-{version}'
    marker = venv / 'adapter-guard-requirements.txt'
    requirements = [
        f'peft=={version}',
        f'transformers=={release["transformers"]}',
        f'accelerate=={release["accelerate"]}',
        *release['extra'],
    ]
    if fresh and venv.exists():
        shutil.rmtree(venv)
    python = venv / 'bin' / 'python'
    if marker.exists() and marker.read_text() == '\n'.join(requirements):
        log(f'reusing {venv}')
        return python
    if venv.exists():
        shutil.rmtree(venv)
    run([sys.executable, '-m', 'venv', str(venv)])
    pip = [str(python), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check']
    run(pip + [f'torch=={TORCH}'])
    constraints = work / 'torch-constraint.txt'
    constraints.write_text(f'torch=={TORCH}\n')
    run(pip + ['-c', str(constraints)] + requirements)
    marker.write_text('\n'.join(requirements))
    return python


def freeze(python: Path) -> list[str]:
    listed = subprocess.run([str(python), '-m', 'pip', 'freeze', '--disable-pip-version-check'],
                            check=True, capture_output=True, text=True).stdout
    return [line for line in listed.splitlines() if line and not line.startswith('#')]


def generate(python: Path, work: Path, version: str) -> dict[str, Any]:
    staging = work / f'out-{version}'
    if staging.exists():
        shutil.rmtree(staging)
    base = work / 'tiny-llama'
    env = {
        **os.environ,
        'HF_HUB_OFFLINE': '1',
        'TRANSFORMERS_OFFLINE': '1',
        'HF_DATASETS_OFFLINE': '1',
        'HF_HUB_DISABLE_TELEMETRY': '1',
        'PYTHONHASHSEED': PYTHONHASHSEED,
        'HF_HOME': str(work / 'hf-home'),  # an empty cache: nothing from this user's downloads
        'TOKENIZERS_PARALLELISM': 'false',
        # BOFT tries to build a CUDA extension: keep its build folder out of ~/.cache
        'TORCH_EXTENSIONS_DIR': str(work / 'torch-extensions'),
    }
    env.pop('PYTHONPATH', None)
    # cwd=work: nothing in the repository can shadow the venv's packages
    run([str(python), '-c', GENERATE, str(staging), str(base)], env=env, cwd=str(work))
    return json.loads((staging / 'results.json').read_text())


def collect(work: Path, version: str, results: dict[str, Any], out: Path) -> None:
    """Copy the kept files of each method that worked into out/<version>/<method>/."""
    target = out / version
    if target.exists():
        shutil.rmtree(target)
    methods = results['methods']
    assert isinstance(methods, dict)
    for name, outcome in methods.items():
        if outcome['status'] != 'ok':
            continue
        source = work / f'out-{version}' / name
        destination = target / name
        destination.mkdir(parents=True)
        for file in KEEP:
            if (source / file).exists():
                shutil.copyfile(source / file, destination / file)
        outcome['kept'] = sorted(p.name for p in destination.iterdir())


def render_readme(manifest: dict[str, object]) -> str:
    versions = manifest['versions']
    assert isinstance(versions, dict)
    lines = [
        '# Real adapter_config.json files from older PEFT releases',
        '',
        'Written by `scripts/make_old_peft_fixtures.py` (generated: do not edit by hand;',
        'this README is rendered from `manifest.json` beside it).  Each folder',
        '`<peft version>/<method>/` holds the `adapter_config.json` that',
        '`get_peft_model(...).save_pretrained(...)` of that PEFT release wrote, byte for byte,',
        'and the `README.md` model card where that release writes one.  The weights are not kept.',
        '',
        'How they were made: in a fresh virtual environment per PEFT version, `pip install',
        f'torch=={TORCH}` first (CPU build), then PEFT, transformers and accelerate as in the',
        'table below under a constraints file holding that torch pin (install s: 0 when a',
        'venv was reused).  The generation program',
        '(embedded in the script) builds a tiny `LlamaForCausalLM` from',
        '`LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2,',
        'num_attention_heads=2, num_key_value_heads=2, vocab_size=64, max_position_embeddings=64)`,',
        'saves it to a local folder, reloads it from there, and for each method calls',
        '`get_peft_model` with `task_type="CAUSAL_LM"` and `save_pretrained`',
        '(with `save_embedding_layers=False` where the release has that argument:',
        'its default `"auto"` asks the Hub about the base model, which fails offline).',
        f'It runs with `HF_HUB_OFFLINE=1`, `TRANSFORMERS_OFFLINE=1` and `PYTHONHASHSEED={PYTHONHASHSEED}`.',
        '',
        '`base_model_name_or_path` is the local folder the base model was loaded from,',
        f'`{manifest["base_model_path"]}`: that is what PEFT really writes, and the files keep it.',
        'adapter-guard reports it as AG202, and as AG401 in the model cards (PEFT >= 0.6) that',
        'copy it into `base_model`; `tests/old_peft_fixtures_test.py` checks that, that no',
        'AG0xx/AG1xx (loading or schema) finding is raised, and that a copy with the Hub id',
        '`acme/tiny-llama` in both instead gets no finding at all.',
        '',
        'A folder is named after the method (`lora`, `ia3`, ...), in lower case like the schema',
        'files; `lora-regex` (a regex `target_modules`, `bias="lora_only"`, `modules_to_save`) and',
        '`lora-layers` (`layers_to_transform`, `layers_pattern`, `rank_pattern`, `alpha_pattern`,',
        '`use_rslora`, no `task_type`) are LoRA with non-default values.  The recipes (tiny ranks,',
        '`target_modules=["q_proj", "v_proj"]` for most adapter methods, 4 virtual tokens for the',
        "prompt methods) are in the script; a keyword that a release's config class does not have",
        'is left out for that release (`dropped_keywords` in `manifest.json`).  AdaLoRA uses',
        "`lora_dropout=0.05`: PEFT 0.4's AdaLoRA fails with 0.0 (`TypeError: ... lora_dropout_layer",
        'is not a Module subclass`).  Everything else each venv held is in `pip_freeze` in `manifest.json`',
        '(numpy, huggingface_hub, tokenizers, safetensors: the newest pip chose that install).',
        '',
        f'Last command line: `{manifest["command"]}`',
        '',
        '| PEFT | transformers | accelerate | torch | Python | made on | install s | generation s | methods kept |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for version, info in sorted(versions.items(), key=lambda item: _key(item[0])):
        kept = [name for name, o in info['methods'].items() if o['status'] == 'ok']
        lines.append(
            f'| {version} | {info["transformers"]} | {info["accelerate"]} | {info["torch"]} '
            f'| {info["python"]} | {info["date"]} | {info["install_seconds"]} | {info["seconds"]} '
            f'| {", ".join(kept)} |',
        )
    lines += ['', 'Why those transformers/accelerate releases:', '']
    for version, info in sorted(versions.items(), key=lambda item: _key(item[0])):
        lines.append(f'- PEFT {version}, transformers {info["transformers"]}, '
                     f'accelerate {info["accelerate"]}: {info["why"]}.')
    lines += ['', '## Methods not kept', '']
    for version, info in sorted(versions.items(), key=lambda item: _key(item[0])):
        missing = [(n, o) for n, o in info['methods'].items() if o['status'] != 'ok']
        if not missing:
            continue
        lines.append(f'PEFT {version}:')
        lines.append('')
        for name, outcome in missing:
            lines.append(f'- `{name}` ({outcome["status"]}): {outcome["reason"]}')
        lines.append('')
    lines.append('A PEFT method that a release does not have is not listed for it.')
    return '\n'.join(lines) + '\n'


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split('.'))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--versions', default=','.join(DEFAULT_VERSIONS),
                        help=f'comma-separated PEFT versions (default: {",".join(DEFAULT_VERSIONS)}; '
                             f'known: {", ".join(RELEASES)})')
    parser.add_argument('--work', type=Path,
                        default=Path(tempfile.gettempdir()) / 'adapter-guard-peft-fixtures',
                        help='folder for the venvs and the base model (default: %(default)s)')
    parser.add_argument('--out', type=Path, default=OUT, help='where the fixtures go (default: %(default)s)')
    parser.add_argument('--fresh', action='store_true', help='recreate the venvs')
    parser.add_argument('--keep-going', action='store_true',
                        help='go on with the next version when one cannot be installed or run')
    args = parser.parse_args(argv)

    versions = [v.strip() for v in args.versions.split(',') if v.strip()]
    unknown = [v for v in versions if v not in RELEASES]
    if unknown:
        parser.error(f'no install recipe for PEFT {", ".join(unknown)} (known: {", ".join(RELEASES)})')
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / 'manifest.json'
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {'versions': {}}
    manifest['base_model_path'] = str(work / 'tiny-llama')
    shown = list(argv if argv is not None else sys.argv[1:])
    manifest['command'] = ' '.join(['python scripts/make_old_peft_fixtures.py', *shown])

    failed = []
    for version in versions:
        started = time.monotonic()
        try:
            python = make_venv(work, version, args.fresh)
            installed = time.monotonic()
            results = generate(python, work, version)
        except subprocess.CalledProcessError as error:
            failed.append(version)
            log(f'PEFT {version} failed: {error}')
            if not args.keep_going:
                return 1
            continue
        collect(work, version, results, out)
        finished = time.monotonic()
        results['why'] = RELEASES[version]['why']
        results['pip_freeze'] = freeze(python)
        results['date'] = datetime.date.today().isoformat()
        results['seconds'] = round(finished - installed)
        results['install_seconds'] = round(installed - started)
        manifest['versions'][version] = results
        log(f'PEFT {version}: install {installed - started:.0f}s, generation {finished - installed:.0f}s')
        for name, outcome in results['methods'].items():
            log(f'  {name}: {outcome["status"]} {outcome.get("reason", "")}')

    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + '\n')
    (out / 'README.md').write_text(render_readme(manifest))
    if failed:
        log(f'failed: {", ".join(failed)}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
