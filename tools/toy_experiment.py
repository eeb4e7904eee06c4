"""The main job: toy baseline vs toy FRSKD, same budget and seed.

    python tools/toy_experiment.py [--work-dir work_dirs/toy_main]
        [--seeds 0 1 2] [--max-iters N] [--data-root data/toy_voc]

1. generates the toy VOC data (once; skipped when it is already there),
2. trains ``configs/efficientdet_seg/efficientdet-d0_240it_toy.py``
   (baseline) and ``configs/frskd_seg/frskd_efficientdet-d0_240it_toy.py``
   (FRSKD) with ``tools/train.py`` per seed,
3. exports the FRSKD student and checks it gives the full model's
   predictions, and times inference of baseline vs exported student
   through mmseg's ``init_model`` + ``inference_model``,
4. draws the student / self-teacher attention maps,
5. prints a table: val mIoU, aAcc, train time per iteration, inference
   time per image.
"""
import os.path as osp
import sys
import warnings

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

# Upstream notices about this stack that say nothing about the job (mmcv-lite
# has no compiled deformable attention, mmengine imports pkg_resources,
# mmseg's build_loss is deprecated): kept out of the console, not out of the
# tools' logs.
for message in ('Fail to import ``MultiScaleDeformableAttention``',
                'pkg_resources is deprecated',
                '``build_loss`` would be deprecated'):
    warnings.filterwarnings('ignore', message=message, category=UserWarning)

from selfkd_research.experiments.toy_experiment import main  # noqa: E402

if __name__ == '__main__':
    main()
