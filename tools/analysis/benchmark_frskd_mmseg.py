"""FRSKD's training overhead on mmseg's own models, in one run.

    python tools/analysis/benchmark_frskd_mmseg.py [--scale zoo|tiny]
        [--families deeplabv3plus segformer bisenetv2] [--size 256 256]
        [--batch 2] [--steps 3] [--warmup 1] [--device cpu|cuda]
        [--no-cpu-memory] [--json OUT.json]

Per family of configs/frskd_mmseg/ (baseline and FRSKD built from their
configs): student and self-teacher parameters, train-step time and peak
memory, and the ratios FRSKD / baseline. The logic is in
``selfkd_research.benchmarks.benchmark_frskd_mmseg``;
docs/frskd_any_mmseg_model.md has the measurements.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_frskd_mmseg import main  # noqa: E402

if __name__ == '__main__':
    main()
