"""``tools/export_student.py``: export the deployable student of a
FRSKD/SFD checkpoint
(:func:`~selfkd_seg.apis.export.export_student_checkpoint`).

A refused or missing file exits with status 2 and
``export_student.py: error: ...``.
"""
import argparse

from selfkd_seg.apis.export import export_student_checkpoint


def main(argv=None):
    """``tools/export_student.py CKPT OUT [--force]``; returns the summary of
    :func:`export_student_checkpoint`."""
    parser = argparse.ArgumentParser(
        description='Export the deployable student of a FRSKD/SFD checkpoint.')
    parser.add_argument('checkpoint', help='training checkpoint (.pth)')
    parser.add_argument('out', help='where to write the student checkpoint')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace OUT if it exists (never allowed when OUT is CKPT)')
    args = parser.parse_args(argv)
    try:
        summary = export_student_checkpoint(
            args.checkpoint, args.out, force=args.force)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        parser.exit(2, f'export_student.py: error: {err}\n')
    print(f"wrote {args.out}: {summary['kept_keys']} student tensors "
          f"({summary['student_params'] / 1e6:.3f}M values); dropped "
          f"{summary['dropped_keys']} tensors "
          f"({summary['dropped_params'] / 1e6:.3f}M values) of "
          f"{', '.join(summary['dropped_modules'])}")
    return summary
