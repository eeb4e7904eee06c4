"""SFD cost, measured in one run on the same input.

    python tools/analysis/benchmark_sfd.py [--config CFG] [--batch 8]
        [--size 32 32] [--steps 10] [--hook-reps 20]
        [--device cpu|cuda] [--amp none|bf16|fp16] [--channels-last]
        [--compile [BACKEND]] [--skip-integrators] [--epoch-images N]
        [--json OUT]

Prints the train-step time of SFD, the plain student and logit KD (ratios
next to a FLOPs estimate), the exported SFD student's inference time, the
SelfDistillHook's cost and memory, and the integrators' parameters. The
logic is in ``selfkd_research.benchmarks.benchmark_sfd``.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.benchmarks.benchmark_sfd import main  # noqa: E402

if __name__ == '__main__':
    main()
