"""One markdown table from benchmark ``--json`` files.

    python tools/analysis/benchmark_table.py OUT/*.json > table.md

One row per file (named after it), in the order given: train and inference
images/s per model, achieved TFLOP/s, peak GPU memory, the ratios and the
fixed-batch loss check. ``tools/analysis/gpu_benchmark.sh`` ends with it;
the logic is ``selfkd_research.benchmarks.benchmark_table``
(``markdown_table`` in ``selfkd_research.benchmarks.benchmark``).
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_table import main  # noqa: E402

if __name__ == '__main__':
    main()
