# FRSKD + the val-lead gate (beyond the paper, docs/frskd_regimes.md): KD
# only where the self-teacher is right, weights x clamp(val lead / 1 mIoU,
# 0, 1); validation every 1/3 so that the gate can open before the ramp.
_base_ = ['./frskd_segformer_mit-tiny_digits.py']
model = dict(
    gate=dict(pixel='teacher_correct', lead_source='val', lead_margin=1.0))
train_cfg = dict(val_interval=120)
