# SFD for segmentation between two of mmseg's own configs: the student is
# DeepLabV3+ R18-D8 (Cityscapes, 80k, mmseg's config unchanged), the frozen
# teacher the model of DeepLabV3+ R50-D8 (same schedule), loaded from
# SELFKD_TEACHER (a checkpoint of that config, e.g. mmseg's released one).
# The student's C3..C5 are integrated (receptive-field integration, SFD) onto
# the teacher's C5 (2048 channels, 1/8) and pulled to max(teacher, margin)
# with the Overhaul margin loss; SelfDistillHook blends the student's weights
# every 1000 iterations (SFD's self-distillation).
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='SFDSegmentor',
    teacher='mmseg::deeplabv3plus/'
    'deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py',
    teacher_ckpt=
    '{{$SELFKD_TEACHER:work_dirs/deeplabv3plus_r50_cityscapes.pth}}',  # noqa
    # SFDSegmentor's defaults: ReceptiveFieldIntegration, OFDLoss (weight
    # 3) to max(teacher, running margin)
    distill=dict(student_stages=(3, 2, 1), teacher_stages=(3, )))
custom_hooks = [
    dict(
        type='SelfDistillHook',
        tau=(0.995, 0.999),
        by_epoch=False,
        interval=1000)
]
