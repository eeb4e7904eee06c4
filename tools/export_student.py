"""Export the deployable student of a FRSKD/SFD checkpoint.

    python tools/export_student.py CKPT OUT [--force]

OUT loads into the plain student config (e.g. the baseline config) with no
missing or unexpected keys, through tools/test.py or mmseg.apis.init_model.
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.export import export_student_checkpoint  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the deployable student of a FRSKD/SFD checkpoint.')
    parser.add_argument('checkpoint', help='training checkpoint (.pth)')
    parser.add_argument('out', help='where to write the student checkpoint')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace OUT if it exists (never allowed when OUT is CKPT)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Returns the summary of ``export_student_checkpoint``.  A refused or
    missing file exits with status 2 and ``export_student.py: error: ...``."""
    args = parse_args(argv)
    try:
        summary = export_student_checkpoint(
            args.checkpoint, args.out, force=args.force)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        sys.stderr.write(f'export_student.py: error: {err}\n')
        sys.exit(2)
    if summary['dropped_keys']:
        dropped = (f"dropped {summary['dropped_keys']} tensors "
                   f"({summary['dropped_params'] / 1e6:.3f}M values) of "
                   f"{', '.join(summary['dropped_modules'])}")
    else:  # a logit-only teacher-student checkpoint: the student alone
        dropped = 'nothing to drop (a logit-only distiller saves the ' \
            'student alone)'
    print(f"wrote {args.out}: {summary['kept_keys']} student tensors "
          f"({summary['student_params'] / 1e6:.3f}M values); {dropped}")
    return summary


if __name__ == '__main__':
    main()
