"""A tiny generated image-folder classification dataset (for smoke tests).

``make_toy_cls(root)`` writes ImageNet-style folders ``root/<split>/<class>/
*.png`` of 32x32 coloured shapes, which mmpretrain's ``CustomDataset`` reads
without an annotation file.  Each class is a (shape, colour) pair, so the task
is learnable in a few iterations; backgrounds and positions are random.
"""
import os.path as osp
from typing import Dict, Sequence

import numpy as np
from mmengine.utils import mkdir_or_exist
from PIL import Image

TOY_CLS_CLASSES = ('red_square', 'green_disc', 'blue_triangle', 'yellow_bar')
_COLOURS = dict(
    red=(220, 40, 40),
    green=(40, 200, 60),
    blue=(50, 70, 230),
    yellow=(230, 210, 40))


def _draw(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    img = rng.integers(0, 80, (size, size, 3), dtype=np.uint8)
    colour_name, shape = name.split('_')
    colour = np.array(_COLOURS[colour_name], dtype=np.uint8)
    r = int(rng.integers(size // 5, size // 3))
    cy, cx = rng.integers(r, size - r, 2)
    yy, xx = np.mgrid[:size, :size]
    if shape == 'square':
        mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
    elif shape == 'disc':
        mask = (yy - cy)**2 + (xx - cx)**2 <= r * r
    elif shape == 'triangle':
        mask = (yy >= cy - r) & (yy <= cy + r) & (
            abs(xx - cx) <= (yy - cy + r) / 2)
    else:  # bar
        mask = (abs(yy - cy) <= max(r // 3, 1)) & (abs(xx - cx) <= r)
    img[mask] = colour
    return img


def make_toy_cls(root: str,
                 num_per_class: Dict[str, int] = dict(train=8, val=4),
                 classes: Sequence[str] = TOY_CLS_CLASSES,
                 size: int = 32,
                 seed: int = 0) -> str:
    """Write the toy dataset under ``root`` and return ``root``.

    Args:
        root (str): Output directory (``root/<split>/<class>/<i>.png``).
        num_per_class (dict): Images per class for each split.
        classes (Sequence[str]): ``'<colour>_<shape>'`` names, colours from
            red/green/blue/yellow, shapes from square/disc/triangle/bar.
        size (int): Image side length. Default: 32.
        seed (int): Random seed (the output is deterministic).
    """
    rng = np.random.default_rng(seed)
    for name in classes:
        colour, _, shape = name.partition('_')
        if colour not in _COLOURS or shape not in ('square', 'disc',
                                                   'triangle', 'bar'):
            raise ValueError(f'unknown toy class {name!r}: use '
                             '<red|green|blue|yellow>_<square|disc|triangle|'
                             'bar>')
    for split, count in num_per_class.items():
        for name in classes:
            folder = osp.join(root, split, name)
            mkdir_or_exist(folder)
            for i in range(count):
                Image.fromarray(_draw(name, size, rng)).save(
                    osp.join(folder, f'{i:04d}.png'))
    return root


# python -m selfkd_research.synthetic_data.toy_cls [ROOT]  (checkout root)
if __name__ == '__main__':
    import sys
    print(make_toy_cls(sys.argv[1] if len(sys.argv) > 1 else 'data/toy_cls'))
