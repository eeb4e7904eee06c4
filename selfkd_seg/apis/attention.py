"""Attention maps of the student and of the self-teacher (FRSKD Fig. 3)."""
from typing import List, Sequence

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
