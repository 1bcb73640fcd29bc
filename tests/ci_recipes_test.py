"""The CI recipes in examples/ cannot rot: their commands run here, as those CIs would run them.

Each file is parsed, then its shell steps run in a real clone of a real
repository (full depth, as the recipe asks), with the variables GitHub
Actions or GitLab CI would set and `${{ ... }}` expressions replaced by real
shas.  Only `uses:` actions are skipped (checkout is done here, setup-python
is this interpreter, upload-sarif gets the SARIF file checked instead), and
one value is swapped: ADAPTER_GUARD names the installed adapter-guard, since
nothing here reaches GitHub or PyPI (pip installs only from a wheelhouse).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from typing import NamedTuple

import pytest

from tests.util import commit
from tests.util import git
from tests.util import REPO
from tests.util import use_hooks
from tests.util import write_config

yaml = pytest.importorskip('yaml')  # pre-commit's own dependency

EXAMPLES = REPO / 'examples'
GITHUB = EXAMPLES / 'github-actions.yml'
GITLAB = EXAMPLES / 'gitlab-ci.yml'
HUB = 'meta-llama/Llama-2-7b-hf'
REWRITE = '/mnt/models/Llama-2-7b-hf'


class History(NamedTuple):
    origin: Path
    added: str  # the adapter, committed with its Hub id (main)
    clean: str  # a retrain that keeps the base model
    rewritten: str  # then PEFT's rewrite of the base model to a local path


@pytest.fixture
def history(tmp_path: Path, hook_repo: Path) -> History:
    origin = tmp_path / 'origin'
    origin.mkdir()
    git('init', '-q', cwd=origin)
    use_hooks(origin, hook_repo)
    shas = []
    for changes in ({}, {'lora_dropout': 0.1}, {'lora_dropout': 0.1, 'base_model_name_or_path': REWRITE}):
        write_config(origin / 'adapters' / 'chat', **changes)
        git('add', '.', cwd=origin)
        commit(f'adapter {changes}', cwd=origin)
        shas.append(git('rev-parse', 'HEAD', cwd=origin).strip())
    return History(origin, *shas)


def ci_clone(history: History, sha: str, depth: int, into: Path) -> Path:
    assert depth == 0, 'the recipe must fetch the whole history (depth 0): a shallow clone gives AG303'
    git('clone', '-q', '--no-checkout', f'file://{history.origin}', str(into))
    git('checkout', '-q', '--detach', sha, cwd=into)
    return into


def runner_environment(offline: dict[str, str], **variables: str) -> dict[str, str]:
    """This interpreter's scripts first on PATH (setup-python), pip offline, the CI's variables."""
    env = {k: v for k, v in offline.items() if not k.startswith(('GITHUB_', 'CI_', 'GITLAB_'))}
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env['PATH']
    env.update(variables)
    return env


class Step(NamedTuple):
    name: str
    ran: bool
    code: int
    output: str


def _sarif_results(work: Path) -> list[dict[str, Any]]:
    document = json.loads((work / 'adapter-guard.sarif').read_text())
    assert document['version'] == '2.1.0'
    results: list[dict[str, Any]] = document['runs'][0]['results']
    return results


# -- GitHub Actions ------------------------------------------------------------------------------

EXPRESSION = re.compile(r'\$\{\{\s*(.*?)\s*\}\}')


def _value(expression: str, context: dict[str, str]) -> str:
    if expression not in context:
        raise AssertionError(f'the test does not know the expression {expression!r}: add it to the context')
    return context[expression]


def _substitute(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: _value(m.group(1), context), text)


def _condition(expression: str, context: dict[str, str], failed: bool) -> bool:
    """The `if:` grammar the recipe uses: always(), success(), failure(), context == 'literal'."""
    expression = EXPRESSION.sub(lambda m: m.group(1), expression).strip()
    if expression in ('always()', 'success()', 'failure()'):
        return {'always()': True, 'success()': not failed, 'failure()': failed}[expression]
    match = re.fullmatch(r"([\w.]+)\s*==\s*'([^']*)'", expression)
    assert match, f'the test does not know the condition {expression!r}'
    return not failed and _value(match.group(1), context) == match.group(2)


def run_github(workflow: dict[str, Any], work: Path, env: dict[str, str], context: dict[str, str]) -> list[Step]:
    (job,) = workflow['jobs'].values()
    job_env = {**env, **{k: str(v) for k, v in {**workflow.get('env', {}), **job.get('env', {})}.items()}}
    job_env['ADAPTER_GUARD'] = 'adapter-guard'  # the one swapped value: no GitHub here
    steps, failed = [], False
    for step in job['steps']:
        name = step.get('name', step.get('uses', '?'))
        if 'uses' in step:
            if step['uses'].startswith('actions/checkout@'):
                assert step['with']['fetch-depth'] == 0
            steps.append(Step(name, False, 0, ''))
            continue
        if not _condition(str(step.get('if', 'success()')), context, failed):
            steps.append(Step(name, False, 0, ''))
            continue
        step_env = {**job_env, **{k: _substitute(str(v), context) for k, v in step.get('env', {}).items()}}
        script = work.parent / 'step.sh'
        script.write_text(_substitute(step['run'], context))
        # GitHub's default shell on Linux: bash -e {0}
        result = subprocess.run(['bash', '-e', str(script)], cwd=work, env=step_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        failed = failed or result.returncode != 0
        steps.append(Step(name, True, result.returncode, result.stdout))
    return steps


def _github_event(history: History, event: str, base: str, head: str, tmp_path: Path,
                  offline: dict[str, str]) -> tuple[Path, list[Step]]:
    workflow = yaml.safe_load(GITHUB.read_text())
    (job,) = workflow['jobs'].values()
    checkout = next(s for s in job['steps'] if s.get('uses', '').startswith('actions/checkout@'))
    work = ci_clone(history, head, checkout['with']['fetch-depth'], tmp_path / 'work')
    pull = event == 'pull_request'
    context = {
        'github.event_name': event,
        'github.event.pull_request.base.sha': base if pull else '',  # absent on push: empty
        'github.event.pull_request.head.sha': head if pull else '',
    }
    env = runner_environment(offline, CI='true', GITHUB_ACTIONS='true', GITHUB_EVENT_NAME=event,
                             GITHUB_SHA=head, GITHUB_WORKSPACE=str(work))
    return work, run_github(workflow, work, env, context)


def test_github_workflow_triggers() -> None:
    workflow = yaml.safe_load(GITHUB.read_text())
    triggers = workflow.get('on', workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {'pull_request', 'push'}
    assert workflow['permissions']['security-events'] == 'write'
    (job,) = workflow['jobs'].values()
    uses = [s['uses'].split('@')[0] for s in job['steps'] if 'uses' in s]
    assert uses == ['actions/checkout', 'actions/setup-python', 'github/codeql-action/upload-sarif']
    upload = job['steps'][-1]
    assert upload['if'] == 'always()'
    assert upload['with']['sarif_file'] == 'adapter-guard.sarif'


@pytest.mark.parametrize(('event', 'which', 'passes'), (
    ('pull_request', 'clean', True),
    ('pull_request', 'rewritten', False),
    ('push', 'clean', True),
    ('push', 'rewritten', False),
))
def test_github_actions(history: History, tmp_path: Path, offline: dict[str, str], event: str, which: str,
                        passes: bool) -> None:
    head = getattr(history, which)
    work, steps = _github_event(history, event, history.added, head, tmp_path, offline)
    ran = {s.name: s for s in steps if s.ran}
    assert 'Install pre-commit and adapter-guard' in ran
    pre_commit = ran['pre-commit on the commits of the pull request' if event == 'pull_request'
                     else 'pre-commit on every file']
    assert len([s for s in steps if s.ran and s.name.startswith('pre-commit')]) == 1
    assert (pre_commit.code == 0) is passes, pre_commit.output
    assert 'adapter-guard (PEFT adapter_config.json)' in pre_commit.output
    sarif = ran['Findings as SARIF']
    assert sarif.code == 0, sarif.output  # findings or not, the SARIF is written and uploaded
    codes = {r['ruleId'] for r in _sarif_results(work)}
    if passes:
        assert codes == set()
    else:
        assert 'AG301' in pre_commit.output
        assert 'AG301' in codes
    assert all(s.code == 0 for s in steps if s is not pre_commit)


# -- GitLab CI -----------------------------------------------------------------------------------

def _rule_matches(condition: str, variables: dict[str, str]) -> bool:
    """The `rules: if:` grammar the recipe uses: $VAR == "literal" or $VAR == $OTHER."""
    match = re.fullmatch(r'\$(\w+)\s*==\s*(?:"([^"]*)"|\$(\w+))', condition.strip())
    assert match, f'the test does not know the rule {condition!r}'
    left = variables.get(match.group(1))
    right = match.group(2) if match.group(2) is not None else variables.get(match.group(3))
    return left is not None and left == right


def _gitlab_pipeline(history: History, source: str, base: str, sha: str, tmp_path: Path,
                     offline: dict[str, str]) -> subprocess.CompletedProcess[str]:
    config = yaml.safe_load(GITLAB.read_text())
    job = config['adapter-guard']
    variables = {'CI': 'true', 'GITLAB_CI': 'true', 'CI_PIPELINE_SOURCE': source, 'CI_COMMIT_SHA': sha,
                 'CI_DEFAULT_BRANCH': 'main'}
    if source == 'merge_request_event':
        variables['CI_MERGE_REQUEST_DIFF_BASE_SHA'] = base
    else:
        variables['CI_COMMIT_BRANCH'] = 'main'
    variables.update({k: str(v) for k, v in job.get('variables', {}).items()})
    assert any(_rule_matches(rule['if'], variables) for rule in job['rules']), 'the job would not run'
    work = ci_clone(history, sha, int(variables['GIT_DEPTH']), tmp_path / 'work')
    variables['CI_PROJECT_DIR'] = str(work)
    script = '\n'.join(job.get('before_script', []) + job['script'])
    # GitLab's bash shell runs the job script under set -eo pipefail
    return subprocess.run(['bash', '-c', 'set -eo pipefail\n' + script], cwd=work,
                          env=runner_environment(offline, **variables),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize(('source', 'which', 'passes'), (
    ('merge_request_event', 'clean', True),
    ('merge_request_event', 'rewritten', False),
    ('push', 'clean', True),
    ('push', 'rewritten', False),
))
def test_gitlab_ci(history: History, tmp_path: Path, offline: dict[str, str], source: str, which: str,
                   passes: bool) -> None:
    result = _gitlab_pipeline(history, source, history.added, getattr(history, which), tmp_path, offline)
    assert (result.returncode == 0) is passes, result.stdout
    assert 'adapter-guard (PEFT adapter_config.json)' in result.stdout
    assert ('AG301' in result.stdout) is not passes


def test_the_rules_skip_other_pipelines() -> None:
    job = yaml.safe_load(GITLAB.read_text())['adapter-guard']
    variables = {'CI_PIPELINE_SOURCE': 'schedule', 'CI_COMMIT_BRANCH': 'feature', 'CI_DEFAULT_BRANCH': 'main'}
    assert not any(_rule_matches(rule['if'], variables) for rule in job['rules'])


# -- both files against the CIs' own schemas (vendored by check-jsonschema) ---------------------------

@pytest.mark.parametrize(('path', 'schema'), ((GITHUB, 'vendor.github-workflows'), (GITLAB, 'vendor.gitlab-ci')))
def test_recipes_match_the_ci_schemas(path: Path, schema: str) -> None:
    pytest.importorskip('check_jsonschema')
    result = subprocess.run([sys.executable, '-m', 'check_jsonschema', '--builtin-schema', schema, str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
