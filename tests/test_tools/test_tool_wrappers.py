"""The scripts in tools/ that wrap ``selfkd_seg.apis`` still run as scripts:
``python tools/X.py --help`` prints the package parser's usage (under the
script's name) and exits with 0. Their behaviour is tested through the
package (tests/test_reliability, tests/test_engine/test_speed_options.py,
...); tests/test_reliability/test_export_refusals.py runs
tools/export_student.py for its exit status."""
import os
import os.path as osp
import subprocess
import sys

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


def test_every_wrapped_tool_runs_as_a_script():
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    # all at once: each start-up imports the package (seconds)
    procs = {
        name: subprocess.Popen(
            [sys.executable, osp.join('tools', name), '--help'], cwd=ROOT,
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        for name in TOOLS
    }
    for name, option in TOOLS.items():
        out, err = procs[name].communicate(timeout=300)
        assert procs[name].returncode == 0, f'{name}: {err[-2000:]}'
        assert out.startswith(f'usage: {name} '), out[:200]
        assert option in out, f'{name}: {out[:500]}'
