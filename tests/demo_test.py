"""`adapter-guard demo`, the README's first command: every step behaves as it says."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_the_demo_runs_as_described(tmp_path: Path) -> None:
    result = subprocess.run((sys.executable, '-m', 'adapter_guard', 'demo'), cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith('The demo ran as described.')
    story = result.stdout
    assert 'AG302' in story or 'AG301' in story  # the rewrite is caught at commit time
    assert story.count('-> rejected (exit 1)') == 2  # the path PEFT wrote, and the change without a trailer
    assert '(acknowledged by trailer)' in story  # the audit reads the trailer the commit carried
    throwaway = re.search(r'A throwaway repository in (\S+),', story)
    assert throwaway
    assert not os.path.exists(throwaway.group(1))  # removed without --keep
