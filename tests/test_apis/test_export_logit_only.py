"""A teacher-student checkpoint with a logit term only (KD, CWD, DIST: no
integrator, the teacher left out of checkpoints) holds the student alone:
``export_student_checkpoint`` recognises it by the model type of its saved
config and writes it; the result loads strictly into the stock mmseg
student and predicts as the distiller's student does (issue 32). A plain
model's checkpoint is still refused."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

import selfkd_seg  # noqa: F401
from selfkd_seg.apis import export_student_checkpoint
from selfkd_seg.apis.export import (checkpoint_model_type,
                                    is_logit_only_distiller)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDENT = 'configs/frskd_mmseg/segformer_mit-tiny_360it_digits.py'
LOGIT_ONLY = [
    'configs/sfd_seg/kd_segformer-bifpn_segformer_mit-tiny_360it_digits.py',
    'configs/sfd_seg/cwd_segformer-bifpn_segformer_mit-tiny_360it_digits.py',
    'configs/sfd_seg/dist_segformer-bifpn_segformer_mit-tiny_360it_digits.py',
]


def _runner_checkpoint(cfg: Config, model, path: str) -> str:
    # what mmengine's runner writes: meta with the config text, the model's
    # state dict (the teacher is left out by its state-dict hooks)
    torch.save(
        dict(
            meta=dict(cfg=cfg.pretty_text, iter=4),
            state_dict=model.state_dict()), path)
    return path


@pytest.mark.parametrize('config', LOGIT_ONLY, ids=osp.basename)
def test_logit_only_checkpoint_exports_the_stock_student(config, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    torch.manual_seed(0)
    distiller = MODELS.build(cfg.model)
    distiller.init_weights()
    state = distiller.state_dict()
    assert not any(k.startswith(('teacher.', 'integrator.')) for k in state)
    src = _runner_checkpoint(cfg, distiller, str(tmp_path / 'iter_4.pth'))
    assert checkpoint_model_type(torch.load(src)) == 'SFDSegmentor'

    dst = str(tmp_path / 'student.pth')
    summary = export_student_checkpoint(src, dst)
    assert summary['dropped_keys'] == 0
    assert summary['kept_keys'] == len(state)

    plain = MODELS.build(Config.fromfile(osp.join(REPO, STUDENT)).model)
    exported = torch.load(dst, weights_only=True)
    plain.load_state_dict(exported['state_dict'], strict=True)
    distiller.eval()
    plain.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        expected = distiller._forward(x)
        got = plain._forward(x)
    assert torch.equal(expected, got)


def test_a_plain_model_checkpoint_is_still_refused(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, STUDENT))
    model = MODELS.build(cfg.model)
    src = _runner_checkpoint(cfg, model, str(tmp_path / 'plain.pth'))
    with pytest.raises(ValueError, match='EncoderDecoder.*no distiller'):
        export_student_checkpoint(src, str(tmp_path / 'out.pth'))
    # without a saved config the type is unknown: refused as well
    torch.save(dict(state_dict=model.state_dict()), src)
    with pytest.raises(ValueError, match='type not recorded'):
        export_student_checkpoint(src, str(tmp_path / 'out.pth'))


def test_distiller_types():
    assert is_logit_only_distiller('SFDSegmentor')
    assert is_logit_only_distiller('SFDClassifier')
    assert not is_logit_only_distiller('EncoderDecoder')
    assert not is_logit_only_distiller('NoSuchModel')
    assert not is_logit_only_distiller(None)
