# SFD between two models of the digits scenes (issue 32, docs/cwd_dist.md):
# the student is ../frskd_mmseg/segformer_mit-tiny_360it_digits.py,
# unchanged; the frozen teacher is the larger
# segformer-bifpn_mit-tiny_360it_digits.py (MiT-tiny + 3-layer BiFPN),
# trained first and loaded from SELFKD_DIGITS_SEG_TEACHER (a checkpoint of
# that config). The student's MiT levels 1/16, 1/8, 1/4 are integrated
# (receptive-field integration) onto the teacher's finest BiFPN level (1/4,
# 64 channels; BiFPN outputs end with conv + BN, the pre-activation
# features the margin loss expects) and pulled to max(teacher, running
# margin) with the Overhaul margin loss during the whole training. Its
# scale is the Overhaul authors' segmentation recipe
# (clovaai/overhaul-distillation Segmentation/train_with_distillation.py:
# loss_distill.sum() / batch_size * 1e-5, weight 1: mul_factor 1e5), not
# SFD's classification one (weight 3, / 1000), which is 300x larger and
# here 100x the CE at the start. The logit-term variants of this pair are
# kd_/cwd_/dist_/sfd-cwd_/sfd-dist_segformer-bifpn_segformer_*.
_base_ = ['../frskd_mmseg/segformer_mit-tiny_360it_digits.py']
model = dict(
    type='SFDSegmentor',
    teacher='configs/sfd_seg/segformer-bifpn_mit-tiny_360it_digits.py',
    teacher_ckpt='{{$SELFKD_DIGITS_SEG_TEACHER:'
    'work_dirs/digits/segformer-bifpn_teacher.pth}}',
    distill=dict(
        loss=dict(type='OFDLoss', loss_weight=1.0, mul_factor=1e5),
        student_stages=(2, 1, 0),
        teacher_stages=(0, )))
