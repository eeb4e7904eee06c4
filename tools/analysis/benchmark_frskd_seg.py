"""FRSKD segmentation cost, measured in one run on the same input.

    python tools/analysis/benchmark_frskd_seg.py [--size 128 128] [--batch 2]
        [--steps 10] [--flops-size 512 512] [--archs d0 d1]
        [--device cpu|cuda] [--amp none|bf16|fp16] [--channels-last]
        [--compile [BACKEND]] [--compile-mode MODE] [--legacy-ops]
        [--check-losses] [--dtype-census] [--compare-legacy]
        [--json OUT.json]

Prints params and FLOPs of the d0/d1 students and self-teachers, then per
model (baseline, FRSKD, exported student) train-step and inference time,
images/s, TFLOP/s, (GPU) peak memory and the ratios FRSKD / baseline and
exported student / baseline. The logic is in
``selfkd_research.benchmarks.benchmark_frskd_seg``; docs/performance.md has the
measurements.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_frskd_seg import main  # noqa: E402

if __name__ == '__main__':
    main()
