"""Kill a training run with SIGKILL N times, resume it, compare the result.

    python tools/fault_injection.py CONFIG [--kills 3] [--seed 0]
        [--work-dir DIR] [--ckpt-interval 1] [--threads 1]
        [--cfg-options k=v ...]

1. A reference run trains CONFIG without interruption.
2. The faulty run trains the same config; N times, at a random moment
   (after a random number of logged iterations, plus a random delay that
   often lands inside a checkpoint write), it is killed with SIGKILL and
   restarted with ``--resume``.  The last restart runs to the end.
3. The final checkpoints (every parameter and buffer, the optimizer state)
   and the final validation metrics are compared and printed.

Both runs use ``randomness.deterministic=True``, the same seed and the same
number of CPU threads (``--threads``): the result is expected to be
bit-identical (exit status 0, else 1).  Use an iteration-based config (the
toy segmentation configs) or checkpoint epoch-based ones every epoch.  The
logger interval is forced to 1 (kills are timed by the log).  See
docs/reliability.md.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_research.experiments.fault_injection import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
