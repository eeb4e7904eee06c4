"""A frozen, pretrained teacher for teacher-student distillers.

Shared by :class:`SFDSegmentor` and :class:`SFDClassifier`:

- :func:`build_teacher` builds the teacher from its model config, loads
  ``teacher_ckpt`` strictly (an error names the file and the missing /
  unexpected keys or shape mismatches) and freezes it: no parameter requires
  grad, it is in eval mode, and ``init_weights`` of the distiller leaves it
  alone.
- :func:`set_teacher_mode` keeps it in eval mode whenever the distiller's
  ``train()`` is called; ``norm_eval=False`` puts only its norm layers in
  train mode (Overhaul's choice: batch statistics, running stats updated).
- :func:`register_teacher_state_hooks` keeps the teacher out of the
  distiller's checkpoints (it is reloaded from ``teacher_ckpt`` when the
  distiller is built) and lets a checkpoint without teacher keys load
  strictly.
"""
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Mapping, Optional

import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm


def _teacher_state_dict(checkpoint, path: str) -> Mapping:
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f'teacher checkpoint {path} holds a '
                        f'{type(checkpoint).__name__}, expected a dict')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if 'model' in checkpoint and 'state_dict' not in checkpoint:
        raise KeyError(
            f'teacher checkpoint {path} looks like a RepDistiller/Overhaul '
            "checkpoint (key 'model'); convert it to this project's names "
            'first (tools/model_converters)')
    # checkpoints saved from DDP-wrapped models
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = OrderedDict(
            (k[len('module.'):], v) for k, v in state_dict.items())
    return state_dict


def load_teacher_checkpoint(teacher: nn.Module,
                            path: str,
                            map_location: str = 'cpu') -> None:
    """Load ``path`` into ``teacher`` strictly, with a readable error."""
    is_local = '://' not in str(path)
    if is_local and not osp.isfile(path):
        raise FileNotFoundError(
            f'teacher checkpoint not found: {path} (set teacher_ckpt to the '
            'trained teacher; see docs/sfd.md, "Getting teachers")')
    state_dict = _teacher_state_dict(
        _load_checkpoint(path, map_location=map_location), path)
    expected = teacher.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
        f'{tuple(v.shape)}' for k, v in expected.items()
        if k in state_dict and hasattr(state_dict[k], 'shape')
        and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or mismatched:

        def show(keys):
            more = f' ... (+{len(keys) - 8} more)' if len(keys) > 8 else ''
            return f'{keys[:8]}{more}'

        raise RuntimeError(
            f'teacher checkpoint {path} does not match the teacher config '
            f'({type(teacher).__name__}); is it another architecture?\n'
            f'  missing keys ({len(missing)}): {show(missing)}\n'
            f'  unexpected keys ({len(unexpected)}): {show(unexpected)}\n'
            f'  shape mismatches ({len(mismatched)}): {show(mismatched)}')
    teacher.load_state_dict(state_dict, strict=True)


def set_teacher_mode(teacher: nn.Module, norm_eval: bool = True) -> None:
    """Eval mode; with ``norm_eval=False`` the norm layers train (Overhaul)."""
    teacher.eval()
    if not norm_eval:
        for m in teacher.modules():
            norms = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)
            if isinstance(m, norms):
                m.train()


def build_teacher(cfg: dict,
                  registry,
                  teacher_ckpt: Optional[str],
                  allow_random_teacher: bool = False) -> nn.Module:
    """Build, load and freeze a teacher.

    Args:
        cfg (dict): The teacher's model config (as in its own training
            config).
        registry: Registry to build it with (mmseg's or mmpretrain's MODELS).
        teacher_ckpt (str, optional): Checkpoint written by training the
            teacher with that config (``state_dict`` or a bare state dict).
        allow_random_teacher (bool): Permit ``teacher_ckpt=None`` (a randomly
            initialised teacher, with a warning): for tests and toy runs only.
    """
    teacher = registry.build(cfg) if isinstance(cfg, dict) else cfg
    if teacher_ckpt is None:
        if not allow_random_teacher:
            raise ValueError(
                'teacher_ckpt is required: distilling from an untrained '
                'teacher is meaningless (set allow_random_teacher=True only '
                'for tests and toy runs)')
        warnings.warn('teacher_ckpt is None: the teacher is randomly '
                      'initialised (allow_random_teacher=True)')
        if hasattr(teacher, 'init_weights'):
            teacher.init_weights()
    else:
        load_teacher_checkpoint(teacher, teacher_ckpt)
    teacher.requires_grad_(False)
    teacher.eval()
    # mmengine's BaseModule.init_weights skips children with is_init set, so
    # the runner's init_weights() does not overwrite the loaded weights.
    teacher._is_init = True
    return teacher


def register_teacher_state_hooks(owner: nn.Module,
                                 name: str = 'teacher',
                                 save_teacher: bool = False) -> None:
    """Keep ``owner.<name>`` out of checkpoints; load checkpoints without it.

    - ``save_teacher=False``: the teacher's keys are dropped from every
      ``state_dict()`` of ``owner`` (and from mmengine's ``get_state_dict``),
      so training checkpoints hold only what trains.  ``owner.teacher
      .state_dict()`` itself is untouched.
    - Loading: if the incoming state dict has no key of the teacher, the
      teacher keeps its current weights (loaded from ``teacher_ckpt`` at
      build time) and no key is reported missing.  A checkpoint that does
      carry teacher keys (``save_teacher=True``) loads them normally.
    """
    teacher = getattr(owner, name)

    def drop_teacher_keys(module, state_dict, prefix, local_metadata):
        for key in [
                k for k in state_dict if k.startswith(prefix + name + '.')
        ]:
            del state_dict[key]
        return state_dict

    def fill_missing_teacher_keys(module, state_dict, prefix, *args):
        if not any(k.startswith(prefix) for k in state_dict):
            state_dict.update(module.state_dict(prefix=prefix))

    if not save_teacher:
        owner._register_state_dict_hook(drop_teacher_keys)
    teacher._register_load_state_dict_pre_hook(
        fill_missing_teacher_keys, with_module=True)
