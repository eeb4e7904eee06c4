"""mmpretrain is an extra (``pip install 'selfkd_seg[cls]'``): without it,
segmentation imports, trains (tools/train.py) and exports its student
(tools/export_student.py), and a classification part or config says what to
install.  One subprocess with an import blocker for mmpretrain on
``sys.meta_path`` (as if it were not installed) runs the tools through
``runpy``, the way ``python tools/<x>.py`` does."""
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SEG_CONFIG = osp.join(REPO, 'configs', 'frskd_seg',
                      'frskd_efficientdet-d0_240it_toy.py')
CLS_CONFIG = osp.join(REPO, 'configs', 'frskd_cls', 'frskd_wrn-10-1_4e_toy.py')
# 2 iterations of a 1-layer BiFPN of width 16 on 64 px images
SEG_OPTIONS = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'train_dataloader.batch_size=2', 'model.neck.out_channels=16',
    'model.neck.num_layers=1', 'model.decode_head.in_channels=16',
    'model.decode_head.channels=16', 'model.self_teacher.neck.num_layers=1'
]

DRIVER = r'''
import json, os.path as osp, runpy, sys


class BlockMMPretrain:
    """Finder first on sys.meta_path: mmpretrain is "not installed"."""

    def find_spec(self, name, path=None, target=None):
        if name == 'mmpretrain' or name.startswith('mmpretrain.'):
            raise ModuleNotFoundError(f'No module named {name!r} (blocked)',
                                      name=name)
        return None


sys.meta_path.insert(0, BlockMMPretrain())
repo, seg_config, cls_config, work_dir, options = sys.argv[1:6]
options = json.loads(options)
result = {}


def tool(name, *argv):
    sys.argv = [osp.join(repo, 'tools', name), *argv]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise


import selfkd_seg  # noqa: E402
from selfkd_seg.registry import MODELS, has_codebase  # noqa: E402
result['imported'] = 'mmpretrain' not in sys.modules
result['codebases'] = sorted(MODELS.codebases)
tool('train.py', seg_config, '--work-dir', work_dir, '--cfg-options',
     *options)
ckpt = osp.join(work_dir, 'iter_2.pth')
result['trained'] = osp.isfile(ckpt)
student = osp.join(work_dir, 'student.pth')
tool('export_student.py', ckpt, student)
result['exported'] = osp.isfile(student)
try:
    MODELS.build(dict(type='FRSKDClassifier'))
except ModuleNotFoundError as err:
    result['build_classifier'] = str(err)
from selfkd_seg.apis.config import load_config  # noqa: E402
try:
    load_config(cls_config)
except ModuleNotFoundError as err:
    result['cls_config'] = str(err)
result['mmpretrain_never_imported'] = not any(
    m == 'mmpretrain' or m.startswith('mmpretrain.') for m in sys.modules)
print('RESULT ' + json.dumps(result))
'''


def test_segmentation_without_mmpretrain(tmp_path, toy_voc_64):
    driver = tmp_path / 'driver.py'
    driver.write_text(DRIVER)
    work_dir = tmp_path / 'work'
    env = dict(
        os.environ,
        SELFKD_TOY_DATA=toy_voc_64,
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHONWARNINGS='ignore')
    proc = subprocess.run([
        sys.executable,
        str(driver), REPO, SEG_CONFIG, CLS_CONFIG,
        str(work_dir),
        json.dumps(SEG_OPTIONS)
    ],
                          cwd=str(tmp_path),
                          env=env,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT ')]
    assert line, proc.stdout[-4000:]
    result = json.loads(line[-1][len('RESULT '):])
    assert result['imported'] and result['codebases'] == ['mmseg']
    assert result['trained'] and result['exported']
    for key in ('build_classifier', 'cls_config'):
        assert 'pip install mmpretrain' in result[key], result
        assert "selfkd_seg[cls]" in result[key], result
    assert "type='FRSKDClassifier' needs mmpretrain" in result[
        'build_classifier']
    assert 'frskd_wrn-10-1_4e_toy.py is a mmpretrain config' in result[
        'cls_config']
    assert result['mmpretrain_never_imported'], result


def test_a_registry_skips_an_absent_codebase():
    """Registering for an absent extra registers in selfkd_seg's scope only;
    a codebase the registry would never serve stays an error."""
    import pytest
    from mmengine.registry import Registry

    import selfkd_seg.registry as ours
    seg = Registry('model', scope='fake_seg')
    registry = ours.CodebaseRegistry.__new__(ours.CodebaseRegistry)
    Registry.__init__(registry, 'model', scope='fake_selfkd')
    registry.codebases, registry.absent = dict(mmseg=seg), ('mmpretrain', )

    @registry.register_module(codebases='mmpretrain')
    class ClsOnly:
        pass

    assert registry.get('ClsOnly') is ClsOnly and 'ClsOnly' not in \
        seg.module_dict
    with pytest.raises(KeyError, match='unknown codebase'):
        registry.register_module(codebases='mmdet')
    ours.register_needing_extra(('ClsPart', ), 'mmpretrain', registry)
    for reg in (registry, seg):
        with pytest.raises(
                ModuleNotFoundError,
                match=r"type='ClsPart' needs mmpretrain.*"
                r'pip install mmpretrain'):
            reg.build(dict(type='ClsPart'))
