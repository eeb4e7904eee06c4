"""Export the deployable student to ONNX; check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

CONFIG is the plain student config (mmseg EncoderDecoder or mmpretrain
ImageClassifier); CHECKPOINT the exported student (tools/export_student.py),
a FRSKD/SFD training checkpoint (the student is split out) or a plain one.
The graph takes the normalised N x 3 x H x W image (N, H, W dynamic) and
returns logits (segmentation: at the input size, --seg-output native for the
head's resolution).  ONNX Runtime is compared with PyTorch on real images
(--images, default: the config's test set) through the config's test
pipeline at the native size and at a second size (--shapes); the exit status
is 1 if the max |logit diff| exceeds the tolerance or argmax agrees on less
than 99.9 % of the pixels / images.  CPU latency of both is printed.
Library: selfkd_seg.apis.onnx_export (docs/deployment.md).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
from mmengine.config import DictAction  # noqa: E402

from selfkd_seg.apis.onnx_export import (DEFAULT_ATOL,  # noqa: E402
                                         DEFAULT_OPSET, DEFAULT_RTOL,
                                         MIN_ARGMAX_AGREEMENT,
                                         CheckpointMismatchError,
                                         pytorch2onnx)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('config', help='plain student config')
    parser.add_argument('checkpoint', help='student / training checkpoint')
    parser.add_argument(
        '--out', default=None, help='ONNX file (default: CHECKPOINT with '
        'the suffix .onnx)')
    parser.add_argument(
        '--images', nargs='+', default=None,
        help='image files or folders for the parity check (default: the '
        "config's test dataset)")
    parser.add_argument(
        '--num-images', type=int, default=4, help='images checked')
    parser.add_argument(
        '--shapes', nargs='+', default=None,
        help="input sizes checked: 'native' (as the test pipeline gives) "
        "or HxW; default: native and a second, odd size")
    parser.add_argument(
        '--seg-output', choices=('input', 'native'), default='input',
        help='segmentation logits at the input size (default) or at the '
        "head's resolution")
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        '--runs', type=int, default=20, help='latency runs (median)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=None,
        help='CPU threads of PyTorch and ONNX Runtime (default: torch\'s)')
    parser.add_argument('--rtol', type=float, default=DEFAULT_RTOL)
    parser.add_argument('--atol', type=float, default=DEFAULT_ATOL)
    parser.add_argument(
        '--min-agreement', type=float, default=MIN_ARGMAX_AGREEMENT,
        help='least fraction of pixels / images whose argmax agrees')
    parser.add_argument(
        '--report', default=None, help='also write the report as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    try:
        report = pytorch2onnx(
            args.config,
            args.checkpoint,
            out,
            images=args.images,
            num_images=args.num_images,
            shapes=args.shapes,
            seg_output=args.seg_output,
            opset=args.opset,
            runs=args.runs,
            warmup=args.warmup,
            threads=args.threads,
            rtol=args.rtol,
            atol=args.atol,
            min_agreement=args.min_agreement,
            cfg_options=args.cfg_options,
            raise_on_failure=False)
    except (CheckpointMismatchError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
    if args.report:
        with open(args.report, 'w') as f:
            json.dump(report, f, indent=1, default=str)
    if not report['passed']:
        print(
            f'error: {out}: ONNX Runtime does not reproduce PyTorch: ' +
            '; '.join(report['parity']['failures']),
            file=sys.stderr)
        sys.exit(1)
    print(f"wrote {out} ({report['task']}, exported in "
          f"{report['export_s']:.1f} s); parity passed")
    return report


if __name__ == '__main__':
    main()
