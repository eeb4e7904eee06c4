"""Draw a few samples of a config's dataset with their masks into a PNG.

:func:`browse_dataset` draws them; ``tools/visualization/browse_dataset.py``
is its command line::

    python tools/visualization/browse_dataset.py CONFIG --out browse.png
    python tools/visualization/browse_dataset.py CONFIG --checkpoint CKPT \
        --split val --num 8 --cols 2 --out predictions.png

One tile per image: the image, the ground truth over it and, given a
checkpoint, the prediction over it, both painted by mmseg's
``SegLocalVisualizer`` (as ``demo.py`` paints); a legend of the class colours
at the bottom (ignore pixels are left unpainted, darkened).  Images are shown
as loaded
(no augmentation), so this checks the annotations as the dataset serves
them, e.g. right after converting your own COCO-format data.
"""
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.registry import init_default_scope
from PIL import Image, ImageDraw

from selfkd_seg.apis.config import load_config
from selfkd_seg.apis.inference import paint_labels

CAPTION = 12  # pixels of caption under each panel


def overlay(img: np.ndarray, labels: np.ndarray, meta: dict,
            alpha: float) -> np.ndarray:
    """The RGB image with the label map's classes blended in by mmseg's
    ``SegLocalVisualizer`` (as ``demo.py`` paints predictions):
    ``(1 - alpha) * image + alpha * palette colour``; pixels with no class
    (ignore) darkened."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    sample = SegDataSample(
        gt_sem_seg=PixelData(
            data=torch.from_numpy(np.ascontiguousarray(labels)[None])))
    return paint_labels(
        np.ascontiguousarray(img), sample, meta, alpha, gt=True)


def _fit(img: np.ndarray, size: int) -> Image.Image:
    """Letterbox into a size x size square (nearest: labels stay crisp)."""
    h, w = img.shape[:2]
    scale = size / max(h, w)
    resized = Image.fromarray(img).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.NEAREST)
    canvas = Image.new('RGB', (size, size), (40, 40, 40))
    canvas.paste(resized,
                 ((size - resized.width) // 2, (size - resized.height) // 2))
    return canvas


def draw_grid(tiles,
              classes,
              palette,
              out: str,
              tile_size: int = 192,
              cols: int = 2) -> Image.Image:
    """Write the grid PNG.

    Args:
        tiles (list[list[tuple[str, np.ndarray]]]): Per sample, its panels
            as (caption, RGB uint8 image).
        classes (Sequence[str]): Class names for the legend.
        palette (Sequence): Their colours.
    """
    panels = max(len(t) for t in tiles)
    tile_w, tile_h = panels * tile_size, tile_size + CAPTION
    rows = (len(tiles) + cols - 1) // cols
    legend_h = 16 * ((len(classes) + 4) // 5) + 4
    grid = Image.new('RGB', (cols * tile_w, rows * tile_h + legend_h),
                     (255, 255, 255))
    draw = ImageDraw.Draw(grid)
    for idx, tile in enumerate(tiles):
        x0, y0 = (idx % cols) * tile_w, (idx // cols) * tile_h
        for p, (caption, img) in enumerate(tile):
            grid.paste(_fit(img, tile_size), (x0 + p * tile_size, y0))
            draw.text((x0 + p * tile_size + 2, y0 + tile_size),
                      caption[:tile_size // 6],
                      fill=(0, 0, 0))
    y = rows * tile_h + 2
    for i, (name, colour) in enumerate(zip(classes, palette)):
        x = (i % 5) * 120 + 4
        yy = y + (i // 5) * 16
        draw.rectangle([x, yy, x + 12, yy + 12],
                       fill=tuple(colour),
                       outline=(0, 0, 0))
        draw.text((x + 16, yy), str(name)[:16], fill=(0, 0, 0))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    grid.save(out)
    return grid


def build_dataset(cfg, split: str):
    """The split's dataset with loading-only transforms."""
    from mmseg.registry import DATASETS
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'the config has no {key}')
    dataset_cfg = cfg[key].dataset.copy()
    pipeline = dataset_cfg.get('pipeline', [])
    dataset_cfg.pipeline = [t for t in pipeline if 'Load' in t['type']]
    return DATASETS.build(dataset_cfg)


def browse_dataset(config: str,
                   out: str = 'browse_dataset.png',
                   *,
                   checkpoint: Optional[str] = None,
                   split: str = 'train',
                   num: int = 8,
                   start: int = 0,
                   cols: int = 2,
                   tile_size: int = 192,
                   alpha: float = 0.6,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None) -> dict:
    """Draw images ``start`` .. ``start + num - 1`` of the ``split`` set of
    ``config`` with their ground truth and, given a ``checkpoint``, the
    prediction of the config's model
    (:func:`~selfkd_seg.apis.builder.build_inference_model`) into the PNG
    ``out``, ``cols`` tiles per row, ``tile_size`` pixels per panel.

    Returns ``dict(out=out, images=<number drawn>, split=split)``.
    """
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = build_dataset(cfg, split)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    model = None
    if checkpoint:
        from mmseg.apis import inference_model

        from selfkd_seg.apis.builder import build_inference_model
        model = build_inference_model(
            cfg, checkpoint, part='full', device=device)
    indices = range(start, min(start + num, len(dataset)))
    if not indices:
        raise ValueError(f'--start {start} is past the end of the '
                         f'{split} set ({len(dataset)} images)')
    tiles = []
    for idx in indices:
        sample = dataset[idx]
        img = sample['img'][..., ::-1]  # BGR -> RGB
        name = osp.basename(sample['img_path'])
        tile = [(name, img)]
        if 'gt_seg_map' in sample:
            tile.append(('ground truth',
                         overlay(img, sample['gt_seg_map'], dataset.metainfo,
                                 alpha)))
        if model is not None:
            pred = inference_model(model, sample['img_path'])
            tile.append(('prediction',
                         paint_labels(
                             np.ascontiguousarray(img), pred, dataset.metainfo,
                             alpha)))
        tiles.append(tile)
    draw_grid(tiles, classes, palette, out, tile_size, cols)
    return dict(out=out, images=len(tiles), split=split)
