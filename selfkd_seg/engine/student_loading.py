"""Load the student of a checkpoint into a model, strictly.

A FRSKD/SFD training checkpoint holds the student under the plain model's
names plus training-only modules (``self_teacher``, ``teacher``,
``integrator``, ...).  :func:`load_student_weights` (the demo, the ONNX
export, ``export_student_checkpoint``) loads it into the plain student or the
distillation model and names every mismatch.  mmengine's own loading
(``tools/test.py BASELINE_CFG FRSKD_CKPT``, ``mmseg.apis.init_model``,
``load_from``) is left as mmengine has it: it loads the student and warns
once, listing the training-only keys as "unexpected key in source
state_dict"; ``tools/export_student.py`` writes a checkpoint without them.
"""
import os.path as osp
from collections import OrderedDict
from typing import Sequence, Tuple

import torch

from selfkd_seg.compat import safe_torch_load
from selfkd_seg.models.utils.distill import split_student_state_dict


class CheckpointMismatchError(ValueError):
    """The checkpoint's weights do not fit the config's model."""


def read_state_dict(checkpoint: str) -> Tuple[dict, OrderedDict]:
    """``(checkpoint dict, state dict)`` of a checkpoint file.

    Read with ``weights_only`` semantics; the ``module.`` prefix of weights
    saved from a DDP-wrapped model is removed. A missing file, a file that is
    not a checkpoint dict, or one without a state dict of tensors is an error
    that names the file.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise ValueError(f'{checkpoint}: expected a checkpoint dict, got '
                         f'{type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    if not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{checkpoint}: no "state_dict" of tensors found '
                         f'(top-level keys: {sorted(ckpt)[:10]})')
    return ckpt, OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())


def _key_list(keys: Sequence[str], limit: int = 5) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys)} in all)' if len(keys) > limit else '')


def load_student_weights(model,
                         checkpoint: str,
                         config: str = 'the config') -> dict:
    """Load the student of ``checkpoint`` into ``model``, strictly.

    The checkpoint may be an exported student, a baseline checkpoint or a
    FRSKD/SFD training checkpoint. Every student weight (backbone, neck,
    heads) of the model must be in the checkpoint with the same shape and the
    checkpoint may hold no other student weight, or
    :class:`CheckpointMismatchError` names the file, the config and the keys.
    Training-only weights (self-teacher, teacher, ...) are loaded where the
    model has those modules (a FRSKD config) and left out otherwise.

    Returns a dict: ``checkpoint``, ``student_tensors``, ``dropped_tensors``
    and ``dropped_modules`` (training-only weights left out),
    ``training_modules_loaded`` (every training-only weight the model has
    came from the checkpoint), ``meta`` (the checkpoint's) and
    ``dataset_meta``.
    """
    ckpt, state = read_state_dict(checkpoint)
    student, extra = split_student_state_dict(state)
    model_student, model_extra = split_student_state_dict(model.state_dict())
    kept = OrderedDict((k, v) for k, v in extra.items() if k in model_extra)
    dropped = [k for k in extra if k not in kept]
    expected = {**model_student, **model_extra}
    missing = [k for k in model_student if k not in student]
    unexpected = [k for k in student if k not in model_student]
    shapes = [
        f'{k}: checkpoint {tuple(v.shape)} vs model '
        f'{tuple(expected[k].shape)}' for k, v in {
            **student,
            **kept
        }.items() if k in expected and v.shape != expected[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f'{len(missing)} weights of the model are missing '
                         f'from the checkpoint: {_key_list(missing)}')
        if unexpected:
            parts.append(f'{len(unexpected)} weights of the checkpoint are '
                         f'not in the model: {_key_list(unexpected)}')
        if shapes:
            parts.append(f'{len(shapes)} weights have another shape: '
                         f'{_key_list(shapes, 3)}')
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint} does not fit the model of {config} '
            f'({type(model).__name__}): ' + '; '.join(parts) +
            '. Pass the config the checkpoint was trained with, or the plain '
            'student config for an exported student.')
    model.load_state_dict({**student, **kept}, strict=not model_extra)
    meta = dict(ckpt.get('meta', {}) or {})
    return dict(
        checkpoint=checkpoint,
        student_tensors=len(student),
        dropped_tensors=len(dropped),
        dropped_modules=sorted({k.split('.', 1)[0]
                                for k in dropped}),
        training_modules_loaded=bool(model_extra)
        and all(k in kept for k in model_extra),
        meta=meta,
        dataset_meta=dict(meta.get('dataset_meta', {}) or {}))
