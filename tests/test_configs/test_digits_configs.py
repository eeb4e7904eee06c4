"""The digits experiment configs: one student per task, and every method's
exported student loads strictly into its baseline config."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import selfkd_seg  # noqa: F401
from selfkd_seg.models.utils import strip_distill_only

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
PAIRS = [('efficientdet_seg/efficientdet-d0_360it_digits.py',
          'frskd_seg/frskd_efficientdet-d0_360it_digits.py'),
         ('frskd_cls/wrn-10-1_14e_digits.py',
          'frskd_cls/frskd_wrn-10-1_14e_digits.py'),
         ('frskd_cls/wrn-10-1_14e_digits.py',
          'sfd_cls/sfd_wrn-16-2_wrn-10-1_14e_digits.py')]


def _build(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    init_default_scope(cfg.default_scope)
    if cfg.default_scope == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    if 'teacher' in cfg.model:
        cfg.model.teacher_ckpt = None
        cfg.model.allow_random_teacher = True
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('baseline, method', PAIRS)
def test_exported_student_loads_strictly_into_the_baseline(baseline, method):
    base_cfg, base = _build(baseline)
    method_cfg, model = _build(method)
    base.load_state_dict(strip_distill_only(model.state_dict()), strict=True)
    # equal budget: the method changes the model and its hooks, not the
    # data, the optimiser or the length of training
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'val_dataloader'):
        assert method_cfg[key] == base_cfg[key], key


def test_frskd_seg_schedule_is_the_papers_fractions():
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'frskd_seg',
                 'frskd_efficientdet-d0_360it_digits.py'))
    hook, lead = cfg.custom_hooks
    assert lead.type == 'SelfTeacherLeadHook'
    n = cfg.train_cfg.max_iters
    from selfkd_seg.engine.hooks import DistillWeightScheduleHook
    built_hook = DistillWeightScheduleHook(**{
        k: v
        for k, v in hook.items() if k != 'type'
    })
    assert built_hook.schedule(n) == (2 * n // 3, n - 2 * n // 3)
    assert cfg.param_scheduler[1].milestones == [2 * n // 3]
    assert cfg.model.distill.feature_act == dict(type='ReLU')
