"""Whether to colour the text output, and how.

First match wins:

| --color | NO_COLOR | FORCE_COLOR | stdout | result |
| --- | --- | --- | --- | --- |
| always | any | any | any | colour (an explicit option beats the environment, as no-color.org asks) |
| never | any | any | any | plain |
| auto | set, non-empty | any | any | plain |
| auto | unset or empty | set, non-empty | any | colour |
| auto | unset or empty | unset or empty | not a terminal (pipe, file, CI log) | plain |
| auto | unset or empty | unset or empty | a terminal, under pre-commit | colour |
| auto | unset or empty | unset or empty | a terminal, TERM=dumb | plain |
| auto | unset or empty | unset or empty | a terminal | colour |

pre-commit tells a hook nothing but this: when its own colour is on
(``--color``, default from PRE_COMMIT_COLOR, ``auto`` meaning its stderr is a
terminal and TERM is not dumb) it runs the hook on a pty, otherwise on pipes
(pre_commit/xargs.py, util.cmd_output_p).  So a terminal under pre-commit
(PRE_COMMIT=1) means colour, even with TERM=dumb, and pipes mean plain.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

CHOICES = ('auto', 'always', 'never')

_RESET = '\033[0m'
_STYLES = {
    'location': '1',  # bold
    'error': '1;31',  # bold red
    'warning': '1;33',  # bold yellow
    'note': '1;36',  # bold cyan
    'good': '32',  # green
}


def enabled(setting: str, stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    if setting != 'auto':
        return setting == 'always'
    if environ.get('NO_COLOR'):
        return False
    if environ.get('FORCE_COLOR'):
        return True
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        terminal = False
    if not terminal:
        return False
    if environ.get('PRE_COMMIT') == '1':
        return True
    return environ.get('TERM') != 'dumb'


def paint(text: str, style: str, on: bool) -> str:
    """``text`` in ``style`` (a key of _STYLES) when ``on``, else as it is."""
    return f'\033[{_STYLES[style]}m{text}{_RESET}' if on else text
