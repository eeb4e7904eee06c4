"""Train a segmentor (mmseg config) or a classifier (mmpretrain config).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
        [--amp [{bf16,fp16}]] [--channels-last] [--compile [MODE]]
        [--cudnn-benchmark] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Speed switches (docs/performance.md): ``--amp`` bf16 autocast (CPU and GPUs
with bfloat16; fp16 + loss scaling on older GPUs or with ``--amp fp16``),
``--channels-last`` NHWC weights and activations, ``--compile`` mmengine's
``compile`` (torch.compile of the train step), ``--cudnn-benchmark``.

Ctrl-C (or SIGTERM) finishes the running iteration, saves
``interrupted_iter_<N>.pth`` and exits with status 130 (143 for SIGTERM);
``--resume`` continues from it. A NaN/inf loss stops with status 3 and a
message naming the loss term; a full disk stops with status 4 and a message
naming the folder and the bytes needed. See docs/reliability.md.
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.train import main  # noqa: E402

if __name__ == '__main__':
    main()
