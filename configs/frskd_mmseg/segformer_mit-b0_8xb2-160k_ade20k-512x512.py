# Baseline: mmseg's own SegFormer MiT-b0 (ADE20K, 160k iterations), a
# transformer with an all-MLP head on four levels. Unchanged but for where
# the ImageNet weights come from: mmseg's URL by default, a local file with
# SELFKD_PRETRAINED=/path/mit_b0.pth (no download).
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint=
            '{{$SELFKD_PRETRAINED:https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth}}'  # noqa
        )))
