"""CIFAR backbone zoo: stage contract, RepDistiller sizes, classifier use."""
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger

import selfkd_seg  # noqa: F401  (registers the backbones, mmcv-lite compat)
from selfkd_seg.registry import MODELS

# cfg, stage channels, stage spatial sizes for a 32x32 input
ZOO = {
    'resnet8': (dict(type='CIFARResNet',
                     arch='resnet8'), (16, 32, 64), (32, 16, 8)),
    'resnet8x4': (dict(type='CIFARResNet',
                       arch='resnet8x4'), (64, 128, 256), (32, 16, 8)),
    'cifar_resnet18': (dict(type='CIFARResNet18',
                            depth=18), (64, 128, 256, 512), (32, 16, 8, 4)),
    'wrn_16_1': (dict(type='WideResNet', depth=16,
                      widen_factor=1), (16, 32, 64), (32, 16, 8)),
    'wrn_16_2': (dict(type='WideResNet', depth=16,
                      widen_factor=2), (32, 64, 128), (32, 16, 8)),
    'wrn_16_2_frskd':
    (dict(type='WideResNet', depth=16, widen_factor=2,
          norm_in_blocks=False), (32, 64, 128), (32, 16, 8)),
    'vgg8': (dict(type='CIFARVGG',
                  arch='vgg8'), (128, 256, 512, 512), (16, 8, 4, 4)),
    'mobile_half':
    (dict(type='CIFARMobileNetV2',
          width_mult=0.5), (12, 16, 48, 160, 1280), (16, 8, 4, 2, 2)),
    'shufflev1': (dict(type='CIFARShuffleNetV1'), (240, 480, 960), (16, 8, 4)),
    'shufflev2':
    (dict(type='CIFARShuffleNetV2'), (116, 232, 464, 1024), (16, 8, 4, 4)),
}
# Stages ending in a linear bottleneck (no ReLU): post is pre itself.
LINEAR_STAGES = {'mobile_half': (0, 1, 2, 3)}


@pytest.fixture(autouse=True, scope='module')
def quiet_init_logs():
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every parameter
    yield
    logger.setLevel(level)


def build(cfg, **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg, **kwargs))
    model.init_weights()
    return model


@pytest.mark.parametrize('name', sorted(ZOO))
def test_stages_pre_post_and_forward(name):
    cfg, channels, sizes = ZOO[name]
    model = build(cfg, out_indices=tuple(range(len(channels))))
    assert model.stage_channels == channels
    assert model.num_stages == len(channels)

    x = torch.randn(2, 3, 32, 32)
    pre_feats, post_feats = model.forward_stages(x)
    assert len(pre_feats) == len(post_feats) == len(channels)
    for i, (pre, post) in enumerate(zip(pre_feats, post_feats)):
        assert pre.shape == post.shape == (2, channels[i], sizes[i], sizes[i])
        if i in LINEAR_STAGES.get(name, ()):
            assert post is pre
        else:
            assert torch.equal(post, F.relu(pre)), f'stage {i}'
            assert (pre < 0).any(), 'pre-activation must keep negatives'

    # One pass: every BN saw the batch exactly once.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            assert m.num_batches_tracked.item() == 1

    # forward(): the post features at out_indices.
    model.eval()
    with torch.no_grad():
        _, post_feats = model.forward_stages(x)
        outs = model(x)
    assert isinstance(outs, tuple) and len(outs) == len(channels)
    for out, post in zip(outs, post_feats):
        assert torch.equal(out, post)


@pytest.mark.parametrize('name', [
    'resnet8', 'wrn_16_2', 'wrn_16_2_frskd', 'vgg8', 'mobile_half', 'shufflev1'
])
def test_bn_before_relu(name):
    """get_bn_before_relu: one BN per stage; where the stage's pre feature is
    that BN's output (pre-activation WRN, VGG, MobileNetV2's last stage) the
    hooked BN output equals it."""
    cfg, channels, _ = ZOO[name]
    model = build(cfg).eval()
    bns = model.get_bn_before_relu()
    assert len(bns) == len(channels)
    outputs = {}
    for i, bn in enumerate(bns):
        assert isinstance(bn, torch.nn.BatchNorm2d)
        assert bn.num_features == channels[i]
        bn.register_forward_hook(
            lambda m, inp, out, i=i: outputs.setdefault(i, out))
    with torch.no_grad():
        pre_feats, _ = model.forward_stages(torch.randn(2, 3, 32, 32))
    bn_is_output = {
        'wrn_16_2': range(3),
        'wrn_16_2_frskd': range(3),
        'vgg8': range(4),
        'mobile_half': [4]
    }
    for i in bn_is_output.get(name, []):
        assert torch.equal(outputs[i], pre_feats[i])


def test_bn_before_relu_undefined_for_shufflenetv2():
    model = build(ZOO['shufflev2'][0])
    with pytest.raises(NotImplementedError, match='untouched input'):
        model.get_bn_before_relu()


# Published CIFAR-100 sizes (100-way fc included) of the RepDistiller zoo.
PUBLISHED_PARAMS_M = {
    'resnet20': (dict(type='CIFARResNet', arch='resnet20'), 0.28),
    'resnet56': (dict(type='CIFARResNet', arch='resnet56'), 0.86),
    'resnet110': (dict(type='CIFARResNet', arch='resnet110'), 1.73),
    'resnet8x4': (dict(type='CIFARResNet', arch='resnet8x4'), 1.23),
    'resnet32x4': (dict(type='CIFARResNet', arch='resnet32x4'), 7.43),
    'wrn_16_2': (dict(type='WideResNet', depth=16, widen_factor=2), 0.70),
    'wrn_40_1': (dict(type='WideResNet', depth=40, widen_factor=1), 0.57),
    'wrn_40_2': (dict(type='WideResNet', depth=40, widen_factor=2), 2.26),
    'vgg8': (dict(type='CIFARVGG', arch='vgg8'), 3.96),
    'vgg13': (dict(type='CIFARVGG', arch='vgg13'), 9.46),
    'MobileNetV2': (dict(type='CIFARMobileNetV2', width_mult=0.5), 0.81),
    'ShuffleV1': (dict(type='CIFARShuffleNetV1'), 0.95),
    'ShuffleV2': (dict(type='CIFARShuffleNetV2'), 1.36),
    'ResNet50': (dict(type='CIFARResNet18', depth=50), 23.71),
}


@pytest.mark.parametrize('name', sorted(PUBLISHED_PARAMS_M))
def test_param_counts_match_repdistiller(name):
    cfg, published = PUBLISHED_PARAMS_M[name]
    with torch.device('meta'):  # sizes only
        model = MODELS.build(cfg)
    fc = model.stage_channels[-1] * 100 + 100
    count = sum(p.numel() for p in model.parameters()) + fc
    assert count / 1e6 == pytest.approx(published, rel=0.01)


def test_out_indices_validation():
    default = build(ZOO['resnet8'][0])
    assert default.out_indices == (2, )  # the last stage only
    model = build(ZOO['resnet8'][0], out_indices=(0, -1))
    assert model.out_indices == (0, 2)
    outs = model(torch.randn(2, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [16, 64]
    with pytest.raises(ValueError, match=r'3 stages.*\[-3, 2\]'):
        MODELS.build(dict(type='CIFARResNet', arch='resnet8', out_indices=3))
    with pytest.raises(ValueError, match=r'5 stages.*\[-5, 4\]'):
        MODELS.build(dict(type='CIFARMobileNetV2', out_indices=(0, 5)))
    with pytest.raises(TypeError, match='out_indices'):
        MODELS.build(dict(type='WideResNet', out_indices=[]))


def test_bad_arch_errors():
    with pytest.raises(KeyError, match='resnet32x4'):
        MODELS.build(dict(type='CIFARResNet', arch='resnet18'))
    with pytest.raises(ValueError, match='6n\\+2'):
        MODELS.build(
            dict(type='CIFARResNet', arch=dict(depth=10, channels=(8, ) * 4)))
    with pytest.raises(KeyError, match='18, 34, 50'):
        MODELS.build(dict(type='CIFARResNet18', depth=101))
    with pytest.raises(ValueError, match='6n\\+4'):
        MODELS.build(dict(type='WideResNet', depth=18))
    with pytest.raises(KeyError, match='vgg13'):
        MODELS.build(dict(type='CIFARVGG', arch='vgg12'))


def test_repdistiller_init():
    """He-normal fan_out convs, BN weight 1 / bias 0, zero conv bias."""
    model = build(dict(type='CIFARResNet', arch='resnet8x4'))
    w = model.layer3[0].conv2.weight  # 256 x 256 x 3 x 3
    expected_std = (2.0 / (256 * 9))**0.5
    assert w.std().item() == pytest.approx(expected_std, rel=0.02)
    assert w.mean().abs().item() < 0.05 * expected_std
    vgg = build(dict(type='CIFARVGG', arch='vgg8'))
    assert torch.count_nonzero(vgg.block1[0].bias) == 0
    for m in list(model.modules()) + list(vgg.modules()):
        if isinstance(m, torch.nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)


def _bn(x, bn):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                        False, 0., bn.eps)


def _randomize_bn_stats(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + .5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=g))
            m.bias.data.copy_(torch.randn(m.num_features, generator=g))


@torch.no_grad()
def test_cifar_resnet18_matches_frskd_formulation():
    """FRSKD's code rectifies at the start of each block; its per-stage
    ``out_i`` (pre) and ``relu(out_i)`` must be our pre/post features."""
    model = build(dict(type='CIFARResNet18', depth=18)).eval()
    _randomize_bn_stats(model)
    x = torch.randn(2, 3, 32, 32)
    out = _bn(F.conv2d(x, model.conv1.weight, padding=1), model.bn1)
    frskd_pre = []
    for layer in model.stages:
        for block in layer:
            stride = block.conv1.stride
            inp = F.relu(out)
            h = F.relu(
                _bn(
                    F.conv2d(
                        inp, block.conv1.weight, stride=stride, padding=1),
                    block.bn1))
            h = _bn(F.conv2d(h, block.conv2.weight, padding=1), block.bn2)
            if block.downsample is not None:
                conv, bn = block.downsample
                identity = _bn(F.conv2d(inp, conv.weight, stride=stride), bn)
            else:
                identity = inp
            out = h + identity
        frskd_pre.append(out)
    pre_feats, post_feats = model.forward_stages(x)
    for ref, pre, post in zip(frskd_pre, pre_feats, post_feats):
        torch.testing.assert_close(pre, ref)
        torch.testing.assert_close(post, F.relu(ref))


@torch.no_grad()
def test_wrn_frskd_variant_matches_frskd_formulation():
    """FRSKD's WRN: blocks open with a bare ReLU, a BN closes each group."""
    model = build(ZOO['wrn_16_2_frskd'][0]).eval()
    _randomize_bn_stats(model)
    assert not any(
        hasattr(block, 'bn1') for g in range(1, 4)
        for block in getattr(model, f'block{g}'))
    x = torch.randn(2, 3, 32, 32)
    out = F.conv2d(x, model.conv1.weight, padding=1)
    refs = []
    for g in range(3):
        for block in getattr(model, f'block{g + 1}'):
            act = F.relu(out)
            stride = block.conv1.stride
            h = F.relu(
                _bn(
                    F.conv2d(
                        act, block.conv1.weight, stride=stride, padding=1),
                    block.bn2))
            h = F.conv2d(h, block.conv2.weight, padding=1)
            shortcut = (
                out if block.equal_in_out else F.conv2d(
                    act, block.shortcut.weight, stride=stride))
            out = h + shortcut
        out = _bn(out, model.stage_norms[g])  # FRSKD's block{g}bn
        refs.append(out)
    pre_feats, _ = model.forward_stages(x)
    for ref, pre in zip(refs, pre_feats):
        torch.testing.assert_close(pre, ref)


CLASSIFIER_CASES = [
    'resnet8', 'wrn_16_1', 'vgg8', 'mobile_half', 'shufflev1', 'shufflev2'
]


@pytest.mark.parametrize('name', CLASSIFIER_CASES)
def test_in_mmpretrain_image_classifier(name):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmpretrain.structures import DataSample

    cfg, channels, _ = ZOO[name]
    model_cfg = dict(
        type='ImageClassifier',
        backbone=cfg,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=channels[-1],
            loss=dict(type='CrossEntropyLoss')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PRETRAIN_MODELS.build(model_cfg)
    model.init_weights()
    inputs = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (3, 7)]

    losses = model(inputs, samples, mode='loss')
    losses['loss'].backward()
    assert torch.isfinite(losses['loss'])
    stem = next(model.backbone.parameters())
    assert stem.grad is not None and stem.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        preds = model(inputs, samples, mode='predict')
    assert len(preds) == 2
    assert preds[0].pred_score.shape == (10, )
    assert preds[0].pred_label.numel() == 1
