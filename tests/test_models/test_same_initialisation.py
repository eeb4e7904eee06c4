"""A FRSKD student starts from its baseline's weights, bit for bit, through
the runner's own build and ``init_weights()`` (issue 30): the self-teacher
(and every probe or adapter built with it) draws from its own random
stream, so the global stream the student draws from is the baseline's.
The same holds for a teacher-student model (SFD, KD, CWD, DIST through
``SFDSegmentor`` / ``SFDClassifier``): teacher, integrator and losses are
built and initialised apart (issue 32)."""
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
# teacher-student pairs: (baseline, distilled, config options); the
# teacher is random here (its weights are loaded in real use, and loading
# draws nothing)
RANDOM_TEACHER = dict(teacher_ckpt=None, allow_random_teacher=True)
TEACHER_PAIRS = [
    ('configs/frskd_mmseg/segformer_mit-tiny_360it_digits.py',
     'configs/sfd_seg/sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_'
     'digits.py'),
    ('configs/frskd_mmseg/segformer_mit-tiny_360it_digits.py',
     'configs/sfd_seg/sfd-cwd_segformer-bifpn_segformer_mit-tiny_360it_'
     'digits.py'),
    ('configs/frskd_mmseg/segformer_mit-tiny_360it_digits.py',
     'configs/sfd_seg/dist_segformer-bifpn_segformer_mit-tiny_360it_'
     'digits.py'),
    ('configs/frskd_cls/wrn-10-1_14e_digits.py',
     'configs/sfd_cls/sfd_wrn-16-2_wrn-10-1_14e_digits.py'),
]
TRAINING_ONLY = ('self_teacher', 'distill_', 'data_preprocessor', 'teacher.',
                 'integrator.', 'margin_estimator.')


def _initialised(path, work_dir, seed, model_options=None):
    cfg = Config.fromfile(osp.join(REPO, path))
    cfg.model.update(model_options or {})
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


@pytest.mark.parametrize(
    'baseline, distilled',
    TEACHER_PAIRS,
    ids=[osp.basename(d) for _, d in TEACHER_PAIRS])
def test_teacher_student_student_is_initialised_as_its_baseline(
        baseline, distilled, tmp_path):
    base, base_next = _initialised(baseline, tmp_path / 'b', seed=5)
    student, student_next = _initialised(
        distilled, tmp_path / 'd', seed=5, model_options=RANDOM_TEACHER)
    assert base.keys() == student.keys()
    assert [k for k in base if not torch.equal(base[k], student[k])] == []
    assert torch.equal(base_next, student_next)
