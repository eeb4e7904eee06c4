"""The SFD configs load and say what the paper says."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

import selfkd_seg  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
CIFAR = sorted(glob.glob(osp.join(ROOT, 'configs/sfd_cls/*_cifar100.py')))
# <method>[-variant]_<teacher>_<student>_240e_cifar100.py: SFD (sfd-<ablation>
# for Table 1) or a baseline method; the plain students name no method
METHOD = re.compile(r'(sfd|sfd-[a-z]+-[a-z]+|kd|at|fitnet|overhaul)_')
STUDENTS = [p for p in CIFAR if not METHOD.match(osp.basename(p))]
CIFAR = [p for p in CIFAR if p not in STUDENTS]
BASELINES = ('kd', 'at', 'fitnet', 'overhaul')


def test_there_are_pairs_ablations_and_baselines():
    names = [osp.basename(f) for f in CIFAR]
    assert sum(n.startswith('sfd_') for n in names) >= 13
    assert sum(n.startswith('sfd-') for n in names) == 9  # the ablations
    assert set(BASELINES) <= {n.split('_')[0] for n in names}
    assert len(STUDENTS) == 3


@pytest.mark.parametrize('path', CIFAR, ids=osp.basename)
def test_cifar_config(path):
    cfg = Config.fromfile(path)
    name = osp.basename(path)
    assert cfg.model.type == 'SFDClassifier'
    assert cfg.train_cfg.max_epochs == 240
    assert cfg.param_scheduler.milestones == [150, 180, 210]
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
    # the paper states lr 0.05 for every model (0.01 is RepDistiller's
    # choice for MobileNetV2 / ShuffleNets)
    assert cfg.optim_wrapper.optimizer.lr == 0.05
    assert cfg.model.teacher_ckpt.startswith('checkpoints/teachers/')
    hooks = [h.type for h in cfg.custom_hooks]
    if name.startswith('sfd_'):
        assert cfg.model.integrator.type == 'ReceptiveFieldIntegration'
        assert cfg.model.distill.loss.loss_weight == 3.0
        assert hooks == ['SelfDistillHook']
        assert cfg.custom_hooks[0].random_flip
    if name.split('_')[0] in BASELINES:
        assert hooks == []


def test_seg_config_teacher_matches_the_d1_model():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'sfd_seg',
                 'sfd_efficientdet-d1_efficientdet-d0_60e_voc0712.py'))
    d1 = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/efficientdet_d1_seg.py'))
    expected = d1.model.to_dict()
    expected.pop('data_preprocessor')
    expected.pop('pretrained')
    expected['backbone']['pretrained'] = None
    assert cfg.model.teacher.to_dict() == expected
    assert cfg.model.type == 'SFDSegmentor'
    assert cfg.model.neck.out_channels == 64


@pytest.mark.parametrize('path', STUDENTS, ids=osp.basename)
def test_exported_sfd_student_loads_into_the_student_config(path):
    """The plain student configs take the student of their SFD pair."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    from selfkd_seg.models.utils import strip_distill_only
    init_default_scope('mmpretrain')
    student = Config.fromfile(path)
    assert student.model.type == 'ImageClassifier'
    assert student.custom_hooks == []
    assert student.train_cfg.max_epochs == 240
    name = osp.basename(path)  # <student>_240e_cifar100.py
    pair = [
        p for p in CIFAR
        if osp.basename(p).startswith('sfd_') and p.endswith('_' + name)
    ][0]
    sfd = Config.fromfile(pair)
    sfd.model.update(teacher_ckpt=None, allow_random_teacher=True)
    state = strip_distill_only(MODELS.build(sfd.model).state_dict())
    MODELS.build(student.model).load_state_dict(state, strict=True)


def test_complexity_tool_on_an_sfd_config():
    """The complexity tool (tools/analysis/complexity.py runs
    selfkd_seg.analysis.complexity.config_complexity) builds the pair with a
    random teacher."""
    from selfkd_seg.analysis.complexity import config_complexity
    report = config_complexity(
        osp.join(ROOT,
                 'configs/sfd_cls/sfd_resnet56_resnet20_240e_cifar100.py'),
        (32, 32))
    # RepDistiller's resnet20 / resnet56 on CIFAR-100: 0.28 M / 0.86 M
    assert abs(report['student_params'] / 1e6 - 0.278) < 0.005
    assert abs(report['teacher_params'] / 1e6 - 0.861) < 0.005
    assert report['integrator_params'] > 0
    assert 0.03e9 < report['student_flops'] < 0.05e9
