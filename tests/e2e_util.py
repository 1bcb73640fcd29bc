"""Helpers for the end-to-end tests with the real PEFT library (tests/e2e_peft_test.py).

Nothing here downloads anything: the base model is a tiny Llama built from a
config and saved to a local folder; the same files are laid out by hand as a
Hugging Face cache, so that with HF_HUB_OFFLINE it loads by its Hub id too,
as it does for a user who downloaded it earlier.

This module imports torch/transformers/peft lazily inside the functions, so
importing it costs nothing where PEFT is absent.
"""
from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.util import peft_dumps

HUB_ID = 'acme/tiny-llama'
CONFIG_NAME = 'adapter_config.json'

# (category, regex on the message) of warnings that every get_peft_model call
# emits with this stack and that say nothing about adapter_config.json:
# PEFT 0.21.2's PeftModel.__init__ reads `model.is_gradient_checkpointing`,
# which transformers 5.x deprecated.
KNOWN_DEPRECATIONS: tuple[tuple[type[Warning], str], ...] = (
    (FutureWarning, r'`is_gradient_checkpointing` is deprecated'),
)


# PeftModel.save_pretrained (save_embedding_layers="auto") asks the Hub whether
# the base model's config.json exists, to compare vocab sizes, on every save
# whose base_model_name_or_path is not a local folder.  Offline it cannot tell,
# and says so; nothing is downloaded.
OFFLINE_BASE_LOOKUP: tuple[type[Warning], str] = (
    UserWarning,
    re.escape(f'Could not find a config file in {HUB_ID} - will assume that the vocabulary was not modified'),
)


def rename_warning(old: str, new: str) -> str:
    """The regex for PEFT >= 0.13's warning when get_peft_model replaces the configured base."""
    return re.escape(f"`base_model_name_or_path` was renamed from '{old}' to '{new}'")


@dataclass(frozen=True)
class TinyLlama:
    """A tiny Llama saved as safetensors in a local folder, and the same files
    in an offline Hugging Face cache as the Hub repo HUB_ID."""

    path: Path
    cache: Path

    def load(self) -> Any:
        """The model reloaded from the LOCAL PATH, so model.name_or_path is that path."""
        import transformers

        model = transformers.LlamaForCausalLM.from_pretrained(str(self.path))
        model.eval()
        return model

    def load_from_hub(self) -> Any:
        """The model loaded by its Hub id (from the offline cache): name_or_path is HUB_ID."""
        import transformers

        model = transformers.LlamaForCausalLM.from_pretrained(HUB_ID, cache_dir=str(self.cache))
        model.eval()
        assert model.name_or_path == HUB_ID
        return model


def build_tiny_llama(path: Path, cache: Path, seed: int = 1234) -> TinyLlama:
    import torch
    import transformers

    config = transformers.LlamaConfig(
        hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, vocab_size=64, max_position_embeddings=64,
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(str(path))
    assert (path / 'model.safetensors').is_file(), sorted(p.name for p in path.iterdir())
    publish_to_hub_cache(cache, HUB_ID, path)
    return TinyLlama(path, cache)


@contextlib.contextmanager
def ignoring_known_deprecations() -> Iterator[None]:
    """Silence only KNOWN_DEPRECATIONS (pytest runs with filterwarnings=error).

    Put it OUTSIDE pytest.warns: pytest >= 8 re-emits the warnings that
    pytest.warns did not match when it exits, and this filter then drops them.
    """
    with warnings.catch_warnings():
        for category, message in KNOWN_DEPRECATIONS:
            warnings.filterwarnings('ignore', message=f'.*{message}', category=category)
        yield


@contextlib.contextmanager
def recorded_warnings(allowed: tuple[tuple[type[Warning], str], ...] = ()) -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning; on exit, fail on one that is neither known nor ``allowed``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        yield caught
    permitted = KNOWN_DEPRECATIONS + tuple(allowed)
    unexpected = [
        f'{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})' for w in caught
        if not any(issubclass(w.category, category) and re.search(rx, str(w.message)) for category, rx in permitted)
    ]
    assert not unexpected, 'unexpected warnings:\n' + '\n'.join(unexpected)


def read_config(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding='utf-8'))
    return data


def card_metadata(readme: Path) -> dict[str, Any]:
    """The YAML block at the top of the README.md model card PEFT writes."""
    import yaml

    text = readme.read_text(encoding='utf-8')
    assert text.startswith('---\n'), text[:200]
    data: dict[str, Any] = yaml.safe_load(text[4:text.index('\n---', 3)])
    return data


def set_base(path: Path, value: str | None = HUB_ID) -> dict[str, Any]:
    """Set base_model_name_or_path in a file PEFT wrote, keeping PEFT's exact formatting.

    Asserts first that the file is in PEFT's format (indent 2, sorted keys, no
    final newline), so the edit changes nothing but that one value.
    """
    text = path.read_text(encoding='utf-8')
    data = json.loads(text)
    assert text == peft_dumps(data), f'{path} is not in the format PEFT writes'
    data['base_model_name_or_path'] = value
    path.write_text(peft_dumps(data), encoding='utf-8')
    return data


def perturb_lora(model: Any, seed: int, scale: float = 0.5) -> None:
    """Make the LoRA deltas non-zero (lora_B starts at zero), reproducibly."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    changed = 0
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if 'lora_B' in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * scale)
                changed += 1
    assert changed, 'no lora_B parameter to perturb'


def publish_to_hub_cache(cache: Path, repo_id: str, folder: Path, revision: str = 'a' * 40) -> None:
    """Lay out ``folder`` as huggingface_hub's cache of ``repo_id`` at ``main``.

    With HF_HUB_OFFLINE, hf_hub_download(repo_id, ...) then resolves from this
    cache: how a user who downloaded an adapter earlier loads it by Hub id.
    """
    namespace, name = repo_id.split('/')
    root = cache / f'models--{namespace}--{name}'
    snapshot = root / 'snapshots' / revision
    snapshot.mkdir(parents=True)
    for file in folder.iterdir():
        if file.is_file():
            (snapshot / file.name).write_bytes(file.read_bytes())
    (root / 'refs').mkdir()
    (root / 'refs' / 'main').write_text(revision)


# ---------------------------------------------------------------- pre-commit

def pre_commit_version() -> tuple[int, ...]:
    out = subprocess.run(
        (sys.executable, '-m', 'pre_commit', '--version'), check=True, capture_output=True, text=True,
    ).stdout
    match = re.search(r'(\d+)\.(\d+)\.(\d+)', out)
    assert match, out
    return tuple(int(part) for part in match.groups())


def pre_commit_config() -> str:
    """A `repo: local` hook that runs this checkout's adapter_guard with this Python."""
    # pre-commit 4.4 renamed `language: system` to `unsupported`.
    language = 'unsupported' if pre_commit_version() >= (4, 4) else 'system'
    entry = f'{shlex.quote(sys.executable)} -m adapter_guard'
    return (
        'repos:\n'
        '-   repo: local\n'
        '    hooks:\n'
        '    -   id: adapter-guard\n'
        '        name: adapter-guard\n'
        f'        entry: {json.dumps(entry)}\n'
        f'        language: {language}\n'
        "        files: '(^|/)adapter_config\\.json$'\n"
        '        types: [json]\n'
    )


def install_pre_commit(repo: Path) -> None:
    (repo / '.pre-commit-config.yaml').write_text(pre_commit_config())
    subprocess.run((sys.executable, '-m', 'pre_commit', 'install'), cwd=repo, check=True, capture_output=True,
                   text=True)


def git_commit_with_hooks(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    """A real `git commit` that runs the installed hooks; stderr merged into stdout."""
    return subprocess.run(
        ('git', 'commit', '-m', message), cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
