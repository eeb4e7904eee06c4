"""RepDistiller checkpoints -> this project's ImageClassifier.

The RepDistiller side is described here independently of our models: key
names and shapes follow RepDistiller's ``models/resnet.py`` and
``models/wrn.py``, and a functional forward over those keys reproduces its
``forward`` (eval mode).  A converted checkpoint must load strictly into our
classifier and give the same logits.
"""
import logging
import math
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from tool_scripts import load_tool

import selfkd_seg  # noqa: F401
from selfkd_seg.converters.repdistiller_convert import (
    REPDISTILLER_ARCHS, convert_repdistiller_state_dict,
    repdistiller_classifier_cfg)


@pytest.fixture(autouse=True, scope='module')
def quiet_logs():
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


# ---------------------------------------------------------------- RepDistiller
def _bn_shapes(prefix, c):
    return {
        f'{prefix}.{n}': (c, )
        for n in ('weight', 'bias', 'running_mean', 'running_var')
    } | {
        f'{prefix}.num_batches_tracked': ()
    }


def repdistiller_resnet_shapes(depth, filters, num_classes=100):
    """models/resnet.py ResNet(depth, filters, 'basicblock')."""
    n = (depth - 2) // 6
    shapes = {'conv1.weight': (filters[0], 3, 3, 3)}
    shapes.update(_bn_shapes('bn1', filters[0]))
    inplanes = filters[0]
    for layer, (planes, stride) in enumerate(zip(filters[1:], (1, 2, 2)), 1):
        for b in range(n):
            p = f'layer{layer}.{b}'
            shapes[f'{p}.conv1.weight'] = (planes, inplanes, 3, 3)
            shapes.update(_bn_shapes(f'{p}.bn1', planes))
            shapes[f'{p}.conv2.weight'] = (planes, planes, 3, 3)
            shapes.update(_bn_shapes(f'{p}.bn2', planes))
            if b == 0 and (stride != 1 or inplanes != planes):
                shapes[f'{p}.downsample.0.weight'] = (planes, inplanes, 1, 1)
                shapes.update(_bn_shapes(f'{p}.downsample.1', planes))
            inplanes = planes
    shapes['fc.weight'] = (num_classes, filters[3])
    shapes['fc.bias'] = (num_classes, )
    return shapes


def repdistiller_wrn_shapes(depth, k, num_classes=100):
    """models/wrn.py WideResNet(depth, num_classes, widen_factor=k)."""
    n = (depth - 4) // 6
    ch = [16, 16 * k, 32 * k, 64 * k]
    shapes = {'conv1.weight': (16, 3, 3, 3)}
    for g in (1, 2, 3):
        for i in range(n):
            cin, cout = (ch[g - 1] if i == 0 else ch[g]), ch[g]
            p = f'block{g}.layer.{i}'
            shapes.update(_bn_shapes(f'{p}.bn1', cin))
            shapes[f'{p}.conv1.weight'] = (cout, cin, 3, 3)
            shapes.update(_bn_shapes(f'{p}.bn2', cout))
            shapes[f'{p}.conv2.weight'] = (cout, cout, 3, 3)
            if cin != cout:
                shapes[f'{p}.convShortcut.weight'] = (cout, cin, 1, 1)
    shapes.update(_bn_shapes('bn1', ch[3]))
    shapes['fc.weight'] = (num_classes, ch[3])
    shapes['fc.bias'] = (num_classes, )
    return shapes


def random_state_dict(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for key, shape in shapes.items():
        if key.endswith('num_batches_tracked'):
            sd[key] = torch.tensor(7)
        elif key.endswith('running_var'):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith(('running_mean', 'bias')):
            sd[key] = 0.1 * torch.randn(shape, generator=g)
        elif len(shape) == 1:  # BN weight
            sd[key] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:  # conv / linear: variance-preserving scale
            fan_in = math.prod(shape[1:])
            sd[key] = torch.randn(shape, generator=g) / math.sqrt(fan_in)
    return sd


def _bn(x, sd, p):
    return F.batch_norm(x, sd[f'{p}.running_mean'], sd[f'{p}.running_var'],
                        sd[f'{p}.weight'], sd[f'{p}.bias'], False, 0., 1e-5)


def repdistiller_resnet_forward(sd, x, depth):
    n = (depth - 2) // 6
    x = F.relu(_bn(F.conv2d(x, sd['conv1.weight'], padding=1), sd, 'bn1'))
    for layer, stride in zip((1, 2, 3), (1, 2, 2)):
        for b in range(n):
            p, s = f'layer{layer}.{b}', stride if b == 0 else 1
            out = F.conv2d(x, sd[f'{p}.conv1.weight'], stride=s, padding=1)
            out = F.relu(_bn(out, sd, f'{p}.bn1'))
            out = _bn(
                F.conv2d(out, sd[f'{p}.conv2.weight'], padding=1), sd,
                f'{p}.bn2')
            if f'{p}.downsample.0.weight' in sd:
                x = _bn(
                    F.conv2d(x, sd[f'{p}.downsample.0.weight'], stride=s), sd,
                    f'{p}.downsample.1')
            x = F.relu(out + x)
    x = F.avg_pool2d(x, 8).flatten(1)
    return F.linear(x, sd['fc.weight'], sd['fc.bias'])


def repdistiller_wrn_forward(sd, x, depth):
    n = (depth - 4) // 6
    x = F.conv2d(x, sd['conv1.weight'], padding=1)
    for g, stride in zip((1, 2, 3), (1, 2, 2)):
        for i in range(n):
            p, s = f'block{g}.layer.{i}', stride if i == 0 else 1
            equal = f'{p}.convShortcut.weight' not in sd
            if equal:
                out = F.relu(_bn(x, sd, f'{p}.bn1'))
            else:
                x = F.relu(_bn(x, sd, f'{p}.bn1'))
                out = x
            out = F.conv2d(out, sd[f'{p}.conv1.weight'], stride=s, padding=1)
            out = F.relu(_bn(out, sd, f'{p}.bn2'))
            out = F.conv2d(out, sd[f'{p}.conv2.weight'], padding=1)
            short = x if equal else F.conv2d(
                x, sd[f'{p}.convShortcut.weight'], stride=s)
            x = short + out
    x = F.relu(_bn(x, sd, 'bn1'))
    x = F.avg_pool2d(x, 8).flatten(1)
    return F.linear(x, sd['fc.weight'], sd['fc.bias'])


REFERENCE = {
    'resnet56': (repdistiller_resnet_shapes(56, (16, 16, 32, 64)),
                 lambda sd, x: repdistiller_resnet_forward(sd, x, 56)),
    'resnet32x4': (repdistiller_resnet_shapes(32, (32, 64, 128, 256)),
                   lambda sd, x: repdistiller_resnet_forward(sd, x, 32)),
    'wrn_40_2': (repdistiller_wrn_shapes(40, 2),
                 lambda sd, x: repdistiller_wrn_forward(sd, x, 40)),
    'wrn_16_1': (repdistiller_wrn_shapes(16, 1),
                 lambda sd, x: repdistiller_wrn_forward(sd, x, 16)),
}


# ------------------------------------------------------------------- helpers
def build_classifier(cfg):
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


@pytest.mark.parametrize('arch', sorted(REFERENCE))
@torch.no_grad()
def test_converted_checkpoint_reproduces_repdistiller(arch):
    shapes, reference_forward = REFERENCE[arch]
    sd = random_state_dict(shapes)
    converted = convert_repdistiller_state_dict(sd, arch)
    model = build_classifier(repdistiller_classifier_cfg(arch, 100))
    model.load_state_dict(converted, strict=True)
    model.eval()
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    logits = model(x, mode='tensor')
    expected = reference_forward(sd, x)
    assert logits.shape == (2, 100)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)


def test_cli_writes_a_strictly_loadable_checkpoint(tmp_path):
    shapes, reference_forward = REFERENCE['resnet56']
    sd = random_state_dict(shapes)
    sd = OrderedDict(('module.' + k, v) for k, v in sd.items())  # DP prefix
    src, dst = tmp_path / 'ckpt_epoch_240.pth', tmp_path / 'out' / 'r56.pth'
    torch.save({
        'model': sd,
        'epoch': 240,
        'best_acc': torch.tensor(72.34)
    }, src)
    load_tool('model_converters/repdistiller_to_selfkd.py').main(
        [str(src), str(dst), '--arch', 'resnet56'])

    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    meta = saved['meta']
    assert meta['arch'] == 'resnet56' and meta['epoch'] == 240
    assert meta['best_acc'] == pytest.approx(72.34)
    model = build_classifier(meta['model_cfg'])
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        plain = OrderedDict((k[len('module.'):], v) for k, v in sd.items())
        torch.testing.assert_close(
            model(x, mode='tensor'),
            reference_forward(plain, x),
            rtol=1e-4,
            atol=1e-4)


# Names (and a few shapes) read off RepDistiller's other model files.
SPOT_KEYS = {
    'vgg13': {
        'block0.0.bias': (64, ),
        'block0.4.running_var': (64, ),
        'block4.3.weight': (512, 512, 3, 3),
        'classifier.weight': (100, 512)
    },
    'MobileNetV2': {
        'conv1.0.weight': (16, 3, 3, 3),
        'blocks.0.0.conv.0.weight': (16, 16, 1, 1),
        'blocks.6.0.conv.6.weight': (160, 480, 1, 1),
        'conv2.1.running_mean': (1280, ),
        'classifier.0.weight': (100, 1280)
    },
    'ShuffleV1': {
        'layer1.0.conv1.weight': (54, 24, 1, 1),
        'layer1.0.conv3.weight': (216, 18, 1, 1),
        'layer3.3.bn3.weight': (960, ),
        'linear.weight': (100, 960)
    },
    'ShuffleV2': {
        'layer1.0.conv5.weight': (58, 58, 1, 1),
        'layer3.3.conv2.weight': (232, 1, 3, 3),
        'conv2.weight': (1024, 464, 1, 1),
        'linear.weight': (100, 1024)
    },
    'ResNet50': {
        'layer1.0.shortcut.0.weight': (256, 64, 1, 1),
        'layer4.2.bn3.running_var': (2048, ),
        'linear.weight': (100, 2048)
    },
    'ResNet18': {
        'layer2.0.shortcut.1.weight': (128, ),
        'linear.weight': (100, 512)
    },
}
# Explicit inverse of our names for these families (test-side table).
TO_REPDISTILLER = {
    'vgg13': [('head.fc.', 'classifier.')],
    'MobileNetV2': [('head.fc.', 'classifier.0.')],
    'ShuffleV1': [('head.fc.', 'linear.')],
    'ShuffleV2': [('head.fc.', 'linear.')],
    'ResNet50': [('head.fc.', 'linear.'), ('.downsample.', '.shortcut.')],
    'ResNet18': [('head.fc.', 'linear.'), ('.downsample.', '.shortcut.')],
}


@pytest.mark.parametrize('arch', sorted(SPOT_KEYS))
def test_other_families_round_trip(arch):
    cfg = repdistiller_classifier_cfg(arch, 100)
    with torch.device('meta'):
        ours = build_classifier(cfg).state_dict()
    theirs = OrderedDict()
    for key, value in ours.items():
        key = key[len('backbone.'):] if key.startswith('backbone.') else key
        for old, new in TO_REPDISTILLER[arch]:
            key = key.replace(old, new)
        theirs[key] = torch.zeros(value.shape)
    for key, shape in SPOT_KEYS[arch].items():
        assert tuple(theirs[key].shape) == shape, key
    converted = convert_repdistiller_state_dict(theirs, arch)
    assert list(converted) == list(ours)


def test_every_arch_has_a_classifier_config():
    for arch in REPDISTILLER_ARCHS:
        cfg = repdistiller_classifier_cfg(arch, 10)
        assert cfg['head']['num_classes'] == 10
    assert repdistiller_classifier_cfg(
        'resnet32x4')['head']['in_channels'] == 256
    assert repdistiller_classifier_cfg(
        'MobileNetV2')['head']['in_channels'] == 1280


def test_mismatches_are_named():
    shapes, _ = REFERENCE['wrn_16_1']
    sd = random_state_dict(shapes)

    with pytest.raises(KeyError, match='Unknown RepDistiller arch'):
        convert_repdistiller_state_dict(sd, 'wrn_28_10')

    extra = OrderedDict(sd, **{'block1.layer.0.foo.weight': torch.zeros(1)})
    with pytest.raises(KeyError, match=r'block1\.layer\.0\.foo\.weight'):
        convert_repdistiller_state_dict(extra, 'wrn_16_1')

    missing = OrderedDict(sd)
    del missing['block3.layer.0.bn1.running_var']
    with pytest.raises(
            KeyError, match=r'backbone\.stage_norms\.1\.'
            r'running_var'):
        convert_repdistiller_state_dict(missing, 'wrn_16_1')

    wrong = OrderedDict(sd)
    wrong['block2.layer.1.conv1.weight'] = torch.zeros(32, 32, 1, 1)
    with pytest.raises(ValueError, match=r'block2\.layer\.1\.conv1\.weight'):
        convert_repdistiller_state_dict(wrong, 'wrn_16_1')

    # A wrn_16_2 checkpoint is not a wrn_16_1 one.
    other = random_state_dict(repdistiller_wrn_shapes(16, 2))
    with pytest.raises((KeyError, ValueError)):
        convert_repdistiller_state_dict(other, 'wrn_16_1')

    # Old checkpoints without num_batches_tracked still convert.
    old = OrderedDict(
        (k, v) for k, v in sd.items() if 'num_batches_tracked' not in k)
    converted = convert_repdistiller_state_dict(old, 'wrn_16_1')
    assert converted['backbone.stage_norms.2.num_batches_tracked'] == 0
