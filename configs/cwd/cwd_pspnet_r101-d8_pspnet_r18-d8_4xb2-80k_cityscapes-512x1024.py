# CWD (Shu et al., ICCV 2021, docs/cwd_dist.md), the paper's Cityscapes
# recipe on mmseg's zoo models: the student is PSPNet R18-D8 (mmseg's config
# unchanged: 512x1024 crops, 4x2 images, 80k iterations), the frozen teacher
# the model of PSPNet R101-D8 (same schedule), loaded from SELFKD_TEACHER or
# else mmseg's released checkpoint of that config. Channel-wise
# distillation of the logits only: tau 4, weight 3 (the authors' README:
# exp_cwd.sh channel kl 3 4), at the logits' own size (1/8), every pixel
# counted as in the authors' code. No feature term.
_base_ = ['mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='SFDSegmentor',
    teacher='mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    teacher_ckpt=
    '{{$SELFKD_TEACHER:https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth}}',  # noqa: E501
    integrator=None,
    distill=dict(
        loss=None,
        margin=None,
        kd=dict(type='CWDLoss', tau=4.0, loss_weight=3.0)))
