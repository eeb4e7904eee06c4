"""The style checks CI runs (tools/lint.sh) are the pre-commit hooks'."""
import os.path as osp
import sys

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools'))
from check_commit_subjects import MAX, main, subject_problems  # noqa: E402


def test_subjects_over_72_characters_are_named():
    ok = 'x' * MAX
    assert subject_problems([ok, ok + 'y', 'short']) == [ok + 'y']


def test_commit_msg_hook_reads_the_subject_line_only(tmp_path):
    msg = tmp_path / 'COMMIT_EDITMSG'
    msg.write_text('# a comment line\nshort subject\n\n' + 'body ' * 40)
    assert main(['--message-file', str(msg)]) == 0
    msg.write_text('s' * 73 + '\n')
    assert main(['--message-file', str(msg)]) == 1


def test_pre_commit_hooks_and_lint_script_run_the_same_tools():
    with open(osp.join(REPO, '.pre-commit-config.yaml')) as f:
        hooks = {
            h['id']
            for r in yaml.safe_load(f)['repos']
            for h in r['hooks']
        }
    assert hooks == {'flake8', 'isort', 'yapf', 'codespell', 'commit-subject'}
    script = open(osp.join(REPO, 'tools', 'lint.sh')).read()
    for tool in ('flake8', 'isort --check-only', 'yapf --diff', 'codespell',
                 'check_commit_subjects.py'):
        assert tool in script, tool
    assert 'bash tools/lint.sh' in open(osp.join(REPO, '.ci', 'run')).read()


def test_lint_tools_are_pinned():
    pins = open(osp.join(REPO, 'requirements', 'lint.txt')).read()
    for tool in ('flake8==', 'isort==', 'yapf==', 'codespell=='):
        assert tool in pins, tool
