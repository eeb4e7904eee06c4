# The digits segmentation recipe for 2 CPU cores, model-free: the digits
# scenes (datasets/digits_seg.py), selfkd_seg's runtime and the 360-iteration
# schedule, with the loaders in the main process (small images: workers would
# only compete with the model for the cores) and an infinite train sampler.
# A config adds a model: configs/efficientdet_seg/efficientdet-d0_360it_digits.py, or one of
# mmseg's model fragments (configs/frskd_mmseg/*_digits.py).
_base_ = [
    './datasets/digits_seg.py', './seg_runtime.py',
    './schedules/digits_seg_360it.py'
]
# Every method trains on the same 540 of the 600 training scenes: the other
# 60 (a fixed permutation, HoldOutSplit) are where the held-out lead gate
# measures whether the self-teacher leads (frskd-heldoutgate_*_digits.py),
# so a gated run and its baseline train on the same images and nothing is
# chosen on the val scenes the mIoU is reported on.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='HoldOutSplit',
        hold_out=60,
        part='train',
        dataset={{_base_.train_dataloader.dataset}}))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
