"""Attention maps of the student and of the self-teacher (FRSKD Fig. 3).

:func:`attention_maps` draws them for a config, a checkpoint and images;
``tools/visualization/attention_maps.py`` is its command line::

    python tools/visualization/attention_maps.py CONFIG CKPT IMG [IMG ...] \
        --out attention.png
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F


def attention_map(feat: torch.Tensor) -> torch.Tensor:
    """Spatial attention ``mean_c(f^2)`` of a (B, C, H, W) map, scaled to
    [0, 1] per sample for display (the AT loss L2-normalizes it instead)."""
    att = feat.float().pow(2).mean(1)
    flat = att.flatten(1)
    lo = flat.min(1).values.view(-1, 1, 1)
    hi = flat.max(1).values.view(-1, 1, 1)
    return (att - lo) / (hi - lo).clamp_min(1e-12)


@torch.no_grad()
def collect_attention(model, inputs: torch.Tensor) -> dict:
    """Per-level attention maps of the student and the self-teacher.

    ``model`` is a FRSKD model (segmentor or classifier) with
    ``self_teacher_forward(inputs)`` returning ``student_feats`` and
    ``teacher_feats``.  Returns lists (one tensor (B, H, W) per level).
    """
    if not hasattr(model, 'self_teacher_forward'):
        raise TypeError(f'{type(model).__name__} has no self-teacher: '
                        'attention maps compare the student with its '
                        'self-teacher (FRSKD models only)')
    model.eval()
    out = model.self_teacher_forward(inputs)
    return dict(
        student=[attention_map(f) for f in out['student_feats']],
        teacher=[attention_map(f) for f in out['teacher_feats']])


def draw_attention_grid(images: Sequence[np.ndarray],
                        maps: dict,
                        out_file: str,
                        level_names: Sequence[str] = None,
                        dpi: int = 100) -> str:
    """Rows: images; columns: the image, then student | self-teacher per
    level.  ``images`` are RGB uint8 arrays.  Writes a PNG; returns its path.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    num_levels = len(maps['student'])
    names = list(level_names or [f'L{i}' for i in range(num_levels)])
    cols = 1 + 2 * num_levels
    rows = len(images)
    fig, axes = plt.subplots(
        rows, cols, figsize=(1.6 * cols, 1.7 * rows), squeeze=False)
    for r, image in enumerate(images):
        h, w = image.shape[:2]
        axes[r][0].imshow(image)
        axes[r][0].set_title('image' if r == 0 else '', fontsize=8)
        for lvl in range(num_levels):
            for k, side in enumerate(('student', 'teacher')):
                att = maps[side][lvl][r][None, None]
                att = F.interpolate(att, size=(h, w), mode='nearest')[0, 0]
                ax = axes[r][1 + 2 * lvl + k]
                ax.imshow(att.cpu().numpy(), cmap='jet', vmin=0, vmax=1)
                if r == 0:
                    who = 'student' if side == 'student' else 'self-teacher'
                    ax.set_title(f'{names[lvl]} {who}', fontsize=7)
    for ax in np.ravel(axes):
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(out_file, dpi=dpi)
    plt.close(fig)
    return out_file


def level_names_of(model, num_levels: int) -> List[str]:
    neck = getattr(model, 'neck', None)
    if neck is not None and hasattr(neck, 'min_level'):
        return [f'P{neck.min_level + i}' for i in range(num_levels)]
    return [f'stage{i + 1}' for i in range(num_levels)]


def inference_pipeline_of(cfg) -> list:
    """The config's test pipeline without its annotation loading (no ground
    truth at inference time)."""
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    return [t for t in pipeline if 'Annotation' not in t['type']]


def attention_maps(config: str,
                   checkpoint: str,
                   images: Sequence[str],
                   out: str = 'attention_maps.png',
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None) -> str:
    """Draw per-level attention maps of the student and of the self-teacher.

    One row per image: the image, then for every BiFPN level (segmentation)
    or backbone stage (classification) the student's and the self-teacher's
    attention ``mean_c(f^2)``.  ``config`` is the FRSKD config the
    checkpoint was trained with; every weight of its model, the
    self-teacher's included, must be in ``checkpoint``.  Writes ``out`` (a
    PNG) and returns its path.
    """
    import mmcv
    from mmengine.dataset import Compose

    import selfkd_seg  # noqa: F401  (registers the models)
    from selfkd_seg.apis.builder import build_inference_model

    model = build_inference_model(
        config,
        checkpoint,
        part='full',
        device=device,
        cfg_options=cfg_options,
        require_training_weights=True)
    pipeline = Compose(inference_pipeline_of(model.cfg))
    samples, shown_images = [], []
    for path in images:
        if not osp.isfile(path):
            raise FileNotFoundError(f'image {path!r} does not exist')
        samples.append(pipeline(dict(img_path=path)))
        shown_images.append(mmcv.imread(path, channel_order='rgb'))
    batch = model.data_preprocessor(
        dict(
            inputs=[s['inputs'] for s in samples],
            data_samples=[s['data_samples'] for s in samples]), False)
    maps = collect_attention(model, batch['inputs'])
    # show each image at the size the network saw
    shown = [
        mmcv.imresize(img, tuple(batch['inputs'].shape[-1:-3:-1]))
        for img in shown_images
    ]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    draw_attention_grid(shown, maps, out,
                        level_names_of(model, len(maps['student'])))
    return out
