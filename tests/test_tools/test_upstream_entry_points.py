"""Entry points that never import selfkd_seg run its configs.

Every test runs a subprocess of this environment's Python and none of them
imports selfkd_seg first: mmseg's and mmpretrain's own ``tools/train.py`` and
``test.py`` (installed as ``<package>/.mim/tools``), ``mmseg.apis`` imported
before selfkd_seg, a config load without ``pkg_resources``, and ``mim
train/test/run``.  They rely on ``selfkd_seg_import_hook.pth``, which
installing selfkd_seg puts into site-packages (docs/entry_points.md).
Runs are 2 iterations of a narrowed toy model on 64 px images, one thread.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from selfkd_research.experiments.experiment import read_run
from selfkd_research.synthetic_data.toy_cls import make_toy_cls
from selfkd_research.synthetic_data.toy_voc import make_toy_voc
from selfkd_seg.engine.checkpoint_io import last_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_CONFIG = osp.join(REPO, 'configs', 'frskd_seg',
                      'frskd_efficientdet-d0_240it_toy.py')
CLS_CONFIG = osp.join(REPO, 'configs', 'frskd_cls', 'frskd_wrn-10-1_4e_toy.py')
# the model: a 1-layer BiFPN of width 16 (the self-teacher extends it)
SEG_MODEL_CFG = {
    'model.neck.out_channels': 16,
    'model.neck.num_layers': 1,
    'model.decode_head.in_channels': 16,
    'model.decode_head.channels': 16,
    'model.self_teacher.neck.num_layers': 1,
}
SEG_MODEL = [f'{key}={value}' for key, value in SEG_MODEL_CFG.items()]
SEG_TRAIN = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'train_dataloader.batch_size=2'
] + SEG_MODEL
MIM = osp.join(osp.dirname(sys.executable), 'mim')
HAS_MIM = importlib.util.find_spec('mim') is not None
needs_mim = pytest.mark.skipif(
    not HAS_MIM,
    reason='openmim is not installed (tools/setup_env.sh installs it)')


def site_packages_tool(package: str, name: str) -> str:
    """``<package>/.mim/tools/<name>`` as installed (mmseg, mmpretrain)."""
    spec = importlib.util.find_spec(package)
    return osp.join(osp.dirname(spec.origin), '.mim', 'tools', name)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('entry_points')
    seg = str(root / 'toy_voc')
    make_toy_voc(seg, num_train=4, num_val=2, img_size=(64, 64), seed=0)
    cls = make_toy_cls(str(root / 'toy_cls'), dict(train=2, val=1))
    return dict(root=root, seg=seg, cls=cls)


def user_env(data) -> dict:
    """The environment of a user's shell: no selfkd_seg on PYTHONPATH, the
    hook on, one thread per process (the runs share the cores)."""
    env = dict(os.environ)
    for name in ('PYTHONPATH', 'SELFKD_SEG_NO_IMPORT_HOOK'):
        env.pop(name, None)
    env.update(
        SELFKD_TOY_DATA=data['seg'],
        TOY_CLS_ROOT=data['cls'],
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHONWARNINGS='ignore')
    return env


def failure(cmd, returncode, output) -> str:
    return f'{" ".join(cmd)}\nexited with {returncode}:\n{output[-4000:]}'


def run(cmd, data) -> str:
    """Run ``cmd`` outside the repository and return its output."""
    proc = subprocess.run(
        cmd,
        cwd=str(data['root']),
        env=user_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300)
    if proc.returncode != 0:
        pytest.fail(failure(cmd, proc.returncode, proc.stdout))
    return proc.stdout


class Jobs:
    """The long runs, started as early as their inputs exist and awaited by
    the test that checks them: each is one process on one thread, so the
    cores run them side by side."""

    def __init__(self, data):
        self.data = data
        self.jobs = {}

    def start(self, name, cmd):
        log = open(self.data['root'] / f'{name}.log', 'w+')
        proc = subprocess.Popen(
            cmd,
            cwd=str(self.data['root']),
            env=user_env(self.data),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True)
        self.jobs[name] = (cmd, proc, log)

    def wait(self, name, timeout=600) -> str:
        cmd, proc, log = self.jobs[name]
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read()
        if proc.returncode != 0:
            pytest.fail(failure(cmd, proc.returncode, output))
        return output

    def close(self):
        for _, proc, log in self.jobs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()


@pytest.fixture(scope='module')
def jobs(data):
    """Starts the runs that need nothing but the data."""
    jobs = Jobs(data)
    root = data['root']
    jobs.start('mmseg_train', [
        sys.executable,
        site_packages_tool('mmseg', 'train.py'), SEG_CONFIG, '--work-dir',
        str(root / 'mmseg_train'), '--cfg-options'
    ] + SEG_TRAIN)
    jobs.start('mmpretrain_train', [
        sys.executable,
        site_packages_tool('mmpretrain', 'train.py'), CLS_CONFIG, '--work-dir',
        str(root / 'mmpretrain_train'), '--cfg-options',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'
    ])
    if HAS_MIM:  # the config by its name: mim finds it in selfkd_seg/.mim
        jobs.start('mim_train', [
            MIM, 'train', 'selfkd_seg',
            osp.basename(SEG_CONFIG), '--work-dir',
            str(root / 'mim_train'), '--cfg-options'
        ] + SEG_TRAIN)
    yield jobs
    jobs.close()


@pytest.fixture(scope='module')
def seg_checkpoint(jobs, data):
    """mmseg's own tools/train.py on the FRSKD toy config; then starts the
    runs that use its checkpoint."""
    root = data['root']
    log = jobs.wait('mmseg_train')
    ckpt = last_checkpoint(str(root / 'mmseg_train'))
    jobs.start('mmseg_test', [
        sys.executable,
        site_packages_tool('mmseg', 'test.py'), SEG_CONFIG, ckpt, '--work-dir',
        str(root / 'mmseg_test'), '--cfg-options'
    ] + SEG_MODEL)
    img = sorted(glob.glob(osp.join(data['seg'], 'JPEGImages', 'val_*')))[0]
    jobs.start('apis', [
        sys.executable, '-c',
        APIS_FIRST.format(
            seg_config=SEG_CONFIG,
            ckpt=ckpt,
            seg_model=SEG_MODEL_CFG,
            img=img,
            cls_config=CLS_CONFIG)
    ])
    if HAS_MIM:
        jobs.start('mim_test', [
            MIM, 'test', 'selfkd_seg', SEG_CONFIG, '--checkpoint', ckpt,
            '--work-dir',
            str(root / 'mim_test'), '--cfg-options'
        ] + SEG_MODEL)
        jobs.start('mim_export', [
            MIM, 'run', 'selfkd_seg', 'export_student', ckpt,
            str(root / 'student.pth')
        ])
    return dict(ckpt=ckpt, log=log)


# mmseg.apis and mmpretrain.apis imported before anything of selfkd_seg
APIS_FIRST = """
import sys
from mmseg.apis import inference_model, init_model
from mmpretrain.apis import init_model as init_classifier
assert 'selfkd_seg' not in sys.modules
model = init_model({seg_config!r}, {ckpt!r}, device='cpu',
                   cfg_options={seg_model!r})
result = inference_model(model, {img!r})
classifier = init_classifier({cls_config!r}, device='cpu')
print(type(model).__name__, tuple(result.pred_sem_seg.data.shape),
      type(classifier).__name__)
"""


def test_interpreter_start_installs_only_the_lazy_hook(data):
    out = run([
        sys.executable, '-c', 'import json, sys; print(json.dumps(dict('
        'finders=[getattr(f, "__name__", type(f).__name__) '
        'for f in sys.meta_path], loaded=[m for m '
        'in ("torch", "mmcv", "mmengine", "mmseg", "selfkd_seg") '
        'if m in sys.modules])))'
    ], data)
    state = json.loads(out.strip().splitlines()[-1])
    assert 'CompatImportHook' in state['finders'], (
        'selfkd_seg_import_hook.pth is not active in this environment; '
        'install the package (bash tools/setup_env.sh or pip install -e .)')
    # ahead of the finder that would find mmcv/ops/__init__.py
    assert state['finders'].index('CompatImportHook') < \
        state['finders'].index('PathFinder')
    assert state['loaded'] == []  # nothing heavy at interpreter start


def test_mmseg_config_loads_without_pkg_resources(data):
    """setuptools >= 81: ``mmseg::`` bases resolve, and the hook does not
    import torch for it (mmengine's logger would, to report an environment
    variable in the config: none is set here)."""
    code = ('import os, sys; sys.modules["pkg_resources"] = None\n'
            'os.environ.pop("SELFKD_TOY_DATA")\n'
            'from mmengine.config import Config\n'
            'from mmengine.config import config\n'
            f'cfg = Config.fromfile({SEG_CONFIG!r}, '
            'import_custom_modules=False)\n'
            'print(cfg.model.type, cfg.default_scope, "torch" in sys.modules, '
            'config.get_installed_path.__module__)')
    out = run([sys.executable, '-c', code], data)
    assert out.strip().splitlines()[-1] == \
        'FRSKDSegmentor mmseg False selfkd_seg.import_hook'


def test_mmseg_train_tool(seg_checkpoint):
    assert seg_checkpoint['ckpt'].endswith('iter_2.pth')
    assert 'mIoU' in seg_checkpoint['log']


def test_mmseg_test_tool(seg_checkpoint, jobs, data):
    out = jobs.wait('mmseg_test')
    assert 'Iter(test)' in out
    # the test split is the val images: mmseg's test tool scores the
    # checkpoint as training's last validation did (mmengine's JSON records)
    records = glob.glob(str(data['root'] / 'mmseg_test' / '*' / '*.json'))
    assert len(records) == 1, records
    with open(records[0]) as f:
        tested = json.load(f)
    _, validated = read_run(str(data['root'] / 'mmseg_train'))
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert tested[key] == validated[key], key


def test_mmpretrain_train_tool(jobs, data):
    out = jobs.wait('mmpretrain_train')
    assert last_checkpoint(str(data['root'] /
                               'mmpretrain_train')).endswith('epoch_1.pth')
    assert 'accuracy/top1' in out


def test_mmseg_and_mmpretrain_apis_before_selfkd_seg(seg_checkpoint, jobs):
    out = jobs.wait('apis')
    assert out.strip().splitlines()[-1] == \
        'FRSKDSegmentor (1, 64, 64) FRSKDClassifier'


@needs_mim
def test_mim_train_finds_the_config_by_name(jobs, data):
    out = jobs.wait('mim_train')
    assert 'Training finished successfully' in out
    assert last_checkpoint(str(data['root'] /
                               'mim_train')).endswith('iter_2.pth')


@needs_mim
def test_mim_test(seg_checkpoint, jobs):
    out = jobs.wait('mim_test')
    assert 'mIoU' in out and 'Testing finished successfully' in out


@needs_mim
def test_mim_run_export_student(seg_checkpoint, jobs, data):
    out = jobs.wait('mim_export')
    assert 'The script finished successfully' in out
    state = torch.load(
        str(data['root'] / 'student.pth'), weights_only=True)['state_dict']
    assert state and not any(k.startswith('self_teacher') for k in state)


# the hook's decisions, in process (the subprocess tests cover the stack
# installed here: mmcv-lite, a setuptools with pkg_resources)
def test_hook_leaves_a_compiled_mmcv_alone(monkeypatch):
    from selfkd_seg import compat, import_hook
    hook = import_hook.CompatImportHook()
    monkeypatch.setattr(compat, 'has_compiled_mmcv_ops', lambda: True)
    assert hook.find_spec('mmcv.ops') is None
    monkeypatch.setattr(compat, 'has_compiled_mmcv_ops', lambda: False)
    assert isinstance(
        hook.find_spec('mmcv.ops').loader, import_hook._LightOpsLoader)
    assert hook.find_spec('mmcv.cnn') is None


def test_hook_replaces_mmengine_lookups_only_without_pkg_resources(
        monkeypatch, tmp_path):
    """With pkg_resources mmengine's look-ups stay, ``get_installed_path``
    only falls back to the module's folder where the one it names does not
    exist (an editable install: site-packages/<module> is not there)."""
    from types import SimpleNamespace

    import selfkd_seg
    from selfkd_seg import import_hook
    (tmp_path / 'mmseg').mkdir()
    original = SimpleNamespace(
        is_installed=None,
        get_installed_path=lambda package: str(tmp_path / package))
    monkeypatch.setattr(import_hook, 'has_pkg_resources', lambda: True)
    import_hook._patch_mmengine_package_utils(original)
    assert original.is_installed is None
    assert original.get_installed_path('mmseg') == str(tmp_path / 'mmseg')
    assert original.get_installed_path('selfkd_seg') == osp.dirname(
        selfkd_seg.__file__)
    monkeypatch.setattr(import_hook, 'has_pkg_resources', lambda: False)
    import_hook._patch_mmengine_package_utils(original)
    assert original.get_installed_path is import_hook.get_installed_path
    assert original.is_installed is import_hook.is_installed


def test_mim_gets_the_module_folder_of_an_editable_install(tmp_path):
    from types import SimpleNamespace

    import selfkd_seg
    from selfkd_seg import import_hook
    site_packages = str(tmp_path)  # where mim looks: <location>/<module>
    mim_utils = SimpleNamespace(
        get_installed_path=lambda package: osp.join(site_packages, package))
    import_hook._patch_mim_utils(mim_utils)
    assert mim_utils.get_installed_path('selfkd_seg') == osp.dirname(
        selfkd_seg.__file__)
    (tmp_path / 'mmseg').mkdir()  # an existing folder is kept
    assert mim_utils.get_installed_path('mmseg') == str(tmp_path / 'mmseg')
