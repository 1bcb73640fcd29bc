"""Every rule code, its default severity and a one-line title.

Codes are a public contract: never reuse or renumber one.  README.md
documents each code with a failing example, and a test keeps the two in
step.
"""
from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    code: str
    severity: str  # 'error', 'warning' or 'note' (a note never fails a run)
    title: str


RULES = {
    rule.code: rule for rule in (
        # loading
        Rule('AG001', 'error', 'not valid JSON'),
        Rule('AG002', 'error', 'duplicate key'),
        Rule('AG003', 'error', 'NaN or Infinity is not JSON'),
        Rule('AG004', 'error', 'unreadable file'),
        Rule('AG005', 'error', 'adapter_config.json is a symbolic link'),
        Rule('AG006', 'note', 'written by another tool, not PEFT'),
        # schema
        Rule('AG101', 'error', 'peft_type missing or not a PEFT method'),
        Rule('AG102', 'error', 'required key missing'),
        Rule('AG103', 'error', 'wrong type or value'),
        Rule('AG104', 'error', 'key unknown to every PEFT version'),
        # base model policy
        Rule('AG201', 'error', 'base model not allowed by the policy'),
        Rule('AG202', 'error', 'base model is a local path'),
        Rule('AG203', 'error', 'base model missing, null or empty'),
        Rule('AG204', 'error', 'base model is not a valid Hub repo id'),
        Rule('AG205', 'error', 'revision is not a pinned commit'),
        Rule('AG206', 'error', 'base model denied by the policy'),
        Rule('AG207', 'error', 'base model is a bare name the Hub does not have'),
        # history
        Rule('AG301', 'error', 'base_model_name_or_path rewritten'),
        Rule('AG302', 'error', 'revision rewritten'),
        Rule('AG303', 'error', 'history missing: shallow, grafted or not a repository'),
        Rule('AG304', 'error', 'base model differs from adapter-guard.lock'),
        Rule('AG305', 'error', 'adapter config has no entry in adapter-guard.lock'),
        Rule('AG306', 'warning', 'adapter-guard.lock entry has no adapter config'),
        # beside the config
        Rule('AG401', 'error', 'model card disagrees with the config'),
        Rule('AG402', 'error', 'weights disagree with the config'),
        Rule('AG403', 'error', 'needs a newer PEFT than the policy allows'),
        # security
        Rule('AG501', 'error', 'import path outside the allowlist'),
        Rule('AG502', 'error', 'another path-bearing field holds a local path'),
        # serving profile
        Rule('AG601', 'error', 'the inference server in the policy would reject the adapter'),
    )
}


def matches(code: str, selectors: frozenset[str]) -> bool:
    """True when ``code`` equals one of ``selectors`` or starts with one."""
    return any(code.startswith(selector) for selector in selectors)


def unknown_selector(selector: str) -> str | None:
    """Why ``selector`` (a code or prefix in --select, --ignore or [severity]) selects no rule; None if it does.

    The one place both the command line and the policy validate rule codes.
    """
    if any(code.startswith(selector) for code in RULES):
        return None
    return f'matches no rule code: {selector!r} is not a code or the prefix of one (codes: {", ".join(RULES)})'
