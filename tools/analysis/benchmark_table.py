"""One markdown table from benchmark ``--json`` files.

    python tools/analysis/benchmark_table.py OUT/*.json > table.md

One row per file (named after it), in the order given: train and inference
images/s per model, achieved TFLOP/s, peak GPU memory, the ratios and the
fixed-batch loss check. ``tools/analysis/gpu_benchmark.sh`` ends with it;
the logic is ``selfkd_seg.apis.benchmark.markdown_table``.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.apis.benchmark import markdown_table  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('files', nargs='+')
    args = parser.parse_args(argv)
    reports, names = [], []
    for path in args.files:
        if not osp.isfile(path):
            print(f'{path}: no such file (row skipped)', file=sys.stderr)
            continue
        with open(path) as f:
            reports.append(json.load(f))
        names.append(osp.splitext(osp.basename(path))[0])
    table = markdown_table(reports, names)
    print(table)
    return table


if __name__ == '__main__':
    main()
