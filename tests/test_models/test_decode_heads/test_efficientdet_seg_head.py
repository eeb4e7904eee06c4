import pytest
import torch
from mmengine import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.decode_heads import EfficientDetSegHead  # noqa: E402


def bifpn_levels(batch=2, channels=16, size=(17, 13), num_levels=6):
    h, w = size
    levels = []
    for _ in range(num_levels):
        levels.append(torch.randn(batch, channels, h, w))
        h, w = (h + 1) // 2, (w + 1) // 2
    return levels


def seg_samples(batch, h, w, num_classes):
    samples = []
    for _ in range(batch):
        sample = SegDataSample(
            gt_sem_seg=PixelData(
                data=torch.randint(0, num_classes, (1, h, w))))
        sample.set_metainfo(
            dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
        samples.append(sample)
    return samples


def test_logits_on_finest_level_and_layers():
    head = EfficientDetSegHead(in_channels=16, channels=8, num_classes=5)
    assert head.in_index == 0 and len(head.convs) == 3
    assert head.convs[0].conv.kernel_size == (3, 3)
    assert head.convs[0].bn.momentum == 0.01
    head.eval()
    levels = bifpn_levels()
    out = head(levels)
    assert out.shape == (2, 5, 17, 13)
    # only the finest level is read
    levels[1:] = [lvl + 1 for lvl in levels[1:]]
    torch.testing.assert_close(head(levels), out)


def test_loss_resizes_logits_to_label_size_and_backprops():
    head = EfficientDetSegHead(
        in_channels=16, channels=8, num_classes=5, dropout_ratio=0.1)
    samples = seg_samples(2, 66, 50, 5)
    losses = head.loss(bifpn_levels(), samples, train_cfg=dict())
    assert set(losses) == {'loss_ce', 'acc_seg'}
    assert torch.isfinite(losses['loss_ce'])
    losses['loss_ce'].backward()
    assert head.convs[0].conv.weight.grad is not None
    assert head.conv_seg.weight.grad is not None


def test_fuse_levels_adds_coarser_levels():
    head = EfficientDetSegHead(
        in_channels=[16] * 3,
        in_index=[0, 1, 2],
        channels=8,
        num_classes=5,
        fuse_levels=True).eval()
    levels = bifpn_levels(num_levels=3)
    out = head(levels)
    assert out.shape == (2, 5, 17, 13)
    levels[2] = levels[2] + 1
    assert not torch.allclose(head(levels), out)


def test_bad_configs():
    with pytest.raises(ValueError, match='in_index'):
        EfficientDetSegHead(
            in_channels=[16, 16], channels=8, num_classes=5, fuse_levels=True)
    with pytest.raises(ValueError, match='equal channels'):
        EfficientDetSegHead(
            in_channels=[16, 8],
            in_index=[0, 1],
            channels=8,
            num_classes=5,
            fuse_levels=True)
    with pytest.raises(ValueError, match='channels'):
        EfficientDetSegHead(
            in_channels=16, channels=8, num_classes=5, num_convs=0)
    head = EfficientDetSegHead(
        in_channels=16, channels=16, num_classes=5, num_convs=0)
    assert head(bifpn_levels()).shape == (2, 5, 17, 13)


def test_efficientdet_d0_encoder_decoder_loss_and_predict():
    cfg = ConfigDict(
        type='EncoderDecoder',
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_val=0,
            seg_pad_val=255),
        backbone=dict(type='EfficientNetBackbone', arch='b0'),
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[24, 40, 112, 320],
            out_channels=64,
            num_layers=3,
            min_level=2,
            max_level=7),
        decode_head=dict(
            type='EfficientDetSegHead',
            in_channels=64,
            channels=64,
            num_classes=21),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg)
    inputs = torch.randn(2, 3, 66, 50)
    samples = seg_samples(2, 66, 50, 21)
    losses = model.loss(inputs, samples)
    assert torch.isfinite(losses['decode.loss_ce'])
    losses['decode.loss_ce'].backward()
    assert model.backbone._conv_stem.weight.grad is not None
    model.eval()
    with torch.no_grad():
        results = model.predict(inputs, samples)
    assert results[0].pred_sem_seg.data.shape == (1, 66, 50)
    assert results[0].seg_logits.data.shape == (21, 66, 50)
