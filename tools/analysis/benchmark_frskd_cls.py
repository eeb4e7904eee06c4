"""FRSKD classification cost, measured in one run.

    python tools/analysis/benchmark_frskd_cls.py [--batch 32] [--steps 10]
        [--warmup 2] [--threads 1] [--models wrn16_2 cifar_resnet18]
        [--device cpu|cuda] [--amp none|bf16|fp16] [--channels-last]
        [--compile [BACKEND]] [--size 32 32] [--skip-table6] [--json OUT]

Prints FRSKD Table 6 (self-teacher / classifier params and FLOPs ratios,
next to the paper's) and the train-step time of FRSKD and FRSKD+SLA over
the plain classifier, with the exported student's inference time. The logic
is in ``selfkd_research.benchmarks.benchmark_frskd_cls``.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_frskd_cls import main  # noqa: E402

if __name__ == '__main__':
    main()
