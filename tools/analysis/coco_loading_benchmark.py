"""Time COCO-format rasterization and per-epoch data loading.

    python tools/analysis/coco_loading_benchmark.py --num 200 --size 512 \
        --epochs 3 [--work-dir /tmp/coco_bench]

Reports the cold rasterization throughput, the warm start (cache hit) and
each epoch's data-loading time through the toy training pipeline. The logic
is in ``selfkd_research.benchmarks.benchmark_coco_loading``.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_coco_loading import main

if __name__ == '__main__':
    main()
