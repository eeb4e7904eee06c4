"""One markdown table from benchmark ``--json`` files.

The logic of ``tools/analysis/benchmark_table.py`` (its docstring has the
usage): one row per file (named after it), in the order given, made by
:func:`selfkd_research.benchmarks.benchmark.markdown_table`.
"""
import argparse
import json
import os.path as osp
import sys

from selfkd_research.benchmarks.benchmark import markdown_table


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
