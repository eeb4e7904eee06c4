"""Convert a RepDistiller CIFAR checkpoint to a selfkd_seg classifier one.

    python tools/model_converters/repdistiller_to_selfkd.py \
        SRC DST --arch resnet32x4

SRC is a RepDistiller checkpoint (a dict whose ``'model'`` entry holds the
weights, e.g. ``save/models/resnet32x4_vanilla/ckpt_epoch_240.pth``).  DST
(``{'state_dict': ..., 'meta': ...}``) loads strictly with mmengine's
``load_checkpoint`` into the mmpretrain ``ImageClassifier`` whose config is
printed (and stored in ``meta['model_cfg']``), e.g. as an SFD teacher.
The command line of ``convert_repdistiller_checkpoint`` in
:mod:`selfkd_seg.converters.repdistiller_convert`.
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.converters.repdistiller_convert import (  # noqa: E402
    REPDISTILLER_ARCHS, convert_repdistiller_checkpoint)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a RepDistiller CIFAR checkpoint to a selfkd_seg '
        'classifier one.')
    parser.add_argument('src', help='RepDistiller checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    parser.add_argument(
        '--arch',
        required=True,
        choices=sorted(REPDISTILLER_ARCHS),
        help='RepDistiller model name of SRC')
    return parser.parse_args(argv)


def main(argv=None):
    """Convert as the command line ``argv`` says and print the model config
    the converted checkpoint loads into; return ``(state_dict, meta)``."""
    args = parse_args(argv)
    converted, meta = convert_repdistiller_checkpoint(args.src, args.dst,
                                                      args.arch)
    print(f'wrote {args.dst}: {len(converted)} tensors of RepDistiller '
          f"{args.arch} ({meta['num_classes']} classes); model config:\n"
          f"{meta['model_cfg']}")
    return converted, meta


if __name__ == '__main__':
    main()
