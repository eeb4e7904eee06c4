"""A FRSKD student starts from its baseline's weights, bit for bit, through
the runner's own build and ``init_weights()`` (issue 30): the self-teacher
(and every probe or adapter built with it) draws from its own random
stream, so the global stream the student draws from is the baseline's."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import selfkd_seg  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRS = [
    ('configs/frskd_mmseg/deeplabv3plus_r18-tiny_360it_digits.py',
     'configs/frskd_mmseg/frskd_deeplabv3plus_r18-tiny_360it_digits.py'),
    ('configs/frskd_mmseg/segformer_mit-tiny_360it_digits.py',
     'configs/frskd_mmseg/frskd_segformer_mit-tiny_360it_digits.py'),
    ('configs/frskd_mmseg/ocrnet_r18-tiny_360it_digits.py',
     'configs/frskd_mmseg/frskd_ocrnet_r18-tiny_360it_digits.py'),
    ('configs/efficientdet_seg/efficientdet-d0_360it_digits.py',
     'configs/frskd_seg/frskd_efficientdet-d0_360it_digits.py'),
    ('configs/frskd_cls/wrn-10-1_14e_digits.py',
     'configs/frskd_cls/frskd_wrn-10-1_14e_digits.py'),
]
TRAINING_ONLY = ('self_teacher', 'distill_', 'data_preprocessor')


def _initialised(path, work_dir, seed):
    cfg = Config.fromfile(osp.join(REPO, path))
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=seed)
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    state = {
        k: v
        for k, v in runner.model.state_dict().items()
        if not k.startswith(TRAINING_ONLY)
    }
    return state, torch.rand(4)  # the global stream after initialisation


@pytest.mark.parametrize(
    'baseline, frskd', PAIRS, ids=[osp.basename(b) for b, _ in PAIRS])
def test_frskd_student_is_initialised_as_its_baseline(baseline, frskd,
                                                      tmp_path):
    base, base_next = _initialised(baseline, tmp_path / 'b', seed=5)
    student, student_next = _initialised(frskd, tmp_path / 'f', seed=5)
    assert base.keys() == student.keys()
    assert [k for k in base if not torch.equal(base[k], student[k])] == []
    assert torch.equal(base_next, student_next)
    # another seed is another initialisation (the check can fail)
    other, _ = _initialised(baseline, tmp_path / 'o', seed=6)
    assert any(not torch.equal(base[k], other[k]) for k in base
               if base[k].is_floating_point())
