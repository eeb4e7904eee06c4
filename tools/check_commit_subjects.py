"""Commit subjects of at most 72 characters, details in the body.

    python tools/check_commit_subjects.py             # commits since BASE
    python tools/check_commit_subjects.py --message-file .git/COMMIT_EDITMSG

The first form (tools/lint.sh, CI) checks every commit after ``BASE``, the
commit before this rule was enforced (older subjects are history); the
second is the pre-commit ``commit-msg`` hook.
"""
import argparse
import subprocess
import sys

MAX = 72
BASE = '844a2d3'  # the last commit before the rule was checked


def subject_problems(subjects):
    return [s for s in subjects if len(s) > MAX]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--message-file', help='a commit message to check')
    parser.add_argument(
        '--base', default=BASE, help='check the commits after this one')
    args = parser.parse_args(argv)
    if args.message_file:
        with open(args.message_file, encoding='utf-8') as f:
            lines = [
                ln for ln in f.read().splitlines() if not ln.startswith('#')
            ]
        subjects = lines[:1]
    else:
        subjects = subprocess.run(
            ['git', 'log', '--format=%s', f'{args.base}..HEAD'],
            check=True,
            capture_output=True,
            text=True).stdout.splitlines()
    long = subject_problems(subjects)
    for subject in long:
        print(
            f'commit subject longer than {MAX} characters '
            f'({len(subject)}): {subject}',
            file=sys.stderr)
    return 1 if long else 0


if __name__ == '__main__':
    sys.exit(main())
