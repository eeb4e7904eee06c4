"""The scripts in tools/ run as scripts: ``python tools/X.py --help``
prints the script's usage and exits with 0.  ``train.py``, ``test.py`` and
``export_student.py`` parse their command line and call one function of
``selfkd_seg.apis``.  Their behaviour is tested through the scripts' main
(tests/test_reliability, tests/test_engine/test_speed_options.py, ...);
tests/test_reliability/test_export_refusals.py runs tools/export_student.py
for its exit status."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# tool -> an option only its parser has
TOOLS = {
    'train.py': '--channels-last',
    'test.py': '--show-dir',
    'export_student.py': '--force',
    'fault_injection.py': '--kills',
    'toy_experiment.py': '--inference-images',
    'digits_experiment.py': '--cls-epochs',
}

# tool -> (module of selfkd_seg.apis, the function its main calls)
APIS_TOOLS = {
    'train.py': ('selfkd_seg.apis.train', 'train'),
    'test.py': ('selfkd_seg.apis.test', 'test'),
    'export_student.py':
    ('selfkd_seg.apis.export', 'export_student_checkpoint'),
}


@pytest.mark.parametrize('script', sorted(APIS_TOOLS))
def test_apis_tool_parses_and_calls_one_library_function(script):
    module, function = APIS_TOOLS[script]
    with open(osp.join(ROOT, 'tools', script)) as f:
        tree = ast.parse(f.read())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defined == {'parse_args', 'main'}
    imported = {(n.module, a.name)
                for n in tree.body if isinstance(n, ast.ImportFrom)
                for a in n.names}
    assert (module, function) in imported
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert function in calls


def test_every_wrapped_tool_runs_as_a_script():
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    # all at once: each start-up imports the package (seconds)
    procs = {
        name:
        subprocess.Popen(
            [sys.executable, osp.join('tools', name), '--help'],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True)
        for name in TOOLS
    }
    for name, option in TOOLS.items():
        out, err = procs[name].communicate(timeout=300)
        assert procs[name].returncode == 0, f'{name}: {err[-2000:]}'
        assert out.startswith(f'usage: {name} '), out[:200]
        assert option in out, f'{name}: {out[:500]}'
