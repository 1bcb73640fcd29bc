"""Generate JSON Schemas for PEFT ``adapter_config.json`` files from PEFT's own sources.

For every released ``peft`` version (0.1.0 up to the newest on PyPI) the wheel is
downloaded once into a cache directory and its sources are read straight out of
the archive with :mod:`zipfile` (or :mod:`tarfile` for an sdist).  Nothing is
imported from peft and torch is never needed: the sources are parsed with
:mod:`ast`.

Per version the generator finds

* the ``PeftType`` and ``TaskType`` enum values
  (``peft/utils/config.py`` up to 0.4, ``peft/utils/peft_types.py`` from 0.5),
* the ``peft_type -> config class`` mapping (``PEFT_TYPE_TO_CONFIG_MAPPING`` in
  ``peft/mapping.py`` in older releases, ``register_peft_method(name=...,
  config_cls=...)`` calls in ``peft/tuners/*/__init__.py`` in newer ones),
* every dataclass field of each config class, including inherited ones.

The per-version results are merged into one schema per ``peft_type`` that
accepts what *any* PEFT release could write, annotated with ``x-peft-since`` /
``x-peft-removed``.  See ``schemas/README.md`` for the rules.

Usage::

    python scripts/generate_schemas.py                      # all releases
    python scripts/generate_schemas.py --versions 0.4.0,0.21.2
    python scripts/generate_schemas.py --out /tmp/schemas --cache-dir /tmp/wheels

Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import json
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import Any

GENERATOR = 'scripts/generate_schemas.py'
SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema'
ID_BASE = 'https://github.com/adapter-guard/adapter-guard/schemas/'
MIN_VERSION = (0, 1, 0)  # peft 0.0.x never wrote adapter_config.json
DEFAULT_CACHE_DIR = Path('~/.cache/adapter-guard/peft-wheels').expanduser()
DEFAULT_OUT = Path(__file__).resolve().parent.parent / 'schemas'

# Our policy (not PEFT's): keys every adapter_config.json must carry.
REQUIRED_ALWAYS = ['base_model_name_or_path', 'peft_type']
# vLLM refuses LoRA adapters without these, and PEFT silently falls back to
# defaults that change the adapter's behaviour when they are missing.
REQUIRED_LORA_FAMILY = ['lora_alpha', 'r', 'target_modules']

# ---------------------------------------------------------------------------
# Override tables.  Every deviation from the plain annotation translation is
# listed here with its reason (and repeated in schemas/README.md).
# ---------------------------------------------------------------------------

#: int fields that real PEFT output writes as floats.  PEFT never checks value
#: types, so whatever the caller passed is serialised as-is.  Found by
#: validating the real corpus (shared/corpus/public), not by guessing.
FLOAT_WRITTEN_INT_FIELDS = {
    'lora_alpha': (
        'LLaMA-Factory (and others) pass lora_alpha as a float, so PEFT writes e.g. '
        '`"lora_alpha": 32.0`; PEFT only uses it in `lora_alpha / r`.'
    ),
}

#: Rank fields: must be a positive integer (PEFT raises "`r` should be a positive
#: integer value" when creating layers).  If some release's own default for the
#: field is 0 (OFT: exactly one of r / oft_block_size is non-zero), 0 is allowed
#: too, because PEFT itself writes that value.
RANK_FIELDS = {
    'r': "PEFT rejects r <= 0 when it builds the adapter layers; a zero default (OFT) marks 'unset'.",
}

#: init_lora_weights (LoRA family only): string values PEFT's code accepts but
#: that are not (or not in every release) in the Literal annotation.
INIT_LORA_WEIGHTS_EXTRA_VALUES = {
    'lora_ga': "LoRA-GA is activated by init_lora_weights='lora_ga' (peft>=0.19) but the Literal omits it.",
}
#: The Literal placeholder "pissa_niter_[number of iters]" stands for a family
#: of values; PEFT parses the suffix as an int.  It is replaced by this pattern.
INIT_LORA_WEIGHTS_PLACEHOLDER = 'pissa_niter_[number of iters]'
INIT_LORA_WEIGHTS_PATTERN = '^pissa_niter_[0-9]+$'

#: Fields PEFT has as dataclass fields but never writes to adapter_config.json.
NEVER_WRITTEN_FIELDS = {
    ('LoraConfig', 'runtime_config'): (
        'LoraConfig.to_dict() pops runtime_config; a file carrying it loads with a warning '
        'and the key is dropped.'
    ),
}

# ---------------------------------------------------------------------------
# Versions and downloads
# ---------------------------------------------------------------------------


def parse_version(v: str) -> tuple[int, ...]:
    """'0.13.2' -> (0, 13, 2).  Only plain release versions are expected."""
    return tuple(int(p) for p in v.split('.'))


def sort_versions(versions: Iterable[str]) -> list[str]:
    return sorted(set(versions), key=parse_version)


def parse_pip_index_output(text: str) -> list[str]:
    """Extract the version list from ``pip index versions peft`` output."""
    for line in text.splitlines():
        if line.strip().startswith('Available versions:'):
            vals = line.split(':', 1)[1]
            out = [v.strip() for v in vals.split(',') if v.strip()]
            return [v for v in out if re.fullmatch(r'[0-9]+(\.[0-9]+)*', v)]
    raise ValueError("no 'Available versions:' line in pip output")


def list_pypi_versions() -> list[str]:
    """All peft releases on the index that can have written adapter_config.json."""
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'index', 'versions', 'peft'],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f'`pip index versions peft` failed:\n{proc.stderr}')
    versions = parse_pip_index_output(proc.stdout)
    return sort_versions(v for v in versions if parse_version(v) >= MIN_VERSION)


def find_cached_archive(version: str, cache_dir: Path) -> Path | None:
    if not cache_dir.is_dir():
        return None
    for pattern in (f'peft-{version}-*.whl', f'peft-{version}.tar.gz', f'peft-{version}.zip'):
        hits = sorted(cache_dir.glob(pattern))
        if hits:
            return hits[0]
    return None


def download(version: str, cache_dir: Path) -> Path:
    """Return the cached wheel (or sdist) of peft==version, downloading it if needed."""
    hit = find_cached_archive(version, cache_dir)
    if hit:
        return hit
    cache_dir.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, '-m', 'pip', 'download', f'peft=={version}', '--no-deps', '-q', '-d', str(cache_dir)]
    attempts = [base + ['--only-binary=:all:'], base + ['--no-binary=:all:', '--no-build-isolation']]
    errors = []
    for cmd in attempts:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        hit = find_cached_archive(version, cache_dir)
        if hit:
            return hit
        errors.append(proc.stderr.strip())
    raise RuntimeError(f'could not download peft=={version}:\n' + '\n'.join(errors))


def read_sources(archive: Path) -> dict[str, str]:
    """Map 'peft/...py' -> source text, read straight from a wheel or sdist."""
    out: dict[str, str] = {}
    name = archive.name
    if name.endswith('.whl') or name.endswith('.zip'):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = _normalise_member(info.filename, is_sdist=name.endswith('.zip'))
                if path:
                    out[path] = zf.read(info).decode('utf-8')
    elif name.endswith('.tar.gz'):
        with tarfile.open(archive, 'r:gz') as tf:
            for member in tf.getmembers():
                if not member.isfile():
                    continue
                path = _normalise_member(member.name, is_sdist=True)
                if path:
                    fh = tf.extractfile(member)
                    if fh is not None:
                        out[path] = fh.read().decode('utf-8')
    else:
        raise ValueError(f'unknown archive type: {archive}')
    return out


def _normalise_member(member: str, is_sdist: bool) -> str | None:
    parts = member.split('/')
    if is_sdist:
        parts = parts[1:]  # peft-X.Y.Z/
        if parts and parts[0] == 'src':
            parts = parts[1:]
    if len(parts) < 2 or parts[0] != 'peft' or not parts[-1].endswith('.py'):
        return None
    return '/'.join(parts)


# ---------------------------------------------------------------------------
# Annotation -> JSON Schema (pure)
# ---------------------------------------------------------------------------

TYPE_ORDER = ['boolean', 'integer', 'number', 'string', 'array', 'object', 'null']
#: keywords that only constrain one JSON type (grouping integer+number as numeric)
TYPE_KEYWORDS = {
    'array': ('items', 'prefixItems', 'minItems', 'maxItems'),
    'numeric': ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'),
    'string': ('pattern', 'minLength', 'maxLength'),
    'object': ('properties', 'additionalProperties'),
}
PLAIN_NAMES = {
    'int': {'type': 'integer'},
    'float': {'type': 'number'},
    'bool': {'type': 'boolean'},
    'str': {'type': 'string'},
    'None': {'type': 'null'},
    'NoneType': {'type': 'null'},
    'dict': {'type': 'object'},
    'Dict': {'type': 'object'},
    'Mapping': {'type': 'object'},
    'MutableMapping': {'type': 'object'},
    'OrderedDict': {'type': 'object'},
    'DefaultDict': {'type': 'object'},
    'defaultdict': {'type': 'object'},
    'list': {'type': 'array'},
    'List': {'type': 'array'},
    'tuple': {'type': 'array'},
    'Tuple': {'type': 'array'},
    'set': {'type': 'array'},
    'Set': {'type': 'array'},
    'frozenset': {'type': 'array'},
    'FrozenSet': {'type': 'array'},
    'Sequence': {'type': 'array'},
    'MutableSequence': {'type': 'array'},
    'Iterable': {'type': 'array'},
}
SEQUENCE_NAMES = {'list', 'List', 'set', 'Set', 'frozenset', 'FrozenSet', 'Sequence', 'MutableSequence', 'Iterable'}
TUPLE_NAMES = {'tuple', 'Tuple'}
MAPPING_NAMES = {'dict', 'Dict', 'Mapping', 'MutableMapping', 'OrderedDict', 'DefaultDict', 'defaultdict'}
TYPING_MODULES = {'typing', 't', 'typing_extensions', 'collections', 'abc'}
SKIP_FIELD_WRAPPERS = {'ClassVar', 'InitVar'}

Resolver = Callable[[ast.expr], dict | None]


def json_type_of(value: Any) -> str:
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, (list, tuple)):
        return 'array'
    if isinstance(value, dict):
        return 'object'
    raise TypeError(f'not a JSON value: {value!r}')


def _simple_name(node: ast.expr) -> str | None:
    """Name of a typing construct: 'Optional' for Optional / typing.Optional."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in TYPING_MODULES:
        return node.attr
    return None


def _subscript_args(node: ast.Subscript) -> list[ast.expr]:
    sl = node.slice
    if isinstance(sl, ast.Tuple):
        return list(sl.elts)
    return [sl]


def _literal_value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (str, int, float, bool))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        if isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            return -node.operand.value
    raise ValueError('not a literal')


def is_skipped_annotation(node: ast.expr) -> bool:
    """ClassVar[...] / InitVar[...] annotations do not make dataclass fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode='eval').body
        except SyntaxError:
            return False
    target = node.value if isinstance(node, ast.Subscript) else node
    return _simple_name(target) in SKIP_FIELD_WRAPPERS


def annotation_to_schema(node: ast.expr | str, resolve: Resolver | None = None) -> dict:
    """Translate a type annotation (ast node or source text) to a JSON Schema dict.

    ``resolve`` is called for names that are not builtin/typing names (config
    classes, enums, type aliases); it returns a schema or None (unknown -> {}).
    """
    if isinstance(node, str):
        node = ast.parse(node, mode='eval').body
    if isinstance(node, ast.Constant):
        if node.value is None:
            return {'type': 'null'}
        if isinstance(node.value, str):  # forward reference
            try:
                inner = ast.parse(node.value, mode='eval').body
            except SyntaxError:
                return {}
            return annotation_to_schema(inner, resolve)
        return {}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union_schemas([annotation_to_schema(node.left, resolve), annotation_to_schema(node.right, resolve)])
    if isinstance(node, ast.Subscript):
        name = _simple_name(node.value)
        args = _subscript_args(node)
        if name == 'Optional':
            return union_schemas([annotation_to_schema(args[0], resolve), {'type': 'null'}])
        if name == 'Union':
            return union_schemas([annotation_to_schema(a, resolve) for a in args])
        if name == 'Literal':
            values = []
            for a in args:
                try:
                    values.append(_literal_value(a))
                except ValueError:
                    return {}
            return union_schemas([{'enum': values}])
        if name in ('Annotated', 'Final'):
            return annotation_to_schema(args[0], resolve)
        if name in MAPPING_NAMES:
            return {'type': 'object'}
        if name in SEQUENCE_NAMES:
            items = annotation_to_schema(args[0], resolve) if args else {}
            return {'type': 'array', 'items': items} if items else {'type': 'array'}
        if name in TUPLE_NAMES:
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                items = annotation_to_schema(args[0], resolve)
                return {'type': 'array', 'items': items} if items else {'type': 'array'}
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:  # Tuple[()]
                return {'type': 'array', 'maxItems': 0}
            items = union_schemas([annotation_to_schema(a, resolve) for a in args])
            out: dict = {'type': 'array'}
            if items:
                out['items'] = items
            out['minItems'] = out['maxItems'] = len(args)
            return out
        return {}  # Callable[...], type[...], torch generics, ...
    name = _simple_name(node)
    if name is not None and name in PLAIN_NAMES:
        return dict(PLAIN_NAMES[name])
    if name in ('Any', 'object'):
        return {}
    if resolve is not None:
        got = resolve(node)
        if got is not None:
            return got
    return {}


def _types_of(schema: dict) -> list[str]:
    t = schema.get('type')
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def _group(json_type: str) -> str:
    return 'numeric' if json_type in ('integer', 'number') else json_type


def _keyword_group(keyword: str) -> str | None:
    for group, kws in TYPE_KEYWORDS.items():
        if keyword in kws:
            return group
    return None


def _merge_typed(schemas: list[dict]) -> dict | None:
    """Merge schemas that each have a 'type' (plus type-specific keywords) into one.

    Keywords are merged per type group: a member without constraints for a type
    wins (it accepts everything of that type); differing 'items' are unioned;
    other differing constraints are dropped (the merge may only loosen).
    """
    if not schemas:
        return None
    types: list[str] = []
    per_group: dict[str, list[dict]] = {}
    for s in schemas:
        st = _types_of(s)
        for t in st:
            if t not in types:
                types.append(t)
        kws_by_group: dict[str, dict] = {}
        for k, v in s.items():
            if k == 'type':
                continue
            g = _keyword_group(k)
            if g is None:
                raise ValueError(f'cannot merge schema keyword {k!r} in {s!r}')
            kws_by_group.setdefault(g, {})[k] = v
        for g in {_group(t) for t in st}:
            per_group.setdefault(g, []).append(kws_by_group.get(g, {}))
    if 'number' in types and 'integer' in types:
        types.remove('integer')
    merged: dict = {}
    for g, kw_list in per_group.items():
        if any(not kws for kws in kw_list):
            continue
        keys = set(kw_list[0])
        for kws in kw_list[1:]:
            keys &= set(kws)
        for k in sorted(keys):
            vals = [kws[k] for kws in kw_list]
            if all(v == vals[0] for v in vals):
                merged[k] = vals[0]
            elif k == 'items':
                merged[k] = union_schemas(vals)
        if g == 'array' and 'items' not in merged:
            merged.pop('prefixItems', None)
    types.sort(key=TYPE_ORDER.index)
    merged['type'] = types[0] if len(types) == 1 else types
    return merged


def _enum_accepted_by(value: Any, typed: dict | None) -> bool:
    """True if a typed schema already accepts `value` without any constraint."""
    if typed is None:
        return False
    jt = json_type_of(value)
    types = _types_of(typed)
    if jt not in types and not (jt == 'integer' and 'number' in types):
        return False
    return not any(_keyword_group(k) == _group(jt) for k in typed if k != 'type')


def union_schemas(schemas: list[dict]) -> dict:
    """The simplest schema accepting exactly what any of `schemas` accepts (or a bit more).

    Prefers a plain ``"type": [...]`` list; falls back to ``anyOf`` only when enum
    values cannot be folded into the typed part (e.g. bool | Literal["gaussian"]).
    """
    flat: list[dict] = []
    stack = list(schemas)
    while stack:
        s = stack.pop(0)
        if not s:
            return {}
        if set(s) == {'anyOf'}:
            stack = list(s['anyOf']) + stack
            continue
        flat.append(s)
    enum_values: list[Any] = []
    typed_members: list[dict] = []
    for s in flat:
        if set(s) == {'enum'}:
            vals = s['enum']
        elif set(s) == {'const'}:
            vals = [s['const']]
        elif 'type' in s and not ({'enum', 'const', 'anyOf'} & set(s)):
            typed_members.append(s)
            continue
        else:
            raise ValueError(f'cannot union schema {s!r}')
        for v in vals:
            if not any(v == e and type(v) is type(e) for e in enum_values):
                enum_values.append(v)
    if None in enum_values and typed_members:
        enum_values = [v for v in enum_values if v is not None]
        typed_members.append({'type': 'null'})
    typed = _merge_typed(typed_members)
    enum_values = [v for v in enum_values if not _enum_accepted_by(v, typed)]
    if enum_values and typed == {'type': 'null'}:
        return {'enum': enum_values + [None]}  # Optional[Literal[...]]
    if typed is None:
        return {'enum': enum_values}
    if not enum_values:
        return typed
    return {'anyOf': [typed, {'enum': enum_values}]}


# ---------------------------------------------------------------------------
# Reading one PEFT version (pure functions over {path: source})
# ---------------------------------------------------------------------------


def module_name(path: str) -> str:
    """'peft/tuners/lora/config.py' -> 'peft.tuners.lora.config'; __init__ -> package."""
    parts = path[:-3].split('/')
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def _top_level_statements(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Top-level statements, descending into if/try/with blocks (not defs)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _top_level_statements(stmt.body)
            yield from _top_level_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top_level_statements(stmt.body)
            for h in stmt.handlers:
                yield from _top_level_statements(h.body)
            yield from _top_level_statements(stmt.orelse)
            yield from _top_level_statements(stmt.finalbody)
        elif isinstance(stmt, ast.With):
            yield from _top_level_statements(stmt.body)


@dataclasses.dataclass
class ModuleInfo:
    name: str
    path: str
    tree: ast.Module
    classes: dict = dataclasses.field(default_factory=dict)  # name -> ClassDef
    aliases: dict = dataclasses.field(default_factory=dict)  # name -> expr
    imports: dict = dataclasses.field(default_factory=dict)  # local name -> (module, name)
    star_imports: list = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        is_pkg = self.path.endswith('__init__.py')
        for stmt in _top_level_statements(self.tree.body):
            if isinstance(stmt, ast.ClassDef):
                self.classes.setdefault(stmt.name, stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.aliases.setdefault(stmt.targets[0].id, stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.aliases.setdefault(stmt.target.id, stmt.value)
            elif isinstance(stmt, ast.ImportFrom):
                base = resolve_relative(self.name, is_pkg, stmt.module, stmt.level)
                for alias in stmt.names:
                    if alias.name == '*':
                        self.star_imports.append(base)
                    else:
                        self.imports.setdefault(alias.asname or alias.name, (base, alias.name))


def resolve_relative(current: str, is_pkg: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ''
    parts = current.split('.')
    if not is_pkg:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if module:
        parts = parts + module.split('.')
    return '.'.join(parts)


@dataclasses.dataclass(frozen=True)
class ClassRef:
    module: str
    name: str


class VersionSources:
    """Name resolution over the parsed modules of one peft version."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources
        self.paths = {module_name(p): p for p in sorted(sources)}
        self._modules: dict[str, ModuleInfo | None] = {}
        # Cheap textual index of class names, so only the modules that matter get parsed.
        self._by_name: dict[str, list[ClassRef]] = {}
        for mod, path in self.paths.items():
            for cname in re.findall(r'^[ \t]*class\s+([A-Za-z_][A-Za-z0-9_]*)', sources[path], re.M):
                refs = self._by_name.setdefault(cname, [])
                if ClassRef(mod, cname) not in refs:
                    refs.append(ClassRef(mod, cname))

    def module(self, name: str) -> ModuleInfo | None:
        """The parsed module `name` (e.g. 'peft.tuners.lora.config'), or None."""
        if name not in self._modules:
            path = self.paths.get(name)
            info = None
            if path is not None:
                try:
                    info = ModuleInfo(name, path, ast.parse(self.sources[path], filename=path))
                except SyntaxError:
                    info = None
            self._modules[name] = info
        return self._modules[name]

    def modules_containing(self, text: str) -> list[ModuleInfo]:
        out = []
        for name, path in self.paths.items():
            if text in self.sources[path]:
                mod = self.module(name)
                if mod is not None:
                    out.append(mod)
        return out

    def classdef(self, ref: ClassRef) -> ast.ClassDef:
        module = self.module(ref.module)
        assert module is not None, ref  # a ClassRef names a class found in a parsed module
        return module.classes[ref.name]

    def lookup(self, module: str, name: str, _seen: set | None = None) -> tuple[str, str, Any] | None:
        """Follow imports: returns ('class', module, name) / ('alias', module, expr) / None."""
        seen = _seen if _seen is not None else set()
        if (module, name) in seen:
            return None
        seen.add((module, name))
        mod = self.module(module)
        if mod is None:
            return None
        if name in mod.classes:
            return ('class', module, name)
        if name in mod.aliases:
            return ('alias', module, mod.aliases[name])
        if name in mod.imports:
            target_mod, target_name = mod.imports[name]
            got = self.lookup(target_mod, target_name, seen)
            if got is not None:
                return got
        for star in mod.star_imports:
            got = self.lookup(star, name, seen)
            if got is not None:
                return got
        return None

    def resolve_class(self, module: str, node_or_name: ast.expr | str) -> ClassRef | None:
        if isinstance(node_or_name, str):
            name = node_or_name
        elif isinstance(node_or_name, ast.Name):
            name = node_or_name.id
        elif isinstance(node_or_name, ast.Attribute):
            name = node_or_name.attr
        else:
            return None
        got = self.lookup(module, name)
        if got is not None and got[0] == 'class':
            return ClassRef(got[1], got[2])
        if got is not None and got[0] == 'alias' and isinstance(got[2], (ast.Name, ast.Attribute)):
            return self.resolve_class(got[1], got[2])
        candidates = [c for c in self._by_name.get(name, []) if name in getattr(self.module(c.module), 'classes', {})]
        if len(candidates) == 1:
            return candidates[0]
        return None

    def bases(self, ref: ClassRef) -> list[ClassRef]:
        out = []
        for b in self.classdef(ref).bases:
            r = self.resolve_class(ref.module, b)
            if r is not None and r != ref:
                out.append(r)
        return out

    def ancestors(self, ref: ClassRef) -> list[ClassRef]:
        """The class and all resolvable ancestors, depth-first, without repeats."""
        out: list[ClassRef] = []
        stack = [ref]
        while stack:
            r = stack.pop(0)
            if r in out:
                continue
            out.append(r)
            stack.extend(self.bases(r))
        return out

    def is_dataclass(self, ref: ClassRef) -> bool:
        for dec in self.classdef(ref).decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if (isinstance(target, ast.Name) and target.id == 'dataclass') or (
                isinstance(target, ast.Attribute) and target.attr == 'dataclass'
            ):
                return True
        return False

    def is_enum(self, ref: ClassRef) -> bool:
        for b in self.classdef(ref).bases:
            name = b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else None
            if name in ('Enum', 'IntEnum', 'StrEnum'):
                return True
        return any(self.is_enum(b) for b in self.bases(ref))

    def enum_values(self, ref: ClassRef) -> list | None:
        values = []
        for stmt in self.classdef(ref).body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                if stmt.targets[0].id.startswith('_'):
                    continue
                try:
                    values.append(_literal_value(stmt.value))
                except ValueError:
                    return None
        return values

    def schema_resolver(self, module: str, _depth: int = 0) -> Resolver:
        """Resolver for annotation_to_schema in the context of `module`."""

        def resolve(node: ast.expr) -> dict | None:
            if _depth > 10:
                return None
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name is None:
                return None
            got = self.lookup(module, name)
            if got is None:
                ref = self.resolve_class(module, name)
                if ref is None:
                    return None
                got = ('class', ref.module, ref.name)
            if got[0] == 'alias':
                return annotation_to_schema(got[2], self.schema_resolver(got[1], _depth + 1))
            ref = ClassRef(got[1], got[2])
            if self.is_enum(ref):
                vals = self.enum_values(ref)
                return union_schemas([{'enum': vals}]) if vals else None
            if self.is_dataclass(ref):
                return {'type': 'object'}
            return None

        return resolve

    # -- fields ------------------------------------------------------------
    def own_fields(self, ref: ClassRef) -> dict[str, FieldInfo]:
        if not self.is_dataclass(ref):
            return {}
        out = {}
        for stmt in self.classdef(ref).body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            if is_skipped_annotation(stmt.annotation):
                continue
            name = stmt.target.id
            schema = annotation_to_schema(stmt.annotation, self.schema_resolver(ref.module))
            has_default, default, help_text = field_default_and_help(stmt.value)
            out[name] = FieldInfo(
                name=name,
                annotation=ast.unparse(stmt.annotation),
                schema=schema,
                has_default=has_default,
                default=default,
                help=help_text,
                owner=ref.name,
            )
        return out

    def fields(self, ref: ClassRef) -> dict[str, FieldInfo]:
        """All dataclass fields of `ref` including inherited ones (subclass wins)."""
        out: dict[str, FieldInfo] = {}
        for base in reversed(self.bases(ref)):
            out.update(self.fields(base))
        out.update(self.own_fields(ref))
        return out


@dataclasses.dataclass
class FieldInfo:
    name: str
    annotation: str
    schema: dict
    has_default: bool  # has a plain-JSON-literal default
    default: Any
    help: str | None
    owner: str


def eval_str(node: ast.expr | None) -> str | None:
    """Evaluate a help-text expression: str constants, '+' and implicit concatenation."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = eval_str(node.left), eval_str(node.right)
        if left is not None and right is not None:
            return left + right
        return None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                parts.append('{' + ast.unparse(v.value) + '}')
        return ''.join(parts)
    return None


def field_default_and_help(value: ast.expr | None) -> tuple[bool, Any, str | None]:
    """(has plain literal default, default, help text) of a dataclass field assignment."""
    if value is None:
        return False, None, None
    if (
        isinstance(value, ast.Call)
        and ((isinstance(value.func, ast.Name) and value.func.id == 'field') or
             (isinstance(value.func, ast.Attribute) and value.func.attr == 'field'))
    ):
        kw = {k.arg: k.value for k in value.keywords if k.arg}
        help_text = None
        meta = kw.get('metadata')
        if isinstance(meta, ast.Dict):
            for k, v in zip(meta.keys, meta.values):
                if isinstance(k, ast.Constant) and k.value == 'help':
                    help_text = eval_str(v)
        if 'default' in kw:
            try:
                return True, _literal_value(kw['default']), help_text
            except ValueError:
                return False, None, help_text
        return False, None, help_text
    try:
        return True, _literal_value(value), None
    except ValueError:
        return False, None, None


def find_enum(vs: VersionSources, enum_name: str) -> list[str]:
    """Values of PeftType/TaskType in this version (None if not found)."""
    preferred = ['peft.utils.peft_types', 'peft.utils.config', 'peft.config']
    refs = [ClassRef(m, enum_name) for m in preferred] + vs._by_name.get(enum_name, [])
    for ref in refs:
        mod = vs.module(ref.module)
        if mod is not None and enum_name in mod.classes:
            return [v for v in vs.enum_values(ref) or [] if isinstance(v, str)]
    raise ValueError(f'{enum_name} not found')


def _peft_type_key(node: ast.expr, peft_types: list[str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == 'PeftType':
        return node.attr
    return None


def find_config_mapping(vs: VersionSources, peft_types: list[str]) -> dict[str, ClassRef]:
    """peft_type -> config class, from PEFT_TYPE_TO_CONFIG_MAPPING literals and register_peft_method calls."""
    out: dict[str, ClassRef] = {}
    mods = {m.name: m for key in ('PEFT_TYPE_TO_CONFIG_MAPPING', 'register_peft_method')
            for m in vs.modules_containing(key)}
    for mod in mods.values():
        for node in ast.walk(mod.tree):
            value = None
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'PEFT_TYPE_TO_CONFIG_MAPPING' for t in node.targets
            ):
                value = node.value
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == 'PEFT_TYPE_TO_CONFIG_MAPPING'
            ):
                value = node.value
            if isinstance(value, ast.Dict):
                for k, v in zip(value.keys, value.values):
                    key = _peft_type_key(k, peft_types) if k is not None else None
                    ref = vs.resolve_class(mod.name, v)
                    if key and ref:
                        out[key] = ref
            if isinstance(node, ast.Call):
                fname = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, 'attr', None)
                if fname != 'register_peft_method':
                    continue
                kw = {k.arg: k.value for k in node.keywords if k.arg}
                name, cls = kw.get('name'), kw.get('config_cls')
                if isinstance(name, ast.Constant) and isinstance(name.value, str) and cls is not None:
                    ref = vs.resolve_class(mod.name, cls)
                    if ref:
                        out[name.value.upper()] = ref
    return out


def class_family(vs: VersionSources, ref: ClassRef) -> str:
    names = {r.name for r in vs.ancestors(ref)}
    if 'LoraConfig' in names:
        return 'lora'
    if 'PromptLearningConfig' in names:
        return 'prompt-learning'
    return 'other'


@dataclasses.dataclass
class MethodVersion:
    peft_type: str
    class_name: str
    module: str
    family: str
    in_enum: bool
    fields: dict[str, FieldInfo]


@dataclasses.dataclass
class VersionInfo:
    version: str
    peft_types: list[str]
    task_types: list[str]
    methods: dict[str, MethodVersion]


def analyze_version(version: str, sources: dict[str, str]) -> VersionInfo:
    vs = VersionSources(sources)
    peft_types = find_enum(vs, 'PeftType')
    task_types = find_enum(vs, 'TaskType')
    mapping = find_config_mapping(vs, peft_types)
    methods = {}
    for peft_type, ref in sorted(mapping.items()):
        methods[peft_type] = MethodVersion(
            peft_type=peft_type,
            class_name=ref.name,
            module=ref.module,
            family=class_family(vs, ref),
            in_enum=peft_type in peft_types,
            fields=vs.fields(ref),
        )
    return VersionInfo(version, peft_types, task_types, methods)


# ---------------------------------------------------------------------------
# Merging across versions
# ---------------------------------------------------------------------------


def presence(versions: list[str], present: Iterable[str]) -> tuple[str | None, str | None, list[str]]:
    """(since, removed, gaps) of something present in `present` among ordered `versions`.

    removed is the first version after the last presence (None if still present);
    gaps lists versions between since and the last presence where it is missing.
    """
    present = set(present)
    idx = [i for i, v in enumerate(versions) if v in present]
    if not idx:
        return None, None, []
    first, last = idx[0], idx[-1]
    removed = versions[last + 1] if last + 1 < len(versions) else None
    gaps = [versions[i] for i in range(first, last + 1) if versions[i] not in present]
    return versions[first], removed, gaps


@dataclasses.dataclass
class MergedField:
    name: str
    schema: dict
    since: str
    removed: str | None
    gaps: list[str]
    description: str | None
    has_default: bool
    default: Any
    annotations: dict[str, list[str]]  # annotation text -> versions
    defaults: list[Any]  # every plain literal default seen
    schema_changed: bool  # the translated annotation differs between releases
    owners: list[str]  # classes that declare the field (LoraConfig for AdaLoRA's r)


@dataclasses.dataclass
class MergedMethod:
    peft_type: str
    class_name: str
    class_names: list[str]
    family: str
    families: list[str]
    since: str
    removed: str | None
    gaps: list[str]
    in_enum_versions: list[str]
    versions: list[str]
    fields: dict[str, MergedField]


def _typed_part(schema: dict) -> dict | None:
    """The member of a (possibly anyOf) schema that carries "type", if any."""
    if 'type' in schema:
        return schema
    for member in schema.get('anyOf', []):
        if 'type' in member:
            return member
    return None


def _string_enum_values(schema: dict) -> list[str]:
    members = schema.get('anyOf', [schema])
    return [v for m in members for v in m.get('enum', []) if isinstance(v, str)]


def refine_over_time(schemas: list[dict]) -> list[dict]:
    """Apply the refinement rules to one field's per-release schemas (oldest first).

    1. A bare container annotation (``list``, ``List``, ``Optional[list]``) says
       nothing about its elements; when another release spells the element type
       out (``list[str]``), that element type is used for the bare one too.
    2. A plain ``str`` in older releases that newer releases narrowed to a
       ``Literal`` (LoRA's bias became Literal["none", "all", "lora_only"] in
       0.8.0) takes the Literal's values: the old code accepted the same values
       and raised on any other.  Only when every plain-str release is older than
       every Literal-only release; a Literal later widened to str stays str.
    """
    out = copy.deepcopy(schemas)
    # 1. bare containers
    items = [t['items'] for t in map(_typed_part, out) if t and 'array' in _types_of(t) and 'items' in t]
    if items:
        merged_items = union_schemas(items)
        for t in map(_typed_part, out):
            if t and 'array' in _types_of(t) and 'items' not in t and 'prefixItems' not in t:
                t['items'] = copy.deepcopy(merged_items)
    # 2. str narrowed to Literal
    def plain_str(schema: dict) -> bool:
        t = _typed_part(schema)
        return t is not None and 'string' in _types_of(t) and not any(_keyword_group(k) == 'string' for k in t)

    plain = [i for i, sch in enumerate(out) if plain_str(sch)]
    literal_only = [i for i, sch in enumerate(out) if not plain_str(sch) and _string_enum_values(sch)]
    if plain and literal_only and max(plain) < min(literal_only):
        values = _unique(v for sch in out for v in _string_enum_values(sch))
        for i in plain:
            t = _typed_part(out[i])
            assert t is not None  # plain_str found it
            rest = [x for x in _types_of(t) if x != 'string']
            others = [m for m in out[i].get('anyOf', [out[i]]) if m is not t]
            typed = {k: v for k, v in t.items() if _keyword_group(k) != 'string'}
            if rest:
                typed['type'] = rest[0] if len(rest) == 1 else rest
                others.append(typed)
            out[i] = union_schemas(others + [{'enum': values}])
    return out


def merge_field(name: str, per_version: list[tuple[str, FieldInfo]], method_versions: list[str]) -> MergedField:
    schemas: list[dict] = []
    annotations: dict[str, list[str]] = {}
    defaults: list[Any] = []
    for v, f in per_version:
        s = f.schema
        if f.has_default and f.default is None:
            # `x: int = None` is common in PEFT; the default is written as null.
            s = union_schemas([s, {'type': 'null'}])
        schemas.append(s)
        annotations.setdefault(f.annotation, []).append(v)
        if f.has_default and not any(d == f.default and type(d) is type(f.default) for d in defaults):
            defaults.append(f.default)
    raw_changed = len({json.dumps(x, sort_keys=True) for x in schemas}) > 1
    schemas = refine_over_time(schemas)
    since, removed, gaps = presence(method_versions, [v for v, _ in per_version])
    assert since is not None  # the field is in at least one version
    newest = per_version[-1][1]
    description = next((f.help for _, f in reversed(per_version) if f.help), None)
    return MergedField(
        name=name,
        schema=union_schemas(schemas),
        since=since,
        removed=removed,
        gaps=gaps,
        description=description,
        has_default=newest.has_default,
        default=newest.default,
        annotations=annotations,
        defaults=defaults,
        schema_changed=raw_changed,
        owners=_unique(f.owner for _, f in per_version),
    )


def merge_versions(infos: list[VersionInfo]) -> tuple[list[str], dict[str, str], dict[str, MergedMethod]]:
    """Merge per-version results: (versions, task type -> since, peft_type -> MergedMethod)."""
    infos = sorted(infos, key=lambda i: parse_version(i.version))
    versions = [i.version for i in infos]
    task_since: dict[str, str] = {}
    for info in infos:
        for t in info.task_types:
            task_since.setdefault(t, info.version)
    all_types: list[str] = []
    for info in infos:
        for t in list(info.peft_types) + sorted(info.methods):
            if t not in all_types and any(t in i.methods for i in infos):
                all_types.append(t)
    methods: dict[str, MergedMethod] = {}
    for peft_type in all_types:
        per_version = [(i.version, i.methods[peft_type]) for i in infos if peft_type in i.methods]
        mversions = [v for v, _ in per_version]
        since, removed, gaps = presence(versions, mversions)
        assert since is not None  # the method is in at least one version
        field_names: list[str] = []
        for _, m in per_version:
            for fname in m.fields:
                if fname not in field_names:
                    field_names.append(fname)
        fields = {}
        for fname in field_names:
            fv = [(v, m.fields[fname]) for v, m in per_version if fname in m.fields]
            fields[fname] = merge_field(fname, fv, mversions)
        newest = per_version[-1][1]
        methods[peft_type] = MergedMethod(
            peft_type=peft_type,
            class_name=newest.class_name,
            class_names=_unique([m.class_name for _, m in per_version]),
            family=newest.family,
            families=_unique([m.family for _, m in per_version]),
            since=since,
            removed=removed,
            gaps=gaps,
            in_enum_versions=[v for v, m in per_version if m.in_enum],
            versions=mversions,
            fields=fields,
        )
    return versions, task_since, methods


def _unique(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


# ---------------------------------------------------------------------------
# Overrides and schema building
# ---------------------------------------------------------------------------


def apply_overrides(method: MergedMethod, field: MergedField, task_types: list[str]) -> dict:
    """The property schema of a field after the documented special rules."""
    name = field.name
    schema = copy.deepcopy(field.schema)
    if name == 'peft_type':
        return {'const': method.peft_type}
    if name == 'task_type':
        return {'enum': list(task_types) + [None]}
    if name in FLOAT_WRITTEN_INT_FIELDS and 'integer' in _types_of(schema):
        schema = union_schemas([schema, {'type': 'number'}])
    if name in RANK_FIELDS and 'integer' in _types_of(schema):
        minimum = 0 if any(d == 0 and not isinstance(d, bool) for d in field.defaults) else 1
        schema = _add_numeric_minimum(schema, minimum)
    if name == 'init_lora_weights' and method.family == 'lora':
        schema = init_lora_weights_schema(schema)
    return schema


def _add_numeric_minimum(schema: dict, minimum: int) -> dict:
    if 'anyOf' in schema:
        return {'anyOf': [_add_numeric_minimum(s, minimum) for s in schema['anyOf']]}
    if 'type' in schema:
        out = dict(schema)
        out['minimum'] = minimum
        return out
    return schema


def init_lora_weights_schema(schema: dict) -> dict:
    """bool (+null if ever nullable) | every Literal value ever seen + extras | pissa_niter_N."""
    members = schema['anyOf'] if set(schema) == {'anyOf'} else [schema]
    types: list[str] = []
    values: list[Any] = []
    for s in members:
        types += [t for t in _types_of(s) if t not in types]
        values += [v for v in s.get('enum', []) if v not in values]
    if any(t not in ('boolean', 'null') for t in types):
        raise ValueError(f'unexpected init_lora_weights schema {schema!r}')
    values = [v for v in values if v != INIT_LORA_WEIGHTS_PLACEHOLDER]
    values += [v for v in INIT_LORA_WEIGHTS_EXTRA_VALUES if v not in values]
    types.sort(key=TYPE_ORDER.index)
    return {
        'anyOf': [
            {'type': types[0] if len(types) == 1 else types},
            {'enum': values},
            {'type': 'string', 'pattern': INIT_LORA_WEIGHTS_PATTERN},
        ],
    }


def property_schema(method: MergedMethod, field: MergedField, task_types: list[str]) -> dict:
    prop = apply_overrides(method, field, task_types)
    if field.description:
        prop['description'] = field.description
    if field.has_default and field.name not in ('peft_type',):
        prop['default'] = field.default
    prop['x-peft-since'] = field.since
    if field.removed:
        prop['x-peft-removed'] = field.removed
    if field.gaps:
        prop['x-peft-absent-in'] = field.gaps
    if any((owner, field.name) in NEVER_WRITTEN_FIELDS for owner in field.owners):
        # LoraConfig.to_dict() pops it; subclasses (AdaLoraConfig) inherit that to_dict.
        prop['x-peft-never-written'] = True
    if field.schema_changed and len(field.annotations) > 1:
        prop['x-peft-annotations'] = {
            a: f'{vs[0]}' if len(vs) == 1 else f'{vs[0]} ... {vs[-1]}' for a, vs in field.annotations.items()
        }
    return prop


def schema_filename(peft_type: str) -> str:
    return f'{peft_type.lower()}.schema.json'


def required_keys(method: MergedMethod) -> list[str]:
    req = list(REQUIRED_ALWAYS)
    if method.family == 'lora':
        req += REQUIRED_LORA_FAMILY
    return sorted(k for k in req if k in method.fields)


def method_note(method: MergedMethod) -> str | None:
    if method.in_enum_versions:
        return None
    return (
        f'{method.peft_type} is only a key of PEFT_TYPE_TO_CONFIG_MAPPING (peft {method.versions[0]} ... '
        f'{method.versions[-1]}), never a PeftType member: {method.class_name} sets peft_type to its own '
        f'value in __post_init__, so PEFT never writes {method.peft_type!r}; such a file loads only in those releases.'
    )


def build_method_schema(method: MergedMethod, versions: list[str], task_types: list[str]) -> dict:
    req = required_keys(method)
    desc = (
        f"Generated by {GENERATOR} from peft {versions[0]} ... {versions[-1]} ({len(versions)} releases). "
        "Do not edit. Accepts every key any of those releases could write for this method; "
        f"'required' ({', '.join(req)}) is adapter-guard policy, not PEFT's (PEFT fills missing keys with defaults)."
    )
    schema = {
        '$schema': SCHEMA_DIALECT,
        '$id': f'{ID_BASE}peft/{schema_filename(method.peft_type)}',
        'title': f'PEFT {method.class_name} (adapter_config.json, peft_type {method.peft_type})',
        'description': desc,
        'type': 'object',
        'x-peft-type': method.peft_type,
        'x-peft-class': method.class_name,
        'x-peft-since': method.since,
        'x-peft-removed': method.removed,
        'x-peft-family': method.family,
        'required': req,
        'properties': {
            name: property_schema(method, f, task_types) for name, f in method.fields.items()
        },
        'additionalProperties': False,
    }
    if len(method.class_names) > 1:
        schema['x-peft-classes'] = method.class_names
    if method.gaps:
        schema['x-peft-absent-in'] = method.gaps
    note = method_note(method)
    if note:
        schema['x-peft-note'] = note
    return schema


def build_index(versions: list[str], task_since: dict[str, str], methods: dict[str, MergedMethod]) -> dict:
    out_methods = {}
    for peft_type, m in methods.items():
        entry = {
            'schema': schema_filename(peft_type),
            'class': m.class_name,
            'family': m.family,
            'since': m.since,
            'removed': m.removed,
        }
        note = method_note(m)
        if note:
            entry['note'] = note
        out_methods[peft_type] = entry
    return {
        'generator': GENERATOR,
        'peft-versions': versions,
        'task-types': task_since,
        'methods': out_methods,
    }


def build_dispatch_schema(versions: list[str], methods: dict[str, MergedMethod]) -> dict:
    types = sorted(methods)
    # No "$id" on purpose: the relative $refs below must resolve against the
    # file's own location (check-jsonschema would otherwise try to download
    # https://github.com/... instead of reading schemas/peft/*.schema.json).
    return {
        '$schema': SCHEMA_DIALECT,
        'title': 'PEFT adapter_config.json (any method)',
        'description': (
            f"Generated by {GENERATOR} from peft {versions[0]} ... {versions[-1]}. Do not edit. "
            "peft_type must be a known value; the file is then validated against that method's schema "
            "in peft/<peft_type lower-cased>.schema.json."
        ),
        'type': 'object',
        'required': ['peft_type'],
        'properties': {'peft_type': {'enum': types}},
        'allOf': [
            {
                'if': {'properties': {'peft_type': {'const': t}}, 'required': ['peft_type']},
                'then': {'$ref': f'peft/{schema_filename(t)}'},
            }
            for t in types
        ],
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def write_outputs(out_dir: Path, versions: list[str], task_since: dict[str, str],
                  methods: dict[str, MergedMethod]) -> list[Path]:
    """Write schemas/peft/*.schema.json, schemas/peft/index.json and schemas/adapter_config.schema.json."""
    peft_dir = out_dir / 'peft'
    peft_dir.mkdir(parents=True, exist_ok=True)
    task_types = list(task_since)
    written = []
    wanted = set()
    for peft_type, m in methods.items():
        path = peft_dir / schema_filename(peft_type)
        wanted.add(path.name)
        written.append(_write_if_changed(path, dumps(build_method_schema(m, versions, task_types))))
    for stale in peft_dir.glob('*.schema.json'):
        if stale.name not in wanted:
            stale.unlink()
    written.append(_write_if_changed(peft_dir / 'index.json', dumps(build_index(versions, task_since, methods))))
    written.append(
        _write_if_changed(out_dir / 'adapter_config.schema.json', dumps(build_dispatch_schema(versions, methods))),
    )
    return written


def _write_if_changed(path: Path, text: str) -> Path:
    if not path.exists() or path.read_text(encoding='utf-8') != text:
        path.write_text(text, encoding='utf-8')
    return path


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def report_changes(methods: dict[str, MergedMethod]) -> list[str]:
    """Human-readable notes on fields whose annotation changed across releases."""
    lines = []
    for peft_type, m in methods.items():
        for f in m.fields.values():
            if f.schema_changed:
                hist = '; '.join(f'{a} [{vs[0]}..{vs[-1]}]' for a, vs in f.annotations.items())
                lines.append(f'{peft_type}.{f.name}: {hist}')
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--versions', help='comma-separated peft versions (default: every release on PyPI >= 0.1.0)')
    ap.add_argument('--out', type=Path, default=DEFAULT_OUT, help=f'output directory (default: {DEFAULT_OUT})')
    ap.add_argument('--cache-dir', type=Path, default=DEFAULT_CACHE_DIR,
                    help=f'wheel cache (default: {DEFAULT_CACHE_DIR})')
    ap.add_argument('-v', '--verbose', action='store_true', help='print annotation changes across releases')
    args = ap.parse_args(argv)

    start = time.monotonic()
    if args.versions:
        versions = sort_versions(v.strip() for v in args.versions.split(',') if v.strip())
    else:
        versions = list_pypi_versions()
    cache_dir = args.cache_dir.expanduser()
    infos = []
    for v in versions:
        archive = download(v, cache_dir)
        infos.append(analyze_version(v, read_sources(archive)))
        print(f'peft {v}: {len(infos[-1].methods)} methods ({archive.name})', file=sys.stderr)
    versions, task_since, methods = merge_versions(infos)
    write_outputs(args.out, versions, task_since, methods)
    if args.verbose:
        for line in report_changes(methods):
            print(line, file=sys.stderr)
    print(
        f'wrote {len(methods)} method schemas from {len(versions)} peft releases '
        f'({versions[0]} ... {versions[-1]}) to {args.out} in {time.monotonic() - start:.1f}s',
        file=sys.stderr,
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
