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
(:mod:`selfkd_seg.analysis.attention`, FRSKD Fig. 3) for every model that has a
trained self-teacher, next to the picture (``<out>_attention.png``).
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from selfkd_seg.apis.inference import (load_segmentor, paint_prediction,
                                       predict, read_image)
from .attention import collect_attention, draw_attention_grid, level_names_of


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
    pipeline = Compose([t for t in pipeline if 'Annotation' not in t['type']])
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
            'student or a baseline has no self-teacher); got ' +
            ', '.join(f'{c} + {k}' for c, k in models))
    results, panels = [], [image]
    for model in loaded:
        result = predict(model, img)
        results.append(result)
        panels.append(
            paint_prediction(model, image, result, opacity, with_labels))
    picture = side_by_side(panels, ['input'] + titles)
    mmcv.imwrite(picture[..., ::-1], out_file)  # BGR on disk
    attention_files = []
    with_teacher = [
        i for i, m in enumerate(loaded) if m.demo_info['self_teacher_loaded']
    ]
    if attention:
        for i in with_teacher:
            path = attention_file(out_file,
                                  None if len(with_teacher) == 1 else i + 1)
            attention_files.append(draw_attention(loaded[i], img, image, path))
    return dict(
        out_file=out_file, attention_files=attention_files, results=results)
