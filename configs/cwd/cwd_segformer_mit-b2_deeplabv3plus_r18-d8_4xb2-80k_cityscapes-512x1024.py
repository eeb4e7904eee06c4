# CWD across architectures (docs/cwd_dist.md): a transformer teacher, a CNN
# student. The student is DeepLabV3+ R18-D8 (mmseg's config unchanged:
# 512x1024 crops, 4x2 images, 80k iterations), the frozen teacher the model
# of SegFormer MiT-B2 (mmseg's Cityscapes recipe, trained on 1024x1024
# crops), loaded from SELFKD_TEACHER or else mmseg's released checkpoint of
# that config; it reads the student's 512x1024 batch. Both decoders output
# 1/4 logits (128x256), compared channel-wise with CWD's logit recipe
# (tau 4, weight 3). Not a recipe of either paper.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='SFDSegmentor',
    teacher=
    'mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py',  # noqa: E501
    teacher_ckpt=
    '{{$SELFKD_TEACHER:https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_8x1_1024x1024_160k_cityscapes/segformer_mit-b2_8x1_1024x1024_160k_cityscapes_20211207_134205-6096669a.pth}}',  # noqa: E501
    integrator=None,
    distill=dict(
        loss=None,
        margin=None,
        kd=dict(type='CWDLoss', tau=4.0, loss_weight=3.0)))
