"""Paint segmentation predictions: one model, or baseline vs FRSKD student.

``demo/image_demo.py`` is a thin command line over :func:`run_demo`:

    python demo/image_demo.py IMG CONFIG CKPT --out-file result.png
    python demo/image_demo.py IMG BASE_CFG BASE_CKPT \
        --compare FRSKD_CFG FRSKD_CKPT --title baseline 'FRSKD student' \
        --attention --out-file compare.png

The picture is ``input | prediction [| prediction]``, each panel at the
image's size under a title band.  A checkpoint loads with the config it was
trained with or with the plain student config: the exported student
(``tools/export_student.py``) with the plain config, a FRSKD training
checkpoint with its FRSKD config (or with the plain config: the
self-teacher's weights are then left out).  ``attention`` also writes the
per-level attention maps of the student and its self-teacher
(:mod:`selfkd_seg.apis.attention`, FRSKD Fig. 3) for every model that has a
trained self-teacher, next to the picture (``<out>_attention.png``).
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from selfkd_seg.engine.student_loading import load_student_weights

from .attention import collect_attention, draw_attention_grid, level_names_of


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
        palette = [[0, 0, 0]] + rng.randint(
            0, 256, (len(classes) - 1, 3)).tolist()
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
    training checkpoint and a baseline checkpoint all load.

    Returns the model in eval mode with ``model.cfg``, ``model.dataset_meta``
    and ``model.demo_info`` (config, checkpoint, ``self_teacher_loaded``).
    """
    from mmseg.apis import init_model

    from selfkd_seg.apis.config import load_config, replace_sync_bn
    if not osp.isfile(checkpoint):  # before building the model
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg = load_config(config, cfg_options)
    if cfg.default_scope != 'mmseg':
        raise ValueError(f'{config}: the demo paints segmentation; this is '
                         f'a {cfg.default_scope!r} config')
    replace_sync_bn(cfg.model)
    cfg.model.pop('pretrained', None)
    if 'backbone' in cfg.model:
        cfg.model.backbone.pop('pretrained', None)  # never download here
    if 'test_pipeline' not in cfg:  # inference_model reads it
        cfg.test_pipeline = cfg.test_dataloader.dataset.pipeline
    model = init_model(cfg, None, device='cpu')

    info = load_student_weights(model, checkpoint, config)
    num_classes = getattr(getattr(model, 'decode_head', None), 'num_classes',
                          0)
    model.dataset_meta = _dataset_meta(info['meta'], cfg, num_classes)
    model.demo_info = dict(
        config=config,
        checkpoint=checkpoint,
        self_teacher_loaded=info['training_modules_loaded'])
    model.cfg = cfg
    return model.to(device or default_device()).eval()


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


def title_band(text: str, width: int, height: int) -> np.ndarray:
    """A white (height, width, 3) strip with ``text`` centred in black,
    shrunk to fit."""
    import cv2
    band = np.full((height, width, 3), 255, dtype=np.uint8)
    if not text:
        return band
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = min(0.65 * height / max(th, 1), (width - 4) / max(tw, 1))
    thickness = 2 if scale >= 1.2 else 1
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    org = ((width - tw) // 2, (height + th) // 2)
    cv2.putText(band, text, org, font, scale, (0, 0, 0), thickness,
                cv2.LINE_AA)
    return band


def side_by_side(panels: Sequence[np.ndarray],
                 titles: Sequence[str]) -> np.ndarray:
    """Panels left to right (each resized to the first's size) under a
    title band: width = number of panels x panel width."""
    import mmcv
    if len(panels) != len(titles):
        raise ValueError(f'{len(panels)} panels but {len(titles)} titles')
    h, w = panels[0].shape[:2]
    band_h = max(16, int(round(0.12 * h)))
    columns = []
    for panel, title in zip(panels, titles):
        if panel.shape[:2] != (h, w):
            panel = mmcv.imresize(panel, (w, h))
        columns.append(
            np.concatenate([title_band(title, w, band_h), panel], axis=0))
    return np.concatenate(columns, axis=1)


def model_inputs(model, img_path: str) -> Tuple[torch.Tensor, tuple]:
    """The network input of one image (the config's test pipeline without
    annotations, then the data preprocessor): (inputs, (H, W))."""
    from mmengine.dataset import Compose
    cfg = model.cfg
    pipeline = cfg.get('test_pipeline') or \
        cfg.test_dataloader.dataset.pipeline
    pipeline = Compose(
        [t for t in pipeline if 'Annotation' not in t['type']])
    sample = pipeline(dict(img_path=img_path))
    batch = model.data_preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]),
        False)
    return batch['inputs'], tuple(batch['inputs'].shape[-2:])


def draw_attention(model, img_path: str, image: np.ndarray,
                   out_file: str) -> str:
    """Student vs self-teacher attention per level (FRSKD Fig. 3)."""
    import mmcv
    inputs, (h, w) = model_inputs(model, img_path)
    maps = collect_attention(model, inputs)
    shown = mmcv.imresize(image, (w, h))  # the size the network saw
    return draw_attention_grid([shown], maps, out_file,
                               level_names_of(model, len(maps['student'])))


def default_titles(models: Sequence[Tuple[str, str]]) -> List[str]:
    """Config names; checkpoint names added where configs repeat."""
    stems = [osp.splitext(osp.basename(c))[0] for c, _ in models]
    if len(set(stems)) == len(stems):
        return stems
    return [
        f'{s} ({osp.splitext(osp.basename(k))[0]})'
        for s, (_, k) in zip(stems, models)
    ]


def attention_file(out_file: str, index: Optional[int] = None) -> str:
    stem, _ = osp.splitext(out_file)
    suffix = '' if index is None else f'_{index}'
    return f'{stem}_attention{suffix}.png'


def run_demo(img: str,
             models: Sequence[Tuple[str, str]],
             out_file: str,
             device: Optional[str] = None,
             opacity: float = 0.5,
             titles: Optional[Sequence[str]] = None,
             attention: bool = False,
             with_labels: bool = False) -> dict:
    """Paint the predictions of one or more (config, checkpoint) pairs.

    Writes ``input | model 1 | model 2 ...`` to ``out_file`` and, with
    ``attention``, ``<out_file stem>_attention.png`` (``_attention_<i>`` for
    the i-th model when several have a self-teacher).  Returns
    ``dict(out_file, attention_files, results)``.
    """
    import mmcv
    if not models:
        raise ValueError('give at least one (config, checkpoint) pair')
    image = read_image(img)  # fails early, naming the file
    titles = list(titles) if titles else default_titles(models)
    if len(titles) != len(models):
        raise ValueError(f'{len(titles)} titles for {len(models)} models')
    loaded = [load_segmentor(c, k, device) for c, k in models]
    if attention and not any(m.demo_info['self_teacher_loaded']
                             for m in loaded):
        raise ValueError(
            'attention maps compare the student with its self-teacher: give '
            'a FRSKD training checkpoint with its FRSKD config (an exported '
            'student or a baseline has no self-teacher); got '
            + ', '.join(f'{c} + {k}' for c, k in models))
    results, panels = [], [image]
    for model in loaded:
        result = predict(model, img)
        results.append(result)
        panels.append(
            paint_prediction(model, image, result, opacity, with_labels))
    picture = side_by_side(panels, ['input'] + titles)
    mmcv.imwrite(picture[..., ::-1], out_file)  # BGR on disk
    attention_files = []
    with_teacher = [i for i, m in enumerate(loaded)
                    if m.demo_info['self_teacher_loaded']]
    if attention:
        for i in with_teacher:
            path = attention_file(
                out_file, None if len(with_teacher) == 1 else i + 1)
            attention_files.append(
                draw_attention(loaded[i], img, image, path))
    return dict(
        out_file=out_file, attention_files=attention_files, results=results)
