"""Draw per-level attention maps of the student and of the self-teacher.

    python tools/visualization/attention_maps.py CONFIG CKPT IMG [IMG ...] \
        --out attention.png

One row per image: the image, then for every BiFPN level (segmentation) or
backbone stage (classification) the student's and the self-teacher's
attention ``mean_c(f^2)`` (FRSKD Fig. 3).  The config is the FRSKD config
the checkpoint was trained with.  The command line of
:func:`selfkd_seg.analysis.attention.attention_maps`.
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401  (registers the models)
from selfkd_seg.analysis.attention import attention_maps  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Draw per-level attention maps of the student and of the '
        'self-teacher.')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--out', default='attention_maps.png')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> str:
    """Writes the PNG, prints ``wrote OUT`` and returns its path."""
    args = parse_args(argv)
    out = attention_maps(
        args.config,
        args.checkpoint,
        args.images,
        out=args.out,
        device=args.device,
        cfg_options=args.cfg_options)
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    main()
