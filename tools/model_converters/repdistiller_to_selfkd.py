"""Convert a RepDistiller CIFAR checkpoint to a selfkd_seg classifier one.

    python tools/model_converters/repdistiller_to_selfkd.py \
        SRC DST --arch resnet32x4

SRC is a RepDistiller checkpoint (a dict whose ``'model'`` entry holds the
weights, e.g. ``save/models/resnet32x4_vanilla/ckpt_epoch_240.pth``).  DST
(``{'state_dict': ..., 'meta': ...}``) loads strictly with mmengine's
``load_checkpoint`` into the mmpretrain ``ImageClassifier`` whose config is
printed (and stored in ``meta['model_cfg']``), e.g. as an SFD teacher.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import torch  # noqa: E402

import selfkd_seg  # noqa: E402,F401
from selfkd_seg.apis.repdistiller_convert import (  # noqa: E402
    REPDISTILLER_ARCHS, convert_repdistiller_state_dict,
    repdistiller_classifier_cfg)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='RepDistiller checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    parser.add_argument(
        '--arch',
        required=True,
        choices=sorted(REPDISTILLER_ARCHS),
        help='RepDistiller model name of SRC')
    args = parser.parse_args(argv)

    # weights_only: a checkpoint is data, never code to run.
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    if isinstance(checkpoint, dict) and 'model' in checkpoint:
        state_dict = checkpoint['model']
    elif isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
    else:
        state_dict = checkpoint
    if not isinstance(state_dict, dict):
        raise TypeError(f'{args.src}: expected a dict of tensors (or a dict '
                        f"with key 'model'), got {type(state_dict).__name__}")

    converted = convert_repdistiller_state_dict(state_dict, args.arch)
    num_classes = converted['head.fc.weight'].shape[0]
    model_cfg = repdistiller_classifier_cfg(args.arch, num_classes)
    meta = dict(
        converted_from='RepDistiller',
        arch=args.arch,
        source=osp.basename(args.src),
        num_classes=num_classes,
        model_cfg=model_cfg)
    for key in ('epoch', 'best_acc', 'accuracy'):
        value = checkpoint.get(key) if isinstance(checkpoint, dict) else None
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            meta[key] = value
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=meta), args.dst)
    print(f'wrote {args.dst}: {len(converted)} tensors of RepDistiller '
          f'{args.arch} ({num_classes} classes); model config:\n{model_cfg}')
    return converted, meta


if __name__ == '__main__':
    main()
