# DIST (Huang et al., NeurIPS 2022, docs/cwd_dist.md) on mmseg's zoo
# models, the pair of the authors' segmentation README: the student is
# DeepLabV3 R18-D8 (mmseg's config unchanged: 512x1024 crops, 4x2 images,
# 80k iterations; the authors trained 40k iterations of 16 images, lr 0.02),
# the frozen teacher the model of DeepLabV3 R101-D8, loaded from
# SELFKD_TEACHER or else mmseg's released checkpoint of that config. DIST on
# the logits with the authors' defaults: beta 1, gamma 1, no temperature
# (tau 1), weight 1, at the logits' own size, every pixel a sample, and
# 0.4 x DIST between the auxiliary FCN heads' logits (distill.kd_aux), as
# the authors' train_kd.py does.
_base_ = ['mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='SFDSegmentor',
    teacher='mmseg::deeplabv3/'
    'deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    teacher_ckpt=
    '{{$SELFKD_TEACHER:https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth}}',  # noqa: E501
    integrator=None,
    distill=dict(
        loss=None,
        margin=None,
        kd=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=1.0),
        kd_aux=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=0.4)))
