"""What ``pip install`` ships: the library (selfkd_seg and its .mim configs
and tools), and that it works outside the checkout.

The wheel is built (``pip wheel --no-deps --no-build-isolation``, ~3 s) from
a copy of the checkout's packaging inputs, so the checkout gets no build/
folder; then it is unpacked and imported, first on PYTHONPATH, from a
folder outside the checkout (docs/architecture.md, "The library boundary").
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# what setup.py reads: the package (its .mim links point to ../../configs,
# ../../tools and ../../model-index.yml), the README, the version
INPUTS = ('setup.py', 'README.md', 'model-index.yml', 'selfkd_seg', 'configs',
          'tools')
CONFIG = 'efficientdet_seg/efficientdet-d0_240it_toy.py'


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    root = tmp_path_factory.mktemp('packaging')
    src = root / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '*.egg-info')
    for name in INPUTS:
        path = osp.join(REPO, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = root / 'dist'
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel',
        str(src), '--no-deps', '--no-build-isolation', '--no-cache-dir', '-q',
        '-w',
        str(out)
    ],
                   check=True,
                   capture_output=True,
                   text=True)
    (path, ) = out.glob('selfkd_seg-*.whl')
    return root, path


def test_the_wheel_holds_the_library_only(wheel):
    _, path = wheel
    names = zipfile.ZipFile(path).namelist()
    tops = {n.split('/')[0] for n in names}
    dist_info = {t for t in tops if t.endswith('.dist-info')}
    assert tops - dist_info == {'selfkd_seg', 'selfkd_seg_import_hook.pth'}
    modules = [n for n in names if n.endswith('.py') and '/.mim/' not in n]
    for part in ('selfkd_research', '/experiments/', '/testing/', 'benchmark',
                 'fault_injection', 'tiny_configs'):
        assert not [n for n in modules if part in n], part
    assert not [n for n in names if n.startswith('selfkd_research')]
    # the .mim folder: configs, model index and the library's tools
    for member in (f'selfkd_seg/.mim/configs/{CONFIG}',
                   'selfkd_seg/.mim/model-index.yml',
                   'selfkd_seg/.mim/tools/train.py',
                   'selfkd_seg/.mim/tools/test.py',
                   'selfkd_seg/.mim/tools/export_student.py'):
        assert member in names, member
    tools = [n for n in names if n.startswith('selfkd_seg/.mim/tools/')]
    for left_out in ('toy_experiment.py', 'digits_experiment.py',
                     'fault_injection.py', 'run_main_job.sh', 'setup_env.sh',
                     'analysis/benchmark_sfd.py',
                     'dataset_converters/make_toy_voc.py'):
        assert f'selfkd_seg/.mim/tools/{left_out}' not in tools, left_out
    with zipfile.ZipFile(path) as zf:
        for name in tools:
            if name.endswith('.py'):
                assert b'selfkd_research' not in zf.read(name), name


def test_the_installed_package_runs_outside_the_checkout(wheel):
    root, path = wheel
    site = root / 'site'
    zipfile.ZipFile(path).extractall(site)
    elsewhere = root / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'mine.py').write_text(f"_base_ = ['selfkd_seg::{CONFIG}']\n"
                                       'train_cfg = dict(max_iters=5)\n')
    code = f'''
import importlib.util, os.path as osp
import selfkd_seg
from mmengine.config import Config
from mmengine.hub import get_config
from selfkd_seg.apis.config import load_config
from selfkd_seg.utils import get_config_path
print(osp.dirname(selfkd_seg.__file__))
print(get_config_path('selfkd_seg::{CONFIG}'))
print(load_config('selfkd_seg::{CONFIG}').default_scope)
print(get_config('selfkd_seg::{CONFIG}').model.type)
print(Config.fromfile('mine.py').train_cfg.max_iters)
print(importlib.util.find_spec('selfkd_research'))
'''
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONWARNINGS='ignore')
    env.pop('SELFKD_SEG_NO_IMPORT_HOOK', None)
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=str(elsewhere),
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.split()[-6:]
    package = osp.join(str(site), 'selfkd_seg')
    assert lines[0] == package  # the wheel's, not the checkout's
    assert lines[1] == osp.join(package, '.mim', 'configs', CONFIG)
    assert lines[2:] == ['mmseg', 'EncoderDecoder', '5', 'None']
