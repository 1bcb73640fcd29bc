"""The value every check produces, and the exit code they add up to."""
from __future__ import annotations

from typing import NamedTuple

# A JSON pointer as a tuple: ('corda_config', 'cache_file'), ('target_modules', 0).
Pointer = tuple[str | int, ...]


class Finding(NamedTuple):
    path: str
    code: str
    message: str
    # Where in the document: resolved to line/column by ``locate``.
    pointer: Pointer = ()
    at: str = 'value'  # 'key', 'value' or 'object' (the enclosing braces)
    line: int = 0
    column: int = 0
    severity: str = 'error'
    # History findings: the commit that made the change and the old value.
    commit: str | None = None
    previous: object = None
    fixable: bool = False
    # A finding in a file beside a config (its README.md card): that config.
    config: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


def exit_code(findings: list[Finding]) -> int:
    """1 when an error was found; warnings and notes never fail a run."""
    return 1 if any(f.severity == 'error' for f in findings) else 0


def show(pointer: Pointer) -> str:
    """'base_model_name_or_path', 'corda_config.cache_file' or 'target_modules[0]', quoted."""
    out = ''
    for part in pointer:
        out += f'[{part}]' if isinstance(part, int) else (f'.{part}' if out else part)
    return repr(out) if out else 'the top level'
