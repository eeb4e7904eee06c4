"""Paint a segmentation prediction (mmseg's demo/image_demo.py, plus a
baseline-vs-student comparison and FRSKD attention maps).

    python demo/image_demo.py IMG CONFIG CHECKPOINT [--out-file OUT]
        [--device cpu] [--opacity 0.5] [--title TITLE ...] [--with-labels]
        [--compare CONFIG2 CHECKPOINT2] [--attention]

``OUT`` (default ``<image name>_result.png``) shows ``input | prediction``;
with ``--compare`` ``input | CONFIG's prediction | CONFIG2's prediction``
(e.g. the baseline, then the FRSKD student).  ``--attention`` also writes
``<OUT stem>_attention.png``: the student's and the self-teacher's attention
per level, for a FRSKD training checkpoint with its FRSKD config.  The logic
is ``selfkd_seg.analysis.demo.run_demo``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import selfkd_seg  # noqa: E402,F401
from selfkd_seg.analysis.demo import run_demo  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Paint the segmentation of an image (optionally two '
        'models side by side)')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file',
        help='picture to write (default: <image name>_result.png)')
    parser.add_argument(
        '--compare',
        nargs=2,
        metavar=('CONFIG2', 'CHECKPOINT2'),
        help='a second model painted to the right of the first')
    parser.add_argument(
        '--attention',
        action='store_true',
        help='also write the student / self-teacher attention maps '
        '(<out stem>_attention.png; needs a FRSKD training checkpoint)')
    parser.add_argument(
        '--device',
        default=None,
        help='e.g. cpu, cuda:0 (default: cuda:0 '
        'if available, else cpu)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='opacity of the painted classes, in (0, 1]')
    parser.add_argument(
        '--title',
        nargs='+',
        help='title of each prediction panel (default: config names)')
    parser.add_argument(
        '--with-labels',
        action='store_true',
        help='write the class names on the painted regions')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    models = [(args.config, args.checkpoint)]
    if args.compare:
        models.append(tuple(args.compare))
    out_file = args.out_file or (osp.splitext(osp.basename(args.img))[0] +
                                 '_result.png')
    done = run_demo(
        args.img,
        models,
        out_file,
        device=args.device,
        opacity=args.opacity,
        titles=args.title,
        attention=args.attention,
        with_labels=args.with_labels)
    for path in [done['out_file']] + done['attention_files']:
        print(f'wrote {path}')
    return done


if __name__ == '__main__':
    main()
