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
docs/deployment.md has the details.

The command line only: the library is selfkd_seg.deploy
(selfkd_seg.deploy.job.pytorch2onnx).
"""
import argparse
import json
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
from selfkd_seg.deploy import (DEFAULT_ATOL, DEFAULT_OPSET, DEFAULT_RTOL,
                               MIN_ARGMAX_AGREEMENT, ExportOptions,
                               LatencyOptions, ParityOptions, pytorch2onnx)
from selfkd_seg.engine.student_loading import CheckpointMismatchError


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    lines = __doc__.split('\n\nThe command line only')[0].splitlines()
    parser = argparse.ArgumentParser(
        description=lines[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(lines[2:]))
    parser.add_argument('config', help='plain student config')
    parser.add_argument('checkpoint', help='student / training checkpoint')
    parser.add_argument(
        '--out',
        default=None,
        help='ONNX file (default: CHECKPOINT with '
        'the suffix .onnx)')
    parser.add_argument(
        '--images',
        nargs='+',
        default=None,
        help='image files or folders for the parity check (default: the '
        "config's test dataset)")
    parser.add_argument(
        '--num-images', type=int, default=4, help='images checked')
    parser.add_argument(
        '--shapes',
        nargs='+',
        default=None,
        help="input sizes checked: 'native' (as the test pipeline gives) "
        "or HxW; default: native and a second, odd size")
    parser.add_argument(
        '--seg-output',
        choices=('input', 'native'),
        default='input',
        help='segmentation logits at the input size (default) or at the '
        "head's resolution")
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        '--runs', type=int, default=20, help='latency runs (median)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='CPU threads of PyTorch and ONNX Runtime (default: torch\'s)')
    parser.add_argument('--rtol', type=float, default=DEFAULT_RTOL)
    parser.add_argument('--atol', type=float, default=DEFAULT_ATOL)
    parser.add_argument(
        '--min-agreement',
        type=float,
        default=MIN_ARGMAX_AGREEMENT,
        help='least fraction of pixels / images whose argmax agrees')
    parser.add_argument(
        '--report', default=None, help='also write the report as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Exit 2 on a bad input (checkpoint that does not fit, missing file,
    bad option), 1 when parity fails; returns the report."""
    args = parse_args(argv)
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    try:
        export = ExportOptions(seg_output=args.seg_output, opset=args.opset)
        parity = ParityOptions(
            images=args.images,
            num_images=args.num_images,
            shapes=args.shapes,
            rtol=args.rtol,
            atol=args.atol,
            min_agreement=args.min_agreement)
        latency = LatencyOptions(
            runs=args.runs, warmup=args.warmup, threads=args.threads)
        report = pytorch2onnx(
            args.config,
            args.checkpoint,
            out,
            export=export,
            parity=parity,
            latency=latency,
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
