"""adapter-guard: keep PEFT adapter_config.json files honest in git."""
from __future__ import annotations

__version__ = '0.1.0'
