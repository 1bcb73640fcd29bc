"""A local wheelhouse made from the distributions installed in the running environment.

pre-commit builds a hook's environment with ``pip install .`` in a new
virtualenv.  The tests must not download anything, and must not depend on
what the base interpreter happens to hold (a fresh venv shares none of it),
so pip is pointed at wheels rebuilt here from this environment's own
installed files: the project's requirements, their requirements, and the
build backend.  Only what ``pip install .`` of this project needs is packed,
never the whole environment (torch alone is gigabytes).
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import sys
import zipfile
from pathlib import Path
from pathlib import PurePosixPath

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):  # pragma: >=3.11 cover
    import tomllib
else:  # pragma: <3.11 cover
    import tomli as tomllib

PROJECT = 'adapter-guard'
# dist-info files pip writes at install time, which do not belong in a wheel
_INSTALL_RECORDS = frozenset(('INSTALLER', 'REQUESTED', 'RECORD', 'direct_url.json'))


# setuptools < 70.1 asks for `wheel` to build a wheel: packed when it is installed
_OPTIONAL = ('wheel',)


def _requirements(project_root: Path) -> list[Requirement]:
    """What ``pip install .`` of the project needs: its dependencies and its build backend."""
    pyproject = tomllib.loads((project_root / 'pyproject.toml').read_text())
    return [Requirement(r) for r in pyproject['project']['dependencies'] + pyproject['build-system']['requires']]


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    environment: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    return any(requirement.marker.evaluate({**environment, 'extra': e}) for e in extras)


def closure(project_root: Path) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``pip install .`` of the project resolves to.

    A requirement that applies here but is not installed is an error: the
    hook environment could not be built from this environment either.
    """
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [(r, frozenset(('',)), False) for r in _requirements(project_root)]
    todo += [(Requirement(name), frozenset(('',)), True) for name in _OPTIONAL]
    while todo:
        requirement, extras, optional = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in found or not _applies(requirement, extras):
            continue
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            if optional:
                continue
            raise LookupError(f'{requirement.name} is needed to install {PROJECT} but is not installed here')
        found[name] = distribution
        wanted_extras = frozenset(('',)) | frozenset(requirement.extras)
        todo += [(Requirement(r), wanted_extras, False) for r in distribution.requires or ()]
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata['Name']))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    return f'sha256={digest}'


def repack(distribution: importlib.metadata.Distribution, target: Path) -> Path:
    """A wheel of an installed distribution, from the files its RECORD lists.

    Files outside site-packages (console scripts, data) are left out: pip
    writes the scripts again from entry_points.txt.
    """
    if distribution.files is None:
        raise LookupError(f'{distribution.metadata["Name"]} has no RECORD: cannot repack it')
    name = re.sub(r'[-_.]+', '_', distribution.metadata['Name'])
    version = distribution.version
    dist_info = f'{name}-{version}.dist-info'
    wheel_meta = distribution.read_text('WHEEL') or ''
    tags = re.findall(r'^Tag: (\S+)$', wheel_meta, re.MULTILINE) or ['py3-none-any']
    path = target / f'{name}-{version}-{tags[0]}.whl'
    records: list[str] = []
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as wheel:
        for file in distribution.files:
            parts = PurePosixPath(file.as_posix()).parts
            if parts[0] == '..' or '__pycache__' in parts:
                continue
            if parts[0].endswith('.dist-info'):
                if parts[-1] in _INSTALL_RECORDS:
                    continue
                parts = (dist_info,) + parts[1:]  # the wheel's own spelling of the folder
            source = Path(str(distribution.locate_file(file)))
            if not source.is_file():
                continue
            data = source.read_bytes()
            arcname = '/'.join(parts)
            wheel.writestr(arcname, data)
            records.append(f'{arcname},{_record_hash(data)},{len(data)}')
        records.append(f'{dist_info}/RECORD,,')
        wheel.writestr(f'{dist_info}/RECORD', '\n'.join(records) + '\n')
    return path


def build(project_root: Path, target: Path) -> Path:
    """Fill ``target`` with a wheel of everything ``pip install .`` of the project needs."""
    target.mkdir(parents=True, exist_ok=True)
    for distribution in closure(project_root):
        repack(distribution, target)
    return target


def offline_environment(wheelhouse: Path) -> dict[str, str]:
    """os.environ for pre-commit, whose virtualenv's pip installs only from ``wheelhouse``.

    The machine's own pip and virtualenv settings (an extra index,
    find-links, constraints, system site packages) are dropped: the tests
    must pass the same on every machine, and never reach the network.
    """
    kept = {k: v for k, v in os.environ.items() if not k.startswith(('PIP_', 'VIRTUALENV_'))}
    return {
        **kept,
        'PIP_NO_INDEX': '1',
        'PIP_FIND_LINKS': str(wheelhouse),
        'PIP_CONFIG_FILE': os.devnull,  # no pip.conf at all
        'PIP_DISABLE_PIP_VERSION_CHECK': '1',
        'VIRTUALENV_NO_PERIODIC_UPDATE': '1',  # virtualenv would look for newer seed wheels
    }
