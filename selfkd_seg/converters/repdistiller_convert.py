"""Convert RepDistiller CIFAR checkpoints into this project's classifiers.

RepDistiller (https://github.com/HobbitLong/RepDistiller) publishes CIFAR-100
teachers as ``{'model': state_dict, ...}`` with its own module names.
:func:`convert_repdistiller_state_dict` renames them to the keys of the
mmpretrain classifier built by :func:`repdistiller_classifier_cfg`::

    ImageClassifier(backbone=<CIFAR backbone>,
                    neck=GlobalAveragePooling,
                    head=LinearClsHead(num_classes, in_channels))

i.e. ``backbone.*`` and ``head.fc.*``, and checks the result against that
model: every expected key present, nothing extra, every shape right.
:func:`convert_repdistiller_checkpoint` does it file to file; its command
line is ``tools/model_converters/repdistiller_to_selfkd.py``::

    python tools/model_converters/repdistiller_to_selfkd.py \
        SRC DST --arch resnet32x4
"""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Tuple

import torch

_CIFAR_RESNETS = ('resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44',
                  'resnet56', 'resnet110', 'resnet8x4', 'resnet32x4')
# RepDistiller model name -> our backbone config.
REPDISTILLER_ARCHS: Dict[str, dict] = {
    **{
        name: dict(type='CIFARResNet', arch=name)
        for name in _CIFAR_RESNETS
    },
    'ResNet18': dict(type='CIFARResNet18', depth=18),
    'ResNet34': dict(type='CIFARResNet18', depth=34),
    'ResNet50': dict(type='CIFARResNet18', depth=50),
    'wrn_16_1': dict(type='WideResNet', depth=16, widen_factor=1),
    'wrn_16_2': dict(type='WideResNet', depth=16, widen_factor=2),
    'wrn_40_1': dict(type='WideResNet', depth=40, widen_factor=1),
    'wrn_40_2': dict(type='WideResNet', depth=40, widen_factor=2),
    **{
        name: dict(type='CIFARVGG', arch=name)
        for name in ('vgg8', 'vgg11', 'vgg13', 'vgg16', 'vgg19')
    },
    'MobileNetV2': dict(type='CIFARMobileNetV2', width_mult=0.5),
    'ShuffleV1': dict(type='CIFARShuffleNetV1'),
    'ShuffleV2': dict(type='CIFARShuffleNetV2'),
}

# Our backbone type -> (RepDistiller's classifier prefix, backbone renames).
# Renames are (regex, replacement) applied in order to the backbone keys.
_FAMILY_RULES: Dict[str, Tuple[str, List[Tuple[str, str]]]] = {
    'CIFARResNet': ('fc.', []),
    'CIFARResNet18': ('linear.', [(r'\.shortcut\.', '.downsample.')]),
    'WideResNet': (
        'fc.',
        [
            # The BN + ReLU that opens groups 2/3 and the final BN are our
            # stage boundaries (see WideResNet's docstring).
            (r'^block2\.layer\.0\.bn1\.', 'stage_norms.0.'),
            (r'^block3\.layer\.0\.bn1\.', 'stage_norms.1.'),
            (r'^bn1\.', 'stage_norms.2.'),
            (r'^(block\d)\.layer\.', r'\1.'),
            (r'\.convShortcut\.', '.shortcut.'),
        ]),
    'CIFARVGG': ('classifier.', []),
    'CIFARMobileNetV2': ('classifier.0.', []),
    'CIFARShuffleNetV1': ('linear.', []),
    'CIFARShuffleNetV2': ('linear.', []),
}


def _check_arch(arch: str) -> dict:
    if arch not in REPDISTILLER_ARCHS:
        raise KeyError(f'Unknown RepDistiller arch {arch!r}; supported: '
                       f'{sorted(REPDISTILLER_ARCHS)}')
    return dict(REPDISTILLER_ARCHS[arch])


def repdistiller_classifier_cfg(arch: str, num_classes: int = 100) -> dict:
    """The mmpretrain ``ImageClassifier`` config converted weights fit."""
    backbone = _check_arch(arch)
    with torch.device('meta'):
        channels = _build_backbone(backbone).stage_channels[-1]
    return dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=channels,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))


def _build_backbone(cfg: dict) -> torch.nn.Module:
    from selfkd_seg.registry import MODELS
    return MODELS.build(dict(cfg))


def _expected_shapes(arch: str, num_classes: int) -> Dict[str, torch.Size]:
    """Key -> shape of the target classifier's state dict."""
    with torch.device('meta'):  # shapes only, no memory, no init
        backbone = _build_backbone(_check_arch(arch))
    shapes = {
        f'backbone.{k}': v.shape
        for k, v in backbone.state_dict().items()
    }
    channels = backbone.stage_channels[-1]
    shapes['head.fc.weight'] = torch.Size([num_classes, channels])
    shapes['head.fc.bias'] = torch.Size([num_classes])
    return shapes


def convert_repdistiller_state_dict(state_dict: Mapping[str, torch.Tensor],
                                    arch: str) -> OrderedDict:
    """Rename a RepDistiller state dict to this project's classifier keys.

    Args:
        state_dict (Mapping): RepDistiller weights (the checkpoint's
            ``'model'`` entry).  A ``module.`` prefix (DataParallel) is
            stripped.
        arch (str): RepDistiller model name, e.g. ``'resnet32x4'``,
            ``'wrn_40_2'``, ``'vgg13'``, ``'MobileNetV2'``, ``'ShuffleV1'``.

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` weights for the model
        built from ``repdistiller_classifier_cfg(arch, num_classes)``.
        Missing BN ``num_batches_tracked`` buffers (pre-0.4.1 checkpoints)
        are filled with 0; any other mismatch raises.

    Raises:
        KeyError: unknown arch, or keys that do not map onto the model
            (both the unexpected and the missing keys are listed).
        ValueError: shape mismatches (listed).
    """
    backbone_type = _check_arch(arch)['type']
    head_prefix, rules = _FAMILY_RULES[backbone_type]
    head_weight = head_prefix + 'weight'
    src = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                      for k, v in state_dict.items())
    if head_weight not in src:
        raise KeyError(f'{arch}: no classifier weight {head_weight!r} in the '
                       f'state dict (first keys: {list(src)[:5]})')
    num_classes = src[head_weight].shape[0]

    converted = OrderedDict()
    for key, value in src.items():
        if key.startswith(head_prefix):
            new_key = 'head.fc.' + key[len(head_prefix):]
        else:
            new_key = key
            for pattern, repl in rules:
                new_key = re.sub(pattern, repl, new_key)
            new_key = 'backbone.' + new_key
        converted[new_key] = value

    expected = _expected_shapes(arch, num_classes)
    for key in expected:
        if key.endswith('num_batches_tracked') and key not in converted:
            converted[key] = torch.tensor(0, dtype=torch.long)
    missing = [k for k in expected if k not in converted]
    inverse = dict(zip(converted, src))  # new key -> source key
    unexpected = [inverse[k] for k in converted if k not in expected]
    if missing or unexpected:
        raise KeyError(
            f'RepDistiller {arch} checkpoint does not match the converted '
            f'model. Source keys with no target ({len(unexpected)}): '
            f'{unexpected}. Target keys not provided ({len(missing)}): '
            f'{missing}')
    wrong = [
        f'{inverse.get(k, k)} -> {k}: {tuple(v.shape)} vs {tuple(expected[k])}'
        for k, v in converted.items() if v.shape != expected[k]
    ]
    if wrong:
        raise ValueError(f'RepDistiller {arch} checkpoint has wrong shapes '
                         f'(source -> target: got vs expected): {wrong}')
    return OrderedDict((k, converted[k]) for k in expected)


def convert_repdistiller_checkpoint(src: str, dst: str,
                                    arch: str) -> Tuple[OrderedDict, dict]:
    """Convert the RepDistiller checkpoint file ``src`` into ``dst``.

    ``src`` holds the weights under ``'model'`` (RepDistiller), under
    ``'state_dict'``, or is the state dict itself.  ``dst`` is written as
    ``{'state_dict': ..., 'meta': ...}``, which loads strictly with mmengine's
    ``load_checkpoint`` into the classifier of ``meta['model_cfg']``; the
    source's ``epoch``, ``best_acc`` and ``accuracy`` go into ``meta`` too.

    Returns:
        tuple: the converted state dict and ``meta``.
    """
    # weights_only: a checkpoint is data, never code to run.
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    if isinstance(checkpoint, dict) and 'model' in checkpoint:
        state_dict = checkpoint['model']
    elif isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
    else:
        state_dict = checkpoint
    if not isinstance(state_dict, dict):
        raise TypeError(f'{src}: expected a dict of tensors (or a dict '
                        f"with key 'model'), got {type(state_dict).__name__}")

    converted = convert_repdistiller_state_dict(state_dict, arch)
    num_classes = converted['head.fc.weight'].shape[0]
    model_cfg = repdistiller_classifier_cfg(arch, num_classes)
    meta = dict(
        converted_from='RepDistiller',
        arch=arch,
        source=osp.basename(src),
        num_classes=num_classes,
        model_cfg=model_cfg)
    for key in ('epoch', 'best_acc', 'accuracy'):
        value = checkpoint.get(key) if isinstance(checkpoint, dict) else None
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            meta[key] = value
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=meta), dst)
    return converted, meta
