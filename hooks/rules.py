"""Every rule code, its default severity and a one-line title.

Codes are a public contract: never reuse or renumber one.  README.md
documents each code with a failing example, and a test keeps the two in
step.
"""
from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    code: str
    severity: str  # 'error' or 'warning'
    title: str


RULES = {
    rule.code: rule for rule in (
        # loading
        Rule('AG001', 'error', 'not valid JSON'),
        Rule('AG002', 'error', 'duplicate key'),
        Rule('AG003', 'error', 'NaN or Infinity is not JSON'),
        Rule('AG004', 'error', 'unreadable file'),
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
        # history
        Rule('AG301', 'error', 'base_model_name_or_path rewritten'),
        Rule('AG302', 'error', 'revision rewritten'),
        Rule('AG303', 'error', 'history missing: shallow, grafted or not a repository'),
        # beside the config
        Rule('AG401', 'error', 'model card disagrees with the config'),
        Rule('AG402', 'error', 'weights disagree with the config'),
        Rule('AG403', 'error', 'needs a newer PEFT than the policy allows'),
        # security
        Rule('AG501', 'error', 'import path outside the allowlist'),
        Rule('AG502', 'error', 'another path-bearing field holds a local path'),
        # serving profile
        Rule('AG601', 'error', 'the inference server in the policy would reject the adapter'),
        # fit to the base model
        Rule('AG701', 'error', 'weights do not fit the base model'),
        Rule('AG702', 'error', 'a target_modules entry matches no module of the base model'),
        Rule('AG703', 'warning', 'task_type has no class for the base model'),
        Rule('AG704', 'warning', 'vocabulary differs from the base model'),
        Rule('AG705', 'error', 'base model not found on the Hub (--online)'),
        Rule('AG706', 'error', 'revision not found on the Hub (--online)'),
        Rule('AG707', 'warning', 'base model is gated or private on the Hub (--online)'),
        Rule('AG708', 'warning', 'base model has moved on the Hub (--online)'),
    )
}


def matches(code: str, selectors: frozenset[str]) -> bool:
    """True when ``code`` equals one of ``selectors`` or starts with one."""
    return any(code.startswith(selector) for selector in selectors)
