"""Write the deployable student of a distillation checkpoint
(``tools/export_student.py`` is its command line)."""
import io
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from selfkd_seg.engine.checkpoint_io import atomic_write_bytes
from selfkd_seg.engine.student_loading import read_state_dict
from selfkd_seg.models.utils.distill import (DISTILL_ONLY_PREFIXES,
                                             split_student_state_dict)


def check_output_path(src: str, dst: str, force: bool = False) -> None:
    """Refuse to write ``dst`` over ``src`` or, without ``force``, any file.

    Raises:
        ValueError: ``dst`` is ``src`` (the same file, also through links):
            the training checkpoint would be replaced by its student.
        FileExistsError: ``dst`` exists and ``force`` is False.
    """
    if osp.exists(dst) and osp.exists(src) and osp.samefile(src, dst):
        raise ValueError(
            f'refusing to export into the input checkpoint {src!r}: the '
            'training checkpoint (with its self-teacher/teacher, optimizer '
            'and resume state) would be lost; choose another output file')
    if osp.exists(dst) and not force:
        raise FileExistsError(
            f'output file {dst!r} exists; pass force=True (--force) to '
            'replace it, or choose another output file')


def checkpoint_model_type(ckpt: dict) -> Optional[str]:
    """``model.type`` of the config an mmengine runner saved in the
    checkpoint's ``meta['cfg']`` (text), or None if there is none."""
    text = (ckpt.get('meta') or {}).get('cfg')
    if not isinstance(text, str):
        return None
    try:
        cfg = Config.fromstring(text, file_format='.py')
    except Exception:  # noqa: BLE001  (an unreadable config: type unknown)
        return None
    model = cfg.get('model')
    return model.get('type') if isinstance(model, dict) else None


def is_logit_only_distiller(model_type: Optional[str]) -> bool:
    """Whether ``model_type`` is a teacher-student distiller: with a logit
    term only (KD, CWD, DIST: no integrator, no trainable loss) and the
    teacher left out of checkpoints (``save_teacher=False``), its
    checkpoints hold the student's weights and nothing else."""
    if not model_type:
        return False
    from selfkd_seg.models.distillers.teacher_student import \
        TeacherStudentMixin
    from selfkd_seg.registry import MODELS
    try:
        cls = MODELS.get(model_type)
    except Exception:  # noqa: BLE001
        cls = None
    if cls is None:
        from mmseg.registry import MODELS as SEG_MODELS
        cls = SEG_MODELS.get(model_type)
    return isinstance(cls, type) and issubclass(cls, TeacherStudentMixin)


def export_student_checkpoint(src: str, dst: str, force: bool = False) -> dict:
    """Drop self-teacher / teacher / integrator weights from ``src``.

    The result holds ``state_dict`` (student only) and ``meta`` (dataset
    classes and palette, so ``mmseg.apis.init_model`` names the classes), and
    loads strictly into the plain student config (``EncoderDecoder`` or
    ``ImageClassifier``).  Optimizer, scheduler and hook states are dropped.

    A teacher-student checkpoint with a logit term only (KD, CWD, DIST
    through ``SFDSegmentor`` / ``SFDClassifier``: no integrator, teacher not
    saved) holds the student alone; it is recognised by the model type in
    its saved config and exported as it is.

    Returns a summary dict (kept/dropped key counts and parameter counts).
    Raises ``ValueError`` if ``src`` holds no training-only weights and is
    no such checkpoint (it is not a distillation checkpoint, or was
    exported already) or if ``dst`` is
    ``src``, and ``FileExistsError`` if ``dst`` exists and ``force`` is
    False (:func:`check_output_path`).
    """
    if not osp.isfile(src):
        raise FileNotFoundError(f'checkpoint {src!r} does not exist')
    check_output_path(src, dst, force)
    ckpt, state_dict = read_state_dict(src)
    student, dropped = split_student_state_dict(state_dict)
    model_type = checkpoint_model_type(ckpt)
    if not dropped and not is_logit_only_distiller(model_type):
        raise ValueError(
            f'{src} has no training-only weights (none of the top-level '
            f'modules {DISTILL_ONLY_PREFIXES}) and its model '
            f'({model_type or "type not recorded"}) is no distiller whose '
            'checkpoints can lack them: it is not a FRSKD/SFD/KD '
            'checkpoint, or the student was exported already')
    meta = dict(ckpt.get('meta', {}) or {})
    meta = {
        k: v
        for k, v in meta.items()
        if k in ('dataset_meta', 'CLASSES', 'PALETTE', 'mmengine_version',
                 'experiment_name', 'epoch', 'iter')
    }
    meta['exported_from'] = osp.basename(src)
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=student), buffer)
    atomic_write_bytes(buffer.getvalue(), dst)  # never a truncated dst
    dropped_roots = sorted({k.split('.', 1)[0] for k in dropped})
    return dict(
        kept_keys=len(student),
        dropped_keys=len(dropped),
        dropped_modules=dropped_roots,
        student_params=sum(v.numel() for v in student.values()
                           if v.is_floating_point()),
        dropped_params=sum(v.numel() for v in dropped.values()
                           if v.is_floating_point()))
