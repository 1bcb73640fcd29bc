"""The fast tier: `pytest -m "not peft"` needs no torch, transformers or PEFT.

Every test that uses them carries the `peft` marker, and no test module
imports them at collection time (importing them takes seconds, and they are
absent from a contributor's `pip install -e '.[test]'`).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.util import REPO

HEAVY = frozenset(('torch', 'transformers', 'peft'))
TEST_MODULES = sorted((REPO / 'tests').glob('*_test.py'))


def _heavy_imports(node: ast.AST) -> list[str]:
    """Names of the heavy modules ``node`` imports (import, from-import or importorskip)."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Import):
            found += [a.name for a in child.names if a.name.split('.')[0] in HEAVY]
        elif isinstance(child, ast.ImportFrom) and child.module and child.module.split('.')[0] in HEAVY:
            found.append(child.module)
        elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
              and child.func.attr == 'importorskip' and child.args
              and isinstance(child.args[0], ast.Constant) and str(child.args[0].value).split('.')[0] in HEAVY):
            found.append(str(child.args[0].value))
    return found


def _marked_peft(decorators: list[ast.expr]) -> bool:
    return any('mark.peft' in ast.unparse(d) for d in decorators)


def _module_marked_peft(tree: ast.Module) -> bool:
    return any(
        isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == 'pytestmark' for t in s.targets)
        and 'mark.peft' in ast.unparse(s.value)
        for s in tree.body
    )


@pytest.mark.parametrize('module', TEST_MODULES, ids=lambda p: p.name)
def test_heavy_imports_only_inside_peft_tests(module: Path) -> None:
    tree = ast.parse(module.read_text())
    at_import = [name for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.ClassDef))
                 for name in _heavy_imports(s)]
    assert not at_import, f'{module.name} imports {at_import} at collection time: import inside the test'
    if _module_marked_peft(tree):
        return
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _heavy_imports(node):
            assert _marked_peft(node.decorator_list), f'{module.name}::{node.name} needs @pytest.mark.peft'


def test_the_check_sees_what_it_looks_for() -> None:
    source = 'import os\ndef test_a():\n    import peft.mapping\n    pytest.importorskip("torch")\n'
    assert _heavy_imports(ast.parse(source)) == ['peft.mapping', 'torch']
    assert _heavy_imports(ast.parse('from transformers import AutoModel\n')) == ['transformers']
    assert _heavy_imports(ast.parse('import torchvision\nimport peftish\n')) == []
