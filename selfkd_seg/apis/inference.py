"""Inference for a full distillation model or an exported student.

:func:`load_segmentor` loads a checkpoint with the config it was trained with
or with the plain student config: the exported student
(``tools/export_student.py``) with the plain config, a FRSKD training
checkpoint with its FRSKD config (or with the plain config: the
self-teacher's weights are then left out).  :func:`predict` runs one image,
:func:`paint_prediction` blends the predicted classes into it.  The
side-by-side comparison picture of ``demo/image_demo.py`` is
:mod:`selfkd_seg.analysis.demo`.
"""
import os.path as osp
from typing import Optional

import numpy as np
import torch


def read_image(path: str) -> np.ndarray:
    """An image file as an RGB uint8 array; errors name the file."""
    import mmcv

    from selfkd_seg.datasets.transforms.loading import CorruptDataError
    if not osp.isfile(path):
        raise FileNotFoundError(f'image file {path!r} does not exist')
    with open(path, 'rb') as f:
        content = f.read()
    try:
        image = mmcv.imfrombytes(content, channel_order='rgb')
    except Exception as err:  # noqa: BLE001 (re-raised with the file name)
        raise CorruptDataError(
            f'cannot decode image file {path!r} (corrupt, truncated or not '
            f'an image): {type(err).__name__}: {err}') from err
    if image is None:
        raise CorruptDataError(
            f'cannot decode image file {path!r} (corrupt, truncated or not '
            'an image)')
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image


def default_device() -> str:
    return 'cuda:0' if torch.cuda.is_available() else 'cpu'


def _dataset_meta(meta: dict, cfg, num_classes: int) -> dict:
    """Classes and palette: the checkpoint's ``meta``, else the config's
    dataset's."""
    if meta.get('dataset_meta'):
        found = dict(meta['dataset_meta'])
    elif 'CLASSES' in meta:
        found = dict(classes=meta['CLASSES'], palette=meta.get('PALETTE'))
    else:
        found = {}
        loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
        dataset = loader.get('dataset', {}) or {}
        found.update(dataset.get('metainfo', {}) or {})
        if 'classes' not in found:
            from mmseg.registry import DATASETS
            try:
                found = {**DATASETS.get(dataset['type']).METAINFO, **found}
            except Exception:  # noqa: BLE001 (no usable dataset class)
                pass
    classes = found.get('classes') or [str(i) for i in range(num_classes)]
    palette = found.get('palette')
    if not palette or len(palette) < len(classes):
        rng = np.random.RandomState(0)
        palette = [[0, 0, 0]] + rng.randint(0, 256,
                                            (len(classes) - 1, 3)).tolist()
    return dict(classes=tuple(classes), palette=[list(p) for p in palette])


def load_segmentor(config: str,
                   checkpoint: str,
                   device: Optional[str] = None,
                   cfg_options: Optional[dict] = None):
    """Build the model of an mmseg ``config`` and load ``checkpoint``.

    Every weight the prediction needs (backbone, neck, heads) must be in the
    checkpoint and nothing else of the student may be there, or the error
    names both files and some of the keys.  Training-only weights
    (self-teacher, teacher, ...) are loaded where the config has those
    modules and left out otherwise, so the exported student, a FRSKD
    training checkpoint and a baseline checkpoint all load
    (:func:`~selfkd_seg.apis.builder.build_inference_model`,
    ``part='full'``).

    Returns the model in eval mode with ``model.cfg``, ``model.dataset_meta``
    and ``model.demo_info`` (config, checkpoint, ``self_teacher_loaded``).
    """
    from selfkd_seg.apis.builder import build_inference_model
    from selfkd_seg.apis.config import load_config
    if not osp.isfile(checkpoint):  # before building the model
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg = load_config(config, cfg_options)
    if cfg.default_scope != 'mmseg':
        raise ValueError(f'{config}: the demo paints segmentation; this is '
                         f'a {cfg.default_scope!r} config')
    model = build_inference_model(
        cfg, checkpoint, part='full', device=device or default_device())
    info = model.load_info
    num_classes = getattr(
        getattr(model, 'decode_head', None), 'num_classes', 0)
    model.dataset_meta = _dataset_meta(info['meta'], model.cfg, num_classes)
    model.demo_info = dict(
        config=config,
        checkpoint=checkpoint,
        self_teacher_loaded=info['training_modules_loaded'])
    return model


def predict(model, img_path: str):
    """mmseg's ``inference_model`` on one image file (a ``SegDataSample``
    whose ``pred_sem_seg`` has the image's size)."""
    from mmseg.apis import inference_model
    return inference_model(model, img_path)


def paint_labels(image: np.ndarray,
                 data_sample,
                 dataset_meta: dict,
                 opacity: float = 0.5,
                 with_labels: bool = False,
                 gt: bool = False) -> np.ndarray:
    """The RGB ``image`` with the classes of ``data_sample`` blended in by
    mmseg's ``SegLocalVisualizer`` (``dataset_meta``'s classes and palette):
    its prediction (``pred_sem_seg``) or, with ``gt``, its ground truth
    (``gt_sem_seg``); same size as ``image``."""
    from mmseg.visualization import SegLocalVisualizer
    if not 0 < opacity <= 1:
        raise ValueError(f'opacity must be in (0, 1], got {opacity}')
    visualizer = SegLocalVisualizer(name='selfkd_demo', alpha=opacity)
    visualizer.dataset_meta = dict(
        classes=dataset_meta['classes'], palette=dataset_meta['palette'])
    visualizer.add_datasample(
        'ground truth' if gt else 'prediction',
        image,
        data_sample=data_sample,
        draw_gt=gt,
        draw_pred=not gt,
        show=False,
        with_labels=with_labels)
    return visualizer.get_image()


def paint_prediction(model,
                     image: np.ndarray,
                     result,
                     opacity: float = 0.5,
                     with_labels: bool = False) -> np.ndarray:
    """The RGB ``image`` with the predicted classes blended in
    (:func:`paint_labels`, the model's palette)."""
    return paint_labels(image, result, model.dataset_meta, opacity,
                        with_labels)
