"""Time COCO-format rasterization and per-epoch data loading.

    python tools/analysis/coco_loading_benchmark.py --num 200 --size 512 \
        --epochs 3 [--work-dir /tmp/coco_bench]

Reports the cold rasterization throughput, the warm start (cache hit) and
each epoch's data-loading time through the toy training pipeline. The logic
is in ``selfkd_seg.analysis.benchmark_coco_loading``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.analysis.benchmark_coco_loading import main  # noqa: E402

if __name__ == '__main__':
    main()
