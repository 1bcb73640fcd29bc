"""Wire the stages for one config: load, check, locate, apply the policy's severities."""
from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator

from adapter_guard import jsonload
from adapter_guard.checks import base_model
from adapter_guard.checks import Context
from adapter_guard.checks import fit
from adapter_guard.checks import locked
from adapter_guard.checks import model_card
from adapter_guard.checks import peft_version
from adapter_guard.checks import schema
from adapter_guard.checks import security
from adapter_guard.checks import serving
from adapter_guard.checks import tool
from adapter_guard.checks import weights
from adapter_guard.findings import Finding
from adapter_guard.jsonload import Document
from adapter_guard.policy import Rules
from adapter_guard.rules import matches

Check = Callable[[Document, Context], Iterator[Finding]]
CHECKS: tuple[Check, ...] = (
    schema.check, base_model.check, locked.check, peft_version.check, security.check,
    model_card.check, weights.check, serving.check, fit.check,
)
# A file another tool wrote (mlx-lm, JAX tunix, ...): said once, and its base model checked.
OTHER_TOOL_CHECKS: tuple[Check, ...] = (tool.check, base_model.check, locked.check)


class Selection:
    """--select / --ignore: which rule codes to report."""

    def __init__(self, select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset()) -> None:
        self.select = select
        self.ignore = ignore

    def __contains__(self, code: str) -> bool:
        if self.select and not matches(code, self.select):
            return False
        return not matches(code, self.ignore)


def check_document(document: Document, context: Context) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS if document.format.is_peft else OTHER_TOOL_CHECKS:
        findings.extend(check(document, context))
    return [locate(document, f) for f in findings]


def locate(document: Document, finding: Finding) -> Finding:
    if finding.line:
        return finding
    line, column = document.locate(finding.pointer, finding.at)
    return finding._replace(line=line, column=column)


def finish(findings: Iterable[Finding], rules: Rules, selection: Selection) -> list[Finding]:
    """Apply severities (dropping 'off') and the selection."""
    out = []
    for finding in findings:
        if finding.code not in selection:
            continue
        severity = rules.severity_of(finding.code)
        if severity != 'off':
            out.append(finding._replace(severity=severity))
    return out


def check_content(path: str, raw: bytes | jsonload.Loaded, context: Context) -> jsonload.Loaded:
    """Load and check one config's content: the document and every static finding."""
    loaded = raw if isinstance(raw, jsonload.Loaded) else jsonload.parse(path, raw)
    if loaded.document is not None:
        loaded.findings.extend(check_document(loaded.document, context))
    # what was found beside the config (its model card) still counts for the config
    loaded.findings[:] = [f if f.path == path else f._replace(config=path) for f in loaded.findings]
    return loaded
