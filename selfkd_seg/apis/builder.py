"""One builder for a model used outside training.

:func:`build_inference_model` builds the model of a config for evaluation,
export or analysis, as mmseg's ``init_model`` does, and is what every part
of the package calls to get one: the demo and :func:`~selfkd_seg.apis.
inference.load_segmentor`, the ONNX export (``part='student'``), the
attention maps, the dataset browser and the complexity report (no
checkpoint: random weights).  :func:`prepare_model_cfg` is its first step,
the one place a model config is made buildable on one process without the
network:

* ``SyncBN`` becomes ``BN`` (one process: plain BN anyway; gloo on CPU
  refuses SyncBN);
* nothing is downloaded: the model's ``pretrained`` is dropped, every other
  truthy ``pretrained`` (a backbone's ``'imagenet'`` or URL) becomes
  ``None`` (``False`` where it was ``True``) and every ``init_cfg`` of type
  ``Pretrained`` is dropped; the weights come from the checkpoint;
* a teacher-student model (SFD) gets ``teacher_ckpt=None`` and
  ``allow_random_teacher=True``: the teacher's weights are in the training
  checkpoint (or not needed: the student is deployed alone);
* the config's top-level ``data_preprocessor`` is the model's default (as
  mmengine's ``Runner`` does).

Weights are read with ``weights_only`` semantics and loaded strictly by
:func:`~selfkd_seg.engine.student_loading.load_student_weights`: an exported
student, a baseline and a FRSKD/SFD training checkpoint all load, and a
checkpoint that does not fit names the file, the config and the keys.
"""
import copy
import os.path as osp
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict

from selfkd_seg.apis.config import (SUPPORTED_SCOPES, load_config,
                                    replace_sync_bn)

PARTS = ('student', 'full')


def _is_pretrained_init(init_cfg) -> bool:
    return isinstance(init_cfg, (dict, ConfigDict)) and str(
        init_cfg.get('type', '')) == 'Pretrained'


def _drop_downloads(node) -> None:
    """Below ``node``: truthy ``pretrained`` -> None / False, ``Pretrained``
    init configs dropped."""
    if isinstance(node, (dict, ConfigDict)):
        if node.get('pretrained'):
            node['pretrained'] = False if node['pretrained'] is True else None
        init_cfg = node.get('init_cfg')
        if _is_pretrained_init(init_cfg):
            node['init_cfg'] = None
        elif isinstance(init_cfg, (list, tuple)):
            kept = [c for c in init_cfg if not _is_pretrained_init(c)]
            if len(kept) != len(init_cfg):
                node['init_cfg'] = kept or None
        for key, value in node.items():
            if key != 'init_cfg':
                _drop_downloads(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _drop_downloads(value)


def prepare_model_cfg(cfg: Config, model_cfg=None):
    """Make ``model_cfg`` (default ``cfg.model``) buildable on one process
    without the network, in place (the module docstring lists the changes).

    Returns the model config.
    """
    model_cfg = cfg.model if model_cfg is None else model_cfg
    replace_sync_bn(model_cfg)
    model_cfg.pop('pretrained', None)
    _drop_downloads(model_cfg)
    if model_cfg.get('teacher_ckpt') or model_cfg.get('teacher'):
        model_cfg['teacher_ckpt'] = None
        model_cfg['allow_random_teacher'] = True
    if model_cfg.get('data_preprocessor') is None and cfg.get(
            'data_preprocessor') is not None:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    return model_cfg


def _build(cfg: Config,
           model_cfg=None,
           default_scope: Optional[str] = None) -> nn.Module:
    """The one construction: ``model_cfg`` (default ``cfg.model``) of
    ``cfg``, prepared in place by :func:`prepare_model_cfg`, built in the
    config's scope."""
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', default_scope))
    return MODELS.build(prepare_model_cfg(cfg, model_cfg))


def _as_config(config: Union[str, Config],
               cfg_options: Optional[dict]) -> Config:
    """A private copy of ``config`` (a path or a ``Config``), options
    applied, with a supported ``default_scope``."""
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        scope = cfg.get('default_scope')
        if scope not in SUPPORTED_SCOPES:
            raise ValueError(
                f'{cfg.filename or "the config"}: default_scope must be one '
                f'of {SUPPORTED_SCOPES}, got {scope!r}')
        return cfg
    return load_config(str(config), cfg_options)


def _training_only_parts(model: nn.Module) -> list:
    from selfkd_seg.models.utils.distill import DISTILL_ONLY_PREFIXES
    return [
        p for p in DISTILL_ONLY_PREFIXES if getattr(model, p, None) is not None
    ]


def _missing_training_weights(model: nn.Module, checkpoint: str) -> list:
    from selfkd_seg.engine.student_loading import read_state_dict
    from selfkd_seg.models.utils.distill import split_student_state_dict
    _, state = read_state_dict(checkpoint)
    _, model_extra = split_student_state_dict(model.state_dict())
    return [k for k in model_extra if k not in state]


def _checkpoint_dataset_meta(meta: dict) -> Optional[dict]:
    """Classes (and palette) saved in a checkpoint's ``meta``, as mmseg's
    ``init_model`` reads them."""
    if meta.get('dataset_meta'):
        return dict(meta['dataset_meta'])
    if 'CLASSES' in meta:
        return dict(classes=meta['CLASSES'], palette=meta.get('PALETTE'))
    return None


def build_inference_model(config: Union[str, Config],
                          checkpoint: Optional[str] = None,
                          *,
                          part: str = 'full',
                          device: str = 'cpu',
                          cfg_options: Optional[dict] = None,
                          require_training_weights: bool = False) -> nn.Module:
    """Build the model of ``config`` for inference and load ``checkpoint``.

    Args:
        config: a config file or a ``Config`` (copied, never changed).
        checkpoint: an exported student, a baseline or a FRSKD/SFD training
            checkpoint; ``None`` leaves the weights as built (random: the
            complexity report).  A missing file is a ``FileNotFoundError``
            before anything is built.
        part: ``'full'``: the config's model as it is, training-only parts
            (self-teacher, teacher, ...) included; their weights are loaded
            where the checkpoint has them and left as built otherwise
            (``model.load_info['training_modules_loaded']`` says which).
            ``'student'``: the deployable student only; the config must be
            the plain student config (the one an exported student loads
            into), a distillation config is a ``ValueError``; the
            checkpoint's training-only weights are left out.
        device: where the model is put (``'cpu'``, ``'cuda:0'``, ...).
        cfg_options: ``--cfg-options`` merged into the config first.
        require_training_weights: with ``part='full'``, every training-only
            weight of the model must come from the checkpoint (the attention
            maps need the trained self-teacher), else
            :class:`~selfkd_seg.engine.student_loading.
            CheckpointMismatchError` names them.

    Returns:
        The model in eval mode on ``device`` with ``cfg`` (the prepared
        config; ``test_pipeline`` filled from the test dataloader where the
        config has none), ``load_info`` (what :func:`~selfkd_seg.engine.
        student_loading.load_student_weights` returns; ``None`` without a
        checkpoint) and, where the checkpoint's ``meta`` names the classes,
        ``dataset_meta``.
    """
    from selfkd_seg.engine.student_loading import (CheckpointMismatchError,
                                                   load_student_weights)
    if part not in PARTS:
        raise ValueError(f'part must be one of {PARTS}, got {part!r}')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg = _as_config(config, cfg_options)
    name = config if isinstance(config, str) else (cfg.filename
                                                   or 'the config')
    if 'test_pipeline' not in cfg and (cfg.get('test_dataloader')
                                       or {}).get('dataset'):
        pipeline = cfg.test_dataloader.dataset.get('pipeline')
        if pipeline:  # mmseg's inference_model reads cfg.test_pipeline
            cfg.test_pipeline = pipeline
    model = _build(cfg)
    if part == 'student':
        extra = _training_only_parts(model)
        if extra:
            raise ValueError(
                f'{name} builds a {type(model).__name__} with training-only '
                f'parts ({", ".join(extra)}): the student alone is built '
                'from the plain student config (the baseline config the '
                'exported student loads into, e.g. '
                'configs/efficientdet_seg/efficientdet-d0_240it_toy.py for '
                'configs/frskd_seg/frskd_efficientdet-d0_240it_toy.py); the '
                'checkpoint may still be the FRSKD/SFD training checkpoint')
    info = None
    if checkpoint is not None:
        info = load_student_weights(model, checkpoint, name)
        if (require_training_weights and _training_only_parts(model)
                and not info['training_modules_loaded']):
            missing = _missing_training_weights(model, checkpoint)
            shown = ', '.join(missing[:5]) + (f', ... ({len(missing)} in all)'
                                              if len(missing) > 5 else '')
            raise CheckpointMismatchError(
                f'checkpoint {checkpoint} lacks training-only weights of the '
                f'model of {name} ({type(model).__name__}): {shown}. Pass '
                'the training checkpoint of this config (an exported '
                'student has no self-teacher)')
        dataset_meta = _checkpoint_dataset_meta(info['meta'])
        if dataset_meta:
            model.dataset_meta = dataset_meta
    model.cfg = cfg
    model.load_info = info
    return model.to(device).eval()


def build_analysis_model(cfg: Config,
                         model_cfg=None,
                         seed: Optional[int] = 0,
                         init_weights: bool = False) -> nn.Module:
    """Build ``model_cfg`` (default ``cfg.model``) of ``cfg`` for a
    measurement (the benchmarks of ``selfkd_research``): the construction of
    :func:`build_inference_model` (SyncBN as BN, no pretrained download, a
    random teacher instead of ``teacher_ckpt``, the config's data
    preprocessor), the parameters initialised after
    ``torch.manual_seed(seed)`` (no seeding for None) and, with
    ``init_weights``, ``init_weights()`` called; no checkpoint, the model as
    built (train mode).  ``cfg.model`` is changed in place when it is the
    one built."""
    if seed is not None:
        torch.manual_seed(seed)
    model = _build(cfg, model_cfg, default_scope='mmpretrain')
    if init_weights:
        model.init_weights()
    return model
