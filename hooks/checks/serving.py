"""AG601: what the team's inference server would reject, at commit time.

``serve-with = "vllm"`` adds the checks vLLM's PEFTHelper makes when it loads
a LoRA adapter: r, lora_alpha and target_modules present, no DoRA, no
modules_to_save, bias "none", and r (and every rank_pattern value) within
the server's --max-lora-rank (policy ``max-lora-rank``, vLLM's default 16).
"""
from __future__ import annotations

from collections.abc import Iterator

from adapter_guard.checks import Context
from adapter_guard.findings import Finding
from adapter_guard.findings import Pointer
from adapter_guard.jsonload import Document

VLLM_DEFAULT_MAX_RANK = 16


def check(document: Document, context: Context) -> Iterator[Finding]:
    if context.rules.serve_with != 'vllm':
        return
    data, path = document.data, document.path
    if data.get('peft_type') != 'LORA':
        yield Finding(path, 'AG601', f"vLLM serves LoRA adapters only, not {data.get('peft_type')!r}", ('peft_type',))
        return
    missing = [key for key in ('r', 'lora_alpha', 'target_modules') if data.get(key) is None]
    if missing:
        yield Finding(path, 'AG601', f'vLLM requires {", ".join(missing)} (Missing required configuration fields)',
                      (missing[0],) if missing[0] in data else ())
    if data.get('use_dora') is True:
        yield Finding(path, 'AG601', 'vLLM does not support DoRA (use_dora = true)', ('use_dora',))
    if data.get('modules_to_save'):
        yield Finding(path, 'AG601', 'vLLM rejects modules_to_save (it only supports None)', ('modules_to_save',))
    if data.get('bias', 'none') not in ('none', None):
        yield Finding(path, 'AG601', f"vLLM rejects bias {data.get('bias')!r} unless the server enables LoRA bias",
                      ('bias',))
    limit = context.rules.max_lora_rank or VLLM_DEFAULT_MAX_RANK
    ranks: list[tuple[Pointer, object]] = [(('r',), data.get('r'))]
    pattern = data.get('rank_pattern')
    if isinstance(pattern, dict):
        ranks += [(('rank_pattern', key), value) for key, value in pattern.items()]
    for pointer, rank in ranks:
        if isinstance(rank, int) and not isinstance(rank, bool) and rank > limit:
            yield Finding(path, 'AG601', f"rank {rank} is above the server's max-lora-rank {limit}", pointer)
