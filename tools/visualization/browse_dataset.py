"""Draw a few samples of a config's dataset with their masks into a PNG.

    python tools/visualization/browse_dataset.py CONFIG --out browse.png
    python tools/visualization/browse_dataset.py CONFIG --checkpoint CKPT \
        --split val --num 8 --cols 2 --out predictions.png

One tile per image: the image, the ground truth over it and, given a
checkpoint, the prediction over it; a legend of the class colours at the
bottom.  Images are shown as loaded (no augmentation).  The command line of
:func:`selfkd_seg.analysis.browse_dataset.browse_dataset`.
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401  (registers the datasets and models)
from selfkd_seg.analysis.browse_dataset import browse_dataset  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description="Draw a few samples of a config's dataset with their "
        'masks into a PNG.')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='also draw its predictions')
    parser.add_argument(
        '--split', default='train', choices=('train', 'val', 'test'))
    parser.add_argument('--num', type=int, default=8, help='images to draw')
    parser.add_argument(
        '--start', type=int, default=0, help='index of the first image')
    parser.add_argument('--cols', type=int, default=2, help='tiles per row')
    parser.add_argument(
        '--tile-size', type=int, default=192, help='pixels per panel')
    parser.add_argument('--alpha', type=float, default=0.6)
    parser.add_argument('--out', default='browse_dataset.png')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> str:
    """Writes the PNG, prints ``wrote OUT (N images of SPLIT)`` and returns
    its path."""
    args = parse_args(argv)
    done = browse_dataset(
        args.config,
        args.out,
        checkpoint=args.checkpoint,
        split=args.split,
        num=args.num,
        start=args.start,
        cols=args.cols,
        tile_size=args.tile_size,
        alpha=args.alpha,
        device=args.device,
        cfg_options=args.cfg_options)
    print(f"wrote {done['out']} ({done['images']} images of "
          f"{done['split']})")
    return done['out']


if __name__ == '__main__':
    main()
